"""Faults (issue 12, step 4): kill -9 mid-write leaves a consistent store; `engine check` repairs it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from engine.check import check_workspace, clean_stray_tmp
from engine.config import Settings
from engine.hosting import startup
from engine.store import Store, write_json_atomic
from tests.conftest import ROOT

# A writer that never stops: corpora, vectors (with manifest updates) and artifacts, as fast as it can.
WRITER = r'''
import sys, numpy as np
from engine.corpus import corpus_from_texts
from engine.store import Store
from engine.types import ModelSpec
store = Store(sys.argv[1])
spec = ModelSpec(model_id="toy", display_name="toy", kind="sentence", dimension=8, source="", license="",
                 max_seq_length=0, bundled=False, description="")
i = int(sys.argv[2])
while True:
    i += 1
    corpus, report = corpus_from_texts([f"text {i} {j}" for j in range(200)], name=f"c{i}")
    store.save_corpus(corpus, report)
    store.save_embeddings(corpus.corpus_id, spec, np.random.rand(200, 8).astype("float32"), np.ones(200, bool))
    store.save_array(corpus.corpus_id, "projections", "p", np.random.rand(200, 2))
    print(i, flush=True)
'''


def _assert_consistent(root: Path) -> None:
    store = Store(root)
    for manifest in store.list_corpora():
        corpus = store.load_corpus(manifest["corpus_id"])
        assert len(corpus) == manifest["n_rows"]
        for model_id, record in store.manifest(manifest["corpus_id"])["embeddings"].items():
            vectors = np.load(root / record["file"], mmap_mode="r")
            assert vectors.shape[0] == manifest["n_rows"], model_id
    assert not list(root.rglob("*.tmp"))


def test_kill_9_at_random_moments_leaves_a_consistent_store(tmp_path):
    rng = np.random.default_rng(7)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for round_ in range(6):
        writer = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), str(round_ * 1000)],
                                  stdout=subprocess.PIPE, env=env, cwd=ROOT)
        assert writer.stdout is not None
        writer.stdout.readline()  # at least one full write cycle, so the interpreter is warm
        time.sleep(float(rng.uniform(0.0, 0.4)))
        writer.send_signal(signal.SIGKILL)
        writer.wait(10)
        report = check_workspace(tmp_path)
        assert report["ok"], report["problems"]
        _assert_consistent(tmp_path)
    assert len(Store(tmp_path).list_corpora()) >= 6


def test_check_repairs_what_a_crash_can_leave(tmp_path, capsys):
    from engine.cli import main
    from engine.corpus import corpus_from_texts

    store = Store(tmp_path)
    corpus, report = corpus_from_texts(["one text", "two texts"], name="kept")
    store.save_corpus(corpus, report)
    unfinished = store.corpus_dir("abc123")  # a table written, the manifest never: a crash in save_corpus
    unfinished.mkdir(parents=True)
    (unfinished / "corpus.parquet").write_bytes(b"PAR1")
    stray = store.corpus_dir(corpus.corpus_id) / ".manifest.json.x1y2.tmp"
    stray.write_text("{half")
    manifest = store.manifest(corpus.corpus_id)
    manifest["embeddings"]["gone"] = {"model_id": "gone", "file": "embeddings/none/gone.npy"}
    write_json_atomic(store.corpus_dir(corpus.corpus_id) / "manifest.json", manifest)

    assert main(["--workspace", str(tmp_path), "check", "--dry-run"]) == 1
    assert stray.exists() and unfinished.exists()  # a dry run changes nothing
    assert main(["--workspace", str(tmp_path), "check", "--json"]) == 0
    result = json.loads(_last_json(capsys))
    assert result["ok"] and len(result["repaired"]) == 3, result
    assert not stray.exists() and not unfinished.exists()
    assert "gone" not in store.manifest(corpus.corpus_id)["embeddings"]


def _last_json(capsys) -> str:
    out = capsys.readouterr().out
    return out[out.rindex("\n{") + 1:] if "\n{" in out else out


def test_start_up_removes_old_stray_tmp_files_only(tmp_path):
    old = tmp_path / "corpora" / "x" / ".corpus.parquet.old.tmp"
    young = tmp_path / "corpora" / "x" / ".corpus.parquet.young.tmp"
    old.parent.mkdir(parents=True)
    old.write_bytes(b"partial")
    young.write_bytes(b"being written right now")
    past = time.time() - 3600
    os.utime(old, (past, past))
    done = startup(tmp_path, Settings(), precompute=False)
    assert done["stray_tmp_removed"] == 1 and not old.exists() and young.exists()
    assert clean_stray_tmp(tmp_path) == [young]  # `engine check` takes every one


def test_writes_are_fsynced_before_the_rename(tmp_path, monkeypatch):
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(os, "replace", lambda a, b: (calls.append("replace"), real_replace(a, b))[1])
    write_json_atomic(tmp_path / "a.json", {"x": 1})
    assert calls[:2] == ["fsync", "replace"] and calls.count("fsync") >= 2  # the file, then its folder
