"""The approximate builders of :mod:`engine.knn`'s graph: cluster-blocked exact search and HNSW.

* **clustered** (the default from :data:`engine.knn.EXACT_MAX_ROWS` rows): a seeded spherical
  k-means splits the rows into about ``sqrt(n) / 2`` lists; every list's rows are searched
  *exactly* (BLAS products through :func:`engine.index.exact_search_positions`) among the rows of
  the P lists whose centres are nearest its own centre. P is doubled from 2 until recall@k
  against exact search on a seeded tuning sample reaches :data:`engine.knn.TUNE_RECALL`; past
  half of the rows it falls back to exact search. Unlike an IVF index, whose probes are chosen
  per query, one list's queries share one candidate block, so the work is a few large matrix
  products (at 100k × 384: 5 % of the exact products for recall 1.000 on bench/project.py's data,
  4.5 s vs 44 s, against HNSW's 0.87 at efSearch 128). It is deterministic: the k-means is seeded
  and runs on one sample; no parallel insertion order (HNSW's) enters the result.
* **hnsw**: faiss HNSW with efSearch tuned the same way (kept for explicit requests and graphs
  stored before the clustered route existed).

Both report recall on a *second*, disjoint sample after the full search (not the tuned number).
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from engine.knn import (
    _SLACK,
    EF_SEARCH_MAX,
    EF_SEARCH_START,
    HNSW_EF_CONSTRUCTION,
    HNSW_M,
    RECALL_SAMPLE,
    TUNE_RECALL,
    Progress,
    _order_candidates,
    exact_neighbors,
    recall_at_k,
    repair_unsafe,
)

KMEANS_ITERATIONS = 8
KMEANS_SAMPLE_PER_LIST = 64  # training rows per list (faiss's own default is 39-256)
MAX_SCANNED_SHARE = 0.5  # past this share of the exact products, exact search is as cheap: use it


def _samples(m: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sample = rng.choice(m, size=min(2 * RECALL_SAMPLE, m), replace=False)
    return np.sort(sample[: len(sample) // 2]), np.sort(sample[len(sample) // 2:])  # sorted: blocks return rows sorted


def spherical_kmeans(matrix: np.ndarray, lists: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(centres (lists, d) unit rows, the list of every row (m,)): seeded Lloyd iterations on a sample."""
    rng = np.random.default_rng(seed)
    m = matrix.shape[0]
    train = matrix[np.sort(rng.choice(m, size=min(m, KMEANS_SAMPLE_PER_LIST * lists), replace=False))]
    centres = train[np.sort(rng.choice(train.shape[0], size=lists, replace=False))].copy()
    for _ in range(KMEANS_ITERATIONS):
        nearest = np.argmax(train @ centres.T, axis=1)
        members = np.zeros((lists, train.shape[0]), dtype=np.float32)
        members[nearest, np.arange(train.shape[0])] = 1.0
        sums = members @ train  # (np.add.at is ~10x slower here)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        filled = norms[:, 0] > 0  # an emptied list keeps its centre
        centres[filled] = sums[filled] / norms[filled]
    assign = np.empty(m, dtype=np.int64)
    for start in range(0, m, 16_384):
        assign[start:start + 16_384] = np.argmax(matrix[start:start + 16_384] @ centres.T, axis=1)
    return centres, assign


def _probe_lists(centres: np.ndarray, sizes: np.ndarray, probes: int, need: int) -> list[np.ndarray]:
    """For each list: the ``probes`` lists with the nearest centres (itself first), more if they
    hold fewer than ``need`` rows."""
    order = np.argsort(-(centres @ centres.T), axis=1, kind="stable")
    chosen = []
    for c in range(len(centres)):
        enough = int(np.searchsorted(np.cumsum(sizes[order[c]]), need)) + 1
        chosen.append(order[c, : max(probes, enough)])
    return chosen


def _blocked_candidates(matrix: np.ndarray, members: list[np.ndarray], probe: list[np.ndarray],
                        queries: np.ndarray | None, width: int,
                        progress: Progress | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact top-``width`` among each list's candidate block, for every row (or ``queries`` only):
    (query rows, positions, similarities)."""
    from engine.index import exact_search_positions

    rows, found, sims = [], [], []
    done, total = 0, sum(len(x) for x in members)
    for c, own in enumerate(members):
        targets = own if queries is None else np.intersect1d(own, queries)
        if targets.size:
            block = np.sort(np.concatenate([members[o] for o in probe[c]]))
            positions, values = exact_search_positions(matrix[block], matrix[targets], min(width, block.size))
            padded = np.full((targets.size, width), -1, dtype=np.int64)
            padded_sims = np.full((targets.size, width), np.nan, dtype=np.float32)
            padded[:, : positions.shape[1]] = np.where(positions >= 0, block[np.clip(positions, 0, None)], -1)
            padded_sims[:, : values.shape[1]] = values
            rows.append(targets)
            found.append(padded)
            sims.append(padded_sims)
        done += own.size
        if progress and queries is None:
            progress(done, total)
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros((0, width), dtype=np.int64), np.zeros((0, width), np.float32)
    return np.concatenate(rows), np.concatenate(found), np.concatenate(sims)


def clustered_graph(matrix: np.ndarray, k: int, seed: int,
                    progress: Progress | None) -> tuple[np.ndarray, np.ndarray, dict] | None:
    """Cluster-blocked exact kNN tuned to TUNE_RECALL; None when it would scan too much (use exact)."""
    m = matrix.shape[0]
    started = time.perf_counter()
    lists = max(2, int(np.sqrt(m) / 2))
    centres, assign = spherical_kmeans(matrix, lists, seed)
    members = [np.flatnonzero(assign == c) for c in range(lists)]
    sizes = np.array([x.size for x in members])
    width = min(k + 1 + _SLACK, m)
    tune, check = _samples(m, seed)
    truth, truth_sims = exact_neighbors(matrix, matrix[tune], tune, k)
    probes = 2
    while True:
        probe = _probe_lists(centres, sizes, probes, width)
        scanned = float(sum(sizes[c] * sizes[p].sum() for c, p in enumerate(probe))) / (m * m)
        if scanned > MAX_SCANNED_SHARE:
            return None
        rows, found, sims = _blocked_candidates(matrix, members, probe, tune, width)
        order = np.argsort(rows)  # back to the order of ``tune`` (sorted)
        top, top_sims, _ = _order_candidates(found[order], sims[order], rows[order], k, m)
        tuned_recall = recall_at_k(top, top_sims, truth, truth_sims)
        if tuned_recall >= TUNE_RECALL:
            break
        probes *= 2
    rows, found, sims = _blocked_candidates(matrix, members, probe, None, width, progress)
    positions = np.empty((m, width), dtype=np.int64)
    similarities = np.empty((m, width), dtype=np.float32)
    positions[rows], similarities[rows] = found, sims
    positions, similarities, unsafe = _order_candidates(positions, similarities, np.arange(m), k, m)
    repair_unsafe(matrix, matrix, np.arange(m), positions, similarities, unsafe)
    check_truth, check_sims = exact_neighbors(matrix, matrix[check], check, k)
    recall = recall_at_k(positions[check], similarities[check], check_truth, check_sims)
    params = {"lists": lists, "probes": probes, "scanned": round(scanned, 4), "tuning_recall": round(tuned_recall, 4),
              "recall_sample": int(len(check)), "build_seconds": round(time.perf_counter() - started, 2)}
    return positions, similarities, {"recall": recall, **params}


def hnsw_graph(matrix: np.ndarray, k: int, seed: int,
               progress: Progress | None) -> tuple[np.ndarray, np.ndarray, dict] | None:
    """HNSW kNN with efSearch tuned to TUNE_RECALL; None when the cap is reached first (use exact)."""
    from engine.index import build_hnsw_graph, hnsw_search_positions

    m = matrix.shape[0]
    total = 2 * m
    started = time.perf_counter()
    hnsw = build_hnsw_graph(matrix, (lambda d, t: progress(d, total)) if progress else None, m=HNSW_M,
                            ef_construction=HNSW_EF_CONSTRUCTION)
    build_seconds = time.perf_counter() - started
    tune, check = _samples(m, seed)
    truth, truth_sims = exact_neighbors(matrix, matrix[tune], tune, k)
    ef = max(EF_SEARCH_START, 2 * (k + 1))
    while True:
        found, sims = hnsw_search_positions(hnsw, matrix[tune], k + 1, ef_search=ef)
        tuned_recall = recall_at_k(*_order_candidates(found, sims, tune, k, m)[:2], truth, truth_sims)
        if tuned_recall >= TUNE_RECALL:
            break
        if ef >= EF_SEARCH_MAX:
            # this space is hard for HNSW (seen at 100k x 384: 0.992 at efSearch 4,096 and a full pass
            # that ran for 18+ minutes); exact batched search is bounded (~100 s at 100k), so use it
            return None
        ef *= 2
    positions, sims = hnsw_search_positions(
        hnsw, matrix, k + 1, ef_search=ef, progress=(lambda d, t: progress(m + d, total)) if progress else None)
    positions, sims, _ = _order_candidates(positions, sims, np.arange(m), k, m)
    check_truth, check_sims = exact_neighbors(matrix, matrix[check], check, k)
    recall = recall_at_k(positions[check], sims[check], check_truth, check_sims)
    params = {"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": ef,
              "tuning_recall": round(tuned_recall, 4), "recall_sample": int(len(check)),
              "build_seconds": round(build_seconds, 2)}
    return positions, sims, {"recall": recall, **params}


def approximate_graph(method: str, matrix: np.ndarray, k: int, seed: int,
                      progress: Progress | None) -> tuple[np.ndarray, np.ndarray, dict] | None:
    """The builder for ``method`` (``"clustered"`` or ``"hnsw"``); None means: use exact search."""
    builder: Any = clustered_graph if method == "clustered" else hnsw_graph
    return builder(matrix, k, seed, progress)
