"""Cross-filtered metadata summaries (engine.facets) and the date-range condition of the one filter model."""
from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from engine.facets import (
    OTHER,
    TOP_CATEGORIES,
    category_condition,
    condition_masks,
    date_condition,
    facet_counts,
    facet_kind,
    plan_facets,
    range_condition,
)
from engine.filters import Filter, FilterError, ItemSet, MetadataFilter
from engine.types import Corpus

HOSTILE = 'a.b [0] "x" <script>alert(1)</script> `code`'


def make_corpus(n: int = 400, seed: int = 0) -> Corpus:
    rng = np.random.default_rng(seed)
    kinds = rng.choice(["news", "blog", "paper", "<b>bold</b>", "x.y"], n).tolist()
    kinds[3] = None
    score = rng.normal(size=n)
    score[5] = np.nan
    frame = pl.DataFrame({
        "id": [f"r{i}" for i in range(n)],
        "text": [f"text {i}" for i in range(n)],
        "score": score,
        HOSTILE: kinds,
        "year": rng.integers(1990, 2000, n),
        "published": [(dt.date(2020, 1, 1) + dt.timedelta(days=int(d))).isoformat() for d in rng.integers(0, 700, n)],
        "moment": [dt.datetime(2021, 1, 1) + dt.timedelta(hours=int(h)) for h in rng.integers(0, 24 * 40, n)],
        "article_id": np.arange(n) * 7,  # unique integers: an id, no chart
        "note": [f"a free-text remark number {i} about something" for i in range(n)],
    })
    return Corpus("c", "c", frame, "text")


def test_kinds_skip_ids_and_free_text():
    corpus = make_corpus()
    kinds = {p.column: p.kind for p in plan_facets(corpus)}
    assert kinds == {"score": "number", HOSTILE: "category", "year": "category", "published": "date",
                     "moment": "date"}
    assert facet_kind(pl.Series([None, None], dtype=pl.String)) is None
    assert facet_kind(pl.Series(range(100)).cast(pl.Float64)) == "number"  # floats are never ids


def test_each_chart_leaves_out_its_own_condition_only():
    corpus = make_corpus()
    plans = {p.column: p for p in plan_facets(corpus)}
    value = Filter((MetadataFilter("score", low=-0.5, high=1.0), MetadataFilter(HOSTILE, values=("news", "x.y")),
                    MetadataFilter("published", start="2020-03-01", end="2020-12-31")))
    masks, sets = condition_masks(corpus, value)
    facets = {f.plan.column: f for f in facet_counts(list(plans.values()), masks, sets)}
    for column, facet in facets.items():
        others = Filter(tuple(c for c in value.conditions if c.column != column)).mask(corpus)
        assert facet.total == int(others.sum()), column
        # the bins plus the missing values account for every row the other conditions keep
        assert int(facet.frame["count"].sum()) + facet.missing == facet.total, column
    # the score histogram still shows scores outside its own brush (it ignores its own condition)…
    score = facets["score"].frame
    assert score.filter(pl.col("end") < -0.5)["count"].sum() > 0
    # …while the category chart counts only in-range scores
    kept = corpus.frame.filter(pl.col("score").is_between(-0.5, 1.0)
                               & pl.col("published").is_between(pl.lit("2020-03-01"), pl.lit("2020-12-31")))
    news = facets[HOSTILE].frame.filter(pl.col("label") == "news")["count"].item()
    assert news == kept.filter(pl.col(HOSTILE) == "news").height


def test_selection_counts_are_a_subset():
    corpus = make_corpus()
    plans = plan_facets(corpus)
    selection = np.zeros(corpus.frame.height, dtype=bool)
    selection[:50] = True
    facets = facet_counts(plans, {}, None, selection=selection)
    for facet in facets:
        assert (facet.frame["selected"] <= facet.frame["count"]).all()
        assert 0 < facet.frame["selected"].sum() <= 50
    plain = facet_counts(plans, {}, None)
    assert all((f.frame["selected"] == f.frame["count"]).all() for f in plain)


def test_item_sets_apply_to_every_chart():
    corpus = make_corpus()
    value = Filter(item_sets=(ItemSet("picked", ("r1", "r2", "r4")),))
    masks, sets = condition_masks(corpus, value)
    for facet in facet_counts(plan_facets(corpus), masks, sets):
        assert facet.total == 3


def test_histogram_brush_to_condition_round_trip():
    corpus = make_corpus()
    plan = next(p for p in plan_facets(corpus) if p.column == "score")
    condition = range_condition(plan, -0.25, 0.75)
    keep = Filter((condition,)).mask(corpus)
    scores = corpus.frame["score"].to_numpy()
    assert keep.sum() == int(((scores >= -0.25) & (scores <= 0.75)).sum())
    assert not keep[5]  # NaN never inside a range
    assert range_condition(plan, 1.0, 0.0) is None
    assert range_condition(plan, None, 1.0) is None
    assert range_condition(plan, float("nan"), 1.0) is None


def test_integer_brush_rounds_to_whole_numbers():
    corpus = Corpus("c", "c", pl.DataFrame({"id": [str(i) for i in range(200)], "text": ["t"] * 200,
                                            "pages": [i % 90 for i in range(200)]}), "text")
    plan = plan_facets(corpus)[0]
    assert plan.integer and plan.kind == "number"
    condition = range_condition(plan, 9.6, 20.4)
    assert (condition.low, condition.high) == (10.0, 20.0)
    assert range_condition(plan, 9.2, 9.8) is None  # no whole number inside


def test_category_click_and_other():
    rng = np.random.default_rng(1)
    values = [f"v{i:02d}" for i in range(TOP_CATEGORIES + 8)]
    column = rng.choice(values, 1000, p=np.linspace(2, 1, len(values)) / np.linspace(2, 1, len(values)).sum())
    corpus = Corpus("c", "c", pl.DataFrame({"id": [str(i) for i in range(1000)], "text": ["t"] * 1000,
                                            HOSTILE: column}), "text")
    plan = plan_facets(corpus)[0]
    assert plan.labels[-1] == OTHER and len(plan.labels) == TOP_CATEGORIES + 1
    other = category_condition(plan, [OTHER], corpus)
    assert set(other.values) == set(values) - set(plan.labels)
    keep = Filter((other,)).mask(corpus)
    facet = facet_counts([plan], {}, None)[0]
    assert int(keep.sum()) == facet.frame.filter(pl.col("label") == OTHER)["count"].item()
    picked = category_condition(plan, [plan.labels[0], None], corpus)
    assert picked.values == (plan.labels[0],)
    assert category_condition(plan, [], corpus) is None


def test_date_brush_from_epoch_milliseconds_and_text():
    corpus = make_corpus()
    plans = {p.column: p for p in plan_facets(corpus)}
    start = dt.datetime(2020, 6, 1, tzinfo=dt.UTC).timestamp() * 1000
    end = dt.datetime(2020, 9, 1, tzinfo=dt.UTC).timestamp() * 1000
    condition = date_condition(plans["published"], start, end)
    assert condition.start.startswith("2020-06-01") and condition.end.startswith("2020-09-01")
    keep = Filter((condition,)).mask(corpus)
    published = corpus.frame["published"]
    assert keep.sum() == int(((published >= "2020-06-01") & (published <= "2020-09-01")).sum())
    assert date_condition(plans["published"], end, start) is None
    assert date_condition(plans["published"], "junk", "2020-01-01") is None
    assert date_condition(plans["published"], True, 5) is None
    moment = date_condition(plans["moment"], "2021-01-05", "2021-01-06")  # a bare end date: the whole day
    stamps = corpus.frame["moment"]
    expected = (stamps >= dt.datetime(2021, 1, 5)) & (stamps < dt.datetime(2021, 1, 7))
    assert Filter((moment,)).mask(corpus).sum() == int(expected.sum())


def test_timeline_periods_cover_each_row():
    corpus = make_corpus()
    plan = next(p for p in plan_facets(corpus) if p.column == "published")
    assert plan.unit in ("week", "month") and 1 < len(plan.labels) <= 60
    labels = np.array(plan.labels)
    ends = np.array(plan.ends)
    values = corpus.frame["published"].to_numpy()
    assert ((labels[plan.codes] <= values) & (values < ends[plan.codes])).all()


def test_date_filter_json_round_trip_and_validation():
    value = Filter((MetadataFilter(HOSTILE, start="2020-01-01", end="2020-02-01T12:00:00"),))
    again = Filter.from_json(value.to_json())
    assert again == value
    assert "2020-01-01" in value.describe()[0]
    with pytest.raises(FilterError):
        MetadataFilter("x", start="not a date")
    with pytest.raises(FilterError):
        Filter.from_json('{"conditions": [{"column": "x", "end": "' + "9" * 5000 + '"}]}')
    with pytest.raises(FilterError, match="holds no dates"):
        Filter((MetadataFilter("score", start="2020-01-01"),)).mask(make_corpus())


def test_date_filter_on_date_and_zoned_columns():
    frame = pl.DataFrame({"id": ["0", "1", "2", "3"], "text": list("abcd"),
                          "day": [dt.date(2020, 1, 1), dt.date(2020, 2, 1), None, dt.date(2021, 1, 1)],
                          "noted": ["2020-01-01", "junk", None, "2021-01-01T10:00"]})
    frame = frame.with_columns(pl.Series("zoned", [dt.datetime(2020, 1, 1, 5), None, None, dt.datetime(2021, 1, 1)])
                               .dt.replace_time_zone("Europe/Berlin"))
    corpus = Corpus("c", "c", frame, "text")
    year = {"start": "2020-01-01", "end": "2020-12-31"}
    assert Filter((MetadataFilter("day", **year),)).mask(corpus).tolist() == [True, True, False, False]
    assert Filter((MetadataFilter("noted", **year),)).mask(corpus).tolist() == [True, False, False, False]
    # midnight in Berlin on 1 January 2021 is still 2020 in UTC
    assert Filter((MetadataFilter("zoned", **year),)).mask(corpus).tolist() == [True, False, False, True]


def test_hostile_values_stay_values():
    corpus = make_corpus()
    plan = next(p for p in plan_facets(corpus) if p.column == HOSTILE)
    assert "<b>bold</b>" in plan.labels and "x.y" in plan.labels
    condition = category_condition(plan, ["<b>bold</b>"], corpus)
    keep = Filter((condition,)).mask(corpus)
    assert keep.sum() == (corpus.frame[HOSTILE] == "<b>bold</b>").sum()
    assert not keep[3]  # the missing value matches nothing


def test_a_float_brush_keeps_a_readable_precision():
    corpus = make_corpus()
    plan = next(p for p in plan_facets(corpus) if p.column == "score")
    condition = range_condition(plan, -1.0968212446828256, 1.8731155084806415)
    assert len(repr(condition.low)) <= 7 and len(repr(condition.high)) <= 7
    assert abs(condition.low + 1.0968) < 1e-3 and abs(condition.high - 1.8731) < 1e-3
