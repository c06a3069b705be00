"""Issue 16 acceptance: brushing a linked histogram under the Map filters the map and the other chart, and
a search started from the same session applies the filter."""
from __future__ import annotations

import re

import pytest

from engine.filters import Filter, MetadataFilter
from tests.browser.conftest import screenshot, wait_for_app
from tests.browser.test_map_browser import mapped_corpus  # noqa: F401 - the fixture: layouts stored

pytestmark = pytest.mark.browser
STATUS = ".st-key-crossfilter_status"


def _status(page) -> str:
    return page.locator(STATUS).inner_text()


def test_brushing_a_histogram_filters_the_map_the_other_chart_and_search(app_url, page, mapped_corpus):  # noqa: F811
    corpus, _ = mapped_corpus
    total = len(corpus)
    page.goto(f"{app_url}/Map?corpus={corpus.corpus_id}")
    wait_for_app(page, timeout=120_000)
    page.locator(STATUS).wait_for(timeout=120_000)
    assert re.search(rf"No filter: {total:,} items · the map shows {total:,} points", _status(page))
    charts = page.get_by_test_id("stVegaLiteChart")
    charts.nth(1).wait_for(timeout=30_000)
    charts.nth(1).scroll_into_view_if_needed()
    page.wait_for_timeout(800)  # let Vega paint
    other_before = charts.nth(0).screenshot()  # the `article` histogram

    # drag across the middle of the `n_words` histogram (the second chart: file order)
    box = charts.nth(1).bounding_box()
    y = box["y"] + box["height"] * 0.55
    page.mouse.move(box["x"] + box["width"] * 0.35, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.5, y, steps=5)
    page.mouse.move(box["x"] + box["width"] * 0.62, y, steps=5)
    page.mouse.up()

    page.wait_for_function(f"() => document.querySelector('{STATUS}')?.innerText.includes('Filter keeps')",
                           timeout=30_000)
    wait_for_app(page)
    status = _status(page)
    kept, shown = (int(n.replace(",", "")) for n in re.search(
        r"Filter keeps ([\d,]+) of [\d,]+ items · the map shows ([\d,]+) points", status).groups())
    assert 0 < kept < total and shown == kept  # the map's visible points follow the brush

    chip = page.get_by_role("button", name=re.compile(r"n_words"))  # Markdown shows "<=" as "≤"
    chip.wait_for(timeout=10_000)
    low, high = (float(v) for v in re.search(r"([\d.]+) \S+ n_words \S+ ([\d.]+)", chip.inner_text()).groups())
    value = Filter((MetadataFilter("n_words", low=low, high=high),))
    assert int(value.mask(corpus).sum()) == kept
    page.wait_for_timeout(800)
    assert charts.nth(0).screenshot() != other_before  # the other chart now counts only the kept rows
    screenshot(page, "crossfilter_brushed")

    # a search started from the same session applies the filter (keyword mode lists hit ids)
    page.get_by_test_id("stSidebar").get_by_text("Search", exact=True).click()  # same session, no reload
    wait_for_app(page)
    page.get_by_role("button", name=re.compile(r"n_words")).wait_for(timeout=30_000)  # the chip follows
    page.get_by_text("Keyword / regex").click()
    wait_for_app(page)
    box = page.get_by_role("textbox", name="Query")
    box.fill("the")
    box.press("Enter")
    page.wait_for_selector("[data-testid='search-highlights'] li", timeout=60_000)
    hits = re.findall(r"\[([^\]]+)\]", page.get_by_test_id("search-highlights").inner_text())
    kept_ids = {i for i, k in zip(corpus.ids, value.mask(corpus)) if k}
    with_the = {i for i, t in zip(corpus.ids, corpus.texts) if re.search(r"\bthe\b", t, re.IGNORECASE)}
    assert with_the - kept_ids, "the filter must exclude some rows that match, or this check proves nothing"
    assert hits and set(hits) <= kept_ids
    screenshot(page, "crossfilter_search")
    assert page.dialogs == []
