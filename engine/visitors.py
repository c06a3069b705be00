"""Visitors of a hosted demo: tokens, a visitor-scoped view of the store, shares, quotas, expiry.

A *visitor* is a random token the server issues (``new_token``); the app keeps it in the page
URL (``?visitor=``) or reads it from a cookie a reverse proxy sets. On disk a visitor is the
SHA-256 of the token (``visitor_key``), so a listing of the workspace reveals no token::

    <root>/corpora/<id>/                          demo corpora: shared, read-only to visitors
    <root>/embeddings/<texts_hash>/               vectors: content-addressed, shared by everyone
    <root>/visitors/<key>/corpora/<id>/           a visitor's uploads and everything derived from them
    <root>/visitors/<key>/demo/<id>/<namespace>/  what a visitor authored on a demo corpus (saved axes, tags)
    <root>/visitors/<key>/visitor.json            last visit and embedding seconds used
    <root>/shares/<sha256 of share token>.json    a share: (owner key, corpus id), made by its owner

:class:`VisitorStore` is a :class:`engine.store.Store` whose corpus listing, lookup and deletion
see only the demo corpora and the visitor's own. Vectors of identical texts are shared: they are
keyed by the texts' hash, so holding one reveals nothing its holder did not already have.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from engine.config import Settings
from engine.errors import EmbedscapeError, StoreError, UnknownModelError
from engine.store import Store, write_json_atomic
from engine.types import ModelSpec

TOKEN_BYTES = 24  # 192 random bits, URL-safe: unguessable, and short enough for a link
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
PRIVATE_NAMESPACES = frozenset({"axes", "tags", "clusterings"})  # authored by a visitor: kept in their area on demo corpora


class QuotaError(EmbedscapeError):
    """A visitor reached one of the demo's per-visitor limits."""


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def valid_token(token: str | None) -> bool:
    return isinstance(token, str) and bool(_TOKEN.match(token))


def visitor_key(token: str) -> str:
    if not valid_token(token):
        raise StoreError("This visitor link is not valid; open the demo's start page for a new one.")
    return hashlib.sha256(token.encode()).hexdigest()[:40]


def visitors_dir(root: Path) -> Path:
    return root / "visitors"


class VisitorStore(Store):
    """The store as one visitor sees it (``Store.for_visitor`` builds one).

    Reads of demo corpora go to the shared area; everything else the visitor saves (corpora,
    their artifacts, and private namespaces of demo corpora) goes to the visitor's area.
    Messages never name a server path.
    """

    label = "this demo"

    def __init__(self, root: str | Path, token: str | None, settings: Settings | None = None, *,
                 key: str | None = None) -> None:
        super().__init__(root)
        self.key = key if token is None and key is not None else visitor_key(token or "")
        self.area = visitors_dir(self.root) / self.key
        self.settings = settings or Settings.from_env()

    def __repr__(self) -> str:
        return f"VisitorStore(visitor={self.key[:8]}…)"

    def _shared_dir(self, corpus_id: str) -> Path:
        return super().corpus_dir(corpus_id)

    def is_demo(self, corpus_id: str) -> bool:
        return (self._shared_dir(corpus_id) / "manifest.json").exists()

    def corpus_dir(self, corpus_id: str) -> Path:
        shared = self._shared_dir(corpus_id)
        if (shared / "manifest.json").exists():
            return shared
        return self.area / "corpora" / shared.name

    def _corpus_bases(self) -> list[Path]:
        return [self.root / "corpora", self.area / "corpora"]

    def artifact_path(self, corpus_id: str, namespace: str, key: str, suffix: str) -> Path:
        path = super().artifact_path(corpus_id, namespace, key, suffix)
        if namespace in PRIVATE_NAMESPACES and self.is_demo(corpus_id):
            return self.area / "demo" / corpus_id / namespace / path.name
        return path

    def list_artifacts(self, corpus_id: str, namespace: str) -> list[str]:
        directory = self.artifact_path(corpus_id, namespace, "x", "").parent
        if not directory.exists():
            return []
        return sorted({p.name.rsplit(".", 1)[0] for p in directory.iterdir() if not p.name.startswith(".")})

    def delete_artifact(self, corpus_id: str, namespace: str, key: str) -> None:
        directory = self.artifact_path(corpus_id, namespace, "x", "").parent
        for path in directory.glob(f"{Path(self.artifact_path(corpus_id, namespace, key, '')).name}.*"):
            path.unlink(missing_ok=True)

    def save_corpus(self, corpus: Any, report: Any = None) -> dict[str, Any]:
        if not self.has_corpus(corpus.corpus_id):
            self.check_upload_quota(len(corpus))
        self.touch()
        return super().save_corpus(corpus, report)

    def delete_corpus(self, corpus_id: str) -> None:
        if self.is_demo(corpus_id):
            raise StoreError("Demo corpora are shared by every visitor and cannot be deleted here.")
        super().delete_corpus(corpus_id)
        shutil.rmtree(self.area / "demo" / corpus_id, ignore_errors=True)

    # -- quotas ------------------------------------------------------------------------------------
    def own_corpora(self) -> list[dict[str, Any]]:
        return [m for m in self.list_corpora() if not self.is_demo(m["corpus_id"])]

    def check_upload_quota(self, n_rows: int) -> None:
        """Raise QuotaError if storing ``n_rows`` more rows would pass the visitor's limits."""
        own = self.own_corpora()
        limit, row_limit = self.settings.visitor_max_corpora, self.settings.visitor_max_rows
        if limit and len(own) >= limit:
            raise QuotaError(f"This demo keeps at most {limit} corpora per visitor. Delete one of yours "
                             "(Home → Workspace) to add another.")
        used = sum(int(m.get("n_rows", 0)) for m in own)
        if row_limit and used + n_rows > row_limit:
            raise QuotaError(f"This demo keeps at most {row_limit:,} rows per visitor; you have {used:,} and this "
                             f"corpus has {n_rows:,}. Delete a corpus or upload a smaller file.")

    def usage(self) -> dict[str, Any]:
        path = self.area / "visitor.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return {"embed_seconds": 0.0, "last_seen": 0.0}

    def touch(self, *, embed_seconds: float = 0.0) -> None:
        """Record a visit (and embedding time used): idle expiry counts from the last visit."""
        usage = self.usage()
        usage["embed_seconds"] = float(usage.get("embed_seconds", 0.0)) + embed_seconds
        usage["last_seen"] = time.time()
        write_json_atomic(self.area / "visitor.json", usage)

    def check_embed_quota(self) -> None:
        limit = self.settings.visitor_embed_seconds
        used = float(self.usage().get("embed_seconds", 0.0))
        if limit and used >= limit:
            raise QuotaError(f"You have used this demo's {limit} s of embedding time. Explore the corpora already "
                             "embedded, or run Embedscape on your own machine for more.")

    # -- shares ------------------------------------------------------------------------------------
    def share(self, corpus_id: str) -> str:
        """A new share token for one of the visitor's own corpora (anyone holding it gets a copy)."""
        if self.is_demo(corpus_id):
            raise StoreError("Demo corpora are open to everyone already: share the page link instead.")
        self.manifest(corpus_id)  # raises if it is not this visitor's
        token = new_token()
        write_json_atomic(_share_path(self.root, token), {
            "owner": self.key, "corpus_id": corpus_id,
            "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        })
        return token

    def accept_share(self, share_token: str) -> str:
        """Copy a shared corpus into this visitor's area (its vectors are shared); return its id."""
        path = _share_path(self.root, share_token) if valid_token(share_token) else None
        record = json.loads(path.read_text()) if path is not None and path.is_file() else None
        source = visitors_dir(self.root) / str((record or {}).get("owner", "-")) / "corpora"
        corpus_id = str((record or {}).get("corpus_id", "-"))
        if record is None or not (source / corpus_id / "manifest.json").is_file():
            raise StoreError("This share link is not valid or its corpus was deleted by its owner.")
        if self.has_corpus(corpus_id):
            return corpus_id
        manifest = json.loads((source / corpus_id / "manifest.json").read_text())
        self.check_upload_quota(int(manifest.get("n_rows", 0)))
        target = self.corpus_dir(corpus_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = target.with_name(f".{corpus_id}.share.tmp")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        for name in ("corpus.parquet", "manifest.json"):  # not the owner's axes or tags: the corpus only
            shutil.copyfile(source / corpus_id / name, staging / name)
        staging.rename(target)
        return corpus_id


def _share_path(root: Path, token: str) -> Path:
    return root / "shares" / f"{hashlib.sha256(token.encode()).hexdigest()[:40]}.json"


def expire_idle(root: str | Path, idle_hours: float, *, now: float | None = None) -> list[str]:
    """Delete the areas (and shares) of visitors not seen for ``idle_hours``; return their keys."""
    base = visitors_dir(Path(root))
    if idle_hours <= 0 or not base.is_dir():
        return []
    cutoff = (now if now is not None else time.time()) - idle_hours * 3600
    gone = []
    for area in base.iterdir():
        try:
            seen = float(json.loads((area / "visitor.json").read_text()).get("last_seen", 0))
        except (OSError, ValueError):
            seen = area.stat().st_mtime
        if seen < cutoff:
            shutil.rmtree(area, ignore_errors=True)
            gone.append(area.name)
    shares = Path(root) / "shares"
    if gone and shares.is_dir():
        for path in shares.glob("*.json"):
            try:
                owner = json.loads(path.read_text()).get("owner")
            except (OSError, ValueError):
                owner = None
            if owner in gone or owner is None:
                path.unlink(missing_ok=True)
    return gone


def allowed_model(name: str, settings: Settings) -> ModelSpec:
    """Resolve a model name; in demo mode only the allow-list resolves.

    Anything else (a hub name, a server folder, a typo) gets one and the same message, so the
    answer reveals nothing about the server's file system.
    """
    from engine.models import resolve_model

    if not settings.demo:
        return resolve_model(name)
    refusal = UnknownModelError(f"This demo offers only these models: {', '.join(settings.allowed_models)}. "
                                "Pick one of them (other models work when you run Embedscape yourself).")
    try:
        spec = resolve_model(name) if name.strip() and "/" not in name and "\\" not in name else None
    except UnknownModelError:
        spec = None
    if spec is None or spec.model_id not in settings.allowed_models:
        raise refusal
    return spec
