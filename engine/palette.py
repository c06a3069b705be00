"""Colours people can tell apart: CIEDE2000 colour difference and the map's categorical palette.

The map colours clusters and categories with ``PALETTE`` (at the end of this module): 20 colours whose pairwise CIEDE2000
difference is at least ``MIN_DELTA_E`` (10), also against the grey of unclustered points
(``NOISE_COLOR``) and the grey of the "other" group (``OTHER_COLOR``) that collects every category
past the palette. A ΔE00 of about 2 is a just-noticeable difference side by side; 10 keeps small
markers on a white background distinguishable in a legend.

The palette was chosen by ``greedy_palette`` (farthest-point selection in CIEDE2000 from an sRGB
grid, lightness 35-75 so every colour shows on white, chroma >= 30 so none reads as grey),
starting from Tableau 10 without its grey, and is written out here so it never changes under a user.

CIEDE2000 follows Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula:
implementation notes, supplementary test data, and mathematical observations"; the tests check
it against their published test pairs.
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

MIN_DELTA_E = 10.0
NOISE_COLOR = "#c7c7c7"  # unclustered / missing values
OTHER_COLOR = "#7f7f7f"  # every category past the palette


def hex_to_rgb(colour: str) -> npt.NDArray[np.float64]:
    """``#rrggbb`` → (3,) sRGB in [0, 1]."""
    value = colour.lstrip("#")
    return np.array([int(value[i:i + 2], 16) / 255.0 for i in (0, 2, 4)])


def srgb_to_lab(rgb: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """sRGB in [0, 1] (..., 3) → CIE L*a*b* (D65 white, 2° observer), same shape."""
    rgb = np.asarray(rgb, dtype=np.float64)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    matrix = np.array([[0.4124564, 0.3575761, 0.1804375],
                       [0.2126729, 0.7151522, 0.0721750],
                       [0.0193339, 0.1191920, 0.9503041]])
    xyz = linear @ matrix.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], axis=-1)


def ciede2000(lab1: npt.ArrayLike, lab2: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """CIEDE2000 colour difference ΔE00 between L*a*b* colours (broadcasting over leading axes).

    Args:
        lab1: (..., 3) L*, a*, b*.
        lab2: (..., 3) L*, a*, b*.

    Returns:
        (...) ΔE00 with kL = kC = kH = 1.
    """
    lab1, lab2 = np.asarray(lab1, dtype=np.float64), np.asarray(lab2, dtype=np.float64)
    l1, a1, b1 = lab1[..., 0], lab1[..., 1], lab1[..., 2]
    l2, a2, b2 = lab2[..., 0], lab2[..., 1], lab2[..., 2]
    c_bar = (np.hypot(a1, b1) + np.hypot(a2, b2)) / 2
    g = 0.5 * (1 - np.sqrt(c_bar ** 7 / (c_bar ** 7 + 25.0 ** 7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.where((a1p == 0) & (b1 == 0), 0.0, np.degrees(np.arctan2(b1, a1p)) % 360)
    h2p = np.where((a2p == 0) & (b2 == 0), 0.0, np.degrees(np.arctan2(b2, a2p)) % 360)
    dl = l2 - l1
    dc = c2p - c1p
    product = c1p * c2p
    dh_angle = h2p - h1p
    dh_angle = np.where(dh_angle > 180, dh_angle - 360, np.where(dh_angle < -180, dh_angle + 360, dh_angle))
    dh_angle = np.where(product == 0, 0.0, dh_angle)
    dh = 2 * np.sqrt(product) * np.sin(np.radians(dh_angle) / 2)
    l_bar = (l1 + l2) / 2
    cp_bar = (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_bar = np.where(
        product == 0, h_sum,
        np.where(np.abs(h1p - h2p) <= 180, h_sum / 2, np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2)))
    t = (1 - 0.17 * np.cos(np.radians(h_bar - 30)) + 0.24 * np.cos(np.radians(2 * h_bar))
         + 0.32 * np.cos(np.radians(3 * h_bar + 6)) - 0.20 * np.cos(np.radians(4 * h_bar - 63)))
    d_theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(cp_bar ** 7 / (cp_bar ** 7 + 25.0 ** 7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * cp_bar
    s_h = 1 + 0.015 * cp_bar * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    return np.sqrt((dl / s_l) ** 2 + (dc / s_c) ** 2 + (dh / s_h) ** 2 + r_t * (dc / s_c) * (dh / s_h))


def delta_e(colour1: str, colour2: str) -> float:
    """ΔE00 between two ``#rrggbb`` colours."""
    return float(ciede2000(srgb_to_lab(hex_to_rgb(colour1)), srgb_to_lab(hex_to_rgb(colour2))))


def min_pairwise_delta_e(colours: tuple[str, ...] | list[str]) -> float:
    """The smallest ΔE00 between any two of ``colours`` (inf for fewer than two)."""
    if len(colours) < 2:
        return float("inf")
    lab = srgb_to_lab(np.array([hex_to_rgb(c) for c in colours]))
    distance = ciede2000(lab[:, None, :], lab[None, :, :])
    return float(distance[np.triu_indices(len(colours), 1)].min())


# Tableau 10 without its grey (#bab0ac is ΔE00 7.3 from the unclustered grey): the familiar start.
TABLEAU_9 = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f")


def greedy_palette(size: int, *, start: tuple[str, ...] = TABLEAU_9,
                   avoid: tuple[str, ...] = (NOISE_COLOR, OTHER_COLOR), steps: int = 18) -> list[str]:
    """Farthest-point selection in CIEDE2000 from an sRGB grid (how ``PALETTE`` was made).

    Starts from ``start``; each next colour maximises its smallest ΔE00 to the colours chosen so
    far and to ``avoid``.
    """
    levels = np.linspace(0, 1, steps)
    grid = np.stack(np.meshgrid(levels, levels, levels, indexing="ij"), axis=-1).reshape(-1, 3)
    lab = srgb_to_lab(grid)
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    usable = (lab[:, 0] >= 35) & (lab[:, 0] <= 75) & (chroma >= 30)
    grid, lab = grid[usable], lab[usable]
    fixed = [*start, *avoid]
    nearest = np.min([ciede2000(lab, srgb_to_lab(hex_to_rgb(c))) for c in fixed], axis=0)
    chosen = list(start)
    while len(chosen) < size:
        best = int(np.argmax(nearest))
        colour = "#" + "".join(f"{round(v * 255):02x}" for v in grid[best])
        chosen.append(colour)
        nearest = np.minimum(nearest, ciede2000(lab, lab[best]))
    return chosen


# greedy_palette(20), written out (min pairwise ΔE00 16.2, including both greys)
PALETTE = (
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f",
    "#8700c3", "#4b5a00", "#007869", "#a5004b", "#a51e00", "#a5b4ff", "#96871e", "#f000ff", "#784b00",
    "#3cc3ff", "#784b78",
)
