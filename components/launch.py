"""``python -m components.launch run app.py [streamlit options]``: `streamlit run`, warmed first.

`make run` starts the app this way. The heavy libraries are imported before the server starts
(so before it answers its health check), and the slow extras (torch, sentence-transformers,
umap and numba's compiled code) are paid in a background thread, never in the first visitor's
request. Plain ``streamlit run app.py`` still works: the first page imports the same libraries
safely (``components/__init__.py``), it just pays them in that first request.
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path

from engine import warmup

ROOT = Path(__file__).resolve().parents[1]
PLAIN = ("-m", "streamlit", "run")  # `streamlit run`
LAUNCH = ("-m", "components.launch", "run")  # what `make run` uses


def main(argv: list[str] | None = None) -> int:
    warmup.import_core()  # already done by importing the `components` package
    app_seconds = warm_app()
    warmup.start_background()
    _prepare_hosting()
    seconds = warmup.report()["core_seconds"] or 0.0
    print(f"embedscape: libraries imported ({seconds:.1f} s), the app's own modules and chart code "
          f"({app_seconds:.1f} s); torch, sentence-transformers and UMAP warm up "
          "in the background once the first page is served",
          file=sys.stderr, flush=True)
    from streamlit.web import cli

    args = list(sys.argv[1:] if argv is None else argv)
    sys.argv = ["streamlit", *args[:2], *_hosting_flags(), *args[2:]]  # the command line's own options win
    return cli.main()


def warm_app() -> float:
    """Import every page's modules (components.*, and through them engine.*) and run the chart and table
    code paths once (plotly loads a trace type's classes on its first figure; pyarrow its pandas
    bridge on the first table); returns the seconds taken. Called before the server answers, so the
    first visitor's page does not pay them (issue 15 §2: measured ~2 s of a loaded machine's first Map)."""
    import importlib
    import pkgutil

    import components

    started = time.perf_counter()
    for module in pkgutil.iter_modules(components.__path__):
        if module.name != "launch":
            importlib.import_module(f"components.{module.name}")
    import pandas as pd
    import plotly.graph_objects as go
    import plotly.io
    import pyarrow as pa
    import streamlit.material_icon_names  # noqa: F401  (the sidebar's page icons)

    figure = go.Figure([go.Scattergl(x=[0.0, 1.0], y=[0.0, 1.0], mode="markers", marker={"color": [0, 1]}),
                        go.Scatter(x=[0.0], y=[0.0]), go.Histogram(x=[0.0]), go.Bar(x=[0], y=[0])])
    figure.update_layout(xaxis={"title": {"text": "x"}}, yaxis={"title": {"text": "y"}}, legend={"font": {"size": 9}},
                         annotations=[{"text": "a", "x": 0, "y": 0}], hoverlabel={"bgcolor": "white"},
                         margin={"l": 0})
    plotly.io.to_json(go.Figure(figure.to_dict()), validate=False)
    pa.Table.from_pandas(pd.DataFrame({"a": [1], "b": ["x"]}))
    warmup.freeze_heap()  # the app's own modules are now imported too
    return time.perf_counter() - started


def _prepare_hosting() -> None:
    """Crash debris cleaned, idle visitors expired and (demo mode) demo corpora ready before serving."""
    from engine.config import Settings
    from engine.hosting import startup
    from engine.store import Store

    done = startup(Store.open_default().root, Settings.from_env())
    print(f"embedscape: start-up {done}", file=sys.stderr, flush=True)


def _hosting_flags() -> list[str]:
    from engine.config import Settings, streamlit_flags

    return streamlit_flags(Settings.from_env())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(workspace: Path, *, how: Sequence[str] = PLAIN, app_dir: Path = ROOT, port: int | None = None,
                   log: Path | None = None, timeout: float = 60) -> Iterator[str]:
    """A headless app server in a subprocess (tests, bench scripts): ``python <how> app.py`` on
    ``port`` (default: a free one) on localhost with ``workspace``, file watcher off. Yields the
    base URL once `/_stcore/health` answers; always stops the server."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "EMBEDSCAPE_HOME": str(workspace), "HF_HUB_OFFLINE": "1"}
    out = open(log, "w") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [sys.executable, *how, str(app_dir / "app.py"), "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=app_dir, env=env, stdout=out, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the app server did not become healthy; see {log or 'its output'}") from None
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            out.close()  # type: ignore[union-attr]


if __name__ == "__main__":
    sys.exit(main())
