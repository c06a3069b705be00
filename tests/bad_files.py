"""The acceptance set of awkward corpus files, shared by the CLI and app tests.

Each case: file bytes, the CLI exit code, and a fragment the user must see (a note or an error).
"""
from __future__ import annotations

import io

import polars as pl


def _parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pl.DataFrame({"text": ["first text", "second text"], "year": [1999, 2000]}).write_parquet(buffer)
    return buffer.getvalue()


CASES: dict[str, tuple[bytes, int, str]] = {
    "latin1.csv": ("text,label\ncafé au lait,a\ncrème brûlée,b\n".encode("latin-1"), 0, "Latin-1"),
    "utf16.csv": ("text,label\nÜber,a\nzwei,b\n".encode("utf-16"), 0, "utf-16"),
    "empty.csv": (b"", 3, "is empty"),
    "no_text.csv": (b"a,b\n1,2\n3,4\n", 3, "No usable text column"),
    "one_column.txt": (b"alpha\nbeta\n\ngamma\n", 0, "dropped"),
    "missing_field.jsonl": (b'{"text": "a", "n": 1}\n{"n": 2}\n{"text": "c", "n": 3}\n', 0, "lacked some fields"),
    "table.parquet": (_parquet_bytes(), 0, "year"),
}
