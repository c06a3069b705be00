"""Synthetic corpora on a 2-D layout, for tests and benches at sizes nobody wants to embed.

Topics sit in separate blobs of the layout and split into subtopics (smaller blobs inside
them). Each text holds its topic's word, its subtopic's word and filler words drawn from a
vocabulary shared by all texts, so c-TF-IDF should name a blob by its topic zoomed out and by its
subtopics zoomed in. Everything is seeded.

Example:
    >>> corpus = synthetic_map(200, seed=1)
    >>> corpus.coords.shape, len(corpus.texts), corpus.topic_words[0] in corpus.texts[int((corpus.topics == 0).argmax())]
    ((200, 2), 200, True)
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_CONSONANTS = "bdfgklmnprstvz"
_VOWELS = "aeiou"


@dataclass(frozen=True, slots=True, eq=False)
class SyntheticMap:
    texts: list[str]
    coords: np.ndarray  # (n, 2) float32
    vectors: np.ndarray  # (n, dim) float32 unit rows: topic + subtopic directions + noise
    topics: np.ndarray  # (n,) topic per row
    subtopics: np.ndarray  # (n,) subtopic per row (global numbering)
    topic_words: list[str]
    subtopic_words: list[str]


def _words(rng: np.random.Generator, count: int, syllables: int) -> list[str]:
    """Distinct pronounceable letter-only pseudo-words (no digits: the keyword tokenizer drops them)."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < count:
        word = "".join(rng.choice(list(_CONSONANTS)) + rng.choice(list(_VOWELS)) for _ in range(syllables))
        if word not in seen:
            seen.add(word)
            out.append(word)
    return out


def synthetic_map(n: int, *, topics: int = 8, subtopics: int = 4, dim: int = 32, seed: int = 0) -> SyntheticMap:
    """``n`` texts with planted topic and subtopic words on a matching layout and embedding."""
    rng = np.random.default_rng(seed)
    words = _words(rng, topics + topics * subtopics + 400, 3)
    topic_words, subtopic_words, filler = (words[:topics], words[topics:topics * (subtopics + 1)],
                                           words[topics * (subtopics + 1):])
    topic = rng.integers(0, topics, n)
    sub_local = rng.integers(0, subtopics, n)
    sub = topic * subtopics + sub_local
    # topics on a ring, subtopics on a small ring inside each topic's blob
    angle = 2 * np.pi * np.arange(topics) / topics
    topic_centre = np.stack([np.cos(angle), np.sin(angle)], axis=1) * 10.0
    sub_angle = 2 * np.pi * np.arange(subtopics) / subtopics
    sub_offset = np.stack([np.cos(sub_angle), np.sin(sub_angle)], axis=1) * 1.6
    coords = topic_centre[topic] + sub_offset[sub_local] + rng.normal(scale=0.45, size=(n, 2))
    directions = rng.normal(size=(topics + topics * subtopics, dim))
    vectors = directions[topic] + 0.6 * directions[topics + sub] + rng.normal(scale=0.5, size=(n, dim))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    fill = rng.integers(0, len(filler), (n, 5))
    has_topic, has_sub = rng.random(n) < 0.85, rng.random(n) < 0.85
    texts = [
        " ".join(([topic_words[topic[i]]] if has_topic[i] else []) + ([subtopic_words[sub[i]]] if has_sub[i] else [])
                 + [filler[j] for j in fill[i]])
        for i in range(n)
    ]
    return SyntheticMap(texts=texts, coords=coords.astype(np.float32), vectors=vectors.astype(np.float32),
                        topics=topic, subtopics=sub, topic_words=topic_words, subtopic_words=subtopic_words)
