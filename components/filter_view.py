"""The metadata-filter builder: one widget for every page that filters items (Search, Map, Axes).

``filter_builder(corpus_id, key_prefix)`` draws the controls and returns an
``engine.filters.Filter`` (the one filter model; ``filter.mask(corpus)`` gives the row mask).
Each page passes its own ``key_prefix``, so two pages keep separate filters. Column names and
values come from the user's file: they are escaped in labels and shown as plain text elsewhere.
"""
from __future__ import annotations

import polars as pl
import streamlit as st

from components import resources as res
from components import state, tag_picker
from components.feedback import escape_markdown
from engine.filters import Filter, ItemSet, MetadataFilter
from engine.labels import is_identifier_column
from engine.types import Corpus

MAX_CHOICES = 50  # a column with at most this many distinct values is filtered by picking values
MIN_RANGE_VALUES = 20  # a numeric column with more distinct values than this gets a range slider
SELECTION_SET = "map selection"


def _widget_kind(series: pl.Series) -> str:
    """``range`` (numeric, many values), ``values`` (few distinct values) or ``contains`` (free text)."""
    distinct = series.drop_nulls().n_unique()
    if series.dtype.is_numeric() and not is_identifier_column(series) and distinct > MIN_RANGE_VALUES:
        return "range"
    return "values" if distinct <= MAX_CHOICES else "contains"


def column_condition(corpus: Corpus, column: str, *, key: str) -> MetadataFilter | None:
    """The control for one column; the condition it sets, or None while it keeps everything."""
    series = corpus.frame[column]
    label = escape_markdown(column)  # labels and help tooltips are Markdown
    kind = _widget_kind(series)
    if kind == "range":
        finite = series.cast(pl.Float64).drop_nulls().drop_nans()
        if finite.len() == 0:
            return None
        low, high = float(finite.min()), float(finite.max())
        if series.dtype.is_integer():
            low, high = int(low), int(high)
        chosen = st.slider(label, low, high, (low, high), key=key,
                           help=f"Keep items whose {label} lies in this range (ends included).")
        return MetadataFilter(column, low=chosen[0], high=chosen[1]) if tuple(chosen) != (low, high) else None
    if kind == "values":
        options = sorted(str(v) for v in series.drop_nulls().unique().to_list())
        picked = st.multiselect(label, options=options, key=key, placeholder="any value",
                                help=f"Keep items whose {label} is one of these (empty = any).")
        return MetadataFilter(column, values=tuple(picked)) if picked else None
    needle = st.text_input(f"{label} contains", key=key, placeholder="any text",
                           help=f"Keep items whose {label} contains this text (ignores case; plain text, no regex).")
    return MetadataFilter(column, contains=needle) if needle else None


def selection_item_set(corpus_id: str) -> ItemSet | None:
    """The Map page's current lasso selection for this corpus as an item set, if there is one."""
    selection = state.get(state.SELECTION)
    if not selection or selection.get("corpus_id") != corpus_id or not selection.get("ids"):
        return None
    return ItemSet(SELECTION_SET, tuple(str(i) for i in selection["ids"]))


def filter_builder(corpus_id: str, key_prefix: str, *, expanded: bool = False) -> Filter:
    """Draw the metadata filter for a corpus and return it (an empty Filter keeps everything).

    Args:
        corpus_id: The active corpus.
        key_prefix: Unique per page (``"search_filter"``, ``"map_filter"``…): every widget key
            starts with it.
        expanded: Open the expander at first.
    """
    from components import share

    corpus = res.corpus(corpus_id)
    columns = corpus.metadata_columns
    share.seed_filter(key_prefix)  # a link's filter becomes the widgets' values (components/share.py)
    with st.expander("Metadata filter", expanded=expanded, icon=":material/filter_alt:"):
        chosen = st.multiselect(
            "Filter by", options=columns, key=f"{key_prefix}_columns", placeholder="choose columns",
            help="Pick metadata columns, then set a condition for each; an item must meet every condition.",
            disabled=not columns)
        if not columns:
            st.caption("This corpus has no metadata columns.")
        conditions = []
        for position, column in enumerate(chosen):
            if column in corpus.frame.columns:
                condition = column_condition(corpus, column, key=f"{key_prefix}_col_{position}_{column}")
                if condition is not None:
                    conditions.append(condition)
        item_sets = []
        selection = selection_item_set(corpus_id)
        if selection is not None and st.checkbox(
                f"Only the map selection ({len(selection.ids):,} items)", key=f"{key_prefix}_selection",
                help="Keep only the items lassoed on the Map page."):
            item_sets.append(selection)
        item_sets += tag_picker.item_set_filters(corpus_id, key_prefix)  # tags and curated clusters
        value = Filter(tuple(conditions), tuple(item_sets))
        if not value.is_empty:
            keep = value.mask(corpus)
            kept = int(keep.sum()) if keep is not None else len(corpus)
            # plain text: column names and values come from the user's file
            st.text("Active filter (every line must hold):\n" + "\n".join(f"• {line}" for line in value.describe())
                    + f"\nKeeps {kept:,} of {len(corpus):,} items.")
            tag_picker.subset_saver(corpus_id, value, key=f"{key_prefix}_subset")  # save these items as a corpus
    share.remember_filter(corpus_id, value)  # the page's link carries it
    return value


def describe_filter(value: Filter) -> str:
    """One plain-text line for a caption outside the builder (escape it for Markdown)."""
    return "Filter: " + "; ".join(value.describe()) if not value.is_empty else "No filter"
