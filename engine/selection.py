"""A summary of any selection of items (issue 16 §5): what the selected points have in common.

Count, the selection's distinctive words against the whole corpus (the project's one c-TF-IDF,
``engine.keywords``, with the selection as one class), a breakdown of each metadata column
against the corpus, the most central items (closest to the selection's centroid in the
embedding, ties by row id through ``engine.vectors``) and the clusters whose centroids lie
nearest to it, leaving out the clusters that hold most of the selection (it lies *in* them).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from engine.errors import SearchError
from engine.keywords import TermCounts, keywords_from_counts, term_counts
from engine.labels import is_identifier_column
from engine.types import Corpus, Embeddings
from engine.vectors import order_by_similarity, unit_rows, unit_vector

MAX_CATEGORIES = 5  # values listed per categorical column
MAX_DISTINCT_CATEGORY = 200  # more distinct values than this: a free-text column, not a category


@dataclass(frozen=True, slots=True)
class ColumnBreakdown:
    """One metadata column in the selection against the whole corpus.

    ``kind`` is "category" (``values``: (value, count in selection, share of selection, share of
    corpus), most common first), "number" or "date" (``stats``: selection and corpus min, median, max).
    """

    column: str
    kind: str
    values: tuple[tuple[str, int, float, float], ...] = ()
    stats: tuple[tuple[str, Any, Any], ...] = ()  # (statistic, selection, corpus)
    missing: int = 0  # selected rows with no value


@dataclass(frozen=True, slots=True)
class NeighborCluster:
    cluster: int
    label: str
    similarity: float  # cosine of the cluster's centroid and the selection's centroid
    in_selection: int  # selected items in that cluster


@dataclass(frozen=True, slots=True)
class SelectionSummary:
    count: int
    total: int
    keywords: tuple[str, ...]
    columns: tuple[ColumnBreakdown, ...]
    central: tuple[int, ...]  # row numbers, most central first
    central_similarity: tuple[float, ...]
    neighbors: tuple[NeighborCluster, ...]
    home_clusters: tuple[tuple[int, str, int], ...]  # (cluster, label, selected items) holding most of it


def selection_keywords(counts: TermCounts | None, rows: Sequence[int], *, top_n: int = 8) -> list[str]:
    """The selection's most distinctive words against the whole corpus (c-TF-IDF, one class)."""
    if counts is None or len(rows) == 0:
        return []
    labels = np.full(counts.n, -1, dtype=np.int64)
    labels[np.asarray(rows, dtype=np.int64)] = 0
    return keywords_from_counts(counts, labels, top_n=top_n).get(0, [])


def _breakdown(series: pl.Series, rows: np.ndarray, max_categories: int) -> ColumnBreakdown | None:
    picked = series.gather(rows)
    missing = int(picked.null_count())
    dtype = series.dtype
    if dtype.is_temporal() or (dtype.is_numeric() and not is_identifier_column(series)):
        kind = "date" if dtype.is_temporal() else "number"
        present, everything = picked.drop_nulls(), series.drop_nulls()
        if present.len() == 0:
            return ColumnBreakdown(series.name, kind, missing=missing)

        def stat(s: pl.Series, name: str) -> Any:
            value = getattr(s, name)()
            return value if kind == "date" else (None if value is None else round(float(value), 4))

        return ColumnBreakdown(series.name, kind, missing=missing,
                               stats=tuple((name, stat(present, name), stat(everything, name))
                                           for name in ("min", "median", "max")))
    if dtype.is_numeric() or series.n_unique() > MAX_DISTINCT_CATEGORY:
        return None  # an identifier or free text: no breakdown says anything
    strings = picked.cast(pl.String).drop_nulls()
    if strings.len() == 0:
        return ColumnBreakdown(series.name, "category", missing=missing)
    counted = strings.value_counts(sort=True, name="n")
    corpus_counts = dict(series.cast(pl.String).drop_nulls().value_counts(name="n").iter_rows())
    total, selected = max(series.len(), 1), max(int(picked.len()), 1)
    top = counted.sort(["n", series.name], descending=[True, False]).head(max_categories)
    values = tuple((str(value), int(n), n / selected, corpus_counts.get(value, 0) / total)
                   for value, n in top.iter_rows())
    return ColumnBreakdown(series.name, "category", values=values, missing=missing)


def summarize_selection(
    corpus: Corpus,
    rows: Sequence[int],
    *,
    embeddings: Embeddings | None = None,
    counts: TermCounts | None = None,
    cluster_labels: np.ndarray | None = None,
    cluster_names: dict[int, str] | None = None,
    top_n: int = 8,
    central: int = 3,
    neighbors: int = 3,
    max_categories: int = MAX_CATEGORIES,
) -> SelectionSummary:
    """Summarise the items at ``rows``.

    Args:
        corpus: The corpus the rows belong to.
        rows: Selected row numbers (repeats are ignored).
        embeddings: The model's vectors (central items and neighbouring clusters need them).
        counts: ``term_counts(corpus.texts)``, counted once per corpus (default: counted here).
        cluster_labels: (n,) cluster per row, -1 unclustered (neighbouring clusters need them).
        cluster_names: Cluster -> name shown (a curated name or the keyword label).
        top_n, central, neighbors, max_categories: How many of each to return.

    Raises:
        SearchError: A row outside the corpus, or embeddings/labels of another corpus size.
    """
    n = len(corpus)
    selected = np.unique(np.asarray(list(rows), dtype=np.int64))
    if selected.size and (selected[0] < 0 or selected[-1] >= n):
        raise SearchError(f"The selection holds rows outside this corpus of {n} items; select again on the map.")
    for name, value in (("embeddings", embeddings.n if embeddings is not None else n),
                        ("cluster labels", len(cluster_labels) if cluster_labels is not None else n)):
        if value != n:
            raise SearchError(f"The {name} have {value} rows, the corpus {n}: recompute the map.")
    if counts is None and selected.size:
        counts = term_counts(corpus.texts)
    keywords = tuple(selection_keywords(counts, selected, top_n=top_n))
    columns = tuple(b for c in corpus.metadata_columns
                    if (b := _breakdown(corpus.frame[c], selected, max_categories)) is not None)
    central_rows: tuple[int, ...] = ()
    central_sims: tuple[float, ...] = ()
    near: list[NeighborCluster] = []
    home: list[tuple[int, str, int]] = []
    names = cluster_names or {}
    if embeddings is not None and selected.size:
        usable = selected[np.asarray(embeddings.valid)[selected]]
        vectors = unit_rows(embeddings.vectors[usable])
        centre = unit_vector(vectors.mean(axis=0)) if usable.size else None
        if centre is not None:
            similarity = vectors @ centre.astype(np.float32)
            order = order_by_similarity(similarity, usable)[:central]
            central_rows = tuple(int(usable[i]) for i in order)
            central_sims = tuple(float(similarity[i]) for i in order)
            if cluster_labels is not None:
                near, home = _neighbor_clusters(embeddings, np.asarray(cluster_labels), selected, centre, names,
                                                neighbors)
    return SelectionSummary(count=int(selected.size), total=n, keywords=keywords, columns=columns,
                            central=central_rows, central_similarity=central_sims, neighbors=tuple(near),
                            home_clusters=tuple(home))


def _neighbor_clusters(embeddings: Embeddings, labels: np.ndarray, selected: np.ndarray, centre: np.ndarray,
                       names: dict[int, str], count: int) -> tuple[list[NeighborCluster], list[tuple[int, str, int]]]:
    """Clusters nearest the selection's centroid, and the clusters holding most of the selection."""
    valid = np.asarray(embeddings.valid, dtype=bool) & (labels >= 0)
    clusters = np.unique(labels[valid])
    if clusters.size == 0:
        return [], []
    inside = dict(zip(*np.unique(labels[selected][labels[selected] >= 0], return_counts=True)))
    # the clusters the selection mostly lies in, largest share first, until they hold half of it
    home: list[tuple[int, str, int]] = []
    held = 0
    for cluster, k in sorted(inside.items(), key=lambda kv: (-kv[1], kv[0])):
        if held * 2 >= selected.size:
            break
        home.append((int(cluster), names.get(int(cluster), f"cluster {cluster}"), int(k)))
        held += int(k)
    members = np.flatnonzero(valid)
    positions = np.searchsorted(clusters, labels[members])
    sums = np.zeros((clusters.size, embeddings.vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, positions, unit_rows(embeddings.vectors[members]))
    similarity = (unit_rows(sums) @ centre).astype(np.float32)
    skip = {c for c, _, _ in home}
    keep = np.array([int(c) not in skip for c in clusters])
    order = order_by_similarity(similarity[keep], clusters[keep])[:count]
    near = [NeighborCluster(int(c), names.get(int(c), f"cluster {c}"), float(s), int(inside.get(c, 0)))
            for c, s in zip(clusters[keep][order], similarity[keep][order])]
    return near, home
