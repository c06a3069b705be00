"""Batched embedding with progress, cancellation and the on-disk cache.

Vectors are float32 and L2-normalised once, here, so cosine similarity is a dot product
everywhere else. Texts are sorted by length into batches (less padding) and restored to input
order. Rows a model cannot represent (a word-vector model with no known word) stay zero and are
flagged in ``Embeddings.valid``, never silently passed off as real points.

Example:
    >>> import tempfile
    >>> from engine.corpus import corpus_from_texts
    >>> from engine.store import Store
    >>> store = Store(tempfile.mkdtemp())
    >>> corpus, _ = corpus_from_texts(["red apple", "green pear", "fast car"], name="t")
    >>> result = embed_corpus(corpus, "tfidf-svd", store=store)
    >>> result.embeddings.vectors.shape[0], result.cache_hit
    (3, False)
    >>> embed_corpus(corpus, "tfidf-svd", store=store).cache_hit
    True
"""
from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine import jobs, precision
from engine.config import Settings
from engine.encoders import Encoder, LexicalEncoder
from engine.errors import EmbedCancelled
from engine.models import load_encoder, resolve_model
from engine.store import Store
from engine.types import Corpus, Embeddings, ModelSpec

Progress = Callable[[int, int], None]  # (texts done, texts total)
Phase = Callable[[str], None]  # a user-facing sentence: what is happening before/after the batches
CancelCheck = Callable[[], bool]


@dataclass(frozen=True, slots=True, eq=False)
class EmbedResult:
    """An embedding run's outcome, for the UI and the CLI's JSON summary."""

    embeddings: Embeddings
    spec: ModelSpec
    cache_hit: bool
    seconds: float  # encoding time (0 on a cache hit: the time to open the stored file)
    texts_per_second: float
    n_missing: int
    missing_examples: tuple[str, ...] = ()
    load_seconds: float = 0.0  # loading (or fitting) the model, paid once per process
    max_tokens: int | None = None  # what the model reads of each text; None: no limit (GloVe, TF-IDF)
    n_truncated: int | None = None  # texts longer than max_tokens; None: not known (stored before it was counted)
    route: str = "fp32"  # engine.precision route that made the vectors
    route_check: dict[str, object] | None = None  # agreement with fp32 on a sample (faster routes only)

    def summary(self) -> dict[str, object]:
        return {
            "model_id": self.spec.model_id,
            "model": self.spec.display_name,
            "rows": self.embeddings.n,
            "dimension": self.embeddings.dimension,
            "cache_hit": self.cache_hit,
            "seconds": round(self.seconds, 3),
            "load_seconds": round(self.load_seconds, 3),
            "texts_per_second": round(self.texts_per_second, 1),
            "n_missing": self.n_missing,
            "missing_examples": list(self.missing_examples),
            "route": self.route,
            "route_check": self.route_check,
            "max_tokens": self.max_tokens,
            "n_truncated": self.n_truncated,
            "truncation_note": truncation_note(self.spec.display_name, self.n_truncated, self.embeddings.n,
                                               self.max_tokens),
        }


def truncation_note(model: str, n_truncated: int | None, n_texts: int, max_tokens: int | None) -> str | None:
    """What a user must know when a model read only the start of some texts (None if it read all)."""
    if not n_truncated or not max_tokens:
        return None
    return (f"{n_truncated:,} of {n_texts:,} texts are longer than {model} reads ({max_tokens} tokens): "
            f"today it embeds only their first {max_tokens} tokens and ignores the rest, so these vectors "
            "describe the openings of those texts. Splitting long texts into passages (chunking) is "
            "planned; until then, split them before uploading (one passage per row), or keep the texts "
            "short enough for the model.")


def count_truncated(encoder: Encoder, texts: Sequence[str]) -> tuple[int | None, int | None]:
    """(max_tokens, texts longer than it) with the encoder's own tokenizer; (None, None) for
    models without a length limit (word vectors, the lexical baseline)."""
    max_tokens = getattr(encoder, "max_tokens", None)
    if not max_tokens:
        return None, None
    return int(max_tokens), int((encoder.token_counts(texts) > max_tokens).sum())  # type: ignore[attr-defined]


def normalize_rows(vectors: np.ndarray) -> np.ndarray:
    """A new float32 array with unit-length rows; all-zero rows stay zero."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def embed_texts(
    texts: Sequence[str],
    encoder: Encoder,
    *,
    batch_size: int = 64,
    progress: Progress | None = None,
    should_cancel: CancelCheck | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Encode texts in length-sorted batches and return them in input order.

    Identical texts are encoded once and share the vector (progress still counts every text).

    Returns:
        (vectors (n, d) float32 with unit rows or zero rows, valid (n,) bool)

    Raises:
        EmbedCancelled: If ``should_cancel`` returns True between batches.
    """
    total = len(texts)
    first_of: dict[str, int] = {}
    inverse = np.fromiter((first_of.setdefault(t, len(first_of)) for t in texts), dtype=np.int64, count=total)
    uniques = list(first_of)
    n_unique = len(uniques)
    order = np.argsort([len(t) for t in uniques], kind="stable")
    vectors: np.ndarray | None = None
    valid = np.zeros(n_unique, dtype=bool)

    def texts_done(done_unique: int) -> int:
        return total if done_unique >= n_unique else done_unique * total // max(n_unique, 1)

    if progress:
        progress(0, total)
    for start in range(0, n_unique, batch_size):
        if should_cancel and should_cancel():
            raise EmbedCancelled(f"Embedding cancelled after {texts_done(start):,} of {total:,} texts; "
                                 "nothing was stored.")
        rows = order[start:start + batch_size]
        batch_vectors, batch_valid = encoder.encode([uniques[i] for i in rows])
        if vectors is None:
            vectors = np.zeros((n_unique, batch_vectors.shape[1]), dtype=np.float32)
        vectors[rows] = batch_vectors
        valid[rows] = batch_valid
        if progress:
            progress(texts_done(min(start + batch_size, n_unique)), total)
    if vectors is None:
        vectors = np.zeros((0, encoder.dimension), dtype=np.float32)
    vectors = normalize_rows(vectors)
    vectors[~valid] = 0.0
    valid &= np.linalg.norm(vectors, axis=1) > 0
    if n_unique == total:
        return vectors, valid
    return vectors[inverse], valid[inverse]


def encoder_for(spec: ModelSpec, *, store: Store, corpus: Corpus | None = None) -> Encoder:
    """The encoder that embeds texts in the same space as a corpus's stored vectors.

    Pretrained models are shared per process; the lexical baseline is the one fitted on
    ``corpus`` (loaded from the store, or fitted and saved now).
    """
    if spec.kind != "lexical":
        return load_encoder(spec, models_dir=store.models_dir)
    if corpus is None:
        raise ValueError("The lexical baseline needs the corpus it was fitted on.")
    state_dir = store.model_state_dir(corpus.corpus_id, spec)
    if (state_dir / "components.npy").exists():
        return LexicalEncoder.load(spec, state_dir)
    encoder = LexicalEncoder.fit(spec, corpus.texts)
    _save_state_atomically(encoder, state_dir)
    return encoder


def _save_state_atomically(encoder: LexicalEncoder, state_dir: Path) -> None:
    import os
    import shutil
    import tempfile

    state_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".state-", dir=state_dir.parent))
    try:
        encoder.save(tmp)
        try:
            os.replace(tmp, state_dir)
        except OSError:
            if not (state_dir / "components.npy").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def embed_corpus(
    corpus: Corpus,
    model: str | ModelSpec,
    *,
    store: Store,
    progress: Progress | None = None,
    should_cancel: CancelCheck | None = None,
    settings: Settings | None = None,
    on_phase: Phase | None = None,
    route: str | None = None,
) -> EmbedResult:
    """Embed a corpus with one model, or return the stored vectors if they exist.

    The corpus is saved to the store first if needed. The key is the hash of the texts plus the
    model id, revision and route, so changed texts are never served stale vectors and fp32 and
    bf16 vectors never mix. ``route`` (sentence models: ``fp32`` | ``bf16`` | ``auto``, default
    ``EMBEDSCAPE_EMBED_ROUTE`` or what the CPU does best, engine.precision) picks the precision;
    stored fp32 vectors satisfy any route. ``on_phase`` hears what happens outside the batches
    (loading the model can take 15 s before the first batch).

    Raises:
        ModelError: When the model cannot be loaded.
        EmbedCancelled: When cancelled; nothing partial is stored.
    """
    spec = model if isinstance(model, ModelSpec) else resolve_model(model)
    settings = settings or Settings.from_env()
    route = precision.choose_route(route) if spec.kind == "sentence" else "fp32"
    if not store.has_corpus(corpus.corpus_id):
        store.save_corpus(corpus)
    started = time.perf_counter()
    for candidate in precision.satisfying_specs(spec, route):  # stored fp32 first: it satisfies any route
        cached = store.load_embeddings(corpus.corpus_id, candidate)
        if cached is not None:
            # Vectors are keyed by texts: another corpus with the same texts (or a run that crashed
            # before its manifest write) made them, so this corpus's manifest may not name the model.
            store.reconcile(corpus.corpus_id)
            if progress:
                progress(cached.n, cached.n)
            seconds = time.perf_counter() - started
            record = _stored_record(store, corpus.corpus_id, candidate)
            return EmbedResult(cached, spec, True, seconds, cached.n / max(seconds, 1e-9), cached.n_missing,
                               _missing_examples(corpus, cached.valid), max_tokens=record.get("max_tokens"),
                               n_truncated=record.get("n_truncated"), route=str(record.get("route", "fp32")),
                               route_check=record.get("route_check"))
    if on_phase:
        on_phase(_loading_message(spec, len(corpus)))
    encoder = encoder_for(spec, store=store, corpus=corpus)
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    texts = corpus.texts
    threads = precision.load_aware_threads() if spec.kind == "sentence" else contextlib.nullcontext()
    with threads, precision.autocast(route):
        vectors, valid = embed_texts(
            texts, encoder, batch_size=settings.batch_size, progress=progress,
            should_cancel=should_cancel or jobs.cancelled,  # a closed browser tab stops its embedding (engine.jobs)
        )
    seconds = time.perf_counter() - started
    if on_phase and getattr(encoder, "max_tokens", None):
        on_phase(f"Counting texts longer than {spec.display_name} reads…")
    max_tokens, n_truncated = count_truncated(encoder, texts)
    check = route_check(texts, vectors, encoder) if route != "fp32" else None
    key = precision.stored_spec(spec, route)
    store.save_embeddings(
        corpus.corpus_id, key, vectors, valid,
        info={"seconds": round(seconds, 3), "load_seconds": round(load_seconds, 3),
              "display_name": spec.display_name, "kind": spec.kind,
              "max_tokens": max_tokens, "n_truncated": n_truncated, "route": route, "route_check": check},
    )
    stored = store.load_embeddings(corpus.corpus_id, key)
    assert stored is not None
    return EmbedResult(stored, spec, False, seconds, len(texts) / max(seconds, 1e-9), int((~valid).sum()),
                       _missing_examples(corpus, valid), load_seconds=load_seconds,
                       max_tokens=max_tokens, n_truncated=n_truncated, route=route, route_check=check)


def route_check(texts: Sequence[str], vectors: np.ndarray, encoder: Encoder, *, sample: int = 200,
                seed: int = 0) -> dict[str, object]:
    """How a faster route's vectors compare with fp32 on a seeded sample of the texts: mean cosine
    and mean top-10 neighbour agreement within the sample (stored with the vectors)."""
    rows = np.random.default_rng(seed).permutation(len(texts))[:sample]
    rows.sort()
    reference, _ = embed_texts([texts[int(i)] for i in rows], encoder)
    candidate = np.asarray(vectors[rows], dtype=np.float32)
    return {"sample": int(rows.size), "mean_cosine": round(float(np.mean(np.sum(reference * candidate, axis=1))), 4),
            "top10_agreement": round(precision.neighbor_agreement(reference, candidate, k=10), 4)}


def _loading_message(spec: ModelSpec, n_texts: int) -> str:
    from engine.models import loaded_model_ids

    if spec.kind == "lexical":
        return f"Fitting {spec.display_name} on {n_texts:,} texts…"
    if spec.model_id in loaded_model_ids():
        return f"Preparing {spec.display_name}…"
    return f"Loading model {spec.display_name} (once per server; sentence models take 5–20 s)…"


def _stored_record(store: Store, corpus_id: str, spec: ModelSpec) -> dict[str, object]:
    """The JSON record written beside stored vectors ({} if missing or unreadable)."""
    import json

    try:
        return json.loads(store.embeddings_path(corpus_id, spec).with_suffix(".json").read_text())
    except (OSError, ValueError):
        return {}


def _missing_examples(corpus: Corpus, valid: np.ndarray, limit: int = 10) -> tuple[str, ...]:
    missing = np.flatnonzero(~np.asarray(valid))[:limit]
    texts = corpus.frame["text"]
    return tuple(texts[int(i)] for i in missing)


def embed_queries(
    texts: Sequence[str],
    model: str | ModelSpec,
    *,
    store: Store,
    corpus: Corpus | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Embed a few query texts (search queries, axis poles) in a model's space.

    For the lexical baseline, ``corpus`` names the corpus whose fitted space to use.

    Returns:
        (vectors (n, d) float32 unit rows, valid (n,) bool)
    """
    spec = model if isinstance(model, ModelSpec) else resolve_model(model)
    encoder = encoder_for(spec, store=store, corpus=corpus)
    return embed_texts(list(texts), encoder, batch_size=64)


def load_embeddings(corpus_id: str, model: str | ModelSpec, *, store: Store) -> Embeddings:
    """Stored vectors for a corpus and model: fp32 if stored, else the bf16 route's.

    Raises:
        StoreError: If the corpus has not been embedded with that model yet.
    """
    from engine.errors import StoreError

    spec = model if isinstance(model, ModelSpec) else resolve_model(model)
    embeddings = next((found for found in (store.load_embeddings(corpus_id, candidate)
                                           for candidate in precision.satisfying_specs(spec, "bf16"))
                       if found is not None), None)  # fp32 first: it is the reference route
    if embeddings is None:
        raise StoreError(
            f"Corpus {corpus_id!r} has no {spec.display_name} embeddings yet. Embed it first "
            f"(home page, or `python -m engine embed {corpus_id} --models {spec.model_id}`)."
        )
    return embeddings
