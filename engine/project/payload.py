"""The map renderer's compact payload: one binary blob the browser reads without parsing numbers.

Layout (little-endian)::

    b"ESMP" | u32 version | u32 header length | header JSON (UTF-8, padded to 4 bytes) | arrays

The header says where each array starts (``arrays: {name: [dtype, offset, length]}``, offsets into
the array section, each 4-byte aligned) so the browser makes typed-array views over the bytes
without a copy. Per point there are 14 bytes: float32 x and y, a uint32 corpus row (selections go
back to Python as rows), and a uint16 colour code into the header's colour table. Numeric colours
are quantised to a 256-step Viridis table, so every colouring is the same kind of code. Per-point
strings (hover) are included only for small maps (``HOVER_INLINE``); past that the browser asks for
a hovered point's text on demand.

Nothing here knows about Streamlit (``components/map_canvas.py`` mounts the blob); the tests unpack
blobs with :func:`unpack_map`.
"""
from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.palette import NOISE_COLOR, OTHER_COLOR, PALETTE

MAGIC = b"ESMP"
VERSION = 1
HOVER_INLINE = 20_000  # past this many drawn points, hover text is fetched on demand (payload ≤ 4 MB)
NUMERIC_STEPS = 256
SPECIAL = ("unclustered", "(missing)", "no value")
# Viridis at 9 stops (matplotlib's table); interpolated linearly to NUMERIC_STEPS colours
_VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962", "#addc30", "#fde725"]
_DTYPES = {"f4": np.float32, "u4": np.uint32, "u2": np.uint16}


@dataclass(frozen=True, slots=True)
class ColourCodes:
    """Per-point colour codes with their table: what the renderer and its legend need."""

    codes: npt.NDArray[np.uint16]  # (n,) index into ``colors``
    colors: list[str]  # "#rrggbb" per code
    legend: list[dict[str, Any]]  # [{"name", "code"}] for categories; empty for a numeric scale
    colorbar: dict[str, Any] | None = None  # {"title", "min", "max"} for a numeric scale
    names: list[str] = field(default_factory=list)  # category (or value) name per code, for hover


def category_codes(values: Sequence[Any], *, max_colors: int = len(PALETTE)) -> ColourCodes:
    """Codes for categorical values: the largest categories get palette colours in order of size,
    the rest share one "other" grey, and the special groups (unclustered, missing) a light grey."""
    raw = np.asarray(values, dtype=object)
    if raw.size == 0:
        return ColourCodes(np.zeros(0, np.uint16), [], [])
    import pandas as pd  # here, so `import engine.project` (the CLI) does not pay for pandas

    # hash, not sort: np.unique on 200k strings took 2 s on a busy 2-core machine, factorize 0.1 s
    first, distinct = pd.factorize(raw, use_na_sentinel=False)
    categories, merge = np.unique(np.array([str(v) for v in distinct], dtype=str), return_inverse=True)
    inverse = merge[first]
    counts = np.bincount(inverse, minlength=categories.size)
    order = np.argsort(-counts, kind="stable")
    regular = [int(i) for i in order if categories[i] not in SPECIAL]
    special = [int(i) for i in order if categories[i] in SPECIAL]
    shown, rest = regular[:max_colors], regular[max_colors:]
    code_of = np.zeros(categories.size, dtype=np.uint16)
    colors, legend, labels = [], [], []
    for index, category in enumerate(shown):
        code_of[category] = len(colors)
        legend.append({"name": str(categories[category]), "code": len(colors)})
        colors.append(PALETTE[index])
        labels.append(str(categories[category]))
    if rest:
        code_of[rest] = len(colors)
        legend.append({"name": f"other ({len(rest)} groups)", "code": len(colors)})
        colors.append(OTHER_COLOR)
        labels.append("other")
    for category in special:
        code_of[category] = len(colors)
        legend.append({"name": str(categories[category]), "code": len(colors)})
        colors.append(NOISE_COLOR)
        labels.append(str(categories[category]))
    # "other" hides the real category in the table: hover still names it through ``names`` per code
    return ColourCodes(code_of[inverse].astype(np.uint16), colors, legend, names=labels)


def numeric_codes(values: npt.ArrayLike, *, title: str) -> ColourCodes:
    """Codes for numbers on a Viridis scale (``NUMERIC_STEPS`` steps); NaN gets the "no value" grey."""
    numbers = np.asarray(values, dtype=np.float64)
    finite = np.isfinite(numbers)
    low = float(numbers[finite].min()) if finite.any() else 0.0
    high = float(numbers[finite].max()) if finite.any() else 1.0
    span = high - low if high > low else 1.0
    steps = np.clip(np.floor((np.where(finite, numbers, low) - low) / span * NUMERIC_STEPS), 0, NUMERIC_STEPS - 1)
    codes = np.where(finite, steps, NUMERIC_STEPS).astype(np.uint16)
    colors = [*viridis(NUMERIC_STEPS), NOISE_COLOR]
    legend = [{"name": "no value", "code": NUMERIC_STEPS}] if (~finite).any() else []
    return ColourCodes(codes, colors, legend, colorbar={"title": title, "min": low, "max": high})


def viridis(steps: int) -> list[str]:
    """``steps`` colours along Viridis, as hex."""
    stops = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in _VIRIDIS], dtype=np.float64)
    where = np.linspace(0, len(stops) - 1, steps)
    low = np.floor(where).astype(int).clip(0, len(stops) - 2)
    mix = (where - low)[:, None]
    rgb = np.rint(stops[low] * (1 - mix) + stops[low + 1] * mix).astype(int)
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in rgb]


def extent_of(x: npt.ArrayLike, y: npt.ArrayLike, pad: float = 0.04) -> list[float]:
    """[x0, x1, y0, y1]: the finite points' bounding box plus ``pad`` of its size on each side."""
    xs, ys = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    ok = np.isfinite(xs) & np.isfinite(ys)
    if not ok.any():
        return [-1.0, 1.0, -1.0, 1.0]
    out = []
    for values in (xs[ok], ys[ok]):
        low, high = float(values.min()), float(values.max())
        margin = max((high - low) * pad, 1e-3)
        out += [low - margin, high + margin]
    return out


def density_grid(x: npt.ArrayLike, y: npt.ArrayLike, extent: Sequence[float], *, size: int = 160) -> dict[str, Any]:
    """The renderer's density layer over ``extent`` from every point (not only the drawn ones): the
    one KDE grid of :mod:`engine.density`, in its payload form. Row 0 is the bottom (smallest y)."""
    from engine.density import density_grid as kde_grid

    coords = np.column_stack([np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)])
    return kde_grid(coords, size=(size, size), extent=extent).payload()


def pack_map(
    *,
    x: npt.ArrayLike,
    y: npt.ArrayLike,
    rows: npt.ArrayLike,
    colour: ColourCodes,
    total: int | None = None,
    hover: Sequence[str] | None = None,
    rings: npt.ArrayLike | None = None,
    focus: int | None = None,
    flat_labels: Sequence[dict[str, Any]] = (),
    labels: dict[str, Any] | None = None,
    density: dict[str, Any] | None = None,
    extent: Sequence[float] | None = None,
    view_key: str = "",
    point_size: float | None = None,
    markers: Sequence[dict[str, Any]] = (),
    extra: dict[str, Any] | None = None,
) -> bytes:
    """The map as one blob (see the module docstring).

    Args:
        x, y, rows: drawn points (layout coordinates; corpus row numbers).
        colour: per-point codes and their table (:func:`category_codes` / :func:`numeric_codes`).
        total: how many points the full layout has (``n`` < ``total`` shows "showing n of N").
        hover: per drawn point hover text; omitted past ``HOVER_INLINE`` points.
        rings: positions (indices into the drawn points) ringed in red (search hits).
        focus: a position marked as the open item.
        flat_labels: [{"x", "y", "text"}] cluster labels shown at every zoom (the flat level).
        labels: the label hierarchy, ``{"levels": [{"min_zoom", "labels": [{"x", "y", "text", "w", "h"}]}]}``.
        density: ``density_grid`` output (grid as float32 bytes) drawn under the points.
        extent: the full view [x0, x1, y0, y1] (default: the points' extent).
        view_key: the view survives reruns while this stays the same (a layout's key).
        markers: [{"x", "y", "text"}] points that are not corpus items (a search query placed on
            the map), drawn as labelled stars above everything else; ``text`` is drawn as canvas text.
        extra: more header entries (small JSON values), passed through to the browser.
    """
    xs = np.ascontiguousarray(x, dtype=np.float32)
    n = xs.size
    arrays: dict[str, np.ndarray] = {
        "x": xs, "y": np.ascontiguousarray(y, dtype=np.float32),
        "row": np.ascontiguousarray(rows, dtype=np.uint32), "code": np.ascontiguousarray(colour.codes, dtype=np.uint16),
    }
    if any(a.size != n for a in arrays.values()):
        raise ValueError("x, y, rows and colour codes must have one entry per drawn point")
    header: dict[str, Any] = {
        "n": n, "total": int(total if total is not None else n), "colors": colour.colors,
        "legend": colour.legend, "colorbar": colour.colorbar, "names": colour.names,
        "extent": [float(v) for v in (extent if extent is not None else extent_of(xs, arrays["y"]))],
        "view_key": view_key, "point_size": point_size or (5.0 if n < 3000 else 3.0 if n < 30000 else 2.0),
        "hover": list(hover) if hover is not None and n <= HOVER_INLINE else None,
        "flat_labels": [dict(label) for label in flat_labels], "labels": labels,
        "focus": int(focus) if focus is not None and 0 <= focus < n else None,
        "markers": [{"x": float(m["x"]), "y": float(m["y"]), "text": str(m.get("text", ""))} for m in markers],
        **(extra or {}),
    }
    ring_positions = np.asarray(rings if rings is not None else [], dtype=np.int64)
    arrays["ring"] = ring_positions[(ring_positions >= 0) & (ring_positions < n)].astype(np.uint32)
    if density is not None:
        grid = np.frombuffer(density["grid"], dtype=np.float32)
        if grid.size != int(density["h"]) * int(density["w"]):
            raise ValueError("density grid must hold h × w float32 values")
        arrays["grid"] = grid  # header["density"] says its shape and extent
        header["density"] = {"h": int(density["h"]), "w": int(density["w"]),
                             "extent": [float(v) for v in density["extent"]]}
    offsets, chunks, offset = {}, [], 0
    for name, values in arrays.items():
        data = values.astype(values.dtype.newbyteorder("<"), copy=False).tobytes()
        offsets[name] = [values.dtype.str.lstrip("<|="), offset, int(values.size)]
        chunks.append(data + b"\0" * (-len(data) % 4))
        offset += len(chunks[-1])
    header["arrays"] = offsets
    text = json.dumps(header, ensure_ascii=False, allow_nan=False).encode("utf-8")
    text += b" " * (-len(text) % 4)
    return b"".join([MAGIC, struct.pack("<II", VERSION, len(text)), text, *chunks])


def unpack_map(blob: bytes) -> dict[str, Any]:
    """The header of a :func:`pack_map` blob with its arrays as numpy arrays (tests, debugging)."""
    if blob[:4] != MAGIC:
        raise ValueError("not a map payload")
    version, length = struct.unpack("<II", blob[4:12])
    if version != VERSION:
        raise ValueError(f"map payload version {version}, expected {VERSION}")
    header = json.loads(blob[12:12 + length])
    base = 12 + length
    for name, (dtype, offset, size) in header.pop("arrays").items():
        kind = _DTYPES[dtype]
        header[name] = np.frombuffer(blob, dtype=np.dtype(kind).newbyteorder("<"), count=size, offset=base + offset)
    return header


def with_header(blob: bytes, extra: dict[str, Any]) -> bytes:
    """The same blob with ``extra`` merged into its header (the arrays are reused, not repacked):
    how the Streamlit wrapper adds display options and on-demand hover replies."""
    version, length = struct.unpack("<II", blob[4:12])
    header = json.loads(blob[12:12 + length])
    text = json.dumps({**header, **extra}, ensure_ascii=False, allow_nan=False).encode("utf-8")
    text += b" " * (-len(text) % 4)
    return b"".join([MAGIC, struct.pack("<II", version, len(text)), text, blob[12 + length:]])
