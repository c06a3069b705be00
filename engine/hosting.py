"""What a server does once at start-up, before the first visitor: clean, expire, precompute.

``components.launch`` (``make run``) calls :func:`startup`; a plain ``streamlit run`` gets the
same on its first page view through ``components.visitor`` (once per process).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from engine.config import Settings

DEMO_CORPORA_ENV = "EMBEDSCAPE_DEMO_CORPORA"
STRAY_TMP_MIN_AGE_SECONDS = 60.0  # younger .tmp files may belong to a CLI command writing right now


def startup(root: Path, settings: Settings, *, precompute: bool = True) -> dict[str, Any]:
    """Remove crash debris, expire idle visitors and, in demo mode, store and embed the demo corpora."""
    from engine.check import clean_stray_tmp
    from engine.visitors import expire_idle

    done: dict[str, Any] = {
        "stray_tmp_removed": len(clean_stray_tmp(root, min_age_seconds=STRAY_TMP_MIN_AGE_SECONDS)),
        "visitors_expired": len(expire_idle(root, settings.visitor_idle_hours)) if settings.demo else 0,
    }
    if settings.demo and precompute:
        done["demo_ready"] = prepare_demo(root, settings)
    return done


def prepare_demo(root: Path, settings: Settings) -> bool:
    """Store, embed (with the allowed models) and map the demo corpora; idempotent, fast when done."""
    from engine.cli import main as engine_main

    corpora = os.environ.get(DEMO_CORPORA_ENV, "lee-news,movie-polarity,words")
    models = ",".join(settings.allowed_models)
    workspace = ["--workspace", str(root)]
    code = engine_main([*workspace, "demo", "--corpora", corpora, "--models", models])
    sentence = [m for m in settings.allowed_models if m.startswith("minilm")]
    if code == 0 and sentence and "lee-news" in corpora:
        code = engine_main([*workspace, "project", "demo:lee-news", "--models", ",".join(sentence), "--method", "umap"])
    if code != 0:
        print("embedscape: preparing the demo corpora failed; visitors will wait for them", file=sys.stderr)
    return code == 0
