"""Embedding throughput of each bundled model on the demo corpus, against plain
``SentenceTransformer.encode`` on the same texts in the same run, plus the CLI's cache-hit rerun.

Usage:
    .venv/bin/python bench/embed.py [--limit N] [--repeats R] [--skip-cli]

Prints a Markdown table; copy it with the machine and date into docs/benchmarks.md.
Models are warmed before timing (the first torch encode is 3-4x slower); figures are medians.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from timing import median_seconds  # noqa: E402  (bench/ is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def bench_models(texts: list[str], repeats: int, workspace: Path) -> list[dict]:
    from engine.embed import embed_texts
    from engine.encoders import LexicalEncoder
    from engine.models import REGISTRY, load_encoder

    rows = []
    models_dir = workspace / "models"
    for model_id in ("minilm-l6", "minilm-l3", "glove-50d", "tfidf-svd"):
        spec = REGISTRY[model_id]
        if spec.kind == "lexical":
            encoder = LexicalEncoder.fit(spec, texts)
            fit = median_seconds(lambda: LexicalEncoder.fit(spec, texts), repeats)[0]
        else:
            encoder = load_encoder(spec, models_dir=models_dir)
            fit = 0.0
        ours = median_seconds(lambda: embed_texts(texts, encoder, batch_size=64), repeats)[0] + fit
        baseline = None
        if spec.kind == "sentence":
            model = encoder.model  # the very SentenceTransformer we wrap
            model.encode(texts[:64], batch_size=64)
            baseline = median_seconds(
                lambda: model.encode(texts, batch_size=64, convert_to_numpy=True, show_progress_bar=False), repeats
            )[0]
        rows.append({
            "model": spec.display_name,
            "texts_per_s": len(texts) / ours,
            "baseline_texts_per_s": len(texts) / baseline if baseline else None,
            "ratio": (baseline / ours) if baseline else None,
        })
    return rows


def bench_cli(corpus_file: Path, workspace: Path) -> dict:
    env = {**os.environ, "EMBEDSCAPE_HOME": str(workspace)}
    args = [sys.executable, "-m", "engine", "embed", str(corpus_file), "--text-column", "text",
            "--models", "minilm-l6,minilm-l3", "--json"]
    timings = []
    summaries = []
    for _ in range(2):
        started = time.perf_counter()
        out = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, env=env, check=True)
        timings.append(time.perf_counter() - started)
        summaries.append(json.loads(out.stdout))
    return {"first_s": timings[0], "rerun_s": timings[1], "ratio": timings[1] / timings[0],
            "rerun_cache_hits": summaries[1]["cache_hits"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="Use only the first N demo sentences (0: all 2,617).")
    parser.add_argument("--repeats", type=int, default=3, help="Timed runs per model (median reported).")
    parser.add_argument("--skip-cli", action="store_true", help="Skip the CLI first-run vs rerun timing.")
    args = parser.parse_args()

    from engine.demo import lee_news

    corpus, _ = lee_news(limit=args.limit or None)
    texts = corpus.texts
    workspace = Path(tempfile.mkdtemp(prefix="embedscape-bench-"))
    print(f"# bench/embed.py · {time.strftime('%Y-%m-%d')} · {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores · {len(texts):,} Lee news sentences · medians of {args.repeats}\n")
    print("| model | Embedscape texts/s | plain SentenceTransformer.encode texts/s | time ratio (plain / ours) |")
    print("|---|---:|---:|---:|")
    for row in bench_models(texts, args.repeats, workspace):
        base = f"{row['baseline_texts_per_s']:.0f}" if row["baseline_texts_per_s"] else "n/a"
        ratio = f"{row['ratio']:.2f}" if row["ratio"] else "n/a"
        print(f"| {row['model']} | {row['texts_per_s']:.0f} | {base} | {ratio} |")
    if not args.skip_cli:
        corpus_file = workspace / "lee.csv"
        corpus.frame.select("text").write_csv(corpus_file)
        cli = bench_cli(corpus_file, workspace / "cli-ws")
        print("\n| CLI `embed --models minilm-l6,minilm-l3` | seconds |")
        print("|---|---:|")
        print(f"| first run (process start, model load, encode) | {cli['first_s']:.1f} |")
        print(f"| rerun (cache hits: {cli['rerun_cache_hits']}) | {cli['rerun_s']:.1f} |")
        print(f"| rerun / first | {cli['ratio']:.2f} |")


if __name__ == "__main__":
    main()
