"""Isotropy: IsoScore, the cosine of random pairs, the variance of the top principal components,
and what mean-centring changes.

An anisotropic space (one where every vector shares a large common direction) makes every cosine
look high, so a "0.6 similarity" means little. These figures say how much of that is going on.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from engine.vectors import unit_rows

RANDOM_PAIRS = 10_000  # random pairs for the mean cosine (its standard error is ~0.1/sqrt(10k))
TOP_PCS = (1, 10)


def _spectrum(vectors: np.ndarray) -> np.ndarray:
    """Variances along the principal components (eigenvalues of the ddof=1 covariance), largest
    first, padded with zeros to the dimension (fewer samples than dimensions leave the rest 0).

    Two passes over the rows: the mean (float64), then the float32 Gram matrix of the centred rows
    in blocks, so this is O(n d^2) with a d x d result (384^2) and never an n x n product.
    Centring before the product avoids the cancellation of gram - n mean mean^T in float32.
    """
    n, dim = vectors.shape
    mean = np.asarray(vectors.mean(axis=0, dtype=np.float64), dtype=np.float32)
    gram = np.zeros((dim, dim), dtype=np.float64)
    for start in range(0, n, 16384):
        block = np.asarray(vectors[start:start + 16384], dtype=np.float32) - mean
        gram += block.T @ block
    eigenvalues = np.linalg.eigvalsh(gram / max(n - 1, 1))[::-1]
    return np.clip(eigenvalues, 0.0, None)


def isoscore_from_variances(variances: np.ndarray) -> float:
    """IsoScore (Rudman, Gillman, Rayne & Eickhoff 2022) from the variances along the principal
    components (steps 3-7 of the published algorithm).

    Steps: normalise the variance vector to length sqrt(n); the isotropy defect is its distance
    from the all-ones vector divided by sqrt(2 (n - sqrt n)); the share of dimensions used is
    phi = (n - defect^2 (n - sqrt n))^2 / n^2; IsoScore = (n phi - 1) / (n - 1), in [0, 1]:
    1 when every dimension carries the same variance, 0 when one dimension carries it all.
    """
    variances = np.asarray(variances, dtype=np.float64)
    n = variances.size
    norm = float(np.linalg.norm(variances))
    if n < 2 or norm == 0.0:
        return float("nan")
    normalised = variances * np.sqrt(n) / norm
    defect = np.linalg.norm(normalised - 1.0) / np.sqrt(2.0 * (n - np.sqrt(n)))
    phi = (n - defect**2 * (n - np.sqrt(n))) ** 2 / n**2
    return float(np.clip((n * phi - 1.0) / (n - 1.0), 0.0, 1.0))


def isoscore(vectors: np.ndarray) -> float:
    """IsoScore of a point cloud (rows = points): step 2 (PCA reorientation) then steps 3-7.

    PCA centres the data, so IsoScore does not change under a shift of every point.
    """
    return isoscore_from_variances(_spectrum(np.asarray(vectors)))


def random_pair_cosines(vectors: np.ndarray, *, n_pairs: int = RANDOM_PAIRS, seed: int = 0) -> np.ndarray:
    """Cosines of ``n_pairs`` random pairs of distinct rows (seeded)."""
    n = vectors.shape[0]
    if n < 2:
        return np.zeros(0, dtype=np.float64)
    rng = np.random.default_rng(seed)
    first = rng.integers(0, n, size=n_pairs)
    second = (first + rng.integers(1, n, size=n_pairs)) % n  # never the same row
    a = unit_rows(np.asarray(vectors[first], dtype=np.float64))
    b = unit_rows(np.asarray(vectors[second], dtype=np.float64))
    return np.einsum("ij,ij->i", a, b)


@dataclass(frozen=True, slots=True)
class IsotropyFigures:
    """Isotropy of one set of vectors (see :func:`isotropy`)."""

    isoscore: float
    mean_cosine: float  # mean cosine of random pairs
    std_cosine: float  # its spread (standard deviation over pairs)
    pc1_share: float  # share of the total variance on the first principal component
    pc10_share: float  # ... on the first ten
    mean_share: float  # |mean vector|^2 / mean |x|^2: how much of every vector is the common direction
    n_pairs: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def isotropy(vectors: np.ndarray, *, n_pairs: int = RANDOM_PAIRS, seed: int = 0) -> IsotropyFigures:
    """Every isotropy figure for one point cloud (rows = points, any length)."""
    array = np.asarray(vectors)
    variances = _spectrum(array)
    total = float(variances.sum()) or float("nan")
    cosines = random_pair_cosines(array, n_pairs=n_pairs, seed=seed)
    mean = np.asarray(array.mean(axis=0), dtype=np.float64)
    second_moment = float(np.mean(np.einsum("ij,ij->i", array, array, dtype=np.float64)))
    return IsotropyFigures(
        isoscore=isoscore_from_variances(variances),
        mean_cosine=float(cosines.mean()) if cosines.size else float("nan"),
        std_cosine=float(cosines.std()) if cosines.size else float("nan"),
        pc1_share=float(variances[:TOP_PCS[0]].sum() / total),
        pc10_share=float(variances[:TOP_PCS[1]].sum() / total),
        mean_share=float(mean @ mean / second_moment) if second_moment > 0 else float("nan"),
        n_pairs=int(cosines.size),
    )


def centred(vectors: np.ndarray) -> np.ndarray:
    """Mean-centred rows, re-normalised to unit length (what cosine then compares)."""
    array = np.asarray(vectors, dtype=np.float32)
    return unit_rows(array - array.mean(axis=0, dtype=np.float64).astype(np.float32))


def isotropy_before_after(vectors: np.ndarray, *, n_pairs: int = RANDOM_PAIRS,
                          seed: int = 0) -> tuple[IsotropyFigures, IsotropyFigures]:
    """Isotropy as stored, and after subtracting the mean vector (rows re-normalised)."""
    return isotropy(vectors, n_pairs=n_pairs, seed=seed), isotropy(centred(vectors), n_pairs=n_pairs, seed=seed)
