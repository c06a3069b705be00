"""The load test, reduced (issue 12, step 5): 5 concurrent visitors of the demo-mode server.

bench/load.py runs the full form (20 visitors) and records the figures in docs/reliability.md.
"""
from __future__ import annotations

import pytest

from bench.load import run

SESSIONS = 5


@pytest.mark.browser
def test_five_concurrent_visitors_complete_and_memory_levels_off(demo_url):
    url, pid, workspace = demo_url  # the demo tests' server: a fresh one would prove nothing new
    summary = run(SESSIONS, workspace=workspace, settle_seconds=30, prepare=False, server=(url, pid))
    print(summary)  # the figures, for the test log
    assert summary["completed"] == SESSIONS, summary["failures"]
    assert all(seconds > 0 for seconds in summary["session_seconds"])
    assert set(summary["median_step_seconds"]) == {"home", "map", "search", "axes"}
    rss = summary["rss_mb"]
    assert rss["before"] < rss["peak"]  # the sampler saw the work …
    assert summary["levelled_off"], summary["after_samples_mb"]  # … and memory stopped growing after it
    assert rss["after"] <= rss["peak"] * 1.05
