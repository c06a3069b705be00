"""Core commands: models, ingest, embed, list, delete, demo."""
from __future__ import annotations

import argparse
import os
import time
from typing import Any

from engine.cli import add_json_flag, emit, stderr_progress
from engine.errors import StoreError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("models", help="List the bundled models.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_models)

    p = subparsers.add_parser("ingest", help="Read and validate a corpus file and store it.")
    _add_corpus_file_args(p)
    add_json_flag(p)
    p.set_defaults(handler=cmd_ingest)

    p = subparsers.add_parser(
        "embed", help="Embed a corpus (a file, a stored corpus id/name, or demo:<id>) with one or more models."
    )
    _add_corpus_file_args(p)
    p.add_argument("--models", default="minilm-l6", help="Comma-separated model ids or sentence-transformers names.")
    p.add_argument("--ray", metavar="ADDRESS|local",
                   help="Run the embedding as a Ray Data job: 'local' starts Ray on this machine, an address "
                        "(ray://head:10001, auto) uses a cluster whose nodes share the workspace path. "
                        "Needs requirements-ray.txt.")
    p.add_argument("--ray-actors", type=int, help="With --ray: most model copies (default: cluster CPUs).")
    add_json_flag(p)
    p.set_defaults(handler=cmd_embed)

    p = subparsers.add_parser("list", help="List stored corpora and their embeddings.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_list)

    p = subparsers.add_parser("delete", help="Delete a stored corpus and what was derived from it.")
    p.add_argument("corpus", help="Corpus id, id prefix or name.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_delete)

    p = subparsers.add_parser("demo", help="Store the bundled demo corpora and embed them (idempotent).")
    p.add_argument("--corpora", default="lee-news,movie-polarity,words",
                   help="Comma-separated demo ids (lee-news, fortunes, movie-polarity, words).")
    p.add_argument("--models", default="minilm-l6,minilm-l3,glove-50d,tfidf-svd",
                   help="Comma-separated model ids to embed the demos with.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_demo)


def _add_corpus_file_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="A corpus file (csv, tsv, txt, jsonl, parquet), demo:<id>, or a stored corpus.")
    p.add_argument("--text-column", help="Column holding the text (default: a guess, printed).")
    p.add_argument("--format", choices=["csv", "tsv", "txt", "jsonl", "parquet"], help="Override the format.")
    p.add_argument("--name", help="Display name (default: the file name).")


def _store() -> Any:
    from engine.store import Store

    return Store.open_default()


def resolve_corpus(args: argparse.Namespace, store: Any) -> tuple[Any, dict[str, Any] | None]:
    """A file path is ingested and stored; demo:<id> builds a demo; anything else is a stored corpus."""
    from engine.corpus import load_corpus
    from engine.demo import load_demo

    source = args.source
    if source.startswith("demo:"):
        corpus, report = load_demo(source[len("demo:"):])
        store.save_corpus(corpus, report)
        return corpus, report.as_dict()
    if os.path.lexists(source):  # lexists: a broken symlink or a FIFO gets the reader's own error
        corpus, report = load_corpus(source, text_column=args.text_column, file_format=args.format, name=args.name)
        corpus, report = store.add_corpus(corpus, report)
        return corpus, report.as_dict()
    try:
        return store.load_corpus(store.find_corpus(source)), None
    except StoreError:
        raise StoreError(f"{source!r} is neither a file, demo:<id>, nor a stored corpus. Check the path.") from None


def _corpus_summary(corpus: Any, report: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "corpus_id": corpus.corpus_id,
        "name": corpus.name,
        "rows": len(corpus),
        "text_column": corpus.text_column,
        "metadata_columns": corpus.metadata_columns,
        "ingest_report": report,
    }


def _human_report(summary: dict[str, Any]) -> str:
    lines = [f"{summary['name']} ({summary['corpus_id']}): {summary['rows']:,} rows, text column "
             f"{summary['text_column']!r}, metadata {summary['metadata_columns']}"]
    report = summary.get("ingest_report")
    if report:
        lines.append(f"  read {report['rows_read']:,}, kept {report['rows_kept']:,}, dropped empty "
                     f"{report['dropped_empty']:,}, duplicates {report['duplicates']:,}, truncated "
                     f"{report['truncated']:,}, encoding {report['encoding']}")
        lines += [f"  note: {note}" for note in report["notes"]]
    return "\n".join(lines)


def cmd_models(args: argparse.Namespace) -> int:
    from engine.models import bundled_models

    payload = [
        {"model_id": s.model_id, "name": s.display_name, "kind": s.kind, "dimension": s.dimension,
         "license": s.license, "source": s.source, "max_seq_length": s.max_seq_length}
        for s in bundled_models()
    ]
    emit(args, payload, lambda rows: "\n".join(
        f"{r['model_id']:<11} {r['kind']:<9} {r['dimension']:>4}d  {r['name']}  ({r['license']})" for r in rows
    ) + "\nAny sentence-transformers hub name or local model folder is accepted too (needs the network to download).")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    store = _store()
    corpus, report = resolve_corpus(args, store)
    emit(args, _corpus_summary(corpus, report), _human_report)
    return 0


def _embed_all(corpus: Any, model_names: str, store: Any, ray: str | None = None,
               ray_actors: int | None = None) -> list[dict[str, Any]]:
    from engine.embed import embed_corpus
    from engine.models import resolve_models

    results = []
    for spec in resolve_models(model_names):
        progress = stderr_progress(f"{spec.display_name}")
        if ray:
            from engine.ray_embed import embed_corpus_ray

            result = embed_corpus_ray(corpus, spec, store=store, address=ray, actors=ray_actors, progress=progress)
        else:
            result = embed_corpus(corpus, spec, store=store, progress=progress)
        results.append(result.summary())
    return results


def cmd_embed(args: argparse.Namespace) -> int:
    store = _store()
    started = time.perf_counter()
    corpus, report = resolve_corpus(args, store)
    models = _embed_all(corpus, args.models, store, args.ray, args.ray_actors)
    payload = {**_corpus_summary(corpus, report), "models": models,
               "cache_hits": sum(m["cache_hit"] for m in models),
               "total_seconds": round(time.perf_counter() - started, 3)}

    def human(p: dict[str, Any]) -> str:
        lines = [_human_report(p)]
        for m in p["models"]:
            status = "cache hit" if m["cache_hit"] else f"{m['texts_per_second']:.0f} texts/s"
            missing = f", {m['n_missing']} not representable" if m["n_missing"] else ""
            lines.append(f"  {m['model']}: {m['rows']:,} x {m['dimension']} in {m['seconds']:.2f} s ({status}{missing})")
            if m.get("truncation_note"):
                lines.append(f"    note: {m['truncation_note']}")
        lines.append(f"total {p['total_seconds']:.2f} s")
        return "\n".join(lines)

    emit(args, payload, human)
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    store = _store()
    payload = {"workspace": str(store.root), "corpora": [
        {"corpus_id": m["corpus_id"], "name": m["name"], "aliases": m.get("aliases", []), "rows": m["n_rows"],
         "kind": m.get("kind"),
         "created": m.get("created"), "models": sorted(m.get("embeddings", {}))}
        for m in store.list_corpora()
    ]}
    emit(args, payload, lambda p: f"workspace: {p['workspace']}\n" + ("\n".join(
        f"{c['corpus_id']}  {c['name']:<24} {c['rows']:>8,} rows  models: {', '.join(c['models']) or '-'}"
        + (f"  (also named: {', '.join(c['aliases'])})" if c["aliases"] else "")
        for c in p["corpora"]) or "(no corpora)"))
    return 0


def cmd_delete(args: argparse.Namespace) -> int:
    store = _store()
    corpus_id = store.find_corpus(args.corpus)
    name = store.manifest(corpus_id)["name"]
    store.delete_corpus(corpus_id)
    emit(args, {"deleted": corpus_id, "name": name}, lambda p: f"deleted {p['name']} ({p['deleted']})")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from engine.demo import load_demo

    store = _store()
    payload = []
    for demo_id in [d.strip() for d in args.corpora.split(",") if d.strip()]:
        corpus, report = load_demo(demo_id)
        store.save_corpus(corpus, report)
        payload.append({**_corpus_summary(corpus, None), "models": _embed_all(corpus, args.models, store)})
    emit(args, payload, lambda rows: "\n".join(
        f"{r['name']} ({r['corpus_id']}): {r['rows']:,} rows; " + ", ".join(_model_status(m) for m in r["models"])
        for r in rows))
    return 0


def _model_status(model: dict[str, Any]) -> str:
    return f"{model['model_id']} " + ("cached" if model["cache_hit"] else f"{model['seconds']:.1f} s")
