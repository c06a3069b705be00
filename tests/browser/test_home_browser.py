"""The home page in a real browser: load a demo corpus, embed it with the smallest model."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def test_home_embeds_demo_with_smallest_model(app_url, page, store):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_text("Embedscape shows you what an embedding model makes of").wait_for()

    page.get_by_test_id("stSelectbox").filter(has_text="Demo corpus").click()
    page.get_by_role("option", name="Movie snippets (neg/pos)").click()
    page.get_by_role("button", name="Load demo corpus").click()
    page.get_by_text(re.compile(r"Loaded .*movie-polarity")).wait_for(timeout=60_000)

    wait_for_app(page)
    models = page.get_by_test_id("stMain").get_by_test_id("stMultiSelect").first
    models.get_by_label(re.compile(r"^Remove ")).first.wait_for()
    # Whatever the defaults are (they follow what is embedded already), keep only the smallest model.
    for _ in range(6):
        others = models.get_by_label(re.compile(r"^Remove (?!paraphrase-MiniLM-L3-v2)"))
        if others.count() == 0:
            break
        others.first.click()
        page.wait_for_timeout(200)
    if "paraphrase-MiniLM-L3-v2" not in models.inner_text():
        models.click()
        page.get_by_role("option", name=re.compile("^paraphrase-MiniLM-L3-v2")).click()
        page.keyboard.press("Escape")
    assert models.get_by_label(re.compile(r"^Remove (?!paraphrase-MiniLM-L3-v2)")).count() == 0
    assert "paraphrase-MiniLM-L3-v2" in models.inner_text()

    page.get_by_role("button", name=re.compile("^Embed")).click()
    page.get_by_text("Embedded with 1 model(s): paraphrase-MiniLM-L3-v2.").wait_for(timeout=240_000)
    wait_for_app(page)
    path = screenshot(page, "home_embedded")
    assert path.stat().st_size > 10_000
    assert page.dialogs == []

    embedded = [m for m in store.list_corpora() if m["name"] == "movie-polarity"]
    assert embedded and "minilm-l3" in embedded[0]["embeddings"]


def test_cancel_stops_embedding_and_stores_nothing_partial(app_url, page, store):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Demo corpus").click()
    page.get_by_role("option", name="Fortunes by category").click()
    page.get_by_role("button", name="Load demo corpus").click()
    page.get_by_text(re.compile(r"Loaded .*fortunes")).wait_for(timeout=60_000)
    wait_for_app(page)

    models = page.get_by_test_id("stMain").get_by_test_id("stMultiSelect").first
    models.get_by_label(re.compile(r"^Remove ")).first.wait_for()
    for _ in range(6):  # keep only the slowest model, so there is time to cancel
        others = models.get_by_label(re.compile(r"^Remove (?!all-MiniLM-L6-v2)"))
        if others.count() == 0:
            break
        others.first.click()
        page.wait_for_timeout(200)
    assert "all-MiniLM-L6-v2" in models.inner_text()

    page.get_by_role("button", name=re.compile("^Embed")).click()
    page.get_by_text(re.compile(r"Embedding with all-MiniLM-L6-v2: [\d,]+ of 5,347")).wait_for(timeout=120_000)
    page.get_by_role("button", name=re.compile("Cancel embedding")).click()
    page.get_by_text(re.compile(r"Embedding cancelled during all-MiniLM-L6-v2; nothing partial was stored")).wait_for(
        timeout=60_000)
    wait_for_app(page)
    page.get_by_role("button", name=re.compile("Cancel embedding")).wait_for(state="detached", timeout=30_000)
    page.wait_for_timeout(3_000)  # had the form re-submitted, a new progress bar would show by now
    assert page.get_by_text(re.compile(r"Embedding with all-MiniLM-L6-v2: ")).count() == 0
    screenshot(page, "home_cancelled")

    from engine.models import REGISTRY

    fortunes = [m for m in store.list_corpora() if m["name"] == "fortunes"]
    assert fortunes and store.load_embeddings(fortunes[0]["corpus_id"], REGISTRY["minilm-l6"]) is None
    assert "Embedded with" not in page.get_by_test_id("stMain").inner_text()
