"""Hand-offs between pages that every area shares: "Colour the map" by a score per item.

One function writes the ``state.COLOR_SCORES`` payload the Map reads, so the Axes and Bias pages
cannot drift apart in what they send.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import streamlit as st

from components import state

MAP_PAGE = "pages/1_Map.py"
_ROOT = Path(__file__).resolve().parents[1]


def color_scores_payload(corpus_id: str, name: str, model_id: str, ids: Sequence[str],
                         scores: Sequence[float]) -> dict[str, object]:
    """The ``state.COLOR_SCORES`` value: items with a finite score only (NaN = not representable)."""
    if len(ids) != len(scores):
        raise ValueError(f"Got {len(ids)} ids but {len(scores)} scores.")
    kept = [(str(i), float(s)) for i, s in zip(ids, scores) if s is not None and math.isfinite(float(s))]
    return {"corpus_id": corpus_id, "name": name, "model_id": model_id,
            "ids": [i for i, _ in kept], "scores": [s for _, s in kept]}


def colour_map_with_scores(corpus_id: str, name: str, model_id: str, ids: Sequence[str],
                           scores: Sequence[float]) -> None:
    """Send one score per item to the Map page as its colour, and open the Map.

    Args:
        corpus_id: The corpus the ids belong to (the Map ignores scores of another corpus).
        name: What the scores are (shown as the Map's colour choice "Score: <name>").
        model_id: The model the scores come from.
        ids: Item ids, one per score (typically every corpus id).
        scores: One score per id; NaN or None for items without a score (left grey on the Map).
    """
    from components.map_view import SCORE_PREFIX  # the Map's name for a handed-over score

    payload = color_scores_payload(corpus_id, name, model_id, ids, scores)
    state.set(state.COLOR_SCORES, payload)
    state.set(state.MAP_COLOR, SCORE_PREFIX + name)
    if (_ROOT / MAP_PAGE).exists():
        st.switch_page(MAP_PAGE)
    st.toast("Scores sent; open the Map page to colour by them.")
