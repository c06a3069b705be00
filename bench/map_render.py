"""Map renderer bench (issue 15 §5): plotly scattergl against the custom canvas component, same run.

A real server (``components.launch.running_server``) runs a small bench app (written to a temp
folder; it imports the repo's renderer code) and a real headless Chromium (``--disable-gpu``, so
plotly's WebGL runs in software, as on a laptop without a GPU driver) measures, per renderer and size:

* payload: bytes the server sends for the chart (plotly: the figure JSON; canvas: the binary blob);
* rerun → interactive: from clicking the app's "Redraw" button (a rerun that draws new data) until
  the new points are drawn AND hovering a known point shows its hover text.

Hover text is ~80 characters per point (what the Map shows). Plotly must carry it for every point;
the canvas carries it up to ``HOVER_INLINE`` points and fetches it on demand past that.

Usage: python bench/map_render.py [--sizes 20000,100000,200000] [--repeats 3] [--renderers canvas,plotly]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

APP = textwrap.dedent('''
    import sys, time
    sys.path.insert(0, {root!r})
    import numpy as np
    import streamlit as st
    import plotly.graph_objects as go
    from engine.project import payload as pl_
    from components.map_canvas import map_canvas

    st.set_page_config(layout="wide")
    params = st.query_params
    n, renderer = int(params.get("n", 1000)), params.get("r", "canvas")
    seed = st.session_state.setdefault("seed", 0)
    if st.button("Redraw"):
        st.session_state.seed = seed = seed + 1
    rng = np.random.default_rng(seed)
    centres = rng.normal(scale=10, size=(12, 2))
    groups = rng.integers(0, 12, n)
    xy = (centres[groups] + rng.normal(size=(n, 2))).astype(np.float32)
    words = "the quick brown fox jumps over a lazy dog while seven wizards quietly hex bold jumbo zebras"
    hover = [f"item {{i}} · {{words}}"[:80] for i in range(n)]
    names = np.array([f"cluster {{g}}" for g in groups], dtype=object)
    started = time.perf_counter()
    if renderer == "plotly":
        fig = go.Figure()
        for g in range(12):
            mask = groups == g
            fig.add_trace(go.Scattergl(x=xy[mask, 0], y=xy[mask, 1], mode="markers", name=f"cluster {{g}}",
                                       customdata=np.flatnonzero(mask), hovertext=[hover[i] for i in np.flatnonzero(mask)],
                                       hovertemplate="%{{hovertext}}<extra></extra>", marker={{"size": 3}}))
        fig.update_layout(height=640, meta=seed, margin={{"l": 10, "r": 10, "t": 10, "b": 10}})
        size = len(fig.to_json())
        st.plotly_chart(fig, key="chart", on_select="rerun", selection_mode=("points", "box", "lasso"))
    else:
        colour = pl_.category_codes(names)
        blob = pl_.pack_map(x=xy[:, 0], y=xy[:, 1], rows=np.arange(n), colour=colour, hover=hover,
                            view_key=f"seed-{{seed}}")
        size = len(blob)
        map_canvas(blob, key="chart", hover_text=lambda row: hover[row], on_click=lambda row: None,
                   on_select=lambda rows, mode: None)
    st.text(f"payload={{size}} seed={{seed}} build={{time.perf_counter() - started:.3f}}")
''')

PLOTLY_POINT = """([seed]) => {
    const plot = document.querySelector('.js-plotly-plot');
    if (!plot || !plot._fullLayout || plot._fullLayout.meta !== seed || !plot._fullData.length) return null;
    const t = plot._fullData[0], l = plot._fullLayout, box = plot.getBoundingClientRect();
    const k = Math.floor(t.x.length / 2);
    return [box.left + l.xaxis._offset + l.xaxis.l2p(t.x[k]), box.top + l.yaxis._offset + l.yaxis.l2p(t.y[k])];
}"""
CANVAS_POINT = """([seed]) => {
    const hosts = Array.from(document.querySelectorAll('*')).filter(e => e.shadowRoot);
    for (const h of hosts) {
        const root = h.shadowRoot.querySelector('.esm-root');
        if (root && root.__map && root.getAttribute('data-ready') === '1' && root.__map.viewKey === 'seed-' + seed) {
            const p = root.__map.point(Math.floor(root.__map.n / 2));
            return root.__map.toScreen(p.x, p.y);
        }
    }
    return null;
}"""


def measure(page, url: str, renderer: str, n: int, repeats: int) -> dict:
    page.goto(f"{url}/?n={n}&r={renderer}")
    page.get_by_text("payload=").wait_for(timeout=180_000)
    timings = []
    payload = 0
    for _ in range(repeats):
        seed = int(page.get_by_text("payload=").inner_text().split("seed=")[1].split()[0]) + 1
        page.mouse.move(5, 5)
        started = time.perf_counter()
        page.get_by_role("button", name="Redraw").click()
        point = page.wait_for_function(PLOTLY_POINT if renderer == "plotly" else CANVAS_POINT, arg=[seed],
                                       timeout=180_000, polling=20).json_value()
        # hover answers: plotly's hover label, or the canvas tooltip for that row
        for attempt in range(400):
            page.mouse.move(point[0] + (attempt % 2), point[1])
            if renderer == "plotly":
                ok = page.locator(".hoverlayer .hovertext").count() > 0
            else:
                ok = page.evaluate("""() => Array.from(document.querySelectorAll('*')).filter(e => e.shadowRoot)
                    .some(h => { const r = h.shadowRoot.querySelector('.esm-root');
                                 return r && r.hasAttribute('data-hover-row'); })""")
            if ok:
                break
            page.wait_for_timeout(25)
        else:
            raise RuntimeError(f"{renderer} at {n:,}: hover never answered")
        timings.append(time.perf_counter() - started)
        payload = int(page.get_by_text("payload=").inner_text().split("payload=")[1].split()[0])
    return {"renderer": renderer, "n": n, "payload_bytes": payload, "interactive_s": statistics.median(timings),
            "runs": timings}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="20000,100000,200000")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--renderers", default="canvas,plotly")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from components.launch import running_server
    from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS

    results = []
    with tempfile.TemporaryDirectory() as folder:
        app_dir = Path(folder)
        (app_dir / "app.py").write_text(APP.format(root=str(ROOT)))
        with running_server(app_dir / "workspace", app_dir=app_dir, log=app_dir / "server.log", timeout=120) as url, \
                sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            for n in [int(s) for s in args.sizes.split(",")]:
                for renderer in args.renderers.split(","):
                    try:
                        row = measure(page, url, renderer, n, args.repeats)
                    except Exception as exc:  # noqa: BLE001 - a renderer that freezes is a result too
                        row = {"renderer": renderer, "n": n, "error": f"{type(exc).__name__}: {str(exc)[:200]}"}
                    results.append(row)
                    print(json.dumps(row), flush=True)
            browser.close()
    print(f"\nmachine: {os.cpu_count()} cores; load {os.getloadavg()[0]:.1f}")
    print("| renderer | points | payload | rerun → interactive (median) |\n|---|---:|---:|---:|")
    for row in results:
        if "error" in row:
            print(f"| {row['renderer']} | {row['n']:,} | – | {row['error']} |")
        else:
            print(f"| {row['renderer']} | {row['n']:,} | {row['payload_bytes'] / 1e6:.2f} MB | {row['interactive_s']:.2f} s |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
