"""WEAT (Caliskan et al. 2017): a typed query, the effect size and the permutation test.

A :class:`WeatQuery` holds the four word lists (targets X, Y; attributes A, B) and their names;
it is hashable (a cache key) and round-trips through JSON. :func:`weat_statistics` is the whole
test on arrays: the effect size ``d`` with the sample standard deviation (ddof = 1) over X ∪ Y,
and the **permutation test**: a one-sided p-value over the partitions of X ∪ Y, enumerated when
there are at most ``BIAS_EXACT_PARTITIONS`` of them, else a seeded sample.

Example:
    >>> import numpy as np
    >>> x = np.array([[1.0, 0.1], [0.9, 0.2]]); y = np.array([[0.1, 1.0], [0.2, 0.9]])
    >>> a = np.array([[1.0, 0.0]]); b = np.array([[0.0, 1.0]])
    >>> d, p, _, _ = weat_statistics(x, y, a, b)
    >>> round(float(d), 3) > 0, round(float(p), 3)
    (True, 0.167)
"""
from __future__ import annotations

import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine import config
from engine.bias.words import WordEmbedder, WordVectors
from engine.errors import BiasError
from engine.vectors import unit_rows

EXACT_PARTITION_LIMIT = config.BIAS_EXACT_PARTITIONS
MAX_STORED_PERMUTATIONS = config.BIAS_STORED_PERMUTATIONS
_SET_KEYS = ("x", "y", "a", "b")


# -- the query ----------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class WeatQuery:
    """One WEAT question: is X closer to A (and Y to B) than the reverse?

    Attributes:
        x, y: Target word lists (e.g. flowers, insects).
        a, b: Attribute word lists (e.g. pleasant, unpleasant).
        names: Display names of X, Y, A, B.

    >>> q = WeatQuery(("rose", "tulip"), ("ant", "wasp"), ("love",), ("filth",), ("flowers", "insects", "pleasant", "unpleasant"))
    >>> WeatQuery.from_json(q.to_json()) == q
    True
    """

    x: tuple[str, ...]
    y: tuple[str, ...]
    a: tuple[str, ...]
    b: tuple[str, ...]
    names: tuple[str, str, str, str] = ("X", "Y", "A", "B")

    def __post_init__(self) -> None:
        # lists from JSON or a text area become tuples, so the query is hashable (a cache key)
        for key in _SET_KEYS:
            object.__setattr__(self, key, tuple(str(w) for w in getattr(self, key)))
        names = tuple(str(n) for n in self.names)
        if len(names) != 4:
            raise BiasError(f"A WEAT query needs four names (X, Y, A, B), got {len(names)}.")
        object.__setattr__(self, "names", names)

    def sets(self) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
        """(X, Y, A, B)."""
        return self.x, self.y, self.a, self.b

    def words(self) -> tuple[str, ...]:
        """Every word of the four sets, once."""
        return tuple(dict.fromkeys(w for s in self.sets() for w in s))

    def to_dict(self) -> dict[str, Any]:
        return {"names": list(self.names), **{key: list(getattr(self, key)) for key in _SET_KEYS}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "WeatQuery":
        """Read ``{"x": [...], "y": [...], "a": [...], "b": [...], "names": [...]}`` (names optional).

        Raises:
            BiasError: When a set is missing or is not a list of words.
        """
        if not isinstance(data, dict):
            raise BiasError("A WEAT query is a JSON object with the lists x, y, a and b.")
        sets = []
        for key in _SET_KEYS:
            words = data.get(key)
            if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                raise BiasError(f"The WEAT query's {key!r} must be a list of words, e.g. \"{key}\": [\"rose\", \"tulip\"].")
            sets.append(tuple(words))
        names = data.get("names", ("X", "Y", "A", "B"))
        if not isinstance(names, (list, tuple)):
            raise BiasError("The WEAT query's 'names' must be a list of four names.")
        return cls(*sets, names=tuple(names))  # type: ignore[arg-type]

    @classmethod
    def from_json(cls, text: str) -> "WeatQuery":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise BiasError(f"The WEAT query is not valid JSON: {exc.msg} (line {exc.lineno}).") from exc
        return cls.from_dict(data)


@dataclass(frozen=True, slots=True)
class WeatTest:
    """A bundled WEAT: target sets X, Y and attribute sets A, B (names in ``engine.demo.weat_sets()``)."""

    test_id: str
    title: str
    x: str
    y: str
    a: str
    b: str
    source: str

    def query(self) -> WeatQuery:
        """The test's published word sets as a query."""
        from engine.demo import weat_sets

        sets = weat_sets()
        names = (self.x, self.y, self.a, self.b)
        return WeatQuery(*(sets[n] for n in names), names=names)


WEAT_TESTS: dict[str, WeatTest] = {
    t.test_id: t
    for t in (
        WeatTest("flowers_insects", "Flowers vs insects × pleasant vs unpleasant (WEAT 1)",
                 "flowers", "insects", "pleasant_5", "unpleasant_5a", "Greenwald et al. 1998"),
        WeatTest("instruments_weapons", "Instruments vs weapons × pleasant vs unpleasant (WEAT 2)",
                 "instruments", "weapons", "pleasant_5", "unpleasant_5a", "Greenwald et al. 1998"),
        WeatTest("names_race_5", "European- vs African-American names × pleasant vs unpleasant (WEAT 3)",
                 "european_american_names_5", "african_american_names_5", "pleasant_5", "unpleasant_5b",
                 "Greenwald et al. 1998"),
        WeatTest("names_race_7", "European- vs African-American names × pleasant vs unpleasant (WEAT 5)",
                 "european_american_names_7", "african_american_names_7", "pleasant_9", "unpleasant_9",
                 "Bertrand & Mullainathan 2004; Nosek et al. 2002"),
        WeatTest("career_family", "Male vs female names × career vs family (WEAT 6)",
                 "male_names", "female_names", "career", "family", "Nosek et al. 2002"),
        WeatTest("math_arts", "Math vs arts × male vs female terms (WEAT 7)",
                 "math", "arts", "male_terms", "female_terms", "Nosek et al. 2002"),
        WeatTest("science_arts", "Science vs arts × male vs female terms (WEAT 8)",
                 "science", "arts_2", "male_terms_2", "female_terms_2", "Nosek et al. 2002"),
        WeatTest("mental_physical", "Mental vs physical disease × temporary vs permanent (WEAT 9)",
                 "mental_disease", "physical_disease", "temporary", "permanent", "Monteith & Pettit 2011"),
        WeatTest("young_old", "Young vs old people's names × pleasant vs unpleasant (WEAT 10)",
                 "young_people_names", "old_people_names", "pleasant_9", "unpleasant_9", "Nosek et al. 2002"),
    )
}


def bundled_query(test_id: str) -> WeatQuery:
    """The query of one of :data:`WEAT_TESTS`.

    Raises:
        BiasError: For an unknown test id (the message lists the known ones).
    """
    if test_id not in WEAT_TESTS:
        raise BiasError(f"Unknown WEAT test {test_id!r}. Choose one of: {', '.join(WEAT_TESTS)}.")
    return WEAT_TESTS[test_id].query()


# -- the statistics ------------------------------------------------------------------------------------
def association(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """s(w, A, B) = mean_a cos(w, a) - mean_b cos(w, b), for each row of ``w``."""
    w, a, b = (unit_rows(m, dtype=np.float64) for m in (w, a, b))
    return (w @ a.T).mean(axis=1) - (w @ b.T).mean(axis=1)


def weat_statistics(
    x: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    *,
    n_permutations: int = config.BIAS_WEAT_PERMUTATIONS,
    exact_limit: int = EXACT_PARTITION_LIMIT,
    seed: int = 0,
) -> tuple[float, float, np.ndarray, bool]:
    """WEAT effect size and one-sided permutation p-value (Caliskan et al. 2017).

    ``d = (mean_x s(x,A,B) - mean_y s(y,A,B)) / std_{w in X∪Y} s(w,A,B)`` with ddof=1. The test
    statistic is ``S = sum_x s(x) - sum_y s(y)``; the p-value is the share of partitions of X∪Y
    into sets of sizes |X|, |Y| whose statistic is at least the observed one (ties included, so
    p > 0). Partitions are enumerated when there are at most ``exact_limit`` of them (the
    observed one included), else ``n_permutations`` are sampled with ``seed`` and
    ``p = (1 + count) / (1 + n)``. Vectorised: for a partition, ``S = 2·Σ_X s − Σ s``.

    Returns:
        (effect size, p-value, the partitions' statistics, exact?)
    """
    sx, sy = association(x, a, b), association(y, a, b)
    pooled = np.concatenate([sx, sy])
    nx, n = len(sx), len(pooled)
    if nx < 2 or len(sy) < 2:
        raise BiasError("WEAT needs at least two known words in each target set.")
    std = float(np.std(pooled, ddof=1))
    if std == 0:
        raise BiasError("Every target word has the same association: the effect size is undefined.")
    effect = float((sx.mean() - sy.mean()) / std)
    total = pooled.sum()
    observed = 2 * sx.sum() - total  # sum_x s - sum_y s
    # partitions whose S equals the observed one up to rounding count as "at least as large"
    tolerance = 1e-9 * max(1.0, float(np.abs(pooled).sum()))
    count = math.comb(n, nx)
    if count <= exact_limit:
        combos = np.fromiter(itertools.chain.from_iterable(itertools.combinations(range(n), nx)),
                             dtype=np.int32, count=count * nx).reshape(count, nx)
        stats = 2 * pooled[combos].sum(axis=1) - total
        p_value = float(np.mean(stats >= observed - tolerance))
        return effect, p_value, stats, True
    rng = np.random.default_rng(seed)
    stats = np.empty(n_permutations)
    chunk = 2000  # bounds memory: (chunk, n) random keys at a time
    for start in range(0, n_permutations, chunk):
        size = min(chunk, n_permutations - start)
        picks = np.argsort(rng.random((size, n)), axis=1)[:, :nx]
        stats[start:start + size] = 2 * pooled[picks].sum(axis=1) - total
    p_value = float((1 + np.sum(stats >= observed - tolerance)) / (1 + n_permutations))
    return effect, p_value, stats, False


@dataclass(frozen=True, slots=True, eq=False)
class WeatResult:
    """One WEAT run. Positive effect: X is closer to A (and Y to B) than the reverse.

    Attributes:
        effect_size: Caliskan et al.'s d (pooled sample std, ddof=1).
        p_value: One-sided permutation p-value.
        exact: True when every partition was enumerated.
        n_partitions: Partitions evaluated (all of them when exact).
        statistic: The observed test statistic S(X, Y, A, B).
        permutation_stats: Statistics of (up to 20,000 of) the partitions, for plotting.
        x_words, y_words: Target words used; x_assoc, y_assoc: their s(w, A, B).
        missing: Unknown words per set name ("X", "Y", "A", "B").
        query: The query as asked (before unknown words were left out), when known.
    """

    model_id: str
    names: tuple[str, str, str, str]
    effect_size: float
    p_value: float
    exact: bool
    n_partitions: int
    statistic: float
    permutation_stats: npt.NDArray[np.float64]
    x_words: tuple[str, ...]
    y_words: tuple[str, ...]
    a_words: tuple[str, ...]
    b_words: tuple[str, ...]
    x_assoc: npt.NDArray[np.float64]
    y_assoc: npt.NDArray[np.float64]
    missing: dict[str, tuple[str, ...]]
    seed: int
    templates: tuple[str, ...] = ()
    query: WeatQuery | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id, "X": self.names[0], "Y": self.names[1], "A": self.names[2],
            "B": self.names[3], "effect_size": round(self.effect_size, 4), "p_value": self.p_value,
            "exact": self.exact, "n_partitions": self.n_partitions, "statistic": round(self.statistic, 5),
            "sizes": [len(self.x_words), len(self.y_words), len(self.a_words), len(self.b_words)],
            "missing": {k: list(v) for k, v in self.missing.items() if v}, "seed": self.seed,
            "templates": list(self.templates),
            "query": self.query.to_dict() if self.query is not None else None,
        }


def weat_vectors(
    x: WordVectors,
    y: WordVectors,
    a: WordVectors,
    b: WordVectors,
    *,
    names: tuple[str, str, str, str] = ("X", "Y", "A", "B"),
    n_permutations: int = config.BIAS_WEAT_PERMUTATIONS,
    exact_limit: int = EXACT_PARTITION_LIMIT,
    seed: int = 0,
    query: WeatQuery | None = None,
) -> WeatResult:
    """WEAT on looked-up word sets (see :func:`weat_statistics`).

    Raises:
        BiasError: When the sets mix models, or an attribute set has no known word.
    """
    models = {s.model_id for s in (x, y, a, b)}
    if len(models) != 1:
        raise BiasError(f"All four WEAT sets must come from one model; got {sorted(models)}.")
    for label, s in (("A", a), ("B", b)):
        if len(s) == 0:
            raise BiasError(f"No word of attribute set {label} ({names['XYAB'.index(label)]}) is known to the model.")
    for label, s in (("X", x), ("Y", y)):
        if len(s) < 2:
            raise BiasError(f"Target set {label} ({names['XYAB'.index(label)]}) needs at least two known words; "
                            f"unknown: {', '.join(s.missing) or 'none'}.")
    effect, p_value, stats, exact = weat_statistics(
        x.vectors, y.vectors, a.vectors, b.vectors, n_permutations=n_permutations, exact_limit=exact_limit, seed=seed,
    )
    sx, sy = association(x.vectors, a.vectors, b.vectors), association(y.vectors, a.vectors, b.vectors)
    stored = stats
    if len(stats) > MAX_STORED_PERMUTATIONS:
        stored = np.random.default_rng(seed).choice(stats, MAX_STORED_PERMUTATIONS, replace=False)
    return WeatResult(
        model_id=x.model_id, names=names, effect_size=effect, p_value=p_value, exact=exact,
        n_partitions=int(len(stats)), statistic=float(sx.sum() - sy.sum()), permutation_stats=stored,
        x_words=x.words, y_words=y.words, a_words=a.words, b_words=b.words, x_assoc=sx, y_assoc=sy,
        missing={"X": x.missing, "Y": y.missing, "A": a.missing, "B": b.missing}, seed=seed,
        templates=x.templates, query=query,
    )


def run_weat(
    embedder: WordEmbedder,
    query: WeatQuery,
    *,
    n_permutations: int = config.BIAS_WEAT_PERMUTATIONS,
    seed: int = 0,
) -> WeatResult:
    """WEAT for a query, its words looked up with ``embedder``."""
    sets = [embedder.embed(words) for words in query.sets()]
    return weat_vectors(*sets, names=query.names, n_permutations=n_permutations, seed=seed, query=query)


def weat_words(
    embedder: WordEmbedder,
    x: Sequence[str], y: Sequence[str], a: Sequence[str], b: Sequence[str],
    *,
    names: tuple[str, str, str, str] = ("X", "Y", "A", "B"),
    n_permutations: int = config.BIAS_WEAT_PERMUTATIONS,
    seed: int = 0,
) -> WeatResult:
    """WEAT from four word lists (a shorthand for :func:`run_weat` with a :class:`WeatQuery`)."""
    return run_weat(embedder, WeatQuery(tuple(x), tuple(y), tuple(a), tuple(b), names), n_permutations=n_permutations,
                    seed=seed)


def run_classic_weat(
    embedder: WordEmbedder, test_id: str, *, n_permutations: int = config.BIAS_WEAT_PERMUTATIONS, seed: int = 0
) -> WeatResult:
    """One of :data:`WEAT_TESTS` with the bundled word sets."""
    return run_weat(embedder, bundled_query(test_id), n_permutations=n_permutations, seed=seed)
