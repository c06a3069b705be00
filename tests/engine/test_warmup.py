"""engine.warmup: the background warm-up waits for page scripts, and never stops the server."""
from __future__ import annotations

import threading
import time

from engine import warmup


def test_background_steps_wait_for_running_page_scripts():
    script = threading.Thread(target=time.sleep, args=(1.0,), name=warmup.SCRIPT_THREAD)
    script.start()
    waited = warmup.wait_until_idle(quiet=0.2, max_wait=10)
    assert not script.is_alive() and waited >= 1.0
    assert warmup.wait_until_idle(quiet=0.1, max_wait=10) < 0.5  # nothing running: goes at once


def test_a_failing_step_is_logged_and_the_next_one_still_runs(monkeypatch):
    # each step first waits for QUIET_SECONDS (5 s) without page scripts; the quiet wait is tested above
    monkeypatch.setattr(warmup, "QUIET_SECONDS", 0.05)
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("no such model")

    before = len(warmup.report()["background"])
    warmup._warm_slow([("broken", broken, True), ("next", lambda: ran.append("next"), False)])
    log = warmup.report()["background"][before:]
    assert ran == ["next"] and "broken: failed (RuntimeError: no such model)" in log[0]


def test_require_returns_complete_modules():
    (json_module,) = warmup.require("json")
    assert json_module.dumps([1]) == "[1]"


def test_the_warm_up_waits_for_the_first_visitor_or_gives_up():
    assert 0.3 <= warmup.wait_for_first_page(max_wait=0.3) < 2  # nobody came: it gives up
    later = threading.Timer(0.3, lambda: threading.Thread(target=time.sleep, args=(0.5,),
                                                          name=warmup.SCRIPT_THREAD).start())
    later.start()
    assert warmup.wait_for_first_page(max_wait=10) < 5  # a page started: it stops waiting


def test_imported_libraries_are_frozen_and_streamlit_does_not_collect_after_every_rerun():
    """A full collection after each rerun walked every imported library (~0.5 s per interaction):
    the server's config turns Streamlit's forced collection off and the warm-up freezes the heap."""
    import subprocess
    import sys
    import tomllib

    from tests.conftest import ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["runner"]["postScriptGC"] is False
    probe = ("import gc; from engine import warmup; warmup.import_core(); "
             "print(gc.get_freeze_count(), len(gc.get_objects()))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    frozen, tracked = (int(v) for v in out.stdout.split())
    assert frozen > 100_000  # the core libraries' objects are out of the collector's reach
    assert tracked < frozen // 20  # what a full collection still walks (0.43-0.51 s when nothing was frozen)
