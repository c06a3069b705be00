"""Words in a model's space: parsing word lists, :class:`WordVectors` and the :class:`WordEmbedder`.

Every bias measure works on words looked up in one model's space. Word-vector models (GloVe)
look words up directly; sentence models embed each word through templates such as
``"This is a {word}."`` (SEAT, May et al. 2019) and average the templates' unit vectors; the
lexical baseline embeds words in the space fitted on a corpus. Words a model cannot represent
are reported in ``missing``, never silently turned into zero vectors.
"""
from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from engine import config
from engine.errors import BiasError
from engine.types import Axis, ModelSpec
from engine.vectors import row_lookup, unit_rows, unit_vector

if TYPE_CHECKING:
    from engine.store import Store
    from engine.types import Corpus

Vectors = npt.NDArray[np.float32]
Progress = Callable[[int, int], None]  # (words done, words to do)

DEFAULT_TEMPLATES: tuple[str, ...] = config.BIAS_TEMPLATES
_EMBED_BATCH = 64  # words per encode call: progress is reported between batches


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
            # a linear split (no nested quantifiers): safe on hostile input
            parts = [p.strip() for p in re.split(r"\s*[,:;\t]\s*|\s+-\s+|\s+", line.strip()) if p.strip()]
            if len(parts) != 2:
                raise BiasError(f"Cannot read the pair {line.strip()!r}: write one pair per line, e.g. 'she, he'.")
            pairs.append((parts[0], parts[1]))
    for pair in pairs:
        if len(pair) != 2:
            raise BiasError(f"A pair needs exactly two words, got {pair!r}.")
    return tuple((str(a), str(b)) for a, b in pairs)


# -- vectors ---------------------------------------------------------------------------------------------
def unit_direction(vector: np.ndarray) -> np.ndarray:
    """``vector`` as a float32 unit vector; a zero vector is a :class:`BiasError` (both sides coincide)."""
    unit = unit_vector(vector)
    if unit is None:
        raise BiasError("The direction has zero length: the two sides are identical in this model.")
    return unit.astype(np.float32)


def check_model(axis: Axis, model_id: str) -> None:
    """Refuse to mix a direction with vectors of another model."""
    if axis.model_id != model_id:
        raise BiasError(
            f"This direction lives in {axis.model_id!r}'s space, not {model_id!r}'s: rebuild it in that model."
        )


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
        object.__setattr__(self, "_rows", row_lookup(self.words))

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
        return WordVectors(self.model_id, self.words, unit_rows(vectors), self.missing, self.templates)

    def merge(self, other: "WordVectors") -> "WordVectors":
        """This set plus ``other``'s words not already present."""
        if other.model_id != self.model_id:
            raise BiasError(f"Cannot mix word vectors of {self.model_id!r} and {other.model_id!r}.")
        extra = [i for i, w in enumerate(other.words) if w not in self._rows]
        words = self.words + tuple(other.words[i] for i in extra)
        vectors = np.concatenate([self.vectors, other.vectors[extra]]).astype(np.float32)
        missing = tuple(dict.fromkeys(self.missing + other.missing))
        return WordVectors(self.model_id, words, vectors, missing, self.templates)


# -- the embedder ------------------------------------------------------------------------------------------
class WordEmbedder:
    """Turns words into unit vectors in one model's space; remembers what it has looked up.

    Thread-safe (it may be shared between app sessions). Word models (GloVe) look words up in
    their vocabulary (lower-cased; a multi-word phrase is the mean of its known words); sentence
    models embed each template with the word filled in and average the unit vectors; the lexical
    baseline embeds the bare word in the space fitted on ``corpus``. The model itself is loaded
    on first use (:meth:`load`), so a page can say so before the wait.
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
        self._encoder_value: Any = None

    @property
    def model_id(self) -> str:
        return self.spec.model_id

    def key(self, word: str) -> str:
        """How a typed word is normalised for this model (word models are lower-cased)."""
        word = " ".join(word.split())
        return word.lower() if self.spec.kind != "sentence" else word

    @property
    def loaded(self) -> bool:
        """True once the model is in memory (loading a sentence model takes seconds)."""
        return self._encoder_value is not None

    def load(self) -> None:
        """Load the model now (otherwise it loads on the first word)."""
        self._encoder()

    def _encoder(self) -> Any:
        if self._encoder_value is None:
            from engine.embed import encoder_for

            self._encoder_value = encoder_for(self.spec, store=self.store, corpus=self.corpus)
        return self._encoder_value

    def pending(self, words: Iterable[str]) -> int:
        """How many of ``words`` still have to be embedded (0: :meth:`embed` returns at once)."""
        keys = {self.key(w) for w in words if w and w.strip()}
        with self._lock:
            return sum(1 for w in keys if w not in self._cache)

    def _compute(self, words: list[str]) -> list[np.ndarray | None]:
        if not words:
            return []
        encoder = self._encoder()
        if self.spec.kind == "word":
            out: list[np.ndarray | None] = []
            for w in words:
                if w in encoder.index:
                    out.append(unit_vector(np.asarray(encoder.table[encoder.index[w]], dtype=np.float32)))
                else:
                    vec, ok = encoder.encode([w])
                    out.append(unit_vector(vec[0]) if ok[0] else None)
            return [None if v is None else v.astype(np.float32) for v in out]
        from engine.embed import embed_texts

        if self.spec.kind == "lexical":
            vectors, valid = embed_texts(words, encoder)
            return [vectors[i] if valid[i] else None for i in range(len(words))]
        total = None
        for template in self.templates:
            vectors, _ = embed_texts([template.format(word=w) for w in words], encoder)
            total = vectors.astype(np.float64) if total is None else total + vectors
        assert total is not None
        unit = unit_rows(total)
        return [unit[i] for i in range(len(words))]

    def embed(self, words: Iterable[str], *, progress: Progress | None = None) -> WordVectors:
        """Vectors for ``words`` (deduplicated after normalisation); unknown words go to ``missing``.

        Args:
            words: Words or short phrases.
            progress: Called with (done, total) words to embed, between batches of 64.
        """
        keys = tuple(dict.fromkeys(self.key(w) for w in words if w and w.strip()))
        with self._lock:
            todo = [w for w in keys if w not in self._cache]
            if progress is not None:
                progress(0, len(todo))
            for start in range(0, len(todo), _EMBED_BATCH):
                batch = todo[start:start + _EMBED_BATCH]
                for w, vec in zip(batch, self._compute(batch)):
                    self._cache[w] = vec
                if progress is not None:
                    progress(start + len(batch), len(todo))
            found = tuple(w for w in keys if self._cache[w] is not None)
            missing = tuple(w for w in keys if self._cache[w] is None)
            dim = self._dimension(found)
            vectors = (np.stack([self._cache[w] for w in found]).astype(np.float32)  # type: ignore[misc]
                       if found else np.zeros((0, dim), dtype=np.float32))
        return WordVectors(self.model_id, found, vectors, missing, self.templates)

    def _dimension(self, found: Sequence[str]) -> int:
        if found:
            return int(self._cache[found[0]].shape[0])  # type: ignore[union-attr]
        return int(self.spec.dimension or 0)

    def vocabulary_words(self, n: int) -> tuple[str, ...]:
        """The ``n`` frequent words :meth:`vocabulary` uses (for a model that embeds each word)."""
        if self.spec.kind == "word":
            return ()
        import wordfreq

        return tuple([w for w in wordfreq.top_n_list("en", n * 3) if w.isalpha() and len(w) >= 3][:n])

    def vocabulary(self, n: int, *, progress: Progress | None = None) -> WordVectors:
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
            vectors = unit_rows(np.asarray(encoder.table[: rows[-1] + 1])[rows]) if rows else np.zeros((0, 1), np.float32)
            return WordVectors(self.model_id, tuple(words), vectors, (), ())
        return self.embed(self.vocabulary_words(n), progress=progress)


def default_pool_size(spec: ModelSpec) -> int:
    """Reference vocabulary size: a cheap table slice for word vectors, fewer words for models that
    must embed each word (about 2-4 s per thousand templated words on two cores)."""
    return config.BIAS_POOL_WORDS if spec.kind == "word" else config.BIAS_POOL_TEMPLATED
