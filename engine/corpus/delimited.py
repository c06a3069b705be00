"""CSV and TSV: a header row, then one record per row (quotes as in RFC 4180)."""
from __future__ import annotations

import csv
import io

import polars as pl

from engine.corpus.columns import ColumnBuilder
from engine.corpus.lines import BoundedLines
from engine.corpus.source import Budget
from engine.errors import CorpusError

# Python's csv module refuses fields over 128 KiB by default, and reports it as a parse error
# ("check the quotes"); a long text is legitimate and is truncated later, and the size of the
# whole file is bounded by the caps, so the per-field limit is lifted (it is process-wide).
_FIELD_LIMIT = 2**31 - 1


def read_delimited(stream: io.TextIOBase, delimiter: str, budget: Budget) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Parse CSV/TSV text (a stream opened with ``newline=""``) within ``budget``."""
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    lines = BoundedLines(stream, budget.max_cell_chars, '"' + delimiter)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    kind = "TSV" if delimiter == "\t" else "CSV"
    try:
        header = next(reader)
    except StopIteration:
        raise CorpusError("The file is empty: it has no header row and no data. Upload a file with rows of text.") from None
    except csv.Error as exc:
        raise CorpusError(f"Malformed {kind} on line 1: {exc}. Check the quotes on that line.") from None
    header = [h.strip() for h in header]
    if not any(header):
        raise CorpusError("The first line (the header) is empty. Put column names on line 1.")
    budget.columns(len(header))
    names, notes = unique_names(header)
    width = len(names)
    columns = ColumnBuilder(budget, names)
    short_rows = 0
    try:
        for row in reader:
            if not row:  # a blank line
                continue
            if len(row) > width:
                raise CorpusError(
                    f"Malformed {kind} on line {reader.line_num}: it has {len(row)} fields but the header has "
                    f"{width}. Quote text that contains the delimiter ({'tab' if delimiter == chr(9) else 'comma'}), "
                    "or fix that line."
                )
            if len(row) < width:
                short_rows += 1
                row = row + [None] * (width - len(row))  # type: ignore[list-item]
            columns.add_row(row)
    except csv.Error as exc:
        raise CorpusError(
            f"Malformed {kind} on line {reader.line_num}: {exc}. Check the quotes on that line."
        ) from None
    if lines.shortened:
        notes += (f"{lines.shortened:,} value(s) longer than {budget.max_cell_chars:,} characters were cut to that "
                  "length while reading (texts are truncated further, see below).",)
    if short_rows:
        notes += (f"{short_rows} row(s) had fewer fields than the header; the missing fields were left empty.",)
    return columns.frame(), notes


def unique_names(header: list[str]) -> tuple[list[str], tuple[str, ...]]:
    """Distinct column names: blanks become ``column_<n>``, repeats get ``_2``, ``_3``… suffixes
    that collide with no other name in the header (``a,a,a_1`` gives ``a, a_2, a_1``).

    Returns:
        (names, notes) where the notes list every renamed column.
    """
    taken = {raw for raw in header if raw}
    seen: set[str] = set()
    names: list[str] = []
    renamed: list[str] = []
    for position, raw in enumerate(header):
        name = raw or f"column_{position + 1}"
        if name in seen:
            suffix = 2
            while f"{name}_{suffix}" in taken or f"{name}_{suffix}" in seen:
                suffix += 1
            renamed.append(f"{name!r} (column {position + 1}) became '{name}_{suffix}'")
            name = f"{name}_{suffix}"
        seen.add(name)
        names.append(name)
    notes: tuple[str, ...] = ()
    if renamed:
        notes = (f"Repeated column names were renamed so no column is lost: {'; '.join(renamed[:10])}"
                 + (f" and {len(renamed) - 10} more." if len(renamed) > 10 else "."),)
    return names, notes
