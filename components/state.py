"""Every ``st.session_state`` key Embedscape uses, with its type and default.

The app uses Streamlit's ``pages/`` directory mode, where a widget's own key is deleted when the
user switches page. Durable values live under the names below; widgets bind to a shadow key
(``_w_<name>``) and copy their value back on change (Streamlit docs: multipage-apps/widgets).
Pages never invent keys: add one here, with its type, and use the constant.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import streamlit as st

# -- the shared frame (sidebar) ----------------------------------------------------------------
CORPUS_ID: Final = "corpus_id"  # str | None: the active corpus
MODEL_IDS: Final = "model_ids"  # tuple[str, ...]: the active models (embedded for the corpus)
LABEL_COLUMNS: Final = "label_columns"  # dict[corpus_id, str | None]: the label column chosen per corpus

# -- hand-offs between pages ---------------------------------------------------------------------
# Each hand-off is a small dict so the receiving page can say where it came from.
SELECTION: Final = "selection"  # dict(corpus_id, model_id, ids: list[str], source: str) from a map lasso
SEARCH_HITS: Final = "search_hits"  # dict(corpus_id, model_id, ids: list[str], scores: list[float], query: str)
COLOR_SCORES: Final = "color_scores"  # dict(corpus_id, name: str, ids: list[str], scores: list[float])
FOCUS_ITEM: Final = "focus_item"  # dict(corpus_id, id: str): "open this item" from another page
AXIS_POLE: Final = "axis_pole"  # dict(corpus_id, ids: list[str], texts: list[str]): selection as an axis pole
WORD_SET: Final = "word_set"  # dict(corpus_id, texts: list[str]): selection as a bias word set

# -- search page -----------------------------------------------------------------------------------
SEARCH_QUERIES: Final = "search_queries"  # dict[mode, str]: the query typed in each search mode (each keeps its own)
SEARCH_MODE: Final = "search_mode"  # str: semantic | keyword | hybrid | arithmetic | similar
SEARCH_ITEM: Final = "search_item"  # dict(corpus_id, id: str) | None: the item "More like this" searches from

# -- map page --------------------------------------------------------------------------------------
# dict[corpus_id, dict[str, Any]]: the Map's model, layout and clustering choices *per corpus*, so a
# corpus opens with its own choices (or the defaults: the sidebar's first model), never another's
MAP_CHOICES: Final = "map_choices"
MAP_METHOD: Final = "map_method"  # str: umap | pca
MAP_DIMS: Final = "map_dims"  # str: "2-D" | "3-D"
MAP_COLOR: Final = "map_color"  # str: "Cluster", a metadata column, or "Score: <name>"

# -- tags and curated clusters (components/tag_picker.py, components/cluster_curation.py) ------------
MAP_CURATED: Final = "map_curated"  # dict[corpus_id, str | None]: the named clustering the Map shows (None: computed)
TAG_NOTICE: Final = "tag_notice"  # str | None: the last tagging/curation outcome, shown once (plain text)

# -- axes page -------------------------------------------------------------------------------------
AXES_RECIPE: Final = "axes_recipe"  # engine.axes recipe (a dict from older sessions is read too) | None: the active axis on Axes
AXES_METHOD: Final = "axes_method"  # str: how the axis is defined (preset | poles | expression | items | probe | selection | saved)
AXES_SECOND: Final = "axes_second"  # str | None: the second axis of the two-axis scatter ("preset:<name>" | "saved:<key>")
AXES_SAVE_NAME_FOR: Final = "axes_save_name_for"  # str | None: recipe JSON whose name the "Save as" box was filled with

# -- geometry page ---------------------------------------------------------------------------------
GEOMETRY_MODEL: Final = "geometry_model"  # str | None: the model whose details the Geometry page shows
GEOMETRY_TOPICS: Final = "geometry_topics"  # str: the keyword topics typed on the Geometry page ("name: kw, kw" lines)

# -- compare page ----------------------------------------------------------------------------------
COMPARE_MODELS: Final = "compare_models"  # tuple[str, ...]: the models compared (two or more embedded ones)
COMPARE_K: Final = "compare_k"  # int: neighbours per item
COMPARE_ITEM: Final = "compare_item"  # dict(corpus_id, id) | None: the item open in the item view
COMPARE_FOCUS_SEEN: Final = "compare_focus_seen"  # dict | None: the FOCUS_ITEM hand-off already opened here
COMPARE_SELECTION: Final = "compare_selection"  # dict(corpus_id, rows: list[int], source: model id) | None:
#   points selected in one aligned map, highlighted in all of them

# -- the session filter (issue 16: cross-filtered metadata) -------------------------------------------
# dict[corpus_id, str]: the one session filter per corpus, as engine.filters.Filter JSON (so a link can
# carry it). The Map's linked charts and chips set it; Map, Search and Axes apply it (components.filter_view).
ACTIVE_FILTER: Final = "active_filter"
CROSSFILTER_EPOCH: Final = "crossfilter_epoch"  # int: bumped when a chip is removed, so the charts redraw unbrushed
CROSSFILTER_CHARTS: Final = "crossfilter_charts"  # bool: draw the Map's linked metadata charts (the filter applies either way)

# -- home page -------------------------------------------------------------------------------------
# Recipes and reports (components/recipe_panel.py)
RECIPE_BIAS: Final = "recipe_bias"  # dict(corpus_id, weat: WeatItem | None, direction: DirectionItem | None): the Bias page's tests
RECIPE_LAST_RUN: Final = "recipe_last_run"  # dict(corpus_id, title, rows, notes, html, markdown) | None: the last recipe run or report
LAST_INGEST: Final = "last_ingest"  # dict: the latest ingest report, shown on the home page
LAST_EMBED: Final = "last_embed"  # list[dict]: the latest embed summaries (one per model, each with its corpus_id)

_DEFAULTS: Final[dict[str, Any]] = {
    CORPUS_ID: None,
    MODEL_IDS: (),
    LABEL_COLUMNS: {},
    SELECTION: None,
    SEARCH_HITS: None,
    COLOR_SCORES: None,
    FOCUS_ITEM: None,
    AXIS_POLE: None,
    WORD_SET: None,
    SEARCH_QUERIES: {},
    SEARCH_MODE: "semantic",
    SEARCH_ITEM: None,
    MAP_CHOICES: {},
    MAP_METHOD: "umap",
    MAP_DIMS: "2-D",
    MAP_COLOR: "Cluster",
    MAP_CURATED: {},
    TAG_NOTICE: None,
    AXES_RECIPE: None,
    AXES_METHOD: "preset",
    AXES_SECOND: None,
    AXES_SAVE_NAME_FOR: None,
    GEOMETRY_MODEL: None,
    GEOMETRY_TOPICS: "",
    LAST_INGEST: None,
    LAST_EMBED: None,
    COMPARE_MODELS: (),
    COMPARE_K: 10,
    COMPARE_ITEM: None,
    COMPARE_FOCUS_SEEN: None,
    COMPARE_SELECTION: None,
    RECIPE_BIAS: None,
    RECIPE_LAST_RUN: None,
    ACTIVE_FILTER: {},
    CROSSFILTER_EPOCH: 0,
    CROSSFILTER_CHARTS: True,
}


# Called with a key's name after its durable value changes (state.set or a bound widget), in the
# script thread, fragment reruns included: components/share.py keeps the page's link in the URL.
_LISTENERS: list[Callable[[str], None]] = []


def add_listener(listener: Callable[[str], None]) -> None:
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)


def _changed(name: str) -> None:
    for listener in _LISTENERS:
        listener(name)


def get(name: str) -> Any:
    """The durable value of ``name`` (its default if unset)."""
    if name not in _DEFAULTS:
        raise KeyError(f"Unknown session key {name!r}: declare it in components/state.py")
    return st.session_state.get(name, _DEFAULTS[name])


def set(name: str, value: Any) -> None:  # noqa: A001 - mirrors get()
    if name not in _DEFAULTS:
        raise KeyError(f"Unknown session key {name!r}: declare it in components/state.py")
    st.session_state[name] = value
    _changed(name)


def corpus_id() -> str | None:
    return get(CORPUS_ID)


def model_ids() -> tuple[str, ...]:
    return tuple(get(MODEL_IDS) or ())


def label_column(corpus_id: str | None, *, default: str | None = None) -> str | None:
    """The label column chosen for ``corpus_id`` (``default`` until the user picks one)."""
    chosen = get(LABEL_COLUMNS)
    return chosen.get(corpus_id, default) if corpus_id else None


def set_label_column(corpus_id: str, column: str | None) -> None:
    chosen = dict(get(LABEL_COLUMNS))
    chosen[corpus_id] = column
    set(LABEL_COLUMNS, chosen)


def bind(name: str) -> dict[str, Any]:
    """Widget kwargs that keep ``name`` alive across pages (shadow key + on_change copy)."""
    shadow = f"_w_{name}"
    st.session_state[shadow] = get(name)
    return {"key": shadow, "on_change": _keep, "args": (name,)}


def bind_entry(name: str, entry: str) -> dict[str, Any]:
    """Like :func:`bind` for one entry of a dict-valued key (e.g. one search mode's query)."""
    shadow = f"_w_{name}_{entry}"
    st.session_state[shadow] = (get(name) or {}).get(entry, "")
    return {"key": shadow, "on_change": _keep_entry, "args": (name, entry)}


def _keep_entry(name: str, entry: str) -> None:
    values = dict(get(name) or {})
    values[entry] = st.session_state[f"_w_{name}_{entry}"]
    st.session_state[name] = values
    _changed(name)


def _keep(name: str) -> None:
    value = st.session_state[f"_w_{name}"]
    st.session_state[name] = tuple(value) if isinstance(value, list) else value
    _changed(name)
