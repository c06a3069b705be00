"""Issue 14 §1, done when: a link copied from each page's "Share this view" box, opened in a fresh
browser context (no cookies, a new session), shows the same view: corpus, models, selection and
figures (compared through the values the page shows, not pixels)."""
from __future__ import annotations

import re
import time

import pytest

from tests.browser.conftest import open_tab, painted, screenshot, wait_for_app

pytestmark = pytest.mark.browser
SENTENCE, WORDS = "minilm-l3", "glove-50d"


@pytest.fixture
def lee(small_corpus, embedded):
    embedded(small_corpus, SENTENCE)
    embedded(small_corpus, WORDS)
    return small_corpus


def copied_link(page, *, showing: str = "v=1", changed_from: str | None = None) -> str:
    """Open "Share this view" and read the link from its code box (what its copy button copies),
    once it shows ``showing`` and differs from ``changed_from`` (a fragment rerun rewrites the box a
    moment after the chart)."""
    code = page.get_by_test_id("stCode").filter(has_text=showing).last
    if not code.is_visible():
        page.get_by_text("Share this view").last.click()
    code.wait_for(timeout=30_000)
    if changed_from is not None:
        page.wait_for_function("""old => [...document.querySelectorAll('[data-testid="stCode"]')]
            .some(e => e.innerText.includes('v=1') && e.innerText.trim() !== old)""", arg=changed_from, timeout=30_000)
    link = code.inner_text().strip()
    assert link.startswith("http://127.0.0.1:") and "visitor=" not in link
    return link


@pytest.fixture
def fresh_pages(request):
    """Pages opened by :func:`open_fresh`; a failed test saves their screenshots too."""
    pages: list = []
    yield pages
    for number, fresh in enumerate(pages):
        if getattr(request.node, "browser_call_failed", False):
            try:
                screenshot(fresh, f"FAILED-{request.node.name}-reopened-{number}")
            except Exception:  # the page may be gone; the failure itself is what matters
                pass
        fresh.context.close()


def open_fresh(browser, link: str, pages: list, *, height: int = 1000):
    """The link in a new browser context: another person's browser, a new Streamlit session."""
    context = browser.new_context(viewport={"width": 1400, "height": height})
    fresh = context.new_page()
    pages.append(fresh)
    fresh.goto(link)
    wait_for_app(fresh, timeout=180_000)
    return fresh


def frame(page) -> tuple[str, str]:
    """The sidebar's corpus and models, as shown."""
    sidebar = page.get_by_test_id("stSidebar")
    return (sidebar.get_by_test_id("stSelectbox").first.inner_text(),
            sidebar.get_by_test_id("stMultiSelect").first.inner_text())


def metrics(page) -> list[str]:
    return page.get_by_test_id("stMetricValue").all_inner_texts()


def table_cells(page) -> list[str]:
    """The first table's cells as the data grid exposes them to assistive technology (the grid is a canvas)."""
    page.wait_for_selector("[data-testid='stDataFrame'] [role='gridcell']", state="attached", timeout=30_000)
    return page.locator("[data-testid='stDataFrame']").first.locator("[role='gridcell']").all_inner_texts()[:40]


def check_same(page, fresh, name: str, *values) -> None:
    """Same corpus and models, and each ``values`` reader gives the same (non-empty) answer on both."""
    for shown in (page, fresh):  # the Share box is each page's last element: the run has finished
        shown.get_by_text("Share this view").last.wait_for(timeout=120_000)
        wait_for_app(shown, timeout=120_000)
    painted(fresh)  # let the data grids and charts paint before the screenshot
    screenshot(page, f"share_{name}_source")
    screenshot(fresh, f"share_{name}_reopened")
    assert frame(fresh) == frame(page)
    for read in values:
        # a page's last fragments may still be drawing after its run ended (a loaded machine: the
        # fresh page showed 2 of its 4 metrics): read both again until they agree, for at most 30 s
        deadline = time.monotonic() + 30
        while True:
            before, after = read(page), read(fresh)
            if (before and before == after) or time.monotonic() > deadline:
                break
            fresh.wait_for_timeout(500)
        assert before and before == after, (read, before, after)
    assert not fresh.get_by_text("This link could not reopen everything").count()
    assert page.dialogs == []


def test_map_link(app_url, page, browser, fresh_pages, lee):
    item = lee.ids[11]
    page.goto(f"{app_url}/Map?corpus={lee.corpus_id}&models={SENTENCE},{WORDS}&method=pca&item={item}")
    page.locator(".esm-root[data-ready='1']").wait_for(timeout=180_000)
    wait_for_app(page, timeout=180_000)
    page.get_by_test_id("stSelectbox").filter(has_text="Colour by").click(timeout=60_000)
    page.get_by_role("option", name="article", exact=True).click()
    wait_for_app(page)
    page.locator(".esm-root[data-ready='1']").wait_for(timeout=60_000)
    fresh = open_fresh(browser, copied_link(page, showing="color=article"), fresh_pages)
    fresh.locator(".esm-root[data-ready='1']").wait_for(timeout=60_000)

    def figure(p):  # every drawn point: (colour, row, rounded x, y) from the browser's own canvas
        return p.locator(".esm-root[data-ready='1']").evaluate("""r => { const m = r.__map, xs = m.xs(), ys = m.ys(),
            codes = m.codes(), colors = m.colors(); return Array.from(m.rows()).map((row, i) =>
            [colors[codes[i]], row, Math.round(xs[i] * 1e4), Math.round(ys[i] * 1e4)]); }""")

    check_same(page, fresh, "map", figure,
               lambda p: p.get_by_test_id("stSelectbox").filter(has_text="Colour by").inner_text(),
               lambda p: p.get_by_test_id("stButtonGroup").first.inner_text(),
               lambda p: p.get_by_text(lee.texts[11][:40]).count())


def test_search_link(app_url, page, browser, fresh_pages, lee):
    page.goto(f"{app_url}/Search?corpus={lee.corpus_id}&models={SENTENCE}")
    wait_for_app(page)
    box = page.get_by_role("textbox", name="Query")
    box.fill("firefighters battle bushfires")
    box.press("Enter")
    page.get_by_text(re.compile(r"hits ready for the map")).wait_for(timeout=120_000)
    wait_for_app(page)
    fresh = open_fresh(browser, copied_link(page), fresh_pages)
    fresh.get_by_text(re.compile(r"hits ready for the map")).wait_for(timeout=120_000)
    check_same(page, fresh, "search",
               lambda p: p.get_by_role("textbox", name="Query").input_value(),
               lambda p: p.get_by_role("heading", name=re.compile(r"\d+ hits")).first.inner_text(), table_cells)


def test_axes_link(app_url, page, browser, fresh_pages, lee):
    page.goto(f"{app_url}/Axes?corpus={lee.corpus_id}&models={SENTENCE}")
    wait_for_app(page)
    page.get_by_role("radio", name="Two poles (texts or words)").click(timeout=60_000)
    wait_for_app(page)
    page.get_by_role("textbox", name="Positive end label").fill("crime")
    page.get_by_role("textbox", name="Negative end label").fill("sport")
    page.get_by_role("textbox", name="Positive pole: one text or word per line").fill("police arrested a man\ncourt")
    page.get_by_role("textbox", name="Negative pole: one text or word per line").fill("cricket match\nthe team won")
    page.get_by_role("button", name="Build axis").click()
    page.get_by_text("Toward sport").first.wait_for(timeout=120_000)
    wait_for_app(page, timeout=120_000)
    fresh = open_fresh(browser, copied_link(page), fresh_pages)
    fresh.get_by_text("Toward sport").first.wait_for(timeout=120_000)
    check_same(page, fresh, "axes", metrics, lambda p: p.get_by_text(re.compile("Toward (crime|sport)")).all_inner_texts())


def test_bias_link(app_url, page, browser, fresh_pages, words_corpus, embedded):
    embedded(words_corpus, WORDS)
    page.goto(f"{app_url}/Bias?corpus={words_corpus.corpus_id}&models={WORDS}")
    page.get_by_text("Variance explained by PC1").first.wait_for(timeout=120_000)
    wait_for_app(page, timeout=120_000)
    open_tab(page, "WEAT", page.get_by_text("Effect size d").first, timeout=60_000)
    before = copied_link(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Test").first.click()
    page.get_by_role("option").nth(1).click()  # another classic test than the first
    wait_for_app(page, timeout=120_000)
    page.get_by_text("Effect size d").first.wait_for(timeout=60_000)
    fresh = open_fresh(browser, copied_link(page, changed_from=before), fresh_pages)
    fresh.get_by_text("Variance explained by PC1").first.wait_for(timeout=120_000)
    wait_for_app(fresh, timeout=120_000)
    open_tab(fresh, "WEAT", fresh.get_by_text("Effect size d").first, timeout=60_000)
    check_same(page, fresh, "bias", metrics,
               lambda p: p.get_by_test_id("stSelectbox").filter(has_text="Test").first.inner_text())


def test_compare_link(app_url, page, browser, fresh_pages, lee):
    page.goto(f"{app_url}/Compare?corpus={lee.corpus_id}&models={SENTENCE},{WORDS}")
    wait_for_app(page, timeout=180_000)
    k = page.get_by_role("spinbutton", name="k (neighbours)")
    k.fill("7")
    k.press("Enter")
    page.get_by_text(re.compile(r"k = 7")).first.wait_for(timeout=120_000)
    wait_for_app(page)
    fresh = open_fresh(browser, copied_link(page, showing="&k=7"), fresh_pages)  # the box is redrawn after the table
    fresh.get_by_text(re.compile(r"k = 7")).first.wait_for(timeout=120_000)
    check_same(page, fresh, "compare", metrics,
               lambda p: p.get_by_test_id("stText").filter(has_text="(id ").first.inner_text(),
               lambda p: p.get_by_test_id("stMultiSelect").filter(has_text="Models to compare").inner_text())


def test_geometry_link(app_url, page, browser, fresh_pages, lee):
    page.goto(f"{app_url}/Geometry?corpus={lee.corpus_id}&models={SENTENCE}")
    page.set_viewport_size({"width": 1400, "height": 2400})  # the app scrolls inside itself: show it all
    page.get_by_text("Mean cosine of random pairs").first.wait_for(timeout=180_000)
    wait_for_app(page, timeout=180_000)
    topics = page.get_by_role("textbox", name="Topics")
    open_tab(page, "Topics", topics)
    topics.fill("fire: bushfire, fire\nsport: cricket, match")
    topics.press("Control+Enter")
    page.get_by_text("Class column (ground truth)").first.wait_for(timeout=60_000)
    wait_for_app(page)
    fresh = open_fresh(browser, copied_link(page, showing="topics="), fresh_pages, height=2400)
    fresh.get_by_text("Mean cosine of random pairs").first.wait_for(timeout=180_000)
    wait_for_app(fresh, timeout=180_000)
    open_tab(fresh, "Topics", fresh.get_by_role("textbox", name="Topics"))
    wait_for_app(fresh, timeout=120_000)
    fresh.get_by_text("Class column (ground truth)").first.wait_for(timeout=120_000)
    check_same(page, fresh, "geometry", metrics, lambda p: p.get_by_role("textbox", name="Topics").input_value())
