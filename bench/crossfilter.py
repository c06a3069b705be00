"""The Map's interaction latency with the linked metadata charts on, against the plain map, in one run.

    python bench/crossfilter.py                  # 20,000 items, 5 repeats per case
    python bench/crossfilter.py --rows 100000

A fresh workspace gets a synthetic corpus (texts, clustered 384-d unit vectors stored as MiniLM-L3's,
a score, a year, a kind and a date column) and a stored 2-D layout (synthetic: no UMAP is run), then
one `streamlit run` serves it. In one browser session the bench alternates the Map's "Colour by"
(a real map rerun) with the linked charts off (the plain map) and on, and times a brush on the
`score` histogram until the map's status line reports the new count. Each time runs from the action
to the page's last change of the rerun. Also timed in process: the facet
counts alone (engine.facets) for the same filter. Prints a Markdown table for docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.streamlit_dom import APP_IDLE, APP_IDLE_JS  # noqa: E402  (the project root is on sys.path)

MODEL = "minilm-l3"
STATUS = ".st-key-crossfilter_status"
QUIET_MS = 400  # a rerun is over when the page has not changed for this long
WATCH = """() => { window.__last = performance.now();
  new MutationObserver(() => { window.__last = performance.now(); })
  .observe(document.body, {childList: true, subtree: true, attributes: true, characterData: true}); }"""


def prepare(root: Path, rows: int, seed: int = 0, models: tuple[str, ...] = (MODEL,)) -> str:
    """A workspace with the synthetic corpus, its vectors and a stored default (UMAP 2-D) layout, for
    each of ``models`` (each model's vectors and layout differ: another noise draw)."""
    import datetime as dt

    from engine.corpus.build import corpus_from_texts
    from engine.models import resolve_model
    from engine.project import ProjectionSpec
    from engine.project.spec import Projection, request_key
    from engine.project.storage import save_projection
    from engine.store import Store
    from engine.types import Embeddings

    rng = np.random.default_rng(seed)
    clusters = rng.integers(0, 40, rows)
    words = np.array(["river", "stone", "light", "market", "engine", "winter", "garden", "signal", "harbour", "paper",
                      "forest", "copper"])
    texts = [" ".join(rng.choice(words, 8)) + f" {c}" for c in clusters]
    start = dt.date(2015, 1, 1)
    metadata = {"score": rng.normal(clusters / 10, 1.0).round(3).tolist(),
                "year": rng.integers(1980, 2025, rows).tolist(),
                "kind": [f"kind-{k}" for k in rng.integers(0, 20, rows)],
                "published": [(start + dt.timedelta(days=int(d))).isoformat() for d in rng.integers(0, 3000, rows)]}
    corpus, report = corpus_from_texts(texts, name=f"crossfilter-bench-{rows}", metadata=metadata)
    store = Store(root)
    store.save_corpus(corpus, report)
    centres = rng.normal(size=(40, 384)).astype(np.float32)
    spec = ProjectionSpec()
    for model in models:
        vectors = centres[clusters] + 0.4 * rng.normal(size=(rows, 384)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        valid = np.ones(rows, dtype=bool)
        store.save_embeddings(corpus.corpus_id, resolve_model(model), vectors, valid)
        embeddings = Embeddings(corpus.corpus_id, model, vectors, valid)
        params, key = request_key(embeddings, method="umap", dims=2, n_neighbors=spec.n_neighbors,
                                  min_dist=spec.min_dist, metric=spec.metric, seed=spec.seed)
        layout = (rng.normal(size=(40, 2)) * 8)[clusters] + rng.normal(size=(rows, 2))
        save_projection(store, Projection(corpus.corpus_id, model, "umap", 2, params, spec.seed,
                                          layout.astype(np.float32), key=key))
    return corpus.corpus_id


def timed(page, action) -> float:
    """Seconds from ``action()`` to the page's last change before it stays still for QUIET_MS (Streamlit's
    running indicator does not show for short reruns, so the page's own mutations mark the end)."""
    page.wait_for_function(f"() => performance.now() - window.__last > {QUIET_MS}", timeout=600_000)
    started = page.evaluate("() => performance.now()")
    action()
    page.wait_for_function(f"() => window.__last > {started} + 50 && performance.now() - window.__last > {QUIET_MS} "
                           f"&& {APP_IDLE_JS}", timeout=600_000)
    return (page.evaluate("() => window.__last") - started) / 1000


def colour_by(page, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text="Colour by").locator("input").click()
    page.keyboard.type(option)  # the selectbox filters its options as one types
    page.keyboard.press("Enter")


def brush(page, chart_index: int, left: float, right: float) -> None:
    box = page.get_by_test_id("stVegaLiteChart").nth(chart_index).bounding_box()
    y = box["y"] + box["height"] * 0.55
    page.mouse.move(box["x"] + box["width"] * left, y)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * right, y, steps=6)
    page.mouse.up()


def facet_seconds(root: Path, corpus_id: str, repeats: int) -> float:
    from engine.facets import condition_masks, facet_counts, plan_facets
    from engine.filters import Filter, MetadataFilter
    from engine.store import Store

    corpus = Store(root).load_corpus(corpus_id)
    plans = plan_facets(corpus)
    value = Filter((MetadataFilter("score", low=0.5, high=2.0), MetadataFilter("kind", values=("kind-1", "kind-2"))))
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        facet_counts(plans, *condition_masks(corpus, value))
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(rows: int, repeats: int, screenshot: str | None = None) -> list[tuple[str, float]]:
    from playwright.sync_api import sync_playwright

    from components.launch import PLAIN, free_port, running_server
    from tests.browser.conftest import CHROMIUM, LAUNCH_ARGS

    root = Path(tempfile.mkdtemp(prefix="embedscape-crossfilter-bench-"))
    corpus_id = prepare(root, rows)
    results = []
    with running_server(root, how=PLAIN, port=free_port(), log=root / "server.log") as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.goto(f"{url}/Map?corpus={corpus_id}")
        page.locator(STATUS).wait_for(timeout=600_000)  # the first load clusters the layout once
        page.wait_for_selector(APP_IDLE, timeout=600_000)
        page.evaluate(WATCH)
        toggle = page.get_by_test_id("stCheckbox").filter(has_text="Linked metadata charts")
        cases: dict[str, list[float]] = {"plain map: colour-by rerun": [], "map + linked charts: colour-by rerun": [],
                                         "brush a histogram → map and charts updated": []}
        for repeat in range(repeats + 1):  # the first round warms caches and is dropped
            for charts_on, name in ((False, "plain map: colour-by rerun"), (True, "map + linked charts: colour-by rerun")):
                is_on = page.get_by_role("switch", name="Linked metadata charts").is_checked()
                if is_on != charts_on:
                    timed(page, lambda: toggle.click())
                for option in ("kind", "Cluster"):
                    seconds = timed(page, lambda option=option: colour_by(page, option))
                    if repeat:
                        cases[name].append(seconds)
            page.get_by_test_id("stVegaLiteChart").nth(0).scroll_into_view_if_needed()
            seconds = timed(page, lambda repeat=repeat: brush(page, 0, 0.3 + 0.02 * repeat, 0.6))
            if repeat:
                cases["brush a histogram → map and charts updated"].append(seconds)
        if screenshot:
            page.screenshot(path=screenshot, full_page=True)
        browser.close()
    for name, values in cases.items():
        results.append((name, statistics.median(values)))
    results.append(("facet counts alone (engine, in process)", facet_seconds(root, corpus_id, repeats)))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--screenshot", help="save a full-page screenshot of the Map (after the brushes) here")
    args = parser.parse_args()
    results = run(args.rows, args.repeats, args.screenshot)
    print(f"\n| {args.rows:,} items (median of {args.repeats}) | seconds |\n|---|---:|")
    for name, seconds in results:
        print(f"| {name} | {seconds:.3f} |")


if __name__ == "__main__":
    main()
