"""engine.knn and engine.compare: kNN graphs, neighbour agreement, CKA, aligned maps, translation.

Tolerances are stated where floats meet: rotations of float32 vectors change cosines by ~1e-7,
below the 1e-5 tie tolerance, so neighbour sets are asserted equal up to rare near-ties (mean
Jaccard >= 0.995) and CKA to 1e-6.
"""
from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from engine.compare import (
    align_layout,
    chance,
    compare_models,
    item_view,
    linear_cka,
    list_agreement,
    overlap_at_k,
    pair_agreement,
    translate,
)
from engine.corpus import corpus_from_texts
from engine.knn import KnnError, knn_graph, recall_at_k
from engine.types import Embeddings
from engine.vectors import knn_graph as reference_knn_graph
from engine.vectors import unit_rows


def _corpus(n: int, name: str = "synthetic"):
    corpus, _ = corpus_from_texts([f"item {name} {i}" for i in range(n)], name=name)
    return corpus


def _clustered(n: int, d: int = 32, seed: int = 0) -> np.ndarray:
    """Unit rows in clusters on a low-rank subspace (like real embeddings, unlike isotropic noise)."""
    rng = np.random.default_rng(seed)
    basis = rng.normal(size=(12, d))
    centres = rng.normal(size=(20, 12)) * 2
    z = centres[rng.integers(0, 20, n)] + rng.normal(size=(n, 12))
    return unit_rows((z @ basis + 0.3 * rng.normal(size=(n, d))).astype(np.float32))


def _random_rotation(d: int, seed: int) -> np.ndarray:
    q, r = np.linalg.qr(np.random.default_rng(seed).normal(size=(d, d)))
    return (q * np.sign(np.diag(r))).astype(np.float32)


def _spaces(corpus, **vectors) -> dict[str, Embeddings]:
    return {name: Embeddings(corpus.corpus_id, name, np.ascontiguousarray(v, dtype=np.float32))
            for name, v in vectors.items()}


# -- kNN graph -----------------------------------------------------------------------------------------
def test_exact_graph_matches_the_row_by_row_reference_with_duplicates_and_invalid_rows():
    x = _clustered(1500, seed=1)
    x[200:230] = x[7]  # 31 identical rows: ties that only the row id can order
    valid = np.ones(len(x), dtype=bool)
    valid[[3, 500, 1499]] = False
    graph = knn_graph(None, "c", Embeddings("c", "m", x, valid), 10)
    neighbors, sims = reference_knn_graph(x, 10, valid=valid)
    assert graph.method == "exact" and graph.n_invalid == 3 and graph.n_valid == 1497
    np.testing.assert_array_equal(graph.neighbors, neighbors)
    np.testing.assert_allclose(graph.similarities, sims, atol=1e-6, equal_nan=True)
    assert (graph.neighbors[[3, 500, 1499]] == -1).all()
    assert not np.isin([3, 500, 1499], graph.neighbors).any()  # invalid rows are nobody's neighbour
    assert graph.neighbors[7].tolist() == list(range(200, 210))  # duplicates first, lowest ids first
    assert (graph.neighbors != np.arange(len(x))[:, None]).all()  # never itself


def test_hnsw_graph_reports_recall_against_exact_and_is_stored(store):
    corpus = _corpus(3000, "hnsw")
    store.save_corpus(corpus)
    x = _clustered(3000, seed=2)
    embeddings = Embeddings(corpus.corpus_id, "m", x)
    graph = knn_graph(store, corpus.corpus_id, embeddings, 10, method="hnsw", seed=3)
    exact = knn_graph(None, corpus.corpus_id, embeddings, 10, method="exact")
    assert graph.method == "hnsw" and graph.recall >= 0.99 and graph.params["recall_sample"] == 1000
    measured = recall_at_k(np.asarray(graph.neighbors), np.asarray(graph.similarities),
                           np.asarray(exact.neighbors), np.asarray(exact.similarities))
    assert measured >= 0.99
    again = knn_graph(store, corpus.corpus_id, embeddings, 10, method="hnsw", seed=3)
    assert again.loaded and not graph.loaded
    np.testing.assert_array_equal(again.neighbors, graph.neighbors)
    with pytest.raises(KnnError):
        knn_graph(None, corpus.corpus_id, embeddings, 0)


# -- agreement ------------------------------------------------------------------------------------------
def test_a_model_compared_with_itself_and_with_a_rotation_of_itself_agrees_fully():
    corpus = _corpus(600, "self")
    x = _clustered(600, seed=4)
    x[100:105] = x[50]  # duplicates: their order must come from the row id, not the kernel
    rotated = x @ _random_rotation(x.shape[1], seed=5)
    result = compare_models(None, corpus, _spaces(corpus, a=x, b=x.copy(), c=rotated), k=10)
    pairs = {p["pair"]: p for p in result.pairs}
    same = pairs["a vs b"]
    assert same["mean_jaccard"] == 1.0 and same["mean_rbo"] == pytest.approx(1.0, abs=1e-12)
    assert same["cka"] == pytest.approx(1.0, abs=1e-9) and same["similarity_spearman"] == pytest.approx(1.0)
    turned = pairs["a vs c"]
    assert turned["mean_jaccard"] >= 0.995 and turned["mean_rbo"] >= 0.995
    assert turned["cka"] == pytest.approx(1.0, abs=1e-6)
    assert turned["similarity_spearman"] >= 0.9999
    np.testing.assert_array_equal(result.matrices["mean_jaccard"].diagonal(), 1.0)


def test_random_spaces_agree_at_chance():
    n, k = 2000, 10
    corpus = _corpus(n, "random")
    rng = np.random.default_rng(6)
    spaces = _spaces(corpus, a=unit_rows(rng.normal(size=(n, 64))), b=unit_rows(rng.normal(size=(n, 64))))
    pair = compare_models(None, corpus, spaces, k=k).pairs[0]
    expected = k / (2 * (n - 1) - k)
    assert pair["chance_jaccard"] == pytest.approx(expected)
    # 2000 items x 10 neighbours: the mean of ~20,000 near-independent draws; 25 % is > 5 standard errors
    assert abs(pair["mean_jaccard"] - expected) < 0.25 * expected
    assert abs(pair["mean_overlap"] - k / (n - 1)) < 0.25 * k / (n - 1)
    assert abs(pair["mean_rbo"] - pair["chance_rbo"]) < 0.35 * pair["chance_rbo"]
    assert abs(pair["cka"]) < 0.1


def test_jaccard_rbo_and_cka_agree_with_hand_computation():
    a = np.array([[1, 2, 3], [4, 5, 6], [7, 8, -1]])
    b = np.array([[3, 9, 1], [6, 5, 4], [8, 9, -1]])
    jaccard, overlap, rbo = list_agreement(a, b, 3, p=0.5)
    assert jaccard.tolist() == [2 / 4, 1.0, 1 / 3]
    assert overlap.tolist() == [2 / 3, 1.0, 1 / 3]

    def rbo_by_definition(x, y, p):  # Webber et al. 2010, eq. 32, written out
        x, y = [v for v in x if v >= 0], [v for v in y if v >= 0]
        depth = len(a[0])
        shares = [len(set(x[:d]) & set(y[:d])) / d for d in range(1, depth + 1)]
        return shares[-1] * p**depth + (1 - p) / p * sum(s * p**d for d, s in enumerate(shares, start=1))

    for row in range(3):
        assert rbo[row] == pytest.approx(rbo_by_definition(a[row], b[row], 0.5))
    assert rbo[1] < 1.0  # same set, different order

    rng = np.random.default_rng(7)
    x, y = rng.normal(size=(6, 2)), rng.normal(size=(6, 3))
    h = np.eye(6) - 1 / 6  # centring matrix; CKA by its Gram-matrix definition (HSIC)
    kx, ky = h @ (x @ x.T) @ h, h @ (y @ y.T) @ h
    by_definition = np.trace(kx @ ky) / np.sqrt(np.trace(kx @ kx) * np.trace(ky @ ky))
    assert linear_cka(x, y) == pytest.approx(by_definition, rel=1e-10)
    assert linear_cka(x, 3 * x @ _random_rotation(2, 8) + 5) == pytest.approx(1.0)


def test_rows_a_model_cannot_represent_are_excluded_from_the_pair_and_counted():
    corpus = _corpus(400, "invalid")
    x = _clustered(400, seed=9)
    valid = np.ones(400, dtype=bool)
    valid[:25] = False
    spaces = {"a": Embeddings(corpus.corpus_id, "a", x), "b": Embeddings(corpus.corpus_id, "b", x.copy(), valid)}
    result = compare_models(None, corpus, spaces, k=10)
    pair = result.pairs[0]
    assert pair["n_excluded"] == 25 and pair["n_shared"] == 375
    assert np.isnan(result.measures["jaccard"]["a vs b"][:25]).all()
    # neighbours b cannot have are dropped from a's lists too, so the same space still agrees fully
    assert pair["mean_jaccard"] == 1.0
    assert result.per_item([str(i) for i in range(400)])["jaccard: a vs b"].null_count() == 25


def test_item_view_lists_each_models_neighbours_with_ranks_in_the_other():
    corpus = _corpus(300, "item")
    x = _clustered(300, seed=10)
    y = _clustered(300, seed=11)
    spaces = _spaces(corpus, a=x, b=y)
    graphs = {m: knn_graph(None, corpus.corpus_id, e, 5) for m, e in spaces.items()}
    ids = [str(i) for i in range(300)]
    view = item_view(graphs, {m: (e.vectors, e.valid) for m, e in spaces.items()}, 42, ids=ids, labels=ids, k=5)
    a, b = view["a"], view["b"]
    assert a["id"].to_list() == [str(i) for i in graphs["a"].neighbors[42]]
    b_list = [str(i) for i in graphs["b"].neighbors[42]]
    for item, rank_in_b, shared in zip(a["id"], a["rank in b"], a["shared"]):
        assert (shared == 1) == (item in b_list)
        if item in b_list:
            assert rank_in_b == b_list.index(item) + 1
        else:
            assert rank_in_b > 5
    assert a["similarity"].is_sorted(descending=True)


def test_overlap_at_k_keeps_search_behaviour():
    results = {"m1": SimpleNamespace(ids=["a", "b", "c", "d"]), "m2": SimpleNamespace(ids=["c", "a", "x", "y"]),
               "m3": SimpleNamespace(ids=["q"])}
    frame = overlap_at_k(results)
    assert frame.columns == ["model_a", "model_b", "shared", "overlap"]
    assert frame.row(0) == ("m1", "m2", 2, 0.5)
    assert frame.row(1) == ("m1", "m3", 0, 0.0)
    assert overlap_at_k({"m1": results["m1"]}).height == 0


def test_chance_values_follow_the_formulas():
    jaccard, overlap, rbo = chance(999, 10)
    assert jaccard == pytest.approx(10 / (2 * 999 - 10)) and overlap == pytest.approx(10 / 999)
    assert 0 < rbo < 0.05


# -- aligned maps and translation ---------------------------------------------------------------------------
def test_procrustes_recovers_a_known_rotation_reflection_and_scale():
    rng = np.random.default_rng(12)
    layout = rng.normal(size=(200, 2))
    angle = 1.1
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]]) @ np.diag([1, -1])
    moved = layout @ rotation * 3.5 + np.array([10.0, -4.0])
    moved[5] = np.nan  # an item the second map does not place
    alignment = align_layout(layout, moved)
    np.testing.assert_allclose(alignment.coords[np.arange(200) != 5], layout[np.arange(200) != 5], atol=1e-5)
    np.testing.assert_allclose(alignment.rotation, rotation.T, atol=1e-9)
    assert alignment.scale == pytest.approx(1 / 3.5) and alignment.disparity < 1e-12
    assert alignment.n_shared == 199 and np.isnan(alignment.displacement[5])
    shuffled = align_layout(layout, rng.permutation(layout))
    assert shuffled.disparity > 0.5 and np.nanmean(shuffled.displacement) > 0.5


def test_translation_recovers_a_known_linear_map_and_fails_on_unrelated_spaces():
    n = 1000
    x = _clustered(n, d=32, seed=13)
    shared = np.ones(n, dtype=bool)
    rotated = x @ _random_rotation(32, seed=14)
    same_dims = translate(x, rotated, shared, seed=1)
    assert same_dims["method"] == "orthogonal procrustes" and same_dims["mean_cosine"] > 0.999
    assert same_dims["top1"] > 0.9 and same_dims["translates"]
    projected = unit_rows(x @ np.random.default_rng(15).normal(size=(32, 24)))
    other_dims = translate(x, projected, shared, seed=1)
    assert other_dims["method"] == "least squares" and other_dims["top10"] > 0.9 and other_dims["translates"]
    assert other_dims["top10"] > other_dims["shuffled"]["top10"] + 0.5
    unrelated = translate(x, _clustered(n, d=24, seed=16), shared, seed=1)
    assert not unrelated["translates"] and "does not translate" in unrelated["verdict"]
    assert unrelated["n_heldout"] == 300 and unrelated["n_anchors"] == 700 and unrelated["seed"] == 1


# -- stored results, real models, CLI ---------------------------------------------------------------------------
def test_comparison_is_stored_and_a_second_run_is_a_cache_hit(store):
    corpus = _corpus(500, "stored")
    store.save_corpus(corpus)
    spaces = _spaces(corpus, a=_clustered(500, seed=17), b=_clustered(500, seed=18))
    first = compare_models(store, corpus, spaces, k=8, seed=3)
    second = compare_models(store, corpus, spaces, k=8, seed=3)
    assert not first.loaded and second.loaded and first.key == second.key
    np.testing.assert_array_equal(first.measures["rbo"]["a vs b"], second.measures["rbo"]["a vs b"])
    assert second.pairs == json.loads(json.dumps(first.pairs))
    assert second.k == 8 and second.seed == 3 and second.pairs[0]["cka_n"] == 500
    assert compare_models(store, corpus, spaces, k=8, seed=4).key != first.key


def test_the_two_sentence_models_agree_between_chance_and_one_on_lee_news(small_corpus, embedded):
    spaces = {m: embedded(small_corpus, m) for m in ("minilm-l6", "minilm-l3")}
    pair = compare_models(None, small_corpus, spaces, k=10).pairs[0]
    assert pair["n_shared"] == len(small_corpus)
    assert 5 * pair["chance_jaccard"] < pair["mean_jaccard"] < 0.9
    assert 0.3 < pair["cka"] < 1.0 and pair["similarity_spearman"] > 0.3


def test_cli_compare_and_neighbors_print_json_and_hit_the_cache(small_corpus, embedded, capsys, tmp_path):
    from engine.cli import main

    for model in ("minilm-l6", "minilm-l3"):
        embedded(small_corpus, model)
    out = tmp_path / "items.csv"
    args = ["compare", small_corpus.corpus_id, "--models", "minilm-l6,minilm-l3", "--k", "10", "--json"]
    assert main([*args, "--out", str(out)]) == 0
    first = json.loads(capsys.readouterr().out)
    assert main(args) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["cache_hit"] and second["pairs"] == first["pairs"]
    pair = first["pairs"][0]
    assert {"mean_jaccard", "median_jaccard", "mean_rbo", "cka", "similarity_spearman"} <= set(pair)
    import polars as pl

    table = pl.read_csv(out)
    assert table.height == len(small_corpus) and "jaccard: minilm-l6 vs minilm-l3" in table.columns
    item = small_corpus.ids[5]
    assert main(["neighbors", small_corpus.corpus_id, item, "--models", "minilm-l6,minilm-l3", "--k", "5",
                 "--json"]) == 0
    view = json.loads(capsys.readouterr().out)
    assert view["id"] == item and [len(view["models"][m]) for m in ("minilm-l6", "minilm-l3")] == [5, 5]
    assert main(["neighbors", small_corpus.corpus_id, "no-such-id", "--models", "minilm-l6,minilm-l3"]) != 0
