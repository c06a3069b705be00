"""Projections of an embedding space to 2-D or 3-D (UMAP, PCA), stored so a restart never recomputes.

A :class:`Projection` records where it came from (corpus, model, method, parameters, seed), holds
read-only float32 coordinates in corpus row order, and reports how far the picture can be trusted:

* ``trustworthiness`` (Venna & Kaski; scikit-learn's implementation): 1.0 when no point in the map
  has a near neighbour that is far away in the embedding space.
* ``knn_preservation``: the share of each point's 10 nearest neighbours (cosine, full space) that
  are also among its 10 nearest neighbours in the map.

Both are computed on a random sample for large corpora (the sample size is in ``quality``).

Rows the model could not represent (``Embeddings.valid`` is False) and rows with non-finite values
get NaN coordinates: they are never drawn as real points and never counted in the quality figures.
Exact duplicate rows are projected once and share a position.

umap-learn is imported lazily, after ``NUMBA_CACHE_DIR`` points at a persistent folder, so the
numba compilation a fresh process pays is paid once per machine, not once per process.

Example:
    >>> import numpy as np
    >>> from engine.types import Embeddings
    >>> vectors = np.eye(6, 8, dtype=np.float32)
    >>> result = project(Embeddings("c", "m", vectors), method="pca", dims=2)
    >>> result.coords.shape, result.method
    ((6, 2), 'pca')
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from engine.errors import ProjectionError
from engine.types import Embeddings

if TYPE_CHECKING:
    from engine.store import Store

Coords = npt.NDArray[np.float32]  # (n, 2) or (n, 3); NaN rows for points not projected
ProjectionMethod = Literal["umap", "pca"]
Metric = Literal["cosine", "euclidean"]
Progress = Callable[[int, int], None]  # (steps done, steps total)

METHODS: tuple[str, ...] = ("umap", "pca")
METRICS: tuple[str, ...] = ("cosine", "euclidean")
NAMESPACE = "projections"
UMAP_MIN_POINTS = 10  # below this many distinct points UMAP's spectral layout is not meaningful: use PCA
QUALITY_K = 10
# The defaults the app's first view and `python -m engine project` share, so a precomputed map is found.
DEFAULT_PARAMS: dict[str, Any] = {"n_neighbors": 15, "min_dist": 0.1, "metric": "cosine", "seed": 42}
QUALITY_SAMPLE = 1000
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


# -- parameters and keys ---------------------------------------------------------------------------
def _check_choice(name: str, value: Any, valid: tuple[Any, ...]) -> None:
    if value not in valid:
        raise ProjectionError(f"{name} must be one of {', '.join(map(repr, valid))}; got {value!r}.")


def _request(method: str, dims: int, n_neighbors: int, min_dist: float, metric: str) -> dict[str, Any]:
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
    digest = hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    slug = _SLUG.sub("_", embeddings.model_id).strip("_")[:60] or "model"
    return f"{slug}-{method}{dims}d-{digest}"


# -- numba / umap --------------------------------------------------------------------------------------
def numba_cache_dir() -> Path:
    """Where numba keeps compiled UMAP code between processes.

    ``NUMBA_CACHE_DIR`` if already set, else ``EMBEDSCAPE_NUMBA_CACHE``, else ``numba`` under the
    user cache folder for embedscape (shared by every workspace on the machine).
    """
    for variable in ("NUMBA_CACHE_DIR", "EMBEDSCAPE_NUMBA_CACHE"):
        if os.environ.get(variable):
            return Path(os.environ[variable]).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("embedscape")) / "numba"


def _umap_class() -> Any:
    """Import umap-learn with a persistent numba cache (set before numba is first imported)."""
    if "numba" not in sys.modules:
        directory = numba_cache_dir()
        directory.mkdir(parents=True, exist_ok=True)
        os.environ.setdefault("NUMBA_CACHE_DIR", str(directory))
    try:
        from umap import UMAP
    except ImportError as exc:  # pragma: no cover - umap-learn is a pinned dependency
        raise ProjectionError("UMAP needs the umap-learn package: pip install umap-learn==0.5.12") from exc
    return UMAP


def warm_up_umap(*, dims: int = 2) -> float:
    """Fit UMAP once on 200 random points so numba compiles (and caches) its code now.

    Returns the seconds it took (about 30 s in a fresh process on a 2-core machine the first
    time, a few seconds once the numba cache is filled).
    """
    started = time.perf_counter()
    rng = np.random.default_rng(0)
    sample = rng.normal(size=(200, 16)).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _umap_class()(n_components=dims, n_neighbors=10, random_state=0, n_epochs=20).fit_transform(sample)
    return time.perf_counter() - started


# -- the projection itself -------------------------------------------------------------------------
def _usable_rows(embeddings: Embeddings) -> tuple[np.ndarray, list[str]]:
    """Indices of rows that can be projected, and notes about the rest."""
    vectors = embeddings.vectors
    valid = np.asarray(embeddings.valid, dtype=bool).copy()
    notes = []
    missing = int((~valid).sum())
    if missing:
        notes.append(f"{missing:,} rows the model could not represent are left out of the map.")
    finite = np.isfinite(vectors).all(axis=1) if vectors.shape[0] else np.ones(0, dtype=bool)
    broken = int((valid & ~finite).sum())
    if broken:
        notes.append(f"{broken:,} rows with non-numeric values (NaN/inf) are left out of the map.")
    valid &= finite
    return np.flatnonzero(valid), notes


def _distinct_rows(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first index of each distinct row, in order of first appearance; inverse map row → distinct)."""
    rows = np.ascontiguousarray(vectors)
    keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")  # distinct rows in order of first appearance
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return first[order], rank[inverse.ravel()]


def _pca(vectors: np.ndarray, dims: int, seed: int | None) -> np.ndarray:
    n = vectors.shape[0]
    coords = np.zeros((n, dims), dtype=np.float32)
    rank = min(dims, n - 1, vectors.shape[1])
    if rank < 1:
        return coords
    from sklearn.decomposition import PCA

    centred = vectors.astype(np.float64) - vectors.mean(axis=0, dtype=np.float64)
    if not np.any(centred):
        return coords
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # zero-variance components on degenerate input
        reduced = PCA(n_components=rank, random_state=seed if seed is not None else 0).fit_transform(centred)
    coords[:, :rank] = reduced.astype(np.float32)
    return coords


def _umap(vectors: np.ndarray, dims: int, params: dict[str, Any], seed: int | None) -> np.ndarray:
    UMAP = _umap_class()
    reducer = UMAP(
        n_components=dims,
        n_neighbors=params["n_neighbors"],
        min_dist=params["min_dist"],
        metric=params["metric"],
        random_state=seed,
        n_jobs=1 if seed is not None else -1,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "n_jobs overridden by random_state", disconnected-graph notes
        coords = reducer.fit_transform(np.asarray(vectors, dtype=np.float32))
    return np.asarray(coords, dtype=np.float32)


def projection_quality(
    vectors: np.ndarray, coords: np.ndarray, *, k: int = QUALITY_K, sample: int = QUALITY_SAMPLE, seed: int = 0
) -> dict[str, Any]:
    """Trustworthiness and k-NN preservation of a layout, on a sample of at most ``sample`` points.

    Args:
        vectors: (n, d) unit rows (the embedding space; cosine = dot product).
        coords: (n, 2|3) the layout of the same rows.
        k: Neighbourhood size.
        sample: Points to evaluate; neighbours are still looked up among all n points for
            ``knn_preservation``; ``trustworthiness`` is computed within the sample.

    Returns:
        ``{"trustworthiness", "knn_preservation", "k", "sample", "n_points"}`` (both figures in
        [0, 1]), or ``{}`` when there are fewer than 4 points.
    """
    n = vectors.shape[0]
    if n < 4:
        return {}
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(n, size=min(n, sample), replace=False))
    m = chosen.size
    k_trust = max(1, min(k, (m - 1) // 2))  # sklearn requires k < m / 2
    from sklearn.manifold import trustworthiness

    trust = float(trustworthiness(vectors[chosen], coords[chosen], n_neighbors=k_trust))
    k_knn = min(k, n - 1)
    high = np.asarray(vectors, dtype=np.float32)
    low = np.asarray(coords, dtype=np.float32)
    kept = 0
    for start in range(0, m, 256):
        rows = chosen[start:start + 256]
        similarity = high[rows] @ high.T
        similarity[np.arange(rows.size), rows] = -np.inf
        near_high = np.argpartition(-similarity, k_knn - 1, axis=1)[:, :k_knn]
        distance = ((low[rows, None, :] - low[None, :, :]) ** 2).sum(axis=2)
        distance[np.arange(rows.size), rows] = np.inf
        near_low = np.argpartition(distance, k_knn - 1, axis=1)[:, :k_knn]
        kept += sum(np.intersect1d(a, b, assume_unique=True).size for a, b in zip(near_high, near_low))
    return {
        "trustworthiness": round(min(max(trust, 0.0), 1.0), 4),
        "knn_preservation": round(kept / (m * k_knn), 4),
        "k": k_knn,
        "sample": int(m),
        "n_points": int(n),
    }


def project(
    embeddings: Embeddings,
    *,
    method: ProjectionMethod = "umap",
    dims: int = 2,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    metric: Metric = "cosine",
    seed: int | None = 42,
    store: "Store | None" = None,
    recompute: bool = False,
    progress: Progress | None = None,
) -> Projection:
    """Project embeddings to 2-D or 3-D, or return the stored layout for the same request.

    Args:
        embeddings: One model's vectors for one corpus (unit rows; invalid rows are skipped).
        method: ``"umap"`` (local structure; the default) or ``"pca"`` (linear, instant).
        dims: 2 or 3.
        n_neighbors: UMAP's neighbourhood size: small values show local detail, large values
            global shape. Clamped to the number of distinct points minus one.
        min_dist: UMAP's minimum distance between points in the layout (0 packs clusters tight).
        metric: ``"cosine"`` or ``"euclidean"`` (the same ordering on unit vectors).
        seed: Makes UMAP reproducible (and single-threaded). None runs multi-threaded.
        store: When given, the layout is loaded from / saved to the workspace.
        recompute: Ignore a stored layout and compute again.
        progress: Called with (steps done, 3).

    Returns:
        A Projection with NaN rows for rows that were not projected.

    Raises:
        ProjectionError: Bad parameters, or no row that can be projected.
    """
    params = _request(method, dims, n_neighbors, min_dist, metric)
    key = projection_key(embeddings, method=method, dims=dims, params=params, seed=seed)
    if store is not None and not recompute:
        stored = load_projection(store, embeddings.corpus_id, key)
        if stored is not None:
            if progress:
                progress(3, 3)
            return stored
    started = time.perf_counter()
    if progress:
        progress(0, 3)
    rows, notes = _usable_rows(embeddings)
    if rows.size == 0:
        raise ProjectionError(
            "None of this corpus's rows can be projected with this model (no text it could represent). "
            "Pick another model in the sidebar."
        )
    vectors = np.asarray(embeddings.vectors[rows], dtype=np.float32)
    first, inverse = _distinct_rows(vectors)
    distinct = vectors[first]
    n_distinct = distinct.shape[0]
    if n_distinct < rows.size:
        notes.append(f"{rows.size - n_distinct:,} duplicate rows share the position of their first copy.")
    used_method, used_params = method, dict(params)
    if method == "umap" and n_distinct < UMAP_MIN_POINTS:
        used_method, used_params = "pca", {}
        notes.append(
            f"Only {n_distinct} distinct points: UMAP needs at least {UMAP_MIN_POINTS}, so this map uses PCA."
        )
    elif method == "umap" and params["n_neighbors"] >= n_distinct:
        used_params["n_neighbors"] = n_distinct - 1
        notes.append(f"n_neighbors lowered to {n_distinct - 1} (there are only {n_distinct} distinct points).")
    if progress:
        progress(1, 3)
    if used_method == "umap":
        try:
            layout = _umap(distinct, dims, used_params, seed)
        except (ValueError, np.linalg.LinAlgError) as exc:  # degenerate graphs on tiny or odd input
            layout = _pca(distinct, dims, seed)
            used_method, used_params = "pca", {}
            notes.append(f"UMAP could not lay out these points ({exc}); this map uses PCA instead.")
    else:
        layout = _pca(distinct, dims, seed)
    if progress:
        progress(2, 3)
    quality = projection_quality(distinct, layout, seed=seed or 0)
    coords = np.full((embeddings.n, dims), np.nan, dtype=np.float32)
    coords[rows] = layout[inverse]
    result = Projection(
        corpus_id=embeddings.corpus_id,
        model_id=embeddings.model_id,
        method=used_method,
        dims=dims,
        params=used_params,
        seed=seed,
        coords=coords,
        quality=quality,
        seconds=time.perf_counter() - started,
        notes=tuple(notes),
        key=key,
    )
    if store is not None:
        save_projection(store, result)
    if progress:
        progress(3, 3)
    return result


# -- store -------------------------------------------------------------------------------------------
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
    params = _request(method, dims, n_neighbors, min_dist, metric)
    key = projection_key(embeddings, method=method, dims=dims, params=params, seed=seed)
    return load_projection(store, embeddings.corpus_id, key)


def list_projections(store: "Store", corpus_id: str) -> list[dict[str, Any]]:
    """Summaries of every stored projection of a corpus."""
    summaries = (store.load_json(corpus_id, NAMESPACE, key) for key in store.list_artifacts(corpus_id, NAMESPACE))
    return [s for s in summaries if s]


# -- neighbours in the full space ------------------------------------------------------------------
def nearest_neighbors(
    embeddings: Embeddings, row: int, *, k: int = 10
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Exact cosine neighbours of one row in the full embedding space (not the map).

    Returns:
        (rows (m,), similarities (m,)) best first, m <= k; the row itself and rows the model
        could not represent are excluded.

    Raises:
        ProjectionError: If ``row`` is out of range or not a valid row.
    """
    if not 0 <= row < embeddings.n:
        raise ProjectionError(f"Row {row} is outside this corpus (0..{embeddings.n - 1}).")
    if not embeddings.valid[row]:
        raise ProjectionError("This item has no vector in this model, so it has no neighbours here.")
    similarity = np.asarray(embeddings.vectors @ embeddings.vectors[row], dtype=np.float32)
    similarity = np.where(np.asarray(embeddings.valid) & np.isfinite(similarity), similarity, -np.inf)
    similarity[row] = -np.inf
    k = min(k, int(np.isfinite(similarity).sum()))
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    top = np.argpartition(-similarity, k - 1)[:k]
    top = top[np.argsort(-similarity[top], kind="stable")]
    return top.astype(np.int64), similarity[top]
