"""Projections of an embedding space to 2-D or 3-D (UMAP, PCA), stored so a restart never recomputes.

A :class:`Projection` records where it came from (corpus, model, method, parameters, seed), holds
read-only float32 coordinates in corpus row order, and reports how far the picture can be trusted:

* ``trustworthiness`` (Venna & Kaski; scikit-learn's implementation): 1.0 when no point in the map
  has a near neighbour that is far away in the embedding space.
* ``knn_preservation``: the share of each point's 10 nearest neighbours (cosine, full space) that
  are also among its 10 nearest neighbours in the map.

Both are computed on a random sample for large corpora (the sample size is in ``quality``).

Rows the model could not represent (``Embeddings.valid`` is False) and rows with non-finite values
get NaN coordinates: they are never drawn as real points and never counted in the quality figures.
Exact duplicate rows are projected once and share a position.

The package, one module per concern:

* ``spec``: the ``Projection`` value, ``ProjectionSpec``, parameters and the store key;
* ``core``: ``project`` (the pipeline and its fallbacks) and ``nearest_neighbors``;
* ``umap_backend``: the only import of umap-learn (persistent numba cache, warm-up);
* ``pca``: PCA with a fixed tie-break, so every BLAS kernel gives the same layout;
* ``quality``: trustworthiness and k-NN preservation;
* ``storage``: save / load / list in the workspace;
* ``sampling``: the map's point cap (``display_rows``, ``stratified_sample``);
* ``placement``: where cluster labels go so that they never overlap;
* ``scale``: the large-map UMAP route (stored kNN graph, fewer epochs) and ``place_new_points`` /
  ``place_points`` (new points on a stored map without a refit);
* ``layout`` + ``layout_kernel``: the large route's reproducible parallel UMAP epochs.

Example:
    >>> import numpy as np
    >>> from engine.types import Embeddings
    >>> vectors = np.eye(6, 8, dtype=np.float32)
    >>> result = project(Embeddings("c", "m", vectors), method="pca", dims=2)
    >>> result.coords.shape, result.method
    ((6, 2), 'pca')
"""
from __future__ import annotations

from engine.project.core import Phase, nearest_neighbors, project
from engine.project.pca import pca_components, pca_layout
from engine.project.quality import QUALITY_K, QUALITY_SAMPLE, projection_quality
from engine.project.sampling import display_rows, stratified_sample
from engine.project.scale import LARGE_MAP_ROWS, place_new_points, place_points
from engine.project.spec import (
    DEFAULT_PARAMS,
    METHODS,
    METRICS,
    NAMESPACE,
    UMAP_MIN_POINTS,
    Coords,
    Metric,
    Progress,
    Projection,
    ProjectionMethod,
    ProjectionSpec,
    projection_key,
    request_key,
    request_params,
)
from engine.project.payload import with_header
from engine.project.placement import place_labels
from engine.project.storage import list_projections, load_projection, save_projection, stored_projection
from engine.project.umap_backend import _umap_class, numba_cache_dir, umap_is_loaded, warm_up_umap

__all__ = [
    "DEFAULT_PARAMS", "METHODS", "METRICS", "NAMESPACE", "QUALITY_K", "QUALITY_SAMPLE", "UMAP_MIN_POINTS",
    "Coords", "Metric", "Phase", "Progress", "Projection", "ProjectionMethod", "ProjectionSpec",
    "_umap_class", "display_rows", "list_projections", "load_projection", "nearest_neighbors",
    "numba_cache_dir", "pca_components", "pca_layout", "project", "projection_key", "projection_quality",
    "request_key", "request_params", "save_projection", "stored_projection", "stratified_sample", "umap_is_loaded",
    "warm_up_umap", "LARGE_MAP_ROWS", "place_labels", "place_new_points", "place_points", "with_header",
]
