"""AppTest of the Compare page: two sentence models on the small Lee news slice."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from tests.app.pages import open_page

PAGE = "pages/5_Compare.py"
MODELS = ("minilm-l6", "minilm-l3")


@pytest.fixture
def compared(small_corpus, embedded):
    for model in MODELS:
        embedded(small_corpus, model)
    return small_corpus


def _open(corpus, **extra) -> AppTest:
    return open_page(PAGE, corpus.corpus_id, MODELS, **{state.COMPARE_MODELS: MODELS,
                                                        "compare_map_method": "pca", **extra})


def _frames_with(at: AppTest, column: str) -> list:
    return [d.value for d in at.dataframe if column in d.value.columns]


def test_compare_page_shows_agreement_tables_and_the_most_disagreeing_items_neighbours(compared):
    at = _open(compared)
    assert [t.value for t in at.title] == ["Compare"]
    mean = float(at.metric[0].value)
    assert 0.05 < mean < 0.95  # two different real models: between chance (~0.017) and identical
    pair = "minilm-l6 vs minilm-l3"
    least, most = _frames_with(at, f"jaccard: {pair}")[:2]
    assert least[f"jaccard: {pair}"].is_monotonic_increasing and most[f"jaccard: {pair}"].is_monotonic_decreasing
    assert least[f"jaccard: {pair}"].iloc[0] < most[f"jaccard: {pair}"].iloc[0]
    # the item view opens the most-disagreeing item: one neighbour column per model, ranks in the other
    left, right = _frames_with(at, "rank in minilm-l3")[0], _frames_with(at, "rank in minilm-l6")[0]
    assert len(left) == len(right) == 10
    assert list(left["#"] if "#" in left.columns else left["rank"]) == list(range(1, 11))
    shared = (left["shared"] == "✓").sum()
    assert shared == (right["shared"] == "✓").sum()  # a shared neighbour is marked in both columns
    assert any(t.value.endswith(f"(id {least['id'].iloc[0]})") for t in at.text)
    heatmaps = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert sum(1 for h in heatmaps if h["data"][0]["type"] == "heatmap") == 4
    assert at.success or at.warning  # the translation verdict is always stated
    assert not at.exception


def test_compare_page_opens_a_hand_off_item_and_highlights_a_linked_selection(compared, store):
    from engine.embed import load_embeddings
    from engine.project import ProjectionSpec, project

    for model in MODELS:  # the aligned maps use stored layouts (PCA keeps this test free of numba)
        project(load_embeddings(compared.corpus_id, model, store=store), **ProjectionSpec(method="pca").kwargs(),
                store=store)
    item = compared.ids[17]
    at = _open(compared, **{state.FOCUS_ITEM: {"corpus_id": compared.corpus_id, "id": item},
                            state.COMPARE_SELECTION: {"corpus_id": compared.corpus_id, "rows": [1, 2, 3],
                                                      "source": MODELS[0]}})
    assert any(t.value.endswith(f"(id {item})") for t in at.text)
    from engine.project.payload import unpack_map

    maps = [unpack_map(c.proto.bytes) for c in at.get("bidi_component")]
    assert len(maps) == 2
    for drawn in maps:  # the linked selection is ringed in both maps
        assert sorted(drawn["row"][drawn["ring"]].tolist()) == [1, 2, 3]
    moved = _frames_with(at, "displacement")
    assert moved and len(moved[0]) == 3  # "who moved most" narrows to the selection
    assert not at.exception


def test_compare_page_asks_for_a_second_model(small_corpus, embedded, store):
    from engine.corpus import corpus_from_texts

    lonely, _ = corpus_from_texts([f"a lonely sentence number {i}" for i in range(30)], name="lonely")
    embedded(lonely, "minilm-l3")
    at = open_page(PAGE, lonely.corpus_id, ("minilm-l3",))
    assert any("at least two models" in i.value for i in at.info)
    assert not at.exception
