"""Map commands: ``project`` (UMAP / PCA layouts) and ``cluster`` (clusters with keyword labels).

Both write to the workspace store, so the app shows the result without recomputing::

    python -m engine project demo:lee-news --models minilm-l6,minilm-l3 --method umap
    python -m engine cluster demo:lee-news --models minilm-l6 --method kmeans --n-clusters 12 --json
"""
from __future__ import annotations

import argparse
import time
from typing import Any

from engine.cli import add_json_flag, emit, stderr_progress


def register(subparsers: argparse._SubParsersAction) -> None:
    from engine.project import DEFAULT_PARAMS

    p = subparsers.add_parser(
        "project",
        help="Compute 2-D/3-D map layouts (UMAP, PCA) and their default clusters, and store them.",
        description="Lay out a corpus's embeddings in 2-D or 3-D and store the layout (and, unless "
        "--no-cluster, the default HDBSCAN clusters with keyword labels) so the app's Map page "
        "opens instantly. Embeds the corpus first if a model has not been run on it yet.",
    )
    _add_common(p)
    p.add_argument("--method", default="umap", choices=["umap", "pca", "both"], help="Projection method.")
    p.add_argument("--dims", default="2", choices=["2", "3", "2,3"], help="Map dimensions.")
    p.add_argument("--n-neighbors", type=int, default=DEFAULT_PARAMS["n_neighbors"],
                   help="UMAP neighbourhood size (small: local detail; large: global shape).")
    p.add_argument("--min-dist", type=float, default=DEFAULT_PARAMS["min_dist"],
                   help="UMAP minimum distance between points (0 packs clusters tightly).")
    p.add_argument("--metric", default=DEFAULT_PARAMS["metric"], choices=["cosine", "euclidean"])
    p.add_argument("--seed", type=int, default=DEFAULT_PARAMS["seed"],
                   help="Random seed (makes UMAP reproducible and single-threaded); -1 for none.")
    p.add_argument("--recompute", action="store_true", help="Ignore stored layouts and compute again.")
    p.add_argument("--no-cluster", action="store_true", help="Do not compute the default clusters.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_project)

    p = subparsers.add_parser(
        "cluster",
        help="Cluster a corpus (HDBSCAN or k-means) and name clusters by their distinctive words.",
    )
    _add_common(p)
    p.add_argument("--method", default="hdbscan", choices=["hdbscan", "kmeans"])
    p.add_argument("--space", default="map", choices=["map", "pca", "embedding"],
                   help="Cluster on the 2-D UMAP map (default; computed if needed), a 50-D PCA, or the full vectors.")
    p.add_argument("--min-cluster-size", type=int, default=None, help="HDBSCAN smallest cluster (default ~1%% of rows).")
    p.add_argument("--n-clusters", type=int, default=8, help="k-means number of clusters.")
    p.add_argument("--seed", type=int, default=DEFAULT_PARAMS["seed"], help="Random seed.")
    add_json_flag(p)
    p.set_defaults(handler=cmd_cluster)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", help="A stored corpus id/name, demo:<id>, or a corpus file.")
    p.add_argument("--models", default="minilm-l6", help="Comma-separated model ids.")
    p.add_argument("--text-column", help="Column holding the text (files only).")
    p.add_argument("--format", choices=["csv", "tsv", "txt", "jsonl", "parquet"], help="Override the file format.")
    p.add_argument("--name", help="Display name (files only).")


def _corpus_and_embeddings(args: argparse.Namespace) -> tuple[Any, Any, list[Any]]:
    from engine.cli.core import _store, resolve_corpus
    from engine.embed import embed_corpus
    from engine.models import resolve_models

    store = _store()
    corpus, _ = resolve_corpus(args, store)
    embedded = [
        embed_corpus(corpus, spec, store=store, progress=stderr_progress(f"embedding {spec.display_name}")).embeddings
        for spec in resolve_models(args.models)
    ]
    return store, corpus, embedded


def cmd_project(args: argparse.Namespace) -> int:
    from engine.cluster import cluster_embeddings
    from engine.project import project, stored_projection

    started = time.perf_counter()
    store, corpus, embedded = _corpus_and_embeddings(args)
    methods = ["umap", "pca"] if args.method == "both" else [args.method]
    dims_list = [int(d) for d in args.dims.split(",")]
    seed = None if args.seed is not None and args.seed < 0 else args.seed
    results: list[dict[str, Any]] = []
    for embeddings in embedded:
        for method in methods:
            for dims in dims_list:
                request = {"method": method, "dims": dims, "n_neighbors": args.n_neighbors,
                           "min_dist": args.min_dist, "metric": args.metric, "seed": seed}
                cache_hit = not args.recompute and stored_projection(embeddings, store=store, **request) is not None
                projection = project(
                    embeddings, **request, store=store, recompute=args.recompute,
                    progress=stderr_progress(f"{method} {dims}-D {embeddings.model_id}"),
                )
                summary = projection.summary()
                summary["cache_hit"] = cache_hit
                if not args.no_cluster and dims == 2:
                    clustering = cluster_embeddings(embeddings, corpus.texts, projection=projection, store=store)
                    summary["clusters"] = {"n_clusters": len(clustering.clusters),
                                           "labels": [c.label for c in clustering.clusters[:12]]}
                results.append(summary)
    payload = {"corpus_id": corpus.corpus_id, "name": corpus.name, "rows": len(corpus), "projections": results,
               "total_seconds": round(time.perf_counter() - started, 3)}

    def human(p: dict[str, Any]) -> str:
        lines = [f"{p['name']} ({p['corpus_id']}): {p['rows']:,} rows"]
        for r in p["projections"]:
            q = r["quality"]
            quality = (f"trustworthiness {q['trustworthiness']:.3f}, {q['k']}-NN kept {q['knn_preservation']:.0%}"
                       if q else "quality not measurable")
            origin = "stored" if r["cache_hit"] else f"{r['seconds']:.1f} s"
            lines.append(f"  {r['model_id']} {r['method']} {r['dims']}-D ({origin}): {quality}")
            lines += [f"    note: {note}" for note in r["notes"]]
            if "clusters" in r:
                lines.append(f"    {r['clusters']['n_clusters']} clusters: {'; '.join(r['clusters']['labels'][:6])}")
        lines.append(f"total {p['total_seconds']:.2f} s")
        return "\n".join(lines)

    emit(args, payload, human)
    return 0


def cmd_cluster(args: argparse.Namespace) -> int:
    from engine.cluster import cluster_embeddings
    from engine.project import DEFAULT_PARAMS, project

    started = time.perf_counter()
    store, corpus, embedded = _corpus_and_embeddings(args)
    seed = None if args.seed is not None and args.seed < 0 else args.seed
    results = []
    for embeddings in embedded:
        projection = None
        if args.space == "map":
            projection = project(embeddings, store=store, **{**DEFAULT_PARAMS, "seed": seed})
        clustering = cluster_embeddings(
            embeddings, corpus.texts, method=args.method, space=args.space, projection=projection,
            min_cluster_size=args.min_cluster_size, n_clusters=args.n_clusters, seed=seed, store=store,
        )
        summary = clustering.summary()
        texts = corpus.texts
        for info in summary["clusters"]:
            info["example_texts"] = [texts[i] for i in info["examples"]]
        results.append(summary)
    payload = {"corpus_id": corpus.corpus_id, "name": corpus.name, "rows": len(corpus), "clusterings": results,
               "total_seconds": round(time.perf_counter() - started, 3)}

    def human(p: dict[str, Any]) -> str:
        lines = [f"{p['name']} ({p['corpus_id']}): {p['rows']:,} rows"]
        for r in p["clusterings"]:
            lines.append(f"  {r['model_id']} {r['method']} on {r['space']}: {r['n_clusters']} clusters, "
                         f"{r['n_unclustered']:,} unclustered")
            for c in r["clusters"]:
                lines.append(f"    {c['cluster']:>3} {c['size']:>6,}  {c['label']}")
            lines += [f"    note: {note}" for note in r["notes"]]
        lines.append(f"total {p['total_seconds']:.2f} s")
        return "\n".join(lines)

    emit(args, payload, human)
    return 0
