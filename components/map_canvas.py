"""The ONE map renderer: a Canvas 2D scatter mounted with ``st.components.v2`` (no iframe, no build).

Why not plotly (measured in bench/map_render.py, decision in docs/architecture.md): plotly reports
no zoom and no hover to Python, ships every hover string up front, and its 200k-point figure is
several times the payload. This component reads one compact binary blob
(``engine.project.payload.pack_map``) and draws it on a canvas, so it works without a GPU.

Events back to Python (each reruns the enclosing ``st.fragment`` only):

* ``on_click(row)``: a point was clicked (``row`` = corpus row);
* ``on_select(rows, mode)``: a box or lasso selection ("box" | "lasso"), corpus rows;
* hover text is included in the blob for small maps; past ``HOVER_INLINE`` points the browser
  asks for the hovered row's text (``hover_text(row)`` answers it, drawn as plain text);
* the viewport ``{x0, x1, y0, y1, zoom}`` comes with every click and selection, and as a state
  value after each zoom/pan when ``report_view=True`` (that one costs a fragment rerun).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import streamlit as st

from engine.project import with_header

_HERE = Path(__file__).with_name("map_canvas")
_MOUNT = st.components.v2.component(
    "embedscape_map_canvas",
    css=(_HERE / "map_canvas.css").read_text(encoding="utf-8"),
    js=(_HERE / "map_canvas.js").read_text(encoding="utf-8"),
)


def _event(key: str, name: str) -> Any:
    value = st.session_state.get(key)
    if value is None:
        return None
    return value.get(name) if hasattr(value, "get") else getattr(value, name, None)


def map_canvas(
    payload: bytes,
    *,
    key: str,
    height: int = 640,
    on_click: Callable[[int], None] | None = None,
    on_select: Callable[[list[int], str], None] | None = None,
    hover_text: Callable[[int], str] | None = None,
    report_view: bool = False,
    mode: str = "pan",
) -> dict[str, Any] | None:
    """Mount the map; returns the last reported viewport (``{x0, x1, y0, y1, zoom}``) or None.

    Args:
        payload: ``engine.project.payload.pack_map`` output.
        key: widget key (one per map on a page).
        height: in CSS px (the width follows the column).
        on_click: called with the clicked point's corpus row.
        on_select: called with the selected corpus rows and "box" | "lasso".
        hover_text: the hover text of a corpus row, for maps too large to carry it inline.
        report_view: also rerun (the fragment) after each zoom/pan to report the viewport.
        mode: the initial drag mode: "pan", "box" or "lasso".
    """
    reply_key = f"_{key}_hover_reply"

    def clicked() -> None:
        event = _event(key, "click")
        if event and on_click is not None:
            st.session_state[f"_{key}_view"] = event.get("view")
            on_click(int(event["row"]))

    def selected() -> None:
        event = _event(key, "select")
        if event and on_select is not None:
            st.session_state[f"_{key}_view"] = event.get("view")
            on_select([int(r) for r in event.get("rows", [])], str(event.get("mode", "box")))

    def hovered() -> None:
        event = _event(key, "hover")
        if event and hover_text is not None:
            row = int(event["row"])
            st.session_state[reply_key] = {"row": row, "text": hover_text(row)}

    def viewed() -> None:
        st.session_state[f"_{key}_view"] = _event(key, "view")

    extra: dict[str, Any] = {"options": {"height": height, "hover_on_demand": hover_text is not None,
                                         "report_view": report_view, "mode": mode,
                                         "click": on_click is not None, "select": on_select is not None}}
    if st.session_state.get(reply_key):
        extra["hover_reply"] = st.session_state.pop(reply_key)
    _MOUNT(data=with_header(payload, extra), key=key, height="content",
           on_click_change=clicked, on_select_change=selected, on_hover_change=hovered, on_view_change=viewed)
    return st.session_state.get(f"_{key}_view")


def rows_in(event_rows: Sequence[int], n: int) -> list[int]:
    """Rows a browser sent that are valid corpus rows, first occurrence order (never trust the client)."""
    return [r for r in dict.fromkeys(int(r) for r in event_rows) if 0 <= r < n]
