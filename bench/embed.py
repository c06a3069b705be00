"""Embedding throughput of each bundled model on the demo corpus, against plain
``SentenceTransformer.encode`` on the same texts in the same run, plus the CLI's cache-hit rerun.

Usage:
    .venv/bin/python bench/embed.py [--limit N] [--repeats R] [--skip-cli] [--fast-path-only]

The fast-path table (issue 15 §3) compares plain ``SentenceTransformer.encode`` in fp32 with
Embedscape's route (engine.precision: bf16 autocast where the CPU has native bf16, identical texts
once) on short sentences and on ~250-token texts, and the top-10 neighbour agreement of the two.

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


def long_texts(sentences: list[str], tokenizer, target: int = 250, limit: int = 0) -> list[str]:
    """Consecutive sentences joined until each text has about ``target`` tokens."""
    texts, current, tokens = [], [], 0
    for sentence in sentences:
        current.append(sentence)
        tokens += len(tokenizer(sentence, add_special_tokens=False)["input_ids"])
        if tokens >= target - 10:
            texts.append(" ".join(current))
            current, tokens = [], 0
            if limit and len(texts) >= limit:
                break
    return texts


def bench_fast_path(short: list[str], long: list[str], repeats: int, workspace: Path, route: str) -> list[dict]:
    from engine import precision
    from engine.embed import embed_texts
    from engine.models import REGISTRY, load_encoder

    encoder = load_encoder(REGISTRY["minilm-l6"], models_dir=workspace / "models")
    model = encoder.model
    rows = []
    for name, texts in (("short sentences", short), ("~250-token texts", long)):
        with precision.autocast(route):  # warm the route's kernels too
            embed_texts(texts[:64], encoder)

        def plain():
            return model.encode(texts, batch_size=64, convert_to_numpy=True, show_progress_bar=False)

        def plain_defaults():  # what a user who calls encode() with nothing else gets (batch_size 32)
            return model.encode(texts, convert_to_numpy=True, show_progress_bar=False)

        def ours():  # what engine.embed.embed_corpus runs for a sentence model
            with precision.load_aware_threads(), precision.autocast(route):
                return embed_texts(texts, encoder, batch_size=64)[0]

        # alternate baseline and candidate so load changes hit both alike
        plain_times, default_times, our_times = [], [], []
        for _ in range(repeats):
            t, reference = median_seconds(plain, 1)
            plain_times.append(t)
            default_times.append(median_seconds(plain_defaults, 1)[0])
            t, candidate = median_seconds(ours, 1)
            our_times.append(t)
        import statistics

        plain_s, ours_s = statistics.median(plain_times), statistics.median(our_times)
        defaults_s = statistics.median(default_times)
        tokens = [len(ids) for ids in model.tokenizer(texts[:200], add_special_tokens=True)["input_ids"]]
        rows.append({
            "texts": name, "n": len(texts), "unique": len(set(texts)), "tokens": statistics.median(tokens),
            "plain_s": plain_s, "ours_s": ours_s, "speedup": plain_s / ours_s,
            "defaults_s": defaults_s, "speedup_defaults": defaults_s / ours_s,
            "agreement": precision.neighbor_agreement(reference, candidate, k=10),
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
    parser.add_argument("--fast-path-only", action="store_true", help="Only the fp32 vs fast-path table.")
    parser.add_argument("--long", type=int, default=300, help="How many ~250-token texts (0: as many as the demo gives).")
    parser.add_argument("--route", default="auto", help="Fast-path route: auto (what this CPU does best), bf16, fp32.")
    args = parser.parse_args()

    from engine.demo import lee_news

    corpus, _ = lee_news(limit=args.limit or None)
    texts = corpus.texts
    workspace = Path(tempfile.mkdtemp(prefix="embedscape-bench-"))
    print(f"# bench/embed.py · {time.strftime('%Y-%m-%d')} · {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores · {len(texts):,} Lee news sentences · medians of {args.repeats}\n")
    from engine import precision

    route = precision.choose_route(args.route)
    from engine.models import REGISTRY, load_encoder

    tokenizer = load_encoder(REGISTRY["minilm-l6"], models_dir=workspace / "models").model.tokenizer
    full, _ = lee_news()
    long = long_texts(full.texts, tokenizer, limit=args.long)
    flags = sorted(precision.cpu_flags() & {"avx512f", "avx512_bf16", "amx_bf16", "avx2"})
    import torch

    print(f"Fast path: route **{route}**, {'1 torch thread (busy machine)' if precision.busy_machine() else 'default threads'} (CPU flags {', '.join(flags) or 'none'}; torch capability "
          f"{torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads) · all-MiniLM-L6-v2 · "
          f"load average {os.getloadavg()[0]:.1f} before\n")
    print("| texts | n (unique) | median tokens | plain encode fp32, batch 64 s | plain encode fp32, defaults "
          "(batch 32) s | Embedscape s | speed-up vs batch 64 | speed-up vs defaults | top-10 agreement vs fp32 |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in bench_fast_path(texts, long, args.repeats, workspace, route):
        print(f"| {row['texts']} | {row['n']:,} ({row['unique']:,}) | {row['tokens']:.0f} | {row['plain_s']:.2f} | "
              f"{row['defaults_s']:.2f} | {row['ours_s']:.2f} | {row['speedup']:.2f}× | "
              f"{row['speedup_defaults']:.2f}× | {row['agreement']:.3f} |")
    print(f"\nload average {os.getloadavg()[0]:.1f} after\n")
    if args.fast_path_only:
        return
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
