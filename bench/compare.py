"""Compare: kNN graphs + neighbour agreement for 2 and 3 models, engine vs plain numpy brute force.

    python bench/compare.py                          # 10k and 100k items, 2 and 3 models, k=10
    python bench/compare.py --sizes 10000 --models 2 # a quick run

Data (embedding excluded): model A = the clustered 384-d vectors of ``bench/search.py`` (a Gaussian
mixture tuned to MiniLM's neighbour similarities); models B and C = A rotated at random plus
isotropic noise, renormalised, so the spaces share neighbourhoods without being equal.

Engine: ``engine.compare.compare_models`` into a fresh temporary store (kNN graph per model: exact
below ``engine.knn.EXACT_MAX_ROWS`` rows, the clustered route (engine.knn_approx, probes tuned to recall) beyond; then Jaccard, RBO, CKA
on 20k rows, Spearman on 20k pairs). Baseline: plain numpy, per model a blocked ``X @ X.T`` with
``argpartition`` top-k (no tie-break), then Jaccard per item with ``np.intersect1d``. At 100k the
baseline is timed on ``--baseline-sample`` query rows against all rows and scaled linearly to n
(it is ~n² work; the table says "extrapolated").
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search import clustered  # noqa: E402  (bench/ is on sys.path when run as a script)
from timing import median_seconds  # noqa: E402

from engine.compare import compare_models  # noqa: E402
from engine.corpus import corpus_from_texts  # noqa: E402
from engine.store import Store  # noqa: E402
from engine.types import Embeddings  # noqa: E402
from engine.vectors import unit_rows  # noqa: E402

K = 10


def spaces(n: int, n_models: int) -> list[np.ndarray]:
    base = clustered(n, seed=1)
    out = [base]
    for i in range(1, n_models):
        rng = np.random.default_rng(100 + i)
        rotation, _ = np.linalg.qr(rng.standard_normal((base.shape[1], base.shape[1])))
        out.append(unit_rows(base @ rotation.astype(np.float32)
                             + 0.04 * rng.standard_normal(base.shape).astype(np.float32)))
    return out


def numpy_graph(x: np.ndarray, rows: np.ndarray, k: int) -> np.ndarray:
    """Plain numpy brute force: top-k (self excluded) of the given query rows, blocked."""
    out = np.empty((rows.size, k), dtype=np.int64)
    step = max(64, (1 << 25) // x.shape[0])
    for start in range(0, rows.size, step):
        block_rows = rows[start:start + step]
        scores = x[block_rows] @ x.T
        scores[np.arange(block_rows.size), block_rows] = -np.inf
        top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        order = np.argsort(-np.take_along_axis(scores, top, axis=1), axis=1)
        out[start:start + step] = np.take_along_axis(top, order, axis=1)
    return out


def numpy_compare(vectors: list[np.ndarray], rows: np.ndarray) -> float:
    graphs = [numpy_graph(v, rows, K) for v in vectors]
    values = [np.intersect1d(a, b).size / np.union1d(a, b).size
              for i in range(len(graphs)) for j in range(i + 1, len(graphs)) for a, b in zip(graphs[i], graphs[j])]
    return float(np.mean(values))


def engine_compare(vectors: list[np.ndarray]) -> tuple[float, object]:
    n = vectors[0].shape[0]
    corpus, _ = corpus_from_texts([f"item {i}" for i in range(n)], name=f"bench-{n}")
    store = Store(tempfile.mkdtemp(prefix="embedscape-bench-compare-"))
    store.save_corpus(corpus)
    models = {f"model-{chr(97 + i)}": Embeddings(corpus.corpus_id, f"model-{chr(97 + i)}", v)
              for i, v in enumerate(vectors)}
    started = time.perf_counter()
    result = compare_models(store, corpus, models, k=K)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    again = compare_models(store, corpus, models, k=K)
    assert again.loaded
    return seconds, (result, time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--models", default="2,3")
    parser.add_argument("--repeats", type=int, default=3, help="Runs per row below 50k items (median).")
    parser.add_argument("--baseline-sample", type=int, default=5_000, help="Query rows timed for the baseline at 50k+.")
    args = parser.parse_args()
    print(f"# Compare bench · {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC · {platform.processor() or platform.machine()}"
          f" · {os.cpu_count()} cores · numpy {np.__version__}")
    print("| items | models | engine s | kNN methods (recall@10, efSearch) | mean Jaccard (engine) | cache hit s "
          "| numpy brute force s | speed-up | load before/after |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n in [int(s) for s in args.sizes.split(",")]:
        for n_models in [int(m) for m in args.models.split(",")]:
            vectors = spaces(n, n_models)
            load_before = os.getloadavg()[0]
            repeats = args.repeats if n < 50_000 else 1
            runs = [engine_compare(vectors) for _ in range(repeats)]  # each run times its own computing call
            seconds = statistics.median(r[0] for r in runs)
            result, hit_seconds = runs[-1][1]
            sample = np.arange(n) if n < 50_000 else np.sort(np.random.default_rng(0).choice(n, args.baseline_sample,
                                                                                               replace=False))
            base_seconds, base_jaccard = median_seconds(lambda: numpy_compare(vectors, sample),
                                                        repeats if n < 50_000 else 1)
            base_seconds *= n / sample.size
            methods = ", ".join(f"{g['method']}" + (f" ({g['recall']:.3f}, {g['params'].get('efSearch', g['params'].get('probes'))})"
                                                    if g["method"] != "exact" else "") for g in result.graphs.values())
            mean_j = np.mean([p["mean_jaccard"] for p in result.pairs])
            note = " (extrapolated)" if sample.size < n else ""
            print(f"| {n:,} | {n_models} | {seconds:.1f} | {methods} | {mean_j:.3f} (numpy {base_jaccard:.3f}) | "
                  f"{hit_seconds:.2f} | {base_seconds:.1f}{note} | {base_seconds / seconds:.1f}x | "
                  f"{load_before:.1f} / {os.getloadavg()[0]:.1f} |", flush=True)


if __name__ == "__main__":
    main()
