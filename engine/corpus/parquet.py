"""Parquet: typed columns read with polars."""
from __future__ import annotations

import io

import polars as pl

from engine.errors import CorpusError

_PARQUET_MAGIC = b"PAR1"


def parse_parquet(data: bytes) -> pl.DataFrame:
    if not data.startswith(_PARQUET_MAGIC):
        raise CorpusError("This is not a Parquet file (its first bytes are not 'PAR1'). Check the file or its extension.")
    try:
        return pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # polars raises several error types for corrupt files
        raise CorpusError(f"The Parquet file cannot be read: {exc}. Re-export it, or save it as CSV.") from exc
