"""Collect parsed rows into string columns in bounded chunks, charging the budget as they come.

Python lists of strings cost ~50 bytes per cell, so rows are turned into polars columns every
``flush_cells`` cells and the lists dropped: memory follows the compact columnar size, and the
budget (rows, decoded bytes, cells) is checked at every flush, long before a bomb is expanded.
"""
from __future__ import annotations

import polars as pl

from engine.corpus.source import Budget

FLUSH_CELLS = 200_000


class ColumnBuilder:
    """Rows in, one all-string :class:`polars.DataFrame` out.

    Fixed-width rows (:meth:`add_row`, CSV/TSV/TXT) or records with varying keys
    (:meth:`add_record`, JSONL: a key missing from a record is an empty cell).
    """

    def __init__(self, budget: Budget, names: list[str] | None = None, *, flush_cells: int = FLUSH_CELLS) -> None:
        self.budget = budget
        self.names: list[str] = list(names or [])
        self._columns: dict[str, list[str | None]] = {name: [] for name in self.names}
        self._rows = 0
        self._chars = 0
        self._frames: list[pl.DataFrame] = []
        self._flush_rows = max(1, flush_cells // max(1, len(self.names))) if self.names else 0
        self._flush_cells = flush_cells
        if self.names:
            budget.columns(len(self.names))

    def add_row(self, row: list[str | None]) -> None:
        for column, value in zip(self._columns.values(), row):
            column.append(value)
            if value is not None:
                self._chars += len(value)
        self._rows += 1
        if self._rows >= self._flush_rows:
            self.flush()

    def add_record(self, record: dict[str, str | None]) -> None:
        for key in record:
            if key not in self._columns:
                self.names.append(key)
                self.budget.columns(len(self.names))
                self._columns[key] = [None] * self._rows
        for key, column in self._columns.items():
            value = record.get(key)
            column.append(value)
            if value is not None:
                self._chars += len(value)
        self._rows += 1
        if self._rows * len(self._columns) >= self._flush_cells:
            self.flush()

    def flush(self) -> None:
        if not self._rows:
            return
        # Charge before building the columns: the lists exist already, the columns would double them.
        self.budget.charge(rows=self._rows, nbytes=self._chars, cells=self._rows * len(self._columns))
        self._frames.append(pl.DataFrame({name: pl.Series(name, values, dtype=pl.String)
                                          for name, values in self._columns.items()}))
        self._columns = {name: [] for name in self._columns}
        self._rows = self._chars = 0

    def frame(self) -> pl.DataFrame:
        self.flush()
        if not self._frames:
            return pl.DataFrame({name: pl.Series(name, [], dtype=pl.String) for name in self.names})
        frames, self._frames = self._frames, []
        # Diagonal: a later chunk may have keys an earlier one lacked (JSONL); order is first appearance.
        # Series, not names: polars reads "*" and "^…$" in a name list as a wildcard and a regex
        joined = pl.concat(frames, how="diagonal", rechunk=False)
        return pl.DataFrame([joined.get_column(name) for name in self.names])
