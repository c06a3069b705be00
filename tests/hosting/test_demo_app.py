"""The app in demo mode under AppTest: visitor scope in the sidebar, links, paths and shares (issue 12, step 2)."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from components import state
from engine.corpus import corpus_from_texts
from engine.visitors import new_token
from tests.conftest import ROOT


@pytest.fixture
def demo_env(monkeypatch):
    monkeypatch.setenv("EMBEDSCAPE_MODE", "demo")


def _upload_as(store, token: str, texts: list[str], name: str) -> str:
    corpus, report = corpus_from_texts(texts, name=name)
    return store.for_visitor(token).add_corpus(corpus, report)[0].corpus_id


def _home(token: str | None, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    if token:
        at.query_params["visitor"] = token
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _sidebar_corpora(at: AppTest) -> list[str]:
    return list(at.sidebar.selectbox[0].options)


def _all_text(at: AppTest) -> str:
    return " ".join(str(e.value) for e in [*at.caption, *at.sidebar.caption, *at.markdown, *at.info])


def test_visitors_see_only_their_own_uploads_and_no_server_path(demo_env, store):
    alice, bob = new_token(), new_token()
    _upload_as(store, alice, ["alice writes about cats", "and about dogs"], "alice-private")
    _upload_as(store, bob, ["bob writes about trains", "and about planes"], "bob-private")
    at_alice, at_bob = _home(alice), _home(bob)
    assert any("alice-private" in o for o in _sidebar_corpora(at_alice))
    assert not any("bob-private" in o for o in _sidebar_corpora(at_alice))
    assert any("bob-private" in o for o in _sidebar_corpora(at_bob))
    assert not any("alice-private" in o for o in _sidebar_corpora(at_bob))
    for at in (at_alice, at_bob):
        assert str(store.root) not in _all_text(at)
        assert at.query_params["visitor"] in ([alice], [bob], alice, bob)


def test_a_new_visitor_gets_a_token_in_the_url(demo_env):
    at = _home(None)
    issued = at.query_params["visitor"]
    issued = issued[0] if isinstance(issued, list) else issued
    assert len(issued) >= 32
    assert at.session_state["_visitor_token"] == issued


def test_a_corpus_link_opens_only_the_visitors_own(demo_env, store):
    alice, bob = new_token(), new_token()
    secret = _upload_as(store, alice, ["a secret corpus text", "one more secret"], "alice-secret")
    at = _home(bob, corpus=secret)
    assert at.session_state[state.CORPUS_ID] != secret
    assert any("not in this workspace" in str(w.value) for w in at.warning)
    at = _home(bob, corpus="alice-secret")
    assert at.session_state[state.CORPUS_ID] != secret


def test_a_share_link_gives_the_corpus_to_its_holder(demo_env, store):
    alice, bob = new_token(), new_token()
    shared = _upload_as(store, alice, ["a text worth sharing", "and its sibling"], "alice-shares")
    token = store.for_visitor(alice).share(shared)
    at = _home(bob, share=token)
    assert at.session_state[state.CORPUS_ID] == shared
    assert any("alice-shares" in o for o in _sidebar_corpora(at))


def test_local_mode_still_shows_the_workspace_and_every_corpus(monkeypatch, store):
    monkeypatch.delenv("EMBEDSCAPE_MODE", raising=False)
    corpus, report = corpus_from_texts(["a local text", "another local text"], name="local-corpus")
    store.add_corpus(corpus, report)
    at = _home(None)
    assert str(store.root) in _all_text(at)
    assert any("local-corpus" in o for o in _sidebar_corpora(at))
    assert "visitor" not in at.query_params
