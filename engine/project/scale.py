"""UMAP for large maps, still reproducible, and new points placed without a refit.

Seeded umap-learn runs single-threaded end to end (umap-learn 0.5.12 forces ``n_jobs=1`` with a
``random_state``): its nearest-neighbour descent alone is most of a 100k map's time. The large
route (from :data:`LARGE_MAP_ROWS` distinct points) keeps the seed and changes where the time goes:

* the kNN graph comes from :mod:`engine.knn` (faiss, multi-threaded; stored once per corpus and
  model and shared with Compare and Geometry), passed to umap as ``precomputed_knn``;
* fewer optimisation epochs for large n (:func:`layout_epochs`), and a PCA start instead of the
  spectral one (an eigen-solve on the whole graph), both measured in bench/project.py against
  umap-learn's defaults with trustworthiness within 0.01.

umap-learn cannot ``transform`` without its own search index, so :func:`place_points` puts new
points (queries, added rows) where umap's own ``transform`` starts them: the membership-weighted
mean of their k nearest neighbours' positions in the full space. Its error against a refit is in
docs/benchmarks.md.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engine.errors import ProjectionError
from engine.types import Embeddings
from engine.vectors import unit_rows

if TYPE_CHECKING:
    from engine.project.spec import Projection

LARGE_MAP_ROWS = 20_000  # from here project() takes the large route (bench/project.py: the gain starts here)
SMALL_EPOCHS = 200  # umap-learn's own default above 10k points
LARGE_EPOCHS = 50  # at 100k: trustworthiness 0.956 vs 0.954 at 100 epochs and 0.953 for umap's defaults (docs/benchmarks.md)
PLACE_K = 15


def layout_epochs(n: int) -> int:
    """Optimisation epochs for n points: umap's 200 up to 20k, then down to 50 at 100k and beyond."""
    if n <= LARGE_MAP_ROWS:
        return SMALL_EPOCHS
    share = min(1.0, (n - LARGE_MAP_ROWS) / (100_000 - LARGE_MAP_ROWS))
    return int(round(SMALL_EPOCHS - share * (SMALL_EPOCHS - LARGE_EPOCHS)))


def umap_knn_input(neighbors: np.ndarray, similarities: np.ndarray, n_neighbors: int) -> tuple[np.ndarray, np.ndarray]:
    """umap's ``precomputed_knn`` (indices, cosine distances), each row itself first, from a kNN
    graph that excludes the row itself (``engine.knn``).

    Raises:
        ProjectionError: When the graph has fewer than ``n_neighbors - 1`` neighbours per row, or a
            row without neighbours (umap would silently compute its own graph instead).
    """
    neighbors = np.asarray(neighbors)
    if neighbors.shape[1] < n_neighbors - 1:
        raise ProjectionError(f"The kNN graph has {neighbors.shape[1]} neighbours per row; UMAP needs {n_neighbors - 1}.")
    neighbors = neighbors[:, : n_neighbors - 1]
    if (neighbors < 0).any():
        raise ProjectionError("The kNN graph has rows without neighbours; project valid rows only.")
    n = neighbors.shape[0]
    indices = np.concatenate([np.arange(n, dtype=np.int64)[:, None], neighbors.astype(np.int64)], axis=1)
    distances = np.clip(1.0 - np.asarray(similarities, dtype=np.float32)[:, : n_neighbors - 1], 0.0, 2.0)
    distances = np.concatenate([np.zeros((n, 1), dtype=np.float32), distances], axis=1)
    return indices, distances


def umap_layout_large(
    vectors: np.ndarray,
    dims: int,
    params: dict[str, Any],
    seed: int | None,
    knn: tuple[np.ndarray, np.ndarray],
    *,
    n_epochs: int | None = None,
) -> np.ndarray:
    """Reproducible parallel UMAP of many points from a precomputed kNN graph; (m, dims) float32
    (:mod:`engine.project.layout`: same seed, same coordinates, whatever the thread count).

    ``knn`` is (neighbors, similarities) without the row itself, one row per row of ``vectors``.
    """
    from engine.project.layout import umap_parallel_layout

    indices, distances = umap_knn_input(*knn, params["n_neighbors"])
    if indices.shape[0] != vectors.shape[0]:
        raise ProjectionError(f"The kNN graph has {indices.shape[0]:,} rows for {vectors.shape[0]:,} points.")
    return umap_parallel_layout(vectors, dims, indices, distances, n_neighbors=params["n_neighbors"],
                                min_dist=params["min_dist"], n_epochs=n_epochs or layout_epochs(vectors.shape[0]),
                                seed=seed)


def place_points(
    new_vectors: np.ndarray,
    vectors: np.ndarray,
    coords: np.ndarray,
    *,
    k: int = PLACE_K,
    valid: np.ndarray | None = None,
    block: int = 1024,
) -> tuple[np.ndarray, np.ndarray]:
    """Positions for new points in an existing map, without a refit.

    Each new point goes to the weighted mean of the map positions of its k nearest rows (cosine,
    full space), weights ``exp(-(d - d_nearest) / mean(d - d_nearest))``: umap's own membership
    shape, and where umap's ``transform`` starts a point before optimising it.

    Args:
        new_vectors: (m, d) unit rows to place.
        vectors: (n, d) unit rows of the mapped points.
        coords: (n, dims) their positions (NaN rows are never used).
        valid: Rows of ``vectors`` that may be neighbours (default: rows with finite coords).

    Returns:
        (positions (m, dims) float32, neighbours (m, k) int64 rows used, best first)
    """
    new_vectors = np.atleast_2d(np.asarray(new_vectors, dtype=np.float32))
    coords = np.asarray(coords, dtype=np.float32)
    usable = np.isfinite(coords).all(axis=1)
    if valid is not None:
        usable &= np.asarray(valid, dtype=bool)
    candidates = np.flatnonzero(usable)
    if candidates.size == 0:
        raise ProjectionError("The map has no placed point to place new points near.")
    k = int(min(k, candidates.size))
    matrix = np.asarray(vectors[candidates], dtype=np.float32)
    positions = np.empty((new_vectors.shape[0], coords.shape[1]), dtype=np.float32)
    chosen = np.empty((new_vectors.shape[0], k), dtype=np.int64)
    for start in range(0, new_vectors.shape[0], block):
        sims = new_vectors[start:start + block] @ matrix.T
        if k < sims.shape[1]:
            top = np.sort(np.argpartition(-sims, k - 1, axis=1)[:, :k], axis=1)
        else:
            top = np.tile(np.arange(k), (len(sims), 1))
        top_sims = np.take_along_axis(sims, top, axis=1)
        order = np.argsort(-top_sims, axis=1, kind="stable")  # best first; ties by row id (top is sorted)
        top = np.take_along_axis(top, order, axis=1)
        distances = 1.0 - np.take_along_axis(top_sims, order, axis=1)
        gaps = distances - distances[:, :1]
        scale = np.maximum(gaps.mean(axis=1, keepdims=True), 1e-6)
        weights = np.exp(-gaps / scale)
        weights /= weights.sum(axis=1, keepdims=True)
        rows = candidates[top]
        positions[start:start + block] = np.einsum("mk,mkd->md", weights, coords[rows])
        chosen[start:start + block] = rows
    return positions, chosen


def place_new_points(projection: "Projection", embeddings: Embeddings, new_vectors: np.ndarray, *,
                     k: int = PLACE_K) -> np.ndarray:
    """Where new points (a search query, rows added since the map was made) go on a stored map,
    without a refit: :func:`place_points` against the map's rows.

    Args:
        projection: The map (any method; rows without a position are never used).
        embeddings: The same corpus and model's vectors (the full space the map was made from).
        new_vectors: (m, d) or (d,) vectors of that model (normalised here).
        k: Mapped neighbours whose positions are averaged.

    Returns:
        (m, dims) float32 positions in the map's coordinates.

    Raises:
        ProjectionError: When the map and the vectors are of different corpora, models or sizes,
            or the new vectors have another dimension.
    """
    if (projection.corpus_id, projection.model_id) != (embeddings.corpus_id, embeddings.model_id):
        raise ProjectionError(f"This map is of {projection.model_id!r} on {projection.corpus_id!r}, not "
                              f"{embeddings.model_id!r} on {embeddings.corpus_id!r}: place points with the map's own model.")
    if projection.coords.shape[0] != embeddings.n:
        raise ProjectionError("The map was made from another version of this corpus; recompute the map first.")
    new = unit_rows(np.atleast_2d(np.asarray(new_vectors, dtype=np.float32)))
    if new.shape[1] != embeddings.vectors.shape[1]:
        raise ProjectionError(f"New points have {new.shape[1]} dimensions; {embeddings.model_id!r} has "
                              f"{embeddings.vectors.shape[1]}. Embed them with the map's model.")
    positions, _ = place_points(new, embeddings.vectors, projection.coords, k=k, valid=embeddings.valid)
    return positions
