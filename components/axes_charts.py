"""The Axes page's charts: pure builders that return Plotly figures and draw nothing.

Text from a corpus or typed by a user is HTML-escaped before it reaches a chart (Plotly renders a
subset of HTML in hover texts and titles).
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go
import polars as pl

from engine.labels import shorten

POSITIVE_COLOR = "#d1495b"
NEGATIVE_COLOR = "#2e86ab"


def _esc(text: str) -> str:
    """Escape for Plotly's HTML subset (&, <, >); quotes are harmless there and Plotly shows &quot; raw."""
    return html.escape(str(text), quote=False)


def _hover(text: str, limit: int = 140) -> str:
    return _esc(shorten(text, limit))


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
                    x=x[rows][mask], y=y[rows][mask], mode="markers", name=_esc(shorten(value, 40)),
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
