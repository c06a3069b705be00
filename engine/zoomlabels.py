"""Map labels at every zoom level (WizMap-style): a quadtree of regions named by c-TF-IDF.

The layout's bounding square is split into a quadtree. Every tile holding at least
``min_points`` points is a *region*; its distinctive words come from the project's one c-TF-IDF
(``engine.keywords``), scored once per depth against the whole corpus. Depth ``d`` labels the
zoom range starting at ``min_zoom = 2 ** (d - BASE_DEPTH)``: at that zoom a tile is about a quarter
of the view wide, so a view holds a handful of labels at every level.

Placement is computed here, not in the browser, so a test can check it: at each level, label
boxes (width and height estimated in CSS pixels from the text length and font size) are placed
greedily, largest region first, skipping any box that would overlap one already placed at that
level's scale. Zoomed further in than ``min_zoom`` the boxes only shrink in layout units, so a
level without overlap at its ``min_zoom`` has none anywhere in its range. A region's label never
repeats a word of its ancestors' labels, so zooming in shows finer words, never the same ones.

Why a quadtree and not a cluster tree: it is built in O(n log n) from the layout alone (1M points
in seconds), its tiles line up with zoom levels by construction (one depth per doubling), and it
labels what the user sees on the map, including regions no clustering calls a cluster. A curated
clustering (issue 16 §4) can still name its clusters on the coarse levels through ``curated``.

Example:
    >>> import numpy as np
    >>> from engine.keywords import term_counts
    >>> coords = np.array([[0, 0], [0.1, 0.1], [9, 9], [9.1, 9.1]], dtype=np.float32)
    >>> tree = build_hierarchy(coords, term_counts(["apple pie", "apple tart", "car engine", "car race"]),
    ...                        min_points=2)
    >>> sorted(level["labels"][0]["text"].split(" · ")[0] for level in place_levels(tree)["levels"][:1])
    ['apple']
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from engine.errors import ProjectionError
from engine.keywords import TermCounts, keywords_from_counts, same_word

if TYPE_CHECKING:
    from engine.store import Store

NAMESPACE = "zoomlabels"
_VERSION = 1  # bump when the hierarchy or its labels change, so stored ones are not reused
BASE_DEPTH = 2  # the zoomed-out level labels depth-2 tiles (at most 16)
MAX_OVERVIEW_LABELS = 15
DEFAULT_VIEWPORT = (900.0, 600.0)  # CSS px of the map at zoom 1 (the whole extent fits)
FONT_PX = 13.0
CHAR_WIDTH = 0.62  # average glyph width / font size for a sans-serif face (a generous estimate)
LINE_HEIGHT = 1.4
PAD_PX = 6.0  # box padding, both sides together
SEPARATOR = " · "


@dataclass(frozen=True, slots=True)
class Region:
    """One quadtree tile with enough points to be named."""

    depth: int
    ix: int
    iy: int
    count: int
    x: float  # mean position of its points (where its label goes)
    y: float
    terms: tuple[str, ...]  # c-TF-IDF words, most distinctive first
    label: str  # the words shown: ``terms`` minus its ancestors' label words ("" when none are left)


@dataclass(frozen=True, slots=True)
class CuratedLabel:
    """A name a person gave a cluster (issue 16 §4): drawn first on the coarse levels."""

    x: float
    y: float
    text: str
    size: int


@dataclass(frozen=True, slots=True, eq=False)
class LabelHierarchy:
    """The regions of one layout, every depth, plus what they were computed from."""

    extent: tuple[float, float, float, float]  # x0, x1, y0, y1 of the layout's finite points
    side: float  # side of the bounding square the quadtree splits (max of width and height)
    regions: tuple[Region, ...]
    params: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    key: str = ""

    @property
    def depths(self) -> list[int]:
        return sorted({region.depth for region in self.regions})

    def to_json(self) -> dict[str, Any]:
        return {"extent": list(self.extent), "side": self.side, "params": self.params, "seconds": self.seconds,
                "key": self.key, "regions": [[r.depth, r.ix, r.iy, r.count, r.x, r.y, list(r.terms), r.label]
                                             for r in self.regions]}

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> LabelHierarchy:
        regions = tuple(Region(int(d), int(ix), int(iy), int(c), float(x), float(y), tuple(terms), str(label))
                        for d, ix, iy, c, x, y, terms, label in payload["regions"])
        return cls(extent=tuple(float(v) for v in payload["extent"]), side=float(payload["side"]),  # type: ignore[arg-type]
                   regions=regions, params=dict(payload["params"]), seconds=float(payload["seconds"]),
                   key=str(payload["key"]))


def _extent(coords: np.ndarray) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    coords = np.asarray(coords, dtype=np.float64)
    if coords.ndim != 2 or coords.shape[1] < 2:
        raise ProjectionError("Zoom labels need a 2-D layout (n, 2).")
    finite = np.isfinite(coords[:, :2]).all(axis=1)
    if not finite.any():
        raise ProjectionError("The layout has no positioned points to label; compute the map first.")
    points = coords[finite, :2]
    (x0, y0), (x1, y1) = points.min(axis=0), points.max(axis=0)
    return finite, (float(x0), float(x1), float(y0), float(y1))


def _choose_label(terms: Sequence[str], banned: Sequence[str], used: set[str], words: int) -> str:
    """``words`` of ``terms`` that repeat no banned (ancestor) word, as a text no coarser level used."""
    fresh = [t for t in terms if not any(same_word(t, b) for b in banned)]
    for start in range(max(len(fresh) - words + 1, 1)):
        text = SEPARATOR.join(fresh[start:start + words])
        if text and text not in used:
            return text
    return ""


def build_hierarchy(
    coords: npt.ArrayLike,
    counts: TermCounts | None,
    *,
    max_depth: int = 7,
    min_points: int | None = None,
    top_n: int = 8,
    words_per_label: int = 2,
) -> LabelHierarchy:
    """The quadtree regions of a 2-D layout, named by c-TF-IDF against the whole corpus.

    Args:
        coords: (n, 2) layout, corpus row order; NaN rows (not projected) are left out of every
            region but still count in the corpus word frequencies.
        counts: ``engine.keywords.term_counts`` of the corpus texts, row for row (None: no words,
            so regions are unnamed).
        max_depth: Deepest quadtree level (depth d has up to 4**d tiles).
        min_points: Fewest points a tile needs to be named (default: 0.02 % of the points, at least 8).
        top_n: c-TF-IDF words kept per region.
        words_per_label: Words shown per label.

    Raises:
        ProjectionError: Not a 2-D layout, no positioned point, or rows that do not match the texts.
    """
    started = time.perf_counter()
    coords = np.asarray(coords, dtype=np.float64)
    finite, extent = _extent(coords)
    if counts is not None and counts.n != coords.shape[0]:
        raise ProjectionError(f"Got {counts.n} texts for {coords.shape[0]} layout rows; they must match row for row.")
    n_points = int(finite.sum())
    min_points = int(min_points or max(8, n_points // 5000))
    side = max(extent[1] - extent[0], extent[3] - extent[2]) or 1.0
    rows = np.flatnonzero(finite)
    # cell position in [0, 1) of the bounding square, the deepest level's integer tile from it
    unit = np.clip((coords[rows, :2] - [extent[0], extent[2]]) / side, 0.0, np.nextafter(1.0, 0.0))
    regions: list[Region] = []
    words_of: dict[tuple[int, int, int], list[str]] = {}  # (depth, ix, iy) -> label words, for the children
    used: set[str] = set()
    for depth in range(BASE_DEPTH, max_depth + 1):
        tiles = 1 << depth
        ix, iy = (unit[:, 0] * tiles).astype(np.int64), (unit[:, 1] * tiles).astype(np.int64)
        code = iy * tiles + ix
        sizes = np.bincount(code, minlength=tiles * tiles)
        named = sizes >= min_points
        if not named.any():
            break
        labels = np.full(coords.shape[0], -1, dtype=np.int64)
        labels[rows] = np.where(named[code], code, -1)
        keywords = keywords_from_counts(counts, labels, top_n=top_n) if counts is not None else {}
        sum_x = np.bincount(code, weights=coords[rows, 0], minlength=tiles * tiles)
        sum_y = np.bincount(code, weights=coords[rows, 1], minlength=tiles * tiles)
        level_texts: set[str] = set()
        for tile in np.flatnonzero(named):
            tx, ty = int(tile % tiles), int(tile // tiles)
            banned = [w for d in range(BASE_DEPTH, depth) for w in words_of.get((d, tx >> (depth - d), ty >> (depth - d)), [])]
            terms = keywords.get(int(tile), [])
            label = _choose_label(terms, banned, used, words_per_label)
            words_of[(depth, tx, ty)] = label.split(SEPARATOR) if label else []
            level_texts.add(label)
            regions.append(Region(depth, tx, ty, int(sizes[tile]), float(sum_x[tile] / sizes[tile]),
                                  float(sum_y[tile] / sizes[tile]), tuple(terms), label))
        used |= level_texts  # no finer level repeats a text a coarser one showed
    params = {"max_depth": max_depth, "min_points": min_points, "top_n": top_n, "words_per_label": words_per_label,
              "n_points": n_points, "version": _VERSION}
    return LabelHierarchy(extent=extent, side=float(side), regions=tuple(regions), params=params,
                          seconds=time.perf_counter() - started)


def box_size(text: str, font_px: float = FONT_PX) -> tuple[float, float]:
    """Estimated (width, height) in CSS px of a one-line label."""
    return len(text) * font_px * CHAR_WIDTH + PAD_PX, font_px * LINE_HEIGHT + PAD_PX / 2


def units_per_px(extent: Sequence[float], zoom: float, viewport: Sequence[float] = DEFAULT_VIEWPORT) -> float:
    """Layout units per CSS px at ``zoom`` (1: the whole extent fits the viewport, equal x/y scales)."""
    width, height = max(extent[1] - extent[0], 1e-12), max(extent[3] - extent[2], 1e-12)
    return max(width / viewport[0], height / viewport[1]) / zoom


def _overlaps(placed: np.ndarray, count: int, box: np.ndarray) -> bool:
    """Does ``box`` (x, y, half width, half height) overlap any of the first ``count`` placed boxes?"""
    if count == 0:
        return False
    other = placed[:count]
    return bool(np.any((np.abs(other[:, 0] - box[0]) < other[:, 2] + box[2])
                       & (np.abs(other[:, 1] - box[1]) < other[:, 3] + box[3])))


def place_levels(
    hierarchy: LabelHierarchy,
    *,
    viewport: Sequence[float] = DEFAULT_VIEWPORT,
    font_px: float = FONT_PX,
    max_overview: int = MAX_OVERVIEW_LABELS,
    curated: Sequence[CuratedLabel] = (),
) -> dict[str, Any]:
    """Labels to draw at each zoom level, placed without overlap (the renderer's payload).

    Args:
        hierarchy: From ``build_hierarchy``.
        viewport: (width, height) CSS px of the map at zoom 1.
        font_px: Label font size (boxes are estimated from it).
        max_overview: Most labels on the zoomed-out level.
        curated: Cluster names a person gave (largest first): placed before the keyword labels
            on the two coarsest levels, which they then override where they collide.

    Returns:
        ``{"levels": [{"min_zoom", "labels": [{"x", "y", "text", "w", "h"}]}], "extent": [x0, x1, y0, y1],
        "viewport": [w, h], "font_px"}``; x, y are box centres in layout units, w and h CSS px.
        A renderer shows the level with the largest ``min_zoom`` not above the current zoom.
    """
    levels = []
    by_depth: dict[int, list[Region]] = {}
    for region in hierarchy.regions:
        if region.label:
            by_depth.setdefault(region.depth, []).append(region)
    for level, depth in enumerate(hierarchy.depths):
        min_zoom = float(2 ** level)
        scale = units_per_px(hierarchy.extent, min_zoom, viewport)
        candidates: list[tuple[float, float, str, int]] = []
        if level < 2:
            candidates += [(c.x, c.y, c.text, c.size) for c in sorted(curated, key=lambda c: -c.size)]
        candidates += [(r.x, r.y, r.label, r.count)
                       for r in sorted(by_depth.get(depth, []), key=lambda r: (-r.count, r.iy, r.ix))]
        limit = max_overview if level == 0 else len(candidates)
        placed = np.zeros((len(candidates), 4))
        labels: list[dict[str, Any]] = []
        texts: set[str] = set()
        for x, y, text, _ in candidates:
            if len(labels) >= limit:
                break
            if text in texts:  # a curated name and a tile can name the same thing
                continue
            w, h = box_size(text, font_px)
            box = np.array([x, y, w * scale / 2, h * scale / 2])
            if _overlaps(placed, len(labels), box):
                continue
            placed[len(labels)] = box
            texts.add(text)
            labels.append({"x": float(x), "y": float(y), "text": text, "w": float(w), "h": float(h)})
        levels.append({"min_zoom": min_zoom, "labels": labels})
    return {"levels": levels, "extent": list(hierarchy.extent), "viewport": [float(v) for v in viewport],
            "font_px": float(font_px)}


def curated_labels(labels: npt.ArrayLike, coords: npt.ArrayLike, names: dict[int, str]) -> list[CuratedLabel]:
    """CuratedLabel per named cluster: its text at the median position of its members, its size."""
    labels, coords = np.asarray(labels), np.asarray(coords, dtype=np.float64)
    out = []
    for cluster, name in names.items():
        members = coords[(labels == cluster) & np.isfinite(coords[:, :2]).all(axis=1), :2]
        if cluster >= 0 and name and members.size:
            x, y = np.median(members, axis=0)
            out.append(CuratedLabel(float(x), float(y), str(name), int(members.shape[0])))
    return sorted(out, key=lambda c: (-c.size, c.text))


def hierarchy_key(model_id: str, layout_key: str, **params: Any) -> str:
    """Store key of a layout's label hierarchy (``engine.store.derived_key``: layout key + params)."""
    from engine.store import derived_key

    return derived_key(model_id, "zoomlabels", {"layout": layout_key, "version": _VERSION, **params})


def load_hierarchy(store: Store, corpus_id: str, key: str) -> LabelHierarchy | None:
    payload = store.load_json(corpus_id, NAMESPACE, key)
    return LabelHierarchy.from_json(payload) if payload else None


def stored_hierarchy(
    store: Store,
    corpus_id: str,
    model_id: str,
    layout_key: str,
    coords: npt.ArrayLike,
    counts: TermCounts | None,
    *,
    max_depth: int = 7,
    min_points: int | None = None,
    words_per_label: int = 2,
) -> LabelHierarchy:
    """The layout's label hierarchy, built once and kept in the workspace (loaded when stored)."""
    if not layout_key:
        raise ProjectionError("Zoom labels are stored per layout: the layout has no store key (compute it first).")
    key = hierarchy_key(model_id, layout_key, max_depth=max_depth, min_points=min_points,
                        words_per_label=words_per_label)
    stored = load_hierarchy(store, corpus_id, key)
    if stored is not None:
        return stored
    built = build_hierarchy(coords, counts, max_depth=max_depth, min_points=min_points,
                            words_per_label=words_per_label)
    result = LabelHierarchy(extent=built.extent, side=built.side, regions=built.regions,
                            params={**built.params, "layout": layout_key}, seconds=built.seconds, key=key)
    store.save_json(corpus_id, NAMESPACE, key, result.to_json())
    return result
