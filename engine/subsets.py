"""Save a filtered or tagged subset of a corpus as a new corpus, reusing the parent's embeddings.

The subset is a new corpus (its own content hash) holding the parent's rows that pass a filter
(ids kept, so tags carry over), with its provenance in the manifest (``provenance``: parent id
and name, the filter as JSON, row count, models reused). Vectors are keyed by the hash of the
texts (D5), so the subset's lookup looks in ``embeddings/<subset texts hash>/``: for every model
the parent has stored (every route), the parent's rows are sliced into that folder under the same
file name, in ``Store.save_embeddings``'s order (record, mask, then vectors: the commit point),
and the lexical baseline's fitted state is copied too, so queries land in the same space as the
reused vectors. Nothing is encoded. ``Store.reconcile`` then records them in the subset's manifest.

Example:
    >>> import tempfile
    >>> from engine.corpus import corpus_from_texts
    >>> from engine.filters import Filter, ItemSet
    >>> store = Store(tempfile.mkdtemp())
    >>> parent, report = corpus_from_texts(["a cat", "a dog", "a cow"], name="pets")
    >>> _ = store.save_corpus(parent, report)
    >>> subset, provenance = save_subset(store, parent.corpus_id, Filter(item_sets=(ItemSet("x", ("0", "2")),)),
    ...                                  name="two pets")
    >>> subset.texts, provenance["parent"] == parent.corpus_id
    (['a cat', 'a cow'], True)
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from engine.corpus import content_hash, texts_hash
from engine.filters import Filter
from engine.itemsets import (
    ItemSetError,
    check_name,
    load_tags,
    now,
    resolve_filter,
    tag_items,
)
from engine.store import Store, write_json_atomic, write_npy_atomic
from engine.types import Corpus, IngestReport


def save_subset(store: Store, parent_id: str, keep: Filter, *, name: str) -> tuple[Corpus, dict[str, Any]]:
    """Store the rows of ``parent_id`` that ``keep`` keeps as a new corpus named ``name``.

    Returns:
        (the subset corpus, its provenance record as stored in the manifest)

    Raises:
        ItemSetError: The filter keeps no row, or every row (that is the parent itself).
        FilterError: The filter does not fit the parent corpus.
    """
    name = check_name(name, "corpus")
    parent = store.load_corpus(parent_id)
    keep = resolve_filter(store, parent, keep)
    mask = keep.mask(parent)
    rows = np.flatnonzero(mask) if mask is not None else np.arange(len(parent))
    if rows.size == 0:
        raise ItemSetError("This filter keeps no item: there is nothing to save as a corpus.")
    if rows.size == len(parent):
        raise ItemSetError("This filter keeps every item: the subset would be the corpus itself. Set a filter "
                           "or pick a tag first.")
    frame = parent.frame[rows.tolist()]
    corpus = Corpus(corpus_id=content_hash(frame, kind=parent.kind), name=name, frame=frame,
                    text_column=parent.text_column, kind=parent.kind, source=f"subset of {parent.name}")
    report = IngestReport(rows_read=len(parent), rows_kept=int(rows.size), notes=(
        f"A subset of {parent.name!r} ({parent_id}): {rows.size:,} of {len(parent):,} items; embeddings reused.",))
    store.save_corpus(corpus, report)
    parent_texts = store.manifest(parent_id)["texts_hash"]
    reused = reuse_embeddings(store, parent_texts, texts_hash(corpus.texts), rows, n_parent=len(parent))
    provenance = {"parent": parent_id, "parent_name": parent.name, "filter": keep.as_dict(),
                  "n_rows": int(rows.size), "parent_rows": len(parent), "embeddings_reused": reused,
                  "created": now()}
    with store._locked(corpus.corpus_id):  # the manifest's own lock (engine.store, D11)
        manifest = store.manifest(corpus.corpus_id)
        manifest["provenance"] = provenance
        write_json_atomic(store.corpus_dir(corpus.corpus_id) / "manifest.json", manifest)
    store.reconcile(corpus.corpus_id)
    _carry_tags(store, parent_id, corpus)
    return corpus, provenance


def provenance(store: Store, corpus_id: str) -> dict[str, Any] | None:
    """Where a subset corpus came from (None for a corpus that is not a subset)."""
    return store.manifest(corpus_id).get("provenance")


def reuse_embeddings(store: Store, parent_texts: str, child_texts: str, rows: np.ndarray, *,
                     n_parent: int) -> list[str]:
    """Slice every complete stored vectors file of the parent's texts into the child's folder;
    return the file names reused (a file the child already has is kept: same texts, same key)."""
    if parent_texts == child_texts:
        return []
    source = store.embeddings_dir(parent_texts)
    target = store.embeddings_dir(child_texts)
    reused: list[str] = []
    if not source.is_dir():
        return reused
    for sidecar in sorted(source.glob("*.json")):
        vectors_path = sidecar.with_suffix(".npy")
        valid_path = sidecar.with_suffix(".valid.npy")
        if not vectors_path.is_file() or not valid_path.is_file():
            continue  # an unfinished write: the vectors file is the commit point
        destination = target / sidecar.name
        if destination.with_suffix(".npy").is_file():
            reused.append(destination.with_suffix(".npy").name)
            continue
        try:
            record = json.loads(sidecar.read_text())
            vectors = np.load(vectors_path, mmap_mode="r", allow_pickle=False)
            valid = np.load(valid_path, allow_pickle=False)
        except (OSError, ValueError):
            continue
        if not isinstance(record, dict) or vectors.shape[0] != n_parent or valid.shape[0] != n_parent:
            continue
        state = sidecar.with_suffix(".state")
        if state.is_dir():  # the lexical baseline: queries must use the parent's fitted space
            _copy_dir_atomic(state, destination.with_suffix(".state"))
        part_valid = valid[rows]
        record = {**record, "file": str(destination.with_suffix(".npy").relative_to(store.root)),
                  "n_missing": int((~part_valid).sum()), "created": now(),
                  "reused_from": {"texts_hash": parent_texts, "rows": int(rows.size)}}
        record.pop("n_truncated", None)  # counted for the parent's texts; unknown for the subset
        write_json_atomic(destination, record)
        write_npy_atomic(destination.with_suffix(".valid.npy"), part_valid.astype(bool))
        write_npy_atomic(destination.with_suffix(".npy"), np.asarray(vectors[rows], dtype=np.float32))
        reused.append(destination.with_suffix(".npy").name)
    return reused


def _copy_dir_atomic(source: Path, target: Path) -> None:
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".state-", dir=target.parent))
    try:
        shutil.copytree(source, staging, dirs_exist_ok=True)
        try:
            os.replace(staging, target)
        except OSError:
            if not target.exists():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _carry_tags(store: Store, parent_id: str, subset: Corpus) -> None:
    """The parent's tags, restricted to the subset's items (ids are kept, so they still apply)."""
    ids = set(subset.ids)
    for tag, members in load_tags(store, parent_id).items():
        kept = [i for i in members if i in ids]
        if kept:
            tag_items(store, subset.corpus_id, tag, kept)
