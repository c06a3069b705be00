"""Linked metadata charts under the Map (issue 16): a histogram, bar chart or timeline per metadata column.

Brushing a histogram or timeline, or clicking bars, sets that column's condition in the session filter
(``filter_view.session_filter``: the one filter Map, Search and Axes apply); each chart counts what the
*other* conditions keep (``engine.facets``). A map selection is drawn as coloured bars over the grey
totals. The active filter shows as removable chips.

Two calls on the Map page:
    projection = crossfilter.filtered_projection(corpus_id, corpus, projection)  # before the point cap
    crossfilter.linked_charts(corpus_id, corpus, shown=len(rows))               # below the map

Why no ``st.fragment``: every brush changes the filter, so the map must redraw, which is a whole-page
rerun anyway; a fragment would only add a second run before it.
"""
from __future__ import annotations

import copy
import hashlib
from dataclasses import replace
from functools import partial
from typing import Any

import altair as alt
import numpy as np
import polars as pl
import streamlit as st

from components import filter_view, state
from components import resources as res
from engine.facets import Facet, category_condition, date_condition, range_condition
from engine.project import Projection
from engine.types import Corpus, Mask

TOTAL_COLOR = "#c9ced6"  # what the other conditions keep
SELECTED_COLOR = "#4c78a8"  # of those, the map selection (or everything, without a selection)
BRUSH_PARAM = "brush"
PICK_PARAM = "pick"
CHARTS_PER_ROW = 3
CHART_HEIGHT = 190
TITLE_CHARS = 60


def filtered_projection(corpus_id: str, corpus: Corpus, projection: Projection) -> Projection:
    """The layout without the rows the session filter drops (their position becomes NaN, i.e. "not
    placed"), so the point cap, every renderer and the quality caption see only what the filter keeps."""
    keep = filter_view.session_filter(corpus_id).mask(corpus)
    if keep is None or keep.all():
        return projection
    coords = np.array(projection.coords, dtype=np.float32, copy=True)
    coords[~keep] = np.nan
    return replace(projection, coords=coords)


def selection_mask(corpus_id: str, corpus: Corpus, ids: list[str] | None = None) -> Mask | None:
    """Rows of ``ids`` (default: the Map's current selection of this corpus), or None without one."""
    if ids is None:
        selection = state.get(state.SELECTION)
        ids = selection.get("ids") if selection and selection.get("corpus_id") == corpus_id else None
    if not ids:
        return None
    return corpus.frame["id"].is_in([str(i) for i in ids]).to_numpy().astype(bool)


def linked_charts(corpus_id: str, corpus: Corpus, *, shown: int | None = None,
                  selection_ids: list[str] | None = None, key: str = "crossfilter") -> None:
    """The status line, the filter chips and one linked chart per metadata column.

    Args:
        corpus_id: The active corpus.
        corpus: Its corpus.
        shown: Points the map draws (for the status line); None leaves it out.
        selection_ids: Items selected on the map (default: ``state.SELECTION`` for this corpus).
        key: Prefix of every widget key.
    """
    value = filter_view.session_filter(corpus_id)
    keep = value.mask(corpus)
    kept = int(keep.sum()) if keep is not None else len(corpus)
    selected = selection_mask(corpus_id, corpus, selection_ids)
    with st.container(key=f"{key}_status"):
        parts = [f"Filter keeps {kept:,} of {len(corpus):,} items" if not value.is_empty else
                 f"No filter: {len(corpus):,} items"]
        if shown is not None:
            parts.append(f"the map shows {shown:,} points")
        if selected is not None:
            parts.append(f"{int(selected.sum()):,} selected on the map (coloured in the charts)")
        st.caption(" · ".join(parts))
    filter_view.filter_chips(corpus_id, key=f"{key}_chips")
    if not st.toggle("Linked metadata charts", help="A small chart per metadata column under the map: brush or "
                     "click one to filter the map and the other charts. Off: the filter still applies.",
                     **state.bind(state.CROSSFILTER_CHARTS)):
        return
    facets = res.facets(corpus_id, value.to_json(), None if selected is None else np.flatnonzero(selected).tobytes())
    if not facets:
        st.caption("No metadata column to chart (ids and free text get no chart).")
        return
    epoch = int(state.get(state.CROSSFILTER_EPOCH))
    active = {c.column: c for c in value.conditions}
    selection_key = None if selected is None else hashlib.blake2b(np.packbits(selected).tobytes(), digest_size=16).hexdigest()
    # the specs, built once per filter and selection: Altair's objects cost ~0.3 s of a 100k Map click
    # that changes neither (docs/benchmarks.md, Interactions); a deep copy goes to Streamlit each time
    specs = res.figure(("crossfilter-specs", corpus_id, value.to_json(), selection_key),
                       lambda: [facet_chart(facet, condition=active.get(facet.plan.column),
                                            selection=selected is not None).to_dict(validate=False) for facet in facets])
    with st.expander("Metadata charts: brush or click to filter", expanded=True, icon=":material/bar_chart:"):
        st.caption("Drag across a histogram or timeline, or click bars (shift-click for more), to filter the "
                   "map and the other charts; each chart counts what the other conditions keep.")
        for start in range(0, len(facets), CHARTS_PER_ROW):
            for column_slot, (position, facet) in zip(
                    st.columns(CHARTS_PER_ROW), enumerate(facets[start:start + CHARTS_PER_ROW], start)):
                with column_slot:
                    chart_key = f"{key}_{epoch}_{position}"  # position, not the (hostile) column name
                    # the spec without Altair's schema validation (~150 ms a chart, the whole cost of the
                    # charts on a map rerun); tests/app/test_crossfilter.py validates the same charts
                    st.vega_lite_chart(spec=copy.deepcopy(specs[position]), key=chart_key,
                                       on_select=partial(_on_brush, corpus_id, chart_key, position),
                                       selection_mode=[PICK_PARAM if facet.plan.kind == "category" else BRUSH_PARAM],
                                       width="stretch")
                    note = f"{facet.missing:,} without a value" if facet.missing else ""
                    if note:
                        st.caption(note)


def facet_chart(facet: Facet, *, condition: Any = None, selection: bool = False) -> alt.LayerChart:
    """One small chart: grey bars for what the other conditions keep, coloured bars for the map
    selection (or the same totals without one), the column's own active range shaded."""
    plan = facet.plan
    title = alt.TitleParams(plan.column if len(plan.column) <= TITLE_CHARS else plan.column[:TITLE_CHARS] + "…",
                            fontSize=12, anchor="start")
    frame = facet.frame
    tooltip = [alt.Tooltip("label", title="value"), alt.Tooltip("count", title="items"),
               *([alt.Tooltip("selected", title="selected")] if selection else [])]
    if plan.kind == "category":
        pick = alt.selection_point(name=PICK_PARAM, fields=["label"])
        picked = set(condition.values or ()) if condition is not None and condition.values is not None else set()
        frame = frame.with_columns(pl.col("label").is_in(list(picked)).alias("active"))
        y = alt.Y("label:N", sort=None, title=None, axis=alt.Axis(labelLimit=120))
        totals = alt.Chart(frame).mark_bar(color=TOTAL_COLOR).encode(
            y=y, x=alt.X("count:Q", title="items"), tooltip=tooltip,
            stroke=alt.condition("datum.active", alt.value("#e45756"), alt.value(None))).add_params(pick)
        part = alt.Chart(frame).mark_bar(color=SELECTED_COLOR).encode(
            y=y, x="selected:Q", opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)), tooltip=tooltip)
        return alt.layer(totals, part, title=title).properties(height=max(CHART_HEIGHT, 22 * frame.height))
    temporal = plan.kind == "date"
    if temporal:  # "Z": Vega reads a datetime without a zone as local time, and the scale is UTC
        frame = frame.with_columns(pl.col(c).map_elements(_utc_text, return_dtype=pl.String) for c in ("label", "end"))
    kind = "T" if temporal else "Q"
    scale = alt.Scale(type="utc") if temporal else alt.Scale(zero=False, nice=False)
    axis = alt.Axis(format="d") if plan.integer else alt.Axis()  # years read 1980, not 1,980
    x = alt.X(f"label:{kind}", title=None, scale=scale, axis=axis)
    brush = alt.selection_interval(name=BRUSH_PARAM, encodings=["x"])
    totals = alt.Chart(frame).mark_bar(color=TOTAL_COLOR).encode(
        x=x, x2=f"end:{kind}", y=alt.Y("count:Q", title="items"), y2=alt.datum(0), tooltip=tooltip).add_params(brush)
    # y2 = 0: with x2 set, Vega-Lite would otherwise draw each bar as a thin band at its count
    part = alt.Chart(frame).mark_bar(color=SELECTED_COLOR).encode(x=x, x2=f"end:{kind}", y="selected:Q",
                                                                    y2=alt.datum(0), tooltip=tooltip)
    layers = [totals, part]
    shade = _active_range(condition, temporal)
    if shade is not None:
        layers.append(alt.Chart(shade).mark_rect(color="#e45756", opacity=0.12).encode(
            x=alt.X(f"low:{kind}"), x2=f"high:{kind}"))
    return alt.layer(*layers, title=title).properties(height=CHART_HEIGHT)


def brush_condition(facet_plan: Any, selection: Any, corpus: Corpus) -> Any:
    """The condition a chart's selection payload stands for (None: the brush was cleared)."""
    if facet_plan.kind == "category":
        points = selection.get(PICK_PARAM) if isinstance(selection, dict) else None
        picked = [p.get("label") for p in points or () if isinstance(p, dict)]
        return category_condition(facet_plan, picked, corpus)
    interval = selection.get(BRUSH_PARAM) if isinstance(selection, dict) else None
    bounds = interval.get("label") if isinstance(interval, dict) else None
    if not isinstance(bounds, (list, tuple)) or len(bounds) != 2:
        return None
    low, high = sorted(bounds, key=_sort_key)
    if facet_plan.kind == "date":
        return date_condition(facet_plan, low, high)
    try:
        return range_condition(facet_plan, float(low), float(high))
    except (TypeError, ValueError):
        return None


def _on_brush(corpus_id: str, chart_key: str, position: int) -> None:
    """A chart's selection changed: set (or clear) its column's condition in the session filter."""
    corpus = res.corpus(corpus_id)
    plans = res.facet_plans(corpus_id)
    if position >= len(plans):
        return
    plan = plans[position]
    event = st.session_state.get(chart_key) or {}
    condition = brush_condition(plan, dict(event.get("selection") or {}), corpus)
    value = filter_view.without_column(filter_view.session_filter(corpus_id), plan.column)
    filter_view.set_session_filter(corpus_id, value.with_condition(condition) if condition is not None else value)


def _active_range(condition: Any, temporal: bool) -> pl.DataFrame | None:
    if condition is None:
        return None
    if temporal and (condition.start or condition.end):
        return pl.DataFrame({"low": [_utc_text(condition.start)], "high": [_utc_text(condition.end)]})
    if not temporal and condition.low is not None and condition.high is not None:
        return pl.DataFrame({"low": [condition.low], "high": [condition.high]})
    return None


def _utc_text(text: str | None) -> str | None:
    return text if text is None or len(text) <= 10 or text.endswith("Z") or "+" in text[10:] else text + "Z"


def _sort_key(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0

