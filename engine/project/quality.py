"""How far a layout can be trusted: trustworthiness and k-NN preservation on a sample."""
from __future__ import annotations

from typing import Any

import numpy as np

QUALITY_K = 10
QUALITY_SAMPLE = 1000


def projection_quality(
    vectors: np.ndarray, coords: np.ndarray, *, k: int = QUALITY_K, sample: int = QUALITY_SAMPLE, seed: int = 0
) -> dict[str, Any]:
    """Trustworthiness and k-NN preservation of a layout, on a sample of at most ``sample`` points.

    Args:
        vectors: (n, d) unit rows (the embedding space; cosine = dot product).
        coords: (n, 2|3) the layout of the same rows.
        k: Neighbourhood size.
        sample: Points to evaluate; neighbours are still looked up among all n points for
            ``knn_preservation``; ``trustworthiness`` is computed within the sample.

    Returns:
        ``{"trustworthiness", "knn_preservation", "k", "sample", "n_points"}`` (both figures in
        [0, 1]), or ``{}`` when there are fewer than 4 points.
    """
    n = vectors.shape[0]
    if n < 4:
        return {}
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(n, size=min(n, sample), replace=False))
    m = chosen.size
    k_trust = max(1, min(k, (m - 1) // 2))  # sklearn requires k < m / 2
    from sklearn.manifold import trustworthiness

    trust = float(trustworthiness(vectors[chosen], coords[chosen], n_neighbors=k_trust))
    k_knn = min(k, n - 1)
    near_high = _nearest_excluding_self(np.ascontiguousarray(vectors, dtype=np.float32), chosen, k_knn, inner_product=True)
    near_low = _nearest_excluding_self(np.ascontiguousarray(coords, dtype=np.float32), chosen, k_knn, inner_product=False)
    kept = sum(np.intersect1d(a, b, assume_unique=True).size for a, b in zip(near_high, near_low))
    return {
        "trustworthiness": round(min(max(trust, 0.0), 1.0), 4),
        "knn_preservation": round(kept / (m * k_knn), 4),
        "k": k_knn,
        "sample": int(m),
        "n_points": int(n),
    }


def _nearest_excluding_self(points: np.ndarray, chosen: np.ndarray, k: int, *, inner_product: bool) -> np.ndarray:
    """(len(chosen), k) rows nearest to each chosen row among all ``points``, the row itself left out:
    by inner product (unit rows: cosine) or by Euclidean distance (a layout).

    faiss's brute-force search (BLAS plus a heap per query) and a k-d tree for the 2-3-D layout: at
    100k points the former full-row argpartitions and a (256, n, 2) broadcast took ~14 s of a
    32 s map (docs/benchmarks.md, Map at scale); these take well under a second.
    """
    if inner_product:
        import faiss

        _, found = faiss.knn(points[chosen], points, k + 1, metric=faiss.METRIC_INNER_PRODUCT)
    else:
        from scipy.spatial import cKDTree

        _, found = cKDTree(points).query(points[chosen], k=k + 1)
    found = np.asarray(found, dtype=np.int64)
    out = np.empty((chosen.size, k), dtype=np.int64)
    for i, (row, candidates) in enumerate(zip(chosen, found)):
        others = candidates[candidates != row]
        out[i] = others[:k] if others.size >= k else np.pad(others, (0, k - others.size), constant_values=-1)
    return out
