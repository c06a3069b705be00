"""engine.index: exact and HNSW search agree with a numpy hand computation; edge cases are clean."""
from __future__ import annotations

import numpy as np
import pytest

from engine.errors import SearchError
from engine.index import build_index, exact_top_k, hnsw_recall, search_vector, search_vectors
from engine.types import Embeddings


def _unit(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    vectors = rng.standard_normal((n, d)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _clustered(rng: np.random.Generator, n: int, d: int, clusters: int = 20) -> np.ndarray:
    centres = _unit(rng, clusters, d)
    vectors = centres[rng.integers(0, clusters, n)] + 0.35 * rng.standard_normal((n, d)).astype(np.float32) / np.sqrt(d)
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def with_invalid() -> Embeddings:
    rng = np.random.default_rng(1)
    vectors = _unit(rng, 500, 16)
    valid = np.ones(500, dtype=bool)
    valid[::7] = False
    vectors[~valid] = 0.0
    return Embeddings("c-test", "m-test", vectors, valid)


def test_exact_search_matches_numpy_argsort(with_invalid: Embeddings) -> None:
    index = build_index(with_invalid, kind="exact")
    query = np.asarray(with_invalid.vectors[3], dtype=np.float32)
    rows, scores = search_vector(index, query, k=15)
    hand = np.where(with_invalid.valid, with_invalid.vectors @ query, -np.inf)
    assert rows.tolist() == np.argsort(-hand, kind="stable")[:15].tolist()
    assert np.allclose(scores, hand[rows], atol=1e-5)
    assert rows[0] == 3 and np.all(np.diff(scores) <= 1e-7)


def test_invalid_rows_and_minus_one_never_returned(with_invalid: Embeddings) -> None:
    index = build_index(with_invalid, kind="exact")
    invalid = set(np.flatnonzero(~with_invalid.valid).tolist())
    # k far larger than n: every valid row exactly once, no -1, no zero-vector row
    rows, _ = search_vector(index, with_invalid.vectors[1], k=10_000)
    assert len(rows) == int(with_invalid.valid.sum()) == len(set(rows.tolist()))
    assert not invalid & set(rows.tolist()) and rows.min() >= 0
    # the batch path (matrix-matrix product) obeys the same rules
    batch = search_vectors(index, np.asarray(with_invalid.vectors)[with_invalid.valid][:80], k=10_000)
    assert all(len(r) == len(rows) and r.min() >= 0 and not invalid & set(r.tolist()) for r, _ in batch)


def test_batch_path_agrees_with_single_queries(with_invalid: Embeddings) -> None:
    index = build_index(with_invalid, kind="exact")
    queries = np.asarray(with_invalid.vectors)[with_invalid.valid][100:180]  # 80 queries: the batch path
    batch = search_vectors(index, queries, k=5)
    for query, (rows, scores) in zip(queries[::10], batch[::10]):
        single_rows, single_scores = search_vector(index, query, k=5)
        assert np.allclose(scores, single_scores, atol=1e-5)
        assert set(rows.tolist()) == set(single_rows.tolist()) or np.allclose(scores[-1], scores[-2], atol=1e-5)


def test_filter_and_exclude_restrict_hits(with_invalid: Embeddings) -> None:
    index = build_index(with_invalid, kind="exact")
    allowed = np.zeros(500, dtype=bool)
    allowed[200:260] = True
    rows, _ = search_vector(index, with_invalid.vectors[1], k=100, allowed=allowed, exclude_rows=[201, 202])
    assert set(rows.tolist()) <= set(range(200, 260)) - {201, 202}
    assert len(rows) == int((allowed & with_invalid.valid).sum()) - 2
    nothing, _ = search_vector(index, with_invalid.vectors[1], k=5, allowed=np.zeros(500, dtype=bool))
    assert nothing.size == 0


@pytest.mark.parametrize("bad", [np.full(16, np.nan, dtype=np.float32), np.zeros(16, dtype=np.float32),
                                 np.ones(5, dtype=np.float32)])
def test_bad_queries_raise_search_error(with_invalid: Embeddings, bad: np.ndarray) -> None:
    index = build_index(with_invalid, kind="exact")
    with pytest.raises(SearchError):
        search_vector(index, bad, k=3)


def test_k_below_one_raises(with_invalid: Embeddings) -> None:
    with pytest.raises(SearchError, match="k must be"):
        search_vector(build_index(with_invalid), with_invalid.vectors[1], k=0)


def test_empty_and_all_invalid_corpora_give_no_hits() -> None:
    empty = build_index(Embeddings("c", "m", np.zeros((0, 8), dtype=np.float32)), kind="hnsw")
    assert empty.n_valid == 0 and search_vector(empty, np.ones(8, dtype=np.float32), k=3)[0].size == 0
    dead = build_index(Embeddings("c", "m", np.zeros((4, 8), dtype=np.float32), np.zeros(4, dtype=bool)))
    assert search_vector(dead, np.ones(8, dtype=np.float32), k=3)[0].size == 0


def test_hnsw_recall_on_clustered_data_and_cache_round_trip(store, tmp_path) -> None:
    from engine.store import Store

    rng = np.random.default_rng(7)
    vectors = _clustered(rng, 3000, 32)
    valid = np.ones(3000, dtype=bool)
    valid[5] = False
    vectors[5] = 0.0
    embeddings = Embeddings("hnsw-test-corpus", "minilm-l3", vectors, valid)
    workspace = Store(tmp_path)
    built = build_index(embeddings, kind="auto", threshold=1000, store=workspace)
    assert built.kind == "hnsw" and built.params["loaded"] is False
    queries = _clustered(np.random.default_rng(8), 100, 32)
    assert hnsw_recall(built, queries, k=10) >= 0.9
    files = list(tmp_path.rglob("*.faiss"))
    assert len(files) == 1 and not list(tmp_path.rglob("*.tmp"))
    loaded = build_index(embeddings, kind="auto", threshold=1000, store=workspace)
    assert loaded.params["loaded"] is True
    for query in queries[:5]:
        rows_a, _ = search_vector(built, query, k=10)
        rows_b, _ = search_vector(loaded, query, k=10)
        assert rows_a.tolist() == rows_b.tolist() and 5 not in rows_a.tolist()
    # a filtered HNSW search keeps only allowed rows
    allowed = np.zeros(3000, dtype=bool)
    allowed[::3] = True
    rows, _ = search_vector(loaded, queries[0], k=10, allowed=allowed)
    assert len(rows) == 10 and all(r % 3 == 0 for r in rows.tolist())


def test_exact_top_k_reference_is_sorted() -> None:
    rng = np.random.default_rng(3)
    matrix, queries = _unit(rng, 50, 8), _unit(rng, 4, 8)
    top = exact_top_k(matrix, queries, 5)
    for q, row in zip(queries, top):
        assert row.tolist() == np.argsort(-(matrix @ q), kind="stable")[:5].tolist()


@pytest.mark.parametrize("busy", [False, True])
def test_single_query_routes_agree(with_invalid: Embeddings, monkeypatch, busy: bool) -> None:
    import time

    import engine.index.core as engine_index  # routing state lives in the core module

    index = build_index(with_invalid, kind="exact")
    query = np.asarray(with_invalid.vectors[10])
    monkeypatch.setattr(engine_index, "_PARALLEL_MIN_ROWS", 0)  # force the size condition
    monkeypatch.setattr(engine_index, "_load_checked", [time.monotonic() + 3600, busy])
    assert engine_index.machine_busy() is busy
    rows, scores = search_vector(index, query, k=20)
    hand = np.where(with_invalid.valid, with_invalid.vectors @ query, -np.inf)
    assert rows.tolist() == np.argsort(-hand, kind="stable")[:20].tolist()
    assert np.allclose(scores, hand[rows], atol=1e-5)
