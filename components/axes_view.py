"""Axes page pieces: the axis editor, the ranked table with both ends, and the axis charts.

``*_editor`` draws widgets and returns a recipe (or None); ``*_chart`` builds a Plotly figure and
draws nothing; ``render_*`` draws. No math here: scores, ranks and bands come from engine.axes
through components.resources. Text from a corpus or typed by a user is HTML-escaped before it
reaches a chart (Plotly renders a subset of HTML) and markdown-escaped before ``st.markdown``.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from components import state
from engine.types import Corpus

METHODS: dict[str, str] = {
    "preset": "Preset",
    "poles": "Two poles (texts or words)",
    "expression": "Expression",
    "items": "Two items from the corpus",
    "probe": "Labelled items (probe)",
    "selection": "Map selection",
    "saved": "Saved axis",
}
POSITIVE_COLOR = "#d1495b"
NEGATIVE_COLOR = "#2e86ab"
_MD_SPECIAL = "\\`*_{}[]<>()#+-.!|~$"


def md_escape(text: str) -> str:
    """Backslash-escape markdown so user text shows literally in ``st.markdown``/captions."""
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in str(text))


def model_label(model_id: str) -> str:
    """A model's display name (its id if the registry does not know it)."""
    from engine.models import resolve_model

    try:
        return resolve_model(model_id).display_name
    except Exception:  # a stored id whose model this version does not know
        return model_id


def _short(text: str, limit: int) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _esc(text: str) -> str:
    """Escape for Plotly's HTML subset (&, <, >); quotes are harmless there and Plotly shows &quot; raw."""
    return html.escape(str(text), quote=False)


def _hover(text: str, limit: int = 140) -> str:
    return _esc(_short(text, limit))


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


# ------------------------------------------------------------------------------------------------
# the editor
# ------------------------------------------------------------------------------------------------
def axis_editor(
    corpus: Corpus,
    *,
    presets: Sequence[Mapping[str, Any]],
    saved: Sequence[Mapping[str, Any]],
    numeric_columns: Sequence[str],
    pole_handoff: Mapping[str, Any] | None,
    current: Mapping[str, Any] | None,
    key: str = "axes",
) -> dict[str, Any] | None:
    """Draw the "define an axis" controls; return a new recipe when the user presses Build.

    Returns None when nothing was submitted this run (the page keeps the current recipe).
    """
    methods = list(METHODS)
    method = st.segmented_control(
        "Define the axis from", methods, format_func=METHODS.__getitem__,
        help="Presets and typed poles work in every model; items and probes use this corpus's own vectors.",
        **state.bind(state.AXES_METHOD)) or "preset"

    if method == "preset":
        names = [p["name"] for p in presets]
        with st.form(f"{key}_preset_form", border=False):
            chosen = st.selectbox("Preset", names, key=f"{key}_preset",
                                  help="Seed texts per pole from assets/axes/presets.json; "
                                       "copy them into 'Two poles' to edit.")
            preset = next(p for p in presets if p["name"] == chosen)
            st.caption(md_escape(preset.get("description", "")))
            if st.form_submit_button("Build axis", type="primary"):
                return {k: v for k, v in preset.items() if k != "description"}
        return None

    if method == "poles":
        seed = current if current and current.get("method") == "poles" else None
        with st.form(f"{key}_poles_form", border=False):
            left, right = st.columns(2)
            pos_label = left.text_input("Positive end label", value=(seed or {}).get("labels", ["", ""])[0],
                                        key=f"{key}_pos_label", help="What high scores mean (optional).")
            neg_label = right.text_input("Negative end label", value=(seed or {}).get("labels", ["", ""])[1],
                                         key=f"{key}_neg_label", help="What low scores mean (optional).")
            positive = left.text_area("Positive pole: one text or word per line",
                                      value="\n".join((seed or {}).get("positive", [])), key=f"{key}_positive",
                                      height=150, help="Several seeds make a steadier axis and a meaningful "
                                                       "stability band. Word models average the words of a line.")
            negative = right.text_area("Negative pole: one text or word per line",
                                       value="\n".join((seed or {}).get("negative", [])), key=f"{key}_negative",
                                       height=150, help="The opposite end.")
            if st.form_submit_button("Build axis", type="primary"):
                recipe: dict[str, Any] = {"method": "poles", "positive": _lines(positive),
                                          "negative": _lines(negative)}
                if pos_label.strip() and neg_label.strip():
                    recipe["labels"] = [pos_label.strip(), neg_label.strip()]
                return recipe
        return None

    if method == "expression":
        with st.form(f"{key}_expression_form", border=False):
            expression = st.text_input(
                "Axis expression", value="good - bad", key=f"{key}_expression",
                help='Terms after + push scores up, terms after - push them down: "good - bad", '
                     '"king - man + woman", or quoted phrases: "a sunny day" - "a rainy day".')
            if st.form_submit_button("Build axis", type="primary"):
                return {"method": "expression", "expression": expression}
        return None

    if method == "items":
        return _items_editor(corpus, key=key)

    if method == "probe":
        return _probe_editor(corpus, numeric_columns, key=key)

    if method == "selection":
        if not pole_handoff or pole_handoff.get("corpus_id") != corpus.corpus_id or not pole_handoff.get("ids"):
            st.info("No selection yet: lasso some points on the **Map** page and press *Use as axis pole*.")
            return None
        n = len(pole_handoff["ids"])
        st.caption(f"{n:,} items selected on the Map, e.g. “{md_escape(_short(pole_handoff['texts'][0], 80))}”.")
        label = st.text_input("Label for the selection", value="selection", key=f"{key}_selection_label",
                              help="The positive end; the negative end is the rest of the corpus.")
        if st.button("Build axis", type="primary", key=f"{key}_selection_build",
                     help="Direction = mean of the selection minus mean of the other items."):
            return {"method": "selection", "positive_ids": list(pole_handoff["ids"]), "negative_ids": "rest",
                    "labels": [label.strip() or "selection", "rest of corpus"]}
        return None

    # saved
    if not saved:
        st.info("No saved axes for this corpus yet: build one and press *Save axis*.")
        return None
    keys = [r["key"] for r in saved]
    names = {r["key"]: f"{r['name']} ({r['method']})" for r in saved}
    with st.form(f"{key}_saved_form", border=False):
        chosen = st.selectbox("Saved axis", keys, format_func=names.__getitem__, key=f"{key}_saved",
                              help="Axes saved for this corpus; each is rebuilt from its recipe in the "
                                   "chosen model.")
        if st.form_submit_button("Build axis", type="primary"):
            record = next(r for r in saved if r["key"] == chosen)
            return {**record["recipe"], "name": record["name"], "labels": list(record.get("labels", []))}
    return None


def _item_picker(corpus: Corpus, label: str, *, key: str, default_query: str) -> str | None:
    query = st.text_input(f"Find the {label} item", value=default_query, key=f"{key}_query",
                          help="Type words that occur in the item; the first 200 matches are listed.")
    frame = corpus.frame.select("id", "text")
    if query.strip():
        frame = frame.filter(pl.col("text").str.contains(query.strip(), literal=True))
    frame = frame.head(200)
    if frame.height == 0:
        st.caption("No item contains that text.")
        return None
    ids = frame["id"].to_list()
    texts = dict(zip(ids, frame["text"].to_list()))
    return st.selectbox(f"{label.capitalize()} item", ids, key=f"{key}_pick",
                        format_func=lambda i: f"{i}: {_short(texts[i], 90)}",
                        help="The item at this end of the axis.")


def _items_editor(corpus: Corpus, *, key: str) -> dict[str, Any] | None:
    left, right = st.columns(2)
    with left:
        positive = _item_picker(corpus, "positive", key=f"{key}_pos_item", default_query="")
    with right:
        negative = _item_picker(corpus, "negative", key=f"{key}_neg_item", default_query="")
    if st.button("Build axis", type="primary", key=f"{key}_items_build",
                 help="Direction = the positive item's vector minus the negative item's."):
        if positive is None or negative is None or positive == negative:
            st.warning("Pick two different items.")
            return None
        return {"method": "items", "positive_ids": [positive], "negative_ids": [negative]}
    return None


def _probe_editor(corpus: Corpus, numeric_columns: Sequence[str], *, key: str) -> dict[str, Any] | None:
    columns = [c for c in corpus.metadata_columns if corpus.frame[c].drop_nulls().n_unique() > 1]
    if not columns:
        st.info("This corpus has no metadata column with two or more values to learn an axis from.")
        return None
    column = st.selectbox("Label column", columns, key=f"{key}_probe_column",
                          help="Numeric columns fit a ridge regression (axis toward higher values); other "
                               "columns fit a two-class logistic regression.")
    series = corpus.frame[column].drop_nulls()
    recipe: dict[str, Any] = {"column": column}
    if column in numeric_columns:
        recipe["method"] = "probe_ridge"
        st.caption(f"Ridge regression on {series.len():,} labelled items; the axis points toward higher "
                   f"{md_escape(column)}.")
    else:
        classes = sorted({str(v) for v in series.to_list()})[:500]
        left, right = st.columns(2)
        positive = left.selectbox("Positive class", classes, key=f"{key}_probe_pos",
                                  help="Scores grow toward this class.")
        others = [c for c in classes if c != positive]
        if not others:
            st.info("The column needs at least two classes.")
            return None
        negative = right.selectbox("Negative class", others, key=f"{key}_probe_neg", help="The other class.")
        recipe.update({"method": "probe_logistic", "classes": [positive, negative], "positive_class": positive})
    sample = st.number_input("Use at most this many labelled items (0 = all)", 0, 1_000_000, 0, step=10,
                             key=f"{key}_probe_sample",
                             help="Fit from a few examples to see how many labels the axis needs.")
    if sample:
        recipe["sample"] = int(sample)
    if st.button("Build axis", type="primary", key=f"{key}_probe_build",
                 help="Fit the probe; its coefficient vector, normalised, is the axis."):
        return recipe
    return None


# ------------------------------------------------------------------------------------------------
# summaries and tables
# ------------------------------------------------------------------------------------------------
def render_axis_summary(fit: Any, *, model_label: str) -> None:
    """Name, ends, method and fit notes (dropped words, explained share, probe quality)."""
    axis = fit.axis
    st.subheader(md_escape(axis.name), anchor=False)
    notes = [f"from **{md_escape(axis.negative_label)}** (low scores) to **{md_escape(axis.positive_label)}** "
             "(high scores)",
             f"in {md_escape(model_label)}", f"method: {md_escape(axis.method)}"]
    if axis.explained is not None:
        notes.append(f"the direction holds {axis.explained:.0%} of the seeds' variance")
    for name, value in fit.quality.items():
        if name != "n_examples":
            notes.append(f"{md_escape(name.replace('_', ' '))}: {value:.2f}")
    if "n_examples" in fit.quality:
        notes.append(f"{int(fit.quality['n_examples']):,} labelled items")
    st.markdown(" · ".join(notes))
    if fit.dropped:
        shown = ", ".join(md_escape(str(d)) for d in fit.dropped[:12])
        more = f" and {len(fit.dropped) - 12} more" if len(fit.dropped) > 12 else ""
        st.warning(f"Not representable in {md_escape(model_label)} and left out: {shown}{more}.", icon="⚠️")


def render_ranked_ends(ranked: pl.DataFrame, *, n: int, positive_label: str, negative_label: str,
                       key: str) -> None:
    """Two tables: the ``n`` items nearest each end (rank, score, interval, text, metadata)."""
    first = [c for c in ("rank", "score", "rank_low", "rank_high", "text") if c in ranked.columns]
    ranked = ranked.select(first + [c for c in ranked.columns if c not in first])
    left, right = st.columns(2)
    column_config = {
        "rank": st.column_config.NumberColumn("rank", help="1 = furthest toward the positive end."),
        "score": st.column_config.NumberColumn("score", format="%.3f", help="Projection on the axis."),
        "rank_low": st.column_config.NumberColumn("rank 5%", help="Best rank over pole resamples (5th pct)."),
        "rank_high": st.column_config.NumberColumn("rank 95%", help="Worst rank over pole resamples (95th pct)."),
        "text": st.column_config.TextColumn("text", width="large"),
    }
    with left:
        st.markdown(f"**Toward {md_escape(positive_label)}** (top {min(n, ranked.height)})")
        st.dataframe(ranked.head(n), hide_index=True, width="stretch", key=f"{key}_top",
                     column_config=column_config)
    with right:
        st.markdown(f"**Toward {md_escape(negative_label)}** (bottom {min(n, ranked.height)})")
        st.dataframe(ranked.tail(n).reverse(), hide_index=True, width="stretch", key=f"{key}_bottom",
                     column_config=column_config)


def render_ranking_download(ranked: pl.DataFrame, *, axis_name: str, key: str) -> None:
    """A CSV download of the whole ranking (built only when the user clicks)."""
    from functools import partial

    slug = "".join(ch if ch.isalnum() else "-" for ch in axis_name.lower()).strip("-")[:40] or "axis"
    st.download_button("Download ranking (CSV)", data=partial(_csv_bytes, ranked), file_name=f"ranking-{slug}.csv",
                       mime="text/csv", key=key, help="Every ranked item with its score, rank, interval and metadata.")


def _csv_bytes(frame: pl.DataFrame) -> bytes:
    return frame.write_csv().encode("utf-8")


# ------------------------------------------------------------------------------------------------
# charts
# ------------------------------------------------------------------------------------------------
def score_histogram_chart(scores: np.ndarray, *, positive_label: str, negative_label: str,
                          bins: int = 60) -> go.Figure:
    """Histogram of axis scores (NaN skipped), the negative end on the left."""
    values = np.asarray(scores, dtype=np.float64)
    values = values[np.isfinite(values)]
    counts, edges = np.histogram(values, bins=bins) if values.size else (np.zeros(1), np.array([0.0, 1.0]))
    centers = (edges[:-1] + edges[1:]) / 2
    colors = [POSITIVE_COLOR if c > 0 else NEGATIVE_COLOR for c in centers]
    figure = go.Figure(go.Bar(x=centers, y=counts, width=np.diff(edges), marker_color=colors,
                              hovertemplate="score %{x:.3f}: %{y} items<extra></extra>"))
    figure.update_layout(
        height=260, margin=dict(l=10, r=10, t=30, b=40), bargap=0.02,
        title=dict(text="Scores", font_size=14),
        xaxis_title=f"← {_esc(negative_label)}   ·   {_esc(positive_label)} →",
        yaxis_title="items",
    )
    return figure


def stability_band_chart(ranked: pl.DataFrame, *, max_points: int = 400) -> go.Figure:
    """Each item's rank (x) against its 5-95% rank interval over pole resamples (shaded band).

    Up to ``max_points`` items evenly spread over the ranking (always including both ends). A
    narrow band means the item's position does not depend on which seeds were chosen.
    """
    n = ranked.height
    picks = np.unique(np.concatenate([np.arange(min(25, n)), np.arange(max(0, n - 25), n),
                                      np.linspace(0, max(n - 1, 0), min(max_points, n)).astype(int)]))
    sample = ranked[picks.tolist()]
    ranks = sample["rank"].to_numpy()
    low, high = sample["rank_low"].to_numpy(), sample["rank_high"].to_numpy()
    hover = [f"{_hover(t, 100)}<br>rank {r:,} (5-95%: {lo:,.0f}-{hi:,.0f})"
             for t, r, lo, hi in zip(sample["text"].to_list(), ranks, low, high)]
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=ranks, y=high, mode="lines", line=dict(width=0), showlegend=False,
                                hoverinfo="skip"))
    figure.add_trace(go.Scatter(x=ranks, y=low, mode="lines", line=dict(width=0), fill="tonexty",
                                fillcolor="rgba(46,134,171,0.25)", name="5-95% rank interval",
                                hoverinfo="skip"))
    figure.add_trace(go.Scatter(x=ranks, y=ranks, mode="markers", marker=dict(size=4, color="#333"),
                                name="rank", hovertext=hover, hovertemplate="%{hovertext}<extra></extra>"))
    ends = np.isin(picks, np.concatenate([np.arange(min(25, n)), np.arange(max(0, n - 25), n)]))
    figure.add_trace(go.Scatter(  # per-item intervals at both ends, where users read the table
        x=ranks[ends], y=ranks[ends], mode="markers", marker=dict(size=0.1, opacity=0), showlegend=False,
        hoverinfo="skip", error_y=dict(type="data", symmetric=False, array=(high - ranks)[ends],
                                       arrayminus=(ranks - low)[ends], color="rgba(46,134,171,0.8)",
                                       thickness=1, width=2)))
    figure.update_layout(height=320, margin=dict(l=10, r=10, t=30, b=40),
                         title=dict(text="Stability: rank interval when the pole seeds are resampled", font_size=14),
                         xaxis_title="rank on the fitted axis", yaxis_title="rank over resamples",
                         legend=dict(orientation="h", y=-0.25))
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(autorange="reversed")
    return figure


def two_axis_scatter_chart(x: np.ndarray, y: np.ndarray, *, texts: Sequence[str], x_labels: tuple[str, str],
                           y_labels: tuple[str, str], color: Sequence[Any] | None = None,
                           color_name: str = "", max_points: int = 20_000) -> go.Figure:
    """Parallax-style scatter: x = axis 1 score, y = axis 2 score, coloured by a metadata column."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    rows = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    if rows.size > max_points:
        rows = np.sort(np.random.default_rng(0).choice(rows, max_points, replace=False))
    hover = [_hover(texts[int(r)]) for r in rows]
    figure = go.Figure()
    if color is None:
        figure.add_trace(go.Scattergl(x=x[rows], y=y[rows], mode="markers", marker=dict(size=5, opacity=0.7),
                                      hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", showlegend=False))
    else:
        values = [color[int(r)] for r in rows]
        numeric = all(isinstance(v, (int, float)) or v is None for v in values) and len({*values}) > 12
        if numeric:
            figure.add_trace(go.Scattergl(
                x=x[rows], y=y[rows], mode="markers", hovertext=hover,
                hovertemplate="%{hovertext}<extra></extra>",
                marker=dict(size=5, opacity=0.75, color=[np.nan if v is None else v for v in values],
                            colorscale="Viridis", colorbar=dict(title=_esc(color_name)))))
        else:
            labels = np.array(["(missing)" if v is None else str(v) for v in values], dtype=object)
            uniques, counts = np.unique(labels, return_counts=True)
            keep = set(uniques[np.argsort(-counts)][:12])
            labels = np.array([v if v in keep else "(other)" for v in labels], dtype=object)
            for value in sorted(set(labels)):
                mask = labels == value
                figure.add_trace(go.Scattergl(
                    x=x[rows][mask], y=y[rows][mask], mode="markers", name=_esc(_short(value, 40)),
                    marker=dict(size=5, opacity=0.75), hovertext=[h for h, m in zip(hover, mask) if m],
                    hovertemplate="%{hovertext}<extra></extra>"))
    figure.update_layout(
        height=480, margin=dict(l=10, r=10, t=30, b=40),
        title=dict(text="Two axes", font_size=14),
        xaxis_title=f"← {_esc(x_labels[1])}   ·   {_esc(x_labels[0])} →",
        yaxis_title=f"← {_esc(y_labels[1])}   ·   {_esc(y_labels[0])} →",
        legend=dict(title=_esc(color_name)),
    )
    figure.add_hline(y=0, line=dict(color="#bbb", width=1))
    figure.add_vline(x=0, line=dict(color="#bbb", width=1))
    return figure


def rank_agreement_chart(ranks_a: np.ndarray, ranks_b: np.ndarray, *, texts: Sequence[str], label_a: str,
                         label_b: str, max_points: int = 5_000) -> go.Figure:
    """Rank in model A vs rank in model B for the shared items (a diagonal means agreement)."""
    rows = np.flatnonzero((ranks_a > 0) & (ranks_b > 0))
    if rows.size > max_points:
        rows = np.sort(np.random.default_rng(0).choice(rows, max_points, replace=False))
    hover = [_hover(texts[int(r)]) for r in rows]
    figure = go.Figure(go.Scattergl(
        x=ranks_a[rows], y=ranks_b[rows], mode="markers", marker=dict(size=4, opacity=0.6),
        hovertext=hover, hovertemplate="%{hovertext}<br>%{x} vs %{y}<extra></extra>"))
    figure.update_layout(height=360, margin=dict(l=10, r=10, t=30, b=40),
                         title=dict(text="Rank in one model vs the other", font_size=14),
                         xaxis_title=f"rank in {_esc(label_a)}", yaxis_title=f"rank in {_esc(label_b)}")
    return figure


def render_model_comparison(comparison: Mapping[str, Any], *, corpus: Corpus, rankings: Mapping[str, Any],
                            labels: Mapping[str, str], n: int, key: str) -> None:
    """Rankings side by side, the agreement table, a rank-vs-rank chart and the biggest jumps."""
    st.dataframe(
        pl.DataFrame([{"model A": labels.get(p["a"], p["a"]), "model B": labels.get(p["b"], p["b"]),
                       "Spearman": round(p["spearman"], 3), "Kendall tau": round(p["kendall"], 3)}
                      for p in comparison["pairs"]]),
        hide_index=True, key=f"{key}_pairs")
    st.caption(f"Over the {comparison['n_shared']:,} items every chosen model can represent. 1 = the same order; "
               "0 = unrelated orders.")
    texts = corpus.texts
    columns = st.columns(len(rankings))
    for column, (model_id, ranking) in zip(columns, rankings.items()):
        order = ranking.order()
        with column:
            st.markdown(f"**{md_escape(labels.get(model_id, model_id))}**: top {n}")
            st.dataframe(pl.DataFrame({"rank": ranking.ranks[order[:n]],
                                       "text": [texts[int(r)] for r in order[:n]]}),
                         hide_index=True, width="stretch", key=f"{key}_top_{model_id}",
                         column_config={"rank": st.column_config.NumberColumn("rank", width="small"),
                                        "text": st.column_config.TextColumn("text", width="large")})
    models = list(comparison["models"])
    if len(models) >= 2:
        a, b = models[0], models[1]
        st.plotly_chart(rank_agreement_chart(comparison["ranks"][a], comparison["ranks"][b], texts=texts,
                                             label_a=labels.get(a, a), label_b=labels.get(b, b)),
                        key=f"{key}_agreement")
    jumps = comparison["jumps"]
    by_id = dict(zip(corpus.ids, texts))
    st.markdown("**Items whose rank jumps most between models**")
    jumps = jumps.with_columns(pl.col("id").replace_strict(by_id, default="").alias("text"))
    ordered = ["text", *[c for c in jumps.columns if c.startswith("rank_")], "jump", "id"]
    st.dataframe(jumps.select(ordered), hide_index=True, width="stretch", key=f"{key}_jumps",
                 column_config={"text": st.column_config.TextColumn("text", width="large")})
