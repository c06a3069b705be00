"""Search results: ranked tables, safely highlighted matches, the item view, overlap across models.

Every piece of corpus or query text is HTML-escaped before it is wrapped in ``<mark>``; nothing a
user typed or uploaded is ever rendered as markup or script.
"""
from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
import streamlit as st

from components.feedback import escape_markdown
from engine.search import SearchResult, highlight_spans

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


def hits_for_table(result: SearchResult) -> pl.DataFrame:
    """The columns a results table shows: rank, score, id, text, mode columns, 'only here' mark."""
    hits = result.hits
    columns = ["rank", "score", "id", "text"] + [c for c in _MODE_COLUMNS if c in hits.columns]
    frame = hits.select(columns)
    if "found_only_here" in hits.columns:
        frame = frame.with_columns(
            pl.when(hits["found_only_here"]).then(pl.lit(f"only {result.model_id}")).otherwise(pl.lit(""))
            .alias("found only by")
        )
    return frame


def render_hits_table(result: SearchResult, *, key: str, height: int | None = None) -> None:
    """The ranked hits as a table (text shown as plain text, never as markup)."""
    frame = hits_for_table(result)
    score_label = {"keyword": "matches", "hybrid": "RRF score"}.get(result.mode, "cosine")
    st.dataframe(
        frame,
        key=key,
        hide_index=True,
        width="stretch",
        height=height or "auto",
        column_config={
            "rank": st.column_config.NumberColumn("rank", width="small"),
            "score": st.column_config.NumberColumn(score_label, format="%.4f" if result.mode != "keyword" else "%d",
                                                   help=_SCORE_HELP.get(result.mode, "")),
            "id": st.column_config.TextColumn("id", width="small"),
            "text": st.column_config.TextColumn("text", width="large"),
            "dense_part": st.column_config.NumberColumn("dense part", format="%.5f"),
            "bm25_part": st.column_config.NumberColumn("BM25 part", format="%.5f"),
        },
    )


_SCORE_HELP = {
    "semantic": "Cosine similarity between the query and the item in this model (1 = same direction).",
    "similar": "Cosine similarity to the chosen item.",
    "arithmetic": "Cosine similarity to the expression's vector.",
    "keyword": "How many times the pattern occurs in the text.",
    "hybrid": "Weighted reciprocal rank fusion: dense part + BM25 part (see the columns on the right).",
}


def render_highlighted_hits(result: SearchResult, *, limit: int = 10) -> None:
    """The top hits' texts with the matched words marked (keyword and hybrid modes)."""
    spec = result.params.get("highlight")
    if not spec or result.hits.height == 0:
        return
    items = []
    for row in result.hits.head(limit).iter_rows(named=True):
        spans = highlight_spans(row["text"], spec["pattern"], regex=spec["regex"], case_sensitive=spec["case_sensitive"])
        items.append(
            f'<li style="margin-bottom:0.35em"><span style="opacity:0.6">{int(row["rank"])}. '
            f'[{html.escape(str(row["id"]))}]</span> {highlighted_html(row["text"], spans)}</li>'
        )
    st.html('<ol style="list-style:none;padding-left:0;font-size:0.92rem" data-testid="search-highlights">'
            + "".join(items) + "</ol>")


def render_notes(result: SearchResult) -> None:
    """The result's notes (they quote the user's query, so they are escaped)."""
    for note in result.notes:
        st.caption(escape_markdown(note))


def render_item(corpus: Any, item_id: str, *, model_hits: Mapping[str, SearchResult] | None = None) -> None:
    """One item: its full text (plain text) and metadata, and its rank in each model's hits."""
    frame = corpus.frame.filter(pl.col("id") == str(item_id))
    if frame.height == 0:
        st.warning(f"No item with id {item_id!r} in this corpus.")
        return
    row = frame.row(0, named=True)
    st.text(row["text"])
    metadata = {k: v for k, v in row.items() if k not in ("id", "text")}
    ranks = {}
    for name, result in (model_hits or {}).items():
        position = result.ids.index(str(item_id)) + 1 if str(item_id) in result.ids else None
        ranks[f"rank in {name}"] = position if position else "—"
    table = pl.DataFrame({"field": ["id", *metadata, *ranks],
                          "value": [str(item_id), *(str(v) for v in metadata.values()), *(str(v) for v in ranks.values())]})
    st.dataframe(table, hide_index=True, width="stretch")


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
    left.download_button("Download CSV", frame.write_csv().encode("utf-8"), file_name="search_hits.csv",
                         mime="text/csv", key=f"{key}_csv", help="Every model's hits in one table.")
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    right.download_button("Download Parquet", buffer.getvalue(), file_name="search_hits.parquet",
                          mime="application/octet-stream", key=f"{key}_parquet",
                          help="The same table as Parquet (keeps column types).")


def search_hits_payload(result: SearchResult) -> dict[str, Any]:
    """The ``state.SEARCH_HITS`` hand-off for the map: dict(corpus_id, model_id, ids, scores, query)."""
    return {"corpus_id": result.corpus_id, "model_id": result.model_id, "ids": [str(i) for i in result.ids],
            "scores": result.scores, "query": result.query}


def render_hits_map(corpus: Any, result: SearchResult, *, key: str) -> None:
    """A small map of the hits (red rings) on the stored default layout of the result's model.

    Uses the Map page's chart builder; never computes a layout here (that is the Map page's job).
    """
    from components import map_view
    from components import resources as res
    from engine.project import ProjectionSpec

    spec = ProjectionSpec()
    if res.stored_projection(corpus.corpus_id, result.model_id, spec) is None:
        st.caption("No map layout is stored for this model yet: press **Show on map** to compute it on the Map page.")
        return
    projection = res.projection(corpus.corpus_id, result.model_id, spec)
    rows = map_view.rows_of_ids(corpus, result.ids)
    coloring = map_view.coloring(map_view.NONE, corpus=corpus, clustering=None, color_scores=None)
    figure = map_view.map_chart(projection, corpus.texts, color=coloring, highlight=rows, height=380)
    st.plotly_chart(figure, key=key, width="stretch", config={"displaylogo": False})
    st.caption(f"Red rings: the {len(rows)} hits of {result.model_id} on its default UMAP layout.")
