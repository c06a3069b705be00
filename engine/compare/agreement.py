"""Neighbour agreement between two models, item by item: Jaccard@k, overlap@k, rank-biased overlap.

Both models' neighbour lists come from their stored kNN graphs (:mod:`engine.knn`: exact, the
item itself excluded, ties broken by row id). Rows either model cannot represent are excluded
from the pair and counted; neighbours outside the rows both models represent are dropped and both
lists cut to the shorter one, so a word model's missing rows never count as disagreement.

* **Jaccard@k** = |A ∩ B| / |A ∪ B| (the Embedding Comparator's measure).
* **overlap@k** = |A ∩ B| / k.
* **RBO** = rank-biased overlap, extrapolated (Webber, Moffat & Zobel 2010, eq. 32) at depth k
  with persistence p: 1 for identical lists, and top ranks weigh more than late ones.
* **Chance** for two random k-sets out of N = n − 1 candidates: E|A ∩ B| = k²/N, so
  Jaccard ≈ k / (2N − k), overlap@k ≈ k / N; RBO's chance value uses E|A_d ∩ B_d| = d²/N.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from engine.knn import KnnGraph, KnnError
from engine.vectors import order_by_similarity

DEFAULT_P = 0.9  # RBO persistence: at k = 10 the first 10 ranks carry ~65 % of the weight
_CHUNK_ELEMENTS = 1 << 24  # bool comparisons per chunk in the (rows, k, k) match tensor


@dataclass(frozen=True, slots=True, eq=False)
class PairAgreement:
    """Per-item agreement of two models' neighbour lists (NaN for excluded rows).

    Attributes:
        model_a, model_b: The two models.
        k: Neighbours compared per item.
        p: RBO persistence.
        jaccard, overlap, rbo: (n,) float64, read-only.
        n_shared: Rows both models represent (compared).
        n_excluded: Rows left out because one of the models cannot represent them.
        chance_jaccard, chance_overlap, chance_rbo: Expected values for two random k-sets.
    """

    model_a: str
    model_b: str
    k: int
    p: float
    jaccard: np.ndarray
    overlap: np.ndarray
    rbo: np.ndarray
    n_shared: int
    n_excluded: int
    chance_jaccard: float
    chance_overlap: float
    chance_rbo: float

    def __post_init__(self) -> None:
        for array in (self.jaccard, self.overlap, self.rbo):
            array.setflags(write=False)

    @property
    def label(self) -> str:
        return pair_label(self.model_a, self.model_b)

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures (no arrays)."""
        j, r, o = (a[np.isfinite(a)] for a in (self.jaccard, self.rbo, self.overlap))
        return {
            "model_a": self.model_a, "model_b": self.model_b, "k": self.k, "rbo_p": self.p,
            "n_shared": self.n_shared, "n_excluded": self.n_excluded,
            "mean_jaccard": _mean(j), "median_jaccard": float(np.median(j)) if j.size else None,
            "mean_overlap": _mean(o), "mean_rbo": _mean(r), "median_rbo": float(np.median(r)) if r.size else None,
            "share_identical": _mean(j == 1.0), "share_disjoint": _mean(j == 0.0),
            "chance_jaccard": self.chance_jaccard, "chance_overlap": self.chance_overlap,
            "chance_rbo": self.chance_rbo,
        }


def _mean(values: np.ndarray) -> float | None:
    return float(np.mean(values)) if values.size else None


def pair_label(model_a: str, model_b: str) -> str:
    return f"{model_a} vs {model_b}"


def graph_valid(graph: KnnGraph) -> np.ndarray:
    """(n,) True for rows the graph's model represents (they have at least one neighbour)."""
    return np.asarray(graph.neighbors[:, 0] >= 0) if graph.k else np.zeros(graph.n, dtype=bool)


def chance(n_candidates: int, k: int, p: float = DEFAULT_P) -> tuple[float, float, float]:
    """(Jaccard, overlap@k, RBO) expected for two random k-sets out of ``n_candidates`` items."""
    if n_candidates <= 0:
        return float("nan"), float("nan"), float("nan")
    k = min(k, n_candidates)
    jaccard = k / (2 * n_candidates - k) if 2 * n_candidates > k else 1.0
    depth = np.arange(1, k + 1, dtype=np.float64)
    agreement = np.minimum(depth / n_candidates, 1.0)  # E|A_d ∩ B_d| / d
    rbo = agreement[-1] * p**k + (1 - p) / p * float(np.sum(agreement * p**depth))
    return float(jaccard), float(k / n_candidates), float(rbo)


def list_agreement(a: np.ndarray, b: np.ndarray, k: int, p: float = DEFAULT_P) -> tuple[np.ndarray, ...]:
    """Jaccard, overlap@k and RBO of paired neighbour lists ``a``, ``b`` (q, k); -1 = no entry.

    Vectorised over rows (a (chunk, k, k) match tensor). Lists are sets of distinct rows.
    """
    q = a.shape[0]
    jaccard, overlap, rbo = (np.full(q, np.nan) for _ in range(3))
    depth = np.arange(1, k + 1)
    weights = p**depth
    step = max(1, _CHUNK_ELEMENTS // max(k * k, 1))
    for start in range(0, q, step):
        sa, sb = a[start:start + step], b[start:start + step]
        match = (sa[:, :, None] == sb[:, None, :]) & (sa[:, :, None] >= 0)
        matched = match.any(axis=2)
        inter = matched.sum(axis=1)
        union = (sa >= 0).sum(axis=1) + (sb >= 0).sum(axis=1) - inter
        with np.errstate(invalid="ignore", divide="ignore"):
            jaccard[start:start + step] = np.where(union > 0, inter / np.maximum(union, 1), np.nan)
        overlap[start:start + step] = inter / k
        # an element at rank i in a and rank j in b is in both prefixes from depth max(i, j) + 1 on
        where_b = np.where(matched, np.argmax(match, axis=2), k)
        joined = np.where(matched, np.maximum(np.arange(k)[None, :], where_b) + 1, k + 1)
        shared_at = (joined[:, :, None] <= depth[None, None, :]).sum(axis=1)  # (chunk, k): |A_d ∩ B_d|
        agreement = shared_at / depth
        rbo[start:start + step] = agreement[:, -1] * p**k + (1 - p) / p * (agreement * weights).sum(axis=1)
    return jaccard, overlap, rbo


def _shared_prefixes(a: np.ndarray, b: np.ndarray, shared: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop neighbours only one model can represent, then cut both lists to the shorter length.

    What is left of each list is that model's exact top-m among the shared rows (order kept), so
    a row is compared at the depth both lists reach (m <= k) and equal spaces still agree fully.
    """
    keep_a = (a >= 0) & shared[np.clip(a, 0, None)]
    keep_b = (b >= 0) & shared[np.clip(b, 0, None)]
    a = np.take_along_axis(np.where(keep_a, a, -1), np.argsort(~keep_a, axis=1, kind="stable"), axis=1)
    b = np.take_along_axis(np.where(keep_b, b, -2), np.argsort(~keep_b, axis=1, kind="stable"), axis=1)
    depth = np.minimum(keep_a.sum(axis=1), keep_b.sum(axis=1))[:, None]
    cut = np.arange(a.shape[1])[None, :] >= depth
    return np.where(cut, -1, a), np.where(cut, -2, b)


def pair_agreement(graph_a: KnnGraph, graph_b: KnnGraph, *, k: int | None = None,
                   p: float = DEFAULT_P) -> PairAgreement:
    """Per-item Jaccard@k, overlap@k and RBO between two models' kNN graphs of one corpus.

    Raises:
        KnnError: If the graphs are of different corpora or sizes, or k exceeds a graph's k.
    """
    if graph_a.corpus_id != graph_b.corpus_id or graph_a.n != graph_b.n:
        raise KnnError("Both kNN graphs must be of the same corpus.")
    k = min(graph_a.k, graph_b.k) if k is None else int(k)
    if k < 1 or k > min(graph_a.k, graph_b.k):
        raise KnnError(f"k must be between 1 and {min(graph_a.k, graph_b.k)} for these graphs, got {k}.")
    if not 0 < p < 1:
        raise KnnError(f"The RBO persistence p must be between 0 and 1, got {p}.")
    shared = graph_valid(graph_a) & graph_valid(graph_b)
    rows = np.flatnonzero(shared)
    a = np.asarray(graph_a.neighbors[rows, :k])
    b = np.asarray(graph_b.neighbors[rows, :k])
    if not (graph_valid(graph_a) == graph_valid(graph_b)).all():
        a, b = _shared_prefixes(a, b, shared)
    j, o, r = list_agreement(a, b, k, p)
    n = graph_a.n
    jaccard, overlap, rbo = (np.full(n, np.nan) for _ in range(3))
    jaccard[rows], overlap[rows], rbo[rows] = j, o, r
    cj, co, cr = chance(rows.size - 1, k, p)
    return PairAgreement(model_a=graph_a.model_id, model_b=graph_b.model_id, k=k, p=p, jaccard=jaccard,
                         overlap=overlap, rbo=rbo, n_shared=int(rows.size), n_excluded=int(n - rows.size),
                         chance_jaccard=cj, chance_overlap=co, chance_rbo=cr)


def full_ranks(vectors: np.ndarray, valid: np.ndarray, row: int) -> np.ndarray:
    """(n,) rank (1 = nearest) of every row as a neighbour of ``row``; 0 for itself and invalid rows.

    Ties broken by row id, like the kNN graph, so ranks 1..k match the graph's list.
    """
    similarity = np.asarray(vectors @ np.asarray(vectors[row]), dtype=np.float32)
    usable = np.asarray(valid, dtype=bool) & np.isfinite(similarity)
    usable[row] = False
    candidates = np.flatnonzero(usable)
    order = order_by_similarity(similarity[candidates], candidates)
    ranks = np.zeros(len(similarity), dtype=np.int64)
    ranks[candidates[order]] = np.arange(1, candidates.size + 1)
    return ranks


def item_view(
    graphs: Mapping[str, KnnGraph],
    vectors: Mapping[str, tuple[np.ndarray, np.ndarray]],
    row: int,
    *,
    ids: Sequence[str],
    labels: Sequence[str],
    k: int | None = None,
) -> dict[str, pl.DataFrame]:
    """One item's neighbour list per model, with each neighbour's rank in the other models.

    Args:
        graphs: model id -> kNN graph.
        vectors: model id -> (vectors (n, d), valid (n,)) for ranks beyond the top k.
        row: The item's row.
        ids, labels: Per-row id and display label.
        k: Neighbours to list (default: the graphs' k).

    Returns:
        model id -> frame ``rank, id, label, similarity, shared (other models listing it),
        rank in <other model>…`` (0 = not ranked: the other model cannot represent it). A model
        that cannot represent the item gets an empty frame.
    """
    models = list(graphs)
    k = min(g.k for g in graphs.values()) if k is None else int(k)
    ranks = {m: full_ranks(*vectors[m], row) if vectors[m][1][row] else None for m in models}
    out: dict[str, pl.DataFrame] = {}
    for model in models:
        neighbors = np.asarray(graphs[model].neighbors[row, :k])
        sims = np.asarray(graphs[model].similarities[row, :k])
        keep = neighbors >= 0
        neighbors, sims = neighbors[keep], sims[keep]
        others = [m for m in models if m != model]
        columns: dict[str, Any] = {
            "rank": np.arange(1, neighbors.size + 1), "id": [str(ids[i]) for i in neighbors],
            "label": [labels[i] for i in neighbors], "similarity": sims.astype(np.float64),
        }
        in_top = [np.isin(neighbors, graphs[o].neighbors[row, :k]) for o in others]
        columns["shared"] = np.sum(in_top, axis=0).astype(np.int64) if others else np.zeros(neighbors.size, np.int64)
        for other in others:
            other_ranks = ranks[other]
            columns[f"rank in {other}"] = (other_ranks[neighbors] if other_ranks is not None
                                           else np.zeros(neighbors.size, dtype=np.int64))
        out[model] = pl.DataFrame(columns)
    return out


def overlap_at_k(results: Mapping[str, Any]) -> pl.DataFrame:
    """Pairwise overlap of hit sets: ``model_a, model_b, shared, overlap`` (shared / k, in [0, 1]).

    ``results`` maps a model id to anything with an ``ids`` list (e.g. ``engine.search.SearchResult``);
    k is the longer of the two lists. The same behaviour and signature as Search's original.
    """
    names = list(results)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ids_a, ids_b = set(results[a].ids), set(results[b].ids)
            k = max(len(ids_a), len(ids_b), 1)
            shared = len(ids_a & ids_b)
            rows.append({"model_a": a, "model_b": b, "shared": shared, "overlap": shared / k})
    return pl.DataFrame(rows, schema={"model_a": pl.String, "model_b": pl.String, "shared": pl.Int64,
                                      "overlap": pl.Float64})
