"""User-facing errors and progress: engine errors become ``st.error`` with advice, never a traceback."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

import streamlit as st

from engine.errors import EmbedscapeError
from engine.markup import WORD_JOINER, escape_markdown  # noqa: F401 - the app's escaping lives in the engine


@contextlib.contextmanager
def user_errors(*, stop: bool = True, on_error: Callable[[], None] | None = None) -> Iterator[None]:
    """Show engine errors as ``st.error`` (their messages say what to do) and stop the page.

    ``on_error`` runs first, e.g. to drop an earlier success message the error makes stale.
    """
    try:
        yield
    except EmbedscapeError as exc:
        if on_error:
            on_error()
        st.error(escape_markdown(exc), icon="⚠️")
        if stop:
            st.stop()


def progress_reporter(label: str) -> tuple[Callable[[int, int], None], Callable[[], float]]:
    """An ``st.progress`` bar and a callback ``(done, total)`` that fills it.

    Returns:
        (callback, finish) where ``finish()`` removes the bar and returns the seconds taken.
    """
    update, _, finish = progress_phases(label)
    return update, finish


def progress_phases(label: str) -> tuple[Callable[[int, int], None], Callable[[str], None], Callable[[], float]]:
    """Like :func:`progress_reporter`, plus ``phase(message)``: shows what happens before the
    first batch (loading a model) in the bar's text, where the user is already looking.

    Returns:
        (update, phase, finish)
    """
    label = escape_markdown(label)
    bar = st.progress(0.0, text=f"{label}…")
    started = time.perf_counter()
    clock = {"first_batch": started}  # the rate and "s left" count from the first batch, not the model load

    def phase(message: str) -> None:
        bar.progress(0.0, text=escape_markdown(message))

    def update(done: int, total: int) -> None:
        if done == 0:
            clock["first_batch"] = time.perf_counter()
        fraction = done / total if total else 1.0
        elapsed = time.perf_counter() - clock["first_batch"]
        rate = done / elapsed if elapsed > 0 and done else 0.0
        eta = f", about {(total - done) / rate:.0f} s left" if rate and done < total else ""
        bar.progress(min(fraction, 1.0), text=f"{label}: {done:,} of {total:,}{eta}")

    def finish() -> float:
        bar.empty()
        return time.perf_counter() - started

    return update, phase, finish
