"""The Map page in a real browser: click a point of the WebGL map and see its neighbours."""
from __future__ import annotations

import re

import numpy as np
import pytest

from tests.browser.conftest import screenshot, wait_for_app
from tests.conftest import SMALL_MODEL

pytestmark = pytest.mark.browser


@pytest.fixture
def mapped_corpus(small_corpus, small_embeddings, store):
    """The small corpus with the page's default layout stored for every model it is embedded with."""
    from engine.embed import load_embeddings
    from engine.project import ProjectionSpec, project

    layouts = {}
    for model_id in store.manifest(small_corpus.corpus_id)["embeddings"]:
        layouts[model_id] = project(load_embeddings(small_corpus.corpus_id, model_id, store=store),
                                    **ProjectionSpec().kwargs(), store=store)
    return small_corpus, layouts


def _lonely_row(coords: np.ndarray) -> int:
    """A drawn point far from every other point (so a click lands on it alone)."""
    distance = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(distance, np.inf)
    centre = np.nanmedian(coords, axis=0)
    spread = np.nanmax(np.abs(coords - centre), axis=0)
    inner = (np.abs(coords - centre) < 0.85 * spread).all(axis=1)  # away from the legend and edges
    isolation = np.where(inner, distance.min(axis=1), -np.inf)
    return int(np.argmax(isolation))


def test_click_a_point_opens_it_with_neighbours(app_url, page, mapped_corpus):
    corpus, _ = mapped_corpus
    page.goto(f"{app_url}/Map")
    wait_for_app(page)
    corpus_picker = page.get_by_test_id("stSelectbox").filter(has_text="Corpus")
    if corpus.name not in corpus_picker.inner_text():
        corpus_picker.click()
        page.get_by_role("option", name=re.compile(re.escape(corpus.name))).click()
        wait_for_app(page)
    page.get_by_text("Click a point to open it here").wait_for(timeout=120_000)
    chart = page.get_by_test_id("stPlotlyChart")
    chart.wait_for()
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')?._fullLayout?.xaxis", timeout=30_000)

    model_label = page.get_by_test_id("stSelectbox").filter(has_text="Model").first.inner_text()
    # read the drawn points back from the browser's own figure, so the click matches what is on screen
    points = page.evaluate("""() => {
        const plot = document.querySelector('.js-plotly-plot');
        const rows = [], xs = [], ys = [];
        plot._fullData.forEach(t => Array.from(t.customdata || []).forEach((r, i) => {
            if (t.name === 'search hits' || t.name === 'open item') return;
            rows.push(r); xs.push(t.x[i]); ys.push(t.y[i]);
        }));
        return {rows, xs, ys};
    }""")
    coords = np.column_stack([points["xs"], points["ys"]]).astype(float)
    target = _lonely_row(coords)
    row = int(points["rows"][target])
    pixel = page.evaluate("""([x, y]) => {
        const plot = document.querySelector('.js-plotly-plot');
        const layout = plot._fullLayout, box = plot.getBoundingClientRect();
        return [box.left + layout.xaxis._offset + layout.xaxis.l2p(x),
                box.top + layout.yaxis._offset + layout.yaxis.l2p(y)];
    }""", [coords[target, 0], coords[target, 1]])
    page.mouse.move(pixel[0], pixel[1])
    page.wait_for_timeout(300)
    page.mouse.click(pixel[0], pixel[1])

    try:
        page.get_by_role("heading", name="Open item").wait_for(timeout=60_000)
    finally:
        wait_for_app(page)
        screenshot(page, "map_clicked")
    panel = page.get_by_test_id("stText").first
    assert panel.inner_text().strip() == " ".join(corpus.texts[row].split()) or \
        panel.inner_text().strip() == corpus.texts[row].strip()
    assert page.get_by_test_id("stDataFrame").count() >= 2  # metadata + neighbours
    assert SMALL_MODEL in page.content() or model_label
    path = screenshot(page, "map_clicked")
    assert path.stat().st_size > 20_000

    # box-select a region: the selection table and its hand-off buttons appear below the map
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')?._fullLayout?.xaxis", timeout=30_000)
    chart.hover()
    page.locator(".modebar-btn[data-title='Box Select']").click()
    area = page.evaluate("""() => {
        const layout = document.querySelector('.js-plotly-plot')._fullLayout;
        const box = document.querySelector('.js-plotly-plot').getBoundingClientRect();
        return [box.left + layout.xaxis._offset, box.top + layout.yaxis._offset,
                layout.xaxis._length, layout.yaxis._length];
    }""")
    left, top, width, height = area
    page.mouse.move(left + 0.05 * width, top + 0.05 * height)
    page.mouse.down()
    page.mouse.move(left + 0.6 * width, top + 0.6 * height, steps=8)
    page.mouse.up()
    page.get_by_role("heading", name=re.compile(r"^Selection · \d+ items")).wait_for(timeout=60_000)
    wait_for_app(page)
    assert page.get_by_role("button", name="Use as axis pole").is_visible()
    page.get_by_role("heading", name=re.compile(r"^Selection")).scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot(page, "map_selected")))
    assert page.dialogs == []
