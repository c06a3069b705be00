"""Redundancy: how many principal components keep each item's top-10 neighbours.

Truncating a space to its top d principal components keeps the common mean direction (each
vector is rebuilt as mean + its projection on the top d components), so at the full dimension
every neighbour list is kept exactly and the curve says what the cut alone costs. Neighbours are
cosine neighbours among the rebuilt vectors, computed in d+1 numbers per item (no D-wide
products per d). Past ``MAX_QUERIES`` items the curve is measured for a seeded sample of query
items against the full corpus, and the result says so.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

MAX_QUERIES = 1_000  # query items per curve; beyond this a seeded sample (see docs/benchmarks.md)
MIN_QUERIES = 200
PAIR_BUDGET = 20_000_000  # query x item scores per evaluated d: past 20k items the sample shrinks to fit
RESOLUTION = 0.02  # bisection stops when d is known within 2 % of the dimension (1 for small spaces)
_QUERY_BLOCK = 256  # queries per matrix product (bounds memory: 256 x 100k float32 = 100 MB)
TARGETS = (0.90, 0.95)


@dataclass(frozen=True, slots=True)
class RedundancyCurve:
    dims: tuple[int, ...]  # evaluated numbers of principal components, ascending
    overlap: tuple[float, ...]  # mean share of each query's top-k neighbours kept at that d
    k: int
    full_dim: int
    n_queries: int
    n_items: int
    sampled: bool  # True when the queries are a seeded sample of the items
    dims_for: dict[str, int | None]  # "0.90" -> smallest evaluated d reaching it (None: never)
    resolution: int  # dims_for is exact to within this many components (bisection stops there)

    def as_dict(self) -> dict:
        return asdict(self)


class _Truncator:
    """PCA basis of the corpus and the pieces to score rebuilt vectors at any d (float32 throughout:
    at 100k rows a float64 copy of the scores alone would take gigabytes)."""

    def __init__(self, vectors: np.ndarray) -> None:
        x = np.asarray(vectors, dtype=np.float32)
        mean = x.mean(axis=0, dtype=np.float64).astype(np.float32)
        centred = x - mean
        _, basis = np.linalg.eigh((centred.T @ centred).astype(np.float64))
        basis = basis[:, ::-1].astype(np.float32)
        self.z = np.ascontiguousarray(centred @ basis)  # (n, D) coordinates on the components, largest first
        self.m = basis.T @ mean  # the mean vector's coordinate on each component
        self.mu2 = float(mean @ mean)

    def kept(self, queries: np.ndarray, truth: np.ndarray, d: int) -> np.ndarray:
        """Per query: how many of its ``truth`` neighbours are still among its top-k when every
        vector is rebuilt as mean + its first d components (self excluded, cosine)."""
        z = self.z[:, :d]
        m = self.m[:d]
        # |x_hat|^2 = |mean|^2 + 2 z.m + |z|^2, and x_hat_i . x_hat_j = (z_i + m).z_j + |mean|^2 + z_i.m
        norms = np.sqrt(np.clip(self.mu2 + 2 * (z @ m) + np.einsum("ij,ij->i", z, z), 1e-12, None))
        k = truth.shape[1]
        out = np.empty(len(queries), dtype=np.int64)
        for start in range(0, len(queries), _QUERY_BLOCK):
            rows = queries[start:start + _QUERY_BLOCK]
            scores = (z[rows] + m) @ z.T
            scores += (self.mu2 + z[rows] @ m)[:, None]
            scores /= norms
            scores[np.arange(len(rows)), rows] = -np.inf
            kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1]  # the k-th best score of each query
            truth_scores = np.take_along_axis(scores, truth[start:start + _QUERY_BLOCK], axis=1)
            out[start:start + len(rows)] = (truth_scores >= kth[:, None]).sum(axis=1)
        return out


def _exact_top_k(x: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    scores = x[rows] @ x.T
    scores[np.arange(len(rows)), rows] = -np.inf
    return np.argpartition(-scores, k - 1, axis=1)[:, :k]


def _grid(full_dim: int) -> list[int]:
    dims = {1, full_dim}
    d = 2
    while d < full_dim:
        dims.add(d)
        d *= 2
    return sorted(dims)


def redundancy_curve(vectors: np.ndarray, *, k: int = 10, targets: tuple[float, ...] = TARGETS,
                     max_queries: int = MAX_QUERIES, seed: int = 0, refine: bool = True) -> RedundancyCurve:
    """Share of each item's top-k cosine neighbours kept when the space is cut to d components.

    Args:
        vectors: (n, D) rows of the valid items (unit length).
        k: Neighbours per query.
        targets: Shares for which the smallest d is reported (90 % and 95 %).
        max_queries: Beyond this many items a seeded sample of query items is used; past
            PAIR_BUDGET / MAX_QUERIES items (20k) the sample shrinks to PAIR_BUDGET / n (>= 200).
        seed: Sample seed.
        refine: Bisect between powers of two until ``dims_for`` is known within ``RESOLUTION``.
    """
    x = np.asarray(vectors, dtype=np.float32)
    n, full_dim = x.shape
    k = int(min(k, n - 1))
    if k < 1:
        return RedundancyCurve((), (), 0, full_dim, 0, n, False, {f"{t:.2f}": None for t in targets}, 1)
    n_queries = min(n, max_queries, max(MIN_QUERIES, PAIR_BUDGET // n))
    sampled = n_queries < n
    queries = (np.sort(np.random.default_rng(seed).choice(n, size=n_queries, replace=False))
               if sampled else np.arange(n))
    truncator = _Truncator(x)
    truth = np.concatenate([_exact_top_k(x, queries[s:s + _QUERY_BLOCK], k)
                            for s in range(0, len(queries), _QUERY_BLOCK)])
    measured: dict[int, float] = {}

    def measure(d: int) -> float:
        if d not in measured:
            measured[d] = 1.0 if d == full_dim else float(np.mean(truncator.kept(queries, truth, d)) / k)
        return measured[d]

    for d in _grid(full_dim):
        measure(d)
    dims_for: dict[str, int | None] = {}
    resolution = max(1, int(RESOLUTION * full_dim)) if refine else 0
    for target in targets:
        reached = [d for d in sorted(measured) if measured[d] >= target]
        if not reached:
            dims_for[f"{target:.2f}"] = None
            continue
        high = reached[0]
        low = max((d for d in measured if d < high), default=0)
        while refine and high - low > resolution:  # overlap grows with d (almost always): bisect
            middle = (low + high) // 2
            if measure(middle) >= target:
                high = middle
            else:
                low = middle
        dims_for[f"{target:.2f}"] = high
    dims = tuple(sorted(measured))
    if not refine:  # then only the grid is known: the widest gap below a reported d bounds the error
        resolution = max([b - a for a, b in zip(dims, dims[1:])] or [1])
    return RedundancyCurve(dims, tuple(measured[d] for d in dims), k, full_dim, len(queries), n, sampled, dims_for,
                           resolution)
