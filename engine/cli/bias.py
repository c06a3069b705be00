"""Bias commands: ``python -m engine bias direction|weat|debias …``.

Examples::

    python -m engine bias direction --preset gender --json
    python -m engine bias direction --pairs "good:bad,happy:sad" --targets "nurse,engineer" --model glove-50d
    python -m engine bias weat --all
    python -m engine bias weat --x "rose,tulip" --y "ant,wasp" --a "love,peace" --b "hatred,filth"
    python -m engine bias weat --query my_weat.json   # {"x": [...], "y": [...], "a": [...], "b": [...], "names": [...]}
    python -m engine bias debias --preset gender --probes nurse,engineer
"""
from __future__ import annotations

import argparse
from typing import Any

from engine import config
from engine.cli import add_json_flag, emit
from engine.errors import BiasError


def register(subparsers: argparse._SubParsersAction) -> None:
    parent = subparsers.add_parser(
        "bias", help="Bias directions, WEAT and a hard-debias preview (word vectors, or sentence models via templates)."
    )
    sub = parent.add_subparsers(dest="bias_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("direction", help="A direction from definitional pairs; project targets; direct bias.")
    _common(p)
    _direction_args(p)
    p.add_argument("--corpus", help="Also rank this stored corpus (id or name) along the direction; it must be "
                                    "embedded with --model.")
    p.add_argument("--c", type=float, default=1.0, help="Direct-bias strictness c (Bolukbasi et al. use 1).")
    p.add_argument("--baseline", choices=["random_pairs", "random_unit"], default="random_pairs",
                   help="Random directions to compare the direct bias with.")
    p.add_argument("--n-random", type=int, default=config.BIAS_RANDOM_DIRECTIONS, help="How many random directions.")
    p.set_defaults(handler=cmd_direction)

    p = sub.add_parser("weat", help="WEAT effect size and permutation p-value (bundled tests or your own sets).")
    _common(p)
    p.add_argument("--test", help="A bundled test id (see --list).")
    p.add_argument("--all", action="store_true", help="Run every bundled test.")
    p.add_argument("--list", action="store_true", help="List the bundled tests.")
    for name in ("x", "y", "a", "b"):
        p.add_argument(f"--{name}", help=f"Comma-separated words of set {name.upper()}.")
    p.add_argument("--query", help="A WEAT query as a JSON file ({\"x\": [...], \"y\": [...], \"a\": [...], "
                                   "\"b\": [...], \"names\": [...]}); the 'query' of a --json result is one.")
    p.add_argument("--permutations", type=int, default=config.BIAS_WEAT_PERMUTATIONS,
                   help="Sampled partitions when there are more than 100,000 (otherwise all are enumerated).")
    p.set_defaults(handler=cmd_weat)

    p = sub.add_parser("debias", help="Hard-debias a copy and show before/after (a diagnostic, not a fix).")
    _common(p)
    _direction_args(p)
    p.add_argument("--probes", help="Comma-separated words whose nearest neighbours to show.")
    p.add_argument("--weat-test", help="Bundled WEAT test to run before and after (default: the preset's).")
    p.add_argument("--pool-size", type=int, help="Frequent words in the debiased vocabulary (default: "
                                                  f"{config.BIAS_POOL_WORDS:,} for word models, "
                                                  f"{config.BIAS_POOL_TEMPLATED:,} for models that embed each word).")
    p.set_defaults(handler=cmd_debias)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", default=config.BIAS_WORD_MODEL, help=f"Model id (default {config.BIAS_WORD_MODEL}).")
    p.add_argument("--templates", default="This is a {word}.",
                   help="Sentence models only: templates with a {word} slot, separated by '|'.")
    p.add_argument("--lexical-corpus", help="For the tfidf-svd model: the stored corpus whose fitted space to use.")
    p.add_argument("--seed", type=int, default=0, help="Seed for sampled permutations and random baselines.")
    add_json_flag(p)


def _direction_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--preset", default="gender", help="gender, sentiment or age (pairs, targets, neutral words).")
    p.add_argument("--pairs", help="Override the pairs: 'she:he,her:his' (first member = positive side).")
    p.add_argument("--targets", help="Override the target words (comma-separated).")
    p.add_argument("--neutral", help="Override the neutral words for direct bias (comma-separated).")
    p.add_argument("--method", choices=["pca", "mean"], default="pca",
                   help="pca: first principal component (Bolukbasi); mean: mean of pair differences.")


def _embedder(args: argparse.Namespace) -> Any:
    from engine.bias import WordEmbedder
    from engine.store import Store

    store = Store.open_default()
    corpus = None
    if args.lexical_corpus:
        corpus = store.load_corpus(store.find_corpus(args.lexical_corpus))
    templates = tuple(t.strip() for t in args.templates.split("|") if t.strip())
    return WordEmbedder(args.model, store=store, templates=templates, corpus=corpus), store


def _preset(args: argparse.Namespace) -> Any:
    from engine.bias import presets

    available = presets()
    if args.preset not in available:
        raise BiasError(f"Unknown preset {args.preset!r}. Choose one of: {', '.join(available)}.")
    return available[args.preset]


def _direction_spec(args: argparse.Namespace, embedder: Any) -> Any:
    from engine.bias import DirectionSpec, default_pool_size, parse_pairs, parse_words

    preset = _preset(args)
    pairs = parse_pairs(args.pairs.replace(",", "\n")) if args.pairs else preset.pairs
    targets = parse_words(args.targets) if args.targets else preset.targets
    neutral = parse_words(args.neutral) if args.neutral else preset.neutral
    extra = {}
    if hasattr(args, "c"):
        extra = {"c": args.c, "baseline": args.baseline, "n_random": args.n_random}
    return DirectionSpec(pairs=pairs, targets=targets, neutral=neutral, method=args.method,
                         name=preset.title if not args.pairs else "", seed=args.seed,
                         pool_size=getattr(args, "pool_size", None) or default_pool_size(embedder.spec), **extra), preset


def cmd_direction(args: argparse.Namespace) -> int:
    from engine.axes import rank
    from engine.bias import direction_report
    from engine.embed import load_embeddings
    from engine.labels import guess_label_column, item_labels

    embedder, store = _embedder(args)
    spec, _ = _direction_spec(args, embedder)
    report = direction_report(embedder, spec)
    payload = report.summary()
    if args.corpus:
        corpus = store.load_corpus(store.find_corpus(args.corpus))
        # a bias direction is a plain axis: the corpus is ranked like any other axis
        ranking = rank(report.direction.axis, load_embeddings(corpus.corpus_id, args.model, store=store))
        order = [int(i) for i in ranking.order()]
        ids, texts = corpus.ids, corpus.texts
        labels = item_labels(corpus, guess_label_column(corpus))

        def item(i: int) -> dict[str, Any]:
            return {"id": ids[i], "label": labels[i], "text": texts[i], "score": round(float(ranking.scores[i]), 4)}

        payload["corpus"] = {
            "corpus_id": corpus.corpus_id, "n_scored": ranking.n_ranked,
            "n_missing": len(ids) - ranking.n_ranked,
            "top": [item(i) for i in order[:10]], "bottom": [item(i) for i in order[-10:][::-1]],
        }
    emit(args, payload, _human_direction)
    return 0


def _human_direction(p: dict[str, Any]) -> str:
    lines = [f"{p['name']} in {p['model_id']} ({p['method']}, {len(p['pairs_used'])} pairs)"]
    if p["explained_ratio"] is not None:
        lines.append(f"  first component explains {p['explained_ratio']:.1%} of the pairs' variance")
    if p["missing_pairs"]:
        lines.append(f"  pairs dropped (unknown words): {p['missing_pairs']}")
    if p["warning"]:
        lines.append(f"  warning: {p['warning']}")
    if "projection" in p:
        rows = p["projection"]
        lines.append("  most toward the first members: " + ", ".join(f"{r['word']} {r['score']:+.2f}" for r in rows[:8]))
        lines.append("  most toward the second members: " + ", ".join(f"{r['word']} {r['score']:+.2f}" for r in rows[-8:][::-1]))
        if p["projection_missing"]:
            lines.append(f"  unknown targets: {', '.join(p['projection_missing'])}")
    if "direct_bias" in p:
        b = p["direct_bias"]
        lines.append(f"  direct bias (c={b['c']}) over {b['n_words']} neutral words: {b['value']:.3f}; "
                     f"{b['baseline']} baseline median {b['baseline_median']:.3f}, 95th pct {b['baseline_p95']:.3f}, "
                     f"p = {b['p_value']:.3f}")
    if "corpus" in p:
        lines.append("  corpus items most toward the first members:")
        lines += [f"    {r['score']:+.3f}  {r['label'][:100]}" for r in p["corpus"]["top"][:5]]
        lines.append("  corpus items most toward the second members:")
        lines += [f"    {r['score']:+.3f}  {r['label'][:100]}" for r in p["corpus"]["bottom"][:5]]
    return "\n".join(lines)


def cmd_weat(args: argparse.Namespace) -> int:
    from engine.bias import WEAT_TESTS, WeatQuery, parse_words, run_classic_weat, run_weat

    if args.list:
        payload: Any = [{"test_id": t.test_id, "title": t.title, "X": t.x, "Y": t.y, "A": t.a, "B": t.b,
                         "source": t.source} for t in WEAT_TESTS.values()]
        emit(args, payload, lambda rows: "\n".join(f"{r['test_id']:<20} {r['title']}" for r in rows))
        return 0
    embedder, _ = _embedder(args)
    custom = [args.x, args.y, args.a, args.b]
    if args.query or any(custom):
        if args.query:
            query = _read_query(args.query)
        elif not all(custom):
            raise BiasError("A custom WEAT needs all four sets: --x, --y, --a and --b.")
        else:
            query = WeatQuery(*(parse_words(s) for s in custom))
        result = run_weat(embedder, query, n_permutations=args.permutations, seed=args.seed)
        payload = [{"test_id": "custom", **result.summary()}]
    else:
        ids = list(WEAT_TESTS) if args.all or not args.test else [args.test]
        payload = [{"test_id": t, **run_classic_weat(embedder, t, n_permutations=args.permutations,
                                                      seed=args.seed).summary()} for t in ids]
    emit(args, payload if len(payload) > 1 or args.all else payload[0], _human_weat)
    return 0


def _read_query(path: str) -> Any:
    from pathlib import Path

    from engine.bias import WeatQuery

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BiasError(f"Cannot read the WEAT query file {path!r}: {exc.strerror}.") from exc
    return WeatQuery.from_json(text)


def _human_weat(p: Any) -> str:
    rows = p if isinstance(p, list) else [p]
    lines = [f"{'test':<20} {'d':>6} {'p':>8}  partitions"]
    for r in rows:
        kind = "exact" if r["exact"] else "sampled"
        missing = f"  unknown: {r['missing']}" if r["missing"] else ""
        lines.append(f"{r['test_id']:<20} {r['effect_size']:+6.2f} {r['p_value']:8.4f}  {r['n_partitions']:,} {kind}{missing}")
    lines.append("d > 0: X is closer to A (and Y to B). p: one-sided permutation test.")
    return "\n".join(lines)


def cmd_debias(args: argparse.Namespace) -> int:
    from engine.bias import DebiasSpec, debias_preview, parse_words

    embedder, _ = _embedder(args)
    direction, preset = _direction_spec(args, embedder)
    spec = DebiasSpec(
        direction=direction, equalize_pairs=preset.equalize_pairs if not args.pairs else direction.pairs,
        specific=preset.specific, probes=parse_words(args.probes) if args.probes else preset.probes,
        weat_test=args.weat_test or preset.weat_test, pool_size=direction.pool_size, seed=args.seed,
    )
    emit(args, debias_preview(embedder, spec).summary(), _human_debias)
    return 0


def _human_debias(p: dict[str, Any]) -> str:
    lines = [f"Hard-debias preview of {p['direction']} in {p['model_id']} "
             f"({p['n_neutralized']:,} words neutralised, {len(p['equalized'])} pairs equalised)",
             f"  NOTE: {p['note']}"]
    for row in p["projection"][:12]:
        lines.append(f"  {row['word']:<16} before {row['before']:+.3f}  after {row['after']:+.3f}")
    for word, before in p["neighbors_before"].items():
        lines.append(f"  neighbours of {word}: before {', '.join(before[:6])}")
        lines.append(f"  {'':<{len(word) + 14}}after  {', '.join(p['neighbors_after'][word][:6])}")
    if p["weat_before"]:
        wb, wa = p["weat_before"], p["weat_after"]
        lines.append(f"  WEAT {wb['X']}/{wb['Y']} x {wb['A']}/{wb['B']}: d before {wb['effect_size']:+.2f} "
                     f"(S {wb['statistic']:+.3f}), after {wa['effect_size']:+.2f} (S {wa['statistic']:+.3f})")
    lines.append(f"  Gonen & Goldberg check: 2-means recovers the old bias of the {p['cluster_words']} most biased words "
                 f"with accuracy {p['cluster_accuracy_before']:.2f} before and {p['cluster_accuracy_after']:.2f} after "
                 "(0.5 = no trace)")
    lines.append(f"  a linear classifier (5-fold CV) predicts the old side with accuracy {p['classifier_accuracy_before']:.2f} "
                 f"before and {p['classifier_accuracy_after']:.2f} after")
    return "\n".join(lines)
