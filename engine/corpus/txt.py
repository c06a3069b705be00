"""TXT: one text per line (lines end at \\n, \\r\\n or \\r; other separators stay inside the text)."""
from __future__ import annotations

import io

import polars as pl

from engine.corpus.columns import ColumnBuilder
from engine.corpus.lines import bounded_text_lines
from engine.corpus.source import Budget
from engine.types import TEXT_COLUMN


def read_txt(stream: io.TextIOBase, budget: Budget) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Each line (universal newlines, the ending removed) becomes a row of the ``text`` column.

    Lines longer than ``budget.max_cell_chars`` are cut while reading (texts are truncated to a
    shorter length later anyway), so a single 100 MB line never sits in memory whole.
    """
    columns = ColumnBuilder(budget, [TEXT_COLUMN])
    cut = 0
    for line, was_cut in bounded_text_lines(stream, budget.max_cell_chars):
        columns.add_row([line])
        cut += was_cut
    notes = (f"{cut:,} line(s) longer than {budget.max_cell_chars:,} characters were cut to that length while "
             "reading (texts are truncated further, see below).",) if cut else ()
    return columns.frame(), notes
