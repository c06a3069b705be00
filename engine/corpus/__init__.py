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

import io
from pathlib import Path
from typing import Literal

import polars as pl

from engine.config import Settings
from engine.corpus.build import (
    build_corpus,
    content_hash,
    corpus_from_texts,
    guess_text_column,
    text_column_candidates,
    texts_hash,
)
from engine.corpus.decoding import decode_bytes, parse_text
from engine.corpus.delimited import read_delimited
from engine.corpus.formats import FORMATS, FileFormat, RawTable, detect_format
from engine.corpus.jsonl import read_jsonl
from engine.corpus.source import Budget, Source
from engine.corpus.txt import read_txt
from engine.errors import CorpusError
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
    """Decode and parse a corpus file, within the caps of ``settings``.

    Args:
        source: A path (a regular file: symlinks, FIFOs and folders are refused), or the file's
            bytes (an upload).
        filename: The original file name, used for the format and display name when ``source``
            is bytes.
        file_format: Overrides detection by extension.
        settings: Caps; defaults to :meth:`Settings.from_env`.

    Raises:
        CorpusError: Empty, malformed, binary, compressed or refused files, with what to do about it.
        LimitError: A file over a cap (size, decoded size, rows, columns), raised as soon as it is passed.
    """
    settings = settings or Settings.from_env()
    if file_format is not None and file_format not in FORMATS:
        raise CorpusError(f"file_format must be one of {', '.join(FORMATS)}; got {file_format!r}.")
    src = Source.from_input(source, filename, settings)
    fmt = file_format or detect_format(src.filename)
    name = Path(src.filename).stem or "corpus"
    if src.size == 0 or src.is_blank():
        raise CorpusError(f"{src.filename!r} is empty. Upload a file with at least one line of text.")
    budget = Budget.from_settings(settings)
    if fmt == "parquet":
        from engine.corpus.parquet import read_parquet  # pyarrow is imported only when needed

        frame, notes = read_parquet(src, budget)
        encoding = "binary"
    else:
        def parse(stream: io.TextIOWrapper) -> tuple[pl.DataFrame, tuple[str, ...]]:
            budget.rows = budget.used_bytes = 0  # a retry with another decoding starts afresh
            if fmt == "txt":
                return read_txt(stream, budget)
            if fmt == "jsonl":
                return read_jsonl(stream, budget)
            return read_delimited(stream, "\t" if fmt == "tsv" else ",", budget)

        (frame, notes), decoding = parse_text(src, parse, newline=None if fmt in ("txt", "jsonl") else "")
        encoding = decoding.encoding
        notes = ((decoding.note,) if decoding.note else ()) + notes
    if frame.height == 0:
        raise CorpusError(f"{src.filename!r} has a header but no data rows. Add rows of text below the header.")
    return RawTable(frame=frame, file_format=fmt, encoding=encoding, notes=notes, name=name)


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
