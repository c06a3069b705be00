"""engine.embed: cache hits, normalisation, order restoration, cancellation, unknown words."""
from __future__ import annotations

import numpy as np
import pytest

from engine.corpus import corpus_from_texts
from engine.embed import embed_corpus, embed_queries, embed_texts, normalize_rows
from engine.errors import EmbedCancelled
from engine.models import REGISTRY
from engine.store import Store

TEXTS = [
    "A very long sentence about the economy, interest rates, inflation and the central bank's decisions.",
    "Cats.",
    "The football team won the final after extra time.",
    "Rain tomorrow.",
    "Scientists discovered a new species of frog in the rainforest of Borneo last week.",
]


@pytest.fixture
def fresh_store(tmp_path, store):
    fresh = Store(tmp_path / "ws")
    (fresh.root / "models").parent.mkdir(parents=True, exist_ok=True)
    if store.models_dir.exists():  # reuse the converted L3 model instead of converting again
        fresh.models_dir.symlink_to(store.models_dir, target_is_directory=True)
    return fresh


def test_normalize_rows_gives_unit_rows_and_keeps_zero_rows():
    vectors = normalize_rows(np.array([[3.0, 4.0], [0.0, 0.0]]))
    assert vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), [1.0, 0.0])


@pytest.mark.parametrize("model_id", ["minilm-l3", "glove-50d", "tfidf-svd"])
def test_embed_corpus_is_float32_unit_rows_then_a_cache_hit(model_id, fresh_store):
    corpus, _ = corpus_from_texts(TEXTS, name="t")
    first = embed_corpus(corpus, model_id, store=fresh_store)
    assert not first.cache_hit
    vectors = first.embeddings.vectors
    assert vectors.dtype == np.float32 and vectors.shape[0] == len(TEXTS)
    assert np.allclose(np.linalg.norm(vectors[first.embeddings.valid], axis=1), 1.0, atol=1e-5)
    second = embed_corpus(corpus, model_id, store=fresh_store)
    assert second.cache_hit
    assert np.array_equal(np.asarray(second.embeddings.vectors), np.asarray(vectors))


def test_changed_texts_are_never_served_stale_vectors(fresh_store):
    corpus, _ = corpus_from_texts(TEXTS, name="t")
    edited, _ = corpus_from_texts(TEXTS[:-1] + ["Something else entirely."], name="t")
    embed_corpus(corpus, "minilm-l3", store=fresh_store)
    result = embed_corpus(edited, "minilm-l3", store=fresh_store)
    assert not result.cache_hit


def test_length_sorted_batches_are_restored_to_input_order(store):
    from engine.models import load_encoder

    encoder = load_encoder(REGISTRY["minilm-l3"], models_dir=store.models_dir)
    batched, _ = embed_texts(TEXTS, encoder, batch_size=2)
    one_by_one = np.vstack([embed_texts([t], encoder, batch_size=1)[0] for t in TEXTS])
    assert np.allclose(batched, one_by_one, atol=1e-4)


def test_progress_reaches_the_total_and_cancel_stores_nothing(fresh_store):
    corpus, _ = corpus_from_texts(TEXTS * 4, name="t")
    seen: list[tuple[int, int]] = []
    embed_corpus(corpus, "glove-50d", store=fresh_store, progress=lambda d, t: seen.append((d, t)))
    assert seen[0] == (0, 20) and seen[-1] == (20, 20)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)

    other, _ = corpus_from_texts(TEXTS * 3, name="u")
    calls = iter([False, True])
    with pytest.raises(EmbedCancelled, match="nothing was stored"):
        embed_corpus(other, "minilm-l3", store=fresh_store, should_cancel=lambda: next(calls, True),
                     settings=__import__("engine.config", fromlist=["Settings"]).Settings(batch_size=4))
    assert fresh_store.load_embeddings(other.corpus_id, REGISTRY["minilm-l3"]) is None


def test_word_vectors_flag_unknown_items_instead_of_zeroing_silently(fresh_store):
    corpus, _ = corpus_from_texts(["king", "qwzxv", "the queen", "zzqqx blorpf"], name="w", kind="words")
    result = embed_corpus(corpus, "glove-50d", store=fresh_store)
    assert result.embeddings.valid.tolist() == [True, False, True, False]
    assert result.n_missing == 2 and set(result.missing_examples) == {"qwzxv", "zzqqx blorpf"}
    assert not np.any(result.embeddings.vectors[1])


def test_lexical_queries_use_the_space_fitted_on_the_corpus(fresh_store):
    corpus, _ = corpus_from_texts(TEXTS, name="t")
    stored = embed_corpus(corpus, "tfidf-svd", store=fresh_store).embeddings
    queries, valid = embed_queries(["football team final"], "tfidf-svd", store=fresh_store, corpus=corpus)
    assert valid.all() and queries.shape[1] == stored.dimension
    assert int(np.argmax(np.asarray(stored.vectors) @ queries[0])) == 2
