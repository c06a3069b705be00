"""A real browser defines an axis from two typed poles and sees the corpus ranked along it."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import painted, screenshot, wait_for_app


@pytest.mark.browser
def test_axes_from_two_typed_poles_shows_a_ranked_table(page, app_url, small_corpus, small_embeddings) -> None:
    page.goto(f"{app_url}/Axes?corpus={small_corpus.corpus_id}")  # a shareable link opens the corpus
    wait_for_app(page)

    page.get_by_role("radio", name="Two poles (texts or words)").click(timeout=60_000)
    wait_for_app(page)
    page.get_by_role("textbox", name="Positive end label").fill("crime <b>bold</b>")
    page.get_by_role("textbox", name="Negative end label").fill("sport")
    page.get_by_role("textbox", name="Positive pole: one text or word per line").fill(
        "police arrested a man\ncourt charges\n<script>alert(1)</script> murder trial")
    page.get_by_role("textbox", name="Negative pole: one text or word per line").fill("cricket match\nthe team won the game")
    page.get_by_role("button", name="Build axis").click()

    page.get_by_text("Toward sport", exact=False).first.wait_for(timeout=120_000)
    wait_for_app(page, timeout=120_000)
    page.get_by_test_id("stDataFrame").nth(1).wait_for(timeout=60_000)
    page.get_by_test_id("stPlotlyChart").nth(1).wait_for(timeout=60_000)
    assert page.get_by_text(re.compile(r"Toward crime <b>bold</b>")).count() >= 1  # shown literally, not as HTML
    assert page.get_by_test_id("stDataFrame").count() >= 2
    assert page.get_by_test_id("stPlotlyChart").count() >= 2  # histogram + stability band
    page.set_viewport_size({"width": 1400, "height": 2400})  # Streamlit scrolls inside its own container
    painted(page)  # let the canvases (data grid, plotly) paint before the screenshot
    path = screenshot(page, "axes_ranked")
    assert path.stat().st_size > 20_000
    assert page.dialogs == []  # pole text never ran as script


@pytest.mark.browser
def test_axes_tables_show_the_label_column_and_open_an_item(page, app_url, small_corpus, small_embeddings) -> None:
    page.goto(f"{app_url}/Axes?corpus={small_corpus.corpus_id}")
    wait_for_app(page)
    page.get_by_role("radio", name="Preset").click(timeout=60_000)
    wait_for_app(page)
    page.get_by_role("button", name="Build axis").click()
    page.get_by_text("Toward", exact=False).first.wait_for(timeout=120_000)
    wait_for_app(page, timeout=120_000)
    page.get_by_test_id("stSelectbox").filter(has_text="Label column").click()
    page.get_by_role("option", name="article", exact=True).click()
    wait_for_app(page, timeout=120_000)
    table = page.get_by_test_id("stDataFrame").first
    table.wait_for(timeout=60_000)
    painted(page)  # let the grid canvas paint
    screenshot(page, "axes_label_column")
    table.hover()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 14, box["y"] + 35 + 17)  # the first row's tick box (the grid is a canvas)
    wait_for_app(page)
    page.get_by_role("button", name="Open in full").first.click(timeout=30_000)
    dialog = page.get_by_role("dialog")
    dialog.wait_for(timeout=30_000)
    shown = dialog.get_by_test_id("stText").first.inner_text()
    assert shown.strip() in {t.strip() for t in small_corpus.texts}  # the whole text of a ranked item
    assert dialog.get_by_test_id("stDataFrame").count() == 1  # and its metadata
    painted(page)
    screenshot(page, "axes_item_open")
    assert page.dialogs == []
