"""Building a corpus from a parsed table: text column, empty rows, truncation, ids, content hash."""
from __future__ import annotations

import hashlib
from typing import Literal

import polars as pl

from engine.config import Settings
from engine.corpus.formats import RawTable
from engine.errors import CorpusError, LimitError
from engine.types import ID_COLUMN, TEXT_COLUMN, Corpus, IngestReport

# Column names that usually hold the text, best first.
_TEXT_NAME_HINTS = (
    "text", "sentence", "sentences", "document", "doc", "content", "body", "review",
    "comment", "message", "abstract", "title", "word", "words", "term", "token", "query",
)


def text_column_candidates(frame: pl.DataFrame) -> list[str]:
    """Columns that could hold the text, best guess first.

    A candidate is a string column with at least one non-blank value that is not a number.
    Name hints (``text``, ``sentence``, ``review`` …) rank first, then longer average length.
    """
    scored: list[tuple[int, float, str]] = []
    for name in frame.columns:
        series = frame.get_column(name)
        if series.dtype not in (pl.String, pl.Categorical, pl.Enum):
            continue
        # Masks and counts rather than stripped copies: this runs on every column of an upload.
        # A neutral name: polars runs Series methods through pl.col(series.name), which reads a
        # column named "^$" as a regex and "*" as every column (found by hypothesis: IndexError).
        values = series.cast(pl.String).alias("value")
        nonblank = values.str.contains(r"\S").fill_null(False)
        present = int(nonblank.sum())
        if present == 0:
            continue
        numeric = int(values.str.contains(r"^\s*[-+]?\d*\.?\d+(?:[eE][-+]?\d+)?\s*$").fill_null(False).sum())
        if numeric == present:
            continue
        hint_rank = _TEXT_NAME_HINTS.index(name.lower()) if name.lower() in _TEXT_NAME_HINTS else len(_TEXT_NAME_HINTS)
        mean_length = float(values.str.len_chars().fill_null(0).sum()) / present
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
    texts = frame.get_column(text_column).cast(pl.String).alias("value")  # a neutral name: see text_column_candidates
    # Series, not names: frame.drop("*") would drop every column (polars reads "*" as a wildcard)
    metadata = pl.DataFrame([frame.get_column(c) for c in frame.columns if c != text_column])
    id_source, id_note = _id_column(metadata)
    if id_source is not None:
        ids = metadata[id_source].cast(pl.String)
        metadata = metadata.drop(id_source)
    else:
        ids = position.cast(pl.String)
    renames = _reserved_renames(metadata.columns, taken=set(frame.columns))
    metadata = metadata.rename(renames)
    metadata = _infer_metadata_types(metadata)
    table_out = pl.concat(
        [pl.DataFrame({ID_COLUMN: ids.alias(ID_COLUMN), TEXT_COLUMN: texts.alias(TEXT_COLUMN)}), metadata],
        how="horizontal",
    )
    # A mask, not stripped copies of every text; filtering copies the table, so only when needed.
    keep = texts.str.contains(r"\S").fill_null(False)
    dropped_empty = int(rows_read - keep.sum())
    if dropped_empty:
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
    if id_note:
        notes.append(id_note)
    for old, new in renames.items():
        notes.append(f"The metadata column {old!r} was renamed {new!r}: {old!r} is the name of a generated column.")
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


def _reserved_renames(columns: list[str], *, taken: set[str]) -> dict[str, str]:
    """New names for metadata columns called ``id``/``text``, and for names polars would read as a
    pattern (``*`` is every column, ``^…$`` a regex, in ``pl.col``), clashing with no existing column."""
    renames: dict[str, str] = {}
    used = set(taken) | {ID_COLUMN, TEXT_COLUMN}
    for name in columns:
        if name in (ID_COLUMN, TEXT_COLUMN) or is_pattern_name(name):
            candidate, suffix = f"{name}_original", 2
            while candidate in used:
                candidate, suffix = f"{name}_original_{suffix}", suffix + 1
            used.add(candidate)
            renames[name] = candidate
    return renames


def is_pattern_name(name: str) -> bool:
    """True for a column name polars' ``pl.col`` expands instead of naming (a wildcard or a regex)."""
    return name == "*" or (len(name) >= 2 and name.startswith("^") and name.endswith("$"))


def _id_column(metadata: pl.DataFrame) -> tuple[str | None, str | None]:
    """The column named ``id`` if its values are unique and present, and a note if one was refused."""
    for name in metadata.columns:
        if name.lower() == ID_COLUMN:
            series = metadata[name].cast(pl.String).str.strip_chars().replace("", None)  # blank is missing
            missing, repeated = series.null_count(), series.drop_nulls().len() - series.drop_nulls().n_unique()
            if missing == 0 and repeated == 0:
                return name, None
            problems = ", ".join(p for p in (f"{repeated:,} repeated" if repeated else "",
                                             f"{missing:,} missing" if missing else "") if p)
            return None, (f"The {name!r} column has {problems} value(s), so it cannot identify rows: row ids are "
                          "the rows' positions in the file, and the column is kept as metadata.")
    return None, None


_MAX_NUMBER_CHARS = 40
_HASH_CHUNK_ROWS = 10_000


def _infer_metadata_types(metadata: pl.DataFrame) -> pl.DataFrame:
    """Turn all-numeric string columns into numbers, so they can colour a map or rank an axis."""
    columns = []
    for name in metadata.columns:
        series = metadata[name]
        # 40 characters: longer digit strings (a 5,000-digit "integer") are identifiers or junk,
        # and would become inf or overflow as numbers.
        if series.dtype == pl.String and (series.str.len_chars().max() or 0) <= _MAX_NUMBER_CHARS:
            blank_to_null = series.str.strip_chars().replace("", None)
            for dtype in (pl.Int64, pl.Float64):
                cast = blank_to_null.cast(dtype, strict=False)
                if cast.null_count() == blank_to_null.null_count() and blank_to_null.null_count() < series.len():
                    series = cast
                    break
        columns.append(series.alias(name))
    return pl.DataFrame(columns) if columns else metadata


def content_hash(frame: pl.DataFrame, *, kind: str = "texts") -> str:
    """A stable hash of a corpus table (column names, types and every value).

    Values are hashed in slices, so hashing never holds a second copy of a whole column; the
    digest equals that of each column's values joined by ``\x1f`` (nulls as ``\x00``).
    """
    digest = hashlib.sha256(kind.encode())
    for name in frame.columns:
        series = frame.get_column(name).alias("value")  # the name is hashed below; see text_column_candidates
        digest.update(f"\x1e{name}\x1f{series.dtype}\x1f".encode())
        for start in range(0, max(series.len(), 1), _HASH_CHUNK_ROWS):
            piece = series.slice(start, _HASH_CHUNK_ROWS).cast(pl.String).fill_null("\x00")
            if start:
                digest.update(b"\x1f")
            digest.update(piece.str.join("\x1f").item().encode())
    return digest.hexdigest()[:16]


def texts_hash(texts: list[str]) -> str:
    """A stable hash of the texts alone: embeddings depend on nothing else."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()[:16]


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
