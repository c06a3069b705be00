"""Search results: ranked tables, safely highlighted matches, the item view, overlap across models.

Every piece of corpus or query text is HTML-escaped before it is wrapped in ``<mark>``; nothing a
user typed or uploaded is ever rendered as markup or script.
"""
from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import polars as pl
import streamlit as st

from components import item_detail, state
from components import resources as res
from components.feedback import escape_markdown
from engine.export import to_csv_bytes, to_parquet_bytes
from engine.models import resolve_model
from engine.search import SearchResult, highlight_spans_many, metadata_names

_MARK_STYLE = "background:#ffe08a;color:inherit;padding:0 1px;border-radius:2px"
_MODE_COLUMNS = ("matched_in", "dense_rank", "bm25_rank", "dense_part", "bm25_part", "cosine", "bm25")


def highlighted_html(text: str, spans: Sequence[tuple[int, int]], *, max_chars: int | None = 400) -> str:
    """``text`` as escaped HTML with ``spans`` wrapped in ``<mark>``; newlines become ``<br>``.

    Long texts are cut around the first match (``max_chars``), with an ellipsis.
    """
    start, end = 0, len(text)
    if max_chars and len(text) > max_chars:
        first = spans[0][0] if spans else 0
        start = max(0, min(first - max_chars // 4, len(text) - max_chars))
        end = start + max_chars
    pieces: list[str] = ["…" if start > 0 else ""]
    cursor = start
    for a, b in spans:
        if b <= start or a >= end:
            continue
        a, b = max(a, start), min(b, end)
        pieces.append(html.escape(text[cursor:a]))
        pieces.append(f'<mark style="{_MARK_STYLE}">{html.escape(text[a:b])}</mark>')
        cursor = b
    pieces.append(html.escape(text[cursor:end]))
    if end < len(text):
        pieces.append("…")
    return "".join(pieces).replace("\n", "<br>")


def label_header(label_column: str | None) -> str | None:
    """The table header of the label column: its name as hits frames show it (see RESULT_COLUMNS)."""
    return metadata_names([label_column])[label_column] if label_column else None


def hits_for_table(result: SearchResult, *, labels: Sequence[str] | None = None,
                   label_column: str | None = None) -> pl.DataFrame:
    """The columns a results table shows: rank, score, id, label, text, mode columns, 'only here' mark.

    Args:
        result: One model's result.
        labels: ``res.item_labels`` of the corpus (one per row); shown when ``label_column`` is set.
        label_column: The corpus's label column, or None (the text then names the item).
    """
    hits = result.hits
    frame = hits.select(["rank", "score", "id"])
    header = label_header(label_column)
    if labels is not None and header:
        frame = frame.with_columns(pl.Series(header, [labels[r] for r in result.rows], dtype=pl.String))
    frame = pl.concat([frame, hits.select(["text"] + [c for c in _MODE_COLUMNS if c in hits.columns])],
                      how="horizontal")
    if "found_only_here" in hits.columns:
        frame = frame.with_columns(
            pl.when(hits["found_only_here"]).then(pl.lit(f"only {result.model_id}")).otherwise(pl.lit(""))
            .alias("found only by")
        )
    return frame


def render_hits_table(result: SearchResult, *, key: str, corpus_id: str, label_column: str | None,
                      height: int | None = None) -> None:
    """The ranked hits as a table (text shown as plain text); selecting a row opens the item in full."""
    frame = hits_for_table(result, labels=res.item_labels(corpus_id, label_column), label_column=label_column)
    score_label = {"keyword": "matches", "hybrid": "RRF score"}.get(result.mode, "cosine")
    header = label_header(label_column)
    st.dataframe(
        frame,
        key=key,
        hide_index=True,
        width="stretch",
        height=height or "auto",
        on_select=partial(_queue_open, key, result.ids, corpus_id), selection_mode="single-row",
        column_config={
            "rank": st.column_config.NumberColumn("rank", width="small"),
            "score": st.column_config.NumberColumn(score_label, format="%.4f" if result.mode != "keyword" else "%d",
                                                   help=_SCORE_HELP.get(result.mode, "")),
            "id": st.column_config.TextColumn("id", width="small"),
            **({header: st.column_config.TextColumn(header, width="medium",
                                                    help="The label column chosen in the sidebar.")} if header else {}),
            "text": st.column_config.TextColumn("text", width="large"),
            "dense_part": st.column_config.NumberColumn("dense part", format="%.5f"),
            "bm25_part": st.column_config.NumberColumn("BM25 part", format="%.5f"),
        },
    )


_OPEN_PENDING = "_search_open_pending"  # widget-local: the hit a table click asked to open (one run)


def _queue_open(table_key: str, ids: list[str], corpus_id: str) -> None:
    event = st.session_state.get(table_key)
    chosen = list(event.get("selection", {}).get("rows", [])) if event else []
    if chosen and chosen[0] < len(ids):
        st.session_state[_OPEN_PENDING] = (corpus_id, ids[chosen[0]])


def open_clicked_hit() -> None:
    """Open the hit whose table row was just selected, in a dialog (call once, after the tables)."""
    pending = st.session_state.pop(_OPEN_PENDING, None)
    if pending:
        item_detail.show_item_dialog(*pending)


_SCORE_HELP = {
    "semantic": "Cosine similarity between the query and the item in this model (1 = same direction).",
    "similar": "Cosine similarity to the chosen item.",
    "arithmetic": "Cosine similarity to the expression's vector.",
    "keyword": "How many times the pattern occurs in the text.",
    "hybrid": "Weighted reciprocal rank fusion: dense part + BM25 part (see the columns on the right).",
}


def render_highlighted_hits(result: SearchResult, *, limit: int = 10, labels: Sequence[str] | None = None) -> None:
    """The top hits' texts with the matched words marked (keyword and hybrid modes).

    ``labels`` (``res.item_labels`` with a label column chosen) are shown in bold before each text.
    """
    spec = result.params.get("highlight")
    if not spec or result.hits.height == 0:
        return
    top = result.hits.head(limit)
    all_spans = highlight_spans_many(top["text"].to_list(), spec["pattern"], regex=spec["regex"],
                                     case_sensitive=spec["case_sensitive"])
    items = []
    for row, spans in zip(top.iter_rows(named=True), all_spans):
        label = f"<b>{html.escape(labels[int(row['row'])])}</b> · " if labels is not None else ""
        items.append(
            f'<li style="margin-bottom:0.35em"><span style="opacity:0.6">{int(row["rank"])}. '
            f'[{html.escape(str(row["id"]))}]</span> {label}{highlighted_html(row["text"], spans)}</li>'
        )
    st.html('<ol style="list-style:none;padding-left:0;font-size:0.92rem" data-testid="search-highlights">'
            + "".join(items) + "</ol>")


def render_notes(result: SearchResult) -> None:
    """The result's notes (they quote the user's query, so they are escaped)."""
    for note in result.notes:
        st.caption(escape_markdown(note))


def render_item_ranks(item_id: str, model_hits: Mapping[str, SearchResult]) -> None:
    """The item's rank among each model's hits ("—" where a model did not return it)."""
    ranks = {}
    for name, result in model_hits.items():
        ids = result.ids
        ranks[name] = str(ids.index(str(item_id)) + 1) if str(item_id) in ids else "—"
    st.dataframe(pl.DataFrame({"model": list(ranks), "rank among the hits": list(ranks.values())}),
                 hide_index=True, width="content")


def render_overlap(overlap: pl.DataFrame, k: int) -> None:
    """Pairwise overlap@k of the models' hit sets."""
    if overlap.height == 0:
        return
    shown = overlap.with_columns((pl.col("overlap") * 100).round(0).cast(pl.Int64).alias("overlap %")).select(
        pl.col("model_a").alias("model"), pl.col("model_b").alias("vs model"), "shared", "overlap %")
    st.dataframe(shown, hide_index=True, width="content",
                 column_config={"overlap %": st.column_config.ProgressColumn(
                     f"overlap@{k}", min_value=0, max_value=100, format="%d%%",
                     help="Share of the top-k hits both models return (100% = the same items).")})


def combined_hits(results: Mapping[str, SearchResult]) -> pl.DataFrame:
    """All models' hits in one long frame (``model`` column first), for export."""
    frames = [r.hits.with_columns(pl.lit(name).alias("model")).select("model", *r.hits.columns)
              for name, r in results.items()]
    return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()


def render_export(results: Mapping[str, SearchResult], *, key: str) -> None:
    """Download buttons for the hits as CSV and Parquet."""
    frame = combined_hits(results)
    if frame.height == 0:
        return
    left, right = st.columns(2)
    # the bytes are made when the button is pressed, not on every rerun (issue 15 §1)
    left.download_button("Download CSV", partial(to_csv_bytes, frame), file_name="search_hits.csv", mime="text/csv",
                         key=f"{key}_csv", help="Every model's hits in one table. Cells starting with = + - @ "
                         "get a leading ' so a spreadsheet shows them as text, never runs them.")
    right.download_button("Download Parquet", partial(to_parquet_bytes, frame), file_name="search_hits.parquet",
                          mime="application/octet-stream", key=f"{key}_parquet",
                          help="The same table as Parquet (keeps column types).")


def search_hits_payload(result: SearchResult) -> dict[str, Any]:
    """The ``state.SEARCH_HITS`` hand-off for the map: dict(corpus_id, model_id, ids, scores, query)."""
    return {"corpus_id": result.corpus_id, "model_id": result.model_id, "ids": [str(i) for i in result.ids],
            "scores": result.scores, "query": result.query}


def render_hits_map(corpus: Any, result: SearchResult, *, key: str) -> None:
    """A small map of the hits (red rings) on the stored default layout of the result's model, with
    the query itself placed as a star (``engine.project.place_new_points``: no refit).

    Uses the Map page's renderer; never computes a layout here (that is the Map page's job).
    """
    from engine.project import ProjectionSpec

    spec = ProjectionSpec()
    if res.stored_projection(corpus.corpus_id, result.model_id, spec) is None:
        st.caption("No map layout is stored for this model yet: press **Show on map** to compute it on the Map page.")
        return
    projection = res.projection(corpus.corpus_id, result.model_id, spec)
    from components.map_canvas import map_canvas

    query_at = query_position(projection, res.embeddings(corpus.corpus_id, result.model_id), result)
    map_canvas(hits_map_payload(corpus, result, projection, query_at=query_at), key=key, height=380)
    star = (" The star: where the query itself would sit, placed among its nearest items without "
            "recomputing the map." if query_at is not None else "")
    st.caption(f"Red rings: the {len(result.rows)} hits of {escape_markdown(result.model_id)} on its default "
               f"UMAP layout.{star}")


QUERY_MARKER = "query"


def query_position(projection: Any, embeddings: Any, result: SearchResult) -> tuple[float, float] | None:
    """Where the searched-for vector sits on ``projection`` (None when the search had no vector, or
    the map is not of this model and corpus version)."""
    from engine.errors import ProjectionError
    from engine.project import place_new_points

    if result.query_vector is None:
        return None
    try:
        position = place_new_points(projection, embeddings, result.query_vector)[0]
    except ProjectionError:
        return None
    return float(position[0]), float(position[1])


def hits_map_payload(corpus: Any, result: SearchResult, projection: Any, *,
                     query_at: tuple[float, float] | None = None) -> bytes:
    """The mini-map: every item in grey, the hits ringed, the query a star (``query_at``), by the
    Map page's one renderer (``map_view.map_payload``), so the rings are the Map's."""
    from components import map_view

    coloring = map_view.coloring(map_view.NONE, corpus=corpus, clustering=None, color_scores=None)
    markers = [] if query_at is None else [{"x": query_at[0], "y": query_at[1], "text": QUERY_MARKER}]
    return map_view.map_payload(projection, corpus.texts, color=coloring, highlight=result.rows, markers=markers)


# -- the page's controls and panels (pages/2_Search.py stays a short script) -----------------------
MODES = {
    "semantic": "Semantic",
    "keyword": "Keyword / regex",
    "hybrid": "Hybrid (BM25 + semantic)",
    "arithmetic": "Vector arithmetic",
    "similar": "More like this",
}
PLACEHOLDERS = {
    "semantic": "e.g. firefighters battle a blaze near the city",
    "keyword": r"e.g. bushfire   or, as a regex,  \bfires?\b",
    "hybrid": "words that must match, in a meaning-bearing query",
    "arithmetic": 'e.g. king - man + woman   or   "a review about food" - "negative"',
}
MODE_HELP = ("Semantic: nearest by meaning (cosine). Keyword: literal text or a regular expression over the texts "
             "and metadata. Hybrid: BM25 keyword ranking fused with the semantic ranking. Vector arithmetic: add "
             "and subtract terms. More like this: the items nearest to one item you pick. Each mode keeps its own query.")
REGEX_HELP = (r"Treat the query as a regular expression (e.g. \bfires?\b), in Rust regex syntax: runs in linear "
              r"time, so look-around (?=…) and back-references \1 are not available.")


def mode_options(mode: str, corpus: Any, model_ids: Sequence[str]) -> dict[str, Any]:
    """The options row of one mode (k, regex, weights…) as keyword arguments for the search."""
    left, middle, right = st.columns([1, 2, 2])
    options: dict[str, Any] = {"k": int(left.number_input(
        "Hits per model (k)", min_value=1, max_value=200, value=10, step=1, key="search_k",
        help="How many hits to show for each model."))}
    if mode == "keyword":
        options["regex"] = middle.checkbox("Regular expression", key="search_regex", help=REGEX_HELP)
        options["case_sensitive"] = middle.checkbox("Match case", key="search_case",
                                                    help="Match upper/lower case exactly.")
        options["columns"] = right.multiselect(
            "Search in", options=["text", *corpus.metadata_columns], default=["text"], key="search_columns",
            help="Columns whose values are matched (metadata as text).")
    elif mode == "hybrid":
        weight = middle.slider(
            "Weight of the semantic ranking", 0.0, 1.0, 0.5, 0.05, key="search_dense_weight",
            help="Reciprocal rank fusion: score = w/(60 + semantic rank) + (1 − w)/(60 + BM25 rank). "
                 "1 = semantic only, 0 = keywords only.")
        options["dense_weight"] = float(weight)
        right.markdown(f"**Fusion:** {weight:.2f} × semantic + {1 - weight:.2f} × BM25")
    elif mode == "arithmetic":
        options["exclude_inputs"] = middle.checkbox(
            "Exclude the input terms", value=True, key="search_exclude",
            help="The input words themselves are usually the nearest to the result; leave them out of the hits.")
        if any(resolve_model(m).kind == "word" for m in model_ids):
            options["target"] = right.radio(
                "Search in", options=["corpus", "vocabulary"], horizontal=True, key="search_target",
                format_func={"corpus": "this corpus", "vocabulary": "the model's whole vocabulary"}.__getitem__,
                help="Word models can also search their own vocabulary (GloVe: 400,000 words).")
    return options


def render_failures(failures: Mapping[str, str], *, searched: int) -> None:
    """One message per distinct error (naming the models it hit), an error when every model failed."""
    by_message: dict[str, list[str]] = {}
    for model_id, message in failures.items():
        by_message.setdefault(message, []).append(resolve_model(model_id).display_name)
    for message, names in by_message.items():
        text = escape_markdown(message)
        if len(failures) == searched and len(by_message) == 1:
            st.error(text, icon="⚠️")
        else:
            st.warning(f"**{escape_markdown(', '.join(names))}:** {text}", icon="⚠️")


def render_vocabulary_hits(word_models: Sequence[str], query: str, *, k: int, exclude_inputs: bool) -> None:
    """Vector arithmetic over each word model's whole vocabulary, side by side."""
    from engine.search import vocabulary_search

    st.subheader("Nearest words in the vocabulary")
    for column_ui, model_id in zip(st.columns(len(word_models)), word_models):
        words = vocabulary_search(res.vocabulary(model_id), query, store=res.store(), k=k, exclude_inputs=exclude_inputs)
        with column_ui:
            st.markdown(f"**{escape_markdown(resolve_model(model_id).display_name)}**")
            st.dataframe(words, hide_index=True, width="stretch", key=f"search_vocab_{model_id}")
    st.caption("The input terms are excluded from the results." if exclude_inputs
               else "The input terms are not excluded (they often rank first).")


def render_open_hit(corpus_id: str, results: Mapping[str, SearchResult], *, label_column: str | None) -> None:
    """Pick any hit: read it in full (dialog), see its rank in each model, or search for items like it."""
    all_ids = list(dict.fromkeys(i for r in results.values() for i in r.ids))
    if not all_ids:
        return
    corpus = res.corpus(corpus_id)
    rows = [row for r in results.values() for row in r.rows]
    from components.item_picker import item_option_labels

    labels = item_option_labels(corpus_id, label_column, list(dict.fromkeys(rows)))
    left, middle, right = st.columns([4, 1, 1], vertical_alignment="bottom")
    opened = left.selectbox("Open a hit", options=all_ids, index=None, key="search_open",
                            format_func=lambda i: f"[{i}] {labels.get(i, '')}",
                            placeholder="Pick a hit (or select a table row) to read it in full",
                            help="Shows the item's text, metadata and its rank in each model.")
    with middle:
        item_detail.open_item_button(corpus_id, opened, key="search_open_full")
    similar = right.button("More like this", key="search_more_like_this", disabled=opened is None,
                           icon=":material/travel_explore:",
                           help="Search for the items nearest to this one in each model.")
    if opened is None:
        return
    state.set(state.FOCUS_ITEM, {"corpus_id": corpus.corpus_id, "id": str(opened)})
    if similar:
        state.set(state.SEARCH_MODE, "similar")
        state.set(state.SEARCH_ITEM, {"corpus_id": corpus.corpus_id, "id": str(opened)})
        st.rerun()
    with st.expander(f"Item {escape_markdown(opened)}", expanded=True):
        item_detail.render_item(corpus_id, str(opened))
        render_item_ranks(str(opened), results)
