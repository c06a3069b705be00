"""Rankability: does an axis order the corpus like a numeric column does?

Spearman (scipy) between axis scores and a numeric/ordinal metadata column, and the "few vs
all" check: a ridge probe fitted on k labelled items and one fitted on all training items, both
scored on the same held-out rows, so neither number is in-sample.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from engine.axes.probes import fit_probe
from engine.errors import AxisError
from engine.types import Corpus, Embeddings


@dataclass(frozen=True, slots=True)
class Rankability:
    """Spearman correlation between axis scores and a numeric column (rows with both values)."""

    column: str
    spearman: float
    p_value: float
    n: int

    def as_dict(self) -> dict[str, Any]:
        return {"column": self.column, "spearman": self.spearman, "p_value": self.p_value, "n": self.n}


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
