"""One process-wide queue for heavy jobs (embedding, UMAP, index builds), and cancellation.

A hosted demo on two cores cannot run twenty embeddings at once: each would take twenty times
longer and the machine would run out of memory. :class:`JobQueue` lets ``slots`` jobs run and
keeps the others waiting first in, first out, telling each waiter its position as it changes.

A job belongs to a *work context* (:func:`bind`): the thread's cancel event and a callback that
shows the queue position. The app binds one per browser session; when the session ends its event
is set, so a waiting job leaves the queue and a running one stops at its next check
(:func:`check_cancelled`, called by ingest budgets and embedding batches). The queue is
re-entrant per thread: a heavy cached function called inside another heavy job does not wait for
a second slot (which would deadlock with one slot).

Local mode has no queue (``slots=0``): jobs start at once, as before.
"""
from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from engine.errors import EmbedscapeError


class JobCancelled(EmbedscapeError):
    """The visitor who started the job has left (or cancelled it); nothing partial is stored."""


Reporter = Callable[[int, int], None]  # (position in line starting at 1, jobs running); 0 = started


@dataclass
class WorkContext:
    """What a thread's jobs answer to: a cancel event and where to show the queue position."""

    cancel: threading.Event = field(default_factory=threading.Event)
    report: Reporter | None = None


_local = threading.local()


def bind(context: WorkContext | None) -> None:
    """Make ``context`` the calling thread's work context (None: jobs are never cancelled)."""
    _local.context = context


def current() -> WorkContext | None:
    return getattr(_local, "context", None)


def cancelled() -> bool:
    """Whether the calling thread's work was cancelled (usable as ``should_cancel``)."""
    context = current()
    return bool(context is not None and context.cancel.is_set())


def check_cancelled() -> None:
    """Raise :class:`JobCancelled` if the calling thread's work was cancelled; cheap, call often."""
    if cancelled():
        raise JobCancelled("The session that started this work has ended, so it was stopped; nothing was stored.")


class JobQueue:
    """A FIFO counting semaphore that reports positions; thread-safe, re-entrant per thread.

    Example:
        >>> queue = JobQueue(slots=1)
        >>> with queue.slot("embedding"):
        ...     queue.snapshot()["running"]
        1
    """

    def __init__(self, slots: int, *, poll_seconds: float = 0.25) -> None:
        self.slots = slots
        self.poll_seconds = poll_seconds
        self._cond = threading.Condition()
        self._waiting: deque[int] = deque()
        self._running: dict[int, str] = {}
        self._tickets = itertools.count(1)
        self._held = threading.local()

    def snapshot(self) -> dict[str, int]:
        with self._cond:
            return {"running": len(self._running), "waiting": len(self._waiting), "slots": self.slots}

    @contextlib.contextmanager
    def slot(self, label: str, *, context: WorkContext | None = None) -> Iterator[None]:
        """Hold one slot for the block; wait in line first if all are busy.

        ``context`` defaults to the thread's (:func:`bind`): its reporter hears each new position
        (and 0 when the job starts); if its cancel event is set while waiting, the ticket leaves
        the line and :class:`JobCancelled` is raised.
        """
        depth = getattr(self._held, "depth", 0)
        if self.slots <= 0 or depth:
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth = depth
            return
        context = context if context is not None else current()
        ticket = self._enter(label, context)
        self._held.depth = 1
        try:
            yield
        finally:
            self._held.depth = 0
            with self._cond:
                self._running.pop(ticket, None)
                self._cond.notify_all()

    def _enter(self, label: str, context: WorkContext | None) -> int:
        ticket = next(self._tickets)
        last_reported = -1
        with self._cond:
            self._waiting.append(ticket)
        try:
            while True:
                with self._cond:
                    position = self._waiting.index(ticket)  # 0 = first in line
                    if position == 0 and len(self._running) < self.slots:
                        self._waiting.popleft()
                        self._running[ticket] = label
                        running = len(self._running)
                        break
                    running = len(self._running)
                if context is not None and context.cancel.is_set():
                    raise JobCancelled(f"{label} was waiting for a free slot when its session ended; it was not run.")
                if context is not None and context.report is not None and position + 1 != last_reported:
                    last_reported = position + 1
                    context.report(position + 1, running)
                with self._cond:
                    self._cond.wait(timeout=self.poll_seconds)
        except BaseException:
            with self._cond:
                if ticket in self._waiting:
                    self._waiting.remove(ticket)
                self._cond.notify_all()
            raise
        if context is not None and context.report is not None and last_reported > 0:
            context.report(0, running)
        return ticket


_queue: JobQueue | None = None
_queue_lock = threading.Lock()


def queue() -> JobQueue:
    """The process-wide queue, sized by ``Settings.job_slots`` (0 in local mode: no waiting)."""
    global _queue
    with _queue_lock:
        if _queue is None:
            from engine.config import Settings

            _queue = JobQueue(Settings.from_env().job_slots)
        return _queue


@contextlib.contextmanager
def heavy(label: str) -> Iterator[None]:
    """``with heavy("Building the map"):`` runs the block in the process-wide queue."""
    check_cancelled()
    with queue().slot(label):
        yield


class Stopwatch:
    """Seconds spent inside ``with`` blocks (charged to a visitor's embedding quota)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    @contextlib.contextmanager
    def running(self) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - start
