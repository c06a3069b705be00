"""Search the corpus: by meaning, by keyword or regex, both fused, or by vector arithmetic, in every chosen model."""
from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from components import filter_view, search_view, share, sidebar, state, tag_picker
from components import resources as res
from components.feedback import escape_markdown, user_errors
from components.item_picker import item_picker
from engine.errors import SearchError
from engine.models import resolve_model
from engine.compare import overlap_at_k
from engine.search import mark_unique

st.set_page_config(page_title="Search · Embedscape", page_icon="🔎", layout="wide")
corpus_id, model_ids = sidebar.sidebar_context()
corpus_id, model_ids = sidebar.require_embedded(corpus_id, model_ids)
MAP_PAGE = Path(__file__).parent / "1_Map.py"

st.title("Search")
st.caption("Check what the space *means*: a query, its nearest items in each model, and where they sit on the map.")


@st.fragment
def search_body(corpus_id: str, model_ids: tuple[str, ...]) -> None:
    """Everything below the title: a search, a mode change, a table click reruns only this (issue 15 §1);
    the sidebar and the page frame rerun only when they change. Searches are cached (res.search)."""
    corpus = res.corpus(corpus_id)
    label_column = state.label_column(corpus_id)
    labels = res.item_labels(corpus_id, label_column) if label_column else None
    if state.get(state.SEARCH_MODE) not in search_view.MODES:
        state.set(state.SEARCH_MODE, "semantic")
    mode = st.radio("Mode", options=list(search_view.MODES), format_func=search_view.MODES.__getitem__, horizontal=True,
                    help=search_view.MODE_HELP, **state.bind(state.SEARCH_MODE))
    if mode == "similar":
        query = item_picker(corpus_id, key="search_item", label_column=label_column, state_key=state.SEARCH_ITEM,
                            label="Items like", help_text="Pick the item to start from (type to search by label or "
                                                          "text). Its nearest items in each model are listed; it is left out.")
    else:
        query = st.text_input("Query", placeholder=search_view.PLACEHOLDERS[mode], help="Press Enter to search. "
                              "Each mode keeps its own query.", **state.bind_entry(state.SEARCH_QUERIES, mode))
    options = search_view.mode_options(mode, corpus, model_ids)
    search_filter = filter_view.filter_builder(corpus_id, "search_filter")

    compare = len(model_ids) > 1 and mode != "keyword"
    if not query or not str(query).strip():
        st.info(("Pick an item." if mode == "similar" else "Type a query and press Enter.")
                + (" Each chosen model is searched side by side." if compare else ""))
        st.stop()

    with user_errors():
        search_filter.mask(corpus)  # a filter that cannot apply shows its error here, before any search
        if options.get("target") == "vocabulary":
            search_view.render_vocabulary_hits([m for m in model_ids if resolve_model(m).kind == "word"], query,
                                               k=options["k"], exclude_inputs=bool(options["exclude_inputs"]))
            st.stop()
        arguments = json.dumps({name: value for name, value in options.items() if name != "target"}, sort_keys=True)
        filter_json = search_filter.to_json()
        if mode == "keyword":
            results = {"keyword": res.search(corpus_id, None, "keyword", query, arguments, filter_json)}
        else:
            results, failures = {}, {}
            for model_id in model_ids:
                try:
                    results[model_id] = res.search(corpus_id, model_id, mode, query, arguments, filter_json)
                except SearchError as exc:  # one model may not know a word: show it once, keep the others
                    failures[model_id] = str(exc)
            search_view.render_failures(failures, searched=len(model_ids))
        if not results:
            st.stop()
        if len(results) > 1:
            results = mark_unique(results)

        first = next(iter(results.values()))
        state.set(state.SEARCH_HITS, search_view.search_hits_payload(first))
        bar = st.columns([2, 2, 3])
        if MAP_PAGE.exists() and bar[0].button("Show on map", key="search_show_on_map", type="primary",
                                               help=f"Highlight these {first.hits.height} hits on the Map page "
                                                    f"({escape_markdown(first.model_id or 'keyword')} results)."):
            st.switch_page("pages/1_Map.py")
        bar[1].caption(f"{first.hits.height} hits ready for the map ({escape_markdown(first.model_id or 'keyword search')}).")
        with bar[2]:
            search_view.render_export(results, key="search_export")

        if len(results) > 1:
            st.subheader(f"Across {len(results)} models")
            search_view.render_overlap(overlap_at_k(results), options["k"])
            st.caption("“only <model>” marks a hit no other chosen model returned.")
            for column_ui, (name, result) in zip(st.columns(len(results)), results.items()):
                with column_ui:
                    st.markdown(f"**{escape_markdown(resolve_model(name).display_name)}**")  # a typed model name
                    search_view.render_notes(result)
                    search_view.render_hits_table(result, key=f"search_table_{name}", corpus_id=corpus_id,
                                                  label_column=label_column)
                    search_view.render_highlighted_hits(result, limit=5, labels=labels)
        else:
            title = f"{first.hits.height} hits" + (
                f" · {escape_markdown(resolve_model(first.model_id).display_name)}" if first.model_id else "")
            st.subheader(title)
            search_view.render_notes(first)
            search_view.render_hits_table(first, key="search_table", corpus_id=corpus_id, label_column=label_column)
            search_view.render_highlighted_hits(first, limit=options["k"], labels=labels)
        st.caption("Select a row to open the item in full.")
        search_view.open_clicked_hit()
        tag_picker.tag_picker(corpus_id, first.ids, key="search_tags", what="search hits")

        if first.model_id is not None and MAP_PAGE.exists():
            hits_map = st.expander("Hits on the map", expanded=False, key="search_map_open", on_change="rerun")
            if hits_map.open:  # drawn only when opened: the figure is most of a rerun otherwise
                with hits_map:
                    search_view.render_hits_map(corpus, first, key="search_map")
        search_view.render_open_hit(corpus_id, results, label_column=label_column)
        # inside the body fragment: a control reruns only this part, and the link must follow it
        share.link_box()  # "Share this view": the link that reopens this page as it is (components/share.py)


search_body(corpus_id, model_ids)
