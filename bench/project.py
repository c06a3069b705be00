"""Benchmark the Map's projections: time and quality of UMAP and PCA at 1k, 10k and 100k points.

Baseline: umap-learn with its defaults (``UMAP()``: euclidean, n_neighbors=15, min_dist=0.1, no
seed, so multi-threaded), fitted directly. Candidates, in the same process and on the same data:
``engine.project.project`` with UMAP (cosine, seed 42, so single-threaded and reproducible,
duplicates projected once, quality measured) and with PCA, and loading a stored layout back.

The data are synthetic so that every size exists without embedding 50k texts: 60 Gaussian
clusters of different sizes in 384-D with noise, L2-normalised like sentence embeddings. Quality
(trustworthiness, 10-NN kept) is measured by the same function for every method, on a sample of
1,000 points. Medians over --repeats runs (the 50k size runs once unless --repeats-large).

    python bench/project.py                 # 1k and 10k, 3 runs each: about 2-3 minutes on 2 cores
    python bench/project.py --large         # adds 100k (1 run): the large-map route (engine.project.scale)
                                            # with its kNN graph built, then stored; about 5 min idle
    python bench/project.py --sizes 10000 --large --small-route-large   # also the seeded route before it
    python bench/project.py --sizes 1000 --repeats 5
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.project import _umap_class, load_projection, project, projection_quality, warm_up_umap  # noqa: E402
from engine.project import scale  # noqa: E402
from engine.project.scale import place_new_points  # noqa: E402
from engine.store import Store  # noqa: E402
from engine.types import Embeddings  # noqa: E402
from timing import median_seconds  # noqa: E402  (bench/ is on sys.path)


def synthetic(n: int, *, dim: int = 384, clusters: int = 60, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, dim))
    weights = rng.dirichlet(np.full(clusters, 0.7))
    members = rng.choice(clusters, size=n, p=weights)
    vectors = centres[members] + rng.normal(scale=0.9, size=(n, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors.astype(np.float32)


def baseline_umap(vectors: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _umap_class()().fit_transform(vectors)


def held_out_placement(vectors: np.ndarray, *, held: int, seed: int = 0) -> dict[str, float]:
    """Place ``held`` points without a refit and compare with a refit that includes them.

    Fit A: the map without the held-out points; they are then placed with
    ``engine.project.place_new_points``. Fit B (the refit): the map of every point. For each
    held-out point: the share of its 10 nearest neighbours among the other points in the full
    space that are among its 10 nearest map points: placed (in A) vs refit (in B).
    """
    rng = np.random.default_rng(seed)
    out = np.sort(rng.choice(len(vectors), size=held, replace=False))
    kept = np.setdiff1d(np.arange(len(vectors)), out)
    started = time.perf_counter()
    part = Embeddings("heldout-a", "synthetic", vectors[kept])
    projection_a = project(part, method="umap")
    fit_a = projection_a.coords
    fit_seconds = time.perf_counter() - started
    started = time.perf_counter()
    placed = place_new_points(projection_a, part, vectors[out])
    place_seconds = time.perf_counter() - started
    fit_b = project(Embeddings("heldout-b", "synthetic", vectors), method="umap").coords
    truth = np.argsort(-(vectors[out] @ vectors[kept].T), axis=1)[:, :10]

    def kept_share(points: np.ndarray, layout: np.ndarray) -> float:
        distances = ((layout[None, :, :] - points[:, None, :]) ** 2).sum(axis=2)
        in_map = np.argsort(distances, axis=1)[:, :10]
        return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(in_map, truth)]))

    return {"placed": kept_share(placed, fit_a), "refit": kept_share(fit_b[out], fit_b[kept]),
            "place_ms_per_point": 1000 * place_seconds / held, "refit_seconds": fit_seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--large", action="store_true", help="Also run 100,000 points (the issue's scale target).")
    parser.add_argument("--small-route-large", action="store_true",
                        help="At sizes past the large-map threshold also time the small route (seeded umap-learn, "
                             "its own NN-descent: the layout before issue 15).")
    parser.add_argument("--placement-sizes", default="10000",
                        help="Sizes at which new points are placed without a refit and compared with a refit.")
    parser.add_argument("--alt-epochs", default="",
                        help="At large sizes also time the layout alone with these epoch counts (e.g. 50,200).")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--repeats-large", type=int, default=1, help="Repeats for sizes above 20k.")
    parser.add_argument("--large-from", type=int, default=scale.LARGE_MAP_ROWS,
                        help="Distinct points from which the large route is used (a quick check: --large-from 500).")
    args = parser.parse_args()
    scale.LARGE_MAP_ROWS = args.large_from
    print(f"warm-up (numba cache at {os.environ.get('NUMBA_CACHE_DIR', 'default')})…", file=sys.stderr)
    warm = synthetic(500, seed=99)
    baseline_umap(warm)
    project(Embeddings("warm", "bench", warm), method="umap")
    warm_up_umap()  # also compiles the large route's layout kernel
    store = Store(tempfile.mkdtemp(prefix="bench-project-"))
    rows = []

    def add(row: tuple) -> None:  # with the 1-minute load average when the measurement ended
        rows.append((*row, os.getloadavg()[0]))
        # printed at once too, so a run stopped part-way still leaves its figures
        print(f"  {row[1]}: {row[2]:.2f} s, load {rows[-1][-1]:.1f}", file=sys.stderr, flush=True)

    print(f"load average at the start: {' / '.join(f'{x:.1f}' for x in os.getloadavg())}", file=sys.stderr)
    sizes = [int(s) for s in args.sizes.split(",")] + ([100_000] if args.large else [])
    placements = []
    reproducible: list[tuple[int, bool]] = []
    for n in sizes:
        repeats = args.repeats if n <= 20_000 else args.repeats_large
        vectors = synthetic(n)
        embeddings = Embeddings(f"bench{n}", "synthetic", vectors)
        print(f"n={n:,}: baseline UMAP…", file=sys.stderr)
        base_s, base_xy = median_seconds(lambda: baseline_umap(vectors), repeats)
        base_q = projection_quality(vectors, np.asarray(base_xy, dtype=np.float32))
        add((n, "umap-learn defaults (baseline)", base_s, base_q, 1.0))
        print(f"n={n:,}: engine UMAP…", file=sys.stderr)
        if n >= scale.LARGE_MAP_ROWS:
            # From scratch: a fresh workspace, so the kNN graph is built in the run (what a first map pays).
            # (one run: the bench's store, which then holds the graph; more: a fresh workspace each)
            cold_s, cold = median_seconds(lambda: project(embeddings, method="umap", store=store if repeats == 1 else Store(
                tempfile.mkdtemp(prefix="bench-project-cold-")), recompute=True), repeats)
            cold_q = projection_quality(vectors, cold.coords)  # the baseline's sample (seed 0)
            add((n, f"engine large route from scratch: kNN graph {cold.params.get('knn')} "
                    f"({cold.params.get('knn_seconds')} s, recall {cold.params.get('knn_recall')}) + parallel "
                    f"deterministic layout ({cold.params.get('n_epochs')} epochs, seed 42)", cold_s, cold_q,
                 cold_s / base_s))
            if repeats > 1:
                project(embeddings, method="umap", store=store, recompute=True)  # stores the graph
            ours_s, ours = median_seconds(lambda: project(embeddings, method="umap", store=store, recompute=True),
                                          repeats)
            add((n, "engine large route, kNN graph stored (seed 42)", ours_s, projection_quality(vectors, ours.coords),
                 ours_s / base_s))
            same = np.array_equal(np.nan_to_num(cold.coords), np.nan_to_num(ours.coords))
            print(f"  same seed, graph built vs stored: identical coordinates: {same}", file=sys.stderr)
            reproducible.append((n, same))
            from engine.knn import knn_graph
            graph = knn_graph(store, embeddings.corpus_id, embeddings, 14)
            for epochs in [int(e) for e in args.alt_epochs.split(",") if e]:
                alt_s, alt_xy = median_seconds(lambda: scale.umap_layout_large(
                    vectors, 2, ours.params, 42, (graph.neighbors, graph.similarities), n_epochs=epochs), repeats)
                add((n, f"layout only, graph stored, {epochs} epochs", alt_s, projection_quality(vectors, alt_xy),
                     alt_s / base_s))
            if args.small_route_large:
                from engine.project.umap_backend import umap_layout
                params = {"n_neighbors": 15, "min_dist": 0.1, "metric": "cosine"}
                small_s, small_xy = median_seconds(lambda: umap_layout(vectors, 2, params, 42), 1)
                add((n, "engine small route (seeded umap-learn, before)", small_s,
                     projection_quality(vectors, small_xy), small_s / base_s))
        else:
            ours_s, ours = median_seconds(lambda: project(embeddings, method="umap", store=store, recompute=True),
                                          repeats)
            add((n, "engine UMAP (cosine, seed 42, + quality)", ours_s, ours.quality, ours_s / base_s))
        pca_s, pca = median_seconds(lambda: project(embeddings, method="pca", store=store, recompute=True), repeats)
        add((n, "engine PCA (+ quality)", pca_s, pca.quality, pca_s / base_s))
        load_s, _ = median_seconds(lambda: load_projection(store, embeddings.corpus_id, ours.key), max(repeats, 5))
        add((n, "load stored UMAP layout", load_s, {}, load_s / base_s))
        if str(n) in args.placement_sizes.split(","):
            print(f"n={n:,}: placing 1% held-out points vs a refit…", file=sys.stderr)
            placements.append((n, held_out_placement(vectors, held=max(20, min(500, n // 100)))))
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\n{os.cpu_count()} cores · {time.strftime('%Y-%m-%d %H:%M')} · load average at the end {load} · medians\n")
    print("| n | method | seconds | vs baseline | trustworthiness | 10-NN kept | load |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for n, name, seconds, quality, ratio, load_now in rows:
        trust = f"{quality['trustworthiness']:.3f}" if quality else "–"
        kept = f"{quality['knn_preservation']:.0%}" if quality else "–"
        print(f"| {n:,} | {name} | {seconds:.4f} | {ratio:.4f}× | {trust} | {kept} | {load_now:.1f} |")
    for n, same in reproducible:
        print(f"\n{n:,}: same seed, kNN graph built in the run vs stored: identical coordinates: {same}")
    if placements:
        print("\nNew points placed without a refit (1% held out; 10-NN kept among the other points):\n")
        print("| n | placed: 10-NN kept | refit: 10-NN kept | ms per placed point | refit of the rest (s) |")
        print("|---:|---:|---:|---:|---:|")
        for n, p in placements:
            print(f"| {n:,} | {p['placed']:.1%} | {p['refit']:.1%} | {p['place_ms_per_point']:.2f} | "
                  f"{p['refit_seconds']:.1f} |")


if __name__ == "__main__":
    main()
