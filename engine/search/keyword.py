"""Keyword and regular-expression search, and match highlighting, on ONE linear-time engine.

Every user pattern is validated, matched and highlighted by polars' Rust ``regex`` crate, which
guarantees time linear in the text for any pattern (no backtracking). Python's ``re`` must never
see a user pattern: ``(\\w+\\s?)+\\.`` once froze the whole server for 50 s in the highlighter
(issue 8.13). The price is the syntax Rust regex leaves out (look-around, back-references);
:func:`compile_pattern` turns those into a message that says what to write instead.

Highlighting asks the same engine for the spans: ``str.replace_all`` wraps every match in two
private-use sentinel characters, and the spans are read back from where they landed (one split,
linear). Sentinels already in a text are replaced by U+FFFD first, so they cannot forge a span.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from engine.errors import SearchError
from engine.search.results import SearchResult, check_k, filter_notes, hits_frame
from engine.types import TEXT_COLUMN, Corpus, Mask

MAX_PATTERN_CHARS = 500  # longer patterns are refused: they also bound the compiled size
MAX_SPANS = 200  # highlighted matches per text
_RUST_META = frozenset("\\.+*?()|[]{}^$#&-~")  # regex_syntax::is_meta_character
_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use sentinels around each match when highlighting


def escape(text: str) -> str:
    """``text`` as a Rust-regex pattern that matches it literally (as ``regex::escape``)."""
    return "".join("\\" + c if c in _RUST_META else c for c in text)


def compile_pattern(query: str, *, regex: bool, case_sensitive: bool) -> str:
    """The polars (Rust regex) pattern for a query, validated by that same engine.

    Args:
        query: Literal text, or a regular expression when ``regex`` (Rust regex syntax).
        regex: Treat ``query`` as a regular expression; otherwise it is matched literally.
        case_sensitive: Match case exactly (else the pattern gets the ``(?i)`` flag).

    Raises:
        SearchError: For an empty or over-long query, or a pattern the engine cannot run, with
            what to write instead (look-around, back-references, a too-large repetition).
    """
    if not query:
        raise SearchError("Type a word or a regular expression first.")
    if len(query) > MAX_PATTERN_CHARS:
        raise SearchError(f"The {'pattern' if regex else 'text'} is {len(query):,} characters long; "
                          f"search for at most {MAX_PATTERN_CHARS} characters.")
    body = query if regex else escape(query)
    pattern = body if case_sensitive else f"(?i){body}"
    if regex:
        try:
            pl.select(pl.lit("").str.contains(pattern))
        except pl.exceptions.PolarsError as exc:
            raise SearchError(_regex_advice(query, str(exc))) from None
    return pattern


def _regex_advice(query: str, message: str) -> str:
    """A clear message from the Rust regex error text."""
    lowered = message.lower()
    if "look-around" in lowered:
        return (f"Invalid regular expression {query!r}: look-around ((?=…), (?!…), (?<=…), (?<!…)) is not "
                r"supported, because searches must run in linear time. Match the context itself instead, "
                r"e.g. fire\s+season rather than fire(?=\s+season), or use \b for word boundaries.")
    if "backreference" in lowered:
        return (f"Invalid regular expression {query!r}: back-references (\\1, \\k<name>) are not supported, "
                r"because searches must run in linear time. Write the repeated text out, e.g. (the) the "
                r"rather than (the) \1.")
    if "size limit" in lowered:
        return (f"Invalid regular expression {query!r}: it is too large once compiled (nested or large "
                "counted repetitions such as {1000}). Use smaller repetition counts.")
    detail = next((line.strip() for line in message.splitlines() if line.strip().startswith("error:")), "")
    detail = detail.removeprefix("error:").strip() or message.splitlines()[0]
    return (f"Invalid regular expression {query!r}: {detail}. Escape special characters such as ( [ * + ? "
            "with a backslash, or untick 'Regular expression' to search it as plain text.")


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
    pattern = compile_pattern(query, regex=regex, case_sensitive=case_sensitive)
    columns = list(columns) if columns else [TEXT_COLUMN]
    unknown = [c for c in columns if c not in corpus.frame.columns]
    if unknown:
        raise SearchError(f"No column {unknown[0]!r} to search. Columns: {', '.join(corpus.frame.columns)}.")
    frame = corpus.frame.with_row_index("_row")
    try:
        matched = frame.select(
            "_row",
            pl.col(TEXT_COLUMN).str.count_matches(pattern).alias("_count"),
            *[pl.col(c).cast(pl.String).str.contains(pattern).fill_null(False).alias(f"_in_{i}")
              for i, c in enumerate(columns)],
        )
    except pl.exceptions.PolarsError as exc:  # validated above; kept so no engine error escapes untyped
        raise SearchError(_regex_advice(query, str(exc))) from None
    any_match = pl.any_horizontal([pl.col(f"_in_{i}") for i in range(len(columns))])
    matched = matched.with_columns(
        pl.concat_list([pl.when(pl.col(f"_in_{i}")).then(pl.lit(c)) for i, c in enumerate(columns)])
        .list.drop_nulls().list.join(", ").alias("_matched_in")
    ).filter(any_match)
    if allowed is not None:
        matched = matched.filter(pl.Series(np.asarray(allowed, dtype=bool))[matched["_row"]])
    matched = matched.sort(["_count", "_row"], descending=[True, False])
    total = matched.height
    if k is not None:
        matched = matched.head(check_k(k))
    rows = matched["_row"].to_numpy().astype(np.int64)
    hits = hits_frame(corpus, rows, matched["_count"].to_numpy(), {"matched_in": matched["_matched_in"].to_list()})
    what = "regular expression" if regex else "text"
    notes = [f"{total:,} rows match the {what} {query!r}"
             + (f"; showing the first {hits.height:,}." if hits.height < total else ".")]
    return SearchResult(corpus.corpus_id, None, "keyword", query, hits, tuple(notes + filter_notes(allowed)),
                        {"k": k, "regex": regex, "case_sensitive": case_sensitive, "columns": columns,
                         "total_matches": total,
                         "highlight": {"pattern": query, "regex": regex, "case_sensitive": case_sensitive}})


def highlight_spans_many(texts: Sequence[str], pattern: str, *, regex: bool = False, case_sensitive: bool = False,
                         limit: int = MAX_SPANS) -> list[list[tuple[int, int]]]:
    """For each text, its non-overlapping (start, end) character spans of ``pattern`` (at most ``limit``).

    Matching runs in polars (Rust regex, linear time), exactly as :func:`keyword_search` does.
    An empty or invalid pattern highlights nothing.
    """
    texts = [str(t) if t is not None else "" for t in texts]
    try:
        compiled = compile_pattern(pattern, regex=regex, case_sensitive=case_sensitive)
    except SearchError:
        return [[] for _ in texts]
    if not texts:
        return []
    cleaned = pl.Series("t", [t.replace(_OPEN, "\ufffd").replace(_CLOSE, "\ufffd") for t in texts], dtype=pl.String)
    marked = cleaned.str.replace_all(compiled, f"{_OPEN}${{0}}{_CLOSE}").to_list()
    return [_spans_from_marks(m, limit) for m in marked]


def _spans_from_marks(marked: str, limit: int) -> list[tuple[int, int]]:
    pieces = marked.split(_OPEN)
    position = len(pieces[0])
    spans: list[tuple[int, int]] = []
    for piece in pieces[1:]:
        match, _, after = piece.partition(_CLOSE)
        if match and len(spans) < limit:  # empty matches (e.g. x*) mark nothing
            spans.append((position, position + len(match)))
        position += len(match) + len(after)
    return spans


def highlight_spans(text: str, pattern: str, *, regex: bool = False, case_sensitive: bool = False,
                    limit: int = MAX_SPANS) -> list[tuple[int, int]]:
    """Non-overlapping (start, end) character spans of ``pattern`` in ``text`` (empty if it cannot compile)."""
    if not text:
        return []
    return highlight_spans_many([text], pattern, regex=regex, case_sensitive=case_sensitive, limit=limit)[0]
