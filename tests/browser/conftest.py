"""Browser fixtures: `streamlit run app.py` on a free localhost port, driven by Debian's Chromium.

One server per test session (it shares the session workspace, so what the engine fixtures
stored is visible to the app). Screenshots go to tests/browser/screenshots/ for a human to look at.
"""
from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.streamlit_dom import APP_IDLE, APP_IDLE_AND_NOTHING_STALE_JS
from tests.conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
MAP_DRAWN = ".esm-root[data-ready='1']"  # the canvas map (components/map_canvas) has drawn its points
SCREENSHOTS = ROOT / "tests" / "browser" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def server_log(url: str) -> Path:
    """Where :func:`streamlit_server` writes the server's output for ``url``."""
    return Path(tempfile.gettempdir()) / f"embedscape-streamlit-{url.rsplit(':', 1)[1]}.log"


@contextlib.contextmanager
def streamlit_server(workspace: Path, *, how: tuple[str, ...] | None = None) -> Iterator[str]:
    """`streamlit run app.py` (or ``how``, e.g. components.launch.LAUNCH) with ``workspace``; yields
    the base URL once healthy; the server's output goes to :func:`server_log`."""
    from components.launch import PLAIN, free_port, running_server

    port = free_port()
    with running_server(workspace, how=how or PLAIN, port=port, log=server_log(f"http://127.0.0.1:{port}")) as url:
        yield url
@pytest.fixture(scope="session")
def app_url(store) -> str:
    """Base URL of a live `streamlit run app.py` using the session workspace."""
    with streamlit_server(store.root) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium chromium-driver (make test does this)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS,
        )
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.browser_call_failed = report.failed


@pytest.fixture
def page(browser, request):
    """A fresh page (1400x1000) that records any JS dialog: corpus text must never run as script.

    When the test fails, a screenshot of the page is saved as FAILED-<test name>.png.
    """
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))  # type: ignore[attr-defined]
    yield page
    if getattr(request.node, "browser_call_failed", False):
        try:
            screenshot(page, f"FAILED-{request.node.name}")
        except Exception:  # the page may be gone; the failure itself is what matters
            pass
    context.close()


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot for a human to look at; returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def painted(page, frames: int = 3) -> None:
    """Wait until the browser has drawn ``frames`` more frames (plus 50 ms): data grids and Plotly charts
    repaint their canvases on the frames after a layout change (a resize, a new table), so a screenshot
    taken now shows them. A condition, not a fixed sleep: ~0.1 s where a blind wait took 0.5-1.5 s."""
    page.evaluate("""n => new Promise(done => {
        const step = k => k > 0 ? requestAnimationFrame(() => step(k - 1)) : setTimeout(done, 50);
        step(n);
    })""", frames)


def wait_for_app(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has connected and finished running the script (or a fragment)."""
    page.wait_for_selector(APP_IDLE, timeout=timeout)


def settled(page, timeout: float = 60_000) -> None:
    """:func:`wait_for_app`, and no element on the page is stale: what is shown is the last run's."""
    page.wait_for_function(f"() => {APP_IDLE_AND_NOTHING_STALE_JS}", timeout=timeout)


@pytest.fixture(scope="session")
def demo_url(demo_workspace):
    """(url, pid, workspace) of one demo-mode server on :func:`demo_workspace`, shared by the demo-mode
    browser tests (test_demo_browser: the isolation, tab-close and load tests): a second server would prove nothing new."""
    from bench.load import demo_server

    with demo_server(demo_workspace) as (url, pid):
        yield url, pid, demo_workspace


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory) -> Path:
    """A workspace holding one small embedded demo corpus with its map stored (bench.load.prepare_workspace),
    made once for the demo-mode browser tests (test_demo_browser: the isolation, tab-close and load tests)."""
    from bench.load import prepare_workspace

    workspace = tmp_path_factory.mktemp("demo-workspace")
    prepare_workspace(workspace)
    return workspace


def click_until_shown(page, target, shows, *, attempts: int = 4, timeout: float = 8_000,
                      between=wait_for_app) -> None:
    """Click ``target`` until ``shows`` (a locator) is visible, calling ``between(page)`` before each new
    click: a rerun that lands just after a click can redraw the widget and undo it (a select box's list
    closes; tabs come back with the first one selected, seen under two test workers on a cold machine),
    which a user would simply click again."""
    for attempt in range(attempts):
        target.click()
        try:
            shows.wait_for(timeout=timeout)
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError
            if attempt == attempts - 1:
                raise
            between(page)


def open_tab(page, name: str, shows, *, attempts: int = 3, timeout: float = 20_000) -> None:
    """Select the tab ``name`` once the page has settled, until ``shows`` (a locator inside it) is visible."""
    settled(page)
    click_until_shown(page, page.get_by_role("tab", name=name), shows, attempts=attempts, timeout=timeout,
                      between=settled)


def pytest_collection_modifyitems(config, items):
    """A browser test that fails is run once more before it counts as failed. On 2 shared cores a
    rerun of the app can land a moment after a click and undo it; the retry is reported in the
    summary (``R``), so a test that only passes on its retry stays visible."""
    for item in items:
        if "tests/browser/" in str(item.path).replace("\\", "/"):
            item.add_marker(pytest.mark.flaky(reruns=1, reruns_delay=2))
