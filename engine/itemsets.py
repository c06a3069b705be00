"""Named item sets per corpus, stored one way: tags and named (curated) clusterings.

A *tag* is a user-named set of row ids (an item may carry several tags). A *named clustering*
is a partition of the corpus into named clusters with its provenance (the clustering it started
from and every curation step since; ``engine.curation`` edits it). Both are stored per corpus
through :meth:`engine.store.Store.artifact_path`, so a hosted-demo visitor's sets on a demo corpus
live in their own area (``engine.visitors.PRIVATE_NAMESPACES``)::

    corpora/<corpus_id>/tags/tags.json             {"version": 1, "tags": {name: [ids...]}}
    corpora/<corpus_id>/clusterings/c-<sha1>.json  one named clustering (labels, names, provenance)

Writes are read-modify-write under a ``flock`` on the namespace folder and atomic (temp file +
rename), so two sessions tagging at once lose nothing and a crash leaves the last good file.

Both plug into the one filter model (``engine.filters``): :func:`tag_item_set` and
:func:`cluster_item_set` give an ``ItemSet`` that carries a ``ref`` to the stored set, and
:func:`resolve_filter` refreshes the ids of such sets from the store (a link may carry the ref
alone). Tag and cluster names are user text: checked here for length and control characters,
and never rendered as Markdown by the UI.

Example:
    >>> import tempfile
    >>> from engine.corpus import corpus_from_texts
    >>> from engine.store import Store
    >>> store = Store(tempfile.mkdtemp())
    >>> corpus, report = corpus_from_texts(["a cat", "a dog", "a cow"], name="pets")
    >>> _ = store.save_corpus(corpus, report)
    >>> tag_items(store, corpus.corpus_id, "mammals", ["0", "1"])
    2
    >>> load_tags(store, corpus.corpus_id)
    {'mammals': ('0', '1')}
"""
from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import polars as pl

from engine.errors import StoreError
from engine.filters import Filter, FilterError, ItemSet
from engine.locks import folder_lock
from engine.store import Store, write_json_atomic
from engine.types import Corpus

TAGS_NAMESPACE = "tags"
TAGS_KEY = "tags"
CLUSTERINGS_NAMESPACE = "clusterings"
TAGS_COLUMN = "tags"  # the export column; "embedscape_tags" when the corpus has a column of that name
MAX_NAME_CHARS = 80
MAX_TAGS = 1_000  # per corpus: a bound on what one visitor can make the server read on every page
NOISE = -1
ITEMSETS_VERSION = 1


class ItemSetError(StoreError):
    """A tag or named clustering cannot be stored or found (bad name, unknown set)."""


def now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def check_name(name: object, what: str = "tag") -> str:
    """The name with outer spaces stripped; raises ItemSetError when empty, too long, or holding
    control characters (a name is shown in tables, legends and file exports)."""
    text = str(name or "").strip()
    if not text:
        raise ItemSetError(f"Give the {what} a name.")
    if len(text) > MAX_NAME_CHARS:
        raise ItemSetError(f"A {what} name has at most {MAX_NAME_CHARS} characters; this one has {len(text)}.")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ItemSetError(f"A {what} name cannot hold line breaks, tabs or other control characters.")
    return text


def _locked(store: Store, corpus_id: str, namespace: str) -> contextlib.AbstractContextManager[None]:
    """An exclusive flock on the namespace's folder (where the store puts this corpus's sets)."""
    store.manifest(corpus_id)  # raises StoreError unless the corpus is in this store's scope
    return folder_lock(store.artifact_path(corpus_id, namespace, "lock", ".json").parent)


# -- tags ---------------------------------------------------------------------------------------------
def load_tags(store: Store, corpus_id: str) -> dict[str, tuple[str, ...]]:
    """Tag name → tagged item ids (in the order they were tagged), tags sorted by name."""
    try:
        payload = store.load_json(corpus_id, TAGS_NAMESPACE, TAGS_KEY)
    except (OSError, ValueError) as exc:
        raise ItemSetError(f"The tags of this corpus cannot be read ({type(exc).__name__}).") from exc
    tags = (payload or {}).get("tags", {}) if isinstance(payload, dict) else {}
    return {str(name): tuple(str(i) for i in ids) for name, ids in sorted(tags.items(), key=lambda kv: kv[0].casefold())}


def _update_tags(store: Store, corpus_id: str,
                 change: Callable[[dict[str, list[str]]], None]) -> dict[str, tuple[str, ...]]:
    with _locked(store, corpus_id, TAGS_NAMESPACE):
        tags = {name: list(ids) for name, ids in load_tags(store, corpus_id).items()}
        change(tags)
        tags = {name: ids for name, ids in tags.items() if ids}  # an empty tag is no tag
        if len(tags) > MAX_TAGS:
            raise ItemSetError(f"A corpus keeps at most {MAX_TAGS:,} tags; delete some first.")
        store.save_json(corpus_id, TAGS_NAMESPACE, TAGS_KEY,
                        {"version": ITEMSETS_VERSION, "updated": now(), "tags": tags})
    return load_tags(store, corpus_id)


def tag_items(store: Store, corpus_id: str, name: str, ids: Iterable[str]) -> int:
    """Add ``ids`` to the tag ``name`` (made if new); return how many items carry it now."""
    name = check_name(name)
    new = [str(i) for i in ids]

    def change(tags: dict[str, list[str]]) -> None:
        have = tags.setdefault(name, [])
        have.extend(dict.fromkeys(i for i in new if i not in set(have)))

    return len(_update_tags(store, corpus_id, change).get(name, ()))


def untag_items(store: Store, corpus_id: str, name: str, ids: Iterable[str]) -> int:
    """Remove ``ids`` from the tag (a tag left empty is deleted); return how many still carry it."""
    gone = {str(i) for i in ids}

    def change(tags: dict[str, list[str]]) -> None:
        if name in tags:
            tags[name] = [i for i in tags[name] if i not in gone]

    return len(_update_tags(store, corpus_id, change).get(name, ()))


def delete_tag(store: Store, corpus_id: str, name: str) -> None:
    _update_tags(store, corpus_id, lambda tags: tags.pop(name, None))


def rename_tag(store: Store, corpus_id: str, old: str, new: str) -> None:
    """Rename a tag; renaming onto an existing tag merges the two."""
    new = check_name(new)

    def change(tags: dict[str, list[str]]) -> None:
        if old not in tags:
            raise ItemSetError(f"There is no tag {old!r} on this corpus.")
        moved = tags.pop(old)
        have = tags.setdefault(new, [])
        have.extend(dict.fromkeys(i for i in moved if i not in set(have)))

    _update_tags(store, corpus_id, change)


def item_tags(ids: Sequence[str], tags: dict[str, tuple[str, ...]]) -> list[list[str]]:
    """Per item id (in order), the names of the tags it carries (sorted as ``tags``)."""
    position = {item: row for row, item in enumerate(ids)}
    out: list[list[str]] = [[] for _ in ids]
    for name, members in tags.items():
        for item in members:
            row = position.get(item)
            if row is not None:
                out[row].append(name)
    return out


def tags_column_name(corpus: Corpus) -> str:
    return TAGS_COLUMN if TAGS_COLUMN not in corpus.frame.columns else "embedscape_tags"


def export_frame(store: Store, corpus: Corpus, *, clusters: Sequence[str] | None = None,
                 cluster_column: str = "cluster") -> pl.DataFrame:
    """The whole corpus with a ``tags`` column (list of tag names; CSV writes it as JSON text
    through ``engine.export.to_csv_bytes``) and, when given, a column of (curated) cluster names
    per row. Export it with ``engine.export`` (formula cells neutralised in CSV)."""
    tags = item_tags(corpus.ids, load_tags(store, corpus.corpus_id))
    frame = corpus.frame.with_columns(pl.Series(tags_column_name(corpus), tags, dtype=pl.List(pl.String)))
    if clusters is not None:
        name = cluster_column if cluster_column not in frame.columns else f"embedscape_{cluster_column}"
        frame = frame.with_columns(pl.Series(name, list(clusters), dtype=pl.String))
    return frame


# -- named clusterings --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class NamedClustering:
    """A stored partition of a corpus into named clusters, with its provenance.

    Attributes:
        name: The user's name for it (user text).
        corpus_id, model_id: Whose rows, computed in which model's space.
        labels: (n,) int32 cluster per row; -1 unclustered.
        names: Cluster number → name (user text once curated).
        source: The clustering it started from (method, space, params, seed, key).
        steps: The curation steps since, in order (``engine.curation`` appends them).
        terms: Cluster number → distinctive words, kept while its membership is unchanged
            (a rename reuses them; a merge, move or split drops them and they are recomputed).
    """

    name: str
    corpus_id: str
    model_id: str
    labels: np.ndarray
    names: dict[int, str]
    source: dict[str, Any] = field(default_factory=dict)
    steps: tuple[dict[str, Any], ...] = ()
    created: str = ""
    updated: str = ""
    terms: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def clusters(self) -> list[int]:
        """Cluster numbers present, largest first (ties by number)."""
        found, sizes = np.unique(self.labels[self.labels >= 0], return_counts=True)
        return [int(c) for c in found[np.lexsort((found, -sizes))]]

    def label_of(self, cluster: int) -> str:
        return "unclustered" if cluster == NOISE else self.names.get(int(cluster), f"cluster {cluster}")

    def row_names(self) -> list[str]:
        """The cluster name of every row (what tables and exports show)."""
        lookup = {int(c): self.label_of(int(c)) for c in np.unique(self.labels)}
        return [lookup[int(c)] for c in self.labels]

    def as_dict(self) -> dict[str, Any]:
        return {"version": ITEMSETS_VERSION, "name": self.name, "corpus_id": self.corpus_id,
                "model_id": self.model_id, "labels": [int(c) for c in self.labels],
                "names": {str(k): v for k, v in sorted(self.names.items())}, "source": self.source,
                "steps": list(self.steps), "created": self.created, "updated": self.updated,
                "terms": {str(k): list(v) for k, v in sorted(self.terms.items())}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NamedClustering:
        try:
            return cls(name=str(data["name"]), corpus_id=str(data["corpus_id"]), model_id=str(data["model_id"]),
                       labels=np.asarray(data["labels"], dtype=np.int32),
                       names={int(k): str(v) for k, v in data.get("names", {}).items()},
                       source=dict(data.get("source", {})), steps=tuple(data.get("steps", ())),
                       terms={int(k): tuple(str(t) for t in v) for k, v in data.get("terms", {}).items()},
                       created=str(data.get("created", "")), updated=str(data.get("updated", "")))
        except (KeyError, TypeError, ValueError) as exc:
            raise ItemSetError(f"A stored clustering cannot be read ({type(exc).__name__}).") from exc


def clustering_key(name: str) -> str:
    """A file-name-safe key for a (hostile) clustering name."""
    return "c-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:16]


def save_named_clustering(store: Store, clustering: NamedClustering, *, overwrite: bool = True) -> NamedClustering:
    """Store a named clustering (stamped ``updated``); with ``overwrite=False`` a taken name raises."""
    name = check_name(clustering.name, "clustering")
    with _locked(store, clustering.corpus_id, CLUSTERINGS_NAMESPACE):
        key = clustering_key(name)
        if not overwrite and store.load_json(clustering.corpus_id, CLUSTERINGS_NAMESPACE, key) is not None:
            raise ItemSetError(f"There is already a clustering named {name!r}; pick another name.")
        stamped = replace(clustering, name=name, created=clustering.created or now(), updated=now())
        write_json_atomic(store.artifact_path(clustering.corpus_id, CLUSTERINGS_NAMESPACE, key, ".json"),
                          stamped.as_dict())
    return stamped


def load_named_clustering(store: Store, corpus_id: str, name: str) -> NamedClustering:
    """Raises ItemSetError when there is no clustering of that name."""
    try:
        payload = store.load_json(corpus_id, CLUSTERINGS_NAMESPACE, clustering_key(str(name)))
    except (OSError, ValueError) as exc:
        raise ItemSetError(f"The clustering {name!r} cannot be read ({type(exc).__name__}).") from exc
    if not isinstance(payload, dict):
        raise ItemSetError(f"There is no clustering named {name!r} on this corpus (it may have been deleted).")
    return NamedClustering.from_dict(payload)


def list_named_clusterings(store: Store, corpus_id: str) -> list[dict[str, Any]]:
    """One summary per stored named clustering (name, model, clusters, steps, updated), newest first."""
    out = []
    for key in store.list_artifacts(corpus_id, CLUSTERINGS_NAMESPACE):
        with contextlib.suppress(OSError, ValueError, ItemSetError, TypeError):
            payload = store.load_json(corpus_id, CLUSTERINGS_NAMESPACE, key)
            named = NamedClustering.from_dict(payload)
            out.append({"name": named.name, "model_id": named.model_id, "n_clusters": len(named.clusters),
                        "n_steps": len(named.steps), "updated": named.updated, "source": named.source})
    return sorted(out, key=lambda row: row["updated"], reverse=True)


def clustering_stamp(store: Store, corpus_id: str, name: str) -> str:
    """Changes whenever the stored clustering does (its file's modification time; "" if absent)."""
    path = store.artifact_path(corpus_id, CLUSTERINGS_NAMESPACE, clustering_key(str(name)), ".json")
    try:
        return str(path.stat().st_mtime_ns)
    except OSError:
        return ""


def delete_named_clustering(store: Store, corpus_id: str, name: str) -> None:
    with _locked(store, corpus_id, CLUSTERINGS_NAMESPACE):
        store.delete_artifact(corpus_id, CLUSTERINGS_NAMESPACE, clustering_key(name))


def update_named_clustering(store: Store, corpus_id: str, name: str,
                            change: Callable[[NamedClustering], NamedClustering]) -> NamedClustering:
    """Read, change and store a named clustering under the lock (two sessions curating the same
    clustering apply their steps one after the other, none is lost)."""
    with _locked(store, corpus_id, CLUSTERINGS_NAMESPACE):
        changed = change(load_named_clustering(store, corpus_id, name))
        stamped = replace(changed, updated=now())
        write_json_atomic(store.artifact_path(corpus_id, CLUSTERINGS_NAMESPACE, clustering_key(name), ".json"),
                          stamped.as_dict())
    return stamped


def curated_names(corpus_id: str, clustering: str, *, store: Store | None = None) -> dict[int, str]:
    """Cluster number → curated name of the named clustering ``clustering`` (``-1`` → "unclustered").

    For label layers (zoom labels, legends) that should show what the user named a cluster
    instead of its keywords. ``store`` defaults to the workspace (pass the visitor's in demo mode).
    """
    named = load_named_clustering(store or Store.open_default(), corpus_id, clustering)
    return {NOISE: "unclustered"} | {c: named.label_of(c) for c in named.clusters}


# -- the filter model -----------------------------------------------------------------------------------
def tag_item_set(tags: dict[str, tuple[str, ...]], names: Sequence[str], *, exclude: bool = False) -> ItemSet:
    """Items carrying any of the tags ``names`` (raises ItemSetError for an unknown tag)."""
    missing = [n for n in names if n not in tags]
    if missing:
        raise ItemSetError(f"No tag {missing[0]!r} on this corpus (it may have been deleted or renamed).")
    ids = tuple(dict.fromkeys(i for n in names for i in tags[n]))
    label = "tagged " + " or ".join(repr(n) for n in names)
    return ItemSet(label, ids, exclude, ("tag", *names))


def cluster_item_set(named: NamedClustering, clusters: Sequence[int], ids: Sequence[str], *,
                     exclude: bool = False) -> ItemSet:
    """Items in any of ``clusters`` of a named clustering (``ids``: the corpus's ids, row order)."""
    keep = np.isin(named.labels, np.asarray(list(clusters), dtype=np.int32))
    if len(ids) != named.labels.size:
        raise ItemSetError(f"The clustering {named.name!r} belongs to another version of this corpus.")
    label = f"{named.name}: " + " or ".join(named.label_of(c) for c in clusters)
    return ItemSet(label, tuple(ids[r] for r in np.flatnonzero(keep)), exclude,
                   ("cluster", named.name, *(str(int(c)) for c in clusters)))


def resolve_item_set(store: Store, corpus: Corpus, item_set: ItemSet) -> ItemSet:
    """An item set with its ids read afresh from the store when it refers to one (else unchanged)."""
    if not item_set.ref:
        return item_set
    kind, *rest = item_set.ref
    if kind == "tag" and rest:
        return tag_item_set(load_tags(store, corpus.corpus_id), rest, exclude=item_set.exclude)
    if kind == "cluster" and len(rest) >= 2:
        named = load_named_clustering(store, corpus.corpus_id, rest[0])
        try:
            clusters = [int(c) for c in rest[1:]]
        except ValueError as exc:
            raise FilterError("This filter names a cluster by something other than its number.") from exc
        return cluster_item_set(named, clusters, corpus.ids, exclude=item_set.exclude)
    raise FilterError(f"This filter refers to a stored item set of unknown kind {kind!r}; clear it and set it again.")


def resolve_filter(store: Store, corpus: Corpus, value: Filter) -> Filter:
    """The filter with every tag / cluster item set's ids refreshed from the store.

    Raises:
        ItemSetError: A tag or clustering it refers to no longer exists.
    """
    if not any(s.ref for s in value.item_sets):
        return value
    return Filter(value.conditions, tuple(resolve_item_set(store, corpus, s) for s in value.item_sets))


def link_form(value: Filter) -> Filter:
    """The filter with the ids of stored-set references dropped (short enough for a link or a recipe);
    :func:`resolve_filter` fills them again from the store."""
    return Filter(value.conditions, tuple(replace(s, ids=()) if s.ref else s for s in value.item_sets))
