"""BM25 keyword ranking, and hybrid search: dense + BM25 fused by weighted reciprocal rank fusion.

The weighting is :func:`hybrid_search`'s formula, ``w / (RRF_K + dense_rank) + (1 - w) /
(RRF_K + bm25_rank)`` over the top :data:`HYBRID_CANDIDATES` of each list. RRF needs no score
calibration between cosine similarity and BM25, whose scales are unrelated.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.errors import SearchError
from engine.index import SearchIndex, search_vector
from engine.search.dense import embed_query
from engine.search.keyword import escape
from engine.search.results import SearchResult, check_index, check_k, filter_notes, hits_frame, index_notes
from engine.types import Corpus, Mask

RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al. 2009)
HYBRID_CANDIDATES = 200  # dense and BM25 candidates fused per query


@dataclass(frozen=True, slots=True, eq=False)
class BM25Index:
    """A bm25s index over a corpus's texts (English stopwords removed, no stemming)."""

    corpus_id: str
    retriever: Any
    n_rows: int


def _tokenize(texts: Sequence[str]) -> Any:
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", show_progress=False)


def query_words(query: str) -> list[str]:
    """The query's words as BM25 sees them (lower case, English stopwords removed)."""
    import bm25s

    return bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)[0]


def build_bm25(corpus: Corpus) -> BM25Index:
    """Index the corpus texts for BM25 (bm25s, Lucene scoring)."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(_tokenize(corpus.texts), show_progress=False)
    return BM25Index(corpus.corpus_id, retriever, len(corpus))


def bm25_scores(bm25: BM25Index, query: str) -> np.ndarray:
    """(n,) BM25 score of every row for the query (0 where no query word occurs)."""
    tokens = query_words(query)
    if not tokens:
        return np.zeros(bm25.n_rows, dtype=np.float32)
    return np.asarray(bm25.retriever.get_scores(tokens), dtype=np.float32)


def _ranks(order: np.ndarray, n: int) -> np.ndarray:
    """(n,) 1-based rank of each row in ``order``; 0 for rows not in it."""
    ranks = np.zeros(n, dtype=np.int64)
    ranks[order] = np.arange(1, order.size + 1)
    return ranks


def hybrid_search(
    corpus: Corpus,
    index: SearchIndex,
    bm25: BM25Index,
    query: str,
    *,
    store: Any,
    k: int = 10,
    dense_weight: float = 0.5,
    rrf_k: int = RRF_K,
    candidates: int = HYBRID_CANDIDATES,
    allowed: Mask | None = None,
) -> SearchResult:
    """Dense and BM25 rankings fused by weighted reciprocal rank fusion.

    ``score = w / (rrf_k + dense_rank) + (1 - w) / (rrf_k + bm25_rank)``, where a list the row is
    not in (beyond ``candidates``, or no query word for BM25) contributes 0. The hits show both
    ranks and both parts, so the weighting is visible.

    Raises:
        SearchError: For a weight outside [0, 1] or the usual query errors.
    """
    k = check_k(k)
    check_index(corpus, index)
    if not 0.0 <= dense_weight <= 1.0:
        raise SearchError(f"dense_weight must be between 0 and 1, got {dense_weight}.")
    if bm25.corpus_id != corpus.corpus_id:
        raise SearchError("This BM25 index was built for another corpus.")
    n = len(corpus)
    candidates = max(candidates, k)
    vector = embed_query(query, corpus, index.model_id, store=store)
    dense_rows, dense_scores = search_vector(index, vector, candidates, allowed=allowed)
    lexical = bm25_scores(bm25, query)
    if allowed is not None:
        lexical = np.where(allowed, lexical, 0.0)
    matched = np.flatnonzero(lexical > 0)
    bm25_order = matched[np.lexsort((matched, -lexical[matched]))][:candidates]
    dense_rank = _ranks(dense_rows, n)
    bm25_rank = _ranks(bm25_order, n)
    dense_part = np.where(dense_rank > 0, dense_weight / (rrf_k + dense_rank), 0.0)
    bm25_part = np.where(bm25_rank > 0, (1.0 - dense_weight) / (rrf_k + bm25_rank), 0.0)
    fused = dense_part + bm25_part
    pool = np.union1d(dense_rows, bm25_order).astype(np.int64)
    pool = pool[np.lexsort((pool, -fused[pool]))][:k]
    cosine = np.full(n, np.nan, dtype=np.float64)
    cosine[dense_rows] = dense_scores
    extra = {
        "dense_rank": [int(r) or None for r in dense_rank[pool]],
        "bm25_rank": [int(r) or None for r in bm25_rank[pool]],
        "dense_part": dense_part[pool].round(6).tolist(),
        "bm25_part": bm25_part[pool].round(6).tolist(),
        "cosine": [None if np.isnan(c) else float(c) for c in cosine[pool]],
        "bm25": lexical[pool].astype(float).round(4).tolist(),
    }
    tokens = query_words(query)
    notes = [f"Reciprocal rank fusion: {dense_weight:.2f} × dense (cosine rank) + {1 - dense_weight:.2f} × BM25 "
             f"(keyword rank), each as weight / ({rrf_k} + rank) over the top {candidates} of each list."]
    # highlight the BM25 words; escaped for the Rust regex engine that highlights (engine.search.keyword)
    highlight = ({"pattern": r"\b(?:" + "|".join(escape(t) for t in tokens) + r")\b", "regex": True,
                  "case_sensitive": False} if tokens else None)
    return SearchResult(corpus.corpus_id, index.model_id, "hybrid", query, hits_frame(corpus, pool, fused[pool], extra),
                        tuple(notes + index_notes(index) + filter_notes(allowed)),
                        {"k": k, "dense_weight": dense_weight, "bm25_weight": 1.0 - dense_weight, "rrf_k": rrf_k,
                         "candidates": candidates, "highlight": highlight}, vector)
