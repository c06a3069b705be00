"""Compare commands: ``compare`` (models side by side on one corpus) and ``neighbors`` (one item).

Both read embeddings and kNN graphs from the store (a second run is a cache hit)::

    python -m engine compare demo:lee-news --models minilm-l6,minilm-l3 --k 10 --json --out items.csv
    python -m engine neighbors demo:lee-news 17 --models minilm-l6,minilm-l3 --k 10 --json
"""
from __future__ import annotations

import argparse
from typing import Any

from engine.cli import add_json_flag, emit, stderr_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "compare",
        help="Compare models on one corpus: neighbour agreement per item, CKA, similarity correlation.",
        description="For every item, its k nearest neighbours in each model (exact, or HNSW with its recall "
        "reported for large corpora), and per pair of models: mean and median Jaccard@k, rank-biased "
        "overlap, linear CKA and the Spearman correlation of pairwise cosine similarities, with chance "
        "values. Results are stored; a second run is a cache hit.",
    )
    _add_common(p)
    p.add_argument("--seed", type=int, default=0, help="Seed of every sample (CKA rows, similarity pairs).")
    p.add_argument("--rbo-p", type=float, default=0.9, help="Rank-biased overlap persistence (0-1).")
    p.add_argument("--method", default="auto", choices=["auto", "exact", "hnsw"],
                   help="kNN graph: exact below ~30k items, HNSW beyond (auto).")
    p.add_argument("--translate", action="store_true",
                   help="Also fit a linear map between each pair of spaces and test it on held-out items.")
    p.add_argument("--out", help="Write the per-item table here (.csv or .parquet).")
    add_json_flag(p)
    p.set_defaults(handler=cmd_compare)

    p = subparsers.add_parser("neighbors", help="One item's neighbours in each model, side by side.")
    _add_common(p)
    p.add_argument("item", help="The item's id (the corpus's id column).")
    add_json_flag(p)
    p.set_defaults(handler=cmd_neighbors)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="A stored corpus id/name, demo:<id>, or a corpus file.")
    p.add_argument("--models", required=True, help="Comma-separated model ids (two or more).")
    p.add_argument("--k", type=int, default=10, help="Neighbours per item.")
    p.add_argument("--text-column", help="Column holding the text (files only).")
    p.add_argument("--format", choices=["csv", "tsv", "txt", "jsonl", "parquet"], help="Override the file format.")
    p.add_argument("--name", help="Display name (files only).")


def cmd_compare(args: argparse.Namespace) -> int:
    from engine.cli.project import _corpus_and_embeddings
    from engine.compare import compare_models, translate
    from engine.compare import model_graphs, stored_comparison

    store, corpus, embedded = _corpus_and_embeddings(args)
    spaces = {e.model_id: e for e in embedded}
    model_graphs(store, spaces, args.k, method=args.method, seed=args.seed,
                 progress=stderr_progress("kNN graphs (per mille)"))
    cache_hit = stored_comparison(store, corpus, spaces, k=args.k, seed=args.seed, p=args.rbo_p,
                                  method=args.method) is not None
    result = compare_models(store, corpus, spaces, k=args.k, seed=args.seed, p=args.rbo_p, method=args.method,
                            progress=stderr_progress("comparing (per mille)"))
    payload: dict[str, Any] = {"name": corpus.name, **result.summary(), "cache_hit": cache_hit}
    if args.translate:
        payload["translation"] = [
            translate(spaces[p["model_a"]].vectors, spaces[p["model_b"]].vectors,
                      spaces[p["model_a"]].valid & spaces[p["model_b"]].valid,
                      model_a=p["model_a"], model_b=p["model_b"], seed=args.seed)
            for p in result.pairs]
    if args.out:
        from engine.labels import item_labels

        frame = result.per_item(corpus.ids, item_labels(corpus))
        (frame.write_parquet if args.out.endswith(".parquet") else frame.write_csv)(args.out)
        payload["out"] = args.out

    def human(p: dict[str, Any]) -> str:
        lines = [f"{p['name']} ({p['corpus_id']}): {p['n']:,} items, k={p['k']}, seed={p['seed']}"
                 + (" (stored)" if p["cache_hit"] else "")]
        for model, g in p["graphs"].items():
            lines.append(f"  {model}: {g['method']} kNN graph, recall@k {g['recall']:.3f}, "
                         f"{g['n_invalid']:,} items without a vector")
        for r in p["pairs"]:
            lines.append(f"  {r['pair']}: Jaccard@{p['k']} mean {r['mean_jaccard']:.3f} (median "
                         f"{r['median_jaccard']:.3f}, chance {r['chance_jaccard']:.4f}), RBO {r['mean_rbo']:.3f}, "
                         f"CKA {r['cka']:.3f}, similarity Spearman {r['similarity_spearman']:.3f} on "
                         f"{r['similarity_pairs']:,} pairs; {r['n_excluded']:,} items excluded")
        for t in p.get("translation", []):
            lines.append(f"  translate {t['model_a']} -> {t['model_b']}: {t['verdict']}")
        if "out" in p:
            lines.append(f"per-item table: {p['out']}")
        return "\n".join(lines)

    emit(args, payload, human)
    return 0


def cmd_neighbors(args: argparse.Namespace) -> int:
    from engine.cli.project import _corpus_and_embeddings
    from engine.compare import item_view
    from engine.compare import model_graphs
    from engine.errors import StoreError
    from engine.labels import item_labels

    store, corpus, embedded = _corpus_and_embeddings(args)
    row = corpus.id_rows.get(str(args.item))
    if row is None:
        raise StoreError(f"No item with id {args.item!r} in {corpus.name!r}. Ids are the corpus's `id` column.")
    spaces = {e.model_id: e for e in embedded}
    graphs = model_graphs(store, spaces, args.k, progress=stderr_progress("kNN graphs (per mille)"))
    view = item_view(graphs, {m: (e.vectors, e.valid) for m, e in spaces.items()}, row, ids=corpus.ids,
                     labels=item_labels(corpus), k=args.k)
    payload = {"corpus_id": corpus.corpus_id, "id": str(args.item), "row": row, "k": args.k,
               "text": corpus.texts[row], "models": {m: frame.to_dicts() for m, frame in view.items()}}

    def human(p: dict[str, Any]) -> str:
        lines = [f"{p['id']}: {p['text'][:100]}"]
        for model, rows in p["models"].items():
            lines.append(f"  {model}:")
            for r in rows:
                ranks = ", ".join(f"{k[8:]} #{v}" for k, v in r.items() if k.startswith("rank in "))
                lines.append(f"    {r['rank']:>3}. {r['similarity']:.3f} {'*' if r['shared'] else ' '} "
                             f"{r['label'][:70]}  ({ranks})")
        lines.append("  * = also among the other models' neighbours")
        return "\n".join(lines)

    emit(args, payload, human)
    return 0
