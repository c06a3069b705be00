"""Distinctive words of groups of texts: class-based TF-IDF against the whole corpus.

The one c-TF-IDF of the project (cluster names, zoom labels, selection summaries). Words are
counted once per corpus (``term_counts``) and scored for any grouping of the rows
(``keywords_from_counts``); ``cluster_keywords`` does both in one call.

Example:
    >>> import numpy as np
    >>> keywords = cluster_keywords(["red apple pie", "apple tart", "fast red car", "car engine"],
    ...                             np.array([0, 0, 1, 1]), top_n=2)
    >>> keywords[0][0], keywords[1][0]
    ('apple', 'car')
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

_TOKEN_PATTERN = r"(?u)\b[^\W\d_][^\W\d_]+\b"  # words of 2+ letters, no digits
# scikit-learn's English list holds content words a label needs ("fire", "bill", "system"…); keep
# those, and drop reporting verbs, titles and contraction stubs that name no topic.
_KEEP_WORDS = frozenset({
    "fire", "bill", "system", "computer", "interest", "call", "found", "find", "side", "top", "front",
    "back", "full", "empty", "move", "show", "describe", "detail", "part", "fill", "sincere", "thick", "thin",
    "amount", "cry", "con", "de", "eg", "ie", "mill", "inc", "ltd", "co", "un", "hundred",
})
_EXTRA_STOP_WORDS = frozenset({
    "said", "says", "say", "saying", "told", "mr", "mrs", "ms", "dr", "like", "just", "ve", "ll", "re", "don",
    "didn", "doesn", "isn", "wasn", "aren", "weren", "wouldn", "couldn", "shouldn", "let", "got",
})


def _stop_words() -> list[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return sorted((ENGLISH_STOP_WORDS - _KEEP_WORDS) | _EXTRA_STOP_WORDS)


MAX_DOC_SHARE = 0.5  # a word in more than half of all texts names no cluster (a corpus-specific stop word)
MIN_TEXTS_FOR_DOC_SHARE = 20  # below this, document shares are too coarse to call a word common


def _stem(word: str) -> str:
    """A crude English stem, only to tell "fire"/"fires", "model"/"models"/"modelling" apart as one word."""
    if word.endswith("ies") and len(word) >= 5:
        word = word[:-3] + "y"
    elif word.endswith(("sses", "ches", "shes", "xes", "zes")) and len(word) >= 5:
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) >= 4:
        word = word[:-1]
    for suffix, min_len in (("ing", 6), ("ed", 6)):
        if word.endswith(suffix) and len(word) >= min_len:
            return word[: -len(suffix)]
    return word


def same_word(a: str, b: str) -> bool:
    """True for singular/plural and other near-duplicates ("embed"/"embeddings", "model"/"models")."""
    sa, sb = _stem(a), _stem(b)
    if sa == sb:
        return True
    short, long = sorted((sa, sb), key=len)
    return len(short) >= 4 and long.startswith(short) and len(long) - len(short) <= 3


def distinct_terms(ranked: Sequence[str], top_n: int) -> list[str]:
    """The first ``top_n`` of ``ranked`` with near-duplicates of an earlier term skipped."""
    out: list[str] = []
    for term in ranked:
        if not any(same_word(term, kept) for kept in out):
            out.append(term)
            if len(out) == top_n:
                break
    return out


@dataclass(frozen=True, slots=True, eq=False)
class TermCounts:
    """Word counts of a corpus, counted once and reused by every c-TF-IDF call on it.

    Attributes:
        per_text: (n texts, vocabulary) sparse CSR counts (English and extra stop words removed).
        vocabulary: (vocabulary,) the words, column order.
        corpus_frequency: (vocabulary,) float64 count of each word over all texts.
        document_share: (vocabulary,) float64 share of texts holding each word.
    """

    per_text: Any
    vocabulary: np.ndarray
    corpus_frequency: np.ndarray
    document_share: np.ndarray

    @property
    def n(self) -> int:
        return int(self.per_text.shape[0])


def term_counts(texts: Sequence[str]) -> TermCounts | None:
    """Count the words of every text once (None when the texts hold only stop words or none)."""
    from sklearn.feature_extraction.text import CountVectorizer

    try:
        vectorizer = CountVectorizer(stop_words=_stop_words(), token_pattern=_TOKEN_PATTERN, lowercase=True)
        per_text = vectorizer.fit_transform(list(texts)).tocsr()
    except ValueError:  # only stop words or no words at all
        return None
    n = max(per_text.shape[0], 1)
    return TermCounts(
        per_text=per_text, vocabulary=vectorizer.get_feature_names_out(),
        corpus_frequency=np.asarray(per_text.sum(axis=0), dtype=np.float64).ravel(),
        document_share=np.asarray((per_text > 0).sum(axis=0), dtype=np.float64).ravel() / n)


def cluster_keywords(texts: Sequence[str], labels: npt.ArrayLike, *, top_n: int = 8) -> dict[int, list[str]]:
    """Class-based TF-IDF against the whole corpus: the most distinctive words of each cluster.

    BERTopic's c-TF-IDF, ``tf(word, cluster) * log(1 + A / f(word))`` (the texts of a cluster
    pooled into one document; ``A`` the average number of words per cluster), with ``f`` counted
    over the whole corpus, unclustered texts included, and scaled by ``log(lift)`` where ``lift =
    p(word | cluster) / p(word | corpus)`` (clipped at 1): a word as common everywhere as in the
    cluster scores 0. Words in more than half of all texts (a corpus-specific stop list, from 20
    texts on) are left out, so "models" does not name a cluster of a corpus of modelling papers.
    English stop words are removed, and near-duplicates ("model", "models") count once.

    Args:
        texts: One text per row.
        labels: (n,) cluster per row; negative labels are ignored.
        top_n: Words per cluster.

    Returns:
        Cluster → words, most distinctive first (fewer when a cluster has few distinct words).
    """
    labels = np.asarray(labels)
    if not (labels >= 0).any():
        return {}
    counts = term_counts(texts)
    if counts is None:
        return {int(c): [] for c in np.unique(labels) if c >= 0}
    return keywords_from_counts(counts, labels, top_n=top_n)


def keywords_from_counts(counts: TermCounts, labels: npt.ArrayLike, *, top_n: int = 8) -> dict[int, list[str]]:
    """``cluster_keywords`` on words counted once (``term_counts``): the score for every label set.

    Scores are computed only where a cluster holds a word (a word it lacks scores 0), so thousands
    of clusters (the tiles of a quadtree) cost memory in proportion to their words, not to
    clusters x vocabulary.
    """
    from scipy import sparse

    labels = np.asarray(labels)
    clusters = sorted(int(c) for c in np.unique(labels) if c >= 0)
    if not clusters:
        return {}
    members = labels >= 0
    membership = sparse.csr_matrix(
        (np.ones(int(members.sum())), (np.searchsorted(clusters, labels[members]), np.flatnonzero(members))),
        shape=(len(clusters), labels.size))
    pooled = (membership @ counts.per_text).tocsr().astype(np.float64)
    pooled.sum_duplicates()
    pooled.sort_indices()
    cluster_words = np.maximum(np.asarray(pooled.sum(axis=1), dtype=np.float64).ravel(), 1.0)
    average_words = float(pooled.sum()) / len(clusters)
    idf = np.log1p(average_words / np.maximum(counts.corpus_frequency, 1.0))
    corpus_share = counts.corpus_frequency / max(float(counts.corpus_frequency.sum()), 1.0)
    if labels.size >= MIN_TEXTS_FOR_DOC_SHARE:
        idf = np.where(counts.document_share > MAX_DOC_SHARE, 0.0, idf)
    row_of_entry = np.repeat(np.arange(len(clusters)), np.diff(pooled.indptr))
    words = pooled.indices
    term_frequency = pooled.data / cluster_words[row_of_entry]
    # lift = p(word | cluster) / p(word | corpus): 1 for a word spread evenly over the corpus. Its
    # log (clipped at 0) scales the weight, so words as common everywhere as in the cluster drop out.
    lift = term_frequency / np.maximum(corpus_share[words], 1e-12)
    scores = term_frequency * np.log(np.maximum(lift, 1.0)) * idf[words]
    result: dict[int, list[str]] = {}
    for position, cluster in enumerate(clusters):
        lo, hi = pooled.indptr[position], pooled.indptr[position + 1]
        row, columns = scores[lo:hi], words[lo:hi]
        order = np.argsort(-row, kind="stable")[: top_n * 3]  # columns are sorted: ties go to the earlier word
        ranked = [str(counts.vocabulary[columns[i]]) for i in order if row[i] > 0]
        result[cluster] = distinct_terms(ranked, top_n)
    return result
