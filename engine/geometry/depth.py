"""Statistical depth and shift tests (Seegmiller & Preum 2023, "Statistical Depth for Ranking and
Characterizing Transformer-Based Text Embeddings").

TTE depth of x with respect to a corpus F with the cosine distance is
    D(x, F) = 2 - E_{h in F}[1 - cos(x, h)]   (x itself left out when x is in F),
so for unit rows it is 1 + the mean cosine to F, i.e. one dot product with the sum of F: O(n d).
High depth = central (representative), low = outlying.

Shift test (the paper's): depths of a reference sample F and a group G, both with respect to F,
compared by a Wilcoxon rank-sum test with the one-sided alternative "G is more outlying than F";
the effect size is Liu & Singh's Q = P(D(X; F) <= D(Y; F)), X from F, Y from G (0.5 = no shift,
below 0.5 = G outlying). A permutation test on the distance between the two group means is a
second opinion that also sees shifts which do not make G more outlying.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import mannwhitneyu, ranksums

from engine.errors import EmbedscapeError

PERMUTATIONS = 1_000
MAX_PERMUTATION_ROWS = 5_000  # per group; larger groups are sampled (seeded) for the permutation test
MIN_GROUP = 3


class ShiftError(EmbedscapeError):
    """The two groups of a shift test cannot be compared."""

    exit_code = 8


def tte_depth(vectors: np.ndarray, valid: np.ndarray | None = None) -> np.ndarray:
    """TTE depth of every row with respect to all valid rows (itself left out). Invalid rows: NaN."""
    x = np.asarray(vectors, dtype=np.float32)
    mask = np.ones(len(x), dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    n = int(mask.sum())
    depth = np.full(len(x), np.nan)
    if n < 2:
        return depth
    total = x[mask].sum(axis=0, dtype=np.float64)
    dots = x[mask].astype(np.float64) @ total
    self_sim = np.einsum("ij,ij->i", x[mask], x[mask], dtype=np.float64)
    depth[mask] = 1.0 + (dots - self_sim) / (n - 1)
    return depth


def depth_against(reference: np.ndarray, others: np.ndarray) -> np.ndarray:
    """TTE depth of each row of ``others`` with respect to the ``reference`` rows."""
    reference = np.asarray(reference, dtype=np.float32)
    mean = reference.mean(axis=0, dtype=np.float64)
    return 1.0 + np.asarray(others, dtype=np.float64) @ mean


@dataclass(frozen=True, slots=True, eq=False)
class ShiftResult:
    n_reference: int
    n_group: int
    q: float  # Liu & Singh's Q: 0.5 = no shift, < 0.5 = the group is more outlying
    rank_sum_statistic: float  # Wilcoxon rank-sum z (scipy.stats.ranksums), reference vs group
    p_value: float  # one-sided: the group is more outlying than the reference (the paper's test)
    p_value_two_sided: float  # the same rank-sum test, either direction (a group more *central* also counts)
    mean_distance: float  # |mean(group) - mean(reference)|
    permutation_p: float  # share of label permutations with a mean distance at least as large
    permutations: int
    permutation_sampled: bool
    depth_reference: np.ndarray  # depths of the reference rows w.r.t. the reference
    depth_group: np.ndarray  # depths of the group rows w.r.t. the reference

    def as_dict(self) -> dict[str, Any]:
        out = {name: getattr(self, name) for name in self.__slots__ if not name.startswith("depth_")}
        out["depth_reference_median"] = float(np.median(self.depth_reference))
        out["depth_group_median"] = float(np.median(self.depth_group))
        return out


def _sample(rows: np.ndarray, limit: int, rng: np.random.Generator) -> np.ndarray:
    return rows if len(rows) <= limit else np.sort(rng.choice(rows, size=limit, replace=False))


def mean_permutation_test(a: np.ndarray, b: np.ndarray, *, permutations: int = PERMUTATIONS,
                          seed: int = 0) -> tuple[float, float]:
    """(|mean(a) - mean(b)|, permutation p-value with the +1 correction). Vectorised: each
    permutation's group sum is one row of an indicator matrix times the pooled rows."""
    pooled = np.concatenate([np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)])
    n_a, n = len(a), len(pooled)
    total = pooled.sum(axis=0)
    observed = float(np.linalg.norm(pooled[:n_a].mean(axis=0) - pooled[n_a:].mean(axis=0)))
    rng = np.random.default_rng(seed)
    at_least = 0
    for start in range(0, permutations, 200):
        size = min(200, permutations - start)
        chosen = np.argsort(rng.random((size, n)), axis=1)[:, :n_a]
        indicator = np.zeros((size, n))
        np.put_along_axis(indicator, chosen, 1.0, axis=1)
        sums = indicator @ pooled
        gaps = sums / n_a - (total - sums) / (n - n_a)
        at_least += int(np.sum(np.linalg.norm(gaps, axis=1) >= observed - 1e-12))
    return observed, (1 + at_least) / (1 + permutations)


def shift_test(reference: np.ndarray, group: np.ndarray, *, permutations: int = PERMUTATIONS,
               seed: int = 0, max_permutation_rows: int = MAX_PERMUTATION_ROWS) -> ShiftResult:
    """Is ``group`` distributed differently from ``reference``? (both (n, d) unit rows of one model)

    Raises:
        ShiftError: If either side has fewer than 3 rows or the dimensions differ.
    """
    reference = np.asarray(reference, dtype=np.float32)
    group = np.asarray(group, dtype=np.float32)
    if len(reference) < MIN_GROUP or len(group) < MIN_GROUP:
        raise ShiftError(f"Each side of a shift test needs at least {MIN_GROUP} items with vectors; got "
                         f"{len(reference)} and {len(group)}. Pick larger groups.")
    if reference.shape[1] != group.shape[1]:
        raise ShiftError("The two groups come from spaces of different dimension: use one model for both.")
    depth_ref = tte_depth(reference)
    depth_group = depth_against(reference, group)
    statistic, p_value = ranksums(depth_ref, depth_group, alternative="greater")
    p_two_sided = float(ranksums(depth_ref, depth_group, alternative="two-sided").pvalue)
    u_ref = mannwhitneyu(depth_ref, depth_group, alternative="two-sided").statistic  # pairs ref > group (+ties/2)
    q = 1.0 - float(u_ref) / (len(depth_ref) * len(depth_group))
    rng = np.random.default_rng(seed)
    ref_rows = _sample(np.arange(len(reference)), max_permutation_rows, rng)
    group_rows = _sample(np.arange(len(group)), max_permutation_rows, rng)
    distance, permutation_p = mean_permutation_test(group[group_rows], reference[ref_rows],
                                                    permutations=permutations, seed=seed)
    return ShiftResult(
        n_reference=len(reference), n_group=len(group), q=q, rank_sum_statistic=float(statistic),
        p_value=float(p_value), p_value_two_sided=p_two_sided, mean_distance=distance, permutation_p=float(permutation_p),
        permutations=permutations,
        permutation_sampled=len(ref_rows) < len(reference) or len(group_rows) < len(group),
        depth_reference=depth_ref, depth_group=depth_group,
    )


def group_masks(values: list[Any], value: str, vs: str | None, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row masks (group, reference) for ``column == value`` against ``column == vs`` or the rest.

    Values are compared as strings (a numeric column's 3 matches "3"); invalid rows are dropped.
    """
    text = np.array(["" if v is None else str(v) for v in values], dtype=object)
    valid = np.asarray(valid, dtype=bool)
    group = (text == str(value)) & valid
    reference = (~group & valid) if vs is None else ((text == str(vs)) & valid)
    return group, reference
