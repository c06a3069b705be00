"""The Map: a WebGL scatter of a projection, the neighbour panel, and the selection panel.

``map_chart`` is a pure builder (arrays in, plotly figure out) that tests can inspect without a
browser; the ``render_*`` functions draw. Corpus text reaches the browser only escaped and
truncated (hover) or through Streamlit's text/dataframe elements, which never interpret HTML.
"""
from __future__ import annotations

import html
import io
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from components import resources as res
from components import state
from engine.cluster import Clustering, cluster_centres, cluster_table
from engine.project import Projection
from engine.types import Corpus

ColorKind = Literal["categorical", "numeric"]
CLUSTER = "Cluster"
SCORE_PREFIX = "Score: "
NONE = "None"
MAX_LEGEND = 20  # more categories than this: one trace, colours without a legend
MAX_LABELS = 24  # cluster labels drawn on the map (largest clusters)
HOVER_CHARS = 80
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22",
    "#393b79", "#637939",
)
NOISE_COLOR = "#c7c7c7"


@dataclass(frozen=True, slots=True, eq=False)
class Coloring:
    """What the points are coloured by: one value per corpus row."""

    name: str
    kind: ColorKind
    values: np.ndarray  # (n,) object (categorical, str) or float (numeric; NaN = no value)


# -- pure helpers -------------------------------------------------------------------------------------
def _clip(text: str, max_chars: int) -> str:
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def hover_text(text: str, *, max_chars: int = HOVER_CHARS) -> str:
    """One line of corpus text made safe for a plotly hover label: truncated, then HTML-escaped."""
    text = " ".join(str(text).split())
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return html.escape(text, quote=True)


def color_options(corpus: Corpus, color_scores: dict[str, Any] | None) -> list[str]:
    """Colour-by choices: clusters, every metadata column, and a score handed over by another page."""
    options = [CLUSTER, *corpus.metadata_columns]
    if color_scores and color_scores.get("corpus_id") == corpus.corpus_id:
        options.append(SCORE_PREFIX + str(color_scores.get("name", "score")))
    return [*options, NONE]


def coloring(choice: str, *, corpus: Corpus, clustering: Clustering | None,
             color_scores: dict[str, Any] | None) -> Coloring:
    """The per-row values for a colour-by choice (see :func:`color_options`)."""
    n = len(corpus)
    if choice == CLUSTER and clustering is not None:
        names = clustering.names
        values = np.array([names[int(c)] for c in clustering.labels], dtype=object)
        return Coloring(CLUSTER, "categorical", values)
    if choice.startswith(SCORE_PREFIX) and color_scores:
        by_id = dict(zip(color_scores["ids"], color_scores["scores"]))
        values = np.array([by_id.get(i, np.nan) for i in corpus.ids], dtype=np.float64)
        return Coloring(choice[len(SCORE_PREFIX):], "numeric", values)
    if choice in corpus.metadata_columns:
        column = corpus.frame[choice]
        if column.dtype.is_numeric() and column.n_unique() > MAX_LEGEND:
            return Coloring(choice, "numeric", column.cast(pl.Float64).fill_null(np.nan).to_numpy())
        values = np.array(["(missing)" if v is None else str(v) for v in column.to_list()], dtype=object)
        return Coloring(choice, "categorical", values)
    return Coloring(NONE, "categorical", np.full(n, "all", dtype=object))


def _positions(coords: np.ndarray, rows: np.ndarray, dims: int) -> dict[str, np.ndarray]:
    axes = ("x", "y", "z")[:dims]
    return {axis: np.round(coords[rows, i].astype(np.float64), 4) for i, axis in enumerate(axes)}


def _trace(dims: int, rows: np.ndarray, coords: np.ndarray, hover: list[str], **marker_and_more: Any) -> Any:
    kind = go.Scattergl if dims == 2 else go.Scatter3d
    return kind(
        mode="markers",
        customdata=rows.tolist(),
        hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        **_positions(coords, rows, dims),
        **marker_and_more,
    )


def map_chart(
    projection: Projection,
    texts: Sequence[str],
    *,
    color: Coloring,
    rows: np.ndarray | None = None,
    clustering: Clustering | None = None,
    highlight: Sequence[int] = (),
    focus: int | None = None,
    height: int = 640,
    point_size: float | None = None,
) -> go.Figure:
    """A scatter of the projected rows (WebGL in 2-D; Scatter3d in 3-D).

    Args:
        projection: The layout; rows without a position are never drawn.
        texts: Corpus texts in row order (hover shows them escaped and truncated).
        color: What to colour by (per corpus row).
        rows: The rows to draw (e.g. a stratified sample); default all.
        clustering: When given, cluster labels are drawn at cluster centres.
        highlight: Rows to ring in red (search hits); drawn even when not in ``rows``.
        focus: A row to mark (the item open in the side panel).

    Returns:
        A figure whose point traces carry corpus row numbers in ``customdata``.
    """
    coords = np.asarray(projection.coords)
    dims = projection.dims
    drawn = np.arange(projection.n) if rows is None else np.asarray(rows)
    drawn = drawn[projection.projected[drawn]]
    size = point_size or (6.0 if drawn.size < 3000 else 4.0 if drawn.size < 20000 else 3.0)
    if dims == 3:
        size *= 0.6
    hover_of = {int(r): hover_text(texts[r]) for r in drawn}
    figure = go.Figure()

    def hover(subset: np.ndarray, label: Any = None) -> list[str]:
        suffix = "" if label is None else f"<br><i>{html.escape(color.name)}: {html.escape(str(label))}</i>"
        return [hover_of.get(int(r), hover_text(texts[r])) + suffix for r in subset]

    if color.kind == "numeric":
        values = np.asarray(color.values, dtype=np.float64)[drawn]
        has = np.isfinite(values)
        if (~has).any():
            figure.add_trace(_trace(dims, drawn[~has], coords, hover(drawn[~has], "no value"), name="no value",
                                    marker={"color": NOISE_COLOR, "size": size, "opacity": 0.5}))
        figure.add_trace(_trace(
            dims, drawn[has], coords,
            [h + f"<br><i>{html.escape(color.name)}: {v:.3g}</i>" for h, v in zip(hover(drawn[has]), values[has])],
            name=color.name, showlegend=False,
            marker={"color": values[has], "colorscale": "Viridis", "size": size, "opacity": 0.85,
                    "colorbar": {"title": {"text": html.escape(color.name)}, "thickness": 12}},
        ))
    else:
        values = np.asarray(color.values, dtype=object)[drawn]
        categories, counts = np.unique(values.astype(str), return_counts=True)
        order = [categories[i] for i in np.argsort(-counts, kind="stable")]
        special = {"unclustered", "(missing)", "no value"}
        if len(order) <= MAX_LEGEND:
            colored = [c for c in order if c not in special]
            for index, category in enumerate(colored + [c for c in order if c in special]):
                subset = drawn[values.astype(str) == category]
                grey = category in special
                figure.add_trace(_trace(
                    dims, subset, coords, hover(subset, category), name=html.escape(category)[:40],
                    marker={"color": NOISE_COLOR if grey else PALETTE[index % len(PALETTE)], "size": size,
                            "opacity": 0.45 if grey else 0.85},
                ))
        else:  # too many for a legend: cycle the palette, grey for the special values
            names = values.astype(str)
            grey = np.isin(names, list(special))
            if grey.any():
                subset = drawn[grey]
                figure.add_trace(_trace(dims, subset, coords, hover(subset, "unclustered / missing"),
                                        name="unclustered / missing",
                                        marker={"color": NOISE_COLOR, "size": size, "opacity": 0.45}))
            codes = {c: i for i, c in enumerate(c for c in order if c not in special)}
            subset, subset_names = drawn[~grey], names[~grey]
            shade = np.array([codes[v] % len(PALETTE) for v in subset_names], dtype=int)
            for index, colour in enumerate(PALETTE):  # one single-colour trace per palette entry: fast to build
                chosen = shade == index
                if not chosen.any():
                    continue
                figure.add_trace(_trace(
                    dims, subset[chosen], coords,
                    [h + f"<br><i>{html.escape(color.name)}: {html.escape(v)}</i>"
                     for h, v in zip(hover(subset[chosen]), subset_names[chosen])],
                    name=f"{html.escape(color.name)} group {index + 1}", showlegend=False,
                    marker={"color": colour, "size": size, "opacity": 0.85},
                ))
    highlight = np.array([r for r in highlight if 0 <= r < projection.n and projection.projected[r]], dtype=int)
    if highlight.size:
        figure.add_trace(_trace(dims, highlight, coords, hover(highlight), name="search hits",
                                marker={"color": "rgba(0,0,0,0)", "size": size + 8, "symbol": "circle-open",
                                        "line": {"color": "#d62728", "width": 2}}))
    if focus is not None and 0 <= focus < projection.n and projection.projected[focus]:
        marked = np.array([focus])
        figure.add_trace(_trace(dims, marked, coords, hover(marked), name="open item",
                                marker={"color": "#111111", "size": size + 10, "symbol": "x" if dims == 2 else "cross",
                                        "line": {"color": "#ffffff", "width": 1}}))
    annotations = _cluster_annotations(projection, clustering)
    layout: dict[str, Any] = {
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "legend": {"itemsizing": "constant", "orientation": "h", "x": 0, "y": -0.02, "yanchor": "top",
                   "font": {"size": 11}},
        # no 2-D dragmode: Streamlit then uses pan + click-to-select; in lasso mode clicks select nothing
        "hoverlabel": {"align": "left"},
        "uirevision": projection.key,
    }
    if dims == 2:
        axis = {"showticklabels": False, "showgrid": False, "zeroline": False, "title": None}
        layout |= {"xaxis": axis, "yaxis": axis, "annotations": annotations}
    else:
        axis3 = {"showticklabels": False, "title": "", "showbackground": False}
        layout["scene"] = {"xaxis": axis3, "yaxis": axis3, "zaxis": axis3, "annotations": annotations}
    figure.update_layout(**layout)
    return figure


def _cluster_annotations(projection: Projection, clustering: Clustering | None) -> list[dict[str, Any]]:
    if clustering is None or not clustering.clusters:
        return []
    centres = cluster_centres(clustering.labels, np.asarray(projection.coords))
    notes = []
    for info in clustering.clusters[:MAX_LABELS]:
        if info.cluster not in centres:
            continue
        where = dict(zip(("x", "y", "z"), (float(v) for v in centres[info.cluster])))
        notes.append({**where, "text": f"<b>{html.escape(info.label)}</b>", "showarrow": False,
                      "font": {"size": 11, "color": "#222"}, "bgcolor": "rgba(255,255,255,0.72)",
                      "borderpad": 2})
    return notes


def cluster_overview(clustering: Clustering, corpus: Corpus) -> pl.DataFrame:
    """The cluster table (size, label, top terms, example texts), largest first."""
    return cluster_table(clustering, corpus)


def row_of_id(corpus: Corpus, item_id: str) -> int | None:
    """Row number of an item id in the corpus, or None."""
    found = corpus.frame.with_row_index("_row").filter(pl.col("id") == item_id)["_row"]
    return int(found[0]) if found.len() else None


def rows_of_ids(corpus: Corpus, ids: Sequence[str]) -> list[int]:
    if not ids:
        return []
    found = corpus.frame.with_row_index("_row").filter(pl.col("id").is_in(list(ids)))["_row"]
    return [int(r) for r in found]


def selected_rows(event: Any) -> list[int]:
    """Corpus rows from a plotly selection event (``customdata`` holds row numbers)."""
    if not event:
        return []
    selection = event.get("selection", event) if hasattr(event, "get") else getattr(event, "selection", {})
    rows = []
    for point in selection.get("points", []) or []:
        data = point.get("customdata")
        if isinstance(data, (list, tuple)):
            data = data[0] if data else None
        if isinstance(data, (int, float)) and not isinstance(data, bool):
            rows.append(int(data))
    return sorted(dict.fromkeys(rows))


def selection_frame(corpus: Corpus, rows: Sequence[int], clustering: Clustering | None) -> pl.DataFrame:
    """The selected rows with every column (full data, not the drawn sample) and their cluster."""
    frame = corpus.frame[list(rows)]
    if clustering is not None:
        names = clustering.names
        frame = frame.with_columns(pl.Series("cluster", [names[int(clustering.labels[r])] for r in rows]))
    return frame


# -- drawing ---------------------------------------------------------------------------------------------
def _on_map_select(chart_key: str, corpus_id: str, model_id: str, ids: list[str]) -> None:
    """Selection callback: one point opens it in the side panel; several become the selection."""
    rows = selected_rows(st.session_state.get(chart_key))
    if len(rows) == 1:
        state.set(state.FOCUS_ITEM, {"corpus_id": corpus_id, "id": ids[rows[0]]})
    elif rows:
        state.set(state.SELECTION, {"corpus_id": corpus_id, "model_id": model_id,
                                    "ids": [ids[r] for r in rows], "source": "map"})


def render_map(figure: go.Figure, *, corpus: Corpus, model_id: str, dims: int, key: str) -> None:
    """Draw the map; clicks and lasso/box selections update FOCUS_ITEM / SELECTION (2-D only)."""
    config = {"displaylogo": False, "scrollZoom": True,
              "toImageButtonOptions": {"format": "png", "filename": f"embedscape-map-{model_id}", "scale": 2}}
    if dims == 2:
        st.plotly_chart(
            figure, key=key, on_select=partial(_on_map_select, key, corpus.corpus_id, model_id, corpus.ids),
            selection_mode=("points", "box", "lasso"), config=config, width="stretch",
        )
    else:
        st.plotly_chart(figure, key=key, config=config, width="stretch")


def render_quality(projection: Projection, *, shown: int) -> None:
    """One caption: what is drawn, and how far the layout can be trusted."""
    quality = projection.quality
    projected = int(projection.projected.sum())
    parts = [f"showing {shown:,} of {projected:,} points" if shown < projected else f"{projected:,} points"]
    if quality:
        parts.append(f"trustworthiness {quality['trustworthiness']:.2f}")
        parts.append(f"{quality['k']}-NN kept {quality['knn_preservation']:.0%}")
        if quality["sample"] < quality["n_points"]:
            parts.append(f"(measured on {quality['sample']:,} points)")
    st.caption(" · ".join(parts), help=(
        "**Trustworthiness** (0–1): near 1 when points that look close on the map are also close in the "
        "full embedding space. **k-NN kept**: the share of each point's nearest neighbours (full space) "
        "that are also its nearest neighbours on the map; 2-D maps rarely keep more than half, so use the "
        "neighbour panel (full space) for exact neighbours. Past the point cap, a sample stratified by "
        "cluster is drawn; the panel and exports always use the full data."))
    for note in projection.notes:
        st.caption(f"Note: {note}")


def render_neighbor_panel(corpus: Corpus, model_id: str, row: int, *, clustering: Clustering | None,
                          k: int = 10, key: str = "map_panel") -> None:
    """The open item: its text, metadata and nearest neighbours in the full embedding space."""
    names = clustering.names if clustering is not None else {}
    texts = corpus.texts
    st.subheader("Open item")
    st.text(texts[row])
    meta = {column: corpus.frame[column][row] for column in corpus.metadata_columns}
    if clustering is not None:
        meta["cluster"] = names.get(int(clustering.labels[row]), "")
    meta["id"] = corpus.ids[row]
    st.dataframe(pl.DataFrame({"field": list(meta), "value": [str(v) for v in meta.values()]}),
                 hide_index=True, width="stretch", key=f"{key}_meta")
    if not res.embeddings(corpus.corpus_id, model_id).valid[row]:
        st.info(f"No neighbours: {model_id} could not represent this text (no word it knows).")
        return
    rows, similarities = res.neighbors(corpus.corpus_id, model_id, row, k)
    st.markdown(f"**Nearest neighbours** ({len(rows)}; cosine similarity in the full {model_id} space)")
    if not rows:
        st.info("No neighbours: this item has no vector in this model.")
        return
    neighbours = pl.DataFrame({
        "similarity": [round(s, 3) for s in similarities],
        "text": [texts[r] for r in rows],
        "cluster": [names.get(int(clustering.labels[r]), "") for r in rows] if clustering is not None else [""] * len(rows),
    })
    st.dataframe(
        neighbours, hide_index=True, width="stretch", key=f"{key}_neighbors", on_select=partial(
            _on_neighbor_select, f"{key}_neighbors", corpus.corpus_id, [corpus.ids[r] for r in rows]),
        selection_mode="single-row",
        column_config={"similarity": st.column_config.NumberColumn("cos", format="%.3f", width="small",
                                                                   help="Cosine similarity to the open item"),
                       "text": st.column_config.TextColumn("text", width="large")},
    )
    st.caption("Select a neighbour's row to open it.")


def item_finder(corpus: Corpus, *, key: str = "map_find") -> None:
    """A text box that finds items by a word they contain and opens the chosen one (works in 3-D too)."""
    query = st.text_input("Find an item", key=f"{key}_query", placeholder="a word or phrase from the text",
                          help="Type part of a text to find it; choose a match to open it with its neighbours.")
    if not query.strip():
        return
    matches = (corpus.frame.with_row_index("_row")
               .filter(pl.col("text").str.to_lowercase().str.contains(query.strip().lower(), literal=True))
               .head(50))
    if matches.height == 0:
        st.caption("No text contains that.")
        return
    labels = {row: _clip(" ".join(text.split()), 90) for row, text in zip(matches["_row"], matches["text"])}
    st.selectbox(f"{matches.height}{'+' if matches.height == 50 else ''} matches", list(labels),
                          index=None, format_func=labels.__getitem__, key=f"{key}_pick",
                          help="Open one of the matching items.", placeholder="choose one to open",
                          on_change=_on_find_pick, args=(f"{key}_pick", corpus.corpus_id, corpus.frame["id"]))
    # the callback opens the item before the page (and its panel) runs again


def _on_find_pick(pick_key: str, corpus_id: str, ids: pl.Series) -> None:
    row = st.session_state.get(pick_key)
    if row is not None:
        state.set(state.FOCUS_ITEM, {"corpus_id": corpus_id, "id": ids[int(row)]})


def _on_neighbor_select(table_key: str, corpus_id: str, ids: list[str]) -> None:
    event = st.session_state.get(table_key)
    chosen = list(event.get("selection", {}).get("rows", [])) if event else []
    if chosen:
        state.set(state.FOCUS_ITEM, {"corpus_id": corpus_id, "id": ids[chosen[0]]})


def render_selection_panel(corpus: Corpus, rows: list[int], *, clustering: Clustering | None,
                           key: str = "map_selection") -> None:
    """The lasso/box selection: a table, CSV/Parquet export, and hand-offs to Axes and Bias."""
    frame = selection_frame(corpus, rows, clustering)
    st.subheader(f"Selection · {len(rows):,} items")
    st.dataframe(frame, hide_index=True, width="stretch", height=260, key=f"{key}_table")
    csv_col, parquet_col, pole_col, words_col, clear_col = st.columns(5)
    csv_col.download_button("Download CSV", data=partial(_csv_bytes, frame), file_name="selection.csv",
                            mime="text/csv", key=f"{key}_csv", help="All columns of the selected items.")
    parquet_col.download_button("Download Parquet", data=partial(_parquet_bytes, frame),
                                file_name="selection.parquet", mime="application/octet-stream",
                                key=f"{key}_parquet", help="All columns of the selected items, typed.")
    if pole_col.button("Use as axis pole", key=f"{key}_pole",
                       help="Hand these items to the Axes page as one pole of an axis."):
        state.set(state.AXIS_POLE, {"corpus_id": corpus.corpus_id, "ids": frame["id"].to_list(),
                                    "texts": frame["text"].to_list()})
        st.toast(f"{len(rows):,} items sent to Axes as a pole.")
    if words_col.button("Use as word set", key=f"{key}_words",
                        help="Hand these texts to the Bias page as a target or attribute word set."):
        state.set(state.WORD_SET, {"corpus_id": corpus.corpus_id, "texts": frame["text"].to_list()})
        st.toast(f"{len(rows):,} texts sent to Bias as a word set.")
    if clear_col.button("Clear selection", key=f"{key}_clear", help="Forget this selection."):
        state.set(state.SELECTION, None)
        st.rerun()


def _csv_bytes(frame: pl.DataFrame) -> bytes:
    return frame.write_csv().encode("utf-8")


def _parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def html_export(figure: go.Figure) -> bytes:
    """The map as a standalone interactive HTML file (plotly.js embedded; works offline)."""
    return figure.to_html(include_plotlyjs=True, full_html=True).encode("utf-8")


def png_export(figure: go.Figure, *, width: int = 1400, height: int = 900) -> bytes:
    """The map as a PNG, rendered by kaleido in a headless Chromium (Debian's /usr/bin/chromium
    unless ``BROWSER_PATH`` names another). Raises RuntimeError with advice when that fails."""
    import os

    if os.path.exists("/usr/bin/chromium"):
        os.environ.setdefault("BROWSER_PATH", "/usr/bin/chromium")
    try:
        return figure.to_image(format="png", width=width, height=height, scale=1)
    except Exception as exc:  # kaleido missing, or no Chromium it can start
        raise RuntimeError(
            "PNG export needs kaleido and a Chromium/Chrome (set BROWSER_PATH to it). Use the camera icon "
            f"in the map's toolbar instead. ({type(exc).__name__}: {exc})") from exc


def render_exports(figure: go.Figure, *, name: str, key: str = "map_export") -> None:
    """Download the map as standalone HTML, or render a PNG (a few seconds: it starts a browser)."""
    html_col, png_col = st.columns(2)
    html_col.download_button(
        "Download map as HTML", data=partial(html_export, figure), file_name=f"{name}.html", mime="text/html",
        key=f"{key}_html", on_click="ignore",
        help="A standalone interactive file (zoom, hover) that opens offline in any browser.",
    )
    if png_col.button("Render PNG", key=f"{key}_png", help="Draw the map as a 1400×900 PNG for slides and "
                      "papers (takes a few seconds). The camera icon in the map's toolbar saves the current "
                      "view instead."):
        try:
            with st.spinner("Rendering PNG…"):
                png = png_export(figure)
        except RuntimeError as exc:
            png_col.warning(str(exc))
        else:
            png_col.download_button("Download PNG", data=png, file_name=f"{name}.png", mime="image/png",
                                    key=f"{key}_png_download", on_click="ignore", help="The rendered PNG.")
