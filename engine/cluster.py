"""Clusters of an embedding space, named by their distinctive words.

Two algorithms, the user's choice: HDBSCAN (finds the number of clusters itself and leaves
outliers unclustered, label -1) and k-means (exactly ``n_clusters`` groups). Either runs on the
full embedding, on a 50-dimensional PCA of it, or on the map coordinates of a projection (what
the map shows; fast).

Each cluster is named by class-based TF-IDF against the whole corpus (BERTopic's formula, scaled
by how over-represented a word is in the cluster): the words of all its texts are pooled into one
document per cluster, and a word scores high when it is frequent in that cluster and rare in the
corpus. English stop words, words in more than half of all texts, and near-duplicates of a
better word ("models" after "model") are left out. The scoring lives in engine/keywords.py.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.errors import ProjectionError
from engine.keywords import (  # noqa: F401  (re-exported: the names cluster users import)
    TermCounts,
    cluster_keywords,
    distinct_terms,
    keywords_from_counts,
    term_counts,
)
from engine.types import Corpus, Embeddings

if TYPE_CHECKING:
    from engine.project import Projection
    from engine.store import Store

ClusterMethod = Literal["hdbscan", "kmeans"]
ClusterSpace = Literal["map", "pca", "embedding"]
Labels = npt.NDArray[np.int32]  # (n,) cluster per row; -1 unclustered (noise or not projected)

CLUSTER_METHODS: tuple[str, ...] = ("hdbscan", "kmeans")
CLUSTER_SPACES: tuple[str, ...] = ("map", "pca", "embedding")
NAMESPACE = "clusters"
NOISE = -1
NOISE_LABEL = "unclustered"
_LABELLER_VERSION = 4  # bump when clustering or labelling changes, so stored results are not reused
@dataclass(frozen=True, slots=True)
class ClusterSpec:
    """A clustering request: small, hashable, usable as a cache key."""

    method: ClusterMethod = "hdbscan"
    space: ClusterSpace = "map"
    min_cluster_size: int | None = None
    n_clusters: int = 8
    seed: int | None = 42

    def kwargs(self) -> dict[str, Any]:
        return {"method": self.method, "space": self.space, "min_cluster_size": self.min_cluster_size,
                "n_clusters": self.n_clusters, "seed": self.seed}


@dataclass(frozen=True, slots=True)
class ClusterInfo:
    """One cluster: its size, name, distinctive terms and a few representative rows."""

    cluster: int
    size: int
    label: str
    terms: tuple[str, ...]
    examples: tuple[int, ...]  # row numbers, closest to the cluster's centre first


@dataclass(frozen=True, slots=True, eq=False)
class Clustering:
    """Cluster labels for one model's view of one corpus.

    Attributes:
        labels: (n,) int32, read-only; -1 marks unclustered rows (HDBSCAN noise, rows the model
            could not represent, rows without a map position).
        clusters: One ClusterInfo per cluster, largest first.
        params: Method, space and parameters (with the projection key when space is "map").
    """

    corpus_id: str
    model_id: str
    method: str
    space: str
    params: dict[str, Any]
    seed: int | None
    labels: Labels
    clusters: tuple[ClusterInfo, ...] = ()
    seconds: float = 0.0
    key: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.labels.ndim != 1:
            raise ValueError("labels must be 1-D")
        if self.labels.flags.writeable:
            self.labels.setflags(write=False)

    @property
    def names(self) -> dict[int, str]:
        """Cluster number → label (including -1 → "unclustered")."""
        return {NOISE: NOISE_LABEL} | {info.cluster: info.label for info in self.clusters}

    def summary(self) -> dict[str, Any]:
        return {
            "corpus_id": self.corpus_id,
            "model_id": self.model_id,
            "method": self.method,
            "space": self.space,
            "params": self.params,
            "seed": self.seed,
            "n": int(self.labels.size),
            "n_clusters": len(self.clusters),
            "n_unclustered": int((self.labels == NOISE).sum()),
            "seconds": round(self.seconds, 3),
            "key": self.key,
            "notes": list(self.notes),
            "clusters": [
                {"cluster": c.cluster, "size": c.size, "label": c.label, "terms": list(c.terms),
                 "examples": list(c.examples)}
                for c in self.clusters
            ],
        }


def default_min_cluster_size(n: int) -> int:
    """About 1 % of the points, at least 5 and at most 500."""
    return int(min(500, max(5, n // 100)))


def _features(
    embeddings: Embeddings, space: str, projection: "Projection | None", seed: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """(row numbers that can be clustered, their features) for the chosen space."""
    usable = np.asarray(embeddings.valid, dtype=bool) & np.isfinite(embeddings.vectors).all(axis=1)
    if space == "map":
        if projection is None:
            raise ProjectionError("Clustering on the map needs a projection: compute the map first.")
        if projection.n != embeddings.n:
            raise ProjectionError("This projection belongs to another version of the corpus; recompute the map.")
        usable &= projection.projected
        rows = np.flatnonzero(usable)
        return rows, np.asarray(projection.coords[rows], dtype=np.float64)
    rows = np.flatnonzero(usable)
    vectors = np.asarray(embeddings.vectors[rows], dtype=np.float32)
    if space == "pca" and vectors.shape[1] > 50 and rows.size > 50:
        from sklearn.decomposition import PCA

        vectors = PCA(n_components=50, random_state=seed or 0).fit_transform(vectors).astype(np.float32)
    return rows, vectors


def cluster_embeddings(
    embeddings: Embeddings,
    texts: Sequence[str],
    *,
    method: ClusterMethod = "hdbscan",
    space: ClusterSpace = "map",
    projection: "Projection | None" = None,
    min_cluster_size: int | None = None,
    n_clusters: int = 8,
    seed: int | None = 42,
    top_n: int = 8,
    store: "Store | None" = None,
) -> Clustering:
    """Cluster the rows and name each cluster by its distinctive words.

    Args:
        embeddings: One model's vectors for one corpus.
        texts: The corpus texts, in row order (for the keyword labels).
        method: ``"hdbscan"`` (finds the number of clusters; leaves outliers out) or ``"kmeans"``.
        space: ``"map"`` (the projection's coordinates; needs ``projection``), ``"pca"`` (50-D PCA
            of the vectors) or ``"embedding"`` (the full vectors; slow for HDBSCAN past ~20k rows).
        min_cluster_size: HDBSCAN's smallest cluster (default: about 1 % of the rows).
        n_clusters: k-means' number of clusters (clamped to the number of rows).
        seed: k-means initialisation seed (HDBSCAN is deterministic).
        store: When given, results are loaded from / saved to the workspace.

    Raises:
        ProjectionError: Bad parameters, or nothing to cluster.
    """
    if method not in CLUSTER_METHODS:
        raise ProjectionError(f"method must be one of {', '.join(CLUSTER_METHODS)}; got {method!r}.")
    if space not in CLUSTER_SPACES:
        raise ProjectionError(f"space must be one of {', '.join(CLUSTER_SPACES)}; got {space!r}.")
    if len(texts) != embeddings.n:
        raise ProjectionError(f"Got {len(texts)} texts for {embeddings.n} vectors; they must match row for row.")
    params: dict[str, Any] = {"top_n": top_n}
    if method == "hdbscan":
        params["min_cluster_size"] = int(min_cluster_size or default_min_cluster_size(int(embeddings.valid.sum())))
        if params["min_cluster_size"] < 2:
            raise ProjectionError(f"min_cluster_size must be at least 2; got {min_cluster_size!r}.")
    else:
        if int(n_clusters) < 1:
            raise ProjectionError(f"n_clusters must be at least 1; got {n_clusters!r}.")
        params["n_clusters"] = int(n_clusters)
    if space == "map" and projection is not None:
        params["projection"] = projection.key
    recipe = {"labeller": _LABELLER_VERSION, "model_id": embeddings.model_id, "n": embeddings.n, "method": method, "space": space,
              "params": params, "seed": seed}
    key = f"{method}-{space}-" + hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    if store is not None:
        stored = load_clustering(store, embeddings.corpus_id, key)
        if stored is not None:
            return stored
    started = time.perf_counter()
    rows, features = _features(embeddings, space, projection, seed)
    labels = np.full(embeddings.n, NOISE, dtype=np.int32)
    notes: list[str] = []
    if rows.size == 0:
        raise ProjectionError("No rows can be clustered with this model. Pick another model in the sidebar.")
    if method == "hdbscan":
        if rows.size < params["min_cluster_size"]:
            notes.append(f"Only {rows.size} rows: fewer than the smallest cluster size, so nothing is clustered.")
            found = np.full(rows.size, NOISE)
        else:
            from sklearn.cluster import HDBSCAN

            # min_samples below min_cluster_size leaves fewer points as noise (about 30 % vs 40 % on lee-news)
            min_samples = max(2, params["min_cluster_size"] // 5)
            found = HDBSCAN(min_cluster_size=params["min_cluster_size"], min_samples=min_samples,
                            copy=True).fit_predict(features)
    else:
        from sklearn.cluster import KMeans

        k = min(params["n_clusters"], rows.size)
        if k < params["n_clusters"]:
            notes.append(f"Only {rows.size} rows: k-means made {k} clusters.")
        distinct = np.unique(features, axis=0).shape[0]
        k = min(k, distinct)
        found = KMeans(n_clusters=k, n_init=3, random_state=seed if seed is not None else 0).fit_predict(features)
    labels[rows] = _renumber_by_size(np.asarray(found))
    keywords = cluster_keywords(texts, labels, top_n=top_n)
    clusters = tuple(
        ClusterInfo(
            cluster=c,
            size=int((labels == c).sum()),
            label=" · ".join(keywords.get(c, [])[:3]) or f"cluster {c}",
            terms=tuple(keywords.get(c, [])),
            examples=_central_rows(embeddings, labels, c),
        )
        for c in sorted(keywords)
    )
    result = Clustering(
        corpus_id=embeddings.corpus_id, model_id=embeddings.model_id, method=method, space=space,
        params=params, seed=seed, labels=labels, clusters=clusters,
        seconds=time.perf_counter() - started, key=key, notes=tuple(notes),
    )
    if store is not None:
        store.save_array(result.corpus_id, NAMESPACE, key, labels)
        store.save_json(result.corpus_id, NAMESPACE, key, result.summary())
    return result


def _renumber_by_size(found: np.ndarray) -> np.ndarray:
    """Cluster numbers 0, 1, 2… from the largest cluster down; noise stays -1."""
    renumbered = np.full(found.shape, NOISE, dtype=np.int32)
    clusters, sizes = np.unique(found[found >= 0], return_counts=True)
    for new, old in enumerate(clusters[np.argsort(-sizes, kind="stable")]):
        renumbered[found == old] = new
    return renumbered


def _central_rows(embeddings: Embeddings, labels: np.ndarray, cluster: int, count: int = 3) -> tuple[int, ...]:
    members = np.flatnonzero(labels == cluster)
    if members.size == 0:
        return ()
    vectors = np.asarray(embeddings.vectors[members], dtype=np.float32)
    centre = vectors.mean(axis=0)
    order = np.argsort(-(vectors @ centre), kind="stable")[:count]
    return tuple(int(members[i]) for i in order)


def load_clustering(store: "Store", corpus_id: str, key: str) -> Clustering | None:
    summary = store.load_json(corpus_id, NAMESPACE, key)
    labels = store.load_array(corpus_id, NAMESPACE, key, mmap=False) if summary else None
    if summary is None or labels is None:
        return None
    clusters = tuple(
        ClusterInfo(cluster=c["cluster"], size=c["size"], label=c["label"], terms=tuple(c["terms"]),
                    examples=tuple(c["examples"]))
        for c in summary["clusters"]
    )
    return Clustering(
        corpus_id=corpus_id, model_id=summary["model_id"], method=summary["method"], space=summary["space"],
        params=summary["params"], seed=summary["seed"], labels=np.asarray(labels, dtype=np.int32),
        clusters=clusters, seconds=float(summary.get("seconds", 0.0)), key=key,
        notes=tuple(summary.get("notes", ())),
    )


def cluster_table(clustering: Clustering, corpus: Corpus, *, examples: int = 2, max_chars: int = 160) -> pl.DataFrame:
    """One row per cluster: cluster, size, label, top terms, example texts (largest first)."""
    texts = corpus.frame["text"]

    def clip(text: str) -> str:
        return text if len(text) <= max_chars else text[: max_chars - 1] + "…"

    rows = [
        {"cluster": c.cluster, "size": c.size, "label": c.label, "top_terms": ", ".join(c.terms),
         "examples": " | ".join(clip(texts[i]) for i in c.examples[:examples])}
        for c in clustering.clusters
    ]
    unclustered = int((clustering.labels == NOISE).sum())
    if unclustered:
        rows.append({"cluster": NOISE, "size": unclustered, "label": NOISE_LABEL, "top_terms": "", "examples": ""})
    schema = {"cluster": pl.Int32, "size": pl.Int64, "label": pl.String, "top_terms": pl.String, "examples": pl.String}
    return pl.DataFrame(rows, schema=schema)


def cluster_centres(labels: npt.ArrayLike, coords: np.ndarray) -> dict[int, np.ndarray]:
    """Cluster → the median map position of its members (where its label is drawn)."""
    labels = np.asarray(labels)
    centres = {}
    for cluster in np.unique(labels):
        if cluster < 0:
            continue
        members = coords[labels == cluster]
        members = members[np.isfinite(members).all(axis=1)]
        if members.size:
            centres[int(cluster)] = np.median(members, axis=0)
    return centres
