"""Topics defined by keywords, Lbl2Vec-style (Schopf, Braun & Matthes 2021).

The user names each topic by a few keywords. A topic's vector starts as the mean of its keyword
vectors; as in Lbl2Vec it is then moved to the centroid of the items most similar to that start
(so it lives where the corpus is, not where isolated words are). Every item gets its cosine to
each topic; its best topic is the most similar one, or none when no topic reaches the threshold.
With a class column (ground truth), each topic mapped to a class value gets a ROC AUC: how well
the topic's similarity separates items of that class from the rest.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from engine.errors import EmbedscapeError
from engine.vectors import unit_rows

NO_TOPIC = "(none)"
DEFAULT_THRESHOLD = 0.3
REFINE_SHARE = 0.05  # Lbl2Vec-style refinement: centroid of the top 5 % most similar items ...
REFINE_MAX = 100  # ... at most this many
_SPLIT = re.compile(r"[,;\n]")


class TopicError(EmbedscapeError):
    """Topics cannot be defined as given."""

    exit_code = 9


def parse_topics(text: str) -> dict[str, tuple[str, ...]]:
    """``name: kw1, kw2`` per line -> {name: keywords}; the name ends at the last colon. Lines without a
    colon use their first keyword as the name."""
    topics: dict[str, tuple[str, ...]] = {}
    for line in str(text).splitlines()[:100]:
        name, colon, rest = line.rpartition(":")  # the last colon: a name may hold one (a URL), keywords rarely
        words = tuple(w.strip() for w in _SPLIT.split(rest) if w.strip())  # rpartition: no colon -> all in rest
        if words:
            topics[(name.strip() if colon and name.strip() else words[0])[:60]] = words[:50]
    return topics


@dataclass(frozen=True, slots=True, eq=False)
class TopicResult:
    names: tuple[str, ...]
    scores: np.ndarray  # (n, t) cosine of every item to every topic (NaN for invalid rows)
    best: tuple[str, ...]  # best topic per item, NO_TOPIC below the threshold or for invalid rows
    threshold: float
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)  # keywords the model cannot embed

    def counts(self) -> dict[str, int]:
        out = {name: 0 for name in (*self.names, NO_TOPIC)}
        for value in self.best:
            out[value] += 1
        return out


def topic_vectors(keyword_vectors: Mapping[str, np.ndarray], items: np.ndarray, *, refine: bool = True) -> np.ndarray:
    """(t, d) unit topic vectors from each topic's (k, d) keyword vectors and the (n, d) item rows."""
    starts = unit_rows(np.stack([np.asarray(v, dtype=np.float64).mean(axis=0) for v in keyword_vectors.values()]))
    if not refine or len(items) == 0:
        return starts.astype(np.float32)
    top = max(1, min(REFINE_MAX, int(REFINE_SHARE * len(items))))
    sims = np.asarray(items, dtype=np.float32) @ starts.T.astype(np.float32)
    refined = []
    for column in range(starts.shape[0]):
        rows = np.argpartition(-sims[:, column], top - 1)[:top]
        refined.append(np.asarray(items[rows], dtype=np.float64).mean(axis=0))
    return unit_rows(np.stack(refined)).astype(np.float32)


def keyword_topics(topics: Mapping[str, Sequence[str]], vectors: np.ndarray, valid: np.ndarray, embed,
                   *, threshold: float = DEFAULT_THRESHOLD, refine: bool = True) -> TopicResult:
    """Score every item against keyword-defined topics.

    Args:
        topics: {name: keywords}.
        vectors: (n, d) unit item rows of one model.
        valid: (n,) rows the model could embed.
        embed: ``embed(list_of_texts) -> (vectors (m, d), valid (m,))`` in the same model's space.
        threshold: Minimum cosine for an item to get a best topic.
        refine: Move each topic to the centroid of its most similar items (Lbl2Vec); off = the
            plain mean of the keyword vectors.

    Raises:
        TopicError: No topic, or a topic none of whose keywords the model can embed.
    """
    if not topics:
        raise TopicError("Name at least one topic, e.g. 'sport: cricket, rugby, match'.")
    valid = np.asarray(valid, dtype=bool)
    keyword_vectors: dict[str, np.ndarray] = {}
    missing: dict[str, tuple[str, ...]] = {}
    for name, words in topics.items():
        words = [w for w in words if w.strip()]
        found, ok = embed(words) if words else (np.zeros((0, vectors.shape[1])), np.zeros(0, dtype=bool))
        ok = np.asarray(ok, dtype=bool)
        if not ok.any():
            raise TopicError(f"The model cannot embed any keyword of topic {name!r}: try other words.")
        keyword_vectors[name] = np.asarray(found)[ok]
        if not ok.all():
            missing[name] = tuple(w for w, good in zip(words, ok) if not good)
    items = np.asarray(vectors, dtype=np.float32)
    topic_matrix = topic_vectors(keyword_vectors, items[valid], refine=refine)
    scores = np.full((len(items), len(keyword_vectors)), np.nan, dtype=np.float32)
    scores[valid] = items[valid] @ topic_matrix.T
    names = tuple(keyword_vectors)
    filled = np.where(np.isnan(scores), -np.inf, scores)
    best_index = filled.argmax(axis=1)
    best_score = filled[np.arange(len(items)), best_index]
    best = tuple(names[i] if s >= threshold else NO_TOPIC for i, s in zip(best_index, best_score))
    return TopicResult(names, scores, best, float(threshold), missing)


def topic_auc(result: TopicResult, classes: Sequence[Any], mapping: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """ROC AUC per mapped topic: its scores against ``class == mapped value`` over rows with a score."""
    from sklearn.metrics import roc_auc_score

    labels = np.array(["" if c is None else str(c) for c in classes], dtype=object)
    out: dict[str, dict[str, Any]] = {}
    for column, name in enumerate(result.names):
        value = mapping.get(name)
        if not value:
            continue
        scores = result.scores[:, column]
        rows = ~np.isnan(scores)
        truth = labels[rows] == str(value)
        positives = int(truth.sum())
        auc = float(roc_auc_score(truth, scores[rows])) if 0 < positives < truth.size else float("nan")
        out[name] = {"class": str(value), "auc": auc, "positives": positives, "negatives": int(truth.size - positives)}
    return out
