"""The numba epoch of :mod:`engine.project.layout` (imported only after umap-learn has set
``NUMBA_CACHE_DIR``, so the compiled kernel is cached like umap's own code)."""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(inline="always")
def _clip(value: float) -> float:
    return min(4.0, max(-4.0, value))


@numba.njit(inline="always")
def _next_random(state: np.ndarray) -> int:
    """umap's Tausworthe generator (``umap.utils.tau_rand_int``) on one vertex's own state."""
    state[0] = (((state[0] & 4294967294) << 12) & 0xFFFFFFFF) ^ ((((state[0] << 13) & 0xFFFFFFFF) ^ state[0]) >> 19)
    state[1] = (((state[1] & 4294967288) << 4) & 0xFFFFFFFF) ^ ((((state[1] << 2) & 0xFFFFFFFF) ^ state[1]) >> 25)
    state[2] = (((state[2] & 4294967280) << 17) & 0xFFFFFFFF) ^ ((((state[2] << 3) & 0xFFFFFFFF) ^ state[2]) >> 11)
    return state[0] ^ state[1] ^ state[2]


@numba.njit(parallel=True, fastmath=True, cache=True, nogil=True)
def layout_epoch(coords: np.ndarray, previous: np.ndarray, indptr: np.ndarray, tail: np.ndarray,
                 epochs_per_sample: np.ndarray, epochs_per_negative: np.ndarray, next_sample: np.ndarray,
                 next_negative: np.ndarray, rng: np.ndarray, epoch: int, a: float, b: float, gamma: float,
                 alpha: float) -> None:
    """One epoch of UMAP's SGD, vertex-parallel and deterministic.

    Vertex j's edges (CSR row j) move only ``coords[j]``, towards / away from the *previous*
    epoch's positions of the other ends; negative samples come from j's own generator. No two
    threads write the same memory and no thread reads what another writes, so the result does
    not depend on the number of threads or their scheduling. umap-learn moves both ends of an
    edge (the graph is symmetric, so each edge is also visited from its other end); here each
    end moves itself, with the attraction doubled to keep the same pull per epoch.
    """
    n_vertices, dim = coords.shape
    for j in numba.prange(n_vertices):
        current = coords[j]
        for i in range(indptr[j], indptr[j + 1]):
            if next_sample[i] > epoch:
                continue
            other = previous[tail[i]]
            dist_squared = 0.0
            for d in range(dim):
                dist_squared += (current[d] - other[d]) ** 2
            if dist_squared > 0.0:
                coeff = -2.0 * a * b * dist_squared ** (b - 1.0) / (a * dist_squared ** b + 1.0)
                for d in range(dim):
                    current[d] += 2.0 * _clip(coeff * (current[d] - other[d])) * alpha
            next_sample[i] += epochs_per_sample[i]
            negatives = int((epoch - next_negative[i]) / epochs_per_negative[i])
            for _ in range(negatives):
                k = _next_random(rng[j]) % n_vertices
                if k == j:
                    continue
                other = previous[k]
                dist_squared = 0.0
                for d in range(dim):
                    dist_squared += (current[d] - other[d]) ** 2
                if dist_squared > 0.0:
                    coeff = 2.0 * gamma * b / ((0.001 + dist_squared) * (a * dist_squared ** b + 1.0))
                    for d in range(dim):
                        current[d] += _clip(coeff * (current[d] - other[d])) * alpha
            next_negative[i] += negatives * epochs_per_negative[i]
