"""Benchmark: every Geometry figure for one model at 10k and 100k items.

Target (issue 13): every figure for one model on a 100k corpus ready in <= 30 s once its kNN graph
is stored, and cached thereafter. The graph (``engine.knn``: exact up to 30k valid rows, clustered
beyond) is timed separately. Vectors are synthetic 384-d unit rows shaped like sentence
embeddings (a common direction, 40 clusters, a ~20-dimensional signal plus noise), saved as .npy
and memory-mapped as the store serves them.

Usage: ``python bench/geometry.py [--sizes 10000,100000] [--dim 384] [--repeats 3]``
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine.geometry.report import geometry_report, load_report  # noqa: E402
from engine.knn import knn_graph  # noqa: E402
from engine.store import Store  # noqa: E402
from engine.types import Embeddings  # noqa: E402
from timing import median_seconds  # noqa: E402  (bench/ is on sys.path)


def synthetic(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.normal(size=(dim, 20)))[0].T  # a 20-D signal subspace
    centres = rng.normal(size=(40, 20)) * 1.5
    signal = centres[rng.integers(0, 40, n)] + rng.normal(size=(n, 20))
    common = rng.normal(size=dim)
    x = signal @ basis + 0.35 * rng.normal(size=(n, dim)) + 1.2 * common / np.linalg.norm(common) * np.sqrt(20)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x.astype(np.float32)


def run(n: int, dim: int, repeats: int) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="bench-geometry-"))
    try:
        store = Store(folder)
        path = folder / "vectors.npy"
        np.save(path, synthetic(n, dim))
        mapped = np.load(path, mmap_mode="r")
        _ = np.asarray(mapped).sum()  # warm the page cache, as a running app has it
        embeddings = Embeddings("bench", "bench-model", mapped, np.ones(n, dtype=bool))
        started = time.perf_counter()
        graph = knn_graph(store, "bench", embeddings, 10)
        graph_seconds = time.perf_counter() - started
        firsts, stages = [], {}
        for _ in range(repeats):  # cold report (graph stored): delete the stored report each time
            for p in (folder / "corpora" / "bench" / "geometry").glob("*"):
                p.unlink()
            started = time.perf_counter()
            report = geometry_report(store, "bench", embeddings)
            firsts.append(time.perf_counter() - started)
            for stage, seconds in report.figures["timings"].items():
                stages.setdefault(stage, []).append(seconds)
        cached, again = median_seconds(lambda: load_report(store, "bench", embeddings), repeats)
        assert again is not None and again.cached
        return {"n": n, "graph": graph_seconds, "method": graph.method, "recall": graph.recall,
                "report": float(np.median(firsts)), "cached": cached,
                "stages": {k: float(np.median(v)) for k, v in stages.items()},
                "sampled": report.figures["redundancy"]["sampled"],
                "queries": report.figures["redundancy"]["n_queries"]}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    import skdim.id  # noqa: F401  (imported once per process by the app; timed apart from the figures)

    skdim_import = time.perf_counter() - started
    load = os.getloadavg()[0]
    print(f"# bench/geometry.py · {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC · {platform.machine()} · "
          f"{os.cpu_count()} cores · load {load:.1f} · dim {args.dim} · median of {args.repeats} · "
          f"import skdim {skdim_import:.1f} s (once per process, not in the figures)\n")
    print("| items | kNN graph (once) | every figure, graph stored | of which: isotropy / ID / hubness / "
          "redundancy / depth | stored report read |")
    print("|---:|---|---:|---|---:|")
    for n in (int(s) for s in args.sizes.split(",")):
        r = run(n, args.dim, args.repeats)
        s = r["stages"]
        graph = f"{r['graph']:.1f} s ({r['method']}, recall@10 {r['recall']:.3f})"
        parts = " / ".join(f"{s.get(k, 0):.2f}" for k in ("isotropy", "intrinsic dimension", "hubness", "redundancy",
                                                          "depth"))
        note = f" ({r['queries']:,} sampled queries)" if r["sampled"] else ""
        print(f"| {n:,} | {graph} | {r['report']:.1f} s | {parts} s{note} | {r['cached'] * 1000:.0f} ms |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
