"""Bias page pieces: pure ``*_chart`` / ``*_frame`` builders and thin ``render_*`` functions.

Builders take engine results (engine.bias) and return Plotly figures or pandas frames; they do no
analysis. Every word that reaches a chart is HTML-escaped (Plotly renders a subset of HTML in
labels and hover text); tables go through ``st.dataframe``, which never interprets markup.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from components import resources as res
from components.feedback import escape_markdown

POSITIVE_COLOR = "#c2410c"  # first members' side
NEGATIVE_COLOR = "#1d4ed8"  # second members' side
NEUTRAL_COLOR = "#6b7280"
BEFORE_COLOR = "#9ca3af"
AFTER_COLOR = "#059669"


def _esc(words: Sequence[str]) -> list[str]:
    return [html.escape(str(w)) for w in words]


def word_list(words: Sequence[str], limit: int = 30) -> str:
    """A short, escaped, comma-separated list for captions."""
    shown = ", ".join(escape_markdown(w) for w in list(words)[:limit])
    return shown + (f" … (+{len(words) - limit})" if len(words) > limit else "")


def render_missing(missing: Sequence[str], *, what: str = "words") -> None:
    if missing:
        st.caption(f"⚠️ Not in the model's vocabulary, left out ({len(missing)} {what}): {word_list(missing)}")


# -- direction -------------------------------------------------------------------------------------
def explained_chart(ratios: Sequence[float], *, threshold: float = 0.5) -> go.Figure:
    """Explained-variance ratio of the leading components of the centred pairs."""
    ratios = list(ratios)[:10]
    fig = go.Figure(go.Bar(
        x=[f"PC{i + 1}" for i in range(len(ratios))], y=ratios,
        marker_color=[POSITIVE_COLOR if i == 0 else NEUTRAL_COLOR for i in range(len(ratios))],
        hovertemplate="%{x}: %{y:.1%}<extra></extra>",
    ))
    fig.add_hline(y=threshold, line_dash="dot", line_color="#111827",
                  annotation_text=f"{threshold:.0%}: a clear direction", annotation_position="top right")
    fig.update_layout(height=240, margin=dict(l=10, r=10, t=30, b=10), yaxis_tickformat=".0%",
                      yaxis_range=[0, 1], title=dict(text="Variance of the pairs per component", font_size=13))
    return fig


def pair_frame(direction: Any) -> pd.DataFrame:
    """One row per pair: how well its difference agrees with the direction."""
    rows = [{"first": a, "second": b, "agreement (cos)": round(al, 3)}
            for (a, b), al in zip(direction.pairs_used, direction.pair_alignment)]
    rows += [{"first": a, "second": b, "agreement (cos)": None} for a, b in direction.missing_pairs]
    return pd.DataFrame(rows)


def projection_chart(projection: Any, *, title: str = "") -> go.Figure:
    """Ranked horizontal bars of each target's cosine with the direction, with the band where 95%
    of frequent words fall (so ordinary words' spread is visible)."""
    words = list(projection.words)
    scores = [float(s) for s in projection.scores]
    colors = [POSITIVE_COLOR if s > 0 else NEGATIVE_COLOR for s in scores]
    fig = go.Figure(go.Bar(
        x=scores, y=_esc(words), orientation="h", marker_color=colors,
        hovertemplate="%{y}: %{x:+.3f}<extra></extra>",
    ))
    if projection.band is not None:
        lo, hi = projection.band
        fig.add_vrect(x0=lo, x1=hi, fillcolor=NEUTRAL_COLOR, opacity=0.12, line_width=0,
                      annotation_text="95% of frequent words", annotation_position="top left")
    fig.add_vline(x=0, line_color="#111827", line_width=1)
    fig.update_layout(
        height=max(320, 17 * len(words) + 90), margin=dict(l=10, r=10, t=50, b=30),
        yaxis=dict(autorange="reversed", tickfont_size=11),
        xaxis_title=f"← {html.escape(projection.negative_label)}   ·   {html.escape(projection.positive_label)} →",
        title=dict(text=html.escape(title), font_size=14), showlegend=False,
    )
    return fig


def baseline_chart(direct_bias: Any) -> go.Figure:
    """The direct bias of random directions (histogram) against the observed value."""
    fig = go.Figure(go.Histogram(x=np.asarray(direct_bias.baseline), nbinsx=40, marker_color=NEUTRAL_COLOR,
                                 name="random directions", hovertemplate="%{x:.3f}: %{y}<extra></extra>"))
    fig.add_vline(x=direct_bias.value, line_color=POSITIVE_COLOR, line_width=3,
                  annotation_text=f"this direction: {direct_bias.value:.3f}", annotation_position="top right")
    kind = "differences of random word pairs" if direct_bias.baseline_kind == "random_pairs" else "random unit vectors"
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=40, b=30), showlegend=False,
                      xaxis_title=f"direct bias (c = {direct_bias.c:g})", yaxis_title="directions",
                      title=dict(text=f"Baseline: {len(direct_bias.baseline):,} {kind}", font_size=13))
    return fig


def render_direct_bias(direct_bias: Any, *, cache_key: tuple | None = None) -> None:
    """Direct bias against random directions; ``cache_key`` (every input of the result) caches the chart."""
    cols = st.columns(3)
    cols[0].metric("Direct bias", f"{direct_bias.value:.3f}",
                   help="Mean over the neutral words of |cos(word, direction)|^c (Bolukbasi et al. 2016).")
    cols[1].metric("Random: median · 95th pct",
                   f"{direct_bias.baseline_median:.3f} · {direct_bias.baseline_p95:.3f}",
                   help="The same statistic for random directions: what 'no special direction' looks like here.")
    cols[2].metric("p vs random directions", f"{direct_bias.p_value:.3f}",
                   help="(1 + random directions with at least this direct bias) / (1 + number of random directions).")
    verdict = ("exceeds" if direct_bias.p_value < 0.05 else "does **not** clearly exceed")
    st.markdown(f"Over {len(direct_bias.words)} neutral words, this direction's direct bias {verdict} what random "
                "directions show in this model.")
    chart = res.figure(cache_key, lambda: baseline_chart(direct_bias)) if cache_key else baseline_chart(direct_bias)
    st.plotly_chart(chart, key="bias_baseline_chart")
    render_missing(direct_bias.missing, what="neutral words")


def corpus_extremes(ranking: Any, ids: Sequence[str], labels: Sequence[str], *,
                    n: int = 8) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``n`` ranked corpus items most toward each side (an ``engine.axes.Ranking``): rank, label,
    score and id, labels from the sidebar's label column (plain text, shown by ``st.dataframe``)."""
    order = [int(i) for i in ranking.order()]

    def frame(rows: list[int]) -> pd.DataFrame:
        return pd.DataFrame({"rank": [int(ranking.ranks[r]) for r in rows], "label": [labels[r] for r in rows],
                             "score": [float(ranking.scores[r]) for r in rows], "id": [str(ids[r]) for r in rows]})

    return frame(order[:n]), frame(order[-n:][::-1] if order else [])


def score_histogram(scores: np.ndarray) -> go.Figure:
    values = np.asarray(scores, dtype=float)
    fig = go.Figure(go.Histogram(x=values[~np.isnan(values)], nbinsx=50, marker_color=NEUTRAL_COLOR,
                                 hovertemplate="%{x:.3f}: %{y}<extra></extra>"))
    fig.add_vline(x=0, line_color="#111827", line_width=1)
    fig.update_layout(height=220, margin=dict(l=10, r=10, t=10, b=30), xaxis_title="cosine with the direction",
                      yaxis_title="items")
    return fig


# -- WEAT ------------------------------------------------------------------------------------------
def weat_distribution_chart(result: Any) -> go.Figure:
    """The permutation distribution of the test statistic, with the observed value."""
    stats = np.asarray(result.permutation_stats, dtype=float)
    counts, edges = np.histogram(stats, bins=50)
    centres = (edges[:-1] + edges[1:]) / 2
    colors = [POSITIVE_COLOR if c >= result.statistic else NEUTRAL_COLOR for c in centres]
    fig = go.Figure(go.Bar(x=centres, y=counts, marker_color=colors, width=float(edges[1] - edges[0]),
                           hovertemplate="S ≈ %{x:.3f}: %{y}<extra></extra>"))
    fig.add_vline(x=result.statistic, line_color=POSITIVE_COLOR, line_width=3,
                  annotation_text=f"observed S = {result.statistic:+.3f}", annotation_position="top left")
    kind = "all" if result.exact else "sampled"
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=40, b=30), showlegend=False,
                      xaxis_title="test statistic S of a re-partition of X ∪ Y", yaxis_title="partitions",
                      title=dict(text=f"Permutation distribution ({kind}, {result.n_partitions:,} partitions)",
                                 font_size=13))
    return fig


def weat_association_chart(result: Any) -> go.Figure:
    """Each target word's association s(w, A, B): X words vs Y words."""
    names = [html.escape(n) for n in result.names]
    fig = go.Figure()
    for label, words, values, color in (
        (f"Y: {names[1]}", result.y_words, result.y_assoc, NEGATIVE_COLOR),
        (f"X: {names[0]}", result.x_words, result.x_assoc, POSITIVE_COLOR),
    ):
        fig.add_trace(go.Box(
            x=np.asarray(values, dtype=float), name=label, orientation="h", boxpoints="all", jitter=0.6,
            pointpos=0, hovertext=_esc(words), hoverinfo="text+x", marker=dict(size=7, color=color),
            line=dict(color=color), fillcolor="rgba(0,0,0,0)",
        ))
    fig.add_vline(x=0, line_color="#111827", line_width=1)
    fig.update_layout(height=260, margin=dict(l=10, r=10, t=40, b=40), showlegend=False,
                      title=dict(text="Each target word's association (hover for the word)", font_size=13),
                      xaxis_title=f"s(w, A, B): closer to {names[3]} ← · → closer to {names[2]}")
    return fig


def render_weat_card(result: Any, *, key: str, cache_key: tuple | None = None) -> None:
    """Effect size, p-value and the two charts for one WEAT run (``cache_key``: every input of ``result``,
    to cache the charts)."""
    cols = st.columns(4)
    cols[0].metric("Effect size d", f"{result.effect_size:+.2f}",
                   help="Difference of the mean associations of X and Y, over the sample std of all target "
                        "words' associations (Caliskan et al. 2017). |d| ≥ 0.8 is conventionally large.")
    cols[1].metric("p-value (one-sided)", f"{result.p_value:.4f}",
                   help="Share of equal-size re-partitions of X ∪ Y whose statistic is at least the observed one.")
    cols[2].metric(f"Partitions ({'all' if result.exact else 'sampled'})", f"{result.n_partitions:,}",
                   help="All partitions are enumerated when there are at most 100,000; otherwise a seeded sample.")
    cols[3].metric("Statistic S", f"{result.statistic:+.3f}",
                   help="Sum of X's associations minus Y's: the raw size of the effect (d is scale-free).")
    a, b = (escape_markdown(n) for n in result.names[2:])
    x, y = (escape_markdown(n) for n in result.names[:2])
    direction = f"**{x}** sits closer to **{a}** and **{y}** to **{b}**" if result.effect_size > 0 else \
        f"**{x}** sits closer to **{b}** and **{y}** to **{a}**"
    st.markdown(f"In this model {direction} (sizes {len(result.x_words)}/{len(result.y_words)} targets, "
                f"{len(result.a_words)}/{len(result.b_words)} attributes).")
    left, right = st.columns(2)
    def chart(name: str, build: Any) -> Any:  # cached when the caller names every input of the result
        return res.figure((*cache_key, name), lambda: build(result)) if cache_key else build(result)

    left.plotly_chart(chart("dist", weat_distribution_chart), key=f"{key}_dist")
    right.plotly_chart(chart("assoc", weat_association_chart), key=f"{key}_assoc")
    missing = [w for words in result.missing.values() for w in words]
    render_missing(missing)


def weat_table(results: Sequence[tuple[str, Any]], titles: dict[str, str]) -> pd.DataFrame:
    """A summary row per bundled test (errors are shown as text)."""
    rows = []
    for test_id, r in results:
        if isinstance(r, str):
            rows.append({"test": titles.get(test_id, test_id), "d": None, "p": None, "partitions": "", "note": r})
            continue
        missing = sum(len(v) for v in r.missing.values())
        rows.append({"test": titles.get(test_id, test_id), "d": round(r.effect_size, 2), "p": r.p_value,
                     "partitions": f"{r.n_partitions:,} {'exact' if r.exact else 'sampled'}",
                     "note": f"{missing} unknown words left out" if missing else ""})
    return pd.DataFrame(rows)


# -- debias preview ------------------------------------------------------------------------------------
def before_after_chart(preview: Any, *, limit: int = 40) -> go.Figure:
    """Targets' projections before and after hard debiasing (the most biased first)."""
    order = np.argsort(-np.abs(np.asarray(preview.before_scores)))[:limit]
    words = [preview.words[i] for i in order]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=_esc(words), x=[float(preview.before_scores[i]) for i in order], orientation="h",
                         name="before", marker_color=BEFORE_COLOR, hovertemplate="%{y}: %{x:+.3f}<extra>before</extra>"))
    fig.add_trace(go.Bar(y=_esc(words), x=[float(preview.after_scores[i]) for i in order], orientation="h",
                         name="after", marker_color=AFTER_COLOR, hovertemplate="%{y}: %{x:+.3f}<extra>after</extra>"))
    fig.update_layout(barmode="group", height=max(300, 22 * len(words) + 80), margin=dict(l=10, r=10, t=30, b=30),
                      yaxis=dict(autorange="reversed", tickfont_size=11), xaxis_title="cosine with the direction",
                      legend=dict(orientation="h", y=1.05))
    return fig


def neighbors_frame(preview: Any) -> pd.DataFrame:
    rows = []
    for word, before in preview.neighbors_before.items():
        after = preview.neighbors_after.get(word, [])
        rows.append({"word": word, "neighbours before": ", ".join(w for w, _ in before),
                     "neighbours after": ", ".join(w for w, _ in after),
                     "changed": len({w for w, _ in before} ^ {w for w, _ in after}) // 2})
    return pd.DataFrame(rows)


def cluster_chart(clusters: Any, *, after: bool, labels: tuple[str, str] = ("first side", "second side")) -> go.Figure:
    """2-D PCA of the most biased words, coloured by their *original* bias sign."""
    coords = clusters.coords_after if after else clusters.coords_before
    accuracy = clusters.accuracy_after if after else clusters.accuracy_before
    sign = np.asarray(clusters.original_sign)
    words = np.array(_esc(clusters.words), dtype=object)
    fig = go.Figure()
    names = (f"leaned to {html.escape(labels[0])}", f"leaned to {html.escape(labels[1])}")
    for value, name, color in ((1, names[0], POSITIVE_COLOR), (-1, names[1], NEGATIVE_COLOR)):
        mask = sign == value
        fig.add_trace(go.Scattergl(x=coords[mask, 0], y=coords[mask, 1], mode="markers", name=name,
                                   text=words[mask], marker=dict(size=5, color=color, opacity=0.7),
                                   hovertemplate="%{text}<extra></extra>"))
    label = "after debiasing" if after else "before debiasing"
    fig.update_layout(height=320, margin=dict(l=10, r=10, t=40, b=10), legend=dict(orientation="h", y=-0.05),
                      title=dict(text=f"{label}: 2-means recovers the old side for {accuracy:.0%}", font_size=13),
                      xaxis=dict(showticklabels=False), yaxis=dict(showticklabels=False))
    return fig
