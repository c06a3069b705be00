"""Axes saved by name, per corpus, in the store (namespace ``axes``).

``<key>.json`` holds the name, method, recipe (typed recipe's ``to_dict()`` without the name),
labels and the models it was saved from; ``<key>__<model>.npy`` holds each model's direction
(the ``__`` keeps them out of :func:`list_axes`). Records written before recipes were typed are
read as they are: :func:`recipe_for_saved` turns any of them into a typed recipe.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from engine.axes.core import AxisFit
from engine.axes.recipes import AxisRecipe, recipe_from_dict
from engine.errors import AxisError
from engine.types import Axis

if TYPE_CHECKING:
    from engine.store import Store

NAMESPACE = "axes"


def axis_key(name: str) -> str:
    """A store key for an axis name ("good ↔ bad" -> "good-bad")."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-").lower()[:80]
    return slug or "axis"


def _vector_key(key: str, model_id: str) -> str:
    model_slug = re.sub(r"[^A-Za-z0-9_-]+", "-", model_id).strip("-") or "model"
    return f"{key}__{model_slug}"


def save_axis(store: Store, corpus_id: str, fit_or_axis: AxisFit | Axis, *, name: str | None = None) -> str:
    """Save an axis by name for a corpus: its recipe (JSON) and its direction (.npy) per model.

    Saving the same name from another model adds that model's direction. Returns the key.
    """
    axis = fit_or_axis.axis if isinstance(fit_or_axis, AxisFit) else fit_or_axis
    display = (name or axis.name).strip()
    if not display:
        raise AxisError("Give the axis a name before saving it.")
    key = axis_key(display)
    existing = store.load_json(corpus_id, NAMESPACE, key) or {}
    recipe = _unnamed(fit_or_axis.recipe if isinstance(fit_or_axis, AxisFit) and fit_or_axis.recipe else axis.recipe)
    same_recipe = bool(existing) and _unnamed(existing.get("recipe", {})) == recipe
    models = dict(existing.get("models", {})) if same_recipe else {}
    if not same_recipe:  # a new recipe under an old name: its other models' directions are stale
        for entry in existing.get("models", {}).values():
            store.delete_artifact(corpus_id, NAMESPACE, entry["vector_key"])
    models[axis.model_id] = {"explained": axis.explained, "vector_key": _vector_key(key, axis.model_id),
                             "dimension": int(axis.direction.shape[0])}
    store.save_array(corpus_id, NAMESPACE, _vector_key(key, axis.model_id), np.asarray(axis.direction))
    store.save_json(corpus_id, NAMESPACE, key, {
        "key": key, "name": display, "method": axis.method,
        "recipe": recipe.to_dict() if hasattr(recipe, "to_dict") else recipe,
        "labels": [axis.positive_label, axis.negative_label], "models": models,
    })
    return key


def list_axes(store: Store, corpus_id: str) -> list[dict[str, Any]]:
    """Saved axes of a corpus: ``[{"key", "name", "method", "recipe", "labels", "models"}]``."""
    out = []
    for key in store.list_artifacts(corpus_id, NAMESPACE):
        if "__" in key:
            continue
        record = store.load_json(corpus_id, NAMESPACE, key)
        if record:
            out.append(record)
    return sorted(out, key=lambda r: r["name"].lower())


def load_axis(store: Store, corpus_id: str, name_or_key: str, model_id: str) -> Axis:
    """A saved axis in ``model_id``'s space (its stored direction).

    Raises:
        AxisError: If no such axis is saved, or it was not saved for this model (rebuild it from
            the recipe with :func:`fit_axis_from_recipe`).
    """
    record = saved_axis(store, corpus_id, name_or_key)
    entry = record["models"].get(model_id)
    direction = store.load_array(corpus_id, NAMESPACE, entry["vector_key"], mmap=False) if entry else None
    if direction is None:
        raise AxisError(
            f"The axis {record['name']!r} was not saved for {model_id!r}; rebuild it from its recipe in this model."
        )
    labels = record.get("labels", ["positive", "negative"])
    return Axis(record["name"], model_id, np.asarray(direction, dtype=np.float32), labels[0], labels[1],
                record["method"], {**record["recipe"], "name": record["name"]}, entry.get("explained"))


def saved_axis(store: Store, corpus_id: str, name_or_key: str) -> dict[str, Any]:
    """The saved record (recipe, labels, models) of an axis by name or key."""
    record = store.load_json(corpus_id, NAMESPACE, axis_key(name_or_key))
    if not record:
        names = [r["name"] for r in list_axes(store, corpus_id)]
        raise AxisError(f"No saved axis {name_or_key!r} for this corpus. Saved: {', '.join(names) or 'none'}.")
    return record


def delete_axis(store: Store, corpus_id: str, name_or_key: str) -> None:
    record = saved_axis(store, corpus_id, name_or_key)
    for entry in record.get("models", {}).values():
        store.delete_artifact(corpus_id, NAMESPACE, entry["vector_key"])
    store.delete_artifact(corpus_id, NAMESPACE, record["key"])


def recipe_for_saved(record: Mapping[str, Any]) -> AxisRecipe:
    """The typed recipe of a saved axis, with its name and labels, ready for fit_axis_from_recipe.

    An expression saved before grammar versions existed keeps the old grammar (version 1).
    """
    labels = record.get("labels") or ()
    return recipe_from_dict(record["recipe"]).named(record["name"], tuple(labels) if len(labels) == 2 else None)


def _unnamed(recipe: Mapping[str, Any] | AxisRecipe) -> AxisRecipe | dict[str, Any]:
    """The recipe without its display name (what "the same axis" means); a recipe no kind reads
    (e.g. a mean-of-pairs bias direction) is kept as plain data."""
    try:
        return recipe_from_dict(recipe).named("")
    except AxisError:
        return {k: v for k, v in dict(recipe).items() if k != "name"}
