"""Shared timing helper for the bench/ scripts (run as `python bench/<name>.py`, so this folder is
on sys.path and `from timing import median_seconds` works)."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any


def median_seconds(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    """Run ``fn`` ``repeats`` times; return the median wall time in seconds and the last result."""
    seconds: list[float] = []
    result = None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result
