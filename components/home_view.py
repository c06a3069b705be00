"""Widgets of the home page: corpus choice and upload, ingest report, embedding, workspace, credits."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from components import resources as res
from components import state, visitor
from components.feedback import escape_markdown, progress_phases
from components.sidebar import page_label
from engine.config import Settings
from engine.corpus import build_corpus, guess_text_column, text_column_candidates
from engine.demo import DEMOS, DemoCorpus, load_demo
from engine.errors import EmbedscapeError
from engine.models import DEFAULT_MODEL_IDS, REGISTRY
from engine.visitors import allowed_model
from engine.types import Corpus, IngestReport

PAGE_BLURBS = {
    "Map": "See the corpus as a UMAP map, coloured by cluster or metadata; click a point for its neighbours.",
    "Search": "Semantic, keyword and hybrid search; vector arithmetic; the same query across models.",
    "Axes": "Define a semantic axis (good ↔ bad, formal ↔ casual) and rank every item along it.",
    "Bias": "Bias directions, WEAT tests and a debias preview, on word vectors and sentence models.",
}


def _activate(corpus: Corpus, report: IngestReport) -> None:
    # Content already stored opens the stored corpus (its name kept, the new one an alias).
    corpus, report = res.store().add_corpus(corpus, report)
    state.set(state.CORPUS_ID, corpus.corpus_id)
    state.set(state.MODEL_IDS, ())
    state.set(state.LAST_INGEST, {"name": corpus.name, "corpus_id": corpus.corpus_id, **report.as_dict()})
    state.set(state.LAST_EMBED, None)


def ensure_default_corpus(demo_id: str) -> None:
    """On a first visit to an empty workspace, store the default demo so every page has data."""
    if st.session_state.get("_home_default_checked"):
        return
    st.session_state["_home_default_checked"] = True
    if not res.store().list_corpora():
        corpus, report = load_demo(demo_id)
        res.store().save_corpus(corpus, report)


def demo_picker(demos: dict[str, DemoCorpus]) -> None:
    demo_id = st.selectbox(
        "Demo corpus",
        options=list(demos),
        format_func=lambda d: demos[d].title,
        key="home_demo",
        help="Bundled corpora built from installed packages; see About for their sources and licences.",
    )
    st.caption(demos[demo_id].description)
    if st.button("Load demo corpus", type="primary", key="home_load_demo",
                 help="Store this corpus in the workspace and make it the active corpus."):
        with st.spinner("Reading the demo corpus…"):
            corpus, report = load_demo(demo_id)
        _activate(corpus, report)
        st.rerun()


def upload_form() -> None:
    settings = Settings.from_env()
    upload = st.file_uploader(
        "Corpus file",
        type=["csv", "tsv", "tab", "txt", "jsonl", "ndjson", "parquet", "pq"],
        key="home_upload",
        max_upload_size=settings.max_upload_mb,
        help=f"Up to {settings.max_upload_mb} MiB and {settings.max_rows:,} rows. CSV/TSV need a header row; "
        "TXT is one text per line; JSONL is one object per line. Pickles are never accepted.",
    )
    if upload is None:
        st.caption("Tip: any column can be the text; the others become metadata you can colour and filter by.")
        return
    table = res.raw_table(upload.getvalue(), upload.name)
    for note in table.notes:  # notes quote column names: never Markdown
        st.info(escape_markdown(note), icon="ℹ️")
    candidates = text_column_candidates(table.frame)
    if not candidates:
        guess_text_column(table.frame)  # raises the CorpusError that says why no column holds text
    options = candidates + [c for c in table.frame.columns if c not in candidates]
    left, right = st.columns([1, 1])
    text_column = left.selectbox(
        "Text column",
        options=options,
        index=0,
        key="home_text_column",
        help="The column that holds the texts to embed; our best guess is preselected. "
        "Every other column is kept as metadata.",
    )
    name = right.text_input("Corpus name", value=table.name, key="home_corpus_name", max_chars=80,
                            help="How this corpus is listed in the sidebar and the workspace.")
    preview, hidden = preview_frame(table.frame.head(20))
    shown = f"; showing the first {preview.width} of {table.frame.width:,} columns" if hidden else ""
    st.caption(f"{table.rows_read:,} rows read as {table.file_format.upper()} ({table.encoding}){shown}. "
               f"First rows (cells cut at {PREVIEW_CELL_CHARS} characters):")
    st.dataframe(preview, hide_index=True, width="stretch")
    if st.button("Use this corpus", type="primary", key="home_use_upload",
                 help="Validate the texts (drop empty rows, truncate very long ones) and store the corpus."):
        corpus, report = build_corpus(table, text_column=text_column, name=name.strip() or table.name,
                                      source=upload.name, settings=settings)
        _activate(corpus, report)
        st.rerun()


PREVIEW_COLUMNS = 30
PREVIEW_CELL_CHARS = 200


def preview_frame(frame: pl.DataFrame) -> tuple[pl.DataFrame, int]:
    """The first PREVIEW_COLUMNS columns, string cells cut to PREVIEW_CELL_CHARS; and how many columns were left out.

    An upload may have hundreds of columns or 10 MB cells; the browser should not receive them.
    """
    # Series, not names: a raw upload's column may be named "*" or "^.*$", which polars' select and
    # pl.col read as a wildcard and a regex (a DuplicateError on the Home preview)
    kept = pl.DataFrame([_cut_cells(frame.get_column(name)) for name in frame.columns[:PREVIEW_COLUMNS]])
    return kept, frame.width - kept.width


def _cut_cells(series: pl.Series) -> pl.Series:
    if series.dtype != pl.String:
        return series
    values = series.alias("value")
    long = (values.str.len_chars() > PREVIEW_CELL_CHARS).fill_null(False)
    return (values.str.slice(0, PREVIEW_CELL_CHARS) + "…").zip_with(long, values).alias(series.name)


def render_ingest_report(report: dict[str, Any]) -> None:
    st.success(f"Loaded **{escape_markdown(report['name'])}**: {report['rows_kept']:,} texts ready.", icon="✅")
    columns = st.columns(6)
    figures = [
        ("Rows read", report["rows_read"]), ("Kept", report["rows_kept"]),
        ("Dropped (empty)", report["dropped_empty"]), ("Duplicates (kept)", report["duplicates"]),
        ("Truncated", report["truncated"]), ("Encoding", report["encoding"]),
    ]
    for column, (label, value) in zip(columns, figures):
        column.metric(label, f"{value:,}" if isinstance(value, int) else value)
    for note in report["notes"]:  # notes quote column and corpus names: never Markdown
        st.caption(f"• {escape_markdown(note)}")


def render_preview(corpus: Corpus) -> None:
    preview, hidden = preview_frame(corpus.frame.head(200))
    st.dataframe(preview, hide_index=True, width="stretch",
                 column_config={"text": st.column_config.TextColumn("text", width="large")})
    if corpus.metadata_columns:
        more = f" (the preview shows the first {preview.width})" if hidden else ""
        st.caption(escape_markdown(f"Metadata columns: {', '.join(corpus.metadata_columns)}{more}"))


def _default_models(corpus: Corpus, embedded: list[str]) -> list[str]:
    if embedded:
        return [m for m in embedded if m in REGISTRY] or list(DEFAULT_MODEL_IDS[:1])
    return ["glove-50d", "minilm-l6"] if corpus.kind == "words" else ["minilm-l6", "minilm-l3"]


def embed_form(corpus: Corpus) -> None:
    embedded = res.embedded_model_ids(corpus.corpus_id)
    with st.form("home_embed_form", border=True):
        chosen = st.multiselect(
            "Models",
            options=visitor.offered_models(DEFAULT_MODEL_IDS),  # demo mode: the allow-list
            default=[m for m in _default_models(corpus, embedded) if m in visitor.offered_models(DEFAULT_MODEL_IDS)],
            format_func=lambda m: f"{REGISTRY[m].display_name} · {REGISTRY[m].kind}, {REGISTRY[m].dimension}d"
            + (" ✓ embedded" if m in embedded else ""),
            key=f"home_models_{corpus.corpus_id}",  # per corpus, so defaults follow the active corpus
            help="Bundled models work offline. Sentence models read whole texts; GloVe averages word vectors "
            "(unknown words are reported); TF-IDF + SVD is a word-overlap baseline with no learned meaning.",
        )
        other = "" if not visitor.free_model_names() else st.text_input(  # demo mode: the allow-list only
            "Other sentence-transformers models (optional)",
            key="home_other_models",
            placeholder="e.g. sentence-transformers/all-mpnet-base-v2",
            help="Comma-separated Hugging Face names or local model folders. Needs the network the first time.",
        )
        submitted = st.form_submit_button("Embed", type="primary", shortcut="Ctrl+Enter",
                                          help="Embed with every chosen model (Ctrl+Enter). Stored vectors are reused.")
    for spec in (REGISTRY[m] for m in chosen):
        st.caption(f"**{spec.display_name}** — {spec.description}")
    if not submitted:
        return
    names = list(chosen) + [n.strip() for n in other.split(",") if n.strip()]
    if not names:
        st.warning("Pick at least one model.")
        return
    run_embedding(corpus, names)


_EMBED_RUN = "_home_embed_run"  # private to this widget: {"done": [names], "running": name} during a run
CANCEL_KEY = "home_cancel_embed"


def run_embedding(corpus: Corpus, names: list[str]) -> None:
    """Embed with each model in turn, one progress bar each; a failing model does not stop the others.

    A Cancel button is drawn above the bars. Clicking it makes Streamlit rerun the page, which
    stops this run at the next progress update, between batches: the model being embedded stores
    nothing (vectors are written only when complete), models already finished keep their vectors.
    """
    from engine.embed import embed_corpus

    summaries: list[dict[str, Any]] = []
    try:
        specs = [allowed_model(name, Settings.from_env()) for name in names]  # demo mode: the allow-list only
    except EmbedscapeError as exc:
        st.error(escape_markdown(exc), icon="⚠️")
        return
    st.button("Cancel embedding", key=CANCEL_KEY, icon=":material/cancel:",
              help="Stop after the current batch. Nothing partial is stored; finished models are kept.")
    st.session_state[_EMBED_RUN] = {"done": [], "running": None}
    for spec in specs:
        st.session_state[_EMBED_RUN]["running"] = spec.display_name
        update, phase, finish = progress_phases(f"Embedding with {spec.display_name}")
        try:
            with visitor.heavy_job(f"Embedding with {spec.display_name}", embedding=True):
                result = embed_corpus(corpus, spec, store=res.store(), progress=update, on_phase=phase)
        except EmbedscapeError as exc:
            finish()
            st.error(escape_markdown(f"{spec.display_name}: {exc}"), icon="⚠️")
            summaries.append({"model_id": spec.model_id, "model": spec.display_name, "error": str(exc),
                              "corpus_id": corpus.corpus_id})
            continue
        finish()
        summaries.append({**result.summary(), "corpus_id": corpus.corpus_id})
        st.session_state[_EMBED_RUN]["done"].append(spec.display_name)
    st.session_state.pop(_EMBED_RUN, None)
    done = [s["model_id"] for s in summaries if "error" not in s]
    state.set(state.LAST_EMBED, summaries)
    state.set(state.MODEL_IDS, tuple(dict.fromkeys(list(state.model_ids()) + done)))
    st.rerun()


def render_cancelled_run() -> None:
    """After a Cancel click interrupted a run: say what was kept and what was not."""
    run = st.session_state.pop(_EMBED_RUN, None)
    if run is None:
        return
    kept = f" Finished and kept: {escape_markdown(', '.join(run['done']))}." if run["done"] else ""
    st.warning(f"Embedding cancelled during {escape_markdown(run['running'])}; nothing partial was stored.{kept}",
               icon="⏹️")


def render_embed_results(summaries: list[dict[str, Any]]) -> None:
    ok = [s for s in summaries if "error" not in s]
    if ok:
        names = escape_markdown(", ".join(s["model"] for s in ok))  # a typed model name is user text
        st.success(f"Embedded with {len(ok)} model(s): {names}.", icon="✅")
        rows = [{
            "model": s["model"], "rows": s["rows"], "dimension": s["dimension"],
            "load s": s.get("load_seconds", 0.0), "encode s": s["seconds"], "texts/s": None if s["cache_hit"] else s["texts_per_second"],
            "from cache": s["cache_hit"], "not representable": s["n_missing"],
            "reads tokens": s.get("max_tokens"), "longer (cut)": s.get("n_truncated"),
            "route": _route_label(s),
        } for s in ok]
        st.dataframe(pl.DataFrame(rows), hide_index=True, width="stretch")
    for s in ok:
        if s["n_missing"]:
            examples = ", ".join(repr(t[:40]) for t in s["missing_examples"][:5])
            st.warning(escape_markdown(
                f"{s['model']}: {s['n_missing']:,} text(s) have no known word and are left out of its map and "
                f"search (e.g. {examples})."), icon="🔎",
            )
        if s.get("truncation_note"):
            st.warning(escape_markdown(s["truncation_note"]), icon="✂️")
    for s in summaries:
        if "error" in s:
            st.error(escape_markdown(f"{s['model']}: {s['error']}"), icon="⚠️")


def _route_label(summary: dict[str, Any]) -> str:
    """fp32, or the faster route with its measured agreement with fp32 (engine.precision)."""
    check = summary.get("route_check") or {}
    route = summary.get("route", "fp32")
    if route == "fp32" or "top10_agreement" not in check:
        return route
    return f"{route} (top-10 agreement with fp32 {check['top10_agreement']:.3f} on {check['sample']} texts)"


def render_page_links(pages_dir: Path, *, enabled: bool) -> None:
    pages = sorted(pages_dir.glob("*.py")) if pages_dir.exists() else []
    if not pages:
        st.caption("No analysis pages are installed yet.")
        return
    columns = st.columns(min(len(pages), 4))
    for position, page in enumerate(pages):
        label = page_label(page)
        with columns[position % len(columns)]:
            st.page_link(f"pages/{page.name}", label=label, disabled=not enabled,
                         help=PAGE_BLURBS.get(label, f"Open the {label} page."))
            st.caption(PAGE_BLURBS.get(label, ""))


def render_workspace() -> None:
    store = res.store()
    manifests = store.list_corpora()
    if visitor.show_workspace_path():
        st.caption(f"Folder: `{store.root}` (set `EMBEDSCAPE_HOME` or `--workspace` to move it).")
    if not manifests:
        st.write("Nothing stored yet.")
        return
    st.dataframe(pl.DataFrame([{
        "name": m["name"], "also named": ", ".join(m.get("aliases", [])), "corpus_id": m["corpus_id"],
        "rows": m["n_rows"],
        "models": ", ".join(sorted(m.get("embeddings", {}))) or "-", "created": m.get("created", ""),
    } for m in manifests]), hide_index=True, width="stretch")
    deletable = [m for m in manifests if not visitor.is_shared_demo(store, m["corpus_id"])]  # demo mode
    if not deletable:
        return
    labels = {m["corpus_id"]: f"{m['name']} ({m['corpus_id']})" for m in deletable}
    left, right = st.columns([3, 1])
    target = left.selectbox("Corpus to delete", options=list(labels), format_func=labels.__getitem__,
                            key="home_delete_target", help="Deletes the corpus, its embeddings and derived maps.")
    confirm = right.checkbox("I am sure", key="home_delete_confirm", help="Deleting cannot be undone.")
    if right.button("Delete", disabled=not confirm, key="home_delete", help="Delete the selected corpus."):
        store.delete_corpus(target)
        res.clear_corpus_caches()
        if state.corpus_id() == target:
            state.set(state.CORPUS_ID, None)
            state.set(state.LAST_INGEST, None)
        st.rerun()


def render_about() -> None:
    st.markdown(
        "Embedscape is open source. It runs entirely on this machine: the bundled models ship their weights "
        "inside Python packages, and nothing is sent anywhere.\n\n"
        "**Models**\n"
        + "\n".join(f"- **{s.display_name}** ({s.kind}, {s.dimension}d): {s.source}. Licence: {s.license}."
                    for s in (REGISTRY[m] for m in DEFAULT_MODEL_IDS))
        + "\n\n**Demo data**\n"
        + "\n".join(f"- **{d.title}**: {d.credit}" for d in DEMOS.values())
    )
