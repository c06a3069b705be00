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

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from engine.config import Settings
from engine.errors import CorpusError, LimitError
from engine.types import ID_COLUMN, TEXT_COLUMN, Corpus, IngestReport

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
# Column names that usually hold the text, best first.
_TEXT_NAME_HINTS = (
    "text", "sentence", "sentences", "document", "doc", "content", "body", "review",
    "comment", "message", "abstract", "title", "word", "words", "term", "token", "query",
)
_PARQUET_MAGIC = b"PAR1"


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


def decode_bytes(data: bytes) -> tuple[str, str, tuple[str, ...]]:
    """Decode file bytes: UTF-8, UTF-8 with BOM, UTF-16 with BOM, then Latin-1 with a note.

    Returns:
        (text, encoding name, notes)

    Raises:
        CorpusError: If the bytes look binary (NUL bytes without a UTF-16 byte-order mark).
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig", ()
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


def _parse_delimited(text: str, delimiter: str) -> tuple[pl.DataFrame, tuple[str, ...]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise CorpusError("The file is empty: it has no header row and no data. Upload a file with rows of text.") from None
    except csv.Error as exc:
        raise CorpusError(f"Malformed {'TSV' if delimiter == chr(9) else 'CSV'} on line 1: {exc}.") from exc
    header = [h.strip() for h in header]
    if not any(header):
        raise CorpusError("The first line (the header) is empty. Put column names on line 1.")
    names = _unique_names(header)
    width = len(names)
    columns: list[list[str | None]] = [[] for _ in range(width)]
    short_rows = 0
    kind = "TSV" if delimiter == "\t" else "CSV"
    try:
        for row in reader:
            if not row:  # a blank line
                continue
            if len(row) > width:
                raise CorpusError(
                    f"Malformed {kind} on line {reader.line_num}: it has {len(row)} fields but the header has "
                    f"{width}. Quote text that contains the delimiter ({'tab' if delimiter == chr(9) else 'comma'}), "
                    "or fix that line."
                )
            if len(row) < width:
                short_rows += 1
                row = row + [None] * (width - len(row))  # type: ignore[list-item]
            for column, value in zip(columns, row):
                column.append(value)
    except csv.Error as exc:
        raise CorpusError(
            f"Malformed {kind} on line {reader.line_num}: {exc}. Check the quotes on that line."
        ) from exc
    notes: tuple[str, ...] = ()
    if short_rows:
        notes = (f"{short_rows} row(s) had fewer fields than the header; the missing fields were left empty.",)
    frame = pl.DataFrame({name: pl.Series(name, col, dtype=pl.String) for name, col in zip(names, columns)})
    return frame, notes


def _unique_names(header: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    names = []
    for position, raw in enumerate(header):
        name = raw or f"column_{position + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        else:
            seen[name] = 0
        names.append(name)
    return names


def _parse_txt(text: str) -> pl.DataFrame:
    lines = text.splitlines()
    return pl.DataFrame({TEXT_COLUMN: pl.Series(TEXT_COLUMN, lines, dtype=pl.String)})


def _parse_jsonl(text: str) -> tuple[pl.DataFrame, tuple[str, ...]]:
    records: list[dict[str, object]] = []
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise CorpusError(
                f"Malformed JSONL on line {line_number}: {exc.msg} (column {exc.colno}). "
                "Each line must be one JSON object."
            ) from None
        if not isinstance(record, dict):
            raise CorpusError(
                f"Malformed JSONL on line {line_number}: expected a JSON object like "
                f'{{"text": "..."}}, got a {type(record).__name__}.'
            )
        records.append(record)
    if not records:
        raise CorpusError("The JSONL file has no records. Put one JSON object per line.")
    keys: list[str] = []
    for record in records:
        for key in record:
            if key not in keys:
                keys.append(key)
    missing = sum(1 for record in records if len(record) < len(keys))
    columns = {}
    for key in keys:
        values = [record.get(key) for record in records]
        columns[key] = pl.Series(key, [_jsonl_cell(v) for v in values], dtype=pl.String)
    notes: tuple[str, ...] = ()
    if missing:
        notes = (f"{missing} record(s) lacked some fields; those fields were left empty.",)
    return pl.DataFrame(columns), notes


def _jsonl_cell(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False)


def _parse_parquet(data: bytes) -> pl.DataFrame:
    if not data.startswith(_PARQUET_MAGIC):
        raise CorpusError("This is not a Parquet file (its first bytes are not 'PAR1'). Check the file or its extension.")
    try:
        return pl.read_parquet(io.BytesIO(data))
    except Exception as exc:  # polars raises several error types for corrupt files
        raise CorpusError(f"The Parquet file cannot be read: {exc}. Re-export it, or save it as CSV.") from exc


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
        frame = _parse_parquet(data)
        return RawTable(frame=frame, file_format=fmt, encoding="binary", notes=(), name=name)
    text, encoding, notes = decode_bytes(data)
    if fmt == "txt":
        frame = _parse_txt(text)
    elif fmt == "jsonl":
        frame, more = _parse_jsonl(text)
        notes += more
    else:
        frame, more = _parse_delimited(text, "\t" if fmt == "tsv" else ",")
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


def text_column_candidates(frame: pl.DataFrame) -> list[str]:
    """Columns that could hold the text, best guess first.

    A candidate is a string column with at least one non-blank value that is not a number.
    Name hints (``text``, ``sentence``, ``review`` …) rank first, then longer average length.
    """
    scored: list[tuple[int, float, str]] = []
    for name in frame.columns:
        series = frame[name]
        if series.dtype not in (pl.String, pl.Categorical, pl.Enum):
            continue
        values = series.cast(pl.String).drop_nulls().str.strip_chars()
        values = values.filter(values != "")
        if values.len() == 0:
            continue
        numeric = values.str.contains(r"^[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?$").sum()
        if numeric == values.len():
            continue
        hint_rank = _TEXT_NAME_HINTS.index(name.lower()) if name.lower() in _TEXT_NAME_HINTS else len(_TEXT_NAME_HINTS)
        mean_length = float(values.str.len_chars().mean() or 0.0)
        scored.append((hint_rank, -mean_length, name))
    return [name for _, _, name in sorted(scored)]


def guess_text_column(frame: pl.DataFrame) -> str:
    """The most likely text column.

    Raises:
        CorpusError: If no column holds text.
    """
    candidates = text_column_candidates(frame)
    if not candidates:
        raise CorpusError(
            "No usable text column: every column is empty or numeric. "
            f"Columns found: {', '.join(frame.columns) or '(none)'}. Add a column of text."
        )
    return candidates[0]


def build_corpus(
    table: RawTable,
    *,
    text_column: str | None = None,
    name: str | None = None,
    kind: Literal["texts", "words"] = "texts",
    source: str = "",
    settings: Settings | None = None,
) -> tuple[Corpus, IngestReport]:
    """Validate a parsed table and turn it into a corpus.

    Rows with an empty or missing text are dropped and counted; duplicates are kept and
    counted; texts over the length cap are truncated and counted. Texts that look like numbers
    or "NA"/"null" stay text. A unique ``id`` column in the file becomes the row id; otherwise
    the row's position in the file does, so ids are stable for the same file.

    Raises:
        CorpusError: Unknown text column, or no text left after dropping empty rows.
        LimitError: More rows than the row cap.
    """
    settings = settings or Settings.from_env()
    frame = table.frame
    if text_column is None:
        text_column = guess_text_column(frame)
    if text_column not in frame.columns:
        raise CorpusError(
            f"No column named {text_column!r}. Columns found: {', '.join(frame.columns)}. Pick one of them."
        )
    rows_read = frame.height
    if rows_read > settings.max_rows:
        raise LimitError(
            f"The file has {rows_read:,} rows, over the {settings.max_rows:,}-row cap. "
            "Sample it first, or raise EMBEDSCAPE_MAX_ROWS."
        )
    position = pl.Series("__row", range(rows_read), dtype=pl.Int64)
    texts = frame[text_column].cast(pl.String)
    metadata = frame.drop(text_column)
    id_source = _unique_id_column(metadata)
    if id_source is not None:
        ids = metadata[id_source].cast(pl.String)
        metadata = metadata.drop(id_source)
    else:
        ids = position.cast(pl.String)
    metadata = metadata.rename({c: f"{c}_original" for c in metadata.columns if c in (ID_COLUMN, TEXT_COLUMN)})
    metadata = _infer_metadata_types(metadata)
    table_out = pl.concat(
        [pl.DataFrame({ID_COLUMN: ids.alias(ID_COLUMN), TEXT_COLUMN: texts.alias(TEXT_COLUMN)}), metadata],
        how="horizontal",
    )
    keep = texts.is_not_null() & (texts.str.strip_chars() != "")
    dropped_empty = int(rows_read - keep.sum())
    table_out = table_out.filter(keep)
    if table_out.height == 0:
        raise CorpusError(
            f"Every text in column {text_column!r} is empty ({rows_read} rows read). "
            "Pick the column that holds the text."
        )
    lengths = table_out[TEXT_COLUMN].str.len_chars()
    truncated = int((lengths > settings.max_text_chars).sum())
    if truncated:
        table_out = table_out.with_columns(pl.col(TEXT_COLUMN).str.slice(0, settings.max_text_chars))
    duplicates = int(table_out.height - table_out[TEXT_COLUMN].n_unique())
    notes = list(table.notes)
    if dropped_empty:
        notes.append(f"{dropped_empty} row(s) with an empty or missing text were dropped.")
    if truncated:
        notes.append(f"{truncated} text(s) longer than {settings.max_text_chars:,} characters were truncated.")
    if duplicates:
        notes.append(f"{duplicates} row(s) repeat an earlier text; they were kept.")
    if id_source is not None:
        notes.append(f"Row ids come from the {id_source!r} column.")
    corpus = Corpus(
        corpus_id=content_hash(table_out, kind=kind),
        name=name or table.name,
        frame=table_out,
        text_column=text_column,
        kind=kind,
        source=source,
    )
    report = IngestReport(
        rows_read=rows_read,
        rows_kept=table_out.height,
        dropped_empty=dropped_empty,
        duplicates=duplicates,
        truncated=truncated,
        encoding=table.encoding,
        notes=tuple(notes),
    )
    return corpus, report


def _unique_id_column(metadata: pl.DataFrame) -> str | None:
    for name in metadata.columns:
        if name.lower() == ID_COLUMN:
            series = metadata[name]
            if series.null_count() == 0 and series.n_unique() == series.len():
                return name
    return None


def _infer_metadata_types(metadata: pl.DataFrame) -> pl.DataFrame:
    """Turn all-numeric string columns into numbers, so they can colour a map or rank an axis."""
    columns = []
    for name in metadata.columns:
        series = metadata[name]
        if series.dtype == pl.String:
            blank_to_null = series.str.strip_chars().replace("", None)
            for dtype in (pl.Int64, pl.Float64):
                cast = blank_to_null.cast(dtype, strict=False)
                if cast.null_count() == blank_to_null.null_count() and blank_to_null.null_count() < series.len():
                    series = cast
                    break
        columns.append(series.alias(name))
    return pl.DataFrame(columns) if columns else metadata


def content_hash(frame: pl.DataFrame, *, kind: str = "texts") -> str:
    """A stable hash of a corpus table (column names, types and every value)."""
    digest = hashlib.sha256(kind.encode())
    for name in frame.columns:
        series = frame[name]
        digest.update(f"\x1e{name}\x1f{series.dtype}\x1f".encode())
        digest.update(series.cast(pl.String).fill_null("\x00").str.join("\x1f").item().encode())
    return digest.hexdigest()[:16]


def texts_hash(texts: list[str]) -> str:
    """A stable hash of the texts alone: embeddings depend on nothing else."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()[:16]


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


def corpus_from_texts(
    texts: list[str],
    *,
    name: str,
    metadata: dict[str, list[object]] | None = None,
    kind: Literal["texts", "words"] = "texts",
    source: str = "",
    settings: Settings | None = None,
) -> tuple[Corpus, IngestReport]:
    """Build a corpus from Python lists (demo corpora, notebooks)."""
    columns: dict[str, pl.Series] = {TEXT_COLUMN: pl.Series(TEXT_COLUMN, texts, dtype=pl.String)}
    for key, values in (metadata or {}).items():
        columns[key] = pl.Series(key, values)
    table = RawTable(frame=pl.DataFrame(columns), file_format="txt", encoding="utf-8", notes=(), name=name)
    return build_corpus(table, text_column=TEXT_COLUMN, name=name, kind=kind, source=source, settings=settings)
