"""Generate the hostile-input corpus files (issue 11 §3) into a folder; nothing large is committed.

Run directly to inspect them: ``python -m tests.hostile.generate /tmp/hostile``. Every case says
what must happen: ``load`` (a corpus, whose report contains ``fragment`` if given) or ``error``
(the engine's CorpusError, whose message contains ``fragment``). The caps in :data:`CAPS` are
the ones the suite runs with (small, so bombs are cheap to build and fast to refuse).
"""
from __future__ import annotations

import bz2
import decimal
import functools
import gzip
import io
import json
import lzma
import os
import random
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CAPS = {"EMBEDSCAPE_MAX_UPLOAD_MB": "16", "EMBEDSCAPE_MAX_DECODED_MB": "16",
        "EMBEDSCAPE_MAX_ROWS": "200000", "EMBEDSCAPE_MAX_COLUMNS": "500"}
CAP_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Case:
    """One crafted file and the outcome it must have."""

    name: str
    category: str
    outcome: str  # "load" or "error"
    fragment: str = ""  # must appear in the report's notes (load) or the error message (error)
    upload_name: str = ""  # the file name given with the bytes (API/app), if not the file's own
    bomb: bool = False  # peak memory is measured in a fresh subprocess
    special: str = ""  # "symlink", "fifo", "dir", "dangling": a path that is not a regular file


def _parquet(table: pa.Table, **options: object) -> bytes:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, **options)
    return buffer.getvalue()


def _zip(member: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, data)
    return buffer.getvalue()


@functools.cache
def _gzip_bomb() -> bytes:
    """256 MiB of zeros in ~250 KiB, compressed in a stream (never held whole)."""
    buffer = io.BytesIO()
    block = b"0" * (1 << 20)
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=6) as handle:
        handle.write(b"text\n")
        for _ in range(256):
            handle.write(block)
    return buffer.getvalue()


def _cases() -> list[tuple[Case, Callable[[], bytes] | None]]:
    rng = random.Random(11)
    junk = bytes(rng.randrange(256) for _ in range(4096))
    big = 10 * 1024 * 1024
    c: list[tuple[Case, Callable[[], bytes] | None]] = []

    def add(case: Case, make: Callable[[], bytes] | None) -> None:
        c.append((case, make))

    # -- compression and Parquet bombs ---------------------------------------------------------
    add(Case("gzip_bomb.csv.gz", "bomb", "error", "compressed", bomb=True), _gzip_bomb)
    add(Case("gzip_bomb_disguised.csv", "bomb", "error", "gzip-compressed", bomb=True), _gzip_bomb)
    add(Case("zip_bomb.zip", "bomb", "error", "compressed"), lambda: _zip("a.csv", b"text\n" + b"0" * (20 << 20)))
    add(Case("zip_disguised.jsonl", "bomb", "error", "zip-compressed"), lambda: _zip("a.jsonl", b'{"text":"a"}\n'))
    add(Case("bz2_disguised.txt", "bomb", "error", "bzip2-compressed"), lambda: bz2.compress(b"hello\n" * 1000))
    add(Case("xz_disguised.csv", "bomb", "error", "xz-compressed"), lambda: lzma.compress(b"text\nhello\n"))
    add(Case("parquet_dictionary_bomb.parquet", "bomb", "error", "decoded-size cap", bomb=True), lambda: _parquet(
        pa.table({"text": pa.DictionaryArray.from_arrays(pa.array(np.zeros(100_000, np.int32)),
                                                         pa.array(["y" * 1_000_000]))})))
    add(Case("parquet_long_strings_zstd.parquet", "bomb", "error", "decoded-size cap", bomb=True), lambda: _parquet(
        pa.table({"text": pa.array(["z" * (4 << 20)] * 12)}), use_dictionary=False, compression="zstd"))
    add(Case("parquet_many_rows.parquet", "bomb", "error", "row cap", bomb=True), lambda: _parquet(
        pa.table({"text": pa.nulls(5_000_000, pa.int8())}), compression="zstd"))
    add(Case("parquet_wide.parquet", "bomb", "error", "column cap"), lambda: _parquet(
        pa.table({f"c{i}": pa.array(["x"]) for i in range(800)})))
    add(Case("parquet_row_groups_over_rows.parquet", "bomb", "error", "row cap", bomb=True), lambda: _parquet(
        pa.table({"text": pa.array(["t"] * 300_000)}), row_group_size=10_000))
    add(Case("csv_row_bomb.csv", "bomb", "error", "row cap", bomb=True), lambda: b"text\n" + b"a\n" * 5_000_000)
    add(Case("jsonl_row_bomb.jsonl", "bomb", "error", "row cap", bomb=True), lambda: b'{"t":"a"}\n' * 1_500_000)
    add(Case("txt_row_bomb.txt", "bomb", "error", "row cap", bomb=True), lambda: b"a\n" * 7_000_000)
    add(Case("csv_cell_bomb.csv", "bomb", "error", "decoded-size cap", bomb=True),
        lambda: (",".join(f"c{i}" for i in range(400)) + "\n").encode() + (b"," * 399 + b"\n") * 30_000)
    add(Case("csv_wide_header.csv", "bomb", "error", "column cap"), lambda: b"text" + b",c" * 100_000 + b"\n")
    add(Case("upload_over_cap.txt", "bomb", "error", "MiB cap"), lambda: b"x" * (CAP_BYTES + 10))

    # -- encodings -----------------------------------------------------------------------------
    body = "text,label\nÜber café,a\nnaïve — “quoted”,b\n"
    add(Case("utf8_bom.csv", "encoding", "load"), lambda: body.encode("utf-8-sig"))
    add(Case("utf8_bom_invalid.csv", "encoding", "load", "byte-order mark"),
        lambda: b"\xef\xbb\xbftext\nhello \xff\xfe world\nok\n")
    add(Case("utf16le_bom.csv", "encoding", "load"), lambda: b"\xff\xfe" + body.encode("utf-16-le"))
    add(Case("utf16be_bom.csv", "encoding", "load"), lambda: b"\xfe\xff" + body.encode("utf-16-be"))
    add(Case("utf32le_bom.csv", "encoding", "load"), lambda: b"\xff\xfe\x00\x00" + body.encode("utf-32-le"))
    add(Case("utf32be_bom.csv", "encoding", "load"), lambda: b"\x00\x00\xfe\xff" + body.encode("utf-32-be"))
    add(Case("utf16_no_bom.csv", "encoding", "error", "NUL bytes"), lambda: body.encode("utf-16-le"))
    add(Case("utf16_odd_length.csv", "encoding", "error", "not valid UTF-16"),
        lambda: b"\xff\xfe" + body.encode("utf-16-le") + b"\x41")
    add(Case("latin1.csv", "encoding", "load", "Latin-1"), lambda: body.encode("latin-1", "replace"))
    add(Case("cp1252_quotes.txt", "encoding", "load", "Latin-1"), lambda: "“smart” quotes – dash\n".encode("cp1252"))
    add(Case("invalid_after_a_megabyte.txt", "encoding", "load", "Latin-1"),
        lambda: b"plain line\n" * 120_000 + b"caf\xe9\n")
    add(Case("overlong_utf8.txt", "encoding", "load", "Latin-1"), lambda: b"slash \xc0\xaf here\n")
    add(Case("nul_late.csv", "encoding", "load"), lambda: b"text\n" + b"ok line\n" * 10_000 + b"nul \x00 inside\n")
    add(Case("crlf.csv", "encoding", "load"), lambda: b"text,n\r\nfirst,1\r\nsecond,2\r\n")
    add(Case("cr_only.txt", "encoding", "load"), lambda: b"first\rsecond\rthird\r")
    add(Case("mixed_newlines.csv", "encoding", "load"), lambda: b"text,n\nfirst,1\r\nsecond,2\rthird,3\n")

    # -- quoting ---------------------------------------------------------------------------------
    add(Case("unclosed_quote.csv", "quoting", "error", "Malformed CSV"), lambda: b'text,label\n"unclosed,a\nmore,b\n')
    add(Case("quote_in_field.csv", "quoting", "load"), lambda: b'text,label\nab"c"d,a\nok,b\n' + b'x"\n')
    add(Case("too_many_fields.csv", "quoting", "error", "fields but the header has"), lambda: b"text,l\na,b,c\n")
    add(Case("too_few_fields.csv", "quoting", "load", "fewer fields"), lambda: b"text,l,m\na\nb,c,d\n")
    add(Case("quoted_newlines.csv", "quoting", "load"), lambda: b'text,l\n"line one\nline two",a\n"ok",b\n')
    add(Case("doubled_quotes.csv", "quoting", "load"), lambda: b'text,l\n"she said ""hi""",a\n')
    add(Case("delimiter_in_quotes.tsv", "quoting", "load"), lambda: b'text\tl\n"a\tb"\tx\nc\ty\n')
    add(Case("stray_quote_at_end.csv", "quoting", "error", "Malformed CSV"), lambda: b'text\nfine\n"')

    # -- big cells and lines -----------------------------------------------------------------------
    add(Case("ten_mb_cell.csv", "big", "load", bomb=True), lambda: b"text,l\n" + b"w" * big + b",a\nshort,b\n")
    add(Case("ten_mb_line.txt", "big", "load", bomb=True), lambda: b"v" * big + b"\nshort\n")
    add(Case("ten_mb_value.jsonl", "big", "error", "cannot be cut"), lambda: b'{"text": "' + b"j" * big + b'"}\n{"text": "x"}\n')
    add(Case("long_value.jsonl", "big", "load", "truncated"), lambda: b'{"text": "' + b"j" * 100_000 + b'"}\n{"text": "x"}\n')
    add(Case("million_empty_lines.txt", "big", "error", "empty", bomb=True), lambda: b"\n" * 1_000_000)
    # The largest files that still load: the worst peak of an accepted file.
    near_cap = [f"row {i} of a corpus near the caps with a sentence of ordinary length to embed" for i in range(120_000)]
    add(Case("near_cap.csv", "big", "load", bomb=True),
        lambda: ("text,label\n" + "".join(f"{t},{i % 7}\n" for i, t in enumerate(near_cap))).encode())
    add(Case("near_cap.parquet", "big", "load", bomb=True), lambda: _parquet(
        pa.table({"text": near_cap, "label": [i % 7 for i in range(len(near_cap))]})))

    # -- binary junk -----------------------------------------------------------------------------
    add(Case("junk.csv", "junk", "error"), lambda: junk)
    add(Case("junk.txt", "junk", "error"), lambda: junk)
    add(Case("junk.jsonl", "junk", "error"), lambda: junk)
    add(Case("junk.parquet", "junk", "error", "not a Parquet file"), lambda: junk)
    add(Case("png_named.csv", "junk", "error", "NUL bytes"), lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + junk)
    add(Case("truncated.parquet", "junk", "error", "cannot be read"),
        lambda: _parquet(pa.table({"text": ["a", "b"]}))[:-20])
    add(Case("par1_then_junk.parquet", "junk", "error", "cannot be read"), lambda: b"PAR1" + junk + b"PAR1")
    add(Case("pickle.pkl", "junk", "error", "never loads pickled"), lambda: b"\x80\x04K\x01.")

    # -- ids -------------------------------------------------------------------------------------
    add(Case("duplicate_ids.csv", "ids", "load", "repeated"), lambda: b"id,text\nx,hello\nx,world\n")
    add(Case("missing_ids.csv", "ids", "load", "missing"), lambda: b"id,text\n1,hello\n,world\n3,again\n")
    add(Case("numeric_ids.csv", "ids", "load", "Row ids come from"), lambda: b"id,text\n10,hello\n20,world\n")
    add(Case("upper_ID.csv", "ids", "load", "Row ids come from"), lambda: b"ID,text\na,hello\nb,world\n")
    add(Case("id_id.csv", "ids", "load", "renamed"), lambda: b"id,id,text\na,b,hello\nc,d,world\n")

    # -- numbers-only text and mixed types ---------------------------------------------------------
    add(Case("numbers_only.csv", "types", "error", "No usable text column"), lambda: b"a,b\n1,2\n3,4.5\n")
    add(Case("numbers_only.txt", "types", "error", "No usable text column"), lambda: b"1\n2\n3.5\n")
    add(Case("numbers_only.jsonl", "types", "error", "No usable text column"), lambda: b'{"a": 1}\n{"a": 2}\n')
    add(Case("mixed_types.jsonl", "types", "load"),
        lambda: b'{"text": "a", "m": 1}\n{"text": 2, "m": "two"}\n{"text": true, "m": {"k": [1]}}\n')
    add(Case("mixed_metadata.csv", "types", "load"), lambda: b"text,m\nhello,1\nworld,two\n")
    add(Case("mixed_types.parquet", "types", "load"), lambda: _parquet(pa.table(
        {"text": ["a", "b"], "n": [1, 2], "f": [0.5, None], "when": pa.array([0, 1], pa.timestamp("s", tz="UTC")),
         "d": pa.array([decimal.Decimal("1.50"), decimal.Decimal("2.25")], pa.decimal128(10, 2)),
         "empty": pa.nulls(2)})))

    # -- column names ----------------------------------------------------------------------------
    add(Case("repeated_headers.csv", "names", "load", "renamed"), lambda: b"text,a,a,a_1\nhello,1,2,3\n")
    add(Case("blank_headers.csv", "names", "load"), lambda: b"text,,\nhello,1,2\n")
    add(Case("empty_header_line.csv", "names", "error", "header"), lambda: b",,\nhello,1,2\n")
    add(Case("text_original_clash.csv", "names", "load"), lambda: b"text_original,text\na,hello\nb,world\n")
    add(Case("markdown_image_header.csv", "names", "load"),
        lambda: b"text,![x](http://127.0.0.1:9/beacon.png)\nhello,a\n")
    add(Case("script_header.csv", "names", "load"), lambda: b"text,<script>alert(1)</script>\nhello,a\n")
    add(Case("long_header.csv", "names", "load"), lambda: b"text," + b"h" * 10_000 + b"\nhello,a\n")
    add(Case("duplicate_parquet_names.parquet", "names", "load", "renamed"), lambda: _parquet(
        pa.Table.from_arrays([pa.array(["a", "b"]), pa.array(["c", "d"])], names=["text", "text"])))

    # -- 0/1/2/3 rows ------------------------------------------------------------------------------
    add(Case("empty.csv", "rows", "error", "is empty"), lambda: b"")
    add(Case("whitespace.txt", "rows", "error", "is empty"), lambda: b"  \n\t\n")
    add(Case("header_only.csv", "rows", "error", "no data rows"), lambda: b"text,label\n")
    add(Case("zero_rows.parquet", "rows", "error", "no data rows"), lambda: _parquet(pa.table({"text": pa.array([], pa.string())})))
    for n in (1, 2, 3):
        add(Case(f"rows_{n}.csv", "rows", "load"), lambda n=n: b"text\n" + b"".join(b"row %d\n" % i for i in range(n)))

    # -- JSON --------------------------------------------------------------------------------------
    add(Case("deep_100.jsonl", "json", "error", "nested more than"), lambda: b'{"text":"a","n":' + b"[" * 100 + b"]" * 100 + b"}\n")
    add(Case("deep_200k.jsonl", "json", "error", "nested more than"), lambda: b'{"text":"a","n":' + b"[" * 200_000 + b"]" * 200_000 + b"}\n")
    add(Case("nested_objects.jsonl", "json", "load"), lambda: b'{"text":"a","meta":{"k":[1,{"z":null}]}}\n')
    add(Case("int_5000_digits.jsonl", "json", "load", "longer than"), lambda: b'{"text":"a","n":' + b"9" * 5000 + b"}\n")
    add(Case("huge_float.jsonl", "json", "load"), lambda: b'{"text":"a","x":1e999}\n{"text":"b","x":-1e999}\n')
    add(Case("lone_surrogate.jsonl", "json", "load", "surrogate"), lambda: b'{"text":"a \\ud800 b"}\n{"text":"\\udfff"}\n')
    add(Case("json_array_line.jsonl", "json", "error", "expected a JSON object"), lambda: b'["a list"]\n')
    add(Case("nan_literal.jsonl", "json", "load"), lambda: b'{"text":"a","x":NaN}\n')
    add(Case("surrogate_key.jsonl", "json", "load", "surrogate"), lambda: b'{"text":"a","\\ud800":"v"}\n')

    # -- Parquet column types --------------------------------------------------------------------
    add(Case("list_column.parquet", "parquet", "load", "JSON text"), lambda: _parquet(pa.table({"text": ["a", "b"], "tags": [[1, 2], None]})))
    add(Case("struct_column.parquet", "parquet", "load", "JSON text"), lambda: _parquet(pa.table({"text": ["a", "b"], "r": [{"x": 1}, {"x": 2}]})))
    add(Case("map_column.parquet", "parquet", "load", "JSON text"), lambda: _parquet(pa.table(
        {"text": ["a"], "m": pa.array([[("k", 1)]], pa.map_(pa.string(), pa.int64()))})))
    add(Case("binary_invalid_utf8.parquet", "parquet", "load", "not UTF-8"), lambda: _parquet(pa.table(
        {"text": ["a", "b"], "blob": pa.array([b"\xff\xfe", b"ok"], pa.binary())})))
    add(Case("binary_text_column.parquet", "parquet", "load"), lambda: _parquet(pa.table({"text": pa.array([b"hello", b"world"])})))
    add(Case("large_string.parquet", "parquet", "load"), lambda: _parquet(pa.table({"text": pa.array(["a", "b"], pa.large_string())})))
    add(Case("float16.parquet", "parquet", "load"), lambda: _parquet(pa.table(
        {"text": ["a", "b"], "h": pa.array(np.array([1.5, 2.5], np.float16))})))

    # -- text content ----------------------------------------------------------------------------
    add(Case("rtl_bidi.txt", "text", "load"), lambda: "مرحبا بالعالم\nשלום \u202eevil\u202c\n".encode())
    add(Case("emoji_zwj.txt", "text", "load"), lambda: "👩\u200d👩\u200d👧 family\n🏳️\u200d🌈 flag\n".encode())
    add(Case("zero_width.txt", "text", "load"), lambda: "\u200b\u200c\u200d\nvisible\n".encode())
    add(Case("combining.txt", "text", "load"), lambda: ("Z" + "\u0336\u0337" * 500 + "\n").encode())
    add(Case("markup_texts.csv", "text", "load"), lambda: (
        'text,label\n"<script>alert(1)</script>",![b](http://127.0.0.1:9/b.png)\n'
        '"<img src=x onerror=alert(1)>",javascript:alert(1)\n').encode())
    add(Case("formula_cells.csv", "text", "load"), lambda: b"text,f\n=cmd|' /C calc'!A0,+1+1\n@SUM(A1),-2\n")

    # -- names and paths -----------------------------------------------------------------------------
    add(Case("traversal.csv", "paths", "load", upload_name="../../x.csv"), lambda: b"text\nhello\n")
    add(Case("markdown_name.csv", "paths", "load", upload_name="![x](http://127.0.0.1:9/beacon.png).csv"),
        lambda: b"text\nhello\n")
    add(Case("long_name.csv", "paths", "load", upload_name="n" * 300 + ".csv"), lambda: b"text\nhello\n")
    add(Case("symlink.csv", "paths", "error", "symbolic link", special="symlink"), None)
    add(Case("dangling_symlink.csv", "paths", "error", "symbolic link", special="dangling"), None)
    add(Case("fifo.csv", "paths", "error", "FIFO", special="fifo"), None)
    add(Case("folder.csv", "paths", "error", "a folder", special="dir"), None)
    return c


CASES: list[Case] = [case for case, _ in _cases()]


def generate(folder: Path) -> dict[str, Path]:
    """Write every case into ``folder``; return name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for case, make in _cases():
        path = folder / case.name
        if case.special == "symlink":
            (folder / "symlink_target.csv").write_bytes(b"text\nhello\n")
            path.symlink_to(folder / "symlink_target.csv")
        elif case.special == "dangling":
            path.symlink_to(folder / "does-not-exist.csv")
        elif case.special == "fifo":
            os.mkfifo(path)
        elif case.special == "dir":
            path.mkdir()
        else:
            assert make is not None
            path.write_bytes(make())
        paths[case.name] = path
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile-files")
    written = generate(target)
    print(json.dumps({name: os.path.getsize(p) if p.is_file() else None for name, p in written.items()}, indent=1))
