"""Which row is which: the label column of a corpus and short display labels for items.

Hover texts, neighbour lists, search results, axis rankings and comparison tables all show an
item by ``item_labels``: the label column's value (a title, a name, a headline) when the user has
chosen one, else the start of the text. Labels are plain text: callers escape them for their
context (Plotly hover takes a small HTML subset; Streamlit tables show plain text).
"""
from __future__ import annotations

import polars as pl

from engine.types import ID_COLUMN, TEXT_COLUMN, Corpus

# Column names that usually label a row, best first (compared case-insensitively).
LABEL_NAME_HINTS: tuple[str, ...] = (
    "title", "name", "headline", "label", "subject", "heading", "caption", "word", "term", "question",
)
DEFAULT_LABEL_CHARS = 80


def label_candidates(corpus: Corpus) -> list[str]:
    """Metadata columns that can label rows: string or integer columns (not floats)."""
    out = []
    for column, dtype in corpus.frame.schema.items():
        if column in (ID_COLUMN, TEXT_COLUMN):
            continue
        if dtype == pl.String or dtype.is_integer() or dtype == pl.Categorical:
            out.append(column)
    return out


def guess_label_column(corpus: Corpus) -> str | None:
    """A column whose name suggests a label (title, name, headline…) and whose values are mostly
    distinct short strings; None when nothing fits (the text itself is then the label)."""
    candidates = label_candidates(corpus)
    by_lower = {c.lower().strip(): c for c in candidates}
    n = corpus.frame.height
    for hint in LABEL_NAME_HINTS:
        for lowered, column in by_lower.items():
            if lowered == hint or lowered.startswith(hint + "_") or lowered.endswith("_" + hint):
                series = corpus.frame[column]
                if series.dtype != pl.String:
                    continue
                distinct = series.n_unique()
                if n == 0 or distinct >= max(2, int(0.5 * n)):
                    return column
    return None


def shorten(text: str, max_chars: int = DEFAULT_LABEL_CHARS) -> str:
    """Whitespace collapsed to single spaces and cut at ``max_chars`` with an ellipsis."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= max_chars else flat[: max(1, max_chars - 1)].rstrip() + "…"


def item_labels(corpus: Corpus, label_column: str | None = None, *, max_chars: int = DEFAULT_LABEL_CHARS) -> list[str]:
    """One short plain-text label per row: the label column's value, else the text's start.

    A missing or empty label falls back to the text, so every row has something to read.
    """
    texts = corpus.frame[TEXT_COLUMN].to_list()
    if not label_column or label_column not in corpus.frame.columns:
        return [shorten(t, max_chars) for t in texts]
    values = corpus.frame[label_column].cast(pl.String).to_list()
    return [shorten(v, max_chars) if v is not None and str(v).strip() else shorten(t, max_chars)
            for v, t in zip(values, texts)]


def is_identifier_column(series: pl.Series) -> bool:
    """True for a column of unique integers (an article id): a key or label, never a colour scale."""
    if not series.dtype.is_integer():
        return False
    values = series.drop_nulls()
    return values.len() > 1 and values.n_unique() == values.len()
