"""Tags in the UI: tag items from any page, colour the map by tag, filter by tag, export with tags,
and save a filtered or tagged subset as a new corpus.

Every page tags with one call, ``tag_picker(corpus_id, ids, key=...)`` (the Map's selection, the
Search hits, an axis end via ``axis_end_picker``, a table's selected rows). Tags are stored per
corpus by ``engine.itemsets`` (in a demo visitor's own area). Tag names are user text: they reach
the browser only as widget options, dataframe cells, plotly-escaped legend entries, or escaped
Markdown.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from components import resources as res
from components import state
from components.feedback import escape_markdown, user_errors
from engine import itemsets
from engine.cluster import Clustering
from engine.export import to_csv_bytes, to_parquet_bytes
from engine.filters import Filter, ItemSet
from engine.types import Corpus

TAGS = "Tags"  # the Map's colour-by choice
UNTAGGED = "no value"  # one of the map's grey categories (components.map_figure.SPECIAL)


def _tags(corpus_id: str) -> dict[str, tuple[str, ...]]:
    return itemsets.load_tags(res.store(), corpus_id)


def notice() -> None:
    """Show (once) the outcome of the last tag or curation action, as plain text."""
    message = state.get(state.TAG_NOTICE)
    if message:
        st.success(escape_markdown(message), icon=":material/sell:")
        state.set(state.TAG_NOTICE, None)


def _apply(corpus_id: str, ids: list[str], key: str, untag: bool) -> None:
    """Button callback: tag (or untag) ``ids`` with the picked or typed tag."""
    name = st.session_state.get(f"{key}_name")
    try:
        if untag:
            left = itemsets.untag_items(res.store(), corpus_id, str(name or ""), ids)
            message = f"Removed the tag {name!r} from {len(ids):,} items; {left:,} items carry it now."
        else:
            count = itemsets.tag_items(res.store(), corpus_id, str(name or ""), ids)
            message = f"Tagged {len(ids):,} items {itemsets.check_name(name)!r}; {count:,} items carry it now."
    except itemsets.ItemSetError as exc:
        message = f"Not tagged: {exc}"
    state.set(state.TAG_NOTICE, message)


def tag_picker(corpus_id: str, ids: Sequence[str], *, key: str, what: str = "items") -> None:
    """Tag (or untag) these items: pick an existing tag or type a new name, then press the button.

    Args:
        corpus_id: The active corpus.
        ids: The item ids to tag (duplicates ignored).
        key: Unique per call site: every widget key starts with it.
        what: How the caption names these items ("search hits", "selected items"…).
    """
    ids = [str(i) for i in dict.fromkeys(ids)]
    if not ids:
        return
    tags = _tags(corpus_id)
    name_col, tag_col, untag_col = st.columns([4, 1.3, 1.3], vertical_alignment="bottom")
    name_col.selectbox(
        f"Tag these {len(ids):,} {escape_markdown(what)}", options=list(tags), index=None, accept_new_options=True,
        placeholder="pick a tag or type a new one", key=f"{key}_name",
        help="Tags are your own named sets of items, kept with this corpus: they colour the map, filter "
             "every page and export with the corpus. An item can carry several tags.")
    picked = st.session_state.get(f"{key}_name")
    tag_col.button("Tag", key=f"{key}_tag", icon=":material/sell:", disabled=not picked, width="stretch",
                   on_click=_apply, args=(corpus_id, ids, key, False), help=f"Add these {len(ids):,} items to the tag.")
    untag_col.button("Untag", key=f"{key}_untag", disabled=picked not in tags, width="stretch",
                     on_click=_apply, args=(corpus_id, ids, key, True), help="Remove the tag from these items.")
    notice()


def axis_end_picker(corpus: Corpus, scores: np.ndarray, n: int, *, key: str,
                    ends: tuple[str, str] = ("top", "bottom")) -> None:
    """Tag the ``n`` items at one end of an axis (``scores``: (n_items,) with NaN for unranked;
    ``ends``: the names of the high and the low end, e.g. the axis's pole labels)."""
    scores = np.asarray(scores, dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(scores))
    if finite.size == 0:
        return
    high = st.radio("Tag the items toward", (True, False),  # radio labels render Markdown: pole labels are typed
                    format_func=lambda h: escape_markdown(ends[0] if h else ends[1]),
                    horizontal=True, key=f"{key}_end", help="The items listed at that end of the axis (Items per end).")
    order = finite[np.lexsort((finite, -scores[finite]))]  # highest first, ties by row
    rows = order[:n] if high else order[::-1][:n]
    ids = corpus.ids
    tag_picker(corpus.corpus_id, [ids[int(r)] for r in rows], key=key,
               what=f"items toward {ends[0] if high else ends[1]}")


# -- the map ----------------------------------------------------------------------------------------
def color_options(corpus_id: str, options: list[str]) -> list[str]:
    """The Map's colour-by choices with "Tags" added (before "None") when the corpus has tags."""
    if not _tags(corpus_id) or TAGS in options:
        return options
    at = len(options) - 1 if options and options[-1] == "None" else len(options)
    return [*options[:at], TAGS, *options[at:]]


def coloring(choice: str, corpus: Corpus):  # -> components.map_figure.Coloring | None
    """Per-row tag names when the map is coloured by tags (an item with several: "a + b"), else None."""
    if choice != TAGS:
        return None
    from components.map_figure import Coloring

    per_item = itemsets.item_tags(corpus.ids, _tags(corpus.corpus_id))
    values = np.array([" + ".join(names) if names else UNTAGGED for names in per_item], dtype=object)
    return Coloring(TAGS, "categorical", values)


# -- the filter --------------------------------------------------------------------------------------
def item_set_filters(corpus_id: str, key_prefix: str) -> list[ItemSet]:
    """Filter controls for tags and curated clusters (inside ``filter_view.filter_builder``)."""
    tags = _tags(corpus_id)
    out: list[ItemSet] = []
    if tags:
        chosen = st.multiselect("Tagged", options=list(tags), key=f"{key_prefix}_tags", placeholder="any item",
                                help="Keep items carrying any of these tags (empty = do not filter by tag).")
        if chosen:
            out.append(itemsets.tag_item_set(tags, chosen))
    named = itemsets.list_named_clusterings(res.store(), corpus_id)
    if named:
        name = st.selectbox("In curated clusters of", options=[row["name"] for row in named], index=None,
                            key=f"{key_prefix}_clustering", placeholder="a named clustering",
                            help="Keep items in the chosen clusters of one of your named clusterings.")
        if name is not None:
            clustering = itemsets.load_named_clustering(res.store(), corpus_id, name)
            picked = st.multiselect("Clusters", options=clustering.clusters, format_func=clustering.label_of,
                                    key=f"{key_prefix}_clusters", placeholder="any cluster",
                                    help="Keep items in any of these clusters.")
            if picked:
                out.append(itemsets.cluster_item_set(clustering, picked, res.corpus(corpus_id).ids))
    return out


# -- the tags panel: manage, export, save a subset ---------------------------------------------------
def tags_panel(corpus_id: str, *, key: str = "tags_panel", clustering: Clustering | None = None) -> None:
    """An expander listing this corpus's tags, with delete, export of the corpus with its tags
    (and the cluster names of ``clustering``, e.g. a curated one) and "save as a corpus"."""
    tags = _tags(corpus_id)
    with st.expander(f"Tags · {len(tags)}", icon=":material/sell:"):
        if not tags:
            st.caption("No tags yet: tag a map selection, search hits, an axis end or table rows.")
        else:
            st.dataframe({"tag": list(tags), "items": [len(ids) for ids in tags.values()]}, hide_index=True,
                         key=f"{key}_table", width="stretch")
            drop_col, button_col = st.columns([3, 1], vertical_alignment="bottom")
            doomed = drop_col.selectbox("Tag to delete", list(tags), index=None, key=f"{key}_drop",
                                        help="Delete a tag (its items stay in the corpus).")
            if button_col.button("Delete tag", key=f"{key}_delete", disabled=doomed is None,
                                 help="Delete the chosen tag."):
                with user_errors(stop=False):
                    itemsets.delete_tag(res.store(), corpus_id, doomed)
                    st.rerun()
            shown = st.multiselect("Filter every page to items tagged", list(tags), key=f"{key}_filter_tags",
                                   help="Adds the tags to the session filter (shown as a chip): the map, its charts, "
                                   "Search and Axes then keep only items carrying any of these tags.")
            if st.button("Apply tag filter", key=f"{key}_filter_apply", disabled=not shown,
                         help="Keep only the items with any of the chosen tags on every page; remove the chip "
                              "to undo."):
                from components import filter_view

                tag_set = itemsets.tag_item_set(tags, shown)
                current = filter_view.session_filter(corpus_id)
                kept = tuple(s for s in current.item_sets if not (s.ref and s.ref[0] == "tag"))
                filter_view.set_session_filter(corpus_id, Filter(current.conditions, (*kept, tag_set)))
                st.rerun()
            chosen = st.multiselect("Save the items tagged", list(tags), key=f"{key}_subset_tags",
                                    help="Items carrying any of these tags become a new corpus.")
            if chosen:
                subset_saver(corpus_id, Filter(item_sets=(itemsets.tag_item_set(tags, chosen),)), key=f"{key}_subset")
        export_buttons(corpus_id, key=f"{key}_export", clustering=clustering)


def _export_frame(corpus_id: str, clustering: Clustering | None):
    names = clustering.names if clustering is not None else {}
    clusters = [names.get(int(c), str(int(c))) for c in clustering.labels] if clustering is not None else None
    return itemsets.export_frame(res.store(), res.corpus(corpus_id), clusters=clusters)


def export_buttons(corpus_id: str, *, key: str, clustering: Clustering | None = None) -> None:
    """Download the whole corpus with a ``tags`` column (and the clustering's names per row when given)."""
    csv_col, parquet_col = st.columns(2)
    csv_col.download_button(
        "Corpus with tags (CSV)", data=lambda: to_csv_bytes(_export_frame(corpus_id, clustering)),
        file_name="corpus-with-tags.csv", mime="text/csv", key=f"{key}_csv", on_click="ignore",
        help="Every item with its metadata, its tags (JSON list) and its cluster name; safe to open in a spreadsheet.")
    parquet_col.download_button(
        "Corpus with tags (Parquet)", data=lambda: to_parquet_bytes(_export_frame(corpus_id, clustering)),
        file_name="corpus-with-tags.parquet", mime="application/octet-stream", key=f"{key}_parquet",
        on_click="ignore", help="Every item with its metadata, its tags (a list column) and its cluster name.")


def subset_saver(corpus_id: str, value: Filter, *, key: str) -> None:
    """Save the items ``value`` keeps as a new corpus (embeddings reused, provenance recorded)."""
    corpus = res.corpus(corpus_id)
    with user_errors(stop=False):
        mask = itemsets.resolve_filter(res.store(), corpus, value).mask(corpus)
        kept = int(mask.sum()) if mask is not None else len(corpus)
        name_col, button_col = st.columns([3, 1.4], vertical_alignment="bottom")
        name = name_col.text_input("New corpus name", value=f"{corpus.name} (subset)"[:80], max_chars=80,
                                   key=f"{key}_name", help="The subset keeps its parent's ids, metadata, tags "
                                   "and embeddings (nothing is re-embedded); its provenance is recorded.")
        if button_col.button(f"Save {kept:,} items as a corpus", key=f"{key}_save", icon=":material/save:",
                             disabled=kept in (0, len(corpus)), help="Store these items as a new corpus."):
            from engine.subsets import save_subset

            with st.spinner("Saving the subset…"):
                subset, record = save_subset(res.store(), corpus_id, value, name=name)
            st.success(f"Saved {record['n_rows']:,} items as the corpus “{escape_markdown(subset.name)}”, with "
                       f"{len(record['embeddings_reused'])} stored embedding(s) reused. Pick it in the sidebar.")
