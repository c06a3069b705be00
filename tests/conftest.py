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


# Files whose tests take the longest (`pytest --durations=30`). Under pytest-xdist (`make test
# TEST_WORKERS=2`, one file per work unit) they run first, so the short files fill in around them
# instead of one worker finishing a long browser file alone at the end. A single process keeps
# pytest's own order.
_SLOW_FIRST = ("tests/browser/", "tests/engine/test_ray_embed.py", "tests/engine/test_recipe.py",
               "tests/engine/test_cli.py", "tests/engine/test_precision.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    def slow_first(item: pytest.Item) -> int:
        path = item.path.relative_to(ROOT).as_posix()
        return next((i for i, prefix in enumerate(_SLOW_FIRST) if path.startswith(prefix)), len(_SLOW_FIRST))

    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=slow_first)  # stable: the order inside each group is pytest's


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
