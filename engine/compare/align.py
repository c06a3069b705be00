"""Aligning maps and translating spaces.

* **Aligned maps**: each model's stored 2-D layout (``engine.project``) is moved into the reference
  model's frame by orthogonal Procrustes (rotation or reflection, uniform scale, shift) fitted on
  the items both layouts place. An item's *displacement* is its distance from its reference
  position after alignment, in units of the reference map's RMS radius (1.0 = a typical distance
  from the map's centre), shown beside its Jaccard@k because the two can disagree.
* **Translation** (as relative representations and mini-vec2vec do): a linear map from model A's
  space to model B's, fitted on seeded anchor items (orthogonal Procrustes when the dimensions
  match, least squares otherwise) and judged on held-out items: mean cosine after mapping and
  top-1/top-10 retrieval of each item's own B vector among all held-out B vectors, against chance
  and against the same fit on shuffled anchors. "Translates" means top-10 accuracy at least
  :data:`TRANSLATION_MARGIN` above the shuffled baseline (with ≥ :data:`MIN_HELDOUT` held-out items
  the standard error of an accuracy is ≤ 0.035, so the margin is about three of them).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.knn import KnnError

TRANSLATION_MARGIN = 0.10
MIN_HELDOUT = 200
HELDOUT_SHARE = 0.3
MAX_ANCHORS = 5_000
MAX_HELDOUT = 2_000


@dataclass(frozen=True, slots=True, eq=False)
class Alignment:
    """``moving`` coordinates in the reference's frame.

    Attributes:
        reference, moving: Model ids.
        coords: (n, 2) float32 aligned coordinates of the moving model (NaN where it has none).
        displacement: (n,) float64 distance from the reference position / reference RMS radius
            (NaN for rows either layout lacks).
        rotation: (2, 2) orthogonal matrix; scale: the uniform scale applied.
        disparity: Procrustes disparity in [0, 1] (0 = identical shapes after alignment).
        n_shared: Items both layouts place (the fit uses them all).
    """

    reference: str
    moving: str
    coords: np.ndarray
    displacement: np.ndarray
    rotation: np.ndarray
    scale: float
    disparity: float
    n_shared: int


def orthogonal_procrustes(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The orthogonal R minimising ‖source R − target‖_F (Schönemann 1966: R = U Vᵀ, U Σ Vᵀ = sourceᵀ target)."""
    u, _, vt = np.linalg.svd(np.asarray(source, dtype=np.float64).T @ np.asarray(target, dtype=np.float64))
    return u @ vt


def align_layout(reference: np.ndarray, moving: np.ndarray, *, reference_id: str = "reference",
                 moving_id: str = "moving") -> Alignment:
    """Procrustes-align ``moving`` (n, 2) onto ``reference`` (n, 2) on the rows both place.

    Raises:
        KnnError: If the layouts differ in length or share fewer than 3 placed rows.
    """
    reference = np.asarray(reference, dtype=np.float64)
    moving = np.asarray(moving, dtype=np.float64)
    if reference.shape != moving.shape:
        raise KnnError("Both layouts must have one position per item of the same corpus.")
    both = np.isfinite(reference).all(axis=1) & np.isfinite(moving).all(axis=1)
    if both.sum() < 3:
        raise KnnError("The two maps share fewer than 3 placed items, so they cannot be aligned.")
    ref, mov = reference[both], moving[both]
    ref_mean, mov_mean = ref.mean(axis=0), mov.mean(axis=0)
    ref_c, mov_c = ref - ref_mean, mov - mov_mean
    ref_norm, mov_norm = np.linalg.norm(ref_c), np.linalg.norm(mov_c)
    if ref_norm == 0 or mov_norm == 0:
        raise KnnError("A map puts every shared item at one point, so it cannot be aligned.")
    rotation = orthogonal_procrustes(mov_c / mov_norm, ref_c / ref_norm)
    scale = ref_norm / mov_norm
    aligned = np.full_like(moving, np.nan)
    placed = np.isfinite(moving).all(axis=1)
    aligned[placed] = (moving[placed] - mov_mean) @ rotation * scale + ref_mean
    rms_radius = ref_norm / np.sqrt(both.sum())
    displacement = np.full(len(moving), np.nan)
    displacement[both] = np.linalg.norm(aligned[both] - ref, axis=1) / rms_radius
    disparity = float(np.sum((aligned[both] - ref) ** 2) / ref_norm**2)
    coords = aligned.astype(np.float32)
    coords.setflags(write=False)
    displacement.setflags(write=False)
    return Alignment(reference=reference_id, moving=moving_id, coords=coords, displacement=displacement,
                     rotation=rotation, scale=float(scale), disparity=disparity, n_shared=int(both.sum()))


def align_layouts(layouts: Mapping[str, np.ndarray], reference: str | None = None) -> dict[str, Alignment]:
    """Every layout aligned onto ``reference`` (default: the first); the reference maps onto itself."""
    names = list(layouts)
    reference = reference or names[0]
    return {name: align_layout(layouts[reference], layouts[name], reference_id=reference, moving_id=name)
            for name in names}


# -- translation -------------------------------------------------------------------------------------
def fit_linear_map(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, str]:
    """(W, method): orthogonal Procrustes when the dimensions match, else least squares
    (minimum-norm ``lstsq``, so fewer anchors than dimensions still gives an answer)."""
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if source.shape[1] == target.shape[1]:
        return orthogonal_procrustes(source, target), "orthogonal procrustes"
    solution, *_ = np.linalg.lstsq(source, target, rcond=None)
    return solution, "least squares"


def _unit(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)


def _evaluate(mapped: np.ndarray, target: np.ndarray) -> dict[str, float]:
    """Mean cosine of mapped vs true rows, and how often the true row is the top-1 / in the top-10
    of all held-out target rows (ties counted against the mapping)."""
    mapped, target = _unit(mapped), _unit(target)
    scores = mapped @ target.T
    own = np.diag(scores)
    better = (scores >= own[:, None]).sum(axis=1) - 1  # rows at least as close as the true one
    return {"mean_cosine": float(own.mean()), "top1": float(np.mean(better < 1)),
            "top10": float(np.mean(better < 10))}


def translate(
    vectors_a: np.ndarray,
    vectors_b: np.ndarray,
    shared: np.ndarray,
    *,
    model_a: str = "a",
    model_b: str = "b",
    heldout_share: float = HELDOUT_SHARE,
    max_anchors: int = MAX_ANCHORS,
    max_heldout: int = MAX_HELDOUT,
    seed: int = 0,
) -> dict[str, Any]:
    """Fit A → B on seeded anchors and evaluate on held-out items (see the module docstring).

    Returns:
        JSON-ready dict: models, method, n_anchors, n_heldout, seed, the fitted figures
        (mean_cosine, top1, top10), chance_top1 / chance_top10, ``shuffled`` (the same fit on
        anchors whose B rows were permuted), margin, ``translates`` and a plain ``verdict``.

    Raises:
        KnnError: When fewer than 20 shared items leave nothing to fit and test.
    """
    rows = np.flatnonzero(np.asarray(shared, dtype=bool))
    if rows.size < 20:
        raise KnnError("Translation needs at least 20 items both models represent.")
    rng = np.random.default_rng(seed)
    order = rng.permutation(rows)
    n_heldout = int(min(max_heldout, max(10, round(rows.size * heldout_share))))
    heldout, anchors = order[:n_heldout], order[n_heldout:n_heldout + max_anchors]
    a = np.asarray(vectors_a, dtype=np.float64)
    b = np.asarray(vectors_b, dtype=np.float64)
    w, method = fit_linear_map(a[anchors], b[anchors])
    fitted = _evaluate(a[heldout] @ w, b[heldout])
    shuffled_w, _ = fit_linear_map(a[anchors], b[rng.permutation(anchors)])
    shuffled = _evaluate(a[heldout] @ shuffled_w, b[heldout])
    translates = bool(n_heldout >= MIN_HELDOUT and fitted["top10"] >= shuffled["top10"] + TRANSLATION_MARGIN)
    if translates:
        verdict = (f"{model_a} translates into {model_b}: on {n_heldout:,} held-out items the mapped vector finds its "
                   f"own {model_b} vector in the top 10 {fitted['top10']:.0%} of the time "
                   f"(shuffled anchors: {shuffled['top10']:.0%}, chance {min(10 / n_heldout, 1):.1%}).")
    elif n_heldout < MIN_HELDOUT:
        verdict = (f"Too few held-out items ({n_heldout}) to judge: at least {MIN_HELDOUT} are needed for the "
                   f"{TRANSLATION_MARGIN * 100:.0f}-point margin to mean something.")
    else:
        verdict = (f"{model_a} does not translate into {model_b} with a linear map: top-10 accuracy "
                   f"{fitted['top10']:.0%} is not {TRANSLATION_MARGIN * 100:.0f} percentage points above the shuffled-anchor baseline "
                   f"({shuffled['top10']:.0%}).")
    return {
        "model_a": model_a, "model_b": model_b, "method": method, "n_anchors": int(anchors.size),
        "n_heldout": int(n_heldout), "seed": seed, **fitted,
        "chance_top1": min(1 / n_heldout, 1.0), "chance_top10": min(10 / n_heldout, 1.0),
        "shuffled": shuffled, "margin": TRANSLATION_MARGIN, "translates": translates, "verdict": verdict,
    }
