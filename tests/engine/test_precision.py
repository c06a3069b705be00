"""engine.precision and the embedding fast path: route choice, route in the stored key, dedup.

Routes are forced in every test (``route=`` / flags passed in), so nothing here depends on which
route this machine's CPU would pick; bf16 also runs (emulated, slower) on CPUs without it.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from engine import precision
from engine.corpus import corpus_from_texts
from engine.embed import embed_corpus, embed_texts, load_embeddings
from engine.models import REGISTRY
from engine.store import Store


@pytest.fixture
def fresh_store(tmp_path, store):
    fresh = Store(tmp_path / "ws")
    fresh.root.mkdir(parents=True, exist_ok=True)
    if store.models_dir.exists():  # reuse the converted L3 model
        fresh.models_dir.symlink_to(store.models_dir, target_is_directory=True)
    return fresh


def test_bf16_only_where_the_cpu_has_it_and_torch_uses_avx512():
    assert precision.native_bf16(frozenset({"avx512f", "avx512_bf16"}), "AVX512")
    assert precision.native_bf16(frozenset({"amx_bf16", "amx_tile"}), "AVX512")
    assert not precision.native_bf16(frozenset({"avx2", "avx512f"}), "AVX512")
    assert not precision.native_bf16(frozenset({"avx512_bf16"}), "AVX2")  # torch capped below AVX-512


def test_route_is_requested_or_from_the_environment(monkeypatch):
    assert precision.choose_route("bf16") == "bf16" and precision.choose_route("fp32") == "fp32"
    monkeypatch.setenv("EMBEDSCAPE_EMBED_ROUTE", "bf16")
    assert precision.choose_route() == "bf16"
    monkeypatch.setenv("EMBEDSCAPE_EMBED_ROUTE", "auto")
    assert precision.choose_route() == ("bf16" if precision.native_bf16() else "fp32")
    with pytest.raises(ValueError, match="auto, fp32 or bf16"):
        precision.choose_route("int8")


def test_route_is_part_of_the_key_and_fp32_satisfies_any_request(small_corpus, fresh_store):
    corpus, _ = corpus_from_texts(small_corpus.texts[:120], name="routes")
    fast = embed_corpus(corpus, "minilm-l3", store=fresh_store, route="bf16")
    assert not fast.cache_hit and fast.route == "bf16" and fast.summary()["route"] == "bf16"
    assert fresh_store.embeddings_path(corpus.corpus_id, precision.stored_spec(REGISTRY["minilm-l3"], "bf16")).exists()
    assert fast.route_check["sample"] == 120 and fast.route_check["top10_agreement"] >= 0.9

    exact = embed_corpus(corpus, "minilm-l3", store=fresh_store, route="fp32")
    assert not exact.cache_hit and exact.route == "fp32"  # a bf16 result never answers an fp32 request
    again = embed_corpus(corpus, "minilm-l3", store=fresh_store, route="bf16")
    assert again.cache_hit and again.route == "fp32"  # a stored fp32 result answers any request
    served = load_embeddings(corpus.corpus_id, "minilm-l3", store=fresh_store)
    assert np.array_equal(served.vectors, exact.embeddings.vectors)
    assert not np.array_equal(served.vectors, fast.embeddings.vectors)  # the two routes were kept apart


def test_a_store_written_before_routes_existed_is_a_cache_hit(fresh_store):
    corpus, _ = corpus_from_texts(["alpha text", "beta text", "gamma text"], name="old")
    fresh_store.save_corpus(corpus)
    vectors = np.eye(3, 384, dtype=np.float32)
    fresh_store.save_embeddings(corpus.corpus_id, REGISTRY["minilm-l3"], vectors, np.ones(3, dtype=bool),
                                info={"seconds": 1.0})  # the old record: no route, no token counts
    result = embed_corpus(corpus, "minilm-l3", store=fresh_store, route="bf16")
    assert result.cache_hit and result.route == "fp32" and np.array_equal(result.embeddings.vectors, vectors)


class CountingEncoder:
    """A real GloVe encoder that records what it was asked to encode."""

    def __init__(self, inner):
        self.inner, self.spec, self.seen = inner, inner.spec, []

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts):
        self.seen += list(texts)
        return self.inner.encode(texts)


def test_identical_texts_are_embedded_once_and_share_the_vector(glove_encoder):
    texts = ["the red car", "a blue sky", "the red car", "green grass", "a blue sky", "the red car"]
    counting = CountingEncoder(glove_encoder)
    done: list[int] = []
    vectors, valid = embed_texts(texts, counting, batch_size=2, progress=lambda d, t: done.append(d))
    assert sorted(counting.seen) == sorted(set(texts))
    assert np.array_equal(vectors[0], vectors[2]) and np.array_equal(vectors[0], vectors[5])
    assert not np.array_equal(vectors[0], vectors[1]) and valid.all()
    assert done[0] == 0 and done[-1] == len(texts) and done == sorted(done)


def _write_proc(root, *, busy: int, idle: int, own: int) -> None:
    # /proc/stat's first line: user nice system idle iowait irq softirq steal (in clock ticks)
    (root / "stat").write_text(f"cpu  {busy} 0 0 {idle} 0 0 0 0 0 0\ncpu0 0 0 0 0 0 0 0 0 0 0\n")
    # /proc/self/stat: utime and stime are fields 14 and 15 (11 and 12 after the command name)
    (root / "self" / "stat").write_text("123 (python (odd) name) S " + " ".join(["0"] * 10) + f" {own} 0 " + "0 " * 30)


def test_the_processes_own_work_is_not_counted_as_load(tmp_path):
    import os
    import threading

    (tmp_path / "self").mkdir()
    _write_proc(tmp_path, busy=1000, idle=5000, own=100)
    ticks = os.sysconf("SC_CLK_TCK")
    # during the window the machine does 0.6 s of CPU per wall second... of which 0.4 s is this process
    later = threading.Timer(0.05, _write_proc, args=(tmp_path,),
                            kwargs={"busy": 1000 + int(0.6 * ticks * 0.5), "idle": 5000, "own": 100 + int(0.4 * ticks * 0.5)})
    later.start()
    others = precision.other_processes_cores(0.5, proc=tmp_path)
    later.join()
    assert others == pytest.approx(0.2, abs=0.05)
    # the real machine: a number of cores, never negative
    real = precision.other_processes_cores(0.05)
    assert real is None or 0.0 <= real <= (os.cpu_count() or 1) + 0.5
    assert precision.other_processes_cores(0.01, proc=tmp_path / "missing") is None


def test_the_windowed_reading_never_waits_and_leaves_out_the_processes_own_work(tmp_path):
    (tmp_path / "self").mkdir()
    ticks = os.sysconf("SC_CLK_TCK")
    clock = [100.0]
    read = lambda: precision.other_processes_cores_since_last_call(proc=tmp_path, clock=lambda: clock[0])  # noqa: E731

    _write_proc(tmp_path, busy=1000, idle=5000, own=100)
    assert read() is None  # the first call only starts the window
    # 2 s later: 3 cores-seconds of work in all, 1 of them this process's -> others used 1 core
    clock[0] += 2.0
    _write_proc(tmp_path, busy=1000 + 3 * ticks, idle=5000, own=100 + 1 * ticks)
    assert read() == pytest.approx(1.0, abs=0.02)
    # too short a window to read: None, and the window keeps its start ...
    clock[0] += 0.1
    _write_proc(tmp_path, busy=1000 + 3 * ticks + 20, idle=5000, own=100 + ticks)
    assert read() is None
    # ... so the next read covers all 0.5 s since the last full reading (others at 0.4 cores)
    clock[0] += 0.4
    _write_proc(tmp_path, busy=1000 + 3 * ticks + int(0.2 * ticks), idle=5000, own=100 + ticks)
    assert read() == pytest.approx(0.4, abs=0.05)
    # a window over a minute old says nothing about now
    clock[0] += 61
    assert read() is None
    assert precision.other_processes_cores_since_last_call(proc=tmp_path / "missing") is None


def test_search_asks_about_other_processes_without_waiting(monkeypatch):
    import time

    import engine.index.core as engine_index

    def no_sleeping(seconds):
        raise AssertionError(f"a query's busy check slept {seconds} s")

    monkeypatch.setattr(time, "sleep", no_sleeping)
    monkeypatch.setattr(engine_index, "_load_checked", [0.0, False])  # force a fresh reading
    assert engine_index.machine_busy() in (True, False)  # the real reading, without sleeping
    monkeypatch.setattr(engine_index, "_load_checked", [0.0, False])
    monkeypatch.setattr(precision, "other_processes_cores_since_last_call", lambda: float(os.cpu_count() or 1))
    assert engine_index.machine_busy() is True
    monkeypatch.setattr(engine_index, "_load_checked", [0.0, False])
    monkeypatch.setattr(precision, "other_processes_cores_since_last_call", lambda: 0.0)
    assert engine_index.machine_busy() is False
