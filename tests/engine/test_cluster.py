"""engine.cluster: clusters named by words that occur in them; tables and centres."""
from __future__ import annotations

import re

import numpy as np
import pytest

from engine.cluster import (
    NOISE,
    cluster_centres,
    cluster_embeddings,
    cluster_keywords,
    cluster_table,
    load_clustering,
)
from engine.errors import ProjectionError
from engine.project import project


@pytest.fixture(scope="module")
def pca_map(small_embeddings):
    return project(small_embeddings, method="pca")


def test_keywords_are_distinctive_words_of_their_cluster():
    texts = ["the fire burned the bush", "bushfire crews fought the fire", "fire crews and water bombers",
             "the cricket test at adelaide", "cricket bowler took a wicket", "the test cricket captain"]
    keywords = cluster_keywords(texts, np.array([0, 0, 0, 1, 1, 1]), top_n=3)
    assert keywords[0][0] == "fire" and keywords[1][0] == "cricket"
    assert "the" not in keywords[0] + keywords[1]  # stop words removed


@pytest.mark.parametrize("method,space", [("kmeans", "embedding"), ("hdbscan", "map"), ("kmeans", "pca")])
def test_cluster_labels_contain_words_that_occur_in_their_cluster(small_corpus, small_embeddings, pca_map,
                                                                   method, space):
    result = cluster_embeddings(small_embeddings, small_corpus.texts, method=method, space=space,
                                projection=pca_map, n_clusters=6, min_cluster_size=8)
    assert len(result.clusters) >= 2
    texts = small_corpus.texts
    for info in result.clusters:
        members = " ".join(texts[i] for i in np.flatnonzero(result.labels == info.cluster)).lower()
        words = set(re.findall(r"[^\W\d_]+", members))
        assert info.terms and all(term in words for term in info.terms)
        assert info.size == int((result.labels == info.cluster).sum())
        assert all(result.labels[row] == info.cluster for row in info.examples)
    sizes = [info.size for info in result.clusters]
    assert sizes == sorted(sizes, reverse=True)  # numbered largest first


def test_kmeans_makes_the_requested_number_of_clusters_and_no_noise(small_corpus, small_embeddings):
    result = cluster_embeddings(small_embeddings, small_corpus.texts, method="kmeans", space="pca", n_clusters=5)
    assert len(result.clusters) == 5 and (result.labels != NOISE).all()


def test_clustering_is_stored_and_reloaded(small_corpus, small_embeddings, pca_map, store):
    first = cluster_embeddings(small_embeddings, small_corpus.texts, projection=pca_map, store=store)
    loaded = load_clustering(store, small_corpus.corpus_id, first.key)
    assert loaded is not None and [c.label for c in loaded.clusters] == [c.label for c in first.clusters]
    np.testing.assert_array_equal(loaded.labels, first.labels)


def test_cluster_table_has_one_row_per_cluster_plus_unclustered(small_corpus, small_embeddings, pca_map):
    result = cluster_embeddings(small_embeddings, small_corpus.texts, projection=pca_map, min_cluster_size=8)
    table = cluster_table(result, small_corpus)
    assert table.columns == ["cluster", "size", "label", "top_terms", "examples"]
    assert table["size"].sum() == len(small_corpus)
    assert table.height == len(result.clusters) + int((result.labels == NOISE).any())


def test_map_space_without_projection_is_a_clear_error(small_corpus, small_embeddings):
    with pytest.raises(ProjectionError, match="compute the map first"):
        cluster_embeddings(small_embeddings, small_corpus.texts, space="map")
    with pytest.raises(ProjectionError, match="method"):
        cluster_embeddings(small_embeddings, small_corpus.texts, method="dbscan", space="pca")


def test_centres_are_inside_their_cluster_bounds():
    coords = np.array([[0, 0], [1, 1], [2, 0], [10, 10], [11, 12], [np.nan, np.nan]], dtype=np.float32)
    centres = cluster_centres(np.array([0, 0, 0, 1, 1, -1]), coords)
    assert set(centres) == {0, 1}
    assert 0 <= centres[0][0] <= 2 and 10 <= centres[1][0] <= 11


TOPICS = ["protein folding structure residues", "image segmentation pixels convolution",
          "speech audio acoustic recognition", "graph nodes edges message passing"]


def _abstracts() -> tuple[list[str], np.ndarray]:
    """Paper-abstract-like texts: four topics, "models ... embedding models" in every text of topic 0,
    "models" in a third of the others, and a fifth of all texts unclustered, each with "models
    embedding model" (the corpus is about models; topic 0 a bit more than the rest)."""
    rng = np.random.default_rng(0)
    texts, labels = [], []
    for i in range(200):
        topic, noise = i % 4, i % 5 == 0
        common = "models learn embedding models. " if topic == 0 else "models " if i % 3 == 0 else ""
        if noise:
            common = "models embedding model "
        texts.append(common + "we study " + " ".join(rng.choice(TOPICS[topic].split(), 2)))
        labels.append(-1 if noise else topic)
    return texts, np.array(labels)


def test_words_frequent_across_the_corpus_never_name_a_cluster():
    # before: topic 0 was labelled "models · embedding · learn"
    texts, labels = _abstracts()
    keywords = cluster_keywords(texts, labels, top_n=3)
    assert set(keywords) == {0, 1, 2, 3}
    for cluster, terms in keywords.items():
        assert not {"model", "models", "embedding"} & set(terms), (cluster, terms)
        assert len(set(terms) & set(TOPICS[cluster].split())) >= 2, (cluster, terms)


def test_a_label_never_repeats_a_word_in_another_form():
    from engine.cluster import distinct_terms

    assert distinct_terms(["models", "embedding", "model", "embeddings", "embed", "graph"], 3) == \
        ["models", "embedding", "graph"]
    assert distinct_terms(["state", "statement", "car", "cargo"], 4) == ["state", "statement", "car", "cargo"]
    assert distinct_terms(["fires", "burning", "fire", "boxes", "box", "news", "analysis"], 5) == \
        ["fires", "burning", "boxes", "news", "analysis"]
    texts = ["the model models modelling data", "model models data graph", "river water flood", "flood rivers rain"]
    keywords = cluster_keywords(texts, np.array([0, 0, 1, 1]), top_n=3)
    assert sum(term.startswith("model") for term in keywords[0]) == 1
    assert sum(term.startswith("river") for term in keywords[1]) <= 1
