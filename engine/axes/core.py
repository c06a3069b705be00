"""The core of an axis: seed vectors -> unit direction -> scores -> ranks (and the ranked table).

Stable API other areas import (through ``engine.axes``): :func:`fit_axis_from_vectors`,
:func:`score`, :func:`project_onto`, :func:`rank`, :func:`ranks_from_scores`.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.errors import AxisError
from engine.types import ID_COLUMN, TEXT_COLUMN, Axis, Corpus, Embeddings
from engine.vectors import unit_vector

if TYPE_CHECKING:
    from engine.axes.recipes import AxisRecipe
    from engine.axes.stability import StabilityBand

Scores = npt.NDArray[np.float32]  # (n,)


@dataclass(frozen=True, slots=True, eq=False)
class AxisFit:
    """A fitted axis and what it was fitted from (needed for the bootstrap stability band).

    Attributes:
        axis: The axis (unit direction + recipe as JSON-ready data).
        positive_vectors: (p, d) float32 seed vectors of the positive pole actually used (for a
            probe: the labelled vectors; for an expression: the positive terms; for word pairs:
            the first members).
        negative_vectors: (q, d) float32 seed vectors of the negative pole (probe: empty; word
            pairs: the second members, row-aligned with the first).
        dropped: Pole inputs the model could not represent (e.g. words unknown to GloVe), shown
            to the user; they were not used.
        labels: For probes, the (m,) float64 numeric labels (ridge) or 0/1 classes (logistic)
            matching ``positive_vectors``; else None.
        quality: Plain numbers describing the fit (e.g. ``{"train_accuracy": 0.97}``).
        recipe: The typed recipe with every parameter the fit used (e.g. a probe's ``alpha``),
            so a refit (the stability band) uses the same ones; None for bare vectors.
    """

    axis: Axis
    positive_vectors: np.ndarray
    negative_vectors: np.ndarray
    dropped: tuple[str, ...] = ()
    labels: np.ndarray | None = None
    quality: dict[str, float] = field(default_factory=dict)
    recipe: AxisRecipe | None = None

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


def unit_direction(vector: np.ndarray, what: str = "axis direction") -> np.ndarray:
    """(d,) float32 read-only unit vector; AxisError when ``vector`` is (close to) zero."""
    unit = unit_vector(vector)
    if unit is None:
        raise AxisError(
            f"The {what} is zero: both poles point the same way in this model. Use poles that differ "
            "in meaning (or more seed examples)."
        )
    direction = unit.astype(np.float32)
    direction.setflags(write=False)
    return direction


def as_matrix(vectors: np.ndarray | Sequence[Sequence[float]], what: str) -> np.ndarray:
    """(m, d) float32 seed matrix of one pole (a 1-D input is one row); AxisError when empty."""
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


def recipe_dict(recipe: AxisRecipe | Mapping[str, Any] | None, method: str) -> dict[str, Any]:
    """The JSON-ready recipe an :class:`~engine.types.Axis` carries."""
    if recipe is None:
        return {"method": method}
    return recipe.to_dict() if hasattr(recipe, "to_dict") else dict(recipe)  # type: ignore[union-attr]


def fit_axis_from_vectors(
    positive_vectors: np.ndarray,
    negative_vectors: np.ndarray,
    *,
    model_id: str,
    labels: tuple[str, str] = ("positive", "negative"),
    name: str | None = None,
    method: str = "poles",
    recipe: AxisRecipe | Mapping[str, Any] | None = None,
    combine: Literal["mean", "sum"] = "mean",
    dropped: Sequence[str] = (),
) -> AxisFit:
    """Fit the direction from the negative pole's seeds to the positive pole's seeds.

    Stable API. The direction is ``mean(positive) - mean(negative)`` (``combine="sum"``: sums,
    as in the analogy arithmetic ``king - man + woman``), normalised. The negative pole may be
    empty (then the axis points toward the positive seeds).

    Args:
        positive_vectors: (p, d) seed vectors of the end scores grow toward.
        negative_vectors: (q, d) seed vectors of the other end; (0, d) allowed.
        model_id: The model whose space the vectors live in.
        labels: Display labels (positive, negative).
        name: Display name; default ``"<positive> ↔ <negative>"``.
        method: Recorded in the axis (see ``engine.axes``).
        recipe: The typed recipe (or its JSON-ready dict); default ``{"method": method}``.
        combine: "mean" (poles) or "sum" (expressions).
        dropped: Inputs that were not representable, to report.

    Returns:
        An AxisFit whose axis scores the positive pole's mean above the negative pole's.

    Raises:
        AxisError: For an empty positive pole, mismatched dimensions or identical poles.
    """
    positive = as_matrix(positive_vectors, "positive")
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
    direction = unit_direction(raw)
    axis = Axis(
        name=name or f"{labels[0]} ↔ {labels[1]}",
        model_id=model_id,
        direction=direction,
        positive_label=labels[0],
        negative_label=labels[1],
        method=method,
        recipe=recipe_dict(recipe, method),
        explained=_explained(direction, positive, negative) if negative.shape[0] else None,
    )
    typed = recipe if hasattr(recipe, "to_dict") else None
    return AxisFit(axis, positive.copy(), negative.copy(), tuple(dropped), recipe=typed)  # type: ignore[arg-type]


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
