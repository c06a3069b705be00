"""engine.recipe: a recipe exported in one workspace reproduces the numbers in a fresh one; hostile files
are refused with typed errors naming the field."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.cli import main
from engine.errors import RecipeError
from engine.recipe import (AxisItem, CompareItem, CorpusRef, ModelRef, ProjectionItem, Recipe, SearchItem, WeatItem, parse_recipe,
                           run_recipe)

MODEL = "minilm-l3"


def _cli_json(capsys, *argv: str) -> dict:
    capsys.readouterr()
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def _by_kind(payload: dict, kind: str) -> list[dict]:
    return [r for r in payload["results"] if r["kind"] == kind]


def test_recipe_exported_in_one_workspace_reproduces_rankings_weat_and_map_in_a_fresh_one(tmp_path, capsys):
    from engine.demo import lee_news
    from engine.store import Store

    corpus, report = lee_news(limit=80)
    first, fresh = tmp_path / "first", tmp_path / "fresh"
    Store(first).save_corpus(corpus, report)
    recipe_file, weat_file = tmp_path / "recipe.json", tmp_path / "weat.json"
    weat_file.write_text(json.dumps({"x": ["rose", "tulip", "daisy"], "y": ["ant", "wasp", "flea"],
                                     "a": ["love", "peace"], "b": ["filth", "agony"]}))
    # the analysis in the first workspace: a saved axis (with a stability band), WEAT, a search, a UMAP map
    _cli_json(capsys, "--workspace", str(first), "axis", "rank", corpus.corpus_id, "--model", MODEL,
              "--positive", "police arrested the suspect", "court trial", "--negative", "cricket match", "sport",
              "--save", "crime vs sport", "--json")
    _cli_json(capsys, "--workspace", str(first), "recipe", "export", str(recipe_file), "--corpus", corpus.corpus_id,
              "--models", MODEL, "--weat-query", str(weat_file), "--search", "semantic:bushfires near Sydney",
              "--band", "20", "--json")
    seen = _cli_json(capsys, "--workspace", str(first), "recipe", "run", str(recipe_file), "--coords", "--json")

    Store(fresh).save_corpus(corpus, report)  # the same file ingested on another machine
    report = tmp_path / "report.html"
    redone = _cli_json(capsys, "--workspace", str(fresh), "recipe", "run", str(recipe_file), "--coords",
                       "--report", str(report), "--json")
    assert redone["report"] == str(report) and "Content-Security-Policy" in report.read_text()

    assert redone["corpus"]["match"] == "same corpus" and not any("error" in r for r in redone["results"])
    (axis_a,), (axis_b,) = _by_kind(seen, "axis"), _by_kind(redone, "axis")
    assert axis_b["n_ranked"] == len(corpus) and axis_b["order"] == axis_a["order"]
    assert axis_b["band"]["n_resamples"] == 20 and axis_b["band"] == axis_a["band"]
    (weat_a,), (weat_b,) = _by_kind(seen, "weat"), _by_kind(redone, "weat")
    assert weat_b["effect_size"] == weat_a["effect_size"] and weat_b["p_value"] == weat_a["p_value"]
    (map_a,), (map_b,) = _by_kind(seen, "projection"), _by_kind(redone, "projection")
    assert map_a["method"] == map_b["method"] == "umap" and map_b["seed"] == 42
    coords_a, coords_b = (np.array(m["coords"], dtype=np.float64) for m in (map_a, map_b))
    assert coords_b.shape == (len(corpus), 2) and np.isfinite(coords_b).all()
    np.testing.assert_allclose(coords_b, coords_a, atol=1e-5)
    (search_a,), (search_b,) = _by_kind(seen, "search"), _by_kind(redone, "search")
    assert search_b["ids"] == search_a["ids"] and len(search_b["ids"]) == 10
    # the fresh workspace computed everything itself: its own vectors and its own stored layout
    assert list((fresh / "embeddings").rglob("minilm-l3@r1.npy")) and list((fresh / "corpora").rglob("*umap*.npy"))


def test_recipe_runs_its_recipes_on_another_corpus(store, small_corpus, embedded):
    embedded(small_corpus, MODEL)
    recipe = Recipe(
        corpus=CorpusRef(corpus_id="0123456789abcdef", texts_hash="fedcba9876543210", name="elsewhere"),
        models=(ModelRef(MODEL, revision="1"),),
        projections=(ProjectionItem(method="pca"),),
        axes=(AxisItem("fire", {"method": "poles", "positive": ["bushfire", "flames"], "negative": ["election"]},
                       band_resamples=0),),
        searches=(SearchItem("keyword", "fire"), SearchItem("similar", "no-such-id")),
        compare=CompareItem(models=(MODEL, "tfidf-svd"), k=10),
    )
    with pytest.raises(RecipeError, match="not in this workspace"):
        run_recipe(recipe, store=store)
    run = run_recipe(recipe, store=store, corpus=small_corpus)
    assert run.match == "other corpus" and run.notes
    (axis,) = run.of("axis")
    assert axis.error is None and axis.value.n_ranked == len(small_corpus)
    keyword, similar = run.of("search")
    assert keyword.error is None and all("fire" in t.lower() for t in keyword.value.hits["text"].to_list())
    assert similar.error is not None and "no-such-id" in similar.error  # one entry fails; the others ran
    (compare,) = run.of("compare")
    pair = compare.value.pairs[0]
    assert compare.error is None and pair["mean_jaccard"] > pair["chance_jaccard"]
    from engine.report import build_report

    markdown = build_report(run).markdown()
    for section in ("## Map", "## Axis rankings", "## Searches", "## Model comparison", "## Recipe"):
        assert section in markdown
    assert "no\\-such\\-id" in markdown  # the failed entry is reported (escaped like all user text)


def test_stored_recipe_has_a_content_id_and_reads_back_validated(store, small_corpus):
    from engine.recipe import corpus_ref, load_recipe, save_recipe

    recipe = Recipe(corpus=corpus_ref(store, small_corpus.corpus_id), models=(ModelRef(MODEL),),
                    searches=(SearchItem("keyword", "fire"),), created="2026-01-01")
    key = save_recipe(store, recipe)
    assert save_recipe(store, dataclasses.replace(recipe, created="2027-01-01")) == key  # the content is the id
    assert load_recipe(store, small_corpus.corpus_id, key) == recipe
    other = save_recipe(store, Recipe(corpus=recipe.corpus, models=recipe.models, searches=(SearchItem("keyword", "vote"),)))
    assert other != key
    for bad in ("../../etc/passwd", "0" * 16):
        with pytest.raises(RecipeError):
            load_recipe(store, small_corpus.corpus_id, bad)


def _valid() -> dict:
    return Recipe(corpus=CorpusRef(corpus_id="abc123", texts_hash="def456"), models=(ModelRef(MODEL),),
                  axes=(AxisItem("a", {"method": "poles", "positive": ["x"], "negative": ["y"]}),),
                  weat=(WeatItem({"x": ["a", "b"], "y": ["c", "d"], "a": ["e"], "b": ["f"]}),),
                  searches=(SearchItem("semantic", "q"),)).to_dict()


def test_recipe_round_trips_through_its_json():
    recipe = parse_recipe(json.dumps(_valid()))
    assert parse_recipe(recipe.to_json()) == recipe and recipe.axes[0].recipe["method"] == "poles"


def _with(path: str, value) -> str:
    data = _valid()
    node, keys = data, path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    node[int(last) if last.isdigit() else last] = value
    return json.dumps(data)


@pytest.mark.parametrize("text, expected", [
    (b"\xff\xfe not utf-8", "not UTF-8"),
    ("{not json", "not valid JSON"),
    ('{"format": "embedscape-recipe", "version": NaN}', "NaN"),
    ("[" * 5000 + "]" * 5000, "nested"),
    ("[]", "recipe must be an object"),
    (json.dumps({"format": "something-else", "version": 1}), "not an Embedscape recipe"),
    (_with("version", 99), "Update Embedscape"),
    (_with("version", True), "recipe.version must be a whole number"),
    (_with("models", []), "recipe.models is empty"),
    (_with("models.0.model_id", "../../etc/passwd x"), "recipe.models[0].model_id"),
    (_with("models.0.route", "fp8"), "recipe.models[0].route must be one of"),
    (_with("axes.0.recipe", {"method": "pair_pca", "pairs": 5}), "recipe.axes[0].recipe cannot be read"),
    (_with("axes.0.recipe", {"method": "teleport"}), "recipe.axes[0].recipe"),
    (_with("weat.0.query", {"x": "rose"}), "recipe.weat[0].query"),
    (_with("searches.0.mode", "telepathy"), "recipe.searches[0].mode"),
    (_with("searches.0.query", "x" * 6000), "at most 5,000"),
    (_with("searches.0.k", 10**9), "recipe.searches[0].k"),
    (_with("axes", [_valid()["axes"][0]] * 51), "at most 50"),
    (_with("axes.0.recipe.positive", ["w"] * 20_001), "at most 20,000"),
    (_with("projections", [{"dims": 7}]), "recipe.projections[0].dims"),
    (_with("compare", {"models": [MODEL]}), "two or more"),
    ("x" * 2_000_001, "at most 2,000,000"),
])
def test_hostile_recipe_files_get_a_typed_error_naming_the_field(text, expected):
    with pytest.raises(RecipeError) as info:
        parse_recipe(text)
    assert expected in str(info.value)


_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(["corpus", "corpus.corpus_id", "corpus.ingest", "models", "models.0", "models.0.model_id",
                             "axes", "axes.0", "axes.0.recipe", "axes.0.recipe.positive", "axes.0.band_resamples",
                             "weat.0", "weat.0.query", "weat.0.models", "searches.0", "searches.0.dense_weight",
                             "projections", "compare", "extensions", "created"]),
       value=_JSON)
def test_any_value_in_any_field_is_read_or_refused_with_a_recipe_error(path, value):
    try:
        recipe = parse_recipe(_with(path, value))
    except RecipeError as exc:
        assert str(exc)  # an actionable message, never a TypeError/KeyError from deep inside
    else:
        assert parse_recipe(recipe.to_json()) == recipe


def test_cli_run_of_a_hostile_file_exits_with_the_recipe_code_and_no_traceback(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text(_with("axes.0.recipe", {"method": "pair_pca", "pairs": [["a"]]}))
    assert main(["recipe", "run", str(bad), "--json"]) == RecipeError.exit_code == 10
    captured = capsys.readouterr()
    assert captured.out == "" and "recipe.axes[0]" in captured.err and "Traceback" not in captured.err
