"""Analysis recipes: everything needed to redo an analysis elsewhere, as one versioned JSON file.

* ``schema``: the typed :class:`Recipe` and :func:`parse_recipe`, the bounded reader of a hostile file;
* ``run``: :func:`export_recipe` (a workspace's analysis -> recipe) and :func:`run_recipe`
  (recipe -> recomputed numbers, on the recipe's corpus or another one);
* ``saved``: :func:`save_recipe` / :func:`load_recipe`, recipes stored under a short content-hash
  id (what a share link can name when the recipe is too long for a URL).

CLI: ``python -m engine recipe export|run FILE --json``. Reports of a run: ``engine.report``.
"""
from __future__ import annotations

from engine.recipe.run import (TOP_N, Outcome, RecipeRun, corpus_ref, export_recipe, model_ref, ranking_order,
                               resolve_corpus, run_recipe, saved_axis_items)
from engine.recipe.saved import load_recipe, recipe_id, save_recipe
from engine.recipe.schema import (FORMAT, MAX_BYTES, VERSION, AxisItem, CompareItem, CorpusRef, DirectionItem,
                                  ModelRef, ProjectionItem, Recipe, SearchItem, WeatItem, parse_recipe,
                                  recipe_from_dict)

__all__ = [
    "FORMAT", "MAX_BYTES", "TOP_N", "VERSION", "AxisItem", "CompareItem", "CorpusRef", "DirectionItem", "ModelRef",
    "Outcome", "ProjectionItem", "Recipe", "RecipeRun", "SearchItem", "WeatItem", "corpus_ref", "export_recipe",
    "model_ref", "parse_recipe", "ranking_order", "recipe_from_dict", "resolve_corpus", "run_recipe",
    "saved_axis_items", "load_recipe", "recipe_id", "save_recipe",
]
