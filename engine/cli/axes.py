"""``python -m engine axis …``: define an axis, rank a corpus along it, compare models, save axes.

Examples::

    python -m engine axis rank demo:lee-news --positive war attack --negative peace talks --top 5
    python -m engine axis rank demo:words --model glove-50d --expression "king - man + woman" --json
    python -m engine axis rank demo:lee-news --preset "war ↔ peace" --band 200 --save "war-peace"
    python -m engine axis compare demo:lee-news --models minilm-l6,tfidf-svd --saved war-peace
    python -m engine axis rankability demo:lee-news --column n_words --preset "formal ↔ casual"
    python -m engine axis list demo:lee-news
    python -m engine axis presets
"""
from __future__ import annotations

import argparse
import time
from typing import Any

from engine.cli import add_json_flag, emit, stderr_progress
from engine.errors import AxisError


def register(subparsers: argparse._SubParsersAction) -> None:
    axis = subparsers.add_parser("axis", help="Rankable semantic axes: define, rank, compare, save.")
    sub = axis.add_subparsers(dest="axis_command", metavar="SUBCOMMAND", required=True)

    p = sub.add_parser("rank", help="Rank a corpus along an axis (both ends shown).")
    _add_corpus(p)
    p.add_argument("--model", default="minilm-l6", help="Model id (the corpus is embedded if needed).")
    _add_axis_spec(p)
    p.add_argument("--top", type=int, default=10, help="Items shown from each end.")
    p.add_argument("--band", type=int, default=0, metavar="N",
                   help="Bootstrap the pole seeds N times and report each shown item's 5-95%% rank interval.")
    p.add_argument("--column", help="A numeric metadata column: report Spearman between scores and it.")
    p.add_argument("--save", metavar="NAME", help="Save the axis under this name for the corpus.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_rank)

    p = sub.add_parser("compare", help="Rebuild one axis in several models and compare the rankings.")
    _add_corpus(p)
    p.add_argument("--models", default="minilm-l6,minilm-l3", help="Comma-separated model ids.")
    _add_axis_spec(p)
    p.add_argument("--top", type=int, default=10, help="Items whose rank jumps most.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser("rankability", help="Spearman of a numeric column: along an axis, and probes from k vs all.")
    _add_corpus(p)
    p.add_argument("--model", default="minilm-l6")
    p.add_argument("--column", required=True, help="Numeric or ordinal metadata column.")
    p.add_argument("--k", type=int, default=10, help="Labelled examples for the few-shot probe.")
    _add_axis_spec(p, required=False)
    add_json_flag(p)
    p.set_defaults(handler=cmd_rankability)

    p = sub.add_parser("list", help="Saved axes of a corpus.")
    _add_corpus(p)
    add_json_flag(p)
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("delete", help="Delete a saved axis.")
    _add_corpus(p)
    p.add_argument("name", help="Saved axis name or key.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_delete)

    p = sub.add_parser("presets", help="The bundled axis presets (seed texts per pole).")
    add_json_flag(p)
    p.set_defaults(handler=cmd_presets)


def _add_corpus(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="A stored corpus id/name, a corpus file, or demo:<id>.")
    p.set_defaults(text_column=None, format=None, name=None)


def _add_axis_spec(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    group = p.add_argument_group("axis (give exactly one way%s)" % ("" if required else "; optional"))
    group.add_argument("--positive", nargs="+", metavar="TEXT", help="Seed texts/words of the positive pole.")
    group.add_argument("--negative", nargs="+", metavar="TEXT", help="Seed texts/words of the negative pole.")
    group.add_argument("--expression", help='An axis expression, e.g. "good - bad" or "king - man + woman".')
    group.add_argument("--preset", help="A bundled preset by name (see `axis presets`).")
    group.add_argument("--saved", help="An axis saved for this corpus (see `axis list`).")
    group.add_argument("--positive-ids", nargs="+", metavar="ID", help="Corpus item ids for the positive end.")
    group.add_argument("--negative-ids", nargs="+", metavar="ID",
                       help="Corpus item ids for the negative end (omit: the rest of the corpus).")
    group.add_argument("--probe-column", help="Fit a linear probe on this metadata column (all labelled rows).")
    group.add_argument("--probe", choices=["ridge", "logistic"], default="ridge",
                       help="Probe kind for --probe-column: ridge (numbers) or logistic (two classes).")
    group.add_argument("--axis-name", help="Display name of the axis.")
    p.set_defaults(axis_required=required)


def recipe_from_args(args: argparse.Namespace, store: Any, corpus_id: str) -> Any:
    """The typed recipe the flags describe (None when no axis is given and none is required)."""
    from dataclasses import replace

    from engine import axes

    ways = {
        "poles": bool(args.positive or args.negative),
        "expression": bool(args.expression),
        "preset": bool(args.preset),
        "saved": bool(args.saved),
        "items": bool(args.positive_ids),
        "probe": bool(args.probe_column),
    }
    chosen = [w for w, on in ways.items() if on]
    if not chosen:
        if args.axis_required:
            raise AxisError("Define the axis: --positive/--negative, --expression, --preset, --saved, "
                            "--positive-ids or --probe-column.")
        return None
    if len(chosen) > 1:
        raise AxisError(f"Give one way to define the axis, got {', '.join(chosen)}.")
    way = chosen[0]
    if way == "poles":
        if not (args.positive and args.negative):
            raise AxisError("Give both --positive and --negative seed texts.")
        recipe: Any = axes.PolesRecipe(positive=tuple(args.positive), negative=tuple(args.negative))
    elif way == "expression":
        recipe = axes.ExpressionRecipe(expression=args.expression)
    elif way == "preset":
        recipe = axes.find_preset(axes.load_presets(), args.preset).recipe
    elif way == "saved":
        recipe = axes.recipe_for_saved(axes.saved_axis(store, corpus_id, args.saved))
    elif way == "items" and args.negative_ids:
        recipe = axes.ItemsRecipe(positive_ids=tuple(args.positive_ids), negative_ids=tuple(args.negative_ids))
    elif way == "items":
        recipe = axes.SelectionRecipe(positive_ids=tuple(args.positive_ids))
    elif args.probe == "logistic":
        recipe = axes.ProbeLogisticRecipe(column=args.probe_column)
    else:
        recipe = axes.ProbeRidgeRecipe(column=args.probe_column)
    return replace(recipe, name=args.axis_name) if args.axis_name else recipe


def _setup(args: argparse.Namespace, model_ids: list[str]) -> tuple[Any, Any, dict[str, Any]]:
    from engine.cli.core import _store, resolve_corpus
    from engine.embed import embed_corpus
    from engine.models import resolve_model

    store = _store()
    corpus, _ = resolve_corpus(args, store)
    embedded = {}
    for model_id in model_ids:
        spec = resolve_model(model_id)
        embedded[spec.model_id] = embed_corpus(corpus, spec, store=store,
                                               progress=stderr_progress(f"embedding with {spec.display_name}")).embeddings
    return store, corpus, embedded


def _item(corpus: Any, ranking: Any, row: int, band: Any = None) -> dict[str, Any]:
    out = {"rank": int(ranking.ranks[row]), "id": corpus.ids[row], "text": corpus.texts[row],
           "score": round(float(ranking.scores[row]), 6)}
    if band is not None:
        out["rank_low"], out["rank_high"] = int(band.rank_low[row]), int(band.rank_high[row])
    return out


def _axis_summary(fit: Any) -> dict[str, Any]:
    axis = fit.axis
    return {"name": axis.name, "model_id": axis.model_id, "method": axis.method,
            "positive_label": axis.positive_label, "negative_label": axis.negative_label,
            "explained": axis.explained, "dropped": list(fit.dropped), "quality": fit.quality,
            "recipe": axis.recipe}


def cmd_rank(args: argparse.Namespace) -> int:
    from engine import axes

    started = time.perf_counter()
    store, corpus, embedded = _setup(args, [args.model])
    model_id, embeddings = next(iter(embedded.items()))
    recipe = recipe_from_args(args, store, corpus.corpus_id)
    fit = axes.fit_axis_from_recipe(recipe, model_id, store=store, corpus=corpus, embeddings=embeddings)
    ranking = axes.rank(fit.axis, embeddings)
    band = axes.stability_band(fit, embeddings, n_resamples=args.band) if args.band else None
    order = ranking.order()
    top = max(1, args.top)
    payload: dict[str, Any] = {
        "corpus_id": corpus.corpus_id, "axis": _axis_summary(fit), "n_ranked": ranking.n_ranked,
        "n_unrepresentable": int((~ranking.valid).sum()),
        "positive_end": [_item(corpus, ranking, int(r), band) for r in order[:top]],
        "negative_end": [_item(corpus, ranking, int(r), band) for r in order[::-1][:top]],
    }
    if band is not None:
        payload["band"] = {"n_resamples": band.n_resamples, "percentiles": list(band.percentiles),
                           "degenerate": band.degenerate}
    if args.column:
        if args.column not in corpus.frame.columns:
            raise AxisError(f"No column {args.column!r}; metadata columns: {', '.join(corpus.metadata_columns)}.")
        payload["rankability"] = axes.rankability(ranking.scores, corpus.frame[args.column], column=args.column,
                                                  valid=ranking.valid).as_dict()
    if args.save:
        payload["saved_as"] = axes.save_axis(store, corpus.corpus_id, fit, name=args.save)
    payload["seconds"] = round(time.perf_counter() - started, 3)

    def human(p: dict[str, Any]) -> str:
        a = p["axis"]
        lines = [f"axis {a['name']!r} in {a['model_id']} ({a['method']}); {p['n_ranked']:,} items ranked"]
        if a["dropped"]:
            lines.append(f"  not representable, not used: {', '.join(a['dropped'])}")
        for end, label in (("positive_end", a["positive_label"]), ("negative_end", a["negative_label"])):
            lines.append(f"-- toward {label}:")
            for item in p[end]:
                interval = f" [{item['rank_low']}-{item['rank_high']}]" if "rank_low" in item else ""
                text = " ".join(item["text"].split())
                lines.append(f"  {item['rank']:>6}{interval} {item['score']:+.3f}  {text[:90]}")
        if "rankability" in p:
            r = p["rankability"]
            lines.append(f"Spearman with {r['column']}: {r['spearman']:+.3f} (p={r['p_value']:.2g}, n={r['n']:,})")
        if "saved_as" in p:
            lines.append(f"saved as {p['saved_as']}")
        return "\n".join(lines)

    emit(args, payload, human)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from engine import axes

    model_ids = [m.strip() for m in args.models.split(",") if m.strip()]
    if len(model_ids) < 2:
        raise AxisError("Give at least two models to compare, e.g. --models minilm-l6,tfidf-svd.")
    store, corpus, embedded = _setup(args, model_ids)
    recipe = recipe_from_args(args, store, corpus.corpus_id)
    rankings, axes_info = [], []
    for model_id, embeddings in embedded.items():
        fit = axes.fit_axis_from_recipe(recipe, model_id, store=store, corpus=corpus, embeddings=embeddings)
        rankings.append(axes.rank(fit.axis, embeddings))
        axes_info.append(_axis_summary(fit))
    result = axes.compare_rankings(rankings, ids=corpus.ids, top=args.top)
    texts = dict(zip(corpus.ids, corpus.texts))
    payload = {"corpus_id": corpus.corpus_id, "axes": axes_info, "n_shared": result["n_shared"],
               "pairs": result["pairs"],
               "jumps": [{**row, "text": texts[row["id"]]} for row in result["jumps"].to_dicts()]}

    def human(p: dict[str, Any]) -> str:
        lines = [f"axis {p['axes'][0]['name']!r} rebuilt in {len(p['axes'])} models; {p['n_shared']:,} shared items"]
        lines += [f"  {q['a']} vs {q['b']}: Spearman {q['spearman']:+.3f}, Kendall {q['kendall']:+.3f}"
                  for q in p["pairs"]]
        lines.append("-- biggest rank jumps:")
        for row in p["jumps"]:
            ranks = ", ".join(f"{k[5:]}={v}" for k, v in row.items() if k.startswith("rank_"))
            lines.append(f"  jump {row['jump']:>6}  ({ranks})  {' '.join(row['text'].split())[:70]}")
        return "\n".join(lines)

    emit(args, payload, human)
    return 0


def cmd_rankability(args: argparse.Namespace) -> int:
    from engine import axes

    store, corpus, embedded = _setup(args, [args.model])
    model_id, embeddings = next(iter(embedded.items()))
    if args.column not in corpus.frame.columns:
        raise AxisError(f"No column {args.column!r}; metadata columns: {', '.join(corpus.metadata_columns)}.")
    values = corpus.frame[args.column]
    if not (values.dtype.is_numeric() or str(values.dtype) == "Boolean"):
        raise AxisError(f"Column {args.column!r} is not numeric; numeric columns: {', '.join(axes.numeric_columns(corpus))}.")
    payload: dict[str, Any] = {"corpus_id": corpus.corpus_id, "model_id": model_id, "column": args.column,
                               "probe": axes.few_vs_all_rankability(embeddings, values, column=args.column, k=args.k)}
    recipe = recipe_from_args(args, store, corpus.corpus_id)
    if recipe is not None:
        fit = axes.fit_axis_from_recipe(recipe, model_id, store=store, corpus=corpus, embeddings=embeddings)
        ranking = axes.rank(fit.axis, embeddings)
        payload["axis"] = {"name": fit.axis.name, **axes.rankability(ranking.scores, values, column=args.column,
                                                                     valid=ranking.valid).as_dict()}

    def human(p: dict[str, Any]) -> str:
        q = p["probe"]
        lines = [f"{p['column']} in {p['model_id']}: ridge probe scored on {q['n_test']:,} held-out items",
                 f"  from {q['k']} examples: Spearman {q['few']['spearman']:+.3f}",
                 f"  from all {q['n_train']:,} training items: Spearman {q['all']['spearman']:+.3f}"]
        if "axis" in p:
            a = p["axis"]
            lines.append(f"  along axis {a['name']!r}: Spearman {a['spearman']:+.3f} (n={a['n']:,})")
        return "\n".join(lines)

    emit(args, payload, human)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from engine import axes
    from engine.cli.core import _store, resolve_corpus

    store = _store()
    corpus, _ = resolve_corpus(args, store)
    records = axes.list_axes(store, corpus.corpus_id)
    payload = [{"key": r["key"], "name": r["name"], "method": r["method"], "labels": r.get("labels"),
                "models": sorted(r["models"]), "recipe": r["recipe"]} for r in records]
    emit(args, payload, lambda rows: "\n".join(
        f"{r['key']:<24} {r['name']!r} ({r['method']}) models: {', '.join(r['models'])}" for r in rows
    ) or "(no saved axes for this corpus)")
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    from engine import axes
    from engine.cli.core import _store, resolve_corpus

    store = _store()
    corpus, _ = resolve_corpus(args, store)
    record = axes.saved_axis(store, corpus.corpus_id, args.name)
    axes.delete_axis(store, corpus.corpus_id, args.name)
    emit(args, {"deleted": record["key"], "name": record["name"]}, lambda p: f"deleted axis {p['name']!r}")
    return 0


def cmd_presets(args: argparse.Namespace) -> int:
    from engine import axes

    presets = [{**p.recipe.to_dict(), "description": p.description} for p in axes.load_presets()]
    emit(args, presets, lambda rows: "\n".join(
        f"{p['name']}: {len(p['positive'])} vs {len(p['negative'])} seeds. {p['description']}" for p in rows))
    return 0
