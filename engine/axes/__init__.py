"""Rankable semantic axes: define a direction, rank a corpus along it, and check how far to trust it.

An :class:`~engine.types.Axis` is a unit vector in one model's space plus the *recipe* that made
it (a typed value, JSON-ready through ``to_dict()``), so the same axis can be rebuilt in another
model, saved by name and reused. One module per concept:

================ ==================================================================================
``core``         AxisFit, Ranking; vectors -> direction -> scores -> ranks; the ranked table
``recipes``      one frozen dataclass per recipe kind (poles, items, selection, expression,
                 probe_ridge, probe_logistic, pair_pca), JSON round trip, old recipes read as saved
``build``        fit_axis_from_recipe: (re)build an axis from a recipe in any model
``probes``       ridge / logistic probes as axes
``stability``    the bootstrap stability band (and the probe band caps from engine.config)
``evaluation``   rankability: Spearman with a numeric column, probes from few vs all examples
``compare``      the same axis across models: rank agreement and the biggest jumps
``saved``        axes saved by name in the store
``presets``      the bundled presets
================ ==================================================================================

The stable entry points other areas may import: :func:`fit_axis_from_vectors`,
:func:`fit_axis_from_recipe`, :func:`score`, :func:`project_onto`, :func:`rank`,
:func:`ranks_from_scores`, :func:`stability_band`, :func:`rankability`, :func:`compare_rankings`.

Example:
    >>> import numpy as np
    >>> from engine.types import Embeddings
    >>> pos = np.array([[1, 0.1, 0], [1, -0.1, 0]], dtype=np.float32)
    >>> neg = np.array([[-1, 0, 0.1], [-1, 0, -0.1]], dtype=np.float32)
    >>> fit = fit_axis_from_vectors(pos, neg, model_id="toy", labels=("east", "west"))
    >>> fit.axis.direction.round(3).tolist()
    [1.0, 0.0, 0.0]
    >>> emb = Embeddings("c", "toy", np.array([[0.5, 0, 0], [-0.9, 0, 0]], dtype=np.float32))
    >>> rank(fit.axis, emb).ranks.tolist()
    [1, 2]
"""
from __future__ import annotations

from engine.axes.build import embed_terms, fit_axis_from_recipe
from engine.axes.compare import compare_rankings
from engine.axes.core import (AxisFit, Ranking, Scores, fit_axis_from_vectors, project_onto, rank, ranked_frame,
                              ranks_from_scores, score)
from engine.axes.evaluation import Rankability, few_vs_all_rankability, numeric_columns, rankability
from engine.axes.presets import AxisPreset, find_preset, load_presets
from engine.axes.probes import fit_probe
from engine.axes.recipes import (METHODS, RECIPE_KINDS, REST, AxisRecipe, ExpressionRecipe, ItemsRecipe,
                                 PairPcaRecipe, PolesRecipe, ProbeLogisticRecipe, ProbeRidgeRecipe, SelectionRecipe,
                                 recipe_from_dict, recipe_json)
from engine.axes.saved import (NAMESPACE, axis_key, delete_axis, list_axes, load_axis, recipe_for_saved, save_axis,
                               saved_axis)
from engine.axes.stability import (BandPlan, StabilityBand, band_plan, bootstrap_directions, stability_band,
                                   stability_band_naive)

__all__ = [
    "METHODS", "NAMESPACE", "RECIPE_KINDS", "REST", "AxisFit", "AxisPreset", "AxisRecipe", "BandPlan",
    "ExpressionRecipe", "ItemsRecipe", "PairPcaRecipe", "PolesRecipe", "ProbeLogisticRecipe", "ProbeRidgeRecipe",
    "Rankability", "Ranking", "Scores", "SelectionRecipe", "StabilityBand", "axis_key", "band_plan",
    "bootstrap_directions", "compare_rankings", "delete_axis", "embed_terms", "few_vs_all_rankability",
    "find_preset", "fit_axis_from_recipe", "fit_axis_from_vectors", "fit_probe", "list_axes", "load_axis",
    "load_presets", "numeric_columns", "project_onto", "rank", "rankability", "ranked_frame", "ranks_from_scores",
    "recipe_for_saved", "recipe_from_dict", "recipe_json", "save_axis", "saved_axis", "score", "stability_band",
    "stability_band_naive",
]
