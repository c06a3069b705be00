"""Tables and charts of the Geometry page. Pure builders (engine values in, DataFrames and plotly
figures out) plus two small render helpers; no math beyond formatting.

Every corpus string (texts, labels, topic names, column values) goes into dataframes or plotly
hover text that is HTML-escaped, never into Markdown.
"""
from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from components import resources as res
from components import state
from components.feedback import escape_markdown

from engine.export import to_csv_bytes
from engine.geometry import SUMMARY_COLUMNS, summary_rows

BEFORE_COLOR, AFTER_COLOR, NEUTRAL_COLOR = "#2563eb", "#f97316", "#6b7280"
_LAYOUT = dict(height=260, margin=dict(l=10, r=10, t=30, b=40))


def summary_frame(reports: Sequence[Any]) -> pd.DataFrame:
    """The across-models table: one row per model, one column per figure."""
    return pd.DataFrame(summary_rows(list(reports)))


def summary_column_config() -> dict[str, Any]:
    """Help text for each column of :func:`summary_frame` (shown on hover of the header)."""
    config: dict[str, Any] = {"model": st.column_config.TextColumn("model", help="Model id")}
    for column, _, meaning in SUMMARY_COLUMNS:
        config[column] = st.column_config.NumberColumn(column, help=meaning, format="%.3f" if column not in (
            "dimension", "max N10", "PCs for 90 % of top-10", "PCs for 95 % of top-10") else "%d")
    return config


COMPARED = (  # (table column, panel title, how to read it) for the across-models chart
    ("IsoScore", "IsoScore", "higher = more isotropic"),
    ("mean cos (random pairs)", "mean cosine of random pairs", "near 0 = cosines mean something"),
    ("N10 skewness", "hubness (N10 skewness)", "lower = fewer hubs"),
    ("redundancy", "PCs for 90 % / dimension", "lower = more redundant"),
)


def comparison_figure(table: pd.DataFrame) -> go.Figure:
    """Four small bar charts, one per headline figure, one bar per model."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=len(COMPARED), subplot_titles=[title for _, title, _ in COMPARED])
    models = [html.escape(str(m)) for m in table["model"]]
    for position, (column, _, reading) in enumerate(COMPARED, start=1):
        if column == "redundancy":
            values = pd.to_numeric(table["PCs for 90 % of top-10"], errors="coerce") / table["dimension"]
        else:
            values = pd.to_numeric(table[column], errors="coerce")
        fig.add_bar(x=models, y=values, marker_color=BEFORE_COLOR, showlegend=False,
                    hovertemplate="%{x}: %{y:.3f}<extra>" + reading + "</extra>", row=1, col=position)
    fig.update_layout(height=240, margin=dict(l=10, r=10, t=40, b=30))
    return fig


def isotropy_frame(figures: dict[str, Any]) -> pd.DataFrame:
    """Isotropy as stored vs mean-centred, side by side."""
    names = {"isoscore": "IsoScore", "mean_cosine": "mean cosine of random pairs", "std_cosine": "sd of those cosines",
             "mean_share": "mean-direction share of |x|²", "pc1_share": "variance on PC1",
             "pc10_share": "variance on PC1-10"}
    before, after = figures["isotropy"], figures["isotropy_centred"]
    return pd.DataFrame({"figure": list(names.values()), "as stored": [before[k] for k in names],
                         "mean-centred": [after[k] for k in names]})


def cosine_histogram(figures: dict[str, Any]) -> go.Figure:
    """Random-pair cosines before and after mean-centring (from the stored histogram)."""
    hist = figures["cosine_histogram"]
    edges = np.asarray(hist["edges"])
    centres = (edges[:-1] + edges[1:]) / 2
    fig = go.Figure()
    for key, name, color in (("stored", "as stored", BEFORE_COLOR), ("centred", "mean-centred", AFTER_COLOR)):
        fig.add_bar(x=centres, y=hist[key], name=name, marker_color=color, opacity=0.6,
                    hovertemplate="cos %{x:.3f}: %{y} pairs<extra>" + name + "</extra>")
    fig.update_layout(barmode="overlay", bargap=0, xaxis_title="cosine of a random pair", yaxis_title="pairs",
                      legend=dict(orientation="h", y=1.15), **_LAYOUT)
    fig.add_vline(x=0, line_color="#111827", line_width=1)
    return fig


def occurrence_histogram(occurrence: np.ndarray, k: int) -> go.Figure:
    values = np.asarray(occurrence)
    values = values[values >= 0]
    counts = np.bincount(values) if values.size else np.zeros(1, dtype=int)
    fig = go.Figure(go.Bar(x=np.arange(counts.size), y=counts, marker_color=NEUTRAL_COLOR,
                           hovertemplate=f"N{k} = %{{x}}: %{{y}} items<extra></extra>"))
    fig.add_vline(x=k, line_dash="dot", line_color="#111827", annotation_text=f"k = {k} (the mean)")
    fig.update_layout(xaxis_title=f"N{k}: how many items list this one among their {k} nearest neighbours",
                      yaxis_title="items (log)", yaxis_type="log", **_LAYOUT)
    return fig


def items_frame(corpus: Any, labels: Sequence[str], rows: Sequence[int], **columns: Sequence[Any]) -> pd.DataFrame:
    """Rows of the corpus as a table: the extra columns first (rank, score), then label, id and text."""
    rows = [int(r) for r in rows]
    ids, texts = corpus.ids, corpus.texts
    frame = pd.DataFrame({name: list(values) for name, values in columns.items()})
    frame["label"] = [labels[r] for r in rows]
    frame["id"] = [ids[r] for r in rows]
    frame["text"] = [texts[r] for r in rows]
    return frame


def redundancy_figure(curve: dict[str, Any]) -> go.Figure:
    dims, overlap = curve["dims"], curve["overlap"]
    fig = go.Figure(go.Scatter(x=dims, y=overlap, mode="lines+markers", line_color=BEFORE_COLOR,
                               hovertemplate="%{x} PCs keep %{y:.1%} of the top-10<extra></extra>"))
    for target, color in (("0.90", "#16a34a"), ("0.95", "#7c3aed")):
        fig.add_hline(y=float(target), line_dash="dot", line_color=color, annotation_text=f"{float(target):.0%}")
    fig.update_layout(xaxis_title="principal components kept (log scale)", xaxis_type="log",
                      yaxis_title=f"share of top-{curve['k']} neighbours kept", yaxis_range=[0, 1.02], **_LAYOUT)
    return fig


def depth_histogram(depth: np.ndarray, *, name: str = "items") -> go.Figure:
    values = np.asarray(depth, dtype=float)
    fig = go.Figure(go.Histogram(x=values[~np.isnan(values)], nbinsx=60, marker_color=NEUTRAL_COLOR, name=name,
                                 hovertemplate="depth %{x}: %{y}<extra></extra>"))
    fig.update_layout(xaxis_title="TTE depth (higher = more central)", yaxis_title="items", **_LAYOUT)
    return fig


def shift_histogram(result: Any, *, group: str, reference: str) -> go.Figure:
    """Depths of both sides with respect to the reference (the rank-sum test compares these)."""
    fig = go.Figure()
    for values, name, color in ((result.depth_reference, reference, BEFORE_COLOR),
                                (result.depth_group, group, AFTER_COLOR)):
        fig.add_histogram(x=values, name=html.escape(name)[:60], marker_color=color, opacity=0.6,
                          histnorm="probability density", nbinsx=40)
    fig.update_layout(barmode="overlay", xaxis_title="depth with respect to the reference", yaxis_title="density",
                      legend=dict(orientation="h", y=1.15), **_LAYOUT)
    return fig


def topic_counts_frame(result: Any) -> pd.DataFrame:
    counts = result.counts()
    return pd.DataFrame({"topic": list(counts), "items": list(counts.values())})


def metric_row(metrics: Sequence[tuple[str, str, str]]) -> None:
    """One row of ``st.metric`` from (label, value, help) triples."""
    for column, (label, value, help_text) in zip(st.columns(len(metrics)), metrics):
        column.metric(label, value, help=help_text)


SHOWN_ROWS = 2_000  # rows a long table shows on the page; its CSV always holds every row


def shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The head and tail of a long ranked table (so both ends of a ranking stay visible)."""
    if len(frame) <= SHOWN_ROWS:
        return frame
    half = SHOWN_ROWS // 2
    return pd.concat([frame.head(half), frame.tail(half)])


def csv_button(frame: pd.DataFrame, *, file_name: str, key: str, label: str = "Download CSV") -> None:
    """A CSV download of a whole table, written only when clicked (100k rows of text take a while);
    the file name is built by the page from safe parts."""
    st.download_button(label, lambda: to_csv_bytes(pl.from_pandas(frame)), file_name=file_name,  # formulas neutralised
                       mime="text/csv", key=key, help="The whole table as a CSV file.")


@dataclass(frozen=True)
class ShiftGroups:
    """What the shift test compares: the group's ids, the reference (ids of this corpus, "rest", or
    another corpus) and display names (plain text: they can hold column values)."""

    group_ids: tuple[str, ...]
    reference: tuple[str, ...] | str
    reference_corpus: str | None
    group_name: str
    reference_name: str


def shift_groups_picker(corpus: Any, model_id: str) -> ShiftGroups:
    """Widgets to choose the two sides of a shift test: two values of a column, the Map selection
    vs the rest, or another stored corpus embedded with ``model_id``."""
    how = st.radio("Compare", ["Two values of a column", "Map selection vs the rest", "Another corpus"],
                   horizontal=True, key="geometry_shift_how",
                   help="The group's depths with respect to the reference are compared with the reference's own.")
    group_ids: tuple[str, ...] = ()
    reference: tuple[str, ...] | str = "rest"
    reference_corpus = None
    group_name, reference_name = "group", "reference"
    ids = np.array(corpus.ids, dtype=object)
    if how == "Two values of a column":
        if not corpus.metadata_columns:
            st.info("This corpus has no metadata column; use a Map selection or another corpus.")
        else:
            c1, c2, c3 = st.columns(3)
            column = c1.selectbox("Column", corpus.metadata_columns, key="geometry_shift_column",
                                  help="A metadata column whose values define the groups.")
            values = [str(v) for v in corpus.frame[column].drop_nulls().unique().sort().to_list()[:1000]]
            value = c2.selectbox("Group: items where the column is", values, key="geometry_shift_value",
                                 help="The tested group.")
            vs = c3.selectbox("Reference", ["rest"] + [v for v in values if v != value], key="geometry_shift_vs",
                              format_func=lambda v: "every other item" if v == "rest" else v,
                              help="The items the group is compared with.")
            text = np.array([str(v) for v in corpus.frame[column].to_list()], dtype=object)
            group_ids = tuple(ids[text == value])
            reference = "rest" if vs == "rest" else tuple(ids[text == vs])
            group_name, reference_name = f"{column} = {value}", "the rest" if vs == "rest" else f"{column} = {vs}"
    elif how == "Map selection vs the rest":
        selection = state.get(state.SELECTION)
        if not selection or selection.get("corpus_id") != corpus.corpus_id or not selection.get("ids"):
            st.info("Select points on the Map (lasso or box) first; they are compared with the rest of the corpus.")
        else:
            group_ids = tuple(selection["ids"])
            group_name, reference_name = f"Map selection ({len(group_ids):,})", "the rest"
    else:
        others = {m["corpus_id"]: m["name"] for m in res.store().list_corpora() if m["corpus_id"] != corpus.corpus_id
                  and model_id in res.embedded_model_ids(m["corpus_id"])}
        if not others:
            st.info(f"No other stored corpus is embedded with {escape_markdown(model_id)}; embed one on the Home "
                    "page.")
        else:
            reference_corpus = st.selectbox("Reference corpus", list(others), format_func=others.__getitem__,
                                            key="geometry_shift_corpus",
                                            help="Another stored corpus embedded with the same model.")
            group_ids = tuple(ids)
            group_name, reference_name = "this corpus", others[reference_corpus]
    return ShiftGroups(group_ids, reference, reference_corpus, group_name, reference_name)
