"""Browser check of the Bias page: the gender direction, a WEAT card and the debias preview render."""
from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot, wait_for_app


@pytest.mark.browser
def test_bias_page_direction_weat_and_debias(app_url, page, words_corpus, store):
    from engine.embed import embed_corpus

    embed_corpus(words_corpus, "glove-50d", store=store)  # something embedded, so the page opens
    page.goto(f"{app_url}/Bias?corpus={words_corpus.corpus_id}")
    wait_for_app(page)
    page.get_by_role("heading", name="Bias").first.wait_for(timeout=60_000)
    page.get_by_text("Variance explained by PC1").first.wait_for(timeout=60_000)
    page.get_by_text("Target words along the direction").first.wait_for()
    wait_for_app(page)
    screenshot(page, "bias_direction")
    assert page.locator("[data-testid='stPlotlyChart']").count() >= 2

    page.get_by_role("tab", name="WEAT").click()
    page.get_by_text("Effect size d").first.wait_for()
    screenshot(page, "bias_weat")

    page.get_by_role("tab", name="Debias preview").click()
    page.get_by_text("Run the debias preview").first.click()
    page.get_by_text("Clustering accuracy after").first.wait_for(timeout=60_000)
    wait_for_app(page)
    screenshot(page, "bias_debias")
    assert not page.dialogs  # no word list ever runs as script
