"""The same axis across models: agreement of the rankings (Spearman, Kendall) and the items whose
rank jumps most. Raw scores are never compared across models (their spaces differ)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import polars as pl

from engine.axes.core import Ranking, ranks_from_scores
from engine.errors import AxisError
from engine.types import ID_COLUMN


def compare_rankings(rankings: Sequence[Ranking], *, ids: Sequence[str], top: int = 20) -> dict[str, Any]:
    """Agreement of one axis across models: pairwise Spearman/Kendall and the biggest rank jumps.

    Only rows valid in every model are compared; ranks are recomputed over those shared rows.

    Returns:
        ``{"models": [...], "n_shared": int, "pairs": [{"a", "b", "spearman", "kendall"}],
        "ranks": {model_id: (n,) int32 ranks over shared rows, 0 elsewhere},
        "jumps": polars DataFrame id | rank_<model>… | jump (max - min rank), largest first}``
    """
    from scipy.stats import kendalltau, spearmanr

    if len(rankings) < 1:
        raise AxisError("Compare needs at least one model's ranking.")
    shared = np.logical_and.reduce([np.asarray(r.valid) for r in rankings])
    rows = np.flatnonzero(shared)
    if rows.size < 3:
        raise AxisError("Fewer than three items are representable in every chosen model; nothing to compare.")
    models = [r.model_id for r in rankings]
    ranks = {}
    for r in rankings:
        ranks[r.model_id] = ranks_from_scores(np.nan_to_num(r.scores), shared)
    pairs = []
    for i in range(len(rankings)):
        for j in range(i + 1, len(rankings)):
            a, b = rankings[i].scores[rows], rankings[j].scores[rows]
            pairs.append({"a": models[i], "b": models[j], "spearman": float(spearmanr(a, b).statistic),
                          "kendall": float(kendalltau(a, b).statistic)})
    stacked = np.vstack([ranks[m][rows] for m in models]).astype(np.int64)
    jump = stacked.max(axis=0) - stacked.min(axis=0)
    order = np.argsort(-jump, kind="stable")[:top]
    id_list = list(ids)
    jumps = pl.DataFrame({
        ID_COLUMN: [id_list[int(rows[o])] for o in order],
        **{f"rank_{m}": stacked[k, order].tolist() for k, m in enumerate(models)},
        "jump": jump[order].tolist(),
    })
    return {"models": models, "n_shared": int(rows.size), "pairs": pairs, "ranks": ranks, "jumps": jumps}
