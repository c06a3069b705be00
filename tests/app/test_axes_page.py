"""AppTest of the Axes page: build an axis, see both ends ranked, save it, hand scores to the Map."""
from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from components import state
from engine.axes import ItemsRecipe, PolesRecipe, ProbeRidgeRecipe
from tests.conftest import SMALL_MODEL
from tests.app.pages import open_page

PAGE = "pages/3_Axes.py"


def _open(corpus_id: str, models: tuple[str, ...] = (SMALL_MODEL,), **extra) -> AppTest:
    return open_page(PAGE, corpus_id, models, **extra)


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_axes_page_asks_for_an_axis_then_ranks_from_typed_poles(small_corpus, small_embeddings):
    from components import resources

    resources._bands_built.clear()  # this band is new to the process: the ends come first, then the band
    at = _open(small_corpus.corpus_id, **{state.AXES_METHOD: "poles"})
    assert any("Build axis" in i.value for i in at.info)
    at.text_area(key="axes_positive").set_value("police arrested a man\ncourt charges")
    at.text_area(key="axes_negative").set_value("cricket match\nthe team won")
    _button(at, "Build axis").click().run()
    assert not at.exception, at.exception
    top, bottom = at.dataframe[0].value, at.dataframe[1].value
    assert list(top["rank"])[:3] == [1, 2, 3]
    assert list(bottom["rank"])[0] == len(small_corpus)
    assert top["score"].is_monotonic_decreasing and top["score"].iloc[0] > bottom["score"].iloc[0]
    assert (top["rank_low"] <= top["rank_high"]).all()
    # a band new to the process: the ends were first drawn without it, then replaced in the same run
    assert not [b.key for b in at.button if b.key and "before_band" in b.key]
    assert at.session_state[state.AXES_RECIPE] == PolesRecipe(positive=("police arrested a man", "court charges"),
                                                              negative=("cricket match", "the team won"))
    assert len(at.get("plotly_chart")) >= 2  # histogram and stability band
    assert any("Spearman" in m.label for m in at.metric)  # rankability against n_words / article


def test_axes_page_expression_saves_and_sends_scores_to_the_map(small_corpus, small_embeddings, store):
    # the Map page opens after the hand-off: PCA keeps this test free of UMAP's numba compilation
    at = _open(small_corpus.corpus_id, **{state.AXES_METHOD: "expression", state.MAP_METHOD: "pca"})
    at.text_input(key="axes_expression").set_value("police - weather")
    _button(at, "Build axis").click().run()
    assert not at.exception, at.exception
    at.text_input(key="axes_save_name").set_value("police vs weather")
    _button(at, "Save axis").click().run()
    assert not at.exception, at.exception
    from engine.axes import list_axes

    assert "police-vs-weather" in {r["key"] for r in list_axes(store, small_corpus.corpus_id)}
    _button(at, "Colour the map").click().run()
    assert not at.exception, at.exception
    payload = at.session_state[state.COLOR_SCORES]
    assert payload["corpus_id"] == small_corpus.corpus_id and len(payload["ids"]) == len(small_corpus)
    assert np.isfinite(payload["scores"]).all()
    assert at.session_state[state.MAP_COLOR] == "Score: " + payload["name"]  # the Map opens coloured by it
    assert [t.value for t in at.title] == ["Map"]
    assert not at.exception, at.exception


def test_axes_page_shows_a_user_error_not_a_traceback(small_corpus, small_embeddings):
    at = _open(small_corpus.corpus_id, **{state.AXES_RECIPE: {"method": "expression", "expression": "good -"}})
    assert not at.exception
    assert any("operator" in e.value for e in at.error)


def test_axes_page_compares_the_axis_across_two_models(small_corpus, small_embeddings, embedded):
    # GloVe, not another model: the Search tests add it to this corpus too, so the sidebar's default
    # models for other areas' browser tests stay what they would be without this test
    embedded(small_corpus, "glove-50d")
    recipe = {"method": "poles", "positive": ["police"], "negative": ["fire"]}
    at = _open(small_corpus.corpus_id, models=(SMALL_MODEL, "glove-50d"), **{state.AXES_RECIPE: recipe})
    pairs = next(d.value for d in at.dataframe if "Spearman" in d.value.columns)
    assert len(pairs) == 1 and -1 <= pairs["Spearman"].iloc[0] <= 1
    jumps = next(d.value for d in at.dataframe if "jump" in d.value.columns)
    assert jumps["jump"].is_monotonic_decreasing


@pytest.mark.parametrize("method", ["preset", "items", "probe", "selection", "saved"])
def test_every_axis_method_renders(small_corpus, small_embeddings, method):
    at = _open(small_corpus.corpus_id, **{state.AXES_METHOD: method})
    assert not at.exception, at.exception


def test_axes_page_fits_a_probe_and_compares_few_with_all(small_corpus, small_embeddings):
    at = _open(small_corpus.corpus_id, **{state.AXES_METHOD: "probe"})
    at.selectbox(key="axes_probe_column").set_value("n_words")
    at.number_input(key="axes_probe_sample").set_value(60)
    _button(at, "Build axis").click().run()
    assert not at.exception, at.exception
    assert at.session_state[state.AXES_RECIPE] == ProbeRidgeRecipe(column="n_words", sample=60)
    assert any("60 labelled items" in m.value for m in at.markdown)
    at.selectbox(key="axes_rank_column").set_value("n_words").run()
    _button(at, "Compare a probe from k examples with one from all").click().run()
    assert not at.exception, at.exception
    assert any("Held-out Spearman" in m.value for m in at.markdown)


def test_axes_page_builds_an_axis_from_a_map_selection(small_corpus, small_embeddings):
    ids = small_corpus.ids[:6]
    pole = {"corpus_id": small_corpus.corpus_id, "ids": ids, "texts": small_corpus.texts[:6]}
    at = _open(small_corpus.corpus_id, **{state.AXES_METHOD: "selection", state.AXIS_POLE: pole})
    _button(at, "Build axis").click().run()
    assert not at.exception, at.exception
    top = at.dataframe[0].value
    # the selected items sit at the positive end of an axis pointing from the rest toward them
    assert len(set(top["id"].head(6)) & set(ids)) >= 4


def test_axis_charts_escape_user_text_for_plotly():
    from components import axes_charts

    figure = axes_charts.score_histogram_chart(np.array([-0.2, 0.1, np.nan]), positive_label='<img src=x> "yes"',
                                             negative_label="a & b")
    title = figure.layout.xaxis.title.text
    assert "<img" not in title and "&lt;img src=x&gt;" in title and '"yes"' in title and "a &amp; b" in title
    scatter = axes_charts.two_axis_scatter_chart(np.array([0.1, -0.1]), np.array([0.2, 0.3]),
                                               texts=["<script>x</script>", "ok"], x_labels=("p", "n"),
                                               y_labels=("p2", "n2"), color=["<b>", "c"], color_name="col")
    hovers = [h for trace in scatter.data for h in trace.hovertext]
    assert "&lt;script&gt;x&lt;/script&gt;" in hovers and not any("<script>" in h for h in hovers)
    assert all("<b>" not in trace.name for trace in scatter.data)


def test_cross_model_section_reports_a_model_that_cannot_rebuild_the_axis(small_corpus, small_embeddings, embedded):
    embedded(small_corpus, "glove-50d")
    recipe = {"method": "expression", "expression": "police - qqzzxq"}  # GloVe lacks the second word
    at = _open(small_corpus.corpus_id, models=(SMALL_MODEL, "glove-50d"), **{state.AXES_RECIPE: recipe})
    assert at.dataframe[0].value["rank"].iloc[0] == 1  # the first model's ranking is shown
    assert any("qqzzxq" in e.value for e in at.error)
    assert any("fewer than two" in c.value for c in at.caption)


def test_axes_page_builds_an_axis_from_two_items(small_corpus, small_embeddings):
    at = _open(small_corpus.corpus_id, **{state.AXES_METHOD: "items"})
    at.text_input(key="axes_pos_item_query").set_value("police").run()
    at.text_input(key="axes_neg_item_query").set_value("fire").run()
    positive, negative = at.selectbox(key="axes_pos_item_pick").value, at.selectbox(key="axes_neg_item_pick").value
    _button(at, "Build axis").click().run()
    assert not at.exception, at.exception
    assert at.session_state[state.AXES_RECIPE] == ItemsRecipe(positive_ids=(positive,), negative_ids=(negative,))
    top, bottom = at.dataframe[0].value, at.dataframe[1].value
    assert top["id"].iloc[0] == positive and bottom["id"].iloc[0] == negative  # each item ends its own pole


def test_save_as_name_follows_the_current_axis(small_corpus, small_embeddings):
    """Issue #8.4: an axis from feminine/masculine words was offered for saving as "good ↔ bad"."""
    at = _open(small_corpus.corpus_id, **{state.AXES_METHOD: "poles"})
    at.text_area(key="axes_positive").set_value("good")
    at.text_area(key="axes_negative").set_value("bad")
    _button(at, "Build axis").click().run()
    assert at.text_input(key="axes_save_name").value == "good ↔ bad"
    at.text_area(key="axes_positive").set_value("woman\nshe")
    at.text_area(key="axes_negative").set_value("man\nhe")
    _button(at, "Build axis").click().run()
    assert not at.exception, at.exception
    assert at.text_input(key="axes_save_name").value == "woman +1 ↔ man +1"
    # a name the user typed stays while the axis stays the same
    at.text_input(key="axes_save_name").set_value("gender").run()
    assert at.text_input(key="axes_save_name").value == "gender"


def test_ranked_tables_show_the_label_column_beside_the_text(small_corpus, small_embeddings, embedded):
    """Issue #8.8: the label column chosen in the sidebar is shown beside the text in every ranking table."""
    embedded(small_corpus, "glove-50d")
    recipe = PolesRecipe(positive=("police",), negative=("fire",))
    at = _open(small_corpus.corpus_id, models=(SMALL_MODEL, "glove-50d"), **{state.AXES_RECIPE: recipe})
    next(s for s in at.sidebar.selectbox if s.label == "Label column").set_value("article").run()
    assert not at.exception, at.exception
    ends = at.dataframe[0].value, at.dataframe[1].value
    for table in ends:
        columns = list(table.columns)
        assert columns.index("article") == columns.index("text") - 1
    listed = [d.value for d in at.dataframe if "rank" in d.value.columns and "text" in d.value.columns]
    assert len(listed) >= 4  # both ends and one top list per model
    assert all("article" in table.columns for table in listed)
    jumps = next(d.value for d in at.dataframe if "jump" in d.value.columns)
    assert "article" in jumps.columns
    by_id = dict(zip(small_corpus.ids, small_corpus.frame["article"].to_list()))
    assert [by_id[i] for i in ends[0]["id"]] == list(ends[0]["article"])
    # every listed item can be opened in full: one open button per table, waiting for a ticked row
    opens = [b for b in at.button if "open it in full" in b.label]
    assert len(opens) >= len(listed) and all(b.disabled for b in opens)


def test_colour_the_map_payload_keeps_scored_items_only():
    from components.handoff import color_scores_payload

    payload = color_scores_payload("c1", "good ↔ bad", "m", ["a", "b", "c"], [0.5, float("nan"), -0.25])
    assert payload == {"corpus_id": "c1", "name": "good ↔ bad", "model_id": "m", "ids": ["a", "c"],
                       "scores": [0.5, -0.25]}
    with pytest.raises(ValueError):
        color_scores_payload("c1", "x", "m", ["a"], [0.1, 0.2])


def test_the_label_column_chosen_on_one_page_holds_on_the_next(small_corpus, small_embeddings):
    """The sidebar's label column came back empty after a page switch (its widget key is per page)."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state[state.CORPUS_ID] = small_corpus.corpus_id
    at.session_state[state.MODEL_IDS] = (SMALL_MODEL,)
    at.session_state[state.AXES_RECIPE] = PolesRecipe(positive=("police",), negative=("fire",))
    at.run()
    next(s for s in at.sidebar.selectbox if s.label == "Label column").set_value("article").run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    assert next(s for s in at.sidebar.selectbox if s.label == "Label column").value == "article"
    assert "article" in at.dataframe[0].value.columns
    next(s for s in at.sidebar.selectbox if s.label == "Label column").set_value("").run()  # (start of the text)
    assert at.session_state[state.LABEL_COLUMNS][small_corpus.corpus_id] is None
