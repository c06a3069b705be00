"""Links that reopen a view (issue 14 §1), under AppTest: each page writes its view to the URL, a
fresh session started from that URL shows the same view, and a bad link gives notes, never an
exception."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from engine.axes import PolesRecipe
from engine.filters import Filter, MetadataFilter
from tests.app.pages import open_page
from tests.conftest import ROOT, SMALL_MODEL

OTHER_MODEL = "glove-50d"


def open_link(page: str, query: dict[str, str]) -> AppTest:
    """A new session (a new browser) opening ``page`` with ``query``, as a pasted link does."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


def written(at: AppTest) -> dict[str, str]:
    """The query the page wrote (what the address bar shows and the Share box holds)."""
    return {k: (v[-1] if isinstance(v, list) else v) for k, v in at.query_params.items()}


def share_box(at: AppTest) -> str:
    (code,) = [c.value for c in at.code if "v=1" in c.value]
    return code


def notes(at: AppTest) -> str:
    return " ".join(str(w.value) for w in at.warning).replace("\\", "")  # read without Markdown escapes


@pytest.fixture(scope="module")
def lee(small_corpus, embedded):
    embedded(small_corpus, SMALL_MODEL)
    embedded(small_corpus, OTHER_MODEL)
    return small_corpus


def test_search_link_reopens_mode_query_filter_and_results(lee) -> None:
    words = lee.frame["n_words"]
    low, high = int(words.quantile(0.25)), int(words.quantile(0.75))
    at = open_page("pages/2_Search.py", lee.corpus_id, (SMALL_MODEL,),
                   **{state.SEARCH_MODE: "semantic", state.SEARCH_QUERIES: {"semantic": "firefighters and bushfires"}})
    at.multiselect(key="search_filter_columns").set_value(["n_words"]).run()
    at.slider(key="search_filter_col_0_n_words").set_value((low, high)).run()
    assert not at.exception, at.exception
    link = written(at)
    assert link["mode"] == "semantic" and link["q"] == "firefighters and bushfires"
    assert Filter.from_json(link["f"]) == Filter((MetadataFilter("n_words", low=low, high=high),))
    assert f"corpus={lee.corpus_id}" in share_box(at)
    before = at.dataframe[0].value

    again = open_link("pages/2_Search.py", link)
    after = again.dataframe[0].value
    assert list(after["id"]) == list(before["id"])
    kept = set(lee.frame.filter((lee.frame["n_words"] >= low) & (lee.frame["n_words"] <= high))["id"].to_list())
    assert set(after["id"]) <= kept  # the filter is applied, not only shown
    assert again.slider(key="search_filter_col_0_n_words").value == (low, high)
    assert not again.warning
    assert written(again) == link  # reopening writes the same link back


def test_map_link_reopens_layout_colour_and_open_item(lee) -> None:
    item = lee.ids[7]
    at = open_page("pages/1_Map.py", lee.corpus_id, (SMALL_MODEL, OTHER_MODEL),
                   **{state.MAP_METHOD: "pca", state.MAP_COLOR: "article",
                      state.FOCUS_ITEM: {"corpus_id": lee.corpus_id, "id": item},
                      state.MAP_CHOICES: {lee.corpus_id: {"model": OTHER_MODEL, "n_clusters": 5,
                                                          "cluster_method": "kmeans"}}})
    link = written(at)
    assert (link["method"], link["color"], link["item"], link["map_model"]) == ("pca", "article", item, OTHER_MODEL)
    assert json.loads(link["layout"]) == {"cluster_method": "kmeans", "n_clusters": 5}

    again = open_link("pages/1_Map.py", link)
    assert again.session_state[state.MAP_METHOD] == "pca" and again.session_state[state.MAP_COLOR] == "article"
    assert again.session_state[state.FOCUS_ITEM] == {"corpus_id": lee.corpus_id, "id": item}
    assert again.session_state[state.MAP_CHOICES][lee.corpus_id]["model"] == OTHER_MODEL
    assert again.session_state[state.MODEL_IDS] == (SMALL_MODEL, OTHER_MODEL)
    (chart,), (first,) = again.get("bidi_component"), at.get("bidi_component")
    assert chart.proto.bytes == first.proto.bytes  # the same map payload, byte for byte


def test_axes_link_stores_a_long_recipe_under_a_short_id(lee, store) -> None:
    recipe = PolesRecipe(positive=tuple(f"police arrested man number {i}" for i in range(20)),
                         negative=("a quiet day at the beach", "children playing"), name="crime")
    at = open_page("pages/3_Axes.py", lee.corpus_id, (SMALL_MODEL,), **{state.AXES_RECIPE: recipe})
    link = written(at)
    assert link["axis"].startswith("~") and len(link["axis"]) == 21
    assert (store.root / "links" / f"{link['axis'][1:]}.txt").is_file()

    again = open_link("pages/3_Axes.py", link)
    assert again.session_state[state.AXES_RECIPE] == recipe
    assert again.dataframe[0].value.equals(at.dataframe[0].value)


def test_compare_and_geometry_links_reopen_models_k_item_and_topics(lee) -> None:
    item = lee.ids[3]
    at = open_page("pages/5_Compare.py", lee.corpus_id, (SMALL_MODEL, OTHER_MODEL),
                   **{state.COMPARE_K: 7, state.COMPARE_ITEM: {"corpus_id": lee.corpus_id, "id": item}})
    link = written(at)
    assert (link["k"], link["item"]) == ("7", item) and set(link["cmp"].split(",")) == {SMALL_MODEL, OTHER_MODEL}
    again = open_link("pages/5_Compare.py", link)
    assert again.session_state[state.COMPARE_K] == 7
    assert any(f"(id {item})" in t.value for t in again.text)
    assert [m.value for m in again.metric] == [m.value for m in at.metric]

    topics = "fire: bushfire, blaze, flames\npolitics: minister, election"
    at = open_page("pages/6_Geometry.py", lee.corpus_id, (SMALL_MODEL, OTHER_MODEL),
                   **{state.GEOMETRY_MODEL: OTHER_MODEL, state.GEOMETRY_TOPICS: topics})
    link = written(at)
    again = open_link("pages/6_Geometry.py", link)
    assert again.session_state[state.GEOMETRY_MODEL] == OTHER_MODEL
    assert again.session_state[state.GEOMETRY_TOPICS] == topics


def test_bias_link_reopens_the_test_settings(lee, store) -> None:
    from engine.viewstate import LinkStore

    at = open_page("pages/4_Bias.py", lee.corpus_id, (SMALL_MODEL,))
    at.selectbox(key="bias_weat_test").set_value("custom").run()
    at.text_area(key="bias_weat_custom_X").input("rose, tulip").run()
    at.number_input(key="bias_seed").set_value(17).run()
    assert not at.exception, at.exception
    value = written(at)["bias"]
    settings = json.loads(LinkStore(store.root).load(value[1:]) if value.startswith("~") else value)
    assert settings["bias_weat_test"] == "custom" and settings["bias_seed"] == 17
    assert settings["bias_weat_custom_X"] == "rose, tulip"

    again = open_link("pages/4_Bias.py", written(at))
    assert again.selectbox(key="bias_weat_test").value == "custom"
    assert again.text_area(key="bias_weat_custom_X").value == "rose, tulip"
    assert again.number_input(key="bias_seed").value == 17


def test_bad_values_give_notes_and_the_rest_of_the_link_applies(lee) -> None:
    at = open_link("pages/2_Search.py", {
        "corpus": lee.corpus_id, "models": f"{SMALL_MODEL},no-such-model", "mode": "keyword", "q": "~" + "0" * 20,
        "f": "{not json", "item": "no-such-item", "k": "<script>"})
    text = notes(at)
    assert "no-such-model" in text and "not valid JSON" in text and "no-such-item" in text
    assert "does not have" in text  # the stored id that is not in this workspace
    assert at.session_state[state.SEARCH_MODE] == "keyword"
    assert at.session_state[state.MODEL_IDS] == (SMALL_MODEL,)

    missing = open_link("pages/1_Map.py", {"corpus": "no-such-corpus", "method": "pca", "color": "article",
                                           "layout": '{"n_clusters": 1e9, "evil": 1}'})
    text = notes(missing)
    assert "not in this workspace" in text and "the map colour" in text
    assert missing.session_state[state.MAP_METHOD] == "pca"  # not tied to the corpus: applied


def test_demo_link_opens_another_visitors_upload_only_with_its_share_token(monkeypatch, store) -> None:
    from engine.corpus import corpus_from_texts
    from engine.embed import embed_corpus
    from engine.visitors import new_token

    monkeypatch.setenv("EMBEDSCAPE_MODE", "demo")
    alice, bob = new_token(), new_token()
    own = store.for_visitor(alice)
    corpus, report = corpus_from_texts(["cats chase mice at night", "dogs chase cats by day", "fire trucks"],
                                       name="alice-upload")
    corpus = own.add_corpus(corpus, report)[0]
    embed_corpus(corpus, SMALL_MODEL, store=own)

    at = open_link("pages/2_Search.py", {"visitor": alice, "corpus": corpus.corpus_id, "mode": "keyword",
                                         "q": "cats"})
    plain = share_box(at)
    assert alice not in plain and "visitor=" not in plain and "share=" not in plain
    at.checkbox(key="share_include_corpus").check().run()
    with_share = share_box(at)
    assert "share=" in with_share and alice not in with_share
    query = dict(pair.split("=", 1) for pair in with_share.split("?", 1)[1].split("&"))

    without = open_link("pages/2_Search.py", {**{k: v for k, v in query.items() if k != "share"}, "visitor": bob})
    assert without.session_state[state.CORPUS_ID] != corpus.corpus_id
    assert "not in this workspace" in notes(without)

    shared = open_link("pages/2_Search.py", {**query, "visitor": bob})
    assert shared.session_state[state.CORPUS_ID] == corpus.corpus_id
    assert shared.session_state[state.SEARCH_QUERIES] == {"keyword": "cats"}
    assert shared.dataframe and not notes(shared)


def test_a_change_of_a_bound_key_rewrites_the_url_without_a_full_page_run(lee) -> None:
    """What a widget inside an st.fragment does: its callback changes a durable key and only the
    fragment reruns (the sidebar's sync does not run); the state listener rewrites the URL."""
    def script() -> None:
        import streamlit as st

        from components import share, state

        share.restore()  # the session's link is read; no sidebar here, so no sidebar sync either
        if st.button("switch", key="switch"):
            state.set(state.MODEL_IDS, ("glove-50d",))

    at = AppTest.from_function(script, default_timeout=60)
    at.query_params["corpus"] = lee.corpus_id
    at.query_params["models"] = SMALL_MODEL
    at.query_params["visitor"] = "kept-as-is"
    at.run()
    assert not at.exception, at.exception
    assert written(at)["models"] == SMALL_MODEL
    at.button(key="switch").click().run()
    assert written(at)["models"] == OTHER_MODEL
    assert written(at)["corpus"] == lee.corpus_id and written(at)["visitor"] == "kept-as-is"
