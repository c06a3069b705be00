"""Import the heavy libraries once, from one thread, before pages use them.

Streamlit runs every session's script in its own thread. When two tabs open at once on a fresh
server, two threads import pandas, scipy, plotly… at the same time, and a library that looks a
module up in ``sys.modules`` (plotly's ``get_module("pandas")``, Streamlit's type checks) can get
one that the other thread is still initialising: "partially initialized module 'pandas' has no
attribute 'Series'". Python's per-module import locks do not prevent that, and a cycle between two
threads' imports is broken by handing one of them a partial module.

So the libraries pages need are imported here, one after the other, under a process-wide lock:
:func:`import_core` runs when the ``components`` package is first imported (every page imports it
first, and a second thread waits for that import to finish), and the launcher behind ``make run``
(``components/launch.py``) calls it before the server answers its health check. The slow extras
(torch + sentence-transformers, umap + numba's compiled code) are paid by
:func:`start_background` in a daemon thread started with the server, which works after the
first visitor's page and between page scripts, never inside a visitor's request.
"""
from __future__ import annotations

import contextlib
import importlib
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable
from types import ModuleType

# What the pages import at module level or lazily within a request, cheapest first. Order matters
# only for speed: each is imported after what it imports itself.
CORE_MODULES: tuple[str, ...] = (
    "numpy", "pyarrow", "pyarrow.parquet", "pyarrow.compute", "polars", "pandas",
    "plotly.graph_objects", "plotly.express", "scipy.stats", "scipy.sparse",
    "sklearn.cluster", "sklearn.decomposition", "sklearn.feature_extraction.text",
    "sklearn.linear_model", "sklearn.manifold", "sklearn.model_selection", "threadpoolctl",
    "faiss",
)
# Seconds of import each (torch ~2 s, sentence-transformers ~3 s, umap/pynndescent up to 20 s
# before numba's cache is filled): paid in the background at server start.
SLOW_MODULES: tuple[str, ...] = ("torch", "transformers", "sentence_transformers")

_LOCK = threading.RLock()
_state: dict[str, object] = {"core_seconds": None, "background": None, "log": []}


def _initialising(module: ModuleType | None) -> bool:
    return bool(getattr(getattr(module, "__spec__", None), "_initializing", False))


def require(*names: str) -> list[ModuleType]:
    """Import ``names`` under the process-wide lock (a no-op for modules already complete).

    Engine code that imports a heavy library lazily inside a request calls this, so it waits
    for the background warm-up instead of racing it.
    """
    modules = [sys.modules.get(name) for name in names]
    if all(m is not None and not _initialising(m) for m in modules):
        return modules  # type: ignore[return-value]
    with _LOCK:
        return [importlib.import_module(name) for name in names]


def import_core(names: Iterable[str] = CORE_MODULES) -> float:
    """Import every core module once per process; returns the seconds the first call took.

    A module that is not installed is skipped (the page that needs it reports it clearly).
    """
    if _state["core_seconds"] is not None:  # without the lock: the background may hold it for seconds
        return 0.0
    with _LOCK:
        if _state["core_seconds"] is not None:
            return 0.0
        started = time.perf_counter()
        for name in names:
            try:
                importlib.import_module(name)
            except ImportError:
                continue
        _state["core_seconds"] = time.perf_counter() - started
        freeze_heap()
        return float(_state["core_seconds"])


def freeze_heap() -> None:
    """Move every object alive now (the imported libraries: ~660k objects with torch, polars, plotly
    and streamlit loaded) out of the garbage collector's reach, so a full collection no longer walks
    them: measured here, ``gc.collect(2)`` took 425-508 ms with those libraries imported and ~0 ms
    after ``gc.freeze()``. Objects created later are collected as usual. Called after each batch of
    imports (core, the app's modules, the background warm-up)."""
    import gc

    gc.collect()
    gc.freeze()


Step = tuple[str, Callable[[], object], bool]  # (label, work, holds the lock: True for imports)


# Streamlit names the thread that runs a page script so (streamlit/runtime/scriptrunner).
SCRIPT_THREAD = "ScriptRunner.scriptThread"
QUIET_SECONDS = 5.0  # no page script for this long before a warm-up step starts


def wait_until_idle(*, quiet: float = 1.0, max_wait: float = 60.0) -> float:
    """Wait until no page script has run for ``quiet`` seconds (at most ``max_wait``); returns the wait.

    On 2 cores a background import competes with a visitor's request for the GIL and the CPU
    (measured: the first Map took ~2x longer while torch was being imported), so the warm-up
    works between requests, not during them.
    """
    started = time.monotonic()
    idle_since = time.monotonic()
    while time.monotonic() - started < max_wait:
        if any(t.name == SCRIPT_THREAD for t in threading.enumerate()):
            idle_since = time.monotonic()
        elif time.monotonic() - idle_since >= quiet:
            break
        time.sleep(0.1)
    return time.monotonic() - started


def wait_for_first_page(*, max_wait: float = 30.0) -> float:
    """Wait until a first page script has started (at most ``max_wait`` s); returns the wait.

    The first visitor usually arrives right after `make run` prints its URL; the warm-up starts
    after that visitor's page (``wait_until_idle``), or after ``max_wait`` seconds without one.
    """
    started = time.monotonic()
    while time.monotonic() - started < max_wait:
        if any(t.name == SCRIPT_THREAD for t in threading.enumerate()):
            break
        time.sleep(0.1)
    return time.monotonic() - started


def _warm_slow(steps: Iterable[Step], *, first_page_wait: float = 0.0) -> None:
    log: list[str] = _state["log"]  # type: ignore[assignment]
    with contextlib.suppress(AttributeError, OSError):  # Linux: a thread has its own nice value
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)  # the browser drawing the page goes first
    if first_page_wait:
        wait_for_first_page(max_wait=first_page_wait)
    for label, step, locked in steps:
        # the browser still draws for a few seconds after a script ends (plotly.js, WebGL): measured,
        # a warm-up started 1 s after the Map's script made its first chart 2-3x slower to appear
        wait_until_idle(quiet=QUIET_SECONDS)
        started = time.perf_counter()
        try:
            if locked:
                with _LOCK:
                    step()
            else:
                step()
            log.append(f"{label}: {time.perf_counter() - started:.1f} s")
        except Exception as exc:  # noqa: BLE001 - a warm-up failure must never stop the server
            log.append(f"{label}: failed ({type(exc).__name__}: {exc})")
    freeze_heap()  # torch, transformers and umap: their objects too


def default_steps() -> list[Step]:
    """The background work: sentence-transformers' imports, then umap with numba's compiled code."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from engine import project

    steps: list[Step] = [(name, lambda name=name: importlib.import_module(name), True) for name in SLOW_MODULES]
    # umap is imported by project (it points numba at its persistent cache first); the tiny fit that
    # loads or compiles numba's code needs no lock.
    return steps + [("umap import", project._umap_class, True), ("umap compile", project.warm_up_umap, False)]


def start_background(steps: Iterable[Step] | None = None, *, first_page_wait: float = 30.0) -> threading.Thread:
    """Start (once per process) a daemon thread that pays the slow imports and compilation,
    after the first visitor's page (or ``first_page_wait`` seconds without one).

    Each step holds the lock while it runs, so a request that needs the same library through
    :func:`require` waits for it rather than importing it a second time in parallel.
    """
    with _LOCK:
        thread = _state["background"]
        if isinstance(thread, threading.Thread):
            return thread
        thread = threading.Thread(target=_warm_slow, args=(list(steps or default_steps()),),
                                  kwargs={"first_page_wait": first_page_wait}, name="embedscape-warmup",
                                  daemon=True)
        _state["background"] = thread
        thread.start()
        return thread


def report() -> dict[str, object]:
    """What was warmed and how long it took (for logs and the bench script)."""
    thread = _state["background"]
    return {"core_seconds": _state["core_seconds"], "background": list(_state["log"]),  # type: ignore[arg-type]
            "background_running": isinstance(thread, threading.Thread) and thread.is_alive()}
