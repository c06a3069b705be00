"""Rankable semantic axes: define a direction, rank a corpus along it, and check how far to trust it.

An :class:`~engine.types.Axis` is a unit vector in one model's space plus the *recipe* that made
it (JSON-ready, no arrays), so the same axis can be rebuilt in another model, saved by name and
reused. Recipes (``recipe["method"]``):

=============== =============================================================================
``poles``       two lists of texts/words; direction = mean(positive) - mean(negative)
``items``       two lists of corpus item ids (e.g. two extreme items); same difference of means
``selection``   ids handed over from the Map page vs a second selection or ``"rest"`` of corpus
``expression``  ``good - bad``, ``king - man + woman``: sum(positive terms) - sum(negative terms)
``probe_ridge`` ids + numeric labels: the ridge-regression coefficient vector, normalised
``probe_logistic`` ids + two class labels: the logistic-regression coefficient vector, normalised
=============== =============================================================================

The stable, documented entry points other areas may import (the Bias page does):

* :func:`fit_axis_from_vectors` (positive vectors, negative vectors) -> :class:`AxisFit`
* :func:`score` (axis, embeddings) -> scores; :func:`project_onto` (vectors, axis) -> scores
* :func:`rank`, :func:`stability_band`, :func:`rankability`, :func:`compare_rankings`

Example:
    >>> import numpy as np
    >>> from engine.types import Embeddings
    >>> pos = np.array([[1, 0.1, 0], [1, -0.1, 0]], dtype=np.float32)
    >>> neg = np.array([[-1, 0, 0.1], [-1, 0, -0.1]], dtype=np.float32)
    >>> fit = fit_axis_from_vectors(pos, neg, model_id="toy", labels=("east", "west"))
    >>> fit.axis.direction.round(3).tolist()
    [1.0, 0.0, 0.0]
    >>> emb = Embeddings("c", "toy", np.array([[0.5, 0, 0], [-0.9, 0, 0]], dtype=np.float32))
    >>> rank(fit.axis, emb).ranks.tolist()
    [1, 2]
"""
from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.errors import AxisError
from engine.types import ID_COLUMN, TEXT_COLUMN, Axis, Corpus, Embeddings

if TYPE_CHECKING:
    from engine.store import Store

Scores = npt.NDArray[np.float32]  # (n,)
AxisMethod = Literal["poles", "items", "selection", "expression", "probe_ridge", "probe_logistic"]
METHODS: tuple[str, ...] = ("poles", "items", "selection", "expression", "probe_ridge", "probe_logistic")
NAMESPACE = "axes"
REST = "rest"  # the negative pole of a selection recipe: every other valid item
MAX_REST_SAMPLE = 5000  # a "rest" pole is represented by at most this many items (seeded sample)


# ------------------------------------------------------------------------------------------------
# values
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class AxisFit:
    """A fitted axis and what it was fitted from (needed for the bootstrap stability band).

    Attributes:
        axis: The axis (unit direction + recipe).
        positive_vectors: (p, d) float32 seed vectors of the positive pole actually used (for a
            probe: the labelled vectors; for an expression: the positive terms).
        negative_vectors: (q, d) float32 seed vectors of the negative pole (probe: empty).
        dropped: Pole inputs the model could not represent (e.g. words unknown to GloVe), shown
            to the user; they were not used.
        labels: For probes, the (m,) float64 numeric labels (ridge) or 0/1 classes (logistic)
            matching ``positive_vectors``; else None.
        quality: Plain numbers describing the fit (e.g. ``{"train_accuracy": 0.97}``).
    """

    axis: Axis
    positive_vectors: np.ndarray
    negative_vectors: np.ndarray
    dropped: tuple[str, ...] = ()
    labels: np.ndarray | None = None
    quality: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for array in (self.positive_vectors, self.negative_vectors, self.labels):
            if array is not None and array.flags.writeable:
                array.setflags(write=False)


@dataclass(frozen=True, slots=True, eq=False)
class Ranking:
    """Every row's position along an axis.

    Attributes:
        axis_name: The axis's display name.
        model_id: The model the scores come from.
        scores: (n,) float32 projection on the axis; NaN where ``valid`` is False.
        ranks: (n,) int32, 1 = most positive; 0 where ``valid`` is False.
        valid: (n,) bool, rows the model could represent.
    """

    axis_name: str
    model_id: str
    scores: Scores
    ranks: np.ndarray
    valid: np.ndarray

    def __post_init__(self) -> None:
        for array in (self.scores, self.ranks, self.valid):
            if array.flags.writeable:
                array.setflags(write=False)

    @property
    def n_ranked(self) -> int:
        return int(self.valid.sum())

    def order(self) -> np.ndarray:
        """Row indices of the valid rows, most positive first."""
        valid_rows = np.flatnonzero(self.valid)
        return valid_rows[np.argsort(self.ranks[valid_rows], kind="stable")]


@dataclass(frozen=True, slots=True, eq=False)
class StabilityBand:
    """Bootstrap rank intervals: resample each pole's seeds with replacement, refit, re-rank.

    Attributes:
        rank_low: (n,) float32 lower percentile of each row's rank (the better end); NaN if invalid.
        rank_high: (n,) float32 upper percentile of each row's rank; NaN if invalid.
        rank_median: (n,) float32 median rank over resamples; NaN if invalid.
        n_resamples: Resamples drawn.
        percentiles: (low, high) percentiles, e.g. (5, 95).
        degenerate: True when no pole has two or more seeds, so every resample equals the fit and
            the band has zero width (not a sign of robustness).
    """

    rank_low: np.ndarray
    rank_high: np.ndarray
    rank_median: np.ndarray
    n_resamples: int
    percentiles: tuple[float, float]
    degenerate: bool = False

    def __post_init__(self) -> None:
        for array in (self.rank_low, self.rank_high, self.rank_median):
            if array.flags.writeable:
                array.setflags(write=False)

    @property
    def width(self) -> np.ndarray:
        return self.rank_high - self.rank_low


@dataclass(frozen=True, slots=True)
class Rankability:
    """Spearman correlation between axis scores and a numeric column (rows with both values)."""

    column: str
    spearman: float
    p_value: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        return {"column": self.column, "spearman": self.spearman, "p_value": self.p_value, "n": self.n}


# ------------------------------------------------------------------------------------------------
# the core: vectors -> axis -> scores
# ------------------------------------------------------------------------------------------------
def _unit(vector: np.ndarray, what: str) -> np.ndarray:
    vector = np.asarray(vector, dtype=np.float64)
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm < 1e-9:
        raise AxisError(
            f"The {what} is zero: both poles point the same way in this model. Use poles that differ "
            "in meaning (or more seed examples)."
        )
    direction = (vector / norm).astype(np.float32)
    direction.setflags(write=False)
    return direction


def _as_matrix(vectors: np.ndarray | Sequence[Sequence[float]], what: str) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.ndim != 2 or matrix.shape[0] == 0:
        raise AxisError(f"The {what} pole has no usable examples; give at least one text, word or item.")
    if not np.isfinite(matrix).all():
        raise AxisError(f"The {what} pole contains non-finite vectors.")
    return matrix


def _explained(direction: np.ndarray, positive: np.ndarray, negative: np.ndarray) -> float | None:
    """Share of the pooled seeds' variance that lies along ``direction`` (0..1)."""
    pooled = np.vstack([positive, negative]).astype(np.float64)
    if pooled.shape[0] < 2:
        return None
    centred = pooled - pooled.mean(axis=0)
    total = float((centred**2).sum())
    if total <= 0:
        return None
    along = float(((centred @ direction.astype(np.float64)) ** 2).sum())
    return round(min(max(along / total, 0.0), 1.0), 6)


def fit_axis_from_vectors(
    positive_vectors: np.ndarray,
    negative_vectors: np.ndarray,
    *,
    model_id: str,
    labels: tuple[str, str] = ("positive", "negative"),
    name: str | None = None,
    method: str = "poles",
    recipe: Mapping[str, Any] | None = None,
    combine: Literal["mean", "sum"] = "mean",
    dropped: Sequence[str] = (),
) -> AxisFit:
    """Fit the direction from the negative pole's seeds to the positive pole's seeds.

    Stable API (the Bias page imports it). The direction is ``mean(positive) - mean(negative)``
    (``combine="sum"``: sums, as in the analogy arithmetic ``king - man + woman``), normalised.
    The negative pole may be empty (then the axis points toward the positive seeds).

    Args:
        positive_vectors: (p, d) seed vectors of the end scores grow toward.
        negative_vectors: (q, d) seed vectors of the other end; (0, d) allowed.
        model_id: The model whose space the vectors live in.
        labels: Display labels (positive, negative).
        name: Display name; default ``"<positive> ↔ <negative>"``.
        method: Recorded in the axis (see the module docstring).
        recipe: JSON-ready inputs; default ``{"method": method}``.
        combine: "mean" (poles) or "sum" (expressions).
        dropped: Inputs that were not representable, to report.

    Returns:
        An AxisFit whose axis scores the positive pole's mean above the negative pole's.

    Raises:
        AxisError: For an empty positive pole, mismatched dimensions or identical poles.
    """
    positive = _as_matrix(positive_vectors, "positive")
    negative = np.asarray(negative_vectors, dtype=np.float32)
    if negative.size == 0:
        negative = np.zeros((0, positive.shape[1]), dtype=np.float32)
    negative = negative.reshape(-1, positive.shape[1]) if negative.ndim == 1 else negative
    if negative.ndim != 2 or negative.shape[1] != positive.shape[1]:
        raise AxisError(
            f"The poles have different dimensions ({positive.shape[1]} vs {negative.shape[-1]}): "
            "both must come from one model."
        )
    reduce = np.mean if combine == "mean" else np.sum
    raw = reduce(positive.astype(np.float64), axis=0)
    if negative.shape[0]:
        raw = raw - reduce(negative.astype(np.float64), axis=0)
    direction = _unit(raw, "axis direction")
    name = name or f"{labels[0]} ↔ {labels[1]}"
    axis = Axis(
        name=name,
        model_id=model_id,
        direction=direction,
        positive_label=labels[0],
        negative_label=labels[1],
        method=method,
        recipe=dict(recipe) if recipe is not None else {"method": method},
        explained=_explained(direction, positive, negative) if negative.shape[0] else None,
    )
    return AxisFit(axis, positive.copy(), negative.copy(), tuple(dropped))


def project_onto(vectors: np.ndarray, axis: Axis) -> Scores:
    """Raw projection ``vectors @ axis.direction`` (no model check): (n, d) -> (n,) float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    if vectors.shape[-1] != axis.direction.shape[0]:
        raise AxisError(
            f"Vectors of dimension {vectors.shape[-1]} cannot be projected on an axis of dimension "
            f"{axis.direction.shape[0]} ({axis.model_id!r}): rebuild the axis in this model."
        )
    return (vectors @ axis.direction).astype(np.float32, copy=False)


def score(axis: Axis, embeddings: Embeddings) -> Scores:
    """Signed position of each row along ``axis``; above zero leans toward ``axis.positive_label``.

    Stable API. Rows with ``valid == False`` are zero vectors and score 0: use :func:`rank` (which
    marks them NaN) when showing results.

    Raises:
        AxisError: If the axis belongs to another model.
    """
    if embeddings.model_id != axis.model_id:
        raise AxisError(
            f"The axis {axis.name!r} lives in {axis.model_id!r}, not {embeddings.model_id!r}: rebuild it "
            "from its recipe in this model (fit_axis_from_recipe)."
        )
    return project_onto(embeddings.vectors, axis)


def ranks_from_scores(scores: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """(n,) int32 ranks, 1 = highest score; 0 for invalid rows. Exact ties get distinct ranks."""
    neg = -np.asarray(scores, dtype=np.float32)
    if valid is not None:
        valid = np.asarray(valid, dtype=bool)
        neg = np.where(valid, neg, np.float32(np.inf))
    order = np.argsort(neg)
    ranks = np.empty(neg.shape[0], dtype=np.int32)
    ranks[order] = np.arange(1, neg.shape[0] + 1, dtype=np.int32)
    if valid is not None:
        ranks[~valid] = 0
    return ranks


def rank(axis: Axis, embeddings: Embeddings) -> Ranking:
    """Score and rank every valid row along ``axis`` (invalid rows: NaN score, rank 0)."""
    raw = score(axis, embeddings)
    valid = np.asarray(embeddings.valid, dtype=bool)
    scores = np.where(valid, raw, np.float32(np.nan)).astype(np.float32)
    return Ranking(axis.name, axis.model_id, scores, ranks_from_scores(raw, valid), valid)


# ------------------------------------------------------------------------------------------------
# stability: bootstrap the pole seeds
# ------------------------------------------------------------------------------------------------
def _resample_means(vectors: np.ndarray, n_resamples: int, rng: np.random.Generator, combine: str) -> np.ndarray:
    """(B, d): per resample, the mean (or sum) of ``len(vectors)`` rows drawn with replacement."""
    count = vectors.shape[0]
    if count == 0:
        return np.zeros((n_resamples, vectors.shape[1]), dtype=np.float32)
    draws = rng.integers(0, count, size=(n_resamples, count))
    offsets = (draws + (np.arange(n_resamples) * count)[:, None]).ravel()
    weights = np.bincount(offsets, minlength=n_resamples * count).reshape(n_resamples, count).astype(np.float32)
    if combine == "mean":
        weights /= count
    return weights @ vectors.astype(np.float32)


def bootstrap_directions(fit: AxisFit, *, n_resamples: int = 200, seed: int = 0) -> np.ndarray:
    """(B, d) float32 unit directions refitted on resampled pole seeds (probes: resampled rows)."""
    rng = np.random.default_rng(seed)
    method = fit.axis.method
    if method in ("probe_ridge", "probe_logistic"):
        return _bootstrap_probe(fit, n_resamples=n_resamples, rng=rng)
    combine = "sum" if method == "expression" else "mean"
    raw = _resample_means(fit.positive_vectors, n_resamples, rng, combine)
    if fit.negative_vectors.shape[0]:
        raw = raw - _resample_means(fit.negative_vectors, n_resamples, rng, combine)
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    fallback = np.broadcast_to(fit.axis.direction, raw.shape)
    return np.where(norms > 1e-9, raw / np.maximum(norms, 1e-12), fallback).astype(np.float32)


def _workers() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def _rank_matrix(neg_scores: np.ndarray) -> np.ndarray:
    """neg_scores (B, m) = minus the scores -> ranks (B, m) int32 per row, 1 = highest score.

    One argsort per resample and an inverse-permutation scatter; resamples are split across a
    few threads (numpy releases the GIL while sorting).
    """
    n_rows, m = neg_scores.shape
    ranks = np.empty((n_rows, m), dtype=np.int32)
    positions = np.arange(1, m + 1, dtype=np.int32)

    def work(chunk: range) -> None:
        for b in chunk:
            ranks[b, np.argsort(neg_scores[b])] = positions

    _parallel(work, n_rows)
    return ranks


def _parallel(work: Any, n_items: int) -> None:
    workers = _workers()
    if workers == 1 or n_items < 2:
        work(range(n_items))
        return
    from concurrent.futures import ThreadPoolExecutor

    step = -(-n_items // workers)
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, [range(i, min(i + step, n_items)) for i in range(0, n_items, step)]))


def stability_band(
    fit: AxisFit,
    embeddings: Embeddings,
    *,
    n_resamples: int = 200,
    percentiles: tuple[float, float] = (5.0, 95.0),
    seed: int = 0,
    chunk_rows: int = 25_000,
) -> StabilityBand:
    """Each row's rank interval when the pole seeds are resampled with replacement.

    Vectorised: one (B, d) matrix of refitted directions, one matrix product per chunk of
    rows, and one row-wise argsort per resample over all valid rows. Ranks are over the valid
    rows only (as in :func:`rank`).

    Raises:
        AxisError: If the fit belongs to another model.
    """
    if embeddings.model_id != fit.axis.model_id:
        raise AxisError(f"The axis lives in {fit.axis.model_id!r}, not {embeddings.model_id!r}.")
    if n_resamples < 2:
        raise AxisError(f"n_resamples must be at least 2, got {n_resamples}.")
    directions = bootstrap_directions(fit, n_resamples=n_resamples, seed=seed)
    valid = np.asarray(embeddings.valid, dtype=bool)
    rows = np.flatnonzero(valid)
    vectors = embeddings.vectors
    neg_directions = -directions
    neg_scores = np.empty((n_resamples, rows.size), dtype=np.float32)
    all_valid = rows.size == embeddings.n
    for start in range(0, rows.size, chunk_rows):
        block = vectors[start:start + chunk_rows] if all_valid else vectors[rows[start:start + chunk_rows]]
        neg_scores[:, start:start + block.shape[0]] = neg_directions @ np.asarray(block, dtype=np.float32).T
    ranks = _rank_matrix(neg_scores)
    del neg_scores
    per_item = np.ascontiguousarray(ranks.T)  # (m, B): each item's ranks over the resamples
    del ranks

    def sort_chunk(chunk: range) -> None:
        if len(chunk):
            per_item[chunk.start:chunk.stop].sort(axis=1)

    step = max(1, -(-rows.size // (_workers() * 4)))
    chunks = [range(i, min(i + step, rows.size)) for i in range(0, rows.size, step)]
    _parallel(lambda items: [sort_chunk(chunks[i]) for i in items], len(chunks))
    low_k, high_k = (np.clip(np.round(np.array(percentiles) / 100 * (n_resamples - 1)), 0, n_resamples - 1)
                     .astype(int))
    mid_k = (n_resamples - 1) // 2
    low, mid, high = per_item[:, low_k].copy(), per_item[:, mid_k].copy(), per_item[:, high_k].copy()
    del per_item
    n = embeddings.n

    def full(values: np.ndarray) -> np.ndarray:
        out = np.full(n, np.nan, dtype=np.float32)
        out[rows] = values
        return out

    degenerate = max(fit.positive_vectors.shape[0], fit.negative_vectors.shape[0]) < 2
    return StabilityBand(full(low), full(high), full(mid), n_resamples,
                         (float(percentiles[0]), float(percentiles[1])), degenerate)


def stability_band_naive(
    fit: AxisFit, embeddings: Embeddings, *, n_resamples: int = 200, percentiles: tuple[float, float] = (5.0, 95.0),
    seed: int = 0,
) -> StabilityBand:
    """The per-resample loop the vectorised band replaces (kept as the benchmark's baseline)."""
    rng = np.random.default_rng(seed)
    valid = np.asarray(embeddings.valid, dtype=bool)
    rows = np.flatnonzero(valid)
    vectors = np.asarray(embeddings.vectors)[rows]
    all_ranks = np.empty((n_resamples, rows.size), dtype=np.int32)
    for b in range(n_resamples):
        pos = fit.positive_vectors[rng.integers(0, fit.positive_vectors.shape[0], fit.positive_vectors.shape[0])]
        raw = pos.mean(axis=0)
        if fit.negative_vectors.shape[0]:
            neg = fit.negative_vectors[rng.integers(0, fit.negative_vectors.shape[0], fit.negative_vectors.shape[0])]
            raw = raw - neg.mean(axis=0)
        direction = raw / np.linalg.norm(raw)
        scores = vectors @ direction
        all_ranks[b] = np.argsort(np.argsort(-scores)) + 1
    low, high = np.percentile(all_ranks, percentiles, axis=0)
    median = np.median(all_ranks, axis=0)
    n = embeddings.n

    def full(values: np.ndarray) -> np.ndarray:
        out = np.full(n, np.nan, dtype=np.float32)
        out[rows] = values
        return out

    return StabilityBand(full(low), full(high), full(median), n_resamples, percentiles)


# ------------------------------------------------------------------------------------------------
# probes
# ------------------------------------------------------------------------------------------------
def _ridge_direction(vectors: np.ndarray, labels: np.ndarray, alpha: float) -> np.ndarray:
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


def _logistic_direction(vectors: np.ndarray, classes: np.ndarray, c: float) -> np.ndarray:
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=1000)
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
    recipe: Mapping[str, Any] | None = None,
    label_name: str = "label",
) -> AxisFit:
    """A linear probe's coefficient vector as an axis.

    ``ridge``: numeric labels; the axis points toward higher labels. ``logistic``: exactly two
    classes; the axis points toward ``positive_class`` (default: the later class in sorted order).
    ``alpha`` is the ridge penalty (for logistic, C = 1/alpha).

    Raises:
        AxisError: Too few examples, constant labels, or not exactly two classes.
    """
    matrix = _as_matrix(vectors, "labelled")
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
        raw = _ridge_direction(matrix, numeric, alpha)
        direction = _unit(raw, "probe direction")
        quality["train_spearman"] = _spearman(matrix @ direction, numeric)
        target = numeric
        labels_pair = (f"high {label_name}", f"low {label_name}")
        method = "probe_ridge"
    elif kind == "logistic":
        classes = sorted({str(v) for v in values.tolist()})
        if len(classes) != 2:
            raise AxisError(f"A two-class probe needs exactly two classes, got {len(classes)}: {classes[:6]}.")
        positive = str(positive_class) if positive_class is not None else classes[1]
        if positive not in classes:
            raise AxisError(f"positive_class {positive!r} is not one of the labels {classes}.")
        negative = classes[0] if positive == classes[1] else classes[1]
        target = np.array([1 if str(v) == positive else 0 for v in values.tolist()], dtype=np.int64)
        raw = _logistic_direction(matrix, target, 1.0 / max(alpha, 1e-9))
        direction = _unit(raw, "probe direction")
        projected = matrix @ direction
        threshold = (projected[target == 1].mean() + projected[target == 0].mean()) / 2
        quality["train_accuracy"] = float(((projected > threshold) == (target == 1)).mean())
        labels_pair = (positive, negative)
        method = "probe_logistic"
    else:
        raise AxisError(f"Unknown probe kind {kind!r}; choose 'ridge' or 'logistic'.")
    axis = Axis(
        name=name or f"{labels_pair[0]} ↔ {labels_pair[1]}",
        model_id=model_id,
        direction=direction,
        positive_label=labels_pair[0],
        negative_label=labels_pair[1],
        method=method,
        recipe=dict(recipe) if recipe is not None else {"method": method},
        explained=None,
    )
    return AxisFit(axis, matrix.copy(), np.zeros((0, matrix.shape[1]), np.float32), (),
                   np.asarray(target, dtype=np.float64), quality)


def _bootstrap_probe(fit: AxisFit, *, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    vectors, labels = fit.positive_vectors, fit.labels
    assert labels is not None
    alpha = float(fit.axis.recipe.get("alpha", 1.0))
    out = np.empty((n_resamples, vectors.shape[1]), dtype=np.float32)
    for b in range(n_resamples):
        rows = rng.integers(0, vectors.shape[0], vectors.shape[0])
        sample = labels[rows]
        if np.ptp(sample) == 0:  # a resample with one label only: keep the fitted direction
            out[b] = fit.axis.direction
            continue
        if fit.axis.method == "probe_ridge":
            raw = _ridge_direction(vectors[rows], sample, alpha)
        else:
            raw = _logistic_direction(vectors[rows], sample, 1.0 / max(alpha, 1e-9))
        norm = np.linalg.norm(raw)
        out[b] = raw / norm if norm > 1e-9 else fit.axis.direction
    return out


# ------------------------------------------------------------------------------------------------
# recipes: texts, items, selections, expressions
# ------------------------------------------------------------------------------------------------
def parse_expression(expression: str) -> tuple[list[str], list[str]]:
    """Split ``"king - man + woman"`` into (["king", "woman"], ["man"]).

    Operators must stand between spaces (so ``well-being`` stays one term); a term may be a
    quoted phrase (``"a sunny day" - "a rainy day"``); a leading ``-`` negates the first term.

    Raises:
        AxisError: For an empty expression or a dangling operator.
    """
    text = (expression or "").strip()
    if not text:
        raise AxisError("The axis expression is empty. Write something like `good - bad` or `king - man + woman`.")
    if re.search(r"(^|\s)[+-]$", text):
        raise AxisError(f"Cannot read the expression {expression!r}: it ends with an operator; add the last term.")
    sign = "+"
    if text[0] in "+-" and (len(text) == 1 or text[1].isspace() or text[1] == '"'):
        sign, text = text[0], text[1:].strip()
    parts = re.split(r"\s+([+-])\s+", text)
    terms = [(sign, parts[0])] + [(parts[i], parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    positive: list[str] = []
    negative: list[str] = []
    for op, term in terms:
        term = term.strip().strip('"').strip()
        if not term or term in "+-":
            raise AxisError(f"Cannot read the expression {expression!r}: every + or - needs a term on both sides.")
        (positive if op == "+" else negative).append(term)
    if not positive and negative:
        raise AxisError(f"The expression {expression!r} has no positive term; put the end you want first.")
    return positive, negative


def _clean_terms(terms: Sequence[str]) -> list[str]:
    return [t.strip() for t in terms if t and t.strip()]


def embed_terms(
    terms: Sequence[str], model_id: str, *, store: Store, corpus: Corpus | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Embed pole texts/words; returns (vectors of the representable ones, the dropped ones)."""
    from engine.embed import embed_queries

    terms = _clean_terms(terms)
    if not terms:
        return np.zeros((0, 0), dtype=np.float32), []
    vectors, valid = embed_queries(terms, model_id, store=store, corpus=corpus)
    dropped = [t for t, ok in zip(terms, valid) if not ok]
    return np.asarray(vectors[valid], dtype=np.float32), dropped


def _rows_for_ids(corpus: Corpus, ids: Sequence[str]) -> np.ndarray:
    lookup = {item_id: row for row, item_id in enumerate(corpus.ids)}
    missing = [i for i in ids if str(i) not in lookup]
    if missing:
        raise AxisError(
            f"{len(missing)} item id(s) are not in corpus {corpus.name!r} (e.g. {', '.join(map(str, missing[:3]))}). "
            "Pick items from this corpus."
        )
    return np.array([lookup[str(i)] for i in ids], dtype=np.int64)


def _item_vectors(embeddings: Embeddings, rows: np.ndarray, corpus: Corpus) -> tuple[np.ndarray, list[str]]:
    valid = np.asarray(embeddings.valid)[rows]
    ids = corpus.ids
    dropped = [ids[int(r)] for r in rows[~valid]]
    return np.asarray(embeddings.vectors[rows[valid]], dtype=np.float32), dropped


def fit_axis_from_recipe(
    recipe: Mapping[str, Any],
    model_id: str,
    *,
    store: Store,
    corpus: Corpus,
    embeddings: Embeddings | None = None,
) -> AxisFit:
    """Build (or rebuild, in another model) an axis from its JSON-ready recipe.

    Recipe keys by method (``labels`` = [positive label, negative label] and ``name`` optional
    everywhere): ``poles``: ``positive``, ``negative`` (lists of texts/words); ``items``:
    ``positive_ids``, ``negative_ids``; ``selection``: ``positive_ids`` and ``negative_ids``
    (a list, or ``"rest"``); ``expression``: ``expression``; ``probe_ridge`` / ``probe_logistic``:
    ``ids``, ``labels_values`` (or ``column``: a metadata column to read them from, optionally
    restricted to two ``classes`` and to a seeded random ``sample`` of that many rows),
    ``alpha``, ``positive_class``.

    ``embeddings`` is needed for item-based methods (loaded from the store if omitted).

    Raises:
        AxisError: For an unknown method, missing inputs, unknown words in an expression, or a
            pole with nothing representable in this model.
    """
    method = str(recipe.get("method", ""))
    if method not in METHODS:
        raise AxisError(f"Unknown axis method {method!r}; choose one of: {', '.join(METHODS)}.")
    recipe = json.loads(json.dumps(dict(recipe)))  # a JSON-ready, private copy
    name = recipe.get("name") or None
    labels_in = recipe.get("labels") or None

    def need_embeddings() -> Embeddings:
        if embeddings is not None:
            if embeddings.model_id != model_id:
                raise AxisError(f"Embeddings are from {embeddings.model_id!r}, expected {model_id!r}.")
            return embeddings
        from engine.embed import load_embeddings

        return load_embeddings(corpus.corpus_id, model_id, store=store)

    if method == "poles":
        positive_terms, negative_terms = _clean_terms(recipe.get("positive", [])), _clean_terms(recipe.get("negative", []))
        if not positive_terms or not negative_terms:
            raise AxisError("Give at least one text or word for each pole.")
        positive, dropped_p = embed_terms(positive_terms, model_id, store=store, corpus=corpus)
        negative, dropped_n = embed_terms(negative_terms, model_id, store=store, corpus=corpus)
        for pole, vectors, dropped in (("positive", positive, dropped_p), ("negative", negative, dropped_n)):
            if vectors.shape[0] == 0:
                raise AxisError(
                    f"None of the {pole} pole's {len(dropped)} entries can be represented by {model_id!r} "
                    f"(unknown: {', '.join(dropped[:8])}). Use other words, or a sentence model."
                )
        labels = tuple(labels_in or (_short_label(positive_terms), _short_label(negative_terms)))
        return fit_axis_from_vectors(positive, negative, model_id=model_id, labels=labels, name=name,
                                     method=method, recipe=recipe, dropped=dropped_p + dropped_n)

    if method == "expression":
        positive_terms, negative_terms = parse_expression(str(recipe.get("expression", "")))
        positive, dropped_p = embed_terms(positive_terms, model_id, store=store, corpus=corpus)
        negative, dropped_n = embed_terms(negative_terms, model_id, store=store, corpus=corpus) if negative_terms \
            else (np.zeros((0, positive.shape[1] if positive.size else 1), np.float32), [])
        if dropped_p or dropped_n:
            raise AxisError(
                f"{model_id!r} does not know: {', '.join(dropped_p + dropped_n)}. Every term of an expression "
                "counts, so fix or remove it."
            )
        labels = tuple(labels_in or (" + ".join(positive_terms), " + ".join(negative_terms) or "(origin)"))
        return fit_axis_from_vectors(positive, negative, model_id=model_id, labels=labels,
                                     name=name or str(recipe["expression"]).strip(), method=method,
                                     recipe=recipe, combine="sum")

    if method in ("items", "selection"):
        emb = need_embeddings()
        positive_ids = [str(i) for i in recipe.get("positive_ids", [])]
        negative_spec = recipe.get("negative_ids", REST if method == "selection" else [])
        if not positive_ids:
            raise AxisError("Pick at least one item for the positive end.")
        positive_rows = _rows_for_ids(corpus, positive_ids)
        positive, dropped_p = _item_vectors(emb, positive_rows, corpus)
        if negative_spec == REST:
            rest = np.setdiff1d(np.flatnonzero(np.asarray(emb.valid)), positive_rows)
            if rest.size > MAX_REST_SAMPLE:
                rest = np.sort(np.random.default_rng(0).choice(rest, MAX_REST_SAMPLE, replace=False))
            negative, dropped_n = np.asarray(emb.vectors[rest], dtype=np.float32), []
            default_neg_label = "rest of corpus"
        else:
            negative_ids = [str(i) for i in negative_spec]
            if not negative_ids:
                raise AxisError("Pick at least one item for the negative end.")
            negative, dropped_n = _item_vectors(emb, _rows_for_ids(corpus, negative_ids), corpus)
            default_neg_label = _short_label([corpus.texts[int(r)] for r in _rows_for_ids(corpus, negative_ids)])
        if positive.shape[0] == 0 or negative.shape[0] == 0:
            raise AxisError(f"{model_id!r} cannot represent the chosen items of one pole; pick others.")
        texts = corpus.texts
        labels = tuple(labels_in or (_short_label([texts[int(r)] for r in positive_rows]), default_neg_label))
        return fit_axis_from_vectors(positive, negative, model_id=model_id, labels=labels, name=name,
                                     method=method, recipe=recipe, dropped=dropped_p + dropped_n)

    # probes
    emb = need_embeddings()
    ids = [str(i) for i in recipe.get("ids", [])]
    values: list[Any]
    if recipe.get("column") and not recipe.get("labels_values"):
        column = str(recipe["column"])
        if column not in corpus.frame.columns:
            raise AxisError(f"No column {column!r} in this corpus; columns: {', '.join(corpus.metadata_columns)}.")
        frame = corpus.frame if not ids else corpus.frame.filter(pl.col(ID_COLUMN).is_in(ids))
        frame = frame.filter(pl.col(column).is_not_null())
        if recipe.get("classes"):
            classes = [str(c) for c in recipe["classes"]]
            frame = frame.filter(pl.col(column).cast(pl.String).is_in(classes))
        sample = int(recipe.get("sample") or 0)
        if 0 < sample < frame.height:
            frame = frame.sample(n=sample, seed=int(recipe.get("seed", 0)))
        ids, values = frame[ID_COLUMN].to_list(), frame[column].to_list()
    else:
        values = list(recipe.get("labels_values", []))
    if len(ids) != len(values):
        raise AxisError(f"Got {len(ids)} ids but {len(values)} labels.")
    rows = _rows_for_ids(corpus, ids)
    keep = np.asarray(emb.valid)[rows]
    vectors = np.asarray(emb.vectors[rows[keep]], dtype=np.float32)
    kept_values = [v for v, k in zip(values, keep) if k]
    fit = fit_probe(vectors, kept_values, model_id=model_id,
                    kind="ridge" if method == "probe_ridge" else "logistic",
                    positive_class=recipe.get("positive_class"), alpha=float(recipe.get("alpha", 1.0)),
                    name=name, recipe=recipe, label_name=str(recipe.get("column") or "label"))
    if labels_in:
        axis = fit.axis
        fit = AxisFit(Axis(axis.name, axis.model_id, axis.direction, labels_in[0], labels_in[1], axis.method,
                           axis.recipe, axis.explained), fit.positive_vectors, fit.negative_vectors, fit.dropped,
                      fit.labels, fit.quality)
    dropped = [ids[int(i)] for i in np.flatnonzero(~keep)]
    return AxisFit(fit.axis, fit.positive_vectors, fit.negative_vectors, tuple(dropped), fit.labels, fit.quality)


def _short_label(texts: Sequence[str], limit: int = 32) -> str:
    first = " ".join(str(texts[0]).split()) if texts else ""
    label = first if len(first) <= limit else first[: limit - 1] + "…"
    return label + (f" +{len(texts) - 1}" if len(texts) > 1 else "")


# ------------------------------------------------------------------------------------------------
# presets
# ------------------------------------------------------------------------------------------------
def load_presets() -> list[dict[str, Any]]:
    """Axis presets from ``assets/axes/presets.json`` as ``poles`` recipes (name, labels, texts).

    A pole given as ``{"lexicon": "positive"|"negative", "top": N}`` is filled with the N most
    frequent words of Bing Liu's opinion lexicon (``engine.demo.opinion_lexicon``).
    """
    from engine.demo import ASSETS

    raw = json.loads((ASSETS / "axes" / "presets.json").read_text(encoding="utf-8"))
    presets = []
    for entry in raw["presets"]:
        recipe = {"method": "poles", "name": entry["name"], "labels": list(entry["labels"])}
        for pole in ("positive", "negative"):
            recipe[pole] = _preset_pole(entry[pole])
        recipe["description"] = entry.get("description", "")
        presets.append(recipe)
    return presets


def _preset_pole(spec: Any) -> list[str]:
    if isinstance(spec, list):
        return [str(s) for s in spec]
    if isinstance(spec, dict) and "lexicon" in spec:
        from engine.demo import opinion_lexicon

        words = [w for w in opinion_lexicon(str(spec["lexicon"])) if w.isalpha()]
        top = int(spec.get("top", 100))
        try:
            import wordfreq

            words = sorted(words, key=lambda w: -wordfreq.zipf_frequency(w, "en"))
        except ImportError:  # pragma: no cover - wordfreq is in requirements
            pass
        return words[:top]
    raise AxisError(f"Cannot read preset pole {spec!r}: give a list of texts or {{'lexicon': ..., 'top': N}}.")


# ------------------------------------------------------------------------------------------------
# rankability and comparison
# ------------------------------------------------------------------------------------------------
def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import spearmanr

    result = spearmanr(a, b)
    return float(result.statistic)


def numeric_columns(corpus: Corpus) -> list[str]:
    """Metadata columns usable for rankability (numeric or boolean, with two or more values)."""
    columns = []
    for name in corpus.metadata_columns:
        series = corpus.frame[name]
        if (series.dtype.is_numeric() or series.dtype == pl.Boolean) and series.drop_nulls().n_unique() > 1:
            columns.append(name)
    return columns


def rankability(scores: np.ndarray, values: Sequence[Any] | np.ndarray | pl.Series, *, column: str = "value",
                valid: np.ndarray | None = None) -> Rankability:
    """Spearman correlation between axis scores and a numeric/ordinal column.

    Rows where the score is NaN, ``valid`` is False or the value is missing are skipped.

    Raises:
        AxisError: Non-numeric values, or fewer than three usable rows, or a constant column.
    """
    from scipy.stats import spearmanr

    if isinstance(values, pl.Series):
        if values.dtype == pl.Boolean:
            values = values.cast(pl.Int8)
        if not values.dtype.is_numeric():
            raise AxisError(f"Column {column!r} is not numeric; rankability needs numbers or an ordered scale.")
        numeric = values.cast(pl.Float64).fill_null(np.nan).to_numpy()
    else:
        try:
            numeric = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            raise AxisError(f"Column {column!r} is not numeric; rankability needs numbers or an ordered scale.") from None
    scores = np.asarray(scores, dtype=np.float64)
    keep = np.isfinite(scores) & np.isfinite(numeric)
    if valid is not None:
        keep &= np.asarray(valid, dtype=bool)
    if keep.sum() < 3:
        raise AxisError(f"Only {int(keep.sum())} rows have both a score and a {column!r} value; need at least 3.")
    if np.ptp(numeric[keep]) == 0:
        raise AxisError(f"Column {column!r} has one value only; nothing to rank against.")
    result = spearmanr(scores[keep], numeric[keep])
    return Rankability(column, float(result.statistic), float(result.pvalue), int(keep.sum()))


def few_vs_all_rankability(
    embeddings: Embeddings,
    values: Sequence[Any] | np.ndarray | pl.Series,
    *,
    column: str = "value",
    k: int = 10,
    test_fraction: float = 0.3,
    alpha: float = 1.0,
    seed: int = 0,
) -> dict[str, Any]:
    """Spearman on held-out rows of a ridge probe fitted on ``k`` labelled rows vs all training rows.

    The rows with a value are split once (seeded) into train and test; both probes are scored on
    the same test rows, so the two numbers are comparable and neither is in-sample.

    Returns:
        ``{"column", "k", "n_train", "n_test", "few": Rankability dict, "all": Rankability dict}``.
    """
    numeric = (values.cast(pl.Float64).fill_null(np.nan).to_numpy() if isinstance(values, pl.Series)
               else np.asarray(values, dtype=np.float64))
    usable = np.flatnonzero(np.asarray(embeddings.valid) & np.isfinite(numeric))
    if usable.size < 8:
        raise AxisError(f"Only {usable.size} items have a {column!r} value; need at least 8 to split train/test.")
    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(usable)
    n_test = max(3, int(round(usable.size * test_fraction)))
    test, train = shuffled[:n_test], shuffled[n_test:]
    k = int(min(max(k, 2), train.size))
    few = train[:k]
    if np.ptp(numeric[few]) == 0:  # make sure the few examples are not all one value
        few = train[np.argsort(numeric[train])[np.linspace(0, train.size - 1, k).astype(int)]]
    vectors = embeddings.vectors
    out: dict[str, Any] = {"column": column, "k": int(k), "n_train": int(train.size), "n_test": int(test.size)}
    for label, rows in (("few", few), ("all", train)):
        fit = fit_probe(np.asarray(vectors[rows]), numeric[rows], model_id=embeddings.model_id, alpha=alpha)
        test_scores = np.asarray(vectors[test], dtype=np.float32) @ fit.axis.direction
        out[label] = rankability(test_scores, numeric[test], column=column).as_dict()
    return out


def compare_rankings(rankings: Sequence[Ranking], *, ids: Sequence[str], top: int = 20) -> dict[str, Any]:
    """Agreement of one axis across models: pairwise Spearman/Kendall and the biggest rank jumps.

    Only rows valid in every model are compared; ranks are recomputed over those shared rows.

    Returns:
        ``{"models": [...], "n_shared": int, "pairs": [{"a", "b", "spearman", "kendall"}],
        "ranks": {model_id: (n,) int32 ranks over shared rows, 0 elsewhere},
        "jumps": polars DataFrame id | rank_<model>… | jump (max - min rank), largest first}``
    """
    from scipy.stats import kendalltau, spearmanr

    if len(rankings) < 1:
        raise AxisError("Compare needs at least one model's ranking.")
    shared = np.logical_and.reduce([np.asarray(r.valid) for r in rankings])
    rows = np.flatnonzero(shared)
    if rows.size < 3:
        raise AxisError("Fewer than three items are representable in every chosen model; nothing to compare.")
    models = [r.model_id for r in rankings]
    ranks = {}
    for r in rankings:
        ranks[r.model_id] = ranks_from_scores(np.nan_to_num(r.scores), shared)
    pairs = []
    for i in range(len(rankings)):
        for j in range(i + 1, len(rankings)):
            a, b = rankings[i].scores[rows], rankings[j].scores[rows]
            pairs.append({"a": models[i], "b": models[j], "spearman": float(spearmanr(a, b).statistic),
                          "kendall": float(kendalltau(a, b).statistic)})
    stacked = np.vstack([ranks[m][rows] for m in models]).astype(np.int64)
    jump = stacked.max(axis=0) - stacked.min(axis=0)
    order = np.argsort(-jump, kind="stable")[:top]
    id_list = list(ids)
    jumps = pl.DataFrame({
        ID_COLUMN: [id_list[int(rows[o])] for o in order],
        **{f"rank_{m}": stacked[k, order].tolist() for k, m in enumerate(models)},
        "jump": jump[order].tolist(),
    })
    return {"models": models, "n_shared": int(rows.size), "pairs": pairs, "ranks": ranks, "jumps": jumps}


# ------------------------------------------------------------------------------------------------
# tables
# ------------------------------------------------------------------------------------------------
def ranked_frame(corpus: Corpus, ranking: Ranking, *, band: StabilityBand | None = None) -> pl.DataFrame:
    """rank | id | text | score | (rank_low, rank_high) | metadata…, valid rows only, most positive first."""
    order = ranking.order()
    frame = corpus.frame[order.tolist()] if order.size else corpus.frame.head(0)
    columns: dict[str, Any] = {
        "rank": ranking.ranks[order],
        ID_COLUMN: frame[ID_COLUMN],
        TEXT_COLUMN: frame[TEXT_COLUMN],
        "score": ranking.scores[order],
    }
    if band is not None:
        columns["rank_low"] = band.rank_low[order]
        columns["rank_high"] = band.rank_high[order]
    out = pl.DataFrame(columns)
    meta = [c for c in corpus.metadata_columns if c not in out.columns]
    return out.hstack(frame.select(meta)) if meta else out


# ------------------------------------------------------------------------------------------------
# the store: axes saved by name
# ------------------------------------------------------------------------------------------------
def axis_key(name: str) -> str:
    """A store key for an axis name ("good ↔ bad" -> "good-bad")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:80]
    return slug or "axis"


def _vector_key(key: str, model_id: str) -> str:
    model_slug = re.sub(r"[^A-Za-z0-9_-]+", "-", model_id).strip("-") or "model"
    return f"{key}__{model_slug}"


def save_axis(store: Store, corpus_id: str, fit_or_axis: AxisFit | Axis, *, name: str | None = None) -> str:
    """Save an axis by name for a corpus: its recipe (JSON) and its direction (.npy) per model.

    Saving the same name from another model adds that model's direction. Returns the key.
    """
    axis = fit_or_axis.axis if isinstance(fit_or_axis, AxisFit) else fit_or_axis
    display = (name or axis.name).strip()
    if not display:
        raise AxisError("Give the axis a name before saving it.")
    key = axis_key(display)
    existing = store.load_json(corpus_id, NAMESPACE, key) or {}
    recipe = {k: v for k, v in axis.recipe.items() if k != "name"}
    same_recipe = existing.get("recipe") == recipe
    models = dict(existing.get("models", {})) if same_recipe else {}
    if not same_recipe:  # a new recipe under an old name: its other models' directions are stale
        for entry in existing.get("models", {}).values():
            store.delete_artifact(corpus_id, NAMESPACE, entry["vector_key"])
    models[axis.model_id] = {"explained": axis.explained, "vector_key": _vector_key(key, axis.model_id),
                             "dimension": int(axis.direction.shape[0])}
    store.save_array(corpus_id, NAMESPACE, _vector_key(key, axis.model_id), np.asarray(axis.direction))
    store.save_json(corpus_id, NAMESPACE, key, {
        "key": key, "name": display, "method": axis.method, "recipe": recipe,
        "labels": [axis.positive_label, axis.negative_label], "models": models,
    })
    return key


def list_axes(store: Store, corpus_id: str) -> list[dict[str, Any]]:
    """Saved axes of a corpus: ``[{"key", "name", "method", "recipe", "labels", "models"}]``."""
    out = []
    for key in store.list_artifacts(corpus_id, NAMESPACE):
        if "__" in key:
            continue
        record = store.load_json(corpus_id, NAMESPACE, key)
        if record:
            out.append(record)
    return sorted(out, key=lambda r: r["name"].lower())


def load_axis(store: Store, corpus_id: str, name_or_key: str, model_id: str) -> Axis:
    """A saved axis in ``model_id``'s space (its stored direction).

    Raises:
        AxisError: If no such axis is saved, or it was not saved for this model (rebuild it from
            the recipe with :func:`fit_axis_from_recipe`).
    """
    record = saved_axis(store, corpus_id, name_or_key)
    entry = record["models"].get(model_id)
    direction = store.load_array(corpus_id, NAMESPACE, entry["vector_key"], mmap=False) if entry else None
    if direction is None:
        raise AxisError(
            f"The axis {record['name']!r} was not saved for {model_id!r}; rebuild it from its recipe in this model."
        )
    labels = record.get("labels", ["positive", "negative"])
    return Axis(record["name"], model_id, np.asarray(direction, dtype=np.float32), labels[0], labels[1],
                record["method"], {**record["recipe"], "name": record["name"]}, entry.get("explained"))


def saved_axis(store: Store, corpus_id: str, name_or_key: str) -> dict[str, Any]:
    """The saved record (recipe, labels, models) of an axis by name or key."""
    record = store.load_json(corpus_id, NAMESPACE, axis_key(name_or_key))
    if not record:
        names = [r["name"] for r in list_axes(store, corpus_id)]
        raise AxisError(f"No saved axis {name_or_key!r} for this corpus. Saved: {', '.join(names) or 'none'}.")
    return record


def delete_axis(store: Store, corpus_id: str, name_or_key: str) -> None:
    record = saved_axis(store, corpus_id, name_or_key)
    for entry in record.get("models", {}).values():
        store.delete_artifact(corpus_id, NAMESPACE, entry["vector_key"])
    store.delete_artifact(corpus_id, NAMESPACE, record["key"])


def recipe_for_saved(record: Mapping[str, Any]) -> dict[str, Any]:
    """The recipe of a saved axis, with its name and labels, ready for fit_axis_from_recipe."""
    return {**record["recipe"], "name": record["name"], "labels": list(record.get("labels", []))}


def color_scores_payload(corpus: Corpus, ranking: Ranking) -> dict[str, Any]:
    """The ``COLOR_SCORES`` hand-off (corpus_id, name, ids, scores) for valid rows."""
    rows = np.flatnonzero(ranking.valid)
    ids = corpus.ids
    return {"corpus_id": corpus.corpus_id, "name": ranking.axis_name, "model_id": ranking.model_id,
            "ids": [ids[int(r)] for r in rows], "scores": [float(s) for s in ranking.scores[rows]]}

