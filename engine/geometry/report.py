"""Every geometry figure of one model's space, computed once and stored by content hash.

The key covers the model id and revision, the embedding shape and number of valid rows, the
parameters and ``VERSION`` (bump it when a computation changes), so a rerun, another session or
the CLI reads the stored JSON and arrays instead of recomputing.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from threadpoolctl import threadpool_limits

from engine.geometry.depth import tte_depth
from engine.geometry.dimension import cosine_to_euclidean, intrinsic_dimension
from engine.geometry.hubness import hubness
from engine.geometry.isotropy import centred, isotropy_before_after, random_pair_cosines
from engine.geometry.redundancy import MAX_QUERIES, redundancy_curve
from engine.index import machine_busy
from engine.knn import knn_graph
from engine.types import Embeddings

NAMESPACE = "geometry"
VERSION = 2  # 2: redundancy with a pair-budget query sample and 2 % bisection
HUB_K = 10
Progress = Callable[[str, float], None]  # (stage, share done 0..1)


@dataclass(frozen=True, slots=True, eq=False)
class GeometryReport:
    corpus_id: str
    model_id: str
    figures: dict[str, Any]  # JSON-ready: isotropy, isotropy_centred, dimension, hubness, redundancy, timings
    occurrence: np.ndarray  # (n,) N_k per row (-1 = invalid)
    depth: np.ndarray  # (n,) TTE depth per row (NaN = invalid)
    cached: bool = False


def report_key(embeddings: Embeddings, *, k: int = HUB_K, seed: int = 0, max_queries: int = MAX_QUERIES) -> str:
    from engine.project import _SLUG, _model_revision

    recipe = {"model_id": embeddings.model_id, "revision": _model_revision(embeddings.model_id),
              "shape": list(embeddings.vectors.shape), "n_valid": int(np.asarray(embeddings.valid).sum()),
              "k": k, "seed": seed, "max_queries": max_queries, "version": VERSION}
    digest = hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:12]
    return f"{_SLUG.sub('_', embeddings.model_id).strip('_')[:60] or 'model'}-report-{digest}"


def load_report(store, corpus_id: str, embeddings: Embeddings, **params: Any) -> GeometryReport | None:
    """The stored report for these embeddings and parameters, or None."""
    if store is None:
        return None
    key = report_key(embeddings, **params)
    figures = store.load_json(corpus_id, NAMESPACE, key)
    occurrence = store.load_array(corpus_id, NAMESPACE, key + "-occurrence", mmap=False)
    depth = store.load_array(corpus_id, NAMESPACE, key + "-depth", mmap=False)
    if figures is None or occurrence is None or depth is None:
        return None
    return GeometryReport(corpus_id, embeddings.model_id, figures, occurrence, depth, cached=True)


def geometry_report(store, corpus_id: str, embeddings: Embeddings, *, k: int = HUB_K, seed: int = 0,
                    max_queries: int = MAX_QUERIES, progress: Progress | None = None) -> GeometryReport:
    """Isotropy (as stored and mean-centred), intrinsic dimension, hubness, redundancy and depth.

    The kNN graph is the shared stored one of :func:`engine.knn.knn_graph` (exact up to 30k valid
    rows, HNSW with a measured recall beyond; built and stored on first use); its time is reported
    separately (``timings["kNN graph"]``, about 0 when it was already stored).
    """
    stored = load_report(store, corpus_id, embeddings, k=k, seed=seed, max_queries=max_queries)
    if stored is not None:
        return stored
    report = progress or (lambda stage, share: None)
    timings: dict[str, float] = {}
    valid = np.asarray(embeddings.valid, dtype=bool)
    vectors = np.asarray(embeddings.vectors[valid] if not valid.all() else embeddings.vectors)

    def timed(stage: str, share: float, work):
        report(stage, share)
        started = time.perf_counter()
        # One BLAS thread on a busy machine: spinning OpenBLAS threads made these products 2-4x
        # slower under load here (the same finding as engine.index's routing; docs/benchmarks.md).
        with threadpool_limits(1 if machine_busy() else None):
            value = work()
        timings[stage] = round(time.perf_counter() - started, 3)
        return value

    graph = timed("kNN graph", 0.0, lambda: knn_graph(
        store, corpus_id, embeddings, k, progress=lambda done, total: report("kNN graph", 0.3 * done / max(total, 1))))
    before, after = timed("isotropy", 0.3, lambda: isotropy_before_after(vectors, seed=seed))
    rows = graph.neighbors[valid]
    dimension = timed("intrinsic dimension", 0.45,
                      lambda: intrinsic_dimension(cosine_to_euclidean(graph.similarities[valid]), rows))
    hub_figures, occurrence = timed("hubness", 0.55, lambda: hubness(graph.neighbors, valid, method=graph.method,
                                                                      recall=graph.recall))
    curve = timed("redundancy", 0.6, lambda: redundancy_curve(vectors, k=k, seed=seed, max_queries=max_queries))
    depth = timed("depth", 0.95, lambda: tte_depth(embeddings.vectors, valid))
    report("done", 1.0)
    edges = np.linspace(-1.0, 1.0, 81)
    histogram = {"edges": edges.round(4).tolist(),
                 "stored": np.histogram(random_pair_cosines(vectors, seed=seed), edges)[0].tolist(),
                 "centred": np.histogram(random_pair_cosines(centred(vectors), seed=seed), edges)[0].tolist()}
    figures = {
        "corpus_id": corpus_id, "model_id": embeddings.model_id, "n_items": int(valid.size),
        "n_valid": int(valid.sum()), "dimension": int(embeddings.vectors.shape[1]),
        "isotropy": before.as_dict(), "isotropy_centred": after.as_dict(),
        "cosine_histogram": histogram,
        "intrinsic_dimension": dimension.as_dict(), "hubness": hub_figures.as_dict(),
        "redundancy": curve.as_dict(), "timings": timings,
        "depth": {"min": float(np.nanmin(depth)), "median": float(np.nanmedian(depth)),
                  "max": float(np.nanmax(depth))} if valid.any() else {},
    }
    if store is not None:
        key = report_key(embeddings, k=k, seed=seed, max_queries=max_queries)
        store.save_array(corpus_id, NAMESPACE, key + "-occurrence", occurrence)
        store.save_array(corpus_id, NAMESPACE, key + "-depth", depth)
        store.save_json(corpus_id, NAMESPACE, key, figures)  # last: its presence means complete
    return GeometryReport(corpus_id, embeddings.model_id, figures, occurrence, depth)


# -- across models ------------------------------------------------------------------------------------
SUMMARY_COLUMNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    # (column, path in figures, what it says)
    ("dimension", ("dimension",), "vector length"),
    ("IsoScore", ("isotropy", "isoscore"), "1 = every direction used equally, 0 = one direction"),
    ("IsoScore (centred)", ("isotropy_centred", "isoscore"), "after subtracting the mean vector"),
    ("mean cos (random pairs)", ("isotropy", "mean_cosine"), "near 0 in an isotropic space"),
    ("sd cos", ("isotropy", "std_cosine"), "spread of random-pair cosines"),
    ("mean cos (centred)", ("isotropy_centred", "mean_cosine"), "after mean-centring"),
    ("mean-direction share", ("isotropy", "mean_share"), "|mean|^2 / mean |x|^2"),
    ("PC1 variance", ("isotropy", "pc1_share"), "share of variance on the first principal component"),
    ("PC1-10 variance", ("isotropy", "pc10_share"), "share on the first ten"),
    ("TwoNN ID", ("intrinsic_dimension", "twonn"), "intrinsic dimension, Facco et al."),
    ("MLE ID", ("intrinsic_dimension", "mle"), "intrinsic dimension, Levina & Bickel"),
    ("N10 skewness", ("hubness", "skewness"), "hubness: > 1 marked"),
    ("max N10", ("hubness", "max_occurrence"), "largest k-occurrence"),
    ("hubs (N10 > 20)", ("hubness", "hub_share"), "share of items"),
    ("anti-hubs (N10 = 0)", ("hubness", "antihub_share"), "share of items"),
    ("PCs for 90 % of top-10", ("redundancy", "dims_for", "0.90"), "redundancy"),
    ("PCs for 95 % of top-10", ("redundancy", "dims_for", "0.95"), "redundancy"),
    ("median depth", ("depth", "median"), "TTE depth, 1 + mean cosine to the corpus"),
)


def _lookup(figures: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = figures
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
    return value


def summary_rows(reports: list[GeometryReport]) -> list[dict[str, Any]]:
    """One row per model with every figure (the across-models table)."""
    rows = []
    for report in reports:
        row: dict[str, Any] = {"model": report.model_id}
        for column, path, _ in SUMMARY_COLUMNS:
            row[column] = _lookup(report.figures, path)
        rows.append(row)
    return rows
