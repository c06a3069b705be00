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


def test_texts_longer_than_the_model_reads_are_counted_and_explained(fresh_store):
    """Issue 8 §2.9: MiniLM-L3 reads 128 tokens; the report must say how many texts it cut."""
    words = "inflation rates rose sharply while the central bank kept its cautious outlook".split()
    long_texts = [" ".join(words[(i + j) % len(words)] for j in range(150 + 40 * i)) for i in range(3)]
    corpus, _ = corpus_from_texts(TEXTS + long_texts, name="long")  # 150+ words: well over 128 tokens
    first = embed_corpus(corpus, "minilm-l3", store=fresh_store).summary()
    assert first["max_tokens"] == 128
    assert first["n_truncated"] == len(long_texts)
    assert "first 128 tokens" in first["truncation_note"] and f"{len(long_texts)} of {len(TEXTS) + 3}" in \
        first["truncation_note"]
    again = embed_corpus(corpus, "minilm-l3", store=fresh_store).summary()  # a cache hit says the same
    assert again["cache_hit"] and again["n_truncated"] == len(long_texts)
    short, _ = corpus_from_texts(TEXTS, name="short")
    assert embed_corpus(short, "minilm-l3", store=fresh_store).summary()["truncation_note"] is None


def test_models_without_a_length_limit_report_no_truncation(fresh_store):
    corpus, _ = corpus_from_texts(TEXTS + [" ".join(["economy"] * 400)], name="long")
    for model_id in ("glove-50d", "tfidf-svd"):
        summary = embed_corpus(corpus, model_id, store=fresh_store).summary()
        assert summary["max_tokens"] is None and summary["n_truncated"] is None
        assert summary["truncation_note"] is None


def test_cli_json_reports_truncation_per_model(fresh_store, tmp_path, monkeypatch, capsys):
    import json

    from engine.cli import main

    path = tmp_path / "abstracts.txt"
    path.write_text("\n".join(TEXTS + [" ".join(["monetary policy and long abstracts"] * 60)]) + "\n")
    monkeypatch.setenv("EMBEDSCAPE_HOME", str(fresh_store.root))  # restored after the test
    assert main(["embed", str(path), "--models", "minilm-l3,glove-50d", "--json"]) == 0
    models = {m["model_id"]: m for m in json.loads(capsys.readouterr().out)["models"]}
    assert models["minilm-l3"]["n_truncated"] == 1 and models["minilm-l3"]["max_tokens"] == 128
    assert "first 128 tokens" in models["minilm-l3"]["truncation_note"]
    assert models["glove-50d"]["n_truncated"] is None


@pytest.mark.parametrize("model_id", ["minilm-l3", "tfidf-svd"])
def test_loading_the_model_is_announced_before_the_first_batch(model_id, fresh_store):
    """Issue 8 §2.11: the bar sat at "0 of N" for ~15 s while the model loaded."""
    events: list[tuple[str, object]] = []
    corpus, _ = corpus_from_texts(TEXTS, name="t")
    embed_corpus(corpus, model_id, store=fresh_store, on_phase=lambda m: events.append(("phase", m)),
                 progress=lambda done, total: events.append(("progress", done)))
    first_progress = events.index(("progress", 0))
    announced = [m for kind, m in events[:first_progress] if kind == "phase"]
    assert announced and REGISTRY[model_id].display_name in announced[0]
    assert announced[0].startswith(("Loading model", "Preparing", "Fitting"))
    events.clear()
    embed_corpus(corpus, model_id, store=fresh_store, on_phase=lambda m: events.append(("phase", m)))
    assert events == []  # a cache hit loads nothing, so it announces nothing
