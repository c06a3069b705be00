"""The home page in a real browser: load a demo corpus, embed it with the smallest model."""
from __future__ import annotations

import re

import pytest

from tests.browser.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.browser


def _load_demo(page, app_url: str, title: str, name: str) -> None:
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Demo corpus").click()
    page.get_by_role("option", name=title).click()
    page.get_by_role("button", name="Load demo corpus").click()
    page.get_by_text(re.compile(rf"Loaded .*{name}")).wait_for(timeout=60_000)
    wait_for_app(page)


def _keep_only_model(page, display_name: str):
    """Leave only ``display_name`` in the embed form's model picker, whatever its defaults were
    (they follow what is embedded already). Returns the picker."""
    models = page.get_by_test_id("stMain").get_by_test_id("stMultiSelect").first
    models.get_by_label(re.compile(r"^Remove ")).first.wait_for()
    others = re.compile(rf"^Remove (?!{re.escape(display_name)})")
    for _ in range(6):
        if models.get_by_label(others).count() == 0:
            break
        models.get_by_label(others).first.click()
        page.wait_for_timeout(200)
    if display_name not in models.inner_text():
        models.click()
        page.get_by_role("option", name=re.compile("^" + re.escape(display_name))).click()
        page.keyboard.press("Escape")
    assert models.get_by_label(others).count() == 0
    assert display_name in models.inner_text()
    return models


def test_home_embeds_demo_with_smallest_model(app_url, page, store):
    _load_demo(page, app_url, "Movie snippets (neg/pos)", "movie-polarity")
    assert page.get_by_text("Embedscape shows you what an embedding model makes of").count() == 1
    _keep_only_model(page, "paraphrase-MiniLM-L3-v2")

    page.get_by_role("button", name=re.compile("^Embed")).click()
    page.get_by_text("Embedded with 1 model(s): paraphrase-MiniLM-L3-v2.").wait_for(timeout=240_000)
    wait_for_app(page)
    path = screenshot(page, "home_embedded")
    assert path.stat().st_size > 10_000
    assert page.dialogs == []

    embedded = [m for m in store.list_corpora() if m["name"] == "movie-polarity"]
    assert embedded and "minilm-l3" in embedded[0]["embeddings"]


def test_cancel_stops_embedding_and_stores_nothing_partial(app_url, page, store):
    _load_demo(page, app_url, "Fortunes by category", "fortunes")
    _keep_only_model(page, "all-MiniLM-L6-v2")  # the slowest model, so there is time to cancel

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
