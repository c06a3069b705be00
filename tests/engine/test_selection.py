"""Selection summaries on a synthetic corpus with planted words, vectors and metadata."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from engine.corpus.build import corpus_from_texts
from engine.errors import SearchError
from engine.keywords import term_counts
from engine.selection import summarize_selection
from engine.synthetic import synthetic_map
from engine.types import Embeddings


@pytest.fixture(scope="module")
def planted():
    synthetic = synthetic_map(4000, seed=5)
    topic_names = [f"topic {chr(65 + t)}" for t in synthetic.topics]
    score = (synthetic.topics * 10 + np.random.default_rng(0).normal(size=4000)).tolist()
    day = [dt.date(2020, 1, 1) + dt.timedelta(days=int(t) * 30) for t in synthetic.topics]
    corpus, _ = corpus_from_texts(synthetic.texts, name="planted",
                                  metadata={"topic": topic_names, "score": score, "day": day})
    embeddings = Embeddings(corpus.corpus_id, "synthetic", synthetic.vectors.copy())
    return synthetic, corpus, embeddings, term_counts(corpus.texts)


def test_summary_of_one_subtopic(planted):
    synthetic, corpus, embeddings, counts = planted
    sub = int(synthetic.subtopics[0])
    topic = sub // 4
    rows = np.flatnonzero(synthetic.subtopics == sub)
    summary = summarize_selection(corpus, rows, embeddings=embeddings, counts=counts,
                                  cluster_labels=synthetic.topics, cluster_names={topic: "named"})
    assert summary.count == rows.size and summary.total == 4000
    assert summary.keywords[0] == synthetic.subtopic_words[sub]
    assert synthetic.topic_words[topic] in summary.keywords[:3]
    # the most central items: a hand computation of the cosine to the centroid of the unit rows
    centre = synthetic.vectors[rows].mean(axis=0)
    centre /= np.linalg.norm(centre)
    best = rows[np.argsort(-(synthetic.vectors[rows] @ centre))[:3]]
    assert list(summary.central) == best.tolist()
    assert list(summary.central_similarity) == sorted(summary.central_similarity, reverse=True)
    # it lies in its topic's cluster; the neighbours are other clusters, nearest first
    assert summary.home_clusters == ((topic, "named", rows.size),)
    assert len(summary.neighbors) == 3 and topic not in [c.cluster for c in summary.neighbors]
    sims = [c.similarity for c in summary.neighbors]
    assert sims == sorted(sims, reverse=True)
    directions = np.stack([synthetic.vectors[synthetic.topics == t].mean(axis=0) for t in range(8)])
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    hand = [t for t in np.argsort(-(directions @ centre)) if t != topic][:3]
    assert [c.cluster for c in summary.neighbors] == hand
    by_column = {c.column: c for c in summary.columns}
    assert by_column["topic"].values[0][:3] == (f"topic {chr(65 + topic)}", rows.size, 1.0)
    assert by_column["topic"].values[0][3] == pytest.approx((synthetic.topics == topic).mean())
    stats = {name: (mine, everyone) for name, mine, everyone in by_column["score"].stats}
    assert abs(stats["median"][0] - topic * 10) < 1.5
    assert by_column["day"].kind == "date" and by_column["day"].stats[0][1] == dt.date(2020, 1, 1) + dt.timedelta(
        days=topic * 30)


def test_central_ties_go_to_the_lower_row():
    texts = ["alpha beta", "alpha beta", "gamma delta", "alpha gamma"]
    corpus, _ = corpus_from_texts(texts, name="ties")
    vectors = np.array([[1, 0], [0.6, 0.8], [0.6, 0.8], [0, 1]], dtype=np.float32)
    summary = summarize_selection(corpus, [3, 2, 1, 0], embeddings=Embeddings(corpus.corpus_id, "m", vectors),
                                  central=2)
    assert summary.central == (1, 2)  # rows 1 and 2 are identical: the lower row first


def test_empty_selection_and_bad_rows(planted):
    _, corpus, embeddings, counts = planted
    empty = summarize_selection(corpus, [], embeddings=embeddings, counts=counts)
    assert empty.count == 0 and empty.keywords == () and empty.central == ()
    with pytest.raises(SearchError):
        summarize_selection(corpus, [len(corpus)], counts=counts)
    with pytest.raises(SearchError):
        summarize_selection(corpus, [0], cluster_labels=np.zeros(3, dtype=int), counts=counts)
