"""Benchmark the bias measures: vectorised engine code vs plain-Python baselines, in one run.

    python bench/bias.py            # GloVe only (~30 s)
    python bench/bias.py --sentence # also the templated vocabulary of a sentence model (minilm-l3)

Prints a table of medians (seconds) and the speed-up of each engine path over its baseline.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from engine import bias  # noqa: E402
from engine.demo import weat_sets  # noqa: E402
from engine.store import Store  # noqa: E402
from timing import median_seconds  # noqa: E402  (bench/ is on sys.path)


def median_time(fn, repeats: int = 5) -> float:
    return median_seconds(fn, repeats)[0]


def naive_exact_weat(x, y, a, b) -> float:
    """Per-partition loop in Python, as many reference implementations do."""
    s = list(bias.association(x, a, b)) + list(bias.association(y, a, b))
    nx, n = len(x), len(s)
    observed = sum(s[:nx]) - sum(s[nx:])
    total, count = 0, 0
    for combo in itertools.combinations(range(n), nx):
        chosen = set(combo)
        stat = sum(s[i] for i in chosen) - sum(s[i] for i in range(n) if i not in chosen)
        total += 1
        count += stat >= observed - 1e-12
    return count / total


def naive_sampled_weat(x, y, a, b, n_perm: int, seed: int = 0) -> float:
    s = np.concatenate([bias.association(x, a, b), bias.association(y, a, b)])
    nx = len(x)
    observed = s[:nx].sum() - s[nx:].sum()
    rng = np.random.default_rng(seed)
    count = 0
    for _ in range(n_perm):
        perm = rng.permutation(len(s))
        count += s[perm[:nx]].sum() - s[perm[nx:]].sum() >= observed
    return (1 + count) / (1 + n_perm)


def naive_baseline(neutral: np.ndarray, directions: np.ndarray) -> list[float]:
    return [float(np.mean(np.abs(neutral @ d))) for d in directions]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sentence", action="store_true", help="Also time a sentence model's templated vocabulary.")
    args = parser.parse_args()
    store = Store(tempfile.mkdtemp(prefix="bench-bias-"))
    glove = bias.WordEmbedder("glove-50d", store=store)
    sets = weat_sets()
    rows: list[tuple[str, float, float | None]] = []

    x, y, a, b = (glove.embed(sets[n]).vectors for n in ("male_names", "female_names", "career", "family"))
    rows.append(("WEAT exact, 8+8 targets (12,870 partitions)",
                 median_time(lambda: bias.weat_statistics(x, y, a, b)),
                 median_time(lambda: naive_exact_weat(x, y, a, b), repeats=3)))
    fx, fy, fa, fb = (glove.embed(sets[n]).vectors for n in ("flowers", "insects", "pleasant_5", "unpleasant_5a"))
    rows.append(("WEAT sampled, 24+25 targets, 10,000 partitions",
                 median_time(lambda: bias.weat_statistics(fx, fy, fa, fb, n_permutations=10_000)),
                 median_time(lambda: naive_sampled_weat(fx, fy, fa, fb, 10_000), repeats=3)))

    preset = bias.presets()["gender"]
    pool = glove.vocabulary(20_000)
    neutral = glove.embed(preset.neutral)
    direction = bias.direction_from_pairs(preset.pairs, glove)
    directions = bias.random_directions(50, 1000, kind="random_pairs", pool=pool, seed=0)
    rows.append(("Direct bias + 1,000 random-pair directions",
                 median_time(lambda: bias.direct_bias_test(direction.axis, neutral, pool=pool, n_random=1000)),
                 median_time(lambda: naive_baseline(neutral.vectors, directions))))
    spec = bias.DirectionSpec(pairs=preset.pairs, targets=preset.targets, neutral=preset.neutral)
    rows.append(("Direction report (10 pairs, 97 targets, baseline)",
                 median_time(lambda: bias.direction_report(glove, spec, pool=pool)), None))
    debias = bias.DebiasSpec(direction=spec, equalize_pairs=preset.equalize_pairs, specific=preset.specific,
                             probes=preset.probes)
    rows.append(("Debias preview, 20k-word vocabulary (all checks)",
                 median_time(lambda: bias.debias_preview(glove, debias, pool=pool), repeats=3), None))
    rows.append(("GloVe reference vocabulary, 20k words",
                 median_time(lambda: glove.vocabulary(20_000), repeats=3), None))
    if args.sentence:
        started = time.perf_counter()
        sentence = bias.WordEmbedder("minilm-l3", store=store)
        sentence.embed(["warm"])
        load = time.perf_counter() - started
        fresh = bias.WordEmbedder("minilm-l3", store=store)
        rows.append(("minilm-l3: 1,000 templated words (first time)", median_time(lambda: fresh.vocabulary(1000), 1), None))
        rows.append(("minilm-l3: load + warm (once)", load, None))

    print(f"{'operation':<52} {'engine s':>10} {'baseline s':>11} {'speed-up':>9}")
    for name, engine_s, base_s in rows:
        base = f"{base_s:11.4f}" if base_s is not None else f"{'-':>11}"
        ratio = f"{base_s / engine_s:8.1f}x" if base_s else f"{'-':>9}"
        print(f"{name:<52} {engine_s:10.4f} {base} {ratio}")


if __name__ == "__main__":
    main()
