"""Load test of the hosted demo: N headless Chromium visitors at once, loopback only, bounded.

    python bench/load.py                 # 20 visitors (the issue's figure); about 5-10 min on 2 cores
    python bench/load.py --sessions 5    # the reduced form tests/browser/test_demo_browser.py runs

A fresh workspace gets one small demo corpus (300 Lee news sentences, MiniLM-L3, its UMAP map
stored), then `streamlit run` starts in demo mode (EMBEDSCAPE_MODE=demo, one job slot) on a free
127.0.0.1 port. Each visitor is its own browser context (its own visitor token) and runs
Home → Map → Search (a query) → Axes (builds the default preset axis) by clicking the sidebar, as a
person would. Recorded: per-session
success and per-step latency, and the server's resident memory (from /proc) before, at its peak
during, and after the sessions closed (sampled until it levels off). Asserts every session
completed and memory levelled off (the last samples within 5% of each other). Writes a JSON
summary (``--out``) and prints a Markdown table for docs/reliability.md.
"""
from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.streamlit_dom import APP_IDLE  # noqa: E402  (the project root is on sys.path)

CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage"]
DEMO_MODEL = "minilm-l3"
STEP_TIMEOUT_MS = 240_000
ARRIVAL_SECONDS = 0.5  # a busy 2-core machine: one step may wait its turn in the job queue


def prepare_workspace(root: Path) -> str:
    """A workspace holding one small embedded demo corpus with its default map stored; returns its id."""
    from engine.cli import main as engine_main
    from engine.demo import lee_news
    from engine.embed import embed_corpus
    from engine.store import Store

    store = Store(root)
    corpus, report = lee_news(limit=300)
    store.save_corpus(corpus, report)
    embed_corpus(corpus, DEMO_MODEL, store=store)
    code = engine_main(["--workspace", str(root), "project", corpus.corpus_id, "--models", DEMO_MODEL, "--method", "umap"])
    assert code == 0, "could not store the demo corpus's map"
    return corpus.corpus_id


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def demo_env(workspace: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, "EMBEDSCAPE_HOME": str(workspace), "HF_HUB_OFFLINE": "1", "EMBEDSCAPE_MODE": "demo",
            "EMBEDSCAPE_ALLOWED_MODELS": DEMO_MODEL, "TOKENIZERS_PARALLELISM": "false", **extra}


@contextlib.contextmanager
def demo_server(workspace: Path, *, log: Path | None = None, **env: str) -> Iterator[tuple[str, int]]:
    """`streamlit run app.py` in demo mode on a free loopback port; yields (url, pid), always stops it."""
    from engine.config import Settings, streamlit_flags

    port = _free_port()
    environment = demo_env(workspace, **env)
    old = dict(os.environ)
    os.environ.update(environment)
    try:
        flags = streamlit_flags(Settings.from_env())
    finally:
        os.environ.clear()
        os.environ.update(old)
    out = open(log or Path(tempfile.gettempdir()) / f"embedscape-demo-{port}.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), *flags, "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            with contextlib.suppress(OSError):
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            time.sleep(0.3)
        else:
            raise RuntimeError(f"the demo server did not become healthy; see {out.name}")
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        out.close()


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wait_for_app(page, timeout: float = STEP_TIMEOUT_MS) -> None:
    await page.wait_for_selector(APP_IDLE, timeout=timeout)


async def _open_page(page, label: str) -> None:
    await page.get_by_test_id("stSidebar").get_by_role("link", name=label).click()
    await wait_for_app(page)


async def visit(browser, url: str, *, delay: float = 0.0) -> dict[str, object]:
    """One visitor (its own browser context): Home → Map → Search → Axes; per-step seconds, or where it failed."""
    import asyncio

    steps: dict[str, float] = {}
    result: dict[str, object] = {"ok": False, "steps": steps}
    await asyncio.sleep(delay)
    context = await browser.new_context(viewport={"width": 1300, "height": 900})
    context.set_default_timeout(STEP_TIMEOUT_MS)
    context.set_default_navigation_timeout(STEP_TIMEOUT_MS)  # 20 tabs fetching the app's scripts at once
    page = await context.new_page()
    step = "home"
    try:
        start = time.perf_counter()
        await page.goto(url, wait_until="domcontentloaded")
        await wait_for_app(page)
        await page.get_by_role("heading", name="Embedscape").first.wait_for(timeout=STEP_TIMEOUT_MS)
        steps["home"] = time.perf_counter() - start
        step, start = "map", time.perf_counter()
        await _open_page(page, "Map")
        await page.locator(".esm-root[data-ready='1'], [data-testid='stPlotlyChart']").first.wait_for(timeout=STEP_TIMEOUT_MS)
        steps["map"] = time.perf_counter() - start
        step, start = "search", time.perf_counter()
        await _open_page(page, "Search")
        box = page.get_by_role("textbox", name="Query")
        await box.fill("bushfires near Sydney")
        await box.press("Enter")
        await page.get_by_text("hits ready for the map", exact=False).first.wait_for(timeout=STEP_TIMEOUT_MS)
        steps["search"] = time.perf_counter() - start
        step, start = "axes", time.perf_counter()
        await _open_page(page, "Axes")
        await page.get_by_role("button", name="Build axis").click(timeout=STEP_TIMEOUT_MS)  # the default preset
        await page.get_by_text("Toward", exact=False).first.wait_for(timeout=STEP_TIMEOUT_MS)
        await wait_for_app(page)
        steps["axes"] = time.perf_counter() - start
        result["ok"] = True
    except Exception as exc:  # recorded, not raised: the summary counts failures
        result["failed_at"], result["error"] = step, f"{type(exc).__name__}: {str(exc)[:300]}"
        shot = Path(tempfile.gettempdir()) / f"embedscape-load-failed-{id(page)}.png"
        with contextlib.suppress(Exception):
            await page.screenshot(path=str(shot), full_page=True)
            result["screenshot"] = str(shot)
    finally:
        result["seconds"] = sum(steps.values())
        await context.close()
    return result


async def visit_all(url: str, sessions: int) -> list[dict[str, object]]:
    """``sessions`` visitors at once in one headless Chromium (one context each: separate cookies, tokens)."""
    import asyncio

    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=BROWSER_ARGS)
        try:
            # Arrivals spread over a few seconds (ARRIVAL_SECONDS apart), all visiting at the same time.
            results = await asyncio.gather(*(visit(browser, url, delay=i * ARRIVAL_SECONDS) for i in range(sessions)))
        finally:
            await browser.close()
    return [{"session": index, **result} for index, result in enumerate(results)]


def levelled_off(samples: list[float], *, window: int = 4, tolerance: float = 0.05) -> bool:
    """The last ``window`` samples lie within ``tolerance`` (relative) of each other."""
    tail = samples[-window:]
    return len(tail) == window and (max(tail) - min(tail)) <= tolerance * max(tail)


def run(sessions: int, *, workspace: Path, settle_seconds: float = 60.0, prepare: bool = True,
        server: tuple[str, int] | None = None) -> dict[str, object]:
    """Prepare (unless done), serve, visit with ``sessions`` browsers at once, and measure; returns the summary.

    ``server`` (url, pid): a demo-mode server already running on ``workspace`` (the browser tests'
    session server) instead of a fresh one; memory is then measured from where that server stands.
    """
    import asyncio

    if prepare:
        prepare_workspace(workspace)
    with contextlib.nullcontext(server) if server else demo_server(workspace) as (url, pid):
        with contextlib.suppress(Exception):  # a first request imports the app; baseline is after it
            urllib.request.urlopen(url, timeout=30).read()
        time.sleep(2)
        before = rss_mb(pid)
        peak = [before]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                with contextlib.suppress(OSError):
                    peak.append(rss_mb(pid))
                stop.wait(0.5)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        # Its own thread and event loop: the caller may already run one (pytest's sync Playwright fixture).
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            results = pool.submit(asyncio.run, visit_all(url, sessions)).result()
        wall = time.perf_counter() - started
        stop.set()
        sampler.join()
        after: list[float] = []
        deadline = time.time() + settle_seconds
        while time.time() < deadline:  # sessions closed: sample until memory stops moving
            after.append(rss_mb(pid))
            if levelled_off(after):
                break
            time.sleep(2)
    ok = [r for r in results if r["ok"]]
    per_step = {step: statistics.median(r["steps"][step] for r in ok) for step in ("home", "map", "search", "axes")} \
        if ok else {}
    return {
        "sessions": sessions, "completed": len(ok), "wall_seconds": round(wall, 1),
        "session_seconds": sorted(round(float(r["seconds"]), 1) for r in ok),
        "median_step_seconds": {k: round(v, 1) for k, v in per_step.items()},
        "rss_mb": {"before": round(before, 1), "peak": round(max(peak), 1), "after": round(after[-1], 1)},
        "after_samples_mb": [round(v, 1) for v in after], "levelled_off": levelled_off(after),
        "failures": [{k: r.get(k) for k in ("session", "failed_at", "error", "screenshot")} for r in results if not r["ok"]],
    }


def markdown(summary: dict[str, object]) -> str:
    rss = summary["rss_mb"]
    times = summary["session_seconds"] or [0]
    return (f"| {summary['sessions']} | {summary['completed']} | {min(times)}–{max(times)} s | "
            f"{summary['median_step_seconds']} | {rss['before']} → {rss['peak']} → {rss['after']} MB | "
            f"{'yes' if summary['levelled_off'] else 'no'} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20, help="Concurrent browser visitors (default 20).")
    parser.add_argument("--out", type=Path, help="Write the JSON summary here.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="embedscape-load-") as workspace:
        summary = run(args.sessions, workspace=Path(workspace))
    print(json.dumps(summary, indent=2))
    print("| sessions | completed | session time | median step s | server RSS before → peak → after | levels off |")
    print(markdown(summary))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2))
    assert summary["completed"] == args.sessions, summary["failures"]
    assert summary["levelled_off"], summary["after_samples_mb"]
    return 0


if __name__ == "__main__":
    sys.exit(main())
