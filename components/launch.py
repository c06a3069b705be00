"""``python -m components.launch run app.py [streamlit options]``: `streamlit run`, warmed first.

`make run` starts the app this way. The heavy libraries are imported before the server starts
(so before it answers its health check), and the slow extras (torch, sentence-transformers,
umap and numba's compiled code) are paid in a background thread, never in the first visitor's
request. Plain ``streamlit run app.py`` still works: the first page imports the same libraries
safely (``components/__init__.py``), it just pays them in that first request.
"""
from __future__ import annotations

import sys

from engine import warmup


def main(argv: list[str] | None = None) -> int:
    warmup.import_core()  # already done by importing the `components` package
    warmup.start_background()
    _prepare_hosting()
    seconds = warmup.report()["core_seconds"] or 0.0
    print(f"embedscape: libraries imported ({seconds:.1f} s); models and UMAP warm up in the background",
          file=sys.stderr, flush=True)
    from streamlit.web import cli

    args = list(sys.argv[1:] if argv is None else argv)
    sys.argv = ["streamlit", *args[:2], *_hosting_flags(), *args[2:]]  # the command line's own options win
    return cli.main()


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


if __name__ == "__main__":
    sys.exit(main())
