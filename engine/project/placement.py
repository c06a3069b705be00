"""Where cluster labels go on a 2-D map so that no two labels overlap.

Plotly draws annotations where it is told and never moves them, so on a dense map the labels of
neighbouring clusters cover each other. The placement is computed here instead, from an estimate
of each label's box: ``characters × CHAR_WIDTH_EM × font size`` wide and ``LINE_HEIGHT_EM × font
size`` high, plus padding, in pixels, converted to data units with the figure's plot-area size
and axis ranges. Labels are placed largest cluster first: at the cluster's centre if that box is
free, else at the nearest free spot on a grid of offsets around it (the map then draws a thin
line to the centre); a label with no free spot within ``MAX_OFFSET_ROWS`` box heights and
``MAX_OFFSET_COLUMNS`` box widths is left out
(the legend and the cluster table still name it). The box estimate is deliberately generous
(bold text averages about 0.6 em a character), and a wider figure than assumed only makes the
real boxes smaller, so boxes that do not overlap here do not overlap on screen.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

CHAR_WIDTH_EM = 0.62  # average advance of bold sans-serif text, as a share of the font size
LINE_HEIGHT_EM = 1.3
PADDING_PX = 4.0  # inside the box (plotly's borderpad 2) plus a small gap between boxes
MAX_OFFSET_ROWS = 3  # how far a label may move up or down from its cluster's centre, in box heights
MAX_OFFSET_COLUMNS = 1  # ... and sideways, in box widths (labels are wide: farther reads as another cluster)


@dataclass(frozen=True, slots=True)
class LabelBox:
    """One placed label, in data units: ``(x, y)`` is the box centre, ``(anchor_x, anchor_y)`` the
    cluster centre it names, ``width``/``height`` the estimated box size."""

    cluster: int
    text: str
    x: float
    y: float
    anchor_x: float
    anchor_y: float
    width: float
    height: float

    @property
    def moved(self) -> bool:
        return (self.x, self.y) != (self.anchor_x, self.anchor_y)

    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top)."""
        return (self.x - self.width / 2, self.y - self.height / 2, self.x + self.width / 2, self.y + self.height / 2)


def text_box_px(text: str, font_px: float) -> tuple[float, float]:
    """Estimated (width, height) in pixels of one line of ``text`` in a label box."""
    return len(text) * CHAR_WIDTH_EM * font_px + 2 * PADDING_PX, LINE_HEIGHT_EM * font_px + 2 * PADDING_PX


def boxes_overlap(a: LabelBox, b: LabelBox) -> bool:
    """True when two boxes share any area (touching edges do not count)."""
    al, ab, ar, at = a.bounds()
    bl, bb, br, bt = b.bounds()
    return al < br and bl < ar and ab < bt and bb < at


def _offsets(rows: int, columns: int) -> list[tuple[float, float]]:
    """Offsets in (box widths, box heights) on a half-width grid, nearest first (ties: up, then right)."""
    grid = [(dx / 2, float(dy)) for dx in range(-2 * columns, 2 * columns + 1) for dy in range(-rows, rows + 1)]
    return sorted(grid, key=lambda o: (o[0] ** 2 + o[1] ** 2, -o[1], -o[0]))


def place_labels(
    labels: Sequence[tuple[int, str, float, float]],
    *,
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    plot_px: tuple[float, float],
    font_px: float = 11.0,
) -> list[LabelBox]:
    """Boxes for cluster labels that never overlap one another and stay inside the plot.

    Args:
        labels: (cluster, text, centre x, centre y) in priority order (largest cluster first).
        x_range: The x-axis range the figure shows (data units).
        y_range: The y-axis range.
        plot_px: (width, height) of the plot area in pixels (assume the narrowest likely width).
        font_px: Label font size in pixels.

    Returns:
        The placed labels (some may be left out when there is no room).
    """
    x_per_px = (x_range[1] - x_range[0]) / max(plot_px[0], 1.0)
    y_per_px = (y_range[1] - y_range[0]) / max(plot_px[1], 1.0)
    placed: list[LabelBox] = []
    offsets = _offsets(MAX_OFFSET_ROWS, MAX_OFFSET_COLUMNS)
    for cluster, text, cx, cy in labels:
        width_px, height_px = text_box_px(text, font_px)
        width, height = width_px * x_per_px, height_px * y_per_px
        for dx, dy in offsets:
            x, y = cx + dx * width, cy + dy * height
            box = LabelBox(cluster, text, x, y, float(cx), float(cy), width, height)
            left, bottom, right, top = box.bounds()
            inside = x_range[0] <= left and right <= x_range[1] and y_range[0] <= bottom and top <= y_range[1]
            if inside and not any(boxes_overlap(box, other) for other in placed):
                placed.append(box)
                break
    return placed
