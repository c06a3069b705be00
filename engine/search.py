"""Search a corpus: semantic, keyword/regex, hybrid (BM25 + dense by reciprocal rank fusion),
vector arithmetic, "more like this", and the same query across models.

Every search returns a :class:`SearchResult` whose ``hits`` frame has the columns
``rank, score, id, text`` first, then mode-specific columns (``dense_rank``, ``bm25_rank``…), the
corpus metadata, and ``row`` (the corpus row). Metadata filters are a boolean row mask
(:func:`filter_mask`) that every mode accepts as ``allowed``.

Example:
    >>> from engine.corpus import corpus_from_texts
    >>> corpus, _ = corpus_from_texts(["Red apples", "green pears", "an apple pie"], name="fruit")
    >>> keyword_search(corpus, "apple").ids
    ['0', '2']
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl

from engine.errors import SearchError
from engine.filters import MetadataFilter, filter_mask  # noqa: F401  (re-exported for callers)
from engine.index import SearchIndex, search_vector
from engine.types import ID_COLUMN, TEXT_COLUMN, Corpus, Mask

SearchMode = Literal["semantic", "keyword", "hybrid", "arithmetic", "similar"]
SEARCH_MODES: tuple[str, ...] = ("semantic", "keyword", "hybrid", "arithmetic", "similar")
RRF_K = 60  # the constant of reciprocal rank fusion (Cormack et al. 2009)
HYBRID_CANDIDATES = 200  # dense and BM25 candidates fused per query
MAX_K = 1000


@dataclass(frozen=True, slots=True, eq=False)
class SearchResult:
    """Ranked hits for one query in one model (``model_id`` is None for keyword search).

    Attributes:
        corpus_id: The corpus searched.
        model_id: The model whose space was searched, or None (keyword search).
        mode: One of :data:`SEARCH_MODES`.
        query: The query as the user typed it.
        hits: Frame ``rank, score, id, text, <mode columns>, <metadata>, row``, best first.
        notes: Plain sentences for the user (excluded terms, approximate index, weighting…).
        params: JSON-ready parameters (k, weights, how to highlight matches…).
    """

    corpus_id: str
    model_id: str | None
    mode: str
    query: str
    hits: pl.DataFrame
    notes: tuple[str, ...] = ()
    params: dict = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return self.hits[ID_COLUMN].to_list()

    @property
    def scores(self) -> list[float]:
        return [float(s) for s in self.hits["score"].to_list()]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (CLI ``--json``)."""
        return {
            "corpus_id": self.corpus_id, "model_id": self.model_id, "mode": self.mode, "query": self.query,
            "notes": list(self.notes), "params": self.params, "hits": self.hits.to_dicts(),
        }


# -- helpers ---------------------------------------------------------------------------------------
def _check_k(k: int) -> int:
    if not isinstance(k, (int, np.integer)) or k < 1:
        raise SearchError(f"k must be a whole number of at least 1, got {k!r}.")
    return int(min(k, MAX_K))


def _hits_frame(corpus: Corpus, rows: np.ndarray, scores: np.ndarray, extra: Mapping[str, Any] | None = None) -> pl.DataFrame:
    rows = np.asarray(rows, dtype=np.int64)
    base = corpus.frame.with_row_index("row")[rows] if rows.size else corpus.frame.with_row_index("row").head(0)
    columns: dict[str, Any] = {
        "rank": pl.Series("rank", np.arange(1, rows.size + 1), dtype=pl.Int64),
        "score": pl.Series("score", np.asarray(scores, dtype=np.float64), dtype=pl.Float64),
    }
    front = pl.DataFrame(columns)
    extras = pl.DataFrame({name: values for name, values in (extra or {}).items()}) if extra else None
    metadata = [c for c in corpus.frame.columns if c not in (ID_COLUMN, TEXT_COLUMN)]
    parts = [front, base.select(ID_COLUMN, TEXT_COLUMN)]
    if extras is not None and extras.width:
        parts.append(extras)
    parts.append(base.select(*metadata, pl.col("row").cast(pl.Int64)))
    return pl.concat(parts, how="horizontal")


def _row_of(corpus: Corpus, item_id: str) -> int:
    positions = corpus.frame.with_row_index("row").filter(pl.col(ID_COLUMN) == str(item_id))["row"]
    if positions.len() == 0:
        raise SearchError(f"No item with id {item_id!r} in corpus {corpus.name!r}.")
    return int(positions[0])


def _index_note(index: SearchIndex) -> list[str]:
    notes = []
    if index.kind == "hnsw":
        notes.append(f"Searched an {index.describe()}; results are approximate.")
    missing = index.n_rows - index.n_valid
    if missing:
        notes.append(f"{missing:,} rows this model cannot represent are never returned.")
    return notes


def _check_index(corpus: Corpus, index: SearchIndex) -> None:
    if index.corpus_id != corpus.corpus_id or index.n_rows != len(corpus):
        raise SearchError("This index was built for another corpus; rebuild it for the active corpus.")


# -- metadata filters: the one filter model lives in engine.filters ----------------------------


def _filter_notes(allowed: Mask | None) -> list[str]:
    if allowed is None:
        return []
    return [f"Metadata filter keeps {int(np.sum(allowed)):,} of {len(allowed):,} rows."]


# -- semantic --------------------------------------------------------------------------------------
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
    k = _check_k(k)
    _check_index(corpus, index)
    vector = embed_query(query, corpus, index.model_id, store=store)
    rows, scores = search_vector(index, vector, k, allowed=allowed)
    return SearchResult(corpus.corpus_id, index.model_id, "semantic", query, _hits_frame(corpus, rows, scores),
                        tuple(_index_note(index) + _filter_notes(allowed)), {"k": k, "metric": "cosine"})


def more_like_this(
    corpus: Corpus, index: SearchIndex, item_id: str, *, k: int = 10, allowed: Mask | None = None,
) -> SearchResult:
    """The k items closest to one corpus item (the item itself is left out)."""
    k = _check_k(k)
    _check_index(corpus, index)
    row = _row_of(corpus, item_id)
    position = np.searchsorted(index.rows, row)
    if position >= index.n_valid or index.rows[position] != row:
        raise SearchError(f"Item {item_id!r} has no vector in {index.model_id!r} (none of its words are known).")
    rows, scores = search_vector(index, index.matrix[position], k, allowed=allowed, exclude_rows=[row])
    text = corpus.frame[TEXT_COLUMN][row]
    return SearchResult(corpus.corpus_id, index.model_id, "similar", text, _hits_frame(corpus, rows, scores),
                        tuple([f"Items like {item_id!r}; the item itself is left out."] + _index_note(index)
                              + _filter_notes(allowed)),
                        {"k": k, "item_id": str(item_id)})


# -- keyword / regex ---------------------------------------------------------------------------------
def _pattern(query: str, *, regex: bool, case_sensitive: bool) -> str:
    if not query:
        raise SearchError("Type a word or a regular expression first.")
    body = query if regex else re.escape(query)
    return body if case_sensitive else f"(?i){body}"


def keyword_search(
    corpus: Corpus,
    query: str,
    *,
    regex: bool = False,
    case_sensitive: bool = False,
    columns: Sequence[str] | None = None,
    k: int | None = None,
    allowed: Mask | None = None,
) -> SearchResult:
    """Rows whose text (or chosen metadata columns) match a word or a regular expression.

    Ranked by the number of matches in the text (then corpus order); ``score`` is that count.

    Args:
        corpus: The corpus.
        query: Literal text, or a regular expression when ``regex`` (Rust regex syntax, as polars).
        regex: Treat ``query`` as a regular expression.
        case_sensitive: Match case exactly.
        columns: Columns to search (default: the text only); metadata values are matched as text.
        k: Keep at most k hits (default: all).
        allowed: Optional metadata filter mask.

    Raises:
        SearchError: For an empty query, an invalid regular expression, or an unknown column.
    """
    pattern = _pattern(query, regex=regex, case_sensitive=case_sensitive)
    columns = list(columns) if columns else [TEXT_COLUMN]
    unknown = [c for c in columns if c not in corpus.frame.columns]
    if unknown:
        raise SearchError(f"No column {unknown[0]!r} to search. Columns: {', '.join(corpus.frame.columns)}.")
    if regex:
        try:
            re.compile(query)
        except re.error as exc:
            raise SearchError(f"Invalid regular expression {query!r}: {exc}. Escape special characters "
                              r"such as ( [ * + ? with a backslash, or search it as plain text.") from None
    frame = corpus.frame.with_row_index("row")
    try:
        matched = frame.select(
            "row",
            pl.col(TEXT_COLUMN).str.count_matches(pattern).alias("_count"),
            *[pl.col(c).cast(pl.String).str.contains(pattern).fill_null(False).alias(f"_in_{i}")
              for i, c in enumerate(columns)],
        )
    except (pl.exceptions.ComputeError, pl.exceptions.PolarsError) as exc:
        raise SearchError(f"Invalid regular expression {query!r}: {str(exc).splitlines()[0]}") from None
    any_match = pl.any_horizontal([pl.col(f"_in_{i}") for i in range(len(columns))])
    matched = matched.with_columns(
        pl.concat_list([pl.when(pl.col(f"_in_{i}")).then(pl.lit(c)) for i, c in enumerate(columns)])
        .list.drop_nulls().list.join(", ").alias("matched_in")
    ).filter(any_match)
    if allowed is not None:
        matched = matched.filter(pl.Series(np.asarray(allowed, dtype=bool))[matched["row"]])
    matched = matched.sort(["_count", "row"], descending=[True, False])
    total = matched.height
    if k is not None:
        matched = matched.head(_check_k(k))
    rows = matched["row"].to_numpy().astype(np.int64)
    hits = _hits_frame(corpus, rows, matched["_count"].to_numpy(), {"matched_in": matched["matched_in"].to_list()})
    what = "regular expression" if regex else "text"
    notes = [f"{total:,} rows match the {what} {query!r}" + (f"; showing the first {hits.height:,}." if hits.height < total else ".")]
    return SearchResult(corpus.corpus_id, None, "keyword", query, hits, tuple(notes + _filter_notes(allowed)),
                        {"k": k, "regex": regex, "case_sensitive": case_sensitive, "columns": columns,
                         "total_matches": total,
                         "highlight": {"pattern": query, "regex": regex, "case_sensitive": case_sensitive}})


def highlight_spans(text: str, pattern: str, *, regex: bool = False, case_sensitive: bool = False,
                    limit: int = 200) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) character spans of ``pattern`` in ``text`` (empty if it cannot compile)."""
    if not pattern or not text:
        return []
    try:
        compiled = re.compile(pattern if regex else re.escape(pattern), 0 if case_sensitive else re.IGNORECASE)
    except re.error:
        return []
    spans = []
    for match in compiled.finditer(text):
        if match.end() > match.start():
            spans.append((match.start(), match.end()))
        if len(spans) >= limit:
            break
    return spans


# -- BM25 and hybrid -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class BM25Index:
    """A bm25s index over a corpus's texts (English stopwords removed, no stemming)."""

    corpus_id: str
    retriever: Any
    n_rows: int


def _tokenize(texts: Sequence[str]) -> Any:
    import bm25s

    return bm25s.tokenize(list(texts), stopwords="en", show_progress=False)


def build_bm25(corpus: Corpus) -> BM25Index:
    """Index the corpus texts for BM25 (bm25s, Lucene scoring)."""
    import bm25s

    retriever = bm25s.BM25()
    retriever.index(_tokenize(corpus.texts), show_progress=False)
    return BM25Index(corpus.corpus_id, retriever, len(corpus))


def bm25_scores(bm25: BM25Index, query: str) -> np.ndarray:
    """(n,) BM25 score of every row for the query (0 where no query word occurs)."""
    import bm25s

    tokens = bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)[0]
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
    k = _check_k(k)
    _check_index(corpus, index)
    if not 0.0 <= dense_weight <= 1.0:
        raise SearchError(f"dense_weight must be between 0 and 1, got {dense_weight}.")
    if bm25.corpus_id != corpus.corpus_id:
        raise SearchError("This BM25 index was built for another corpus.")
    n = len(corpus)
    candidates = max(candidates, k)
    dense_rows, dense_scores = search_vector(index, embed_query(query, corpus, index.model_id, store=store),
                                             candidates, allowed=allowed)
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
    tokens = _query_words(query)
    notes = [f"Reciprocal rank fusion: {dense_weight:.2f} × dense (cosine rank) + {1 - dense_weight:.2f} × BM25 "
             f"(keyword rank), each as weight / ({rrf_k} + rank) over the top {candidates} of each list."]
    return SearchResult(corpus.corpus_id, index.model_id, "hybrid", query, _hits_frame(corpus, pool, fused[pool], extra),
                        tuple(notes + _index_note(index) + _filter_notes(allowed)),
                        {"k": k, "dense_weight": dense_weight, "bm25_weight": 1.0 - dense_weight, "rrf_k": rrf_k,
                         "candidates": candidates,
                         "highlight": {"pattern": r"\b(?:" + "|".join(re.escape(t) for t in tokens) + r")\b",
                                       "regex": True, "case_sensitive": False} if tokens else None})


def _query_words(query: str) -> list[str]:
    import bm25s

    return bm25s.tokenize([query], stopwords="en", return_ids=False, show_progress=False)[0]


# -- vector arithmetic -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Term:
    """One term of an expression: ``sign`` is +1 or -1, ``text`` a word or a quoted phrase."""

    sign: int
    text: str


def parse_expression(expression: str) -> tuple[Term, ...]:
    """Parse ``king - man + woman`` or ``"a review about food" - "negative"`` into terms.

    ``+`` and ``-`` are operators at the start or after a space or a quoted phrase; inside a word
    (``well-known``) they are part of it. Unquoted words between operators form one term.

    Raises:
        SearchError: For an empty expression, an empty term, an unclosed quote or two operators in a row.
    """
    terms: list[Term] = []
    sign: int | None = None
    buffer = ""
    i = 0
    text = expression or ""

    def flush() -> None:
        nonlocal buffer, sign
        word = " ".join(buffer.split())
        if word:
            terms.append(Term(sign if sign is not None else 1, word))
            sign = None
        buffer = ""

    while i < len(text):
        char = text[i]
        if char == '"':
            if buffer.strip():
                raise SearchError(f"Put an operator (+ or -) before the quoted phrase at position {i + 1}.")
            end = text.find('"', i + 1)
            if end < 0:
                raise SearchError(f"Unclosed quote at position {i + 1} in {expression!r}.")
            phrase = " ".join(text[i + 1:end].split())
            if not phrase:
                raise SearchError(f'Empty quoted phrase "" at position {i + 1}.')
            if terms and sign is None:
                raise SearchError(f"Put an operator (+ or -) before the quoted phrase at position {i + 1}.")
            terms.append(Term(sign if sign is not None else 1, phrase))
            sign = None
            i = end + 1
            continue
        if char in "+-" and (not buffer.strip() or buffer[-1].isspace()):
            flush()
            if sign is not None:
                raise SearchError(f"Two operators in a row at position {i + 1} in {expression!r}.")
            sign = 1 if char == "+" else -1
            i += 1
            continue
        if terms and sign is None and not buffer and not char.isspace():
            raise SearchError(f"Put an operator (+ or -) before {text[i:].split()[0]!r}.")
        buffer += char
        i += 1
    flush()
    if sign is not None:
        raise SearchError(f"The expression {expression!r} ends with an operator: add a term after it.")
    if not terms:
        raise SearchError('Type an expression such as  king - man + woman  or  "a review about food" - "negative".')
    return tuple(terms)


def expression_vector(terms: Sequence[Term], corpus: Corpus, model_id: str, *, store: Any) -> np.ndarray:
    """The unit vector of sum(sign × unit(term)) (3CosAdd) in the model's space.

    Raises:
        SearchError: When a term cannot be represented (e.g. a word GloVe does not know) or the
            terms cancel out.
    """
    from engine.embed import embed_queries

    vectors, valid = embed_queries([t.text for t in terms], model_id, store=store, corpus=corpus)
    unknown = [t.text for t, ok in zip(terms, valid) if not ok]
    if unknown:
        raise SearchError(f"{model_id!r} cannot represent {', '.join(repr(u) for u in unknown)}: "
                          "none of its words are in the model's vocabulary. Use other words.")
    signs = np.array([t.sign for t in terms], dtype=np.float32)
    combined = (signs[:, None] * vectors).sum(axis=0)
    norm = float(np.linalg.norm(combined))
    if norm < 1e-6:
        raise SearchError("The terms cancel out (the result is a zero vector); change the expression.")
    return (combined / norm).astype(np.float32)


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
    k = _check_k(k)
    _check_index(corpus, index)
    terms = parse_expression(expression)
    vector = expression_vector(terms, corpus, index.model_id, store=store)
    excluded = _input_rows(corpus, terms) if exclude_inputs else []
    rows, scores = search_vector(index, vector, k, allowed=allowed, exclude_rows=excluded)
    return SearchResult(corpus.corpus_id, index.model_id, "arithmetic", expression, _hits_frame(corpus, rows, scores),
                        tuple([_arithmetic_note(terms, exclude_inputs, len(excluded))] + _index_note(index)
                              + _filter_notes(allowed)),
                        {"k": k, "terms": [[t.sign, t.text] for t in terms], "exclude_inputs": exclude_inputs,
                         "target": "corpus"})


def _arithmetic_note(terms: Sequence[Term], exclude_inputs: bool, n_excluded: int | None = None) -> str:
    formula = " ".join(("+ " if t.sign > 0 else "- ") + (f'"{t.text}"' if " " in t.text else t.text) for t in terms)
    formula = formula[2:] if formula.startswith("+ ") else formula
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
    from engine.embed import normalize_rows
    from engine.index import build_index
    from engine.types import Embeddings

    table = encoder.table[:limit] if limit else encoder.table
    vectors = normalize_rows(np.asarray(table))
    valid = np.linalg.norm(vectors, axis=1) > 0
    words = tuple(encoder.words[: vectors.shape[0]])
    index = build_index(Embeddings(f"vocabulary-{model_id}", model_id, vectors, valid), kind="exact")
    return Vocabulary(model_id, words, index, {w: i for i, w in enumerate(words)})


def vocabulary_search(
    vocabulary: Vocabulary, expression: str, *, store: Any, k: int = 10, exclude_inputs: bool = True,
) -> pl.DataFrame:
    """Words of the model's vocabulary closest to the expression: ``rank, word, score``."""
    from engine.embed import embed_queries

    k = _check_k(k)
    terms = parse_expression(expression)
    vectors, valid = embed_queries([t.text for t in terms], vocabulary.model_id, store=store)
    unknown = [t.text for t, ok in zip(terms, valid) if not ok]
    if unknown:
        raise SearchError(f"{vocabulary.model_id!r} does not know {', '.join(repr(u) for u in unknown)}. Use other words.")
    signs = np.array([t.sign for t in terms], dtype=np.float32)
    combined = (signs[:, None] * vectors).sum(axis=0)
    if np.linalg.norm(combined) < 1e-6:
        raise SearchError("The terms cancel out (the result is a zero vector); change the expression.")
    excluded: list[int] = []
    if exclude_inputs:
        for term in terms:
            for word in [term.text.lower(), *term.text.lower().split()]:
                position = vocabulary.positions.get(word)
                if position is not None:
                    excluded.append(position)
    rows, scores = search_vector(vocabulary.index, combined, k, exclude_rows=excluded)
    return pl.DataFrame({
        "rank": np.arange(1, rows.size + 1),
        "word": [vocabulary.words[int(r)] for r in rows],
        "score": scores.astype(np.float64),
    })


# -- one entry point, and across models ------------------------------------------------------------
def run_search(
    corpus: Corpus,
    query: str,
    *,
    mode: SearchMode,
    store: Any,
    index: SearchIndex | None = None,
    bm25: BM25Index | None = None,
    k: int = 10,
    allowed: Mask | None = None,
    dense_weight: float = 0.5,
    regex: bool = False,
    case_sensitive: bool = False,
    exclude_inputs: bool = True,
) -> SearchResult:
    """Dispatch one search by mode (the CLI and the page use this).

    Raises:
        SearchError: For an unknown mode, or a mode whose index was not given.
    """
    if mode not in SEARCH_MODES:
        raise SearchError(f"Unknown search mode {mode!r}: use one of {', '.join(SEARCH_MODES)}.")
    if mode == "keyword":
        return keyword_search(corpus, query, regex=regex, case_sensitive=case_sensitive, k=k, allowed=allowed)
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


def overlap_at_k(results: Mapping[str, SearchResult]) -> pl.DataFrame:
    """Pairwise overlap of hit sets: ``model_a, model_b, shared, overlap`` (shared / k, in [0, 1])."""
    names = list(results)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            ids_a, ids_b = set(results[a].ids), set(results[b].ids)
            k = max(len(ids_a), len(ids_b), 1)
            shared = len(ids_a & ids_b)
            rows.append({"model_a": a, "model_b": b, "shared": shared, "overlap": shared / k})
    return pl.DataFrame(rows, schema={"model_a": pl.String, "model_b": pl.String, "shared": pl.Int64,
                                      "overlap": pl.Float64})


def mark_unique(results: Mapping[str, SearchResult]) -> dict[str, SearchResult]:
    """Each result with a ``found_only_here`` column: True for hits no other model returned."""
    marked = {}
    for name, result in results.items():
        others: set[str] = set()
        for other, other_result in results.items():
            if other != name:
                others |= set(other_result.ids)
        only = [item not in others for item in result.ids] if len(results) > 1 else [False] * result.hits.height
        hits = result.hits.with_columns(pl.Series("found_only_here", only, dtype=pl.Boolean))
        marked[name] = SearchResult(result.corpus_id, result.model_id, result.mode, result.query, hits,
                                    result.notes, result.params)
    return marked
