"""Search a corpus: semantic, keyword/regex, hybrid (BM25 + dense by reciprocal rank fusion),
vector arithmetic, "more like this", and the same query across models.

Every search returns a :class:`SearchResult` whose ``hits`` frame has the columns
``rank, score, id, text`` first, then mode-specific columns (``dense_rank``, ``bm25_rank``…), the
corpus metadata (a metadata column named like a result column becomes ``"<name> (metadata)"``),
and ``row`` (the corpus row). Metadata filters (``engine.filters.Filter``) become a boolean row
mask that every mode accepts as ``allowed``.

Layout (docs/architecture.md, Search):

* ``results``    SearchResult, the hits frame and its reserved column names
* ``dense``      semantic search and "more like this"
* ``keyword``    keyword/regex search and highlighting, on polars' linear-time Rust regex only
* ``hybrid``     BM25 and the weighted reciprocal rank fusion (the hybrid weighting)
* ``arithmetic`` vector arithmetic over a corpus or a word model's vocabulary
* ``dispatch``   ``run_search`` (one entry point) and ``mark_unique`` (overlap@k lives in ``engine.compare``)

Example:
    >>> from engine.corpus import corpus_from_texts
    >>> corpus, _ = corpus_from_texts(["Red apples", "green pears", "an apple pie"], name="fruit")
    >>> keyword_search(corpus, "apple").ids
    ['0', '2']
"""
from __future__ import annotations

from engine.expressions import Term, parse_expression
from engine.filters import Filter, MetadataFilter, filter_mask
from engine.search.arithmetic import (
    Vocabulary,
    arithmetic_note,
    arithmetic_search,
    build_vocabulary,
    expression_vector,
    vocabulary_search,
)
from engine.search.dense import embed_query, more_like_this, row_of_item, semantic_search
from engine.search.dispatch import SEARCH_MODES, SearchMode, mark_unique, run_search
from engine.search.hybrid import HYBRID_CANDIDATES, RRF_K, BM25Index, bm25_scores, build_bm25, hybrid_search
from engine.search.keyword import (
    MAX_PATTERN_CHARS,
    compile_pattern,
    escape,
    highlight_spans,
    highlight_spans_many,
    keyword_search,
)
from engine.search.results import MAX_K, RESULT_COLUMNS, SearchResult, metadata_names

__all__ = [
    "BM25Index", "Filter", "HYBRID_CANDIDATES", "MAX_K", "MAX_PATTERN_CHARS", "MetadataFilter", "RESULT_COLUMNS",
    "RRF_K", "SEARCH_MODES", "SearchMode", "SearchResult", "Term", "Vocabulary", "arithmetic_note",
    "arithmetic_search", "bm25_scores", "build_bm25", "build_vocabulary", "compile_pattern", "embed_query",
    "escape", "expression_vector", "filter_mask", "highlight_spans", "highlight_spans_many", "hybrid_search",
    "keyword_search", "mark_unique", "metadata_names", "more_like_this", "parse_expression",
    "row_of_item", "run_search", "semantic_search", "vocabulary_search",
]
