"""A reproducible *parallel* UMAP layout: umap-learn's fuzzy graph and objective, our own epoch loop.

umap-learn 0.5.12 runs single-threaded whenever it is seeded: its parallel SGD is Hogwild (threads
update shared positions without locks), so the result depends on thread timing. The large-map
route therefore keeps umap-learn for what is deterministic anyway — the fuzzy simplicial set from
the stored kNN graph (``fuzzy_simplicial_set``), the curve parameters ``a, b`` (``find_ab_params``)
and the edge sampling schedule (``make_epochs_per_sample``) — and runs the epochs with
:func:`engine.project.layout_kernel.layout_epoch`, which is parallel over vertices and
deterministic: within an epoch every vertex moves itself against the previous epoch's positions
(a Jacobi-style sweep instead of umap's in-place Gauss–Seidel one), with its own random stream for
negative samples. Same inputs and seed → the same coordinates bit for bit on one machine, with 1
thread or many. The start is a PCA of the points (:func:`engine.project.pca.pca_components`, fitted on a seeded
sample of :data:`PCA_SAMPLE` rows) scaled to umap's [0, 10] box, as umap-learn's ``init="pca"`` does.

Measured against umap-learn's defaults in bench/project.py (trustworthiness on the same sample).
"""
from __future__ import annotations

import numpy as np

from engine.project.pca import pca_components

NEGATIVE_SAMPLE_RATE = 5  # umap-learn's defaults
REPULSION_STRENGTH = 1.0
LEARNING_RATE = 1.0
PCA_SAMPLE = 20_000  # the start's PCA is fitted on this many seeded rows (all of 100k: ~10x the time)


def _graph(indices: np.ndarray, distances: np.ndarray, n_neighbors: int, n_epochs: int):
    """umap's fuzzy graph (CSR, symmetric) from (indices, distances) with each row itself first,
    with edges too weak to be sampled in ``n_epochs`` removed (as ``simplicial_set_embedding`` does)."""
    from umap.umap_ import fuzzy_simplicial_set

    n = indices.shape[0]
    graph, _, _ = fuzzy_simplicial_set(np.empty((n, 1), dtype=np.float32), n_neighbors, np.random.RandomState(0),
                                       "cosine", knn_indices=indices, knn_dists=distances)
    graph = graph.tocsr()
    graph.sum_duplicates()
    graph.data[graph.data < graph.data.max() / float(n_epochs)] = 0.0
    graph.eliminate_zeros()
    graph.sort_indices()
    return graph


def umap_parallel_layout(vectors: np.ndarray, dims: int, indices: np.ndarray, distances: np.ndarray, *,
                         n_neighbors: int, min_dist: float, n_epochs: int, seed: int | None,
                         threads: int | None = None) -> np.ndarray:
    """UMAP coordinates (n, dims) float32 from a precomputed kNN graph (each row itself first,
    cosine distances), deterministic for a seed and parallel over the machine's cores.

    ``threads``: numba threads for the epochs (None: all, or one when the machine is busy); the
    coordinates do not depend on it."""
    from engine.project.umap_backend import _umap_class

    _umap_class()  # sets NUMBA_CACHE_DIR before numba is imported
    from umap.umap_ import find_ab_params, make_epochs_per_sample

    from engine.project.layout_kernel import layout_epoch

    rng = np.random.default_rng(seed if seed is not None else 0)
    graph = _graph(indices, distances, n_neighbors, n_epochs)
    a, b = find_ab_params(1.0, min_dist)
    fit = vectors if len(vectors) <= PCA_SAMPLE else vectors[np.sort(rng.choice(len(vectors), PCA_SAMPLE, replace=False))]
    mean, components = pca_components(fit, dims, seed=seed)
    start = np.zeros((len(vectors), dims))
    start[:, : components.shape[1]] = (np.asarray(vectors, dtype=np.float64) - mean) @ components
    start = start / max(np.abs(start).max(), 1e-12) * 10.0 + rng.normal(scale=1e-4, size=start.shape)
    span = np.maximum(start.max(axis=0) - start.min(axis=0), 1e-12)
    coords = np.ascontiguousarray(10.0 * (start - start.min(axis=0)) / span, dtype=np.float32)
    epochs_per_sample = make_epochs_per_sample(graph.data, n_epochs).astype(np.float64)
    epochs_per_negative = epochs_per_sample / NEGATIVE_SAMPLE_RATE
    next_sample, next_negative = epochs_per_sample.copy(), epochs_per_negative.copy()
    states = rng.integers(16, 2**31 - 1, size=(coords.shape[0], 3), dtype=np.int64)
    indptr, tail = graph.indptr.astype(np.int64), graph.indices.astype(np.int64)
    import numba

    from engine.index import machine_busy

    before = numba.get_num_threads()
    # one thread on a busy machine: each epoch is a parallel region that waits for its slowest
    # thread, and with more runnable jobs than cores that wait dominated (100k: 2 threads 119 s vs
    # 1 thread 91 s at load 10). The result is the same either way (tested).
    if threads is None:
        threads = 1 if machine_busy() else numba.config.NUMBA_NUM_THREADS
    numba.set_num_threads(max(1, min(int(threads), numba.config.NUMBA_NUM_THREADS)))
    try:
        for epoch in range(n_epochs):
            alpha = LEARNING_RATE * (1.0 - epoch / n_epochs)
            layout_epoch(coords, coords.copy(), indptr, tail, epochs_per_sample, epochs_per_negative, next_sample,
                         next_negative, states, epoch, float(a), float(b), REPULSION_STRENGTH, alpha)
    finally:
        numba.set_num_threads(before)
    return coords


def warm_up_layout(vectors: np.ndarray, dims: int = 2) -> None:
    """Compile (or load from the numba cache) the epoch kernel on a few points."""
    from engine.project.scale import umap_knn_input
    from engine.vectors import knn_graph, unit_rows

    unit = unit_rows(vectors)
    indices, distances = umap_knn_input(*knn_graph(unit, 9), 10)
    umap_parallel_layout(unit, dims, indices, distances, n_neighbors=10, min_dist=0.1, n_epochs=5, seed=0)
