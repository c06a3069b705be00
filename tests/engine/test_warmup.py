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
