"""Zoom labels on a 100k-item synthetic corpus (planted topic words on a synthetic layout)."""
from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ProjectionError
from engine.keywords import term_counts
from engine.synthetic import synthetic_map
from engine.zoomlabels import (
    NAMESPACE,
    CuratedLabel,
    build_hierarchy,
    curated_labels,
    load_hierarchy,
    place_levels,
    stored_hierarchy,
)

N = 100_000


@pytest.fixture(scope="module")
def big():
    corpus = synthetic_map(N, seed=3)
    counts = term_counts(corpus.texts)
    return corpus, counts, build_hierarchy(corpus.coords, counts)


def _scale(payload, zoom):
    """Layout units per CSS px, from the payload alone (equal x/y scales, the extent fits at zoom 1)."""
    x0, x1, y0, y1 = payload["extent"]
    width, height = payload["viewport"]
    return max((x1 - x0) / width, (y1 - y0) / height) / zoom


def test_zoomed_out_shows_at_most_15_labels_naming_planted_words(big):
    corpus, _, hierarchy = big
    payload = place_levels(hierarchy)
    overview = payload["levels"][0]
    assert overview["min_zoom"] == 1.0
    assert 3 <= len(overview["labels"]) <= 15
    planted = set(corpus.topic_words) | set(corpus.subtopic_words)
    # c-TF-IDF names the blobs by their planted words, not by the filler every text shares
    for label in overview["labels"]:
        assert set(label["text"].split(" · ")) <= planted, label["text"]
    assert [lv["min_zoom"] for lv in payload["levels"]] == sorted({lv["min_zoom"] for lv in payload["levels"]})
    assert len(payload["levels"]) >= 4


def test_no_two_label_boxes_overlap_at_any_level(big):
    _, _, hierarchy = big
    for viewport in ((900, 600), (400, 700)):
        payload = place_levels(hierarchy, viewport=viewport)
        for level in payload["levels"]:
            scale = _scale(payload, level["min_zoom"])
            boxes = np.array([[lb["x"], lb["y"], lb["w"] * scale, lb["h"] * scale] for lb in level["labels"]])
            assert boxes.size, level["min_zoom"]
            dx = np.abs(boxes[:, None, 0] - boxes[None, :, 0]) < (boxes[:, None, 2] + boxes[None, :, 2]) / 2
            dy = np.abs(boxes[:, None, 1] - boxes[None, :, 1]) < (boxes[:, None, 3] + boxes[None, :, 3]) / 2
            overlap = dx & dy
            np.fill_diagonal(overlap, False)
            assert not overlap.any(), (level["min_zoom"], np.argwhere(overlap)[:3])


def test_zooming_into_a_region_shows_finer_labels_not_repeats(big):
    _, _, hierarchy = big
    payload = place_levels(hierarchy)
    coarse = payload["levels"][0]["labels"][0]
    for level in payload["levels"][1:4]:
        zoom = level["min_zoom"]
        half_w, half_h = (v * _scale(payload, zoom) / 2 for v in payload["viewport"])
        visible = [lb for lb in level["labels"]
                   if abs(lb["x"] - coarse["x"]) <= half_w and abs(lb["y"] - coarse["y"]) <= half_h]
        assert visible, zoom
        assert all(lb["text"] != coarse["text"] for lb in visible)
        # finer: most of what shows there names something the coarse label does not
        fresh = [lb for lb in visible if not set(lb["text"].split(" · ")) & set(coarse["text"].split(" · "))]
        assert len(fresh) > len(visible) / 2, (zoom, [lb["text"] for lb in visible])


def test_region_labels_never_repeat_an_ancestor_word(big):
    _, _, hierarchy = big
    words = {(r.depth, r.ix, r.iy): set(r.label.split(" · ")) - {""} for r in hierarchy.regions}
    checked = 0
    for region in hierarchy.regions:
        for depth in range(min(hierarchy.depths), region.depth):
            shift = region.depth - depth
            ancestor = words.get((depth, region.ix >> shift, region.iy >> shift), set())
            assert not ancestor & words[(region.depth, region.ix, region.iy)], region
            checked += bool(ancestor)
    assert checked > 100


def test_stored_and_reloaded_equal(big, store):
    corpus, counts, _ = big
    first = stored_hierarchy(store, "synthetic-zoom", "synthetic", "layout-a", corpus.coords, counts)
    assert first.key in store.list_artifacts("synthetic-zoom", NAMESPACE)
    again = load_hierarchy(store, "synthetic-zoom", first.key)
    assert again is not None and again.to_json() == first.to_json()
    assert place_levels(again) == place_levels(first)
    other = stored_hierarchy(store, "synthetic-zoom", "synthetic", "layout-b", corpus.coords, counts)
    assert other.key != first.key  # keyed by the layout


def test_curated_names_take_the_overview_first():
    corpus = synthetic_map(3000, seed=4)
    hierarchy = build_hierarchy(corpus.coords, term_counts(corpus.texts))
    curated = curated_labels(corpus.topics, corpus.coords, {0: "My topic", 1: "Another"})
    assert [c.text for c in curated] == sorted(["My topic", "Another"], key=lambda t: -int(
        (corpus.topics == (0 if t == "My topic" else 1)).sum()))
    payload = place_levels(hierarchy, curated=curated)
    texts = [lb["text"] for lb in payload["levels"][0]["labels"]]
    assert {"My topic", "Another"} <= set(texts) and len(texts) <= 15
    finest = payload["levels"][-1]["labels"]
    assert "My topic" not in [lb["text"] for lb in finest]
    assert place_levels(hierarchy, curated=[CuratedLabel(0.0, 0.0, "x", 1)] * 20)["levels"][0]["labels"]


def test_bad_layouts_raise():
    with pytest.raises(ProjectionError):
        build_hierarchy(np.zeros(5), None)
    with pytest.raises(ProjectionError):
        build_hierarchy(np.full((4, 2), np.nan), None)
    with pytest.raises(ProjectionError):
        build_hierarchy(np.zeros((4, 2)), term_counts(["a word", "two words"]))
