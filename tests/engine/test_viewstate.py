"""engine.viewstate: a view's URL query round-trips, and no input makes decode raise."""
from __future__ import annotations

import string

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from engine.viewstate import (
    INLINE_MAX_CHARS, MAX_PARAM_CHARS, STORED_PREFIX, VERSION_PARAM, Field, LinkStore, ViewStateError, decode, encode,
    link_id,
)

FIELDS = (
    Field("corpus", max_chars=200),
    Field("method", choices=("umap", "pca")),
    Field("k", "int", low=2, high=100),
    Field("dist", "float", low=0.0, high=1.0),
    Field("flag", "bool"),
    Field("models", "list", max_chars=50, max_items=5),
    Field("q", max_chars=10_000, multiline=True, stored=True),
    Field("f", "json", max_chars=50_000, stored=True),
)
_text = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=400)
_json = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
                     max_leaves=20)


@pytest.fixture
def links(tmp_path) -> LinkStore:
    return LinkStore(tmp_path)


@settings(max_examples=150, deadline=None)
@given(values=st.fixed_dictionaries({}, optional={
    "corpus": st.text(alphabet=string.ascii_letters + string.digits + "-_ ", min_size=1, max_size=200),
    "method": st.sampled_from(("umap", "pca")),
    "k": st.integers(2, 100),
    "dist": st.floats(0.0, 1.0, allow_nan=False),
    "flag": st.booleans(),
    "models": st.lists(st.text(alphabet=string.ascii_lowercase + "-/.", min_size=1, max_size=50), max_size=5),
    "q": _text,
    "f": st.dictionaries(st.text(max_size=10), _json, max_size=5),
}))
def test_encode_then_decode_gives_the_values_back(tmp_path_factory, values) -> None:
    links = LinkStore(tmp_path_factory.mktemp("links"))
    params = encode(values, FIELDS, save=links.save)
    assert params[VERSION_PARAM] == "1"
    assert all(len(v) <= MAX_PARAM_CHARS for v in params.values())
    decoded = decode(params, FIELDS, load=links.load)
    assert decoded.notes == ()
    expected = {k: (tuple(v) if k == "models" else v) for k, v in values.items() if v not in ([], None)}
    assert decoded.values == expected


@settings(max_examples=300, deadline=None)
@given(params=st.dictionaries(st.sampled_from([f.name for f in FIELDS] + ["v", "other"]),
                              st.text(max_size=3000) | st.sampled_from(["~", "~" + "0" * 20, "~../../etc", "[[[[", "1e999",
                                                                         "NaN", "-5", "101", "0x10", "{\"a\":NaN}"])))
@example(params={"v": "¹"})  # isdigit() but not int(): a link once raised here
def test_decode_never_raises_and_keeps_values_in_bounds(tmp_path_factory, params) -> None:
    links = LinkStore(tmp_path_factory.mktemp("links"))
    decoded = decode(params, FIELDS, load=links.load)
    values = decoded.values
    assert set(values) <= {f.name for f in FIELDS}
    if "k" in values:
        assert isinstance(values["k"], int) and 2 <= values["k"] <= 100
    if "dist" in values:
        assert 0.0 <= values["dist"] <= 1.0
    if "method" in values:
        assert values["method"] in ("umap", "pca")
    if "f" in values:
        assert isinstance(values["f"], (dict, list))
    # every param the link had for a field is either applied or explained
    for name in {f.name for f in FIELDS} & set(params):
        assert name in values or any(name in n or "Not applied" in n for n in decoded.notes)


def test_long_values_go_to_the_store_under_a_content_id(links) -> None:
    query = "fire " * 200
    params = encode({"q": query, "corpus": "lee"}, FIELDS, save=links.save)
    assert params["q"] == STORED_PREFIX + link_id(query)
    assert len(params["q"]) == 21 and (links.directory / f"{link_id(query)}.txt").is_file()
    assert params["corpus"] == "lee"  # short values stay inline
    assert decode(params, FIELDS, load=links.load).values["q"] == query
    # a short value that starts with the marker is stored too, so "~" is never ambiguous
    assert encode({"q": "~tilde"}, FIELDS, save=links.save)["q"].startswith(STORED_PREFIX)
    assert decode(encode({"q": "~tilde"}, FIELDS, save=links.save), FIELDS, load=links.load).values["q"] == "~tilde"
    # without a store, a long value is left out rather than making an over-long URL
    assert "q" not in encode({"q": query}, FIELDS)
    assert len(query) > INLINE_MAX_CHARS


def test_stored_ids_are_checked_strictly(links, tmp_path) -> None:
    key = links.save("some recipe")
    for bad in ("../" + key, key.upper(), key[:-1], key + "0", "", "0" * 20):
        decoded = decode({"q": STORED_PREFIX + bad}, FIELDS, load=links.load)
        assert "q" not in decoded.values and len(decoded.notes) == 1
    (links.directory / f"{key}.txt").write_text("tampered")
    decoded = decode({"q": STORED_PREFIX + key}, FIELDS, load=links.load)
    assert "q" not in decoded.values and "changed" in decoded.notes[0]
    # a field that is never stored does not read the store
    assert "corpus" not in decode({"corpus": STORED_PREFIX + key}, FIELDS, load=links.load).values


def test_the_store_is_bounded(tmp_path) -> None:
    links = LinkStore(tmp_path, max_values=3)
    for i in range(3):
        links.save(f"value {i}")
    assert links.save("value 0") == link_id("value 0")  # an existing value is no new file
    with pytest.raises(ViewStateError):
        links.save("value 4")
    with pytest.raises(ViewStateError):
        LinkStore(tmp_path).save("x" * 70_000)
    assert "q" not in encode({"q": "y" * 5_000}, FIELDS, save=links.save)  # full: the value is left out


def test_bad_values_give_notes_and_the_rest_applies() -> None:
    decoded = decode({"method": "tsne", "k": "7", "models": "a,b", "f": "{not json", "flag": "yes"}, FIELDS)
    assert decoded.values == {"k": 7, "models": ("a", "b")}
    assert len(decoded.notes) == 3
    assert any("not valid JSON" in n for n in decoded.notes) and any("umap, pca" in n for n in decoded.notes)
    deep = "[" * 50 + "]" * 50
    assert "f" not in decode({"f": deep}, FIELDS).values
    assert decode({"v": "9", "k": "5"}, FIELDS).notes[0].startswith("This link was made by a newer version")
    assert "corpus" not in decode({"corpus": "a\x00b"}, FIELDS).values
