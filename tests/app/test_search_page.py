"""AppTest of pages/2_Search.py on the small Lee corpus (minilm-l3, glove-50d) and the words corpus."""
from __future__ import annotations


import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from components import state
from tests.app.pages import open_page

PAGE = "pages/2_Search.py"


@pytest.fixture(scope="module")
def lee(small_corpus, small_embeddings, store):
    from engine.embed import embed_corpus

    embed_corpus(small_corpus, "glove-50d", store=store)
    return small_corpus


def _open(corpus_id: str, model_ids: tuple[str, ...], **values) -> AppTest:
    return open_page(PAGE, corpus_id, model_ids, **values)


def test_semantic_search_finds_the_item_and_hands_hits_to_the_map(lee) -> None:
    item_id, text = lee.frame["id"][42], lee.frame["text"][42]
    at = _open(lee.corpus_id, ("minilm-l3",), **{state.SEARCH_QUERIES: {"semantic": text}, state.SEARCH_MODE: "semantic"})
    table = at.dataframe[0].value
    assert str(table["id"].iloc[0]) == item_id
    assert list(table["score"]) == sorted(table["score"], reverse=True)
    hits = at.session_state[state.SEARCH_HITS]
    assert hits["corpus_id"] == lee.corpus_id and hits["ids"][0] == item_id and hits["query"] == text
    assert len(hits["ids"]) == len(hits["scores"]) == 10
    # open the hit: the item view shows its full text and sets the focus hand-off
    at.selectbox(key="search_open").set_value(item_id).run()
    assert not at.exception
    assert at.session_state[state.FOCUS_ITEM] == {"corpus_id": lee.corpus_id, "id": item_id}
    assert any(t.value == text for t in at.text)


def test_two_models_side_by_side_with_overlap_and_unique_marks(lee) -> None:
    at = _open(lee.corpus_id, ("minilm-l3", "glove-50d"),
               **{state.SEARCH_QUERIES: {"semantic": "firefighters battle bushfires"}, state.SEARCH_MODE: "semantic"})
    frames = [df.value for df in at.dataframe]
    overlap = frames[0]
    assert "shared" in overlap.columns and 0 <= overlap["shared"].iloc[0] <= 10
    per_model = [f for f in frames if "found only by" in f.columns]
    assert len(per_model) == 2
    ids_a, ids_b = set(per_model[0]["id"]), set(per_model[1]["id"])
    assert overlap["shared"].iloc[0] == len(ids_a & ids_b)
    marked = per_model[0][per_model[0]["found only by"] != ""]["id"]
    assert set(marked) == ids_a - ids_b


def test_keyword_regex_highlights_and_bad_regex_is_a_clear_error(lee) -> None:
    at = _open(lee.corpus_id, ("minilm-l3",), **{state.SEARCH_QUERIES: {"keyword": r"\bfires?\b"}, state.SEARCH_MODE: "keyword"})
    at.checkbox(key="search_regex").check().run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert len(table) > 0 and all("fire" in t.lower() for t in table["text"])
    html = "".join(str(h.proto.body) for h in at.get("html"))
    assert "<mark" in html and "data-testid=\"search-highlights\"" in html
    at.text_input(key=f"_w_{state.SEARCH_QUERIES}_keyword").input("fire(").run()
    assert not at.exception
    assert at.error and "Invalid regular expression" in at.error[0].value


def test_vector_arithmetic_on_glove_vocabulary_gives_queen(words_corpus, store) -> None:
    from engine.embed import embed_corpus

    embed_corpus(words_corpus, "glove-50d", store=store)
    at = _open(words_corpus.corpus_id, ("glove-50d",),
               **{state.SEARCH_QUERIES: {"arithmetic": "king - man + woman"}, state.SEARCH_MODE: "arithmetic"})
    corpus_hits = at.dataframe[0].value
    assert corpus_hits["text"].iloc[0] == "queen"  # the corpus itself (words demo) first
    assert not {"king", "man", "woman"} & set(corpus_hits["text"])
    assert any("excluded" in c.value for c in at.caption)
    at.radio(key="search_target").set_value("vocabulary").run()
    assert not at.exception
    assert at.dataframe[0].value["word"].iloc[0] == "queen"


def test_hybrid_shows_its_weighting_and_more_like_this_leaves_the_item_out(lee) -> None:
    at = _open(lee.corpus_id, ("minilm-l3",), **{state.SEARCH_QUERIES: {"hybrid": "Sydney bushfires"}, state.SEARCH_MODE: "hybrid"})
    at.slider(key="search_dense_weight").set_value(0.7).run()
    assert not at.exception
    assert any("0.70 × semantic + 0.30 × BM25" in m.value for m in at.markdown)
    table = at.dataframe[0].value
    assert {"dense_rank", "bm25_rank", "dense_part", "bm25_part"} <= set(table.columns)
    assert (abs(table["score"] - (table["dense_part"] + table["bm25_part"])) < 1e-4).all()
    opened = str(table["id"].iloc[0])
    at.selectbox(key="search_open").set_value(opened).run()
    at.button(key="search_more_like_this").click().run()
    assert not at.exception
    assert at.session_state[state.SEARCH_MODE] == "similar"
    assert at.session_state[state.SEARCH_ITEM] == {"corpus_id": lee.corpus_id, "id": opened}
    similar = at.dataframe[0].value
    assert len(similar) == 10 and opened not in set(similar["id"].astype(str))


def test_markdown_in_a_query_is_shown_literally(lee) -> None:
    query = "**bold** ![img](http://example.invalid/x.png)"
    at = _open(lee.corpus_id, ("minilm-l3",), **{state.SEARCH_QUERIES: {"keyword": query}, state.SEARCH_MODE: "keyword"})
    assert not at.exception
    notes = [c.value for c in at.caption if "match the text" in c.value]
    assert notes and r"\*\*bold\*\*" in notes[0] and r"\!\[img\]" in notes[0]


def test_highlighted_html_escapes_everything_but_its_marks() -> None:
    from components.search_view import highlighted_html
    from engine.search import highlight_spans

    text = 'A <script>alert("x")</script> fire & "fires"\nnext line'
    html = highlighted_html(text, highlight_spans(text, r"\bfires?\b", regex=True))
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp;" in html
    assert html.count("<mark") == 2 and ">fire</mark>" in html and ">fires</mark>" in html
    assert "<br>" in html and "\n" not in html
    long = "x " * 500 + "fire" + " y" * 500
    cut = highlighted_html(long, highlight_spans(long, "fire"), max_chars=100)
    assert cut.startswith("…") and cut.endswith("…") and "<mark" in cut


# -- issue 8.12, 8.15, 8.8, #9 ------------------------------------------------------------------------
PAPERS = [
    ("Wildfire smoke and health", "Bushfire smoke exposure raises hospital admissions for asthma."),
    ("Deep learning for protein folding", "A neural network predicts protein structures from sequences."),
    ("Coral reef bleaching", "Warmer oceans bleach coral reefs across the Pacific."),
    ("Cricket and climate", "Heatwaves shorten cricket matches in the Australian summer."),
    ("Firefighting drones", "Drones map active bushfire fronts for firefighters at night."),
    ("Language models and bias", "Word embeddings encode gender stereotypes from their training text."),
]


@pytest.fixture(scope="module")
def papers(store, embedded):
    """Titles as the label column, and metadata named like every result column (issue 8.15)."""
    from engine.corpus import corpus_from_texts

    n = len(PAPERS)
    corpus, report = corpus_from_texts(
        [abstract for _, abstract in PAPERS], name="papers",
        metadata={"title": [t for t, _ in PAPERS], "score": [float(i) / 10 for i in range(n)],
                  "row": [f"r{i}" for i in range(n)], "rank": list(range(100, 100 + n)),
                  "dense_rank": ["x"] * n, "matched_in": ["y"] * n})
    store.save_corpus(corpus, report)
    embedded(corpus, "minilm-l3")
    return corpus


@pytest.mark.parametrize("mode, query", [("semantic", "bushfire smoke"), ("keyword", "bushfire"),
                                         ("hybrid", "bushfire smoke"), ("arithmetic", "bushfire - smoke")])
def test_metadata_named_score_row_rank_and_label_column_on_the_page(papers, mode, query) -> None:
    at = _open(papers.corpus_id, ("minilm-l3",), **{state.SEARCH_QUERIES: {mode: query}, state.SEARCH_MODE: mode,
                                                    state.LABEL_COLUMNS: {papers.corpus_id: "title"}})
    assert not at.exception and not at.error, (at.exception, [e.value for e in at.error])
    table = at.dataframe[0].value
    assert len(table) >= 1 and list(table["rank"]) == list(range(1, len(table) + 1))
    titles = dict(zip(papers.frame["id"], papers.frame["title"]))
    assert list(table["title"]) == [titles[str(i)] for i in table["id"]]  # the label column, per hit
    assert "bushfire" in " ".join(table["text"]).lower()
    if mode in ("keyword", "hybrid"):  # the highlighted list names each hit by its label too
        html = "".join(str(h.proto.body) for h in at.get("html"))
        assert f"<b>{titles[str(table['id'].iloc[0])]}</b>" in html


def test_more_like_this_picks_an_item_by_its_label(papers) -> None:
    at = _open(papers.corpus_id, ("minilm-l3",), **{state.SEARCH_MODE: "similar",
                                                    state.LABEL_COLUMNS: {papers.corpus_id: "title"}})
    picker = at.selectbox(key="search_item_pick")
    assert not at.text_input  # no id to type: a picker of items instead
    fire_id = papers.frame.filter(papers.frame["title"] == "Wildfire smoke and health")["id"][0]
    assert f"[{fire_id}] Wildfire smoke and health · Bushfire smoke exposure" in " ".join(picker.options)
    picker.set_value(fire_id).run()
    assert not at.exception and not at.error
    table = at.dataframe[0].value
    assert fire_id not in set(table["id"]) and table["title"].iloc[0] == "Firefighting drones"
    assert at.session_state[state.SEARCH_ITEM] == {"corpus_id": papers.corpus_id, "id": fire_id}


def test_each_mode_keeps_its_own_query_and_switching_prints_no_warnings(lee) -> None:
    at = _open(lee.corpus_id, ("minilm-l3", "glove-50d"),
               **{state.SEARCH_QUERIES: {"arithmetic": "king - man + woman"}, state.SEARCH_MODE: "arithmetic"})
    assert not at.exception
    at.radio(key=f"_w_{state.SEARCH_MODE}").set_value("semantic").run()
    assert not at.exception and not at.warning and not at.error
    assert at.text_input(key=f"_w_{state.SEARCH_QUERIES}_semantic").value == ""
    at.text_input(key=f"_w_{state.SEARCH_QUERIES}_semantic").input("bushfires near Sydney").run()
    at.radio(key=f"_w_{state.SEARCH_MODE}").set_value("arithmetic").run()
    assert at.text_input(key=f"_w_{state.SEARCH_QUERIES}_arithmetic").value == "king - man + woman"
    at.radio(key=f"_w_{state.SEARCH_MODE}").set_value("similar").run()
    assert not at.exception and not at.warning and not at.error  # no old text read as an item id


def test_one_message_when_every_model_fails_the_same_way(lee) -> None:
    at = _open(lee.corpus_id, ("minilm-l3", "glove-50d"),
               **{state.SEARCH_QUERIES: {"arithmetic": "king - - man"}, state.SEARCH_MODE: "arithmetic"})
    assert not at.exception and not at.warning
    assert len(at.error) == 1 and "Two operators" in at.error[0].value


def test_filter_builder_returns_a_filter_and_shows_it_as_text(lee) -> None:
    at = _open(lee.corpus_id, ("minilm-l3",), **{state.SEARCH_QUERIES: {"keyword": "the"}, state.SEARCH_MODE: "keyword"})
    at.multiselect(key="search_filter_columns").set_value(["article"]).run()
    at.slider(key="search_filter_col_0_article").set_value((2, 3)).run()  # 37 articles: a range
    assert not at.exception
    table = at.dataframe[0].value
    assert len(table) > 0
    ids = set(lee.frame.filter(lee.frame["article"].is_between(2, 3))["id"])
    assert set(table["id"]) <= ids
    active = [t.value for t in at.text if t.value.startswith("Active filter")]
    assert active and "2 <= article <= 3" in active[0] and f"Keeps {len(ids):,} of {len(lee):,} items" in active[0]


def test_filter_builder_widgets_are_keyed_by_prefix_and_escape_column_names() -> None:
    script = '''
import streamlit as st
from components import filter_view
from engine.corpus import corpus_from_texts
from components import resources as res
corpus, report = corpus_from_texts(["a", "b", "c"], name="f", metadata={"**bold**": ["x", "y", "x"]})
res.store().save_corpus(corpus, report)
st.session_state["out"] = filter_view.filter_builder(corpus.corpus_id, "p1").to_json()
st.session_state["out2"] = filter_view.filter_builder(corpus.corpus_id, "p2").to_json()
'''
    at = AppTest.from_string(script, default_timeout=60).run()
    assert not at.exception
    at.multiselect(key="p1_columns").set_value(["**bold**"]).run()
    at.multiselect(key="p1_col_0_**bold**").set_value(["x"]).run()
    from engine.filters import Filter

    first, second = Filter.from_json(at.session_state["out"]), Filter.from_json(at.session_state["out2"])
    assert first.conditions[0].values == ("x",) and second.is_empty
    assert at.multiselect(key="p1_col_0_**bold**").label == r"\*\*bold\*\*"


def test_open_a_hit_in_full_from_its_label(papers) -> None:
    at = _open(papers.corpus_id, ("minilm-l3",), **{state.SEARCH_QUERIES: {"semantic": "coral"},
                                                    state.SEARCH_MODE: "semantic",
                                                    state.LABEL_COLUMNS: {papers.corpus_id: "title"}})
    opened = at.selectbox(key="search_open")
    assert any("Coral reef bleaching" in o for o in opened.options)
    reef = papers.frame.filter(papers.frame["title"] == "Coral reef bleaching")["id"][0]
    opened.set_value(reef).run()
    at.button(key="search_open_full").click().run()
    assert not at.exception
    assert any(t.value == "Warmer oceans bleach coral reefs across the Pacific." for t in at.text)


def test_search_minimap_rings_are_the_hits_on_the_map_renderer(lee, small_embeddings, store) -> None:
    from components.search_view import hits_map_payload
    from engine.project import ProjectionSpec, project
    from engine.project.payload import unpack_map
    from engine.search import keyword_search

    projection = project(small_embeddings, **ProjectionSpec(method="pca").kwargs(), store=store)
    result = keyword_search(lee, "fire", k=5)
    drawn = unpack_map(hits_map_payload(lee, result, projection))
    # the ringed points are exactly the hits (the canvas draws rings opaque red on top: browser tests)
    assert sorted(drawn["row"][drawn["ring"]].tolist()) == sorted(int(r) for r in result.rows)
    assert len(drawn["ring"]) == result.hits.height


def test_search_minimap_places_the_query_as_a_star_near_its_own_text(lee, small_embeddings, store) -> None:
    """A semantic query equal to one corpus text is placed (no refit) next to that text's point."""
    from components.search_view import QUERY_MARKER, hits_map_payload, query_position
    from engine.index import build_index
    from engine.project import ProjectionSpec, project
    from engine.project.payload import unpack_map
    from engine.search import keyword_search, semantic_search

    projection = project(small_embeddings, **ProjectionSpec(method="pca").kwargs(), store=store)
    row = 41
    result = semantic_search(lee, build_index(small_embeddings), lee.texts[row], store=store, k=5)
    assert result.query_vector is not None
    at = query_position(projection, small_embeddings, result)
    assert at is not None
    coords = np.asarray(projection.coords)[:, :2]
    distance_to_own = float(np.hypot(*(coords[row] - np.asarray(at))))
    spread = float(np.median(np.hypot(*(coords - coords.mean(axis=0)).T)))
    assert distance_to_own < 0.25 * spread  # among its nearest items, not at the centre of the cloud
    drawn = unpack_map(hits_map_payload(lee, result, projection, query_at=at))
    assert drawn["markers"] == [{"x": pytest.approx(at[0]), "y": pytest.approx(at[1]), "text": QUERY_MARKER}]
    # a keyword search has no vector: no star
    assert query_position(projection, small_embeddings, keyword_search(lee, "fire", k=5)) is None
