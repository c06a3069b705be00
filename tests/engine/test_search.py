"""engine.search with real models: self-retrieval, hybrid fusion, keyword/regex, arithmetic, across models."""
from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from engine.corpus import corpus_from_texts
from engine.embed import embed_corpus
from engine.errors import SearchError
from engine.compare.agreement import overlap_at_k
from engine.index import build_index
from engine.search import (
    MetadataFilter,
    build_bm25,
    build_vocabulary,
    filter_mask,
    highlight_spans,
    hybrid_search,
    keyword_search,
    mark_unique,
    more_like_this,
    parse_expression,
    run_search,
    semantic_search,
    arithmetic_search,
    vocabulary_search,
)

SENTENCE_MODELS = ("minilm-l3", "minilm-l6")


@pytest.fixture(scope="module")
def indexes(small_corpus, store):
    return {m: build_index(embed_corpus(small_corpus, m, store=store).embeddings) for m in SENTENCE_MODELS}


@pytest.mark.parametrize("model_id", SENTENCE_MODELS)
def test_items_own_text_finds_it_first(small_corpus, store, indexes, model_id) -> None:
    frame = small_corpus.frame
    for row in range(0, frame.height, 37):
        text, item_id = frame["text"][row], frame["id"][row]
        result = semantic_search(small_corpus, indexes[model_id], text, store=store, k=3)
        top = result.hits.row(0, named=True)
        assert top["id"] == item_id or top["text"] == text  # an exact duplicate text may tie
        assert top["score"] > 0.99 and result.hits["score"].is_sorted(descending=True)


def test_more_like_this_leaves_the_item_out(small_corpus, indexes) -> None:
    item = small_corpus.frame["id"][10]
    result = more_like_this(small_corpus, indexes["minilm-l3"], item, k=5)
    assert item not in result.ids and len(result.ids) == 5
    with pytest.raises(SearchError, match="No item"):
        more_like_this(small_corpus, indexes["minilm-l3"], "no-such-id")


def test_metadata_filter_combines_with_semantic_search(small_corpus, store, indexes) -> None:
    allowed = filter_mask(small_corpus, [MetadataFilter("n_words", low=10, high=20)])
    result = semantic_search(small_corpus, indexes["minilm-l3"], "a bushfire near Sydney", store=store, k=10,
                             allowed=allowed)
    assert result.hits.height == 10 and result.hits["n_words"].is_between(10, 20).all()
    assert any("filter" in note for note in result.notes)
    with pytest.raises(SearchError, match="No metadata column"):
        filter_mask(small_corpus, [MetadataFilter("nope", values=("a",))])


PASTA = [
    "Spaghetti with a slow-cooked tomato and basil sauce.",
    "Homemade noodles tossed in garlic butter and parmesan.",
    "A creamy carbonara with eggs, pecorino and crispy guanciale.",
    "Penne baked with mozzarella and a rich meat ragu.",
    "Fresh linguine with clams, white wine and parsley.",
    "Lasagne layered with bechamel and spinach.",
    "Ravioli stuffed with ricotta served in sage butter.",
    "Gnocchi with pesto made from pine nuts and basil.",
    "Fettuccine alfredo is a simple dish of butter and cheese.",
    "Orecchiette with broccoli rabe and chili flakes.",
    "Tagliatelle with a mushroom cream sauce.",
    "Rigatoni all'amatriciana with pancetta and tomato.",
]
RARE = "Our quarterly meeting notes mention the Zorblatt integration schedule."


def test_hybrid_finds_rare_keyword_that_dense_misses(store) -> None:
    corpus, _ = corpus_from_texts(PASTA + [RARE, "The weather was rainy all week.", "The team won on Sunday."],
                                  name="hybrid-case")
    index = build_index(embed_corpus(corpus, "minilm-l3", store=store).embeddings)
    rare_id = corpus.frame.filter(pl.col("text") == RARE)["id"][0]
    query = "Zorblatt pasta recipes"
    dense = semantic_search(corpus, index, query, store=store, k=3)
    assert rare_id not in dense.ids  # the constructed case: dense alone misses the rare keyword
    hybrid = hybrid_search(corpus, index, build_bm25(corpus), query, store=store, k=3)
    assert rare_id in hybrid.ids
    row = hybrid.hits.filter(pl.col("id") == rare_id).row(0, named=True)
    assert row["bm25_rank"] == 1 and row["dense_rank"] > 3
    # the score is exactly the visible weighted RRF of the two ranks
    assert row["score"] == pytest.approx(0.5 / (60 + row["dense_rank"]) + 0.5 / (60 + row["bm25_rank"]))
    assert np.allclose(hybrid.hits["score"], hybrid.hits["dense_part"] + hybrid.hits["bm25_part"], atol=1e-5)
    # all weight on dense reproduces the dense ranking
    dense_only = hybrid_search(corpus, index, build_bm25(corpus), query, store=store, k=3, dense_weight=1.0)
    assert dense_only.ids == dense.ids
    with pytest.raises(SearchError, match="between 0 and 1"):
        hybrid_search(corpus, index, build_bm25(corpus), query, store=store, dense_weight=1.5)


def test_keyword_regex_counts_matches_and_reports_bad_patterns(small_corpus) -> None:
    result = keyword_search(small_corpus, r"\bfires?\b", regex=True)
    texts = result.hits["text"].to_list()
    assert texts and all("fire" in t.lower() for t in texts)
    counts = result.hits["score"].to_list()
    assert counts == sorted(counts, reverse=True) and counts[0] >= 1
    expected = sum(1 for t in small_corpus.texts if __import__("re").search(r"(?i)\bfires?\b", t))
    assert result.params["total_matches"] == expected
    with pytest.raises(SearchError, match="Invalid regular expression"):
        keyword_search(small_corpus, "fire(", regex=True)
    literal = keyword_search(small_corpus, "fire(", regex=False)  # literal text: no error, no match
    assert literal.hits.height == 0


def test_keyword_searches_metadata_and_combines_with_filter(small_corpus) -> None:
    by_meta = keyword_search(small_corpus, "^1$", regex=True, columns=["text", "article"])
    assert by_meta.hits.height > 0 and (by_meta.hits["article"] == 1).all()
    assert set(by_meta.hits["matched_in"]) == {"article"}
    allowed = filter_mask(small_corpus, [MetadataFilter("article", values=("2",))])
    filtered = keyword_search(small_corpus, "the", allowed=allowed)
    assert filtered.hits.height > 0 and (filtered.hits["article"] == 2).all()


def test_highlight_spans_are_exact_and_safe() -> None:
    text = "Fire! the <b>fire</b> spread; FIREs"
    spans = highlight_spans(text, "fire")
    assert [text[a:b].lower() for a, b in spans] == ["fire", "fire", "fire"]
    assert highlight_spans(text, "fire", case_sensitive=True) == [(13, 17)]
    assert highlight_spans(text, "(", regex=True) == []  # invalid pattern: no highlight, no crash


def test_parse_expression_handles_words_quotes_and_errors() -> None:
    assert [(t.sign, t.text) for t in parse_expression("king - man + woman")] == [(1, "king"), (-1, "man"), (1, "woman")]
    assert [(t.sign, t.text) for t in parse_expression('"a review about food" - "negative"')] == [
        (1, "a review about food"), (-1, "negative")]
    assert parse_expression("well-known")[0].text == "well-known"
    for bad in ["", "king -", '"open', "a - + b"]:
        with pytest.raises(SearchError):
            parse_expression(bad)


def test_glove_king_minus_man_plus_woman_is_queen(glove_encoder, store) -> None:
    vocabulary = build_vocabulary(glove_encoder, model_id="glove-50d")
    words = vocabulary_search(vocabulary, "king - man + woman", store=store, k=5)
    assert words["word"][0] == "queen"
    assert not {"king", "man", "woman"} & set(words["word"].to_list())
    kept = vocabulary_search(vocabulary, "king - man + woman", store=store, k=5, exclude_inputs=False)
    assert "king" in kept["word"].to_list()  # without exclusion the input term comes back
    with pytest.raises(SearchError, match="does not know"):
        vocabulary_search(vocabulary, "king - qqqzzzx", store=store)


def test_arithmetic_in_the_corpus_excludes_inputs_and_says_so(words_corpus, store) -> None:
    index = build_index(embed_corpus(words_corpus, "glove-50d", store=store).embeddings)
    result = arithmetic_search(words_corpus, index, "king - man + woman", store=store, k=5)
    assert not {"king", "man", "woman"} & set(result.hits["text"].to_list())
    assert any("excluded" in note for note in result.notes)
    assert "queen" in words_corpus.texts and result.hits["text"][0] == "queen"


def test_across_models_overlap_and_unique_marks(small_corpus, store, indexes) -> None:
    query = "firefighters battled the blaze"
    results = {m: run_search(small_corpus, query, mode="semantic", store=store, index=indexes[m], k=10)
               for m in SENTENCE_MODELS}
    results["again"] = run_search(small_corpus, query, mode="semantic", store=store, index=indexes["minilm-l3"], k=10)
    overlap = overlap_at_k(results)
    assert overlap["overlap"].is_between(0, 1).all()
    same = overlap.filter((pl.col("model_a") == "minilm-l3") & (pl.col("model_b") == "again"))
    assert same["overlap"][0] == 1.0
    marked = mark_unique(results)
    for name, result in marked.items():
        others = set().union(*(set(r.ids) for n, r in results.items() if n != name))
        expected = [i not in others for i in result.ids]
        assert result.hits["found_only_here"].to_list() == expected
    with pytest.raises(SearchError, match="Unknown search mode"):
        run_search(small_corpus, query, mode="telepathy", store=store)  # type: ignore[arg-type]


def test_cli_search_json_and_exit_codes(small_corpus, small_embeddings, store, capsys) -> None:
    import json

    from engine.cli import main

    text = small_corpus.frame["text"][7]
    code = main(["search", text, "--corpus", small_corpus.corpus_id, "--models", "minilm-l3", "--k", "3", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and payload["mode"] == "semantic"
    hits = payload["results"]["minilm-l3"]["hits"]
    assert len(hits) == 3 and hits[0]["id"] == small_corpus.frame["id"][7]
    code = main(["search", "fire", "--corpus", small_corpus.corpus_id, "--mode", "keyword", "--k", "2",
                 "--filter", "n_words=5..30", "--json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0 and all(5 <= h["n_words"] <= 30 and "fire" in h["text"].lower()
                             for h in payload["results"]["keyword"]["hits"])
    code = main(["search", "fire(", "--corpus", small_corpus.corpus_id, "--mode", "keyword", "--regex"])
    assert code == 7 and "Invalid regular expression" in capsys.readouterr().err


def test_cli_filter_builds_one_filter_value(small_corpus, capsys) -> None:
    import json

    from engine.cli import main
    from engine.cli.search import parse_filters
    from engine.filters import Filter, ItemSet

    value = parse_filters(["article=1|2", "n_words=5..", "text~Sydney"],
                          Filter(item_sets=(ItemSet("picked", ("3", "4", "5")),)).to_json())
    assert isinstance(value, Filter) and len(value.conditions) == 3 and value.item_sets[0].ids == ("3", "4", "5")
    assert value.conditions[2].contains == "Sydney"
    code = main(["search", "the", "--corpus", small_corpus.corpus_id, "--mode", "keyword", "--k", "50",
                 "--filter", "text~fire", "--filter", "article=1|2|3|4|5|6|7|8|9|10", "--json"])
    payload = json.loads(capsys.readouterr().out)
    hits = payload["results"]["keyword"]["hits"]
    assert code == 0 and hits and all("fire" in h["text"].lower() and 1 <= h["article"] <= 10 for h in hits)
    assert Filter.from_dict(payload["filter"]).conditions[0].contains == "fire"
    code = main(["search", "the", "--corpus", small_corpus.corpus_id, "--mode", "keyword", "--filter", "nope"])
    assert code == 7 and "Bad --filter" in capsys.readouterr().err
