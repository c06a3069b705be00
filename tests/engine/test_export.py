"""engine.export: spreadsheet-safe CSV, exact Parquet."""
from __future__ import annotations

import csv
import io

import polars as pl

from engine.export import to_csv_bytes, to_parquet_bytes

FORMULAS = ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"]


def _cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode(), newline="")))


def test_csv_export_prefixes_formula_cells_and_leaves_numbers_and_plain_text_alone():
    frame = pl.DataFrame({"text": FORMULAS + ["-2", "+1.5e3", "a = b", "plain"],
                          "n": list(range(-5, 5)), "x": [-1.5] * 10})
    rows = _cells(to_csv_bytes(frame))
    texts = [row[0] for row in rows[1:]]
    assert texts[:6] == ["'" + f for f in FORMULAS]
    assert texts[6:] == ["-2", "+1.5e3", "a = b", "plain"]
    assert [row[1] for row in rows[1:]] == [str(i) for i in range(-5, 5)]  # numeric columns untouched
    assert {row[2] for row in rows[1:]} == {"-1.5"}


def test_categorical_cells_and_header_names_are_neutralised_too():
    frame = pl.DataFrame({"label": pl.Series(["=HYPERLINK(\"x\")", "ok"], dtype=pl.Categorical),
                          "=cmd|' /C calc'!A0": ["a", "b"]})
    rows = _cells(to_csv_bytes(frame))
    assert rows[0] == ["label", "'=cmd|' /C calc'!A0"]
    assert rows[1:] == [["'=HYPERLINK(\"x\")", "a"], ["ok", "b"]]


def test_parquet_export_is_exact():
    frame = pl.DataFrame({"text": FORMULAS, "n": range(6), "tags": [[1], [2, 3], [], None, [4], [5]]})
    back = pl.read_parquet(io.BytesIO(to_parquet_bytes(frame)))
    assert back.equals(frame)


def test_nested_columns_become_json_text_in_csv():
    frame = pl.DataFrame({"text": ["a"], "tags": [["=x", "y"]]})
    assert _cells(to_csv_bytes(frame))[1] == ["a", '["=x", "y"]']
