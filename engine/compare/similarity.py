"""Model-to-model similarity of whole spaces: linear CKA, correlation of pairwise cosines, and
retrieval agreement for a set of queries.

These never compare raw coordinates, so models of different dimensions and kinds (384-d MiniLM,
50-d GloVe, TF-IDF + SVD) compare directly. Every function works on the rows both models
represent (``shared``) and returns the sample size and seed it used.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from engine.knn import KnnError, exact_neighbors

CKA_SAMPLE = 20_000  # rows; CKA of a seeded sample beyond this (the estimate is stable well below it)
SIMILARITY_PAIRS = 20_000  # item pairs for the correlation of pairwise cosines


def _sample(rows: np.ndarray, size: int, seed: int) -> np.ndarray:
    if rows.size <= size:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, size=size, replace=False))


def linear_cka(x: np.ndarray, y: np.ndarray) -> float:
    """Linear centred kernel alignment (Kornblith et al. 2019) of paired rows x (n, d1), y (n, d2).

    CKA = ‖Yᶜᵀ Xᶜ‖²_F / (‖Xᶜᵀ Xᶜ‖_F ‖Yᶜᵀ Yᶜ‖_F) with column-centred features (the feature-space
    form, O(n·d²) instead of O(n²)). 1 for spaces equal up to rotation and isotropic scaling.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape[0] != y.shape[0] or x.shape[0] < 2:
        raise KnnError("CKA needs the same two or more items in both spaces.")
    x = x - x.mean(axis=0)
    y = y - y.mean(axis=0)
    cross = np.linalg.norm(y.T @ x) ** 2
    norm = np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y)
    return float(cross / norm) if norm > 0 else float("nan")


def cka(vectors_a: np.ndarray, vectors_b: np.ndarray, shared: np.ndarray, *, sample: int = CKA_SAMPLE,
        seed: int = 0) -> dict[str, Any]:
    """Linear CKA on the shared rows (a seeded sample of ``sample`` rows beyond that many)."""
    rows = _sample(np.flatnonzero(shared), sample, seed)
    value = linear_cka(np.asarray(vectors_a)[rows], np.asarray(vectors_b)[rows]) if rows.size >= 2 else float("nan")
    return {"cka": value, "n": int(rows.size), "seed": seed}


def similarity_correlation(vectors_a: np.ndarray, vectors_b: np.ndarray, shared: np.ndarray, *,
                           n_pairs: int = SIMILARITY_PAIRS, seed: int = 0) -> dict[str, Any]:
    """Spearman correlation of the cosine similarities of the same item pairs in two models.

    Pairs are drawn with a seeded generator from the shared rows (i ≠ j); all pairs are used
    when there are fewer than ``n_pairs``.
    """
    from scipy.stats import spearmanr

    rows = np.flatnonzero(shared)
    if rows.size < 3:
        return {"spearman": float("nan"), "n_pairs": 0, "seed": seed}
    total = rows.size * (rows.size - 1) // 2
    if total <= n_pairs:
        i, j = np.triu_indices(rows.size, k=1)
    else:
        rng = np.random.default_rng(seed)
        i = rng.integers(0, rows.size, n_pairs)
        j = (i + rng.integers(1, rows.size, n_pairs)) % rows.size  # never i itself
    i, j = rows[i], rows[j]
    a = np.asarray(vectors_a)
    b = np.asarray(vectors_b)
    sim_a = np.einsum("ij,ij->i", a[i], a[j])
    sim_b = np.einsum("ij,ij->i", b[i], b[j])
    rho = spearmanr(sim_a, sim_b).statistic
    return {"spearman": float(rho), "n_pairs": int(i.size), "seed": seed}


def query_agreement(
    queries: Mapping[str, np.ndarray],
    spaces: Mapping[str, tuple[np.ndarray, np.ndarray]],
    model_a: str,
    model_b: str,
    *,
    k: int = 10,
) -> dict[str, Any]:
    """Top-k retrieval agreement for user queries ("Beyond Benchmarks"): mean overlap@k of the
    corpus rows each model retrieves for the same query texts.

    Args:
        queries: model id -> (q, d) unit query vectors (the same q texts embedded by each model).
        spaces: model id -> (vectors (n, d), valid (n,)).
        model_a, model_b: The pair.
        k: Hits per query.

    Returns:
        ``agreement`` (mean overlap@k), ``per_query`` overlaps, ``n_queries``, ``k``. Only rows
        both models represent can be hits.
    """
    shared = np.asarray(spaces[model_a][1], dtype=bool) & np.asarray(spaces[model_b][1], dtype=bool)
    rows = np.flatnonzero(shared)
    hits = []
    for model in (model_a, model_b):
        matrix = np.ascontiguousarray(np.asarray(spaces[model][0])[rows], dtype=np.float32)
        found, _ = exact_neighbors(matrix, np.asarray(queries[model], dtype=np.float32), None, k)
        hits.append(found)
    per_query = [len(set(a[a >= 0]) & set(b[b >= 0])) / k for a, b in zip(*hits)]
    return {"agreement": float(np.mean(per_query)) if per_query else float("nan"),
            "per_query": per_query, "n_queries": len(per_query), "k": k}
