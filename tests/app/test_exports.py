"""Issue 11: the pages' CSV exports neutralise spreadsheet formulas; Parquet exports stay exact.

Each test drives a real page under AppTest on a small corpus whose texts and metadata start with
``=``, ``+``, ``-`` and ``@``, and reads back the bytes the page handed to ``st.download_button``.
"""
from __future__ import annotations

import csv
import io

import polars as pl
import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from components import state
from tests.app.pages import open_page

FORMULA = "=cmd|' /C calc'!A0"
STARTS = [FORMULA, "+SUM(1,2)", "-x+1", "@SUM(A1)", "plain"]


@pytest.fixture(scope="module")
def formula_corpus(store, embedded):
    """40 fire/flood sentences; every fifth text, and the ``cell`` metadata, start like a formula."""
    from engine.corpus import build_corpus, read_table

    rows = ["text,cell,delta"]
    for i in range(40):
        start = STARTS[i % len(STARTS)]
        topic = "fire crews fight a bushfire" if i % 2 else "the river flood rises"
        text = f"{start} {topic} {i}"
        rows.append(",".join(f'"{v}"' for v in (text.replace('"', '""'), start, str(i - 20))))
    table = read_table("\n".join(rows).encode(), filename="formulas.csv")
    corpus, report = build_corpus(table, text_column="text", name="formulas")
    store.save_corpus(corpus, report)
    embedded(corpus, "minilm-l3")
    return corpus


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """file name -> the bytes a page passed to st.download_button during the test."""
    captured: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        if filename and isinstance(path_or_data, bytes):
            captured[filename] = path_or_data
        return original(self, path_or_data, mimetype, kind, filename)

    def record_deferred(self, data_callable, mimetype, coordinates, file_name=None, **kwargs):
        captured[file_name] = data_callable()  # what a click would download (data=partial(...))
        return original_deferred(self, data_callable, mimetype, coordinates, file_name, **kwargs)

    original_deferred = MediaFileManager.add_deferred
    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    monkeypatch.setattr(MediaFileManager, "add_deferred", record_deferred)
    return captured


def _csv_rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def assert_formulas_neutralised(data: bytes, *, numeric: str) -> None:
    """No string cell starts a formula; the formula shows as written after a ' ; numbers untouched."""
    rows = _csv_rows(data)
    assert rows
    for row in rows:
        for name, value in row.items():
            if name != numeric:
                assert not value[:1] in ("=", "+", "@") and not (value.startswith("-") and not _number(value)), (
                    name, value)
        assert _number(row[numeric]) and int(float(row[numeric])) in range(-20, 20)  # no ' on a number
    cells = [value for row in rows for value in row.values()]
    assert any(value.startswith("'" + FORMULA) for value in cells)


def _number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def test_search_csv_export_neutralises_formulas_and_parquet_is_exact(formula_corpus, downloads):
    at = open_page("pages/2_Search.py", formula_corpus.corpus_id, ("minilm-l3",),
                   **{state.SEARCH_QUERIES: {"keyword": "bushfire"}, state.SEARCH_MODE: "keyword"})
    assert not at.exception
    assert_formulas_neutralised(downloads["search_hits.csv"], numeric="delta")
    exact = pl.read_parquet(io.BytesIO(downloads["search_hits.parquet"]))
    assert set(exact["text"]) <= set(formula_corpus.texts) and any(t.startswith(FORMULA) for t in exact["text"])
    assert exact["delta"].dtype.is_integer() and exact["delta"].min() < 0


def test_axes_ranking_csv_neutralises_formulas(formula_corpus, downloads):
    at = open_page("pages/3_Axes.py", formula_corpus.corpus_id, ("minilm-l3",), **{state.AXES_METHOD: "poles"})
    at.text_area(key="axes_positive").set_value("firefighters fight a bushfire")
    at.text_area(key="axes_negative").set_value("the river flood rises")
    next(b for b in at.button if b.label == "Build axis").click().run()
    assert not at.exception, at.exception
    ranking = [data for name, data in downloads.items() if name.startswith("ranking-") and name.endswith(".csv")]
    assert len(ranking) == 1
    assert_formulas_neutralised(ranking[0], numeric="delta")
    assert len(_csv_rows(ranking[0])) == len(formula_corpus)


def test_map_selection_csv_neutralises_formulas_and_parquet_is_exact(formula_corpus, downloads):
    ids = [str(i) for i in formula_corpus.ids[:12]]
    at = open_page("pages/1_Map.py", formula_corpus.corpus_id, ("minilm-l3",), **{
        state.MAP_METHOD: "pca",  # no UMAP compilation in this test
        state.SELECTION: {"corpus_id": formula_corpus.corpus_id, "model_id": "minilm-l3", "ids": ids, "source": "test"}})
    assert not at.exception, at.exception
    assert_formulas_neutralised(downloads["selection.csv"], numeric="delta")
    exact = pl.read_parquet(io.BytesIO(downloads["selection.parquet"]))
    assert list(exact["text"]) == [formula_corpus.texts[i] for i in range(12)]  # as written, no '


def test_compare_per_item_csv_neutralises_formulas(formula_corpus, embedded, downloads):
    embedded(formula_corpus, "glove-50d")
    models = ("minilm-l3", "glove-50d")
    at = open_page("pages/5_Compare.py", formula_corpus.corpus_id, models,
                   **{state.COMPARE_MODELS: models, "compare_map_method": "pca"})
    assert not at.exception, at.exception
    rows = _csv_rows(downloads["compare-items.csv"])
    assert len(rows) == len(formula_corpus)
    texts = [value for row in rows for value in row.values()]
    assert any(v.startswith("'" + FORMULA) for v in texts) and not any(v.startswith(("=", "@", "+")) for v in texts)


def test_geometry_item_tables_csv_neutralises_formulas(formula_corpus, embedded, downloads):
    embedded(formula_corpus, "glove-50d")
    at = open_page("pages/6_Geometry.py", formula_corpus.corpus_id, ("minilm-l3", "glove-50d"))
    assert not at.exception, at.exception
    item_tables = [data for name, data in downloads.items() if name.startswith(("hubs-", "depth-"))]
    assert item_tables  # the hub and depth rankings list items with their texts
    for data in item_tables:
        cells = [value for row in _csv_rows(data) for value in row.values()]
        assert any(v.startswith("'" + FORMULA) for v in cells)
        assert not any(v.startswith(("=", "@", "+")) for v in cells)
