"""engine.project.placement: cluster labels that never overlap and stay near their cluster."""
from __future__ import annotations

import itertools

import numpy as np

from engine.project.placement import LabelBox, boxes_overlap, place_labels, text_box_px


def _crowded(n: int, seed: int = 0) -> list[tuple[int, str, float, float]]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=1.0, size=(n, 2))  # many centres close together
    words = ["fire", "cricket", "bushfire crews", "stock market", "election", "water", "police",
             "qantas strike", "afghanistan taliban", "israel", "rain", "olympic games"]
    return [(i, f"{words[i % len(words)]} · term{i}", float(x), float(y)) for i, (x, y) in enumerate(centres)]


def test_placed_labels_never_overlap_and_stay_inside_the_plot():
    labels = _crowded(24)
    boxes = place_labels(labels, x_range=(-4, 4), y_range=(-4, 4), plot_px=(700, 620))
    assert len(boxes) >= 18  # most labels find room
    for a, b in itertools.combinations(boxes, 2):
        assert not boxes_overlap(a, b), (a.text, b.text)
    for box in boxes:
        left, bottom, right, top = box.bounds()
        assert -4 <= left and right <= 4 and -4 <= bottom and top <= 4
        # near its own cluster: within a few box sizes
        assert abs(box.x - box.anchor_x) <= 2.5 * box.width and abs(box.y - box.anchor_y) <= 4.5 * box.height


def test_centres_that_would_collide_are_moved_apart():
    labels = [(0, "fire · bushfire", 0.0, 0.0), (1, "fire · crews", 0.01, 0.0)]
    first, second = place_labels(labels, x_range=(-1, 1), y_range=(-1, 1), plot_px=(700, 600))
    assert not first.moved and second.moved  # the larger cluster keeps its centre
    assert not boxes_overlap(first, second)
    # without placement they would overlap: the check itself can fail
    unplaced = LabelBox(1, "fire · crews", 0.01, 0.0, 0.01, 0.0, second.width, second.height)
    assert boxes_overlap(first, unplaced)


def test_box_size_grows_with_characters_and_font():
    short, tall = text_box_px("fire", 11), text_box_px("fire", 22)
    long = text_box_px("fire · bushfire · crews", 11)
    assert long[0] > short[0] and tall[1] > short[1]
    assert 20 < short[0] < 60 and 10 < short[1] < 30  # 4 bold characters at 11 px


def test_boxes_are_in_data_units_of_the_figure():
    (box,) = place_labels([(0, "x" * 10, 0.0, 0.0)], x_range=(-10, 10), y_range=(-1, 1), plot_px=(200, 100))
    width_px, height_px = text_box_px("x" * 10, 11)
    assert np.isclose(box.width, width_px * 20 / 200) and np.isclose(box.height, height_px * 2 / 100)
