"""The Axes page's sections: the axis summary, both ends ranked, save / colour the map, rankability,
two axes, and the same axis across models.

``render_*`` draws. No math here: scores, ranks and bands come from engine.axes through
components.resources; charts come from components.axes_charts. User text is shown as plain text
(tables) or escaped (``escape_markdown`` for Markdown). Every listed item can be opened in full:
tick its row, then "Open in full" (components.item_detail).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import polars as pl
import streamlit as st

from components import axes_charts, filter_view, handoff, item_detail, state
from components import resources as res
from components.feedback import escape_markdown, user_errors
from engine.export import to_csv_bytes  # formula cells neutralised
from engine.types import ID_COLUMN, TEXT_COLUMN, Corpus

RESAMPLE_CHOICES = [50, 100, 200, 500]


def model_label(model_id: str) -> str:
    """A model's display name (its id if the registry does not know it)."""
    from engine.models import resolve_model

    try:
        return resolve_model(model_id).display_name
    except Exception:  # a stored id whose model this version does not know
        return model_id


def render_axis_summary(fit: Any, *, model_label: str) -> None:
    """Name, ends, method and fit notes (dropped words, explained share, probe quality)."""
    axis = fit.axis
    st.subheader(escape_markdown(axis.name), anchor=False)
    notes = [f"from **{escape_markdown(axis.negative_label)}** (low scores) to "
             f"**{escape_markdown(axis.positive_label)}** (high scores)",
             f"in {escape_markdown(model_label)}", f"method: {escape_markdown(axis.method)}"]
    if axis.explained is not None:
        notes.append(f"the direction holds {axis.explained:.0%} of the seeds' variance")
    for name, value in fit.quality.items():
        if name != "n_examples":
            notes.append(f"{escape_markdown(name.replace('_', ' '))}: {value:.2f}")
    if "n_examples" in fit.quality:
        notes.append(f"{int(fit.quality['n_examples']):,} labelled items")
    st.markdown(" · ".join(notes))
    if fit.dropped:
        shown = ", ".join(escape_markdown(str(d)) for d in fit.dropped[:12])
        more = f" and {len(fit.dropped) - 12} more" if len(fit.dropped) > 12 else ""
        st.warning(f"Not representable in {escape_markdown(model_label)} and left out: {shown}{more}.", icon="⚠️")


def _item_table(frame: pl.DataFrame, *, corpus_id: str, key: str, column_config: Mapping[str, Any]) -> None:
    """A plain-text table whose rows can be ticked and opened in full (text and every metadata value)."""
    event = st.dataframe(frame, hide_index=True, width="stretch", key=key, column_config=dict(column_config),
                         on_select="rerun", selection_mode="single-row")
    rows = list(getattr(getattr(event, "selection", None), "rows", []) or [])
    picked = str(frame[ID_COLUMN][rows[0]]) if rows and rows[0] < frame.height else None
    item_detail.open_item_button(corpus_id, picked, key=f"{key}_open",
                                 label="Open in full" if picked else "Tick a row to open it in full")


def _with_label_first(frame: pl.DataFrame, label_column: str | None, leading: Sequence[str]) -> pl.DataFrame:
    """``leading`` columns, then the label column beside the text, then the rest."""
    first = [c for c in leading if c in frame.columns]
    if label_column and label_column in frame.columns and label_column not in first:
        first.insert(first.index(TEXT_COLUMN) if TEXT_COLUMN in first else len(first), label_column)
    return frame.select(first + [c for c in frame.columns if c not in first])


def _label_config(label_column: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {TEXT_COLUMN: st.column_config.TextColumn("text", width="large")}
    if label_column:
        config[label_column] = st.column_config.TextColumn(label_column, width="medium",
                                                            help="The label column chosen in the sidebar.")
    return config


def render_ranked_ends(ranked: pl.DataFrame, *, corpus_id: str, label_column: str | None, n: int,
                       positive_label: str, negative_label: str, key: str) -> None:
    """Two tables: the ``n`` items nearest each end (rank, score, interval, label, text, metadata)."""
    ranked = _with_label_first(ranked, label_column, ("rank", "score", "rank_low", "rank_high", TEXT_COLUMN))
    column_config = {
        "rank": st.column_config.NumberColumn("rank", help="1 = furthest toward the positive end."),
        "score": st.column_config.NumberColumn("score", format="%.3f", help="Projection on the axis."),
        "rank_low": st.column_config.NumberColumn("rank 5%", help="Best rank over pole resamples (5th pct)."),
        "rank_high": st.column_config.NumberColumn("rank 95%", help="Worst rank over pole resamples (95th pct)."),
        **_label_config(label_column),
    }
    left, right = st.columns(2)
    with left:
        st.markdown(f"**Toward {escape_markdown(positive_label)}** (top {min(n, ranked.height)})")
        _item_table(ranked.head(n), corpus_id=corpus_id, key=f"{key}_top", column_config=column_config)
    with right:
        st.markdown(f"**Toward {escape_markdown(negative_label)}** (bottom {min(n, ranked.height)})")
        _item_table(ranked.tail(n).reverse(), corpus_id=corpus_id, key=f"{key}_bottom", column_config=column_config)


def render_ranking(corpus_id: str, model_id: str, recipe_json: str, *, key: str = "axes") -> tuple[Any, int]:
    """Controls, both ends, the score histogram and the stability band; returns (ranking, items per end)."""
    fit = res.axis_fit(corpus_id, model_id, recipe_json)
    ranking = res.axis_ranking(corpus_id, model_id, recipe_json)
    axis = fit.axis
    controls = st.columns([1.2, 1.2, 1.6, 2])
    n_show = int(controls[0].number_input("Items per end", 5, 200, 15, step=5, key=f"{key}_n_show",
                                          help="How many items to list at each end of the axis."))
    with_band = controls[1].toggle("Stability band", value=True, key=f"{key}_with_band",
                                   help="Resample each pole's seeds with replacement, refit and re-rank; shows each "
                                        "item's 5-95% rank interval.")
    wanted = controls[2].select_slider("Resamples", RESAMPLE_CHOICES, value=200, key=f"{key}_resamples",
                                       help="More resamples give steadier intervals and take longer.")
    plan = res.axis_band_plan(corpus_id, model_id, recipe_json, int(wanted))
    if with_band and plan.note:
        st.caption(escape_markdown(plan.note))
    n_resamples = plan.n_resamples if with_band else 0
    # A band new to this process takes seconds at 100k items (one re-ranking per resample): the ends
    # are drawn from the ranking first and redrawn with their intervals once the band is in.
    band_first = n_resamples == 0 or res.axis_band_built(corpus_id, model_id, recipe_json, n_resamples)
    ranked = filter_view.apply_session_filter(  # the chips once; ends, band, CSV
        corpus_id, res.axis_ranked_frame(corpus_id, model_id, recipe_json, n_resamples if band_first else 0),
        key=f"{key}_filter_chips")
    ends = st.empty()

    def draw_ends(frame: pl.DataFrame, ends_key: str) -> None:
        with ends.container():
            render_ranked_ends(frame, corpus_id=corpus_id, label_column=state.label_column(corpus_id), n=n_show,
                               positive_label=axis.positive_label, negative_label=axis.negative_label, key=ends_key)

    # the first drawing's widgets get their own keys: the final one replaces them in the same run
    draw_ends(ranked, f"{key}_ranked" if band_first else f"{key}_ranked_before_band")
    n_items = len(ranking.scores)
    if ranking.n_ranked < n_items:
        st.caption(f"{n_items - ranking.n_ranked:,} items this model cannot represent are not ranked.")
    chart_left, chart_right = st.columns(2)
    chart_left.plotly_chart(res.figure(("axes_histogram", corpus_id, model_id, recipe_json), lambda: axes_charts.score_histogram_chart(
        ranking.scores, positive_label=axis.positive_label, negative_label=axis.negative_label)),
        key=f"{key}_histogram")
    with chart_right:
        band = res.axis_band(corpus_id, model_id, recipe_json, n_resamples) if n_resamples else None
        if not band_first:
            ranked = filter_view.keep_session_filter(
                corpus_id, res.axis_ranked_frame(corpus_id, model_id, recipe_json, n_resamples))
            draw_ends(ranked, f"{key}_ranked")
        if band is not None:
            st.plotly_chart(res.figure(("axes_band", corpus_id, model_id, recipe_json, n_resamples),
                                       lambda: axes_charts.stability_band_chart(ranked)), key=f"{key}_band_chart")
            if band.degenerate:
                st.caption("Each pole has a single seed, so resampling cannot move anything: a zero-width band "
                           "here says nothing about robustness. Add more seeds per pole.")
        else:
            st.info("Turn on the stability band to see each item's rank interval.")
    render_actions(corpus_id, model_id, recipe_json, ranked, key=key)
    return ranking, n_show


def render_actions(corpus_id: str, model_id: str, recipe_json: str, ranked: pl.DataFrame, *, key: str) -> None:
    """Save the axis (the default name follows the current recipe), colour the map, download the ranking."""
    axis = res.axis_fit(corpus_id, model_id, recipe_json).axis
    name_key = f"{key}_save_name"
    # a keyed text box keeps its old value when the axis changes: reset it when the recipe changes
    if state.get(state.AXES_SAVE_NAME_FOR) != recipe_json or name_key not in st.session_state:
        st.session_state[name_key] = axis.name
        state.set(state.AXES_SAVE_NAME_FOR, recipe_json)
    actions = st.columns([2, 1.1, 1.3, 1.6], vertical_alignment="bottom")
    save_name = actions[0].text_input("Save as", key=name_key,
                                      help="Saved axes are listed under 'Saved axis' and in `python -m engine axis list`.")
    if actions[1].button("Save axis", key=f"{key}_save", help="Store the recipe and this model's direction."):
        saved_key = res.save_axis(corpus_id, model_id, recipe_json, save_name)
        st.toast(f"Saved as {escape_markdown(saved_key)}.")  # the name was typed
    if actions[2].button("Colour the map", key=f"{key}_to_map", type="primary",
                         help="Send every item's score on this axis to the Map page as a colour."):
        ranking = res.axis_ranking(corpus_id, model_id, recipe_json)
        handoff.colour_map_with_scores(corpus_id, ranking.axis_name, model_id, res.corpus(corpus_id).ids,
                                       ranking.scores.tolist())
    with actions[3]:
        slug = "".join(ch if ch.isalnum() else "-" for ch in axis.name.lower()).strip("-")[:40] or "axis"
        st.download_button("Download ranking (CSV)", data=partial(to_csv_bytes, ranked), file_name=f"ranking-{slug}.csv",
                           mime="text/csv", key=f"{key}_download",
                           help="Every ranked item with its score, rank, interval and metadata.")


@st.fragment  # its controls rerun only this section (issue 15 §1)
def render_rankability(corpus_id: str, model_id: str, recipe_json: str, *, key: str = "axes") -> None:
    """Spearman of the axis scores with a numeric column, and a probe from k examples vs from all."""
    st.subheader("Rankability", anchor=False)
    numeric = res.numeric_axis_columns(corpus_id)
    if not numeric:
        st.caption("This corpus has no numeric metadata column to check the axis against.")
        return
    left, middle, right = st.columns([1.5, 1, 2.5])
    column = left.selectbox("Numeric column", numeric, key=f"{key}_rank_column",
                            help="Spearman correlation between the axis scores and this column's values.")
    with middle, user_errors(stop=False):
        result = res.axis_rankability(corpus_id, model_id, recipe_json, column)
        st.metric("Spearman along this axis", f"{result['spearman']:+.3f}",
                  help=f"p = {result['p_value']:.2g}, n = {result['n']:,}")
    with right, user_errors(stop=False):
        k = st.number_input("Few examples (k)", 2, 500, 10, key=f"{key}_rank_k",
                            help="A ridge probe fitted on k labelled items vs on all training items, both "
                                 "scored on the same held-out 30%.")
        if st.button("Compare a probe from k examples with one from all", key=f"{key}_rank_probe"):
            few_all = res.axis_few_vs_all(corpus_id, model_id, column, int(k))
            st.markdown(
                f"Held-out Spearman with {escape_markdown(column)}: from **{few_all['k']}** examples "
                f"**{few_all['few']['spearman']:+.3f}**; from all **{few_all['n_train']:,}** "
                f"**{few_all['all']['spearman']:+.3f}** (scored on {few_all['n_test']:,} held-out items).")


@st.fragment  # its controls rerun only this section (issue 15 §1)
def render_two_axes(corpus: Corpus, model_id: str, recipe_json: str, *, key: str = "axes") -> None:
    """A second axis (preset or saved) against this one, coloured by a metadata column."""
    st.subheader("Two axes", anchor=False)
    choices = res.second_axis_choices(corpus.corpus_id)
    if not choices:
        return
    axis = res.axis_fit(corpus.corpus_id, model_id, recipe_json).axis
    if state.get(state.AXES_SECOND) not in choices:
        state.set(state.AXES_SECOND, next((c for c in choices if not c.endswith(":" + axis.name)), None))
    left, right = st.columns([2, 2])
    second = left.selectbox("Second axis (y)", list(choices), format_func=choices.__getitem__,
                            help="A preset or a saved axis, rebuilt in the same model.", **state.bind(state.AXES_SECOND))
    color_by = right.selectbox("Colour by", ["(none)", *corpus.metadata_columns], key=f"{key}_scatter_color",
                               help="A metadata column to colour the points.")
    if not second:
        return
    with user_errors(stop=False):  # e.g. a preset a word model cannot represent
        second_json = res.second_axis_recipe_json(corpus.corpus_id, second)
        second_axis = res.axis_fit(corpus.corpus_id, model_id, second_json).axis
        labels = res.item_labels(corpus.corpus_id, state.label_column(corpus.corpus_id), 140)
        st.plotly_chart(res.figure(("axes_two", corpus.corpus_id, model_id, recipe_json, second_json,
                                    state.label_column(corpus.corpus_id), color_by), lambda: axes_charts.two_axis_scatter_chart(
            res.axis_ranking(corpus.corpus_id, model_id, recipe_json).scores,
            res.axis_ranking(corpus.corpus_id, model_id, second_json).scores, texts=labels,
            x_labels=(axis.positive_label, axis.negative_label),
            y_labels=(second_axis.positive_label, second_axis.negative_label),
            color=None if color_by == "(none)" else corpus.frame[color_by].to_list(),
            color_name="" if color_by == "(none)" else color_by)), key=f"{key}_scatter")
    from components import share  # share imports the page components' modules: import at call time

    share.follow_link(state.AXES_SECOND)  # the link box is drawn by the page body, outside this fragment


@st.fragment  # its controls rerun only this section (issue 15 §1)
def render_across_models(corpus: Corpus, model_ids: Sequence[str], recipe_json: str, *, n: int,
                         key: str = "axes_compare") -> None:
    """Rebuild the axis in each chosen model and compare the rankings."""
    st.subheader("Same axis across models", anchor=False)
    if len(model_ids) < 2:
        st.caption("Pick two or more models in the sidebar to rebuild this axis in each and compare the rankings.")
        return
    rankings = {}
    for other in model_ids:  # a recipe may not fit in every model (e.g. a word GloVe lacks)
        with user_errors(stop=False):
            rankings[other] = res.axis_ranking(corpus.corpus_id, other, recipe_json)
    if len(rankings) < 2:
        st.caption("The axis could be rebuilt in fewer than two of the chosen models; nothing to compare.")
        return
    with user_errors(stop=False):
        comparison = res.axis_comparison(corpus.corpus_id, tuple(rankings), recipe_json, 20)
        render_model_comparison(comparison, corpus=corpus, rankings=rankings, recipe_json=recipe_json,
                                labels={m: model_label(m) for m in rankings}, n=n, key=key)


def render_model_comparison(comparison: Mapping[str, Any], *, corpus: Corpus, rankings: Mapping[str, Any],
                            labels: Mapping[str, str], n: int, key: str, recipe_json: str | None = None) -> None:
    """Rankings side by side, the agreement table, a rank-vs-rank chart and the biggest jumps (the chart
    is cached when ``recipe_json`` names the axis the comparison was made for)."""
    st.dataframe(
        pl.DataFrame([{"model A": labels.get(p["a"], p["a"]), "model B": labels.get(p["b"], p["b"]),
                       "Spearman": round(p["spearman"], 3), "Kendall tau": round(p["kendall"], 3)}
                      for p in comparison["pairs"]]),
        hide_index=True, key=f"{key}_pairs")
    st.caption(f"Over the {comparison['n_shared']:,} items every chosen model can represent. 1 = the same order; "
               "0 = unrelated orders.")
    label_column = state.label_column(corpus.corpus_id)
    if label_column not in corpus.frame.columns:
        label_column = None
    shown = [ID_COLUMN, TEXT_COLUMN] + ([label_column] if label_column else [])
    config = {"rank": st.column_config.NumberColumn("rank", width="small"), **_label_config(label_column)}
    for column, (model_id, ranking) in zip(st.columns(len(rankings)), rankings.items()):
        order = ranking.order()[:n]
        with column:
            st.markdown(f"**{escape_markdown(labels.get(model_id, model_id))}**: top {n}")
            frame = pl.DataFrame({"rank": ranking.ranks[order]}).hstack(corpus.frame[order.tolist()].select(shown))
            _item_table(_with_label_first(frame, label_column, ("rank", TEXT_COLUMN)), corpus_id=corpus.corpus_id,
                        key=f"{key}_top_{model_id}", column_config=config)
    models = list(comparison["models"])
    hover = res.item_labels(corpus.corpus_id, label_column, 140)
    if len(models) >= 2:
        a, b = models[0], models[1]
        def chart() -> Any:
            return axes_charts.rank_agreement_chart(comparison["ranks"][a], comparison["ranks"][b], texts=hover,
                                                    label_a=labels.get(a, a), label_b=labels.get(b, b))
        st.plotly_chart(res.figure(("axes_agreement", corpus.corpus_id, tuple(models), recipe_json, label_column,
                                    labels.get(a, a), labels.get(b, b)), chart) if recipe_json else chart(),
                        key=f"{key}_agreement")
    st.markdown("**Items whose rank jumps most between models**")
    jumps = comparison["jumps"].join(corpus.frame.select(shown), on=ID_COLUMN, how="left", maintain_order="left")
    ranks = [c for c in jumps.columns if c.startswith("rank_")]
    _item_table(_with_label_first(jumps, label_column, (TEXT_COLUMN, *ranks, "jump", ID_COLUMN)),
                corpus_id=corpus.corpus_id, key=f"{key}_jumps", column_config=_label_config(label_column))
