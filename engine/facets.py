"""Cross-filtered metadata summaries: one small chart's data per metadata column, and the conditions a
brush on such a chart sets in the one filter model (:mod:`engine.filters`).

Classic crossfilter: each column's summary counts the rows that *every other* condition keeps, so a
chart never collapses onto its own brush and shows what the rest of the filter leaves. The expensive
part (binning every row) is done once per corpus by :func:`plan_facets`; :func:`facet_counts` is then
a few ``np.bincount`` calls over the row masks, fast at 100k rows.

Example:
    >>> import polars as pl
    >>> from engine.types import Corpus
    >>> frame = pl.DataFrame({"id": ["0", "1", "2"], "text": ["a", "b", "c"], "kind": ["x", "y", "x"]})
    >>> plans = plan_facets(Corpus("c", "c", frame, "text"))
    >>> [(p.column, p.kind) for p in plans]
    [('kind', 'category')]
    >>> facet_counts(plans, {}, None)[0].frame["count"].to_list()
    [2, 1]
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import numpy as np
import numpy.typing as npt
import polars as pl

from engine.filters import Filter, MetadataFilter, as_datetime, combine_masks
from engine.labels import is_identifier_column
from engine.types import ID_COLUMN, TEXT_COLUMN, Corpus, Mask

FacetKind = Literal["number", "category", "date"]
OTHER = "(other)"  # the bar that sums every category past the top k
MAX_FACETS = 8  # more charts than this crowd the page and slow every rerun
HISTOGRAM_BINS = 30
TOP_CATEGORIES = 12
MAX_PERIODS = 60
CATEGORY_DISTINCT = 50  # a text column with more distinct values than this is free text when…
UNIQUE_SHARE = 0.5  # …more than this share of its values are distinct (titles, notes, sentences)
FREE_TEXT_CHARS = 80  # a text column whose median value is longer than this is free text
# (name, polars truncate unit, seconds per period): finest first; the first giving <= MAX_PERIODS wins
PERIODS: tuple[tuple[str, str, float], ...] = (
    ("hour", "1h", 3600), ("day", "1d", 86_400), ("week", "1w", 7 * 86_400),
    ("month", "1mo", 30.4 * 86_400), ("quarter", "1q", 91.3 * 86_400), ("year", "1y", 365.25 * 86_400),
)


@dataclass(frozen=True, slots=True, eq=False)
class FacetPlan:
    """How one column is summarised, with every row's bin computed once.

    Attributes:
        column: The metadata column.
        kind: ``number`` (histogram), ``category`` (top-k bars and ``(other)``) or ``date`` (timeline).
        labels: One label per bin: bin starts (number), category values, period starts (ISO text, date).
        ends: Bin ends for numbers and dates (same length as labels); empty for categories.
        codes: (n,) int32 bin of each row; -1 for a missing value.
        integer: The column holds integers (a brush rounds to whole numbers).
        unit: The period of a date timeline (``day``, ``month``…); empty otherwise.
    """

    column: str
    kind: FacetKind
    labels: tuple[object, ...]
    ends: tuple[object, ...]
    codes: npt.NDArray[np.int32]
    integer: bool = False
    unit: str = ""


@dataclass(frozen=True, slots=True, eq=False)
class Facet:
    """One chart's data under the current filter.

    Attributes:
        plan: The column's plan.
        frame: One row per bin: ``label`` (and ``end`` for numbers/dates), ``count`` (rows every other
            condition keeps) and ``selected`` (of those, rows in the map selection; equals ``count``
            without a selection).
        total: Rows every other condition keeps.
        missing: Of those, rows without a value in this column.
    """

    plan: FacetPlan
    frame: pl.DataFrame
    total: int
    missing: int


def facet_kind(series: pl.Series) -> FacetKind | None:
    """The chart a column gets, or None for id-like columns, free text and columns with no values."""
    values = series.drop_nulls()
    if values.len() == 0 or series.dtype == pl.Null:
        return None
    if series.dtype == pl.Date or isinstance(series.dtype, pl.Datetime):
        return "date"
    if series.dtype == pl.Boolean:
        return "category"
    if series.dtype.is_numeric():
        if is_identifier_column(series):
            return None
        return "category" if series.dtype.is_integer() and values.n_unique() <= TOP_CATEGORIES else "number"
    if series.dtype not in (pl.String, pl.Categorical, pl.Enum):
        return None
    text = values.cast(pl.String)
    if series.dtype == pl.String and _looks_like_dates(text):
        return "date"
    distinct = text.n_unique()
    if distinct > CATEGORY_DISTINCT and distinct > UNIQUE_SHARE * text.len():
        return None
    if (text.str.len_chars().median() or 0) > FREE_TEXT_CHARS:
        return None
    return "category"


def plan_facets(corpus: Corpus, *, max_facets: int = MAX_FACETS) -> list[FacetPlan]:
    """A plan for each chartable metadata column (file order, at most ``max_facets``)."""
    plans = []
    for column in corpus.frame.columns:
        if column in (ID_COLUMN, TEXT_COLUMN):
            continue
        series = corpus.frame[column]
        kind = facet_kind(series)
        if kind is not None:
            plans.append(_PLANNERS[kind](column, series))
        if len(plans) >= max_facets:
            break
    return plans


def condition_masks(corpus: Corpus, value: Filter) -> tuple[dict[str, Mask], Mask | None]:
    """Each column condition's own row mask (by column; two on one column are ANDed) and the mask of
    the item sets, so each chart can leave out its own column cheaply."""
    by_column: dict[str, Mask] = {}
    for condition in value.conditions:
        mask = Filter((condition,)).mask(corpus)
        if mask is not None:
            by_column[condition.column] = combine_masks(by_column.get(condition.column), mask)
    sets = Filter((), value.item_sets).mask(corpus) if value.item_sets else None
    return by_column, sets


def facet_counts(plans: Sequence[FacetPlan], column_masks: Mapping[str, Mask], item_set_mask: Mask | None,
                 *, selection: Mask | None = None) -> list[Facet]:
    """Each plan's counts under every condition except its own column's.

    Args:
        plans: From :func:`plan_facets`.
        column_masks: Per-column condition masks (:func:`condition_masks`).
        item_set_mask: The item sets' mask (applies to every chart), or None.
        selection: The map selection (rows), counted separately as ``selected``; None: no selection.
    """
    out = []
    for plan in plans:
        others = combine_masks(item_set_mask, *(m for c, m in column_masks.items() if c != plan.column))
        codes = plan.codes if others is None else plan.codes[others]
        n_bins = len(plan.labels)
        counts = np.bincount(codes[codes >= 0], minlength=n_bins)[:n_bins]
        if selection is not None:
            chosen = plan.codes[selection if others is None else (selection & others)]
            selected = np.bincount(chosen[chosen >= 0], minlength=n_bins)[:n_bins]
        else:
            selected = counts
        columns: dict[str, object] = {"label": list(plan.labels)}
        if plan.ends:
            columns["end"] = list(plan.ends)
        columns |= {"count": counts.astype(np.int64), "selected": selected.astype(np.int64)}
        out.append(Facet(plan, pl.DataFrame(columns, strict=False), int(codes.size), int((codes < 0).sum())))
    return out


def range_condition(plan: FacetPlan, low: float | None, high: float | None) -> MetadataFilter | None:
    """The condition a brush over a histogram sets (whole numbers for an integer column); None when
    the brush is empty or reversed."""
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)) or high < low:
        return None
    if plan.integer:
        low, high = float(np.ceil(low)), float(np.floor(high))
        if high < low:
            return None
    elif plan.labels:  # a brush is as precise as a pixel: keep ~4 significant digits of the column's span
        span = float(plan.ends[-1]) - float(plan.labels[0])
        decimals = max(0, 3 - int(np.floor(np.log10(span)))) if span > 0 else 6
        low, high = round(float(low), decimals), round(float(high), decimals)
    return MetadataFilter(plan.column, low=float(low), high=float(high))


def date_condition(plan: FacetPlan, start: object, end: object) -> MetadataFilter | None:
    """The condition a brush over a timeline sets. ``start``/``end``: epoch milliseconds (what
    Vega-Lite reports for a UTC time scale) or ISO text; None when the brush is empty or reversed."""
    first, last = _iso_moment(start), _iso_moment(end)
    if first is None or last is None or _naive(last) < _naive(first):
        return None
    return MetadataFilter(plan.column, start=first, end=last)


def category_condition(plan: FacetPlan, picked: Iterable[object], corpus: Corpus) -> MetadataFilter | None:
    """The condition a click on category bars sets; ``(other)`` stands for every value past the top k."""
    chosen = [str(v) for v in picked if v is not None]
    if not chosen:
        return None
    values = [v for v in chosen if v != OTHER]
    if OTHER in chosen:
        top = set(plan.labels) - {OTHER}
        rest = corpus.frame[plan.column].drop_nulls().cast(pl.String).unique().sort().to_list()
        values += [v for v in rest if v not in top]
    return MetadataFilter(plan.column, values=tuple(dict.fromkeys(values))) if values else None


# -- planners -----------------------------------------------------------------------------------

def _plan_number(column: str, series: pl.Series) -> FacetPlan:
    values = series.cast(pl.Float64).fill_nan(None).to_numpy().astype(np.float64)
    finite = np.isfinite(values)
    low, high = (float(values[finite].min()), float(values[finite].max())) if finite.any() else (0.0, 0.0)
    integer = series.dtype.is_integer()
    bins = HISTOGRAM_BINS
    if integer and high > low:  # whole-number bins (one bar per value when the range is small)
        width = int(np.ceil((high - low + 1) / HISTOGRAM_BINS))
        bins = int(np.ceil((high - low + 1) / width))
        edges = low - 0.5 + width * np.arange(bins + 1, dtype=np.float64)
    elif high == low:
        bins, edges = 1, np.array([low - 0.5, high + 0.5])
    else:
        edges = np.linspace(low, high, bins + 1)
    codes = np.full(values.shape, -1, dtype=np.int32)
    codes[finite] = np.clip(np.searchsorted(edges, values[finite], side="right") - 1, 0, bins - 1)
    return FacetPlan(column, "number", tuple(float(e) for e in edges[:-1]), tuple(float(e) for e in edges[1:]),
                     codes, integer=integer)


def _plan_category(column: str, series: pl.Series) -> FacetPlan:
    text = series.cast(pl.String)
    counts = text.drop_nulls().value_counts(sort=True, name="n")
    # ties broken by value, so the bars keep their order across runs
    counts = counts.sort(["n", counts.columns[0]], descending=[True, False])
    top = counts[:, 0].head(TOP_CATEGORIES).to_list()
    labels = list(top) + ([OTHER] if counts.height > TOP_CATEGORIES else [])
    code_of = pl.DataFrame({"value": top, "code": np.arange(len(top), dtype=np.int32)})
    codes = (pl.DataFrame({"value": text}).join(code_of, on="value", how="left", maintain_order="left")
             .select(pl.when(pl.col("value").is_null()).then(-1)
                     .otherwise(pl.col("code").fill_null(len(top))).cast(pl.Int32))
             .to_series().to_numpy())
    return FacetPlan(column, "category", tuple(labels), (), codes.astype(np.int32))


def _plan_date(column: str, series: pl.Series) -> FacetPlan:
    moments = pl.select(as_datetime(pl.lit(series), series.dtype)).to_series()
    present = moments.drop_nulls()
    if present.len() == 0:
        return FacetPlan(column, "date", (), (), np.full(series.len(), -1, dtype=np.int32))
    span = (present.max() - present.min()).total_seconds()
    unit, every = next(((name, every) for name, every, seconds in PERIODS if span / seconds < MAX_PERIODS),
                       PERIODS[-1][:2])
    periods = moments.dt.truncate(every)
    starts = periods.drop_nulls().unique().sort()
    if starts.len() > 4 * MAX_PERIODS:  # a century of years: keep the chart small, one bar per decade…
        periods = periods.dt.truncate("10y")
        starts, unit = periods.drop_nulls().unique().sort(), "decade"
    code_of = pl.DataFrame({"period": starts, "code": np.arange(starts.len(), dtype=np.int32)})
    codes = (pl.DataFrame({"period": periods}).join(code_of, on="period", how="left", maintain_order="left")
             ["code"].fill_null(-1).to_numpy().astype(np.int32))
    ends = pl.select(pl.lit(starts).dt.offset_by(every if unit != "decade" else "10y")).to_series()
    return FacetPlan(column, "date", tuple(_iso(s) for s in starts.to_list()),
                     tuple(_iso(e) for e in ends.to_list()), codes, unit=unit)


_PLANNERS = {"number": _plan_number, "category": _plan_category, "date": _plan_date}


def _looks_like_dates(text: pl.Series) -> bool:
    """Most of a sample of values parse as ISO dates (a text column of dates, e.g. from a CSV)."""
    sample = text.head(200)
    if (sample.str.len_chars().max() or 0) > 35:
        return False
    parsed = pl.select(as_datetime(pl.lit(sample), pl.String)).to_series()
    return parsed.null_count() <= 0.1 * sample.len()


def _iso(moment: datetime) -> str:
    return moment.date().isoformat() if moment.time() == datetime.min.time() else moment.isoformat()


def _naive(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _iso_moment(value: object) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        if not np.isfinite(value):
            return None
        try:
            moment = datetime.fromtimestamp(float(value) / 1000, tz=UTC).replace(tzinfo=None)
        except (OverflowError, OSError, ValueError):
            return None
        return moment.isoformat(timespec="seconds")
    text = str(value).strip()
    try:
        moment = datetime.fromisoformat(text) if len(text) <= 40 else None
    except ValueError:
        return None
    return text if moment is not None else None
