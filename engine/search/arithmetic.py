"""Vector arithmetic (``king - man + woman``, 3CosAdd) over a corpus or a word model's vocabulary.

The grammar and the sum of unit vectors live in ``engine.expressions`` (shared with Axes); this
module embeds the terms, leaves the input terms out of the hits, and searches.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from engine.errors import SearchError
from engine.expressions import Term, combine, format_expression, parse_expression
from engine.index import SearchIndex, search_vector
from engine.search.results import SearchResult, check_index, check_k, filter_notes, hits_frame, index_notes
from engine.types import TEXT_COLUMN, Corpus, Mask
from engine.vectors import unit_rows


def _term_vectors(terms: Sequence[Term], model_id: str, *, store: Any, corpus: Corpus | None = None) -> np.ndarray:
    """(len(terms), d) unit vectors of the terms; SearchError naming any term the model cannot represent."""
    from engine.embed import embed_queries

    vectors, valid = embed_queries([t.text for t in terms], model_id, store=store, corpus=corpus)
    unknown = [t.text for t, ok in zip(terms, valid) if not ok]
    if unknown:
        raise SearchError(f"{model_id!r} does not know {', '.join(repr(u) for u in unknown)}: "
                          "none of its words are in the model's vocabulary. Use other words.")
    return vectors


def expression_vector(terms: Sequence[Term], corpus: Corpus, model_id: str, *, store: Any) -> np.ndarray:
    """The unit vector of sum(sign × unit(term)) (3CosAdd) in the model's space.

    Raises:
        SearchError: When a term cannot be represented (e.g. a word GloVe does not know) or the
            terms cancel out (an ExpressionError, which is a SearchError).
    """
    return combine(terms, _term_vectors(terms, model_id, store=store, corpus=corpus))


def _input_rows(corpus: Corpus, terms: Sequence[Term]) -> list[int]:
    inputs = {t.text.strip().lower() for t in terms}
    lowered = corpus.frame.select(pl.col(TEXT_COLUMN).str.strip_chars().str.to_lowercase())[TEXT_COLUMN]
    return np.flatnonzero(lowered.is_in(list(inputs)).to_numpy()).tolist()


def arithmetic_search(
    corpus: Corpus,
    index: SearchIndex,
    expression: str,
    *,
    store: Any,
    k: int = 10,
    exclude_inputs: bool = True,
    allowed: Mask | None = None,
) -> SearchResult:
    """Corpus items closest to an expression's vector, input terms excluded by default."""
    k = check_k(k)
    check_index(corpus, index)
    terms = parse_expression(expression)
    vector = expression_vector(terms, corpus, index.model_id, store=store)
    excluded = _input_rows(corpus, terms) if exclude_inputs else []
    rows, scores = search_vector(index, vector, k, allowed=allowed, exclude_rows=excluded)
    return SearchResult(corpus.corpus_id, index.model_id, "arithmetic", expression, hits_frame(corpus, rows, scores),
                        tuple([arithmetic_note(terms, exclude_inputs, len(excluded))] + index_notes(index)
                              + filter_notes(allowed)),
                        {"k": k, "terms": [[t.sign, t.text] for t in terms], "exclude_inputs": exclude_inputs,
                         "target": "corpus"}, vector)


def arithmetic_note(terms: Sequence[Term], exclude_inputs: bool, n_excluded: int | None = None) -> str:
    """One sentence saying how the expression was evaluated and whether its inputs were left out."""
    formula = format_expression(terms)
    if exclude_inputs:
        removed = f" ({n_excluded} matching item(s) removed)" if n_excluded is not None else ""
        return f"Evaluated {formula} as the sum of unit vectors; the input terms are excluded from the results{removed}."
    return f"Evaluated {formula} as the sum of unit vectors; input terms are NOT excluded (they often rank first)."


@dataclass(frozen=True, slots=True, eq=False)
class Vocabulary:
    """A word model's own vocabulary as a searchable space (rows = words, unit vectors)."""

    model_id: str
    words: tuple[str, ...]
    index: SearchIndex
    positions: Mapping[str, int]  # word -> row


def build_vocabulary(encoder: Any, *, model_id: str, limit: int | None = None) -> Vocabulary:
    """Index a word model's vocabulary (e.g. GloVe's 400k words, frequency-ordered; ``limit`` keeps the top)."""
    from engine.index import build_index
    from engine.types import Embeddings

    table = encoder.table[:limit] if limit else encoder.table
    vectors = unit_rows(np.asarray(table))
    valid = np.linalg.norm(vectors, axis=1) > 0
    words = tuple(encoder.words[: vectors.shape[0]])
    index = build_index(Embeddings(f"vocabulary-{model_id}", model_id, vectors, valid), kind="exact")
    return Vocabulary(model_id, words, index, {w: i for i, w in enumerate(words)})


def vocabulary_search(
    vocabulary: Vocabulary, expression: str, *, store: Any, k: int = 10, exclude_inputs: bool = True,
) -> pl.DataFrame:
    """Words of the model's vocabulary closest to the expression: ``rank, word, score`` (cosine)."""
    k = check_k(k)
    terms = parse_expression(expression)
    vector = combine(terms, _term_vectors(terms, vocabulary.model_id, store=store))
    excluded: list[int] = []
    if exclude_inputs:
        for term in terms:
            for word in [term.text.lower(), *term.text.lower().split()]:
                position = vocabulary.positions.get(word)
                if position is not None:
                    excluded.append(position)
    rows, scores = search_vector(vocabulary.index, vector, k, exclude_rows=excluded)
    return pl.DataFrame({
        "rank": np.arange(1, rows.size + 1),
        "word": [vocabulary.words[int(r)] for r in rows],
        "score": scores.astype(np.float64),
    })
