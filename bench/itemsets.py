"""Tags, curated clusters and subsets: what each user action costs at 10k and 100k items.

    python bench/itemsets.py                  # 10k and 100k items
    python bench/itemsets.py --sizes 10000    # a quick run

Data (no embedding): Lee news sentences cycled to n texts (so c-TF-IDF has real words) and the
clustered 384-d vectors of ``bench/search.py``; a 20-cluster k-means labelling stands in for the
computed clustering. Timed in a fresh temporary store: tagging 1,000 items (a read-modify-write
of the tags file under the lock), reading the tags, one curation step (rename, stored), drawing a
named clustering for the map (``curation.to_clustering``) after a rename (words reused, central
rows recomputed) and after a merge (c-TF-IDF over every text recomputed),
splitting the largest cluster, and saving half the corpus as a subset with its vectors reused.
Baseline for the subset: the cost of re-embedding those rows, from docs/benchmarks.md (MiniLM-L6
fp32 ~310 short texts/s on this machine class), printed beside the measured copy.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from search import clustered  # noqa: E402  (bench/ is on sys.path when run as a script)
from timing import median_seconds  # noqa: E402

from engine import curation, itemsets  # noqa: E402
from engine.corpus import corpus_from_texts  # noqa: E402
from engine.demo import lee_news  # noqa: E402
from engine.filters import Filter, ItemSet  # noqa: E402
from engine.models import resolve_model  # noqa: E402
from engine.store import Store  # noqa: E402
from engine.subsets import save_subset  # noqa: E402
from engine.types import Embeddings  # noqa: E402

EMBED_TEXTS_PER_SECOND = 310.0  # MiniLM-L6 fp32, short texts (shared/ARCHITECTURE.md, Known costs)


def run(n: int) -> dict[str, float]:
    sentences = lee_news()[0].texts
    texts = [f"{sentences[i % len(sentences)]} ({i})" for i in range(n)]
    vectors = clustered(n, seed=1)
    store = Store(tempfile.mkdtemp(prefix="bench-itemsets-"))
    corpus, report = corpus_from_texts(texts, name=f"bench-{n}")
    store.save_corpus(corpus, report)
    spec = resolve_model("minilm-l6")
    store.save_embeddings(corpus.corpus_id, spec, vectors, np.ones(n, dtype=bool))
    embeddings = Embeddings(corpus_id=corpus.corpus_id, model_id=spec.model_id, vectors=vectors,
                            valid=np.ones(n, dtype=bool))
    labels = np.random.default_rng(0).integers(0, 20, n).astype(np.int32)
    raw = itemsets.NamedClustering("bench", corpus.corpus_id, spec.model_id, labels, {c: f"cluster {c}" for c in range(20)})
    named = itemsets.save_named_clustering(  # as the Map saves one: with the computed words
        store, curation.from_clustering(curation.to_clustering(raw, embeddings, texts), "bench"))
    ids = corpus.ids
    rng = np.random.default_rng(1)
    out: dict[str, float] = {}
    out["tag 1,000 items"], _ = median_seconds(
        lambda: itemsets.tag_items(store, corpus.corpus_id, f"t{rng.integers(5)}",
                                   [ids[int(i)] for i in rng.integers(0, n, 1000)]), 5)
    out["read tags"], _ = median_seconds(lambda: itemsets.load_tags(store, corpus.corpus_id), 5)
    out["curation step (rename, stored)"], _ = median_seconds(lambda: itemsets.update_named_clustering(
        store, corpus.corpus_id, "bench", lambda c: curation.rename_cluster(c, 0, f"renamed {rng.integers(99)}")), 3)
    out["draw after a rename (words reused)"], _ = median_seconds(
        lambda: curation.to_clustering(itemsets.load_named_clustering(store, corpus.corpus_id, "bench"),
                                       embeddings, texts), 3)
    merged = curation.merge_clusters(named, 0, 1)
    out["draw after a merge (c-TF-IDF recomputed)"], _ = median_seconds(
        lambda: curation.to_clustering(merged, embeddings, texts), 3)
    out["split the largest cluster (k-means, 2 parts)"], _ = median_seconds(
        lambda: curation.split_cluster(named, named.clusters[0], embeddings, texts, parts=2), 3)
    half = ItemSet("half", tuple(ids[::2]))
    out["save half as a subset (vectors reused)"], _ = median_seconds(
        lambda: save_subset(store, corpus.corpus_id, Filter(item_sets=(half,)), name="half"), 1)
    out["re-embedding that half instead (estimate)"] = (n // 2) / EMBED_TEXTS_PER_SECOND
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    args = parser.parse_args()
    for n in (int(s) for s in args.sizes.split(",")):
        for name, seconds in run(n).items():
            print(f"{n:>7,}  {name:<46} {seconds * 1000:>10.1f} ms", flush=True)


if __name__ == "__main__":
    main()
