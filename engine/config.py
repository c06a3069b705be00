"""Configuration: caps and defaults, overridable by environment variables.

Every setting has one environment variable (``EMBEDSCAPE_<NAME>``) so a hosted demo can tighten
the caps without code changes.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a whole number, got {raw!r}.") from exc


@dataclass(frozen=True, slots=True)
class Settings:
    """Caps that keep one upload from taking the machine down.

    Attributes:
        max_upload_mb: Largest corpus file accepted, in MiB (``EMBEDSCAPE_MAX_UPLOAD_MB``).
        max_rows: Most rows kept from one corpus (``EMBEDSCAPE_MAX_ROWS``).
        max_text_chars: Longer texts are truncated to this many characters
            (``EMBEDSCAPE_MAX_TEXT_CHARS``); sentence models see at most 128-256 tokens anyway.
        batch_size: Texts per encode batch (``EMBEDSCAPE_BATCH_SIZE``).
    """

    max_upload_mb: int = 200
    max_rows: int = 1_000_000
    max_text_chars: int = 2_000
    batch_size: int = 64

    @classmethod
    def from_env(cls) -> "Settings":
        base = cls()
        return cls(
            max_upload_mb=_env_int("EMBEDSCAPE_MAX_UPLOAD_MB", base.max_upload_mb),
            max_rows=_env_int("EMBEDSCAPE_MAX_ROWS", base.max_rows),
            max_text_chars=_env_int("EMBEDSCAPE_MAX_TEXT_CHARS", base.max_text_chars),
            batch_size=_env_int("EMBEDSCAPE_BATCH_SIZE", base.batch_size),
        )


# -- Map ---------------------------------------------------------------------------------------------
# Past this many points the Map draws a sample stratified by cluster (engine/project/sampling.py):
# a plotly scatter of 100k points is ~10 MB of JSON per rerun. ``EMBEDSCAPE_MAP_POINT_CAP``.
MAP_POINT_CAP: int = _env_int("EMBEDSCAPE_MAP_POINT_CAP", 20_000)
