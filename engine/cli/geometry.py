"""Geometry commands: ``python -m engine geometry|shift …``.

Examples::

    python -m engine geometry demo:lee-news --models minilm-l6,glove-50d --json
    python -m engine shift lee-news --model minilm-l6 --group article=3 --vs rest --json
    python -m engine shift lee-news --model minilm-l6 --group article=3 --vs article=5
    python -m engine shift lee-news --model minilm-l6 --vs-corpus other-corpus
"""
from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from engine.cli import add_json_flag, emit, stderr_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "geometry", help="Isotropy, intrinsic dimension, hubness, redundancy and depth of each model's space.")
    p.add_argument("source", help="A stored corpus id/name, a corpus file, or demo:<id>.")
    p.add_argument("--models", default="minilm-l6", help="Comma-separated model ids (embedded first if needed).")
    p.add_argument("--seed", type=int, default=0, help="Seed for random pairs and sampled query items.")
    p.add_argument("--top", type=int, default=10, help="How many top hubs and most outlying items to list.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_geometry, text_column=None, format=None, name=None)

    p = subparsers.add_parser(
        "shift", help="Depth-based rank-sum test (and a permutation test) between two groups of one model's space.")
    p.add_argument("source", help="A stored corpus id/name, a corpus file, or demo:<id>.")
    p.add_argument("--model", default="minilm-l6", help="Model id.")
    p.add_argument("--group", help="The tested group as COLUMN=VALUE (omit with --vs-corpus: the whole corpus).")
    p.add_argument("--vs", default="rest",
                   help="The reference: COLUMN=VALUE (same column) or 'rest' (every other item). Default rest.")
    p.add_argument("--vs-corpus", help="Instead of --vs: another stored corpus embedded with the same model.")
    p.add_argument("--permutations", type=int, default=1000, help="Permutations for the difference-of-means test.")
    p.add_argument("--seed", type=int, default=0, help="Seed for the permutations.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_shift, text_column=None, format=None, name=None)


def _clean(value: Any) -> Any:
    """JSON without NaN (strict parsers reject it): NaN -> None, recursively."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def _embedded(corpus: Any, model_id: str, store: Any) -> Any:
    from engine.embed import embed_corpus

    return embed_corpus(corpus, model_id, store=store,
                        progress=stderr_progress(f"embedding with {model_id}")).embeddings


def cmd_geometry(args: argparse.Namespace) -> int:
    from engine.cli.core import _store, resolve_corpus
    from engine.geometry import geometry_report, summary_rows
    from engine.geometry import top_hubs
    from engine.labels import shorten
    from engine.models import resolve_models

    store = _store()
    corpus, _ = resolve_corpus(args, store)
    texts, ids = corpus.texts, corpus.ids
    reports, models = [], []
    for spec in resolve_models(args.models):
        embeddings = _embedded(corpus, spec.model_id, store)
        report = geometry_report(store, corpus.corpus_id, embeddings, seed=args.seed,
                                 progress=lambda stage, share, m=spec.model_id: _stage(m, stage, share))
        reports.append(report)
        depth_order = [int(r) for r in report.depth.argsort() if report.depth[r] == report.depth[r]]
        item = lambda row, **extra: {"id": ids[row], "text": shorten(texts[row], 120), **extra}  # noqa: E731
        models.append({
            **report.figures, "cached": report.cached,
            "top_hubs": [item(int(r), n_k=int(report.occurrence[r])) for r in top_hubs(report.occurrence, args.top)],
            "most_central": [item(r, depth=float(report.depth[r])) for r in depth_order[::-1][:args.top]],
            "most_outlying": [item(r, depth=float(report.depth[r])) for r in depth_order[:args.top]],
        })
    payload = _clean({"corpus_id": corpus.corpus_id, "name": corpus.name, "models": models,
                      "table": summary_rows(reports)})
    emit(args, payload, _human_geometry)
    return 0


def _stage(model_id: str, stage: str, share: float) -> None:
    print(f"{model_id}: {stage} ({share:.0%})", file=sys.stderr, flush=True)


def _human_geometry(payload: dict[str, Any]) -> str:
    lines = [f"{payload['name']} ({payload['corpus_id']})"]
    for row in payload["table"]:
        lines.append(f"\n{row.pop('model')}")
        lines.extend(f"  {column:<26} {value if not isinstance(value, float) else round(value, 4)}"
                     for column, value in row.items())
    return "\n".join(lines)


def _column_value(text: str | None, what: str) -> tuple[str, str]:
    from engine.geometry import ShiftError

    column, equals, value = (text or "").partition("=")
    if not equals or not column:
        raise ShiftError(f"{what} must look like COLUMN=VALUE, got {text!r}.")
    return column, value


def cmd_shift(args: argparse.Namespace) -> int:
    import numpy as np

    from engine.cli.core import _store, resolve_corpus
    from engine.geometry import ShiftError, group_masks, shift_test

    store = _store()
    corpus, _ = resolve_corpus(args, store)
    embeddings = _embedded(corpus, args.model, store)
    vectors, valid = np.asarray(embeddings.vectors), np.asarray(embeddings.valid)
    if args.vs_corpus:
        other = store.load_corpus(store.find_corpus(args.vs_corpus))
        other_embeddings = _embedded(other, args.model, store)
        if args.group:
            column, value = _column_value(args.group, "--group")
            group, _ = group_masks(_values(corpus, column), value, None, valid)
        else:
            group = valid
        reference = np.asarray(other_embeddings.vectors)[np.asarray(other_embeddings.valid)]
        description = {"group": args.group or f"all of {corpus.name}", "reference": f"all of {other.name}"}
        result = shift_test(reference, vectors[group], permutations=args.permutations, seed=args.seed)
    else:
        column, value = _column_value(args.group, "--group")
        vs = None
        if args.vs != "rest":
            vs_column, vs = _column_value(args.vs, "--vs")
            if vs_column != column:
                raise ShiftError(f"--vs must use the same column as --group ({column!r}), or be 'rest'.")
        group, reference = group_masks(_values(corpus, column), value, vs, valid)
        description = {"group": args.group, "reference": args.vs}
        result = shift_test(vectors[reference], vectors[group], permutations=args.permutations, seed=args.seed)
    payload = _clean({"corpus_id": corpus.corpus_id, "model_id": embeddings.model_id, **description,
                      **result.as_dict()})
    emit(args, payload, _human_shift)
    return 0


def _values(corpus: Any, column: str) -> list[Any]:
    from engine.geometry import ShiftError

    if column not in corpus.metadata_columns:
        raise ShiftError(f"No column {column!r}; this corpus has {corpus.metadata_columns}.")
    return corpus.frame[column].to_list()


def _human_shift(p: dict[str, Any]) -> str:
    return (f"{p['group']} ({p['n_group']:,} items) vs {p['reference']} ({p['n_reference']:,}), {p['model_id']}\n"
            f"  depth rank-sum (group more outlying): z = {p['rank_sum_statistic']:.3f}, p = {p['p_value']:.4g}, "
            f"Q = {p['q']:.3f} (0.5 = no shift); two-sided p = {p['p_value_two_sided']:.4g}\n"
            f"  permutation test on |mean difference| = {p['mean_distance']:.4f}: p = {p['permutation_p']:.4g} "
            f"({p['permutations']:,} permutations)")
