"""Axes: define a semantic axis, rank the corpus along it, and see how far to trust the ranking."""
import streamlit as st

from components import axes_editor, axes_view, share, sidebar, state, tag_picker
from components import resources as res
from components.feedback import user_errors

st.set_page_config(page_title="Axes · Embedscape", layout="wide")
corpus_id, model_ids = sidebar.sidebar_context()
corpus_id, model_ids = sidebar.require_embedded(corpus_id, model_ids)
st.title("Axes")
st.caption("An axis is a direction in a model's space, from one idea to its opposite. Every item gets a score "
           "(its projection) and a rank; the stability band shows which positions depend on the seeds you chose.")


@st.fragment
def axes_body(corpus_id: str, model_ids: tuple[str, ...]) -> None:
    """Everything below the title: building or editing an axis reruns only this (issue 15 §1); the
    sections below with their own controls are fragments of their own (components/axes_view.py)."""
    with user_errors():
        corpus = res.corpus(corpus_id)
        model_id = model_ids[0]
        with st.container(border=True):
            submitted = axes_editor.axis_editor(
                corpus, presets=res.axis_presets(), saved=res.saved_axes(corpus_id),
                numeric_columns=res.numeric_axis_columns(corpus_id), pole_handoff=state.get(state.AXIS_POLE),
                current=axes_editor.current_recipe(), key="axes")
        if submitted is not None:
            state.set(state.AXES_RECIPE, submitted)
        recipe = axes_editor.current_recipe()
        if recipe is None:
            st.info("Pick a preset, type seed texts for both poles, or write an expression, then press **Build axis**.")
            st.stop()

        recipe_json = res.axis_recipe_json(recipe)
        axes_view.render_axis_summary(res.axis_fit(corpus_id, model_id, recipe_json),
                                      model_label=axes_view.model_label(model_id))
        ranking, n_show = axes_view.render_ranking(corpus_id, model_id, recipe_json)
        axis = res.axis_fit(corpus_id, model_id, recipe_json).axis
        tag_picker.axis_end_picker(corpus, ranking.scores, n_show, key="axes_tags",
                                   ends=(axis.positive_label, axis.negative_label))
        st.divider()
        axes_view.render_rankability(corpus_id, model_id, recipe_json)
        st.divider()
        axes_view.render_two_axes(corpus, model_id, recipe_json)
        st.divider()
        axes_view.render_across_models(corpus, model_ids, recipe_json, n=n_show)
        # inside the body fragment: a control reruns only this part, and the link must follow it
        share.link_box()  # "Share this view": the link that reopens this page as it is (components/share.py)


axes_body(corpus_id, model_ids)
