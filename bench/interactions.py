"""Interaction latency in a real browser: from a user's action to the updated page, per page.

AppTest always reruns the whole script, so only a browser can show what `st.fragment` saves.
One server (``components.launch.running_server``) on the bundled demo corpus (lee-news, 2,617
sentences, minilm-l6 + minilm-l3, default UMAP layout stored: ``bench/cold_start.py``'s
``prepare``, i.e. what `make demo` stores) and Debian's Chromium. Each interaction runs once to warm
(model load, first search index, stored comparison…) and then ``--repeats`` times, alternating
between two values so every repeat changes what is shown.

Three figures per interaction, each from the moment the action is sent:
- ``server``: until Chromium receives Streamlit's ``script_finished`` message (read from the
  websocket, so it includes the transfer of what the rerun wrote);
- ``server CPU``: CPU seconds the server process spent meanwhile (/proc; 10 ms ticks): the work
  itself, which a busy machine does not inflate the way it inflates wall times;
- ``updated``: until the page's DOM last changed, once it has been quiet for 0.6 s (a
  MutationObserver on the whole document, timed in the page), i.e. the updated element is in
  place (Plotly's WebGL canvas paints inside its SVG frame, which mutates);
- ``map redrawn``: the canvas map's own redraw stamp; ``first table in``: until the first table
  (st.dataframe) the rerun wrote reached the page (read from the websocket), e.g. an axis's ends.

    python bench/interactions.py [--repeats 5] [--workspace DIR] [--pages map,search,...]
    python bench/interactions.py --apps before=/tmp/before,after=.   # `git archive <commit>` in /tmp/before
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cold_start import CHROMIUM, LAUNCH_ARGS, prepare  # noqa: E402  (bench/ is on sys.path)
from streamlit_dom import APP_IDLE_JS  # noqa: E402

QUIET_MS = 600
TIMEOUT_MS = 240_000
OBSERVER = """
window.__lastMutation = performance.now();
new MutationObserver(() => { window.__lastMutation = performance.now(); })
  .observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
"""


class Finished:
    """Counts Streamlit's ``script_finished`` messages on the page's websocket (full or fragment runs)."""

    def __init__(self, page) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._message = ForwardMsg
        self.count = 0
        self.last = 0.0
        self.tables: list[float] = []  # when each table (st.dataframe) element arrived on the page
        self._lock = threading.Lock()
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if not isinstance(payload, (bytes, bytearray)):
            return
        msg = self._message()
        try:
            msg.ParseFromString(bytes(payload))
        except Exception:  # not a ForwardMsg (never seen; ignore rather than crash the bench)
            return
        kind = msg.WhichOneof("type")
        if kind == "script_finished":
            with self._lock:
                self.count += 1
                self.last = time.perf_counter()
        elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element" \
                and msg.delta.new_element.WhichOneof("type") == "dataframe":
            with self._lock:
                self.tables.append(time.perf_counter())

    def first_table_since(self, started: float) -> float:
        """Seconds from ``started`` to the first table that arrived after it (NaN: none did)."""
        with self._lock:
            later = [t for t in self.tables if t >= started]
        return min(later) - started if later else float("nan")


def settle(page, finished: Finished, before: int, started: float) -> tuple[float, float]:
    """Wait for the rerun the action caused, then for a quiet DOM; returns (server s, updated s, map
    redrawn s: NaN when no canvas map redrew after the action)."""
    deadline = time.monotonic() + 60
    while finished.count <= before:
        if time.monotonic() > deadline:
            raise TimeoutError("no script_finished after the action (did it change nothing?)")
        page.wait_for_timeout(20)
    # a rerun may chain another (st.rerun, a hand-off): wait until no script runs and the DOM is quiet
    page.wait_for_function(
        f"""() => {APP_IDLE_JS}
                  && performance.now() - window.__lastMutation > {QUIET_MS}""",
        timeout=TIMEOUT_MS, polling=100)
    server = finished.last - started
    start_on_page = page_clock_at(page, started)
    updated = page.evaluate("window.__lastMutation") / 1000 - start_on_page
    # the canvas map stamps each redraw of its points: the updated element itself, not the page's last change
    drawn = page.locator(".esm-root[data-drawn-at]").evaluate_all(  # in the component's shadow root
        "roots => Math.max(-1, ...roots.map(r => parseFloat(r.getAttribute('data-drawn-at'))))")
    map_drawn = drawn / 1000 - start_on_page if drawn > 0 and drawn / 1000 > start_on_page else float("nan")
    return server, max(updated, server), map_drawn


def page_clock_at(page, python_time: float) -> float:
    """The page's performance.now() (in s) at ``python_time`` (perf_counter), via one round trip."""
    before = time.perf_counter()
    now = page.evaluate("performance.now()") / 1000
    after = time.perf_counter()
    return now - ((before + after) / 2 - python_time)


def server_pid(url: str) -> int:
    """The pid of the server listening on ``url``'s port (its command line names the port)."""
    port = url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"--server.port" in argv and argv[argv.index(b"--server.port") + 1].decode() == port:
            return int(entry.name)
    raise RuntimeError(f"no server process for {url}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` so far (all its threads): the work a rerun costs, whatever
    else the machine is doing (wall times on a shared 2-core machine mostly measure the queue)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed(page, finished: Finished, action: Callable[[], None], pid: int
          ) -> tuple[float, float, float, float, float]:
    """(server s, updated s, server CPU s, map redrawn s or NaN, first table in s or NaN) for one action."""
    before = finished.count
    cpu = cpu_seconds(pid)
    started = time.perf_counter()
    action()
    server, updated, map_drawn = settle(page, finished, before, started)
    return server, updated, cpu_seconds(pid) - cpu, map_drawn, finished.first_table_since(started)


def wait_for_app(page) -> None:
    page.wait_for_function(
        f"""() => {APP_IDLE_JS}
                  && performance.now() - window.__lastMutation > {QUIET_MS}""", timeout=TIMEOUT_MS, polling=100)


def pick_option(page, label: str, index: int | None = None, name: str | None = None) -> Callable[[], None]:
    """Open the selectbox labelled ``label`` now; the returned action clicks its option."""
    page.get_by_test_id("stSelectbox").filter(has_text=label).first.click()
    options = page.get_by_role("option")
    option = options.nth(index) if name is None else options.filter(has_text=name).first
    option.wait_for()
    return lambda: option.click()


# -- the interactions, one generator per page: each yields (name, prepare -> action) per repeat ------

CANVAS = ".esm-root[data-ready='1']"  # the canvas map renderer (components/map_canvas)
PLOTLY_READY = "() => document.querySelector('.js-plotly-plot')?._fullLayout?.xaxis"


def _wait_for_map(page) -> str:
    """Which renderer drew the map: "canvas" (this tree) or "plotly" (a checkout from before it). The
    canvas lives in the component's shadow root, which Playwright's locators pierce and
    ``document.querySelector`` does not."""
    page.locator(f"{CANVAS}, .js-plotly-plot .main-svg").first.wait_for(timeout=TIMEOUT_MS)
    return "canvas" if page.locator(CANVAS).count() else "plotly"


def map_interactions(page, url, corpus_id, repeat):
    page.goto(f"{url}/Map?corpus={corpus_id}")
    wait_for_app(page)
    _wait_for_map(page)
    for i in range(repeat):
        yield "Map: change colour", lambda i=i: pick_option(page, "Colour by", index=1 + i % 2)
    page.keyboard.press("Escape")
    for i in range(repeat):
        yield "Map: click a point", lambda i=i: _map_click(page, i)


def _map_click(page, i: int) -> Callable[[], None]:
    if _wait_for_map(page) == "canvas":
        pixel = page.locator(CANVAS).evaluate("""(r, i) => { const m = r.__map, xs = m.xs(), ys = m.ys();
            const j = (37 * (i + 1)) % xs.length; return m.toScreen(xs[j], ys[j]); }""", i)
    else:
        pixel = page.evaluate("""(i) => {
            const plot = document.querySelector('.js-plotly-plot');
            const layout = plot._fullLayout, box = plot.getBoundingClientRect();
            const t = plot._fullData.find(t => t.x && t.x.length > 20);
            const j = (37 * (i + 1)) % t.x.length;
            return [box.left + layout.xaxis._offset + layout.xaxis.l2p(t.x[j]),
                    box.top + layout.yaxis._offset + layout.yaxis.l2p(t.y[j])];
        }""", i)
    page.mouse.move(pixel[0], pixel[1])
    page.wait_for_timeout(300)  # the hover picks the point first

    def click() -> None:
        page.mouse.click(pixel[0], pixel[1])
        page.mouse.move(5, 5)  # away, so no hover label redraws after the rerun
    return click


def search_interactions(page, url, corpus_id, repeat):
    page.goto(f"{url}/Search?corpus={corpus_id}")
    wait_for_app(page)
    queries = ["bushfires near Sydney", "the cricket team won", "interest rates rise", "peace talks in the Middle East"]
    box = page.get_by_role("textbox", name="Query")
    for i in range(repeat + 1):
        def run(i=i):
            box.fill(f"{queries[i % len(queries)]} {i}")  # never the same query twice: no cache hit
            return lambda: box.press("Enter")
        yield ("Search: semantic query" if i else None), run
    for i in range(repeat + 1):
        name = ["Keyword / regex", "Semantic"][i % 2]
        yield ("Search: change mode" if i else None), (lambda name=name: page.get_by_text(name, exact=True).first.click)


def axes_interactions(page, url, corpus_id, repeat):
    page.goto(f"{url}/Axes?corpus={corpus_id}")
    wait_for_app(page)
    page.get_by_role("radio", name="Preset").click()
    wait_for_app(page)
    yield None, lambda: page.get_by_role("button", name="Build axis").click  # first build: model load
    for i in range(repeat):
        def edit(i=i):  # the preset picker sits in a form: picking does not rerun, building does
            pick_option(page, "Preset", index=(i + 1) % 2)()
            return page.get_by_role("button", name="Build axis").click
        yield "Axes: build an axis from another preset", edit
    # a new axis each time, so its stability band is new too (the ends come first: D23)
    page.get_by_role("radio", name="Expression").click()
    wait_for_app(page)
    for i in range(repeat):
        def new_axis(i=i):
            page.locator('input[aria-label="Axis expression"]').fill(NEW_AXES[i % len(NEW_AXES)])
            return page.get_by_role("button", name="Build axis").click
        yield "Axes: build a new axis (a new band)", new_axis


NEW_AXES = ("war - peace", "city - country", "young - old", "rich - poor", "fast - slow", "hot - cold",
            "science - religion", "success - failure", "summer - winter", "health - disease")


def bias_interactions(page, url, corpus_id, repeat):
    page.goto(f"{url}/Bias?corpus={corpus_id}")
    wait_for_app(page)
    page.get_by_role("tab", name="WEAT").click()
    for i in range(repeat + 2):  # two warm-ups: each test embeds its own words once
        yield ("Bias: run another WEAT test" if i > 1 else None), (lambda i=i: pick_option(page, "Test", index=(i + 1) % 2))


def compare_interactions(page, url, corpus_id, repeat):
    page.goto(f"{url}/Compare?corpus={corpus_id}")
    wait_for_app(page)
    box = page.get_by_role("spinbutton", name="k (neighbours)")
    for i in range(repeat + 2):  # two warm-ups: each k's comparison is computed and stored once
        def change_k(i=i):
            box.fill(str(10 + (i + 1) % 2))
            return lambda: box.press("Enter")
        yield ("Compare: change k" if i > 1 else None), change_k
    for i in range(repeat):
        label = ["rank-biased overlap", "Jaccard@k"][i % 2]
        yield "Compare: change measure", (lambda label=label: page.get_by_test_id("stButtonGroup")
                                          .get_by_text(label, exact=True).first.click)


def geometry_interactions(page, url, corpus_id, repeat):
    page.goto(f"{url}/Geometry?corpus={corpus_id}")
    wait_for_app(page)
    for i in range(repeat + 1):
        yield ("Geometry: change model" if i else None), (
            lambda i=i: pick_option(page, "Model for the details below", index=(i + 1) % 2))
    page.get_by_role("tab", name="Redundancy").click()
    wait_for_app(page)
    slider = page.get_by_test_id("stSlider").filter(has_text="Truncate to d components").get_by_role("slider")
    for i in range(repeat):
        def move(i=i):
            slider.focus()
            return lambda: page.keyboard.press("ArrowLeft" if i % 2 == 0 else "ArrowRight")
        yield "Geometry: move a slider", move


PAGES = {"map": map_interactions, "search": search_interactions, "axes": axes_interactions,
         "bias": bias_interactions, "compare": compare_interactions, "geometry": geometry_interactions}


def run(urls: dict[str, str], corpus_id: str, pages: list[str], repeats: int,
        screenshots: Path | None) -> dict[str, dict[str, list]]:
    """Every page's interactions on every server (``urls``: label → URL), the servers alternating page by
    page so that load changes hit them alike; returns label → interaction → [(server s, updated s)]."""
    from playwright.sync_api import sync_playwright

    results: dict[str, dict[str, list[tuple[float, float, float]]]] = {label: {} for label in urls}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        for name in pages:
            for run_label, url in urls.items():
                context = browser.new_context(viewport={"width": 1400, "height": 1000})
                context.set_default_timeout(TIMEOUT_MS)  # a busy machine: a first page can take minutes
                context.add_init_script(OBSERVER)
                page = context.new_page()
                finished = Finished(page)
                pid = server_pid(url)
                for label, prepare_action in PAGES[name](page, url, corpus_id, repeats):
                    action = prepare_action()
                    seconds = timed(page, finished, action, pid)
                    if page.locator("[data-testid='stException']").count():
                        raise RuntimeError(f"{run_label}: {label or name}: the page shows an exception")
                    if label:
                        results[run_label].setdefault(label, []).append(seconds)
                        print(f"  {run_label} · {label}: server {seconds[0] * 1000:.0f} ms, "
                              f"updated {seconds[1] * 1000:.0f} ms, server CPU {seconds[2] * 1000:.0f} ms, "
                              f"map redrawn {seconds[3] * 1000:.0f} ms, first table {seconds[4] * 1000:.0f} ms", file=sys.stderr, flush=True)
                if screenshots:
                    screenshots.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(screenshots / f"interactions-{run_label}-{name}.png"), full_page=True)
                context.close()
        browser.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="Measured repeats per interaction (medians shown).")
    parser.add_argument("--workspace", type=Path, default=Path(tempfile.gettempdir()) / "embedscape-bench-cold",
                        help="Workspace prepared like `make demo` (reused when ready; shared with cold_start.py).")
    parser.add_argument("--pages", default=",".join(PAGES), help=f"Comma-separated, of: {', '.join(PAGES)}.")
    parser.add_argument("--label", default="", help="A name for this checkout's column in the table.")
    parser.add_argument("--apps", default="", help="Compare checkouts, alternating page by page: "
                        "LABEL=DIR,LABEL=DIR (e.g. before=/tmp/before,after=.); default: this checkout only.")
    parser.add_argument("--screenshots", type=Path, default=None, help="Save one screenshot per page here.")
    parser.add_argument("--rows", type=int, default=0,
                        help="Instead of the demo, a synthetic corpus of this many items (bench/crossfilter.py's: "
                             "clustered 384-d vectors stored as MiniLM-L6's and -L3's, a stored layout for each; "
                             "queries and axis poles are embedded by the real models). For the 100k target.")
    args = parser.parse_args()

    import contextlib

    from components.launch import running_server
    from engine.store import Store

    if args.rows:
        from crossfilter import prepare as prepare_synthetic

        if args.workspace == parser.get_default("workspace"):
            args.workspace = Path(tempfile.gettempdir()) / f"embedscape-bench-synthetic-{args.rows}"
        name = f"crossfilter-bench-{args.rows}"
        known = [c["corpus_id"] for c in Store(args.workspace).list_corpora() if c.get("name") == name]
        corpus_id = known[0] if known else prepare_synthetic(args.workspace, args.rows,
                                                             models=("minilm-l6", "minilm-l3"))
    else:
        prepare(args.workspace)
        corpus_id = next(c["corpus_id"] for c in Store(args.workspace).list_corpora() if c.get("name") == "lee-news")
    pages = [p for p in args.pages.split(",") if p]
    apps = dict(pair.split("=", 1) for pair in args.apps.split(",")) if args.apps else {args.label or "this": str(ROOT)}
    loads = [os.getloadavg()[0]]
    with contextlib.ExitStack() as servers:
        urls = {label: servers.enter_context(running_server(args.workspace, app_dir=Path(path).resolve(), timeout=120))
                for label, path in apps.items()}
        results = run(urls, corpus_id, pages, args.repeats, args.screenshots)
    loads.append(os.getloadavg()[0])
    print(f"\n# bench/interactions.py · {time.strftime('%Y-%m-%d %H:%M')} · {platform.machine()}, "
          f"{os.cpu_count()} cores · load average {loads[0]:.1f} → {loads[1]:.1f} · medians of {args.repeats}"
          f" · {f'synthetic corpus of {args.rows:,} items' if args.rows else 'demo corpus lee-news (2,617 items)'}"
          f" · {', '.join(f'{k} = {v}' for k, v in apps.items())}\n")
    labels = list(apps)
    print("| interaction | " + " | ".join(f"{k}: server done (ms) | {k}: map redrawn (ms) | {k}: first table in (ms) | "
                                         f"{k}: page quiet (ms) | {k}: server CPU (ms)" for k in labels)
          + " | runs, page quiet (ms) |")
    print("|---|" + "---:|---:|---:|---:|---:|" * len(labels) + "---|")
    for interaction in dict.fromkeys(i for k in labels for i in results[k]):
        cells, runs = [], []
        for k in labels:
            measured = results[k].get(interaction, [])
            drawn = [r[3] for r in measured if r[3] == r[3]]  # NaN: no map redrew
            tables = [r[4] for r in measured if r[4] == r[4]]  # NaN: no table arrived
            cells.append(f"{statistics.median(r[0] for r in measured) * 1000:.0f} | "
                         f"{format(statistics.median(drawn) * 1000, '.0f') if drawn else '–'} | "
                         f"{format(statistics.median(tables) * 1000, '.0f') if tables else '–'} | "
                         f"{statistics.median(r[1] for r in measured) * 1000:.0f} | "
                         f"{statistics.median(r[2] for r in measured) * 1000:.0f}" if measured else "– | – | – | – | –")
            runs.append(f"{k}: " + ", ".join(format(r[1] * 1000, ".0f") for r in measured))
        print(f"| {interaction} | {' | '.join(cells)} | {'; '.join(runs)} |")

if __name__ == "__main__":
    main()
