"""engine.corpus: every reader, every error class, and the ingest report."""
from __future__ import annotations

import io
import json

import polars as pl
import pytest

from engine.config import Settings
from engine.corpus import detect_format, guess_text_column, load_corpus, read_table
from engine.errors import CorpusError, LimitError

CSV = "id_code,text,label,score\nA1,The cat sat on the mat,pets,1\nA2,Stocks fell sharply,finance,2\nA3,,pets,3\nA4,NA,misc,\nA5,123,misc,5\nA6,The cat sat on the mat,pets,6\n"


def test_csv_reads_text_and_typed_metadata():
    corpus, report = load_corpus(CSV.encode(), filename="c.csv")
    assert corpus.text_column == "text"
    assert corpus.texts == ["The cat sat on the mat", "Stocks fell sharply", "NA", "123", "The cat sat on the mat"]
    assert corpus.frame["score"].dtype == pl.Int64  # numeric metadata becomes numbers
    assert corpus.frame["label"].dtype == pl.String
    assert report.rows_read == 6 and report.rows_kept == 5
    assert report.dropped_empty == 1 and report.duplicates == 1
    assert report.encoding == "utf-8"


def test_texts_that_look_like_numbers_or_null_stay_text():
    corpus, _ = load_corpus(b"text\nNA\nnull\n123\nNaN\n", filename="c.csv")
    assert corpus.texts == ["NA", "null", "123", "NaN"]
    assert corpus.frame["text"].dtype == pl.String


def test_tsv_reads_tabs():
    corpus, report = load_corpus(b"sentence\tgroup\nhello there\ta\ngood night\tb\n", filename="c.tsv")
    assert corpus.text_column == "sentence" and corpus.texts == ["hello there", "good night"]
    assert corpus.metadata_columns == ["group"]


def test_one_column_txt_is_one_item_per_line_and_blank_lines_count_as_dropped():
    corpus, report = load_corpus(b"first line\n\nsecond line\n   \nthird\n", filename="words.txt")
    assert corpus.texts == ["first line", "second line", "third"]
    assert report.dropped_empty == 2 and report.rows_read == 5


def test_jsonl_with_a_missing_field_drops_that_row_and_says_so():
    lines = [{"text": "alpha", "n": 1}, {"n": 2}, {"text": "gamma", "n": 3, "extra": {"a": 1}}]
    data = "\n".join(json.dumps(line) for line in lines).encode()
    corpus, report = load_corpus(data, filename="c.jsonl")
    assert corpus.texts == ["alpha", "gamma"]
    assert report.dropped_empty == 1
    assert any("lacked some fields" in note for note in report.notes)
    assert corpus.frame["extra"].to_list()[1] == '{"a": 1}'


def test_parquet_reads_and_keeps_types():
    buffer = io.BytesIO()
    pl.DataFrame({"body": ["one text", "another text", None], "year": [2001, 2002, 2003]}).write_parquet(buffer)
    corpus, report = load_corpus(buffer.getvalue(), filename="c.parquet")
    assert corpus.text_column == "body" and corpus.texts == ["one text", "another text"]
    assert corpus.frame["year"].dtype == pl.Int64 and report.encoding == "binary"


def test_latin1_csv_loads_with_a_note():
    corpus, report = load_corpus("text\ncafé crème\nnaïve\n".encode("latin-1"), filename="c.csv")
    assert corpus.texts == ["café crème", "naïve"]
    assert report.encoding == "latin-1"
    assert any("Latin-1" in note for note in report.notes)


def test_utf16_csv_with_bom_loads():
    corpus, report = load_corpus("text,n\nÜber alles,1\nzwei,2\n".encode("utf-16"), filename="c.csv")
    assert corpus.texts == ["Über alles", "zwei"] and report.encoding == "utf-16"


def test_utf8_bom_is_not_part_of_the_header():
    corpus, report = load_corpus("\ufefftext\nhello\n".encode("utf-8"), filename="c.csv")
    assert corpus.text_column == "text" and report.encoding == "utf-8-sig"


@pytest.mark.parametrize(
    ("data", "filename", "fragment"),
    [
        (b"", "empty.csv", "is empty"),
        (b"   \n\n", "blank.txt", "is empty"),
        (b"text,label\n", "header_only.csv", "no data rows"),
        (b"a,b\n1,2\n3,4\n", "numbers.csv", "No usable text column"),
        (b"text\x00bin\x00\x00", "binary.csv", "NUL bytes"),
        (b"not parquet at all", "fake.parquet", "not a Parquet file"),
        (b'{"text": "ok"}\n{"text": broken}\n', "bad.jsonl", "line 2"),
        (b'["a list"]\n', "list.jsonl", "expected a JSON object"),
    ],
)
def test_bad_files_raise_corpus_errors_that_say_what_is_wrong(data, filename, fragment):
    with pytest.raises(CorpusError, match=fragment):
        load_corpus(data, filename=filename)


def test_all_empty_texts_in_the_chosen_column_is_an_error():
    with pytest.raises(CorpusError, match=r"Every text in column 'text' is empty \(2 rows read\)"):
        load_corpus(b"text,label\n,a\n  ,b\n", filename="c.csv", text_column="text")


def test_malformed_csv_error_names_the_line():
    with pytest.raises(CorpusError, match=r"line 3.*3 fields but the header has 2"):
        load_corpus(b"text,label\nfine,a\nbroken,text,here\n", filename="c.csv")


def test_unclosed_quote_error_names_a_line():
    with pytest.raises(CorpusError, match=r"Malformed CSV on line \d+"):
        load_corpus(b'text,label\n"unclosed,a\nmore,b\n', filename="c.csv")


def test_pickles_are_refused_without_reading():
    with pytest.raises(CorpusError, match="never loads pickled"):
        detect_format("corpus.pkl")


def test_unknown_text_column_lists_the_columns():
    with pytest.raises(CorpusError, match="Columns found: text, label"):
        load_corpus(b"text,label\nhi,a\n", filename="c.csv", text_column="body")


def test_file_over_the_size_cap_is_a_limit_error(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"x" * (1024 * 1024 + 10))
    with pytest.raises(LimitError, match="over the 1 MiB cap"):
        read_table(path, settings=Settings(max_upload_mb=1))


def test_rows_over_the_row_cap_is_a_limit_error():
    with pytest.raises(LimitError, match="over the 3-row cap"):
        load_corpus(b"a\nb\nc\nd\n", filename="w.txt", settings=Settings(max_rows=3))


def test_long_texts_are_truncated_and_counted():
    corpus, report = load_corpus(b"text\n" + b"y" * 50 + b"\nshort\n", filename="c.csv",
                                 settings=Settings(max_text_chars=10))
    assert corpus.texts == ["y" * 10, "short"] and report.truncated == 1


def test_ids_and_corpus_id_are_stable_and_follow_content():
    first, _ = load_corpus(CSV.encode(), filename="c.csv")
    again, _ = load_corpus(CSV.encode(), filename="other-name.csv")
    changed, _ = load_corpus(CSV.replace("Stocks", "Bonds").encode(), filename="c.csv")
    assert first.ids == again.ids == ["0", "1", "3", "4", "5"]  # file positions survive dropped rows
    assert first.corpus_id == again.corpus_id
    assert changed.corpus_id != first.corpus_id


def test_a_unique_id_column_becomes_the_row_id():
    corpus, report = load_corpus(b"id,text\nx9,hello\nx7,world\n", filename="c.csv")
    assert corpus.ids == ["x9", "x7"] and any("'id'" in n for n in report.notes)


def test_guess_prefers_named_text_columns_over_longer_ones():
    frame = pl.DataFrame({"notes": ["a much longer free text column here"], "review": ["short"], "n": ["1"]})
    assert guess_text_column(frame) == "review"


def test_reading_from_a_path_matches_reading_bytes(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(CSV)
    from_path, _ = load_corpus(path)
    from_bytes, _ = load_corpus(CSV.encode(), filename="c.csv")
    assert from_path.corpus_id == from_bytes.corpus_id


def test_missing_path_is_a_corpus_error(tmp_path):
    with pytest.raises(CorpusError, match="No such file"):
        load_corpus(tmp_path / "nope.csv")


# -- issue 8.16: nothing is lost silently ----------------------------------------------------------
def test_repeated_header_names_keep_every_column_and_say_so():
    corpus, report = load_corpus(b"text,a,a,a_1\nhello,1,2,3\nworld,4,5,6\n", filename="c.csv")
    assert len(corpus.metadata_columns) == 3
    values = sorted(corpus.frame.row(0)[2:])
    assert values == [1, 2, 3]  # no column was overwritten by another
    assert any("renamed" in note and "'a'" in note for note in report.notes)


def test_a_cell_over_128_kb_is_truncated_not_refused():
    long_text = "w" * 200_000
    corpus, report = load_corpus(f"text,label\n{long_text},a\nshort,b\n".encode(), filename="c.csv",
                                 settings=Settings(max_text_chars=1_000))
    assert corpus.texts == ["w" * 1_000, "short"] and report.truncated == 1


def test_utf32_with_a_bom_is_decoded_as_utf32():
    corpus, report = load_corpus("text,n\nÜber alles,1\nzwei,2\n".encode("utf-32"), filename="c.csv")
    assert corpus.texts == ["Über alles", "zwei"] and report.encoding == "utf-32"


def test_duplicate_ids_fall_back_to_positions_with_a_note():
    corpus, report = load_corpus(b"id,text\nx,hello\nx,world\n", filename="c.csv")
    assert corpus.ids == ["0", "1"]
    assert corpus.frame["id_original"].to_list() == ["x", "x"]
    assert any("'id'" in note and "position" in note for note in report.notes)


# -- issue 11: the 8 files that ended in a traceback, and paths that are not regular files ----------
def _parquet(table) -> bytes:
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


def test_a_column_named_like_a_generated_one_is_renamed_not_a_crash():
    corpus, report = load_corpus(b"text,text_original,body\nhello,a,first body\nworld,b,second body\n",
                                 filename="c.csv", text_column="body")
    assert corpus.frame["text_original"].to_list() == ["a", "b"]
    assert corpus.frame["text_original_2"].to_list() == ["hello", "world"]
    assert any("'text_original_2'" in note for note in report.notes)


def test_a_utf8_bom_then_invalid_bytes_loads_with_replacement_and_a_note():
    corpus, report = load_corpus(b"\xef\xbb\xbftext\nhello \xff world\nok\n", filename="c.csv")
    assert corpus.texts == ["hello \ufffd world", "ok"]
    assert any("byte-order mark" in note for note in report.notes)


def test_a_5000_digit_integer_in_jsonl_is_kept_as_text():
    data = '{"text": "a", "n": ' + "9" * 5000 + '}\n{"text": "b", "n": 1}\n'
    corpus, report = load_corpus(data.encode(), filename="c.jsonl")
    assert corpus.frame["n"].to_list() == ["9" * 5000, "1"]
    assert any("longer than" in note for note in report.notes)


@pytest.mark.parametrize("depth", [100, 50_000])
def test_deeply_nested_json_is_refused_with_advice(depth):
    data = '{"text": "a", "n": ' + "[" * depth + "]" * depth + "}\n"
    with pytest.raises(CorpusError, match="nested more than .* Flatten"):
        load_corpus(data.encode(), filename="c.jsonl")


def test_a_lone_surrogate_in_json_becomes_a_replacement_character():
    corpus, report = load_corpus(b'{"text": "a \\ud800 b"}\n{"text": "ok"}\n', filename="c.jsonl")
    assert corpus.texts == ["a \ufffd b", "ok"] and any("surrogate" in note for note in report.notes)


def test_parquet_binary_list_and_struct_columns_become_text_with_notes():
    import pyarrow as pa

    table = pa.table({"text": ["a", "b"], "blob": pa.array([b"\xff\xfe", b"ok"], pa.binary()),
                      "tags": [[1, 2], None], "rec": [{"x": 1}, {"x": 2}]})
    corpus, report = load_corpus(_parquet(table), filename="c.parquet")
    assert corpus.frame["blob"].to_list() == ["\ufffd\ufffd", "ok"]
    assert corpus.frame["tags"].to_list() == ["[1, 2]", None]
    assert json.loads(corpus.frame["rec"][1]) == {"x": 2}
    assert sum("Column " in note for note in report.notes) == 3


def test_a_symlink_given_as_a_path_is_refused_clearly(tmp_path):
    target = tmp_path / "real.csv"
    target.write_text("text\nhello\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    with pytest.raises(CorpusError, match="symbolic link"):
        load_corpus(link)


def test_a_fifo_given_as_a_path_is_refused_without_blocking(tmp_path):
    import os

    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    with pytest.raises(CorpusError, match="FIFO"):
        load_corpus(fifo)


def test_compressed_files_are_refused_with_advice():
    import gzip

    with pytest.raises(CorpusError, match="gzip-compressed.*extract it"):
        load_corpus(gzip.compress(b"text\nhello\n"), filename="c.csv")


def test_parquet_over_the_row_cap_is_refused_before_reading():
    import pyarrow as pa

    with pytest.raises(LimitError, match="nothing was read"):
        load_corpus(_parquet(pa.table({"text": ["x"] * 50})), filename="c.parquet", settings=Settings(max_rows=10))


def test_a_dictionary_encoded_parquet_bomb_is_refused_by_its_decoded_size():
    import pyarrow as pa

    table = pa.table({"text": pa.array(["y" * 100_000] * 200)})  # ~20 MB decoded, a few KB on disk
    data = _parquet(table)
    assert len(data) < 200_000
    with pytest.raises(LimitError, match="decoded-size cap"):
        load_corpus(data, filename="c.parquet", settings=Settings(max_decoded_mb=5))


def test_a_csv_with_more_columns_than_the_cap_is_refused():
    header = ",".join(f"c{i}" for i in range(50))
    with pytest.raises(LimitError, match="51 columns, over the 20-column cap"):
        load_corpus(f"text,{header}\n".encode() + b"a" + b"," * 50 + b"\n", filename="c.csv",
                    settings=Settings(max_columns=20))
