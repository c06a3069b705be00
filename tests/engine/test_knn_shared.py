"""engine.knn: one stored graph per corpus and model (sliced for smaller k), the clustered route,
and stored graphs of other methods reused. Small n; speed is in bench/project.py and bench/compare.py."""
from __future__ import annotations

import numpy as np
import pytest

from engine.corpus import corpus_from_texts
from engine.knn import SHARED_K, knn_graph, stored_graph
from engine.store import Store
from engine.types import Embeddings
from engine.vectors import knn_graph as reference_knn_graph
from engine.vectors import unit_rows


def _clustered(n: int, d: int = 32, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(12, d)) * 2
    return unit_rows((centres[rng.integers(0, 12, n)] + rng.normal(size=(n, d))).astype(np.float32))


def _embeddings(n: int, name: str, *, seed: int = 0) -> Embeddings:
    corpus, _ = corpus_from_texts([f"row {name} {i}" for i in range(n)], name=name)
    return Embeddings(corpus.corpus_id, "m", _clustered(n, seed=seed))


@pytest.fixture()
def workspace(tmp_path) -> Store:
    return Store(tmp_path / "ws")


def test_one_stored_graph_answers_the_map_and_compare_and_its_slice_equals_exact_search_with_that_k(workspace):
    e = _embeddings(1200, "shared")
    for_map = knn_graph(workspace, e.corpus_id, e, 14)
    for_compare = knn_graph(workspace, e.corpus_id, e, 10)
    assert not for_map.loaded and for_compare.loaded, "the second k must be a slice of the stored graph"
    assert for_compare.key == for_map.key and for_compare.params["sliced_from_k"] == SHARED_K
    assert workspace.list_artifacts(e.corpus_id, "knn") == [for_map.key, f"{for_map.key}.sim"]  # one graph
    direct = knn_graph(None, e.corpus_id, e, 10)  # exact search with k = 10, nothing stored
    assert np.array_equal(for_compare.neighbors, direct.neighbors)
    assert np.allclose(for_compare.similarities, direct.similarities, atol=1e-6)


def test_a_larger_k_than_the_shared_one_is_built_and_then_answers_smaller_ones(workspace):
    e = _embeddings(600, "bigk")
    big = knn_graph(workspace, e.corpus_id, e, SHARED_K + 5)
    small = knn_graph(workspace, e.corpus_id, e, 5)
    assert big.k == SHARED_K + 5 and small.k == 5 and small.loaded
    assert np.array_equal(small.neighbors, big.neighbors[:, :5])


def test_clustered_route_reaches_the_recall_target_and_is_deterministic():
    e = _embeddings(2500, "clustered", seed=1)
    first = knn_graph(None, e.corpus_id, e, 10, method="clustered", seed=3)
    again = knn_graph(None, e.corpus_id, e, 10, method="clustered", seed=3)
    exact, _ = reference_knn_graph(e.vectors, 10)
    assert first.method == "clustered" and first.recall >= 0.99
    assert first.params["probes"] < first.params["lists"], "it must search fewer lists than all"
    agreement = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(first.neighbors, exact)])
    assert agreement >= 0.99
    assert np.array_equal(first.neighbors, again.neighbors)


def test_a_stored_hnsw_graph_answers_an_auto_request_and_stored_graph_never_computes(workspace):
    e = _embeddings(1500, "legacy")
    assert stored_graph(workspace, e.corpus_id, e, 10) is None
    legacy = knn_graph(workspace, e.corpus_id, e, 10, method="hnsw")
    reused = knn_graph(workspace, e.corpus_id, e, 10)  # auto: exact at this size, but a good graph is stored
    assert reused.loaded and reused.method == "hnsw" and reused.key == legacy.key
    assert stored_graph(workspace, e.corpus_id, e, 10).key == legacy.key
