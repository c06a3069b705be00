"""Where a corpus file comes from (a path or uploaded bytes), and the budgets that bound reading it.

Every reader takes a :class:`Source` and a :class:`Budget`. The source is never read whole into
memory by a reader (a path is streamed from disk; uploaded bytes are already in memory and are
read through zero-copy views), and the budget is charged *while* parsing, so a file is refused as
soon as it passes a cap, not after it has been expanded in memory (issue 11: a 1 MB Parquet file
used to peak at 5.8 GB before its row count was checked).
"""
from __future__ import annotations

import contextlib
import io
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from engine.jobs import check_cancelled
from engine.config import Settings
from engine.errors import CorpusError, LimitError

# 16 bytes per cell: polars stores every string as a 16-byte view (short strings inline), so
# a file of a million empty cells costs memory although it holds almost no text.
CELL_OVERHEAD = 16
# Compressed containers are refused rather than decompressed: nothing to bound, no bomb to defuse.
_COMPRESSED_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"PK\x03\x04": "zip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
    b"7z\xbc\xaf\x27\x1c": "7z",
}
_COMPRESSED_EXTENSIONS = {".gz", ".gzip", ".zip", ".bz2", ".xz", ".zst", ".7z", ".tgz", ".tar"}


@dataclass(frozen=True, slots=True, eq=False)
class Source:
    """A corpus file: a regular file on disk, or the bytes of an upload."""

    filename: str
    size: int
    path: Path | None = None
    data: bytes | None = None

    @classmethod
    def from_input(cls, source: str | Path | bytes, filename: str | None, settings: Settings) -> "Source":
        """Check the input before anything is read: regular file, size cap, not compressed.

        Raises:
            CorpusError: A missing path, a symlink, a FIFO/device/folder, or a compressed file.
            LimitError: A file over ``max_upload_mb``.
        """
        if isinstance(source, (str, Path)):
            path = Path(source)
            try:
                info = os.lstat(path)  # lstat: never follow a link or open a FIFO to find out what it is
            except OSError:
                raise CorpusError(f"No such file: {str(path)!r}. Check the path.") from None
            if stat.S_ISLNK(info.st_mode):
                raise CorpusError(
                    f"{str(path)!r} is a symbolic link. Embedscape reads only regular files, so a link cannot "
                    "point it elsewhere: give the path of the file itself."
                )
            if not stat.S_ISREG(info.st_mode):
                kind = ("a folder" if stat.S_ISDIR(info.st_mode) else "a FIFO (named pipe)"
                        if stat.S_ISFIFO(info.st_mode) else "a device or socket")
                raise CorpusError(
                    f"{str(path)!r} is {kind}, not a regular file. Save the corpus to a file and give its path."
                )
            result = cls(filename=filename or path.name, size=info.st_size, path=path)
        else:
            data = source if isinstance(source, bytes) else bytes(source)
            result = cls(filename=filename or "upload.txt", size=len(data), data=data)
        cap = settings.max_upload_mb * 1024 * 1024
        if result.size > cap:
            raise LimitError(
                f"The file is {result.size / 1024 / 1024:.1f} MiB, over the {settings.max_upload_mb} MiB cap. "
                "Split or sample it, or raise EMBEDSCAPE_MAX_UPLOAD_MB."
            )
        result._refuse_compressed()
        return result

    @contextlib.contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """A binary stream over the file (uploaded bytes are wrapped without a copy)."""
        if self.data is not None:
            yield io.BytesIO(self.data)
            return
        assert self.path is not None
        with open(self.path, "rb") as handle:
            yield handle

    def head(self, n: int = 65536) -> bytes:
        if self.data is not None:
            return self.data[:n]
        with self.open() as handle:
            return handle.read(n)

    def is_blank(self) -> bool:
        """True if the file holds only whitespace (read in chunks; stops at the first other byte)."""
        with self.open() as handle:
            while chunk := handle.read(1 << 20):
                if chunk.strip():
                    return False
        return True

    def _refuse_compressed(self) -> None:
        suffix = Path(self.filename).suffix.lower()
        head = self.head(8)
        kind = next((k for magic, k in _COMPRESSED_MAGIC.items() if head.startswith(magic)), None)
        if kind is None and suffix in _COMPRESSED_EXTENSIONS:
            kind = suffix.lstrip(".")
        if kind is not None:
            raise CorpusError(
                f"{self.filename!r} is a {kind}-compressed file. Embedscape does not decompress uploads "
                "(a small archive can expand to gigabytes): extract it and give the CSV, TSV, TXT, JSONL "
                "or Parquet file inside."
            )


@dataclass(slots=True)
class Budget:
    """Caps charged while a file is parsed; passing one raises :class:`LimitError` at once."""

    max_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int = 65_536
    used_bytes: int = 0
    rows: int = 0
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Budget":
        # Cells are read up to 64 Ki characters (or the text cap, if larger): texts are cut to
        # max_text_chars later anyway, and this keeps one huge cell from costing ~6x its size.
        return cls(max_bytes=settings.max_decoded_mb * 1024 * 1024, max_rows=settings.max_rows,
                   max_columns=settings.max_columns, max_cell_chars=max(settings.max_text_chars, 65_536))

    def columns(self, n: int) -> None:
        if n > self.max_columns:
            raise LimitError(
                f"The file has {n:,} columns, over the {self.max_columns:,}-column cap. Keep the text column "
                "and the metadata you need, or raise EMBEDSCAPE_MAX_COLUMNS."
            )

    def charge(self, *, rows: int, nbytes: int, cells: int) -> None:
        """Count ``rows`` more rows holding ``nbytes`` of decoded data in ``cells`` cells."""
        check_cancelled()  # a closed browser tab stops its parsing here (engine.jobs)
        self.rows += rows
        self.used_bytes += nbytes + CELL_OVERHEAD * cells
        if self.rows > self.max_rows:
            raise LimitError(
                f"The file has more than {self.max_rows:,} rows, over the {self.max_rows:,}-row cap; reading stopped "
                "there. "
                "Sample it first, or raise EMBEDSCAPE_MAX_ROWS."
            )
        if self.used_bytes > self.max_bytes:
            raise LimitError(
                f"The file expands to more than {self.max_bytes / 1024 / 1024:,.0f} MiB once decoded (the "
                f"decoded-size cap), after {self.rows:,} rows; reading stopped there. Split it, drop unneeded "
                "columns, or raise EMBEDSCAPE_MAX_DECODED_MB."
            )
