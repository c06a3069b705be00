"""``project``: lay out one model's embeddings in 2-D or 3-D, or return the stored layout."""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from engine.errors import ProjectionError
from engine.project import scale
from engine.project.pca import pca_layout
from engine.project.quality import projection_quality
from engine.project.spec import (
    UMAP_MIN_POINTS,
    Metric,
    Progress,
    Projection,
    ProjectionMethod,
    request_key,
)
from engine.project.storage import load_projection, save_projection
from engine.project.umap_backend import umap_is_loaded, umap_layout
from engine.types import Embeddings
from engine.vectors import cosine_neighbors

if TYPE_CHECKING:
    from engine.store import Store

Phase = Callable[[str], None]  # a plain-language line saying what runs now


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
    phase: Phase | None = None,
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
        phase: Called with a plain-language line before each step (for a status box).

    Returns:
        A Projection with NaN rows for rows that were not projected.

    Raises:
        ProjectionError: Bad parameters, or no row that can be projected.
    """
    params, key = request_key(embeddings, method=method, dims=dims, n_neighbors=n_neighbors,
                              min_dist=min_dist, metric=metric, seed=seed)
    say = phase or (lambda _text: None)
    if store is not None and not recompute:
        stored = load_projection(store, embeddings.corpus_id, key)
        if stored is not None:
            if progress:
                progress(3, 3)
            return stored
    started = time.perf_counter()
    if progress:
        progress(0, 3)
    say("Checking which rows can be drawn")
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
        if not umap_is_loaded():
            say("Loading UMAP (a fresh server compiles its code once: up to ~30 s, then it is cached)")
        try:
            if n_distinct >= scale.LARGE_MAP_ROWS:
                layout, used_params = _large_umap(embeddings, first, distinct, dims, used_params, seed, store, say)
            else:
                say(f"Laying out {n_distinct:,} points with UMAP in {dims}-D")
                layout = umap_layout(distinct, dims, used_params, seed)
        except (ValueError, np.linalg.LinAlgError) as exc:  # degenerate graphs on tiny or odd input
            layout = pca_layout(distinct, dims, seed)
            used_method, used_params = "pca", {}
            notes.append(f"UMAP could not lay out these points ({exc}); this map uses PCA instead.")
    else:
        say(f"Laying out {n_distinct:,} points with PCA in {dims}-D")
        layout = pca_layout(distinct, dims, seed)
    if progress:
        progress(2, 3)
    say("Measuring how far the layout can be trusted")
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
        say("Saving the layout to the workspace")
        save_projection(store, result)
    if progress:
        progress(3, 3)
    return result


def _large_umap(embeddings: Embeddings, first: np.ndarray, distinct: np.ndarray, dims: int,
                params: dict, seed: int | None, store: "Store | None", say: Phase) -> tuple[np.ndarray, dict]:
    """The large-map route (engine.project.scale): the kNN graph from engine.knn, then seeded UMAP."""
    from engine.knn import knn_graph

    k = params["n_neighbors"] - 1
    say(f"Finding each of {len(distinct):,} points' {k} nearest neighbours (stored for the next map and Compare)")
    if first.size == embeddings.n:  # every row valid and distinct: the corpus's own (stored) graph
        graph = knn_graph(store, embeddings.corpus_id, embeddings, k)
        neighbors, sims = graph.neighbors, graph.similarities
    else:  # the map's points are a subset of the corpus rows: their own graph, not stored
        subset = Embeddings(embeddings.corpus_id, embeddings.model_id, distinct)
        graph = knn_graph(None, embeddings.corpus_id, subset, k)
        neighbors, sims = graph.neighbors, graph.similarities
    epochs = scale.layout_epochs(len(distinct))
    say(f"Laying out {len(distinct):,} points with UMAP in {dims}-D ({epochs} epochs)")
    layout = scale.umap_layout_large(distinct, dims, params, seed, (neighbors, sims), n_epochs=epochs)
    used = {**params, "route": "large", "knn": graph.method, "knn_recall": round(graph.recall, 4),
            "knn_seconds": 0.0 if graph.loaded else round(graph.seconds, 2), "n_epochs": epochs, "init": "pca",
            "layout": "parallel-deterministic"}
    return layout, used


def nearest_neighbors(
    embeddings: Embeddings, row: int, *, k: int = 10
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """Exact cosine neighbours of one row in the full embedding space (not the map).

    Ties are broken by row id (``engine.vectors.cosine_neighbors``), so every machine lists the
    same neighbours in the same order.

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
    return cosine_neighbors(embeddings.vectors, embeddings.vectors[row], k, valid=embeddings.valid, exclude=(row,))
