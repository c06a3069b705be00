"""The Compare page in a real browser: open one item's side-by-side neighbours, then box-select
points in one aligned map and see the same items highlighted in the other."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import click_until_shown, painted, screenshot, wait_for_app

pytestmark = pytest.mark.browser
MODELS = ("minilm-l6", "minilm-l3")

@pytest.fixture
def compared_corpus(small_corpus, embedded, store):
    """The small corpus embedded with both sentence models, with the PCA layouts of every model it is
    embedded with stored (other tests may have embedded more; the page compares the sidebar's first two)."""
    from engine.project import ProjectionSpec, project

    for model in MODELS:
        embedded(small_corpus, model)
    for model in store.manifest(small_corpus.corpus_id).get("embeddings", {}):
        project(embedded(small_corpus, model), **ProjectionSpec(method="pca").kwargs(), store=store)
    return small_corpus


def test_item_view_and_linked_selection_between_aligned_maps(app_url, page, compared_corpus):
    corpus = compared_corpus
    page.goto(f"{app_url}/Compare?corpus={corpus.corpus_id}")
    wait_for_app(page, timeout=180_000)
    page.get_by_role("heading", name="Item view").wait_for(timeout=180_000)

    # open one item through the search box of the item view
    word = "bushfires"
    page.get_by_role("textbox", name="Find an item").fill(word)
    page.get_by_role("textbox", name="Find an item").press("Enter")
    wait_for_app(page)
    option = page.get_by_role("option").first
    click_until_shown(page, page.get_by_test_id("stSelectbox").filter(has_text="matches"), option)
    picked = option.inner_text()
    option.click()
    wait_for_app(page)
    item_line = page.get_by_test_id("stText").filter(has_text="(id ")
    # the default item's line is there before the pick's rerun ends: wait for the picked item's line
    item_line.filter(has_text=picked[:30]).first.wait_for(timeout=60_000)
    assert picked[:30] in item_line.first.inner_text()
    assert page.get_by_text("Jaccard@10 for this item").count() == 1
    painted(page)  # let the grids paint
    screenshot(page, "compare_item_view")

    # the aligned maps: PCA layouts are stored, so they draw at once
    tab = page.get_by_role("tab", name="Aligned maps")
    expect(tab).to_have_count(1, timeout=30_000)  # a fragment redraw briefly shows the old tab bar beside the new one
    tab.click()
    page.get_by_test_id("stButtonGroup").get_by_text("PCA", exact=True).click()
    wait_for_app(page)
    maps = page.locator(".esm-root[data-ready='1']")
    page.wait_for_function("""() => Array.from(document.querySelectorAll('*')).filter(e => e.shadowRoot)
        .filter(h => h.shadowRoot.querySelector(".esm-root[data-ready='1']")).length === 2""", timeout=60_000)
    box = maps.first.evaluate("""r => {
        const sorted = a => a.slice().sort((p, q) => p - q), at = (a, f) => a[Math.floor(f * (a.length - 1))];
        const qx = sorted(r.__map.xs()), qy = sorted(r.__map.ys());
        return [...r.__map.toScreen(at(qx, 0.3), at(qy, 0.7)), ...r.__map.toScreen(at(qx, 0.7), at(qy, 0.3))];
    }""")
    page.mouse.move(box[0], box[1])
    page.mouse.down()
    page.mouse.move((box[0] + box[2]) / 2, (box[1] + box[3]) / 2, steps=5)
    page.mouse.move(box[2], box[3], steps=5)
    page.mouse.up()
    page.get_by_text("highlighted in every map").wait_for(timeout=60_000)
    wait_for_app(page)
    page.wait_for_function("""() => { const roots = Array.from(document.querySelectorAll('*')).filter(e => e.shadowRoot)
        .map(h => h.shadowRoot.querySelector(".esm-root[data-ready='1']")).filter(r => r);
        return roots.length === 2 && roots.every(r => r.__map.rings().length > 0); }""", timeout=60_000)
    counts = [maps.nth(i).evaluate("r => { const rows = r.__map.rows(); "
                                   "return r.__map.rings().map(p => rows[p]).sort((a, b) => a - b); }")
              for i in range(2)]
    assert len(counts[0]) >= 3 and counts[0] == counts[1]  # the same items, highlighted in both maps
    painted(page)
    screenshot(page, "compare_linked_selection")
    assert page.dialogs == []
