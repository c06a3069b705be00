"""One comparison of several models on one corpus: graphs, per-item agreement, matrices; stored.

:func:`compare_models` is what the page and ``python -m engine compare`` call. Its result is
stored under ``corpora/<id>/compare/<key>`` (JSON summary + one ``.npy`` per measure), keyed by a
hash of the kNN graph keys (which cover model revisions and a fingerprint of the vectors), k,
the seed, RBO's p and the sample sizes, so a second run with the same inputs is a cache hit.
"""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import combinations
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from engine.compare.agreement import DEFAULT_P, PairAgreement, chance, graph_valid, pair_agreement, pair_label
from engine.compare.similarity import CKA_SAMPLE, SIMILARITY_PAIRS, cka, similarity_correlation
from engine.knn import KnnError, KnnGraph, KnnMethod, knn_graph, stored_graph
from engine.types import ID_COLUMN, Corpus, Embeddings

if TYPE_CHECKING:
    from engine.store import Store

NAMESPACE = "compare"
MEASURES = ("jaccard", "rbo", "overlap")
MATRICES = {
    "mean_jaccard": "Mean Jaccard@k",
    "retrieval_agreement": "Top-k retrieval agreement (overlap@k, every item as a query)",
    "cka": "Linear CKA",
    "spearman": "Spearman of pairwise cosine similarities",
}
_VERSION = 1  # bump when what is stored changes
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True, eq=False)
class Comparison:
    """Everything the Compare page and CLI show for a set of models on one corpus.

    Attributes:
        corpus_id: The corpus.
        models: The models compared, in order.
        k: Neighbours per item.
        seed: Seed of every sample (CKA rows, similarity pairs, HNSW recall samples).
        rbo_p: RBO persistence.
        measures: measure -> pair label -> (n,) float64 per-item values (NaN = excluded).
        pairs: One JSON-ready summary per pair (agreement, chance, CKA, correlation, samples).
        matrices: name -> (m, m) model-by-model matrix (diagonal 1).
        graphs: model id -> kNN graph summary (method, recall, invalid rows, seconds).
        n: Rows in the corpus.
        key: Store key; loaded: True when read from the store.
    """

    corpus_id: str
    models: tuple[str, ...]
    k: int
    seed: int
    rbo_p: float
    measures: dict[str, dict[str, np.ndarray]]
    pairs: list[dict[str, Any]]
    matrices: dict[str, np.ndarray]
    graphs: dict[str, dict[str, Any]]
    n: int
    key: str = ""
    loaded: bool = False
    seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def pair_labels(self) -> list[str]:
        return [p["pair"] for p in self.pairs]

    def per_item(self, ids: Sequence[str], labels: Sequence[str] | None = None) -> pl.DataFrame:
        """``row, id, [label], <measure>: <pair>…, [mean jaccard]`` (one row per corpus item)."""
        columns: dict[str, Any] = {"row": np.arange(self.n), ID_COLUMN: [str(i) for i in ids]}
        if labels is not None:
            columns["label"] = list(labels)
        for measure in MEASURES:
            for pair, values in self.measures[measure].items():
                columns[f"{measure}: {pair}"] = values
        frame = pl.DataFrame(columns).with_columns(pl.col(pl.Float64).fill_nan(None))
        if len(self.pairs) > 1:
            jaccard = [f"jaccard: {p}" for p in self.pair_labels]
            frame = frame.with_columns(pl.mean_horizontal(jaccard).alias("mean jaccard"))
        return frame

    def matrix_frame(self, name: str) -> pl.DataFrame:
        """A matrix as a frame: ``model`` column + one column per model."""
        values = self.matrices[name]
        return pl.DataFrame({"model": list(self.models), **{m: values[:, i] for i, m in enumerate(self.models)}})

    def summary(self) -> dict[str, Any]:
        """JSON-ready (CLI ``--json``)."""
        return {"corpus_id": self.corpus_id, "models": list(self.models), "k": self.k, "seed": self.seed,
                "rbo_p": self.rbo_p, "n": self.n, "pairs": self.pairs, "graphs": self.graphs,
                "matrices": {name: _jsonable(values) for name, values in self.matrices.items()},
                "params": self.params, "key": self.key, "seconds": round(self.seconds, 3)}


def _jsonable(matrix: np.ndarray) -> list[list[float | None]]:
    return [[None if not np.isfinite(v) else float(v) for v in row] for row in np.asarray(matrix)]


def comparison_key(graph_keys: Sequence[str], k: int, seed: int, p: float, params: Mapping[str, Any]) -> str:
    recipe = {"graphs": list(graph_keys), "k": k, "seed": seed, "p": p, "params": dict(params), "version": _VERSION}
    return "cmp-" + hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def _params(cka_sample: int, similarity_pairs: int, method: str) -> dict[str, Any]:
    return {"cka_sample": cka_sample, "similarity_pairs": similarity_pairs, "method": method}


def stored_comparison(store: "Store", corpus: Corpus, embeddings: Mapping[str, Embeddings], *, k: int = 10,
                      seed: int = 0, p: float = DEFAULT_P, cka_sample: int = CKA_SAMPLE,
                      similarity_pairs: int = SIMILARITY_PAIRS, method: KnnMethod = "auto") -> Comparison | None:
    """The stored result of :func:`compare_models` for these arguments, or None (never computes; cheap)."""
    graphs = [stored_graph(store, corpus.corpus_id, e, k, method=method, seed=seed) for e in embeddings.values()]
    if any(g is None for g in graphs):  # a comparison is stored only after its graphs
        return None
    key = comparison_key([g.key for g in graphs], k, seed, p, _params(cka_sample, similarity_pairs, method))
    return load_comparison(store, corpus.corpus_id, key)


def _staged(progress: Progress | None, stage: int, stages: int) -> Progress | None:
    """A callback that maps one stage's (done, total) into the whole run's 0..1000."""
    if progress is None:
        return None

    def update(done: int, total: int) -> None:
        fraction = (stage + (done / total if total else 1.0)) / stages
        progress(int(round(1000 * min(fraction, 1.0))), 1000)

    return update


def model_graphs(store: "Store | None", embeddings: Mapping[str, Embeddings], k: int, *, seed: int = 0,
                 method: KnnMethod = "auto", progress: Progress | None = None,
                 stages: tuple[int, int] | None = None) -> dict[str, KnnGraph]:
    """The stored kNN graph of every model (computed once per corpus, model and k)."""
    first, total = stages or (0, len(embeddings))
    return {model: knn_graph(store, e.corpus_id, e, k, _staged(progress, first + i, total), method=method, seed=seed)
            for i, (model, e) in enumerate(embeddings.items())}


def compare_models(
    store: "Store | None",
    corpus: Corpus,
    embeddings: Mapping[str, Embeddings],
    *,
    k: int = 10,
    seed: int = 0,
    p: float = DEFAULT_P,
    cka_sample: int = CKA_SAMPLE,
    similarity_pairs: int = SIMILARITY_PAIRS,
    method: KnnMethod = "auto",
    progress: Progress | None = None,
) -> Comparison:
    """Compare two or more models' views of one corpus (stored; a second call is a cache hit).

    Args:
        store: The workspace (None: compute without storing).
        corpus: The corpus.
        embeddings: model id -> that model's embeddings of ``corpus`` (two or more).
        k: Neighbours per item.
        seed: Seed of every sample.
        p: RBO persistence.
        cka_sample: Rows used for CKA (a seeded sample beyond this).
        similarity_pairs: Item pairs for the Spearman correlation of cosine similarities.
        method: kNN graph method (``auto``: exact below ``engine.knn.EXACT_MAX_ROWS`` rows, else clustered).
        progress: Optional ``(done, total)`` callback (0..1000 over the whole run).

    Raises:
        KnnError: Fewer than two models, embeddings of another corpus, or k out of range.
    """
    models = tuple(embeddings)
    if len(models) < 2:
        raise KnnError("Pick at least two models to compare.")
    for model, e in embeddings.items():
        if e.corpus_id != corpus.corpus_id or e.n != len(corpus):
            raise KnnError(f"The {model!r} embeddings are not of this corpus; embed it with that model first.")
    started = time.perf_counter()
    pairs = list(combinations(models, 2))
    stages = len(models) + 1
    graphs = model_graphs(store, embeddings, k, seed=seed, method=method, progress=progress,
                          stages=(0, stages))
    params = _params(cka_sample, similarity_pairs, method)
    key = comparison_key([g.key or g.model_id for g in graphs.values()], k, seed, p, params)
    if store is not None:
        stored = load_comparison(store, corpus.corpus_id, key)
        if stored is not None:
            if progress:
                progress(1000, 1000)
            return stored
    measures: dict[str, dict[str, np.ndarray]] = {m: {} for m in MEASURES}
    summaries = []
    index = {m: i for i, m in enumerate(models)}
    matrices = {name: np.eye(len(models)) for name in MATRICES}
    finish = _staged(progress, len(models), stages)
    for done, (a, b) in enumerate(pairs):
        agreement = pair_agreement(graphs[a], graphs[b], k=k, p=p)
        shared = graph_valid(graphs[a]) & graph_valid(graphs[b])
        for measure in MEASURES:
            measures[measure][agreement.label] = np.asarray(getattr(agreement, measure))
        summary = {"pair": agreement.label, **agreement.summary()}
        summary.update({f"cka_{name}" if name != "cka" else name: value for name, value in
                        cka(embeddings[a].vectors, embeddings[b].vectors, shared, sample=cka_sample, seed=seed).items()})
        correlation = similarity_correlation(embeddings[a].vectors, embeddings[b].vectors, shared,
                                             n_pairs=similarity_pairs, seed=seed)
        summary.update({"similarity_spearman": correlation["spearman"], "similarity_pairs": correlation["n_pairs"]})
        summaries.append(summary)
        i, j = index[a], index[b]
        for name, value in (("mean_jaccard", summary["mean_jaccard"]), ("retrieval_agreement", summary["mean_overlap"]),
                            ("cka", summary["cka"]), ("spearman", summary["similarity_spearman"])):
            matrices[name][i, j] = matrices[name][j, i] = np.nan if value is None else value
        if finish:
            finish(done + 1, len(pairs))
    result = Comparison(corpus_id=corpus.corpus_id, models=models, k=k, seed=seed, rbo_p=p, measures=measures,
                        pairs=summaries, matrices=matrices, graphs={m: g.summary() for m, g in graphs.items()},
                        n=len(corpus), key=key if store is not None else "", seconds=time.perf_counter() - started,
                        params=params)
    if store is not None:
        save_comparison(store, result)
    return result


def save_comparison(store: "Store", comparison: Comparison) -> None:
    """Arrays first, the JSON summary last (a reader that finds the JSON finds the arrays)."""
    cid, key = comparison.corpus_id, comparison.key
    for measure in MEASURES:
        stacked = np.column_stack([comparison.measures[measure][p] for p in comparison.pair_labels])
        store.save_array(cid, NAMESPACE, f"{key}.{measure}", stacked)
    store.save_json(cid, NAMESPACE, key, comparison.summary())


def load_comparison(store: "Store", corpus_id: str, key: str) -> Comparison | None:
    summary = store.load_json(corpus_id, NAMESPACE, key)
    if summary is None:
        return None
    labels = [p["pair"] for p in summary["pairs"]]
    measures: dict[str, dict[str, np.ndarray]] = {}
    for measure in MEASURES:
        stacked = store.load_array(corpus_id, NAMESPACE, f"{key}.{measure}", mmap=False)
        if stacked is None:
            return None
        measures[measure] = {label: stacked[:, i] for i, label in enumerate(labels)}
    matrices = {name: np.array([[np.nan if v is None else v for v in row] for row in values], dtype=np.float64)
                for name, values in summary["matrices"].items()}
    return Comparison(corpus_id=corpus_id, models=tuple(summary["models"]), k=int(summary["k"]),
                      seed=int(summary["seed"]), rbo_p=float(summary["rbo_p"]), measures=measures,
                      pairs=summary["pairs"], matrices=matrices, graphs=summary["graphs"], n=int(summary["n"]),
                      key=key, loaded=True, seconds=float(summary.get("seconds", 0.0)),
                      params=summary.get("params", {}))


def extremes(frame: pl.DataFrame, column: str, *, n: int = 20, most: bool = False) -> pl.DataFrame:
    """The ``n`` rows agreeing least (or ``most``) on ``column``, ties by row; excluded rows left out."""
    kept = frame.filter(pl.col(column).is_not_null())
    return kept.sort([column, "row"], descending=[most, False]).head(n)


def chance_lines(comparison: Comparison) -> dict[str, tuple[float, float, float]]:
    """pair label -> (Jaccard, overlap, RBO) chance values for that pair's shared rows."""
    return {p["pair"]: chance(p["n_shared"] - 1, comparison.k, comparison.rbo_p) for p in comparison.pairs}
