"""Curate the Map's clusters: keep them under a name, then rename, merge, split and move.

Two calls from the Map page: ``shown_clustering`` (a hook: the curated clustering the user chose
instead of the computed one, so the legend, labels, tables and exports show curated names) and
``curation_panel`` (the panel). The clusterings are stored by ``engine.itemsets`` and edited by
``engine.curation``; names are user text, shown as widget options, dataframe cells, or escaped.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import polars as pl
import streamlit as st

from components import resources as res
from components import state, tag_picker
from components.feedback import escape_markdown, user_errors
from engine import curation, itemsets
from engine.cluster import NOISE, Clustering
from engine.labels import shorten
from engine.types import Corpus

NEW_CLUSTER = -2  # the "move to a new cluster" choice
MAX_TABLE_ROWS = 2_000


def _shown_name(corpus_id: str) -> str | None:
    return (state.get(state.MAP_CURATED) or {}).get(corpus_id)


def _set_shown(corpus_id: str, name: str | None) -> None:
    state.set(state.MAP_CURATED, {**(state.get(state.MAP_CURATED) or {}), corpus_id: name})


def shown_clustering(corpus_id: str, model_id: str, computed: Clustering) -> Clustering:
    """The clustering the Map shows: the named one chosen in the curation panel, if it belongs to
    this model and corpus version, else ``computed``."""
    name = _shown_name(corpus_id)
    if not name:
        return computed
    try:
        curated = res.curated_clustering(corpus_id, name)
    except itemsets.ItemSetError:  # deleted in another tab: fall back quietly
        _set_shown(corpus_id, None)
        return computed
    if curated.model_id != model_id or curated.labels.size != computed.labels.size:
        return computed
    return curated


def _on_pick(corpus_id: str, key: str) -> None:
    _set_shown(corpus_id, st.session_state.get(key))


def _update(corpus_id: str, name: str, change: Callable[[itemsets.NamedClustering], itemsets.NamedClustering],
            message: str) -> None:
    with user_errors(stop=False):
        itemsets.update_named_clustering(res.store(), corpus_id, name, change)
        state.set(state.TAG_NOTICE, message)
        st.rerun()


def curation_panel(corpus: Corpus, model_id: str, shown: Clustering, *, selected_ids: Sequence[str] | None = None,
                   key: str = "curate") -> None:
    """The "Curate clusters" expander: choose what the map shows, save the computed clusters under
    a name, then rename, merge, split, move (``selected_ids``, default the Map's lasso selection, or
    table rows) and see the history."""
    corpus_id = corpus.corpus_id
    if selected_ids is None:
        selection = state.get(state.SELECTION) or {}
        selected_ids = selection.get("ids", ()) if selection.get("corpus_id") == corpus_id else ()
    named = [row for row in itemsets.list_named_clusterings(res.store(), corpus_id) if row["model_id"] == model_id]
    with st.expander(f"Curate clusters · {len(named)} named", icon=":material/edit:"):
        options: list[str | None] = [None, *(row["name"] for row in named)]
        current = _shown_name(corpus_id) if _shown_name(corpus_id) in options else None
        st.session_state[f"{key}_shown"] = current
        st.selectbox("Clusters shown", options, key=f"{key}_shown", on_change=_on_pick, args=(corpus_id, f"{key}_shown"),
                     format_func=lambda n: "computed (the Clustering settings above)" if n is None else n,
                     help="The computed clusters, or one of your named clusterings (this model). The map's "
                          "legend, labels, cluster table and exports show the chosen one's names.")
        tag_picker.notice()
        if shown.method != "curated":
            _save_form(shown, key=key)
            return
        _curate(corpus, model_id, shown, selected_ids=selected_ids, key=key)


def _save_form(clustering: Clustering, *, key: str, label: str = "Save as a named clustering") -> None:
    name_col, button_col = st.columns([3, 1.6], vertical_alignment="bottom")
    name = name_col.text_input("Name", max_chars=itemsets.MAX_NAME_CHARS, key=f"{key}_save_name",
                               placeholder="e.g. topics, reviewed",
                               help="Keep these clusters under a name to rename, merge, split and move them; "
                                    "the name and every step are stored with the corpus.")
    if button_col.button(label, key=f"{key}_save", disabled=not name.strip(), icon=":material/bookmark_add:",
                         help="Store these clusters (with where they came from) under this name."):
        with user_errors(stop=False):
            stored = itemsets.save_named_clustering(res.store(), curation.from_clustering(clustering, name),
                                                    overwrite=False)
            _set_shown(clustering.corpus_id, stored.name)
            state.set(state.TAG_NOTICE, f"Saved {len(clustering.clusters)} clusters as {stored.name!r}.")
            st.rerun()


def _curate(corpus: Corpus, model_id: str, shown: Clustering, *, selected_ids: Sequence[str], key: str) -> None:
    corpus_id, name = corpus.corpus_id, str(shown.params["name"])
    names = shown.names
    sizes = {info.cluster: info.size for info in shown.clusters}
    clusters = [info.cluster for info in shown.clusters]

    def label(cluster: int) -> str:
        return f"{shorten(names.get(cluster, str(cluster)), 60)} ({sizes.get(cluster, 0):,})"

    source = shown.params.get("source", {})
    st.caption(f"Started from {escape_markdown(source.get('method', '?'))} on {escape_markdown(source.get('space', '?'))}"
               f" · {len(shown.params.get('steps', ())):,} curation steps · {len(clusters)} clusters")
    rename_tab, merge_tab, split_tab, move_tab, history_tab = st.tabs(["Rename", "Merge", "Split", "Move", "History"])
    with rename_tab:
        cluster = st.selectbox("Cluster", clusters, format_func=label, key=f"{key}_rename_cluster",
                               help="The cluster to rename.")
        new = st.text_input("New name", max_chars=itemsets.MAX_NAME_CHARS, key=f"{key}_rename_name",
                            help="What the legend, the map labels, tables and exports will call it.")
        if st.button("Rename", key=f"{key}_rename", disabled=not new.strip(), help="Rename the cluster."):
            _update(corpus_id, name, lambda n: curation.rename_cluster(n, cluster, new),
                    f"Renamed {names.get(cluster)!r} to {new.strip()!r}.")
    with merge_tab:
        keep_col, absorb_col = st.columns(2)
        keep = keep_col.selectbox("Keep", clusters, format_func=label, key=f"{key}_merge_keep",
                                  help="This cluster keeps its name (unless you type a new one) and gains the other's items.")
        absorb = absorb_col.selectbox("Merge into it", [c for c in clusters if c != keep], format_func=label,
                                      key=f"{key}_merge_absorb", help="This cluster's items join the first; it disappears.")
        merged_name = st.text_input("Name of the merged cluster (optional)", max_chars=itemsets.MAX_NAME_CHARS,
                                    key=f"{key}_merge_name", help="Leave empty to keep the first cluster's name.")
        if st.button("Merge", key=f"{key}_merge", disabled=absorb is None, help="Merge the two clusters."):
            _update(corpus_id, name, lambda n: curation.merge_clusters(n, keep, absorb, name=merged_name.strip() or None),
                    f"Merged {names.get(absorb)!r} into {names.get(keep)!r}.")
    with split_tab:
        part_col, count_col = st.columns([3, 1])
        target = part_col.selectbox("Cluster", clusters, format_func=label, key=f"{key}_split_cluster",
                                    help="The cluster to split.")
        parts = count_col.number_input("Parts", 2, curation.MAX_SPLIT_PARTS, 2, key=f"{key}_split_parts",
                                       help="k-means on the cluster's full vectors finds this many parts.")
        if st.button("Split", key=f"{key}_split", help="Re-cluster this cluster's items into parts, each named "
                     "by its distinctive words."):
            with st.spinner("Splitting…"):
                embeddings, texts = res.embeddings(corpus_id, model_id), corpus.texts
                _update(corpus_id, name, lambda n: curation.split_cluster(n, target, embeddings, texts, parts=int(parts)),
                        f"Split {names.get(target)!r} into {int(parts)} clusters.")
    with move_tab:
        _move(corpus, shown, name, clusters, label, selected_ids=selected_ids, key=key)
    with history_tab:
        _history(corpus_id, shown, key=key)


def _move(corpus: Corpus, shown: Clustering, name: str, clusters: list[int], label: Callable[[int], str], *,
          selected_ids: Sequence[str], key: str) -> None:
    """Move the map selection, or rows picked in a cluster's table, to another (or a new) cluster."""
    source = st.selectbox("Items of", clusters, format_func=label, key=f"{key}_move_from",
                          help="Pick rows of this cluster in the table below (or use the map's lasso selection).")
    members = np.flatnonzero(shown.labels == source).tolist() if source is not None else []
    if len(members) > MAX_TABLE_ROWS:  # the table is sent to the browser: past this, use the lasso
        st.caption(f"The table lists the first {MAX_TABLE_ROWS:,} of {len(members):,} items; lasso on the map for others.")
        members = members[:MAX_TABLE_ROWS]
    ids, texts = corpus.ids, corpus.texts  # each property call converts the whole column
    table = pl.DataFrame({"id": [ids[r] for r in members],
                          "text": [shorten(texts[r], 160) for r in members]})
    event = st.dataframe(table, hide_index=True, width="stretch", height=220, key=f"{key}_move_table",
                         on_select="rerun", selection_mode="multi-row")
    picked_rows = [members[i] for i in event.selection.rows] if event is not None else []
    lookup = {item: row for row, item in enumerate(corpus.ids)}
    selection_rows = [lookup[i] for i in selected_ids if i in lookup]
    use_selection = bool(selection_rows) and not picked_rows
    rows = selection_rows if use_selection else picked_rows
    st.caption(f"{len(rows):,} items to move: " + ("the map selection" if use_selection else "the table rows you picked")
               if rows else "Pick rows in the table, or lasso items on the map.")
    targets = [*clusters, NOISE, NEW_CLUSTER]
    target_col, new_col = st.columns(2)
    target = target_col.selectbox(
        "Move to", targets, key=f"{key}_move_to",
        format_func=lambda c: "a new cluster" if c == NEW_CLUSTER else ("unclustered" if c == NOISE else label(c)),
        help="The cluster these items join.")
    new_name = new_col.text_input("New cluster's name", max_chars=itemsets.MAX_NAME_CHARS, key=f"{key}_move_name",
                                  disabled=target != NEW_CLUSTER, help="Only for a new cluster.")
    ready = bool(rows) and (target != NEW_CLUSTER or bool(new_name.strip()))
    if st.button(f"Move {len(rows):,} items", key=f"{key}_move", disabled=not ready, help="Move the items."):
        _update(corpus.corpus_id, name, lambda n: curation.move_items(
            n, rows, target, new_name=new_name.strip() if target == NEW_CLUSTER else None),
            f"Moved {len(rows):,} items.")
    if picked_rows:  # the "tag from a table" entry point
        tag_picker.tag_picker(corpus.corpus_id, [ids[r] for r in picked_rows], key=f"{key}_table_tags",
                              what="table rows")


def _history(corpus_id: str, shown: Clustering, *, key: str) -> None:
    steps = shown.params.get("steps", [])
    details = [", ".join(f"{k}={v}" for k, v in step.items() if k not in ("op", "at")) for step in steps]
    st.dataframe(pl.DataFrame({"step": [s.get("op", "") for s in steps], "details": details,
                               "at": [s.get("at", "") for s in steps]}, schema={"step": pl.String, "details": pl.String,
                                                                                "at": pl.String}),
                 hide_index=True, width="stretch", key=f"{key}_history")
    st.caption("Source clustering (provenance):")
    st.json(shown.params.get("source", {}), expanded=False)
    _save_form(shown, key=f"{key}_copy", label="Save a copy")
    if st.button("Delete this named clustering", key=f"{key}_delete", icon=":material/delete:",
                 help="Delete it; the map shows the computed clusters again."):
        with user_errors(stop=False):
            itemsets.delete_named_clustering(res.store(), corpus_id, str(shown.params["name"]))
            _set_shown(corpus_id, None)
            st.rerun()
