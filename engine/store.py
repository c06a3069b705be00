"""The workspace: a folder holding corpora, embeddings and derived artifacts.

Layout (everything keyed by content hashes, so a changed input never returns stale results)::

    <root>/
      corpora/<corpus_id>/corpus.parquet       the validated table
      corpora/<corpus_id>/manifest.json        name, kind, ingest report, embeddings made
      corpora/<corpus_id>/<namespace>/<key>.*  derived artifacts (projections, indexes, axes…)
      embeddings/<texts_hash>/<model_key>.npy  float32 (n, d), memory-mapped on read
      embeddings/<texts_hash>/<model_key>.valid.npy, .json
      models/                                  models converted once (e.g. MiniLM-L3 from ONNX)

Embeddings are keyed by the hash of the texts alone, so a corpus whose metadata changes reuses
its vectors. Every write goes to a temporary file that is renamed into place, so a crash never
leaves half a file behind. The root is ``EMBEDSCAPE_HOME`` if set, else the user's cache folder.
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from engine.errors import StoreError
from engine.locks import folder_lock
from engine.types import Corpus, Embeddings, IngestReport, ModelSpec

HOME_ENV = "EMBEDSCAPE_HOME"
_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")


def default_root() -> Path:
    """``EMBEDSCAPE_HOME`` if set, else the platform's user cache folder for embedscape."""
    env = os.environ.get(HOME_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("embedscape"))


def _check_key(key: str, what: str) -> str:
    if not _SAFE_KEY.match(key):
        raise StoreError(f"Invalid {what} {key!r}: use letters, digits, '.', '_' and '-' only.")
    return key


def model_key(spec: ModelSpec) -> str:
    """A file-name-safe key for a model and its revision."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "_", spec.model_id).strip("_") or "model"
    return f"{slug}@r{spec.revision}"


_SLUG = re.compile(r"[^A-Za-z0-9_-]+")


def model_revision(model_id: str) -> str:
    """The registry revision of ``model_id``, or "0" for an id this version does not know."""
    try:
        from engine.models import resolve_model

        return resolve_model(model_id).revision
    except Exception:  # an id this version does not know (notebook use): the rest of the key guards it
        return "0"


def derived_key(model_id: str, label: str, recipe: dict[str, Any]) -> str:
    """Store key of an artifact derived from one model's vectors (projection, kNN graph, report):
    ``<model slug>-<label>-<hash of the recipe>``. The recipe names everything the artifact depends on."""
    digest = hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    slug = _SLUG.sub("_", model_id).strip("_")[:60] or "model"
    return f"{slug}-{label}-{digest}"


@contextlib.contextmanager
def _atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it into place if the block succeeds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        _fsync_file(tmp)  # the data reaches the disk before the rename makes it visible (kill -9, power loss)
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def _fsync_dir(directory: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a directory be opened
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def workspace_texts_hashes(root: Path) -> set[str]:
    """The texts hashes of every corpus in the workspace, visitors' areas included."""
    found: set[str] = set()
    for manifest in [*root.glob("corpora/*/manifest.json"), *root.glob("visitors/*/corpora/*/manifest.json")]:
        with contextlib.suppress(OSError, ValueError):
            found.add(json.loads(manifest.read_text()).get("texts_hash"))
    return found


def write_json_atomic(target: Path, payload: Any) -> None:
    with _atomic_path(target) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, ensure_ascii=False, default=str))


def write_npy_atomic(target: Path, array: np.ndarray) -> None:
    with _atomic_path(target) as tmp:
        with open(tmp, "wb") as handle:
            np.save(handle, np.ascontiguousarray(array), allow_pickle=False)


def _complete_record(sidecar: Path, *, n_rows: object) -> dict[str, Any] | None:
    """The record beside a finished vectors file of ``n_rows`` rows, else None."""
    vectors = sidecar.with_suffix(".npy")
    if not vectors.is_file() or not sidecar.with_suffix(".valid.npy").is_file():
        return None
    try:
        record = json.loads(sidecar.read_text())
        rows = np.load(vectors, mmap_mode="r", allow_pickle=False).shape[0]  # reads the header only
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or "model_id" not in record or rows != n_rows:
        return None
    return record


class Store:
    """A workspace folder. Cheap to construct; safe to share between threads and processes.

    Example:
        >>> import tempfile
        >>> from engine.corpus import corpus_from_texts
        >>> store = Store(tempfile.mkdtemp())
        >>> corpus, report = corpus_from_texts(["a cat", "a dog"], name="pets")
        >>> _ = store.save_corpus(corpus, report)
        >>> [m["name"] for m in store.list_corpora()]
        ['pets']
    """

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()

    @property
    def label(self) -> str:
        """How messages name this workspace (a visitor's view never shows a server path)."""
        return str(self.root)

    def for_visitor(self, token: str) -> "Store":
        """The store as one hosted-demo visitor sees it (engine.visitors.VisitorStore)."""
        from engine.visitors import VisitorStore

        return VisitorStore(self.root, token)

    def _corpus_bases(self) -> list[Path]:
        return [self.root / "corpora"]

    @classmethod
    def open_default(cls, workspace: str | Path | None = None) -> "Store":
        """The ``--workspace`` folder if given, else ``EMBEDSCAPE_HOME``, else the user cache dir."""
        return cls(workspace if workspace is not None else default_root())

    def __repr__(self) -> str:
        return f"Store({str(self.root)!r})"

    # -- paths -------------------------------------------------------------------------------
    def corpus_dir(self, corpus_id: str) -> Path:
        return self.root / "corpora" / _check_key(corpus_id, "corpus id")

    @property
    def models_dir(self) -> Path:
        return self.root / "models"

    def embeddings_dir(self, texts_hash: str) -> Path:
        return self.root / "embeddings" / _check_key(texts_hash, "texts hash")

    def _locked(self, corpus_id: str) -> contextlib.AbstractContextManager[None]:
        return folder_lock(self.corpus_dir(corpus_id))

    # -- corpora -----------------------------------------------------------------------------
    def save_corpus(self, corpus: Corpus, report: IngestReport | None = None) -> dict[str, Any]:
        """Store a corpus; idempotent, and never renames one.

        A corpus *is* its content (``corpus_id`` is a content hash); its name is a label. Saving
        content that is already stored keeps the stored name, report and embeddings, and adds a
        new name as an alias (listed in the manifest's ``aliases``, found by :meth:`find_corpus`).
        """
        from engine.corpus import texts_hash

        directory = self.corpus_dir(corpus.corpus_id)
        with self._locked(corpus.corpus_id):
            existing = self._read_manifest(corpus.corpus_id)
            table = directory / "corpus.parquet"
            if not table.exists():
                with _atomic_path(table) as tmp:
                    corpus.frame.write_parquet(tmp)
            if existing is not None:
                aliases = existing.setdefault("aliases", [])
                if corpus.name != existing.get("name") and corpus.name not in aliases:
                    aliases.append(corpus.name)
                    write_json_atomic(directory / "manifest.json", existing)
                return existing
            manifest = {
                "corpus_id": corpus.corpus_id,
                "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "embeddings": {},
                "name": corpus.name,
                "aliases": [],
                "kind": corpus.kind,
                "text_column": corpus.text_column,
                "source": corpus.source,
                "n_rows": len(corpus),
                "columns": corpus.frame.columns,
                "texts_hash": texts_hash(corpus.texts),
            }
            if report is not None:
                manifest["ingest_report"] = report.as_dict()
            write_json_atomic(directory / "manifest.json", manifest)
        return manifest

    def add_corpus(self, corpus: Corpus, report: IngestReport) -> tuple[Corpus, IngestReport]:
        """Store an ingested corpus and return what is now stored, with the report to show.

        If the same content was stored before, the stored corpus is returned under its earlier
        name, and the report says so (and names the alias just added).
        """
        stored_before = self.has_corpus(corpus.corpus_id)
        manifest = self.save_corpus(corpus, report)
        if not stored_before:
            return corpus, report
        name = manifest["name"]
        note = (f"This content is already stored as {name!r} ({corpus.corpus_id}), so that corpus was opened "
                "with its embeddings")
        note += f"; {corpus.name!r} was added as another name for it." if corpus.name != name else "."
        stored = dataclasses.replace(corpus, name=name)
        return stored, dataclasses.replace(report, notes=(*report.notes, note))

    def _read_manifest(self, corpus_id: str) -> dict[str, Any] | None:
        path = self.corpus_dir(corpus_id) / "manifest.json"
        if not path.exists():
            return None
        return json.loads(path.read_text())

    def has_corpus(self, corpus_id: str) -> bool:
        return (self.corpus_dir(corpus_id) / "corpus.parquet").exists()

    def manifest(self, corpus_id: str) -> dict[str, Any]:
        manifest = self._read_manifest(corpus_id)
        if manifest is None:
            raise StoreError(
                f"No corpus {corpus_id!r} in the workspace {self.label!r}. "
                "Run `python -m engine list` to see what is stored, or ingest it again."
            )
        return manifest

    def load_corpus(self, corpus_id: str) -> Corpus:
        self.reconcile(corpus_id)
        manifest = self.manifest(corpus_id)
        frame = pl.read_parquet(self.corpus_dir(corpus_id) / "corpus.parquet")
        return Corpus(
            corpus_id=corpus_id,
            name=manifest["name"],
            frame=frame,
            text_column=manifest.get("text_column", "text"),
            kind=manifest.get("kind", "texts"),
            source=manifest.get("source", ""),
        )

    def list_corpora(self) -> list[dict[str, Any]]:
        """Manifests of every stored corpus, newest first."""
        manifests = []
        for base in self._corpus_bases():
            if not base.exists():
                continue
            for directory in base.iterdir():
                if directory.is_dir() and not directory.name.startswith(".") \
                        and self._read_manifest(directory.name) is not None:
                    self.reconcile(directory.name)
                    manifests.append(self.manifest(directory.name))
        return sorted(manifests, key=lambda m: m.get("created", ""), reverse=True)

    def find_corpus(self, name_or_id: str) -> str:
        """Resolve a corpus id, a corpus name, an alias, or a unique id prefix to its id."""
        manifests = self.list_corpora()
        exact = [m["corpus_id"] for m in manifests if m["corpus_id"] == name_or_id]
        if exact:
            return exact[0]
        by_name = [m["corpus_id"] for m in manifests if m.get("name") == name_or_id]
        by_name = by_name or [m["corpus_id"] for m in manifests if name_or_id in m.get("aliases", ())]
        by_prefix = [m["corpus_id"] for m in manifests if m["corpus_id"].startswith(name_or_id)]
        matches = by_name or by_prefix
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise StoreError(
                f"No corpus named {name_or_id!r} in {self.label!r}. Run `python -m engine list` to see them."
            )
        raise StoreError(f"{name_or_id!r} matches {len(matches)} corpora: {', '.join(matches)}. Use the full id.")

    def delete_corpus(self, corpus_id: str) -> None:
        """Delete a corpus, its artifacts, and embeddings no other corpus shares."""
        manifest = self.manifest(corpus_id)
        shutil.rmtree(self.corpus_dir(corpus_id))
        texts_key = manifest.get("texts_hash")
        still_used = workspace_texts_hashes(self.root)  # other visitors' corpora may share these vectors
        if texts_key and texts_key not in still_used:
            shutil.rmtree(self.embeddings_dir(texts_key), ignore_errors=True)

    # -- embeddings --------------------------------------------------------------------------
    def embeddings_path(self, corpus_id: str, spec: ModelSpec) -> Path:
        texts_key = self.manifest(corpus_id)["texts_hash"]
        return self.embeddings_dir(texts_key) / f"{model_key(spec)}.npy"

    def load_embeddings(self, corpus_id: str, spec: ModelSpec) -> Embeddings | None:
        """The stored vectors (memory-mapped, read-only), or None if not embedded yet."""
        path = self.embeddings_path(corpus_id, spec)
        valid_path = path.with_suffix(".valid.npy")
        if not path.exists() or not valid_path.exists():
            return None
        vectors = np.load(path, mmap_mode="r", allow_pickle=False)
        valid = np.load(valid_path, allow_pickle=False)
        return Embeddings(corpus_id=corpus_id, model_id=spec.model_id, vectors=vectors, valid=valid)

    def save_embeddings(
        self,
        corpus_id: str,
        spec: ModelSpec,
        vectors: np.ndarray,
        valid: np.ndarray,
        *,
        info: dict[str, Any] | None = None,
    ) -> Path:
        """Write vectors (and their valid mask) and record them in the corpus manifest."""
        path = self.embeddings_path(corpus_id, spec)
        record = {
            "model_id": spec.model_id,
            "revision": spec.revision,
            "dimension": int(vectors.shape[1]),
            "n_missing": int((~valid).sum()),
            "file": str(path.relative_to(self.root)),
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            **(info or {}),
        }
        # The vectors file is written last: when it exists, its record and mask exist too, so
        # `reconcile` can restore a manifest entry lost to a crash after this point.
        write_json_atomic(path.with_suffix(".json"), record)
        write_npy_atomic(path.with_suffix(".valid.npy"), valid.astype(bool))
        write_npy_atomic(path, vectors.astype(np.float32, copy=False))
        with self._locked(corpus_id):
            manifest = self.manifest(corpus_id)
            manifest.setdefault("embeddings", {})[spec.model_id] = record
            write_json_atomic(self.corpus_dir(corpus_id) / "manifest.json", manifest)
        return path

    def reconcile(self, corpus_id: str) -> list[str]:
        """Make a corpus's manifest agree with the vectors on disk; return the repairs made.

        Vectors are keyed by the texts, so they can exist without this corpus's manifest naming
        them: another corpus with the same texts embedded them, or a crash came between writing
        the vectors and the manifest. A model whose vectors (of this corpus's length) are stored
        is recorded; a recorded model whose vectors are gone is forgotten. Called when corpora
        are listed or loaded, and by the cache-hit path of embedding.
        """
        manifest = self._read_manifest(corpus_id)
        if manifest is None or not self._repairs(manifest)[0]:
            return []
        with self._locked(corpus_id):
            manifest = self.manifest(corpus_id)  # re-read under the lock: another writer may have fixed it
            repairs, embeddings = self._repairs(manifest)
            if repairs:
                manifest["embeddings"] = embeddings
                write_json_atomic(self.corpus_dir(corpus_id) / "manifest.json", manifest)
        return repairs

    def _repairs(self, manifest: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        listed: dict[str, Any] = dict(manifest.get("embeddings", {}))
        repairs = []
        for model_id, record in list(listed.items()):
            if not (self.root / record.get("file", "")).is_file():
                del listed[model_id]
                repairs.append(f"{model_id}: its vectors are no longer stored; removed from the manifest.")
        texts_key = manifest.get("texts_hash")
        directory = self.embeddings_dir(texts_key) if texts_key else None
        if directory is None or not directory.is_dir():
            return repairs, listed
        recorded_files = {record.get("file") for record in listed.values()}
        for sidecar in sorted(directory.glob("*.json")):
            if str(sidecar.with_suffix(".npy").relative_to(self.root)) in recorded_files:
                continue  # the common case, checked without opening anything
            record = _complete_record(sidecar, n_rows=manifest.get("n_rows"))
            if record is None or record["model_id"] in listed:
                continue
            listed[record["model_id"]] = record
            repairs.append(f"{record['model_id']}: vectors were stored but not recorded; recorded now.")
        return repairs, listed

    def model_state_dir(self, corpus_id: str, spec: ModelSpec) -> Path:
        """Where a corpus-fitted model (the lexical baseline) keeps its fitted state."""
        return self.embeddings_path(corpus_id, spec).with_suffix(".state")

    # -- derived artifacts (projections, indexes, axes …) -------------------------------------
    def artifact_path(self, corpus_id: str, namespace: str, key: str, suffix: str) -> Path:
        """Path of a derived artifact; deleting the corpus deletes it."""
        _check_key(namespace, "namespace")
        _check_key(key, "artifact key")
        return self.corpus_dir(corpus_id) / namespace / f"{key}{suffix}"

    def save_array(self, corpus_id: str, namespace: str, key: str, array: np.ndarray) -> Path:
        path = self.artifact_path(corpus_id, namespace, key, ".npy")
        write_npy_atomic(path, array)
        return path

    def load_array(self, corpus_id: str, namespace: str, key: str, *, mmap: bool = True) -> np.ndarray | None:
        path = self.artifact_path(corpus_id, namespace, key, ".npy")
        if not path.exists():
            return None
        return np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)

    def save_json(self, corpus_id: str, namespace: str, key: str, payload: Any) -> Path:
        path = self.artifact_path(corpus_id, namespace, key, ".json")
        write_json_atomic(path, payload)
        return path

    def load_json(self, corpus_id: str, namespace: str, key: str) -> Any | None:
        path = self.artifact_path(corpus_id, namespace, key, ".json")
        if not path.exists():
            return None
        return json.loads(path.read_text())

    def list_artifacts(self, corpus_id: str, namespace: str) -> list[str]:
        """Keys stored under a namespace (e.g. saved axes), sorted."""
        directory = self.corpus_dir(corpus_id) / _check_key(namespace, "namespace")
        if not directory.exists():
            return []
        return sorted({p.name.rsplit(".", 1)[0] for p in directory.iterdir() if not p.name.startswith(".")})

    def delete_artifact(self, corpus_id: str, namespace: str, key: str) -> None:
        directory = self.corpus_dir(corpus_id) / _check_key(namespace, "namespace")
        for path in directory.glob(f"{_check_key(key, 'artifact key')}.*"):
            path.unlink(missing_ok=True)
