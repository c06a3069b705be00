"""``python -m engine search QUERY --corpus … --models … --k 10 --mode semantic|keyword|hybrid|arithmetic|similar``."""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from engine.cli import add_json_flag, emit, stderr_progress
from engine.errors import SearchError

if TYPE_CHECKING:  # engine.filters imports polars: keep `python -m engine --help` fast
    from engine.filters import Filter, MetadataFilter


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "search",
        help="Search a corpus: semantic, keyword/regex, hybrid (BM25 + dense), vector arithmetic, or similar items.",
        description="Runs one query in each model and prints the ranked hits (and overlap@k across models).",
    )
    p.add_argument("query", help='The query text; a regex for --regex; an expression such as \'king - man + woman\' '
                                 "for --mode arithmetic; an item id for --mode similar.")
    p.add_argument("--corpus", required=True, help="A stored corpus id/name, a corpus file, or demo:<id>.")
    p.add_argument("--models", default="minilm-l6", help="Comma-separated model ids (ignored by keyword mode).")
    p.add_argument("--k", type=int, default=10, help="Hits per model (default 10).")
    p.add_argument("--mode", default="semantic", choices=["semantic", "keyword", "hybrid", "arithmetic", "similar"],
                   help="How to search (default semantic).")
    p.add_argument("--regex", action="store_true", help="Keyword mode: treat the query as a regular expression.")
    p.add_argument("--case-sensitive", action="store_true", help="Keyword mode: match case exactly.")
    p.add_argument("--dense-weight", type=float, default=0.5,
                   help="Hybrid mode: weight of the dense ranking in reciprocal rank fusion, 0..1 (default 0.5).")
    p.add_argument("--keep-inputs", action="store_true",
                   help="Arithmetic mode: do not exclude the input terms from the results.")
    p.add_argument("--vocabulary", action="store_true",
                   help="Arithmetic mode with a word model: search the model's whole vocabulary instead of the corpus.")
    p.add_argument("--filter", action="append", default=[], metavar="COLUMN=V1|V2, COLUMN=LOW..HIGH or COLUMN~TEXT",
                   help="Metadata filter (repeatable, all must hold), e.g. label=pos, n_words=5..20 or title~fire "
                        "(contains, case-insensitive, literal).")
    p.add_argument("--filter-json", metavar="JSON",
                   help="A whole filter as JSON (engine.filters.Filter.to_json), combined with any --filter.")
    p.add_argument("--index", default="auto", choices=["auto", "exact", "hnsw"],
                   help="Index kind (auto: exact below the size threshold, HNSW above).")
    p.add_argument("--text-column", help=argparse.SUPPRESS)
    p.add_argument("--format", help=argparse.SUPPRESS)
    p.add_argument("--name", help=argparse.SUPPRESS)
    add_json_flag(p)
    p.set_defaults(handler=cmd_search)


def parse_filter(raw: str) -> MetadataFilter:
    """One ``--filter`` value as a column condition (``=`` values or a range, ``~`` contains)."""
    from engine.filters import MetadataFilter

    column, sep, value = raw.partition("=")
    if "~" in column or not sep:
        column, sep, needle = raw.partition("~")
        if sep and column.strip() and needle:
            return MetadataFilter(column.strip(), contains=needle)
    if not sep or not column.strip() or not value:
        raise SearchError(f"Bad --filter {raw!r}: write COLUMN=VALUE, COLUMN=V1|V2, COLUMN=LOW..HIGH or COLUMN~TEXT.")
    column = column.strip()
    if ".." in value:
        low, _, high = value.partition("..")
        try:
            return MetadataFilter(column, low=float(low) if low else None, high=float(high) if high else None)
        except ValueError:
            raise SearchError(f"Bad range in --filter {raw!r}: LOW and HIGH must be numbers.") from None
    return MetadataFilter(column, values=tuple(v for v in value.split("|")))


def parse_filters(raws: Sequence[str], filter_json: str | None = None) -> Filter:
    """The CLI's filter: ``--filter-json`` (if any) AND every ``--filter`` condition."""
    from engine.filters import Filter

    base = Filter.from_json(filter_json) if filter_json else Filter()
    return Filter(base.conditions + tuple(parse_filter(raw) for raw in raws), base.item_sets)


def cmd_search(args: argparse.Namespace) -> int:
    from engine.cli.core import _store, resolve_corpus
    from engine.embed import embed_corpus
    from engine.index import build_index
    from engine.models import resolve_models
    from engine.compare import overlap_at_k
    from engine.search import build_bm25, build_vocabulary, mark_unique, run_search, vocabulary_search

    store = _store()
    args.source = args.corpus
    corpus, _ = resolve_corpus(args, store)
    chosen = parse_filters(args.filter, args.filter_json)
    allowed = chosen.mask(corpus)
    results: dict[str, Any] = {}
    vocabulary_hits: dict[str, Any] = {}
    if args.mode == "keyword":
        results["keyword"] = run_search(corpus, args.query, mode="keyword", store=store, k=args.k, allowed=allowed,
                                        regex=args.regex, case_sensitive=args.case_sensitive)
    else:
        bm25 = build_bm25(corpus) if args.mode == "hybrid" else None
        for spec in resolve_models(args.models):
            if args.mode == "arithmetic" and args.vocabulary:
                if spec.kind != "word":
                    raise SearchError(f"--vocabulary needs a word model (e.g. glove-50d); {spec.model_id} is {spec.kind}.")
                from engine.models import load_encoder

                vocabulary = build_vocabulary(load_encoder(spec, models_dir=store.models_dir), model_id=spec.model_id)
                vocabulary_hits[spec.model_id] = vocabulary_search(vocabulary, args.query, store=store, k=args.k,
                                                                   exclude_inputs=not args.keep_inputs)
                continue
            embeddings = embed_corpus(corpus, spec, store=store, progress=stderr_progress(spec.display_name)).embeddings
            index = build_index(embeddings, kind=args.index, store=store, progress=stderr_progress("Building index"))
            results[spec.model_id] = run_search(
                corpus, args.query, mode=args.mode, store=store, index=index, bm25=bm25, k=args.k, allowed=allowed,
                dense_weight=args.dense_weight, exclude_inputs=not args.keep_inputs)
    if len(results) > 1:
        results = mark_unique(results)
    payload = {
        "corpus_id": corpus.corpus_id, "corpus": corpus.name, "query": args.query, "mode": args.mode, "k": args.k,
        "exclude_inputs": not args.keep_inputs, "filter": chosen.as_dict(),
        "results": {name: result.as_dict() for name, result in results.items()},
        "vocabulary": {name: frame.to_dicts() for name, frame in vocabulary_hits.items()},
        "overlap": overlap_at_k(results).to_dicts() if len(results) > 1 else [],
    }
    emit(args, payload, _human)
    return 0


def _human(payload: dict[str, Any]) -> str:
    lines = [f"{payload['mode']} search for {payload['query']!r} in {payload['corpus']} ({payload['corpus_id']})"]
    for name, result in payload["results"].items():
        lines.append(f"\n== {name} ==")
        lines += [f"  note: {note}" for note in result["notes"]]
        for hit in result["hits"]:
            text = " ".join(str(hit["text"]).split())
            text = text if len(text) <= 100 else text[:99] + "…"
            mark = "  *only here*" if hit.get("found_only_here") else ""
            lines.append(f"  {hit['rank']:>3}. {hit['score']:8.4f}  [{hit['id']}] {text}{mark}")
        if not result["hits"]:
            lines.append("  (no hits)")
    for name, words in payload["vocabulary"].items():
        lines.append(f"\n== {name} vocabulary (input terms {'excluded' if payload['exclude_inputs'] else 'kept'}) ==")
        lines += [f"  {w['rank']:>3}. {w['score']:8.4f}  {w['word']}" for w in words]
    if payload["overlap"]:
        lines.append("\noverlap@k: " + ", ".join(f"{o['model_a']}~{o['model_b']} {o['overlap']:.2f}"
                                                for o in payload["overlap"]))
    return "\n".join(lines)
