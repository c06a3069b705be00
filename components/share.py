"""Links that reopen a view (issue 14 §1): the page's state lives in the URL query.

- :func:`restore` (``sidebar_context`` calls it, before any widget): on a session's first run,
  the query is read into session state; whatever does not apply gets a plain note on the page.
- :func:`sync`: the current page's state is written to ``st.query_params``. It runs on every
  full run (sidebar) and on every change of a durable key (a ``components.state`` listener), so
  a widget inside an ``st.fragment`` keeps the address bar in step too.
- :func:`link_box` (the last line of each page): "Share this view", the link in a code box whose
  button copies it. It never carries the demo's ``?visitor=`` token (a bearer credential); in demo
  mode a visitor may add a share token to open *their* upload (engine.visitors' share).

What a link carries is the data-driven table :data:`BINDINGS` (param, type and bounds, the pages
whose links carry it, how it is read from and written to session state). Types, bounds and the
long-value store are UI-free in :mod:`engine.viewstate`. Rename a session key or add a page's
value by editing the table only.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import streamlit as st

from components import resources as res
from components import state
from components.feedback import escape_markdown
from engine.errors import EmbedscapeError
from engine.viewstate import STORED_MAX_CHARS, VERSION_PARAM, DecodedView, Field, LinkStore, decode, encode

_RESTORED = "_share_restored"  # bool: this session's link was read (sync writes only after that)
_RESTORING = "_share_restoring"  # bool: restore is running (its own state.set calls must not sync)
_NOTES = "_share_notes"  # (page, [note, …]): what the opening link could not apply
_FILTERS = "_share_filters"  # {page: (corpus_id, filter dict)}: each page's filter, as its builder returned it
_PENDING_FILTER = "_share_pending_filter"  # (page, {widget key suffix: value}): a link's filter, set on first draw
_CHANGED = "_share_changed"  # {session key}: link values changed since the link box was last drawn
_DRAWN = "_share_drawn"  # {page: the link parameters its box shows}
_SHARE_TOKENS = "_share_tokens"  # {corpus_id: share token}: demo mode, one share per corpus and session
ITEM_ID = 200  # longest item id / model id / column name a link carries


class LinkNote(Exception):
    """A link value that does not apply here; its message is the note (plain text)."""


@dataclass
class Target:
    """Where a link's values land: the corpus the link opened (loaded only if a value needs it)."""

    corpus_id: str | None

    @cached_property
    def corpus(self) -> Any:
        if self.corpus_id is None:
            raise LinkNote("the link's corpus is not open here")
        return res.corpus(self.corpus_id)

    @cached_property
    def embedded(self) -> list[str]:
        return list(res.embedded_model_ids(self.corpus_id)) if self.corpus_id else []

    def require_item(self, item_id: str) -> str:
        if item_id not in set(self.corpus.ids):
            raise LinkNote(f"this corpus has no item with id {item_id[:60]!r}")
        return item_id

    def require_models(self, models: tuple[str, ...], *, at_least: int = 1) -> tuple[str, ...]:
        known = tuple(m for m in models if m in self.embedded)
        missing = [m for m in models if m not in self.embedded]
        if len(known) < at_least:
            raise LinkNote(f"this corpus is not embedded with {', '.join(missing) or 'enough of its models'}")
        if missing:
            note(f"The link's models {', '.join(missing)} are not embedded for this corpus; the others are used.")
        return known


@dataclass(frozen=True)
class Binding:
    """One link value: its ``field`` (engine.viewstate), the pages whose links carry it (() = all),
    ``read(corpus_id)`` from session state (None = left out), ``write(target, value)`` into it
    (raise LinkNote when it does not apply)."""

    field: Field
    pages: tuple[str, ...]
    read: Callable[[str | None], Any]
    write: Callable[[Target, Any], None]
    corpus_bound: bool = field(default=True)  # needs the link's corpus to apply
    keys: tuple[str, ...] = ()  # the durable keys (components.state) it reads: a change of one rewrites the URL


def key_binding(param: str, key: str, pages: tuple[str, ...], *, check: Callable[[Target, Any], Any] | None = None,
                corpus_bound: bool = False, read: Callable[[str | None], Any] | None = None,
                **field_options: Any) -> Binding:
    """A link value that is one durable session key (``components.state``); ``check`` validates
    (and may convert) a link's value, ``read`` overrides how the key becomes a link value."""
    def read_key(_corpus_id: str | None) -> Any:
        value = state.get(key)
        return list(value) if isinstance(value, tuple) else value

    def write(target: Target, value: Any) -> None:
        state.set(key, check(target, value) if check else value)

    return Binding(Field(param, **field_options), pages, read or read_key, write, corpus_bound, (key,))


# -- readers and writers of values that are not one plain key ---------------------------------------------
def _map_choices(corpus_id: str | None) -> dict[str, Any]:
    return dict(state.get(state.MAP_CHOICES).get(corpus_id, {})) if corpus_id else {}


def _set_map_choice(target: Target, name: str, value: Any) -> None:
    choices = dict(state.get(state.MAP_CHOICES))
    choices[target.corpus_id] = {**choices.get(target.corpus_id, {}), name: value}
    state.set(state.MAP_CHOICES, choices)


def _write_map_model(target: Target, value: str) -> None:
    _set_map_choice(target, "model", _embedded()(target, value))


def _read_layout(corpus_id: str | None) -> dict[str, Any] | None:
    from components.map_view import CHOICE_DEFAULTS

    chosen = {k: v for k, v in _map_choices(corpus_id).items() if k != "model" and v != CHOICE_DEFAULTS.get(k)}
    return chosen or None


_LAYOUT_TEXT = {"metric": ("cosine", "euclidean"), "cluster_method": ("hdbscan", "kmeans"),
                "cluster_space": ("map", "pca", "embedding")}


def _write_layout(target: Target, value: Any) -> None:
    from components.map_view import CHOICE_DEFAULTS

    if not isinstance(value, dict):
        raise LinkNote("the map layout is not a JSON object")
    skipped = []
    for name, chosen in value.items():
        default = CHOICE_DEFAULTS.get(name)
        if name in _LAYOUT_TEXT and chosen in _LAYOUT_TEXT[name]:
            _set_map_choice(target, name, chosen)
        elif (name not in _LAYOUT_TEXT and name != "model" and isinstance(default, (int, float))
              and isinstance(chosen, (int, float)) and not isinstance(chosen, bool) and 0 <= chosen <= 500_000):
            _set_map_choice(target, name, type(default)(chosen))
        else:
            skipped.append(str(name)[:40])
    if skipped:
        note(f"Map settings not applied (unknown or out of range): {', '.join(skipped)}.")


def _check_color(target: Target, value: str) -> str:
    from components.map_view import CLUSTER

    if value == CLUSTER or value in target.corpus.metadata_columns:
        return value
    if value.startswith("Score:"):
        raise LinkNote("scores sent from another page are not part of a link (send them again from that page)")
    raise LinkNote(f"this corpus has no column {value[:60]!r} to colour by")


def _focus_id(corpus_id: str | None, key: str = state.FOCUS_ITEM) -> str | None:
    focus = state.get(key)
    return str(focus["id"]) if focus and focus.get("corpus_id") == corpus_id and focus.get("id") is not None else None


def _item_writer(key: str) -> Callable[[Target, str], None]:
    def write(target: Target, value: str) -> None:
        state.set(key, {"corpus_id": target.corpus_id, "id": target.require_item(value)})
    return write


def _read_selection(corpus_id: str | None) -> list[str] | None:
    selection = state.get(state.SELECTION)
    if selection and selection.get("corpus_id") == corpus_id and selection.get("ids"):
        return [str(i) for i in selection["ids"]]
    return None


def _write_selection(target: Target, value: Any) -> None:
    if not isinstance(value, list) or not all(isinstance(i, str) for i in value):
        raise LinkNote("the selection is not a list of item ids")
    known = set(target.corpus.ids)
    ids = [i for i in value if i in known]
    if not ids:
        raise LinkNote("none of its items are in this corpus")
    if len(ids) < len(value):
        note(f"{len(value) - len(ids):,} selected items of the link are not in this corpus.")
    state.set(state.SELECTION, {"corpus_id": target.corpus_id, "model_id": None, "ids": ids, "source": "link"})


def _read_query(_corpus_id: str | None) -> str | None:
    return (state.get(state.SEARCH_QUERIES) or {}).get(state.get(state.SEARCH_MODE)) or None


def _write_query(_target: Target, value: str) -> None:
    queries = dict(state.get(state.SEARCH_QUERIES) or {})
    queries[state.get(state.SEARCH_MODE)] = value
    state.set(state.SEARCH_QUERIES, queries)


def _read_axis(_corpus_id: str | None) -> dict[str, Any] | None:
    from engine.axes import recipe_from_dict

    recipe = state.get(state.AXES_RECIPE)
    try:
        return None if recipe is None else recipe_from_dict(recipe).to_dict()
    except EmbedscapeError:
        return None


def _check_axis(_target: Target, value: Any) -> Any:
    from engine.axes import recipe_from_dict

    if not isinstance(value, dict):
        raise LinkNote("the axis recipe is not a JSON object")
    try:
        return recipe_from_dict(value)
    except (EmbedscapeError, KeyError, TypeError, ValueError) as exc:
        raise LinkNote(f"the axis recipe cannot be read ({exc})") from exc


def _check_second_axis(target: Target, value: str) -> str:
    if value not in res.second_axis_choices(target.corpus_id):
        raise LinkNote("that axis is not saved for this corpus here (saved axes stay in the workspace, or with "
                       "the visitor, that saved them)")
    return value


def _embedded(at_least: int = 1) -> Callable[[Target, Any], Any]:
    """A check that keeps the link's models this corpus is embedded with (at least ``at_least``)."""
    def check(target: Target, value: Any) -> Any:
        if isinstance(value, (list, tuple)):
            return target.require_models(tuple(value), at_least=at_least)
        return target.require_models((value,))[0]
    return check


def _check_label(target: Target, value: str) -> str:
    if value not in target.corpus.metadata_columns:
        raise LinkNote(f"this corpus has no column {value[:60]!r}")
    return value


def _write_label(target: Target, value: str) -> None:
    state.set_label_column(target.corpus_id, _check_label(target, value))


# -- the filter (engine.filters, drawn by components.filter_view) ------------------------------------------
def _read_filter(corpus_id: str | None) -> dict[str, Any] | None:
    stored = st.session_state.get(_FILTERS, {}).get(current_page())
    return stored[1] if stored and stored[0] == corpus_id else None


def _write_filter(target: Target, value: Any) -> None:
    """Check the link's filter against the corpus now (notes belong at the top); the widgets
    take it when the page's filter builder first draws (:func:`seed_filter`)."""
    from components.filter_view import SELECTION_SET, _widget_kind
    from engine.filters import Filter

    if not isinstance(value, dict):
        raise LinkNote("the filter is not a JSON object")
    try:
        wanted = Filter.from_dict(value)
    except EmbedscapeError as exc:
        raise LinkNote(str(exc)) from exc
    frame, widgets, columns = target.corpus.frame, {}, []
    for condition in wanted.conditions:
        if condition.column not in target.corpus.metadata_columns:
            note(f"The link's filter names a column this corpus does not have ({condition.column[:60]!r}); that "
                 "condition is left out.")
            continue
        kind, suffix = _widget_kind(frame[condition.column]), f"_col_{len(columns)}_{condition.column}"
        if kind == "values" and condition.values is not None:
            options = {str(v) for v in frame[condition.column].drop_nulls().unique().to_list()}
            widgets[suffix] = [v for v in condition.values if v in options]
        elif kind == "range" and (condition.low is not None or condition.high is not None):
            series = frame[condition.column].drop_nulls()
            low, high = float(series.min()), float(series.max())
            chosen = (max(low, condition.low if condition.low is not None else low),
                      min(high, condition.high if condition.high is not None else high))
            widgets[suffix] = tuple(int(v) for v in chosen) if series.dtype.is_integer() else chosen
        elif kind == "contains" and condition.contains:
            widgets[suffix] = condition.contains
        else:
            note(f"The link's filter on {condition.column[:60]!r} does not fit that column here; it is left out.")
            continue
        columns.append(condition.column)
    for item_set in wanted.item_sets:
        if item_set.name == SELECTION_SET and not item_set.exclude:
            _write_selection(target, list(item_set.ids))
            widgets["_selection"] = True
        else:
            note(f"The link's filter uses the item set {item_set.name[:60]!r}, which a link cannot carry; it is "
                 "left out.")
    widgets["_columns"] = columns
    st.session_state[_PENDING_FILTER] = (current_page(), widgets)


def seed_filter(key_prefix: str) -> None:
    """The filter builder calls this before drawing: a link's filter becomes its widgets' values."""
    pending = st.session_state.get(_PENDING_FILTER)
    if pending and pending[0] == current_page():
        del st.session_state[_PENDING_FILTER]
        for suffix, value in pending[1].items():
            st.session_state[f"{key_prefix}{suffix}"] = value


def remember_filter(corpus_id: str, value: Any) -> None:
    """The filter builder calls this with the filter it returns: the page's link carries it."""
    filters = dict(st.session_state.get(_FILTERS, {}))
    entry = (corpus_id, None if value.is_empty else value.as_dict())
    if filters.get(current_page()) != entry:
        filters[current_page()] = entry
        st.session_state[_FILTERS] = filters
        sync()


# -- the Bias page's inputs (plain widget keys, read while the page is open) ---------------------------------
def _bias_options(target: Target) -> dict[str, Callable[[Any], bool]]:
    from engine import config
    from engine.bias import WEAT_TESTS, presets

    def one_of(options: Any) -> Callable[[Any], bool]:
        return lambda v: isinstance(v, str) and v in options

    def between(low: float, high: float, whole: bool = True) -> Callable[[Any], bool]:
        return lambda v: (isinstance(v, int) or (not whole and isinstance(v, float))) and not isinstance(v, bool) \
            and low <= v <= high

    return {
        "bias_model": one_of([config.BIAS_WORD_MODEL, *target.embedded]),
        "bias_preset": one_of([*presets(), "custom"]), "bias_weat_test": one_of([*WEAT_TESTS, "custom"]),
        "bias_method": one_of(("pca", "mean")), "bias_baseline": one_of(("random_pairs", "random_unit")),
        "bias_c": between(0.1, 5.0, whole=False), "bias_n_random": between(100, 5000),
        "bias_seed": between(0, 10_000), "bias_weat_perms": between(1000, 100_000), "bias_weat_seed": between(0, 10_000),
        "bias_weat_all": lambda v: isinstance(v, bool),
    }


BIAS_FIXED = ("bias_model", "bias_preset", "bias_method", "bias_c", "bias_baseline", "bias_n_random", "bias_seed",
              "bias_weat_test", "bias_weat_perms", "bias_weat_seed", "bias_weat_all")
_BIAS_TEXT = re.compile(r"^bias_(?:(?:pairs|targets|neutral)_[A-Za-z0-9_-]{1,40}|weat_[A-Za-z0-9_-]{1,40}_[XYAB])$")


def _bias_text_keys() -> list[str]:
    preset, test = st.session_state.get("bias_preset"), st.session_state.get("bias_weat_test")
    keys = [f"bias_{part}_{preset}" for part in ("pairs", "targets", "neutral")] if preset else []
    return keys + ([f"bias_weat_{test}_{side}" for side in "XYAB"] if test else [])


def _read_bias(_corpus_id: str | None) -> dict[str, Any] | None:
    values = {k: st.session_state[k] for k in (*BIAS_FIXED, *_bias_text_keys()) if k in st.session_state}
    values = {k: v for k, v in values.items() if isinstance(v, (str, int, float, bool))}
    return values or None


def _write_bias(target: Target, value: Any) -> None:
    if not isinstance(value, dict):
        raise LinkNote("the bias settings are not a JSON object")
    options, skipped = _bias_options(target), []
    for key, chosen in value.items():
        check = options.get(key)
        ok = check(chosen) if check else bool(_BIAS_TEXT.match(str(key))) and isinstance(chosen, str) \
            and len(chosen) <= 20_000
        if ok:
            st.session_state[key] = chosen
        else:
            skipped.append(str(key)[:40])
    if skipped:
        note(f"Bias settings not applied (unknown here or out of range): {', '.join(skipped)}.")


# -- the table --------------------------------------------------------------------------------------------
def _search_modes() -> tuple[str, ...]:
    from components.search_view import MODES

    return tuple(MODES)


def _axes_methods() -> tuple[str, ...]:
    from components.axes_editor import METHODS

    return tuple(METHODS)


_CORPUS = Binding(Field("corpus", max_chars=ITEM_ID, label="the corpus"), (), lambda _c: state.corpus_id(),
                  lambda _t, _v: None, keys=(state.CORPUS_ID,))  # applied first, by restore()
BINDINGS: tuple[Binding, ...] = (
    _CORPUS,
    key_binding("models", state.MODEL_IDS, (), check=_embedded(), corpus_bound=True, kind="list", max_chars=ITEM_ID,
                max_items=12, label="the models"),
    Binding(Field("label", max_chars=ITEM_ID, label="the label column"), (),
            lambda c: state.get(state.LABEL_COLUMNS).get(c) if c else None, _write_label, keys=(state.LABEL_COLUMNS,)),
    # Map
    Binding(Field("map_model", max_chars=ITEM_ID, label="the map's model"), ("Map",),
            lambda c: _map_choices(c).get("model"), _write_map_model, keys=(state.MAP_CHOICES,)),
    key_binding("method", state.MAP_METHOD, ("Map",), choices=("umap", "pca"), label="the map method"),
    key_binding("dims", state.MAP_DIMS, ("Map",), choices=("2-D", "3-D"), label="the map view (2-D/3-D)"),
    key_binding("color", state.MAP_COLOR, ("Map",), check=_check_color, corpus_bound=True, max_chars=ITEM_ID,
                label="the map colour"),
    Binding(Field("layout", "json", max_chars=1_000, label="the map's layout and cluster settings"), ("Map",),
            _read_layout, _write_layout, keys=(state.MAP_CHOICES,)),
    Binding(Field("sel", "json", max_chars=STORED_MAX_CHARS, stored=True, label="the map selection"), ("Map",),
            _read_selection, _write_selection, keys=(state.SELECTION,)),
    # Search
    key_binding("mode", state.SEARCH_MODE, ("Search",), choices=_search_modes(), label="the search mode"),
    Binding(Field("q", max_chars=10_000, multiline=True, stored=True, label="the search query"), ("Search",),
            _read_query, _write_query, corpus_bound=False, keys=(state.SEARCH_QUERIES, state.SEARCH_MODE)),
    Binding(Field("like", max_chars=ITEM_ID, label="the item to search from"), ("Search",),
            lambda c: _focus_id(c, state.SEARCH_ITEM), _item_writer(state.SEARCH_ITEM), keys=(state.SEARCH_ITEM,)),
    Binding(Field("f", "json", max_chars=STORED_MAX_CHARS, stored=True, label="the filter"), ("Search", "Map", "Axes"),
            _read_filter, _write_filter),
    # Map and Search: the item open in the side panel / item view
    Binding(Field("item", max_chars=ITEM_ID, label="the open item"), ("Map", "Search"),
            _focus_id, _item_writer(state.FOCUS_ITEM), keys=(state.FOCUS_ITEM,)),
    # Axes
    key_binding("axis", state.AXES_RECIPE, ("Axes",), check=_check_axis, read=_read_axis, kind="json", max_chars=STORED_MAX_CHARS,
                stored=True, label="the axis recipe"),
    key_binding("axes_method", state.AXES_METHOD, ("Axes",), choices=_axes_methods(), label="how the axis is defined"),
    key_binding("axis2", state.AXES_SECOND, ("Axes",), check=_check_second_axis, corpus_bound=True,
                max_chars=ITEM_ID + 10, label="the second axis"),
    # Bias
    Binding(Field("bias", "json", max_chars=STORED_MAX_CHARS, stored=True, label="the bias test"), ("Bias",),
            _read_bias, _write_bias),
    # Compare
    key_binding("cmp", state.COMPARE_MODELS, ("Compare",), check=_embedded(2), corpus_bound=True, kind="list",
                max_chars=ITEM_ID, max_items=12, label="the compared models"),
    key_binding("k", state.COMPARE_K, ("Compare",), kind="int", low=2, high=100, label="k (neighbours)"),
    Binding(Field("item", max_chars=ITEM_ID, label="the open item"), ("Compare",),
            lambda c: _focus_id(c, state.COMPARE_ITEM), _item_writer(state.COMPARE_ITEM), keys=(state.COMPARE_ITEM,)),
    # Geometry
    key_binding("geo_model", state.GEOMETRY_MODEL, ("Geometry",), check=_embedded(), corpus_bound=True,
                max_chars=ITEM_ID, label="the model in detail"),
    key_binding("topics", state.GEOMETRY_TOPICS, ("Geometry",), max_chars=20_000, multiline=True, stored=True,
                label="the topics"),
)
_BOUND_KEYS = frozenset(key for binding in BINDINGS for key in binding.keys)
OWNED_PARAMS = frozenset({VERSION_PARAM, *(b.field.name for b in BINDINGS)})


def bindings_for(page: str) -> tuple[Binding, ...]:
    """The values a link from ``page`` carries (the page label: Home, Map, Search…)."""
    return tuple(b for b in BINDINGS if not b.pages or page in b.pages)


def current_page() -> str:
    """The running page's label (``Home`` for app.py), as the sidebar names it."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    try:
        path = Path(ctx.pages_manager.get_pages()[ctx.page_script_hash]["script_path"])
    except (AttributeError, KeyError, TypeError):
        return "Home"
    return "Home" if path.stem == "app" else path.stem.split("_", 1)[-1].replace("_", " ")


# -- reading a link -------------------------------------------------------------------------------------------
def note(text: str) -> None:
    """Add a plain-text note about the link being opened (shown at the top of its page)."""
    st.session_state.setdefault(_NOTES, (current_page(), []))[1].append(text)


def restore() -> None:
    """On a session's first run: apply the link in the query to session state (before any widget).

    Never raises on the link's content: what does not apply becomes a note, the rest applies.
    """
    if not st.session_state.get(_RESTORED):
        st.session_state[_RESTORING] = True
        try:
            _apply(st.query_params.to_dict())
        finally:
            st.session_state[_RESTORED] = True
            st.session_state[_RESTORING] = False
    _show_notes()


def _apply(params: dict[str, str]) -> None:
    page = current_page()
    bindings = bindings_for(page)
    if not any(b.field.name in params for b in bindings):
        return
    store = res.store()
    decoded: DecodedView = decode(params, [b.field for b in bindings], load=LinkStore(store.root).load)
    for text in decoded.notes:
        note(text)
    corpus_id = state.corpus_id()
    wanted = decoded.values.get("corpus")
    if wanted is not None:
        found = next((m["corpus_id"] for m in store.list_corpora() if wanted in (m["corpus_id"], m.get("name"))), None)
        if found is None:
            note(f"The link's corpus ({wanted[:40]!r}) is not in this workspace (or not open to you: an upload opens "
                 "only through its owner's share link). Its other settings apply where they can.")
            corpus_id = None
        elif found != corpus_id:
            state.set(state.CORPUS_ID, found)
            state.set(state.MODEL_IDS, ())
            corpus_id = found
    target = Target(corpus_id if wanted is None or corpus_id else None)
    for binding in bindings:
        value = decoded.values.get(binding.field.name)
        if binding is _CORPUS or value is None:
            continue
        if binding.corpus_bound and target.corpus_id is None:
            note(f"Not applied: {binding.field.what} (it belongs to the link's corpus).")
            continue
        try:
            binding.write(target, value)
        except LinkNote as exc:
            note(f"Not applied: {binding.field.what}: {exc}.")
        except EmbedscapeError as exc:  # e.g. the corpus could not be read
            note(f"Not applied: {binding.field.what}: {exc}")


def _show_notes() -> None:
    page, notes = st.session_state.get(_NOTES, (None, []))
    if notes and page == current_page():
        st.warning("This link could not reopen everything:\n\n" + "\n\n".join(f"- {escape_markdown(n)}" for n in notes),
                   icon=":material/link_off:")


# -- writing the URL ------------------------------------------------------------------------------------------
def link_params(page: str | None = None) -> dict[str, str]:
    """The query that reopens the current view of ``page`` (default: the running page)."""
    corpus_id = state.corpus_id()
    values = {}
    for binding in bindings_for(page or current_page()):
        try:
            values[binding.field.name] = binding.read(corpus_id)
        except (EmbedscapeError, KeyError, TypeError, ValueError, AttributeError):
            continue  # a value from an older session that no longer reads: the link leaves it out
    fields = [b.field for b in bindings_for(page or current_page())]
    return encode(values, fields, save=LinkStore(res.store().root).save)


def sync() -> None:
    """Write the current view to ``st.query_params`` (other params, e.g. the demo's visitor, stay)."""
    if not st.session_state.get(_RESTORED) or st.session_state.get(_RESTORING):
        return
    current = st.query_params.to_dict()
    desired = {k: v for k, v in current.items() if k not in OWNED_PARAMS} | link_params()
    if desired != current:
        st.query_params.from_dict(desired)


def _on_state_change(name: str) -> None:
    if name in _BOUND_KEYS:
        sync()
        st.session_state[_CHANGED] = {*st.session_state.get(_CHANGED, ()), name}


def follow_link(*names: str) -> None:
    """The last call of a nested fragment whose controls the link carries (``names``: their session
    keys). A nested fragment reruns alone, so the page's "Share this view" box (drawn by the body)
    would keep the old link: when one of ``names`` changed since the box was drawn, rerun the page."""
    changed = st.session_state.get(_CHANGED, set())
    if not changed & set(names):
        return
    st.session_state[_CHANGED] = changed - set(names)
    if not _fragment_rerun():
        return  # a full run draws the link box after this fragment: nothing to catch up (and no loop)
    # only when the link itself differs: a key set again to its old value must not rerun the page
    drawn = st.session_state.get(_DRAWN, {}).get(current_page())
    if drawn is not None and link_params() != drawn:
        st.rerun()


def _fragment_rerun() -> bool:
    """True while only fragments rerun (not the whole script). Streamlit exposes no public flag, so
    this reads the run context; without one (bare mode) it says False, the safe answer."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx(suppress_warning=True)
    return bool(ctx is not None and getattr(ctx, "fragment_ids_this_run", None))


state.add_listener(_on_state_change)


def link_box() -> None:
    """The last call of each page: "Share this view", the link in a code box with a copy button."""
    from components import visitor

    sync()
    st.session_state[_CHANGED] = set()  # the box below shows every change so far
    params = link_params()
    st.session_state[_DRAWN] = {**st.session_state.get(_DRAWN, {}), current_page(): params}
    corpus_id = state.corpus_id()
    with st.expander("Share this view", icon=":material/link:"):
        if visitor.settings().demo and corpus_id and not visitor.is_shared_demo(res.store(), corpus_id):
            if st.checkbox("Let the link open my uploaded corpus", key="share_include_corpus",
                           help="Adds a share token: whoever opens the link gets a copy of this corpus (not your other "
                                "corpora or saved axes). Without it, the link opens only for you."):
                tokens = st.session_state.setdefault(_SHARE_TOKENS, {})
                if corpus_id not in tokens:
                    tokens[corpus_id] = res.store().share(corpus_id)
                params = {visitor.SHARE_QUERY: tokens[corpus_id], **params}
        base = (st.context.url or "").split("?", 1)[0]
        st.code(f"{base}?{urlencode(params)}", language=None, wrap_lines=True)
        st.caption("Copy it with the button at the box's right. Opened in another browser, it shows this page with "
                   "the same corpus, models, settings and selected item. Long values (queries, recipes, filters) are "
                   "stored in the workspace under a short id, so the link works where that workspace is served.")
