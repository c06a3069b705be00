"""The Map's extra layers (issue 16 §1, §2): zoom labels, the density grid and density thinning.

One call for the Map page: ``label_layers`` gathers what the renderer draws under and over the
points, from cached engine results (``components/resources.py``). Nothing here draws.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from components import resources as res
from engine.density import density_on_by_default
from engine.zoomlabels import DEFAULT_VIEWPORT


def label_layers(
    corpus_id: str,
    model_id: str,
    projection_spec: Any,
    *,
    viewport: Sequence[float] = DEFAULT_VIEWPORT,
    point_cap: int | None = None,
    keep: Sequence[int] = (),
    curated: str | None = None,
    density: bool | None = None,
) -> dict[str, Any]:
    """Zoom labels, density and the rows to draw, for one layout.

    Args:
        corpus_id, model_id, projection_spec: The layout (as ``res.projection`` takes them).
        viewport: (width, height) CSS px of the map at zoom 1 (label boxes are placed for it).
        point_cap: Past this many positioned points, ``rows`` is a density-thinned subset.
        keep: Rows always drawn (search hits, the open item).
        curated: The name of the stored named clustering the map shows (engine.itemsets), if any: its
            cluster names take the coarse levels before the keyword labels (issue 16 §4).
        density: Show the density layer (None: on past ``engine.density.DENSITY_DEFAULT_POINTS``).

    Returns:
        ``{"labels": {"levels": [...], "extent", "viewport", "font_px"} (empty levels for a 3-D map),
        "density": {"grid": bytes, "h", "w", "extent"} or None, "density_default": bool,
        "rows": int64 array of rows to draw, or None for all}``.
    """
    layout = res.projection(corpus_id, model_id, projection_spec)
    positioned = int(np.isfinite(layout.coords).all(axis=1).sum())
    default = density_on_by_default(positioned)
    show_density = default if density is None else bool(density)
    labels: dict[str, Any] = {"levels": []}
    if layout.dims == 2 and positioned:
        labels = res.zoom_label_levels(corpus_id, model_id, projection_spec, tuple(float(v) for v in viewport),
                                       _curated_key(corpus_id, curated))
    rows = None
    if point_cap is not None and positioned > point_cap:
        rows = res.thinned_rows(corpus_id, model_id, projection_spec, int(point_cap), tuple(int(r) for r in keep))
    return {"labels": labels,
            "density": res.density(corpus_id, model_id, projection_spec).payload() if show_density and positioned
            else None,
            "density_default": default, "rows": rows}


def _curated_key(corpus_id: str, name: str | None) -> tuple[str, str] | None:
    from engine.itemsets import clustering_stamp

    return (name, str(clustering_stamp(res.store(), corpus_id, name))) if name else None
