"""Curate a clustering: rename, merge, split and move, kept as a named clustering with provenance.

Every operation is a pure function ``NamedClustering -> NamedClustering`` that appends one step
(``{"op": ..., ...}``) to ``steps``, so the stored clustering says how it came to be; store the
result with ``engine.itemsets.update_named_clustering`` (read-modify-write under the lock).
Splitting re-clusters the cluster's own points with ``engine.cluster.cluster_embeddings``
(k-means on their full vectors) and names the parts by their distinctive words *within* the
cluster. :func:`to_clustering` turns a named clustering back into an ``engine.cluster.Clustering``
(curated names as labels, keywords and central examples recomputed), which is what the Map,
its tables and exports draw.

Example:
    >>> import numpy as np
    >>> from engine.itemsets import NamedClustering
    >>> named = NamedClustering("mine", "c", "m", np.array([0, 0, 1, -1], dtype=np.int32), {0: "a", 1: "b"})
    >>> merged = merge_clusters(rename_cluster(named, 1, "birds"), 0, 1)
    >>> merged.labels.tolist(), merged.names, [s["op"] for s in merged.steps]
    ([0, 0, 0, -1], {0: 'a'}, ['rename', 'merge'])
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from engine.cluster import (
    NOISE,
    ClusterInfo,
    Clustering,
    _central_rows,
    cluster_embeddings,
    cluster_keywords,
)
from engine.itemsets import ItemSetError, NamedClustering, check_name, now
from engine.types import Embeddings

MAX_SPLIT_PARTS = 10


def from_clustering(clustering: Clustering, name: str) -> NamedClustering:
    """A named clustering that starts from a computed one (its keyword labels as names)."""
    source = {"method": clustering.method, "space": clustering.space, "params": clustering.params,
              "seed": clustering.seed, "key": clustering.key, "model_id": clustering.model_id}
    if clustering.method == "curated":  # saving a curated clustering under a new name: keep its history
        source = dict(clustering.params.get("source", source))
    return NamedClustering(name=check_name(name, "clustering"), corpus_id=clustering.corpus_id,
                           model_id=clustering.model_id, labels=np.array(clustering.labels, dtype=np.int32),
                           names={c.cluster: c.label for c in clustering.clusters}, source=source,
                           steps=tuple(clustering.params.get("steps", ())), created=now(),
                           terms={c.cluster: tuple(c.terms) for c in clustering.clusters})


def _step(named: NamedClustering, labels: np.ndarray, names: dict[int, str], *, changed: Sequence[int] = (),
          terms: dict[int, tuple[str, ...]] | None = None, **step: Any) -> NamedClustering:
    """The clustering after one step; ``changed``: clusters whose membership changed (their words
    are recomputed when drawn), ``terms``: words known for new clusters."""
    labels = np.asarray(labels, dtype=np.int32)
    present = set(np.unique(labels[labels >= 0]).tolist())
    kept_terms = {c: t for c, t in {**named.terms, **(terms or {})}.items() if c in present and c not in changed}
    return replace(named, labels=labels, names={c: n for c, n in names.items() if c in present},
                   steps=(*named.steps, {**step, "at": now()}), terms=kept_terms)


def _check_cluster(named: NamedClustering, cluster: int) -> int:
    cluster = int(cluster)
    if cluster not in named.clusters:
        raise ItemSetError(f"There is no cluster {cluster} in {named.name!r} (it may have been merged).")
    return cluster


def rename_cluster(named: NamedClustering, cluster: int, new_name: str) -> NamedClustering:
    cluster = _check_cluster(named, cluster)
    new_name = check_name(new_name, "cluster")
    return _step(named, named.labels, {**named.names, cluster: new_name}, op="rename", cluster=cluster,
                 old=named.label_of(cluster), new=new_name)


def merge_clusters(named: NamedClustering, keep: int, absorb: int, *, name: str | None = None) -> NamedClustering:
    """Put every item of ``absorb`` into ``keep`` (which keeps its number, and its name unless
    ``name`` is given)."""
    keep, absorb = _check_cluster(named, keep), _check_cluster(named, absorb)
    if keep == absorb:
        raise ItemSetError("Pick two different clusters to merge.")
    labels = np.where(named.labels == absorb, keep, named.labels)
    names = dict(named.names)
    if name is not None:
        names[keep] = check_name(name, "cluster")
    return _step(named, labels, names, changed=(keep,), op="merge", keep=keep, absorb=absorb, keep_name=named.label_of(keep),
                 absorb_name=named.label_of(absorb), new=names.get(keep, named.label_of(keep)))


def move_items(named: NamedClustering, rows: Sequence[int], target: int, *,
               new_name: str | None = None) -> NamedClustering:
    """Move rows into cluster ``target`` (``-1``: unclustered). With ``new_name``, ``target`` is
    ignored and the rows become a new cluster of that name."""
    rows = np.asarray(sorted({int(r) for r in rows}), dtype=np.int64)
    if rows.size == 0:
        raise ItemSetError("Select the items to move first.")
    if rows.min() < 0 or rows.max() >= named.labels.size:
        raise ItemSetError("Some of these items are not in this corpus.")
    names = dict(named.names)
    if new_name is not None:
        target = _next_number(named)
        names[target] = check_name(new_name, "cluster")
    elif int(target) != NOISE:
        target = _check_cluster(named, target)
    labels = named.labels.copy()
    changed = {int(target), *np.unique(labels[rows]).tolist()}
    labels[rows] = int(target)
    return _step(named, labels, names, changed=sorted(changed), op="move", n_items=int(rows.size), target=int(target),
                 target_name=names.get(int(target), "unclustered"))


def split_cluster(named: NamedClustering, cluster: int, embeddings: Embeddings, texts: Sequence[str], *,
                  parts: int = 2, seed: int | None = 42) -> NamedClustering:
    """Re-cluster one cluster's points into ``parts`` clusters (k-means on their full vectors, the
    engine.cluster machinery), each named by its distinctive words within the cluster."""
    cluster = _check_cluster(named, cluster)
    if not 2 <= int(parts) <= MAX_SPLIT_PARTS:
        raise ItemSetError(f"Split a cluster into 2 to {MAX_SPLIT_PARTS} parts.")
    if embeddings.n != named.labels.size or len(texts) != named.labels.size:
        raise ItemSetError(f"The clustering {named.name!r} belongs to another version of this corpus.")
    members = np.flatnonzero(named.labels == cluster)
    if members.size < int(parts):
        raise ItemSetError(f"This cluster has {members.size} items: too few to split into {parts}.")
    part_embeddings = Embeddings(corpus_id=embeddings.corpus_id, model_id=embeddings.model_id,
                                 vectors=np.asarray(embeddings.vectors[members], dtype=np.float32),
                                 valid=np.asarray(embeddings.valid, dtype=bool)[members])
    found = cluster_embeddings(part_embeddings, [texts[int(r)] for r in members], method="kmeans",
                               space="embedding", n_clusters=int(parts), seed=seed)
    if len(found.clusters) < 2:
        raise ItemSetError("These items cannot be split: their vectors are (nearly) identical.")
    labels = named.labels.copy()
    names = dict(named.names)
    old_name = named.label_of(cluster)
    first = _next_number(named)
    new_numbers, terms = [], {}
    for offset, info in enumerate(found.clusters):  # largest part first
        number = first + offset
        labels[members[found.labels == info.cluster]] = number
        names[number] = info.label
        new_numbers.append(number)
        terms[number] = tuple(info.terms)  # distinctive within the old cluster: what tells the parts apart
    labels[members[found.labels == NOISE]] = new_numbers[0]  # rows without a usable vector stay together
    return _step(named, labels, names, terms=terms, op="split", cluster=cluster, old=old_name, parts=int(parts),
                 method="kmeans", space="embedding", seed=seed, into=new_numbers)


def _next_number(named: NamedClustering) -> int:
    used = [*named.names, *np.unique(named.labels).tolist(), -1]
    return int(max(used)) + 1


def to_clustering(named: NamedClustering, embeddings: Embeddings, texts: Sequence[str], *,
                  top_n: int = 8) -> Clustering:
    """The named clustering as an ``engine.cluster.Clustering``: curated names as labels, sizes,
    distinctive words and central examples recomputed for the curated membership."""
    if embeddings.n != named.labels.size or len(texts) != named.labels.size:
        raise ItemSetError(f"The clustering {named.name!r} belongs to another version of this corpus.")
    labels = np.array(named.labels, dtype=np.int32)
    keywords: dict[int, Sequence[str]] = dict(named.terms)
    if any(c not in keywords for c in named.clusters):  # c-TF-IDF reads every text: only when membership changed
        keywords = {**cluster_keywords(texts, labels, top_n=top_n), **named.terms}
    clusters = tuple(
        ClusterInfo(cluster=c, size=int((labels == c).sum()), label=named.label_of(c),
                    terms=tuple(keywords.get(c, ())), examples=_central_rows(embeddings, labels, c))
        for c in named.clusters)
    params = {"name": named.name, "source": named.source, "steps": list(named.steps)}
    return Clustering(corpus_id=named.corpus_id, model_id=named.model_id, method="curated",
                      space=str(named.source.get("space", "curated")), params=params,
                      seed=named.source.get("seed"), labels=labels, clusters=clusters,
                      key=f"curated-{named.updated}", notes=())
