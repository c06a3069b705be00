"""The Map's Streamlit parts: the chart with its selection callbacks, the open-item panel, the
selection panel and the exports.

The figure itself is built by ``components.map_figure`` (pure; re-exported here). Corpus text
reaches the browser only escaped for plotly (hover, legend, titles) or through Streamlit's
text/dataframe elements, which never interpret HTML.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from components import item_detail, state
from components.feedback import escape_markdown
from components import resources as res
from components.map_canvas import map_canvas, rows_in
from components.map_figure import (  # noqa: F401 - re-exported: the Map's public builders
    CLUSTER,
    NONE,
    SCORE_PREFIX,
    Coloring,
    color_options,
    coloring,
    hover_text,
    map_chart,
    map_payload,
    plain_hover,
    plotly_text,
    ring_trace,
)
from engine.cluster import Clustering, cluster_table
from engine.config import MAP_POINT_CAP
from engine.export import to_csv_bytes, to_parquet_bytes
from engine.labels import shorten
from engine.project import DEFAULT_PARAMS, Projection
from engine.types import Corpus
from engine.vectors import rows_of


# -- per-corpus choices ----------------------------------------------------------------------------
CHOICE_DEFAULTS: dict[str, Any] = {
    "model": None, "n_neighbors": DEFAULT_PARAMS["n_neighbors"], "min_dist": DEFAULT_PARAMS["min_dist"],
    "metric": DEFAULT_PARAMS["metric"], "seed": DEFAULT_PARAMS["seed"], "cluster_method": "hdbscan",
    "cluster_space": "map", "min_cluster_size": 0, "n_clusters": 12, "point_cap": MAP_POINT_CAP, "neighbor_k": 10,
}


def choice(corpus_id: str, name: str) -> Any:
    """The Map's choice ``name`` for this corpus (its default until the user changes it)."""
    return state.get(state.MAP_CHOICES).get(corpus_id, {}).get(name, CHOICE_DEFAULTS[name])


def set_choice(corpus_id: str, name: str, value: Any) -> None:
    choices = dict(state.get(state.MAP_CHOICES))
    choices[corpus_id] = {**choices.get(corpus_id, {}), name: value}
    state.set(state.MAP_CHOICES, choices)


def bind_choice(corpus_id: str, name: str) -> dict[str, Any]:
    """Widget kwargs for a per-corpus Map choice (shadow key + on_change copy, as ``state.bind``)."""
    shadow = f"_w_map_{name}"
    st.session_state[shadow] = choice(corpus_id, name)
    return {"key": shadow, "on_change": _keep_choice, "args": (corpus_id, name)}


def _keep_choice(corpus_id: str, name: str) -> None:
    set_choice(corpus_id, name, st.session_state[f"_w_map_{name}"])


def map_model(corpus_id: str, model_ids: Sequence[str]) -> str:
    """The model this corpus's map shows: its own earlier choice if still active, else the
    sidebar's first model (never a choice carried over from another corpus)."""
    chosen = choice(corpus_id, "model")
    if chosen not in model_ids:
        chosen = model_ids[0]
        set_choice(corpus_id, "model", chosen)
    return chosen


def cluster_overview(clustering: Clustering, corpus: Corpus) -> pl.DataFrame:
    """The cluster table (size, label, top terms, example texts), largest first."""
    return cluster_table(clustering, corpus)


def row_of_id(corpus: Corpus, item_id: str) -> int | None:
    """Row number of an item id in the corpus, or None."""
    found, _ = rows_of(corpus.id_rows, [item_id])
    return found[0] if found else None


def rows_of_ids(corpus: Corpus, ids: Sequence[str]) -> list[int]:
    """Row numbers of the ids the corpus has, in the order given (unknown ids are skipped)."""
    return rows_of(corpus.id_rows, ids)[0] if ids else []


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
    """Plotly selection callback (3-D map): see :func:`open_rows`."""
    open_rows(corpus_id, model_id, ids, selected_rows(st.session_state.get(chart_key)))


def open_rows(corpus_id: str, model_id: str, ids: Sequence[str], rows: Sequence[int]) -> None:
    """A map pick: one row opens it in the side panel (FOCUS_ITEM); several become the SELECTION."""
    rows = sorted(rows_in(rows, len(ids)))
    if len(rows) == 1:
        state.set(state.FOCUS_ITEM, {"corpus_id": corpus_id, "id": ids[rows[0]]})
    elif rows:
        state.set(state.SELECTION, {"corpus_id": corpus_id, "model_id": model_id,
                                    "ids": [ids[r] for r in rows], "source": "map"})


def render_canvas(payload: bytes, *, corpus: Corpus, model_id: str, key: str, height: int = 640,
                  hover: Any = None) -> dict[str, Any] | None:
    """Draw a 2-D map with the one renderer (``components.map_canvas``): a click opens the item, a
    box/lasso selection becomes the selection; ``hover(row)`` answers hover text on demand for maps
    too large to carry it. Returns the last reported viewport."""
    pick = partial(open_rows, corpus.corpus_id, model_id, corpus.ids)
    return map_canvas(payload, key=key, height=height, on_click=lambda row: pick([row]),
                      on_select=lambda rows, _mode: pick(rows), hover_text=hover)


def render_map(figure: go.Figure, *, corpus: Corpus, model_id: str, dims: int, key: str) -> None:
    """Draw a plotly map (3-D, which the canvas does not draw); clicks and lasso/box selections
    update FOCUS_ITEM / SELECTION in 2-D."""
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
        st.caption(f"Note: {escape_markdown(note)}")


def model_name(model_id: str) -> str:
    """A model's display name (as the sidebar shows it), its id when unknown."""
    from components.sidebar import model_label

    return model_label(model_id)


def render_neighbor_panel(corpus: Corpus, model_id: str, row: int, *, clustering: Clustering | None,
                          labels: Sequence[str], k: int = 10, key: str = "map_panel") -> None:
    """The open item in full (``components.item_detail``) and its nearest neighbours in the full
    embedding space; selecting a neighbour opens it here in one click."""
    names = clustering.names if clustering is not None else {}
    item_id = corpus.ids[row]
    st.subheader("Open item")
    if clustering is not None:
        st.caption(f"Cluster: {escape_markdown(names.get(int(clustering.labels[row]), ''))}")
    item_detail.render_item(corpus.corpus_id, item_id)
    if not res.embeddings(corpus.corpus_id, model_id).valid[row]:
        st.info(f"No neighbours: {escape_markdown(model_name(model_id))} could not represent this text (no word it knows).")
        return
    rows, similarities = res.neighbors(corpus.corpus_id, model_id, row, k)
    st.markdown(f"**Nearest neighbours** ({len(rows)}; cosine similarity in the full "
                f"{escape_markdown(model_name(model_id))} space)")
    if not rows:
        st.info("No neighbours: this item has no vector in this model.")
        return
    texts, ids = corpus.texts, corpus.ids
    neighbours = pl.DataFrame({
        "similarity": [round(s, 3) for s in similarities],
        "item": [labels[r] for r in rows],
        "text": [shorten(texts[r], 200) for r in rows],
        "cluster": [names.get(int(clustering.labels[r]), "") for r in rows] if clustering is not None else [""] * len(rows),
    })
    # keyed by the open item: a new item gets a new table, so no tick from the last one stays on
    table_key = f"{key}_neighbors_{row}"
    st.dataframe(
        neighbours, hide_index=True, width="stretch", key=table_key, on_select=partial(
            _open_selected_row, table_key, corpus.corpus_id, [ids[r] for r in rows]),
        selection_mode="single-row",
        column_config={"similarity": st.column_config.NumberColumn("cos", format="%.3f", width="small",
                                                                   help="Cosine similarity to the open item"),
                       "item": st.column_config.TextColumn("item", help="The label column (sidebar)"),
                       "text": st.column_config.TextColumn("text", width="large")},
    )
    st.caption("Select a neighbour's row to open it here.")


def item_finder(corpus: Corpus, labels: Sequence[str], *, key: str = "map_find") -> None:
    """A text box that finds items by a word in their text or label and opens the chosen one
    (works in 3-D too)."""
    query = st.text_input("Find an item", key=f"{key}_query", placeholder="a word or phrase from the text",
                          help="Type part of a text (or of its label) to find it; choose a match to open it "
                          "with its neighbours.")
    if not query.strip():
        return
    needle = query.strip().lower()
    matches = (pl.DataFrame({"text": corpus.texts, "label": list(labels)}).with_row_index("_row")
               .filter(pl.col("text").str.to_lowercase().str.contains(needle, literal=True)
                       | pl.col("label").str.to_lowercase().str.contains(needle, literal=True))
               .head(50))
    if matches.height == 0:
        st.caption("No text contains that.")
        return
    found = {int(row): shorten(label, 90) for row, label in zip(matches["_row"], matches["label"])}
    st.selectbox(f"{matches.height}{'+' if matches.height == 50 else ''} matches", list(found),
                 index=None, format_func=found.__getitem__, key=f"{key}_pick",
                 help="Open one of the matching items.", placeholder="choose one to open",
                 on_change=_on_find_pick, args=(f"{key}_pick", corpus.corpus_id, corpus.ids))
    # the callback opens the item before the page (and its panel) runs again


def _on_find_pick(pick_key: str, corpus_id: str, ids: Sequence[str]) -> None:
    row = st.session_state.get(pick_key)
    if row is not None:
        state.set(state.FOCUS_ITEM, {"corpus_id": corpus_id, "id": ids[int(row)]})


def _open_selected_row(table_key: str, corpus_id: str, ids: list[str]) -> None:
    """Table selection callback: the selected row's item opens in the side panel."""
    event = st.session_state.get(table_key)
    chosen = list(event.get("selection", {}).get("rows", [])) if event else []
    if chosen:
        state.set(state.FOCUS_ITEM, {"corpus_id": corpus_id, "id": ids[chosen[0]]})


def render_selection_panel(corpus: Corpus, rows: list[int], *, clustering: Clustering | None,
                           labels: Sequence[str], key: str = "map_selection") -> None:
    """The lasso/box selection: a table (select a row to open it), CSV/Parquet export, and
    hand-offs to Axes and Bias."""
    frame = selection_frame(corpus, rows, clustering)
    st.subheader(f"Selection · {len(rows):,} items")
    shown = frame.select(pl.Series("item", [labels[r] for r in rows]), pl.all())
    st.dataframe(shown, hide_index=True, width="stretch", height=260, key=f"{key}_table",
                 selection_mode="single-row", on_select=partial(
                     _open_selected_row, f"{key}_table", corpus.corpus_id, frame["id"].to_list()),
                 column_config={"item": st.column_config.TextColumn("item", help="The label column (sidebar); "
                                                                    "select a row to open the item")})
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


_csv_bytes = to_csv_bytes  # formula cells neutralised; the Compare page exports through these too
_parquet_bytes = to_parquet_bytes


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


def render_exports(figure: go.Figure | Any, *, name: str, key: str = "map_export") -> None:
    """Download the map as standalone HTML, or render a PNG (a few seconds: it starts a browser).
    ``figure`` may be a function that builds it: then the figure is built only when asked for."""
    def built() -> go.Figure:
        return figure() if callable(figure) else figure

    html_col, png_col = st.columns(2)
    html_col.download_button(
        "Download map as HTML", data=lambda: html_export(built()), file_name=f"{name}.html", mime="text/html",
        key=f"{key}_html", on_click="ignore",
        help="A standalone interactive file (zoom, hover) that opens offline in any browser.",
    )
    if png_col.button("Render PNG", key=f"{key}_png", help="Draw the map as a 1400×900 PNG for slides and "
                      "papers (takes a few seconds). The camera icon in the map's toolbar saves the current "
                      "view instead."):
        try:
            with st.spinner("Rendering PNG…"):
                png = png_export(built())
        except RuntimeError as exc:
            png_col.warning(escape_markdown(exc))
        else:
            png_col.download_button("Download PNG", data=png, file_name=f"{name}.png", mime="image/png",
                                    key=f"{key}_png_download", on_click="ignore", help="The rendered PNG.")
