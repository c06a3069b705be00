"""Benchmark the Map's projections: time and quality of UMAP and PCA at 1k, 10k and 50k points.

Baseline: umap-learn with its defaults (``UMAP()``: euclidean, n_neighbors=15, min_dist=0.1, no
seed, so multi-threaded), fitted directly. Candidates, in the same process and on the same data:
``engine.project.project`` with UMAP (cosine, seed 42, so single-threaded and reproducible,
duplicates projected once, quality measured) and with PCA, and loading a stored layout back.

The data are synthetic so that every size exists without embedding 50k texts: 60 Gaussian
clusters of different sizes in 384-D with noise, L2-normalised like sentence embeddings. Quality
(trustworthiness, 10-NN kept) is measured by the same function for every method, on a sample of
1,000 points. Medians over --repeats runs (the 50k size runs once unless --repeats-large).

    python bench/project.py                 # 1k and 10k, 3 runs each: about 2-3 minutes on 2 cores
    python bench/project.py --large         # adds 50k (1 run; about 4 more minutes on 2 busy cores)
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

from engine.project import _umap_class, load_projection, project, projection_quality  # noqa: E402
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--large", action="store_true", help="Also run 50,000 points.")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--repeats-large", type=int, default=1, help="Repeats for sizes above 20k.")
    args = parser.parse_args()
    print(f"warm-up (numba cache at {os.environ.get('NUMBA_CACHE_DIR', 'default')})…", file=sys.stderr)
    warm = synthetic(500, seed=99)
    baseline_umap(warm)
    project(Embeddings("warm", "bench", warm), method="umap")
    store = Store(tempfile.mkdtemp(prefix="bench-project-"))
    rows = []
    sizes = [int(s) for s in args.sizes.split(",")] + ([50_000] if args.large else [])
    for n in sizes:
        repeats = args.repeats if n <= 20_000 else args.repeats_large
        vectors = synthetic(n)
        embeddings = Embeddings(f"bench{n}", "synthetic", vectors)
        print(f"n={n:,}: baseline UMAP…", file=sys.stderr)
        base_s, base_xy = median_seconds(lambda: baseline_umap(vectors), repeats)
        base_q = projection_quality(vectors, np.asarray(base_xy, dtype=np.float32))
        rows.append((n, "umap-learn defaults (baseline)", base_s, base_q, 1.0))
        print(f"n={n:,}: engine UMAP…", file=sys.stderr)
        ours_s, ours = median_seconds(lambda: project(embeddings, method="umap", store=store, recompute=True), repeats)
        rows.append((n, "engine UMAP (cosine, seed 42, + quality)", ours_s, ours.quality, ours_s / base_s))
        pca_s, pca = median_seconds(lambda: project(embeddings, method="pca", store=store, recompute=True), repeats)
        rows.append((n, "engine PCA (+ quality)", pca_s, pca.quality, pca_s / base_s))
        load_s, _ = median_seconds(lambda: load_projection(store, embeddings.corpus_id, ours.key), max(repeats, 5))
        rows.append((n, "load stored UMAP layout", load_s, {}, load_s / base_s))
    print(f"\n{os.cpu_count()} cores · {time.strftime('%Y-%m-%d')} · medians\n")
    print("| n | method | seconds | vs baseline | trustworthiness | 10-NN kept |")
    print("|---:|---|---:|---:|---:|---:|")
    for n, name, seconds, quality, ratio in rows:
        trust = f"{quality['trustworthiness']:.3f}" if quality else "–"
        kept = f"{quality['knn_preservation']:.0%}" if quality else "–"
        print(f"| {n:,} | {name} | {seconds:.4f} | {ratio:.4f}× | {trust} | {kept} |")


if __name__ == "__main__":
    main()
