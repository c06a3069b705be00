"""CSV and TSV: a header row, then one record per row (quotes as in RFC 4180)."""
from __future__ import annotations

import csv
import io

import polars as pl

from engine.errors import CorpusError

# Python's csv module refuses fields over 128 KiB by default, and reports it as a parse error
# ("check the quotes"); a long text is legitimate and is truncated later, and the size of the
# whole file is bounded by the caps, so the per-field limit is lifted (it is process-wide).
_FIELD_LIMIT = 2**31 - 1


def parse_delimited(text: str, delimiter: str) -> tuple[pl.DataFrame, tuple[str, ...]]:
    if csv.field_size_limit() < _FIELD_LIMIT:
        csv.field_size_limit(_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CorpusError("The file is empty: it has no header row and no data. Upload a file with rows of text.") from None
    except csv.Error as exc:
        raise CorpusError(f"Malformed {'TSV' if delimiter == chr(9) else 'CSV'} on line 1: {exc}.") from exc
    header = [h.strip() for h in header]
    if not any(header):
        raise CorpusError("The first line (the header) is empty. Put column names on line 1.")
    names, rename_notes = unique_names(header)
    width = len(names)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    short_rows = 0
    kind = "TSV" if delimiter == "\t" else "CSV"
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
            for column, value in zip(columns, row):
                column.append(value)
    except csv.Error as exc:
        raise CorpusError(
            f"Malformed {kind} on line {reader.line_num}: {exc}. Check the quotes on that line."
        ) from exc
    notes: tuple[str, ...] = rename_notes
    if short_rows:
        notes += (f"{short_rows} row(s) had fewer fields than the header; the missing fields were left empty.",)
    frame = pl.DataFrame({name: pl.Series(name, col, dtype=pl.String) for name, col in zip(names, columns)})
    return frame, notes


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
