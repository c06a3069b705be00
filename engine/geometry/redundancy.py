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

MAX_QUERIES = 2_000  # query items per curve; beyond this a seeded sample (see docs/benchmarks.md)
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

    def as_dict(self) -> dict:
        return asdict(self)


class _Truncator:
    """PCA basis of the corpus and the pieces to score rebuilt vectors at any d."""

    def __init__(self, vectors: np.ndarray) -> None:
        x = np.asarray(vectors, dtype=np.float32)
        self.mean = x.mean(axis=0, dtype=np.float64)
        centred = x - self.mean.astype(np.float32)
        cov = (centred.T.astype(np.float64) @ centred.astype(np.float64)) / max(len(x) - 1, 1)
        eigenvalues, basis = np.linalg.eigh(cov)
        basis = basis[:, ::-1].astype(np.float32)
        self.z = centred @ basis  # (n, D) coordinates on the components, largest variance first
        self.m = (basis.T @ self.mean.astype(np.float32)).astype(np.float64)  # mean on each component
        self.mu2 = float(self.mean @ self.mean)
        self.z2 = np.cumsum(self.z.astype(np.float64) ** 2, axis=1)  # |z_j|^2 over the first d columns
        self.zm = np.cumsum(self.z.astype(np.float64) * self.m, axis=1)  # z_j . m over the first d columns

    def top_k(self, queries: np.ndarray, d: int, k: int) -> np.ndarray:
        """Top-k rows (self excluded) for each query row among the vectors rebuilt from d components."""
        z = self.z[:, :d]
        norms = np.sqrt(np.clip(self.mu2 + 2 * self.zm[:, d - 1] + self.z2[:, d - 1], 1e-12, None))
        left = (z[queries] + self.m[:d].astype(np.float32))
        scores = (left @ z.T).astype(np.float64) + (self.mu2 + self.zm[queries, d - 1])[:, None]
        scores /= norms[None, :]
        scores[np.arange(len(queries)), queries] = -np.inf
        return np.argpartition(-scores, k - 1, axis=1)[:, :k]


def _overlap(found: np.ndarray, truth: np.ndarray) -> float:
    shared = (found[:, :, None] == truth[:, None, :]).any(axis=2).sum(axis=1)
    return float(np.mean(shared / truth.shape[1]))


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
        max_queries: Beyond this many items a seeded sample of query items is used.
        seed: Sample seed.
        refine: Bisect between powers of two so ``dims_for`` is the exact smallest d.
    """
    x = np.asarray(vectors, dtype=np.float32)
    n, full_dim = x.shape
    k = int(min(k, n - 1))
    if k < 1:
        return RedundancyCurve((), (), 0, full_dim, 0, n, False, {f"{t:.2f}": None for t in targets})
    sampled = n > max_queries
    queries = (np.sort(np.random.default_rng(seed).choice(n, size=max_queries, replace=False))
               if sampled else np.arange(n))
    truncator = _Truncator(x)
    full = (x[queries] @ x.T).astype(np.float64)
    full[np.arange(len(queries)), queries] = -np.inf
    truth = np.argpartition(-full, k - 1, axis=1)[:, :k]
    del full
    measured: dict[int, float] = {}

    def measure(d: int) -> float:
        if d not in measured:
            measured[d] = 1.0 if d == full_dim else _overlap(truncator.top_k(queries, d, k), truth)
        return measured[d]

    for d in _grid(full_dim):
        measure(d)
    dims_for: dict[str, int | None] = {}
    for target in targets:
        reached = [d for d in sorted(measured) if measured[d] >= target]
        if not reached:
            dims_for[f"{target:.2f}"] = None
            continue
        high = reached[0]
        low = max((d for d in measured if d < high), default=0)
        while refine and high - low > 1:  # overlap grows with d (almost always): bisect to the exact d
            middle = (low + high) // 2
            if measure(middle) >= target:
                high = middle
            else:
                low = middle
        dims_for[f"{target:.2f}"] = high
    dims = tuple(sorted(measured))
    return RedundancyCurve(dims, tuple(measured[d] for d in dims), k, full_dim, len(queries), n, sampled, dims_for)
