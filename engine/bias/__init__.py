"""Bias directions, WEAT and a hard-debias preview, for word vectors and sentence models alike.

Everything works on :class:`WordVectors`: words looked up in a model's space by a
:class:`WordEmbedder` (see ``engine/bias/words.py``). The package, one module per concept:

* ``words.py``: parsing word lists, ``WordVectors``, ``WordEmbedder`` (GloVe lookups, SEAT
  templates for sentence models, the corpus-fitted TF-IDF space).
* ``direction.py``: the direction from definitional pairs (Bolukbasi et al. 2016: first
  principal component of the centred pairs, sign fixed toward the first members, explained
  variance and a warning below 50 %), projected words, and ``direction_report``. A direction is
  a plain :class:`~engine.types.Axis`: the corpus is scored with ``engine.axes.rank``.
* ``baselines.py``: direct bias, ``mean_w |cos(w, g)|**c``, against random directions.
* ``weat.py``: ``WeatQuery`` (typed, JSON round trip), the bundled tests and WEAT itself
  (Caliskan et al. 2017): effect size with ddof = 1 and the **permutation test**
  (``weat_statistics``), exact over all partitions when there are few, sampled otherwise.
* ``debias.py``: hard debiasing (neutralise + equalise) on a *copy*, with the Gonen & Goldberg
  (2019) check of whether formerly biased words still cluster by their old bias.
* ``presets.py``: gender, sentiment and age starting points.

``import engine.bias`` keeps the public names of the former single module, except two: the second
corpus scorer ``score_corpus`` is gone (a direction is an axis: ``engine.axes.rank``), and the
function ``weat`` is now ``weat_vectors`` (``engine.bias.weat`` is the module).

Example (run as a doctest in ``engine/bias/weat.py``): ``weat_statistics(x, y, a, b)`` on four arrays.
"""
from __future__ import annotations

from engine.bias.baselines import BaselineKind, DirectBias, direct_bias, direct_bias_test, random_directions
from engine.bias.debias import (
    ClusterCheck, DebiasPreview, DebiasSpec, cluster_check, debias_preview, equalize, hard_debias, nearest_neighbors,
    neutralize,
)
from engine.bias.direction import (
    FIRST_PC_THRESHOLD, BiasDirection, DirectionMethod, DirectionReport, DirectionSpec, WordProjection,
    direction_from_pairs, direction_report, pair_pca, project_words,
)
from engine.bias.presets import BiasPreset, presets
from engine.bias.weat import (
    EXACT_PARTITION_LIMIT, MAX_STORED_PERMUTATIONS, WEAT_TESTS, WeatQuery, WeatResult, WeatTest, association,
    bundled_query, run_classic_weat, run_weat, weat_statistics, weat_vectors, weat_words,
)
from engine.bias.words import (
    DEFAULT_TEMPLATES, Vectors, WordEmbedder, WordVectors, check_model, default_pool_size, parse_pairs, parse_words,
    unit_direction,
)

__all__ = [
    "DEFAULT_TEMPLATES", "EXACT_PARTITION_LIMIT", "FIRST_PC_THRESHOLD", "MAX_STORED_PERMUTATIONS", "WEAT_TESTS",
    "BaselineKind", "BiasDirection", "BiasPreset", "ClusterCheck", "DebiasPreview", "DebiasSpec", "DirectBias",
    "DirectionMethod", "DirectionReport", "DirectionSpec", "Vectors", "WeatQuery", "WeatResult", "WeatTest",
    "WordEmbedder", "WordProjection", "WordVectors", "association", "bundled_query", "check_model",
    "cluster_check", "debias_preview", "default_pool_size", "direct_bias", "direct_bias_test",
    "direction_from_pairs", "direction_report", "equalize", "hard_debias", "nearest_neighbors", "neutralize",
    "pair_pca", "parse_pairs", "parse_words", "presets", "project_words", "random_directions", "run_classic_weat",
    "run_weat", "unit_direction", "weat_statistics", "weat_vectors", "weat_words",
]
