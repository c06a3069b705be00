"""umap-learn's kernels that it compiles without `cache=True` are cached by engine.project.umap_backend,
so a fresh process (a new server, a CLI run, a test worker) loads them from NUMBA_CACHE_DIR instead of
compiling them again (~16-24 s on 2 cores)."""
from __future__ import annotations

import sys

from numba.core.caching import NullCache
from numba.core.dispatcher import Dispatcher

from engine.project.umap_backend import _UNCACHED_UMAP_KERNELS, _umap_class


def test_every_listed_umap_kernel_exists_and_caches_after_import():
    _umap_class()
    for module_name, names in _UNCACHED_UMAP_KERNELS:
        module = sys.modules[module_name]
        for name in names:
            kernel = getattr(module, name, None)
            assert isinstance(kernel, Dispatcher), f"{module_name}.{name} is gone: umap-learn changed, update the list"
            assert not isinstance(kernel._cache, NullCache), f"{module_name}.{name} still compiles in every process"


def test_the_kernels_a_small_fit_compiles_are_all_cached():
    """Every umap or pynndescent kernel a UMAP fit compiles can be reused by the next process."""
    import numpy as np

    from engine.project.umap_backend import umap_layout

    rng = np.random.default_rng(1)
    umap_layout(rng.normal(size=(120, 8)).astype(np.float32), 2,
                {"n_neighbors": 10, "min_dist": 0.1, "metric": "cosine"}, seed=3)
    uncached = sorted(
        f"{kernel.py_func.__module__}.{kernel.py_func.__name__}"
        for module_name, module in list(sys.modules.items()) if module_name.split(".")[0] in ("umap", "pynndescent")
        for name, kernel in vars(module).items()
        if isinstance(kernel, Dispatcher) and kernel.signatures and isinstance(kernel._cache, NullCache)
        and not kernel.targetoptions.get("no_cpython_wrapper")
    )
    assert set(uncached) <= {"umap.utils.tau_rand_int", "umap.utils.tau_rand"}, uncached  # compiled at import (typed), ~0.1 s
