"""Streamlit caching around engine calls: the only module that uses ``st.cache_*``.

Wrappers take ids, numbers and small frozen specs, never arrays or models: Streamlit hashes
big arrays from a sample, so two different matrices of one shape could share a key. Nothing
here draws (progress is drawn by pages through engine callbacks).
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from engine.store import Store
from engine.types import Corpus, Embeddings


@st.cache_resource(show_spinner=False)
def store() -> Store:
    """The workspace (``EMBEDSCAPE_HOME`` or the user cache dir)."""
    return Store.open_default()


@st.cache_resource(show_spinner=False, max_entries=8)
def corpus(corpus_id: str) -> Corpus:
    """A stored corpus; shared, read-only."""
    return store().load_corpus(corpus_id)


def manifest(corpus_id: str) -> dict[str, Any]:
    """Not cached: it changes as models are embedded, and reading it is cheap."""
    return store().manifest(corpus_id)


def embedded_model_ids(corpus_id: str) -> list[str]:
    return list(manifest(corpus_id).get("embeddings", {}))


@st.cache_resource(show_spinner="Loading model…", max_entries=6)
def encoder(model_id: str) -> Any:
    """A pretrained encoder, loaded and warmed once per process."""
    from engine.models import load_encoder, resolve_model

    return load_encoder(resolve_model(model_id), models_dir=store().models_dir)


@st.cache_resource(show_spinner=False, max_entries=16)
def embeddings(corpus_id: str, model_id: str) -> Embeddings:
    """Stored vectors (memory-mapped, read-only). Raises StoreError if not embedded yet."""
    from engine.embed import load_embeddings

    return load_embeddings(corpus_id, model_id, store=store())


def clear_corpus_caches() -> None:
    """After a delete: drop cached corpora and embeddings so nothing stale is served."""
    corpus.clear()
    embeddings.clear()
    index.clear()  # Search
    bm25.clear()  # Search


@st.cache_resource(show_spinner="Reading the file…", max_entries=2)
def raw_table(data: bytes, filename: str) -> Any:
    """A parsed upload (engine.corpus.RawTable), kept while the user picks the text column."""
    from engine.corpus import read_table

    return read_table(data, filename=filename)


# -- Search (engine.index, engine.search) ----------------------------------------------------------
@st.cache_resource(show_spinner="Building the search index…", max_entries=8)
def index(corpus_id: str, model_id: str) -> Any:
    """The corpus's search index in one model (engine.index.SearchIndex); shared, never mutated.

    Exact below the size threshold; HNSW above it, read from the store when it was built before.
    """
    from engine.index import build_index

    return build_index(embeddings(corpus_id, model_id), store=store())


@st.cache_resource(show_spinner="Indexing keywords (BM25)…", max_entries=4)
def bm25(corpus_id: str) -> Any:
    """The corpus's BM25 keyword index (engine.search.BM25Index); shared, never mutated."""
    from engine.search import build_bm25

    return build_bm25(corpus(corpus_id))


@st.cache_resource(show_spinner="Indexing the model's vocabulary…", max_entries=2)
def vocabulary(model_id: str) -> Any:
    """A word model's whole vocabulary as a searchable space (engine.search.Vocabulary)."""
    from engine.search import build_vocabulary

    return build_vocabulary(encoder(model_id), model_id=model_id)
