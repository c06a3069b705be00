"""AppTest of the Map page: a labelled map from the store, the neighbour panel, the selection hand-offs."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from components import state
from tests.conftest import SMALL_MODEL
from tests.app.pages import open_page

PAGE = "pages/1_Map.py"


@pytest.fixture(scope="module")
def stored_map(small_corpus, small_embeddings, store):
    """The page's default layout (UMAP 2-D, default params) computed ahead, as `make run` does."""
    from engine.project import ProjectionSpec, project

    return project(small_embeddings, **ProjectionSpec().kwargs(), store=store)


def _open(corpus_id: str, **extra) -> AppTest:
    return open_page(PAGE, corpus_id, (SMALL_MODEL,), **extra)


def _figure(at: AppTest) -> dict:
    (chart,) = at.get("plotly_chart")
    return json.loads(chart.proto.spec)


def _payload(at: AppTest) -> dict:
    """The 2-D map the page sent to the canvas renderer, unpacked (header + arrays)."""
    from engine.project.payload import unpack_map

    (chart,) = at.get("bidi_component")
    return unpack_map(chart.proto.bytes)


def _stored_mtime(store, corpus_id: str, key: str) -> float:
    return store.artifact_path(corpus_id, "projections", key, ".npy").stat().st_mtime_ns


def test_map_shows_a_labelled_map_from_the_store_and_recolours_without_recomputing(
        small_corpus, stored_map, store):
    before = _stored_mtime(store, small_corpus.corpus_id, stored_map.key)
    at = _open(small_corpus.corpus_id)
    payload = _payload(at)
    assert sorted(payload["row"]) == list(range(len(small_corpus)))  # every row drawn once
    # the zoom-label hierarchy (issue 16) replaces the flat cluster labels on a 2-D map
    levels = payload["labels"]["levels"]
    labels = [label["text"] for level in levels for label in level["labels"]]
    assert len(levels) >= 2 and not payload["flat_labels"]
    assert labels and all(label.strip() and "<b>" not in label for label in labels)
    assert [level["min_zoom"] for level in levels] == sorted(level["min_zoom"] for level in levels)
    assert len(payload["legend"]) >= 2 and payload["colorbar"] is None
    assert any("trustworthiness" in c.value for c in at.caption)
    at.selectbox(key="_w_" + state.MAP_COLOR).set_value("article").run()
    assert not at.exception, at.exception
    assert not _payload(at)["flat_labels"]
    assert _stored_mtime(store, small_corpus.corpus_id, stored_map.key) == before  # reused, not recomputed


def test_open_item_shows_text_and_full_space_neighbours(small_corpus, small_embeddings, stored_map):
    row = 17
    at = _open(small_corpus.corpus_id,
               **{state.FOCUS_ITEM: {"corpus_id": small_corpus.corpus_id, "id": small_corpus.ids[row]}})
    assert any(t.value == small_corpus.texts[row] for t in at.text)
    neighbours = next(d.value for d in at.dataframe if "similarity" in d.value.columns)
    vectors = np.asarray(small_embeddings.vectors, dtype=np.float64)
    similarity = vectors @ vectors[row]
    similarity[row] = -np.inf
    # the first neighbour is a best match (compared by value: near-ties may order differently by kernel)
    first = small_corpus.texts.index(next(t for t in small_corpus.texts if t.startswith(
        neighbours["text"].iloc[0].rstrip("…"))))
    assert similarity[first] >= similarity.max() - 1e-5
    assert list(neighbours["similarity"]) == sorted(neighbours["similarity"], reverse=True)
    payload = _payload(at)
    assert payload["focus"] is not None and payload["row"][payload["focus"]] == row


def test_selection_hands_off_to_axes_and_bias(small_corpus, stored_map):
    ids = small_corpus.ids[:5]
    at = _open(small_corpus.corpus_id, **{state.SELECTION: {
        "corpus_id": small_corpus.corpus_id, "model_id": SMALL_MODEL, "ids": ids, "source": "map"}})
    table = next(d.value for d in at.dataframe if "cluster" in d.value.columns and "id" in d.value.columns)
    assert list(table["id"]) == ids
    at.button(key="map_selection_pole").click().run()
    assert at.session_state[state.AXIS_POLE]["ids"] == ids
    at.button(key="map_selection_words").click().run()
    assert at.session_state[state.WORD_SET]["texts"] == small_corpus.texts[:5]


def test_search_hits_are_ringed_in_visible_red_and_hostile_text_is_escaped(small_corpus, stored_map):
    hits = {"corpus_id": small_corpus.corpus_id, "model_id": SMALL_MODEL, "ids": small_corpus.ids[3:6],
            "scores": [0.9, 0.8, 0.7], "query": "fire"}
    at = _open(small_corpus.corpus_id, **{state.SEARCH_HITS: hits})
    payload = _payload(at)
    assert sorted(payload["row"][payload["ring"]].tolist()) == [3, 4, 5]  # drawn red on top: browser test
    # the 3-D (plotly) map keeps the ring trace: opaque, a real line width, bigger than the points, last
    at.session_state[state.MAP_DIMS] = "3-D"
    at.run()
    traces = _figure(at)["data"]
    (ringed,) = [t for t in traces if t.get("name") == "search hits"]
    assert sorted(ringed["customdata"]) == [3, 4, 5]
    marker = ringed["marker"]
    assert marker["symbol"] == "circle-open" and marker.get("opacity", 1) == 1
    assert marker["color"].startswith("#") and len(marker["color"]) == 7  # no rgba(…, 0)
    assert marker["line"]["width"] >= 2 and marker["line"]["color"] == marker["color"]
    points = [t for t in traces if t.get("name") not in ("search hits", "open item")]
    assert marker["size"] > max(t["marker"]["size"] for t in points)
    assert traces.index(ringed) > max(traces.index(t) for t in points)
    from components.map_view import hover_text

    assert hover_text("<img src=x onerror=alert(1)>" + "x" * 200) .startswith("&lt;img")
    assert len(hover_text("y" * 500)) <= 80


def test_the_search_page_mini_map_draws_the_same_rings(small_corpus, stored_map):
    from components import map_view

    blank = map_view.coloring(map_view.NONE, corpus=small_corpus, clustering=None, color_scores=None)
    figure = map_view.map_chart(stored_map, small_corpus.texts, color=blank, highlight=[1, 2], height=380)
    (ringed,) = [t for t in figure.data if t.name == "search hits"]
    reference = map_view.ring_trace(2, np.array([1, 2]), np.asarray(stored_map.coords), ["a", "b"],
                                    size=6.0)
    assert ringed.marker.to_plotly_json() == reference.marker.to_plotly_json()


def test_quotes_show_as_quotes_and_tags_are_escaped_once(small_corpus, stored_map):
    """Plotly decodes only &amp; &lt; &gt;: a quote escaped as &quot; was shown literally."""
    from components import map_view

    texts = list(small_corpus.texts)
    texts[0] = '"Well, the Taliban" said <b>A & B</b>'
    scores = {"corpus_id": small_corpus.corpus_id, "name": '"a sunny day" - "a rainy day" <x> & co',
              "ids": small_corpus.ids, "scores": [float(i) for i in range(len(texts))]}
    colouring = map_view.coloring(map_view.SCORE_PREFIX + scores["name"], corpus=small_corpus, clustering=None,
                                  color_scores=scores)
    figure = map_view.map_chart(stored_map, texts, color=colouring).to_plotly_json()
    scored = next(t for t in figure["data"] if t["marker"].get("colorbar"))
    title = scored["marker"]["colorbar"]["title"]["text"]
    assert title == '"a sunny day" - "a rainy day" &lt;x&gt; &amp; co'
    first = scored["hovertext"][scored["customdata"].index(0)]
    assert first.startswith('"Well, the Taliban" said &lt;b&gt;A &amp; B&lt;/b&gt;')
    everything = json.dumps(figure)
    assert "&quot;" not in everything and "&amp;amp;" not in everything and "&amp;lt;" not in everything


def test_hover_and_neighbours_use_the_label_column(store):
    from engine.corpus import corpus_from_texts
    from engine.embed import embed_corpus

    topics = ["bushfires near sydney", "cricket in adelaide", "rain in melbourne", "elections in canberra"]
    texts = [f"report {i} about {topics[i % 4]} and what happened next" for i in range(40)]
    titles = [f"Title <{i}> & \"{topics[i % 4]}\"" for i in range(40)]
    corpus, report = corpus_from_texts(texts, name="titled", metadata={
        "title": titles, "paper_id": list(range(1000, 1040)), "year": [2000 + i % 3 for i in range(40)]})
    store.save_corpus(corpus, report)
    try:
        embed_corpus(corpus, SMALL_MODEL, store=store)
        at = open_page(PAGE, corpus.corpus_id, (SMALL_MODEL,), **{
            state.MAP_METHOD: "pca", state.LABEL_COLUMNS: {corpus.corpus_id: "title"},
            state.FOCUS_ITEM: {"corpus_id": corpus.corpus_id, "id": corpus.ids[5]}})
        payload = _payload(at)
        hover = dict(zip(payload["row"].tolist(), payload["hover"]))
        # plain text (the canvas draws it as text): the label line, then the text
        assert hover[7].startswith('Title <7> & "elections in canberra"\nreport 7 about elections')
        neighbours = next(d.value for d in at.dataframe if "similarity" in d.value.columns)
        assert all(item.startswith("Title <") for item in neighbours["item"])
        # a column of unique integers is an identifier: never a colour scale
        colour_box = at.selectbox(key="_w_" + state.MAP_COLOR)
        assert "paper_id" not in colour_box.options and "year" in colour_box.options
    finally:
        store.delete_corpus(corpus.corpus_id)


def test_find_an_item_by_text_opens_it(small_corpus, stored_map):
    at = _open(small_corpus.corpus_id)
    at.text_input(key="map_find_query").input("fire").run()
    picker = at.selectbox(key="map_find_pick")
    assert len(picker.options) == min(50, sum("fire" in text.lower() for text in small_corpus.texts)) > 0
    picker.select_index(0).run()
    assert not at.exception, at.exception
    focus = at.session_state[state.FOCUS_ITEM]
    assert "fire" in small_corpus.texts[small_corpus.ids.index(focus["id"])].lower()
    assert any(t.value == small_corpus.texts[small_corpus.ids.index(focus["id"])] for t in at.text)


def test_exports_give_standalone_html_and_a_real_png(small_corpus, small_embeddings, stored_map):
    from components import map_view

    coloring = map_view.coloring(map_view.CLUSTER, corpus=small_corpus, clustering=None, color_scores=None)
    figure = map_view.map_chart(stored_map, small_corpus.texts, color=coloring)
    page = map_view.html_export(figure).decode()
    assert "<html>" in page[:100] and "Plotly.newPlot" in page and 'src="https://cdn' not in page
    assert len(page) > 1_000_000  # plotly.js embedded: opens offline
    png = map_view.png_export(figure, width=600, height=400)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5_000


def test_colour_by_a_score_from_another_page_and_point_cap_sampling(small_corpus, small_embeddings, stored_map):
    scores = {"corpus_id": small_corpus.corpus_id, "name": "formality", "ids": small_corpus.ids[:150],
              "scores": [float(i) for i in range(150)]}
    at = _open(small_corpus.corpus_id, **{state.COLOR_SCORES: scores})
    at.selectbox(key="_w_" + state.MAP_COLOR).set_value("Score: formality").run()
    assert not at.exception, at.exception
    payload = _payload(at)
    assert payload["colorbar"]["title"] == "formality" and payload["colorbar"]["max"] == 149.0
    (no_value,) = [entry["code"] for entry in payload["legend"] if entry["name"] == "no value"]
    scored = sorted(payload["row"][payload["code"] != no_value].tolist())
    assert scored == list(range(150))  # rows without a score are drawn grey apart
    assert (payload["code"] == no_value).sum() == 150

    from engine.cluster import cluster_embeddings
    from engine.project import display_rows

    clustering = cluster_embeddings(small_embeddings, small_corpus.texts, projection=stored_map)
    rows = display_rows(stored_map, clustering.labels, cap=60, keep=[299])
    assert 55 <= rows.size <= 90 and 299 in rows
    assert set(clustering.labels[rows]) == set(clustering.labels)  # every cluster still visible



def test_rows_a_model_cannot_represent_are_not_drawn_and_open_without_neighbours(store):
    from engine.corpus import corpus_from_texts
    from engine.embed import embed_corpus

    texts = [f"the {w} sat on the mat near the river" for w in ("cat", "dog", "bird", "horse", "cow", "fish",
                                                                "lion", "tiger", "bear", "wolf", "fox", "owl")]
    texts += ["zzqxv qqxzj", "xxqzz vvqzx"]  # no word GloVe knows
    corpus, report = corpus_from_texts(texts, name="glove-gaps")
    store.save_corpus(corpus, report)
    try:  # removed afterwards: a newer stored corpus would change the sidebar's default for other tests
        embed_corpus(corpus, "glove-50d", store=store)
        at = open_page(PAGE, corpus.corpus_id, ("glove-50d",), **{
            state.MAP_METHOD: "pca", state.FOCUS_ITEM: {"corpus_id": corpus.corpus_id, "id": corpus.ids[12]}})
        assert sorted(_payload(at)["row"].tolist()) == list(range(12))
        assert any("could not represent" in c.value for c in [*at.caption, *at.info])
    finally:
        store.delete_corpus(corpus.corpus_id)


def test_a_first_layout_shows_a_status_with_its_phases_above_the_chart(small_corpus, stored_map):
    """A layout that is not stored yet: a status box says what runs (tested on its text)."""
    at = _open(small_corpus.corpus_id, **{state.MAP_CHOICES: {small_corpus.corpus_id: {"seed": 7}}})
    (status,) = at.status
    assert "Computed the UMAP 2-D layout of 300 points" in status.label and "stored" in status.label
    phases = " ".join(m.value for m in status.markdown)
    assert "Laying out 300 points with UMAP in 2-D" in phases and "Saving the layout" in phases
    # above the chart: the status comes before the plotly chart in the page
    def walk(node):
        yield node
        for child in getattr(node, "children", {}).values():
            yield from walk(child)

    order = [id(node) for node in walk(at.main)]
    (chart,) = at.get("bidi_component")
    assert order.index(id(status)) < order.index(id(chart))
    at.run()  # stored now: no status on the next run
    assert not at.status


def test_map_choices_follow_the_corpus_and_umap_controls_only_show_for_umap(small_corpus, stored_map):
    other = {"model": "glove-50d", "cluster_method": "kmeans", "n_clusters": 5}
    at = _open(small_corpus.corpus_id, **{state.MAP_CHOICES: {"another-corpus": other}})
    model_box = at.selectbox(key="_w_map_model")
    assert model_box.value == SMALL_MODEL  # not the other corpus's model
    assert model_box.options == ["MiniLM-L3"] or all("minilm" not in o for o in model_box.options)
    assert at.selectbox(key="_w_map_cluster_method").value == "hdbscan"  # nor its clustering
    assert [s.label for s in at.slider if s.label.startswith("UMAP")] == ["UMAP n_neighbors", "UMAP min_dist"]
    at.selectbox(key="_w_map_cluster_method").set_value("kmeans").run()
    assert not at.exception, at.exception
    choices = at.session_state[state.MAP_CHOICES]
    assert choices[small_corpus.corpus_id]["cluster_method"] == "kmeans" and choices["another-corpus"] == other
    assert at.number_input(key="_w_map_n_clusters").value == 12
    at.session_state[state.MAP_METHOD] = "pca"
    at.run()
    assert not [s for s in at.slider if s.label.startswith("UMAP")]
    assert at.selectbox(key="_w_map_cluster_method").value == "kmeans"  # kept for this corpus


def test_the_neighbour_table_is_new_for_each_open_item(small_corpus, stored_map):
    """A ticked row of one item's neighbour table must not stay ticked for the next item."""
    at = _open(small_corpus.corpus_id,
               **{state.FOCUS_ITEM: {"corpus_id": small_corpus.corpus_id, "id": small_corpus.ids[17]}})
    first = next(d for d in at.dataframe if "similarity" in d.value.columns)
    at.session_state[state.FOCUS_ITEM] = {"corpus_id": small_corpus.corpus_id, "id": small_corpus.ids[40]}
    at.run()
    second = next(d for d in at.dataframe if "similarity" in d.value.columns)
    assert first.proto.id != second.proto.id


def test_cluster_labels_on_the_figure_do_not_overlap(small_corpus, small_embeddings, stored_map):
    import itertools

    from components import map_view
    from engine.cluster import cluster_embeddings
    from components.map_figure import ASSUMED_PLOT_WIDTH_PX, _legend_px
    from engine.project.placement import text_box_px

    clustering = cluster_embeddings(small_embeddings, small_corpus.texts, projection=stored_map,
                                    method="kmeans", space="map", n_clusters=24)
    colouring = map_view.coloring(map_view.CLUSTER, corpus=small_corpus, clustering=clustering, color_scores=None)
    figure = map_view.map_chart(stored_map, small_corpus.texts, color=colouring, clustering=clustering)
    layout = figure.layout
    notes = layout.annotations
    assert len(notes) >= 12
    (x0, x1), (y0, y1) = layout.xaxis.range, layout.yaxis.range
    x_per_px, y_per_px = (x1 - x0) / ASSUMED_PLOT_WIDTH_PX, (y1 - y0) / (layout.height - 20 - _legend_px(figure))
    boxes = []
    for note in notes:
        text = note.text.removeprefix("<b>").removesuffix("</b>")
        width, height = text_box_px(text, note.font.size)
        cx, cy = (note.ax, note.ay) if note.showarrow else (note.x, note.y)
        boxes.append((cx - width * x_per_px / 2, cy - height * y_per_px / 2,
                      cx + width * x_per_px / 2, cy + height * y_per_px / 2))
    for a, b in itertools.combinations(boxes, 2):
        assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3])
    # legend colours: every shown colour distinct by CIEDE2000
    from engine.palette import MIN_DELTA_E, min_pairwise_delta_e

    colours = [t.marker.color for t in figure.data]
    assert len(colours) == len(set(colours)) and min_pairwise_delta_e(colours) >= MIN_DELTA_E
