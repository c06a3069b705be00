"""Hubness (Radovanović, Nanopoulos & Ivanović 2010): in high dimensions a few points ("hubs")
appear in very many k-nearest-neighbour lists and many ("anti-hubs") in none, which pollutes
search. Measured from the stored kNN graph: the k-occurrence N_k(x) = how many other items list
x among their k nearest neighbours, and the skewness of its distribution.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import skew

HUB_FACTOR = 2  # an item counts as a hub when N_k > 2k (a common threshold in the hubness literature)


def k_occurrence(neighbors: np.ndarray, n: int | None = None) -> np.ndarray:
    """N_k per row: how often each row appears in the others' neighbour lists (-1 padding skipped)."""
    neighbors = np.asarray(neighbors)
    n = neighbors.shape[0] if n is None else n
    listed = neighbors[neighbors >= 0]
    return np.bincount(listed.ravel(), minlength=n).astype(np.int64)


@dataclass(frozen=True, slots=True)
class HubnessFigures:
    k: int
    skewness: float  # of N_k over valid rows; about 0 for no hubness, > 1 marked
    max_occurrence: int
    hub_share: float  # share of valid rows with N_k > 2k
    antihub_share: float  # share of valid rows with N_k = 0
    top5_share: float  # share of all neighbour slots taken by the top 5 % of items
    graph_method: str
    graph_recall: float | None

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def hubness(neighbors: np.ndarray, valid: np.ndarray, *, method: str = "exact",
            recall: float | None = 1.0) -> tuple[HubnessFigures, np.ndarray]:
    """Hubness figures and N_k per row (invalid rows get -1)."""
    valid = np.asarray(valid, dtype=bool)
    k = int(np.asarray(neighbors).shape[1])
    counts = k_occurrence(neighbors, valid.size)
    occurrence = np.where(valid, counts, -1)
    values = counts[valid].astype(np.float64)
    if values.size == 0:
        nan = float("nan")
        return HubnessFigures(k, nan, 0, nan, nan, nan, method, recall), occurrence
    top = max(1, int(np.ceil(0.05 * values.size)))
    slots = float(values.sum()) or 1.0
    figures = HubnessFigures(
        k=k,
        skewness=float(skew(values)) if values.std() > 0 else 0.0,
        max_occurrence=int(values.max()),
        hub_share=float(np.mean(values > HUB_FACTOR * k)),
        antihub_share=float(np.mean(values == 0)),
        top5_share=float(np.sort(values)[::-1][:top].sum() / slots),
        graph_method=method,
        graph_recall=recall,
    )
    return figures, occurrence


def top_hubs(occurrence: np.ndarray, n: int = 20) -> np.ndarray:
    """Rows with the largest N_k, largest first (ties by row)."""
    occurrence = np.asarray(occurrence)
    rows = np.flatnonzero(occurrence >= 0)
    order = np.lexsort((rows, -occurrence[rows]))
    return rows[order][:n]


def anti_hubs(occurrence: np.ndarray) -> np.ndarray:
    """Rows nobody lists (N_k = 0), in row order."""
    return np.flatnonzero(np.asarray(occurrence) == 0)


def occurrence_histogram(occurrence: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N_k values, how many items have each) over valid rows."""
    values = np.asarray(occurrence)
    values = values[values >= 0]
    counts = np.bincount(values) if values.size else np.zeros(0, dtype=np.int64)
    present = np.flatnonzero(counts)
    return present, counts[present]
