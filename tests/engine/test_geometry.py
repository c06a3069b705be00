"""engine.geometry: each measure against its definition on hand-built data, skdim equality,
the shift tests' error rates, stored reports, and the CLI."""
from __future__ import annotations

import io
import json
import warnings
from contextlib import redirect_stdout

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.geometry import depth as depth_mod
from engine.geometry.dimension import cosine_to_euclidean, euclidean_knn, intrinsic_dimension
from engine.geometry.hubness import anti_hubs, hubness, k_occurrence, top_hubs
from engine.geometry.isotropy import centred, isoscore, isotropy, isotropy_before_after
from engine.geometry.redundancy import redundancy_curve
from engine.geometry.topics import NO_TOPIC, TopicError, keyword_topics, parse_topics, topic_auc
from engine.vectors import knn_graph, unit_rows


def _subspace(n: int, d: int, ambient: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(ambient, d)))
    return rng.normal(size=(n, d)) @ basis.T


# -- isotropy --------------------------------------------------------------------------------------
def test_isoscore_is_near_one_for_an_isotropic_gaussian_and_low_for_a_low_rank_space():
    rng = np.random.default_rng(1)
    assert isoscore(rng.normal(size=(4000, 32))) > 0.9
    low_rank = _subspace(4000, 2, 32) + 1e-3 * rng.normal(size=(4000, 32))
    assert isoscore(low_rank) < 0.1
    # a space using 16 of 32 dimensions equally: IsoScore's "share of dimensions used" is about half
    half = np.hstack([rng.normal(size=(4000, 16)), np.zeros((4000, 16))])
    assert 0.4 < isoscore(half) < 0.6


def test_isoscore_follows_the_published_steps():
    """Steps 2-7 of Rudman et al. written out with sklearn's PCA (the reference implementation's way)."""
    from sklearn.decomposition import PCA

    rng = np.random.default_rng(2)
    points = rng.normal(size=(500, 12)) * np.linspace(0.2, 3.0, 12)
    reoriented = PCA(n_components=12).fit_transform(points)
    variances = np.var(reoriented, axis=0, ddof=1)
    n = 12
    normalised = variances * np.sqrt(n) / np.linalg.norm(variances)
    defect = np.linalg.norm(normalised - 1) / np.sqrt(2 * (n - np.sqrt(n)))
    expected = ((n - defect**2 * (n - np.sqrt(n))) ** 2 - n) / (n * (n - 1))
    assert isoscore(points) == pytest.approx(expected, rel=1e-6)


def test_a_shared_offset_makes_random_cosines_high_and_centring_removes_it():
    rng = np.random.default_rng(3)
    offset = unit_rows(0.2 * rng.normal(size=(3000, 48)) + 3.0 * unit_rows(rng.normal(size=48)))
    before, after = isotropy_before_after(offset)
    assert before.mean_cosine > 0.7 and before.mean_share > 0.7
    assert abs(after.mean_cosine) < 0.02 and after.mean_share < 0.01
    assert after.std_cosine > before.std_cosine  # cosines spread out once the common part is gone
    plain = isotropy(unit_rows(rng.normal(size=(3000, 48))))
    assert abs(plain.mean_cosine) < 0.02
    assert 0 < plain.pc1_share < plain.pc10_share < 1
    assert np.allclose(np.linalg.norm(centred(offset), axis=1), 1, atol=1e-5)


@settings(max_examples=15, deadline=None)
@given(rows=st.integers(3, 40), dims=st.integers(2, 12), seed=st.integers(0, 10_000))
def test_isoscore_is_a_share_in_zero_one_and_ignores_a_shift(rows, dims, seed):
    points = np.random.default_rng(seed).normal(size=(rows, dims))
    score = isoscore(points)
    assert 0.0 <= score <= 1.0
    assert isoscore(points + 5.0) == pytest.approx(score, abs=1e-6)


# -- intrinsic dimension ---------------------------------------------------------------------------
def test_intrinsic_dimension_of_a_linear_subspace_is_near_its_dimension_and_equals_skdim():
    from skdim.id import MLE, TwoNN

    points = _subspace(2000, 6, 64, seed=4)
    figures = intrinsic_dimension(*euclidean_knn(points, 10))
    assert 5.0 < figures.twonn < 7.0 and 5.0 < figures.mle < 7.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert figures.twonn == pytest.approx(TwoNN().fit(points).dimension_, rel=1e-9)
        assert figures.mle == pytest.approx(MLE().fit(points, n_neighbors=10).dimension_, rel=1e-9)
    assert figures.params["mle"]["n_neighbors"] == 10 and figures.params["twonn"]["discard_fraction"] == 0.1


def test_intrinsic_dimension_from_the_cosine_knn_graph_equals_skdim_on_the_unit_vectors():
    from skdim.id import MLE, TwoNN

    vectors = unit_rows(_subspace(1500, 5, 40, seed=5) + 2.0).astype(np.float32)
    neighbors, similarities = knn_graph(vectors, 10)
    figures = intrinsic_dimension(cosine_to_euclidean(similarities), neighbors)
    data = vectors.astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert figures.twonn == pytest.approx(TwoNN().fit(data).dimension_, rel=2e-3)
        assert figures.mle == pytest.approx(MLE().fit(data, n_neighbors=10).dimension_, rel=2e-3)


def test_duplicates_are_dropped_and_counted_not_divided_by():
    points = _subspace(300, 3, 10, seed=6)
    points = np.vstack([points, points[:5]])
    figures = intrinsic_dimension(*euclidean_knn(points, 10))
    assert figures.n_duplicates == 10 and figures.n_used == 295
    assert np.isfinite(figures.twonn) and np.isfinite(figures.mle)


# -- hubness ---------------------------------------------------------------------------------------
def test_a_planted_hub_is_the_top_hub():
    rng = np.random.default_rng(7)
    centre = unit_rows(rng.normal(size=24))
    cone = unit_rows(centre + 0.6 * rng.normal(size=(800, 24)) / np.sqrt(24))
    planted = 413
    cone[planted] = centre  # the point every other point is closest to
    neighbors, _ = knn_graph(cone.astype(np.float32), 10)
    figures, occurrence = hubness(neighbors, np.ones(800, dtype=bool))
    assert top_hubs(occurrence, 1)[0] == planted
    assert occurrence.sum() == 800 * 10 and figures.max_occurrence == occurrence[planted]
    assert figures.skewness > 1 and figures.antihub_share > 0
    assert set(anti_hubs(occurrence)) == set(np.flatnonzero(occurrence == 0))


def test_k_occurrence_counts_listings_and_skips_invalid_rows():
    neighbors = np.array([[1, 2], [2, 0], [1, -1], [-1, -1]])
    counts = k_occurrence(neighbors)
    assert counts.tolist() == [1, 2, 2, 0]
    _, occurrence = hubness(neighbors, np.array([True, True, True, False]))
    assert occurrence.tolist() == [1, 2, 2, -1]


# -- redundancy ------------------------------------------------------------------------------------
def test_redundancy_finds_the_rank_of_a_low_rank_space_and_keeps_everything_at_full_dimension():
    rng = np.random.default_rng(8)
    vectors = unit_rows(_subspace(1200, 6, 48, seed=8) + 1.5 + 1e-3 * rng.normal(size=(1200, 48)))
    curve = redundancy_curve(vectors, k=10, max_queries=2000)
    assert not curve.sampled and curve.n_queries == 1200
    assert curve.overlap[-1] == 1.0 and curve.dims[-1] == 48
    assert curve.dims_for["0.90"] is not None and 5 <= curve.dims_for["0.90"] <= 7
    assert curve.dims_for["0.90"] <= curve.dims_for["0.95"]
    assert curve.overlap[0] < 0.5  # one component cannot keep a 6-D neighbourhood
    sampled = redundancy_curve(vectors, k=10, max_queries=300, seed=1)
    assert sampled.sampled and sampled.n_queries == 300 and sampled.n_items == 1200
    assert abs(sampled.dims_for["0.90"] - curve.dims_for["0.90"]) <= 1


# -- depth and shift ---------------------------------------------------------------------------------
def test_tte_depth_matches_the_papers_definition_and_ranks_the_centre_first():
    rng = np.random.default_rng(9)
    vectors = unit_rows(rng.normal(size=(60, 16)) + 1.0).astype(np.float32)
    vectors[17] = unit_rows(vectors.astype(np.float64).mean(axis=0))  # the corpus centre
    distance = 1.0 - vectors.astype(np.float64) @ vectors.T.astype(np.float64)
    expected = 2.0 - (distance.sum(axis=1) - np.diag(distance)) / (len(vectors) - 1)
    depth = depth_mod.tte_depth(vectors)
    assert np.allclose(depth, expected, atol=1e-6)
    assert int(np.argmax(depth)) == 17
    valid = np.ones(60, dtype=bool)
    valid[3] = False
    assert np.isnan(depth_mod.tte_depth(vectors, valid)[3])


def _sample(rng: np.random.Generator, n: int, shift: float = 0.0) -> np.ndarray:
    """Unit vectors around one direction in 8-D (noise sd 0.3 per dimension), moved by ``shift``
    along a direction orthogonal to it."""
    x = 0.3 * rng.normal(size=(n, 8))
    x[:, 0] += 1.0
    x[:, 1] += shift
    return unit_rows(x)


def test_shift_tests_keep_their_false_positive_rate_and_find_a_stated_mean_shift():
    """100 seeds of two samples of 50; the stated shift is 1.0 (= 3.3 noise sd) orthogonal to the mean."""
    null_depth = null_perm = power_depth = power_perm = 0
    for seed in range(100):
        rng = np.random.default_rng(seed)
        same = depth_mod.shift_test(_sample(rng, 50), _sample(rng, 50), permutations=200, seed=seed)
        moved = depth_mod.shift_test(_sample(rng, 50), _sample(rng, 50, 1.0), permutations=200, seed=seed)
        null_depth += same.p_value < 0.05
        null_perm += same.permutation_p < 0.05
        power_depth += moved.p_value < 0.05
        power_perm += moved.permutation_p < 0.05
        assert moved.q < 0.5 or moved.p_value >= 0.05  # a detected shift means the group is outlying
    assert null_depth <= 10 and null_perm <= 10
    assert power_depth >= 90 and power_perm >= 90


def test_shift_test_refuses_tiny_groups_and_groups_come_from_values():
    rng = np.random.default_rng(10)
    with pytest.raises(depth_mod.ShiftError, match="at least 3"):
        depth_mod.shift_test(_sample(rng, 20), _sample(rng, 2))
    group, reference = depth_mod.group_masks(["a", "b", None, "a", 3], "a", None, np.array([1, 1, 1, 0, 1], bool))
    assert group.tolist() == [True, False, False, False, False]
    assert reference.tolist() == [False, True, True, False, True]
    group, reference = depth_mod.group_masks(["a", "b", None, "a", 3], "3", "b", np.ones(5, bool))
    assert group.tolist() == [False, False, False, False, True] and reference.tolist() == [False, True, False, False, False]


# -- keyword topics ----------------------------------------------------------------------------------
def _topic_space(seed: int = 11):
    """Items around three directions; keywords embed near their direction."""
    rng = np.random.default_rng(seed)
    directions = unit_rows(rng.normal(size=(3, 20)))
    classes = np.repeat(["sport", "money", "weather"], 100)
    items = unit_rows(directions[np.repeat([0, 1, 2], 100)] + 0.5 * rng.normal(size=(300, 20)) / np.sqrt(20))
    words = {"cricket": 0, "rugby": 0, "bank": 1, "shares": 1, "rain": 2}

    def embed(texts):
        known = [t in words for t in texts]
        rows = [unit_rows(directions[words[t]] + 0.3 * rng.normal(size=20) / np.sqrt(20)) if t in words
                else np.zeros(20) for t in texts]
        return np.array(rows, dtype=np.float32), np.array(known)

    return items.astype(np.float32), classes, embed


def test_keyword_topics_find_each_items_topic_and_score_auc_per_mapped_class():
    items, classes, embed = _topic_space()
    topics = parse_topics("Sport: cricket, rugby, unknownword\nMoney: bank; shares\nrain")
    assert topics == {"Sport": ("cricket", "rugby", "unknownword"), "Money": ("bank", "shares"), "rain": ("rain",)}
    result = keyword_topics(topics, items, np.ones(300, bool), embed, threshold=0.3)
    assert result.missing == {"Sport": ("unknownword",)}
    expected = np.array(["Sport", "Money", "rain"])[np.repeat([0, 1, 2], 100)]
    assert np.mean(np.array(result.best) == expected) > 0.95
    aucs = topic_auc(result, classes, {"Sport": "sport", "Money": "money"})
    assert set(aucs) == {"Sport", "Money"} and all(a["auc"] > 0.95 for a in aucs.values())
    assert aucs["Sport"]["positives"] == 100
    strict = keyword_topics(topics, items, np.ones(300, bool), embed, threshold=0.999)
    assert set(strict.best) == {NO_TOPIC}


def test_a_topic_without_any_known_keyword_is_an_error():
    items, _, embed = _topic_space()
    with pytest.raises(TopicError, match="any keyword"):
        keyword_topics({"x": ("nothing", "known")}, items, np.ones(300, bool), embed)
    with pytest.raises(TopicError):
        keyword_topics({}, items, np.ones(300, bool), embed)


# -- stored report and CLI ---------------------------------------------------------------------------
def test_report_on_real_embeddings_is_stored_and_a_rerun_is_a_cache_hit(small_embeddings, small_corpus, store):
    from engine.geometry import geometry_report, summary_rows

    first = geometry_report(store, small_corpus.corpus_id, small_embeddings)
    second = geometry_report(store, small_corpus.corpus_id, small_embeddings)
    assert not first.cached and second.cached
    assert second.figures["isotropy"] == first.figures["isotropy"]
    assert np.array_equal(second.occurrence, first.occurrence) and np.allclose(second.depth, first.depth)
    figures = first.figures
    assert 0 < figures["isotropy"]["isoscore"] < 1 and figures["isotropy"]["mean_cosine"] > 0
    assert 1 < figures["intrinsic_dimension"]["twonn"] < small_embeddings.dimension
    assert first.occurrence[small_embeddings.valid].sum() == 10 * int(small_embeddings.valid.sum())
    row = summary_rows([first])[0]
    assert row["model"] == "minilm-l3" and row["IsoScore"] == figures["isotropy"]["isoscore"]
    assert row["PCs for 90 % of top-10"] == figures["redundancy"]["dims_for"]["0.90"]


def test_cli_geometry_and_shift_print_json(small_embeddings, small_corpus, store):
    from engine.cli import main
    from engine.geometry import geometry_report

    geometry_report(store, small_corpus.corpus_id, small_embeddings)  # stored (or already stored)
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["geometry", small_corpus.corpus_id, "--models", "minilm-l3", "--json", "--top", "3"])
    assert code == 0
    payload = json.loads(out.getvalue())
    model = payload["models"][0]
    assert model["cached"] is True  # the CLI reads the stored report
    assert len(model["top_hubs"]) == 3 and model["top_hubs"][0]["n_k"] >= model["top_hubs"][-1]["n_k"]
    assert model["most_central"][0]["depth"] >= model["most_outlying"][0]["depth"]
    article = str(small_corpus.frame["article"][0])
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["shift", small_corpus.corpus_id, "--model", "minilm-l3", "--group", f"article={article}",
                     "--permutations", "200", "--json"])
    assert code == 0
    shift = json.loads(out.getvalue())
    # one news article's sentences against the rest of the corpus: a real, detectable shift
    assert shift["n_group"] > 3 and shift["permutation_p"] < 0.05 and 0 <= shift["q"] <= 1
    assert main(["shift", small_corpus.corpus_id, "--model", "minilm-l3", "--group", "nocolumn=1"]) == 8


def test_cli_shift_between_two_stored_corpora(small_corpus, polarity_corpus, embedded):
    """News sentences against movie-review snippets, one model: both tests see the shift."""
    from engine.cli import main

    embedded(small_corpus, "minilm-l3")
    embedded(polarity_corpus, "minilm-l3")
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["shift", polarity_corpus.corpus_id, "--model", "minilm-l3", "--vs-corpus",
                     small_corpus.corpus_id, "--permutations", "200", "--json"])
    assert code == 0
    shift = json.loads(out.getvalue())
    assert shift["n_group"] == len(polarity_corpus) and shift["n_reference"] == len(small_corpus)
    assert shift["p_value"] < 0.01 and shift["q"] < 0.3 and shift["permutation_p"] < 0.01
