"""Vector basics shared by every area: unit rows, exact cosine neighbours, id -> row lookup.

One home for what was written five, three and three times before (docs/architecture.md, "One
home per concept"). Everything here is plain numpy and deterministic for any BLAS kernel: ties
in similarity are broken by row id (the lower row first), and similarities are rounded to a
tolerance before ordering so that kernels which differ in the last bits agree on the order.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

# Similarities closer than this are treated as ties and ordered by row id. float32 dot products
# of unit vectors differ between BLAS kernels by ~1e-7; duplicates must tie on every machine.
TIE_TOLERANCE = 1e-5
_BLOCK_ROWS = 2048  # query rows per matrix-matrix product in the batched kNN (bounds memory)


def unit_rows(vectors: npt.ArrayLike, *, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """A new array with unit-length rows (a 1-D input is one row); all-zero rows stay zero."""
    array = np.asarray(vectors, dtype=dtype)
    if array.ndim == 1:
        norm = float(np.linalg.norm(array))
        return array / norm if norm > 0 else np.zeros_like(array)
    norms = np.linalg.norm(array, axis=-1, keepdims=True)
    return np.divide(array, norms, out=np.zeros_like(array), where=norms > 0)


def unit_vector(vector: npt.ArrayLike, *, min_norm: float = 1e-9) -> np.ndarray | None:
    """``vector`` scaled to unit length, or None when its norm is below ``min_norm``."""
    array = np.asarray(vector, dtype=np.float64).ravel()
    norm = float(np.linalg.norm(array))
    if not np.isfinite(norm) or norm < min_norm:
        return None
    return array / norm


def order_by_similarity(similarity: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Positions of ``similarity`` best first, ties (within TIE_TOLERANCE) broken by row id."""
    similarity = np.asarray(similarity, dtype=np.float64)
    rows = np.arange(similarity.size) if rows is None else np.asarray(rows)
    rounded = np.round(similarity / TIE_TOLERANCE)
    return np.lexsort((rows, -rounded))


def top_k(similarity: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best finite entries of a 1-D similarity vector: (rows, similarities), best first.

    Ties are broken by row id, so the result does not depend on the BLAS kernel. ``-inf`` and
    NaN entries are never returned.
    """
    similarity = np.asarray(similarity, dtype=np.float32)
    finite = np.isfinite(similarity)
    k = int(min(max(k, 0), int(finite.sum())))
    if k == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    candidates = np.flatnonzero(finite)
    values = similarity[candidates]
    if candidates.size > k:
        # keep every candidate within the tolerance of the k-th best, so ties are not cut arbitrarily
        kth = np.partition(-values, k - 1)[k - 1]
        keep = -values <= kth + TIE_TOLERANCE
        candidates, values = candidates[keep], values[keep]
    order = order_by_similarity(values, candidates)[:k]
    return candidates[order].astype(np.int64), values[order]


def cosine_neighbors(
    vectors: np.ndarray,
    query: np.ndarray,
    k: int,
    *,
    valid: np.ndarray | None = None,
    exclude: Iterable[int] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Exact cosine k nearest rows of ``vectors`` (unit rows) to one unit ``query`` vector.

    Args:
        vectors: (n, d) unit rows.
        query: (d,) unit vector.
        k: How many neighbours.
        valid: Optional (n,) mask; invalid rows are never returned.
        exclude: Rows never returned (e.g. the query item itself).

    Returns:
        (rows (m,), similarities (m,)) best first, m <= k, ties broken by row id.
    """
    similarity = np.asarray(vectors @ np.asarray(query, dtype=vectors.dtype), dtype=np.float32)
    if valid is not None:
        similarity = np.where(np.asarray(valid, dtype=bool), similarity, -np.inf)
    similarity = np.where(np.isfinite(similarity), similarity, -np.inf)
    excluded = np.fromiter(exclude, dtype=np.int64)
    if excluded.size:
        similarity[excluded] = -np.inf
    return top_k(similarity, k)


def knn_graph(
    vectors: np.ndarray,
    k: int,
    *,
    valid: np.ndarray | None = None,
    progress=None,
) -> tuple[np.ndarray, np.ndarray]:
    """Exact all-pairs cosine kNN, batched as matrix-matrix products, the item itself excluded.

    Returns:
        (neighbors (n, k) int64, similarities (n, k) float32). Rows with fewer than k candidates
        (or invalid rows) are padded with -1 and NaN. Ties are broken by row id.
    """
    vectors = np.asarray(vectors, dtype=np.float32)
    n = vectors.shape[0]
    valid_mask = np.ones(n, dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    neighbors = np.full((n, k), -1, dtype=np.int64)
    similarities = np.full((n, k), np.nan, dtype=np.float32)
    for start in range(0, n, _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, n)
        block = vectors[start:stop] @ vectors.T
        block[:, ~valid_mask] = -np.inf
        block[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        for offset in range(stop - start):
            row = start + offset
            if not valid_mask[row]:
                continue
            rows, sims = top_k(block[offset], k)
            neighbors[row, : rows.size] = rows
            similarities[row, : sims.size] = sims
        if progress is not None:
            progress(stop, n)
    return neighbors, similarities


def row_lookup(ids: Sequence[str]) -> dict[str, int]:
    """id -> row position (the first row wins for a repeated id)."""
    lookup: dict[str, int] = {}
    for position, item_id in enumerate(ids):
        lookup.setdefault(str(item_id), position)
    return lookup


def rows_of(lookup: Mapping[str, int], ids: Iterable[str]) -> tuple[list[int], list[str]]:
    """Rows of the ids a lookup knows, and the ids it does not know (in input order)."""
    rows: list[int] = []
    unknown: list[str] = []
    for item_id in ids:
        position = lookup.get(str(item_id))
        if position is None:
            unknown.append(str(item_id))
        else:
            rows.append(position)
    return rows, unknown
