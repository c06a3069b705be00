"""umap-learn, imported lazily after ``NUMBA_CACHE_DIR`` points at a persistent folder.

The numba compilation a fresh process pays (about 30 s here) is then paid once per machine, not
once per process. This is the only module that imports umap.
"""
from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from engine.errors import ProjectionError


def numba_cache_dir() -> Path:
    """Where numba keeps compiled UMAP code between processes.

    ``NUMBA_CACHE_DIR`` if already set, else ``EMBEDSCAPE_NUMBA_CACHE``, else ``numba`` under the
    user cache folder for embedscape (shared by every workspace on the machine).
    """
    for variable in ("NUMBA_CACHE_DIR", "EMBEDSCAPE_NUMBA_CACHE"):
        if os.environ.get(variable):
            return Path(os.environ[variable]).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("embedscape")) / "numba"


def _umap_class() -> Any:
    """Import umap-learn with a persistent numba cache (set before numba is first imported)."""
    if "numba" not in sys.modules:
        directory = numba_cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("NUMBA_CACHE_DIR", str(directory))
    try:
        from umap import UMAP
    except ImportError as exc:  # pragma: no cover - umap-learn is a pinned dependency
        raise ProjectionError("UMAP needs the umap-learn package: pip install umap-learn==0.5.12") from exc
    _cache_umap_kernels()
    return UMAP


# umap-learn 0.5.12 compiles these without numba's `cache=True` (the parallel kNN, fuzzy-set and
# layout kernels), so every fresh process paid ~16-24 s on 2 cores for its first UMAP even with a
# warm NUMBA_CACHE_DIR. Caching them is numba's documented `enable_caching()`; it must happen before
# their first call (compilation is lazy), which `_umap_class` guarantees: it is umap's only importer.
_UNCACHED_UMAP_KERNELS = (
    ("umap.umap_", ("smooth_knn_dist", "compute_membership_strengths", "fast_intersection",
                    "fast_metric_intersection", "reprocess_row", "reset_local_metrics", "init_transform",
                    "init_update")),
    ("umap.utils", ("fast_knn_indices", "norm", "submatrix")),
    ("umap.layouts", ("clip", "rdist", "_nb_optimize_layout_euclidean_single_epoch")),
    ("umap.distances", ("cosine", "euclidean")),
)


def _cache_umap_kernels() -> None:
    from numba.core.caching import NullCache
    from numba.core.dispatcher import Dispatcher

    for module_name, names in _UNCACHED_UMAP_KERNELS:
        module = sys.modules.get(module_name)
        for name in names:
            kernel = getattr(module, name, None)
            if isinstance(kernel, Dispatcher) and isinstance(kernel._cache, NullCache) and not kernel.signatures:
                kernel.enable_caching()


def umap_is_loaded() -> bool:
    """True once umap-learn is imported in this process (a first UMAP then skips the import)."""
    return "umap" in sys.modules


def warm_up_umap(*, dims: int = 2) -> float:
    """Fit UMAP once on 200 random points so numba compiles (and caches) its code now.

    Returns the seconds it took (about 30 s in a fresh process on a 2-core machine the first
    time, a few seconds once the numba cache is filled).
    """
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    sample = rng.normal(size=(200, 16)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _umap_class()(n_components=dims, n_neighbors=10, random_state=0, n_epochs=20).fit_transform(sample)
        from engine.project.layout import warm_up_layout

        warm_up_layout(sample, dims)  # the large-map route's own kernel (engine.project.layout)
    return time.perf_counter() - started


def umap_layout(vectors: np.ndarray, dims: int, params: dict[str, Any], seed: int | None,
                **options: Any) -> np.ndarray:
    """UMAP coordinates (m, dims) float32 of ``vectors`` with the given parameters.

    ``options`` go to ``umap.UMAP`` as they are (the large-map route's ``precomputed_knn``,
    ``n_epochs``, ``init``: engine.project.scale).
    """
    UMAP = _umap_class()
    reducer = UMAP(
        n_components=dims,
        n_neighbors=params["n_neighbors"],
        min_dist=params["min_dist"],
        metric=params["metric"],
        random_state=seed,
        n_jobs=1 if seed is not None else -1,
        **options,
    )
    with warnings.catch_warnings():
        # "n_jobs overridden by random_state", disconnected-graph notes, and with a precomputed kNN
        # graph "transform will be unavailable" (engine.project.scale places new points itself)
        warnings.simplefilter("ignore")
        coords = reducer.fit_transform(np.asarray(vectors, dtype=np.float32))
    return np.asarray(coords, dtype=np.float32)
