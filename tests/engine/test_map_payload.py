"""The map renderer's compact payload (engine/project/payload.py): packing, codes, size."""
from __future__ import annotations

import numpy as np
import pytest

from engine.palette import NOISE_COLOR, OTHER_COLOR, PALETTE
from engine.project import payload


def test_pack_and_unpack_round_trip_with_hostile_hover_text_kept_as_typed():
    rng = np.random.default_rng(1)
    xy = rng.normal(size=(7, 2))
    names = ["b", "a", "b", "unclustered", "b", "a", "c"]
    hover = ['"quoted" <b>bold</b> & co', "ünïcode ✓", "", "a\nb", "x" * 80, "<script>", "&amp;"]
    blob = payload.pack_map(x=xy[:, 0], y=xy[:, 1], rows=np.arange(10, 17), colour=payload.category_codes(names),
                            total=70, hover=hover, rings=[1, 5, 99, -1], focus=3, view_key="k1",
                            flat_labels=[{"x": 0.5, "y": -0.5, "text": "fires · smoke"}])
    got = payload.unpack_map(blob)
    assert np.array_equal(got["x"], xy[:, 0].astype(np.float32)) and got["x"].dtype == np.float32
    assert np.array_equal(got["y"], xy[:, 1].astype(np.float32))
    assert got["row"].tolist() == list(range(10, 17))
    assert got["hover"] == hover  # plain text: the renderer draws it as text, so nothing is escaped
    assert got["ring"].tolist() == [1, 5]  # positions outside the drawn points are dropped
    assert got["focus"] == 3 and got["n"] == 7 and got["total"] == 70 and got["view_key"] == "k1"
    assert got["flat_labels"] == [{"x": 0.5, "y": -0.5, "text": "fires · smoke"}]
    assert [got["names"][c] for c in got["code"]] == names
    x0, x1, y0, y1 = got["extent"]
    assert x0 < xy[:, 0].min() and x1 > xy[:, 0].max() and y0 < xy[:, 1].min() and y1 > xy[:, 1].max()


def test_category_codes_give_the_largest_groups_the_palette_and_the_rest_grey():
    values = [f"g{i}" for i in range(len(PALETTE) + 3) for _ in range(len(PALETTE) + 3 - i)]
    values += ["unclustered"] * 2 + ["(missing)"]
    colour = payload.category_codes(values)
    legend = {entry["name"]: colour.colors[entry["code"]] for entry in colour.legend}
    assert legend["g0"] == PALETTE[0] and legend[f"g{len(PALETTE) - 1}"] == PALETTE[-1]
    assert legend["other (3 groups)"] == OTHER_COLOR
    assert legend["unclustered"] == NOISE_COLOR and legend["(missing)"] == NOISE_COLOR
    other = next(e["code"] for e in colour.legend if e["name"].startswith("other"))
    assert [v for v, c in zip(values, colour.codes) if c == other] == [v for v in values if v in
                                                                       {f"g{len(PALETTE) + i}" for i in range(3)}]
    assert [e["name"] for e in colour.legend][-2:] == ["unclustered", "(missing)"]  # special groups last


def test_numeric_codes_span_the_scale_and_give_missing_values_their_own_grey():
    values = np.array([2.0, np.nan, 4.0, 3.0, np.nan])
    colour = payload.numeric_codes(values, title='"impact" <x>')
    assert colour.colorbar == {"title": '"impact" <x>', "min": 2.0, "max": 4.0}
    codes = colour.codes.tolist()
    assert codes[0] == 0 and codes[2] == payload.NUMERIC_STEPS - 1 and 0 < codes[3] < payload.NUMERIC_STEPS - 1
    assert codes[1] == codes[4] == payload.NUMERIC_STEPS and colour.colors[codes[1]] == NOISE_COLOR
    assert colour.legend == [{"name": "no value", "code": payload.NUMERIC_STEPS}]
    assert len(set(colour.colors[:payload.NUMERIC_STEPS])) > 200  # a real ramp, not a few colours


def test_200k_points_fit_in_4_mb_and_hover_moves_to_on_demand(monkeypatch):
    n = 200_000
    rng = np.random.default_rng(0)
    xy = rng.normal(size=(n, 2)).astype(np.float32)
    groups = rng.integers(0, 30, n).astype(str)
    extent = payload.extent_of(xy[:, 0], xy[:, 1])
    blob = payload.pack_map(x=xy[:, 0], y=xy[:, 1], rows=np.arange(n), colour=payload.category_codes(groups),
                            hover=["some text of a point"] * n, extent=extent,
                            density=payload.density_grid(xy[:, 0], xy[:, 1], extent))
    assert len(blob) <= 4_000_000
    got = payload.unpack_map(blob)
    assert got["hover"] is None and got["n"] == n  # past HOVER_INLINE: fetched when hovered
    monkeypatch.setattr(payload, "HOVER_INLINE", n)
    assert payload.unpack_map(payload.pack_map(x=xy[:5, 0], y=xy[:5, 1], rows=np.arange(5),
                                               colour=payload.category_codes(groups[:5]), hover=["h"] * 5))["hover"]


def test_density_grid_peaks_where_the_points_are_and_row_zero_is_the_bottom():
    rng = np.random.default_rng(2)
    xy = np.vstack([rng.normal([8, 2], 0.3, size=(500, 2)), rng.uniform(0, 10, size=(50, 2))])
    layer = payload.density_grid(xy[:, 0], xy[:, 1], [0, 10, 0, 10], size=20)
    grid = np.frombuffer(layer["grid"], dtype=np.float32).reshape(layer["h"], layer["w"])
    assert grid.max() == pytest.approx(1.0) and grid.min() >= 0
    row, col = np.unravel_index(np.argmax(grid), grid.shape)
    assert (row, col) in {(r, c) for r in (3, 4) for c in (15, 16)}  # y = 2 → row 4 from the bottom, x = 8 → col 16
    blob = payload.pack_map(x=xy[:, 0], y=xy[:, 1], rows=np.arange(len(xy)),
                            colour=payload.category_codes(["a"] * len(xy)), density=layer)
    got = payload.unpack_map(blob)
    assert got["density"] == {"h": 20, "w": 20, "extent": [0.0, 10.0, 0.0, 10.0]}
    assert np.array_equal(got["grid"].reshape(20, 20), grid)


def test_with_header_adds_options_and_keeps_the_arrays():
    blob = payload.pack_map(x=[0, 1], y=[1, 0], rows=[5, 6], colour=payload.category_codes(["a", "b"]))
    updated = payload.unpack_map(payload.with_header(blob, {"options": {"height": 400}, "hover_reply": {"row": 5,
                                                                                                      "text": "é"}}))
    assert updated["options"] == {"height": 400} and updated["hover_reply"]["text"] == "é"
    assert updated["row"].tolist() == [5, 6] and updated["x"].tolist() == [0.0, 1.0]


def test_mismatched_lengths_and_foreign_blobs_are_refused():
    with pytest.raises(ValueError, match="one entry per drawn point"):
        payload.pack_map(x=[0, 1], y=[0], rows=[0, 1], colour=payload.category_codes(["a", "a"]))
    with pytest.raises(ValueError, match="not a map payload"):
        payload.unpack_map(b"PNG....")
