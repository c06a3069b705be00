"""The Axes page's "define an axis" controls: each method's widgets return a typed recipe.

``axis_editor`` draws the controls and returns a new recipe (engine.axes recipe dataclass) when
the user presses Build, else None. No math here.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl
import streamlit as st

from components import state
from components.feedback import escape_markdown
from engine.axes import (AxisPreset, AxisRecipe, ExpressionRecipe, ItemsRecipe, PolesRecipe, ProbeLogisticRecipe,
                         ProbeRidgeRecipe, SelectionRecipe, recipe_for_saved, recipe_from_dict)
from engine.labels import shorten
from engine.types import Corpus

METHODS: dict[str, str] = {
    "preset": "Preset",
    "poles": "Two poles (texts or words)",
    "expression": "Expression",
    "items": "Two items from the corpus",
    "probe": "Labelled items (probe)",
    "selection": "Map selection",
    "saved": "Saved axis",
}


def current_recipe() -> AxisRecipe | None:
    """The active recipe from session state (a dict from an older session is read as a recipe)."""
    recipe = state.get(state.AXES_RECIPE)
    return None if recipe is None else recipe_from_dict(recipe)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def axis_editor(
    corpus: Corpus,
    *,
    presets: Sequence[AxisPreset],
    saved: Sequence[Mapping[str, Any]],
    numeric_columns: Sequence[str],
    pole_handoff: Mapping[str, Any] | None,
    current: AxisRecipe | None,
    key: str = "axes",
) -> AxisRecipe | None:
    """Draw the "define an axis" controls; return a new recipe when the user presses Build.

    Returns None when nothing was submitted this run (the page keeps the current recipe).
    """
    method = st.segmented_control(
        "Define the axis from", list(METHODS), format_func=METHODS.__getitem__,
        help="Presets and typed poles work in every model; items and probes use this corpus's own vectors.",
        **state.bind(state.AXES_METHOD)) or "preset"
    if method == "preset":
        return _preset_editor(presets, key=key)
    if method == "poles":
        return _poles_editor(current if isinstance(current, PolesRecipe) else None, key=key)
    if method == "expression":
        with st.form(f"{key}_expression_form", border=False):
            expression = st.text_input(
                "Axis expression", value="good - bad", key=f"{key}_expression",
                help='Terms after + push scores up, terms after - push them down: "good - bad", '
                     '"king - man + woman", or quoted phrases: "a sunny day" - "a rainy day". '
                     "A hyphen inside a word (well-being) is part of the word.")
            if st.form_submit_button("Build axis", type="primary"):
                return ExpressionRecipe(expression=expression)
        return None
    if method == "items":
        return _items_editor(corpus, key=key)
    if method == "probe":
        return _probe_editor(corpus, numeric_columns, key=key)
    if method == "selection":
        return _selection_editor(corpus, pole_handoff, key=key)
    return _saved_editor(saved, key=key)


def _preset_editor(presets: Sequence[AxisPreset], *, key: str) -> AxisRecipe | None:
    with st.form(f"{key}_preset_form", border=False):
        chosen = st.selectbox("Preset", [p.name for p in presets], key=f"{key}_preset",
                              help="Seed texts per pole from assets/axes/presets.json; copy them into 'Two poles' "
                                   "to edit.")
        preset = next(p for p in presets if p.name == chosen)
        st.caption(escape_markdown(preset.description))
        if st.form_submit_button("Build axis", type="primary"):
            return preset.recipe
    return None


def _poles_editor(seed: PolesRecipe | None, *, key: str) -> AxisRecipe | None:
    labels = seed.labels if seed and seed.labels else ("", "")
    with st.form(f"{key}_poles_form", border=False):
        left, right = st.columns(2)
        pos_label = left.text_input("Positive end label", value=labels[0], key=f"{key}_pos_label",
                                    help="What high scores mean (optional).")
        neg_label = right.text_input("Negative end label", value=labels[1], key=f"{key}_neg_label",
                                     help="What low scores mean (optional).")
        positive = left.text_area("Positive pole: one text or word per line",
                                  value="\n".join(seed.positive if seed else ()), key=f"{key}_positive",
                                  height=150, help="Several seeds make a steadier axis and a meaningful "
                                                   "stability band. Word models average the words of a line.")
        negative = right.text_area("Negative pole: one text or word per line",
                                   value="\n".join(seed.negative if seed else ()), key=f"{key}_negative",
                                   height=150, help="The opposite end.")
        if st.form_submit_button("Build axis", type="primary"):
            both = pos_label.strip() and neg_label.strip()
            return PolesRecipe(positive=_lines(positive), negative=_lines(negative),
                               labels=(pos_label.strip(), neg_label.strip()) if both else None)
    return None


def _selection_editor(corpus: Corpus, pole_handoff: Mapping[str, Any] | None, *, key: str) -> AxisRecipe | None:
    if not pole_handoff or pole_handoff.get("corpus_id") != corpus.corpus_id or not pole_handoff.get("ids"):
        st.info("No selection yet: lasso some points on the **Map** page and press *Use as axis pole*.")
        return None
    n = len(pole_handoff["ids"])
    st.caption(f"{n:,} items selected on the Map, e.g. “{escape_markdown(shorten(pole_handoff['texts'][0], 80))}”.")
    label = st.text_input("Label for the selection", value="selection", key=f"{key}_selection_label",
                          help="The positive end; the negative end is the rest of the corpus.")
    if st.button("Build axis", type="primary", key=f"{key}_selection_build",
                 help="Direction = mean of the selection minus mean of the other items."):
        return SelectionRecipe(positive_ids=tuple(pole_handoff["ids"]),
                               labels=(label.strip() or "selection", "rest of corpus"))
    return None


def _saved_editor(saved: Sequence[Mapping[str, Any]], *, key: str) -> AxisRecipe | None:
    if not saved:
        st.info("No saved axes for this corpus yet: build one and press *Save axis*.")
        return None
    names = {r["key"]: f"{r['name']} ({r['method']})" for r in saved}
    with st.form(f"{key}_saved_form", border=False):
        chosen = st.selectbox("Saved axis", list(names), format_func=names.__getitem__, key=f"{key}_saved",
                              help="Axes saved for this corpus; each is rebuilt from its recipe in the chosen model.")
        if st.form_submit_button("Build axis", type="primary"):
            return recipe_for_saved(next(r for r in saved if r["key"] == chosen))
    return None


def _item_picker(corpus: Corpus, label: str, *, key: str) -> str | None:
    query = st.text_input(f"Find the {label} item", value="", key=f"{key}_query",
                          help="Type words that occur in the item; the first 200 matches are listed.")
    frame = corpus.frame.select("id", "text")
    if query.strip():
        frame = frame.filter(pl.col("text").str.contains(query.strip(), literal=True))
    frame = frame.head(200)
    if frame.height == 0:
        st.caption("No item contains that text.")
        return None
    ids = frame["id"].to_list()
    texts = dict(zip(ids, frame["text"].to_list()))
    return st.selectbox(f"{label.capitalize()} item", ids, key=f"{key}_pick",
                        format_func=lambda i: f"{i}: {shorten(texts[i], 90)}",
                        help="The item at this end of the axis.")


def _items_editor(corpus: Corpus, *, key: str) -> AxisRecipe | None:
    left, right = st.columns(2)
    with left:
        positive = _item_picker(corpus, "positive", key=f"{key}_pos_item")
    with right:
        negative = _item_picker(corpus, "negative", key=f"{key}_neg_item")
    if st.button("Build axis", type="primary", key=f"{key}_items_build",
                 help="Direction = the positive item's vector minus the negative item's."):
        if positive is None or negative is None or positive == negative:
            st.warning("Pick two different items.")
            return None
        return ItemsRecipe(positive_ids=(positive,), negative_ids=(negative,))
    return None


def _probe_editor(corpus: Corpus, numeric_columns: Sequence[str], *, key: str) -> AxisRecipe | None:
    columns = [c for c in corpus.metadata_columns if corpus.frame[c].drop_nulls().n_unique() > 1]
    if not columns:
        st.info("This corpus has no metadata column with two or more values to learn an axis from.")
        return None
    column = st.selectbox("Label column", columns, key=f"{key}_probe_column",
                          help="Numeric columns fit a ridge regression (axis toward higher values); other "
                               "columns fit a two-class logistic regression.")
    series = corpus.frame[column].drop_nulls()
    classes: tuple[str, str] | None = None
    if column in numeric_columns:
        st.caption(f"Ridge regression on {series.len():,} labelled items; the axis points toward higher "
                   f"{escape_markdown(column)}.")
    else:
        values = sorted({str(v) for v in series.to_list()})[:500]
        left, right = st.columns(2)
        positive = left.selectbox("Positive class", values, key=f"{key}_probe_pos",
                                  help="Scores grow toward this class.")
        others = [c for c in values if c != positive]
        if not others:
            st.info("The column needs at least two classes.")
            return None
        negative = right.selectbox("Negative class", others, key=f"{key}_probe_neg", help="The other class.")
        classes = (positive, negative)
    sample = st.number_input("Use at most this many labelled items (0 = all)", 0, 1_000_000, 0, step=10,
                             key=f"{key}_probe_sample",
                             help="Fit from a few examples to see how many labels the axis needs.")
    if st.button("Build axis", type="primary", key=f"{key}_probe_build",
                 help="Fit the probe; its coefficient vector, normalised, is the axis."):
        if classes is None:
            return ProbeRidgeRecipe(column=column, sample=int(sample))
        return ProbeLogisticRecipe(column=column, sample=int(sample), classes=classes, positive_class=classes[0])
    return None
