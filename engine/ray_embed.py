"""Embedding as a Ray Data job: the route past one machine (``python -m engine embed … --ray``).

The corpus Parquet in the workspace is read by Ray Data and embedded by a pool of actors, each
loading the model once (``map_batches`` with a callable class). Every actor runs the same
:func:`engine.embed.embed_texts` as the local route, and the driver writes the result with the same
:meth:`engine.store.Store.save_embeddings`, so the stored files are the ones the app reads: a later
plain ``embed`` is a cache hit. On a cluster the workspace must be a path every node sees (a shared
filesystem); the driver ships the ``engine`` package to the workers.

Ray is optional (``requirements-ray.txt``) and imported only inside this module's functions.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from engine.config import Settings
from engine.embed import EmbedResult, Progress, _missing_examples, embed_corpus, embed_texts, encoder_for
from engine.errors import EmbedscapeError
from engine.models import resolve_model
from engine.store import Store
from engine.types import Corpus, ModelSpec

LOCAL = "local"


class RayUnavailableError(EmbedscapeError):
    """Ray is not installed, or the cluster cannot be reached."""


def import_ray() -> Any:
    """The ``ray`` module, or a RayUnavailableError saying how to install it."""
    try:
        import ray
        import ray.data  # noqa: F401  (the data extra: fails here when only ray core is installed)
    except ImportError as exc:
        raise RayUnavailableError(
            f"The Ray route needs the optional extra: pip install -r requirements-ray.txt ({exc})."
        ) from exc
    return ray


class _Embedder:
    """One Ray actor: loads the encoder once, then embeds batches of (id, text) rows."""

    def __init__(self, spec: ModelSpec, workspace: str, batch_size: int, threads: int, state_dir: str) -> None:
        self.batch_size = batch_size
        if spec.kind == "lexical":  # fitted by the driver on the whole corpus; the state dir is shared
            from engine.encoders import LexicalEncoder

            self.encoder: Any = LexicalEncoder.load(spec, Path(state_dir))
            return
        import torch

        # Each actor owns `threads` CPUs of the cluster; torch must not spread over the whole node.
        torch.set_num_threads(max(1, threads))
        from engine.models import load_encoder

        self.encoder = load_encoder(spec, models_dir=Store(workspace).models_dir)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        vectors, valid = embed_texts([str(t) for t in batch["text"]], self.encoder, batch_size=self.batch_size)
        return {"id": batch["id"], "vector": vectors, "valid": valid}


def init_ray(address: str = LOCAL, *, num_cpus: int | None = None) -> Any:
    """Start a private local Ray instance (``"local"``) or connect to a cluster; returns ``ray``.

    Raises:
        RayUnavailableError: Ray missing or the cluster unreachable.
    """
    import logging

    import engine

    ray = import_ray()
    # Ray Data logs every operator's progress at INFO; the CLI has its own progress line.
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    env_vars = {"HF_HUB_OFFLINE": os.environ.get("HF_HUB_OFFLINE", "0"), "TOKENIZERS_PARALLELISM": "false"}
    if address == LOCAL:
        # Sized to this machine; workers find `engine` on the driver's own path.
        package_root = str(Path(engine.__file__).resolve().parent.parent)
        env_vars["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))
        ray.init(num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": env_vars}, configure_logging=False)
        return ray
    try:
        ray.init(address=address, log_to_driver=False, configure_logging=False,
                 runtime_env={"env_vars": env_vars, "py_modules": [str(Path(engine.__file__).resolve().parent)]})
    except Exception as exc:  # ConnectionError, RuntimeError, ValueError depending on the failure
        raise RayUnavailableError(
            f"Cannot connect to the Ray cluster at {address!r}: {exc}. Start it with `ray start --head` "
            "(see README, 'Past one machine: Ray') or use --ray local."
        ) from exc
    return ray


def embed_corpus_ray(
    corpus: Corpus,
    model: str | ModelSpec,
    *,
    store: Store,
    address: str = LOCAL,
    actors: int | None = None,
    cpus_per_actor: int = 1,
    progress: Progress | None = None,
    settings: Settings | None = None,
) -> EmbedResult:
    """Embed a corpus with one model as a Ray Data job; stored exactly like :func:`embed_corpus`.

    Args:
        address: ``"local"`` for a private instance on this machine, else a Ray address
            (``ray://head:10001`` or ``auto`` on a cluster node).
        actors: Most actors (model copies) to run; default: the cluster's CPUs / ``cpus_per_actor``.
        cpus_per_actor: CPUs each actor reserves (and torch threads it uses).

    Raises:
        RayUnavailableError: Ray missing or unreachable.
        ModelError: When the model cannot be loaded.
    """
    spec = model if isinstance(model, ModelSpec) else resolve_model(model)
    settings = settings or Settings.from_env()
    if not store.has_corpus(corpus.corpus_id):
        store.save_corpus(corpus)
    if store.load_embeddings(corpus.corpus_id, spec) is not None:
        return embed_corpus(corpus, spec, store=store, progress=progress, settings=settings)  # the cache hit
    ray = import_ray()
    started = time.perf_counter()
    state_dir = ""
    if spec.kind == "lexical":  # fit once, here, on all the texts: every actor must share one space
        encoder_for(spec, store=store, corpus=corpus)
        state_dir = str(store.model_state_dir(corpus.corpus_id, spec).resolve())
    owns_ray = not ray.is_initialized()  # a caller's (or a test's) running instance is used as is
    if owns_ray:
        init_ray(address)
    try:
        ids, vectors, valid = _run_job(ray, corpus, spec, store, settings, actors, cpus_per_actor, progress,
                                       state_dir)
    finally:
        if owns_ray:
            ray.shutdown()
    seconds = time.perf_counter() - started
    # Ray Data may return blocks in any order: put rows back by their unique corpus id.
    position = {row_id: i for i, row_id in enumerate(corpus.frame["id"].to_list())}
    order = np.array([position[str(row_id)] for row_id in ids], dtype=np.int64)
    if len(order) != len(corpus) or len(np.unique(order)) != len(corpus):
        raise EmbedscapeError(f"The Ray job returned {len(order):,} rows for a corpus of {len(corpus):,}.")
    restored = np.empty_like(vectors)
    restored[order] = vectors
    restored_valid = np.empty_like(valid)
    restored_valid[order] = valid
    store.save_embeddings(
        corpus.corpus_id, spec, restored, restored_valid,
        info={"seconds": round(seconds, 3), "load_seconds": 0.0, "display_name": spec.display_name,
              "kind": spec.kind, "route": "fp32", "executor": f"ray:{address}"},
    )
    stored = store.load_embeddings(corpus.corpus_id, spec)
    assert stored is not None
    return EmbedResult(stored, spec, False, seconds, len(corpus) / max(seconds, 1e-9),
                       int((~restored_valid).sum()), _missing_examples(corpus, restored_valid))


def _run_job(ray: Any, corpus: Corpus, spec: ModelSpec, store: Store, settings: Settings,
             actors: int | None, cpus_per_actor: int, progress: Progress | None, state_dir: str,
             ) -> tuple[list[str], np.ndarray, np.ndarray]:
    total = len(corpus)
    cluster_cpus = int(ray.cluster_resources().get("CPU", 1))
    most = actors or max(1, cluster_cpus // max(1, cpus_per_actor))
    parquet = store.corpus_dir(corpus.corpus_id) / "corpus.parquet"
    dataset = ray.data.read_parquet(str(parquet.resolve()), columns=["id", "text"])
    # Blocks of a few batches each: big enough to amortise the hop, small enough to spread.
    rows_per_block = max(settings.batch_size, min(4096, -(-total // (4 * most))))
    embedded = dataset.map_batches(
        _Embedder,
        fn_constructor_kwargs={"spec": spec, "workspace": str(store.root.resolve()),
                               "batch_size": settings.batch_size, "threads": cpus_per_actor,
                               "state_dir": state_dir},
        batch_size=rows_per_block, batch_format="numpy", concurrency=(1, most), num_cpus=cpus_per_actor,
    )
    ids: list[str] = []
    parts: list[np.ndarray] = []
    valid_parts: list[np.ndarray] = []
    if progress:
        progress(0, total)
    for batch in embedded.iter_batches(batch_size=None, batch_format="numpy"):
        ids.extend(str(i) for i in batch["id"])
        parts.append(np.asarray(batch["vector"], dtype=np.float32))
        valid_parts.append(np.asarray(batch["valid"], dtype=bool))
        if progress:
            progress(len(ids), total)
    if not parts:
        return [], np.zeros((0, spec.dimension), dtype=np.float32), np.zeros(0, dtype=bool)
    return ids, np.concatenate(parts), np.concatenate(valid_parts)
