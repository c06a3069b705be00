"""Axes: define a semantic axis, rank the corpus along it, and see how far to trust the ranking."""
from pathlib import Path

import streamlit as st

from components import axes_view, sidebar, state
from components import resources as res
from components.feedback import user_errors

MAP_PAGE = Path(__file__).resolve().parent / "1_Map.py"
PROBE_BAND_MAX_ROWS = 5_000  # a probe's band refits the probe per resample (~0.1 s at 2.6k rows, 384-d)
PROBE_BAND_MAX_RESAMPLES = 50

st.set_page_config(page_title="Axes · Embedscape", layout="wide")
corpus_id, model_ids = sidebar.sidebar_context()
corpus_id, model_ids = sidebar.require_embedded(corpus_id, model_ids)
st.title("Axes")
st.caption("An axis is a direction in a model's space, from one idea to its opposite. Every item gets a score "
           "(its projection) and a rank; the stability band shows which positions depend on the seeds you chose.")

with user_errors():
    corpus = res.corpus(corpus_id)
    model_id = model_ids[0]
    model_label = axes_view.model_label(model_id)
    numeric = res.numeric_axis_columns(corpus_id)
    recipe = state.get(state.AXES_RECIPE)

    with st.container(border=True):
        submitted = axes_view.axis_editor(
            corpus, presets=res.axis_presets(), saved=res.saved_axes(corpus_id), numeric_columns=numeric,
            pole_handoff=state.get(state.AXIS_POLE), current=recipe, key="axes")
    if submitted is not None:
        recipe = submitted
        state.set(state.AXES_RECIPE, recipe)
    if recipe is None:
        st.info("Pick a preset, type seed texts for both poles, or write an expression, then press **Build axis**.")
        st.stop()

    recipe_json = res.axis_recipe_json(recipe)
    fit = res.axis_fit(corpus_id, model_id, recipe_json)
    ranking = res.axis_ranking(corpus_id, model_id, recipe_json)
    axis = fit.axis
    axes_view.render_axis_summary(fit, model_label=model_label)

    controls = st.columns([1.2, 1.2, 1.6, 2])
    n_show = controls[0].number_input("Items per end", 5, 200, 15, step=5, key="axes_n_show",
                                      help="How many items to list at each end of the axis.")
    with_band = controls[1].toggle("Stability band", value=True, key="axes_with_band",
                                   help="Resample each pole's seeds with replacement, refit and re-rank; shows each "
                                        "item's 5-95% rank interval.")
    n_resamples = controls[2].select_slider("Resamples", [50, 100, 200, 500], value=200, key="axes_resamples",
                                            help="More resamples give steadier intervals and take longer.")
    probe_rows = int(fit.quality.get("n_examples", 0)) if axis.method.startswith("probe") else 0
    if probe_rows and with_band:  # each resample refits the probe: keep it interactive
        if probe_rows > PROBE_BAND_MAX_ROWS:
            with_band = False
            st.caption(f"No stability band: the probe has {probe_rows:,} labelled items and every resample "
                       f"would refit it (limit {PROBE_BAND_MAX_ROWS:,}). Fit it from a sample to see one.")
        elif n_resamples > PROBE_BAND_MAX_RESAMPLES:
            n_resamples = PROBE_BAND_MAX_RESAMPLES
            st.caption(f"Probe axes refit the probe per resample, so the band uses {n_resamples} resamples.")
    band = res.axis_band(corpus_id, model_id, recipe_json, int(n_resamples)) if with_band else None
    ranked = res.axis_ranked_frame(corpus_id, model_id, recipe_json, int(n_resamples) if with_band else 0)

    axes_view.render_ranked_ends(ranked, n=int(n_show), positive_label=axis.positive_label,
                                 negative_label=axis.negative_label, key="axes_ranked")
    if ranking.n_ranked < len(corpus):
        st.caption(f"{len(corpus) - ranking.n_ranked:,} items this model cannot represent are not ranked.")

    chart_left, chart_right = st.columns(2)
    chart_left.plotly_chart(axes_view.score_histogram_chart(ranking.scores, positive_label=axis.positive_label,
                                                            negative_label=axis.negative_label),
                            key="axes_histogram")
    with chart_right:
        if band is not None:
            st.plotly_chart(axes_view.stability_band_chart(ranked), key="axes_band_chart")
            if band.degenerate:
                st.caption("Each pole has a single seed, so resampling cannot move anything: a zero-width band "
                           "here says nothing about robustness. Add more seeds per pole.")
        else:
            st.info("Turn on the stability band to see each item's rank interval.")

    actions = st.columns([2, 1.1, 1.3, 1.6], vertical_alignment="bottom")
    save_name = actions[0].text_input("Save as", value=axis.name, key="axes_save_name",
                                      help="Saved axes are listed under 'Saved axis' and in `python -m engine axis list`.")
    if actions[1].button("Save axis", key="axes_save", help="Store the recipe and this model's direction."):
        key = res.save_axis(corpus_id, model_id, recipe_json, save_name)
        st.toast(f"Saved as {key}.")
    if actions[2].button("Colour the map", key="axes_to_map", type="primary",
                         help="Send every item's score on this axis to the Map page as a colour."):
        payload = res.axis_color_scores(corpus_id, model_id, recipe_json)
        state.set(state.COLOR_SCORES, payload)
        if MAP_PAGE.exists():
            from components.map_view import SCORE_PREFIX  # the Map's name for a handed-over score

            state.set(state.MAP_COLOR, SCORE_PREFIX + payload["name"])
            st.switch_page("pages/1_Map.py")
        st.toast("Scores sent; open the Map page to colour by them.")
    with actions[3]:
        axes_view.render_ranking_download(ranked, axis_name=axis.name, key="axes_download")

    st.divider()
    st.subheader("Rankability", anchor=False)
    if not numeric:
        st.caption("This corpus has no numeric metadata column to check the axis against.")
    else:
        left, middle, right = st.columns([1.5, 1, 2.5])
        column = left.selectbox("Numeric column", numeric, key="axes_rank_column",
                                help="Spearman correlation between the axis scores and this column's values.")
        with middle, user_errors(stop=False):
            result = res.axis_rankability(corpus_id, model_id, recipe_json, column)
            st.metric("Spearman along this axis", f"{result['spearman']:+.3f}",
                      help=f"p = {result['p_value']:.2g}, n = {result['n']:,}")
        with right, user_errors(stop=False):
            k = st.number_input("Few examples (k)", 2, 500, 10, key="axes_rank_k",
                                help="A ridge probe fitted on k labelled items vs on all training items, both "
                                     "scored on the same held-out 30%.")
            if st.button("Compare a probe from k examples with one from all", key="axes_rank_probe"):
                few_all = res.axis_few_vs_all(corpus_id, model_id, column, int(k))
                st.markdown(
                    f"Held-out Spearman with {axes_view.md_escape(column)}: from **{few_all['k']}** examples "
                    f"**{few_all['few']['spearman']:+.3f}**; from all **{few_all['n_train']:,}** "
                    f"**{few_all['all']['spearman']:+.3f}** (scored on {few_all['n_test']:,} held-out items).")

    st.divider()
    st.subheader("Two axes", anchor=False)
    choices = res.second_axis_choices(corpus_id)
    if choices:
        if state.get(state.AXES_SECOND) not in choices:
            state.set(state.AXES_SECOND, next((c for c in choices if not c.endswith(":" + axis.name)), None))
        left, right = st.columns([2, 2])
        second = left.selectbox("Second axis (y)", list(choices), format_func=choices.__getitem__,
                                help="A preset or a saved axis, rebuilt in the same model.",
                                **state.bind(state.AXES_SECOND))
        color_options = ["(none)", *corpus.metadata_columns]
        color_by = right.selectbox("Colour by", color_options, key="axes_scatter_color",
                                   help="A metadata column to colour the points.")
        if second:
            with user_errors(stop=False):  # e.g. a preset a word model cannot represent
                second_json = res.second_axis_recipe_json(corpus_id, second)
                second_fit = res.axis_fit(corpus_id, model_id, second_json)
                second_ranking = res.axis_ranking(corpus_id, model_id, second_json)
                st.plotly_chart(axes_view.two_axis_scatter_chart(
                    ranking.scores, second_ranking.scores, texts=corpus.texts,
                    x_labels=(axis.positive_label, axis.negative_label),
                    y_labels=(second_fit.axis.positive_label, second_fit.axis.negative_label),
                    color=None if color_by == "(none)" else corpus.frame[color_by].to_list(),
                    color_name="" if color_by == "(none)" else color_by), key="axes_scatter")

    st.divider()
    st.subheader("Same axis across models", anchor=False)
    if len(model_ids) < 2:
        st.caption("Pick two or more models in the sidebar to rebuild this axis in each and compare the rankings.")
    else:
        rankings = {}
        for other in model_ids:  # a recipe may not fit in every model (e.g. a word GloVe lacks)
            with user_errors(stop=False):
                rankings[other] = res.axis_ranking(corpus_id, other, recipe_json)
        if len(rankings) < 2:
            st.caption("The axis could be rebuilt in fewer than two of the chosen models; nothing to compare.")
        else:
            with user_errors(stop=False):
                comparison = res.axis_comparison(corpus_id, tuple(rankings), recipe_json, 20)
                axes_view.render_model_comparison(comparison, corpus=corpus, rankings=rankings,
                                                  labels={m: axes_view.model_label(m) for m in rankings},
                                                  n=int(n_show), key="axes_compare")
