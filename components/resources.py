"""Streamlit caching around engine calls: the only module that uses ``st.cache_*``.

Wrappers take ids, numbers and small frozen specs, never arrays or models: Streamlit hashes
big arrays from a sample, so two different matrices of one shape could share a key. Nothing
here draws (progress is drawn by pages through engine callbacks).
"""
from __future__ import annotations

from typing import Any

import streamlit as st

from engine import jobs
from engine.config import Settings
from engine.store import Store
from engine.types import Corpus, Embeddings

# Hosted demo (issue 12): every cache is bounded in entries, and in demo mode entries also expire
# (``EMBEDSCAPE_CACHE_TTL_SECONDS``), so a crowd of visitors cannot grow the process without bound.
_TTL = Settings.from_env().cache_ttl_seconds or None


@st.cache_resource(show_spinner=False, max_entries=1)
def workspace() -> Store:
    """The whole workspace (``EMBEDSCAPE_HOME`` or the user cache dir)."""
    return Store.open_default()


def store() -> Store:
    """The workspace as this visitor sees it: all of it locally, demo corpora + their own in demo mode."""
    from components.visitor import scoped

    return scoped(workspace())


def _allowed(model_id: str) -> str:
    """Demo mode: only allow-listed models load (engine.visitors.allowed_model)."""
    from engine.visitors import allowed_model

    allowed_model(model_id, Settings.from_env())
    return model_id


@st.cache_resource(show_spinner=False, max_entries=8, ttl=_TTL)
def _stored_corpus(corpus_id: str) -> Corpus:
    return store().load_corpus(corpus_id)


def corpus(corpus_id: str) -> Corpus:
    """A stored corpus; shared, read-only. Its content is keyed by its hash; its name is this visitor's
    (two demo visitors who upload the same file see their own names, never each other's)."""
    import dataclasses

    name = store().manifest(corpus_id)["name"]  # raises unless the corpus is in this visitor's scope
    loaded = _stored_corpus(corpus_id)
    return loaded if loaded.name == name else dataclasses.replace(loaded, name=name)


def manifest(corpus_id: str) -> dict[str, Any]:
    """Not cached: it changes as models are embedded, and reading it is cheap."""
    return store().manifest(corpus_id)


def embedded_model_ids(corpus_id: str) -> list[str]:
    return list(manifest(corpus_id).get("embeddings", {}))


@st.cache_resource(show_spinner="Loading model…", max_entries=6, ttl=_TTL)
def encoder(model_id: str) -> Any:
    """A pretrained encoder, loaded and warmed once per process."""
    from engine.models import load_encoder, resolve_model

    return load_encoder(resolve_model(_allowed(model_id)), models_dir=workspace().models_dir)


@st.cache_resource(show_spinner=False, max_entries=16, ttl=_TTL)
def embeddings(corpus_id: str, model_id: str) -> Embeddings:
    """Stored vectors (memory-mapped, read-only). Raises StoreError if not embedded yet."""
    from engine.embed import load_embeddings

    return load_embeddings(corpus_id, model_id, store=store())


def clear_corpus_caches() -> None:
    """After a delete: drop cached corpora and embeddings so nothing stale is served."""
    _stored_corpus.clear()
    embeddings.clear()
    index.clear()  # Search
    bm25.clear()  # Search


@st.cache_resource(show_spinner="Reading the file…", max_entries=1, ttl=_TTL, scope="session")
def raw_table(data: bytes, filename: str) -> Any:
    """A parsed upload (engine.corpus.RawTable), kept while the user picks the text column.

    Session-scoped, one entry: a closed tab or the next upload releases the parsed table.
    """
    from engine.corpus import read_table

    return read_table(data, filename=filename)


# -- Search (engine.index, engine.search) ----------------------------------------------------------
@st.cache_resource(show_spinner="Building the search index…", max_entries=8, ttl=_TTL)
def index(corpus_id: str, model_id: str) -> Any:
    """The corpus's search index in one model (engine.index.SearchIndex); shared, never mutated.

    Exact below the size threshold; HNSW above it, read from the store when it was built before.
    """
    from engine.index import build_index

    vectors = embeddings(corpus_id, model_id)  # other caches first: a queued job never waits on a cache lock
    with jobs.heavy("Building the search index"):
        return build_index(vectors, store=store())


@st.cache_resource(show_spinner="Indexing keywords (BM25)…", max_entries=4, ttl=_TTL)
def bm25(corpus_id: str) -> Any:
    """The corpus's BM25 keyword index (engine.search.BM25Index); shared, never mutated."""
    from engine.search import build_bm25

    loaded = corpus(corpus_id)
    with jobs.heavy("Indexing keywords"):
        return build_bm25(loaded)


@st.cache_resource(show_spinner="Indexing the model's vocabulary…", max_entries=2, ttl=_TTL)
def vocabulary(model_id: str) -> Any:
    """A word model's whole vocabulary as a searchable space (engine.search.Vocabulary)."""
    from engine.search import build_vocabulary

    return build_vocabulary(encoder(model_id), model_id=model_id)


# -- Bias (engine.bias: directions, WEAT, debias preview) --------------------------------------------
# ``lexical_corpus_id`` is only set for the TF-IDF baseline, whose vocabulary is fitted per corpus;
# word and sentence models share one embedder per (model, templates) across corpora.
@st.cache_resource(show_spinner=False, max_entries=8, ttl=_TTL)  # cheap: the model loads on first use (page status)
def bias_embedder(model_id: str, templates: tuple[str, ...], lexical_corpus_id: str | None) -> Any:
    """An engine.bias.WordEmbedder (thread-safe, remembers words it has embedded)."""
    from engine.bias import WordEmbedder

    lexical = corpus(lexical_corpus_id) if lexical_corpus_id else None
    return WordEmbedder(_allowed(model_id), store=store(), templates=templates, corpus=lexical)


@st.cache_resource(show_spinner="Embedding a reference vocabulary of frequent words…", max_entries=8, ttl=_TTL)
def bias_vocabulary(model_id: str, templates: tuple[str, ...], lexical_corpus_id: str | None, size: int) -> Any:
    """Frequent words in the model's space (baselines, neighbours, the clustering check); read-only."""
    return bias_embedder(model_id, templates, lexical_corpus_id).vocabulary(size)


@st.cache_data(show_spinner="Finding the direction…", max_entries=32, ttl=_TTL)
def bias_direction(model_id: str, templates: tuple[str, ...], lexical_corpus_id: str | None, spec: Any) -> Any:
    """engine.bias.direction_report for a DirectionSpec (a small frozen dataclass)."""
    from engine.bias import direction_report

    pool = bias_vocabulary(model_id, templates, lexical_corpus_id, spec.pool_size)
    return direction_report(bias_embedder(model_id, templates, lexical_corpus_id), spec, pool=pool)


@st.cache_resource(show_spinner="Ranking the corpus along the direction…", max_entries=16, ttl=_TTL)
def bias_corpus_ranking(corpus_id: str, model_id: str, templates: tuple[str, ...], lexical_corpus_id: str | None,
                        spec: Any) -> Any:
    """engine.axes.Ranking of the corpus along the direction (a bias direction is a plain axis); read-only."""
    from engine.axes import rank

    report = bias_direction(model_id, templates, lexical_corpus_id, spec)
    return rank(report.direction.axis, embeddings(corpus_id, model_id))


@st.cache_data(show_spinner="Running WEAT…", max_entries=64, ttl=_TTL)
def bias_weat(model_id: str, templates: tuple[str, ...], lexical_corpus_id: str | None, query: Any,
              n_permutations: int, seed: int) -> Any:
    """engine.bias.run_weat for a WeatQuery (a small frozen dataclass)."""
    from engine.bias import run_weat

    embedder = bias_embedder(model_id, templates, lexical_corpus_id)
    return run_weat(embedder, query, n_permutations=n_permutations, seed=seed)


@st.cache_data(show_spinner="Running every bundled WEAT…", max_entries=16, ttl=_TTL)
def bias_weat_all(model_id: str, templates: tuple[str, ...], lexical_corpus_id: str | None,
                  n_permutations: int, seed: int) -> Any:
    """Every bundled WEAT test: a list of (test_id, WeatResult or the error message)."""
    from engine.bias import WEAT_TESTS, run_classic_weat
    from engine.errors import BiasError

    embedder = bias_embedder(model_id, templates, lexical_corpus_id)
    out: list[tuple[str, Any]] = []
    for test_id in WEAT_TESTS:
        try:
            out.append((test_id, run_classic_weat(embedder, test_id, n_permutations=n_permutations, seed=seed)))
        except BiasError as exc:
            out.append((test_id, str(exc)))
    return out


@st.cache_data(show_spinner="Debiasing a copy of the vocabulary…", max_entries=8, ttl=_TTL)
def bias_debias(model_id: str, templates: tuple[str, ...], lexical_corpus_id: str | None, spec: Any) -> Any:
    """engine.bias.debias_preview for a DebiasSpec; the shared vectors are never modified."""
    from engine.bias import debias_preview

    pool = bias_vocabulary(model_id, templates, lexical_corpus_id, spec.pool_size)
    return debias_preview(bias_embedder(model_id, templates, lexical_corpus_id), spec, pool=pool)


# -- Map (projections, clusters, neighbours) -------------------------------------------------------
@st.cache_resource(show_spinner=False, max_entries=16, ttl=_TTL)
def projection(corpus_id: str, model_id: str, spec: Any) -> Any:
    """engine.project.project for a ProjectionSpec: loaded from the store if computed before
    (by the app or `python -m engine project`), else computed and stored. Shared, read-only."""
    from engine.project import project
    from engine.project import stored_projection as find

    vectors = embeddings(corpus_id, model_id)
    stored = find(vectors, store=store(), **spec.kwargs())
    if stored is not None:  # a precomputed map never waits in the queue
        return stored
    with jobs.heavy("Building the map"):
        return project(vectors, **spec.kwargs(), store=store())


def compute_projection(corpus_id: str, model_id: str, spec: Any, *, phase: Any = None) -> Any:
    """Compute and store a layout, reporting each step to ``phase(line)`` (not cached: the next
    ``projection`` call loads it from the store in milliseconds). For a status box above the map."""
    from engine.project import project

    return project(embeddings(corpus_id, model_id), **spec.kwargs(), store=store(), phase=phase)


def stored_projection(corpus_id: str, model_id: str, spec: Any) -> Any:
    """The stored layout for a ProjectionSpec or None; never computes (cheap: reads one JSON)."""
    from engine.project import stored_projection as find

    return find(embeddings(corpus_id, model_id), store=store(), **spec.kwargs())


@st.cache_resource(show_spinner=False, max_entries=16, ttl=_TTL)
def clusters(corpus_id: str, model_id: str, spec: Any, projection_spec: Any) -> Any:
    """engine.cluster.cluster_embeddings for a ClusterSpec (on the map of ``projection_spec`` when
    its space is "map"); stored in the workspace, shared, read-only."""
    from engine.cluster import cluster_embeddings

    layout = projection(corpus_id, model_id, projection_spec) if spec.space == "map" else None
    vectors, texts = embeddings(corpus_id, model_id), corpus(corpus_id).texts
    with jobs.heavy("Finding clusters"):
        return cluster_embeddings(vectors, texts, projection=layout, **spec.kwargs(), store=store())


@st.cache_resource(show_spinner=False, max_entries=8, ttl=_TTL)
def _curated_clustering(corpus_id: str, name: str, stamp: str) -> Any:
    from engine.curation import to_clustering
    from engine.itemsets import load_named_clustering

    named = load_named_clustering(store(), corpus_id, name)
    with jobs.heavy("Naming the curated clusters"):
        return to_clustering(named, embeddings(corpus_id, named.model_id), corpus(corpus_id).texts)


def curated_clustering(corpus_id: str, name: str) -> Any:
    """A stored named clustering (engine.itemsets) drawn as an engine.cluster.Clustering; keyed by
    the visitor's scope and the file's modification time, so a curation step shows at once."""
    from engine.itemsets import clustering_stamp

    scope = getattr(store(), "key", "")  # demo mode: visitors may name their clusterings alike
    return _curated_clustering(corpus_id, name, f"{scope}:{clustering_stamp(store(), corpus_id, name)}")


@st.cache_data(show_spinner=False, max_entries=256, ttl=_TTL)
def neighbors(corpus_id: str, model_id: str, row: int, k: int) -> tuple[list[int], list[float]]:
    """Exact cosine neighbours of one row in the full embedding space: (rows, similarities)."""
    from engine.project import nearest_neighbors

    rows, similarities = nearest_neighbors(embeddings(corpus_id, model_id), row, k=k)
    return rows.tolist(), similarities.tolist()


# -- Axes (engine.axes: rankable axes) -------------------------------------------------------------
# Axes are keyed by their recipe as canonical JSON (``axis_recipe_json``): a small string, so equal
# recipes share a cache entry and no array is ever hashed. Values are read-only and shared.
def axis_recipe_json(recipe: Any) -> str:
    """The cache key of an axis recipe (a typed recipe or its dict): canonical JSON."""
    from engine.axes import recipe_json

    return recipe_json(recipe)


@st.cache_data(show_spinner=False, max_entries=1, ttl=_TTL)
def axis_presets() -> list[Any]:
    """The bundled axis presets (engine.axes.AxisPreset: a ``poles`` recipe + description)."""
    from engine.axes import load_presets

    return load_presets()


@st.cache_resource(show_spinner="Fitting the axis…", max_entries=64, ttl=_TTL)
def axis_fit(corpus_id: str, model_id: str, recipe_json: str) -> Any:
    """engine.axes.AxisFit for a recipe in one model (pole texts are embedded once, here)."""
    import json

    from engine.axes import fit_axis_from_recipe

    return fit_axis_from_recipe(json.loads(recipe_json), model_id, store=store(), corpus=corpus(corpus_id),
                                embeddings=embeddings(corpus_id, model_id))


@st.cache_resource(show_spinner=False, max_entries=64, ttl=_TTL)
def axis_ranking(corpus_id: str, model_id: str, recipe_json: str) -> Any:
    """engine.axes.Ranking of every item along the recipe's axis in one model."""
    from engine.axes import rank

    return rank(axis_fit(corpus_id, model_id, recipe_json).axis, embeddings(corpus_id, model_id))


@st.cache_resource(show_spinner="Bootstrapping the poles for the stability band…", max_entries=16, ttl=_TTL)
def axis_band(corpus_id: str, model_id: str, recipe_json: str, n_resamples: int) -> Any:
    """engine.axes.StabilityBand: each item's 5-95% rank interval over pole resamples."""
    from engine.axes import stability_band

    band = stability_band(axis_fit(corpus_id, model_id, recipe_json), embeddings(corpus_id, model_id),
                          n_resamples=n_resamples)
    _bands_built[(corpus_id, model_id, recipe_json, n_resamples)] = None
    while len(_bands_built) > _BANDS_REMEMBERED:
        _bands_built.pop(next(iter(_bands_built)), None)
    return band


# Which bands this process has built (insertion-ordered, bounded), so the Axes page can show a new
# axis's ranking before its band (issue 15 §1: at 100k items the band is seconds of resampling, the
# ranking tens of milliseconds). An evicted cache entry only means the band is computed inline again.
_bands_built: dict[tuple[str, str, str, int], None] = {}
_BANDS_REMEMBERED = 256


def axis_band_built(corpus_id: str, model_id: str, recipe_json: str, n_resamples: int) -> bool:
    """True when :func:`axis_band` has already run for these arguments in this process."""
    return (corpus_id, model_id, recipe_json, n_resamples) in _bands_built


def axis_band_plan(corpus_id: str, model_id: str, recipe_json: str, n_resamples: int) -> Any:
    """engine.axes.BandPlan: the resamples this axis's band may use under the probe caps, and why."""
    from engine.axes import band_plan

    return band_plan(axis_fit(corpus_id, model_id, recipe_json), n_resamples)


@st.cache_data(show_spinner="Fitting probes on few and on all labelled items…", max_entries=32, ttl=_TTL)
def axis_few_vs_all(corpus_id: str, model_id: str, column: str, k: int) -> dict[str, Any]:
    """engine.axes.few_vs_all_rankability for a numeric column (held-out Spearman, k vs all)."""
    from engine.axes import few_vs_all_rankability

    return few_vs_all_rankability(embeddings(corpus_id, model_id), corpus(corpus_id).frame[column],
                                  column=column, k=k)


@st.cache_resource(show_spinner="Rebuilding the axis in each model…", max_entries=16, ttl=_TTL)
def axis_comparison(corpus_id: str, model_ids: tuple[str, ...], recipe_json: str, top: int) -> dict[str, Any]:
    """engine.axes.compare_rankings of one recipe rebuilt in each model (read-only result)."""
    from engine.axes import compare_rankings

    rankings = [axis_ranking(corpus_id, model_id, recipe_json) for model_id in model_ids]
    return compare_rankings(rankings, ids=corpus(corpus_id).ids, top=top)


def saved_axes(corpus_id: str) -> list[dict[str, Any]]:
    """Axes saved for a corpus (not cached: reading a few small JSON files is cheap)."""
    from engine.axes import list_axes

    return list_axes(store(), corpus_id)


def save_axis(corpus_id: str, model_id: str, recipe_json: str, name: str) -> str:
    """Save the recipe's axis (recipe + this model's direction) under ``name``; returns its key."""
    from engine.axes import save_axis as save

    return save(store(), corpus_id, axis_fit(corpus_id, model_id, recipe_json), name=name)


def delete_axis(corpus_id: str, name_or_key: str) -> None:
    from engine.axes import delete_axis as delete

    delete(store(), corpus_id, name_or_key)


@st.cache_data(show_spinner=False, max_entries=16, ttl=_TTL)
def numeric_axis_columns(corpus_id: str) -> list[str]:
    """Metadata columns an axis can be checked against (numeric/boolean, two or more values)."""
    from engine.axes import numeric_columns

    return numeric_columns(corpus(corpus_id))


@st.cache_resource(show_spinner=False, max_entries=16, ttl=_TTL)
def axis_ranked_frame(corpus_id: str, model_id: str, recipe_json: str, n_resamples: int) -> Any:
    """rank | id | text | score | (rank_low, rank_high when n_resamples > 0) | metadata, best first."""
    from engine.axes import ranked_frame

    band = axis_band(corpus_id, model_id, recipe_json, n_resamples) if n_resamples else None
    return ranked_frame(corpus(corpus_id), axis_ranking(corpus_id, model_id, recipe_json), band=band)


@st.cache_data(show_spinner=False, max_entries=64, ttl=_TTL)
def axis_rankability(corpus_id: str, model_id: str, recipe_json: str, column: str) -> dict[str, Any]:
    """Spearman between the axis scores and a numeric column (engine.axes.rankability)."""
    from engine.axes import rankability

    ranking = axis_ranking(corpus_id, model_id, recipe_json)
    return rankability(ranking.scores, corpus(corpus_id).frame[column], column=column,
                       valid=ranking.valid).as_dict()


def second_axis_choices(corpus_id: str) -> dict[str, str]:
    """Axes offered for the y axis of the two-axis scatter: ``{"preset:<name>" | "saved:<key>": label}``."""
    choices = {f"preset:{p.name}": f"{p.name} (preset)" for p in axis_presets()}
    choices.update({f"saved:{r['key']}": f"{r['name']} (saved)" for r in saved_axes(corpus_id)})
    return choices


def second_axis_recipe_json(corpus_id: str, choice: str) -> str:
    """The recipe JSON behind a :func:`second_axis_choices` key."""
    from engine.axes import find_preset, recipe_for_saved, saved_axis

    kind, _, name = choice.partition(":")
    if kind == "saved":
        return axis_recipe_json(recipe_for_saved(saved_axis(store(), corpus_id, name)))
    return axis_recipe_json(find_preset(axis_presets(), name).recipe)


@st.cache_data(max_entries=16, show_spinner=False, ttl=_TTL)
def item_labels(corpus_id: str, label_column: str | None, max_chars: int = 80) -> tuple[str, ...]:
    """Plain-text label per row (label column, else the start of the text); escape per context."""
    from engine.labels import item_labels as _labels

    return tuple(_labels(corpus(corpus_id), label_column, max_chars=max_chars))


# -- geometry (engine.geometry): ids in, stored reports out; nothing here draws ------------------------
@st.cache_resource(show_spinner="Computing the geometry figures…", max_entries=16, ttl=_TTL)
def geometry_report(corpus_id: str, model_id: str) -> Any:
    """Every geometry figure for one model (stored by content hash; computed here if not stored)."""
    from engine.geometry import geometry_report as _report

    return _report(store(), corpus_id, embeddings(corpus_id, model_id))


def compute_geometry_report(corpus_id: str, model_id: str, progress: Any) -> None:
    """Compute and store the report with a progress callback (not cached: the page draws the bar,
    and a cached function may not touch elements made outside it); then read it through
    :func:`geometry_report`."""
    from engine.geometry import geometry_report as _report

    _report(store(), corpus_id, embeddings(corpus_id, model_id), progress=progress)


def geometry_report_stored(corpus_id: str, model_id: str) -> bool:
    """True when the report is on disk (the page then needs no progress bar)."""
    from engine.geometry import load_report

    return load_report(store(), corpus_id, embeddings(corpus_id, model_id)) is not None


@st.cache_resource(show_spinner="Scoring every item against the topics…", max_entries=16, ttl=_TTL)
def geometry_topics(corpus_id: str, model_id: str, topics_json: str, threshold: float, refine: bool) -> Any:
    """Keyword topics (engine.geometry.topics); ``topics_json`` = JSON {name: [keywords]} in the user's order."""
    import json

    from engine.embed import embed_queries
    from engine.geometry import keyword_topics

    emb = embeddings(corpus_id, model_id)
    the_corpus = corpus(corpus_id)

    def embed(texts: list[str]) -> Any:
        return embed_queries(texts, model_id, store=store(), corpus=the_corpus)

    return keyword_topics(json.loads(topics_json), emb.vectors, emb.valid, embed, threshold=threshold, refine=refine)


@st.cache_resource(show_spinner="Running the shift tests…", max_entries=16, ttl=_TTL)
def geometry_shift(corpus_id: str, model_id: str, group_ids: tuple[str, ...], reference: tuple[str, ...] | str,
                   reference_corpus_id: str | None, permutations: int) -> Any:
    """Depth rank-sum + permutation test of the items ``group_ids`` against ``reference``: ids of this
    corpus, ``"rest"`` (every other valid item), or every item of ``reference_corpus_id``."""
    import numpy as np

    from engine.geometry import shift_test
    from engine.vectors import rows_of

    emb = embeddings(corpus_id, model_id)
    lookup = corpus(corpus_id).id_rows
    valid = np.asarray(emb.valid)
    group_rows = np.array([r for r in rows_of(lookup, group_ids)[0] if valid[r]], dtype=np.int64)
    if reference_corpus_id is not None:
        other = embeddings(reference_corpus_id, model_id)
        reference_vectors = np.asarray(other.vectors)[np.asarray(other.valid)]
    elif reference == "rest":
        mask = valid.copy()
        mask[group_rows] = False
        reference_vectors = np.asarray(emb.vectors)[mask]
    else:
        rows = np.array([r for r in rows_of(lookup, reference)[0] if valid[r]], dtype=np.int64)
        reference_vectors = np.asarray(emb.vectors)[rows]
    return shift_test(reference_vectors, np.asarray(emb.vectors)[group_rows], permutations=permutations)
# -- Compare (engine.knn, engine.compare) -----------------------------------------------------------
# Keyed by ids, the model tuple and numbers; ``_progress`` (an engine callback drawn by the page) is
# left out of the hash. kNN graphs and comparisons are also stored in the workspace by the engine.
# A cached function must not draw into an element made outside it, so the page first runs
# ``prepare_comparison`` (uncached, draws progress, stores) when ``comparison_stored`` says it must.
@st.cache_resource(show_spinner=False, max_entries=16, ttl=_TTL)
def knn_graph(corpus_id: str, model_id: str, k: int) -> Any:
    """engine.knn.KnnGraph of one model (stored once per corpus, model and k); read-only."""
    from engine.knn import knn_graph as build

    return build(store(), corpus_id, embeddings(corpus_id, model_id), k)


def comparison_stored(corpus_id: str, model_ids: tuple[str, ...], k: int, seed: int = 0) -> bool:
    """True when the comparison is in the store already (cheap: hashes a few rows, reads one JSON)."""
    from engine.compare import stored_comparison

    spaces = {m: embeddings(corpus_id, m) for m in model_ids}
    return stored_comparison(store(), corpus(corpus_id), spaces, k=k, seed=seed) is not None


def prepare_comparison(corpus_id: str, model_ids: tuple[str, ...], k: int, seed: int = 0,
                       progress: Any = None) -> None:
    """Compute and store the comparison (kNN graphs first), reporting progress; not cached."""
    from engine.compare import compare_models

    spaces = {m: embeddings(corpus_id, m) for m in model_ids}
    compare_models(store(), corpus(corpus_id), spaces, k=k, seed=seed, progress=progress)


@st.cache_resource(show_spinner=False, max_entries=8, ttl=_TTL)
def comparison(corpus_id: str, model_ids: tuple[str, ...], k: int, seed: int = 0) -> Any:
    """engine.compare.Comparison of two or more models (read from the store when prepared); read-only."""
    from engine.compare import compare_models

    spaces = {m: embeddings(corpus_id, m) for m in model_ids}
    return compare_models(store(), corpus(corpus_id), spaces, k=k, seed=seed)


@st.cache_data(show_spinner=False, max_entries=128, ttl=_TTL)
def compare_item_view(corpus_id: str, model_ids: tuple[str, ...], k: int, row: int,
                      label_column: str | None) -> dict[str, Any]:
    """engine.compare.item_view: model id -> neighbour frame with ranks in the other models."""
    from engine.compare import item_view

    graphs = {m: knn_graph(corpus_id, m, k) for m in model_ids}
    spaces = {m: (embeddings(corpus_id, m).vectors, embeddings(corpus_id, m).valid) for m in model_ids}
    return item_view(graphs, spaces, row, ids=corpus(corpus_id).ids, labels=item_labels(corpus_id, label_column), k=k)


@st.cache_resource(show_spinner=False, max_entries=8, ttl=_TTL)
def compare_alignment(corpus_id: str, model_ids: tuple[str, ...], spec: Any) -> dict[str, Any]:
    """Every model's stored layout for a ProjectionSpec, Procrustes-aligned onto the first model's."""
    from engine.compare import align_layouts

    return align_layouts({m: projection(corpus_id, m, spec).coords for m in model_ids})


@st.cache_data(show_spinner="Fitting the linear map on anchors and testing it on held-out items…", max_entries=16, ttl=_TTL)
def compare_translation(corpus_id: str, model_a: str, model_b: str, seed: int) -> dict[str, Any]:
    """engine.compare.translate from ``model_a``'s space into ``model_b``'s."""
    from engine.compare import translate

    a, b = embeddings(corpus_id, model_a), embeddings(corpus_id, model_b)
    return translate(a.vectors, b.vectors, a.valid & b.valid, model_a=model_a, model_b=model_b, seed=seed)


@st.cache_data(show_spinner="Embedding the queries with each model…", max_entries=16, ttl=_TTL)
def compare_queries(corpus_id: str, model_ids: tuple[str, ...], queries: tuple[str, ...], k: int) -> list[dict]:
    """Top-k retrieval agreement of every model pair for the user's queries (engine.compare.query_agreement)."""
    from itertools import combinations

    from engine.compare import query_agreement
    from engine.embed import embed_queries

    vectors, spaces = {}, {}
    for model in model_ids:
        found, valid = embed_queries(list(queries), model, store=store(), corpus=corpus(corpus_id))
        if not valid.all():
            from engine.errors import SearchError

            raise SearchError(f"{model!r} cannot represent {int((~valid).sum())} of the queries (no known word). "
                              "Reword them or leave that model out.")
        vectors[model] = found
        spaces[model] = (embeddings(corpus_id, model).vectors, embeddings(corpus_id, model).valid)
    return [{"pair": f"{a} vs {b}", **query_agreement(vectors, spaces, a, b, k=k)}
            for a, b in combinations(model_ids, 2)]


# -- Zoom labels, density, selection summaries (issue 16 §1, §2, §5) -------------------------------
@st.cache_resource(show_spinner="Counting the corpus' words…", max_entries=4, ttl=_TTL)
def term_counts(corpus_id: str) -> Any:
    """engine.keywords.TermCounts of the corpus texts (counted once; every c-TF-IDF reuses them)."""
    from engine.keywords import term_counts as count

    return count(corpus(corpus_id).texts)


@st.cache_resource(show_spinner="Naming map regions for every zoom level…", max_entries=8, ttl=_TTL)
def zoom_hierarchy(corpus_id: str, model_id: str, projection_spec: Any) -> Any:
    """engine.zoomlabels.LabelHierarchy of a 2-D layout: loaded from the workspace, or built and stored."""
    from engine.zoomlabels import stored_hierarchy

    layout = projection(corpus_id, model_id, projection_spec)
    return stored_hierarchy(store(), corpus_id, model_id, layout.key, layout.coords[:, :2], term_counts(corpus_id))


@st.cache_resource(show_spinner=False, max_entries=8, ttl=_TTL)
def density(corpus_id: str, model_id: str, projection_spec: Any) -> Any:
    """engine.density.DensityGrid of a layout's first two coordinates."""
    from engine.density import density_grid

    return density_grid(projection(corpus_id, model_id, projection_spec).coords[:, :2])


@st.cache_data(show_spinner="Summarising the selection…", max_entries=32, ttl=_TTL)
def selection_summary(corpus_id: str, model_id: str, rows: tuple[int, ...], cluster_spec: Any = None,
                      projection_spec: Any = None) -> Any:
    """engine.selection.SelectionSummary of the rows; neighbouring clusters when a ClusterSpec is given."""
    from engine.selection import summarize_selection

    clustering = clusters(corpus_id, model_id, cluster_spec, projection_spec) if cluster_spec is not None else None
    return summarize_selection(corpus(corpus_id), rows, embeddings=embeddings(corpus_id, model_id),
                               counts=term_counts(corpus_id),
                               cluster_labels=clustering.labels if clustering is not None else None,
                               cluster_names=clustering.names if clustering is not None else None)


@st.cache_data(show_spinner=False, max_entries=32, ttl=_TTL)
def zoom_label_levels(corpus_id: str, model_id: str, projection_spec: Any, viewport: tuple[float, float],
                      curated: tuple[str, str] | None = None) -> dict[str, Any]:
    """engine.zoomlabels.place_levels payload for a viewport. ``curated`` = (name, stamp) of a stored
    named clustering (engine.itemsets) whose cluster names take the coarse levels first; the stamp
    (the file's version) only keys the cache, so a rename shows at once."""
    from engine.zoomlabels import curated_labels, place_levels

    placed_first = []
    if curated:
        shown = curated_clustering(corpus_id, curated[0])
        coords = projection(corpus_id, model_id, projection_spec).coords
        if shown.labels.size == coords.shape[0]:
            placed_first = curated_labels(shown.labels, coords, dict(shown.names))
    return place_levels(zoom_hierarchy(corpus_id, model_id, projection_spec), viewport=viewport, curated=placed_first)


@st.cache_data(show_spinner=False, max_entries=32, ttl=_TTL)
def thinned_rows(corpus_id: str, model_id: str, projection_spec: Any, cap: int, keep: tuple[int, ...] = (),
                 seed: int = 0) -> Any:
    """engine.density.thin_by_density rows of a layout past ``cap`` points (sparse points kept)."""
    from engine.density import thin_by_density

    coords = projection(corpus_id, model_id, projection_spec).coords[:, :2]
    return thin_by_density(coords, cap, seed=seed, keep=keep, grid=density(corpus_id, model_id, projection_spec))


# -- cross-filtered metadata charts (issue 16) ------------------------------------------------------

@st.cache_resource(show_spinner=False, max_entries=8, ttl=_TTL)
def facet_plans(corpus_id: str) -> list:
    """engine.facets.plan_facets: every row binned once per corpus (shared, read-only)."""
    from engine.facets import plan_facets

    return plan_facets(corpus(corpus_id))


@st.cache_resource(show_spinner=False, max_entries=32, ttl=_TTL)
def facets(corpus_id: str, filter_json: str, selection_rows: bytes | None) -> list:
    """Each linked chart's counts under the filter (``Filter.to_json``) minus its own column's condition;
    ``selection_rows``: the map selection as int64 row numbers (``ndarray.tobytes``), or None."""
    import numpy as np

    from engine.facets import condition_masks, facet_counts
    from engine.filters import Filter

    loaded = corpus(corpus_id)
    selection = None
    if selection_rows is not None:
        selection = np.zeros(loaded.frame.height, dtype=bool)
        selection[np.frombuffer(selection_rows, dtype=np.int64)] = True
    column_masks, item_set_mask = condition_masks(loaded, Filter.from_json(filter_json))
    return facet_counts(facet_plans(corpus_id), column_masks, item_set_mask, selection=selection)


# -- Fragments (issue 15 §1): what a fragment rerun asks again, answered from memory ------------------
@st.cache_data(show_spinner=False, max_entries=64, ttl=_TTL)
def search(corpus_id: str, model_id: str | None, mode: str, query: str, arguments_json: str,
           filter_json: str) -> Any:
    """One search (engine.search.run_search) of ``model_id`` (None: keyword) with the page's options
    (JSON) and filter (engine.filters JSON). Cached, so a rerun that does not change the query (a
    table click, opening a hit, the map expander) never embeds the query again."""
    import json

    from engine.filters import Filter
    from engine.search import run_search

    the_corpus = corpus(corpus_id)
    allowed = Filter.from_json(filter_json).mask(the_corpus)
    return run_search(the_corpus, query, mode=mode, store=store(),  # type: ignore[arg-type]
                      index=index(corpus_id, model_id) if model_id else None,
                      bm25=bm25(corpus_id) if mode == "hybrid" else None, allowed=allowed,
                      **json.loads(arguments_json))


@st.cache_resource(show_spinner=False, max_entries=64, ttl=_TTL)  # a map-sized chart holds ~1 MB
def figure(key: tuple, _build: Any) -> Any:
    """The chart ``_build()`` makes, built once per ``key`` and shared (cache_resource: never copied or
    pickled, so a hit costs nothing; st.plotly_chart only reads it). ``key`` must name every input of
    the chart (ids, specs, options): plotly's validation is most of a fragment rerun's time
    (measured on Bias and Axes), and a figure is rebuilt only when what it shows changed.
    Callers never modify the returned figure."""
    return _build()
