"""Open any listed item in full: its text and every metadata value, as plain text.

Every page that lists items (map neighbours, search hits, axis rankings, comparison tables)
offers this in one click. Nothing here renders user text as Markdown or HTML.
"""
from __future__ import annotations

import polars as pl
import streamlit as st

from components import resources as res
from engine.types import ID_COLUMN, TEXT_COLUMN


def item_record(corpus_id: str, item_id: str) -> dict[str, object] | None:
    """The row of ``item_id`` as a dict (id, text, metadata), or None if the corpus lacks it."""
    frame = res.corpus(corpus_id).frame.filter(pl.col(ID_COLUMN) == str(item_id))
    return frame.row(0, named=True) if frame.height else None


def render_item(corpus_id: str, item_id: str) -> None:
    """The item's text and metadata, inline (plain text only)."""
    record = item_record(corpus_id, item_id)
    if record is None:
        st.warning("That item is not in this corpus (it may have been deleted).")
        return
    st.text(str(record[TEXT_COLUMN]))
    metadata = {k: v for k, v in record.items() if k != TEXT_COLUMN}
    st.dataframe(
        pl.DataFrame({"field": list(metadata), "value": [str(v) for v in metadata.values()]}),
        hide_index=True, width="stretch",
    )


@st.dialog("Item", width="large")
def show_item_dialog(corpus_id: str, item_id: str) -> None:
    """A modal with the whole item; call it from a button's handler."""
    render_item(corpus_id, item_id)


def open_item_button(corpus_id: str, item_id: str | None, *, key: str, label: str = "Open in full") -> None:
    """A button that opens ``item_id`` in a dialog (disabled when nothing is picked)."""
    if st.button(label, key=key, disabled=item_id is None, icon=":material/open_in_full:",
                 help="Show the item's whole text and every metadata value."):
        show_item_dialog(corpus_id, str(item_id))
