"""Bias: directions from definitional pairs, WEAT, and a hard-debias preview (a diagnostic, not a fix).

Every tab's inputs are read first; then, above the tabs, the model is loaded and every word the
tabs need is embedded with a visible status (a sentence model takes 15-40 s the first time);
then each tab draws its results from the cache.
"""
from __future__ import annotations

import streamlit as st

from components import bias_tabs, recipe_panel, share, sidebar
from components.feedback import user_errors

st.set_page_config(page_title="Bias · Embedscape", layout="wide")
corpus_id, model_ids = sidebar.sidebar_context()
corpus_id, model_ids = sidebar.require_embedded(corpus_id, model_ids)

st.title("Bias")
st.markdown(
    "Measure how a model places words along a **bias direction** (e.g. *she ↔ he*), test associations with "
    "**WEAT**, and preview what **hard debiasing** changes. Word-vector models look words up directly; sentence "
    "models embed each word in a template such as “This is a {word}.” (SEAT). Every word list below is editable."
)


@st.fragment
def bias_body(corpus_id: str, model_ids: tuple[str, ...]) -> None:
    """Everything below the introduction: a changed word list, test or option reruns only this
    (issue 15 §1); results come from the caches, so only what changed is computed."""
    with user_errors():
        model = bias_tabs.model_settings(corpus_id, model_ids)
        waiting = st.container()  # the status of any wait, above the tabs where it is seen
        tab_direction, tab_weat, tab_debias = st.tabs(bias_tabs.TAB_NAMES)
        with waiting:
            bias_tabs.load_model(model)

    direction = weat = debias = None  # None: that tab's inputs hold an error, shown in the tab
    with tab_direction, user_errors(stop=False):
        inputs, results = st.columns([1, 2], gap="large")
        with inputs:
            direction = bias_tabs.direction_inputs(model, corpus_id)
    with tab_weat, user_errors(stop=False):
        weat = bias_tabs.weat_inputs(model)
    with tab_debias, user_errors(stop=False):
        debias = bias_tabs.debias_inputs(model, direction) if direction else None

    with waiting, user_errors():
        bias_tabs.prepare_words(model, bias_tabs.words_needed(direction, weat, debias))
    recipe_panel.remember_bias(corpus_id, model, direction, weat)  # issue 14: the recipe keeps this page's tests

    if weat is not None:
        with tab_weat, user_errors(stop=False):
            bias_tabs.weat_results(model, weat)
    if direction is not None:
        with results, user_errors(stop=False):
            bias_tabs.direction_results(model, corpus_id, direction)
    if debias is not None:
        with tab_debias, user_errors(stop=False):
            bias_tabs.debias_results(model, debias)
    # inside the body fragment: a control reruns only this part, and the link must follow it
    share.link_box()  # "Share this view": the link that reopens this page as it is (components/share.py)


bias_body(corpus_id, model_ids)
