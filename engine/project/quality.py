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
    high = np.asarray(vectors, dtype=np.float32)
    low = np.asarray(coords, dtype=np.float32)
    kept = 0
    for start in range(0, m, 256):
        rows = chosen[start:start + 256]
        similarity = high[rows] @ high.T
        similarity[np.arange(rows.size), rows] = -np.inf
        near_high = np.argpartition(-similarity, k_knn - 1, axis=1)[:, :k_knn]
        distance = ((low[rows, None, :] - low[None, :, :]) ** 2).sum(axis=2)
        distance[np.arange(rows.size), rows] = np.inf
        near_low = np.argpartition(distance, k_knn - 1, axis=1)[:, :k_knn]
        kept += sum(np.intersect1d(a, b, assume_unique=True).size for a, b in zip(near_high, near_low))
    return {
        "trustworthiness": round(min(max(trust, 0.0), 1.0), 4),
        "knn_preservation": round(kept / (m * k_knn), 4),
        "k": k_knn,
        "sample": int(m),
        "n_points": int(n),
    }
