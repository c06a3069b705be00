"""The map's figure, built without Streamlit: arrays in, plotly figure out (tests read it as JSON).

Text reaches plotly in two contexts, escaped for each (``plotly_text``) and never twice:

* hover labels, legend entries, titles, colour-bar titles and annotations all go through
  plotly's small HTML subset (``<b>``, ``<br>``, ``<a>``…) and decode only ``&amp;``, ``&lt;``
  and ``&gt;`` (plus numeric entities): so ``&``, ``<`` and ``>`` are escaped and quotes are not
  (``&quot;`` would be shown literally, which is what users saw before);
* truncation happens before escaping, so an entity is never cut in half.

Search hits are drawn by one function, :func:`ring_trace` (the Map and the Search page's
mini-map both use it): solid red open circles, fully opaque, on top of every other trace.
"""
from __future__ import annotations

import dataclasses
import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import plotly.graph_objects as go
import polars as pl

from engine.cluster import Clustering, cluster_centres
from engine.labels import is_identifier_column, shorten
from engine.palette import NOISE_COLOR, OTHER_COLOR, PALETTE
from engine.project import Projection
from engine.project import place_labels
from engine.types import Corpus

ColorKind = Literal["categorical", "numeric"]
CLUSTER = "Cluster"
SCORE_PREFIX = "Score: "
NONE = "None"
MAX_LEGEND = len(PALETTE)  # categories past the palette share one "other" colour
MAX_LABELS = 24  # cluster labels drawn on the map (largest clusters)
HOVER_CHARS = 80
LEGEND_CHARS = 40
LABEL_FONT_PX = 11
RING_COLOR = "#d62728"
ASSUMED_PLOT_WIDTH_PX = 560  # the map column beside the sidebar at a 1,280-px window; wider only adds room
LEGEND_ROW_PX = 21  # one row of the horizontal legend under the plot (font 11)
SPECIAL = ("unclustered", "(missing)", "no value")


@dataclass(frozen=True, slots=True, eq=False)
class Coloring:
    """What the points are coloured by: one value per corpus row."""

    name: str
    kind: ColorKind
    values: np.ndarray  # (n,) object (categorical, str) or float (numeric; NaN = no value)


def plotly_text(text: object, max_chars: int | None = None) -> str:
    """Plain text made safe for plotly's HTML subset: whitespace collapsed, cut, then & < > escaped."""
    flat = shorten(str(text), max_chars) if max_chars else " ".join(str(text).split())
    return html.escape(flat, quote=False)


def hover_text(text: str, *, max_chars: int = HOVER_CHARS) -> str:
    """One line of corpus text for a hover label: truncated, then escaped (quotes stay quotes)."""
    return plotly_text(text, max_chars)


def color_options(corpus: Corpus, color_scores: dict[str, Any] | None) -> list[str]:
    """Colour-by choices: clusters, metadata columns (not identifiers), and a handed-over score.

    A column of unique integers (an article id) identifies rows: colouring by it says nothing,
    so it is never offered (it can still be the label column).
    """
    columns = [c for c in corpus.metadata_columns if not is_identifier_column(corpus.frame[c])]
    options = [CLUSTER, *columns]
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
    if choice in corpus.metadata_columns and not is_identifier_column(corpus.frame[choice]):
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


def ring_trace(dims: int, rows: np.ndarray, coords: np.ndarray, hover: list[str], *, size: float,
               name: str = "search hits") -> Any:
    """The search-hit rings: opaque red open circles, larger than the points they surround."""
    return _trace(dims, np.asarray(rows), coords, hover, name=name, marker={
        "symbol": "circle-open", "color": RING_COLOR, "opacity": 1.0, "size": size + 9,
        "line": {"color": RING_COLOR, "width": 2.5}})


def _category_traces(figure: go.Figure, dims: int, drawn: np.ndarray, coords: np.ndarray, values: np.ndarray,
                     hover, size: float) -> None:
    """One trace per category with a palette colour; categories past the palette become "other"."""
    names = values.astype(str)
    categories, counts = np.unique(names, return_counts=True)
    ordered = [categories[i] for i in np.argsort(-counts, kind="stable")]
    regular = [c for c in ordered if c not in SPECIAL]
    shown, rest = regular[:MAX_LEGEND], regular[MAX_LEGEND:]
    for index, category in enumerate(shown):
        subset = drawn[names == category]
        figure.add_trace(_trace(dims, subset, coords, hover(subset, names[names == category]),
                                name=plotly_text(category, LEGEND_CHARS),
                                marker={"color": PALETTE[index], "size": size, "opacity": 0.85}))
    if rest:
        chosen = np.isin(names, rest)
        figure.add_trace(_trace(dims, drawn[chosen], coords, hover(drawn[chosen], names[chosen]),
                                name=f"other ({len(rest)} groups)",
                                marker={"color": OTHER_COLOR, "size": size, "opacity": 0.7}))
    for category in (c for c in ordered if c in SPECIAL):
        subset = drawn[names == category]
        figure.add_trace(_trace(dims, subset, coords, hover(subset, names[names == category]), name=category,
                                marker={"color": NOISE_COLOR, "size": size, "opacity": 0.45}))


def _ranges(coords: np.ndarray, drawn: np.ndarray, dims: int) -> list[tuple[float, float]]:
    """The axis ranges the figure shows (data extent + 4 %), fixed so label boxes convert to pixels."""
    points = coords[drawn][:, :dims].astype(np.float64)
    points = points[np.isfinite(points).all(axis=1)]
    if points.size == 0:
        return [(-1.0, 1.0)] * dims
    low, high = points.min(axis=0), points.max(axis=0)
    pad = np.maximum((high - low) * 0.04, 1e-3)
    return [(float(lo - p), float(hi + p)) for lo, hi, p in zip(low, high, pad)]


def map_chart(
    projection: Projection,
    texts: Sequence[str],
    *,
    color: Coloring,
    labels: Sequence[str] | None = None,
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
        texts: Corpus texts in row order (hover shows their start, escaped).
        color: What to colour by (per corpus row).
        labels: Item labels in row order (the label column, ``engine.labels.item_labels``); when
            given, hover shows the label in bold above the text's start.
        rows: The rows to draw (``engine.project.display_rows``); default all.
        clustering: When given, cluster labels are drawn near cluster centres, never overlapping.
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
    colour_name = plotly_text(color.name, LEGEND_CHARS)

    def base(row: int) -> str:
        text = hover_text(texts[row])
        if labels is None or shorten(labels[row], HOVER_CHARS) == shorten(texts[row], HOVER_CHARS):
            return text
        return f"<b>{hover_text(labels[row])}</b><br>{text}"

    def hover(subset: np.ndarray, values: Sequence[Any] | None = None) -> list[str]:
        if values is None or color.name == NONE:
            return [base(int(r)) for r in subset]
        return [f"{base(int(r))}<br><i>{colour_name}: {plotly_text(v, LEGEND_CHARS)}</i>"
                for r, v in zip(subset, values)]

    figure = go.Figure()
    if color.kind == "numeric":
        values = np.asarray(color.values, dtype=np.float64)[drawn]
        has = np.isfinite(values)
        if (~has).any():
            figure.add_trace(_trace(dims, drawn[~has], coords, hover(drawn[~has], ["no value"] * int((~has).sum())),
                                    name="no value", marker={"color": NOISE_COLOR, "size": size, "opacity": 0.5}))
        figure.add_trace(_trace(
            dims, drawn[has], coords, hover(drawn[has], [f"{v:.3g}" for v in values[has]]),
            name=colour_name, showlegend=False,
            marker={"color": values[has], "colorscale": "Viridis", "size": size, "opacity": 0.85,
                    "colorbar": {"title": {"text": colour_name}, "thickness": 12}},
        ))
    else:
        _category_traces(figure, dims, drawn, coords, np.asarray(color.values, dtype=object)[drawn], hover, size)
    highlight = np.array([r for r in highlight if 0 <= r < projection.n and projection.projected[r]], dtype=int)
    if highlight.size:
        figure.add_trace(ring_trace(dims, highlight, coords, hover(highlight), size=size))
    if focus is not None and 0 <= focus < projection.n and projection.projected[focus]:
        marked = np.array([focus])
        figure.add_trace(_trace(dims, marked, coords, hover(marked), name="open item",
                                marker={"color": "#111111", "size": size + 10, "symbol": "x" if dims == 2 else "cross",
                                        "line": {"color": "#ffffff", "width": 1}}))
    ranges = _ranges(coords, drawn, dims)
    legend_px = _legend_px(figure)
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
        layout |= {"xaxis": {**axis, "range": list(ranges[0])}, "yaxis": {**axis, "range": list(ranges[1])},
                   "annotations": cluster_annotations(projection, clustering, ranges=ranges,
                                                      plot_height=height - 20 - legend_px)}
    else:
        axis3 = {"showticklabels": False, "title": "", "showbackground": False}
        layout["scene"] = {"xaxis": axis3, "yaxis": axis3, "zaxis": axis3,
                           "annotations": cluster_annotations(projection, clustering)}
    figure.update_layout(**layout)
    return figure


def _legend_px(figure: go.Figure) -> float:
    """Estimated height of the horizontal legend under the plot: plotly takes it from the plot area."""
    entries = [t.name or "" for t in figure.data if t.showlegend is not False]
    if len(entries) < 2:
        return 0.0
    row_width = sum(44 + 0.6 * 11 * len(name) for name in entries)  # symbol + gap + text
    rows = int(np.ceil(row_width / ASSUMED_PLOT_WIDTH_PX))
    return rows * LEGEND_ROW_PX + 10


def cluster_annotations(projection: Projection, clustering: Clustering | None, *,
                        ranges: list[tuple[float, float]] | None = None,
                        plot_height: float = 620) -> list[dict[str, Any]]:
    """Cluster labels as layout annotations (never selectable points).

    In 2-D (``ranges`` given) the boxes come from ``engine.project.placement``: no two overlap, and
    a label moved off its cluster's centre gets a thin line to it. In 3-D they sit at the centres
    (the camera decides what overlaps there).
    """
    if clustering is None or not clustering.clusters:
        return []
    centres = cluster_centres(clustering.labels, np.asarray(projection.coords))
    wanted = [(info.cluster, info.label, *map(float, centres[info.cluster][:2]))
              for info in clustering.clusters[:MAX_LABELS] if info.cluster in centres]
    style = {"font": {"size": LABEL_FONT_PX, "color": "#222"}, "bgcolor": "rgba(255,255,255,0.78)", "borderpad": 2}
    if ranges is None:
        return [{**dict(zip(("x", "y", "z"), map(float, centres[c]))), "text": f"<b>{plotly_text(text)}</b>",
                 "showarrow": False, **style} for c, text, _, _ in wanted]
    boxes = place_labels(wanted, x_range=ranges[0], y_range=ranges[1],
                         plot_px=(ASSUMED_PLOT_WIDTH_PX, plot_height), font_px=LABEL_FONT_PX)
    notes = []
    for box in boxes:
        note = {"text": f"<b>{plotly_text(box.text)}</b>", **style, "name": f"cluster {box.cluster}"}
        if box.moved:
            note |= {"x": box.anchor_x, "y": box.anchor_y, "ax": box.x, "ay": box.y, "axref": "x", "ayref": "y",
                     "showarrow": True, "arrowhead": 0, "arrowwidth": 1, "arrowcolor": "rgba(60,60,60,0.6)"}
        else:
            note |= {"x": box.x, "y": box.y, "showarrow": False}
        notes.append(note)
    return notes


# -- the canvas renderer's payload (components/map_canvas.py draws it) ---------------------------------
DENSITY_FROM = 5_000  # past this many points a density layer shades under them (all points, not only drawn ones)


def plain_hover(row: int, texts: Sequence[str], labels: Sequence[str] | None, color: Coloring) -> str:
    """A row's hover text for the canvas (plain text, drawn with fillText/textContent, so no
    escaping): the label (when it says more than the text) on the first line, the text's start,
    and the colour value."""
    text = shorten(texts[row], HOVER_CHARS)
    lines = [text]
    if labels is not None and shorten(labels[row], HOVER_CHARS) != text:
        lines = [shorten(labels[row], HOVER_CHARS), text]
    if color.name != NONE:
        value = color.values[row]
        shown = ("no value" if not np.isfinite(value) else f"{value:.3g}") if color.kind == "numeric" else str(value)
        lines.append(f"{shorten(color.name, LEGEND_CHARS)}: {shorten(shown, LEGEND_CHARS)}")
    return "\n".join(lines)


def map_payload(
    projection: Projection,
    texts: Sequence[str],
    *,
    color: Coloring,
    labels: Sequence[str] | None = None,
    rows: np.ndarray | None = None,
    clustering: Clustering | None = None,
    highlight: Sequence[int] = (),
    focus: int | None = None,
    label_levels: dict[str, Any] | None = None,
    density: dict[str, Any] | None = None,
    markers: Sequence[dict[str, Any]] = (),
) -> bytes:
    """The 2-D map as the canvas renderer's compact blob (``engine.project.payload``); the
    arguments mean what they mean for :func:`map_chart`. ``label_levels`` is the zoom label
    hierarchy (issue 16) and replaces the flat cluster labels when given; ``density`` a
    ``payload.density_grid`` (default: computed from every projected point past ``DENSITY_FROM``);
    ``markers`` points that are not items (a placed search query), ``[{"x", "y", "text"}]``."""
    from engine.project import payload

    coords = np.asarray(projection.coords)
    drawn = np.arange(projection.n) if rows is None else np.asarray(rows, dtype=np.int64)
    drawn = drawn[projection.projected[drawn]]
    forced = [r for r in highlight if 0 <= r < projection.n and projection.projected[r]]
    if focus is not None and 0 <= focus < projection.n and projection.projected[focus]:
        forced.append(focus)
    if forced:  # hits and the open item are always drawn (a mask, not setdiff1d: that sorts 100k rows)
        present = np.zeros(projection.n, dtype=bool)
        present[drawn] = True
        forced_rows = np.asarray(forced, dtype=np.int64)
        drawn = np.concatenate([drawn, np.unique(forced_rows[~present[forced_rows]])])
    values = np.asarray(color.values)[drawn]
    colour = (payload.numeric_codes(values, title=color.name) if color.kind == "numeric"
              else payload.category_codes(values))
    if color.name == NONE:  # one colour: a legend entry "all" says nothing
        colour = dataclasses.replace(colour, legend=[])
    every = np.flatnonzero(projection.projected)
    extent = payload.extent_of(coords[every, 0], coords[every, 1])
    if density is None and every.size > DENSITY_FROM:
        density = payload.density_grid(coords[every, 0], coords[every, 1], extent)
    position = np.full(projection.n, -1, dtype=np.int64)  # corpus row -> drawn position
    position[drawn] = np.arange(drawn.size)

    def drawn_at(row: int) -> int:
        return int(position[row]) if 0 <= row < projection.n else -1

    flat = []
    if clustering is not None and label_levels is None:
        centres = cluster_centres(clustering.labels, coords[:, :2])
        flat = [{"x": float(centres[info.cluster][0]), "y": float(centres[info.cluster][1]), "text": info.label}
                for info in clustering.clusters[:MAX_LABELS] if info.cluster in centres]
    hover = ([plain_hover(int(r), texts, labels, color) for r in drawn]
             if drawn.size <= payload.HOVER_INLINE else None)
    return payload.pack_map(
        x=coords[drawn, 0], y=coords[drawn, 1], rows=drawn, colour=colour, total=int(every.size), hover=hover,
        rings=[drawn_at(int(r)) for r in dict.fromkeys(highlight) if drawn_at(int(r)) >= 0],
        focus=drawn_at(int(focus)) if focus is not None and drawn_at(int(focus)) >= 0 else None,
        flat_labels=flat, labels=label_levels, density=density, extent=extent, view_key=projection.key,
        markers=markers)
