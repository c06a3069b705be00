"""Physical lines of a text stream, read in bounded pieces so one huge line cannot blow up memory.

A 10 MB cell read whole costs ~60 MB (the line, then Python's csv field buffer of 4-byte
characters, then the string). Texts are truncated to ``max_text_chars`` anyway, so long lines
are read in pieces of ``limit`` characters and every run of characters that cannot change the
structure of a row (no quote, delimiter or line break) is cut after ``limit`` characters: with
``limit >= max_text_chars`` every field keeps exactly the prefix that truncation would keep.
"""
from __future__ import annotations

import io
import re
from collections.abc import Iterator


class BoundedLines:
    """Iterate ``stream`` (opened with ``newline=""``) as lines whose plain runs are at most ``limit``.

    ``shortened`` counts the runs that were cut, for the ingest report.
    """

    def __init__(self, stream: io.TextIOBase, limit: int, structural: str) -> None:
        self.stream = stream
        self.limit = limit
        self.shortened = 0
        self._structural = re.compile("[" + re.escape(structural + "\r\n") + "]")

    def __iter__(self) -> Iterator[str]:
        parts: list[str] = []
        run = 0
        while piece := self.stream.readline(self.limit):
            complete = piece.endswith(("\n", "\r"))
            if complete and not parts:
                yield piece  # an ordinary line, untouched
                continue
            kept, run = self._shorten(piece, run)
            parts.append(kept)
            if complete:
                yield "".join(parts)
                parts, run = [], 0
        if parts:
            yield "".join(parts)

    def _shorten(self, piece: str, run: int) -> tuple[str, int]:
        """Cut plain runs past ``limit`` characters; ``run`` is the plain run carried in."""
        out: list[str] = []
        start = 0
        for match in self._structural.finditer(piece):
            run = self._keep(piece[start:match.start()], run, out)
            out.append(match.group())
            run, start = 0, match.end()
        run = self._keep(piece[start:], run, out)
        return "".join(out), run

    def _keep(self, segment: str, run: int, out: list[str]) -> int:
        """Append what fits of a plain segment; return the run length (``limit + 1`` once cut)."""
        room = self.limit - run
        if len(segment) <= room:
            out.append(segment)
            return run + len(segment)
        if room >= 0:  # this run passes the limit now: count it once
            self.shortened += 1
            out.append(segment[:room])
        return self.limit + 1


def bounded_text_lines(stream: io.TextIOBase, limit: int) -> Iterator[tuple[str, bool]]:
    """Lines of a TXT stream (universal newlines), each cut to ``limit`` characters.

    Yields:
        (line without its ending, whether it was cut)
    """
    while piece := stream.readline(limit):
        if piece.endswith("\n"):
            yield piece[:-1], False
            continue
        cut = False
        while (rest := stream.readline(limit)) and not rest.endswith("\n"):
            cut = True  # skip the rest of a long line, one bounded piece at a time
        yield piece, cut or rest not in ("", "\n")
