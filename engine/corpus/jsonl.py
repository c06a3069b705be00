"""JSONL: one JSON object per line; nested values are kept as JSON text."""
from __future__ import annotations

import json

import polars as pl

from engine.errors import CorpusError


def parse_jsonl(text: str) -> tuple[pl.DataFrame, tuple[str, ...]]:
    records: list[dict[str, object]] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(
                f"Malformed JSONL on line {line_number}: {exc.msg} (column {exc.colno}). "
                "Each line must be one JSON object."
            ) from None
        if not isinstance(record, dict):
            raise CorpusError(
                f"Malformed JSONL on line {line_number}: expected a JSON object like "
                f'{{"text": "..."}}, got a {type(record).__name__}.'
            )
        records.append(record)
    if not records:
        raise CorpusError("The JSONL file has no records. Put one JSON object per line.")
    keys: list[str] = []
    for record in records:
        for key in record:
            if key not in keys:
                keys.append(key)
    missing = sum(1 for record in records if len(record) < len(keys))
    columns = {}
    for key in keys:
        values = [record.get(key) for record in records]
        columns[key] = pl.Series(key, [_jsonl_cell(v) for v in values], dtype=pl.String)
    notes: tuple[str, ...] = ()
    if missing:
        notes = (f"{missing} record(s) lacked some fields; those fields were left empty.",)
    return pl.DataFrame(columns), notes


def _jsonl_cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False)
