"""AppTest of tags and cluster curation: tag a map selection, colour by tag, curate clusters, filter
by tag and save the tagged items as a corpus (on a corpus of its own, so other tests see no tags)."""
from __future__ import annotations

import dataclasses

import pytest

from components import state
from engine import itemsets
from tests.app.pages import open_page
from tests.conftest import SMALL_MODEL

HOSTILE = "<b>=1+1</b> **x**"


@pytest.fixture(scope="module")
def tag_corpus(store, embedded):
    from engine.demo import lee_news

    corpus, report = lee_news(limit=90)
    corpus = dataclasses.replace(corpus, name="tagging corpus")
    store.save_corpus(corpus, report)
    embedded(corpus, SMALL_MODEL)
    return corpus


def _payload(at) -> dict:
    """The 2-D map the page sent to the canvas renderer, unpacked (header + arrays)."""
    from engine.project.payload import unpack_map

    (chart,) = at.get("bidi_component")
    return unpack_map(chart.proto.bytes)


def _map(corpus, **extra):
    return open_page("pages/1_Map.py", corpus.corpus_id, (SMALL_MODEL,), **{state.MAP_METHOD: "pca", **extra})


def test_tag_a_map_selection_colour_by_it_and_curate_clusters(tag_corpus, store):
    ids = tag_corpus.ids[:12]
    # AppTest cannot type a new option into a selectbox (accept_new_options): the tag exists on one item
    itemsets.tag_items(store, tag_corpus.corpus_id, HOSTILE, [tag_corpus.ids[50]])
    at = _map(tag_corpus, **{state.SELECTION: {"corpus_id": tag_corpus.corpus_id, "model_id": SMALL_MODEL,
                                                "ids": ids, "source": "map"}})
    at.selectbox(key="map_selection_tags_name").set_value(HOSTILE).run()
    at.button(key="map_selection_tags_tag").click().run()
    assert not at.exception, at.exception
    assert itemsets.load_tags(store, tag_corpus.corpus_id) == {HOSTILE: (tag_corpus.ids[50], *ids)}
    assert any("Tagged 12 items" in s.value for s in at.success)

    color = at.selectbox(key="_w_" + state.MAP_COLOR)
    assert "Tags" in color.options
    color.set_value("Tags").run()
    payload = _payload(at)
    codes = {entry["name"]: entry["code"] for entry in payload["legend"]}
    assert HOSTILE in codes and "no value" in codes  # as typed: the canvas draws text, never markup
    drawn = payload["row"][payload["code"] == codes[HOSTILE]]
    assert sorted(drawn.tolist()) == [*range(12), 50]

    at.selectbox(key="_w_" + state.MAP_COLOR).set_value("Cluster").run()
    at.text_input(key="curate_save_name").input("reviewed topics").run()
    at.button(key="curate_save").click().run()
    assert not at.exception, at.exception
    named = itemsets.load_named_clustering(store, tag_corpus.corpus_id, "reviewed topics")
    assert at.session_state[state.MAP_CURATED][tag_corpus.corpus_id] == "reviewed topics"
    first, second = named.clusters[:2]
    at.selectbox(key="curate_rename_cluster").set_value(first).run()
    at.text_input(key="curate_rename_name").input(HOSTILE).run()
    at.button(key="curate_rename").click().run()
    at.selectbox(key="curate_merge_keep").set_value(first).run()
    at.selectbox(key="curate_merge_absorb").set_value(second).run()
    at.button(key="curate_merge").click().run()
    assert not at.exception, at.exception
    stored = itemsets.load_named_clustering(store, tag_corpus.corpus_id, "reviewed topics")
    assert [s["op"] for s in stored.steps] == ["rename", "merge"]
    assert stored.names[first] == HOSTILE and second not in stored.clusters
    # the map's legend and cluster table show the curated name
    legend = {entry["name"] for entry in _payload(at)["legend"]}
    assert HOSTILE in legend
    table = next(df.value for df in at.dataframe if "label" in df.value.columns)
    assert HOSTILE in table["label"].to_list()


def test_filter_by_tag_and_save_the_tagged_items_as_a_corpus(tag_corpus, store):
    itemsets.tag_items(store, tag_corpus.corpus_id, "keep me", tag_corpus.ids[20:35])
    at = open_page("pages/2_Search.py", tag_corpus.corpus_id, (SMALL_MODEL,))
    at.multiselect(key="search_filter_tags").set_value(["keep me"]).run()
    assert any("Keeps 15 of 90 items" in t.value for t in at.text)
    at.text_input(key="search_filter_subset_name").input("kept subset").run()
    at.button(key="search_filter_subset_save").click().run()
    assert not at.exception, at.exception
    (subset,) = [m for m in store.list_corpora() if m["name"] == "kept subset"]
    assert subset["n_rows"] == 15 and subset["provenance"]["parent"] == tag_corpus.corpus_id
    assert SMALL_MODEL in subset["embeddings"]
    store.delete_corpus(subset["corpus_id"])


def test_tag_the_low_end_of_an_axis(tag_corpus, store):
    from engine.axes import PolesRecipe

    itemsets.tag_items(store, tag_corpus.corpus_id, "low end", [tag_corpus.ids[0]])
    recipe = PolesRecipe(positive=("fire", "bushfire"), negative=("cricket", "match"))
    at = open_page("pages/3_Axes.py", tag_corpus.corpus_id, (SMALL_MODEL,), **{state.AXES_RECIPE: recipe})
    at.radio(key="axes_tags_end").set_value(False).run()
    at.selectbox(key="axes_tags_name").set_value("low end").run()
    at.button(key="axes_tags_tag").click().run()
    assert not at.exception, at.exception
    ranked = at.dataframe  # the two ranked ends: the second lists the low end, lowest first
    low_texts = [df.value for df in ranked if "text" in df.value.columns][1]["text"].to_list()
    tagged = itemsets.load_tags(store, tag_corpus.corpus_id)["low end"]
    rows = [tag_corpus.ids.index(i) for i in tagged[1:]]
    assert len(rows) == len(low_texts) and {tag_corpus.texts[r] for r in rows} == set(low_texts)


def test_markdown_tag_and_cluster_names_reach_no_label_as_markup(tag_corpus, store):
    from engine import curation
    from engine.cluster import cluster_embeddings
    from engine.embed import load_embeddings
    from tests.app.test_no_markup import BEACON, _markup

    itemsets.tag_items(store, tag_corpus.corpus_id, BEACON, tag_corpus.ids[:5])
    computed = cluster_embeddings(load_embeddings(tag_corpus.corpus_id, SMALL_MODEL, store=store), tag_corpus.texts,
                                  method="kmeans", space="embedding", n_clusters=3, seed=0)
    named = curation.rename_cluster(curation.from_clustering(computed, BEACON), computed.clusters[0].cluster, BEACON)
    itemsets.save_named_clustering(store, named)
    at = _map(tag_corpus, **{state.MAP_CURATED: {tag_corpus.corpus_id: BEACON},
                             state.SELECTION: {"corpus_id": tag_corpus.corpus_id, "model_id": SMALL_MODEL,
                                               "ids": tag_corpus.ids[:3], "source": "map"}})
    at.selectbox(key="map_selection_tags_name").set_value(BEACON).run()
    at.button(key="map_selection_tags_tag").click().run()
    quoting = [s for s in _markup(at) if "beacon" in s]
    assert quoting  # the tagging notice quotes the tag
    at.selectbox(key="curate_move_to").set_value(computed.clusters[0].cluster).run()
    assert not at.exception, at.exception
    assert any(BEACON in option for option in at.selectbox(key="curate_rename_cluster").options)
    quoting += [s for s in _markup(at) if "beacon" in s]
    assert not any("![" in s or "](" in s for s in quoting), quoting


def test_a_tag_filter_from_the_tags_panel_limits_the_map_and_search(tag_corpus, store):
    tagged = tag_corpus.ids[40:52]
    itemsets.tag_items(store, tag_corpus.corpus_id, "reviewed", tagged)
    at = _map(tag_corpus)
    at.multiselect(key="tags_panel_filter_tags").set_value(["reviewed"]).run()
    at.button(key="tags_panel_filter_apply").click().run()
    assert not at.exception, at.exception
    assert sorted(_payload(at)["row"].tolist()) == list(range(40, 52))  # only the tagged items are drawn
    search = open_page("pages/2_Search.py", tag_corpus.corpus_id, (SMALL_MODEL,),
                       **{state.ACTIVE_FILTER: at.session_state[state.ACTIVE_FILTER]})
    assert any("Keeps 12 of 90 items" in t.value for t in search.text)
