"""JSONL: one JSON object per line; nested values are kept as JSON text.

Hostile input is bounded here: a line may hold at most 8 cells' worth of characters (a JSON
record cannot be cut safely, and a 10 MB line costs ~90 MB to parse), nesting deeper than :data:`MAX_DEPTH` is refused with advice,
integers longer than :data:`MAX_INT_DIGITS` digits are kept as their digits (Python refuses to
convert integers over 4,300 digits, and nothing downstream needs them as numbers), and lone
UTF-16 surrogates (``"\\ud800"``, valid JSON but not encodable text) become U+FFFD.
"""
from __future__ import annotations

import io
import json
import re
from array import array

import polars as pl

from engine.corpus.columns import ColumnBuilder
from engine.corpus.source import Budget
from engine.errors import CorpusError

MAX_DEPTH = 64
MAX_INT_DIGITS = 40
_LINE_CELLS = 8  # a record may hold up to 8 cells' worth of characters (512 Ki by default)
_SURROGATE = re.compile("[\ud800-\udfff]")  # a character class: linear time on any input


class _LongInteger(str):
    """An integer too long to be a useful number: kept as its digits."""


class _Counts:
    def __init__(self) -> None:
        self.long_integers = 0
        self.surrogates = 0


def read_jsonl(stream: io.TextIOBase, budget: Budget) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Parse JSON Lines within ``budget``; every cell becomes a string (types are inferred later)."""
    counts = _Counts()

    def parse_int(digits: str) -> int | str:
        if len(digits.lstrip("-")) > MAX_INT_DIGITS:
            counts.long_integers += 1
            return _LongInteger(digits)
        return int(digits)

    decoder = json.JSONDecoder(parse_int=parse_int)  # one decoder: json.loads would build one per line
    columns = ColumnBuilder(budget)
    widths = array("I")  # keys per record, to count records lacking some once all keys are known
    limit = budget.max_cell_chars * _LINE_CELLS
    for line_number, line in enumerate(iter(lambda: stream.readline(limit + 1), ""), start=1):
        if len(line) > limit:
            raise CorpusError(
                f"JSONL line {line_number} is longer than {limit:,} characters. A JSON record cannot be cut "
                "safely, so such lines are not read (texts are truncated to a few thousand characters anyway): "
                "shorten the long values, or save the corpus as CSV or Parquet, where long cells are cut."
            )
        if not line.strip():
            continue
        try:
            record = decoder.decode(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(
                f"Malformed JSONL on line {line_number}: {exc.msg} (column {exc.colno}). "
                "Each line must be one JSON object."
            ) from None
        except (RecursionError, ValueError) as exc:
            raise CorpusError(_depth_message(line_number) if isinstance(exc, RecursionError) else
                              f"Malformed JSONL on line {line_number}: {exc}. Each line must be one JSON object.") from None
        if not isinstance(record, dict):
            raise CorpusError(
                f"Malformed JSONL on line {line_number}: expected a JSON object like "
                f'{{"text": "..."}}, got a {type(record).__name__}.'
            )
        nested = any(isinstance(value, (dict, list)) for value in record.values())
        if nested and _depth(record) > MAX_DEPTH:
            raise CorpusError(_depth_message(line_number))
        columns.add_record({_clean(key, counts): _cell(value, counts) for key, value in record.items()})
        widths.append(len(record))
    if not widths:
        raise CorpusError("The JSONL file has no records. Put one JSON object per line.")
    frame = columns.frame()
    missing = sum(1 for width in widths if width < frame.width)
    notes: list[str] = []
    if missing:
        notes.append(f"{missing} record(s) lacked some fields; those fields were left empty.")
    if counts.long_integers:
        notes.append(f"{counts.long_integers} integer(s) longer than {MAX_INT_DIGITS} digits were kept as text.")
    if counts.surrogates:
        notes.append(f"{counts.surrogates} value(s) held lone UTF-16 surrogates (like \\ud800), which are not "
                     "text; they were replaced by \ufffd.")
    return frame, tuple(notes)


def _depth_message(line_number: int) -> str:
    return (f"JSONL line {line_number} is nested more than {MAX_DEPTH} levels deep. Flatten the nested values "
            "(metadata is kept as text anyway), or drop that field.")


def _depth(value: object) -> int:
    """Nesting depth, counted without recursion and without going past MAX_DEPTH + 1."""
    depth, level = 0, [value]
    while level and depth <= MAX_DEPTH:
        depth += 1
        level = [child for item in level if isinstance(item, (dict, list))
                 for child in (item.values() if isinstance(item, dict) else item)
                 if isinstance(child, (dict, list))]
    return depth


def _clean(text: str, counts: _Counts) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        counts.surrogates += 1
        return _SURROGATE.sub("\ufffd", text)
    return text


def _cell(value: object, counts: _Counts) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):  # _LongInteger too: its digits
        return _clean(str(value), counts)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return _clean(json.dumps(value, ensure_ascii=False), counts)
