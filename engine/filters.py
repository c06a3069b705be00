"""The one filter model: column conditions plus named item sets, accepted by Search, Map, Axes
and every export, and serialisable to JSON (for links and recipes).

A :class:`Filter` is a frozen value. ``filter.mask(corpus)`` gives a (n,) bool row mask, or None
when the filter keeps everything, so callers can skip work for the common no-filter case.

Example:
    >>> from engine.corpus import corpus_from_texts
    >>> import polars as pl
    >>> corpus, _ = corpus_from_texts(["a", "b", "c"], name="x")
    >>> Filter(item_sets=(ItemSet("picked", ("0", "2")),)).mask(corpus).tolist()
    [True, False, True]
    >>> Filter.from_json(Filter(item_sets=(ItemSet("picked", ("0",)),)).to_json()).item_sets[0].ids
    ('0',)
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import polars as pl

from engine.errors import SearchError
from engine.types import ID_COLUMN, TEXT_COLUMN, Corpus, Mask

FILTER_VERSION = 1


class FilterError(SearchError):
    """A filter names a column the corpus lacks, or does not fit the column's type (a SearchError,
    so every page that already reports search errors reports it)."""

    exit_code = 7


@dataclass(frozen=True, slots=True)
class MetadataFilter:
    """One condition on a metadata column. Set one of ``values``, (``low``/``high``), ``contains``,
    (``start``/``end``).

    Attributes:
        column: A metadata column of the corpus.
        values: Keep rows whose value (as text) is one of these.
        low: Keep rows with value >= low (numeric columns).
        high: Keep rows with value <= high (numeric columns).
        contains: Keep rows whose value (as text) contains this, case-insensitively (literal, no regex).
        start: Keep rows dated at or after this ISO date/datetime (date columns, or text holding ISO dates).
        end: Keep rows dated at or before this ISO date/datetime (a bare date means that whole day).
    """

    column: str
    values: tuple[str, ...] | None = None
    low: float | None = None
    high: float | None = None
    contains: str | None = None
    start: str | None = None
    end: str | None = None

    def __post_init__(self) -> None:
        for moment in (self.start, self.end):
            if moment is not None and not _is_moment(moment):
                raise FilterError(f"{moment[:40]!r} is not an ISO date such as 2024-05-31 or 2024-05-31T12:00.")

    def expression(self, dtype: pl.DataType | None = None) -> pl.Expr:
        """The polars condition; ``dtype`` (the column's type) tells a date column from dates kept as text."""
        column = pl.col(self.column)
        conditions = []
        if self.start is not None or self.end is not None:
            moments = as_datetime(column, dtype)
            if self.start is not None:
                conditions.append(moments >= _moment(self.start))
            if self.end is not None:
                # a bare date as the end means the whole day: compare against the next midnight
                end = _moment(self.end)
                conditions.append(moments < end + timedelta(days=1) if _is_bare_date(self.end) else moments <= end)
        if self.values is not None:
            conditions.append(column.cast(pl.String).is_in(list(self.values)))
        if self.low is not None:
            conditions.append(column >= self.low)
        if self.high is not None:
            conditions.append(column <= self.high)
        if self.contains:
            conditions.append(column.cast(pl.String).str.to_lowercase().str.contains(self.contains.lower(), literal=True))
        if not conditions:
            return pl.lit(True)
        expr = conditions[0]
        for condition in conditions[1:]:
            expr = expr & condition
        return expr.fill_null(False)

    def describe(self) -> str:
        if self.start is not None or self.end is not None:
            return f"{self.column} from {self.start or 'the start'} to {self.end or 'the end'}"
        if self.values is not None:
            return f"{self.column} in {list(self.values)}"
        if self.contains:
            return f"{self.column} contains {self.contains!r}"
        low = self.low if self.low is not None else "-inf"
        high = self.high if self.high is not None else "inf"
        return f"{low} <= {self.column} <= {high}"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"column": self.column}
        if self.values is not None:
            out["values"] = list(self.values)
        if self.low is not None:
            out["low"] = self.low
        if self.high is not None:
            out["high"] = self.high
        if self.contains:
            out["contains"] = self.contains
        if self.start is not None:
            out["start"] = self.start
        if self.end is not None:
            out["end"] = self.end
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "MetadataFilter":
        values = data.get("values")
        return cls(str(data["column"]), tuple(str(v) for v in values) if values is not None else None,
                   _float_or_none(data.get("low")), _float_or_none(data.get("high")),
                   str(data["contains"]) if data.get("contains") else None,
                   _moment_text(data.get("start")), _moment_text(data.get("end")))


@dataclass(frozen=True, slots=True)
class ItemSet:
    """A named set of item ids (a tag, a curated cluster, a map selection).

    ``exclude=True`` keeps the rows *not* in the set. ``ref`` names a stored set the ids came
    from (``("tag", name, ...)``: items carrying any of the tags; ``("cluster", clustering,
    number, ...)``: items in any of those clusters of a named clustering); a link or recipe may
    carry the ref alone, and ``engine.itemsets.resolve_filter`` fills (or refreshes) the ids.
    """

    name: str
    ids: tuple[str, ...]
    exclude: bool = False
    ref: tuple[str, ...] = ()

    def describe(self) -> str:
        return f"{'not in' if self.exclude else 'in'} {self.name!r} ({len(self.ids):,} items)"

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "ids": list(self.ids), "exclude": self.exclude}
        if self.ref:
            out["ref"] = list(self.ref)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ItemSet":
        return cls(str(data["name"]), tuple(str(i) for i in data.get("ids", ())), bool(data.get("exclude", False)),
                   tuple(str(part) for part in data.get("ref", ())))


@dataclass(frozen=True, slots=True)
class Filter:
    """Every condition must hold (AND): column conditions and item-set memberships."""

    conditions: tuple[MetadataFilter, ...] = ()
    item_sets: tuple[ItemSet, ...] = field(default=())

    @property
    def is_empty(self) -> bool:
        return not self.conditions and not self.item_sets

    def describe(self) -> list[str]:
        """One plain-text line per condition (render as text, never as Markdown)."""
        return [c.describe() for c in self.conditions] + [s.describe() for s in self.item_sets]

    def mask(self, corpus: Corpus) -> Mask | None:
        """A (n,) bool mask of rows meeting every condition, or None when the filter is empty.

        Raises:
            FilterError: For a column the corpus does not have, or a range on a text column.
        """
        if self.is_empty:
            return None
        keep = np.ones(corpus.frame.height, dtype=bool)
        if self.conditions:
            for item in self.conditions:
                if item.column not in corpus.frame.columns or item.column == ID_COLUMN:
                    columns = ", ".join(c for c in corpus.frame.columns if c not in (ID_COLUMN, TEXT_COLUMN))
                    raise FilterError(f"No metadata column {item.column!r}. Columns: {columns or 'none'}.")
                if (item.low is not None or item.high is not None) and not corpus.frame[item.column].dtype.is_numeric():
                    raise FilterError(f"Column {item.column!r} is not numeric: filter it by values, not by a range.")
                if (item.start is not None or item.end is not None) and not _datable(corpus.frame.schema[item.column]):
                    raise FilterError(f"Column {item.column!r} holds no dates: filter it by values or a range.")
            schema = corpus.frame.schema
            expr = self.conditions[0].expression(schema[self.conditions[0].column])
            for item in self.conditions[1:]:
                expr = expr & item.expression(schema[item.column])
            keep &= corpus.frame.select(expr.alias("keep"))["keep"].to_numpy().astype(bool)
        if self.item_sets:
            ids = corpus.frame[ID_COLUMN]
            for item_set in self.item_sets:
                member = ids.is_in(list(item_set.ids)).to_numpy().astype(bool)
                keep &= ~member if item_set.exclude else member
        return keep

    def with_condition(self, condition: MetadataFilter) -> "Filter":
        """A new filter with ``condition`` replacing any earlier one on the same column."""
        kept = tuple(c for c in self.conditions if c.column != condition.column)
        return Filter(kept + (condition,), self.item_sets)

    def with_item_set(self, item_set: ItemSet) -> "Filter":
        """A new filter with ``item_set`` replacing any earlier set of the same name."""
        kept = tuple(s for s in self.item_sets if s.name != item_set.name)
        return Filter(self.conditions, kept + (item_set,))

    def without(self, description: str) -> "Filter":
        """A new filter without the condition whose ``describe()`` line is ``description``."""
        return Filter(tuple(c for c in self.conditions if c.describe() != description),
                      tuple(s for s in self.item_sets if s.describe() != description))

    def as_dict(self) -> dict[str, Any]:
        return {"version": FILTER_VERSION, "conditions": [c.as_dict() for c in self.conditions],
                "item_sets": [s.as_dict() for s in self.item_sets]}

    def to_json(self) -> str:
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Filter":
        """Raises FilterError for a malformed value (e.g. from a link)."""
        try:
            return cls(tuple(MetadataFilter.from_dict(c) for c in data.get("conditions", ())),
                       tuple(ItemSet.from_dict(s) for s in data.get("item_sets", ())))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise FilterError(f"This filter cannot be read ({type(exc).__name__}); clear it and set it again.") from exc

    @classmethod
    def from_json(cls, text: str) -> "Filter":
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise FilterError("This filter is not valid JSON; clear it and set it again.") from exc
        if not isinstance(data, dict):
            raise FilterError("This filter is not a JSON object; clear it and set it again.")
        return cls.from_dict(data)


def combine_masks(*masks: Mask | None) -> Mask | None:
    """AND of masks, None meaning "keep everything"."""
    present = [np.asarray(m, dtype=bool) for m in masks if m is not None]
    if not present:
        return None
    out = present[0].copy()
    for mask in present[1:]:
        out &= mask
    return out


def filter_mask(corpus: Corpus, filters: Sequence[MetadataFilter] | Filter | None) -> Mask | None:
    """Backwards-compatible helper: a mask from a Filter or a list of column conditions."""
    if filters is None:
        return None
    value = filters if isinstance(filters, Filter) else Filter(tuple(filters))
    return value.mask(corpus)


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    if not np.isfinite(number):
        raise ValueError("not a finite number")
    return number


ISO_FORMATS = ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M")


def as_datetime(column: pl.Expr, dtype: pl.DataType | None) -> pl.Expr:
    """``column`` as naive datetimes: a date column cast, a zoned one taken in UTC, text parsed as ISO
    dates (values that do not parse become null, so a date range never keeps them)."""
    if dtype is not None and dtype != pl.String and _datable(dtype):
        if isinstance(dtype, pl.Datetime) and dtype.time_zone:
            column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        return column.cast(pl.Datetime("us"))
    text = column.cast(pl.String).str.strip_chars()
    # explicit formats: polars' format inference raises on a column whose first value is not a date
    return pl.coalesce([text.str.to_datetime(form, strict=False, time_unit="us") for form in ISO_FORMATS])


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _is_moment(text: str) -> bool:
    if len(text) > 40:  # an ISO datetime is at most ~32 characters; longer text is not one
        return False
    try:
        _moment(text)
    except ValueError:
        return False
    return True


def _datable(dtype: pl.DataType) -> bool:
    """A date range fits date/datetime columns and text columns (ISO dates kept as text)."""
    return dtype in (pl.Date, pl.String) or isinstance(dtype, pl.Datetime)


def _is_bare_date(text: str) -> bool:
    return len(text.strip()) <= 10


def _moment_text(value: Any) -> str | None:
    """An ISO date/datetime from JSON (MetadataFilter checks it)."""
    return None if value is None else str(value)
