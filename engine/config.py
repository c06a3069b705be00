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
    # -- hosting (issue 12): only enforced when mode == "demo"; see DEMO_DEFAULTS and README "Hosting a demo"
    mode: str = "local"
    allowed_models: tuple[str, ...] = ()  # empty: any name (local mode); demo: only these registry ids
    visitor_max_corpora: int = 0  # 0 = no limit
    visitor_max_rows: int = 0
    visitor_embed_seconds: int = 0
    visitor_idle_hours: float = 0.0  # a visitor's uploads are deleted this long after their last visit
    job_slots: int = 0  # heavy jobs (embedding, UMAP, index builds) running at once; 0 = no queue
    cache_ttl_seconds: int = 0  # every st.cache_* entry expires after this long; 0 = never

    @property
    def demo(self) -> bool:
        return self.mode == "demo"

    @classmethod
    def from_env(cls) -> "Settings":
        mode = os.environ.get(MODE_ENV, "local").strip().lower() or "local"
        if mode not in ("local", "demo"):
            raise ValueError(f"{MODE_ENV} must be 'local' or 'demo', got {mode!r}.")
        base = cls(**DEMO_DEFAULTS) if mode == "demo" else cls()
        allowed = os.environ.get("EMBEDSCAPE_ALLOWED_MODELS")
        return cls(
            max_upload_mb=_env_int("EMBEDSCAPE_MAX_UPLOAD_MB", base.max_upload_mb),
            max_rows=_env_int("EMBEDSCAPE_MAX_ROWS", base.max_rows),
            max_text_chars=_env_int("EMBEDSCAPE_MAX_TEXT_CHARS", base.max_text_chars),
            batch_size=_env_int("EMBEDSCAPE_BATCH_SIZE", base.batch_size),
            max_decoded_mb=_env_int("EMBEDSCAPE_MAX_DECODED_MB", base.max_decoded_mb),
            max_columns=_env_int("EMBEDSCAPE_MAX_COLUMNS", base.max_columns),
            mode=mode,
            allowed_models=tuple(m.strip() for m in allowed.split(",") if m.strip()) if allowed
            else base.allowed_models,
            visitor_max_corpora=_env_int("EMBEDSCAPE_VISITOR_MAX_CORPORA", base.visitor_max_corpora),
            visitor_max_rows=_env_int("EMBEDSCAPE_VISITOR_MAX_ROWS", base.visitor_max_rows),
            visitor_embed_seconds=_env_int("EMBEDSCAPE_VISITOR_EMBED_SECONDS", base.visitor_embed_seconds),
            visitor_idle_hours=float(_env_int("EMBEDSCAPE_VISITOR_IDLE_HOURS", int(base.visitor_idle_hours))),
            job_slots=_env_int("EMBEDSCAPE_JOB_SLOTS", base.job_slots),
            cache_ttl_seconds=_env_int("EMBEDSCAPE_CACHE_TTL_SECONDS", base.cache_ttl_seconds),
        )


MODE_ENV = "EMBEDSCAPE_MODE"
# A hosted demo's defaults (``EMBEDSCAPE_MODE=demo``); each can still be overridden by its variable.
# Sized so that 20 visitors at once fit in ~2 GB on 2 cores (docs/reliability.md, "Hosted demo").
DEMO_DEFAULTS: dict[str, object] = {
    "max_upload_mb": 10,
    "max_decoded_mb": 40,
    "max_rows": 20_000,
    "max_columns": 50,
    "mode": "demo",
    "allowed_models": ("minilm-l6", "minilm-l3", "glove-50d", "tfidf-svd"),
    "visitor_max_corpora": 3,
    "visitor_max_rows": 30_000,
    "visitor_embed_seconds": 300,
    "visitor_idle_hours": 24.0,
    "job_slots": 1,
    "cache_ttl_seconds": 3_600,
}


def streamlit_flags(settings: Settings) -> list[str]:
    """Server options `components.launch` adds in demo mode (after the command line's own, so they win).

    Localhost, XSRF and the upload cap hold in every mode (the address through .streamlit/config.toml);
    demo mode also hides error details and ends a closed tab's session (and its work) after 30 s.
    """
    if not settings.demo:
        return []
    return [
        "--server.address", os.environ.get("EMBEDSCAPE_ADDRESS", "127.0.0.1"),
        "--server.enableXsrfProtection", "true",
        "--server.enableCORS", "true",
        "--server.maxUploadSize", str(settings.max_upload_mb),
        "--server.disconnectedSessionTTL", str(DEMO_SESSION_TTL_SECONDS),
        "--client.showErrorDetails", "none",
        "--client.toolbarMode", "viewer",
        "--server.fileWatcherType", "none",
        "--server.runOnSave", "false",
    ]


DEMO_SESSION_TTL_SECONDS = 30  # server.disconnectedSessionTTL in demo mode


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
# Past this many points the Map draws a sample stratified by cluster (engine/project/sampling.py) over a
# density layer of every point. The canvas renderer draws 200k in ≤ 2 s from a 2.8 MB payload
# (bench/map_render.py); plotly's 3-D view is still ~100 bytes a point, so it keeps 20k.
MAP_POINT_CAP: int = _env_int("EMBEDSCAPE_MAP_POINT_CAP", 200_000)
MAP_3D_POINT_CAP: int = _env_int("EMBEDSCAPE_MAP_3D_POINT_CAP", 20_000)
