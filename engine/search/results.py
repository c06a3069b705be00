"""The value every search returns, and the one place that builds its hits frame.

A hits frame has the result columns first (``rank, score, id, text``), then the mode's own
columns (``dense_rank``, ``bm25_rank``…), then the corpus metadata, then ``row``. Result column
names are reserved (:data:`RESULT_COLUMNS`): a metadata column with one of those names (a user
column called ``score``, ``row`` or ``rank``) is shown as ``"<name> (metadata)"`` in every mode,
so the two can never collide (issue 8.15) and the same user column has the same name everywhere.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from engine.errors import SearchError
from engine.index import SearchIndex
from engine.types import ID_COLUMN, TEXT_COLUMN, Corpus, Mask

MAX_K = 1000
ROW_COLUMN = "row"

# Every column a result (or an export of several results) may add; metadata never takes these names.
RESULT_COLUMNS: frozenset[str] = frozenset({
    "rank", "score", ID_COLUMN, TEXT_COLUMN, ROW_COLUMN,
    "matched_in",  # keyword
    "dense_rank", "bm25_rank", "dense_part", "bm25_part", "cosine", "bm25",  # hybrid
    "found_only_here",  # across models (mark_unique)
    "model", "word",  # exports of several models; vocabulary hits
})
METADATA_SUFFIX = " (metadata)"


def metadata_names(columns: list[str]) -> dict[str, str]:
    """Corpus metadata column -> its name in a hits frame (renamed only when it is reserved).

    The new name never collides with a result column or another metadata column either.
    """
    taken = set(RESULT_COLUMNS) | set(columns)
    names: dict[str, str] = {}
    for column in columns:
        if column not in RESULT_COLUMNS:
            names[column] = column
            continue
        candidate, n = f"{column}{METADATA_SUFFIX}", 2
        while candidate in taken:
            candidate, n = f"{column} (metadata {n})", n + 1
        taken.add(candidate)
        names[column] = candidate
    return names


@dataclass(frozen=True, slots=True, eq=False)
class SearchResult:
    """Ranked hits for one query in one model (``model_id`` is None for keyword search).

    Attributes:
        corpus_id: The corpus searched.
        model_id: The model whose space was searched, or None (keyword search).
        mode: One of ``engine.search.SEARCH_MODES``.
        query: The query as the user typed it.
        hits: Frame ``rank, score, id, text, <mode columns>, <metadata>, row``, best first.
        notes: Plain sentences for the user (excluded terms, approximate index, weighting…).
        params: JSON-ready parameters (k, weights, how to highlight matches…).
        query_vector: The unit vector that was searched for (semantic, hybrid and arithmetic
            searches), so a map can place the query among the items; None otherwise.
    """

    corpus_id: str
    model_id: str | None
    mode: str
    query: str
    hits: pl.DataFrame
    notes: tuple[str, ...] = ()
    params: dict = field(default_factory=dict)
    query_vector: np.ndarray | None = field(default=None, repr=False)

    @property
    def ids(self) -> list[str]:
        return self.hits[ID_COLUMN].to_list()

    @property
    def scores(self) -> list[float]:
        return [float(s) for s in self.hits["score"].to_list()]

    @property
    def rows(self) -> list[int]:
        """Corpus row of each hit, best first."""
        return [int(r) for r in self.hits[ROW_COLUMN].to_list()]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (CLI ``--json``)."""
        return {
            "corpus_id": self.corpus_id, "model_id": self.model_id, "mode": self.mode, "query": self.query,
            "notes": list(self.notes), "params": self.params, "hits": self.hits.to_dicts(),
        }

    def replace_hits(self, hits: pl.DataFrame) -> "SearchResult":
        return SearchResult(self.corpus_id, self.model_id, self.mode, self.query, hits, self.notes, self.params,
                            self.query_vector)


def check_k(k: int) -> int:
    """k as an int in [1, MAX_K]."""
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or k < 1:
        raise SearchError(f"k must be a whole number of at least 1, got {k!r}.")
    return int(min(k, MAX_K))


def hits_frame(corpus: Corpus, rows: np.ndarray, scores: np.ndarray,
               extra: Mapping[str, Any] | None = None) -> pl.DataFrame:
    """The hits frame for corpus ``rows`` (best first) with their ``scores`` and mode columns."""
    rows = np.asarray(rows, dtype=np.int64)
    unknown = [name for name in (extra or {}) if name not in RESULT_COLUMNS]
    if unknown:  # a new mode column must be reserved, or it could collide with metadata
        raise ValueError(f"Add {unknown} to RESULT_COLUMNS.")
    metadata = [c for c in corpus.frame.columns if c not in (ID_COLUMN, TEXT_COLUMN)]
    renamed = metadata_names(metadata)
    base = corpus.frame[rows] if rows.size else corpus.frame.head(0)
    parts = [
        pl.DataFrame({
            "rank": pl.Series("rank", np.arange(1, rows.size + 1), dtype=pl.Int64),
            "score": pl.Series("score", np.asarray(scores, dtype=np.float64), dtype=pl.Float64),
        }),
        base.select(ID_COLUMN, TEXT_COLUMN),
    ]
    if extra:
        parts.append(pl.DataFrame(dict(extra)))
    parts.append(base.select([pl.col(c).alias(renamed[c]) for c in metadata]))
    parts.append(pl.DataFrame({ROW_COLUMN: pl.Series(ROW_COLUMN, rows, dtype=pl.Int64)}))
    return pl.concat([p for p in parts if p.width], how="horizontal")


def check_index(corpus: Corpus, index: SearchIndex) -> None:
    if index.corpus_id != corpus.corpus_id or index.n_rows != len(corpus):
        raise SearchError("This index was built for another corpus; rebuild it for the active corpus.")


def index_notes(index: SearchIndex) -> list[str]:
    notes = []
    if index.kind == "hnsw":
        notes.append(f"Searched an {index.describe()}; results are approximate.")
    missing = index.n_rows - index.n_valid
    if missing:
        notes.append(f"{missing:,} rows this model cannot represent are never returned.")
    return notes


def filter_notes(allowed: Mask | None) -> list[str]:
    if allowed is None:
        return []
    return [f"Metadata filter keeps {int(np.sum(allowed)):,} of {len(allowed):,} rows."]
