"""How far to trust a ranking: bootstrap the pole seeds, refit, re-rank, report rank intervals.

Each pole's seeds (probes: the labelled rows; word pairs: the pairs) are resampled with
replacement and the axis is refitted the way it was fitted, with the parameters kept in the
fit's recipe (a probe's ``alpha``). The band is vectorised (docs/benchmarks.md, Axes);
:func:`stability_band_naive` is the per-resample loop it replaced, kept as the benchmark's baseline.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.axes.core import AxisFit
from engine.axes.probes import logistic_direction, ridge_direction
from engine.config import AXES_PROBE_BAND_MAX_RESAMPLES, AXES_PROBE_BAND_MAX_ROWS
from engine.errors import AxisError
from engine.types import Embeddings
from engine.vectors import unit_rows

PROBE_METHODS = ("probe_ridge", "probe_logistic")


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
    """(B, d) float32 unit directions refitted on resampled pole seeds (probes: resampled rows;
    word pairs: resampled pairs), each refitted the way ``fit`` was made."""
    rng = np.random.default_rng(seed)
    method = fit.axis.method
    if method in PROBE_METHODS:
        return _bootstrap_probe(fit, n_resamples=n_resamples, rng=rng)
    if method == "pair_pca":
        return _bootstrap_pairs(fit, n_resamples=n_resamples, rng=rng)
    combine = "sum" if method == "expression" else "mean"
    raw = _resample_means(fit.positive_vectors, n_resamples, rng, combine)
    if fit.negative_vectors.shape[0]:
        raw = raw - _resample_means(fit.negative_vectors, n_resamples, rng, combine)
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    fallback = np.broadcast_to(fit.axis.direction, raw.shape)
    return np.where(norms > 1e-9, unit_rows(raw), fallback).astype(np.float32)


def _bootstrap_probe(fit: AxisFit, *, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    vectors, labels = fit.positive_vectors, fit.labels
    if labels is None:
        raise AxisError("This probe fit has no labels to resample.")
    # the fit's own parameters: a probe fitted with alpha=10 is refitted with alpha=10
    alpha = float(getattr(fit.recipe, "alpha", 1.0))
    refit = ridge_direction if fit.axis.method == "probe_ridge" else logistic_direction
    out = np.empty((n_resamples, vectors.shape[1]), dtype=np.float32)
    for b in range(n_resamples):
        rows = rng.integers(0, vectors.shape[0], vectors.shape[0])
        sample = labels[rows]
        if np.ptp(sample) == 0:  # a resample with one label only: keep the fitted direction
            out[b] = fit.axis.direction
            continue
        raw = refit(vectors[rows], sample, alpha)
        norm = np.linalg.norm(raw)
        out[b] = raw / norm if norm > 1e-9 else fit.axis.direction
    return out


def _bootstrap_pairs(fit: AxisFit, *, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Resample the definitional pairs (rows of positive/negative vectors stay paired)."""
    from engine.bias import pair_pca  # lazily: the bias package is only needed for word-pair axes

    first, second = fit.positive_vectors, fit.negative_vectors
    out = np.empty((n_resamples, first.shape[1]), dtype=np.float32)
    for b in range(n_resamples):
        rows = rng.integers(0, first.shape[0], first.shape[0])
        if np.unique(rows).size < 2:  # one pair only: its PCA is that pair's difference
            out[b] = fit.axis.direction
            continue
        out[b] = pair_pca(first[rows], second[rows])[0]
    return out


@dataclass(frozen=True, slots=True)
class BandPlan:
    """How many resamples a band may use (0 = no band) and why, in plain words (or "")."""

    n_resamples: int
    note: str = ""


def band_plan(fit: AxisFit, n_resamples: int) -> BandPlan:
    """Resamples for ``fit``'s band under the policy caps (engine.config).

    A probe's band refits the probe per resample (~0.1 s per ridge refit at 2.6k labelled rows),
    so probes get at most AXES_PROBE_BAND_MAX_RESAMPLES and none above AXES_PROBE_BAND_MAX_ROWS.
    """
    if fit.axis.method not in PROBE_METHODS:
        return BandPlan(int(n_resamples))
    rows = int(fit.positive_vectors.shape[0])
    if rows > AXES_PROBE_BAND_MAX_ROWS:
        return BandPlan(0, f"No stability band: the probe has {rows:,} labelled items and every resample would "
                           f"refit it (limit {AXES_PROBE_BAND_MAX_ROWS:,}). Fit it from a sample to see one.")
    if n_resamples > AXES_PROBE_BAND_MAX_RESAMPLES:
        return BandPlan(AXES_PROBE_BAND_MAX_RESAMPLES, "Probe axes refit the probe per resample, so the band uses "
                                                       f"{AXES_PROBE_BAND_MAX_RESAMPLES} resamples.")
    return BandPlan(int(n_resamples))


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


