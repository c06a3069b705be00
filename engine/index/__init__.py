"""Nearest-neighbour indexes (the only package that imports faiss).

* ``core``   ``SearchIndex``: exact below a size threshold, HNSW above; load-aware routing; search.
* ``graph``  faiss helpers for the stored kNN graph (:mod:`engine.knn`): HNSW graph, batched searches.
"""
from engine.index.core import (  # noqa: F401
    APPROX_THRESHOLD,
    FAISS_THREADS,
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_M,
    IndexChoice,
    IndexKind,
    Rows,
    Scores,
    SearchIndex,
    _PARALLEL_MIN_ROWS,
    build_index,
    exact_top_k,
    hnsw_recall,
    machine_busy,
    recall_at_k,
    search_vector,
    search_vectors,
)
from engine.index.graph import (  # noqa: F401
    batch_threads,
    build_hnsw_graph,
    exact_search_positions,
    hnsw_search_positions,
)
