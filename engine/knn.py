"""The kNN graph: every item's k nearest neighbours in one model's full space, stored once.

One stored artifact per corpus and model (every k up to SHARED_K is a slice of it), reused by
Compare (neighbour agreement), Geometry (hubness) and the Map. Ways to build it:

* **exact** (below :data:`EXACT_MAX_ROWS` valid rows, or on request): blocked matrix-matrix
  products through BLAS, a vectorised top-k per block (``argpartition`` then one sort of the
  candidates), ties within :data:`engine.vectors.TIE_TOLERANCE` broken by row id, so the graph
  is the same for every BLAS kernel. It equals :func:`engine.vectors.knn_graph` row for row.
* **clustered** (from :data:`EXACT_MAX_ROWS` rows): exact search within blocks of nearby k-means
  lists, the number of lists probed raised until recall@k against exact search on a seeded tuning
  sample reaches :data:`TUNE_RECALL` (:mod:`engine.knn_approx`, which also keeps the older
  **hnsw** route for explicit requests). The recall reported with the graph is measured on a
  *second*, disjoint sample after the full search, so it is not the number that was tuned.

One graph per corpus and model: with a store it is built with ``max(k, SHARED_K)`` neighbours and
every smaller k is a slice of it (Compare's k = 10, the map's n_neighbors - 1 = 14, Geometry's 10).

The item itself is never its own neighbour (an exact duplicate can be). Rows whose
``Embeddings.valid`` is False have no neighbours (``-1`` / NaN) and are never anyone's neighbour;
``n_invalid`` counts them. Results live under ``corpora/<id>/knn/`` keyed by a hash of the model
id and revision, the embedding shape, a fingerprint of the vectors, k and the method.

Example:
    >>> import numpy as np
    >>> from engine.types import Embeddings
    >>> vectors = np.eye(4, dtype=np.float32)
    >>> graph = knn_graph(None, "c", Embeddings("c", "m", vectors), k=2)
    >>> graph.neighbors.tolist()  # every cosine is 0: ties broken by row id
    [[1, 2], [0, 2], [0, 1], [0, 1]]
"""
from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from engine.errors import EmbedscapeError
from engine.store import derived_key, model_revision
from engine.types import Embeddings
from engine.vectors import TIE_TOLERANCE, top_k

if TYPE_CHECKING:
    from engine.store import Store

KnnMethod = Literal["auto", "exact", "clustered", "hnsw"]
Progress = Callable[[int, int], None]

NAMESPACE = "knn"
SHARED_K = 15  # one stored graph per corpus and model answers every k up to this (sliced)
EXACT_MAX_ROWS = 30_000  # from here "auto" uses the clustered route (engine.knn_approx); before: HNSW (bench/compare.py: exact costs ~n^2; see docs/benchmarks.md)
TUNE_RECALL = 0.995  # efSearch is raised until the tuning sample reaches this (headroom over the 0.99 shown)
REQUIRED_RECALL = 0.99  # figures from a graph below this are flagged
RECALL_SAMPLE = 1_000  # query rows in each of the tuning and the reporting sample
EF_SEARCH_START = 32
HNSW_M = 16  # graph degree: the kNN graph is searched once, so a lighter graph + a tuned efSearch is faster
HNSW_EF_CONSTRUCTION = 40
EF_SEARCH_MAX = 1_024  # past this a full HNSW pass costs more than exact search: fall back to exact
_SLACK = 8  # extra candidates per row, so ties at the k-th place are rarely cut


class KnnError(EmbedscapeError):
    """A kNN graph cannot be built for this input."""

    exit_code = 6


@dataclass(frozen=True, slots=True, eq=False)
class KnnGraph:
    """Each row's k nearest other rows (cosine, full space), best first.

    Attributes:
        corpus_id: The corpus.
        model_id: The model whose space was searched.
        k: Neighbours per row.
        neighbors: (n, k) int64 corpus rows, read-only; ``-1`` where a row has fewer (invalid rows).
        similarities: (n, k) float32 cosine similarities, read-only; NaN where ``neighbors`` is -1.
        method: ``"exact"`` or ``"hnsw"``.
        recall: recall@k against exact search on a seeded sample (1.0 for exact graphs).
        n_valid: Rows that have a vector in this model.
        n_invalid: Rows excluded (no vector in this model).
        params: How it was built (efSearch, M, samples, seed, tie tolerance…).
        seconds: Build time.
        key: Store key ("" when not stored).
        loaded: True when read from the store instead of computed.
    """

    corpus_id: str
    model_id: str
    k: int
    neighbors: np.ndarray
    similarities: np.ndarray
    method: str
    recall: float
    n_valid: int
    n_invalid: int
    params: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    key: str = ""
    loaded: bool = False

    def __post_init__(self) -> None:
        for array in (self.neighbors, self.similarities):
            if array.flags.writeable:
                array.setflags(write=False)

    @property
    def n(self) -> int:
        return int(self.neighbors.shape[0])

    @property
    def recall_ok(self) -> bool:
        return self.recall >= REQUIRED_RECALL

    def summary(self) -> dict[str, Any]:
        """JSON-ready description (no arrays)."""
        return {"corpus_id": self.corpus_id, "model_id": self.model_id, "k": self.k, "n": self.n,
                "method": self.method, "recall": round(self.recall, 4), "n_valid": self.n_valid,
                "n_invalid": self.n_invalid, "params": self.params, "seconds": round(self.seconds, 3),
                "key": self.key}


# -- exact -----------------------------------------------------------------------------------------
def _order_candidates(
    positions: np.ndarray, sims: np.ndarray, own: np.ndarray | None, k: int, m: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's best k candidates ordered by (similarity rounded to TIE_TOLERANCE, position).

    Args:
        positions: (q, c) candidate positions (-1 = none), any order.
        sims: (q, c) their similarities.
        own: (q,) each query's own position (never returned), or None.
        k: How many to keep.
        m: Number of positions (for the key).

    Returns:
        (top (q, k) int64 padded -1, similarities (q, k) float32 padded NaN, unsafe (q,) bool): a row
        is unsafe when the candidate list was full and its weakest candidate ties with the k-th
        kept one, so an equally similar item outside the list might have a lower id.
    """
    usable = positions >= 0
    if own is not None:
        usable &= positions != own[:, None]
    rounded = np.round(np.nan_to_num(sims.astype(np.float64), nan=0.0) / TIE_TOLERANCE)
    # one float64 key orders by (-rounded similarity, position): exact below 2**53 (|rounded| <= ~1e5)
    key = np.where(usable, -rounded * m + positions, np.inf)
    order = np.argsort(key, axis=1, kind="stable")[:, :k]
    top = np.take_along_axis(positions, order, axis=1).astype(np.int64)
    top_sims = np.take_along_axis(sims, order, axis=1).astype(np.float32)
    kept = np.take_along_axis(usable, order, axis=1)
    top[~kept], top_sims[~kept] = -1, np.nan
    unsafe = np.zeros(len(top), dtype=bool)
    if k and positions.shape[1] > k:
        kth = np.take_along_axis(rounded, order[:, k - 1:k], axis=1)[:, 0]
        weakest = np.where(usable, rounded, np.inf).min(axis=1)
        unsafe = (positions >= 0).all(axis=1) & kept[:, -1] & (weakest >= kth)
    return top, top_sims, unsafe


def exact_neighbors(
    matrix: np.ndarray, queries: np.ndarray, query_positions: np.ndarray | None, k: int,
    progress: Progress | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-k positions of ``matrix`` (m, d) for each query (q, d), itself excluded.

    ``query_positions[i]`` is query i's own position in ``matrix`` (or -1); it is never returned.
    Candidates come from a brute-force search (:func:`engine.index.exact_search_positions`) with
    a few spare places; ties are then ordered by position, and the rare rows whose ties run past
    the spare places are redone exactly with :func:`engine.vectors.top_k`.
    """
    from engine.index import exact_search_positions

    m, q = matrix.shape[0], queries.shape[0]
    if m == 0 or q == 0 or k == 0:
        return np.full((q, k), -1, dtype=np.int64), np.full((q, k), np.nan, dtype=np.float32)
    candidates, sims = exact_search_positions(matrix, queries, min(k + 1 + _SLACK, m), progress=progress)
    own = np.full(q, -1, dtype=np.int64) if query_positions is None else np.asarray(query_positions, dtype=np.int64)
    top, top_sims, unsafe = _order_candidates(candidates, sims, own, k, m)
    repair_unsafe(matrix, queries, own, top, top_sims, unsafe)
    return top, top_sims


def repair_unsafe(matrix: np.ndarray, queries: np.ndarray, own: np.ndarray, top: np.ndarray,
                  top_sims: np.ndarray, unsafe: np.ndarray) -> None:
    """Redo the rows whose ties ran past the candidate list exactly (in place), with
    :func:`engine.vectors.top_k` over the whole matrix."""
    k = top.shape[1]
    for i in np.flatnonzero(unsafe):
        scores = np.asarray(matrix @ queries[i], dtype=np.float32)
        if own[i] >= 0:
            scores[own[i]] = -np.inf
        rows, values = top_k(scores, k)
        top[i], top_sims[i] = -1, np.nan
        top[i, :rows.size], top_sims[i, :values.size] = rows, values


# -- approximate -----------------------------------------------------------------------------------
def recall_at_k(found: np.ndarray, found_sims: np.ndarray, truth: np.ndarray, truth_sims: np.ndarray) -> float:
    """Mean share of each row's k true neighbours that ``found`` (q, k) recovers, ties counted.

    A found neighbour counts when it is a true one or as similar as the true k-th (within
    TIE_TOLERANCE): with duplicates, any of the tied items is a correct k-th neighbour.
    """
    true_counts = (truth >= 0).sum(axis=1)
    kth = np.take_along_axis(truth_sims, np.maximum(true_counts - 1, 0)[:, None], axis=1)
    in_truth = ((found[:, :, None] == truth[:, None, :]) & (truth[:, None, :] >= 0)).any(axis=2)
    tied = np.nan_to_num(found_sims, nan=-np.inf) >= kth - TIE_TOLERANCE
    correct = ((in_truth | tied) & (found >= 0)).sum(axis=1)
    share = np.minimum(correct, true_counts) / np.maximum(true_counts, 1)
    return float(share.mean()) if len(share) else 1.0


# -- the graph ---------------------------------------------------------------------------------------
def fingerprint(embeddings: Embeddings) -> str:
    """A cheap content fingerprint of the vectors (up to 64 evenly spaced rows + the valid mask)."""
    vectors = embeddings.vectors
    step = max(1, vectors.shape[0] // 64)
    digest = hashlib.sha1(np.ascontiguousarray(vectors[::step]).tobytes())
    digest.update(np.packbits(np.asarray(embeddings.valid, dtype=bool)).tobytes())
    return digest.hexdigest()[:16]


def resolve_method(n_valid: int, method: KnnMethod) -> str:
    if method not in ("auto", "exact", "clustered", "hnsw"):
        raise KnnError(f"Unknown kNN method {method!r}: use 'auto', 'exact', 'clustered' or 'hnsw'.")
    if method == "auto":
        return "clustered" if n_valid >= EXACT_MAX_ROWS else "exact"
    return method


def graph_key(embeddings: Embeddings, k: int, method: str, seed: int) -> str:
    """Store key: readable prefix + hash of everything the graph depends on."""
    recipe = {"model_id": embeddings.model_id, "revision": model_revision(embeddings.model_id),
              "shape": list(embeddings.vectors.shape), "n_valid": int(np.asarray(embeddings.valid).sum()),
              "fingerprint": fingerprint(embeddings), "k": int(k), "method": method,
              "seed": seed if method != "exact" else None, "tie_tolerance": TIE_TOLERANCE}
    return derived_key(embeddings.model_id, f"k{int(k)}-{method}", recipe)


def load_graph(store: "Store", corpus_id: str, key: str) -> KnnGraph | None:
    """A stored graph by key, or None."""
    summary = store.load_json(corpus_id, NAMESPACE, key)
    if summary is None:
        return None
    neighbors = store.load_array(corpus_id, NAMESPACE, key, mmap=False)
    sims = store.load_array(corpus_id, NAMESPACE, f"{key}.sim", mmap=False)
    if neighbors is None or sims is None:
        return None
    return KnnGraph(corpus_id=corpus_id, model_id=summary["model_id"], k=int(summary["k"]), neighbors=neighbors,
                    similarities=sims, method=summary["method"], recall=float(summary["recall"]),
                    n_valid=int(summary["n_valid"]), n_invalid=int(summary["n_invalid"]),
                    params=summary.get("params", {}), seconds=float(summary.get("seconds", 0.0)), key=key, loaded=True)


_STORED_LABEL = re.compile(r"-k(\d{1,4})-(exact|clustered|hnsw)-[0-9a-f]{12}$")  # derived_key's "<slug>-k<k>-<method>-<hash>"


def _candidate_keys(store: "Store", corpus_id: str, embeddings: Embeddings, k: int, method: KnnMethod,
                    chosen: str, seed: int) -> list[str]:
    """Keys of every stored graph that can answer a request, best first: the requested method
    (for ``"auto"`` then exact, clustered, HNSW: an exact graph always answers; an HNSW one stored
    before the clustered route existed answers when its recall is good, checked by
    :func:`stored_graph`), the smallest k >= the request first. A listed key counts only when it
    is exactly the key these vectors would give (same model revision, fingerprint, seed…)."""
    methods = [chosen] + ([m for m in ("exact", "clustered", "hnsw") if m != chosen] if method == "auto" else [])
    found: list[tuple[int, int, str]] = []
    for key in store.list_artifacts(corpus_id, NAMESPACE):
        match = _STORED_LABEL.search(key)
        if match and int(match.group(1)) >= k and match.group(2) in methods:
            stored_k, stored_method = int(match.group(1)), match.group(2)
            if key == graph_key(embeddings, stored_k, stored_method, seed):
                found.append((methods.index(stored_method), stored_k, key))
    return [key for *_, key in sorted(found)]


def sliced(graph: KnnGraph, k: int) -> KnnGraph:
    """The first ``k`` neighbours of a graph built with more (rows are ordered best first with ties
    by row id, so an exact graph's slice equals the exact graph built with k)."""
    if k >= graph.k:
        return graph
    return KnnGraph(corpus_id=graph.corpus_id, model_id=graph.model_id, k=k,
                    neighbors=np.ascontiguousarray(graph.neighbors[:, :k]),
                    similarities=np.ascontiguousarray(graph.similarities[:, :k]), method=graph.method,
                    recall=graph.recall, n_valid=graph.n_valid, n_invalid=graph.n_invalid,
                    params={**graph.params, "sliced_from_k": graph.k}, seconds=graph.seconds, key=graph.key,
                    loaded=graph.loaded)


def stored_graph(store: "Store", corpus_id: str, embeddings: Embeddings, k: int, *, method: KnnMethod = "auto",
                 seed: int = 0) -> KnnGraph | None:
    """The stored graph that answers this request (sliced to ``k``), or None; never computes."""
    n_valid = int((np.asarray(embeddings.valid, dtype=bool) & np.isfinite(np.asarray(embeddings.vectors)).all(axis=1)).sum())
    chosen = resolve_method(n_valid, method)
    for key in _candidate_keys(store, corpus_id, embeddings, int(k), method, chosen, seed):
        graph = load_graph(store, corpus_id, key)
        if graph is not None and graph.k >= k and (graph.recall_ok or method != "auto"):
            return sliced(graph, int(k))
    return None


def knn_graph(
    store: "Store | None",
    corpus_id: str,
    embeddings: Embeddings,
    k: int,
    progress: Progress | None = None,
    *,
    method: KnnMethod = "auto",
    seed: int = 0,
    recompute: bool = False,
) -> KnnGraph:
    """The stored kNN graph of one model's embeddings of a corpus (computed and stored if new).

    One graph per corpus and model answers every k up to :data:`SHARED_K` (Compare's 10, the
    map's n_neighbors - 1 = 14, Geometry's 10): with a store it is built with
    ``max(k, SHARED_K)`` neighbours and sliced (:func:`sliced`). A stored graph with more
    neighbours, or (for ``"auto"``) of another method with recall >= :data:`REQUIRED_RECALL`,
    is reused.

    Args:
        store: The workspace; None computes (with exactly k) without storing.
        corpus_id: The corpus the embeddings belong to.
        embeddings: Unit rows with their ``valid`` mask.
        k: Neighbours per item (the item itself excluded).
        progress: Optional ``(done, total)`` callback.
        method: ``"auto"`` (exact below :data:`EXACT_MAX_ROWS` valid rows, else clustered),
            ``"exact"``, ``"clustered"`` or ``"hnsw"`` (:mod:`engine.knn_approx`).
        seed: Seed of the recall samples and of the clustered route's k-means.
        recompute: Ignore a stored graph.

    Returns:
        A read-only :class:`KnnGraph` with ``k`` neighbours per row.

    Raises:
        KnnError: For k < 1, an unknown method, or embeddings of another corpus.
    """
    if int(k) < 1:
        raise KnnError(f"k must be at least 1, got {k}.")
    if embeddings.corpus_id != corpus_id:
        raise KnnError(f"These embeddings belong to corpus {embeddings.corpus_id!r}, not {corpus_id!r}.")
    requested = int(k)
    valid = np.asarray(embeddings.valid, dtype=bool) & np.isfinite(np.asarray(embeddings.vectors)).all(axis=1)
    rows = np.flatnonzero(valid)
    chosen = resolve_method(rows.size, method)
    if store is not None and not recompute:
        stored = stored_graph(store, corpus_id, embeddings, requested, method=method, seed=seed)
        if stored is not None:
            if progress:
                progress(1, 1)
            return stored
    k = max(requested, SHARED_K) if store is not None else requested
    key = graph_key(embeddings, k, chosen, seed)
    started = time.perf_counter()
    matrix = np.ascontiguousarray(np.asarray(embeddings.vectors)[rows], dtype=np.float32)
    k_eff = min(k, max(rows.size - 1, 0))
    params: dict[str, Any] = {"seed": seed, "tie_tolerance": TIE_TOLERANCE}
    approximate = None
    if chosen != "exact" and k_eff > 0:
        from engine.knn_approx import approximate_graph

        approximate = approximate_graph(chosen, matrix, k_eff, seed, progress)
    if approximate is not None:
        positions, sims, info = approximate
        recall = float(info.pop("recall"))
        params.update(info)
    else:
        if chosen != "exact" and k_eff > 0:
            params["fallback"] = f"exact: {chosen} search would not reach recall {TUNE_RECALL} cheaper"
        positions, sims = exact_neighbors(matrix, matrix, np.arange(rows.size), k_eff, progress) if k_eff else (
            np.zeros((rows.size, 0), dtype=np.int64), np.zeros((rows.size, 0), dtype=np.float32))
        recall = 1.0
    neighbors = np.full((embeddings.n, k), -1, dtype=np.int64)
    similarities = np.full((embeddings.n, k), np.nan, dtype=np.float32)
    mapped = np.where(positions >= 0, rows[np.clip(positions, 0, None)] if rows.size else -1, -1)
    neighbors[rows, :k_eff] = mapped
    similarities[rows, :k_eff] = sims
    # the method stored is the one that ran (a fallback is exact), but the key stays the request's
    graph = KnnGraph(corpus_id=corpus_id, model_id=embeddings.model_id, k=k, neighbors=neighbors,
                     similarities=similarities, method=chosen if approximate is not None else "exact", recall=recall,
                     n_valid=int(rows.size), n_invalid=int(embeddings.n - rows.size), params=params,
                     seconds=time.perf_counter() - started, key=key if store is not None else "")
    if store is not None:
        store.save_array(corpus_id, NAMESPACE, key, neighbors)
        store.save_array(corpus_id, NAMESPACE, f"{key}.sim", similarities)
        store.save_json(corpus_id, NAMESPACE, key, graph.summary())  # last: a reader that finds it finds both arrays
    if progress:
        progress(1, 1)
    return sliced(graph, requested)
