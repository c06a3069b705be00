"""Intrinsic dimension: TwoNN (Facco et al. 2017) and the MLE (Levina & Bickel 2004), computed by
scikit-dimension from nearest-neighbour distances we already have (the stored kNN graph), so
neither estimator searches neighbours again: at 100k rows skdim's own TwoNN would build an
n x n distance matrix in chunks.
"""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

TWONN_DISCARD = 0.1  # skdim's default: the largest 10 % of ratios r2/r1 are dropped (Facco et al.)
MIN_DISTANCE = 1e-6  # rows whose nearest neighbour is closer are duplicates: TwoNN/MLE divide by it


def cosine_to_euclidean(similarities: np.ndarray) -> np.ndarray:
    """Euclidean distance between unit vectors from their cosine: sqrt(2 - 2 cos)."""
    return np.sqrt(np.clip(2.0 - 2.0 * np.asarray(similarities, dtype=np.float64), 0.0, None))


def euclidean_knn(vectors: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Exact Euclidean k nearest neighbours (self excluded): (distances (n, k), indices (n, k))."""
    from sklearn.neighbors import NearestNeighbors

    model = NearestNeighbors(n_neighbors=k + 1).fit(vectors)
    distances, indices = model.kneighbors(vectors)
    return distances[:, 1:], indices[:, 1:]


@dataclass(frozen=True, slots=True)
class DimensionFigures:
    twonn: float
    mle: float
    n_used: int  # rows that entered the estimate (duplicates and rows without k neighbours dropped)
    n_duplicates: int
    params: dict[str, Any]  # what skdim was called with, shown on the page

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def intrinsic_dimension(distances: np.ndarray, indices: np.ndarray) -> DimensionFigures:
    """TwoNN and MLE from sorted nearest-neighbour distances (rows = points, self excluded).

    Args:
        distances: (n, k) Euclidean distances, ascending per row; NaN/negative indices mark
            missing neighbours (rows with any are left out).
        indices: (n, k) neighbour rows (-1 = none).

    Returns:
        TwoNN (skdim ``TwoNN(discard_fraction=0.1)``, linear fit through the origin) and the MLE
        (skdim ``MLE()`` on the k given neighbours, pointwise estimates combined by the
        harmonic mean, ``comb="mle"``, i.e. MacKay & Ghahramani's correction).
    """
    from skdim.id import MLE, TwoNN

    distances = np.asarray(distances, dtype=np.float64)
    indices = np.asarray(indices)
    complete = (indices >= 0).all(axis=1) & np.isfinite(distances).all(axis=1)
    duplicate = complete & (distances[:, 0] < MIN_DISTANCE)
    keep = complete & ~duplicate
    k = distances.shape[1]
    params = {"twonn": {"discard_fraction": TWONN_DISCARD, "method": "linear"},
              "mle": {"n_neighbors": k, "comb": "mle", "neighborhood_based": True},
              "distance": "Euclidean between unit vectors, sqrt(2 - 2 cos), from the kNN graph"}
    if keep.sum() < 3 or k < 2:
        return DimensionFigures(float("nan"), float("nan"), int(keep.sum()), int(duplicate.sum()), params)
    d, idx = distances[keep], indices[keep]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skdim warns about choices we report as params
        twonn = TwoNN(discard_fraction=TWONN_DISCARD, dist=True).fit(d[:, :2]).dimension_
        mle = MLE().fit(d[:, :2], precomputed_knn_arrays=(d, idx), n_neighbors=k).dimension_
    return DimensionFigures(float(twonn), float(mle), int(keep.sum()), int(duplicate.sum()), params)
