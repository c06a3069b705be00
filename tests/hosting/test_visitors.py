"""Visitor isolation in the store: scoped views, shares, quotas, idle expiry (issue 12, step 2)."""
from __future__ import annotations

import time

import numpy as np
import pytest

from engine.config import DEMO_DEFAULTS, Settings
from engine.corpus import corpus_from_texts
from engine.errors import StoreError
from engine.store import Store
from engine.types import ModelSpec
from engine.visitors import QuotaError, VisitorStore, expire_idle, new_token


@pytest.fixture
def workspace(tmp_path):
    root = Store(tmp_path)
    demo, report = corpus_from_texts(["a shared demo text", "another demo text"], name="demo-corpus")
    root.save_corpus(demo, report)
    return root, demo


def _visitor(root: Store, **limits) -> VisitorStore:
    return VisitorStore(root.root, new_token(), Settings(**{**DEMO_DEFAULTS, **limits}))


def _upload(store: Store, texts: list[str], name: str):
    corpus, report = corpus_from_texts(texts, name=name)
    return store.add_corpus(corpus, report)[0]


def test_each_visitor_sees_the_demo_corpora_and_only_their_own(workspace):
    root, demo = workspace
    alice, bob = _visitor(root), _visitor(root)
    mine = _upload(alice, ["alice's private note", "alice again"], "alice-notes")
    assert {m["name"] for m in alice.list_corpora()} == {"demo-corpus", "alice-notes"}
    assert {m["name"] for m in bob.list_corpora()} == {"demo-corpus"}
    for route in (lambda: bob.find_corpus("alice-notes"), lambda: bob.find_corpus(mine.corpus_id),
                  lambda: bob.manifest(mine.corpus_id), lambda: bob.load_corpus(mine.corpus_id),
                  lambda: bob.delete_corpus(mine.corpus_id)):
        with pytest.raises(StoreError) as caught:
            route()
        assert str(root.root) not in str(caught.value)  # no server path in a visitor's message
    assert bob.find_corpus("demo-corpus") == demo.corpus_id
    assert alice.has_corpus(mine.corpus_id) and not bob.has_corpus(mine.corpus_id)
    # the whole-workspace view (CLI, `engine check`) still lists the demo corpus only at the top level
    assert [m["name"] for m in root.list_corpora()] == ["demo-corpus"]


def test_same_content_keeps_each_visitors_name_and_shares_vectors(workspace):
    root, _ = workspace
    alice, bob = _visitor(root), _visitor(root)
    texts = ["the same file", "uploaded twice"]
    a, b = _upload(alice, texts, "alice-name"), _upload(bob, texts, "bob-name")
    assert a.corpus_id == b.corpus_id
    assert bob.manifest(b.corpus_id)["name"] == "bob-name" and alice.manifest(a.corpus_id)["name"] == "alice-name"
    spec = ModelSpec(model_id="toy", display_name="toy", kind="sentence", dimension=2, source="", license="",
                     max_seq_length=0, bundled=False, description="")
    alice.save_embeddings(a.corpus_id, spec, np.eye(2, dtype=np.float32), np.ones(2, dtype=bool))
    assert "toy" in bob.manifest(b.corpus_id)["embeddings"] or bob.reconcile(b.corpus_id)
    assert bob.load_embeddings(b.corpus_id, spec) is not None  # content-addressed: shared
    alice.delete_corpus(a.corpus_id)  # Bob still has these texts, so their vectors stay
    assert bob.load_embeddings(b.corpus_id, spec) is not None and bob.has_corpus(b.corpus_id)


def test_demo_corpora_are_read_only_and_private_artifacts_stay_private(workspace):
    root, demo = workspace
    alice, bob = _visitor(root), _visitor(root)
    with pytest.raises(StoreError, match="cannot be deleted"):
        alice.delete_corpus(demo.corpus_id)
    alice.save_json(demo.corpus_id, "axes", "my-axis", {"name": "my axis"})
    assert alice.list_artifacts(demo.corpus_id, "axes") == ["my-axis"]
    assert bob.list_artifacts(demo.corpus_id, "axes") == [] and root.list_artifacts(demo.corpus_id, "axes") == []
    bob.save_json(demo.corpus_id, "projections", "shared-map", {"ok": 1})  # derived from public data: shared
    assert alice.load_json(demo.corpus_id, "projections", "shared-map") == {"ok": 1}
    alice.delete_artifact(demo.corpus_id, "axes", "my-axis")
    assert alice.list_artifacts(demo.corpus_id, "axes") == []


def test_a_share_token_gives_a_copy_of_one_corpus_only(workspace):
    root, _ = workspace
    alice, bob, carol = _visitor(root), _visitor(root), _visitor(root)
    shared = _upload(alice, ["shared text one", "shared text two"], "to-share")
    private = _upload(alice, ["never shared", "at all"], "private")
    alice.save_json(shared.corpus_id, "axes", "alice-axis", {"name": "x"})
    token = alice.share(shared.corpus_id)
    assert len(token) >= 32 and token not in str(list(root.root.rglob("*")))  # only its hash is on disk
    assert bob.accept_share(token) == shared.corpus_id
    assert {m["name"] for m in bob.own_corpora()} == {"to-share"}
    assert bob.list_artifacts(shared.corpus_id, "axes") == []  # the corpus, not Alice's axes
    assert not bob.has_corpus(private.corpus_id)
    with pytest.raises(StoreError, match="not valid"):
        carol.accept_share(new_token())  # a guessed token opens nothing
    with pytest.raises(StoreError):
        bob.share(private.corpus_id)  # only an owner shares
    bob.delete_corpus(shared.corpus_id)  # Bob's copy; Alice keeps hers
    assert alice.has_corpus(shared.corpus_id)


def test_quotas_on_corpora_rows_and_embed_seconds(workspace):
    root, _ = workspace
    visitor = _visitor(root, visitor_max_corpora=2, visitor_max_rows=5, visitor_embed_seconds=10)
    _upload(visitor, ["one", "two"], "first")
    with pytest.raises(QuotaError, match="rows per visitor"):
        _upload(visitor, ["a", "b", "c", "d"], "too-many-rows")
    _upload(visitor, ["three"], "second")
    with pytest.raises(QuotaError, match="2 corpora"):
        _upload(visitor, ["four"], "third")
    visitor.check_embed_quota()
    visitor.touch(embed_seconds=10.5)
    with pytest.raises(QuotaError, match="embedding time"):
        visitor.check_embed_quota()


def test_idle_visitors_expire_with_their_shares(workspace):
    root, _ = workspace
    idle, active = _visitor(root), _visitor(root)
    token = idle.share(_upload(idle, ["old upload", "older"], "old").corpus_id)
    _upload(active, ["fresh upload", "fresher"], "fresh")
    later = time.time() + 25 * 3600
    active.touch()
    (active.area / "visitor.json").write_text(f'{{"embed_seconds": 0, "last_seen": {later}}}')
    assert expire_idle(root.root, 24, now=later) == [idle.key]
    assert not idle.area.exists() and active.area.exists()
    with pytest.raises(StoreError):
        active.accept_share(token)
