"""Embedscape home page: choose or upload a corpus, embed it with several models, then explore.

Streamlit runs in ``pages/``-directory mode: this file is the home page, and every page calls
``sidebar_context()`` first so the frame is the same everywhere (docs/architecture.md, D1).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from components import home_view, recipe_panel, sidebar, state, visitor
from components import resources as res
from components.feedback import escape_markdown, user_errors
from engine.demo import DEFAULT_DEMO_ID, DEMOS

st.set_page_config(page_title="Embedscape", page_icon="🧭", layout="wide")

with user_errors(stop=False):
    home_view.ensure_default_corpus(DEFAULT_DEMO_ID)
corpus_id, model_ids = sidebar.sidebar_context()

st.title("Embedscape")
st.markdown(
    "Embedscape shows you what an embedding model makes of *your* texts: load a corpus, embed it "
    "with several models, then **see** the space on a map and **question** it with search, semantic "
    "axes and bias measures.  \nEverything runs on this machine with bundled models; embeddings are "
    "stored on disk, so nobody waits for the same work twice."
)

st.header("1 · Choose a corpus", divider="gray")
source = st.radio(
    "Where is your corpus?",
    options=["demo", "upload"],
    format_func={"demo": "A bundled demo corpus", "upload": "Upload a file"}.__getitem__,
    horizontal=True,
    key="home_source",
    help="Demo corpora ship with Embedscape. Uploads may be CSV, TSV, TXT (one text per line), JSONL or Parquet.",
)
# A new error makes the last "Loaded …" box stale: it is dropped, not left under the error.
with user_errors(stop=False, on_error=lambda: state.set(state.LAST_INGEST, None)):
    if source == "demo":
        home_view.demo_picker(DEMOS)
    else:
        home_view.upload_form()

corpus_id = state.corpus_id()
last_ingest = state.get(state.LAST_INGEST)
if last_ingest and last_ingest.get("corpus_id") == corpus_id and res.store().has_corpus(corpus_id):
    home_view.render_ingest_report(last_ingest)  # only for the active corpus, and only while it exists

if corpus_id is None or not res.store().has_corpus(corpus_id):
    st.info("Load a demo corpus or upload a file to continue.")
    st.stop()

corpus = res.corpus(corpus_id)
with st.expander(f"Preview of **{escape_markdown(corpus.name)}** · {len(corpus):,} rows", expanded=False):
    home_view.render_preview(corpus)
visitor.share_button(corpus_id)  # demo mode, the visitor's own corpora only

st.header("2 · Embed it", divider="gray")
home_view.render_cancelled_run()
with user_errors(stop=False):
    home_view.embed_form(corpus)
last_embed = [s for s in state.get(state.LAST_EMBED) or () if s.get("corpus_id") == corpus_id]
if last_embed:
    home_view.render_embed_results(last_embed)

st.header("3 · Explore", divider="gray")
embedded = res.embedded_model_ids(corpus_id)
if not embedded:
    st.info("Embed the corpus with at least one model to open the pages below.")
home_view.render_page_links(Path(__file__).parent / "pages", enabled=bool(embedded))

recipe_panel.render_recipe_panel(corpus_id, model_ids)  # issue 14: recipes and reports

with st.expander("Workspace: stored corpora", expanded=False):
    with user_errors(stop=False):
        home_view.render_workspace()

with st.expander("About Embedscape, its models and data", expanded=False):
    home_view.render_about()
