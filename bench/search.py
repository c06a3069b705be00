"""Search latency and recall: numpy brute force vs faiss flat vs HNSW, and the engine's routing.

    python bench/search.py                       # 10k and 100k vectors (a few minutes on 2 cores)
    python bench/search.py --sizes 10000,100000,1000000   # 1M: HNSW build takes minutes

Data: **clustered** unit vectors of 384 dims (see :func:`clustered`: a 500-cluster Gaussian
mixture in a 128-D subspace plus isotropic noise, tuned to MiniLM's neighbour similarities; on
uniform noise HNSW recall is far lower and says little about real embeddings). Queries are held-out points from the same mixture. Latency is per single query
(p50 / p95 over ``--queries`` queries, after a warm-up), except the "batch" rows, which are
per query amortised over batches of 64. recall@10 is against numpy brute force in the same run.
Baseline for the ratio column: numpy matrix-vector product + argpartition at the same size.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import faiss  # noqa: E402

from engine import index as engine_index  # noqa: E402
from engine.index import build_index, exact_top_k, recall_at_k, search_vector, search_vectors  # noqa: E402
from engine.types import Embeddings  # noqa: E402

DIM = 384


def clustered(n: int, *, seed: int, clusters: int = 500, latent: int = 128, noise: float = 0.8) -> np.ndarray:
    """Unit vectors with the rough shape of sentence embeddings: a Gaussian mixture in a 128-D
    subspace (500 clusters), mapped to 384-D, plus isotropic noise. Tuned so a query's nearest
    neighbour has cosine ~0.57 and the median pair ~0 (MiniLM-L3 on the Lee corpus: 0.54 and 0.04);
    unlike uniform noise it has neighbourhoods, which is what HNSW recall depends on."""
    structure = np.random.default_rng(12345)  # the same mixture for the corpus and its queries
    centres = structure.standard_normal((clusters, latent)).astype(np.float32)
    mixing = structure.standard_normal((latent, DIM)).astype(np.float32) / np.sqrt(latent)
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        z = centres[rng.integers(0, clusters, m)] + 0.6 * rng.standard_normal((m, latent)).astype(np.float32)
        block = z @ mixing + noise * rng.standard_normal((m, DIM)).astype(np.float32)
        out[start:start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def hard(n: int, *, seed: int, clusters: int = 2000) -> np.ndarray:
    """A harder set (``--data hard``): 2,000 clusters drowned in full-rank isotropic noise, close to
    uniform on the sphere. Neighbourhoods are barely above chance, so HNSW recall is low."""
    structure = np.random.default_rng(54321)
    centres = structure.standard_normal((clusters, DIM)).astype(np.float32)
    spread = structure.uniform(0.5, 1.5, clusters).astype(np.float32)
    rng = np.random.default_rng(seed)
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        which = rng.integers(0, clusters, m)
        block = centres[which] + spread[which, None] * rng.standard_normal((m, DIM)).astype(np.float32) * 0.8
        out[start:start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def timings(fn, queries: np.ndarray, warmup: int = 3) -> np.ndarray:
    for q in queries[:warmup]:
        fn(q)
    times = []
    for q in queries:
        started = time.perf_counter()
        fn(q)
        times.append(time.perf_counter() - started)
    return np.array(times) * 1e3


def batch_timings(fn, queries: np.ndarray, batch: int = 64, repeats: int = 3) -> np.ndarray:
    fn(queries[:batch])
    times = []
    for _ in range(repeats):
        for start in range(0, len(queries) - batch + 1, batch):
            started = time.perf_counter()
            fn(queries[start:start + batch])
            times.append((time.perf_counter() - started) / batch)
    return np.array(times) * 1e3


def numpy_single(matrix: np.ndarray, k: int):
    def run(q: np.ndarray) -> np.ndarray:
        scores = matrix @ q
        top = np.argpartition(-scores, k)[:k]
        return top[np.argsort(-scores[top])]
    return run


def bench_size(n: int, n_queries: int, k: int, rows: list[dict], data: str = "clustered") -> None:
    print(f"\n-- {n:,} vectors x {DIM} ({data}) --", flush=True)
    started = time.perf_counter()
    generate = clustered if data == "clustered" else hard
    matrix = generate(n, seed=n)
    queries = generate(max(n_queries, 128), seed=n + 1)
    print(f"   data generated in {time.perf_counter() - started:.1f} s", flush=True)
    embeddings = Embeddings(f"bench-{n}", "bench", matrix)

    base = timings(numpy_single(matrix, k), queries[:n_queries])
    rows.append(dict(n=n, method="numpy mat-vec + argpartition (baseline)", p50=np.median(base), p95=np.percentile(base, 95), recall=1.0))

    flat = faiss.IndexFlatIP(DIM)
    flat.add(matrix)
    t = timings(lambda q: flat.search(q[None, :], k), queries[:n_queries])
    rows.append(dict(n=n, method="faiss IndexFlatIP single, 1 omp thread", p50=np.median(t), p95=np.percentile(t, 95), recall=1.0))
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    t = timings(lambda q: flat.search(q[None, :], k), queries[:n_queries])
    rows.append(dict(n=n, method=f"faiss IndexFlatIP single, {os.cpu_count()} omp threads", p50=np.median(t), p95=np.percentile(t, 95), recall=1.0))
    faiss.omp_set_num_threads(engine_index.FAISS_THREADS)
    del flat

    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"):
        t = timings(numpy_single(matrix, k), queries[:n_queries])
    rows.append(dict(n=n, method="numpy mat-vec, 1 BLAS thread", p50=np.median(t), p95=np.percentile(t, 95), recall=1.0))

    exact = build_index(embeddings, kind="exact")
    t = timings(lambda q: search_vector(exact, q, k), queries[:n_queries])
    route = "numpy" if n >= engine_index._PARALLEL_MIN_ROWS and not engine_index.machine_busy() else "faiss.knn 1t"
    rows.append(dict(n=n, method=f"engine exact route (now: {route}, load {os.getloadavg()[0]:.1f})", p50=np.median(t),
                     p95=np.percentile(t, 95), recall=1.0))

    t = batch_timings(lambda qs: np.argpartition(-(qs @ matrix.T), k, axis=1)[:, :k], queries)
    rows.append(dict(n=n, method="numpy mat-mat, batch of 64 (per query)", p50=np.median(t), p95=np.percentile(t, 95), recall=1.0))
    t = batch_timings(lambda qs: faiss.knn(qs, matrix, k, metric=faiss.METRIC_INNER_PRODUCT), queries)
    rows.append(dict(n=n, method="faiss.knn batch of 64, 1 thread (per query)", p50=np.median(t), p95=np.percentile(t, 95), recall=1.0))

    started = time.perf_counter()
    hnsw = build_index(embeddings, kind="hnsw")
    build = time.perf_counter() - started
    print(f"   HNSW (M={engine_index.HNSW_M}, efConstruction={engine_index.HNSW_EF_CONSTRUCTION}) built in {build:.1f} s", flush=True)
    truth = exact_top_k(matrix, queries[:n_queries], k)
    for ef in (64, 128, 256):
        engine_index.HNSW_EF_SEARCH = ef  # read at search time
        t = timings(lambda q: search_vector(hnsw, q, k), queries[:n_queries])
        found = np.stack([np.pad(r, (0, k - len(r)), constant_values=-1)
                          for r, _ in search_vectors(hnsw, queries[:n_queries], k)])
        rows.append(dict(n=n, method=f"HNSW M=32 efSearch={ef}, single", p50=np.median(t), p95=np.percentile(t, 95),
                         recall=recall_at_k(found, truth), build=build))
    engine_index.HNSW_EF_SEARCH = 128


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="Comma-separated corpus sizes (default 10000,100000).")
    parser.add_argument("--queries", type=int, default=200, help="Single queries timed per method (default 200).")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--data", choices=["clustered", "hard"], default="clustered",
                        help="clustered (default, embedding-like) or hard (near-uniform noise; pessimistic recall).")
    args = parser.parse_args()
    rows: list[dict] = []
    for n in [int(s) for s in args.sizes.split(",") if s]:
        bench_size(n, args.queries, args.k, rows, args.data)
    print(f"\ndata: {args.data} · {platform.node()} · {os.cpu_count()} cores · faiss {faiss.__version__} (omp threads "
          f"{faiss.omp_get_max_threads()}) · numpy {np.__version__} · {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC")
    print(f"{'n':>9} | {'method':<42} | {'p50 ms':>8} | {'p95 ms':>8} | {'p50 vs numpy':>12} | {'recall@10':>9}")
    print("-" * 104)
    baseline = {r["n"]: r["p50"] for r in rows if "baseline" in r["method"]}
    for r in rows:
        print(f"{r['n']:>9,} | {r['method']:<42} | {r['p50']:8.3f} | {r['p95']:8.3f} | "
              f"{r['p50'] / baseline[r['n']]:11.2f}x | {r['recall']:9.3f}")
    builds = {r["n"]: r["build"] for r in rows if "build" in r}
    print("HNSW build seconds: " + ", ".join(f"{n:,}: {b:.1f} s" for n, b in builds.items()))


if __name__ == "__main__":
    main()
