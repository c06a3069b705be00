"""Compare widgets: agreement histogram, item tables and item view, heatmaps, aligned maps with
linked selection, the translation report, and exports. Figures are pure (arrays in, figure out);
every user string goes into figures as escaped hover text and into tables as plain text."""
from __future__ import annotations

import html
from collections.abc import Sequence
from functools import partial
from typing import Any

import numpy as np
import plotly.graph_objects as go
import polars as pl
import streamlit as st

from components import state
from components.feedback import escape_markdown
from components.map_view import _csv_bytes as csv_bytes  # noqa: F401  (re-exported: one writer for every table export)
from components.map_view import _parquet_bytes as parquet_bytes  # noqa: F401  (re-exported)
from engine.project import ProjectionSpec

SELECTED_COLOR = "#d62728"
POINT_COLOR = "#7f9cc9"


# -- figures ---------------------------------------------------------------------------------------
def agreement_histogram(values: np.ndarray, *, chance: float, measure: str, pair: str, k: int) -> go.Figure:
    """Histogram of per-item agreement with the chance line and the mean marked."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    figure = go.Figure(go.Histogram(x=finite, xbins={"start": 0, "end": 1.0001, "size": 1 / (2 * k)},
                                    marker_color=POINT_COLOR, name="items",
                                    hovertemplate="%{x}: %{y} items<extra></extra>"))
    figure.add_vline(x=chance, line_dash="dash", line_color="#444",
                     annotation_text=f"chance {chance:.3f}", annotation_position="top right")
    if finite.size:
        figure.add_vline(x=float(finite.mean()), line_color=SELECTED_COLOR,
                         annotation_text=f"mean {finite.mean():.3f}", annotation_position="top left")
    figure.update_layout(title=html.escape(f"{measure}@{k} per item · {pair}"), xaxis_title=f"{measure}@{k}",
                         yaxis_title="items", height=320, margin={"l": 40, "r": 20, "t": 50, "b": 40},
                         bargap=0.05, showlegend=False)
    figure.update_xaxes(range=[-0.02, 1.02])
    return figure


def matrix_heatmap(matrix: np.ndarray, models: Sequence[str], title: str) -> go.Figure:
    """A model-by-model heatmap with the values written in the cells."""
    names = [html.escape(m) for m in models]
    text = [[("" if not np.isfinite(v) else f"{v:.3f}") for v in row] for row in np.asarray(matrix)]
    figure = go.Figure(go.Heatmap(z=matrix, x=names, y=names, zmin=min(0.0, float(np.nanmin(matrix))), zmax=1,
                                  colorscale="Blues", text=text, texttemplate="%{text}",
                                  hovertemplate="%{y} · %{x}: %{z:.3f}<extra></extra>"))
    figure.update_layout(title=html.escape(title), height=300, margin={"l": 10, "r": 10, "t": 50, "b": 10})
    figure.update_yaxes(autorange="reversed")
    return figure


def aligned_map(coords: np.ndarray, labels: Sequence[str], selected: Sequence[int], *, title: str,
                extra: dict[str, np.ndarray] | None = None) -> go.Figure:
    """One model's aligned layout; ``selected`` rows drawn on top in red (the linked selection).

    Point traces carry corpus rows in ``customdata``; hover texts are HTML-escaped labels.
    """
    coords = np.asarray(coords, dtype=float)
    placed = np.flatnonzero(np.isfinite(coords).all(axis=1))
    hover = [html.escape(labels[r]) for r in placed]
    if extra:
        for name, values in extra.items():
            hover = [f"{h}<br>{html.escape(name)}: {values[r]:.3f}" for h, r in zip(hover, placed)]
    figure = go.Figure(go.Scattergl(
        x=coords[placed, 0], y=coords[placed, 1], mode="markers", name="items", customdata=placed.tolist(),
        marker={"size": 5, "color": POINT_COLOR, "opacity": 0.7}, hovertext=hover, hoverinfo="text"))
    chosen = np.asarray([r for r in selected if 0 <= r < len(coords) and np.isfinite(coords[r]).all()], dtype=int)
    if chosen.size:
        figure.add_trace(go.Scattergl(
            x=coords[chosen, 0], y=coords[chosen, 1], mode="markers", name="selected", customdata=chosen.tolist(),
            marker={"size": 9, "color": SELECTED_COLOR, "line": {"width": 1, "color": "white"}},
            hovertext=[html.escape(labels[r]) for r in chosen], hoverinfo="text"))
    figure.update_layout(title=html.escape(title), height=420, margin={"l": 10, "r": 10, "t": 40, "b": 10},
                         showlegend=False, dragmode="select")  # box select by default; lasso in the toolbar
    figure.update_xaxes(showticklabels=False, title=None)
    figure.update_yaxes(showticklabels=False, title=None, scaleanchor="x")
    return figure


# -- callbacks --------------------------------------------------------------------------------------
def _on_table_select(table_key: str, corpus_id: str, ids: list[str]) -> None:
    event = st.session_state.get(table_key)
    chosen = list(event.get("selection", {}).get("rows", [])) if event else []
    if chosen:
        open_item(corpus_id, ids[chosen[0]])


def open_item(corpus_id: str, item_id: str) -> None:
    """Open an item in the item view (and hand it to the other pages as the focus item)."""
    payload = {"corpus_id": corpus_id, "id": str(item_id)}
    state.set(state.COMPARE_ITEM, payload)
    state.set(state.FOCUS_ITEM, payload)
    state.set(state.COMPARE_FOCUS_SEEN, payload)


def selected_in(corpus_id: str) -> list[int]:
    chosen = state.get(state.COMPARE_SELECTION)
    return list(chosen["rows"]) if chosen and chosen.get("corpus_id") == corpus_id else []


# -- widgets ------------------------------------------------------------------------------------------
def aligned_payload(coords: np.ndarray, labels: Sequence[str], selected: Sequence[int], *,
                    extra: dict[str, np.ndarray] | None = None) -> bytes:
    """One model's aligned layout for the map renderer: every placed row, the linked selection ringed
    in red; hover is the item's label (plain text) and any ``extra`` value."""
    from engine.project import payload

    coords = np.asarray(coords, dtype=float)
    placed = np.flatnonzero(np.isfinite(coords).all(axis=1))
    hover = [labels[r] for r in placed]
    for name, values in (extra or {}).items():
        hover = [f"{h}\n{name}: {values[r]:.3f}" for h, r in zip(hover, placed)]
    position = {int(r): i for i, r in enumerate(placed)}
    colour = payload.category_codes(["items"] * placed.size)
    colour = payload.ColourCodes(colour.codes, [POINT_COLOR] * len(colour.colors), [], names=["item"])
    return payload.pack_map(x=coords[placed, 0], y=coords[placed, 1], rows=placed, colour=colour, hover=hover,
                            rings=[position[r] for r in selected if r in position])


def render_map_row(alignments: dict[str, Any], labels: Sequence[str], *, corpus_id: str,
                   jaccard: dict[str, np.ndarray]) -> list[Any]:
    """The aligned maps side by side (the one map renderer); a box/lasso selection in any of them is
    ringed in all. Returns functions that build each map's plotly figure (the HTML export)."""
    from components.map_canvas import map_canvas, rows_in

    selected = selected_in(corpus_id)
    figures = []
    columns = st.columns(len(alignments))
    for column, (model, alignment) in zip(columns, alignments.items()):
        title = model if alignment.moving == alignment.reference else (
            f"{model} (aligned; disparity {alignment.disparity:.2f})")
        extra = {"Jaccard with " + alignment.reference: jaccard[model]} if model in jaccard else None
        figures.append(partial(aligned_map, alignment.coords, labels, selected, title=title, extra=extra))

        def picked(rows: list[int], _mode: str, model: str = model) -> None:
            rows = sorted(rows_in(rows, len(labels)))
            if rows:
                state.set(state.COMPARE_SELECTION, {"corpus_id": corpus_id, "rows": rows, "source": model})

        with column:
            st.caption(title)
            map_canvas(aligned_payload(alignment.coords, labels, selected, extra=extra), key=f"compare_map_{model}",
                       height=420, on_select=picked, mode="box")
    return figures


def render_item_view(frames: dict[str, pl.DataFrame], jaccard: dict[str, float], *, k: int) -> None:
    """One column per model: the item's neighbours, shared ones marked, ranks in the other models."""
    columns = st.columns(len(frames))
    for column, (model, frame) in zip(columns, frames.items()):
        with column:
            st.markdown(f"**{escape_markdown(model)}**")
            if frame.height == 0:
                st.info("This model has no vector for this item, so it has no neighbours here.")
                continue
            others = [c for c in frame.columns if c.startswith("rank in ")]
            shown = frame.with_columns(
                pl.when(pl.col("shared") > 0).then(pl.lit("✓")).otherwise(pl.lit("")).alias("shared"),
                *[pl.when(pl.col(c) > 0).then(pl.col(c)).otherwise(None).alias(c) for c in others],
            ).select(["rank", "shared", "similarity", *others, "label"])
            st.dataframe(shown, hide_index=True, width="stretch", column_config={
                "rank": st.column_config.NumberColumn("#", width="small"),
                "shared": st.column_config.TextColumn(
                    "shared", width="small", help=f"✓ = also among the other model(s)' {k} nearest neighbours"),
                "label": st.column_config.TextColumn("neighbour", width="large"),  # last: long text may run off
                "similarity": st.column_config.NumberColumn("cos", format="%.3f", width="small"),
                **{c: st.column_config.NumberColumn(c, width="small",
                                                    help="This neighbour's rank among all items in that model "
                                                    "(empty: that model cannot represent it)") for c in others},
            })
    st.caption("Jaccard@{} for this item: {}".format(
        k, "; ".join(f"{escape_markdown(p)} {v:.2f}" for p, v in jaccard.items() if np.isfinite(v)) or "n/a"))


def render_item_table(frame: pl.DataFrame, *, key: str, corpus_id: str, value_columns: Sequence[str]) -> None:
    """A table of items (label + agreement); selecting a row opens the item view."""
    st.dataframe(
        frame.select(["label", *value_columns, "id"]), hide_index=True, width="stretch", height=280, key=key,
        selection_mode="single-row", on_select=partial(_on_table_select, key, corpus_id, frame["id"].to_list()),
        column_config={"label": st.column_config.TextColumn("item", width="large"),
                       **{c: st.column_config.NumberColumn(c, format="%.3f") for c in value_columns}},
    )


def item_finder(corpus_frame: pl.DataFrame, labels: Sequence[str], *, corpus_id: str, key: str) -> None:
    """Find an item by id or by words of its text (literal match, no regex) and open it."""
    query = st.text_input("Find an item", key=f"{key}_query", placeholder="an id, or words from the text",
                          help="Type an item's id or part of its text; choose a match to open it in the item view.")
    if not query.strip():
        return
    needle = query.strip().lower()
    matches = (corpus_frame.with_row_index("_row")
               .filter((pl.col("id") == query.strip()) | pl.col("text").str.to_lowercase().str.contains(needle, literal=True))
               .head(50))
    if matches.height == 0:
        st.caption("No item has that id or text.")
        return
    options = {str(i): labels[int(r)] for i, r in zip(matches["id"], matches["_row"])}
    pick = st.selectbox(f"{matches.height}{'+' if matches.height == 50 else ''} matches", list(options), index=None,
                        format_func=options.__getitem__, key=f"{key}_pick", placeholder="choose one to open",
                        help="Open one of the matching items in the item view.")
    if pick is not None and (state.get(state.COMPARE_ITEM) or {}).get("id") != pick:
        open_item(corpus_id, pick)


# -- exports ------------------------------------------------------------------------------------------
def figures_html(figures: Sequence[Any], title: str) -> bytes:
    """Several figures (or functions that build them) in one offline HTML file (plotly.js embedded once)."""
    figures = [f() if callable(f) else f for f in figures]
    parts = [f.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, f in enumerate(figures)]
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
            + "".join(parts) + "</body></html>").encode("utf-8")


def matrices_frame(models: Sequence[str], matrices: dict[str, np.ndarray]) -> pl.DataFrame:
    """Every matrix in long form: ``matrix, model_a, model_b, value``."""
    rows = [{"matrix": name, "model_a": a, "model_b": b, "value": float(values[i, j])}
            for name, values in matrices.items() for i, a in enumerate(models) for j, b in enumerate(models)]
    return pl.DataFrame(rows)


# -- sections ------------------------------------------------------------------------------------------
def pair_table(pairs: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """One row per model pair with its figures, chance values and sample sizes."""
    keep = ["pair", "mean_jaccard", "median_jaccard", "chance_jaccard", "mean_rbo", "chance_rbo", "mean_overlap",
            "cka", "cka_n", "similarity_spearman", "similarity_pairs", "n_shared", "n_excluded"]
    return pl.DataFrame([{c: p.get(c) for c in keep} for p in pairs])


def query_table(agreement: Sequence[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame([{"pair": a["pair"], "agreement": a["agreement"], "queries": a["n_queries"], "k": a["k"]}
                         for a in agreement])


def pair_values(result: Any, measure: str, model_a: str, model_b: str) -> np.ndarray:
    """Per-item values of a measure for two models, whichever order the comparison stored them in."""
    values = result.measures[measure]
    return values.get(f"{model_a} vs {model_b}", values.get(f"{model_b} vs {model_a}"))


@st.fragment
def render_aligned_maps(corpus_id: str, models: tuple[str, ...], labels: Sequence[str], result: Any) -> None:
    """Aligned maps with linked selection and the "who moved most" table (reruns on its own)."""
    from components import resources as res

    method_col, reference_col = st.columns(2)
    st.session_state.setdefault("compare_map_method", "umap")
    method = method_col.segmented_control(
        "Layout", ["umap", "pca"], key="compare_map_method",
        format_func={"umap": "UMAP", "pca": "PCA"}.__getitem__,
        help="Which stored layout of each model to align (the Map page's default parameters).") or "umap"
    reference = reference_col.selectbox("Align onto", models, key="compare_reference",
                                        help="The other maps are rotated, reflected and scaled onto this one.")
    ordered = (reference, *[m for m in models if m != reference])
    spec = ProjectionSpec(method=method)
    missing = [m for m in ordered if res.stored_projection(corpus_id, m, spec) is None]
    if missing:
        st.info(f"{len(missing)} of these layouts are not computed yet ({escape_markdown(', '.join(missing))}).")
        if not st.button(f"Compute {len(missing)} {method.upper()} layout(s)", key="compare_compute_layouts",
                         help="Computed once and stored; the Map page then opens them instantly too."):
            return
        for model in missing:
            with st.spinner(f"Computing the {method.upper()} layout of {escape_markdown(model)} (once; then stored)…"):
                res.projection(corpus_id, model, spec)
    alignments = res.compare_alignment(corpus_id, ordered, spec)
    jaccard = {m: pair_values(result, "jaccard", reference, m) for m in ordered if m != reference}
    figures = render_map_row(alignments, labels, corpus_id=corpus_id, jaccard=jaccard)
    selected = selected_in(corpus_id)
    chosen = state.get(state.COMPARE_SELECTION)
    if selected:
        info_col, clear_col = st.columns([4, 1])
        info_col.caption(f"{len(selected):,} items selected in {escape_markdown(chosen['source'])}, highlighted in "
                         "every map.")
        if clear_col.button("Clear selection", key="compare_clear_selection", help="Forget the map selection."):
            state.set(state.COMPARE_SELECTION, None)
            st.rerun(scope="fragment")
    else:
        st.caption("Drag a box (or a lasso, from the map's buttons) in any map: the same items are ringed in the "
                   "others.")
    for model in ordered[1:]:
        moved = pl.DataFrame({"row": np.arange(len(labels)), "label": list(labels),
                              "displacement": alignments[model].displacement, f"jaccard@{result.k}": jaccard[model]})
        moved = moved.with_columns(pl.col(pl.Float64).fill_nan(None)).filter(pl.col("displacement").is_not_null())
        if selected:
            moved = moved.filter(pl.col("row").is_in(selected))
        st.markdown(f"**Who moved most** · {escape_markdown(model)} against {escape_markdown(reference)}"
                    + (" (selected items)" if selected else ""))
        st.dataframe(moved.sort(["displacement", "row"], descending=[True, False]).head(25).drop("row"),
                     hide_index=True, width="stretch", height=260, column_config={
                         "label": st.column_config.TextColumn("item", width="large"),
                         "displacement": st.column_config.NumberColumn(
                             "displacement", format="%.2f", help="Distance from its place in the reference map after "
                             "alignment, in units of that map's RMS radius"),
                         f"jaccard@{result.k}": st.column_config.NumberColumn(format="%.2f")})
    st.download_button("Aligned maps (HTML)", data=partial(figures_html, figures, "Aligned maps"),
                       file_name="compare-maps.html", mime="text/html", key="compare_maps_html",
                       help="The aligned maps as an interactive page that works offline.")


def render_translation(report: dict[str, Any]) -> None:
    """The translation figures against chance and the shuffled-anchor baseline, and the verdict."""
    shuffled = report["shuffled"]
    cols = st.columns(3)
    cols[0].metric("Mean cosine after mapping", f"{report['mean_cosine']:.3f}",
                   delta=f"{report['mean_cosine'] - shuffled['mean_cosine']:+.3f} vs shuffled", delta_color="off",
                   help="Cosine between each held-out item's mapped vector and its true vector.")
    cols[1].metric("Top-1 accuracy", f"{report['top1']:.1%}",
                   delta=f"shuffled {shuffled['top1']:.1%} · chance {report['chance_top1']:.2%}", delta_color="off",
                   help="How often the mapped vector's nearest held-out target is the item itself.")
    cols[2].metric("Top-10 accuracy", f"{report['top10']:.1%}",
                   delta=f"shuffled {shuffled['top10']:.1%} · chance {report['chance_top10']:.2%}", delta_color="off",
                   help="How often the item is among the mapped vector's 10 nearest held-out targets.")
    (st.success if report["translates"] else st.warning)(escape_markdown(report["verdict"]))
    st.caption(f"{report['method']} fitted on {report['n_anchors']:,} anchor items, tested on {report['n_heldout']:,} "
               f"held-out items (seed {report['seed']}). \"Translates\" means top-10 accuracy at least "
               f"{report['margin'] * 100:.0f} percentage points above the same fit on shuffled anchors.")
