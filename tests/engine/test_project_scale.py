"""engine.project.scale: the large-map UMAP route (precomputed kNN, fewer epochs, PCA start) and
placing new points without a refit. Small n here; the speed is measured in bench/project.py."""
from __future__ import annotations

import numpy as np
import pytest

from engine.errors import ProjectionError
from engine.project import project, projection_quality
from engine.project import scale
from engine.types import Embeddings
from engine.vectors import knn_graph


def clusters(n: int, *, dim: int = 32, groups: int = 6, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(groups, dim)) * 3
    labels = rng.integers(groups, size=n)
    vectors = centres[labels] + rng.normal(size=(n, dim))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32), labels


@pytest.fixture(scope="module")
def data():
    vectors, labels = clusters(700)
    return vectors, labels, knn_graph(vectors, 14)


PARAMS = {"n_neighbors": 15, "min_dist": 0.1, "metric": "cosine"}


def test_same_seed_same_coords_and_the_seed_matters(data):
    vectors, _, graph = data
    first = scale.umap_layout_large(vectors, 2, PARAMS, 7, graph, n_epochs=60)
    again = scale.umap_layout_large(vectors, 2, PARAMS, 7, graph, n_epochs=60)
    other = scale.umap_layout_large(vectors, 2, PARAMS, 8, graph, n_epochs=60)
    assert first.shape == (len(vectors), 2) and first.dtype == np.float32
    assert np.array_equal(first, again)
    assert not np.allclose(first, other)


def test_large_route_keeps_the_default_routes_quality(data):
    vectors, _, graph = data
    large = scale.umap_layout_large(vectors, 2, PARAMS, 0, graph, n_epochs=100)
    default = project(Embeddings("c", "m", vectors), method="umap", seed=0)
    large_trust = projection_quality(vectors, large, seed=0)["trustworthiness"]
    assert large_trust >= default.quality["trustworthiness"] - 0.02


def test_project_uses_the_large_route_above_the_threshold(data, monkeypatch):
    vectors, _, _ = data
    monkeypatch.setattr(scale, "LARGE_MAP_ROWS", 500)
    embeddings = Embeddings("c", "m", vectors)
    first = project(embeddings, method="umap", seed=3)
    again = project(embeddings, method="umap", seed=3)
    assert first.params.get("route") == "large"
    assert first.params["n_epochs"] == scale.layout_epochs(len(vectors))
    assert np.array_equal(first.coords, again.coords)


def test_invalid_and_duplicate_rows_still_map_on_the_large_route(data, monkeypatch):
    vectors, _, _ = data
    monkeypatch.setattr(scale, "LARGE_MAP_ROWS", 500)
    doubled = np.concatenate([vectors[:600], vectors[:20]])
    valid = np.ones(len(doubled), dtype=bool)
    valid[5] = False
    result = project(Embeddings("c", "m", doubled, valid), method="umap", seed=3)
    assert result.params.get("route") == "large"
    assert np.isnan(result.coords[5]).all() and np.isfinite(np.delete(result.coords, 5, axis=0)).all()
    copies = np.array([i for i in range(20) if i != 5])
    assert np.array_equal(result.coords[600 + copies], result.coords[copies]), "a duplicate shares its first copy's place"
    assert np.isfinite(result.coords[605]).all()  # the copy of the invalid row 5 is valid: it is drawn


def test_new_points_land_among_their_neighbours(data):
    vectors, labels, _ = data
    held = np.arange(0, 700, 35)  # 20 points left out of the fit
    kept = np.setdiff1d(np.arange(700), held)
    layout = project(Embeddings("c", "m", vectors[kept]), method="umap", seed=0).coords
    placed, neighbours = scale.place_points(vectors[held], vectors[kept], layout, k=10)
    assert placed.shape == (len(held), 2) and neighbours.shape == (len(held), 10)
    # every neighbour used is a real top-10 cosine neighbour in the full space
    sims = vectors[held] @ vectors[kept].T
    truth = np.argsort(-sims, axis=1)[:, :10]
    assert all(set(n) == set(t) for n, t in zip(neighbours, truth))
    # a placed point sits with its own cluster: its nearest map point mostly shares its label
    nearest = np.argmin(((layout[None, :, :] - placed[:, None, :]) ** 2).sum(axis=2), axis=1)
    assert np.mean(labels[kept][nearest] == labels[held]) >= 0.9
    spread = np.median(np.linalg.norm(layout - layout.mean(axis=0), axis=1))
    own = layout[neighbours[:, 0]]
    assert np.median(np.linalg.norm(placed - own, axis=1)) < 0.25 * spread


def test_place_points_skips_unplaced_rows_and_needs_one(data):
    vectors, _, _ = data
    coords = np.full((10, 2), np.nan, dtype=np.float32)
    with pytest.raises(ProjectionError):
        scale.place_points(vectors[:1], vectors[:10], coords)
    coords[3] = (1.0, 2.0)
    placed, neighbours = scale.place_points(vectors[:2], vectors[:10], coords)
    assert neighbours.tolist() == [[3], [3]] and np.allclose(placed, [[1.0, 2.0], [1.0, 2.0]])


def test_knn_input_refuses_a_graph_umap_would_silently_ignore(data):
    _, _, (neighbors, sims) = data
    with pytest.raises(ProjectionError):
        scale.umap_knn_input(neighbors[:, :5], sims[:, :5], 15)
    broken = np.array(neighbors)
    broken[0, 0] = -1
    with pytest.raises(ProjectionError):
        scale.umap_knn_input(broken, sims, 15)
    indices, distances = scale.umap_knn_input(neighbors, sims, 15)
    assert indices.shape == (700, 15) and (indices[:, 0] == np.arange(700)).all() and (distances[:, 0] == 0).all()


def test_the_parallel_layout_is_the_same_with_one_thread_or_two(data):
    import numba

    from engine.project.layout import umap_parallel_layout

    vectors, _, graph = data
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has one thread on this machine: nothing to compare")
    indices, distances = scale.umap_knn_input(*graph, 15)
    runs = [umap_parallel_layout(vectors, 2, indices, distances, n_neighbors=15, min_dist=0.1, n_epochs=40, seed=5,
                                 threads=threads) for threads in (1, 2)]
    assert np.array_equal(runs[0], runs[1])


def test_place_new_points_uses_the_maps_model_and_rows(data):
    from engine.project import place_new_points

    vectors, _, _ = data
    embeddings = Embeddings("c", "m", vectors[:300])
    projection = project(embeddings, method="pca", seed=0)
    placed = place_new_points(projection, embeddings, vectors[300:305] * 3.0)  # any scale: normalised
    expected, _ = scale.place_points(vectors[300:305], vectors[:300], projection.coords)
    assert placed.shape == (5, 2) and np.allclose(placed, expected, atol=1e-5)
    with pytest.raises(ProjectionError, match="dimensions"):
        place_new_points(projection, embeddings, vectors[300:305, :10])
    with pytest.raises(ProjectionError, match="model"):
        place_new_points(projection, Embeddings("c", "other", vectors[:300]), vectors[300:305])
