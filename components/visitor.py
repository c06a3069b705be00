"""Who the visitor is, what they may touch, and the work that ends with them (hosted demo, issue 12).

In local mode everything here is a no-op: one user, one workspace, no queue.

In demo mode (``EMBEDSCAPE_MODE=demo``):

- **Identity.** A visitor is a server-issued random token (engine.visitors). It is read from the
  cookie ``embedscape_visitor`` if a reverse proxy sets one, else from the page URL
  (``?visitor=``), else issued now and written into the URL, so a reload keeps the visitor's
  work. The token is a bearer credential: whoever has it *is* that visitor. It lives as long as
  the visitor's area: ``EMBEDSCAPE_VISITOR_IDLE_HOURS`` (24 h) after the last visit it is
  deleted with everything in it. To give a corpus to someone, use Home's Share button
  (``?share=``), never the address bar.
- **Scope.** :func:`scoped` turns the workspace into the visitor's view (VisitorStore).
- **Work.** Each browser session owns a :class:`engine.jobs.WorkContext` held by a session-scoped
  ``st.cache_resource`` whose ``on_release`` sets its cancel event. Streamlit releases it when the
  tab's websocket closes (Streamlit 1.67 clears session caches at disconnect, before
  ``server.disconnectedSessionTTL``), so a closed tab's parsing, embedding or queued job stops at
  its next check (one batch or one budget charge: well under a second).
"""
from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import streamlit as st

from engine import jobs
from engine.config import Settings
from engine.errors import StoreError
from engine.store import Store

COOKIE = "embedscape_visitor"
QUERY = "visitor"
SHARE_QUERY = "share"
_TOKEN_KEY = "_visitor_token"  # session_state: the visitor's token (demo mode)
_EXPIRY_EVERY_SECONDS = 600.0
_TOUCH_EVERY_SECONDS = 60.0
_last_expiry = [0.0]
_expiry_lock = threading.Lock()


def settings() -> Settings:
    return Settings.from_env()


def token() -> str | None:
    """The visitor's token in demo mode (issued on the first call of a session), else None."""
    if not settings().demo:
        return None
    from engine.visitors import new_token, valid_token

    current = st.session_state.get(_TOKEN_KEY)
    if not valid_token(current):
        with contextlib.suppress(Exception):  # st.context needs a live request
            current = st.context.cookies.get(COOKIE)
        if not valid_token(current):
            current = st.query_params.get(QUERY)
        if not valid_token(current):
            current = new_token()
        st.session_state[_TOKEN_KEY] = current
    return current


def scoped(workspace: Store) -> Store:
    """The workspace as the current visitor may see it (the whole workspace in local mode)."""
    if not settings().demo:
        return workspace
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx() is None:  # a background thread has no visitor: it gets nothing
        raise StoreError("No visitor in this thread; the demo's store is only opened from a page.")
    return workspace.for_visitor(token())


def _release(context: jobs.WorkContext) -> None:
    context.cancel.set()  # thread-safe; the job notices at its next check


@st.cache_resource(scope="session", on_release=_release, show_spinner=False)
def _session_work() -> jobs.WorkContext:
    return jobs.WorkContext()


def frame() -> None:
    """Called by every page first (through sidebar_context): bind this run to its visitor."""
    if not settings().demo:
        return
    from components import resources as res

    visitor = token()
    if st.query_params.get(QUERY) != visitor:
        st.query_params[QUERY] = visitor  # a reload (a new session) finds the same visitor
    context = _session_work()
    top = st.empty()  # where a cached heavy job (map, index) shows its place in the queue
    context.report = lambda position, running: _show_position(top, position, running)
    jobs.bind(context)
    store = res.store()
    if time.time() - float(store.usage().get("last_seen", 0.0)) > _TOUCH_EVERY_SECONDS:
        store.touch()  # not on every rerun: each touch is an fsynced write
    _accept_share_link(store)
    _expire_idle_now_and_then(res.workspace().root)


def _show_position(placeholder: "st.delta_generator.DeltaGenerator", position: int, running: int) -> None:
    # Drawn from inside cached functions: kept out of Streamlit's replay of their elements.
    try:
        from streamlit.runtime.caching.cached_message_replay import in_cached_function
        reset = in_cached_function.set(False)
    except ImportError:
        reset = None
    try:
        if position:
            placeholder.info(f"The demo is busy: your job is number {position} in line ({running} running). "
                             "It starts by itself; keep this tab open.", icon="⏳")
        else:
            placeholder.empty()
    finally:
        if reset is not None:
            in_cached_function.reset(reset)


@contextlib.contextmanager
def heavy_job(label: str, *, embedding: bool = False) -> Iterator[None]:
    """Run a heavy block in the global queue, showing the visitor's place in line here.

    ``embedding=True`` also enforces and charges the visitor's embedding-seconds quota.
    """
    demo = settings().demo
    context = jobs.current()
    store = None
    if demo and embedding:
        from components import resources as res

        store = res.store()
        store.check_embed_quota()
    here = st.empty() if demo else None
    previous = context.report if context is not None else None
    if context is not None and here is not None:
        context.report = lambda position, running: _show_position(here, position, running)
    start = None
    try:
        with jobs.heavy(label):
            start = time.perf_counter()
            yield
    finally:
        if context is not None:
            context.report = previous
        if store is not None and start is not None:
            store.touch(embed_seconds=time.perf_counter() - start)


def _accept_share_link(store: Store) -> None:
    from components import state

    share = st.query_params.get(SHARE_QUERY)
    if not share:
        return
    del st.query_params[SHARE_QUERY]
    try:
        corpus_id = store.accept_share(share)
    except Exception as exc:  # StoreError or QuotaError: said plainly, never a path
        st.sidebar.warning(str(exc))
        return
    state.set(state.CORPUS_ID, corpus_id)
    state.set(state.MODEL_IDS, ())


def _expire_idle_now_and_then(root: "Path") -> None:  # noqa: F821 - pathlib type, imported lazily
    from engine.visitors import expire_idle

    with _expiry_lock:
        if time.monotonic() - _last_expiry[0] < _EXPIRY_EVERY_SECONDS:
            return
        _last_expiry[0] = time.monotonic()
    expire_idle(root, settings().visitor_idle_hours)


def is_shared_demo(store: Store, corpus_id: str) -> bool:
    """A demo corpus every visitor shares (read-only to them); never true in local mode."""
    return bool(getattr(store, "is_demo", None)) and store.is_demo(corpus_id)


def offered_models(model_ids: "tuple[str, ...] | list[str]") -> list[str]:
    """The bundled models a visitor may pick: all locally, the allow-list in demo mode."""
    allowed = settings().allowed_models if settings().demo else ()
    return [m for m in model_ids if not allowed or m in allowed]


def free_model_names() -> bool:
    """Whether any sentence-transformers name may be typed (local mode only)."""
    return not settings().demo


def show_workspace_path() -> bool:
    """Server paths are shown to a local user only."""
    return not settings().demo


def share_button(corpus_id: str) -> None:
    """Home: make an unguessable link that gives a copy of one of the visitor's own corpora."""
    if not settings().demo:
        return
    from components import resources as res

    store = res.store()
    if store.is_demo(corpus_id):
        return
    if st.button("Share this corpus", key="visitor_share", icon=":material/share:",
                 help="Make a link that gives a copy of this corpus (not your axes or other corpora) to whoever "
                 "opens it. Anyone with the link can open it until you delete the corpus."):
        link = f"?{SHARE_QUERY}={store.share(corpus_id)}"
        st.code(link, language=None)
        st.caption("Add this to the demo's address (without your ?visitor=…) and send it.")
