"""Issue 11: nothing user-written reaches a page as Markdown (labels, help tooltips, messages).

A column named like a Markdown image would make every viewer's browser fetch its URL if it were
rendered; here it must arrive escaped in every label and tooltip that quotes it.
"""
from __future__ import annotations

import pytest

from components import state
from tests.app.pages import open_page

BEACON = "![b](http://127.0.0.1:9/beacon.png)"


@pytest.fixture(scope="module")
def beacon_corpus(store, embedded):
    from engine.corpus import build_corpus, read_table

    lines = [f'text,"{BEACON}"'] + [f"sentence number {i} about fire,{'ab'[i % 2]}" for i in range(30)]
    corpus, report = build_corpus(read_table("\n".join(lines).encode(), filename="beacon.csv"), text_column="text",
                                  name=f"{BEACON} corpus")
    store.save_corpus(corpus, report)
    embedded(corpus, "minilm-l3")
    return corpus


def _markup(at) -> list[str]:
    """Every string of the page that Streamlit renders as Markdown: labels, tooltips, messages."""
    strings = []
    for kind in ("multiselect", "selectbox", "text_input", "slider", "checkbox", "button", "radio"):
        for widget in at.get(kind):
            strings += [getattr(widget, "label", "") or "", getattr(widget, "help", "") or ""]
    for kind in ("caption", "markdown", "info", "warning", "error", "success"):
        strings += [str(e.value) for e in at.get(kind)]
    strings += [e.label for e in at.expander]
    return strings


def test_a_markdown_column_name_is_escaped_in_the_filter_labels_and_tooltips(beacon_corpus):
    at = open_page("pages/2_Search.py", beacon_corpus.corpus_id, ("minilm-l3",),
                   **{state.SEARCH_QUERIES: {"semantic": "fire"}, state.SEARCH_MODE: "semantic"})
    at.multiselect(key="search_filter_columns").set_value([BEACON]).run()
    assert not at.exception
    quoting = [s for s in _markup(at) if "beacon" in s]
    assert len(quoting) >= 2  # the condition's label and its help tooltip quote the column
    assert not any("![" in s or "](" in s or "http://" in s for s in quoting), quoting


def test_a_corpus_link_that_names_no_corpus_is_quoted_as_plain_text(beacon_corpus):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params["corpus"] = BEACON
    at.run()
    assert not at.exception
    warnings = [str(w.value) for w in at.warning if "link's corpus" in str(w.value)]
    assert warnings and not any("![" in w or "http://" in w for w in warnings), warnings
