"""AppTest of the selection summary component on a real (small, hostile) corpus and model."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import SMALL_MODEL

HOSTILE = "<script>alert(1)</script> **bold** [x](javascript:alert(1))"


@pytest.fixture(scope="module")
def hostile(embedded):
    from engine.corpus.build import corpus_from_texts

    texts = [f"the quokka hops across the island number {i} {HOSTILE}" for i in range(12)]
    texts += [f"stock markets fell sharply on trading day {i} as banks slid" for i in range(12)]
    texts += [f"the bushfire burned through the forest near town {i}" for i in range(12)]
    corpus, _ = corpus_from_texts(texts, name="hostile summary", metadata={
        "**col**": [HOSTILE if i < 12 else "plain" for i in range(36)], "size": [float(i) for i in range(36)]})
    return corpus, embedded(corpus, SMALL_MODEL)


def _script(corpus_id: str, model_id: str, rows: list[int]) -> None:
    from components.selection_summary import render_selection_summary
    from engine.cluster import ClusterSpec

    render_selection_summary(corpus_id, model_id, rows,
                             cluster_spec=ClusterSpec(method="kmeans", space="pca", n_clusters=3))


def test_summary_shows_words_central_items_clusters_and_metadata_as_plain_text(hostile):
    corpus, _ = hostile
    at = AppTest.from_function(_script, args=(corpus.corpus_id, SMALL_MODEL, list(range(12))), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "12"
    words = [t.value for t in at.text if "·" in t.value]
    assert words and "quokka" in words[0].split(" · ") and "markets" not in words[0]
    assert len([b for b in at.button if b.label == "Open"]) == 3
    frames = [df.value for df in at.dataframe]
    clusters = frames[0]
    assert clusters["relation"][0] == "holds the selection" and (clusters["relation"] == "nearby").sum() == 2
    assert any(HOSTILE in frame.get("value", []).to_list() for frame in frames if "value" in frame)
    # user text never reaches Markdown: no markdown-rendered element carries the raw hostile strings
    for element in list(at.markdown) + list(at.caption) + list(at.expander):
        shown = getattr(element, "value", None) or getattr(element, "label", "")
        assert "<script>" not in shown and "**col**" not in shown


def test_empty_selection_asks_for_one(hostile):
    corpus, _ = hostile
    at = AppTest.from_function(_script, args=(corpus.corpus_id, SMALL_MODEL, []), default_timeout=60)
    at.run()
    assert not at.exception and at.info and not at.metric
