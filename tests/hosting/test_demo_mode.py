"""Demo mode's settings, the model allow-list and the heavy-job queue (issue 12, step 1)."""
from __future__ import annotations

import threading
import time

import pytest

from engine import jobs
from engine.config import DEMO_DEFAULTS, Settings, streamlit_flags
from engine.errors import UnknownModelError
from engine.visitors import allowed_model


def _flag(flags: list[str], name: str) -> str:
    return flags[flags.index(name) + 1]


def test_demo_configuration_values(monkeypatch):
    for name in ("EMBEDSCAPE_MAX_UPLOAD_MB", "EMBEDSCAPE_MAX_ROWS", "EMBEDSCAPE_JOB_SLOTS", "EMBEDSCAPE_ALLOWED_MODELS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("EMBEDSCAPE_MODE", "demo")
    demo = Settings.from_env()
    local = Settings()
    assert demo.demo and not local.demo
    # every upload cap is lower than the local one, and every visitor limit is set
    for cap in ("max_upload_mb", "max_decoded_mb", "max_rows", "max_columns"):
        assert 0 < getattr(demo, cap) < getattr(local, cap), cap
    assert demo.visitor_max_corpora > 0 and demo.visitor_max_rows > 0 and demo.visitor_embed_seconds > 0
    assert demo.visitor_idle_hours > 0 and demo.cache_ttl_seconds > 0 and demo.job_slots == 1
    assert set(demo.allowed_models) <= {"minilm-l6", "minilm-l3", "glove-50d", "tfidf-svd"}
    flags = streamlit_flags(demo)
    assert _flag(flags, "--server.address") in ("127.0.0.1", "localhost")
    assert _flag(flags, "--server.enableXsrfProtection") == "true"
    assert _flag(flags, "--client.showErrorDetails") == "none"
    assert int(_flag(flags, "--server.maxUploadSize")) == demo.max_upload_mb
    assert streamlit_flags(local) == []  # local mode keeps the command line as it is


def test_each_demo_setting_can_be_overridden(monkeypatch):
    monkeypatch.setenv("EMBEDSCAPE_MODE", "demo")
    monkeypatch.setenv("EMBEDSCAPE_MAX_ROWS", "123")
    monkeypatch.setenv("EMBEDSCAPE_ALLOWED_MODELS", "minilm-l3")
    settings = Settings.from_env()
    assert settings.max_rows == 123 and settings.allowed_models == ("minilm-l3",)
    assert settings.max_upload_mb == DEMO_DEFAULTS["max_upload_mb"]
    monkeypatch.setenv("EMBEDSCAPE_MODE", "public")
    with pytest.raises(ValueError, match="local' or 'demo"):
        Settings.from_env()


def test_local_config_file_listens_on_localhost_with_xsrf():
    import tomllib

    from tests.conftest import ROOT

    server = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())["server"]
    assert server["address"] in ("localhost", "127.0.0.1") and server["enableXsrfProtection"] is True


def test_allow_list_answers_a_folder_and_a_missing_name_alike(tmp_path):
    settings = Settings(**DEMO_DEFAULTS)
    assert allowed_model("minilm-l3", settings).model_id == "minilm-l3"
    refusals = set()
    for name in ("/etc", str(tmp_path), "/no/such/folder", "sentence-transformers/all-mpnet-base-v2",
                 "no-such-model", "tests", "..", "MiniLM-L12"):
        with pytest.raises(UnknownModelError) as caught:
            allowed_model(name, settings)
        refusals.add(str(caught.value))
    assert len(refusals) == 1, refusals  # one message whatever exists on the server
    assert "/" not in next(iter(refusals)).replace("sentence-transformers", "")
    # local mode is unchanged: any hub name resolves
    assert allowed_model("sentence-transformers/all-mpnet-base-v2", Settings()).bundled is False


def test_queue_is_first_in_first_out_and_reports_positions():
    queue = jobs.JobQueue(slots=1, poll_seconds=0.02)
    order: list[str] = []
    positions: dict[str, list[int]] = {"b": [], "c": []}
    release = threading.Event()

    def holder() -> None:
        with queue.slot("a"):
            order.append("a")
            release.wait(5)

    def waiter(name: str) -> None:
        context = jobs.WorkContext(report=lambda position, running: positions[name].append(position))
        with queue.slot(name, context=context):
            order.append(name)
            time.sleep(0.3)  # long enough for the next in line to see itself first

    threads = [threading.Thread(target=holder)]
    threads[0].start()
    while queue.snapshot()["running"] == 0:
        time.sleep(0.01)
    for name in ("b", "c"):
        threads.append(threading.Thread(target=waiter, args=(name,)))
        threads[-1].start()
        while queue.snapshot()["waiting"] < len(threads) - 1:
            time.sleep(0.01)
    release.set()
    for thread in threads:
        thread.join(5)
    assert order == ["a", "b", "c"]
    assert positions["b"][0] == 1 and positions["b"][-1] == 0
    assert positions["c"][0] == 2 and 1 in positions["c"] and positions["c"][-1] == 0
    assert queue.snapshot() == {"running": 0, "waiting": 0, "slots": 1}


def test_a_cancelled_waiter_leaves_the_line_and_the_queue_is_reentrant():
    queue = jobs.JobQueue(slots=1, poll_seconds=0.02)
    context = jobs.WorkContext()
    errors: list[BaseException] = []
    with queue.slot("outer"):
        with queue.slot("inner"):  # the same thread: no second slot, no deadlock
            assert queue.snapshot()["running"] == 1

        def wait() -> None:
            try:
                with queue.slot("late", context=context):
                    pass
            except jobs.JobCancelled as exc:
                errors.append(exc)

        thread = threading.Thread(target=wait)
        thread.start()
        while queue.snapshot()["waiting"] == 0:
            time.sleep(0.01)
        context.cancel.set()
        thread.join(5)
    assert len(errors) == 1 and queue.snapshot()["waiting"] == 0


def test_cancelled_context_stops_parsing(tmp_path):
    from engine.corpus import read_table

    path = tmp_path / "t.csv"
    path.write_text("text\n" + "".join(f"row {i}\n" for i in range(1000)))
    context = jobs.WorkContext()
    context.cancel.set()
    jobs.bind(context)
    try:
        with pytest.raises(jobs.JobCancelled):
            read_table(path)
    finally:
        jobs.bind(None)
    assert read_table(path).rows_read == 1000  # unbound: reads as before
