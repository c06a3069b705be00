"""AppTest of the Bias page: direction, WEAT, debias preview, presets and the Map hand-off."""
from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from tests.app.pages import open_page

PAGE = "pages/4_Bias.py"


@pytest.fixture(scope="module")
def glove_words(words_corpus, store):
    from engine.embed import embed_corpus

    embed_corpus(words_corpus, "glove-50d", store=store)
    return words_corpus


def _open(corpus_id: str, model_ids: tuple[str, ...], **extra) -> AppTest:
    return open_page(PAGE, corpus_id, model_ids, **extra)


def _frames(at: AppTest, column: str) -> list:
    """Dataframes holding ``column`` (AppTest does not expose st.dataframe keys), in page order."""
    return [d.value for d in at.dataframe if column in d.value.columns]


def _metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")


def test_gender_direction_weat_and_corpus_ranking_with_glove(glove_words):
    # the Map opens after the hand-off: PCA keeps this test free of UMAP's numba compilation
    at = _open(glove_words.corpus_id, ("glove-50d",), **{state.MAP_METHOD: "pca"})
    assert at.selectbox(key="bias_model").value == "glove-50d"
    explained = float(_metric(at, "Variance explained by PC1").rstrip("%"))
    assert 0 < explained <= 100
    if explained < 50:  # the page must say so rather than hide it
        assert any("do not share one clear direction" in w.value for w in at.warning)
    # WEAT tab: the default test (flowers vs insects) has the published positive sign
    assert float(_metric(at, "Effect size d")) > 0.5
    table = _frames(at, "partitions")[0]
    assert len(table) >= 8 and (table["d"].dropna() > 0).sum() >= 7
    # the active corpus (the words demo, embedded with GloVe) is ranked along the direction, as an axis
    top, bottom = _frames(at, "label")[:2]
    assert list(top["rank"]) == sorted(top["rank"]) and top["rank"].iloc[0] == 1
    assert list(top["score"]) == sorted(top["score"], reverse=True) and top["score"].iloc[0] > 0 > bottom["score"].iloc[0]
    assert not at.error
    # issue 14: the page's WEAT and direction are kept for the Home page's recipe (its widgets are gone later)
    kept = at.session_state[state.RECIPE_BIAS]
    assert kept["corpus_id"] == glove_words.corpus_id and kept["weat"].models == kept["direction"].models == ("glove-50d",)
    assert kept["weat"].query["names"][:2] == ["flowers", "insects"] and len(kept["direction"].pairs) >= 5
    # hand the direction's corpus scores to the Map as a colour: the Map opens, coloured by them
    at.button(key="bias_to_map").click().run()
    assert not at.exception, at.exception
    payload = at.session_state[state.COLOR_SCORES]
    assert payload["corpus_id"] == glove_words.corpus_id and payload["model_id"] == "glove-50d"
    scores = dict(zip(payload["ids"], payload["scores"]))
    nurse_id = glove_words.ids[glove_words.texts.index("nurse")]
    captain_id = glove_words.ids[glove_words.texts.index("captain")]
    assert scores[nurse_id] > 0 > scores[captain_id]
    assert at.session_state[state.MAP_COLOR] == "Score: " + payload["name"]
    assert [t.value for t in at.title] == ["Map"]


def test_corpus_ranking_shows_the_label_column_and_opens_an_item(glove_words):
    at = _open(glove_words.corpus_id, ("glove-50d",))
    at.sidebar.selectbox(key=f"_w_label_column_{glove_words.corpus_id}").set_value("group").run()
    assert not at.exception, at.exception
    top = _frames(at, "label")[0]
    groups = dict(zip(glove_words.ids, glove_words.frame["group"].to_list()))
    assert list(top["label"]) == [groups[i] for i in top["id"]]  # the label column, not the text
    assert set(top["label"]) != set(glove_words.texts[glove_words.ids.index(i)] for i in top["id"])
    picker = at.selectbox(key="bias_corpus_item")
    assert set(picker.options) >= set(top["label"])  # every listed item can be opened
    picker.set_value(str(top["id"].iloc[0])).run()
    assert not at.exception, at.exception
    assert not at.button(key="bias_corpus_open").disabled


def test_debias_preview_reports_the_clustering_diagnostic(glove_words):
    at = _open(glove_words.corpus_id, ("glove-50d",))
    assert any("diagnostic, not a fix" in w.value for w in at.warning)
    at.toggle(key="bias_debias_run").set_value(True).run()
    assert not at.exception, at.exception
    before = float(_metric(at, "Clustering accuracy before").rstrip("%"))
    after = float(_metric(at, "Clustering accuracy after").rstrip("%"))
    # GloVe-50d, gender: ~100 % -> ~58 %. A preview that did not debias would show the same number twice.
    assert before > 90 and after < before - 20, (before, after)
    classifier_before = float(_metric(at, "Classifier accuracy before").rstrip("%"))
    classifier_after = float(_metric(at, "Classifier accuracy after").rstrip("%"))
    assert classifier_after < classifier_before - 5 and classifier_after > 60  # lower, yet far from chance
    neighbors = _frames(at, "neighbours before")[0]
    assert "nurse" in list(neighbors["word"])


def test_presets_are_editable_and_bad_pairs_give_a_clear_error(glove_words):
    at = _open(glove_words.corpus_id, ("glove-50d",))
    at.selectbox(key="bias_preset").set_value("sentiment").run()
    assert not at.exception
    assert "good, bad" in at.text_area(key="bias_pairs_sentiment").value
    at.text_area(key="bias_pairs_sentiment").set_value("good, bad\nnot a pair at all").run()
    assert not at.exception
    assert any("one pair per line" in e.value for e in at.error)
    at.text_area(key="bias_pairs_sentiment").set_value("good, bad\nhappy, sad\nbest, worst").run()
    assert not at.exception and not at.error
    assert _metric(at, "Pairs used") == "3"


def test_word_set_from_the_map_becomes_the_targets(glove_words):
    handoff = {"corpus_id": glove_words.corpus_id, "texts": ["nurse", "<b>engineer</b>", "zzqqxx"]}
    at = _open(glove_words.corpus_id, ("glove-50d",), **{state.WORD_SET: handoff})
    at.selectbox(key="bias_preset").set_value("map").run()
    assert not at.exception, at.exception
    assert at.text_area(key="bias_targets_map").value.startswith("nurse")
    assert any("zzqqxx" in c.value for c in at.caption)  # unknown words are reported, not dropped silently


def test_sentence_model_uses_templates(small_corpus, small_embeddings):
    at = _open(small_corpus.corpus_id, ("minilm-l3",))
    at.selectbox(key="bias_model").set_value("minilm-l3").run()
    assert not at.exception, at.exception
    assert "{word}" in at.text_area(key="bias_templates").value
    assert _metric(at, "Pairs used") == "10"  # a sentence model knows every word
    assert _metric(at, "Targets known").startswith("97 of 97")
    assert _frames(at, "score")[0].shape[0] > 0


def _preorder(node):
    """Every node of an AppTest tree in page order."""
    yield node
    for key in sorted(getattr(node, "children", {}) or {}):
        yield from _preorder(node.children[key])


def test_switching_to_a_sentence_model_shows_what_it_is_doing_above_the_tabs(small_corpus, small_embeddings):
    at = _open(small_corpus.corpus_id, ("minilm-l3",))
    at.selectbox(key="bias_model").set_value("minilm-l3").run()
    # a template no other test uses: every word must be embedded again, the 15-40 s wait of issue 8.11
    at.text_area(key="bias_templates").set_value("Here we read about {word}.").run()
    assert not at.exception, at.exception
    nodes = list(_preorder(at.main))
    status = [i for i, n in enumerate(nodes) if getattr(n, "type", None) == "status"]
    tabs = [i for i, n in enumerate(nodes) if getattr(n, "type", None) == "tab"]
    assert status and tabs, "the wait must be shown in a status element"
    assert max(status) < tabs[0], "every status must sit above the tabs, where the user is looking"
    labels = [nodes[i].label for i in status]
    embedded = [lbl for lbl in labels if re.search(r"MiniLM.*ready: [\d,]+ words embedded in [\d.]+ s", lbl)]
    assert embedded, labels
    assert int(re.search(r"([\d,]+) words", embedded[0]).group(1).replace(",", "")) >= 1000  # the reference vocabulary
    assert all(nodes[i].state == "complete" for i in status)
    # a rerun with nothing left to embed shows no status
    at.run()
    assert not [n for n in _preorder(at.main) if getattr(n, "type", None) == "status"]
