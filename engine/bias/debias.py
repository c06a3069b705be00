"""Hard debiasing (Bolukbasi et al. 2016) as a *preview on a copy*, and the Gonen & Goldberg check.

Neutralise removes the direction from every word except the definitional ones; equalise makes
each pair equidistant from every neutralised word. Gonen & Goldberg (2019) showed that this
hides the bias from one direction without removing it: the words that leaned one way still
cluster together afterwards. :func:`cluster_check` measures exactly that, so the page can
present debiasing as a diagnostic, never as a fix. Shared vectors are never modified.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine import config
from engine.bias.direction import DirectionSpec, direction_from_pairs
from engine.bias.weat import WeatQuery, WeatResult, bundled_query, weat_vectors
from engine.bias.words import WordEmbedder, WordVectors, check_model, unit_direction
from engine.errors import BiasError
from engine.types import Axis
from engine.vectors import cosine_neighbors, unit_rows


# -- hard debiasing (preview on a copy) ---------------------------------------------------------------
def neutralize(vectors: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """A new array: each row with its component along ``direction`` removed, re-normalised."""
    g = unit_direction(direction).astype(np.float64)
    v = np.asarray(vectors, dtype=np.float64)
    return unit_rows(v - np.outer(v @ g, g))


def equalize(first: np.ndarray, second: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bolukbasi's equalise step for one pair (unit vectors): both end up equidistant from every
    neutralised word, differing only along ``direction``. Returns new unit vectors."""
    g = unit_direction(direction).astype(np.float64)
    e1, e2 = np.asarray(first, np.float64), np.asarray(second, np.float64)
    mu = (e1 + e2) / 2
    mu_b = (mu @ g) * g
    nu = mu - mu_b
    scale = math.sqrt(max(0.0, 1.0 - float(nu @ nu)))
    out = []
    for e in (e1, e2):
        e_b = (e @ g) * g
        diff = e_b - mu_b
        norm = float(np.linalg.norm(diff))
        out.append(nu + scale * (diff / norm if norm > 0 else np.zeros_like(diff)))
    return out[0].astype(np.float32), out[1].astype(np.float32)


def hard_debias(
    space: WordVectors,
    axis: Axis,
    *,
    specific: Iterable[str],
    equalize_pairs: Sequence[tuple[str, str]] = (),
) -> WordVectors:
    """Neutralise every word of ``space`` except the ``specific`` ones, then equalise the pairs.

    ``space`` is not changed: the result is a new :class:`WordVectors` (a copy).
    """
    check_model(axis, space.model_id)
    specific = {w for w in specific} | {w for pair in equalize_pairs for w in pair}
    keep = np.array([w in specific for w in space.words], dtype=bool)
    vectors = np.array(space.vectors, dtype=np.float32, copy=True)
    if (~keep).any():
        vectors[~keep] = neutralize(vectors[~keep], axis.direction)
    for a, b in equalize_pairs:
        if a in space and b in space and a != b:
            ia, ib = space.row(a), space.row(b)
            vectors[ia], vectors[ib] = equalize(vectors[ia], vectors[ib], axis.direction)
    return space.with_vectors(vectors)


def nearest_neighbors(space: WordVectors, word: str, k: int = 8) -> list[tuple[str, float]]:
    """The ``k`` words of ``space`` most similar to ``word`` (itself excluded; ties by row)."""
    if word not in space:
        return []
    row = space.row(word)
    rows, sims = cosine_neighbors(space.vectors, space.vectors[row], k, exclude=[row])
    return [(space.words[int(r)], float(s)) for r, s in zip(rows, sims)]


@dataclass(frozen=True, slots=True, eq=False)
class ClusterCheck:
    """Gonen & Goldberg (2019): do the words most biased before debiasing still cluster by that bias?

    ``accuracy`` is the agreement of a 2-means clustering with the words' original bias sign
    (0.5 = no trace of the old bias; 1.0 = perfectly recoverable). ``classifier_*`` is the
    5-fold cross-validated accuracy of a linear classifier (ridge) predicting the
    old side from the vectors, the second check in Gonen & Goldberg's paper.
    """

    words: tuple[str, ...]
    original_sign: npt.NDArray[np.int8]
    accuracy_before: float
    accuracy_after: float
    coords_before: npt.NDArray[np.float32]  # (n, 2) PCA of the vectors before
    coords_after: npt.NDArray[np.float32]  # (n, 2) PCA of the vectors after
    seed: int
    classifier_before: float = float("nan")
    classifier_after: float = float("nan")


def cluster_check(
    before: WordVectors, after: WordVectors, axis: Axis, *, n_per_side: int = 500,
    exclude: Iterable[str] = (), seed: int = 0,
) -> ClusterCheck:
    """Take the ``n_per_side`` most positive and most negative words of ``before`` along ``axis``
    (excluding ``exclude``), cluster them into two with k-means before and after debiasing, and
    report how well the clusters recover the original sign."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.linear_model import RidgeClassifier
    from threadpoolctl import threadpool_limits
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    check_model(axis, before.model_id)
    if before.words != after.words:
        raise BiasError("Before and after must hold the same words.")
    excluded = set(exclude)
    candidates = np.array([i for i, w in enumerate(before.words) if w not in excluded])
    if len(candidates) < 8:
        raise BiasError("Too few words for the clustering check: use a larger vocabulary.")
    n_side = max(2, min(n_per_side, len(candidates) // 4))
    scores = before.vectors[candidates] @ axis.direction
    order = np.argsort(scores)
    rows = np.concatenate([candidates[order[-n_side:]], candidates[order[:n_side]]])
    sign = np.concatenate([np.ones(n_side, np.int8), -np.ones(n_side, np.int8)])

    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=seed)

    def checks(vectors: np.ndarray) -> tuple[float, np.ndarray, float]:
        with threadpool_limits(1):  # tiny problems: threads only add overhead on a busy machine
            labels = KMeans(n_clusters=2, n_init=4, random_state=seed).fit_predict(vectors)
            coords = PCA(n_components=2, random_state=seed).fit_transform(vectors).astype(np.float32)
            classifier = float(np.mean(cross_val_score(RidgeClassifier(alpha=1.0), vectors, sign, cv=folds)))
        agree = float(np.mean((labels == 1) == (sign == 1)))
        return max(agree, 1 - agree), coords, classifier

    acc_before, coords_before, clf_before = checks(before.vectors[rows])
    acc_after, coords_after, clf_after = checks(after.vectors[rows])
    return ClusterCheck(tuple(before.words[i] for i in rows), sign, acc_before, acc_after,
                        coords_before, coords_after, seed, clf_before, clf_after)


@dataclass(frozen=True, slots=True)
class DebiasSpec:
    """A debias preview: the direction analysis plus what to equalise, keep and show."""

    direction: DirectionSpec
    equalize_pairs: tuple[tuple[str, str], ...] = ()
    specific: tuple[str, ...] = ()  # words never neutralised (besides the pairs' words)
    probes: tuple[str, ...] = ("nurse", "engineer", "homemaker", "programmer")
    weat_test: str | None = "math_arts"
    n_neighbors: int = 8
    n_per_side: int = 500
    pool_size: int = config.BIAS_POOL_WORDS
    n_permutations: int = config.BIAS_DEBIAS_PERMUTATIONS
    seed: int = 0

    def weat_query(self) -> WeatQuery | None:
        """The bundled WEAT run before and after, if any (BiasError for an unknown test id)."""
        return bundled_query(self.weat_test) if self.weat_test else None

    def words(self) -> tuple[str, ...]:
        """Every word the preview adds to the frequent-word pool (targets, probes, pairs, WEAT sets, specific)."""
        query = self.weat_query()
        pair_words = [w for p in self.direction.pairs + self.equalize_pairs for w in p]
        return tuple(dict.fromkeys(list(self.direction.targets) + list(self.probes) + pair_words
                                   + list(query.words() if query else ()) + list(self.specific)))


@dataclass(frozen=True, slots=True, eq=False)
class DebiasPreview:
    """Before/after views of a hard-debiased copy. A diagnostic, never a fix."""

    axis: Axis
    words: tuple[str, ...]
    before_scores: npt.NDArray[np.float32]
    after_scores: npt.NDArray[np.float32]
    neighbors_before: dict[str, list[tuple[str, float]]]
    neighbors_after: dict[str, list[tuple[str, float]]]
    weat_before: WeatResult | None
    weat_after: WeatResult | None
    clusters: ClusterCheck
    n_neutralized: int
    equalized: tuple[tuple[str, str], ...]
    missing: tuple[str, ...]
    spec: DebiasSpec

    def summary(self) -> dict[str, Any]:
        return {
            "model_id": self.axis.model_id, "direction": self.axis.name,
            "projection": [{"word": w, "before": round(float(b), 4), "after": round(float(a), 4)}
                           for w, b, a in zip(self.words, self.before_scores, self.after_scores)],
            "neighbors_before": {w: [n for n, _ in ns] for w, ns in self.neighbors_before.items()},
            "neighbors_after": {w: [n for n, _ in ns] for w, ns in self.neighbors_after.items()},
            "weat_before": self.weat_before.summary() if self.weat_before else None,
            "weat_after": self.weat_after.summary() if self.weat_after else None,
            "cluster_accuracy_before": round(self.clusters.accuracy_before, 4),
            "cluster_accuracy_after": round(self.clusters.accuracy_after, 4),
            "classifier_accuracy_before": round(self.clusters.classifier_before, 4),
            "classifier_accuracy_after": round(self.clusters.classifier_after, 4),
            "cluster_words": len(self.clusters.words), "n_neutralized": self.n_neutralized,
            "equalized": [list(p) for p in self.equalized], "missing": list(self.missing),
            "note": "A diagnostic preview: hard debiasing hides the direction, it does not remove bias "
                    "(Gonen & Goldberg 2019).",
        }


def debias_preview(embedder: WordEmbedder, spec: DebiasSpec, *, pool: WordVectors | None = None) -> DebiasPreview:
    """Hard-debias a copy of a vocabulary and compare before/after.

    The vocabulary is ``pool`` (frequent words) plus every word the analysis names (targets,
    probes, pairs, the WEAT sets). Words in the pairs and ``spec.specific`` keep their
    direction component; everything else is neutralised; equalise pairs are equalised.
    """
    direction = direction_from_pairs(spec.direction.pairs, embedder, method=spec.direction.method,
                                     name=spec.direction.name or None)
    axis = direction.axis
    pool = pool if pool is not None else embedder.vocabulary(spec.pool_size)
    query = spec.weat_query()
    extra = embedder.embed(spec.words())
    space = pool.merge(extra)
    key = embedder.key
    pair_words = [w for p in spec.direction.pairs + spec.equalize_pairs for w in p]
    specific = {key(w) for w in spec.specific} | {key(w) for w in pair_words}
    equalize_pairs = tuple((key(a), key(b)) for a, b in spec.equalize_pairs)
    after = hard_debias(space, axis, specific=specific, equalize_pairs=equalize_pairs)
    targets = space.subset(key(w) for w in spec.direction.targets)
    before_scores = (targets.vectors @ axis.direction).astype(np.float32)
    after_scores = (after.subset(targets.words).vectors @ axis.direction).astype(np.float32)
    probes = [key(w) for w in spec.probes if key(w) in space]
    nb_before = {w: nearest_neighbors(space, w, spec.n_neighbors) for w in probes}
    nb_after = {w: nearest_neighbors(after, w, spec.n_neighbors) for w in probes}
    weat_before = weat_after = None
    if query is not None:
        word_lists = [[key(w) for w in s] for s in query.sets()]
        weat_before = weat_vectors(*(space.subset(ws) for ws in word_lists), names=query.names,  # type: ignore[arg-type]
                           n_permutations=spec.n_permutations, seed=spec.seed, query=query)
        weat_after = weat_vectors(*(after.subset(ws) for ws in word_lists), names=query.names,  # type: ignore[arg-type]
                          n_permutations=spec.n_permutations, seed=spec.seed, query=query)
    clusters = cluster_check(space, after, axis, n_per_side=spec.n_per_side, exclude=specific, seed=spec.seed)
    n_neutralized = sum(1 for w in space.words if w not in specific)
    equalized = tuple(p for p in equalize_pairs if p[0] in space and p[1] in space)
    missing = tuple(dict.fromkeys(extra.missing))
    return DebiasPreview(axis, targets.words, before_scores, after_scores, nb_before, nb_after,
                         weat_before, weat_after, clusters, n_neutralized, equalized, missing, spec)


