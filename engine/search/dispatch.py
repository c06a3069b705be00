"""One entry point for every search mode, and the same query compared across models."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

import polars as pl

from engine.errors import SearchError
from engine.index import SearchIndex
from engine.search.arithmetic import arithmetic_search
from engine.search.dense import more_like_this, semantic_search
from engine.search.hybrid import BM25Index, build_bm25, hybrid_search
from engine.search.keyword import keyword_search
from engine.search.results import SearchResult
from engine.types import Corpus, Mask

SearchMode = Literal["semantic", "keyword", "hybrid", "arithmetic", "similar"]
SEARCH_MODES: tuple[str, ...] = ("semantic", "keyword", "hybrid", "arithmetic", "similar")


def run_search(
    corpus: Corpus,
    query: str,
    *,
    mode: SearchMode,
    store: object,
    index: SearchIndex | None = None,
    bm25: BM25Index | None = None,
    k: int = 10,
    allowed: Mask | None = None,
    dense_weight: float = 0.5,
    regex: bool = False,
    case_sensitive: bool = False,
    exclude_inputs: bool = True,
    columns: Sequence[str] | None = None,
) -> SearchResult:
    """Dispatch one search by mode (the CLI and the page use this).

    ``query`` is the item id for ``similar``; ``regex``, ``case_sensitive`` and ``columns`` apply
    to ``keyword``, ``dense_weight`` to ``hybrid``, ``exclude_inputs`` to ``arithmetic``.

    Raises:
        SearchError: For an unknown mode, or a mode whose index was not given.
    """
    if mode not in SEARCH_MODES:
        raise SearchError(f"Unknown search mode {mode!r}: use one of {', '.join(SEARCH_MODES)}.")
    if mode == "keyword":
        return keyword_search(corpus, query, regex=regex, case_sensitive=case_sensitive, columns=columns, k=k,
                              allowed=allowed)
    if index is None:
        raise SearchError(f"{mode} search needs an index for a model.")
    if mode == "semantic":
        return semantic_search(corpus, index, query, store=store, k=k, allowed=allowed)
    if mode == "hybrid":
        return hybrid_search(corpus, index, bm25 or build_bm25(corpus), query, store=store, k=k,
                             dense_weight=dense_weight, allowed=allowed)
    if mode == "similar":
        return more_like_this(corpus, index, query, k=k, allowed=allowed)
    return arithmetic_search(corpus, index, query, store=store, k=k, exclude_inputs=exclude_inputs, allowed=allowed)


def mark_unique(results: Mapping[str, SearchResult]) -> dict[str, SearchResult]:
    """Each result with a ``found_only_here`` column: True for hits no other model returned."""
    marked = {}
    for name, result in results.items():
        others: set[str] = set()
        for other, other_result in results.items():
            if other != name:
                others |= set(other_result.ids)
        only = [item not in others for item in result.ids] if len(results) > 1 else [False] * result.hits.height
        marked[name] = result.replace_hits(
            result.hits.with_columns(pl.Series("found_only_here", only, dtype=pl.Boolean)))
    return marked
