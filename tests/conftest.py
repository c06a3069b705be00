"""Shared fixtures: one temporary workspace per test session, small real corpora, real models.

The workspace is created before anything imports the app, and ``EMBEDSCAPE_HOME`` points at it,
so tests never touch a user's data. Expensive things (models, embeddings) are made once per
session; tests get read-only values.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_SESSION_HOME = Path(tempfile.mkdtemp(prefix="embedscape-test-"))
os.environ["EMBEDSCAPE_HOME"] = str(_SESSION_HOME)
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The suite must not depend on the CPU: sentence models embed in fp32 unless a test asks for bf16
# (engine.precision picks bf16 by itself only on CPUs with native bf16).
os.environ.setdefault("EMBEDSCAPE_EMBED_ROUTE", "fp32")

SMALL_MODEL = "minilm-l3"  # the smallest bundled sentence model
SMALL_CORPUS_ROWS = 300


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: drives a real Chromium against `streamlit run` (slow)")


# Seconds each of the longest files took in one process on an idle 2-core machine (`pytest
# --durations=0`, 2026-12-03). Under pytest-xdist (`make test`, two workers by default; one file per work unit,
# handed to whichever worker runs low, in collection order) they run first, longest first, alternating
# a browser file (mostly waiting on its servers) with a CPU-bound one, so the two workers rarely both
# drive browsers or both compute; the short files fill in at the end. One process keeps pytest's order.
_SECONDS_PER_FILE = {
    "tests/browser/test_demo_browser.py": 136, "tests/browser/test_share_browser.py": 92,
    "tests/browser/test_cold_start_browser.py": 15,
    "tests/browser/test_axes_browser.py": 46, "tests/browser/test_security_browser.py": 45,
    "tests/browser/test_map_browser.py": 37, "tests/browser/test_bias_browser.py": 30,
    "tests/browser/test_tags_browser.py": 22, "tests/browser/test_compare_browser.py": 18,
    "tests/browser/test_home_browser.py": 17, "tests/browser/test_geometry_browser.py": 14,
    "tests/browser/test_search_browser.py": 12, "tests/browser/test_crossfilter_browser.py": 11,
    "tests/engine/test_ray_embed.py": 57, "tests/hostile/test_hostile.py": 51,
    "tests/app/test_axes_page.py": 27, "tests/app/test_crossfilter.py": 26, "tests/engine/test_cli.py": 19,
    "tests/app/test_map_page.py": 14, "tests/app/test_bias_page.py": 13, "tests/app/test_home_page.py": 11,
    "tests/app/test_share_links.py": 11, "tests/app/test_search_page.py": 11,
    "tests/app/test_itemsets_panels.py": 9, "tests/engine/test_precision.py": 8,
}


def xdist_file_order(paths: list[str], seconds: dict[str, float] = _SECONDS_PER_FILE) -> list[str]:
    """The known-long files first, longest first, browser and other files alternating; the rest after,
    in their given order."""
    def longest_first(browser: bool) -> list[str]:
        known = [p for p in paths if p in seconds and p.startswith("tests/browser/") == browser]
        return sorted(known, key=lambda p: -seconds[p])

    browser, other = longest_first(True), longest_first(False)
    alternating = [p for pair in zip(browser, other) for p in pair]
    n = min(len(browser), len(other))
    alternating += browser[n:] + other[n:]
    return alternating + [p for p in paths if p not in seconds]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    paths = list(dict.fromkeys(item.path.relative_to(ROOT).as_posix() for item in items))
    rank = {path: i for i, path in enumerate(xdist_file_order(paths))}
    items.sort(key=lambda item: rank[item.path.relative_to(ROOT).as_posix()])  # stable inside a file


@pytest.fixture(scope="session")
def store():
    """The session workspace (shared by the engine, AppTests and the browser server)."""
    from engine.store import Store

    return Store(_SESSION_HOME)


@pytest.fixture(scope="session")
def small_corpus(store):
    """300 Lee news sentences with `article` and `n_words` metadata, saved in the store."""
    from engine.demo import lee_news

    corpus, report = lee_news(limit=SMALL_CORPUS_ROWS)
    store.save_corpus(corpus, report)
    return corpus


@pytest.fixture(scope="session")
def small_embeddings(small_corpus, store):
    """`small_corpus` embedded with the smallest sentence model (read-only Embeddings)."""
    from engine.embed import embed_corpus

    return embed_corpus(small_corpus, SMALL_MODEL, store=store).embeddings


@pytest.fixture(scope="session")
def polarity_corpus(store):
    """200 movie snippets labelled neg/pos, saved in the store."""
    from engine.demo import movie_polarity

    corpus, report = movie_polarity()
    store.save_corpus(corpus, report)
    return corpus


@pytest.fixture(scope="session")
def words_corpus(store):
    """The bundled word list (frequent words + WEAT sets + occupations), saved in the store."""
    from engine.demo import words

    corpus, report = words()
    store.save_corpus(corpus, report)
    return corpus


@pytest.fixture(scope="session")
def glove_encoder(store):
    from engine.models import REGISTRY, load_encoder

    return load_encoder(REGISTRY["glove-50d"], models_dir=store.models_dir)


@pytest.fixture(scope="session")
def embedded(store):
    """Factory: ``embedded(corpus_fixture_value, model_id)`` -> Embeddings, embedded once per
    (corpus, model) for the whole session and stored in the session workspace.

    Use this instead of calling ``embed_corpus`` inline, so a corpus is never embedded twice.
    """
    from engine.embed import embed_corpus

    cache: dict[tuple[str, str], object] = {}

    def make(corpus, model_id: str = SMALL_MODEL):
        key = (corpus.corpus_id, model_id)
        if key not in cache:
            if not store.has_corpus(corpus.corpus_id):
                store.save_corpus(corpus)
            cache[key] = embed_corpus(corpus, model_id, store=store).embeddings
        return cache[key]

    return make
