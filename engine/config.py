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
        max_decoded_mb: Most memory a parsed table may take, in MiB (``EMBEDSCAPE_MAX_DECODED_MB``):
            decoded text plus 16 bytes per cell, counted *while* reading, so a small compressed
            or dictionary-encoded file cannot expand into gigabytes (docs/reliability.md).
        max_columns: Most columns in one file (``EMBEDSCAPE_MAX_COLUMNS``).
    """

    max_upload_mb: int = 200
    max_rows: int = 1_000_000
    max_text_chars: int = 2_000
    batch_size: int = 64
    max_decoded_mb: int = 200
    max_columns: int = 1_000

    @classmethod
    def from_env(cls) -> "Settings":
        base = cls()
        return cls(
            max_upload_mb=_env_int("EMBEDSCAPE_MAX_UPLOAD_MB", base.max_upload_mb),
            max_rows=_env_int("EMBEDSCAPE_MAX_ROWS", base.max_rows),
            max_text_chars=_env_int("EMBEDSCAPE_MAX_TEXT_CHARS", base.max_text_chars),
            batch_size=_env_int("EMBEDSCAPE_BATCH_SIZE", base.batch_size),
            max_decoded_mb=_env_int("EMBEDSCAPE_MAX_DECODED_MB", base.max_decoded_mb),
            max_columns=_env_int("EMBEDSCAPE_MAX_COLUMNS", base.max_columns),
        )


# -- Bias (engine.bias, pages/4_Bias.py, `python -m engine bias`): policy, not caps -------------------
BIAS_WORD_MODEL = "glove-50d"  # the classic setting for WEAT and bias directions; offered first on the page
BIAS_TEMPLATES: tuple[str, ...] = ("This is a {word}.",)  # SEAT-style template for sentence models
BIAS_WEAT_PERMUTATIONS = 10_000  # sampled partitions when X ∪ Y has more than BIAS_EXACT_PARTITIONS
BIAS_EXACT_PARTITIONS = 100_000  # up to this many partitions the permutation test enumerates them all
BIAS_STORED_PERMUTATIONS = 20_000  # statistics kept on a WEAT result for the histogram
BIAS_RANDOM_DIRECTIONS = 1_000  # random directions in the direct-bias baseline
BIAS_DEBIAS_PERMUTATIONS = 5_000  # sampled partitions for the debias preview's before/after WEAT
BIAS_POOL_WORDS = 20_000  # reference vocabulary of a word model (a cheap slice of its table)
BIAS_POOL_TEMPLATED = 1_000  # reference vocabulary of a model that embeds each word (2-4 s per 1,000 here)

# -- Axes policy (docs/architecture.md, Axes) ---------------------------------------------------------
# A probe's stability band refits the probe per resample (~0.1 s per ridge refit at 2.6k labelled
# rows, 384-d, under load): cap its resamples, and skip it above this many labelled rows.
AXES_PROBE_BAND_MAX_RESAMPLES = 50
AXES_PROBE_BAND_MAX_ROWS = 5_000
# A selection's "rest of the corpus" pole is represented by at most this many items (seeded sample).
AXES_MAX_REST_SAMPLE = 5_000

# -- Map ---------------------------------------------------------------------------------------------
# Past this many points the Map draws a sample stratified by cluster (engine/project/sampling.py):
# a plotly scatter of 100k points is ~10 MB of JSON per rerun. ``EMBEDSCAPE_MAP_POINT_CAP``.
MAP_POINT_CAP: int = _env_int("EMBEDSCAPE_MAP_POINT_CAP", 20_000)
