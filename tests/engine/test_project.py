"""engine.project: reproducible, stored projections with honest quality figures and safe edges."""
from __future__ import annotations

import subprocess
import sys
import json

import numpy as np
import pytest

from engine.errors import ProjectionError
from engine.project import nearest_neighbors, project, projection_quality, stored_projection
from engine.types import Embeddings
from tests.conftest import ROOT


def _unit(rows: np.ndarray) -> np.ndarray:
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


@pytest.fixture(scope="module")
def blobs() -> tuple[Embeddings, np.ndarray]:
    """240 points in 6 well-separated clusters in 32-D (unit rows), with their true cluster."""
    rng = np.random.default_rng(7)
    centres = rng.normal(size=(6, 32)) * 4
    truth = np.repeat(np.arange(6), 40)
    vectors = _unit(centres[truth] + rng.normal(scale=0.4, size=(240, 32)))
    return Embeddings("synthetic", "blobs", vectors), truth


@pytest.fixture(scope="module")
def umap_blobs(blobs, tmp_path_factory):
    from engine.store import Store

    store = Store(tmp_path_factory.mktemp("workspace"))
    from engine.corpus import corpus_from_texts

    corpus, report = corpus_from_texts([f"text {i}" for i in range(240)], name="blobs")
    store.save_corpus(corpus, report)
    embeddings = Embeddings(corpus.corpus_id, "blobs", blobs[0].vectors)
    first = project(embeddings, method="umap", n_neighbors=15, seed=3, store=store)
    return store, embeddings, first


def test_umap_with_seed_is_reproducible(umap_blobs):
    store, embeddings, first = umap_blobs
    again = project(embeddings, method="umap", n_neighbors=15, seed=3, store=store, recompute=True)
    np.testing.assert_allclose(first.coords, again.coords, atol=1e-5)
    assert first.seed == 3 and first.method == "umap" and first.params["n_neighbors"] == 15


def test_umap_on_clustered_data_scores_high_trustworthiness(umap_blobs, blobs):
    _, _, projection = umap_blobs
    quality = projection.quality
    assert 0.0 <= quality["trustworthiness"] <= 1.0 and 0.0 <= quality["knn_preservation"] <= 1.0
    assert quality["trustworthiness"] > 0.9
    # the six true clusters stay apart: each point's nearest map neighbour is in its own cluster
    coords, truth = projection.coords, blobs[1]
    distance = ((coords[:, None, :] - coords[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(distance, np.inf)
    assert (truth[distance.argmin(axis=1)] == truth).mean() > 0.95


def test_stored_projection_is_reused_not_recomputed(umap_blobs):
    store, embeddings, first = umap_blobs
    found = stored_projection(embeddings, store=store, method="umap", n_neighbors=15, seed=3)
    assert found is not None and found.key == first.key
    np.testing.assert_array_equal(found.coords, first.coords)
    assert not found.coords.flags.writeable
    # a different parameter is a different layout, not a stale one
    assert stored_projection(embeddings, store=store, method="umap", n_neighbors=16, seed=3) is None


def test_random_layout_scores_lower_than_pca(blobs):
    embeddings, _ = blobs
    pca = project(embeddings, method="pca")
    shuffled = np.random.default_rng(0).permutation(np.asarray(pca.coords))
    assert projection_quality(embeddings.vectors, shuffled)["trustworthiness"] < pca.quality["trustworthiness"]
    assert projection_quality(embeddings.vectors, shuffled)["knn_preservation"] < pca.quality["knn_preservation"]


def test_invalid_and_nan_rows_get_no_position(blobs):
    vectors = np.array(blobs[0].vectors)
    valid = np.ones(len(vectors), dtype=bool)
    valid[[3, 50]] = False
    vectors[[3, 50]] = 0.0
    vectors[7] = np.nan
    result = project(Embeddings("c", "m", vectors, valid), method="pca", dims=3)
    assert result.coords.shape == (240, 3)
    assert set(np.flatnonzero(~result.projected)) == {3, 7, 50}
    assert result.quality["n_points"] == 237
    assert any("could not represent" in note for note in result.notes)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_tiny_corpora_fall_back_to_pca_with_a_note(n):
    vectors = _unit(np.eye(n, 5) + 0.1)
    result = project(Embeddings("c", "m", vectors), method="umap", dims=2)
    assert result.method == "pca" and result.coords.shape == (n, 2)
    assert np.isfinite(result.coords).all()
    assert any("UMAP needs" in note for note in result.notes)


def test_duplicates_share_a_position_and_few_distinct_points_fall_back():
    # four symmetric points: their covariance has three equal eigenvalues, so which 2-D plane PCA
    # shows is a tie that the fixed tie-break must settle the same way on every BLAS kernel
    vectors = _unit(np.repeat(np.eye(4, 6) + 0.05, 30, axis=0))  # 120 rows, 4 distinct
    result = project(Embeddings("c", "m", vectors), method="umap")
    assert result.method == "pca"
    coords = np.asarray(result.coords, dtype=np.float64)
    groups = coords.reshape(4, 30, 2)
    assert np.ptp(groups, axis=1).max() == 0.0  # every copy sits exactly on its first copy
    centres = groups[:, 0, :]
    gaps = np.sqrt(((centres[:, None] - centres[None]) ** 2).sum(-1))[np.triu_indices(4, 1)]
    # the tie-break is a generic direction: the four distinct points stay clearly apart, well above
    # the 1e-4 rounding of map coordinates for display
    assert gaps.min() > 0.1 * gaps.max()
    assert any("duplicate" in note for note in result.notes)


_KERNEL_PROBE = """
import json, numpy as np
from engine.project import pca_layout
tetra = np.eye(4, 6) + 0.05
tetra /= np.linalg.norm(tetra, axis=1, keepdims=True)
square = np.array([[1, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0]], dtype=float)
rng = np.random.default_rng(5)
blob = rng.normal(size=(300, 24))
print(json.dumps({name: pca_layout(v, 2, 42).tolist() for name, v in
                  (("tetra", tetra), ("square", square), ("blob", blob))}))
"""


def test_pca_layout_is_the_same_on_every_blas_kernel():
    """The tie-break and sign rule settle the layout by the data, not by the CPU kernel."""
    import os

    layouts = []
    for coretype in (None, "Haswell", "Prescott"):
        env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_CORETYPE"}
        if coretype:
            env["OPENBLAS_CORETYPE"] = coretype
        done = subprocess.run([sys.executable, "-c", _KERNEL_PROBE], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        layouts.append({k: np.array(v) for k, v in json.loads(done.stdout).items()})
    for other in layouts[1:]:
        for name in ("tetra", "square", "blob"):
            np.testing.assert_allclose(other[name], layouts[0][name], atol=1e-6, err_msg=name)
    square = layouts[0]["square"]
    assert np.unique(np.round(square, 4), axis=0).shape[0] == 4  # a tie in the top two: all four kept


def test_n_neighbors_above_the_point_count_is_lowered(blobs):
    small = Embeddings("c", "m", np.array(blobs[0].vectors[:30]))
    result = project(small, method="umap", n_neighbors=50, seed=1)
    assert result.method == "umap" and result.params["n_neighbors"] == 29
    assert any("n_neighbors lowered" in note for note in result.notes)


def test_no_representable_row_is_a_clear_error():
    vectors = np.zeros((4, 5), dtype=np.float32)
    with pytest.raises(ProjectionError, match="Pick another model"):
        project(Embeddings("c", "m", vectors, np.zeros(4, dtype=bool)), method="pca")


@pytest.mark.parametrize("bad", [{"method": "tsne"}, {"dims": 4}, {"n_neighbors": 1}, {"min_dist": 2.0},
                                 {"metric": "manhattan"}])
def test_bad_parameters_name_the_parameter(blobs, bad):
    name = next(iter(bad))
    with pytest.raises(ProjectionError, match=name):
        project(blobs[0], **{"method": "umap", **bad})


def test_nearest_neighbors_match_a_hand_computation(small_embeddings):
    rows, similarities = nearest_neighbors(small_embeddings, 5, k=8)
    vectors = np.asarray(small_embeddings.vectors, dtype=np.float64)
    brute = vectors @ vectors[5]
    brute[5] = -np.inf
    best = np.sort(brute)[::-1][:8]
    # compare similarities, not row numbers: near-equal rows may order differently by kernel, and
    # the engine breaks such ties by row id
    np.testing.assert_allclose(similarities, best, atol=1e-5)
    np.testing.assert_allclose(similarities, brute[rows], atol=1e-5)
    assert 5 not in rows and np.all(np.diff(similarities) <= 1e-6)


def test_neighbour_ties_are_broken_by_row_id():
    vectors = _unit(np.array([[1, 0, 0], [0, 1, 0], [0, 1, 0], [0, 1, 0], [1, 1, 0]], dtype=np.float32))
    rows, similarities = nearest_neighbors(Embeddings("c", "m", vectors), 4, k=4)
    assert list(rows) == [0, 1, 2, 3]  # four exact ties (cos 0.707): lowest row id first


def test_map_sampling_keeps_every_cluster_and_forced_rows():
    from engine.project.sampling import stratified_sample

    labels = np.array([0] * 900 + [1] * 95 + [2] * 5)
    picked = stratified_sample(labels, 100, keep=[999, 3])
    assert 95 <= picked.size <= 110
    assert {0, 1, 2} <= set(labels[picked]) and {999, 3} <= set(picked)
    share = (labels[picked] == 0).mean()
    assert 0.8 <= share <= 0.95  # proportional to the 90 % share of cluster 0
    assert stratified_sample(labels[:50], 100).size == 50


def test_display_rows_caps_the_drawn_points_and_never_draws_unprojected_rows(blobs):
    from engine.config import MAP_POINT_CAP
    from engine.project import display_rows

    vectors = np.array(blobs[0].vectors)
    vectors[10] = np.nan
    layout = project(Embeddings("c", "m", vectors), method="pca")
    assert 10 not in display_rows(layout) and display_rows(layout).size == 239 <= MAP_POINT_CAP
    truth = blobs[1]
    rows = display_rows(layout, truth, cap=30, keep=[10, 200])
    assert 25 <= rows.size <= 40 and 200 in rows and 10 not in rows
    assert set(truth[rows]) == set(truth)


def test_cli_project_writes_a_stored_layout_with_quality(small_corpus, small_embeddings, store, tmp_path):
    command = [sys.executable, "-m", "engine", "project", small_corpus.corpus_id, "--models", "minilm-l3",
               "--method", "pca", "--json"]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    payload = json.loads(finished.stdout)
    (summary,) = payload["projections"]
    assert summary["method"] == "pca" and 0 <= summary["quality"]["trustworthiness"] <= 1
    assert summary["clusters"]["n_clusters"] >= 1
    assert stored_projection(small_embeddings, store=store, method="pca") is not None
    bad = subprocess.run([*command[:-1], "--dims", "2", "--n-neighbors", "1", "--method", "umap"],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 6 and "n_neighbors" in bad.stderr and "Traceback" not in bad.stderr
