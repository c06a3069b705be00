"""AppTest of the Home page's recipe panel: the session's analysis becomes a recipe and a report."""
from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from components import state
from engine.recipe import parse_recipe
from tests.conftest import ROOT


def test_home_panel_exports_the_session_analysis_and_makes_a_report(store, small_corpus, embedded):
    embedded(small_corpus, "minilm-l3")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=240)
    at.session_state[state.CORPUS_ID] = small_corpus.corpus_id
    at.session_state[state.MODEL_IDS] = ("minilm-l3",)
    at.session_state[state.MAP_METHOD] = "pca"
    at.session_state[state.SEARCH_QUERIES] = {"keyword": "<img src=x onerror=alert(1)> fire", "semantic": ""}
    at.session_state[state.AXES_RECIPE] = {"method": "poles", "name": "fire vs vote", "positive": ["bushfire"],
                                           "negative": ["election"]}
    at.run()
    assert not at.exception
    recipe = parse_recipe(json.dumps(_recipe_from_page(at, store)))
    assert recipe.corpus.corpus_id == small_corpus.corpus_id and recipe.model_ids == ("minilm-l3",)
    assert [p.method for p in recipe.projections] == ["pca"]
    assert [(s.mode, s.query) for s in recipe.searches] == [("keyword", "<img src=x onerror=alert(1)> fire")]
    assert "fire vs vote" in [a.name for a in recipe.axes]

    at.button(key="recipe_panel_report").click().run()
    assert not at.exception
    last = at.session_state[state.RECIPE_LAST_RUN]
    assert last["corpus_id"] == small_corpus.corpus_id and not [r for r in last["rows"] if "could not" in r["result"]]
    assert {r["what"] for r in last["rows"]} == {"projection", "axis", "search"}
    assert "Content-Security-Policy" in last["html"] and "&lt;img src=x onerror=alert(1)&gt; fire" in last["html"]
    assert "\\<img src=x onerror=alert\\(1\\)\\> fire" in last["markdown"]


def _recipe_from_page(at: AppTest, store) -> dict:
    """The recipe the Export button downloads (AppTest cannot read a download; the button's data
    is ``session_recipe`` of the same session values)."""
    from components.recipe_panel import session_recipe

    def get(name: str):
        return at.session_state[name] if name in at.session_state else state._DEFAULTS[name]

    return session_recipe(store, at.session_state[state.CORPUS_ID], ("minilm-l3",), [], get=get).to_dict()
