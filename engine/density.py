"""Point density on a 2-D layout: a smoothed density grid and density-aware point thinning.

The grid is a 2-D histogram smoothed by a Gaussian (a binned KDE: the same estimate as a
Gaussian KDE evaluated on the grid, up to binning, in O(n + cells) instead of O(n x cells)).
The bandwidth follows Scott's rule. A map draws it under the points, on by default past
``DENSITY_DEFAULT_POINTS`` points, where points alone merge into a blot.

Past the point cap, ``thin_by_density`` keeps every sparse point it can and subsamples dense
areas: a weighted sample without replacement (Efraimidis-Spirakis keys), weight 1 / density, so
outliers and small groups stay visible while the density layer still shows where the mass is.

Example:
    >>> import numpy as np
    >>> coords = np.random.default_rng(0).normal(size=(5000, 2)).astype(np.float32)
    >>> grid = density_grid(coords, size=(32, 48))
    >>> grid.grid.shape, float(grid.grid.max()), len(thin_by_density(coords, 500, grid=grid))
    ((32, 48), 1.0, 500)
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.errors import ProjectionError

DENSITY_DEFAULT_POINTS = 5_000  # past this many points the density layer is on by default
DEFAULT_SIZE = (160, 160)  # (H, W) cells
_PAD = 0.05  # share of the width/height added on each side, so the smoothed edge is not cut


@dataclass(frozen=True, slots=True, eq=False)
class DensityGrid:
    """A density grid over a layout.

    Attributes:
        grid: (H, W) float32, read-only, row-major, normalised to 0..1 (max 1). Row 0 is the
            lowest y (``extent[2]``), column 0 the lowest x (``extent[0]``); cell centres are evenly
            spaced from one edge of the extent to the other.
        extent: (x0, x1, y0, y1) the grid covers, layout units.
        bandwidth: Gaussian standard deviation used, layout units (x, y).
    """

    grid: np.ndarray
    extent: tuple[float, float, float, float]
    bandwidth: tuple[float, float]

    def __post_init__(self) -> None:
        if self.grid.flags.writeable:
            self.grid.setflags(write=False)

    def payload(self) -> dict[str, Any]:
        """The renderer's form: ``{"grid": float32 bytes row-major HxW, "h", "w", "extent": [x0, x1, y0, y1]}``."""
        return {"grid": np.ascontiguousarray(self.grid, dtype="<f4").tobytes(), "h": int(self.grid.shape[0]),
                "w": int(self.grid.shape[1]), "extent": [float(v) for v in self.extent]}

    def at(self, coords: npt.ArrayLike) -> np.ndarray:
        """(n,) grid value at each point (0 for points outside the extent or without a position)."""
        coords = np.asarray(coords, dtype=np.float64)
        h, w = self.grid.shape
        x0, x1, y0, y1 = self.extent
        col = np.floor((coords[:, 0] - x0) / (x1 - x0) * w)
        row = np.floor((coords[:, 1] - y0) / (y1 - y0) * h)
        inside = np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col < w) & (row >= 0) & (row < h)
        values = np.zeros(coords.shape[0], dtype=np.float32)
        values[inside] = self.grid[row[inside].astype(np.int64), col[inside].astype(np.int64)]
        return values


def density_on_by_default(n_points: int) -> bool:
    """Whether a map of ``n_points`` points shows the density layer unless the user turns it off."""
    return n_points > DENSITY_DEFAULT_POINTS


def density_grid(
    coords: npt.ArrayLike,
    *,
    size: Sequence[int] = DEFAULT_SIZE,
    bandwidth: float | None = None,
    extent: Sequence[float] | None = None,
) -> DensityGrid:
    """A Gaussian-smoothed 2-D histogram of the layout, normalised to 0..1.

    Args:
        coords: (n, 2) layout; NaN rows are skipped.
        size: (H, W) cells.
        bandwidth: Gaussian standard deviation in layout units (default: Scott's rule per axis).
        extent: (x0, x1, y0, y1) to cover (default: the points' bounds padded by 5 %).

    Raises:
        ProjectionError: Not a 2-D layout, a grid under 2x2 cells, or no positioned point.
    """
    from scipy.ndimage import gaussian_filter

    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim != 2 or coords.shape[1] < 2:
        raise ProjectionError("A density grid needs a 2-D layout (n, 2).")
    h, w = (int(v) for v in size)
    if h < 2 or w < 2:
        raise ProjectionError(f"A density grid needs at least 2x2 cells; got {h}x{w}.")
    points = coords[np.isfinite(coords[:, :2]).all(axis=1), :2]
    if points.shape[0] == 0:
        raise ProjectionError("The layout has no positioned points; compute the map first.")
    if extent is None:
        (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
        pad_x, pad_y = max((x1 - x0) * _PAD, 1e-6), max((y1 - y0) * _PAD, 1e-6)
        extent = (x0 - pad_x, x1 + pad_x, y0 - pad_y, y1 + pad_y)
    x0, x1, y0, y1 = (float(v) for v in extent)
    if bandwidth is None:
        # Scott's rule for a 2-D Gaussian KDE: n ** (-1 / (d + 4)) times each axis' spread
        spread = np.maximum(points.std(axis=0), 1e-9)
        sigma = spread * max(points.shape[0], 2) ** (-1 / 6)
    else:
        sigma = np.array([bandwidth, bandwidth], dtype=np.float64)
    counts, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=(h, w), range=((y0, y1), (x0, x1)))
    cell = np.array([(x1 - x0) / w, (y1 - y0) / h])
    smoothed = gaussian_filter(counts, sigma=(float(sigma[1] / cell[1]), float(sigma[0] / cell[0])), mode="constant")
    peak = float(smoothed.max())
    grid = (smoothed / peak if peak > 0 else smoothed).astype(np.float32)
    return DensityGrid(grid=grid, extent=(x0, x1, y0, y1), bandwidth=(float(sigma[0]), float(sigma[1])))


def thin_by_density(
    coords: npt.ArrayLike,
    cap: int,
    *,
    seed: int = 0,
    keep: Sequence[int] = (),
    grid: DensityGrid | None = None,
) -> npt.NDArray[np.int64]:
    """Rows to draw past the point cap: sparse points kept, dense areas subsampled.

    Args:
        coords: (n, 2) layout; rows without a position are never returned.
        cap: Most rows to return (plus the ``keep`` rows that were not picked anyway).
        seed: Sampling seed (the same inputs and seed give the same rows).
        keep: Rows always returned when positioned (search hits, the open item).
        grid: The density to weigh by (default: ``density_grid(coords)``).

    Returns:
        Sorted row numbers: every positioned row when there are at most ``cap`` of them.
    """
    coords = np.asarray(coords, dtype=np.float64)
    positioned = np.flatnonzero(np.isfinite(coords[:, :2]).all(axis=1))
    if positioned.size <= cap:
        return positioned.astype(np.int64)
    grid = grid if grid is not None else density_grid(coords)
    density = np.maximum(grid.at(coords[positioned]).astype(np.float64), 1e-6)
    # Efraimidis-Spirakis: key = u ** (1 / weight), the largest keys are a weighted sample without
    # replacement; in logs, log(u) * density (weight = 1 / density), compared as is.
    keys = np.log(np.random.default_rng(seed).random(positioned.size)) * density
    order = np.lexsort((positioned, -keys))[: max(int(cap), 0)]
    picked = set(positioned[order].tolist())
    kept = np.asarray(list(keep), dtype=np.int64)
    kept = kept[(kept >= 0) & (kept < coords.shape[0])]
    picked.update(int(r) for r in kept if np.isfinite(coords[r, :2]).all())
    return np.array(sorted(picked), dtype=np.int64)
