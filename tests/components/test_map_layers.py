"""AppTest of components.map_layers.label_layers on a real stored layout (PCA of a small real corpus)."""
from __future__ import annotations

import numpy as np
from streamlit.testing.v1 import AppTest

from tests.conftest import SMALL_MODEL


def _script(corpus_id: str, model_id: str) -> None:
    import streamlit as st

    from components.map_layers import label_layers
    from engine.project import ProjectionSpec

    spec = ProjectionSpec(method="pca")
    st.session_state["auto"] = label_layers(corpus_id, model_id, spec)
    st.session_state["forced"] = label_layers(corpus_id, model_id, spec, point_cap=100, keep=(7,), density=True,
                                              viewport=(500, 400))


def test_label_layers_for_the_map(small_corpus, small_embeddings, store):
    at = AppTest.from_function(_script, args=(small_corpus.corpus_id, SMALL_MODEL), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    auto, forced = at.session_state["auto"], at.session_state["forced"]
    levels = auto["labels"]["levels"]
    assert levels and 1 <= len(levels[0]["labels"]) <= 15 and levels[0]["min_zoom"] == 1.0
    assert {"x", "y", "text", "w", "h"} == set(levels[0]["labels"][0])
    assert auto["density"] is None and auto["density_default"] is False and auto["rows"] is None  # 300 points
    assert forced["labels"]["viewport"] == [500.0, 400.0]
    grid = np.frombuffer(forced["density"]["grid"], dtype="<f4")
    assert grid.size == forced["density"]["h"] * forced["density"]["w"] and grid.max() == 1.0
    assert 100 <= forced["rows"].size <= 101 and 7 in forced["rows"]
    assert store.list_artifacts(small_corpus.corpus_id, "zoomlabels")  # the hierarchy is kept in the workspace
