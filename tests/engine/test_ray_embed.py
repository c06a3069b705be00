"""engine.ray_embed: a Ray Data job on a local Ray instance writes the store the app reads.

Needs the optional extra (requirements-ray.txt, installed by `make test`); skipped without it.
"""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from engine.config import Settings
from engine.corpus import corpus_from_texts
from engine.embed import embed_corpus
from engine.store import Store

ray = pytest.importorskip(
    "ray.data", reason="Ray is the optional extra: pip install -r requirements-ray.txt (make test installs it)"
)

TOPICS = ["the central bank raised interest rates", "a cat slept on the warm windowsill",
          "the striker scored in extra time", "heavy rain is expected tomorrow",
          "researchers found a new frog species", "the new phone has a larger battery",
          "the orchestra played a late symphony", "farmers worry about the dry summer"]
# 64 texts of different lengths (so length-sorted batches differ from input order) in a shuffled order.
TEXTS = [f"{TOPICS[i % 8]}{', again' * (i % 5)} (note {i})" for i in np.random.default_rng(3).permutation(64)]


@pytest.fixture(scope="module")
def local_ray():
    from engine.ray_embed import init_ray

    ray_module = init_ray("local", num_cpus=2)
    yield ray_module
    ray_module.shutdown()


def _fresh(tmp_path, store, name: str) -> Store:
    fresh = Store(tmp_path / name)
    fresh.root.mkdir(parents=True)
    if store.models_dir.exists():  # reuse the converted L3 model instead of converting again
        fresh.models_dir.symlink_to(store.models_dir.resolve(), target_is_directory=True)
    return fresh


def test_ray_route_writes_the_store_the_local_route_reads(local_ray, tmp_path, store):
    from engine.ray_embed import embed_corpus_ray

    corpus, _ = corpus_from_texts(TEXTS, name="ray-small")
    ray_store, local_store = _fresh(tmp_path, store, "ray"), _fresh(tmp_path, store, "local")
    # Two actors with small blocks, so rows really travel through several batches and come back unordered.
    small_batches = dataclasses.replace(Settings.from_env(), batch_size=8)
    result = embed_corpus_ray(corpus, "minilm-l3", store=ray_store, actors=2, settings=small_batches)
    assert not result.cache_hit and result.embeddings.n == len(TEXTS)

    again = embed_corpus(corpus, "minilm-l3", store=ray_store)
    assert again.cache_hit, "a plain embed after the Ray job must find its vectors"
    local = embed_corpus(corpus, "minilm-l3", store=local_store)
    assert not local.cache_hit
    ray_vectors, local_vectors = np.asarray(again.embeddings.vectors), np.asarray(local.embeddings.vectors)
    assert ray_vectors.dtype == local_vectors.dtype == np.float32
    assert np.allclose(ray_vectors, local_vectors, atol=1e-5), "rows out of order or another space"
    assert np.array_equal(again.embeddings.valid, local.embeddings.valid)

    manifest = ray_store.manifest(corpus.corpus_id)
    record = manifest["embeddings"]["minilm-l3"]
    assert record["executor"] == "ray:local"
    local_record = local_store.manifest(corpus.corpus_id)["embeddings"]["minilm-l3"]
    assert record["file"] == local_record["file"] and record["dimension"] == local_record["dimension"]


def test_ray_lexical_model_shares_one_fitted_space(local_ray, tmp_path, store):
    from engine.ray_embed import embed_corpus_ray

    corpus, _ = corpus_from_texts(TEXTS, name="ray-lexical")
    ray_store, local_store = _fresh(tmp_path, store, "ray"), _fresh(tmp_path, store, "local")
    ray_vectors = np.asarray(embed_corpus_ray(corpus, "tfidf-svd", store=ray_store, actors=2).embeddings.vectors)
    local_vectors = np.asarray(embed_corpus(corpus, "tfidf-svd", store=local_store).embeddings.vectors)
    # The SVD is seeded, so both fits give the same space (up to float noise).
    assert np.allclose(ray_vectors, local_vectors, atol=1e-5)


def test_cli_embed_with_ray_then_plain_embed_is_a_cache_hit(local_ray, tmp_path, store, capsys, monkeypatch):
    from engine.cli import main

    workspace = _fresh(tmp_path, store, "cli").root
    source = tmp_path / "texts.txt"
    source.write_text("\n".join(TEXTS[:24]) + "\n")
    monkeypatch.setenv("EMBEDSCAPE_HOME", str(workspace))  # main() sets it; restored after the test
    # The lexical model: its actor needs no torch (a sentence model's actor costs ~13 s of CPU to start),
    # and the route itself is the one the first test checks with a sentence model.
    assert main(["embed", str(source), "--models", "tfidf-svd", "--ray", "local", "--ray-actors", "1", "--json",
                 "--workspace", str(workspace)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["models"][0]["cache_hit"] is False and first["models"][0]["rows"] == 24
    assert main(["embed", str(source), "--models", "tfidf-svd", "--json", "--workspace", str(workspace)]) == 0
    assert json.loads(capsys.readouterr().out)["models"][0]["cache_hit"] is True
