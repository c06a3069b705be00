"""Issue 14 §4: the HTML report of a hostile corpus opens in Chromium with no network: no dialog
from corpus text, no request leaving the page, the map image drawn from its data: URI."""
from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.engine.test_report import build_hostile_report

pytestmark = pytest.mark.browser


def test_html_report_opens_offline_with_no_dialog_and_no_request(browser, store, embedded, tmp_path):
    report = build_hostile_report(store, embedded)
    path = tmp_path / "report.html"
    path.write_text(report.html(), encoding="utf-8")
    url = path.as_uri()

    context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
    requests: list[str] = []
    context.route("**/*", lambda route: route.continue_() if route.request.url == url else route.abort())
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on("request", lambda request: requests.append(request.url))
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security" in message.text else None)
    try:
        page.goto(url, wait_until="load")
        page.wait_for_timeout(500)  # an onerror/onload handler, if one existed, has had time to fire
        body = page.inner_text("body")
        assert "<img src=x onerror=alert(1)>" in body and "<script>alert('axis')</script>" in body
        assert page.locator("img").count() == 1 and page.locator("script, iframe, svg, a").count() == 0
        assert page.eval_on_selector("img", "img => img.complete && img.naturalWidth > 300")  # the PNG decoded
        screenshot(page, "report-offline")
    finally:
        context.close()
    assert dialogs == []
    assert [r for r in requests if r != url and not r.startswith("data:")] == []
    assert violations == []  # nothing even tried to load or run something the policy forbids
