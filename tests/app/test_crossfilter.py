"""AppTest of the linked metadata charts (components.crossfilter) on the Map, and the session filter on Search."""
from __future__ import annotations


import polars as pl
import pytest

from components import state
from components.crossfilter import brush_condition
from engine.facets import plan_facets
from engine.filters import Filter, MetadataFilter
from tests.app.pages import open_page
from tests.app.test_no_markup import BEACON, beacon_corpus  # noqa: F401 - fixture
from tests.conftest import SMALL_MODEL

MAP = "pages/1_Map.py"


@pytest.fixture(scope="module")
def stored_map(small_corpus, small_embeddings, store):
    from engine.project import ProjectionSpec, project

    return project(small_embeddings, **ProjectionSpec().kwargs(), store=store)


def _drawn_rows(at) -> list[int]:
    from engine.project.payload import unpack_map

    (chart,) = at.get("bidi_component")
    return sorted(unpack_map(chart.proto.bytes)["row"].tolist())


def _session(corpus, value: Filter) -> dict:
    return {state.ACTIVE_FILTER: {corpus.corpus_id: value.to_json()}}


def test_session_filter_limits_the_map_and_shows_removable_chips(small_corpus, stored_map):
    value = Filter((MetadataFilter("n_words", low=10, high=20),))
    at = open_page(MAP, small_corpus.corpus_id, (SMALL_MODEL,), **_session(small_corpus, value))
    keep = value.mask(small_corpus)
    assert 0 < keep.sum() < len(small_corpus)
    assert _drawn_rows(at) == [int(r) for r in keep.nonzero()[0]]
    status = [c.value for c in at.caption if c.value.startswith("Filter keeps")]
    expected = f"Filter keeps {int(keep.sum()):,} of {len(small_corpus):,} items · the map shows {int(keep.sum()):,} points"
    assert status == [expected]
    assert len(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")) == 2  # article and n_words
    chip = at.button(key="crossfilter_chips_0")
    assert "n\\_words" in chip.label or "n_words" in chip.label
    chip.click().run()
    assert not at.exception, at.exception
    assert small_corpus.corpus_id not in at.session_state[state.ACTIVE_FILTER]
    assert _drawn_rows(at) == list(range(len(small_corpus)))
    assert at.session_state[state.CROSSFILTER_EPOCH] == 1  # the charts redraw without the old brush


def test_search_applies_the_session_filter(small_corpus, small_embeddings):
    value = Filter((MetadataFilter("n_words", low=5, high=12),))
    at = open_page("pages/2_Search.py", small_corpus.corpus_id, (SMALL_MODEL,),
                   **_session(small_corpus, value), **{state.SEARCH_QUERIES: {"semantic": "government minister"}})
    assert at.button(key="search_filter_chips_0")  # the Map's filter shows here too, removable
    frames = [d.value for d in at.dataframe if "id" in d.value.columns]
    assert frames, "no hit table"
    kept = set(pl.Series(small_corpus.ids).filter(pl.Series(value.mask(small_corpus))).to_list())
    assert set(frames[0]["id"]) <= kept


def test_a_broken_stored_filter_is_dropped_with_a_warning(small_corpus, stored_map):
    at = open_page(MAP, small_corpus.corpus_id, (SMALL_MODEL,),
                   **{state.ACTIVE_FILTER: {small_corpus.corpus_id: '{"conditions": [{"column": "n_words", "start": "x"}]}'}})
    assert any("dropped" in w.value for w in at.warning)
    assert _drawn_rows(at) == list(range(len(small_corpus)))


def test_brush_payloads_become_conditions(small_corpus):
    plans = {p.column: p for p in plan_facets(small_corpus)}
    words = plans["n_words"]
    condition = brush_condition(words, {"brush": {"label": [22.4, 8.2]}}, small_corpus)  # reversed drag
    assert (condition.low, condition.high) == (9.0, 22.0)  # whole words
    assert brush_condition(words, {"brush": {}}, small_corpus) is None  # cleared
    assert brush_condition(words, {"brush": {"label": ["x", "y"]}}, small_corpus) is None
    assert brush_condition(words, "junk", small_corpus) is None


def test_axes_ranks_only_what_the_session_filter_keeps(small_corpus, small_embeddings):
    from engine.axes import PolesRecipe

    value = Filter((MetadataFilter("n_words", low=18, high=40),))
    recipe = PolesRecipe(positive=("police arrested a man",), negative=("cricket match",))
    at = open_page("pages/3_Axes.py", small_corpus.corpus_id, (SMALL_MODEL,),
                   **_session(small_corpus, value), **{state.AXES_RECIPE: recipe})
    kept = set(pl.Series(small_corpus.ids).filter(pl.Series(value.mask(small_corpus))).to_list())
    top, bottom = at.dataframe[0].value, at.dataframe[1].value
    assert set(top["id"]) | set(bottom["id"]) <= kept
    assert at.button(key="axes_filter_chips_0")
    assert any("The filter keeps" in c.value for c in at.caption)


def test_chips_quote_a_markdown_column_name_as_plain_text(beacon_corpus):  # noqa: F811 - the imported fixture
    value = Filter((MetadataFilter(BEACON, values=("a",)),))
    at = open_page("pages/2_Search.py", beacon_corpus.corpus_id, ("minilm-l3",),
                   **{state.ACTIVE_FILTER: {beacon_corpus.corpus_id: value.to_json()}})
    chip = at.button(key="search_filter_chips_0")
    assert "beacon" in chip.label and "![" not in chip.label and "](" not in chip.label


def test_category_and_timeline_payloads_become_conditions():
    from engine.types import Corpus

    frame = pl.DataFrame({"id": [str(i) for i in range(6)], "text": ["t"] * 6, "kind": list("aabbcc"),
                          "day": ["2024-01-01", "2024-01-02", "2024-02-01", "2024-03-01", None, "2024-03-05"]})
    corpus = Corpus("c", "c", frame, "text")
    plans = {p.column: p for p in plan_facets(corpus)}
    picked = brush_condition(plans["kind"], {"pick": [{"label": "b"}, {"label": "c"}]}, corpus)
    assert set(picked.values) == {"b", "c"}
    assert brush_condition(plans["kind"], {"pick": []}, corpus) is None
    # Vega-Lite reports a UTC time brush as epoch milliseconds
    day = brush_condition(plans["day"], {"brush": {"label": [1704067200000, 1706745600000]}}, corpus)
    assert (day.start[:10], day.end[:10]) == ("2024-01-01", "2024-02-01")
    assert Filter((day,)).mask(corpus).tolist() == [True, True, True, False, False, False]


def test_every_chart_kind_is_a_valid_vega_lite_spec():
    """The page sends specs without Altair's validation (for speed): validate them here."""
    from components.crossfilter import facet_chart
    from engine.facets import condition_masks, facet_counts
    from engine.types import Corpus

    frame = pl.DataFrame({"id": [str(i) for i in range(8)], "text": ["t"] * 8, "kind": list("aabbccdd"),
                          "score": [0.1, 0.5, 0.2, 0.9, None, 0.3, 0.7, 0.4], "year": [1990 + i for i in range(8)],
                          "day": [f"2024-0{1 + i % 6}-01" for i in range(8)]})
    corpus = Corpus("c", "c", frame, "text")
    value = Filter((MetadataFilter("score", low=0.2, high=0.8), MetadataFilter("day", start="2024-02-01", end="2024-05-01")))
    facets = facet_counts(plan_facets(corpus), *condition_masks(corpus, value), selection=pl.Series([True, False] * 4).to_numpy())
    assert {f.plan.kind for f in facets} == {"number", "category", "date"}
    active = {c.column: c for c in value.conditions}
    for facet in facets:
        spec = facet_chart(facet, condition=active.get(facet.plan.column), selection=True).to_dict()  # validates
        assert spec["layer"]
