"""A summary of a selection (issue 16 §5), for the Map page's selection panel.

Every value from the corpus (words, metadata values, column names, texts, cluster names) is drawn
as plain text or in a dataframe, never as Markdown or HTML.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl
import streamlit as st

from components import resources as res
from components.feedback import escape_markdown, user_errors
from components.item_detail import open_item_button
from engine.labels import shorten
from engine.selection import SelectionSummary


def _column_frame(column: Any) -> pl.DataFrame:
    if column.kind == "category":
        return pl.DataFrame(
            [{"value": v, "selected": n, "share of selection": round(s, 3), "share of corpus": round(c, 3)}
             for v, n, s, c in column.values],
            schema={"value": pl.String, "selected": pl.Int64, "share of selection": pl.Float64,
                    "share of corpus": pl.Float64})
    return pl.DataFrame({"statistic": [name for name, _, _ in column.stats],
                         "selection": [str(mine) for _, mine, _ in column.stats],
                         "corpus": [str(everyone) for _, _, everyone in column.stats]})


def render_summary(summary: SelectionSummary, *, corpus_id: str, labels: Sequence[str] = (),
                   key: str = "selection_summary") -> None:
    """Draw a SelectionSummary: count, words, central items, neighbouring clusters, metadata."""
    corpus = res.corpus(corpus_id)
    texts = corpus.frame["text"]
    ids = corpus.frame["id"]
    count_col, words_col = st.columns([1, 3])
    count_col.metric("Selected items", f"{summary.count:,}", help=f"Out of {summary.total:,} items in the corpus.")
    with words_col:
        st.caption("Distinctive words (against the whole corpus)",
                   help="Class-based TF-IDF: words frequent in the selection and rarer elsewhere.")
        st.text(" · ".join(summary.keywords) if summary.keywords else "No distinctive words.")
    if summary.central:
        st.caption("Most central items", help="Closest to the selection's centroid in the embedding space.")
        for rank, (row, similarity) in enumerate(zip(summary.central, summary.central_similarity)):
            text_col, open_col = st.columns([5, 1])
            name = labels[row] if row < len(labels) else shorten(texts[row], 80)
            text_col.text(f"{similarity:.3f}  {name}")
            with open_col:
                open_item_button(corpus_id, str(ids[row]), key=f"{key}_open_{rank}", label="Open")
    if summary.home_clusters or summary.neighbors:
        st.caption("Clusters", help="Where the selection lies, and the clusters whose centroids are nearest to "
                                    "its centroid (cosine in the embedding space).")
        rows = [{"relation": "holds the selection", "cluster": c, "name": name, "selected in it": k,
                 "similarity": None} for c, name, k in summary.home_clusters]
        rows += [{"relation": "nearby", "cluster": n.cluster, "name": n.label, "selected in it": n.in_selection,
                  "similarity": round(n.similarity, 3)} for n in summary.neighbors]
        st.dataframe(pl.DataFrame(rows, schema={"relation": pl.String, "cluster": pl.Int64, "name": pl.String,
                                                "selected in it": pl.Int64, "similarity": pl.Float64}),
                     hide_index=True, width="stretch", key=f"{key}_clusters")
    for column in summary.columns:
        with st.expander(f"Column · {escape_markdown(column.column)}"):  # expander labels are Markdown
            if column.missing:
                st.text(f"{column.missing:,} selected items have no value.")
            frame = _column_frame(column)
            if frame.height:
                st.dataframe(frame, hide_index=True, width="stretch", key=f"{key}_col_{column.column}")


def render_selection_summary(corpus_id: str, model_id: str, rows: Sequence[int], *, cluster_spec: Any = None,
                             projection_spec: Any = None, labels: Sequence[str] = (),
                             key: str = "selection_summary") -> SelectionSummary | None:
    """Summarise ``rows`` (cached) and draw it; errors show as messages. Returns the summary."""
    if not rows:
        st.info("Select points on the map (box or lasso) to see what they have in common.")
        return None
    summary = None
    with user_errors(stop=False):
        summary = res.selection_summary(corpus_id, model_id, tuple(sorted({int(r) for r in rows})),
                                        cluster_spec, projection_spec)
    if summary is not None:
        render_summary(summary, corpus_id=corpus_id, labels=labels, key=key)
    return summary
