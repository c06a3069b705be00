"""TXT: one text per line (lines end at \\n, \\r\\n or \\r; other separators stay inside the text)."""
from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from engine.corpus.columns import ColumnBuilder
from engine.corpus.source import Budget
from engine.types import TEXT_COLUMN


def read_txt(stream: Iterable[str], budget: Budget) -> pl.DataFrame:
    """Each line (universal newlines, the ending removed) becomes a row of the ``text`` column."""
    columns = ColumnBuilder(budget, [TEXT_COLUMN])
    for line in stream:
        columns.add_row([line.rstrip("\n")])
    return columns.frame()
