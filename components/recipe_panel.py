"""Keep and share an analysis (issue 14 §2, §4): export the session's analysis as a recipe file,
import and run a recipe, and turn the analysis into a standalone report (HTML and Markdown).

What a recipe holds comes from this session and the workspace: the active models, the Map's
method and dimensions, every axis saved for the corpus plus the Axes page's current one, the
query typed in each Search mode (Embedscape keeps no search history: the queries on the page are
the searches), the Bias page's current WEAT query and direction (``remember_bias``), bundled WEAT
tests picked here, and the Compare page's models and k.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import streamlit as st

from components import resources as res
from components import state, visitor
from components.feedback import escape_markdown, user_errors
from engine.config import Settings
from engine.errors import RecipeError
from engine.store import Store
from engine.recipe import (AxisItem, CompareItem, DirectionItem, ProjectionItem, Recipe, SearchItem, WeatItem, export_recipe,
                           parse_recipe, run_recipe, saved_axis_items)

KEY = "recipe_panel"


_NOUNS = {"models": ("model", "models"), "projections": ("map", "maps"), "axes": ("axis", "axes"),
          "weat": ("WEAT test", "WEAT tests"), "directions": ("bias direction", "bias directions"),
          "searches": ("search", "searches"), "compare": ("comparison", "comparisons")}


def _counted(counts: dict[str, int]) -> str:
    return ", ".join(f"{n} {_NOUNS[k][n != 1]}" for k, n in counts.items() if n)


def _file_stem(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-")[:60] or "analysis"


def _current_axis(saved: list[AxisItem], get: Callable[[str], Any]) -> list[AxisItem]:
    """The Axes page's current axis, unless it is one of the saved ones."""
    from engine.axes import recipe_from_dict

    current = get(state.AXES_RECIPE)
    if current is None:
        return []
    try:
        typed = recipe_from_dict(current)
    except Exception:  # noqa: BLE001 - an unreadable session value is left out, not an error
        return []
    same = {(recipe_from_dict(a.recipe).named("")) for a in saved}
    return [] if typed.named("") in same else [AxisItem(name=typed.name or "current axis", recipe=typed.to_dict())]


def _searches(corpus_id: str, get: Callable[[str], Any]) -> list[SearchItem]:
    """The query typed in each Search mode this session (More like this: its item)."""
    out = [SearchItem(mode=mode, query=query) for mode, query in (get(state.SEARCH_QUERIES) or {}).items()
           if mode != "similar" and isinstance(query, str) and query.strip()]
    item = get(state.SEARCH_ITEM)
    if item and item.get("corpus_id") == corpus_id:
        out.append(SearchItem(mode="similar", query=str(item["id"])))
    return out


def session_recipe(store: Store, corpus_id: str, model_ids: tuple[str, ...], weat_tests: list[str], *,
                   get: Callable[[str], Any] = state.get) -> Recipe:
    """The recipe of a session's analysis of ``corpus_id`` (reads the workspace, runs nothing).

    ``get`` reads the session's durable values (``state.get``; a test passes an AppTest's state).
    """
    from engine.bias import bundled_query

    saved = saved_axis_items(store, corpus_id)
    bias = get(state.RECIPE_BIAS) or {}
    bias = bias if bias.get("corpus_id") == corpus_id else {}
    compare_models = tuple(m for m in get(state.COMPARE_MODELS) or () if m in model_ids)
    return export_recipe(
        store, corpus_id, model_ids,
        projections=[ProjectionItem(method=get(state.MAP_METHOD), dims=3 if get(state.MAP_DIMS) == "3-D" else 2)],
        axes=saved + _current_axis(saved, get), searches=_searches(corpus_id, get),
        weat=[WeatItem(query=bundled_query(t).to_dict(), test_id=t) for t in weat_tests] +
             ([bias["weat"]] if bias.get("weat") else []),
        directions=[bias["direction"]] if bias.get("direction") else [],
        compare=CompareItem(models=compare_models, k=int(get(state.COMPARE_K))) if len(compare_models) >= 2
        else None,
    )


def remember_bias(corpus_id: str, model: Any, direction: Any, weat: Any) -> None:
    """Keep the Bias page's current WEAT query and direction for the recipe (its widgets' values
    are gone once the user leaves the page). One call from pages/4_Bias.py."""
    entry: dict[str, Any] = {"corpus_id": corpus_id, "weat": None, "direction": None}
    if weat is not None and weat.query is not None:
        entry["weat"] = WeatItem(query=weat.query.to_dict(), models=(model.model_id,), templates=model.templates,
                                 seed=weat.seed, n_permutations=weat.n_permutations)
    if direction is not None:
        spec = direction.spec
        entry["direction"] = DirectionItem(
            name=spec.name or direction.base.title, pairs=spec.pairs, neutral=spec.neutral, targets=spec.targets,
            models=(model.model_id,), templates=model.templates, method=spec.method, c=spec.c,
            baseline=spec.baseline, n_random=spec.n_random, pool_size=spec.pool_size, seed=spec.seed)
    state.set(state.RECIPE_BIAS, entry)


def _check_models(recipe: Recipe) -> None:
    """Demo mode: a recipe may name only the allow-listed models (engine.visitors)."""
    from engine.visitors import allowed_model

    settings = Settings.from_env()
    for model_id in recipe.all_model_ids():
        allowed_model(model_id, settings)


def _run(recipe: Recipe, corpus: Any | None, title: str) -> None:
    from engine.report import build_report, summary_rows

    _check_models(recipe)
    with (st.status("Running the recipe…", expanded=True) as status,
          visitor.heavy_job("Running the recipe", embedding=True)):
        run = run_recipe(recipe, store=res.store(), corpus=corpus, say=status.text)  # text: lines quote user input
        report = build_report(run, label_column=state.label_column(run.corpus.corpus_id), title=title)
        status.update(label=f"Done: {len(run.outcomes)} results on {escape_markdown(run.corpus.name)}", state="complete",
                      expanded=False)
    state.set(state.RECIPE_LAST_RUN, {"corpus_id": run.corpus.corpus_id, "title": title, "rows": summary_rows(run),
                                      "notes": list(run.notes), "html": report.html(),
                                      "markdown": report.markdown(), "stem": _file_stem(run.corpus.name)})


def render_recipe_panel(corpus_id: str | None, model_ids: tuple[str, ...]) -> None:
    """The Home page's "Keep and share the analysis" section (one call from app.py)."""
    if corpus_id is None:
        return
    from engine.bias import WEAT_TESTS

    st.header("4 · Keep and share the analysis", divider="gray")
    export_col, import_col = st.columns(2)
    with export_col, user_errors(stop=False):
        st.subheader("Export analysis recipe")
        tests = st.multiselect("WEAT tests to include", options=list(WEAT_TESTS),
                               format_func=lambda t: WEAT_TESTS[t].title, key=f"{KEY}_weat",
                               help="Bundled WEAT tests to run in each model of the recipe (the Bias page's word "
                                    "model is not included unless it is one of the active models).")
        if not model_ids:
            st.info("Embed the corpus and pick a model in the sidebar first.")
        else:
            recipe = session_recipe(res.store(), corpus_id, model_ids, tests)
            counts = recipe.counts()
            st.caption(f"Includes: {_counted(counts)}. "
                       "Saved axes and the Axes page's current axis, the query typed in each Search mode, "
                       "the Bias page's WEAT and direction, the Map's method and the Compare page's models.")
            stem = _file_stem(res.corpus(corpus_id).name)
            st.download_button("Export analysis recipe", data=recipe.to_json(), file_name=f"{stem}.recipe.json",
                               mime="application/json", key=f"{KEY}_export",
                               help="One JSON file with everything needed to redo this analysis elsewhere: "
                                    "`python -m engine recipe run FILE`, or Import recipe here.")
            if st.button("Make report", key=f"{KEY}_report",
                         help="Runs this recipe (stored results load instantly) and builds a standalone HTML "
                              "report and the same content as Markdown."):
                _run(recipe, None, f"Embedscape report: {res.corpus(corpus_id).name}")
    with import_col, user_errors(stop=False):
        st.subheader("Import recipe")
        upload = st.file_uploader("Recipe file", type=["json"], key=f"{KEY}_upload",
                                  help="A recipe exported from Embedscape (this or another machine).")
        if upload is not None:
            _import(upload.getvalue(), corpus_id)
    _show_last_run()


def _import(data: bytes, corpus_id: str) -> None:
    recipe = parse_recipe(data)
    store = res.store()
    own = store.has_corpus(recipe.corpus.corpus_id)
    st.text(f"Recipe for {recipe.corpus.name or recipe.corpus.corpus_id} ({recipe.corpus.n_rows:,} rows): " +
            _counted(recipe.counts()))
    options = (["own"] if own else []) + ["active"]
    target = st.radio("Run it on", options=options, key=f"{KEY}_target", horizontal=True,
                      format_func={"own": "the recipe's corpus (stored here)",
                                   "active": f"the active corpus ({escape_markdown(res.corpus(corpus_id).name)})"}.__getitem__,
                      help="On the same corpus the numbers are the ones the recipe's author saw; on another "
                           "corpus the same axes, tests and searches run there.")
    if st.button("Run recipe", key=f"{KEY}_run", help="Embeds, maps and measures as the recipe says."):
        corpus = None if target == "own" else res.corpus(corpus_id)
        if corpus is None and not own:
            raise RecipeError("The recipe's corpus is not stored here: run it on the active corpus.")
        _run(recipe, corpus, f"Embedscape report: {recipe.corpus.name or 'recipe'}")


def _show_last_run() -> None:
    last = state.get(state.RECIPE_LAST_RUN)
    if not last:
        return
    st.subheader("Last recipe run")
    for note in last["notes"]:
        st.text(note)
    st.dataframe(last["rows"], hide_index=True, width="stretch")
    html_col, md_col = st.columns(2)
    html_col.download_button("Download report (HTML)", data=last["html"], file_name=f"{last['stem']}-report.html",
                             mime="text/html", key=f"{KEY}_html",
                             help="One file, readable offline: no script, nothing loaded from the network.")
    md_col.download_button("Download report (Markdown)", data=last["markdown"], file_name=f"{last['stem']}-report.md",
                           mime="text/markdown", key=f"{KEY}_md",
                           help="The same content as Markdown; corpus text is escaped, so nothing in it renders "
                                "as a link, image or HTML.")
