"""Search on hostile input: user regexes on a linear-time engine only (issue 8.13), literal keyword
mode, and metadata columns named like result columns (issue 8.15)."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from engine.corpus import corpus_from_texts
from engine.errors import SearchError
from engine.index import build_index
from engine.search import (
    MAX_PATTERN_CHARS,
    RESULT_COLUMNS,
    build_bm25,
    highlight_spans,
    keyword_search,
    mark_unique,
    run_search,
)
from tests.conftest import ROOT

# Python's backtracking `re` needs ~2^n steps for this pattern on n word characters with no final dot.
CATASTROPHIC = r"(\w+\s?)+\."
ADVERSARIAL_TEXT = "a" * 40 + "!"


def test_highlighting_a_catastrophic_pattern_finishes_quickly_in_a_fresh_process() -> None:
    """Before the fix the highlighter ran Python's `re` on hits and hung (2^40 steps)."""
    code = (
        "from engine.search import highlight_spans, keyword_search\n"
        "from engine.corpus import corpus_from_texts\n"
        f"text = {ADVERSARIAL_TEXT!r} * 3 + ' end.'\n"
        f"assert highlight_spans({ADVERSARIAL_TEXT!r}, {CATASTROPHIC!r}, regex=True) == []\n"
        f"spans = highlight_spans(text, {CATASTROPHIC!r}, regex=True)\n"
        "assert spans and text[spans[-1][0]:spans[-1][1]].endswith('end.'), spans\n"
        f"corpus, _ = corpus_from_texts([{ADVERSARIAL_TEXT!r}, text], name='x')\n"
        f"assert keyword_search(corpus, {CATASTROPHIC!r}, regex=True).ids == ['1']\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


def test_no_search_module_imports_python_re() -> None:
    """User patterns must never reach a backtracking engine: engine/search never imports re or regex."""
    for path in sorted((ROOT / "engine" / "search").glob("*.py")) + [ROOT / "components" / "search_view.py"]:
        tree = ast.parse(Path(path).read_text())
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not {n.split(".")[0] for n in names} & {"re", "regex", "re2"}, f"{path.name} imports {names}"


@pytest.mark.parametrize("pattern, advice", [
    (r"fire(?=\s+season)", "look-around"),
    (r"(?<!bush)fire", "look-around"),
    (r"(the) \1", "back-references"),
    (r"a{1000}{1000}", "too large"),
    (r"fire(", "Invalid regular expression"),
])
def test_unsupported_constructs_get_a_clear_message_from_the_engine_that_runs_them(pattern, advice) -> None:
    corpus, _ = corpus_from_texts(["the the fire season", "bushfire"], name="x")
    with pytest.raises(SearchError, match="Invalid regular expression") as caught:
        keyword_search(corpus, pattern, regex=True)
    assert advice in str(caught.value)
    assert highlight_spans("the the fire season", pattern, regex=True) == []


def test_python_only_syntax_is_refused_and_rust_unicode_classes_work() -> None:
    # `(?P=name)` is a Python back-reference; `\w` matches non-ASCII letters in Rust regex as in polars
    corpus, _ = corpus_from_texts(["café au lait", "tea"], name="x")
    with pytest.raises(SearchError):
        keyword_search(corpus, r"(?P<w>a)(?P=w)", regex=True)
    hit = keyword_search(corpus, r"\bcaf\w\b", regex=True)
    assert hit.ids == ["0"]
    assert highlight_spans("café au lait", r"\bcaf\w\b", regex=True) == [(0, 4)]


def test_keyword_mode_is_literal() -> None:
    texts = ["price: $5.00 (approx) a+b", "price 5x00 approx ab", r"back\slash \d"]
    corpus, _ = corpus_from_texts(texts, name="x")
    for query, expected in [("$5.00 (approx)", ["0"]), ("a+b", ["0"]), (r"\d", ["2"]), ("[", []), ("5.00", ["0"])]:
        assert keyword_search(corpus, query).ids == expected, query
        for (a, b) in highlight_spans(texts[int(expected[0])] if expected else texts[0], query):
            assert texts[int(expected[0])][a:b].lower() == query.lower()


def test_pattern_length_is_bounded() -> None:
    corpus, _ = corpus_from_texts(["a"], name="x")
    with pytest.raises(SearchError, match="at most"):
        keyword_search(corpus, "a" * (MAX_PATTERN_CHARS + 1), regex=True)


def test_sentinels_in_a_text_cannot_forge_highlights() -> None:
    text = "x\ue000fire\ue001y fire"
    spans = highlight_spans(text, "fire")
    assert spans == [(2, 6), (9, 13)] and all(text[a:b] == "fire" for a, b in spans)
    assert highlight_spans("abc", "x*", regex=True) == []  # empty matches mark nothing


# -- issue 8.15: metadata named like result columns --------------------------------------------------
COLLIDING = ["score", "row", "rank", "dense_rank", "bm25_rank", "cosine", "matched_in", "found_only_here", "model"]


@pytest.fixture(scope="module")
def colliding(store, embedded):
    texts = ["Firefighters battle a bushfire near Sydney.", "The cricket team won the final.",
             "Rain finally eased the drought.", "A bushfire threatens homes in the Blue Mountains.",
             "Parliament passed the budget."]
    metadata = {name: [f"{name}-{i}" for i in range(len(texts))] for name in COLLIDING}
    metadata["score (metadata)"] = list(range(len(texts)))  # the renamed form is taken too
    corpus, _ = corpus_from_texts(texts, name="colliding", metadata=metadata)
    index = build_index(embedded(corpus, "minilm-l3"))
    return corpus, index


@pytest.mark.parametrize("mode, query", [
    ("semantic", "bushfire"), ("keyword", "bushfire"), ("hybrid", "bushfire"), ("arithmetic", "bushfire - rain"),
    ("similar", "0"),
])
def test_metadata_named_like_result_columns_never_collides(colliding, store, mode, query) -> None:
    corpus, index = colliding
    result = run_search(corpus, query, mode=mode, store=store, index=index, bm25=build_bm25(corpus), k=3)
    hits = result.hits
    assert hits.height >= 1 and len(set(hits.columns)) == len(hits.columns)
    assert hits["rank"].to_list() == list(range(1, hits.height + 1))  # the result's own columns are intact
    assert hits["row"].dtype.is_integer()
    for row, item_id in zip(hits["row"], hits["id"]):  # every user value kept, under the renamed column
        assert corpus.frame["id"][row] == item_id
        hit = hits.filter(hits["row"] == row).row(0, named=True)
        for name in COLLIDING:
            shown = "score (metadata 2)" if name == "score" else f"{name} (metadata)"
            assert hit[shown] == f"{name}-{row}"
        assert hit["score (metadata)"] == row  # the user's own "score (metadata)" column is not renamed
    assert not set(hits.columns) - RESULT_COLUMNS - {c for c in hits.columns if "(metadata" in c}
    marked = mark_unique({"a": result, "b": result})  # adds found_only_here next to the user's column
    assert marked["a"].hits["found_only_here"].to_list() == [False] * hits.height
