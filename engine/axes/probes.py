"""Linear probes as axes: the coefficient vector of a ridge (numbers) or logistic (two classes)
regression on labelled items, normalised.

Every parameter of the fit (``alpha``, the positive class) is kept in the fit's typed recipe, so
the stability band refits with the same ones (``engine.axes.stability``).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from engine.axes.core import AxisFit, as_matrix, unit_direction
from engine.axes.recipes import ProbeLogisticRecipe, ProbeRidgeRecipe
from engine.errors import AxisError
from engine.types import Axis


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho of two equal-length arrays (scipy)."""
    from scipy.stats import spearmanr

    return float(spearmanr(a, b).statistic)


def ridge_direction(vectors: np.ndarray, labels: np.ndarray, alpha: float) -> np.ndarray:
    """Ridge coefficients on centred data (dual form when n < d: cheap for few examples)."""
    x = np.asarray(vectors, dtype=np.float32)
    x = x - x.mean(axis=0)  # float32 Gram matrices (fast BLAS), float64 solves
    y = labels.astype(np.float64) - labels.mean()
    n, d = x.shape
    if n <= d:
        gram = (x @ x.T).astype(np.float64)
        return x.T.astype(np.float64) @ np.linalg.solve(gram + alpha * np.eye(n), y)
    gram = (x.T @ x).astype(np.float64)
    return np.linalg.solve(gram + alpha * np.eye(d), x.T.astype(np.float64) @ y)


def logistic_direction(vectors: np.ndarray, classes: np.ndarray, alpha: float) -> np.ndarray:
    """Logistic-regression coefficients (scikit-learn, C = 1/alpha) for 0/1 ``classes``."""
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=1.0 / max(alpha, 1e-9), max_iter=1000)
    model.fit(vectors.astype(np.float64), classes.astype(int))
    return model.coef_[0]


def fit_probe(
    vectors: np.ndarray,
    labels: Sequence[Any] | np.ndarray,
    *,
    model_id: str,
    kind: Literal["ridge", "logistic"] = "ridge",
    positive_class: Any = None,
    alpha: float = 1.0,
    name: str | None = None,
    recipe: ProbeRidgeRecipe | ProbeLogisticRecipe | None = None,
    label_name: str = "label",
) -> AxisFit:
    """A linear probe's coefficient vector as an axis.

    ``ridge``: numeric labels; the axis points toward higher labels. ``logistic``: exactly two
    classes; the axis points toward ``positive_class`` (default: the later class in sorted order).
    ``alpha`` is the ridge penalty (for logistic, C = 1/alpha). The fit's recipe records
    ``alpha`` and the positive class actually used.

    Raises:
        AxisError: Too few examples, constant labels, or not exactly two classes.
    """
    matrix = as_matrix(vectors, "labelled")
    values = np.asarray(labels)
    if values.shape[0] != matrix.shape[0]:
        raise AxisError(f"Got {matrix.shape[0]} vectors but {values.shape[0]} labels.")
    if matrix.shape[0] < 2:
        raise AxisError("A probe needs at least two labelled items.")
    quality: dict[str, float] = {"n_examples": float(matrix.shape[0])}
    if kind == "ridge":
        try:
            numeric = values.astype(np.float64)
        except (TypeError, ValueError):
            raise AxisError("Ridge probes need numeric labels; use the two-class (logistic) probe for categories.") from None
        if not np.isfinite(numeric).all():
            raise AxisError("Some labels are missing or not finite; drop those items first.")
        if np.ptp(numeric) == 0:
            raise AxisError("All labels are equal: a probe needs items with different labels.")
        direction = unit_direction(ridge_direction(matrix, numeric, alpha), "probe direction")
        quality["train_spearman"] = spearman(matrix @ direction, numeric)
        target = numeric
        labels_pair = (f"high {label_name}", f"low {label_name}")
        typed = replace(recipe or ProbeRidgeRecipe(), alpha=float(alpha))
    elif kind == "logistic":
        classes = sorted({str(v) for v in values.tolist()})
        if len(classes) != 2:
            raise AxisError(f"A two-class probe needs exactly two classes, got {len(classes)}: {classes[:6]}.")
        positive = str(positive_class) if positive_class is not None else classes[1]
        if positive not in classes:
            raise AxisError(f"positive_class {positive!r} is not one of the labels {classes}.")
        negative = classes[0] if positive == classes[1] else classes[1]
        target = np.array([1 if str(v) == positive else 0 for v in values.tolist()], dtype=np.int64)
        direction = unit_direction(logistic_direction(matrix, target, alpha), "probe direction")
        projected = matrix @ direction
        threshold = (projected[target == 1].mean() + projected[target == 0].mean()) / 2
        quality["train_accuracy"] = float(((projected > threshold) == (target == 1)).mean())
        labels_pair = (positive, negative)
        typed = replace(recipe or ProbeLogisticRecipe(), alpha=float(alpha), positive_class=positive)
    else:
        raise AxisError(f"Unknown probe kind {kind!r}; choose 'ridge' or 'logistic'.")
    labels_pair = typed.labels or labels_pair
    axis = Axis(
        name=name or typed.name or f"{labels_pair[0]} ↔ {labels_pair[1]}",
        model_id=model_id,
        direction=direction,
        positive_label=labels_pair[0],
        negative_label=labels_pair[1],
        method=typed.KIND,
        recipe=typed.to_dict(),
        explained=None,
    )
    return AxisFit(axis, matrix.copy(), np.zeros((0, matrix.shape[1]), np.float32), (),
                   np.asarray(target, dtype=np.float64), quality, typed)
