"""TXT: one text per line."""
from __future__ import annotations

import polars as pl

from engine.types import TEXT_COLUMN


def parse_txt(text: str) -> pl.DataFrame:
    lines = text.splitlines()
    return pl.DataFrame({TEXT_COLUMN: pl.Series(TEXT_COLUMN, lines, dtype=pl.String)})
