"""Build (or rebuild, in another model) an axis from its typed recipe.

One function per recipe kind; :func:`fit_axis_from_recipe` dispatches on the kind, so the same
recipe is rebuilt in every model for the cross-model comparison and wherever a saved axis is
reused. Texts are embedded with ``engine.embed.embed_queries``; corpus items are read from the
stored embeddings; expressions are read and summed by ``engine.expressions``; word pairs go to
``engine.bias`` (Bolukbasi's pair PCA).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import polars as pl

from engine.axes.core import AxisFit, fit_axis_from_vectors, unit_direction
from engine.axes.probes import fit_probe
from engine.axes.recipes import (AxisRecipe, ExpressionRecipe, ItemsRecipe, PairPcaRecipe, PolesRecipe,
                                 ProbeLogisticRecipe, ProbeRidgeRecipe, SelectionRecipe, recipe_from_dict)
from engine.config import AXES_MAX_REST_SAMPLE
from engine.errors import AxisError, BiasError
from engine.expressions import combine, split_signs
from engine.types import ID_COLUMN, Axis, Corpus, Embeddings
from engine.vectors import rows_of

if TYPE_CHECKING:
    from engine.store import Store


def embed_terms(
    terms: Sequence[str], model_id: str, *, store: Store, corpus: Corpus | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Embed pole texts/words; returns (unit vectors of the representable ones, the dropped ones)."""
    from engine.embed import embed_queries

    terms = [t.strip() for t in terms if t and t.strip()]
    if not terms:
        return np.zeros((0, 0), dtype=np.float32), []
    vectors, valid = embed_queries(terms, model_id, store=store, corpus=corpus)
    dropped = [t for t, ok in zip(terms, valid) if not ok]
    return np.asarray(vectors[valid], dtype=np.float32), dropped


def short_label(texts: Sequence[str], limit: int = 32) -> str:
    """"first text…  +N": a pole's label when the user gave none."""
    first = " ".join(str(texts[0]).split()) if texts else ""
    label = first if len(first) <= limit else first[: limit - 1] + "…"
    return label + (f" +{len(texts) - 1}" if len(texts) > 1 else "")


def _rows_for_ids(corpus: Corpus, ids: Sequence[str]) -> np.ndarray:
    rows, unknown = rows_of(corpus.id_rows, ids)
    if unknown:
        raise AxisError(
            f"{len(unknown)} item id(s) are not in corpus {corpus.name!r} (e.g. {', '.join(unknown[:3])}). "
            "Pick items from this corpus."
        )
    return np.array(rows, dtype=np.int64)


def _item_vectors(embeddings: Embeddings, rows: np.ndarray, corpus: Corpus) -> tuple[np.ndarray, list[str]]:
    valid = np.asarray(embeddings.valid)[rows]
    ids = corpus.ids
    dropped = [ids[int(r)] for r in rows[~valid]]
    return np.asarray(embeddings.vectors[rows[valid]], dtype=np.float32), dropped


def fit_axis_from_recipe(
    recipe: AxisRecipe | Mapping[str, Any],
    model_id: str,
    *,
    store: Store,
    corpus: Corpus,
    embeddings: Embeddings | None = None,
) -> AxisFit:
    """Build an axis in ``model_id``'s space from a recipe (typed, or its JSON-ready dict).

    ``embeddings`` is needed for item-based kinds and probes (loaded from the store if omitted).

    Raises:
        AxisError: For an unknown method, missing inputs, unknown words in an expression, or a
            pole with nothing representable in this model.
    """
    typed = recipe_from_dict(recipe)

    def need_embeddings() -> Embeddings:
        if embeddings is not None:
            if embeddings.model_id != model_id:
                raise AxisError(f"Embeddings are from {embeddings.model_id!r}, expected {model_id!r}.")
            return embeddings
        from engine.embed import load_embeddings

        return load_embeddings(corpus.corpus_id, model_id, store=store)

    if isinstance(typed, PolesRecipe):
        return _fit_poles(typed, model_id, store=store, corpus=corpus)
    if isinstance(typed, ExpressionRecipe):
        return _fit_expression(typed, model_id, store=store, corpus=corpus)
    if isinstance(typed, (ItemsRecipe, SelectionRecipe)):
        return _fit_items(typed, model_id, corpus=corpus, embeddings=need_embeddings())
    if isinstance(typed, PairPcaRecipe):
        return _fit_pairs(typed, model_id, store=store, corpus=corpus)
    return _fit_probe_recipe(typed, model_id, corpus=corpus, embeddings=need_embeddings())


def _fit_poles(recipe: PolesRecipe, model_id: str, *, store: Store, corpus: Corpus) -> AxisFit:
    if not recipe.positive or not recipe.negative:
        raise AxisError("Give at least one text or word for each pole.")
    positive, dropped_p = embed_terms(recipe.positive, model_id, store=store, corpus=corpus)
    negative, dropped_n = embed_terms(recipe.negative, model_id, store=store, corpus=corpus)
    for pole, vectors, dropped in (("positive", positive, dropped_p), ("negative", negative, dropped_n)):
        if vectors.shape[0] == 0:
            raise AxisError(
                f"None of the {pole} pole's {len(dropped)} entries can be represented by {model_id!r} "
                f"(unknown: {', '.join(dropped[:8])}). Use other words, or a sentence model."
            )
    labels = recipe.labels or (short_label(recipe.positive), short_label(recipe.negative))
    return fit_axis_from_vectors(positive, negative, model_id=model_id, labels=labels, name=recipe.name or None,
                                 method=recipe.KIND, recipe=recipe, dropped=dropped_p + dropped_n)


def _fit_expression(recipe: ExpressionRecipe, model_id: str, *, store: Store, corpus: Corpus) -> AxisFit:
    terms = recipe.terms()
    positive_terms, negative_terms = split_signs(terms)
    if not positive_terms:
        raise AxisError(f"The expression {recipe.expression!r} has no positive term; put the end you want first.")
    vectors, dropped = embed_terms([t.text for t in terms], model_id, store=store, corpus=corpus)
    if dropped:
        raise AxisError(f"{model_id!r} does not know: {', '.join(dropped)}. Every term of an expression counts, "
                        "so fix or remove it.")
    direction = unit_direction(combine(terms, vectors))  # 3CosAdd: the sum of signed unit vectors
    signs = np.array([t.sign for t in terms])
    labels = recipe.labels or (" + ".join(positive_terms), " + ".join(negative_terms) or "(origin)")
    axis = Axis(recipe.name or recipe.expression.strip(), model_id, direction, labels[0], labels[1],
                recipe.KIND, recipe.to_dict(), None)
    # the signed terms are the seeds the stability band resamples (each pole summed, as here)
    return AxisFit(axis, vectors[signs > 0].copy(), vectors[signs < 0].copy(), recipe=recipe)


def _fit_items(recipe: ItemsRecipe | SelectionRecipe, model_id: str, *, corpus: Corpus,
               embeddings: Embeddings) -> AxisFit:
    if not recipe.positive_ids:
        raise AxisError("Pick at least one item for the positive end.")
    texts = corpus.texts
    positive_rows = _rows_for_ids(corpus, recipe.positive_ids)
    positive, dropped_p = _item_vectors(embeddings, positive_rows, corpus)
    if isinstance(recipe, SelectionRecipe) and not recipe.negative_ids:  # the rest of the corpus
        rest = np.setdiff1d(np.flatnonzero(np.asarray(embeddings.valid)), positive_rows)
        if rest.size > AXES_MAX_REST_SAMPLE:
            rest = np.sort(np.random.default_rng(0).choice(rest, AXES_MAX_REST_SAMPLE, replace=False))
        negative, dropped_n = np.asarray(embeddings.vectors[rest], dtype=np.float32), []
        default_negative = "rest of corpus"
    else:
        if not recipe.negative_ids:
            raise AxisError("Pick at least one item for the negative end.")
        negative_rows = _rows_for_ids(corpus, recipe.negative_ids)
        negative, dropped_n = _item_vectors(embeddings, negative_rows, corpus)
        default_negative = short_label([texts[int(r)] for r in negative_rows])
    if positive.shape[0] == 0 or negative.shape[0] == 0:
        raise AxisError(f"{model_id!r} cannot represent the chosen items of one pole; pick others.")
    labels = recipe.labels or (short_label([texts[int(r)] for r in positive_rows]), default_negative)
    return fit_axis_from_vectors(positive, negative, model_id=model_id, labels=labels, name=recipe.name or None,
                                 method=recipe.KIND, recipe=recipe, dropped=dropped_p + dropped_n)


def _fit_probe_recipe(recipe: ProbeRidgeRecipe | ProbeLogisticRecipe, model_id: str, *, corpus: Corpus,
                      embeddings: Embeddings) -> AxisFit:
    ids: list[str] = list(recipe.ids)
    values: list[Any]
    if recipe.column and not recipe.labels_values:
        column = recipe.column
        if column not in corpus.frame.columns:
            raise AxisError(f"No column {column!r} in this corpus; columns: {', '.join(corpus.metadata_columns)}.")
        frame = corpus.frame if not ids else corpus.frame.filter(pl.col(ID_COLUMN).is_in(ids))
        frame = frame.filter(pl.col(column).is_not_null())
        if isinstance(recipe, ProbeLogisticRecipe) and recipe.classes:
            frame = frame.filter(pl.col(column).cast(pl.String).is_in(list(recipe.classes)))
        if 0 < recipe.sample < frame.height:
            frame = frame.sample(n=recipe.sample, seed=recipe.seed)
        ids, values = frame[ID_COLUMN].to_list(), frame[column].to_list()
    else:
        values = list(recipe.labels_values)
    if len(ids) != len(values):
        raise AxisError(f"Got {len(ids)} ids but {len(values)} labels.")
    rows = _rows_for_ids(corpus, ids)
    keep = np.asarray(embeddings.valid)[rows]
    vectors = np.asarray(embeddings.vectors[rows[keep]], dtype=np.float32)
    kept_values = [v for v, k in zip(values, keep) if k]
    logistic = isinstance(recipe, ProbeLogisticRecipe)
    fit = fit_probe(vectors, kept_values, model_id=model_id, kind="logistic" if logistic else "ridge",
                    positive_class=recipe.positive_class if logistic else None, alpha=recipe.alpha,
                    name=recipe.name or None, recipe=recipe, label_name=recipe.column or "label")
    dropped = tuple(ids[int(i)] for i in np.flatnonzero(~keep))
    return AxisFit(fit.axis, fit.positive_vectors, fit.negative_vectors, dropped, fit.labels, fit.quality, fit.recipe)


def _fit_pairs(recipe: PairPcaRecipe, model_id: str, *, store: Store, corpus: Corpus) -> AxisFit:
    """Bolukbasi's pair PCA, computed by engine.bias, as an axis that any model can rebuild."""
    from engine.bias import DEFAULT_TEMPLATES, WordEmbedder, direction_from_pairs  # lazily: no import cycle

    try:
        embedder = WordEmbedder(model_id, store=store, templates=recipe.templates or DEFAULT_TEMPLATES,
                                corpus=corpus)
        found = direction_from_pairs(recipe.pairs, embedder, method="pca", name=recipe.name or None)
        words = embedder.embed([w for pair in found.pairs_used for w in pair])
    except BiasError as exc:  # the same message, as the error class of this area
        raise AxisError(str(exc)) from exc
    first = words.vectors[[words.row(a) for a, _ in found.pairs_used]]
    second = words.vectors[[words.row(b) for _, b in found.pairs_used]]
    labels = recipe.labels or (found.axis.positive_label, found.axis.negative_label)
    axis = Axis(found.axis.name, model_id, found.axis.direction, labels[0], labels[1], recipe.KIND,
                recipe.to_dict(), found.axis.explained)
    dropped = tuple(f"{a} / {b}" for a, b in found.missing_pairs)
    return AxisFit(axis, np.asarray(first, np.float32), np.asarray(second, np.float32), dropped,
                   quality={"pc1_share": float(found.explained or 0.0)}, recipe=recipe)
