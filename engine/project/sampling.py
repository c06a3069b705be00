"""The map's point cap: which rows to draw when a corpus has more points than a browser can take.

Past ``engine.config.MAP_POINT_CAP`` (200,000 by default; ``EMBEDSCAPE_MAP_POINT_CAP``; 3-D: ``MAP_3D_POINT_CAP``) the Map
draws a sample stratified by cluster: every cluster keeps at least one point (small clusters stay
visible), the rest is proportional to cluster size, and rows that must be seen (search hits, the
open item) are always drawn. The neighbour panel and the exports still use every row.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from engine.config import MAP_POINT_CAP
from engine.project.spec import Projection


def stratified_sample(
    labels: npt.ArrayLike, cap: int, *, seed: int = 0, keep: Sequence[int] = ()
) -> npt.NDArray[np.int64]:
    """About ``cap`` positions into ``labels``, drawn from each group in proportion to its size.

    Every group keeps at least one position; positions in ``keep`` are always included. Returns
    sorted positions; all of them when there are no more than ``cap``.
    """
    labels = np.asarray(labels)
    n = labels.size
    if n <= cap:
        return np.arange(n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    chosen: list[np.ndarray] = []
    for group in np.unique(labels):
        members = np.flatnonzero(labels == group)
        quota = max(1, int(round(cap * members.size / n)))
        chosen.append(rng.choice(members, size=min(quota, members.size), replace=False))
    picked = np.unique(np.concatenate(chosen + [np.asarray(list(keep), dtype=np.int64)]))
    return picked.astype(np.int64)


def display_rows(projection: Projection, labels: npt.ArrayLike | None = None, *, cap: int = MAP_POINT_CAP,
                 keep: Sequence[int] = (), seed: int = 0) -> npt.NDArray[np.int64]:
    """Corpus rows to draw: every projected row, or past ``cap`` a sample stratified by ``labels``.

    Args:
        projection: The layout (rows without a position are never drawn).
        labels: (n,) cluster per corpus row (e.g. ``Clustering.labels``); None: one group.
        cap: Most points to draw (about; forced rows and one per cluster can add a few).
        keep: Corpus rows always drawn when they have a position (search hits, the open item).
    """
    projected = np.flatnonzero(projection.projected)
    if projected.size <= cap:
        return projected.astype(np.int64)
    groups = np.asarray(labels)[projected] if labels is not None else np.zeros(projected.size, dtype=int)
    keep_positions = np.flatnonzero(np.isin(projected, np.asarray(list(keep), dtype=np.int64)))
    picked = stratified_sample(groups, cap, seed=seed, keep=keep_positions.tolist())
    return projected[picked].astype(np.int64)
