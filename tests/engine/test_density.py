"""Density grid and density-aware thinning on synthetic layouts."""
from __future__ import annotations

import numpy as np
import pytest

from engine.density import density_grid, density_on_by_default, thin_by_density
from engine.errors import ProjectionError
from engine.synthetic import synthetic_map


def _blobs(seed: int = 0) -> np.ndarray:
    """A dense blob of 9,000 points at y = +5, a loose one of 1,000 at y = -5, 40 far outliers."""
    rng = np.random.default_rng(seed)
    dense = rng.normal([0, 5], 0.5, size=(9000, 2))
    loose = rng.normal([0, -5], 2.0, size=(1000, 2))
    outliers = rng.uniform(-30, 30, size=(40, 2)) + np.array([40, 0])
    return np.vstack([dense, loose, outliers]).astype(np.float32)


def test_grid_is_normalised_row_major_with_row_zero_at_low_y():
    coords = _blobs()
    grid = density_grid(coords, size=(60, 80))
    assert grid.grid.shape == (60, 80) and grid.grid.dtype == np.float32
    assert float(grid.grid.min()) >= 0 and float(grid.grid.max()) == pytest.approx(1.0)
    row, col = np.unravel_index(int(np.argmax(grid.grid)), grid.grid.shape)
    x0, x1, y0, y1 = grid.extent
    peak_y = y0 + (row + 0.5) * (y1 - y0) / 60
    peak_x = x0 + (col + 0.5) * (x1 - x0) / 80
    assert abs(peak_y - 5) < 1.0 and abs(peak_x) < 1.5  # the dense blob, not the loose one
    assert x0 <= coords[:, 0].min() and x1 >= coords[:, 0].max()
    payload = grid.payload()
    assert (payload["h"], payload["w"]) == (60, 80) and payload["extent"] == list(grid.extent)
    decoded = np.frombuffer(payload["grid"], dtype="<f4").reshape(60, 80)
    assert np.array_equal(decoded, grid.grid)


def test_grid_agrees_with_a_gaussian_kde():
    from scipy.stats import gaussian_kde

    coords = _blobs(1)[:10000:5].astype(np.float64)
    grid = density_grid(coords, size=(40, 40))
    x0, x1, y0, y1 = grid.extent
    xs = x0 + (np.arange(40) + 0.5) * (x1 - x0) / 40
    ys = y0 + (np.arange(40) + 0.5) * (y1 - y0) / 40
    gx, gy = np.meshgrid(xs, ys)
    kde = gaussian_kde(coords.T)(np.vstack([gx.ravel(), gy.ravel()])).reshape(40, 40)
    correlation = np.corrcoef(kde.ravel(), grid.grid.ravel())[0, 1]
    assert correlation > 0.9


def test_on_by_default_past_a_few_thousand_points():
    assert not density_on_by_default(800)
    assert density_on_by_default(50_000)


def test_thinning_keeps_sparse_points_and_subsamples_dense_ones():
    coords = _blobs()
    rows = thin_by_density(coords, 2000, seed=7)
    assert rows.size == 2000 and np.all(np.diff(rows) > 0)
    assert np.array_equal(rows, thin_by_density(coords, 2000, seed=7))  # seeded
    assert not np.array_equal(rows, thin_by_density(coords, 2000, seed=8))
    outliers = np.arange(10000, 10040)
    assert np.isin(outliers, rows).mean() >= 0.9  # the rare points survive
    dense_share = np.isin(np.arange(9000), rows).mean()
    loose_share = np.isin(np.arange(9000, 10000), rows).mean()
    assert loose_share > 2 * dense_share  # the crowd is what gets thinned
    uniform = np.random.default_rng(0).choice(coords.shape[0], 2000, replace=False)
    assert np.isin(outliers, uniform).mean() < 0.5  # what a plain sample would have kept


def test_thinning_respects_keep_and_positions():
    corpus = synthetic_map(20_000, seed=2)
    coords = corpus.coords.copy()
    coords[:100] = np.nan
    rows = thin_by_density(coords, 1000, keep=[5, 150, 151])
    assert 150 in rows and 151 in rows and 5 not in rows  # row 5 has no position
    assert not np.isin(np.arange(100), rows).any()
    assert 1000 <= rows.size <= 1002
    assert np.array_equal(thin_by_density(coords[:600], 1000), np.arange(100, 600))


def test_bad_inputs_raise():
    with pytest.raises(ProjectionError):
        density_grid(np.zeros(4))
    with pytest.raises(ProjectionError):
        density_grid(np.full((3, 2), np.nan))
    with pytest.raises(ProjectionError):
        density_grid(np.zeros((3, 2)), size=(1, 5))
