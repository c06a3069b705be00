"""Search the corpus: by meaning, by keyword or regex, both fused, or by vector arithmetic, in every chosen model."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from components import resources as res
from components import search_view, sidebar, state
from components.feedback import escape_markdown, user_errors
from engine.errors import SearchError
from engine.models import resolve_model
from engine.search import MetadataFilter, filter_mask, mark_unique, overlap_at_k, run_search, vocabulary_search

st.set_page_config(page_title="Search · Embedscape", page_icon="🔎", layout="wide")
corpus_id, model_ids = sidebar.sidebar_context()
corpus_id, model_ids = sidebar.require_embedded(corpus_id, model_ids)

MODES = {
    "semantic": "Semantic",
    "keyword": "Keyword / regex",
    "hybrid": "Hybrid (BM25 + semantic)",
    "arithmetic": "Vector arithmetic",
    "similar": "More like this",
}
PLACEHOLDERS = {
    "semantic": "e.g. firefighters battle a blaze near the city",
    "keyword": r"e.g. bushfire   or, as a regex,  \bfires?\b",
    "hybrid": "words that must match, in a meaning-bearing query",
    "arithmetic": 'e.g. king - man + woman   or   "a review about food" - "negative"',
    "similar": "an item id (open a hit below and press More like this)",
}
MAP_PAGE = Path(__file__).parent / "1_Map.py"

st.title("Search")
st.caption("Check what the space *means*: a query, its nearest items in each model, and where they sit on the map.")

corpus = res.corpus(corpus_id)
if state.get(state.SEARCH_MODE) not in MODES:
    state.set(state.SEARCH_MODE, "semantic")
mode = st.radio("Mode", options=list(MODES), format_func=MODES.__getitem__, horizontal=True,
                help="Semantic: nearest by meaning (cosine). Keyword: literal text or a regular expression over "
                     "the texts and metadata. Hybrid: BM25 keyword ranking fused with the semantic ranking. "
                     "Vector arithmetic: add and subtract terms. More like this: nearest items to one item.",
                **state.bind(state.SEARCH_MODE))
query = st.text_input("Query", placeholder=PLACEHOLDERS[mode], help="Press Enter to search.",
                      **state.bind(state.SEARCH_QUERY))

left, middle, right = st.columns([1, 2, 2])
k = left.number_input("Hits per model (k)", min_value=1, max_value=200, value=10, step=1, key="search_k",
                      help="How many hits to show for each model.")
options: dict[str, object] = {}
if mode == "keyword":
    options["regex"] = middle.checkbox("Regular expression", key="search_regex",
                                       help=r"Treat the query as a regular expression (e.g. \bfires?\b).")
    options["case_sensitive"] = middle.checkbox("Match case", key="search_case", help="Match upper/lower case exactly.")
    columns = right.multiselect("Search in", options=["text", *corpus.metadata_columns], default=["text"],
                                key="search_columns", help="Columns whose values are matched (metadata as text).")
elif mode == "hybrid":
    options["dense_weight"] = middle.slider(
        "Weight of the semantic ranking", 0.0, 1.0, 0.5, 0.05, key="search_dense_weight",
        help="Reciprocal rank fusion: score = w/(60 + semantic rank) + (1 − w)/(60 + BM25 rank). "
             "1 = semantic only, 0 = keywords only.")
    right.markdown(f"**Fusion:** {options['dense_weight']:.2f} × semantic + {1 - options['dense_weight']:.2f} × BM25")
elif mode == "arithmetic":
    options["exclude_inputs"] = middle.checkbox(
        "Exclude the input terms", value=True, key="search_exclude",
        help="The input words themselves are usually the nearest to the result; leave them out of the hits.")
    word_models = [m for m in model_ids if resolve_model(m).kind == "word"]
    if word_models:
        target = right.radio("Search in", options=["corpus", "vocabulary"], horizontal=True, key="search_target",
                             format_func={"corpus": "this corpus", "vocabulary": "the model's whole vocabulary"}.__getitem__,
                             help="Word models can also search their own vocabulary (GloVe: 400,000 words).")
        options["target"] = target

compare = len(model_ids) > 1 and mode != "keyword"
with st.expander("Metadata filters", expanded=False):
    filters: list[MetadataFilter] = []
    for column in corpus.metadata_columns:
        values = corpus.frame[column]
        if values.dtype.is_numeric() and values.n_unique() > 20:
            low, high = float(values.min()), float(values.max())
            chosen = st.slider(column, low, high, (low, high), key=f"search_filter_{column}",
                               help=f"Keep items whose {column} lies in this range.")
            if chosen != (low, high):
                filters.append(MetadataFilter(column, low=chosen[0], high=chosen[1]))
        elif values.n_unique() <= 50:
            picked = st.multiselect(column, options=sorted(str(v) for v in values.unique().drop_nulls()),
                                    key=f"search_filter_{column}", help=f"Keep items whose {column} is one of these.")
            if picked:
                filters.append(MetadataFilter(column, values=tuple(picked)))
        else:
            needle = st.text_input(f"{column} contains", key=f"search_filter_{column}",
                                   help=f"Keep items whose {column} contains this text.")
            if needle:
                filters.append(MetadataFilter(column, contains=needle))
    if not corpus.metadata_columns:
        st.caption("This corpus has no metadata columns.")
    if filters:
        st.caption("Active: " + escape_markdown("; ".join(f.describe() for f in filters)))

if not query.strip():
    st.info("Type a query and press Enter. " + ("Each chosen model is searched side by side." if compare else ""))
    st.stop()

with user_errors():
    allowed = filter_mask(corpus, filters)
    if mode == "arithmetic" and options.get("target") == "vocabulary":
        st.subheader("Nearest words in the vocabulary")
        columns_ui = st.columns(len(word_models))
        for column_ui, model_id in zip(columns_ui, word_models):
            words = vocabulary_search(res.vocabulary(model_id), query, store=res.store(), k=int(k),
                                      exclude_inputs=bool(options["exclude_inputs"]))
            with column_ui:
                st.markdown(f"**{resolve_model(model_id).display_name}**")
                st.dataframe(words, hide_index=True, width="stretch", key=f"search_vocab_{model_id}")
        st.caption("The input terms are excluded from the results." if options["exclude_inputs"]
                   else "The input terms are not excluded (they often rank first).")
        st.stop()

    results = {}
    if mode == "keyword":
        from engine.search import keyword_search

        results["keyword"] = keyword_search(corpus, query, regex=bool(options["regex"]),
                                            case_sensitive=bool(options["case_sensitive"]), columns=columns,
                                            k=int(k), allowed=allowed)
    else:
        for model_id in model_ids:
            try:
                results[model_id] = run_search(
                    corpus, query, mode=mode, store=res.store(), index=res.index(corpus_id, model_id),
                    bm25=res.bm25(corpus_id) if mode == "hybrid" else None, k=int(k), allowed=allowed,
                    dense_weight=float(options.get("dense_weight", 0.5)),
                    exclude_inputs=bool(options.get("exclude_inputs", True)))
            except SearchError as exc:  # one model may not know a word: show it, keep the others
                st.warning(f"**{resolve_model(model_id).display_name}:** {escape_markdown(str(exc))}",
                           icon="⚠️")
    if not results:
        st.stop()
    if len(results) > 1:
        results = mark_unique(results)

    first = next(iter(results.values()))
    state.set(state.SEARCH_HITS, search_view.search_hits_payload(first))

    bar = st.columns([2, 2, 3])
    if MAP_PAGE.exists() and bar[0].button("Show on map", key="search_show_on_map", type="primary",
                                           help=f"Highlight these {first.hits.height} hits on the Map page "
                                                f"({first.model_id or 'keyword'} results)."):
        st.switch_page("pages/1_Map.py")
    bar[1].caption(f"{first.hits.height} hits ready for the map ({first.model_id or 'keyword search'}).")
    with bar[2]:
        search_view.render_export(results, key="search_export")

    if len(results) > 1:
        st.subheader(f"Across {len(results)} models")
        search_view.render_overlap(overlap_at_k(results), int(k))
        st.caption("“only <model>” marks a hit no other chosen model returned.")
        columns_ui = st.columns(len(results))
        for column_ui, (name, result) in zip(columns_ui, results.items()):
            with column_ui:
                st.markdown(f"**{resolve_model(name).display_name}**")
                search_view.render_notes(result)
                search_view.render_hits_table(result, key=f"search_table_{name}")
                search_view.render_highlighted_hits(result, limit=5)
    else:
        name, result = first.model_id or "keyword", first
        st.subheader(f"{result.hits.height} hits" + (f" · {resolve_model(name).display_name}" if first.model_id else ""))
        search_view.render_notes(result)
        search_view.render_hits_table(result, key="search_table")
        search_view.render_highlighted_hits(result, limit=int(k))

    if first.model_id is not None and MAP_PAGE.exists():
        with st.expander("Hits on the map", expanded=False):
            search_view.render_hits_map(corpus, first, key="search_map")

    all_ids = list(dict.fromkeys(i for r in results.values() for i in r.ids))
    if all_ids:
        texts = dict(zip(corpus.frame["id"].to_list(), corpus.frame["text"].to_list()))
        opened = st.selectbox("Open a hit", options=all_ids, index=None, key="search_open",
                              format_func=lambda i: f"[{i}] {texts.get(i, '')[:90]}",
                              placeholder="Pick a hit to read it in full",
                              help="Shows the item's text, metadata and its rank in each model.")
        if opened is not None:
            state.set(state.FOCUS_ITEM, {"corpus_id": corpus_id, "id": str(opened)})
            with st.expander(f"Item {opened}", expanded=True):
                search_view.render_item(corpus, opened, model_hits=results)
                if st.button("More like this", key="search_more_like_this",
                             help="Search for the items nearest to this one in each model."):
                    state.set(state.SEARCH_MODE, "similar")
                    state.set(state.SEARCH_QUERY, str(opened))
                    st.rerun()
