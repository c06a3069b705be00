"""Browser check of the Geometry page: the across-models table, hubness and depth tabs, and a
keyword topic whose name is hostile text (it must stay plain text and never run as script)."""
from __future__ import annotations

import pytest

from tests.browser.conftest import open_tab, screenshot, wait_for_app


@pytest.mark.browser
def test_geometry_page_table_hubs_depth_and_topics(app_url, page, small_corpus, embedded):
    embedded(small_corpus, "minilm-l3")
    page.goto(f"{app_url}/Geometry?corpus={small_corpus.corpus_id}")
    wait_for_app(page)
    page.get_by_role("heading", name="Geometry").first.wait_for(timeout=60_000)
    page.get_by_text("Across models").first.wait_for(timeout=120_000)
    page.get_by_text("Mean cosine of random pairs").first.wait_for(timeout=120_000)
    wait_for_app(page)
    screenshot(page, "geometry_isotropy")
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 1

    page.get_by_role("tab", name="Hubness").click()
    page.get_by_text("Top hubs").first.wait_for()
    wait_for_app(page)
    screenshot(page, "geometry_hubness")

    page.get_by_role("tab", name="Redundancy").click()
    page.get_by_text("Truncate to d components").first.wait_for()
    screenshot(page, "geometry_redundancy")

    page.set_viewport_size({"width": 1400, "height": 2400})  # the app scrolls inside itself: show it all
    page.get_by_role("tab", name="Depth and shift").click()
    page.get_by_text("Shift test").first.wait_for()
    page.get_by_role("button", name="Run the shift test").click()
    page.get_by_text("Rank-sum p").first.wait_for(timeout=60_000)
    wait_for_app(page)
    screenshot(page, "geometry_depth")

    open_tab(page, "Topics", page.get_by_role("textbox", name="Topics"))
    hostile = "<img src=x onerror=alert(1)>"
    page.get_by_role("textbox", name="Topics").fill(f"fire: bushfire, fire\n{hostile}: cricket, match")
    page.get_by_role("textbox", name="Topics").press("Control+Enter")
    page.get_by_text("Class column (ground truth)").first.wait_for(timeout=60_000)
    wait_for_app(page)
    screenshot(page, "geometry_topics")
    assert not page.dialogs  # the topic name never ran as script
    assert page.locator("img[src='x']").count() == 0
