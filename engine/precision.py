"""The CPU route of sentence-model encoding: bf16 autocast where the CPU has native bf16, else fp32.

Measured on this project's CPUs (docs/benchmarks.md, Embedding fast path): all-MiniLM-L6-v2 under
``torch.autocast("cpu", dtype=torch.bfloat16)`` agrees with fp32 on ≥ 0.98 of each text's top-10
neighbours and runs 2-3× faster, but only where the CPU computes bf16 natively (AVX-512 BF16 or
AMX); elsewhere autocast emulates bf16 and is slower than fp32. Vectors are always returned as
float32. The two routes never mix: the route is part of the stored key (engine.embed).

``EMBEDSCAPE_EMBED_ROUTE`` = ``auto`` (default) | ``fp32`` | ``bf16`` overrides the choice.
"""
from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from engine.types import ModelSpec

ROUTES = ("fp32", "bf16")
_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


@lru_cache(maxsize=1)
def cpu_flags(cpuinfo: str = "/proc/cpuinfo") -> frozenset[str]:
    """The CPU feature flags the kernel reports (empty where there is no /proc/cpuinfo)."""
    try:
        text = Path(cpuinfo).read_text(errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.split(":", 1)[1].split())
    return frozenset()


def native_bf16(flags: frozenset[str] | None = None, capability: str | None = None) -> bool:
    """True when the CPU has bf16 arithmetic (AVX-512 BF16 or AMX) and torch dispatches to AVX-512
    kernels. ``capability`` is ``torch.backends.cpu.get_cpu_capability()``; it is read only when
    torch is already imported (a cache hit must not pay torch's import), else ``ATEN_CPU_CAPABILITY``
    (torch's own override) is honoured."""
    import sys

    flags = cpu_flags() if flags is None else flags
    if not any(flag in flags for flag in _BF16_FLAGS):
        return False
    if capability is None:
        torch = sys.modules.get("torch")
        capability = (str(torch.backends.cpu.get_cpu_capability()) if torch is not None
                      else os.environ.get("ATEN_CPU_CAPABILITY") or "AVX512")
    return capability.upper().startswith(("AVX512", "AMX"))


def choose_route(requested: str | None = None) -> str:
    """``fp32`` or ``bf16``: the requested route, else ``EMBEDSCAPE_EMBED_ROUTE``, else what the CPU does best.

    Raises:
        ValueError: For an unknown route name.
    """
    route = (requested or os.environ.get("EMBEDSCAPE_EMBED_ROUTE") or "auto").strip().lower()
    if route == "auto":
        return "bf16" if native_bf16() else "fp32"
    if route not in ROUTES:
        raise ValueError(f"Unknown embedding route {route!r}: use auto, fp32 or bf16 (EMBEDSCAPE_EMBED_ROUTE).")
    return route


@contextlib.contextmanager
def autocast(route: str) -> Iterator[None]:
    """Run torch code under the route's precision (a no-op for fp32)."""
    if route != "bf16":
        yield
        return
    import torch

    with torch.autocast("cpu", dtype=torch.bfloat16):
        yield


_threads = {"active": 0, "saved": 0}
_THREADS_LOCK = threading.Lock()


def _cpu_ticks(proc: Path) -> tuple[float, float]:
    """(ticks all processes spent busy, ticks this process spent) since boot, from /proc."""
    fields = (proc / "stat").read_text().split("\n", 1)[0].split()[1:]
    busy = sum(int(v) for v in fields[:8]) - int(fields[3]) - int(fields[4])  # minus idle, iowait
    own = (proc / "self" / "stat").read_text().rsplit(")", 1)[1].split()
    return float(busy), float(int(own[11]) + int(own[12]))  # utime + stime, in the same ticks


def _cores_from_ticks(busy: float, own: float, seconds: float) -> float:
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    return max(0.0, busy - own) / ticks / max(seconds, 1e-3)


def other_processes_cores(window: float = 0.1, *, proc: Path = Path("/proc")) -> float | None:
    """How many cores' worth of CPU the *other* processes used over the next ``window`` seconds
    (None where /proc/stat is missing). This process's own threads are left out, so an embedding job
    that kept both cores busy does not make the next one think the machine is loaded."""
    try:
        busy0, own0 = _cpu_ticks(proc)
        started = time.monotonic()
        time.sleep(window)
        busy1, own1 = _cpu_ticks(proc)
        elapsed = time.monotonic() - started
    except (OSError, ValueError, IndexError):
        return None
    return _cores_from_ticks(busy1 - busy0, own1 - own0, elapsed)


_window_starts: dict[Path, tuple[float, float, float]] = {}  # proc root -> (monotonic time, busy, own ticks)
_WINDOW_LOCK = threading.Lock()
_SHORTEST_WINDOW = 0.25  # below this, 100 Hz ticks are too coarse to read a rate from
_LONGEST_WINDOW = 60.0  # past this, the average says little about now


def other_processes_cores_since_last_call(*, proc: Path = Path("/proc"),
                                          clock: Callable[[], float] = time.monotonic) -> float | None:
    """Cores' worth of CPU the *other* processes used since this function last ran, without waiting.

    For short work that must not block (a search, a layout): the window is the time between two
    calls, so a query pays two small file reads, not :func:`other_processes_cores`' 0.1 s sleep.
    None when the window is too short to measure (< 0.25 s; the window then keeps its start and
    grows), too long to describe now (> 60 s), or where /proc is missing. The first call only
    starts the window (engine.index starts it on import).
    """
    try:
        busy, own = _cpu_ticks(proc)
    except (OSError, ValueError, IndexError):
        return None
    now = clock()
    with _WINDOW_LOCK:
        start = _window_starts.get(proc)
        if start is not None and now - start[0] < _SHORTEST_WINDOW:
            return None
        _window_starts[proc] = (now, busy, own)
    if start is None or now - start[0] > _LONGEST_WINDOW:
        return None
    then, busy_then, own_then = start
    return _cores_from_ticks(busy - busy_then, own - own_then, now - then)


def _keeps_cores_busy(others: float | None) -> bool:
    """Other processes' CPU (in cores) reaches the core count minus half a core; where it could not be
    read (None), the 1-minute load average against the core count."""
    cores = os.cpu_count() or 1
    if others is not None:
        return others >= cores - 0.5
    try:
        return os.getloadavg()[0] >= cores
    except OSError:  # no load average on this platform
        return False


def busy_machine(window: float = 0.1) -> bool:
    """True when other processes keep the cores busy: at least the core count minus a half of them
    (measured over ``window`` seconds; where /proc is missing, the 1-minute load average against the
    core count). The load average lags by a minute and counts this process too: after one model's
    embedding kept both cores busy it read ~2 on an idle 2-core machine, and the next job ran on one
    thread at half speed (docs/benchmarks.md, Embedding fast path)."""
    return _keeps_cores_busy(other_processes_cores(window))


def busy_machine_since_last_call() -> bool:
    """:func:`busy_machine` over the time since this was last asked, without waiting
    (:func:`other_processes_cores_since_last_call`): for checks on a query's path."""
    return _keeps_cores_busy(other_processes_cores_since_last_call())


@contextlib.contextmanager
def load_aware_threads() -> Iterator[None]:
    """One torch thread while other processes keep the cores busy (:func:`busy_machine`), torch's
    default otherwise.

    Measured here (docs/benchmarks.md): with the load average above the core count, two torch
    threads made all-MiniLM-L6-v2 2-3× *slower* than one (OpenMP threads spin-wait for a core).
    Nested and concurrent uses share one saved value, restored when the last one ends.
    """
    import torch

    with _THREADS_LOCK:
        if _threads["active"] == 0:
            _threads["saved"] = torch.get_num_threads()
            if busy_machine():
                torch.set_num_threads(1)
        _threads["active"] += 1
    try:
        yield
    finally:
        with _THREADS_LOCK:
            _threads["active"] -= 1
            if _threads["active"] == 0:
                torch.set_num_threads(_threads["saved"])


def neighbor_agreement(reference: np.ndarray, candidate: np.ndarray, *, k: int = 10) -> float:
    """Mean share of each row's k nearest neighbours (cosine, itself excluded) that two sets of
    vectors for the same texts agree on. 1.0 = identical neighbourhoods."""
    from engine.vectors import knn_graph, unit_rows

    k = min(k, reference.shape[0] - 1)
    if k < 1:
        return 1.0
    a, _ = knn_graph(unit_rows(reference), k)
    b, _ = knn_graph(unit_rows(candidate), k)
    return float(np.mean([np.intersect1d(x, y).size / k for x, y in zip(a, b)]))


def stored_spec(spec: "ModelSpec", route: str) -> "ModelSpec":
    """The spec whose store key holds ``route``'s vectors: fp32 keeps the historic key (so existing
    stores keep working), bf16 adds ``-bf16`` to the revision (``minilm-l6@r1-bf16.npy``)."""
    from dataclasses import replace

    return spec if route == "fp32" else replace(spec, revision=f"{spec.revision}-{route}")


def satisfying_specs(spec: "ModelSpec", route: str) -> list["ModelSpec"]:
    """Stored keys that may answer a request for ``route``, best first: stored fp32 vectors satisfy
    any request; bf16 ones only a bf16 request."""
    return [spec] if route == "fp32" else [spec, stored_spec(spec, route)]
