"""Dense search: a query text, or one corpus item ("more like this"), against a model's index."""
from __future__ import annotations

from typing import Any

import numpy as np

from engine.errors import SearchError
from engine.index import SearchIndex, search_vector
from engine.search.results import SearchResult, check_index, check_k, filter_notes, hits_frame, index_notes
from engine.types import TEXT_COLUMN, Corpus, Mask
from engine.vectors import rows_of


def embed_query(text: str, corpus: Corpus, model_id: str, *, store: Any) -> np.ndarray:
    """One query text as a unit vector in ``model_id``'s space.

    Raises:
        SearchError: For an empty query, or one the model cannot represent.
    """
    from engine.embed import embed_queries

    if not text or not text.strip():
        raise SearchError("Type a query first.")
    vectors, valid = embed_queries([text], model_id, store=store, corpus=corpus)
    if not valid[0]:
        raise SearchError(
            f"{model_id!r} cannot represent {text!r}: none of its words are in the model's vocabulary. Try other words."
        )
    return vectors[0]


def semantic_search(
    corpus: Corpus, index: SearchIndex, query: str, *, store: Any, k: int = 10, allowed: Mask | None = None,
) -> SearchResult:
    """The k items closest to the query text in the index's model (cosine similarity)."""
    k = check_k(k)
    check_index(corpus, index)
    vector = embed_query(query, corpus, index.model_id, store=store)
    rows, scores = search_vector(index, vector, k, allowed=allowed)
    return SearchResult(corpus.corpus_id, index.model_id, "semantic", query, hits_frame(corpus, rows, scores),
                        tuple(index_notes(index) + filter_notes(allowed)), {"k": k, "metric": "cosine"}, vector)


def row_of_item(corpus: Corpus, item_id: str) -> int:
    """The corpus row of ``item_id``.

    Raises:
        SearchError: When the corpus has no such item.
    """
    rows, _ = rows_of(corpus.id_rows, [str(item_id)])
    if not rows:
        raise SearchError(f"No item with id {item_id!r} in corpus {corpus.name!r}. Pick an item from the list.")
    return rows[0]


def more_like_this(
    corpus: Corpus, index: SearchIndex, item_id: str, *, k: int = 10, allowed: Mask | None = None,
) -> SearchResult:
    """The k items closest to one corpus item (the item itself is left out)."""
    k = check_k(k)
    check_index(corpus, index)
    row = row_of_item(corpus, item_id)
    position = np.searchsorted(index.rows, row)
    if position >= index.n_valid or index.rows[position] != row:
        raise SearchError(f"Item {item_id!r} has no vector in {index.model_id!r} (none of its words are known).")
    rows, scores = search_vector(index, index.matrix[position], k, allowed=allowed, exclude_rows=[row])
    text = corpus.frame[TEXT_COLUMN][row]
    return SearchResult(corpus.corpus_id, index.model_id, "similar", text, hits_frame(corpus, rows, scores),
                        tuple([f"Items like {item_id!r}; the item itself is left out."] + index_notes(index)
                              + filter_notes(allowed)),
                        {"k": k, "item_id": str(item_id)}, index.matrix[position])
