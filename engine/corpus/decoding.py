"""Decoding text files: byte-order marks, UTF-8, and noted fallbacks, streamed from the source.

The encoding is chosen from the first bytes (a byte-order mark, else UTF-8); text is then decoded
incrementally while a reader parses it. If UTF-8 turns out to be invalid part-way through, the
reader starts again with the fallback (Latin-1, or replacement characters when a UTF-8 BOM
promised UTF-8), and the ingest report says so.
"""
from __future__ import annotations

import contextlib
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from engine.corpus.source import Source
from engine.errors import CorpusError

T = TypeVar("T")

# UTF-32's little-endian mark starts with UTF-16's, so it is tested first.
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


@dataclass(frozen=True, slots=True)
class Decoding:
    """One way to decode a file: a codec, its error handling, and the note it earns."""

    encoding: str
    errors: str = "strict"
    note: str | None = None


def decodings(head: bytes) -> list[Decoding]:
    """The decodings to try, in order, for a file starting with ``head``.

    Raises:
        CorpusError: If the bytes look binary (NUL bytes without a UTF-16/32 byte-order mark).
    """
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            if encoding == "utf-8-sig":
                return [Decoding(encoding), Decoding(encoding, "replace", (
                    "The file starts with a UTF-8 byte-order mark but holds bytes that are not UTF-8; they were "
                    "replaced by \ufffd. Re-save it as UTF-8 if characters look wrong."))]
            return [Decoding(encoding)]
    if b"\x00" in head:
        raise CorpusError(
            "The file contains NUL bytes, so it is binary or UTF-16 without a byte-order mark. "
            "Re-save it as UTF-8 text (CSV, TSV, TXT or JSONL), or upload it as Parquet."
        )
    return [Decoding("utf-8"), Decoding("latin-1", note=(
        "The file is not valid UTF-8; it was decoded as Latin-1. If accented letters look wrong, "
        "re-save it as UTF-8."))]


@contextlib.contextmanager
def open_text(source: Source, decoding: Decoding, *, newline: str | None) -> Iterator[io.TextIOWrapper]:
    """A text stream over ``source``, decoded incrementally (never the whole file at once)."""
    with source.open() as raw:
        stream = io.TextIOWrapper(raw, encoding=decoding.encoding, errors=decoding.errors, newline=newline)
        try:
            yield stream
        finally:
            stream.detach()


def parse_text(source: Source, parse: Callable[[io.TextIOWrapper], T], *, newline: str | None
               ) -> tuple[T, Decoding]:
    """Run ``parse`` over the decoded text, falling back to the next decoding on invalid bytes."""
    options = decodings(source.head())
    for position, decoding in enumerate(options):
        try:
            with open_text(source, decoding, newline=newline) as stream:
                return parse(stream), decoding
        except UnicodeDecodeError as exc:
            if position + 1 < len(options):
                continue
            raise CorpusError(
                f"The file starts with a {decoding.encoding.upper()} byte-order mark but is not valid "
                f"{decoding.encoding.upper()} ({exc.reason}). Re-save it as UTF-8."
            ) from None
    raise AssertionError("unreachable")


def decode_bytes(data: bytes) -> tuple[str, str, tuple[str, ...]]:
    """Decode a small file's bytes whole, with the same rules as the streaming readers.

    Returns:
        (text, encoding name, notes)
    """
    source = Source(filename="bytes", size=len(data), data=data)
    text, decoding = parse_text(source, lambda stream: stream.read(), newline="")
    return text, decoding.encoding, (decoding.note,) if decoding.note else ()
