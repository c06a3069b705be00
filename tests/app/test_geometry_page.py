"""AppTest of the Geometry page: the across-models table, hand-offs to the Map (hubs, depth,
topics), the shift test, keyword topics with ROC AUC, and hostile topic names."""
from __future__ import annotations

import numpy as np
import pytest

from components import state
from tests.app.pages import open_page

PAGE = "pages/6_Geometry.py"


@pytest.fixture(scope="module")
def two_models(small_corpus, embedded):
    embedded(small_corpus, "minilm-l3")
    embedded(small_corpus, "glove-50d")
    return small_corpus


def _metric(at, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}: {[m.label for m in at.metric]}")


def _frames(at, column: str) -> list:
    return [d.value for d in at.dataframe if column in d.value.columns]


def test_page_compares_models_and_hands_hubs_and_depth_to_the_map(two_models):
    corpus = two_models
    at = open_page(PAGE, corpus.corpus_id, ("minilm-l3", "glove-50d"))
    table = _frames(at, "IsoScore")[0]
    assert list(table["model"]) == ["minilm-l3", "glove-50d"]
    assert ((table["IsoScore"] > 0) & (table["IsoScore"] < 1)).all()
    # GloVe's mean-of-words vectors share a large common direction; the sentence model's do not
    glove, minilm = table.set_index("model").loc["glove-50d"], table.set_index("model").loc["minilm-l3"]
    assert glove["mean cos (random pairs)"] > minilm["mean cos (random pairs)"]
    assert 0 <= float(_metric(at, "IsoScore")) <= 1
    assert not at.error

    # hubs on the map: the top hub of the table carries the largest N10 in the hand-off
    hubs = _frames(at, "N10")[0]
    at.button(key="geometry_hubs_to_map").click().run()
    assert not at.exception, at.exception
    payload = at.session_state[state.COLOR_SCORES]
    assert payload["corpus_id"] == corpus.corpus_id and payload["model_id"] == "minilm-l3"
    scores = dict(zip(payload["ids"], payload["scores"]))
    assert scores[str(hubs["id"].iloc[0])] == max(payload["scores"]) == hubs["N10"].iloc[0]
    assert at.session_state[state.MAP_COLOR].startswith("Score: ")

    # depth on the map: the first row of the ranked list is the most central item
    ranked = _frames(at, "depth")[0]
    assert ranked["depth"].is_monotonic_decreasing
    at.button(key="geometry_depth_to_map").click().run()
    payload = at.session_state[state.COLOR_SCORES]
    assert payload["ids"][int(np.argmax(payload["scores"]))] == str(ranked["id"].iloc[0])


def test_shift_test_between_two_column_values(two_models):
    corpus = two_models
    at = open_page(PAGE, corpus.corpus_id, ("minilm-l3",))
    at.radio(key="geometry_shift_how").set_value("Two values of a column").run()
    at.selectbox(key="geometry_shift_column").set_value("article").run()
    value = at.selectbox(key="geometry_shift_value").options[0]
    at.selectbox(key="geometry_shift_value").set_value(value).run()
    at.select_slider(key="geometry_permutations").set_value(200).run()
    at.button(key="geometry_shift_run").click().run()
    assert not at.exception, at.exception
    permutation_p = float(_metric(at, "Permutation p"))
    q = float(_metric(at, "Q"))
    # one article's sentences share a subject: their mean differs from the rest of the corpus
    assert permutation_p < 0.05 and 0 <= q <= 1
    # a Map selection against the rest: the same article's ids handed over as a lasso selection
    ids = [i for i, a in zip(corpus.ids, corpus.frame["article"].to_list()) if str(a) == value]
    at.session_state[state.SELECTION] = {"corpus_id": corpus.corpus_id, "model_id": "minilm-l3", "ids": ids,
                                         "source": "lasso"}
    at.radio(key="geometry_shift_how").set_value("Map selection vs the rest").run()
    at.button(key="geometry_shift_run").click().run()
    assert not at.exception, at.exception
    assert float(_metric(at, "Permutation p")) == permutation_p  # the same groups, the same seed
    assert any(f"Map selection ({len(ids)})" in t.value for t in at.text)


def test_keyword_topics_score_items_give_auc_and_never_render_names_as_markdown(two_models):
    corpus = two_models
    at = open_page(PAGE, corpus.corpus_id, ("minilm-l3",))
    hostile = "**bold** [link](http://example.com)"
    at.text_area(key="_w_" + state.GEOMETRY_TOPICS).input(
        f"fire: bushfire, fire, blaze\n{hostile}: cricket, match, wicket").run()
    assert not at.exception, at.exception
    counts = _frames(at, "items")[0]
    assert counts["items"].sum() == len(corpus)
    assert set(counts["topic"]) == {"fire", hostile, "(none)"}
    items = _frames(at, "best_topic")[0]
    assert items["sim: fire"].between(-1, 1).all()
    # ground truth: articles; map the fire topic to the article with the most fire sentences
    texts = np.array(corpus.texts, dtype=object)
    articles = np.array([str(a) for a in corpus.frame["article"].to_list()], dtype=object)
    fire_rows = np.array(["fire" in t.lower() for t in texts])
    fire_article = max(set(articles[fire_rows]), key=lambda a: np.sum(fire_rows & (articles == a)))
    at.selectbox(key="geometry_class_column").set_value("article").run()
    at.selectbox(key="geometry_map_0").set_value(fire_article).run()
    auc = _frames(at, "auc")[0]
    assert auc["topic"].tolist() == ["fire"] and auc["auc"].iloc[0] > 0.7
    rendered = " ".join(m.value for m in at.markdown) + " ".join(b.label for b in at.button)
    assert "**bold**" not in rendered and "](http" not in rendered
    at.selectbox(key="geometry_topic_color").set_value("fire").run()
    at.button(key="geometry_topic_to_map").click().run()
    assert at.session_state[state.COLOR_SCORES]["name"] == "topic fire (minilm-l3)"
