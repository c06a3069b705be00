"""Typed axis recipes: one frozen dataclass per way of defining an axis, with a JSON round trip.

A recipe holds the *inputs and parameters* of an axis, never arrays, so the same axis can be
rebuilt in another model, saved by name and used as a cache key (``recipe_json``). Every kind
has ``to_dict()`` (JSON-ready, ``"method"`` names the kind) and ``from_dict()``;
:func:`recipe_from_dict` picks the kind and also reads the older, untyped recipes saved before
this module existed:

* an ``expression`` recipe without ``grammar_version`` was written under the old Axes grammar
  (version 1) and keeps that meaning (``_parse_v1``; new recipes carry version 2, the one
  grammar of :mod:`engine.expressions`);
* the Bias page's ``{"method": "pca", "pairs": …, "templates": …}`` is a ``pair_pca`` recipe.

Example:
    >>> recipe = ExpressionRecipe(expression="king - man + woman")
    >>> recipe.to_dict()["grammar_version"]
    2
    >>> recipe_from_dict(recipe.to_dict()) == recipe
    True
    >>> recipe_from_dict({"method": "expression", "expression": "x"}).grammar_version
    1
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, ClassVar, Union

from engine.errors import AxisError, ExpressionError
from engine.expressions import GRAMMAR_VERSION, Term, parse_expression

REST = "rest"  # a selection recipe's negative pole when it is "every other valid item"


def _texts(values: Any) -> tuple[str, ...]:
    """Pole texts: stripped, empty lines dropped."""
    if isinstance(values, str):
        values = [values]
    return tuple(str(v).strip() for v in values or () if v is not None and str(v).strip())


def _ids(values: Any) -> tuple[str, ...]:
    if isinstance(values, str):
        return () if values == REST else (values,)
    return tuple(str(v) for v in values or ())


def _labels(values: Any) -> tuple[str, str] | None:
    values = [str(v).strip() for v in values or ()]
    return (values[0], values[1]) if len(values) >= 2 and values[0] and values[1] else None


def _pairs(values: Any) -> tuple[tuple[str, str], ...]:
    out = []
    for pair in values or ():
        if len(pair) != 2:
            raise AxisError(f"A pair needs exactly two words, got {list(pair)!r}.")
        out.append((str(pair[0]), str(pair[1])))
    return tuple(out)


def _optional_str(value: Any) -> str | None:
    return None if value is None or str(value) == "" else str(value)


# how each field is read back from JSON (unknown keys, e.g. a preset's "description", are ignored)
_READERS: dict[str, Callable[[Any], Any]] = {
    "name": lambda v: str(v or ""), "labels": _labels,
    "positive": _texts, "negative": _texts,
    "positive_ids": _ids, "negative_ids": _ids, "ids": _ids, "classes": _ids,
    "expression": str, "grammar_version": int,
    "column": _optional_str, "positive_class": _optional_str,
    "labels_values": tuple, "alpha": float, "sample": int, "seed": int,
    "pairs": _pairs, "templates": _texts,
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class _Recipe:
    """Fields every kind has: an optional display ``name`` and ``labels`` (positive, negative)."""

    name: str = ""
    labels: tuple[str, str] | None = None
    KIND: ClassVar[str] = ""

    @property
    def method(self) -> str:
        return self.KIND

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"method": kind, <fields>}``; an empty name or labels is left out."""
        out: dict[str, Any] = {"method": self.KIND}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("name", "labels") and not value:
                continue
            out[f.name] = _jsonable(value)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Any:
        """Read a recipe of this kind from JSON-ready data (missing fields take their defaults)."""
        kwargs = {f.name: _READERS[f.name](data[f.name]) for f in fields(cls)
                  if f.name in data and data[f.name] is not None}
        try:
            return cls(**kwargs)
        except TypeError as exc:  # a required field is missing
            raise AxisError(f"The {cls.KIND!r} recipe is incomplete: {exc}.") from None

    def named(self, name: str | None = None, labels: tuple[str, str] | None = None) -> Any:
        """A copy with another display name and/or labels (the inputs stay the same)."""
        return replace(self, name=self.name if name is None else name, labels=labels or self.labels)


@dataclass(frozen=True, slots=True, kw_only=True)
class PolesRecipe(_Recipe):
    """Two lists of texts or words; direction = mean(positive) - mean(negative)."""

    positive: tuple[str, ...]
    negative: tuple[str, ...]
    KIND: ClassVar[str] = "poles"


@dataclass(frozen=True, slots=True, kw_only=True)
class ItemsRecipe(_Recipe):
    """Corpus item ids for each end (e.g. two extreme items); the same difference of means."""

    positive_ids: tuple[str, ...]
    negative_ids: tuple[str, ...]
    KIND: ClassVar[str] = "items"


@dataclass(frozen=True, slots=True, kw_only=True)
class SelectionRecipe(_Recipe):
    """Ids handed over from the Map vs ``negative_ids`` (empty = the rest of the corpus)."""

    positive_ids: tuple[str, ...]
    negative_ids: tuple[str, ...] = ()
    KIND: ClassVar[str] = "selection"

    def to_dict(self) -> dict[str, Any]:
        out = _Recipe.to_dict(self)
        out["negative_ids"] = list(self.negative_ids) if self.negative_ids else REST
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ExpressionRecipe(_Recipe):
    """``good - bad``, ``king - man + woman``: the 3CosAdd sum of signed unit vectors.

    ``grammar_version`` records which grammar reads ``expression`` (see the module docstring).
    """

    expression: str
    grammar_version: int = GRAMMAR_VERSION
    KIND: ClassVar[str] = "expression"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ExpressionRecipe:
        # a recipe saved before versions existed was read by the old Axes grammar: keep that meaning
        return cls(expression=str(data.get("expression") or ""), grammar_version=int(data.get("grammar_version") or 1),
                   name=str(data.get("name") or ""), labels=_labels(data.get("labels")))

    def terms(self) -> tuple[Term, ...]:
        """The signed terms, read with the grammar this recipe was written in."""
        if self.grammar_version == 1:
            return _parse_v1(self.expression)
        if self.grammar_version == GRAMMAR_VERSION:
            return parse_expression(self.expression)
        raise AxisError(f"This expression was saved with grammar version {self.grammar_version}, newer than "
                        f"this Embedscape reads ({GRAMMAR_VERSION}); update Embedscape.")


@dataclass(frozen=True, slots=True, kw_only=True)
class _ProbeRecipe(_Recipe):
    """Labelled items: ``ids`` + ``labels_values``, or a metadata ``column`` (optionally a seeded
    ``sample`` of that many rows). ``alpha`` is the ridge penalty (logistic: C = 1/alpha)."""

    column: str | None = None
    ids: tuple[str, ...] = ()
    labels_values: tuple[Any, ...] = ()
    sample: int = 0
    seed: int = 0
    alpha: float = 1.0


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeRidgeRecipe(_ProbeRecipe):
    """Numeric labels: the ridge-regression coefficient vector, normalised (toward higher labels)."""

    KIND: ClassVar[str] = "probe_ridge"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProbeLogisticRecipe(_ProbeRecipe):
    """Two classes (``classes`` filters the column): the logistic coefficient vector, toward
    ``positive_class`` (default: the later class in sorted order)."""

    classes: tuple[str, ...] = ()
    positive_class: str | None = None
    KIND: ClassVar[str] = "probe_logistic"


@dataclass(frozen=True, slots=True, kw_only=True)
class PairPcaRecipe(_Recipe):
    """Definitional word pairs (she/he, woman/man): Bolukbasi's first principal component,
    computed by ``engine.bias``; ``templates`` embed each word for sentence models."""

    pairs: tuple[tuple[str, str], ...]
    templates: tuple[str, ...] = ()
    KIND: ClassVar[str] = "pair_pca"


AxisRecipe = Union[PolesRecipe, ItemsRecipe, SelectionRecipe, ExpressionRecipe, ProbeRidgeRecipe,
                   ProbeLogisticRecipe, PairPcaRecipe]
RECIPE_KINDS: dict[str, type] = {k.KIND: k for k in (PolesRecipe, ItemsRecipe, SelectionRecipe, ExpressionRecipe,
                                                     ProbeRidgeRecipe, ProbeLogisticRecipe, PairPcaRecipe)}
METHODS: tuple[str, ...] = tuple(RECIPE_KINDS)


def recipe_from_dict(data: Mapping[str, Any] | AxisRecipe) -> AxisRecipe:
    """The typed recipe for JSON-ready data (a typed recipe is returned as is).

    Raises:
        AxisError: For an unknown method or a recipe missing its inputs.
    """
    if isinstance(data, _Recipe):
        return data  # type: ignore[return-value]
    method = str(data.get("method", ""))
    if data.get("pairs") is not None and method in ("pca", "pair_pca"):  # the Bias page's direction recipe
        method = "pair_pca"
    elif data.get("pairs") is not None and method == "mean":
        raise AxisError("A bias direction made with the 'mean of pair differences' method cannot be rebuilt "
                        "as an axis; build it with the PCA method (the default) on the Bias page.")
    kind = RECIPE_KINDS.get(method)
    if kind is None:
        raise AxisError(f"Unknown axis method {method!r}; choose one of: {', '.join(METHODS)}.")
    return kind.from_dict(data)


def recipe_json(recipe: Mapping[str, Any] | AxisRecipe) -> str:
    """Canonical JSON of a recipe: equal recipes give equal strings (a cache key)."""
    return json.dumps(recipe_from_dict(recipe).to_dict(), sort_keys=True, ensure_ascii=False)


def _parse_v1(expression: str) -> tuple[Term, ...]:
    """The Axes grammar before version 2, kept only to read unversioned saved recipes.

    Operators must stand between spaces, so ``king -man +woman`` is one term and ``-bad`` is
    the word "-bad"; a quoted phrase is one term; a leading ``-`` followed by a space negates.
    """
    text = (expression or "").strip()
    if not text:
        raise ExpressionError("The axis expression is empty. Write something like `good - bad`.")
    if text.endswith((" +", " -")) or text in "+-":
        raise ExpressionError(f"Cannot read the expression {expression!r}: it ends with an operator; "
                              "add the last term.")
    sign = 1
    if text[0] in "+-" and (len(text) == 1 or text[1].isspace() or text[1] == '"'):
        sign, text = (1 if text[0] == "+" else -1), text[1:].strip()
    parts = re.split(r"\s+([+-])\s+", text)  # no nested quantifiers: linear time
    signed = [(sign, parts[0])] + [(1 if parts[i] == "+" else -1, parts[i + 1]) for i in range(1, len(parts) - 1, 2)]
    terms = []
    for term_sign, term in signed:
        term = term.strip().strip('"').strip()
        if not term or term in "+-":
            raise ExpressionError(f"Cannot read the expression {expression!r}: every + or - needs a term on "
                                  "both sides.")
        terms.append(Term(term_sign, term))
    return tuple(terms)
