"""The CLI end to end (`python -m engine …` in a subprocess, its own workspace)."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.bad_files import CASES
from tests.conftest import ROOT


def run_cli(*args: str, workspace) -> subprocess.CompletedProcess:
    env = {**os.environ, "EMBEDSCAPE_HOME": str(workspace), "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "engine", *args], capture_output=True, text=True, cwd=ROOT,
                          env=env, timeout=300)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory, store):
    path = tmp_path_factory.mktemp("cli-ws")
    if store.models_dir.exists():
        (path / "models").symlink_to(store.models_dir, target_is_directory=True)
    return path


@pytest.mark.parametrize("filename", list(CASES))
def test_ingest_gives_the_right_outcome_without_a_traceback(filename, tmp_path, workspace):
    data, expected_code, fragment = CASES[filename]
    path = tmp_path / filename
    path.write_bytes(data)
    result = run_cli("ingest", str(path), workspace=workspace)
    assert result.returncode == expected_code, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert fragment in result.stdout + result.stderr
    if expected_code:
        assert result.stderr.startswith("error: ")


def test_embed_json_summary_then_cache_hits_on_the_second_run(tmp_path, workspace):
    path = tmp_path / "news.csv"
    path.write_text("headline,topic\n" + "".join(
        f"Headline number {i} about {'markets' if i % 2 else 'football'},{'econ' if i % 2 else 'sport'}\n"
        for i in range(40)
    ))
    args = ("embed", str(path), "--text-column", "headline", "--models", "minilm-l3,tfidf-svd", "--json")
    first = run_cli(*args, workspace=workspace)
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["rows"] == 40 and summary["text_column"] == "headline"
    assert [m["model_id"] for m in summary["models"]] == ["minilm-l3", "tfidf-svd"]
    assert summary["cache_hits"] == 0 and summary["models"][0]["dimension"] == 384
    second = json.loads(run_cli(*args, workspace=workspace).stdout)
    assert second["cache_hits"] == 2 and second["corpus_id"] == summary["corpus_id"]

    listing = json.loads(run_cli("list", "--json", workspace=workspace).stdout)
    stored = [c for c in listing["corpora"] if c["corpus_id"] == summary["corpus_id"]]
    assert stored and stored[0]["models"] == ["minilm-l3", "tfidf-svd"]

    deleted = run_cli("delete", summary["corpus_id"], "--json", workspace=workspace)
    assert deleted.returncode == 0 and json.loads(deleted.stdout)["deleted"] == summary["corpus_id"]
    missing = run_cli("delete", summary["corpus_id"], workspace=workspace)
    assert missing.returncode == 5 and "No corpus" in missing.stderr


def test_unknown_model_exits_4_with_advice(tmp_path, workspace):
    path = tmp_path / "t.txt"
    path.write_text("one\ntwo\n")
    result = run_cli("embed", str(path), "--models", "minilm-l7", workspace=workspace)
    assert result.returncode == 4 and "Bundled models" in result.stderr and "Traceback" not in result.stderr


def test_models_lists_the_bundled_models_as_json(workspace):
    result = run_cli("models", "--json", workspace=workspace)
    assert [m["model_id"] for m in json.loads(result.stdout)] == ["minilm-l6", "minilm-l3", "glove-50d", "tfidf-svd"]


def test_workspace_flag_works_before_or_after_the_command(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    corpus = tmp_path / "t.txt"
    corpus.write_text("one text\nanother text\n")
    after = run_cli("ingest", str(corpus), "--json", "--workspace", str(elsewhere), workspace=tmp_path / "unused")
    assert after.returncode == 0, after.stderr
    before = run_cli(f"--workspace={elsewhere}", "list", "--json", workspace=tmp_path / "unused")
    assert json.loads(before.stdout)["workspace"] == str(elsewhere)
    assert len(json.loads(before.stdout)["corpora"]) == 1
