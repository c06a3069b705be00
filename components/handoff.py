"""Hand-offs between pages: the one "Colour the map" function every page uses.

A page that has a score per corpus item (an axis ranking, a bias direction) calls
:func:`colour_map_with_scores`; the Map reads ``state.COLOR_SCORES`` and offers it as the
colour choice ``"Score: <name>"``.
"""
from __future__ import annotations

import streamlit as st

from components import state

MAP_PAGE = "pages/1_Map.py"


def colour_map_with_scores(corpus_id: str, name: str, model_id: str, ids: list[str], scores: list[float]) -> None:
    """Send one score per item to the Map as its colour, and open the Map.

    Args:
        corpus_id: The corpus the ids belong to (the Map ignores scores of another corpus).
        name: What the scores are (shown as "Score: <name>" in the Map's colour choice).
        model_id: The model the scores were computed in.
        ids: Item ids that have a score (rows the model could not represent are left out).
        scores: One finite score per id.
    """
    from components.map_view import SCORE_PREFIX  # the Map's name for a handed-over score

    state.set(state.COLOR_SCORES, {"corpus_id": corpus_id, "name": name, "model_id": model_id,
                                   "ids": [str(i) for i in ids], "scores": [float(s) for s in scores]})
    state.set(state.MAP_COLOR, SCORE_PREFIX + name)
    st.switch_page(MAP_PAGE)
