"""The metadata-filter builder: one widget for every page that filters items (Search, Map, Axes).

``filter_builder(corpus_id, key_prefix)`` draws the controls and returns an
``engine.filters.Filter`` (the one filter model; ``filter.mask(corpus)`` gives the row mask).
Each page passes its own ``key_prefix``, so two pages keep separate widget conditions; on top of
them every page applies the *session filter* (``session_filter``: one per corpus, set by the Map's
linked charts, shown as removable chips). Column names and values come from the user's file: they are
escaped in labels and shown as plain text elsewhere.
"""
from __future__ import annotations

import polars as pl
import streamlit as st

from components import resources as res
from components import state, tag_picker
from components.feedback import escape_markdown
from engine.filters import Filter, FilterError, ItemSet, MetadataFilter
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
    filter_chips(corpus_id, key=f"{key_prefix}_chips")
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
        value = merged(session_filter(corpus_id), Filter(tuple(conditions), tuple(item_sets)))
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


# -- the session filter: one per corpus, shared by Map, Search and Axes ------------------------------

def session_filter(corpus_id: str | None) -> Filter:
    """The corpus's session filter (empty when none is set). A stored value that no longer reads (an
    old or edited link) is dropped with a warning rather than breaking every page."""
    text = (state.get(state.ACTIVE_FILTER) or {}).get(corpus_id) if corpus_id else None
    if not text:
        return Filter()
    try:
        return Filter.from_json(text)
    except FilterError as exc:
        set_session_filter(corpus_id, Filter())
        st.warning(f"The saved filter was dropped: {escape_markdown(exc)}")
        return Filter()


def set_session_filter(corpus_id: str, value: Filter) -> None:
    filters = dict(state.get(state.ACTIVE_FILTER) or {})
    if value.is_empty:
        filters.pop(corpus_id, None)
    else:
        filters[corpus_id] = value.to_json()
    state.set(state.ACTIVE_FILTER, filters)


def merged(*values: Filter) -> Filter:
    """Every condition and item set of ``values`` (all must hold)."""
    return Filter(tuple(c for v in values for c in v.conditions), tuple(s for v in values for s in v.item_sets))


def without_column(value: Filter, column: str) -> Filter:
    return Filter(tuple(c for c in value.conditions if c.column != column), value.item_sets)


def filter_chips(corpus_id: str, *, key: str) -> None:
    """The session filter as removable chips (one button per condition, plus "Clear all"); nothing
    when it is empty. Labels are escaped: column names and values come from the user's file."""
    value = session_filter(corpus_id)
    if value.is_empty:
        return
    with st.container(horizontal=True, key=key, vertical_alignment="center"):
        st.caption("Filter:", width="content")
        for position, line in enumerate(value.describe()):
            st.button(escape_markdown(line), key=f"{key}_{position}", icon=":material/close:",
                      on_click=_remove_condition, args=(corpus_id, line), type="secondary",
                      help="Remove this condition (the map, the charts, Search and Axes all use this filter).")
        st.button("Clear all", key=f"{key}_clear", icon=":material/filter_alt_off:", type="tertiary",
                  on_click=_clear_filter, args=(corpus_id,), help="Remove every condition of the filter.")


def apply_session_filter(corpus_id: str, frame: pl.DataFrame, *, key: str) -> pl.DataFrame:
    """``frame`` (one row per item, with an ``id`` column) limited to the items the session filter keeps,
    with its chips and a caption above; ``frame`` itself when there is no filter."""
    out = keep_session_filter(corpus_id, frame)
    if out is frame:
        return frame
    filter_chips(corpus_id, key=key)
    st.caption(f"The filter keeps {out.height:,} of {frame.height:,} items here; ranks stay those of the whole corpus.")
    return out


def keep_session_filter(corpus_id: str, frame: pl.DataFrame) -> pl.DataFrame:
    """``frame`` limited to the items the session filter keeps, drawing nothing (``frame`` itself when
    there is no filter): for a second frame of the same items once :func:`apply_session_filter` has
    shown the chips."""
    value = session_filter(corpus_id)
    if value.is_empty:
        return frame
    corpus = res.corpus(corpus_id)
    kept_ids = corpus.frame["id"].filter(pl.Series(value.mask(corpus)))
    return frame.filter(pl.col("id").is_in(kept_ids.implode()))


def _bump_epoch() -> None:
    state.set(state.CROSSFILTER_EPOCH, int(state.get(state.CROSSFILTER_EPOCH)) + 1)


def _remove_condition(corpus_id: str, line: str) -> None:
    set_session_filter(corpus_id, session_filter(corpus_id).without(line))
    _bump_epoch()


def _clear_filter(corpus_id: str) -> None:
    set_session_filter(corpus_id, Filter())
    _bump_epoch()
