"""engine.store: round trips, listing, deletion, atomic writes, read-only memory maps."""
from __future__ import annotations

import numpy as np
import pytest

from engine.corpus import corpus_from_texts
from engine.errors import StoreError
from engine.models import REGISTRY
from engine.store import Store, default_root


@pytest.fixture
def fresh_store(tmp_path):
    return Store(tmp_path / "ws")


def _corpus(texts, name="c", **metadata):
    return corpus_from_texts(texts, name=name, metadata=metadata or None)


def test_corpus_round_trip_keeps_rows_ids_and_metadata(fresh_store):
    corpus, report = _corpus(["a b", "c d", "e f"], label=["x", "y", "z"])
    fresh_store.save_corpus(corpus, report)
    loaded = fresh_store.load_corpus(corpus.corpus_id)
    assert loaded.frame.equals(corpus.frame) and loaded.name == "c"
    assert fresh_store.manifest(corpus.corpus_id)["ingest_report"]["rows_kept"] == 3


def test_saving_twice_is_idempotent(fresh_store):
    corpus, report = _corpus(["a", "b"])
    first = fresh_store.save_corpus(corpus, report)
    second = fresh_store.save_corpus(corpus, report)
    assert first["created"] == second["created"] and len(fresh_store.list_corpora()) == 1


def test_find_corpus_by_name_prefix_and_unknown(fresh_store):
    corpus, report = _corpus(["a", "b"], name="news")
    fresh_store.save_corpus(corpus, report)
    assert fresh_store.find_corpus("news") == corpus.corpus_id
    assert fresh_store.find_corpus(corpus.corpus_id[:6]) == corpus.corpus_id
    with pytest.raises(StoreError, match="python -m engine list"):
        fresh_store.find_corpus("nothing-like-it")


def test_embeddings_are_memory_mapped_and_read_only(fresh_store):
    corpus, report = _corpus(["a", "b"])
    fresh_store.save_corpus(corpus, report)
    spec = REGISTRY["minilm-l3"]
    vectors = np.eye(2, 4, dtype=np.float32)
    fresh_store.save_embeddings(corpus.corpus_id, spec, vectors, np.array([True, False]))
    loaded = fresh_store.load_embeddings(corpus.corpus_id, spec)
    assert isinstance(loaded.vectors, np.memmap) and not loaded.vectors.flags.writeable
    assert np.array_equal(loaded.vectors, vectors) and loaded.valid.tolist() == [True, False]
    with pytest.raises(ValueError):
        loaded.vectors[0, 0] = 5.0
    assert "minilm-l3" in fresh_store.manifest(corpus.corpus_id)["embeddings"]


def test_writes_leave_no_temporary_files(fresh_store):
    corpus, report = _corpus(["a", "b"])
    fresh_store.save_corpus(corpus, report)
    fresh_store.save_embeddings(corpus.corpus_id, REGISTRY["glove-50d"], np.ones((2, 3), np.float32), np.ones(2, bool))
    leftovers = [p for p in fresh_store.root.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


def test_delete_removes_corpus_artifacts_and_unshared_embeddings(fresh_store):
    corpus, report = _corpus(["a", "b"])
    same_texts, _ = _corpus(["a", "b"], name="other", label=["p", "q"])  # metadata differs, texts equal
    fresh_store.save_corpus(corpus, report)
    fresh_store.save_corpus(same_texts)
    spec = REGISTRY["glove-50d"]
    path = fresh_store.save_embeddings(corpus.corpus_id, spec, np.ones((2, 3), np.float32), np.ones(2, bool))
    fresh_store.save_array(corpus.corpus_id, "projections", "umap_a", np.zeros((2, 2)))
    assert fresh_store.load_embeddings(same_texts.corpus_id, spec) is not None  # shared by text hash
    fresh_store.delete_corpus(corpus.corpus_id)
    assert not fresh_store.has_corpus(corpus.corpus_id) and path.exists()  # still used by `other`
    fresh_store.delete_corpus(same_texts.corpus_id)
    assert not path.exists() and fresh_store.list_corpora() == []


def test_artifacts_round_trip_and_list(fresh_store):
    corpus, report = _corpus(["a", "b"])
    fresh_store.save_corpus(corpus, report)
    fresh_store.save_json(corpus.corpus_id, "axes", "good_bad", {"name": "good ↔ bad"})
    fresh_store.save_array(corpus.corpus_id, "axes", "good_bad", np.arange(3, dtype=np.float32))
    assert fresh_store.list_artifacts(corpus.corpus_id, "axes") == ["good_bad"]
    assert fresh_store.load_json(corpus.corpus_id, "axes", "good_bad")["name"] == "good ↔ bad"
    fresh_store.delete_artifact(corpus.corpus_id, "axes", "good_bad")
    assert fresh_store.list_artifacts(corpus.corpus_id, "axes") == []


def test_unsafe_keys_are_refused(fresh_store):
    with pytest.raises(StoreError, match="Invalid"):
        fresh_store.corpus_dir("../../etc")


def test_default_root_honours_embedscape_home(monkeypatch, tmp_path):
    monkeypatch.setenv("EMBEDSCAPE_HOME", str(tmp_path / "elsewhere"))
    assert default_root() == tmp_path / "elsewhere"
    monkeypatch.delenv("EMBEDSCAPE_HOME")
    assert "embedscape" in str(default_root())


# -- issue 8.16: a corpus is its content; a name is a label ----------------------------------------
def test_adding_content_already_stored_opens_it_keeps_its_name_and_adds_an_alias(fresh_store):
    first, report = _corpus(["a b", "c d"], name="papers")
    fresh_store.add_corpus(first, report)
    again, report2 = _corpus(["a b", "c d"], name="papers-copy")
    stored, note_report = fresh_store.add_corpus(again, report2)
    assert stored.corpus_id == first.corpus_id and stored.name == "papers"
    manifest = fresh_store.manifest(first.corpus_id)
    assert manifest["name"] == "papers" and manifest["aliases"] == ["papers-copy"]
    assert any("already stored" in n and "papers" in n for n in note_report.notes)
    assert fresh_store.find_corpus("papers-copy") == first.corpus_id
    assert fresh_store.find_corpus("papers") == first.corpus_id


def test_save_corpus_never_renames_a_stored_corpus(fresh_store):
    first, report = _corpus(["x", "y"], name="one")
    fresh_store.save_corpus(first, report)
    renamed, _ = _corpus(["x", "y"], name="two")
    fresh_store.save_corpus(renamed)
    assert fresh_store.manifest(first.corpus_id)["name"] == "one"


# -- issue 8.14: a corpus never stays "not embedded" when its vectors are there ---------------------
def test_a_cache_hit_records_the_model_in_the_second_corpus_manifest(fresh_store):
    from engine.embed import embed_corpus

    first, report = _corpus(["red apple", "green pear", "fast car"], name="one", label=["a", "b", "c"])
    second, report2 = _corpus(["red apple", "green pear", "fast car"], name="two", label=["x", "y", "z"])
    fresh_store.save_corpus(first, report)
    fresh_store.save_corpus(second, report2)
    assert not embed_corpus(first, "tfidf-svd", store=fresh_store).cache_hit
    assert embed_corpus(second, "tfidf-svd", store=fresh_store).cache_hit
    assert "tfidf-svd" in fresh_store._read_manifest(second.corpus_id)["embeddings"]


def _drop_manifest_entries(store, corpus_id):
    import json

    path = store.corpus_dir(corpus_id) / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["embeddings"] = {}
    path.write_text(json.dumps(manifest))


def test_vectors_written_before_a_crash_are_recorded_when_the_corpus_is_read(fresh_store):
    corpus, report = _corpus(["a", "b"])
    fresh_store.save_corpus(corpus, report)
    spec = REGISTRY["glove-50d"]
    fresh_store.save_embeddings(corpus.corpus_id, spec, np.ones((2, 3), np.float32), np.ones(2, bool))
    _drop_manifest_entries(fresh_store, corpus.corpus_id)  # the crash: vectors on disk, manifest not updated
    repairs = fresh_store.reconcile(corpus.corpus_id)
    assert len(repairs) == 1 and "glove-50d" in repairs[0]
    assert fresh_store.reconcile(corpus.corpus_id) == []  # repaired once, then consistent
    _drop_manifest_entries(fresh_store, corpus.corpus_id)
    listed = [m for m in fresh_store.list_corpora() if m["corpus_id"] == corpus.corpus_id]
    assert list(listed[0]["embeddings"]) == ["glove-50d"]
    _drop_manifest_entries(fresh_store, corpus.corpus_id)
    fresh_store.load_corpus(corpus.corpus_id)
    assert list(fresh_store.manifest(corpus.corpus_id)["embeddings"]) == ["glove-50d"]


def test_reconcile_forgets_models_whose_vectors_are_gone_and_ignores_wrong_shapes(fresh_store):
    corpus, report = _corpus(["a", "b"])
    fresh_store.save_corpus(corpus, report)
    spec = REGISTRY["glove-50d"]
    path = fresh_store.save_embeddings(corpus.corpus_id, spec, np.ones((2, 3), np.float32), np.ones(2, bool))
    path.unlink()
    repairs = fresh_store.reconcile(corpus.corpus_id)
    assert len(repairs) == 1 and "glove-50d" in repairs[0]
    assert fresh_store.manifest(corpus.corpus_id)["embeddings"] == {}
    from engine.store import write_npy_atomic

    write_npy_atomic(path, np.ones((5, 3), np.float32))  # a file of the wrong length is not this corpus's
    assert fresh_store.reconcile(corpus.corpus_id) == []
    assert fresh_store.manifest(corpus.corpus_id)["embeddings"] == {}
