"""The projection value, the request spec and the store key (no heavy imports)."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engine.errors import ProjectionError
from engine.types import Embeddings

Coords = npt.NDArray[np.float32]  # (n, 2) or (n, 3); NaN rows for points not projected
ProjectionMethod = Literal["umap", "pca"]
Metric = Literal["cosine", "euclidean"]
Progress = Callable[[int, int], None]  # (steps done, steps total)

METHODS: tuple[str, ...] = ("umap", "pca")
METRICS: tuple[str, ...] = ("cosine", "euclidean")
NAMESPACE = "projections"
UMAP_MIN_POINTS = 10  # below this many distinct points UMAP's spectral layout is not meaningful: use PCA
# The defaults the app's first view and `python -m engine project` share, so a precomputed map is found.
DEFAULT_PARAMS: dict[str, Any] = {"n_neighbors": 15, "min_dist": 0.1, "metric": "cosine", "seed": 42}
_SLUG = re.compile(r"[^A-Za-z0-9_-]+")


@dataclass(frozen=True, slots=True)
class ProjectionSpec:
    """A projection request: small, hashable, usable as a cache key.

    Example:
        >>> ProjectionSpec(method="pca").kwargs()["method"]
        'pca'
    """

    method: ProjectionMethod = "umap"
    dims: int = 2
    n_neighbors: int = DEFAULT_PARAMS["n_neighbors"]
    min_dist: float = DEFAULT_PARAMS["min_dist"]
    metric: Metric = DEFAULT_PARAMS["metric"]
    seed: int | None = DEFAULT_PARAMS["seed"]

    def kwargs(self) -> dict[str, Any]:
        return {"method": self.method, "dims": self.dims, "n_neighbors": self.n_neighbors,
                "min_dist": self.min_dist, "metric": self.metric, "seed": self.seed}


@dataclass(frozen=True, slots=True, eq=False)
class Projection:
    """A 2-D or 3-D layout of one model's embeddings of one corpus.

    Attributes:
        corpus_id: The corpus the rows belong to.
        model_id: The model whose vectors were projected.
        method: ``"umap"`` or ``"pca"`` (what actually ran: a UMAP request on too few points
            falls back to PCA and says so in ``notes``).
        dims: 2 or 3.
        params: The parameters used (``n_neighbors``, ``min_dist``, ``metric`` for UMAP).
        seed: The random seed (None: UMAP ran multi-threaded and is not reproducible).
        coords: (n, dims) float32, read-only, corpus row order; NaN rows were not projected.
        quality: ``trustworthiness``, ``knn_preservation`` (both in [0, 1]), ``k``, ``sample``
            and ``n_points``; empty when there are too few points to measure.
        seconds: Time the projection took when it was computed.
        notes: Plain-language notes (fallbacks, clamped parameters, skipped rows).
        key: The store key it is saved under.
    """

    corpus_id: str
    model_id: str
    method: str
    dims: int
    params: dict[str, Any]
    seed: int | None
    coords: Coords
    quality: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    notes: tuple[str, ...] = ()
    key: str = ""

    def __post_init__(self) -> None:
        if self.coords.ndim != 2 or self.coords.shape[1] != self.dims or self.coords.dtype != np.float32:
            raise ValueError(f"coords must be (n, {self.dims}) float32, got {self.coords.shape} {self.coords.dtype}")
        if self.coords.flags.writeable:
            self.coords.setflags(write=False)

    @property
    def n(self) -> int:
        return int(self.coords.shape[0])

    @property
    def projected(self) -> npt.NDArray[np.bool_]:
        """(n,) True for rows that have a position in the map."""
        return ~np.isnan(self.coords).any(axis=1)

    def summary(self) -> dict[str, Any]:
        """JSON-ready description (no arrays) for the CLI and the store."""
        return {
            "corpus_id": self.corpus_id,
            "model_id": self.model_id,
            "method": self.method,
            "dims": self.dims,
            "params": self.params,
            "seed": self.seed,
            "n": self.n,
            "n_projected": int(self.projected.sum()),
            "quality": self.quality,
            "seconds": round(self.seconds, 3),
            "notes": list(self.notes),
            "key": self.key,
        }


def _check_choice(name: str, value: Any, valid: tuple[Any, ...]) -> None:
    if value not in valid:
        raise ProjectionError(f"{name} must be one of {', '.join(map(repr, valid))}; got {value!r}.")


def request_params(method: str, dims: int, n_neighbors: int, min_dist: float, metric: str) -> dict[str, Any]:
    """Validate the user's parameters; return the canonical params dict for the key."""
    _check_choice("method", method, METHODS)
    _check_choice("dims", dims, (2, 3))
    if method == "pca":
        return {}
    _check_choice("metric", metric, METRICS)
    if not isinstance(n_neighbors, (int, np.integer)) or not 2 <= n_neighbors <= 200:
        raise ProjectionError(f"n_neighbors must be a whole number from 2 to 200; got {n_neighbors!r}.")
    if not 0.0 <= float(min_dist) <= 1.0:
        raise ProjectionError(f"min_dist must be between 0 and 1; got {min_dist!r}.")
    return {"n_neighbors": int(n_neighbors), "min_dist": round(float(min_dist), 4), "metric": metric}


def _model_revision(model_id: str) -> str:
    try:
        from engine.models import resolve_model

        return resolve_model(model_id).revision
    except Exception:  # an id this version does not know: the shape still guards the key
        return "0"


def projection_key(
    embeddings: Embeddings, *, method: str, dims: int, params: dict[str, Any], seed: int | None
) -> str:
    """The store key for a projection request: readable prefix + hash of every input that matters."""
    recipe = {
        "model_id": embeddings.model_id,
        "revision": _model_revision(embeddings.model_id),
        "shape": list(embeddings.vectors.shape),
        "n_valid": int(np.asarray(embeddings.valid).sum()),
        "method": method,
        "dims": dims,
        "params": params,
        "seed": seed,
    }
    if method == "pca":
        recipe["pca"] = 2  # PCA v2: own eigen-solver with a fixed tie-break (v1 was sklearn's)
    digest = hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    slug = _SLUG.sub("_", embeddings.model_id).strip("_")[:60] or "model"
    return f"{slug}-{method}{dims}d-{digest}"


def request_key(embeddings: Embeddings, *, method: str, dims: int, n_neighbors: int, min_dist: float,
                metric: str, seed: int | None) -> tuple[dict[str, Any], str]:
    """(canonical params, store key) of a projection request; raises ProjectionError on bad params."""
    params = request_params(method, dims, n_neighbors, min_dist, metric)
    return params, projection_key(embeddings, method=method, dims=dims, params=params, seed=seed)
