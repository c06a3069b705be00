"""File formats: extensions, refused types, and the parsed-table value."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from engine.errors import CorpusError

FileFormat = Literal["csv", "tsv", "txt", "jsonl", "parquet"]
FORMATS: tuple[FileFormat, ...] = ("csv", "tsv", "txt", "jsonl", "parquet")
_EXTENSIONS: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".txt": "txt",
    ".text": "txt",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
_REFUSED_EXTENSIONS = {".pkl", ".pickle", ".joblib", ".npy", ".npz", ".pt", ".bin"}


@dataclass(frozen=True, slots=True, eq=False)
class RawTable:
    """A parsed file before the text column is chosen.

    Attributes:
        frame: Every column as read. CSV/TSV/TXT columns are strings; metadata types are
            inferred later in :func:`build_corpus`.
        file_format: The format it was parsed as.
        encoding: The text encoding used ("binary" for parquet).
        notes: Plain-language notes about decoding and parsing.
        name: A display name derived from the file name.
    """

    frame: pl.DataFrame
    file_format: FileFormat
    encoding: str
    notes: tuple[str, ...]
    name: str

    @property
    def rows_read(self) -> int:
        return self.frame.height


def detect_format(filename: str) -> FileFormat:
    """Pick the parser from a file name's extension.

    Raises:
        CorpusError: For pickles and other refused or unknown extensions.
    """
    suffix = Path(filename).suffix.lower()
    if suffix in _REFUSED_EXTENSIONS:
        raise CorpusError(
            f"{Path(filename).name!r} is a {suffix} file. Embedscape never loads pickled or binary "
            "objects (they can run code). Save the corpus as CSV, TSV, TXT, JSONL or Parquet."
        )
    if suffix not in _EXTENSIONS:
        raise CorpusError(
            f"Cannot tell the format of {Path(filename).name!r} from its extension {suffix or '(none)'!r}. "
            f"Use one of {', '.join(sorted(_EXTENSIONS))}, or name the format explicitly."
        )
    return _EXTENSIONS[suffix]
