"""The caches fragment reruns rely on (issue 15 §1): a chart is built once per key, a search runs once per
query, options and filter, and a cached search gives the engine's own answer."""
from __future__ import annotations

import pytest

from components import resources as res


def test_a_figure_is_built_once_per_key_and_shared():
    built = []

    def build(name):
        def make():
            built.append(name)
            return {"chart": name, "n": len(built)}
        return make

    first = res.figure(("test-chart", "a", 1), build("a"))
    again = res.figure(("test-chart", "a", 1), build("a-again"))
    other = res.figure(("test-chart", "a", 2), build("b"))
    assert again is first  # the same object: nothing copied or rebuilt
    assert built == ["a", "b"]  # a different key (e.g. another option) builds its own
    assert other["chart"] == "b"


@pytest.mark.usefixtures("small_embeddings")
def test_a_cached_search_embeds_the_query_once_and_matches_the_engine(small_corpus, store, monkeypatch):
    import engine.embed
    from engine.filters import Filter
    from engine.search import run_search
    from tests.conftest import SMALL_MODEL

    calls = []
    real = engine.embed.embed_queries
    monkeypatch.setattr(engine.embed, "embed_queries", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    arguments, empty = '{"k": 5}', Filter((), ()).to_json()
    query = "firefighters battle a bushfire near the town (fragment cache test)"
    cached = res.search(small_corpus.corpus_id, SMALL_MODEL, "semantic", query, arguments, empty)
    res.search(small_corpus.corpus_id, SMALL_MODEL, "semantic", query, arguments, empty)
    assert len(calls) == 1  # the second rerun with the same query did not embed it again
    res.search(small_corpus.corpus_id, SMALL_MODEL, "semantic", query, '{"k": 3}', empty)
    assert len(calls) == 2  # another option is another search
    direct = run_search(small_corpus, query, mode="semantic", store=store, index=res.index(small_corpus.corpus_id,
                        SMALL_MODEL), k=5)
    assert cached.ids == direct.ids
