"""The kNN graph geometry reads (hubness, intrinsic dimension).

One adapter, so the rest of the package does not care where the graph comes from: the shared
stored graph of the compare area (``engine.knn``, exact up to ~20k rows, HNSW with a measured
recall beyond) when it is available, else an exact graph from ``engine.vectors.knn_graph`` stored
under this package's namespace.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from engine.types import Embeddings

NAMESPACE = "geometry"
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True, eq=False)
class NeighborGraph:
    neighbors: np.ndarray  # (n, k) int64 rows, -1 = none; the item itself excluded
    similarities: np.ndarray  # (n, k) float32 cosines, best first
    method: str  # "exact" | "hnsw"
    recall: float | None  # measured recall@k of an approximate graph (1.0 for exact)


def _key(embeddings: Embeddings, k: int) -> str:
    from engine.project import _model_revision

    recipe = {"model_id": embeddings.model_id, "revision": _model_revision(embeddings.model_id),
              "shape": list(embeddings.vectors.shape), "n_valid": int(np.asarray(embeddings.valid).sum()), "k": k}
    digest = hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    return f"knn{k}-{digest}"


def neighbor_graph(store, corpus_id: str, embeddings: Embeddings, k: int = 10,
                   progress: Progress | None = None) -> NeighborGraph:
    """The k-nearest-neighbour graph of a corpus in one model's space (stored; built on first use)."""
    try:
        from engine.knn import knn_graph  # the compare area's shared stored graph
    except ImportError:
        knn_graph = None
    if knn_graph is not None:
        graph = knn_graph(store, corpus_id, embeddings, k, progress=progress)
        return NeighborGraph(np.asarray(graph.neighbors), np.asarray(graph.similarities), str(graph.method),
                             None if graph.recall is None else float(graph.recall))
    from engine.vectors import knn_graph as exact_graph

    key = _key(embeddings, k)
    neighbors = store.load_array(corpus_id, NAMESPACE, key + "-rows") if store is not None else None
    similarities = store.load_array(corpus_id, NAMESPACE, key + "-sims") if store is not None else None
    if neighbors is None or similarities is None:
        neighbors, similarities = exact_graph(embeddings.vectors, k, valid=embeddings.valid, progress=progress)
        if store is not None:
            store.save_array(corpus_id, NAMESPACE, key + "-sims", similarities)
            store.save_array(corpus_id, NAMESPACE, key + "-rows", neighbors)
    return NeighborGraph(np.asarray(neighbors), np.asarray(similarities), "exact", 1.0)
