"""A real browser types a new tag name for keyword-search hits (AppTest cannot type a new option), and a
fresh session finds the stored tag in the filter. Restart survival is tested on the engine side
(tests/engine/test_itemsets.py: a new process reads the files)."""
from __future__ import annotations

import re

import pytest

from engine import itemsets
from tests.browser.conftest import click_until_shown, screenshot, wait_for_app

TAG = "<img src=x onerror=alert(1)> fires"


@pytest.mark.browser
def test_tag_search_hits_with_a_new_name_and_find_it_in_a_new_session(browser, page, app_url, small_corpus,
                                                                       small_embeddings, store) -> None:
    try:
        page.goto(f"{app_url}/Search?corpus={small_corpus.corpus_id}")
        wait_for_app(page)
        page.get_by_text("Keyword / regex").click()  # no model to load: the test stays short on a cold server
        page.get_by_text("Regular expression", exact=True).wait_for(timeout=30_000)  # the keyword box is drawn
        wait_for_app(page)
        box = page.get_by_role("textbox", name="Query")
        box.fill("fires")
        box.press("Enter")
        picker = page.get_by_test_id("stSelectbox").filter(has_text="Tag these")
        picker.wait_for(timeout=120_000)
        picker.click()
        page.keyboard.type(TAG)
        page.keyboard.press("Enter")
        wait_for_app(page)
        page.get_by_role("button", name=re.compile(r"Tag$")).click()
        page.get_by_text(re.compile(r"Tagged \d+ items")).wait_for(timeout=30_000)
        tagged = itemsets.load_tags(store, small_corpus.corpus_id)[TAG]
        assert len(tagged) >= 1 and set(tagged) <= set(small_corpus.ids)
        screenshot(page, "search_hits_tagged")

        fresh = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        fresh.goto(f"{app_url}/Search?corpus={small_corpus.corpus_id}")
        wait_for_app(fresh)
        fresh.get_by_text("Metadata filter").click()
        click_until_shown(fresh, fresh.get_by_test_id("stMultiSelect").filter(has_text="Tagged"),
                     fresh.get_by_role("option", name=TAG))
        fresh.context.close()
        assert page.dialogs == []  # the tag's markup never ran
    finally:  # the session store is shared: leave no tag for later tests
        itemsets.delete_tag(store, small_corpus.corpus_id, TAG)
