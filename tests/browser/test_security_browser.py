"""Issue 11: a hostile corpus goes through every page in a real browser and nothing in it runs or loads.

Its texts, metadata values, column names, file name and corpus name carry ``<script>``,
``<img onerror>``, ``<svg onload>``, ``javascript:`` links and Markdown images pointing at a local
beacon server. The corpus is uploaded through the Home page's file chooser, embedded, mapped,
searched (semantic and keyword), ranked on an axis, measured on the Bias page and exported as CSV.
No JavaScript dialog may open, the beacon must receive no request, the browser must request
nothing the payloads name, and no page may hold a link, image or script element made from them.
"""
from __future__ import annotations

import csv
import http.server
import io
import re
import threading
from pathlib import Path

import pytest

from tests.browser.conftest import MAP_DRAWN, painted, screenshot, settled, wait_for_app
from tests.browser.test_home_browser import _keep_only_model
from tests.conftest import ROOT

pytestmark = pytest.mark.browser

FORMULA = "=cmd|' /C calc'!A0"


class _Beacon(http.server.ThreadingHTTPServer):
    """A loopback HTTP server that counts every request it receives (any path, any method)."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        beacon = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                beacon.requests.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_HEAD = do_GET

            def log_message(self, *args) -> None:
                pass

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture(scope="module")
def beacon():
    server = _Beacon()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def payloads(port: int) -> list[str]:
    image = f"![x](http://127.0.0.1:{port}/beacon.png)"
    return ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "<svg onload=alert(1)>",
            "[link](javascript:alert(1))", image, f"http://127.0.0.1:{port}/bare", FORMULA,
            f'<a href="http://127.0.0.1:{port}/a">plotly link</a>']  # Plotly's HTML subset makes <a> links


def hostile_csv(port: int) -> bytes:
    """40 rows: each text starts with a payload; metadata columns named and filled with payloads."""
    evil = payloads(port)
    columns = ["text", f"![col](http://127.0.0.1:{port}/beacon.png)", "<img src=x onerror=alert(1)>", "kind"]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for i in range(40):
        topic = ("firefighters battle a bushfire near the town" if i % 2 else
                 "the cricket team won the final match")
        writer.writerow([f"{evil[i % len(evil)]} {topic} {i}", evil[(i + 1) % 4], evil[(i + 2) % len(evil)],
                         "<svg onload=alert(1)>" if i % 3 else "[k](javascript:alert(1))"])
    return out.getvalue().encode()


def assert_inert(page, port: int) -> None:
    """The page ran, and no element on it was made from a payload: links, images, inline handlers, scripts."""
    assert page.get_by_test_id("stException").count() == 0, page.get_by_test_id("stException").first.inner_text()
    found = page.evaluate("""(port) => {
        const bad = [];
        for (const a of document.querySelectorAll('a')) {  // HTML links and Plotly's SVG links (xlink:href)
            const href = a.getAttribute('href') || a.getAttributeNS('http://www.w3.org/1999/xlink', 'href') || '';
            if (/^\\s*javascript:/i.test(href) || href.includes(':' + port)) bad.push('a ' + href);
        }
        for (const img of document.querySelectorAll('img')) {
            const src = img.getAttribute('src') || '';
            if (src === 'x' || src.includes(':' + port)) bad.push('img ' + src);
        }
        for (const el of document.querySelectorAll('[onerror], [onload]')) bad.push(el.tagName + ' handler');
        for (const s of document.querySelectorAll('script')) if (s.textContent.includes('alert(1)')) bad.push('script');
        return bad;
    }""", port)
    assert found == [], found


def _shot(page, name: str) -> None:
    """A tall screenshot (Streamlit scrolls inside its own container, so the viewport sets what is seen)."""
    page.set_viewport_size({"width": 1400, "height": 2600})
    painted(page)  # data grids and Plotly canvases repaint
    screenshot(page, name)
    page.set_viewport_size({"width": 1400, "height": 1000})


def _settle(page, timeout: float = 120_000) -> None:
    """The run has finished and nothing shown is stale (a condition: a fixed 400 ms here cost ~8 s a run)."""
    settled(page, timeout=timeout)


def test_a_hostile_corpus_never_runs_or_loads_anything(app_url, page, store, beacon, tmp_path) -> None:
    port = beacon.server_address[1]
    requested: list[str] = []
    page.context.on("request", lambda request: requested.append(request.url))
    corpus_name = f"![n](http://127.0.0.1:{port}/beacon.png) <svg onload=alert(1)>"

    # -- Home: upload through the file chooser, name the corpus, embed ---------------------------------
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_text("Upload a file").click()
    _settle(page)
    with page.expect_file_chooser() as chooser:
        page.get_by_role("region", name="Corpus file").get_by_test_id("stBaseButton-secondary").click()
    chooser.value.set_files(files=[{"name": f"![f](http://127.0.0.1:{port}/beacon.png).csv",
                                    "mimeType": "text/csv", "buffer": hostile_csv(port)}])
    page.get_by_role("textbox", name="Corpus name").wait_for(timeout=60_000)
    _settle(page)
    page.get_by_role("textbox", name="Corpus name").fill(corpus_name)
    page.get_by_role("textbox", name="Corpus name").press("Enter")
    _settle(page)
    page.get_by_role("button", name="Use this corpus").click()
    page.get_by_text(re.compile(r"40 texts ready")).wait_for(timeout=60_000)
    _settle(page)
    page.get_by_text(re.compile(r"^Preview of")).click()
    _keep_only_model(page, "paraphrase-MiniLM-L3-v2")
    models = page.get_by_test_id("stMain").get_by_test_id("stMultiSelect").first
    models.locator("input").click()
    models.locator("input").fill("GloVe")
    page.get_by_role("option", name=re.compile("GloVe 6B 50d")).click()  # the Bias page ranks the corpus in it
    page.keyboard.press("Escape")
    assert "GloVe 6B 50d" in models.inner_text()
    page.get_by_role("button", name=re.compile("^Embed")).click()
    page.get_by_text(re.compile(r"Embedded with 2 model\(s\)")).wait_for(timeout=120_000)
    _settle(page)
    shown = page.get_by_test_id("stMain").inner_text().replace("\u2060", "")  # escape_markdown's word joiner
    assert f"Loaded {corpus_name}: 40 texts ready" in shown  # the name shows as written
    _shot(page, "security_home")
    assert_inert(page, port)
    corpus_id = next(m["corpus_id"] for m in store.list_corpora() if m["name"] == corpus_name)

    # -- Map: coloured by a payload column (legend), an item opened with its neighbours -----------------
    # PCA: what is drawn (legend, labels, hover, the open item) is the same; a UMAP fit of a new corpus
    # in the server only added its import and numba load (~10 s), which this test is not about
    page.goto(f"{app_url}/Map?corpus={corpus_id}&method=pca")
    page.locator(MAP_DRAWN).first.wait_for(timeout=180_000)
    _settle(page, 180_000)
    page.get_by_test_id("stSelectbox").filter(has_text="Colour by").click()
    page.get_by_role("option", name="<img src=x onerror=alert(1)>").click()
    _settle(page)
    page.get_by_role("textbox", name="Find an item").fill("bushfire")
    page.get_by_role("textbox", name="Find an item").press("Enter")
    _settle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="matches").click()
    page.get_by_role("option").first.click()
    _settle(page)
    _shot(page, "security_map")
    assert_inert(page, port)

    # -- Search: semantic with a payload-column filter, then keyword, then the CSV export ---------------
    page.goto(f"{app_url}/Search?corpus={corpus_id}")
    wait_for_app(page)
    box = page.get_by_role("textbox", name="Query")
    box.fill("fire <script>alert(1)</script>")
    box.press("Enter")
    page.get_by_text(re.compile(r"hits ready for the map")).wait_for(timeout=60_000)
    page.get_by_text("Metadata filter").click()
    columns = page.get_by_test_id("stMultiSelect").filter(has_text="Filter by").locator("input")
    for needle in ("![col]", "<img"):  # each column's condition is labelled by its (escaped) name
        option = page.get_by_role("option", name=re.compile(re.escape(needle))).first
        for attempt in range(3):  # a late rerun redraws the multiselect and closes its list: type again
            columns.click()
            columns.fill(needle)
            try:
                option.wait_for(timeout=8_000)
                break
            except Exception:  # noqa: BLE001 - playwright's TimeoutError
                if attempt == 2:
                    raise
                _settle(page)
        option.click()
        page.keyboard.press("Escape")
        _settle(page)
    _settle(page)
    _shot(page, "security_search_semantic")
    assert_inert(page, port)
    page.get_by_text("Keyword / regex").click()
    box = page.get_by_placeholder(re.compile(r"^e\.g\. bushfire"))  # the keyword mode's own query box
    box.wait_for(timeout=30_000)
    _settle(page)
    box.fill("calc")  # the formula texts
    box.press("Enter")
    page.wait_for_selector("[data-testid='search-highlights'] mark", timeout=60_000)
    _settle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    cells = [cell for row in csv.reader(io.StringIO(exported)) for cell in row]
    assert any(cell.startswith("'" + FORMULA) for cell in cells)
    assert not any(cell.startswith(("=", "@", "+")) for cell in cells)
    _shot(page, "security_search_keyword")
    assert_inert(page, port)

    # -- Axes: two typed poles whose labels are payloads, the corpus ranked ------------------------------
    page.goto(f"{app_url}/Axes?corpus={corpus_id}")
    wait_for_app(page)
    page.get_by_role("radio", name="Two poles (texts or words)").click(timeout=60_000)
    _settle(page)
    page.get_by_role("textbox", name="Positive end label").fill("<img src=x onerror=alert(1)>")
    page.get_by_role("textbox", name="Negative end label").fill(f"![a](http://127.0.0.1:{port}/beacon.png)")
    page.get_by_role("textbox", name="Positive pole: one text or word per line").fill("a bushfire burns\nfirefighters")
    page.get_by_role("textbox", name="Negative pole: one text or word per line").fill("cricket match\nthe team won")
    page.get_by_role("button", name="Build axis").click()
    page.get_by_text("Toward", exact=False).first.wait_for(timeout=60_000)
    _settle(page)
    page.get_by_test_id("stDataFrame").nth(1).wait_for(timeout=60_000)
    _shot(page, "security_axes")
    assert_inert(page, port)

    # -- Bias: payload target words (unknown: listed), the corpus ranked along the direction ------------
    page.goto(f"{app_url}/Bias?corpus={corpus_id}")
    wait_for_app(page, timeout=120_000)
    targets = page.get_by_role("textbox", name=re.compile("^Target words"))
    targets.fill(f"doctor, nurse, <svg onload=alert(1)>, ![t](http://127.0.0.1:{port}/beacon.png)")
    targets.press("Control+Enter")
    # the unknown-words caption sits in a collapsed part of the page: present is enough, it is checked below
    page.get_by_text(re.compile(r"Not in the model's vocabulary")).first.wait_for(state="attached", timeout=120_000)
    _settle(page)
    page.get_by_text(re.compile(r"^Most toward")).first.wait_for(timeout=60_000)
    _shot(page, "security_bias")
    assert_inert(page, port)

    # -- pages still to come (Compare, Geometry): visited when they exist ---------------------------------
    for name in ("Compare", "Geometry"):
        if any(path.stem.endswith(name) for path in (ROOT / "pages").glob("*.py")):
            page.goto(f"{app_url}/{name}?corpus={corpus_id}")
            page.get_by_text("Share this view").last.wait_for(timeout=120_000)  # each page's last element
            wait_for_app(page, timeout=120_000)
            _shot(page, f"security_{name.lower()}")
            assert_inert(page, port)

    assert page.dialogs == []
    assert beacon.requests == []
    assert not [url for url in requested if f":{port}" in url or url.rstrip("/").endswith("/x")], requested
