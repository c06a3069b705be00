"""Projections in the workspace store: ``corpora/<id>/projections/<key>.npy`` + ``.json``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from engine.project.spec import NAMESPACE, Metric, Projection, ProjectionMethod, request_key
from engine.types import Embeddings

if TYPE_CHECKING:
    from engine.store import Store


def save_projection(store: "Store", projection: Projection) -> None:
    """Write coords (.npy) then the summary (.json): a reader that finds the JSON finds the array."""
    store.save_array(projection.corpus_id, NAMESPACE, projection.key, projection.coords)
    store.save_json(projection.corpus_id, NAMESPACE, projection.key, projection.summary())


def load_projection(store: "Store", corpus_id: str, key: str) -> Projection | None:
    """A stored projection by key, or None."""
    summary = store.load_json(corpus_id, NAMESPACE, key)
    coords = store.load_array(corpus_id, NAMESPACE, key, mmap=False) if summary else None
    if summary is None or coords is None:
        return None
    return Projection(
        corpus_id=corpus_id,
        model_id=summary["model_id"],
        method=summary["method"],
        dims=int(summary["dims"]),
        params=summary["params"],
        seed=summary["seed"],
        coords=np.asarray(coords, dtype=np.float32),
        quality=summary.get("quality", {}),
        seconds=float(summary.get("seconds", 0.0)),
        notes=tuple(summary.get("notes", ())),
        key=key,
    )


def stored_projection(
    embeddings: Embeddings,
    *,
    store: "Store",
    method: ProjectionMethod = "umap",
    dims: int = 2,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    metric: Metric = "cosine",
    seed: int | None = 42,
) -> Projection | None:
    """The stored layout for this request if there is one (never computes)."""
    _, key = request_key(embeddings, method=method, dims=dims, n_neighbors=n_neighbors,
                         min_dist=min_dist, metric=metric, seed=seed)
    return load_projection(store, embeddings.corpus_id, key)


def list_projections(store: "Store", corpus_id: str) -> list[dict[str, Any]]:
    """Summaries of every stored projection of a corpus."""
    summaries = (store.load_json(corpus_id, NAMESPACE, key) for key in store.list_artifacts(corpus_id, NAMESPACE))
    return [s for s in summaries if s]
