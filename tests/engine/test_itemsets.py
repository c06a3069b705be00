"""Tags and named clusterings: one store per corpus, the filter model, curation, exports, subsets."""
from __future__ import annotations

import json
import subprocess
import sys
import threading

import numpy as np
import polars as pl
import pytest

from engine import curation
from engine.cluster import cluster_embeddings
from engine.corpus import corpus_from_texts
from engine.export import to_csv_bytes, to_parquet_bytes
from engine.filters import Filter, ItemSet, MetadataFilter
from engine.itemsets import (
    ItemSetError,
    NamedClustering,
    cluster_item_set,
    curated_names,
    delete_tag,
    export_frame,
    link_form,
    list_named_clusterings,
    load_named_clustering,
    load_tags,
    rename_tag,
    resolve_filter,
    save_named_clustering,
    tag_item_set,
    tag_items,
    untag_items,
    update_named_clustering,
)
from engine.store import Store
from tests.conftest import ROOT

HOSTILE = "=cmd|' /C calc'!A0 <script>alert(1)</script> **bold** [x](http://e.vil)"


@pytest.fixture()
def pets(tmp_path):
    store = Store(tmp_path)
    corpus, report = corpus_from_texts(["a cat purrs", "a dog barks", "a cow moos", "a hen clucks"], name="pets",
                                       metadata={"legs": [4, 4, 4, 2]})
    store.save_corpus(corpus, report)
    return store, corpus


def test_tags_round_trip_several_tags_per_item_and_hostile_names(pets):
    store, corpus = pets
    assert tag_items(store, corpus.corpus_id, "mammals", ["0", "1", "2"]) == 3
    assert tag_items(store, corpus.corpus_id, HOSTILE, ["1", "3", "1"]) == 2
    assert tag_items(store, corpus.corpus_id, "mammals", ["2", "0"]) == 3  # already tagged: no duplicates
    tags = load_tags(Store(store.root), corpus.corpus_id)  # a fresh store object reads the files
    assert tags == {HOSTILE: ("1", "3"), "mammals": ("0", "1", "2")}
    assert untag_items(store, corpus.corpus_id, "mammals", ["1"]) == 2
    rename_tag(store, corpus.corpus_id, HOSTILE, "noisy")
    assert load_tags(store, corpus.corpus_id) == {"mammals": ("0", "2"), "noisy": ("1", "3")}
    delete_tag(store, corpus.corpus_id, "noisy")
    untag_items(store, corpus.corpus_id, "mammals", ["0", "2"])
    assert load_tags(store, corpus.corpus_id) == {}  # an emptied tag is gone


@pytest.mark.parametrize("name", ["", "   ", "a\nb", "tab\there", "x" * 81])
def test_bad_tag_names_are_refused(pets, name):
    store, corpus = pets
    with pytest.raises(ItemSetError):
        tag_items(store, corpus.corpus_id, name, ["0"])


def test_concurrent_taggers_lose_nothing(pets):
    store, corpus = pets
    threads = [threading.Thread(target=tag_items, args=(Store(store.root), corpus.corpus_id, f"t{i % 3}", [str(i % 4)]))
               for i in range(24)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tags = load_tags(store, corpus.corpus_id)
    assert {name: set(ids) for name, ids in tags.items()} == {
        "t0": {"0", "1", "2", "3"}, "t1": {"0", "1", "2", "3"}, "t2": {"0", "1", "2", "3"}}


def test_tags_and_clusters_plug_into_the_filter_model(pets):
    store, corpus = pets
    tag_items(store, corpus.corpus_id, "mammals", ["0", "1", "2"])
    tag_items(store, corpus.corpus_id, "loud", ["1", "3"])
    tags = load_tags(store, corpus.corpus_id)
    value = Filter((MetadataFilter("legs", values=("4",)),), (tag_item_set(tags, ["loud"]),))
    assert value.mask(corpus).tolist() == [False, True, False, False]
    either = Filter(item_sets=(tag_item_set(tags, ["loud", "mammals"]),))
    assert either.mask(corpus).tolist() == [True, True, True, True]
    # a link carries the ref alone; resolving fills the ids from the store, and refreshes stale ones
    bare = Filter.from_json(json.dumps({"item_sets": [{"name": "x", "ids": [], "ref": ["tag", "loud"]}]}))
    assert bare.mask(corpus).tolist() == [False] * 4
    tag_items(store, corpus.corpus_id, "loud", ["0"])
    assert resolve_filter(store, corpus, bare).mask(corpus).tolist() == [True, True, False, True]
    round_trip = Filter.from_json(value.to_json())
    assert round_trip.item_sets[0].ref == ("tag", "loud")
    short = Filter.from_json(link_form(value).to_json())
    assert short.item_sets[0].ids == () and len(link_form(value).to_json()) < len(value.to_json())
    assert resolve_filter(store, corpus, short).mask(corpus).tolist() == [True, True, False, False]  # legs 4 and loud
    delete_tag(store, corpus.corpus_id, "loud")
    with pytest.raises(ItemSetError, match="No tag 'loud'"):
        resolve_filter(store, corpus, bare)

    named = save_named_clustering(store, NamedClustering(
        HOSTILE, corpus.corpus_id, "m", np.array([0, 1, 0, -1], dtype=np.int32), {0: "quiet", 1: "loud"}))
    in_zero = cluster_item_set(named, [0], corpus.ids)
    assert Filter(item_sets=(in_zero,)).mask(corpus).tolist() == [True, False, True, False]
    merged = update_named_clustering(store, corpus.corpus_id, HOSTILE, lambda n: curation.merge_clusters(n, 0, 1))
    assert merged.labels.tolist() == [0, 0, 0, -1]
    stale = Filter.from_json(Filter(item_sets=(in_zero,)).to_json())
    assert resolve_filter(store, corpus, stale).mask(corpus).tolist() == [True, True, True, False]


def test_rename_merge_move_keep_provenance_and_survive_a_fresh_store(small_corpus, small_embeddings, tmp_path):
    store = Store(tmp_path)
    store.save_corpus(small_corpus)
    computed = cluster_embeddings(small_embeddings, small_corpus.texts, method="kmeans", space="embedding",
                                  n_clusters=5, seed=1)
    named = save_named_clustering(store, curation.from_clustering(computed, "my topics"), overwrite=False)
    with pytest.raises(ItemSetError, match="already"):
        save_named_clustering(store, curation.from_clustering(computed, "my topics"), overwrite=False)
    first, second, third = named.clusters[:3]
    sizes = {c: int((named.labels == c).sum()) for c in named.clusters}
    update_named_clustering(store, small_corpus.corpus_id, "my topics",
                            lambda n: curation.rename_cluster(n, first, HOSTILE))
    update_named_clustering(store, small_corpus.corpus_id, "my topics",
                            lambda n: curation.merge_clusters(n, first, second))
    moved_rows = np.flatnonzero(named.labels == third)[:3].tolist()
    update_named_clustering(store, small_corpus.corpus_id, "my topics",
                            lambda n: curation.move_items(n, moved_rows, first))
    reread = load_named_clustering(Store(tmp_path), small_corpus.corpus_id, "my topics")
    assert [s["op"] for s in reread.steps] == ["rename", "merge", "move"]
    assert reread.source["method"] == "kmeans" and reread.source["key"] == computed.key
    assert second not in reread.clusters
    assert int((reread.labels == first).sum()) == sizes[first] + sizes[second] + 3
    assert reread.labels[moved_rows].tolist() == [first] * 3
    assert curated_names(small_corpus.corpus_id, "my topics", store=Store(tmp_path))[first] == HOSTILE
    listed = list_named_clusterings(store, small_corpus.corpus_id)
    assert [(row["name"], row["n_clusters"], row["n_steps"]) for row in listed] == [("my topics", 4, 3)]
    drawn = curation.to_clustering(reread, small_embeddings, small_corpus.texts)
    assert drawn.names[first] == HOSTILE and drawn.method == "curated"
    assert sum(info.size for info in drawn.clusters) == int((reread.labels >= 0).sum())


def test_split_reclusters_only_that_cluster(small_corpus, small_embeddings):
    computed = cluster_embeddings(small_embeddings, small_corpus.texts, method="kmeans", space="embedding",
                                  n_clusters=3, seed=1)
    named = curation.from_clustering(computed, "three")
    biggest = named.clusters[0]
    members = set(np.flatnonzero(named.labels == biggest).tolist())
    split = curation.split_cluster(named, biggest, small_embeddings, small_corpus.texts, parts=3, seed=0)
    step = split.steps[-1]
    assert step["op"] == "split" and step["old"] == named.names[biggest] and len(step["into"]) == 3
    assert biggest not in split.clusters
    assert {r for c in step["into"] for r in np.flatnonzero(split.labels == c).tolist()} == members
    outside = np.array(sorted(set(range(len(small_corpus))) - members))
    assert np.array_equal(split.labels[outside], named.labels[outside])  # other clusters untouched
    assert all(split.names[c] for c in step["into"]) and len(split.clusters) == len(named.clusters) + 2
    with pytest.raises(ItemSetError):
        curation.split_cluster(split, biggest, small_embeddings, small_corpus.texts)


def test_export_has_a_tags_column_and_curated_cluster_names(pets):
    store, corpus = pets
    tag_items(store, corpus.corpus_id, HOSTILE, ["0"])
    tag_items(store, corpus.corpus_id, "b", ["0", "3"])
    named = NamedClustering("n", corpus.corpus_id, "m", np.array([0, 0, 1, -1], dtype=np.int32), {0: "=sum(1)", 1: "c"})
    frame = export_frame(store, corpus, clusters=named.row_names())
    assert frame["tags"].to_list() == [[HOSTILE, "b"], [], [], ["b"]]
    assert frame["cluster"].to_list() == ["=sum(1)", "=sum(1)", "c", "unclustered"]
    back = pl.read_parquet(to_parquet_bytes(frame))
    assert back["tags"].to_list() == frame["tags"].to_list()
    csv = pl.read_csv(to_csv_bytes(frame))
    assert json.loads(csv["tags"][0]) == [HOSTILE, "b"]
    assert csv["cluster"][0] == "'=sum(1)"  # formula neutralised


def test_tags_and_clusterings_survive_a_restart(pets):
    """A new process (a restarted server) reads what this one stored."""
    store, corpus = pets
    tag_items(store, corpus.corpus_id, HOSTILE, ["2", "0"])
    named = save_named_clustering(store, NamedClustering(
        "kept", corpus.corpus_id, "m", np.array([0, 1, 1, -1], dtype=np.int32), {0: "x", 1: "y"}))
    update_named_clustering(store, corpus.corpus_id, named.name, lambda n: curation.rename_cluster(n, 1, "renamed"))
    update_named_clustering(store, corpus.corpus_id, named.name, lambda n: curation.merge_clusters(n, 1, 0))
    script = ("import json, sys; from engine.store import Store; from engine import itemsets as i; "
              "s = Store(sys.argv[1]); c = sys.argv[2]; n = i.load_named_clustering(s, c, 'kept'); "
              "print(json.dumps({'tags': i.load_tags(s, c), 'labels': n.labels.tolist(), "
              "'names': i.curated_names(c, 'kept', store=s), 'ops': [x['op'] for x in n.steps]}))")
    result = subprocess.run([sys.executable, "-c", script, str(store.root), corpus.corpus_id], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=True)
    seen = json.loads(result.stdout)
    assert seen["tags"] == {HOSTILE: ["2", "0"]}
    assert seen["labels"] == [1, 1, 1, -1] and seen["names"] == {"-1": "unclustered", "1": "renamed"}
    assert seen["ops"] == ["rename", "merge"]


def test_visitor_tags_on_a_demo_corpus_stay_in_their_area(pets):
    from engine.visitors import new_token

    store, corpus = pets  # stored in the shared area: a demo corpus as visitors see it
    alice, bob = store.for_visitor(new_token()), store.for_visitor(new_token())
    tag_items(alice, corpus.corpus_id, "alice's", ["1"])
    save_named_clustering(alice, NamedClustering("a", corpus.corpus_id, "m", np.zeros(4, dtype=np.int32), {0: "all"}))
    assert load_tags(alice, corpus.corpus_id) == {"alice's": ("1",)}
    assert load_tags(bob, corpus.corpus_id) == {} and load_tags(store, corpus.corpus_id) == {}
    assert list_named_clusterings(bob, corpus.corpus_id) == []
    assert not (store.corpus_dir(corpus.corpus_id) / "tags" / "tags.json").exists()


def test_subset_reuses_the_parents_vectors_without_encoding(small_corpus, small_embeddings, tmp_path, monkeypatch):
    """A tagged subset opens as a corpus with its embeddings reused: no encode call, same rows."""
    from engine import embed, models
    from engine.embed import embed_corpus, embed_queries, load_embeddings
    from engine.models import resolve_model
    from engine.subsets import provenance, save_subset

    store = Store(tmp_path)
    store.save_corpus(small_corpus)
    store.save_embeddings(small_corpus.corpus_id, resolve_model("minilm-l3"), np.asarray(small_embeddings.vectors),
                          np.asarray(small_embeddings.valid))
    lexical = embed_corpus(small_corpus, "tfidf-svd", store=store).embeddings  # fitted on the parent
    tag_items(store, small_corpus.corpus_id, "picked", small_corpus.ids[10:60])
    tag_items(store, small_corpus.corpus_id, "other", small_corpus.ids[200:210])
    keep = Filter(item_sets=(ItemSet("x", (), ref=("tag", "picked")),))  # resolved from the store

    def no_encoding(*args, **kwargs):
        raise AssertionError("the subset must not encode anything")

    monkeypatch.setattr(embed, "load_encoder", no_encoding)
    monkeypatch.setattr(models, "load_encoder", no_encoding)
    monkeypatch.setattr(embed.LexicalEncoder, "fit", no_encoding)
    subset, record = save_subset(store, small_corpus.corpus_id, keep, name=HOSTILE)
    rows = np.arange(10, 60)
    assert subset.ids == small_corpus.ids[10:60] and subset.name == HOSTILE
    assert record["parent"] == small_corpus.corpus_id and record["filter"]["item_sets"][0]["ref"] == ["tag", "picked"]
    assert provenance(Store(tmp_path), subset.corpus_id)["n_rows"] == 50
    assert set(Store(tmp_path).manifest(subset.corpus_id)["embeddings"]) == {"minilm-l3", "tfidf-svd"}
    for model_id, parent in (("minilm-l3", small_embeddings), ("tfidf-svd", lexical)):
        result = embed_corpus(subset, model_id, store=Store(tmp_path))  # the pages' path: a cache hit
        assert result.cache_hit
        assert np.array_equal(np.asarray(result.embeddings.vectors), np.asarray(parent.vectors)[rows])
        assert np.array_equal(load_embeddings(subset.corpus_id, model_id, store=store).valid, parent.valid[rows])
    # queries on the subset land in the parent's fitted lexical space
    subset_query, _ = embed_queries(["police fire"], "tfidf-svd", store=store, corpus=subset)
    parent_query, _ = embed_queries(["police fire"], "tfidf-svd", store=store, corpus=small_corpus)
    assert np.allclose(subset_query, parent_query)
    assert load_tags(store, subset.corpus_id) == {"picked": tuple(small_corpus.ids[10:60])}
    with pytest.raises(ItemSetError, match="keeps no item"):
        save_subset(store, small_corpus.corpus_id, Filter(item_sets=(ItemSet("none", ()),)), name="empty")


def test_a_visitor_saves_a_subset_of_a_demo_corpus_in_their_own_area(pets):
    from engine.subsets import save_subset
    from engine.visitors import new_token

    store, corpus = pets  # in the shared area: a demo corpus
    alice, bob = store.for_visitor(new_token()), store.for_visitor(new_token())
    tag_items(alice, corpus.corpus_id, "four legs", ["0", "1", "2"])
    subset, _ = save_subset(alice, corpus.corpus_id, Filter(item_sets=(ItemSet("x", (), ref=("tag", "four legs")),)),
                            name="alice's quadrupeds")
    assert [m["name"] for m in alice.own_corpora()] == ["alice's quadrupeds"]
    assert bob.own_corpora() == [] and not store.has_corpus(subset.corpus_id)
    assert load_tags(alice, subset.corpus_id) == {"four legs": ("0", "1", "2")}


def test_words_are_reused_after_a_rename_and_recomputed_after_a_merge(small_corpus, small_embeddings, monkeypatch):
    computed = cluster_embeddings(small_embeddings, small_corpus.texts, method="kmeans", space="embedding",
                                  n_clusters=4, seed=1)
    first, second = (info.cluster for info in computed.clusters[:2])
    renamed = curation.rename_cluster(curation.from_clustering(computed, "w"), first, "mine")
    merged = curation.merge_clusters(renamed, first, second)
    expected = curation.to_clustering(merged, small_embeddings, small_corpus.texts)  # recomputes the merged words

    def no_keywords(*args, **kwargs):
        raise AssertionError("a rename changes no membership: its words must be reused")

    monkeypatch.setattr(curation, "cluster_keywords", no_keywords)
    drawn = curation.to_clustering(renamed, small_embeddings, small_corpus.texts)
    assert [c.terms for c in drawn.clusters] == [c.terms for c in computed.clusters]
    assert drawn.names[first] == "mine"
    assert first not in merged.terms and second not in merged.terms
    merged_terms = next(c.terms for c in expected.clusters if c.cluster == first)
    assert merged_terms and merged_terms != next(c.terms for c in computed.clusters if c.cluster == first)
