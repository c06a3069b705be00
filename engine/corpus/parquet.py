"""Parquet: typed columns, read in record batches against the budget.

A Parquet footer does not bound the decoded size: a dictionary-encoded column of one long value
repeated a million times is a few bytes on disk and gigabytes in memory (issue 11: 1 MB → 5.8 GB).
So before any data is read, the row count and each row group's *uncompressed* size (which bounds
plain and compressed pages) are checked, and the longest dictionary value sets the batch size, so
that no batch can decode past a fraction of the budget; every batch is charged as it arrives.
Columns polars cannot hold as metadata (lists, structs, maps, binary) become text, with a note.
"""
from __future__ import annotations

import json

import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from engine.corpus.delimited import unique_names
from engine.corpus.source import Budget, Source
from engine.errors import CorpusError, LimitError

_PARQUET_MAGIC = b"PAR1"
_BATCH_ROWS = 8_192
_MAX_DICTIONARY_PROBES = 2_000
_READ_ERRORS = (pa.ArrowException, OSError, ValueError, TypeError, NotImplementedError, IndexError,
                MemoryError, RecursionError, pl.exceptions.PolarsError)


def read_parquet(source: Source, budget: Budget) -> tuple[pl.DataFrame, tuple[str, ...]]:
    """Read a Parquet file within ``budget``; notes say which columns were converted to text."""
    if not source.head(4).startswith(_PARQUET_MAGIC):
        raise CorpusError("This is not a Parquet file (its first bytes are not 'PAR1'). Check the file or its extension.")
    handle = pa.BufferReader(source.data) if source.data is not None else pa.OSFile(str(source.path))
    try:
        return _read(handle, budget)
    except _READ_ERRORS as exc:
        raise CorpusError(f"The Parquet file cannot be read: {_short(exc)}. Re-export it, or save it as CSV.") from None
    finally:
        handle.close()


def _read(handle: pa.NativeFile, budget: Budget) -> tuple[pl.DataFrame, tuple[str, ...]]:
    probe = pq.ParquetFile(handle)
    metadata, schema = probe.metadata, probe.schema_arrow
    budget.columns(max(metadata.num_columns, len(schema)))
    if metadata.num_rows > budget.max_rows:
        raise LimitError(
            f"The file has {metadata.num_rows:,} rows, over the {budget.max_rows:,}-row cap (nothing was read). "
            "Sample it first, or raise EMBEDSCAPE_MAX_ROWS."
        )
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        size = sum(row_group.column(i).total_uncompressed_size for i in range(row_group.num_columns))
        if size > budget.max_bytes:
            raise LimitError(
                f"Row group {group + 1} of the file decompresses to {size / 1024 / 1024:,.0f} MiB, over the "
                f"{budget.max_bytes / 1024 / 1024:,.0f} MiB decoded-size cap (nothing was read). Write it with "
                "smaller row groups, drop unneeded columns, or raise EMBEDSCAPE_MAX_DECODED_MB."
            )
    names, notes = unique_names([str(field.name).strip() for field in schema])
    textual = [field.name for field in schema if _is_textual(field.type)]
    batch_rows = _batch_rows(handle, metadata, textual, budget.max_bytes)
    reader = pq.ParquetFile(handle, metadata=metadata)
    converted: dict[str, str] = {}
    frames = []
    pool = pa.default_memory_pool()
    for batch in reader.iter_batches(batch_size=batch_rows, use_threads=False):
        columns, nbytes, cells = [], 0, 0
        for array in batch.columns:
            if isinstance(array.type, pa.DictionaryType):
                nbytes += _decoded_size(array)
                cells += len(array)
            else:
                nbytes += array.get_total_buffer_size()
        budget.charge(rows=batch.num_rows, nbytes=nbytes, cells=cells)  # before anything is decoded
        for name, array in zip(names, batch.columns):
            columns.append(_plain(name, array, converted))
        frames.append(pl.from_arrow(pa.Table.from_arrays(columns, names=names), rechunk=False))
        del batch, columns
        pool.release_unused()  # Arrow's allocator keeps freed batches cached; the peak would add them up
    notes += tuple(f"Column {name!r} {what}." for name, what in converted.items())
    if not frames:
        return pl.DataFrame({name: pl.Series(name, [], dtype=pl.String) for name in names}), notes
    return pl.concat(frames, how="vertical_relaxed", rechunk=False), notes


def _batch_rows(handle: pa.NativeFile, metadata: pq.FileMetaData, textual: list[str], max_bytes: int) -> int:
    """Rows per batch such that no batch can decode to more than ~1/8 of ``max_bytes``.

    Dictionary-encoded values decode to at most the longest dictionary value each; values
    written without a dictionary are bounded by the row group's uncompressed size (checked). A
    column chunk has one dictionary page, which a one-row dictionary read returns whole, so the
    longest value is known before any batch is decoded. (Reading every string column as a
    dictionary would also be safe, but costs ~5x the data: Arrow hashes the plain pages.)
    """
    chunks = [(group, metadata.row_group(group).column(i)) for group in range(metadata.num_row_groups)
              for i in range(metadata.num_columns)]
    chunks = [(group, chunk) for group, chunk in chunks
              if chunk.path_in_schema in textual and chunk.has_dictionary_page]
    if not chunks:
        return _BATCH_ROWS
    if len(chunks) > _MAX_DICTIONARY_PROBES:  # too many to probe: a dictionary is at most its chunk
        longest = max(chunk.total_uncompressed_size for _, chunk in chunks)
    else:
        probe = pq.ParquetFile(handle, metadata=metadata, read_dictionary=textual)
        longest = 1
        for group, chunk in chunks:
            batch = next(probe.iter_batches(batch_size=1, row_groups=[group], columns=[chunk.path_in_schema],
                                            use_threads=False), None)
            array = batch.column(0) if batch is not None else None
            if isinstance(getattr(array, "type", None), pa.DictionaryType) and len(array.dictionary):
                longest = max(longest, pc.max(pc.binary_length(array.dictionary)).as_py() or 0)
    return int(max(1, min(_BATCH_ROWS, (max_bytes // 8) // max(longest, 1))))


def _is_textual(kind: pa.DataType) -> bool:
    return pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_binary(kind) \
        or pa.types.is_large_binary(kind)


def _decoded_size(array: pa.DictionaryArray) -> int:
    """Bytes the array takes once decoded: each index's dictionary value length, summed."""
    lengths = pc.binary_length(array.dictionary)
    total = pc.sum(pc.take(lengths, array.indices)).as_py()
    return int(total or 0)


def _plain(name: str, array: pa.Array, converted: dict[str, str]) -> pa.Array:
    """An array polars can hold: dictionaries decoded, binary and nested values turned into text."""
    if isinstance(array.type, pa.DictionaryType):
        array = array.dictionary_decode()
    kind = array.type
    if pa.types.is_binary(kind) or pa.types.is_large_binary(kind) or pa.types.is_fixed_size_binary(kind):
        try:
            return pc.cast(array, pa.large_string())
        except pa.ArrowInvalid:
            converted[name] = "held bytes that are not UTF-8 text; they were decoded with \ufffd for invalid bytes"
            return pa.array([None if v is None else v.decode("utf-8", "replace") for v in array.to_pylist()],
                            type=pa.large_string())
    if pa.types.is_nested(kind):
        converted.setdefault(name, "held lists or records; each value was kept as JSON text")
        return pa.array([None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                         for v in array.to_pylist()], type=pa.large_string())
    try:
        pl.from_arrow(array.slice(0, 0))  # a type check: converting no rows costs nothing
        return array
    except _READ_ERRORS:
        pass
    try:
        text = pc.cast(array, pa.large_string())
        converted[name] = f"has the type {kind}, which Embedscape cannot hold; it was kept as text"
        return text
    except _READ_ERRORS:
        converted[name] = f"has the type {kind}, which cannot be read as text; it was dropped (left empty)"
        return pa.nulls(len(array), pa.large_string())


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
