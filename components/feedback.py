"""User-facing errors and progress: engine errors become ``st.error`` with advice, never a traceback."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator

import streamlit as st

from engine.errors import EmbedscapeError


@contextlib.contextmanager
def user_errors(*, stop: bool = True) -> Iterator[None]:
    """Show engine errors as ``st.error`` (their messages say what to do) and stop the page."""
    try:
        yield
    except EmbedscapeError as exc:
        st.error(str(exc), icon="⚠️")
        if stop:
            st.stop()


def progress_reporter(label: str) -> tuple[Callable[[int, int], None], Callable[[], float]]:
    """An ``st.progress`` bar and a callback ``(done, total)`` that fills it.

    Returns:
        (callback, finish) where ``finish()`` removes the bar and returns the seconds taken.
    """
    bar = st.progress(0.0, text=f"{label}…")
    started = time.perf_counter()

    def update(done: int, total: int) -> None:
        fraction = done / total if total else 1.0
        elapsed = time.perf_counter() - started
        rate = done / elapsed if elapsed > 0 and done else 0.0
        eta = f", about {(total - done) / rate:.0f} s left" if rate and done < total else ""
        bar.progress(min(fraction, 1.0), text=f"{label}: {done:,} of {total:,}{eta}")

    def finish() -> float:
        bar.empty()
        return time.perf_counter() - started

    return update, finish
