"""Pick one corpus item by its label and the start of its text (a searchable selectbox).

Streamlit's selectbox filters its options as the user types. Up to ``ALL_ITEMS_LIMIT`` items
are offered directly; a larger corpus first asks for a word the item contains (literal,
case-insensitive) and offers the first ``MATCH_LIMIT`` matches, so the browser never receives a
million options.
"""
from __future__ import annotations

import polars as pl
import streamlit as st

from components import resources as res
from components import state
from engine.labels import shorten
from engine.types import ID_COLUMN, TEXT_COLUMN

ALL_ITEMS_LIMIT = 5_000
MATCH_LIMIT = 500


def item_option_labels(corpus_id: str, label_column: str | None, rows: list[int]) -> dict[str, str]:
    """item id -> "label · start of the text" (plain text) for the given corpus rows."""
    corpus = res.corpus(corpus_id)
    labels = res.item_labels(corpus_id, label_column, 60)
    ids, texts = corpus.frame[ID_COLUMN], corpus.frame[TEXT_COLUMN]
    out = {}
    for row in rows:
        label = labels[row]
        start = shorten(texts[row], 70)
        out[str(ids[row])] = label if not label_column or label == shorten(texts[row], 60) else f"{label} · {start}"
    return out


def item_picker(corpus_id: str, *, key: str, label_column: str | None, state_key: str,
                label: str = "Item", help_text: str = "Type to search the items by label or text.") -> str | None:
    """A selectbox of items showing the label column and the start of the text; the chosen id or None.

    Args:
        corpus_id: The active corpus.
        key: Widget key prefix (unique on the page).
        label_column: The corpus's label column (``state.label_column``), or None.
        state_key: The ``components.state`` key holding the choice as ``dict(corpus_id, id)``
            (durable across pages; other code may set it, e.g. "More like this" on a hit).
        label: The widget label.
        help_text: The widget help.
    """
    corpus = res.corpus(corpus_id)
    chosen = state.get(state_key)
    # the choice belongs to one corpus: ids such as "12" exist in many corpora
    current = chosen.get("id") if isinstance(chosen, dict) and chosen.get("corpus_id") == corpus_id else None
    n = len(corpus)
    if n <= ALL_ITEMS_LIMIT:
        rows = list(range(n))
    else:
        needle = st.text_input(f"Find the {label.lower()}", key=f"{key}_find", placeholder="a word from its label or text",
                               help=f"The corpus has {n:,} items: type a word first (plain text, ignores case); "
                                    f"the first {MATCH_LIMIT} matches are offered below.")
        found = corpus.frame.with_row_index("_row")
        if needle.strip():
            needle_lower = needle.strip().lower()
            columns = [TEXT_COLUMN] + ([label_column] if label_column in corpus.frame.columns else [])
            found = found.filter(pl.any_horizontal(
                [pl.col(c).cast(pl.String).str.to_lowercase().str.contains(needle_lower, literal=True).fill_null(False)
                 for c in columns]))
        rows = found["_row"].head(MATCH_LIMIT).to_list()
    options = item_option_labels(corpus_id, label_column, rows)
    if current is not None and str(current) not in options:
        row = corpus.frame.with_row_index("_row").filter(pl.col(ID_COLUMN) == str(current))["_row"]
        if row.len():
            options = item_option_labels(corpus_id, label_column, [int(row[0])]) | options
    # the state key is the truth: copied into the widget before it is drawn, back in its callback
    st.session_state[f"{key}_pick"] = str(current) if current is not None and str(current) in options else None
    return st.selectbox(label, options=list(options), key=f"{key}_pick", placeholder="type to search the items",
                        format_func=lambda i: f"[{i}] {options.get(i, '')}", help=help_text,
                        on_change=_keep_pick, args=(f"{key}_pick", state_key, corpus_id))


def _keep_pick(widget_key: str, state_key: str, corpus_id: str) -> None:
    picked = st.session_state.get(widget_key)
    state.set(state_key, None if picked is None else {"corpus_id": corpus_id, "id": str(picked)})
