"""Compare models on one corpus: neighbour agreement per item, model-to-model similarity, aligned
maps and translating one space into another (docs/architecture.md, "Compare").

Modules: :mod:`engine.compare.agreement` (Jaccard@k, RBO, chance, item view, ``overlap_at_k``),
:mod:`engine.compare.similarity` (linear CKA, correlation of pairwise cosines, query agreement),
:mod:`engine.compare.align` (Procrustes-aligned maps, linear translation between spaces),
:mod:`engine.compare.run` (one stored comparison). The kNN graphs come from :mod:`engine.knn`.

Example:
    >>> import numpy as np
    >>> from engine.corpus import corpus_from_texts
    >>> from engine.types import Embeddings
    >>> corpus, _ = corpus_from_texts([f"text {i}" for i in range(30)], name="t")
    >>> x = np.random.default_rng(0).normal(size=(30, 8)).astype(np.float32)
    >>> x /= np.linalg.norm(x, axis=1, keepdims=True)
    >>> spaces = {"a": Embeddings(corpus.corpus_id, "a", x), "b": Embeddings(corpus.corpus_id, "b", x.copy())}
    >>> result = compare_models(None, corpus, spaces, k=5)
    >>> result.pairs[0]["mean_jaccard"], round(result.pairs[0]["cka"], 6)
    (1.0, 1.0)
"""
from engine.compare.agreement import (
    DEFAULT_P,
    PairAgreement,
    chance,
    full_ranks,
    item_view,
    list_agreement,
    overlap_at_k,
    pair_agreement,
    pair_label,
)
from engine.compare.align import (
    TRANSLATION_MARGIN,
    Alignment,
    align_layout,
    align_layouts,
    fit_linear_map,
    orthogonal_procrustes,
    translate,
)
from engine.compare.run import (MATRICES, Comparison, chance_lines, compare_models, extremes, model_graphs,
                                stored_comparison)
from engine.compare.similarity import cka, linear_cka, query_agreement, similarity_correlation

__all__ = [
    "DEFAULT_P", "MATRICES", "TRANSLATION_MARGIN", "Alignment", "Comparison", "PairAgreement", "align_layout",
    "align_layouts", "chance", "chance_lines", "cka", "compare_models", "extremes", "fit_linear_map", "full_ranks",
    "item_view", "linear_cka", "list_agreement", "model_graphs", "orthogonal_procrustes", "overlap_at_k",
    "pair_agreement", "pair_label", "query_agreement", "similarity_correlation", "stored_comparison", "translate",
]
