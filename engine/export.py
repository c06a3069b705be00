"""Exports of tables (search hits, map selections, rankings) as CSV or Parquet bytes.

CSV exports are opened in spreadsheets, which run a cell starting with ``=``, ``+``, ``-`` or ``@``
(and a leading tab or carriage return) as a formula: ``=cmd|' /C calc'!A0`` from an uploaded corpus
would run on the analyst's machine. Following OWASP's "CSV injection" advice, such *string* cells
are prefixed with ``'``, which spreadsheets show as text; numeric columns, and string cells that
are plain numbers (``-2``, ``+1.5e3``), are left alone. Parquet keeps every value exactly.

Example:
    >>> import polars as pl
    >>> to_csv_bytes(pl.DataFrame({"text": ["=1+1", "-2", "fine"], "n": [-1, 2, 3]})).decode()
    "text,n\\n'=1+1,-1\\n-2,2\\nfine,3\\n"
"""
from __future__ import annotations

import io
import re

import polars as pl

_FORMULA_START = r"^[=+\-@\t\r]"
_PLAIN_NUMBER = r"^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$"


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """A copy of ``frame`` whose string cells can no longer run as spreadsheet formulas."""
    textual = [name for name, dtype in frame.schema.items() if dtype in (pl.String, pl.Categorical, pl.Enum)]
    if not textual:
        return frame
    return frame.with_columns(
        pl.when(pl.col(name).cast(pl.String).str.contains(_FORMULA_START)
                & ~pl.col(name).cast(pl.String).str.contains(_PLAIN_NUMBER))
        .then(pl.lit("'") + pl.col(name).cast(pl.String))
        .otherwise(pl.col(name).cast(pl.String))
        .alias(name)
        for name in textual
    )


def to_csv_bytes(frame: pl.DataFrame) -> bytes:
    """UTF-8 CSV of ``frame``, safe to open in a spreadsheet (see the module docstring).

    Nested columns (lists, structs) are written as JSON text, since CSV has no nesting.
    """
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested()]
    if nested:
        frame = frame.with_columns(pl.col(name).map_elements(_json, return_dtype=pl.String) for name in nested)
    frame = neutralise_formulas(frame)
    # The header row is cells too: an uploaded column named "=cmd|..." must not run either.
    frame = frame.rename({name: "'" + name for name in frame.columns if re.match(_FORMULA_START, name)})
    return frame.write_csv().encode("utf-8")


def to_parquet_bytes(frame: pl.DataFrame) -> bytes:
    """Parquet of ``frame``, every value exactly as it is (no formula prefixing: no spreadsheet runs it)."""
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _json(value: object) -> str:
    import json

    return json.dumps(value.to_list() if isinstance(value, pl.Series) else value, ensure_ascii=False, default=str)
