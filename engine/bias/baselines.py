"""Direct bias (Bolukbasi et al. 2016) and what chance looks like: random directions as a baseline.

Direct bias is ``mean_w |cos(w, g)|**c`` over neutral words. On its own the number says little,
so it is compared with the same statistic for random directions: differences of random
frequent-word pairs by default (embedding spaces are anisotropic, so random unit vectors
understate chance), or uniformly random unit vectors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engine import config
from engine.bias.words import WordVectors, check_model, unit_direction
from engine.errors import BiasError
from engine.types import Axis
from engine.vectors import unit_rows

BaselineKind = Literal["random_pairs", "random_unit"]


def direct_bias(vectors: np.ndarray, direction: np.ndarray, *, c: float = 1.0) -> float:
    """Bolukbasi et al.'s direct bias: mean over words of |cos(w, g)|**c.

    Rows of ``vectors`` and ``direction`` are normalised here, so any lengths work.
    """
    if len(vectors) == 0:
        raise BiasError("Direct bias needs at least one neutral word the model knows.")
    cos = unit_rows(vectors) @ unit_direction(direction)
    return float(np.mean(np.abs(cos) ** c))


@dataclass(frozen=True, slots=True, eq=False)
class DirectBias:
    """Direct bias of a direction over neutral words, against random directions.

    ``p_value`` is the share of random directions whose direct bias is at least as large,
    ``(1 + count) / (1 + n_random)``.
    """

    value: float
    c: float
    words: tuple[str, ...]
    missing: tuple[str, ...]
    baseline: npt.NDArray[np.float64]
    baseline_kind: str
    p_value: float
    seed: int

    @property
    def baseline_median(self) -> float:
        return float(np.median(self.baseline))

    @property
    def baseline_p95(self) -> float:
        return float(np.percentile(self.baseline, 95))

    def summary(self) -> dict[str, Any]:
        return {
            "value": round(self.value, 4), "c": self.c, "n_words": len(self.words), "missing": list(self.missing),
            "baseline": self.baseline_kind, "baseline_median": round(self.baseline_median, 4),
            "baseline_p95": round(self.baseline_p95, 4), "p_value": self.p_value, "n_random": len(self.baseline),
            "seed": self.seed,
        }


def random_directions(
    dimension: int, n: int, *, kind: BaselineKind = "random_unit", pool: WordVectors | None = None, seed: int = 0
) -> np.ndarray:
    """(n, dimension) unit directions: uniformly random, or differences of random word pairs from ``pool``.

    Embedding spaces are anisotropic, so differences of real word pairs are the fairer baseline.
    """
    rng = np.random.default_rng(seed)
    if kind == "random_unit":
        return unit_rows(rng.standard_normal((n, dimension)))
    if kind != "random_pairs":
        raise BiasError(f"Unknown baseline {kind!r}: use 'random_pairs' or 'random_unit'.")
    if pool is None or len(pool) < 4:
        raise BiasError("A random-pairs baseline needs a pool of at least 4 words.")
    first = rng.integers(0, len(pool), n)
    offset = rng.integers(1, len(pool), n)  # never the same word twice
    second = (first + offset) % len(pool)
    return unit_rows(pool.vectors[first].astype(np.float64) - pool.vectors[second])


def direct_bias_test(
    axis: Axis,
    neutral: WordVectors,
    *,
    c: float = 1.0,
    n_random: int = config.BIAS_RANDOM_DIRECTIONS,
    kind: BaselineKind = "random_pairs",
    pool: WordVectors | None = None,
    seed: int = 0,
) -> DirectBias:
    """Direct bias over ``neutral`` words, and its distribution for ``n_random`` random directions."""
    check_model(axis, neutral.model_id)
    if c <= 0:
        raise BiasError("The strictness c must be positive (Bolukbasi et al. use c = 1).")
    value = direct_bias(neutral.vectors, axis.direction, c=c)
    directions = random_directions(neutral.dimension, n_random, kind=kind, pool=pool, seed=seed)
    baseline = np.mean(np.abs(neutral.vectors.astype(np.float64) @ directions.T) ** c, axis=0)
    p_value = float((1 + np.sum(baseline >= value)) / (1 + n_random))
    return DirectBias(value, c, neutral.words, neutral.missing, baseline, kind, p_value, seed)
