"""Read, validate and normalise corpora: csv, tsv, txt, jsonl and parquet, from a path or bytes.

Two steps, so a UI can ask the user which column holds the text in between:

1. :func:`read_table` decodes and parses the file into a :class:`RawTable` (every column, as
   read, plus the encoding and notes).
2. :func:`build_corpus` picks the text column, drops empty texts, truncates long ones, assigns
   stable row ids and a content-hash ``corpus_id``, and returns the :class:`Corpus` with its
   :class:`IngestReport`.

:func:`load_corpus` does both. Nothing here ever unpickles: pickle files are refused.

Example:
    >>> corpus, report = load_corpus(b"text,label\\nhello world,a\\nNA,b\\n", filename="x.csv")
    >>> corpus.texts, report.rows_kept
    (['hello world', 'NA'], 2)
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from engine.config import Settings
from engine.corpus.build import (
    build_corpus,
    content_hash,
    corpus_from_texts,
    guess_text_column,
    text_column_candidates,
    texts_hash,
)
from engine.corpus.decoding import decode_bytes
from engine.corpus.delimited import parse_delimited
from engine.corpus.formats import FORMATS, FileFormat, RawTable, detect_format
from engine.corpus.jsonl import parse_jsonl
from engine.corpus.parquet import parse_parquet
from engine.corpus.txt import parse_txt
from engine.errors import CorpusError, LimitError
from engine.types import Corpus, IngestReport

__all__ = [
    "FORMATS", "FileFormat", "RawTable", "build_corpus", "content_hash", "corpus_from_texts", "decode_bytes",
    "detect_format", "guess_text_column", "load_corpus", "read_table", "text_column_candidates", "texts_hash",
]


def read_table(
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    file_format: FileFormat | None = None,
    settings: Settings | None = None,
) -> RawTable:
    """Decode and parse a corpus file.

    Args:
        source: A path, or the file's bytes (an upload).
        filename: The original file name, used for the format and display name when ``source``
            is bytes.
        file_format: Overrides detection by extension.
        settings: Caps; defaults to :meth:`Settings.from_env`.

    Raises:
        CorpusError: Empty, malformed, binary or refused files, with what to do about it.
        LimitError: A file over the size cap.
    """
    settings = settings or Settings.from_env()
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise CorpusError(f"No such file: {str(path)!r}. Check the path.")
        size = path.stat().st_size
        _check_size(size, settings)
        data = path.read_bytes()
        filename = filename or path.name
    else:
        data = bytes(source)
        _check_size(len(data), settings)
        filename = filename or "upload.txt"
    fmt = file_format or detect_format(filename)
    if fmt not in FORMATS:
        raise CorpusError(f"file_format must be one of {', '.join(FORMATS)}; got {fmt!r}.")
    name = Path(filename).stem or "corpus"
    if not data.strip():
        raise CorpusError(f"{filename!r} is empty. Upload a file with at least one line of text.")
    if fmt == "parquet":
        frame = parse_parquet(data)
        return RawTable(frame=frame, file_format=fmt, encoding="binary", notes=(), name=name)
    text, encoding, notes = decode_bytes(data)
    if fmt == "txt":
        frame = parse_txt(text)
    elif fmt == "jsonl":
        frame, more = parse_jsonl(text)
        notes += more
    else:
        frame, more = parse_delimited(text, "\t" if fmt == "tsv" else ",")
        notes += more
    if frame.height == 0:
        raise CorpusError(f"{filename!r} has a header but no data rows. Add rows of text below the header.")
    return RawTable(frame=frame, file_format=fmt, encoding=encoding, notes=notes, name=name)


def _check_size(size: int, settings: Settings) -> None:
    cap = settings.max_upload_mb * 1024 * 1024
    if size > cap:
        raise LimitError(
            f"The file is {size / 1024 / 1024:.1f} MiB, over the {settings.max_upload_mb} MiB cap. "
            "Split or sample it, or raise EMBEDSCAPE_MAX_UPLOAD_MB."
        )


def load_corpus(
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    text_column: str | None = None,
    file_format: FileFormat | None = None,
    name: str | None = None,
    kind: Literal["texts", "words"] = "texts",
    settings: Settings | None = None,
) -> tuple[Corpus, IngestReport]:
    """Read and validate a corpus in one call (see :func:`read_table` and :func:`build_corpus`)."""
    table = read_table(source, filename=filename, file_format=file_format, settings=settings)
    label = str(source) if isinstance(source, (str, Path)) else (filename or "upload")
    return build_corpus(table, text_column=text_column, name=name, kind=kind, source=label, settings=settings)
