"""Export an analysis from a workspace as a :class:`Recipe`, and run a recipe in any workspace.

Running is recomputation, never a copy of stored results: the corpus is embedded with each
model (the recorded route), projected with the recorded parameters and seed, every axis rebuilt
from its recipe and ranked, every WEAT and bias direction rerun with its seed, every search and
the comparison redone. On the same corpus the numbers are the ones the exporting workspace saw
(same code, same seeds: tests/engine/test_recipe.py); on another corpus the same recipes run there.

One entry that cannot run (a word the model lacks, an item id the other corpus does not have) is
recorded as that entry's error and the rest still run.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.errors import EmbedscapeError, RecipeError
from engine.recipe.schema import (AxisItem, CompareItem, CorpusRef, DirectionItem, ModelRef, ProjectionItem, Recipe,
                                  SearchItem, WeatItem)
from engine.types import Corpus

if TYPE_CHECKING:
    from engine.store import Store

Say = Callable[[str], None]
TOP_N = 10  # items listed at each end of a ranking in summaries and reports


@dataclass(frozen=True, slots=True, eq=False)
class Outcome:
    """One entry of a run in one model: its value (a Projection, Ranking, WeatResult, …) or an error."""

    kind: str  # projection | axis | weat | direction | search | compare
    label: str
    model_id: str
    value: Any = None
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. an axis's stability band and fit
    error: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class RecipeRun:
    """A recipe run against one corpus: every outcome, in recipe order."""

    recipe: Recipe
    corpus: Corpus
    match: str  # same corpus | same texts | other corpus
    outcomes: tuple[Outcome, ...]
    notes: tuple[str, ...] = ()

    def of(self, kind: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.kind == kind]

    def summary(self, *, include_coords: bool = False) -> dict[str, Any]:
        """JSON-ready numbers (CLI ``--json``): rankings as ordered ids, effect sizes, coordinates on request."""
        return {"corpus": {"corpus_id": self.corpus.corpus_id, "name": self.corpus.name, "rows": len(self.corpus),
                           "match": self.match},
                "notes": list(self.notes),
                "results": [_outcome_summary(o, self.corpus, include_coords) for o in self.outcomes]}


# -- export ------------------------------------------------------------------------------------------------
def corpus_ref(store: Store, corpus_id: str) -> CorpusRef:
    """The recipe's description of a stored corpus (hashes and ingest settings)."""
    manifest = store.manifest(corpus_id)
    source = str(manifest.get("source", ""))
    from engine.demo import DEMOS

    demo = manifest.get("name") if manifest.get("name") in DEMOS else None  # a bundled demo is rebuilt by id
    return CorpusRef(corpus_id=corpus_id, texts_hash=str(manifest.get("texts_hash", "")),
                     name=str(manifest.get("name", "")), n_rows=int(manifest.get("n_rows", 0)),
                     kind=str(manifest.get("kind", "texts")), text_column=str(manifest.get("text_column", "text")),
                     source=f"demo:{demo}" if demo else source, ingest=dict(manifest.get("ingest_report") or {}))


def model_ref(store: Store, corpus_id: str, model_id: str) -> ModelRef:
    """A model with its registry revision and the route of the vectors stored for this corpus."""
    from engine import precision
    from engine.models import resolve_model

    spec = resolve_model(model_id)
    route = "fp32"
    if spec.kind == "sentence" and not store.embeddings_path(corpus_id, spec).exists():
        bf16 = precision.stored_spec(spec, "bf16")
        route = "bf16" if store.embeddings_path(corpus_id, bf16).exists() else precision.choose_route(None)
    return ModelRef(model_id=spec.model_id, revision=spec.revision, route=route)


def saved_axis_items(store: Store, corpus_id: str, *, band_resamples: int = 50) -> list[AxisItem]:
    """Every axis saved for the corpus (engine.axes.saved), as recipe entries."""
    from engine.axes import list_axes, recipe_for_saved

    items = []
    for record in list_axes(store, corpus_id):
        try:
            recipe = recipe_for_saved(record)
        except EmbedscapeError:
            continue  # a record no kind reads (an old untyped bias direction) cannot be rebuilt elsewhere
        items.append(AxisItem(name=record["name"], recipe=recipe.to_dict(), band_resamples=band_resamples))
    return items


def export_recipe(
    store: Store,
    corpus_id: str,
    models: Sequence[str],
    *,
    projections: Sequence[ProjectionItem] | None = None,
    axes: Sequence[AxisItem] | None = None,
    weat: Sequence[WeatItem] = (),
    directions: Sequence[DirectionItem] = (),
    searches: Sequence[SearchItem] = (),
    compare: CompareItem | None = None,
    extensions: dict[str, Any] | None = None,
) -> Recipe:
    """The recipe of an analysis of a stored corpus.

    ``projections`` defaults to the Map's default layout; ``axes`` to every axis saved for the
    corpus. Searches are what the caller passes: the app passes the queries typed on the Search
    page in this session, the CLI its ``--search`` flags (Embedscape keeps no search history).

    Raises:
        StoreError: If the corpus is not stored; ModelError for an unknown model.
        RecipeError: Without a model.
    """
    from engine.project import DEFAULT_PARAMS

    if not models:
        raise RecipeError("Pick at least one model for the recipe (the models the corpus is embedded with).")
    return Recipe(
        corpus=corpus_ref(store, corpus_id), models=tuple(model_ref(store, corpus_id, m) for m in models),
        projections=tuple(projections if projections is not None else [ProjectionItem(**DEFAULT_PARAMS)]),
        axes=tuple(axes if axes is not None else saved_axis_items(store, corpus_id)),
        weat=tuple(weat), directions=tuple(directions), searches=tuple(searches), compare=compare,
        extensions=dict(extensions or {}), created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        app_version=_app_version(),
    )


def _app_version() -> str:
    try:
        from engine import __version__  # type: ignore[attr-defined]
    except ImportError:
        return ""
    return str(__version__)


# -- run ---------------------------------------------------------------------------------------------------
def resolve_corpus(recipe: Recipe, store: Store, corpus: Corpus | None = None) -> tuple[Corpus, str]:
    """The corpus to run on and how it matches the recipe's: given, stored, or a rebuilt demo.

    Raises:
        RecipeError: When the recipe's corpus is not in this workspace and none is given.
    """
    ref = recipe.corpus
    if corpus is None:
        if store.has_corpus(ref.corpus_id):
            corpus = store.load_corpus(ref.corpus_id)
        elif ref.texts_hash and (same := next((c for c in store.list_corpora()
                                               if c.get("texts_hash") == ref.texts_hash), None)):
            corpus = store.load_corpus(same["corpus_id"])
        elif ref.source.startswith("demo:"):
            from engine.demo import load_demo

            built, report = load_demo(ref.source[len("demo:"):])
            store.save_corpus(built, report)
            corpus = built
        else:
            raise RecipeError(
                f"The recipe's corpus {ref.name or '(unnamed)'!r} ({ref.corpus_id}) is not in this workspace. Ingest "
                "the same file first (same content = same id), or pick a corpus to run the recipe on instead.")
    if corpus.corpus_id == ref.corpus_id:
        return corpus, "same corpus"
    from engine.corpus import texts_hash

    return corpus, "same texts" if ref.texts_hash and texts_hash(corpus.texts) == ref.texts_hash else "other corpus"


def run_recipe(recipe: Recipe, *, store: Store, corpus: Corpus | None = None, say: Say | None = None) -> RecipeRun:
    """Run every entry of ``recipe`` against ``corpus`` (default: the recipe's own corpus, found in ``store``).

    ``say`` hears a plain line before each step (for a status box or stderr).

    Raises:
        RecipeError: When the corpus cannot be found; ModelError/StoreError when a model cannot embed it.
    """
    from engine.embed import embed_corpus
    from engine.models import resolve_model

    say = say or (lambda _line: None)
    corpus, match = resolve_corpus(recipe, store, corpus)
    notes = [] if match == "same corpus" else [
        f"Run on {corpus.name!r} ({match}), not on the recipe's corpus {recipe.corpus.name!r}: the recipes are "
        "the same, the numbers are this corpus's."]
    embeddings = {}
    for ref in recipe.models:
        spec = resolve_model(ref.model_id)
        if ref.revision and ref.revision != spec.revision:
            notes.append(f"{ref.model_id} is at revision {spec.revision} here, the recipe used {ref.revision}: "
                         "numbers may differ.")
        say(f"Embedding {len(corpus):,} texts with {spec.display_name} ({ref.route})…")
        embeddings[ref.model_id] = embed_corpus(corpus, spec, store=store, route=ref.route).embeddings
    outcomes: list[Outcome] = []
    for item in recipe.projections:
        for model_id, emb in embeddings.items():
            say(f"Map: {item.method.upper()} {item.dims}-D of {model_id}…")
            outcomes.append(_attempt("projection", f"{item.method} {item.dims}-D", model_id,
                                     lambda e=emb, i=item: _project(e, i, store)))
    for axis in recipe.axes:
        for model_id, emb in embeddings.items():
            say(f"Axis {axis.name!r} in {model_id}…")
            outcomes.append(_attempt("axis", axis.name, model_id,
                                     lambda a=axis, m=model_id, e=emb: _axis(a, m, e, store, corpus)))
    for weat in recipe.weat:
        for model_id in weat.models or recipe.model_ids:
            say(f"WEAT in {model_id}…")
            outcomes.append(_attempt("weat", " vs ".join(weat.query["names"][:2]), model_id,
                                     lambda w=weat, m=model_id: _weat(w, m, store, corpus)))
    for direction in recipe.directions:
        for model_id in direction.models or recipe.model_ids:
            say(f"Bias direction {direction.name!r} in {model_id}…")
            outcomes.append(_attempt("direction", direction.name or "direction", model_id,
                                     lambda d=direction, m=model_id: _direction(d, m, store, corpus)))
    for search in recipe.searches:
        for model_id in (("",) if search.mode == "keyword" else search.models or recipe.model_ids):
            say(f"Search ({search.mode}) {search.query[:40]!r}…")
            outcomes.append(_attempt("search", f"{search.mode}: {search.query}", model_id,
                                     lambda s=search, m=model_id: _search(s, m, store, corpus, embeddings)))
    if recipe.compare is not None:
        say("Comparing models…")
        outcomes.append(_attempt("compare", f"k = {recipe.compare.k}", ", ".join(recipe.compare.models),
                                 lambda: _compare(recipe.compare, store, corpus, embeddings)))
    return RecipeRun(recipe, corpus, match, tuple(outcomes), tuple(notes))


def _attempt(kind: str, label: str, model_id: str, work: Callable[[], tuple[Any, dict[str, Any]]]) -> Outcome:
    try:
        value, extra = work()
    except EmbedscapeError as exc:  # this entry cannot run here: say why, run the rest
        return Outcome(kind, label, model_id, error=str(exc))
    return Outcome(kind, label, model_id, value, extra)


def _project(emb: Any, item: ProjectionItem, store: Store) -> tuple[Any, dict[str, Any]]:
    from engine.project import project

    return project(emb, method=item.method, dims=item.dims, n_neighbors=item.n_neighbors, min_dist=item.min_dist,
                   metric=item.metric, seed=item.seed, store=store), {}


def _axis(item: AxisItem, model_id: str, emb: Any, store: Store, corpus: Corpus) -> tuple[Any, dict[str, Any]]:
    from engine.axes import fit_axis_from_recipe, rank, stability_band
    from engine.axes import band_plan

    fit = fit_axis_from_recipe(item.recipe, model_id, store=store, corpus=corpus, embeddings=emb)
    fit = replace(fit, axis=replace(fit.axis, name=item.name))
    ranking = rank(fit.axis, emb)
    band = None
    if item.band_resamples >= 2:
        plan = band_plan(fit, item.band_resamples)
        if plan.n_resamples >= 2:
            band = stability_band(fit, emb, n_resamples=plan.n_resamples, seed=item.band_seed)
    return ranking, {"band": band, "fit": fit}


def ranking_order(ranking: Any) -> np.ndarray:
    """Rows of the valid rows, highest score first; exact ties by row (so by id order of the corpus)."""
    valid = np.flatnonzero(np.asarray(ranking.valid))
    scores = np.asarray(ranking.scores, dtype=np.float64)[valid]
    return valid[np.lexsort((valid, -scores))]


def _embedder(model_id: str, templates: Sequence[str], store: Store, corpus: Corpus) -> Any:
    from engine.bias import WordEmbedder
    from engine.config import BIAS_TEMPLATES

    return WordEmbedder(model_id, store=store, templates=tuple(templates) or BIAS_TEMPLATES, corpus=corpus)


def _weat(item: WeatItem, model_id: str, store: Store, corpus: Corpus) -> tuple[Any, dict[str, Any]]:
    from engine.bias import WeatQuery, run_weat

    embedder = _embedder(model_id, item.templates, store, corpus)
    return run_weat(embedder, WeatQuery.from_dict(dict(item.query)), n_permutations=item.n_permutations,
                    seed=item.seed), {}


def _direction(item: DirectionItem, model_id: str, store: Store, corpus: Corpus) -> tuple[Any, dict[str, Any]]:
    from engine.bias import DirectionSpec, default_pool_size, direction_report

    embedder = _embedder(model_id, item.templates, store, corpus)
    spec = DirectionSpec(pairs=tuple(item.pairs), targets=tuple(item.targets), neutral=tuple(item.neutral),
                         name=item.name, method=item.method, c=item.c, n_random=item.n_random, baseline=item.baseline,
                         pool_size=item.pool_size or default_pool_size(embedder.spec), seed=item.seed)
    return direction_report(embedder, spec), {}


def _search(item: SearchItem, model_id: str, store: Store, corpus: Corpus, embeddings: dict) -> tuple[Any, dict]:
    from engine.index import build_index
    from engine.search import run_search

    index = build_index(embeddings[model_id]) if model_id else None
    return run_search(corpus, item.query, mode=item.mode, store=store, index=index, k=item.k,
                      dense_weight=item.dense_weight, regex=item.regex, case_sensitive=item.case_sensitive), {}


def _compare(item: CompareItem, store: Store, corpus: Corpus, embeddings: dict) -> tuple[Any, dict[str, Any]]:
    from engine.compare import compare_models
    from engine.embed import embed_corpus

    chosen = {m: embeddings.get(m) or embed_corpus(corpus, m, store=store).embeddings for m in item.models}
    return compare_models(store, corpus, chosen, k=item.k, seed=item.seed), {}


# -- summaries ---------------------------------------------------------------------------------------------
def _round(value: Any, digits: int = 6) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def _outcome_summary(o: Outcome, corpus: Corpus, include_coords: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"kind": o.kind, "label": o.label, "model_id": o.model_id}
    if o.error is not None:
        return {**out, "error": o.error}
    ids = corpus.ids
    if o.kind == "projection":
        out.update(o.value.summary())
        if include_coords:
            out["coords"] = [[_round(v) for v in row] for row in np.asarray(o.value.coords, dtype=np.float64)]
    elif o.kind == "axis":
        order = ranking_order(o.value)
        band = o.extra.get("band")
        out["n_ranked"] = int(order.size)
        out["order"] = [ids[int(r)] for r in order]
        out["top"] = [{"id": ids[int(r)], "score": _round(o.value.scores[r])} for r in order[:TOP_N]]
        out["bottom"] = [{"id": ids[int(r)], "score": _round(o.value.scores[r])} for r in order[::-1][:TOP_N]]
        if band is not None:
            widths = np.asarray(band.width)[order]
            out["band"] = {"n_resamples": band.n_resamples, "degenerate": band.degenerate,
                           "median_width": _round(float(np.nanmedian(widths)) if widths.size else None, 3)}
    elif o.kind in ("weat", "direction", "compare"):
        out.update(o.value.summary())
    elif o.kind == "search":
        out["ids"] = o.value.ids
        out["scores"] = [_round(s) for s in o.value.scores]
        out["notes"] = list(o.value.notes)
    return out
