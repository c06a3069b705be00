"""The shared frame: every page (app.py included) calls :func:`sidebar_context` first."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from components import resources as res
from components import share, state, visitor
from engine.demo import DEFAULT_DEMO_ID
from engine.models import resolve_model


def _model_label(model_id: str) -> str:
    try:
        return resolve_model(model_id).display_name
    except Exception:  # a stored id whose model is unknown to this version
        return model_id


model_label = _model_label  # public: pages that name a model show what the sidebar shows


PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"
PAGE_ICONS = {
    "Home": ":material/home:", "Map": ":material/scatter_plot:", "Search": ":material/search:",
    "Axes": ":material/linear_scale:", "Bias": ":material/balance:",
    "Geometry": ":material/deployed_code:",
    "Compare": ":material/compare_arrows:",
}


def page_label(path: Path) -> str:
    """``pages/3_Axes.py`` → ``Axes`` (Streamlit's own rule for pages/ files)."""
    return path.stem.split("_", 1)[-1].replace("_", " ")


def render_navigation() -> None:
    """Links to every page; the built-in list is off (config.toml) because it labels app.py "app"."""
    st.sidebar.page_link("app.py", label="Home", icon=PAGE_ICONS["Home"])
    for path in sorted(PAGES_DIR.glob("*.py")):
        label = page_label(path)
        st.sidebar.page_link(f"pages/{path.name}", label=label, icon=PAGE_ICONS.get(label))
    st.sidebar.divider()


def sidebar_context() -> tuple[str | None, tuple[str, ...]]:
    """Draw the active-corpus and model pickers; return (corpus_id, model_ids).

    Only models already embedded for the corpus are offered here (embedding happens on the
    home page). Returns ``(None, ())`` when the workspace holds no corpus yet.
    """
    render_navigation()
    visitor.frame()  # demo mode: who the visitor is, their scope, their queue position (components/visitor.py)
    share.restore()  # a session opened from a link starts from the link's view (components/share.py)
    manifests = res.store().list_corpora()
    sidebar = st.sidebar
    if not manifests:
        sidebar.info("No corpus yet. Load the demo or upload a file on the Home page.")
        if visitor.show_workspace_path():
            sidebar.caption(f"Workspace: `{res.store().root}`")
        return None, ()
    names = {m["corpus_id"]: f"{m['name']} · {m['n_rows']:,} rows" for m in manifests}
    if state.corpus_id() not in names:
        state.set(state.CORPUS_ID, default_corpus_id(manifests))
        state.set(state.MODEL_IDS, ())
    sidebar.selectbox(
        "Corpus",
        options=list(names),
        format_func=names.__getitem__,
        help="The corpus every page works on. Load or upload others on the Home page.",
        **state.bind(state.CORPUS_ID),
    )
    corpus_id = state.corpus_id()
    embedded = res.embedded_model_ids(corpus_id)
    chosen = tuple(m for m in state.model_ids() if m in embedded)
    if not chosen and embedded:
        chosen = tuple(embedded[:2])
    state.set(state.MODEL_IDS, chosen)
    if embedded:
        sidebar.multiselect(
            "Models",
            options=embedded,
            format_func=_model_label,
            help="Models this corpus is embedded with. Pages that compare models use all chosen; "
            "others use the first. Embed with more models on the Home page.",
            **state.bind(state.MODEL_IDS),
        )
    else:
        sidebar.warning("This corpus is not embedded yet: pick models and press Embed on the Home page.")
    render_label_picker(corpus_id)
    if visitor.show_workspace_path():
        sidebar.caption(f"Workspace: `{res.store().root}`")
    share.sync()  # the address bar holds this view (widgets' changes reached session state before this run)
    return corpus_id, state.model_ids()


def render_label_picker(corpus_id: str) -> None:
    """The label column: how every page names an item (hover, neighbour lists, tables)."""
    from engine.labels import guess_label_column, label_candidates

    corpus = res.corpus(corpus_id)
    candidates = label_candidates(corpus)
    if not candidates:
        return
    chosen = state.label_column(corpus_id, default=guess_label_column(corpus))
    # "" stands for "no label column": a None option would show as an empty selectbox
    options = ["", *candidates]
    widget_key = f"_w_label_column_{corpus_id}"
    # The durable choice wins on every run: a widget's own key does not survive a page switch
    # (the choice came back None on the next page). A change reaches the durable value through
    # on_change, which runs before the script (the state.bind pattern).
    st.session_state[widget_key] = chosen if chosen in candidates else ""
    st.sidebar.selectbox(
        "Label column",
        options=options,
        format_func=lambda c: c or "(start of the text)",
        key=widget_key,
        on_change=_keep_label_column,
        args=(corpus_id, widget_key),
        help="How items are named in hover texts, neighbour lists, search results and rankings. "
        "A guess (title, name, headline…) is preselected; every listed item can be opened in full.",
    )
    state.set_label_column(corpus_id, st.session_state[widget_key] or None)


def _keep_label_column(corpus_id: str, widget_key: str) -> None:
    state.set_label_column(corpus_id, st.session_state[widget_key] or None)


def default_corpus_id(manifests: list[dict]) -> str:
    """A new session opens the default demo if it is embedded (its map is precomputed by
    ``make demo``), else the newest embedded corpus, else the newest corpus."""
    embedded = [m for m in manifests if m.get("embeddings")]
    demo = [m for m in embedded if m.get("name") == DEFAULT_DEMO_ID]
    return (demo or embedded or manifests)[0]["corpus_id"]


def require_embedded(corpus_id: str | None, model_ids: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    """Guard for analysis pages: stop with a hint unless a corpus and at least one model are active."""
    if corpus_id is None:
        st.info("No corpus yet. Go to **Home** to load the demo corpus or upload your own.")
        st.page_link("app.py", label="Go to Home", icon="🏠")
        st.stop()
    if not model_ids:
        st.info("Pick at least one model in the sidebar, or embed this corpus on the **Home** page.")
        st.page_link("app.py", label="Go to Home", icon="🏠")
        st.stop()
    return corpus_id, model_ids
