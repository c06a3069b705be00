"""Zoom-label hierarchy build time at 10k / 100k / 1M points (issue 16 §1), plus density and thinning.

Synthetic corpora (engine.synthetic: planted topic words on a blob layout), so every size exists
without embedding a million texts. Timed per size, medians over --repeats runs:
word counting (once per corpus, shared with every c-TF-IDF), the quadtree hierarchy with its
keywords (once per layout, then stored), placement of every zoom level (per viewport), the density
grid and density thinning to a 20k-point cap.

    python bench/labels.py                      # 10k, 100k, 1M; 1 run each (about 2-3 min on 2 cores)
    python bench/labels.py --sizes 10000 100000 --repeats 3
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from timing import median_seconds

from engine.density import density_grid, thin_by_density
from engine.keywords import term_counts
from engine.synthetic import synthetic_map
from engine.zoomlabels import build_hierarchy, place_levels


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--cap", type=int, default=20_000, help="Point cap for the thinning column.")
    args = parser.parse_args()
    header = ("points", "count words s", "hierarchy s", "regions", "levels", "place s", "overview labels",
              "density s", "thin s")
    term_counts(["warm up the vectorizer and its stop words"])  # imports are not part of the 10k figure
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for n in args.sizes:
        print(_row(n, args.repeats, args.cap), flush=True)


def _row(n: int, repeats: int, cap: int) -> str:
    """One table row (and a comment with the untimed generation time) for ``n`` synthetic points."""
    started = time.perf_counter()
    corpus = synthetic_map(n, seed=0)
    generated = time.perf_counter() - started
    count_s, counts = median_seconds(lambda: term_counts(corpus.texts), repeats)
    build_s, tree = median_seconds(lambda: build_hierarchy(corpus.coords, counts), repeats)
    place_s, payload = median_seconds(lambda: place_levels(tree), repeats)
    density_s, grid = median_seconds(lambda: density_grid(corpus.coords), repeats)
    thin_s, _ = median_seconds(lambda: thin_by_density(corpus.coords, cap, grid=grid), repeats)
    return (f"| {n:,} | {count_s:.2f} | {build_s:.2f} | {len(tree.regions):,} | {len(payload['levels'])} | "
            f"{place_s:.2f} | {len(payload['levels'][0]['labels'])} | {density_s:.2f} | {thin_s:.2f} |\n"
            f"<!-- {n:,}: synthetic corpus generated in {generated:.1f} s (not timed above) -->")

if __name__ == "__main__":
    main()
