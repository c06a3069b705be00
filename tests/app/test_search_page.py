"""AppTest of pages/2_Search.py on the small Lee corpus (minilm-l3, glove-50d) and the words corpus."""
from __future__ import annotations


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
    assert at.session_state[state.SEARCH_MODE] == "similar" and at.session_state[state.SEARCH_ITEM] == opened
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
