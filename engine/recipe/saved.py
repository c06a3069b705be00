"""Recipes stored in the workspace under a short content-hash id (for links too long for a URL).

The id hashes the recipe's content without its timestamp, so saving the same analysis twice
gives one id. A stored recipe is read back through :func:`~engine.recipe.schema.parse_recipe`,
like any file: a link names the id, and the id is checked before it becomes a path.
"""
from __future__ import annotations

import hashlib
import json
import re
from typing import TYPE_CHECKING

from engine.errors import RecipeError
from engine.recipe.schema import Recipe, parse_recipe

if TYPE_CHECKING:
    from engine.store import Store

NAMESPACE = "recipes"
_RECIPE_ID = re.compile(r"[0-9a-f]{16}")


def recipe_id(recipe: Recipe) -> str:
    """16 hex digits of the SHA-256 of the recipe's canonical JSON (``created`` left out)."""
    body = {k: v for k, v in recipe.to_dict().items() if k not in ("created", "app_version")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


def save_recipe(store: Store, recipe: Recipe) -> str:
    """Store ``recipe`` with its corpus (deleted with it); returns its id. Idempotent."""
    key = recipe_id(recipe)
    if not store.has_corpus(recipe.corpus.corpus_id):
        raise RecipeError("A recipe is stored with its corpus, and that corpus is not in this workspace.")
    path = store.artifact_path(recipe.corpus.corpus_id, NAMESPACE, key, ".json")
    if not path.exists():
        store.save_json(recipe.corpus.corpus_id, NAMESPACE, key, recipe.to_dict())
    return key


def load_recipe(store: Store, corpus_id: str, key: str) -> Recipe:
    """The stored recipe ``key`` of a corpus.

    Raises:
        RecipeError: For an id that is not 16 hex digits, or no such stored recipe.
    """
    if not isinstance(key, str) or not _RECIPE_ID.fullmatch(key):
        raise RecipeError(f"{str(key)[:40]!r} is not a recipe id (16 hex digits). Check the link.")
    path = store.artifact_path(corpus_id, NAMESPACE, key, ".json")
    if not path.exists():
        raise RecipeError(f"No recipe {key} is stored for this corpus here; it may come from another workspace.")
    return parse_recipe(path.read_bytes())
