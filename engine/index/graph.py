"""faiss helpers for the stored kNN graph (engine.knn): an HNSW graph over a matrix, and batched
exact or HNSW searches returning matrix positions. faiss stays inside the ``engine.index`` package.
"""
from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import faiss
import numpy as np

from engine.index.core import FAISS_THREADS, HNSW_EF_CONSTRUCTION, HNSW_M, _build_hnsw, machine_busy  # noqa: F401


def build_hnsw_graph(matrix: np.ndarray, progress: Callable[[int, int], None] | None = None, *,
                     m: int = HNSW_M, ef_construction: int = HNSW_EF_CONSTRUCTION) -> Any:
    """A faiss HNSW index (inner product) over ``matrix`` for :mod:`engine.knn`; it is searched
    once for every row, so it is not stored. Load-aware threads, as for batch searches."""
    return _build_hnsw(np.ascontiguousarray(matrix, dtype=np.float32), progress, m=m,
                       ef_construction=ef_construction, threads=batch_threads())


def batch_threads() -> int:
    """OpenMP threads for a long batch (kNN graphs): every core when idle, one when the machine is busy
    (spin-waiting OpenMP threads made searches 10-50x slower under load, see the Search benchmarks)."""
    return 1 if machine_busy() else (os.cpu_count() or 1)


def _batched_positions(
    search: Callable[[np.ndarray, int], tuple[np.ndarray, np.ndarray]],
    queries: np.ndarray,
    k: int,
    *,
    threads: int,
    block: int,
    progress: Callable[[int, int], None] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """Run ``search(queries_block, k) -> (distances, labels)`` over blocks of queries with ``threads``
    OpenMP threads; (positions (q, k) int64, similarities (q, k) float32), -1 / NaN padded."""
    q = queries.shape[0]
    positions = np.full((q, k), -1, dtype=np.int64)
    similarities = np.full((q, k), np.nan, dtype=np.float32)
    if q == 0 or k == 0:
        return positions, similarities
    faiss.omp_set_num_threads(threads)
    try:
        for start in range(0, q, block):
            stop = min(start + block, q)
            distances, labels = search(queries[start:stop], k)
            positions[start:stop] = labels
            similarities[start:stop] = np.where(labels >= 0, distances, np.nan)
            if progress:
                progress(stop, q)
    finally:
        faiss.omp_set_num_threads(FAISS_THREADS)
    return positions, similarities


def hnsw_search_positions(
    hnsw: Any,
    queries: np.ndarray,
    k: int,
    *,
    ef_search: int,
    block: int = 20_000,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Batched HNSW search: (positions (m, k) int64, similarities (m, k) float32), best first.

    Positions index the matrix the graph was built on; slots with no result are -1 and NaN
    (the padding convention of :func:`engine.vectors.knn_graph`). A batch of thousands of queries
    keeps every core busy, so it uses all of them (single queries use ``FAISS_THREADS``).
    """
    params = faiss.SearchParametersHNSW()
    params.efSearch = max(int(ef_search), k)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    return _batched_positions(lambda block_queries, kk: hnsw.search(block_queries, kk, params=params), queries,
                              k if hnsw.ntotal else 0, threads=batch_threads(), block=block, progress=progress)


def exact_search_positions(
    matrix: np.ndarray,
    queries: np.ndarray,
    k: int,
    *,
    block: int = 4_096,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force top-k by inner product for many queries: (positions (q, k), similarities (q, k)).

    ``faiss.knn`` in blocks of queries (BLAS products with a heap selection: ~4x faster than numpy's
    ``argpartition`` over the full rows, measured in bench/compare.py). Ties come back in no fixed
    order; :mod:`engine.knn` re-orders them by row id. Padding is -1 / NaN. All cores are used
    when the machine is idle, one when it is busy (:func:`batch_threads`).
    """
    matrix = np.ascontiguousarray(matrix, dtype=np.float32)
    queries = np.ascontiguousarray(queries, dtype=np.float32)
    return _batched_positions(
        lambda block_queries, kk: faiss.knn(block_queries, matrix, kk, metric=faiss.METRIC_INNER_PRODUCT),
        queries, min(int(k), matrix.shape[0]), threads=batch_threads(),
        block=block, progress=progress)
