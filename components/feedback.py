"""User-facing errors and progress: engine errors become ``st.error`` with advice, never a traceback."""
from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterator

import streamlit as st

from engine.errors import EmbedscapeError


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")
# remark-gfm turns bare ``http://…``, ``www.…`` and ``a@b.c`` into links *after* backslash escapes
# are resolved (its transform searches the plain text), so escaping cannot stop it: an invisible
# WORD JOINER (U+2060) inside ``://``, ``www.`` and before ``@`` breaks its patterns instead.
_AUTOLINK_BREAK = re.compile(r"(?=://)|(?<=[wW]{3})(?=\.)|(?=@)")
WORD_JOINER = "\u2060"


def escape_markdown(text: object) -> str:
    """``text`` with every Markdown/LaTeX control character backslash-escaped.

    For st.markdown/st.caption/st.error of anything that may quote user text (queries, words,
    file names). Streamlit already refuses raw HTML without ``unsafe_allow_html``; this also keeps
    ``\\bfires?\\b`` intact and stops ``![](…)`` from loading an image. Bare URLs and e-mail
    addresses are not made clickable (see ``_AUTOLINK_BREAK``).
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _AUTOLINK_BREAK.sub(WORD_JOINER, str(text)))


@contextlib.contextmanager
def user_errors(*, stop: bool = True) -> Iterator[None]:
    """Show engine errors as ``st.error`` (their messages say what to do) and stop the page."""
    try:
        yield
    except EmbedscapeError as exc:
        st.error(escape_markdown(exc), icon="⚠️")
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
