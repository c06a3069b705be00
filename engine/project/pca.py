"""PCA that gives the same layout on every machine, whatever the BLAS kernel.

A principal component is defined only up to its sign, and when several components explain the
same variance (four symmetric points: three equal eigenvalues) only the *subspace* they span is
defined: LAPACK returns any basis of it, and which one depends on the CPU kernel
(``OPENBLAS_CORETYPE``). Taking the first two vectors of such a basis can drop a direction
along which two points differ, so they collapse into one position on one machine and not on
another. This module therefore fixes both choices by the data, not by the solver:

* **Ties.** Eigenvalues within ``TIE_TOLERANCE`` (relative to the largest) form one group. From
  a group the layout takes the projections of fixed seeded random directions onto the group's
  subspace (orthonormalised in order). The subspace does not depend on the kernel, so neither
  does this basis; and random directions are, with probability one, not aligned with a
  difference between points, so distinct points stay distinct.
* **Signs.** Each component points so that its dot product with a fixed seeded random direction
  is positive (``svd_flip``'s "largest loading positive" rule itself ties on symmetric data).
* **Zero variance.** Components with no variance (fewer points than dimensions) are exactly 0
  rather than rounding noise.

The random directions come from ``numpy.random.default_rng(seed)`` (seed 0 when None), so the
layout is reproducible; the data itself is never perturbed.
"""
from __future__ import annotations

import numpy as np

TIE_TOLERANCE = 1e-6  # relative gap below which two eigenvalues are one eigenspace (kernels differ ~1e-15)


def _eigen(centred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(eigenvalues descending, eigenvectors as columns (d, r)) of the covariance of ``centred``."""
    n, d = centred.shape
    if n <= d:  # few points: the Gram route keeps the solve n x n
        gram = centred @ centred.T
        values, vectors = np.linalg.eigh(gram)
        order = np.argsort(-values, kind="stable")
        values = np.clip(values[order], 0.0, None)
        keep = values > 0
        basis = centred.T @ vectors[:, order][:, keep]
        basis /= np.sqrt(values[keep])
        return values[keep], basis
    values, vectors = np.linalg.eigh(centred.T @ centred)
    order = np.argsort(-values, kind="stable")
    return np.clip(values[order], 0.0, None), vectors[:, order]


def _orthonormal_in_order(columns: np.ndarray, basis: list[np.ndarray]) -> list[np.ndarray]:
    """Gram-Schmidt of ``columns`` against ``basis`` and each other (a fixed order: no pivoting)."""
    out = []
    for column in columns.T:
        v = column.copy()
        for b in basis + out:
            v -= (b @ v) * b
        norm = np.linalg.norm(v)
        if norm > 1e-9:
            out.append(v / norm)
    return out


def pca_components(vectors: np.ndarray, dims: int, *, seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """The first ``dims`` principal directions, chosen without kernel-dependent ties.

    Args:
        vectors: (n, d) rows (any scale).
        dims: Components wanted.
        seed: Seeds the fixed random directions used for tie-breaks and signs.

    Returns:
        (mean (d,), components (d, r)) float64 with r <= dims orthonormal columns; only
        components with variance are returned.
    """
    data = np.asarray(vectors, dtype=np.float64)
    mean = data.mean(axis=0)
    centred = data - mean
    n, d = centred.shape
    if n < 2 or not np.any(centred):
        return mean, np.zeros((d, 0))
    values, eigvecs = _eigen(centred)
    largest = float(values[0]) if values.size else 0.0
    if largest <= 0:
        return mean, np.zeros((d, 0))
    rng = np.random.default_rng(0 if seed is None else seed)
    references = rng.standard_normal((d, dims + 1))  # tie-break directions, then the sign reference
    significant = values > TIE_TOLERANCE * largest
    chosen: list[np.ndarray] = []
    start = 0
    while len(chosen) < dims and start < values.size and significant[start]:
        stop = start + 1
        while stop < values.size and significant[stop] and values[start] - values[stop] <= TIE_TOLERANCE * largest:
            stop += 1
        group = eigvecs[:, start:stop]
        need = min(dims - len(chosen), stop - start)
        if stop - start == 1:
            picked = [group[:, 0] / np.linalg.norm(group[:, 0])]
        else:  # a tie: the projections of fixed directions onto the (kernel-independent) subspace
            projected = group @ (group.T @ references[:, len(chosen):len(chosen) + need])
            picked = _orthonormal_in_order(projected, chosen)[:need]
        chosen.extend(picked)
        start = stop
    if not chosen:
        return mean, np.zeros((d, 0))
    components = np.column_stack(chosen)
    signs = np.sign(references[:, -1] @ components)
    components *= np.where(signs == 0, 1.0, signs)
    return mean, components


def pca_layout(vectors: np.ndarray, dims: int, seed: int | None) -> np.ndarray:
    """(n, dims) float32 PCA coordinates (missing components are 0), deterministic on any kernel."""
    n = vectors.shape[0]
    coords = np.zeros((n, dims), dtype=np.float32)
    mean, components = pca_components(vectors, dims, seed=seed)
    if components.shape[1]:
        coords[:, : components.shape[1]] = ((np.asarray(vectors, dtype=np.float64) - mean) @ components).astype(
            np.float32)
    return coords
