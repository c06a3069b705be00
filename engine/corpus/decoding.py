"""Decoding text files: byte-order marks, UTF-8, and a noted Latin-1 fallback."""
from __future__ import annotations

from engine.errors import CorpusError


def decode_bytes(data: bytes) -> tuple[str, str, tuple[str, ...]]:
    """Decode file bytes: UTF-8, UTF-8/UTF-16/UTF-32 with a BOM, then Latin-1 with a note.

    Returns:
        (text, encoding name, notes)

    Raises:
        CorpusError: If the bytes look binary (NUL bytes without a UTF-16 byte-order mark).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig", ()
    # UTF-32's little-endian mark starts with UTF-16's, so it is tested first.
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        try:
            return data.decode("utf-32"), "utf-32", ()
        except UnicodeDecodeError as exc:
            raise CorpusError(
                f"The file starts with a UTF-32 byte-order mark but byte {exc.start} is not valid UTF-32. "
                "Re-save it as UTF-8."
            ) from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", ()
        except UnicodeDecodeError as exc:
            raise CorpusError(
                f"The file starts with a UTF-16 byte-order mark but byte {exc.start} is not valid UTF-16. "
                "Re-save it as UTF-8."
            ) from exc
    if b"\x00" in data[:65536]:
        raise CorpusError(
            "The file contains NUL bytes, so it is binary or UTF-16 without a byte-order mark. "
            "Re-save it as UTF-8 text (CSV, TSV, TXT or JSONL), or upload it as Parquet."
        )
    try:
        return data.decode("utf-8"), "utf-8", ()
    except UnicodeDecodeError as exc:
        note = (
            f"The file is not valid UTF-8 (first bad byte at offset {exc.start}); it was decoded as "
            "Latin-1. If accented letters look wrong, re-save it as UTF-8."
        )
        return data.decode("latin-1"), "latin-1", (note,)
