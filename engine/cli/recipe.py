"""Recipe commands: ``recipe export FILE`` (an analysis -> one JSON file) and ``recipe run FILE``."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from engine.cli import add_json_flag, emit
from engine.errors import RecipeError


def register(subparsers: argparse._SubParsersAction) -> None:
    recipe = subparsers.add_parser("recipe", help="Export an analysis as a recipe file, or run one.")
    commands = recipe.add_subparsers(dest="recipe_command", metavar="ACTION", required=True)

    p = commands.add_parser("export", help="Write the recipe of an analysis of a stored corpus to FILE.")
    p.add_argument("file", help="The recipe file to write (JSON).")
    p.add_argument("--corpus", required=True, help="A stored corpus id/name, a corpus file, or demo:<id>.")
    p.add_argument("--models", default="minilm-l6", help="Comma-separated model ids (embedded if needed).")
    p.add_argument("--projection", choices=["umap", "pca", "none"], default="umap", help="Map method (none: no map).")
    p.add_argument("--dims", type=int, choices=[2, 3], default=2, help="Map dimensions.")
    p.add_argument("--seed", type=int, default=42, help="Map seed (UMAP is reproducible with a seed).")
    p.add_argument("--no-saved-axes", action="store_true", help="Leave out the axes saved for the corpus.")
    p.add_argument("--band", type=int, default=50, metavar="N", help="Stability-band resamples per axis (0: none).")
    p.add_argument("--weat", action="append", default=[], metavar="TEST_ID",
                   help="A bundled WEAT test to include (repeatable; `python -m engine bias weat --help` lists them).")
    p.add_argument("--weat-query", action="append", default=[], metavar="FILE",
                   help="A WEAT query JSON file ({\"x\": [...], \"y\": [...], \"a\": [...], \"b\": [...]}); repeatable.")
    p.add_argument("--bias-model", action="append", default=[], metavar="MODEL",
                   help="Run the WEAT tests and bias directions in this model (repeatable; default: --models).")
    p.add_argument("--direction", action="append", default=[], metavar="PRESET",
                   help="A bias direction preset (gender, sentiment, age) with its neutral words; repeatable.")
    p.add_argument("--search", action="append", default=[], metavar="MODE:QUERY",
                   help="A search to include, e.g. 'semantic:fires in the bush' (repeatable).")
    p.add_argument("--compare", action="store_true", help="Include a comparison of the models (two or more).")
    p.add_argument("--k", type=int, default=10, help="Neighbours per item for --compare.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_export)

    p = commands.add_parser("run", help="Run a recipe file: recompute every result it names.")
    p.add_argument("file", help="The recipe file (JSON).")
    p.add_argument("--corpus", help="Run on this corpus (stored id/name, file or demo:<id>) instead of the recipe's.")
    p.add_argument("--coords", action="store_true", help="Include every map coordinate in the JSON output.")
    p.add_argument("--report", metavar="OUT", help="Also write a report: OUT.html (standalone) or OUT.md.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_run)


def _corpus(source: str, store: Any) -> Any:
    from engine.cli.core import resolve_corpus

    corpus, _ = resolve_corpus(argparse.Namespace(source=source, text_column=None, format=None, name=None), store)
    return corpus


def _searches(values: list[str]) -> list[Any]:
    from engine.recipe import SearchItem
    from engine.search import SEARCH_MODES

    out = []
    for value in values:
        mode, _, query = value.partition(":")
        if mode not in SEARCH_MODES or not query.strip():
            raise RecipeError(f"--search {value!r}: write MODE:QUERY with a mode of {', '.join(SEARCH_MODES)}.")
        out.append(SearchItem(mode=mode, query=query))
    return out


def _bias_items(args: argparse.Namespace, models: tuple[str, ...]) -> tuple[list[Any], list[Any]]:
    from engine.bias import WEAT_TESTS, WeatQuery, bundled_query, presets
    from engine.recipe import DirectionItem, WeatItem

    weat = []
    for test_id in args.weat:
        if test_id not in WEAT_TESTS:
            raise RecipeError(f"Unknown WEAT test {test_id!r}. Choose one of: {', '.join(WEAT_TESTS)}.")
        weat.append(WeatItem(query=bundled_query(test_id).to_dict(), models=models, test_id=test_id))
    for path in args.weat_query:
        try:
            query = WeatQuery.from_json(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise RecipeError(f"Cannot read the WEAT query {path!r}: {exc.strerror}.") from None
        weat.append(WeatItem(query=query.to_dict(), models=models))
    available = presets()
    directions = []
    for preset_id in args.direction:
        if preset_id not in available:
            raise RecipeError(f"Unknown bias preset {preset_id!r}. Choose one of: {', '.join(available)}.")
        preset = available[preset_id]
        directions.append(DirectionItem(name=preset.title, pairs=preset.pairs, neutral=preset.neutral,
                                        targets=preset.targets, models=models))
    return weat, directions


def cmd_export(args: argparse.Namespace) -> int:
    from engine.cli.core import _embed_all
    from engine.recipe import AxisItem, CompareItem, ProjectionItem, export_recipe, saved_axis_items
    from engine.store import Store

    store = Store.open_default()
    corpus = _corpus(args.corpus, store)
    models = tuple(m.strip() for m in args.models.split(",") if m.strip())
    _embed_all(corpus, ",".join(models), store)  # a recipe names models whose vectors exist (route recorded)
    weat, directions = _bias_items(args, tuple(args.bias_model))
    projections = [] if args.projection == "none" else [ProjectionItem(method=args.projection, dims=args.dims,
                                                                       seed=args.seed)]
    axes: list[AxisItem] = [] if args.no_saved_axes else saved_axis_items(store, corpus.corpus_id,
                                                                          band_resamples=args.band)
    recipe = export_recipe(store, corpus.corpus_id, models, projections=projections, axes=axes, weat=weat,
                           directions=directions, searches=_searches(args.search),
                           compare=CompareItem(models=models, k=args.k) if args.compare else None)
    Path(args.file).write_text(recipe.to_json(), encoding="utf-8")
    emit(args, {"file": args.file, "corpus_id": corpus.corpus_id, "counts": recipe.counts()},
         lambda p: f"Wrote {p['file']}: " + ", ".join(f"{v} {k}" for k, v in p["counts"].items() if v))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from engine.recipe import parse_recipe, run_recipe
    from engine.store import Store

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise RecipeError(f"Cannot read the recipe file {args.file!r}: {exc.strerror}.") from None
    recipe = parse_recipe(data)
    store = Store.open_default()
    corpus = _corpus(args.corpus, store) if args.corpus else None
    run = run_recipe(recipe, store=store, corpus=corpus, say=lambda line: print(line, file=sys.stderr, flush=True))
    payload = run.summary(include_coords=args.coords)
    if args.report:
        from engine.report import build_report

        report = build_report(run)
        text = report.markdown() if args.report.endswith(".md") else report.html()
        Path(args.report).write_text(text, encoding="utf-8")
        payload["report"] = args.report
    emit(args, payload, lambda p: _human_run(p, run))
    return 0


def _human_run(p: dict[str, Any], run: Any) -> str:
    from engine.report import summary_rows

    lines = [f"{p['corpus']['name']} ({p['corpus']['corpus_id']}, {p['corpus']['match']}): "
             f"{p['corpus']['rows']:,} rows"] + [f"  note: {n}" for n in p["notes"]]
    lines += [f"  {r['what']:<10} {r['name'][:50]:<50} {r['model']:<12} {r['result']}" for r in summary_rows(run)]
    if p.get("report"):
        lines.append(f"Report written to {p['report']}")
    return "\n".join(lines)
