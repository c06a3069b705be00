"""Cold start: seconds from a fresh server's first healthy `/_stcore/health` to the Map's first
drawn chart, in Chromium, on a workspace where `make run`'s set-up has completed.

"Script done" = the Map's clusters expander (written after the chart) has arrived: the server's
part; the rest is Chromium loading plotly.js and drawing (software WebGL in headless Chromium).
Two ways of starting the same app, alternated, fresh process each time:
- ``plain``: ``streamlit run app.py`` (how `make run` started the app before issue 15 §2): the
  first visitor's request pays the imports;
- ``launch``: ``python -m components.launch run app.py`` (`make run` now): imports before the
  server answers, torch/umap warmed in a background thread.
``--app-dir`` runs the ``plain`` start from another checkout (e.g. the commit before the change,
``git worktree add /tmp/before <commit>``) to measure the real "before".

The workspace is prepared once, exactly as `make demo` does (lee-news embedded with minilm-l6
and minilm-l3, default UMAP layout and clusters stored), in ``--workspace`` (reused when ready).

    python bench/cold_start.py [--runs 3] [--workspace DIR] [--app-dir DIR]
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--disable-dev-shm-usage"]
sys.path.insert(0, str(ROOT))


def prepare(workspace: Path) -> None:
    """`make demo` for the default corpus only (idempotent: cache hits when already done)."""
    env = {**os.environ, "EMBEDSCAPE_HOME": str(workspace), "HF_HUB_OFFLINE": "1"}
    for args in (["demo", "--corpora", "lee-news", "--models", "minilm-l6,minilm-l3"],
                 ["project", "demo:lee-news", "--models", "minilm-l6,minilm-l3", "--method", "umap"]):
        subprocess.run([sys.executable, "-m", "engine", *args], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)


def one_start(browser, how: tuple[str, ...], app_dir: Path, workspace: Path) -> dict[str, float]:
    from components.launch import running_server

    started = time.perf_counter()
    with running_server(workspace, how=how, app_dir=app_dir, timeout=120) as url:
        healthy = time.perf_counter()
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.goto(f"{url}/Map")
        page.get_by_text("Clusters · ").first.wait_for(timeout=180_000)  # written after the chart: the script is done
        script_done = time.perf_counter()
        page.wait_for_selector(".esm-root[data-ready='1'], [data-testid='stPlotlyChart'] .js-plotly-plot .main-svg",
                               timeout=180_000)  # the canvas renderer, or plotly in a checkout from before it
        drawn = time.perf_counter()
        if page.locator("[data-testid='stException']").count():
            raise RuntimeError("the Map showed an exception box")
        context.close()
    return {"to_health": healthy - started, "health_to_script": script_done - healthy, "health_to_map": drawn - healthy}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Fresh starts per mode (medians reported).")
    parser.add_argument("--workspace", type=Path, default=Path(tempfile.gettempdir()) / "embedscape-bench-cold",
                        help="Workspace prepared like `make demo` (reused when ready).")
    parser.add_argument("--app-dir", type=Path, default=ROOT,
                        help="Checkout whose app the `plain` mode starts (default: this one).")
    parser.add_argument("--modes", default="plain,launch", help="Comma-separated: plain, launch.")
    args = parser.parse_args()

    prepare(args.workspace)
    from playwright.sync_api import sync_playwright

    from components.launch import LAUNCH, PLAIN

    how = {"plain": PLAIN, "launch": LAUNCH}
    modes = [m for m in args.modes.split(",") if m]
    results: dict[str, list[dict[str, float]]] = {m: [] for m in modes}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        for _ in range(args.runs):
            for mode in modes:  # alternated, so load changes hit both alike
                app_dir = args.app_dir if mode == "plain" else ROOT
                results[mode].append(one_start(browser, how[mode], app_dir, args.workspace))
        browser.close()
    load = os.getloadavg()[0]
    print(f"# bench/cold_start.py · {time.strftime('%Y-%m-%d %H:%M')} · {platform.machine()}, {os.cpu_count()} cores"
          f" · load average {load:.1f} at the end · medians of {args.runs} fresh starts\n")
    print("| start | process start → health ok (s) | health ok → Map script done (s) | health ok → first Map drawn (s) "
          "| runs (health → drawn) |")
    print("|---|---:|---:|---:|---|")
    for mode in modes:
        runs = results[mode]
        label = f"{mode} ({args.app_dir})" if mode == "plain" and args.app_dir != ROOT else mode
        print(f"| {label} | {statistics.median(r['to_health'] for r in runs):.1f} | "
              f"{statistics.median(r['health_to_script'] for r in runs):.1f} | "
              f"{statistics.median(r['health_to_map'] for r in runs):.1f} | "
              f"{', '.join(format(r['health_to_map'], '.1f') for r in runs)} |")


if __name__ == "__main__":
    main()
