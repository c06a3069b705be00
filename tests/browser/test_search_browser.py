"""A real browser runs a search, sees the hits, and opens them highlighted on the Map page."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import MAP_DRAWN, painted, screenshot, wait_for_app


@pytest.mark.browser
def test_search_runs_a_query_and_map_highlights_hits(page, app_url, small_corpus, small_embeddings) -> None:
    page.goto(f"{app_url}/Search?corpus={small_corpus.corpus_id}")  # a shareable link opens the corpus
    wait_for_app(page)

    query = "firefighters battle bushfires near Sydney <script>alert(1)</script>"
    box = page.get_by_role("textbox", name="Query")
    box.fill(query)
    box.press("Enter")
    page.get_by_text(re.compile(r"hits ready for the map")).wait_for(timeout=120_000)
    wait_for_app(page)
    page.wait_for_selector("[data-testid='stDataFrame']", timeout=60_000)
    page.get_by_role("button", name="Show on map").wait_for(timeout=30_000)
    painted(page)  # let the data grid paint before the screenshot
    screenshot(page, "search_results")

    page.get_by_role("button", name="Show on map").click()
    page.wait_for_url(re.compile(r"/Map"), timeout=60_000)
    caption = page.get_by_text(re.compile(r"Red rings: \d+ search hits for"))
    caption.wait_for(timeout=180_000)  # a fresh server's first UMAP compiles numba code
    wait_for_app(page, timeout=180_000)
    count = int(re.search(r"Red rings: (\d+)", caption.inner_text()).group(1))
    assert count >= 1
    assert "bushfires near Sydney" in caption.inner_text()
    page.locator(MAP_DRAWN).first.wait_for(timeout=60_000)
    screenshot(page, "search_hits_on_map")
    assert page.dialogs == []  # the <script> in the query never ran

    # back on Search (by the sidebar: the browser's Back button lands on an earlier Map address, which
    # the Map page rewrites), the mini-map (the Map's renderer, its layout now stored) rings the hits
    # and places the query itself as a star, without a refit
    page.get_by_test_id("stSidebar").get_by_role("link", name="Search").click()
    page.get_by_text(re.compile(r"hits ready for the map")).wait_for(timeout=60_000)
    wait_for_app(page)
    page.get_by_text("Hits on the map").first.click()  # a fragment redraw may briefly show it twice
    page.get_by_text(re.compile(r"The star: where the query itself would sit")).wait_for(timeout=60_000)
    mini = page.locator(MAP_DRAWN).first
    mini.wait_for(timeout=60_000)
    drawn = mini.evaluate("r => ({markers: r.__map.markers(), rings: r.__map.rings().length})")
    assert drawn["rings"] >= 1
    assert [m["text"] for m in drawn["markers"]] == ["query"]
    mini.scroll_into_view_if_needed()
    screenshot(page, "search_minimap_query_star")


@pytest.mark.browser
def test_a_catastrophic_regex_leaves_the_server_responsive(page, app_url, small_corpus, small_embeddings) -> None:
    """Issue 8.13: `(\\w+\\s?)+\\.` froze the server in the highlighter; now it is answered at once."""
    import time
    import urllib.request

    page.goto(f"{app_url}/Search?corpus={small_corpus.corpus_id}")
    wait_for_app(page)
    page.get_by_text("Keyword / regex").click()
    wait_for_app(page)
    page.get_by_text("Regular expression", exact=True).click()
    wait_for_app(page)
    box = page.get_by_role("textbox", name="Query")
    box.fill(r"(\w+\s?)+\.")
    started = time.monotonic()
    box.press("Enter")
    assert urllib.request.urlopen(f"{app_url}/_stcore/health", timeout=5).read() == b"ok"
    page.get_by_text(re.compile(r"rows match the regular expression")).wait_for(timeout=60_000)
    page.wait_for_selector("[data-testid='search-highlights'] mark", timeout=30_000)
    assert time.monotonic() - started < 30  # linear: seconds, not minutes (the old highlighter never returned)
    wait_for_app(page)
    screenshot(page, "search_regex_highlights")

    box.fill("fire(?=s)")  # look-around: a clear message, with what to write instead
    box.press("Enter")
    page.get_by_text(re.compile(r"look-around .* is not supported")).wait_for(timeout=30_000)
    page.get_by_text("More like this", exact=True).first.click()
    wait_for_app(page)
    page.get_by_text(re.compile(r"Pick an item")).wait_for(timeout=30_000)
    assert page.get_by_role("textbox", name="Query").count() == 0  # a picker, not an id box
    screenshot(page, "search_more_like_this_picker")
    assert page.dialogs == []
