"""The map renderer alone in a real browser (no app server): a payload packed by the engine is
mounted the way Streamlit mounts it (the component's default export, called with the bytes), so
these tests cost a blank page, not a server.

Zoom labels (issue 16): a synthetic 3-level label payload; the shown labels change with zoom.
"""
from __future__ import annotations

import base64

import numpy as np
import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

HARNESS = """async ([js, css, b64]) => {
    const style = document.createElement('style'); style.textContent = css; document.head.appendChild(style);
    const host = document.createElement('div'); host.style.width = '800px'; document.body.appendChild(host);
    const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
    const mod = await import(URL.createObjectURL(new Blob([js], {type: 'text/javascript'})));
    window.__events = [];
    const record = (kind) => (name, value) => window.__events.push([kind, name, value]);
    mod.default({data: bytes, parentElement: host, key: 't', name: 'map',
                 setTriggerValue: record('trigger'), setStateValue: record('state')});
}"""


def mount(page, blob: bytes) -> None:
    folder = ROOT / "components" / "map_canvas"
    page.set_content("<html><body style='margin:0'></body></html>")
    page.evaluate(HARNESS, [(folder / "map_canvas.js").read_text(), (folder / "map_canvas.css").read_text(),
                            base64.b64encode(blob).decode()])
    page.locator(".esm-root[data-ready='1']").wait_for(timeout=10_000)


def three_levels() -> tuple[dict, dict[float, set[str]]]:
    """Coarse (zoom ≥ 1): 2 labels; middle (≥ 3): 16; fine (≥ 9): 64, each at its region's centre."""
    levels, names = [], {}
    for min_zoom, per_side, word in ((1.0, (2, 1), "broad"), (3.0, (4, 4), "middle"), (9.0, (8, 8), "fine")):
        nx, ny = per_side
        labels = [{"x": (i + 0.5) / nx * 100, "y": (j + 0.5) / ny * 100, "text": f"{word} {i}-{j}",
                   "w": 70.0, "h": 16.0} for i in range(nx) for j in range(ny)]
        levels.append({"min_zoom": min_zoom, "labels": labels})
        names[min_zoom] = {label["text"] for label in labels}
    return {"levels": levels}, names


def test_zoom_labels_change_with_zoom_and_stay_in_view(page):
    from engine.project import payload

    rng = np.random.default_rng(0)
    xy = rng.uniform(0, 100, size=(5000, 2))
    groups = (xy[:, 0] // 50).astype(int)
    hierarchy, names = three_levels()
    blob = payload.pack_map(x=xy[:, 0], y=xy[:, 1], rows=np.arange(len(xy)), labels=hierarchy, total=20_000,
                            colour=payload.category_codes([f"half {g}" for g in groups]),
                            extent=[0, 100, 0, 100], density=payload.density_grid(xy[:, 0], xy[:, 1], [0, 100, 0, 100]))
    mount(page, blob)
    root = page.locator(".esm-root")
    # past the point cap: the sample is drawn over the density of every point, and the map says so
    assert root.locator(".esm-notice").inner_text() == "showing 5,000 of 20,000 points · shading shows all of them"
    shown = {}
    for zoom, centre in ((1.0, (50, 50)), (3.5, (25, 25)), (10.0, (56.25, 56.25))):
        root.evaluate("(r, a) => r.__map.setZoom(a[0], a[1], a[2])", [zoom, *centre])
        page.wait_for_function("z => document.querySelector('.esm-root').getAttribute('data-zoom') === z",
                               arg=f"{zoom:.4f}")
        page.wait_for_timeout(100)
        shown[zoom] = set(root.evaluate("r => r.__map.labels()"))
        page.screenshot(path=str(SCREENSHOTS / f"map_zoom_labels_{zoom:g}.png"))
        view = root.evaluate("r => r.__map.view()")
        assert abs(view["zoom"] - zoom) < 1e-6
    assert shown[1.0] == names[1.0]  # zoomed out: the coarse level, whole
    assert shown[3.5] == {"middle 0-0", "middle 0-1", "middle 1-0", "middle 1-1"}  # only those in view
    assert shown[10.0] and shown[10.0] <= names[9.0] and "fine 4-4" in shown[10.0]


def test_click_box_lasso_and_hover_on_demand(page):
    """Triggers carry corpus rows (not positions), selection shapes pick what they enclose, and a
    large map without inline hover asks Python for the hovered row's text."""
    from engine.project import payload

    xy = np.array([[10, 10], [20, 80], [50, 50], [80, 20], [90, 90]], dtype=np.float32)
    rows = np.array([40, 41, 42, 43, 44])
    blob = payload.pack_map(x=xy[:, 0], y=xy[:, 1], rows=rows, colour=payload.category_codes(["a"] * 5),
                            extent=[0, 100, 0, 100], hover=None, rings=[2])
    blob = payload.with_header(blob, {"options": {"height": 400, "hover_on_demand": True, "report_view": True}})
    mount(page, blob)
    root = page.locator(".esm-root")
    to_screen = "(r, p) => r.__map.toScreen(p[0], p[1])"
    x, y = root.evaluate(to_screen, [50, 50])
    page.mouse.move(x - 2, y)
    page.mouse.move(x, y)
    page.wait_for_function("() => window.__events.some(e => e[1] === 'hover')", timeout=5_000)
    page.mouse.click(x, y)
    events = page.evaluate("window.__events")
    assert ["trigger", "hover", {"row": 42}] in events
    (click,) = [e[2] for e in events if e[1] == "click"]
    assert click["row"] == 42 and click["view"]["zoom"] == pytest.approx(1.0)

    page.get_by_role("button", name="Box select").click()
    a, b = root.evaluate(to_screen, [5, 95]), root.evaluate(to_screen, [55, 45])
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=5)
    page.mouse.up()
    page.get_by_role("button", name="Lasso select").click()
    corners = [root.evaluate(to_screen, p) for p in ([60, 5], [95, 5], [95, 95], [60, 95])]
    page.mouse.move(*corners[0])
    page.mouse.down()
    for corner in corners[1:]:
        page.mouse.move(*corner, steps=4)
    page.mouse.up()
    selections = [e[2] for e in page.evaluate("window.__events") if e[1] == "select"]
    assert [(sorted(s["rows"]), s["mode"]) for s in selections] == [([41, 42], "box"), ([43, 44], "lasso")]
    assert not [e for e in page.evaluate("window.__events") if e[1] == "view"]  # nothing reported before a zoom

    # the wheel zooms around the mouse; the viewport is reported once the zooming stops (a state value)
    page.mouse.move(x, y)
    for _ in range(3):
        page.mouse.wheel(0, -200)
    page.wait_for_function("() => window.__events.some(e => e[1] === 'view')", timeout=5_000)
    page.wait_for_timeout(700)  # on a busy machine the wheel events can straddle one debounce
    view = [e[2] for e in page.evaluate("window.__events") if e[1] == "view"][-1]  # debounced: one per pause
    assert view["zoom"] > 1.5 and view["x0"] < 50 < view["x1"] and view["y0"] < 50 < view["y1"]


def test_zoom_labels_of_a_100k_corpus_refine_without_overlap(page):
    """Issue 16's acceptance on real engine output: 100k synthetic items with planted topic words, the
    label hierarchy built and placed by the engine, drawn by the renderer at three zoom levels."""
    from engine.keywords import term_counts
    from engine.project import payload
    from engine.synthetic import synthetic_map
    from engine.zoomlabels import build_hierarchy, place_levels

    corpus = synthetic_map(100_000, seed=3)
    levels = place_levels(build_hierarchy(corpus.coords, term_counts(corpus.texts)), viewport=(800, 640))
    x, y = corpus.coords[:, 0], corpus.coords[:, 1]
    drawn = np.random.default_rng(0).choice(len(x), 20_000, replace=False)
    extent = payload.extent_of(x, y)
    blob = payload.pack_map(x=x[drawn], y=y[drawn], rows=drawn, total=len(x), labels=levels, extent=extent,
                            colour=payload.category_codes([f"topic {t}" for t in corpus.topics[drawn]]),
                            density=payload.density_grid(x, y, extent))
    mount(page, blob)
    root = page.locator(".esm-root")

    def shown_at(zoom: float, centre: tuple[float, float]) -> tuple[list[str], list[list[float]]]:
        root.evaluate("(r, a) => r.__map.setZoom(a[0], a[1], a[2])", [zoom, *centre])
        page.wait_for_function("z => document.querySelector('.esm-root').getAttribute('data-zoom') === z",
                               arg=f"{zoom:.4f}")
        page.wait_for_timeout(100)
        page.screenshot(path=str(SCREENSHOTS / f"map_zoom_100k_{zoom:g}.png"))
        return root.evaluate("r => r.__map.labels()"), root.evaluate("r => r.__map.labelBoxes()")

    def overlapping(boxes: list[list[float]]) -> bool:
        return any(a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
                   for i, a in enumerate(boxes) for b in boxes[i + 1:])

    centre = ((extent[0] + extent[1]) / 2, (extent[2] + extent[3]) / 2)
    overview, boxes = shown_at(1.0, centre)
    assert 3 <= len(overview) <= 15 and not overlapping(boxes)
    coarse = levels["levels"][0]["labels"][0]  # the largest region's label, zoomed into below
    assert coarse["text"] in overview
    seen = set(overview)
    for zoom in (levels["levels"][1]["min_zoom"], levels["levels"][2]["min_zoom"] * 1.2):
        finer, boxes = shown_at(zoom, (coarse["x"], coarse["y"]))
        assert finer and not overlapping(boxes), zoom
        assert coarse["text"] not in finer  # finer labels, not the coarse one again
        assert set(finer) - seen, zoom  # and new names at every step
        seen |= set(finer)
