"""The Bias page's parts: the model settings, each tab's inputs and results, and the wait status.

The page reads every tab's inputs first, then (before the tabs, where the user is looking) loads
the model and embeds every word the tabs will need with a visible status and progress bar, and
only then draws the results. Sentence models embed each word through templates, which takes
15-40 s for a fresh model; a spinner inside a hidden tab would leave the page greyed out with
nothing to read. Charts and frames come from :mod:`components.bias_view`.
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import streamlit as st

from components import bias_view, item_detail, state
from components import resources as res
from components.feedback import escape_markdown, progress_reporter
from components.handoff import colour_map_with_scores
from engine import config
from engine.bias import (
    FIRST_PC_THRESHOLD, WEAT_TESTS, BiasPreset, DebiasSpec, DirectionSpec, WeatQuery, default_pool_size,
    parse_pairs, parse_words, presets,
)
from engine.models import resolve_model

TAB_NAMES = ("Direction", "WEAT", "Debias preview")
_SILENT_WORDS = 40  # templated words embedded without a status (a fraction of a second here)


@dataclass(frozen=True, slots=True)
class BiasModel:
    """The model the page analyses words in, and how it looks words up."""

    model_id: str
    display_name: str
    kind: str
    templates: tuple[str, ...]
    lexical_corpus_id: str | None
    pool_size: int

    @property
    def key(self) -> tuple[str, tuple[str, ...], str | None]:
        """The ``res.bias_*`` cache arguments (model id, templates, lexical corpus id)."""
        return self.model_id, self.templates, self.lexical_corpus_id


@dataclass(frozen=True, slots=True)
class DirectionInputs:
    spec: DirectionSpec
    preset_id: str
    base: BiasPreset


@dataclass(frozen=True, slots=True)
class WeatInputs:
    query: WeatQuery | None  # None until all four sets have words
    run_all: bool
    n_permutations: int
    seed: int


# -- model -------------------------------------------------------------------------------------------------
def model_settings(corpus_id: str, model_ids: tuple[str, ...]) -> BiasModel:
    """Model picker (the word model first) and, for sentence models, the templates."""
    word_model = config.BIAS_WORD_MODEL
    options = [word_model] + [m for m in model_ids if m != word_model]
    model_id = st.selectbox(
        "Model", options, format_func=lambda m: resolve_model(m).display_name, key="bias_model",
        help="Word vectors (GloVe) are the classic setting for these measures. Sentence models are probed through "
             "templates (a first run embeds about a thousand words: 15-40 s). The word analyses do not need the "
             "corpus to be embedded with this model.",
    )
    spec = resolve_model(model_id)
    templates: tuple[str, ...] = ()
    if spec.kind == "sentence":
        templates = parse_words(st.text_area(
            "Templates (one per line)", "\n".join(config.BIAS_TEMPLATES), height=80, key="bias_templates",
            help="Each word is embedded in every template, with {word} replaced; the vectors are averaged (SEAT, "
                 "May et al. 2019). Use e.g. 'This is {word}.' for names.",
        ).replace(",", "\n"))
    return BiasModel(model_id, spec.display_name, spec.kind, templates,
                     corpus_id if spec.kind == "lexical" else None, default_pool_size(spec))


def load_model(model: BiasModel) -> None:
    """Load the model with a visible status (seconds for a sentence model); silent once loaded.

    Call it inside a container placed above the tabs, before anything else is computed.
    """
    embedder = res.bias_embedder(*model.key)
    if embedder.loaded:
        return
    started = time.perf_counter()
    name = escape_markdown(model.display_name)  # status labels are Markdown; a typed model name is user text
    with st.status(f"Loading {name}…", expanded=True) as status:
        st.write(f"Loading {name} for word lookups (once per server).")
        embedder.load()
        status.update(label=f"{name} loaded in {time.perf_counter() - started:.1f} s",
                      state="complete", expanded=False)


def prepare_words(model: BiasModel, words: Iterable[str]) -> None:
    """Embed ``words`` plus the reference vocabulary, with a visible status and progress bar.

    Call it inside a container placed above the tabs. Silent when there is little to do.
    """
    embedder = res.bias_embedder(*model.key)
    wanted = tuple(dict.fromkeys([*words, *embedder.vocabulary_words(model.pool_size)]))
    todo = embedder.pending(wanted) if model.kind != "word" else 0  # GloVe lookups are instant
    if todo * max(1, len(model.templates)) <= _SILENT_WORDS:
        embedder.embed(wanted)
        return
    started = time.perf_counter()
    how = f"through {len(model.templates)} template(s)" if model.templates else "one by one"
    name = escape_markdown(model.display_name)
    with st.status(f"Embedding {todo:,} words with {name}…", expanded=True) as status:
        update, finish = progress_reporter(f"Embedding words {how}")
        embedder.embed(wanted, progress=update)
        finish()
        status.update(label=f"{name} ready: {todo:,} words embedded in "
                            f"{time.perf_counter() - started:.1f} s (remembered for the next runs)",
                      state="complete", expanded=False)


# -- direction -------------------------------------------------------------------------------------------
def direction_inputs(model: BiasModel, corpus_id: str) -> DirectionInputs:
    """Preset, pairs, targets, neutral words and options; the parsed spec."""
    all_presets = presets()
    titles = {pid: p.title for pid, p in all_presets.items()} | {"custom": "Custom word sets"}
    handoff = state.get(state.WORD_SET)
    if handoff and handoff.get("corpus_id") == corpus_id and handoff.get("texts"):
        titles["map"] = f"Words selected on the Map ({len(handoff['texts'])})"
    preset_id = st.selectbox(
        "Preset", list(titles), format_func=titles.__getitem__, key="bias_preset",
        help="A starting point: definitional pairs, target words to project, neutral words for direct bias. "
             "Edit any list below.",
    )
    base = all_presets.get(preset_id, all_presets["gender"])
    default_targets = handoff["texts"] if preset_id == "map" else (base.targets if preset_id != "custom" else ())
    st.caption(escape_markdown(base.description) if preset_id in all_presets else "Type your own pairs and words.")
    pairs_text = st.text_area(
        "Definitional pairs (first, second)", "\n".join(f"{a}, {b}" for a, b in base.pairs), height=180,
        key=f"bias_pairs_{preset_id}",
        help="One pair per line. The direction is the first principal component of the centred pairs "
             "(Bolukbasi et al. 2016); positive scores lean toward the first members.",
    )
    targets = parse_words(st.text_area(
        "Target words to project", ", ".join(default_targets), height=120, key=f"bias_targets_{preset_id}",
        help="Words (or short texts) to place along the direction, comma- or line-separated.",
    ))
    with st.expander("Neutral words and options"):
        neutral = parse_words(st.text_area(
            "Neutral words (direct bias)", ", ".join(base.neutral), height=100, key=f"bias_neutral_{preset_id}",
            help="Words that should have no lean; direct bias is the mean of |cos(word, direction)|^c over them.",
        ))
        method = st.radio("Direction", ["pca", "mean"], horizontal=True, key="bias_method",
                          format_func={"pca": "First principal component", "mean": "Mean pair difference"}.get,
                          help="PCA is Bolukbasi et al.'s method; the mean difference is a simpler check.")
        c = st.number_input("Strictness c", 0.1, 5.0, 1.0, 0.1, key="bias_c",
                            help="Exponent in the direct bias; 1 is the usual choice, larger values stress "
                                 "strongly biased words.")
        baseline = st.radio("Random baseline", ["random_pairs", "random_unit"], horizontal=True, key="bias_baseline",
                            format_func={"random_pairs": "Random word pairs", "random_unit": "Random unit vectors"}.get,
                            help="Directions to compare with. Embedding spaces are anisotropic, so differences of "
                                 "random frequent-word pairs are the fairer yardstick.")
        n_random = int(st.number_input("Random directions", 100, 5000, config.BIAS_RANDOM_DIRECTIONS, 100,
                                       key="bias_n_random", help="How many random directions form the baseline."))
        seed = int(st.number_input("Seed", 0, 10_000, 0, key="bias_seed",
                                   help="Seed for the random baseline, so results repeat exactly."))
    pairs = parse_pairs(pairs_text)  # after every widget: a bad line must not hide the options
    spec = DirectionSpec(pairs=pairs, targets=targets, neutral=neutral, name=titles[preset_id], method=method,
                         c=float(c), n_random=n_random, baseline=baseline, pool_size=model.pool_size, seed=seed)
    return DirectionInputs(spec, preset_id, base)


def direction_results(model: BiasModel, corpus_id: str, inputs: DirectionInputs) -> None:
    """The direction's quality, the targets along it, direct bias and the corpus ranked along it."""
    report = res.bias_direction(*model.key, inputs.spec)
    direction = report.direction
    if direction.warning:
        st.warning(escape_markdown(direction.warning), icon="⚠️")  # it quotes the user's words
    cols = st.columns(3)
    if report.projection is not None:
        n_known = len(report.projection.words)
        cols[2].metric("Targets known", f"{n_known} of {n_known + len(report.projection.missing)}",
                       help="Target words the model can represent; unknown ones are listed under the chart.")
    cols[0].metric("Variance explained by PC1", "—" if direction.explained is None else f"{direction.explained:.0%}",
                   help=f"Below {FIRST_PC_THRESHOLD:.0%} the pairs do not share one clear direction.")
    cols[1].metric("Pairs used", f"{len(direction.pairs_used)}",
                   f"-{len(direction.missing_pairs)} unknown" if direction.missing_pairs else None,
                   help="Pairs with a word the model does not know are dropped.")
    with st.expander("How well do the pairs agree?", expanded=bool(direction.warning)):
        if direction.explained_ratios:
            st.plotly_chart(res.figure(("bias_explained", model.key, inputs.spec),
                                       lambda: bias_view.explained_chart(direction.explained_ratios)),
                            key="bias_explained")
        st.dataframe(bias_view.pair_frame(direction), hide_index=True, key="bias_pairs_table")
    if report.projection is not None:
        st.subheader("Target words along the direction")
        st.plotly_chart(res.figure(("bias_projection", model.key, inputs.spec),
                                   lambda: bias_view.projection_chart(report.projection, title=direction.axis.name)),
                        key="bias_projection")
        bias_view.render_missing(report.projection.missing, what="targets")
    else:
        st.info("Add target words to see where they fall on the direction.")
    if report.direct_bias is not None:
        st.subheader("Direct bias, against chance")
        bias_view.render_direct_bias(report.direct_bias, cache_key=("bias_baseline", model.key, inputs.spec))
    st.subheader("The active corpus along the direction")
    if model.model_id not in res.embedded_model_ids(corpus_id):
        st.info(f"This corpus is not embedded with {escape_markdown(model.display_name)}: embed it on the Home page to rank "
                "its items along the direction.")
        return
    corpus_ranking(model, corpus_id, inputs.spec, name=direction.axis.name,
                   sides=(direction.axis.positive_label, direction.axis.negative_label))


def corpus_ranking(model: BiasModel, corpus_id: str, spec: DirectionSpec, *, name: str,
                   sides: tuple[str, str]) -> None:
    """Histogram of the corpus's scores, the items most toward each side (label column), open one, hand off."""
    ranking = res.bias_corpus_ranking(corpus_id, *model.key, spec)
    corpus = res.corpus(corpus_id)
    labels = res.item_labels(corpus_id, state.label_column(corpus_id))
    st.plotly_chart(res.figure(("bias_corpus_hist", corpus_id, model.key, spec),
                               lambda: bias_view.score_histogram(ranking.scores)), key="bias_corpus_hist")
    top, bottom = bias_view.corpus_extremes(ranking, corpus.ids, labels)
    left, right = st.columns(2)
    left.markdown(f"**Most toward {escape_markdown(sides[0])}**")
    left.dataframe(top, hide_index=True, key="bias_corpus_top", column_config={"id": None})
    right.markdown(f"**Most toward {escape_markdown(sides[1])}**")
    right.dataframe(bottom, hide_index=True, key="bias_corpus_bottom", column_config={"id": None})
    listed = {str(i): lbl for i, lbl in [*zip(top["id"], top["label"]), *zip(bottom["id"], bottom["label"])]}
    pick, action = st.columns([3, 1.3], vertical_alignment="bottom")
    item_id = pick.selectbox("Open a listed item", list(listed), format_func=listed.__getitem__, index=None,
                             key="bias_corpus_item", placeholder="Pick an item from the two lists",
                             help="Items are labelled by the sidebar's label column (or their text).")
    with action:
        item_detail.open_item_button(corpus_id, item_id, key="bias_corpus_open")
    if st.button("Colour the map by this direction", key="bias_to_map", type="primary",
                 help="Send every item's score on this direction to the Map page as a colour."):
        rows = ranking.order()
        ids = corpus.ids
        colour_map_with_scores(corpus_id, name, model.model_id, [ids[int(r)] for r in rows],
                               [float(ranking.scores[r]) for r in rows])


# -- WEAT ------------------------------------------------------------------------------------------------
def weat_inputs(model: BiasModel) -> WeatInputs:
    """Test picker, the four editable word sets, permutations and seed."""
    titles = weat_titles()
    test_id = st.selectbox("Test", list(titles), format_func=titles.__getitem__, key="bias_weat_test",
                           help="The classic WEAT tests (Caliskan et al. 2017) with their published word sets, or your own.")
    preset = WEAT_TESTS[test_id].query() if test_id in WEAT_TESTS else None
    names = preset.names if preset else ("X", "Y", "A", "B")
    labels = ("Targets X", "Targets Y", "Attributes A", "Attributes B")
    word_sets = []
    for column, label, name, words in zip(st.columns(4), labels, names, preset.sets() if preset else ((),) * 4):
        word_sets.append(parse_words(column.text_area(
            f"{label}: {name}", ", ".join(words), height=140, key=f"bias_weat_{test_id}_{label[-1]}",
            help="Comma- or line-separated words. WEAT asks whether X is closer to A (and Y to B) than the reverse.",
        )))
    options = st.columns(3)
    n_permutations = int(options[0].number_input(
        "Sampled partitions", 1000, 100_000, config.BIAS_WEAT_PERMUTATIONS, 1000, key="bias_weat_perms",
        help=f"Used only when there are more than {config.BIAS_EXACT_PARTITIONS:,} partitions of X ∪ Y; "
             "otherwise all are enumerated."))
    seed = int(options[1].number_input("Seed", 0, 10_000, 0, key="bias_weat_seed", help="Seed for sampled partitions."))
    run_all = st.toggle("Run every bundled test", value=model.kind == "word", key="bias_weat_all",
                        help="All classic tests in this model. Caliskan et al. (2017) report positive effects for each.")
    query = WeatQuery(*word_sets, names=names) if all(word_sets) else None
    return WeatInputs(query, run_all, n_permutations, seed)


def weat_titles() -> dict[str, str]:
    return {tid: t.title for tid, t in WEAT_TESTS.items()} | {"custom": "Custom sets"}


def words_needed(direction: DirectionInputs | None, weat: WeatInputs | None,
                 debias: DebiasSpec | None) -> tuple[str, ...]:
    """Every word the three tabs will look up (the reference vocabulary is added by :func:`prepare_words`)."""
    words = list(direction.spec.words()) if direction else []
    if weat is not None and weat.query is not None:
        words += weat.query.words()
    if weat is not None and weat.run_all:
        words += [w for t in WEAT_TESTS.values() for w in t.query().words()]
    if debias is not None:
        words += debias.words()
    return tuple(words)


def weat_results(model: BiasModel, inputs: WeatInputs) -> None:
    if inputs.query is not None:
        result = res.bias_weat(*model.key, inputs.query, inputs.n_permutations, inputs.seed)
        bias_view.render_weat_card(result, key="bias_weat",
                                   cache_key=("bias_weat", model.key, inputs.query, inputs.n_permutations, inputs.seed))
    else:
        st.info("Fill in all four word sets.")
    if inputs.run_all:
        st.divider()
        table = bias_view.weat_table(res.bias_weat_all(*model.key, inputs.n_permutations, inputs.seed), weat_titles())
        st.dataframe(table, hide_index=True, key="bias_weat_table")
        st.caption("d > 0 reproduces the published direction (Caliskan et al. 2017 used GloVe 840B; these are "
                   "smaller models, so sizes differ).")


# -- debias preview ------------------------------------------------------------------------------------------
def debias_inputs(model: BiasModel, direction: DirectionInputs) -> DebiasSpec | None:
    """Equalise pairs, probes and the WEAT to compare; the spec once the user runs the preview."""
    st.warning(
        "**A diagnostic, not a fix.** Hard debiasing (Bolukbasi et al. 2016) removes the direction from a *copy* of "
        "the vectors. Gonen & Goldberg (2019) showed that the bias stays in the geometry: words that leaned one way "
        "still cluster together afterwards. Use this to see how much of the bias the direction captures, never to "
        "certify a model as unbiased.", icon=":material/science:",
    )
    base, preset_id, spec = direction.base, direction.preset_id, direction.spec
    left, right = st.columns(2)
    equalize_pairs = parse_pairs(left.text_area(
        "Equalise pairs", "\n".join(f"{a}, {b}" for a, b in (base.equalize_pairs or spec.pairs)), height=120,
        key=f"bias_equalize_{preset_id}",
        help="Pairs made equidistant from every neutralised word (they differ only along the direction).",
    ))
    probes = parse_words(right.text_input(
        "Words to show neighbours for", ", ".join(base.probes), key=f"bias_probes_{preset_id}",
        help="Nearest neighbours of these words before and after debiasing.",
    ))
    weat_choice = right.selectbox("WEAT before/after", list(WEAT_TESTS), format_func=weat_titles().__getitem__,
                                  index=list(WEAT_TESTS).index(base.weat_test) if base.weat_test in WEAT_TESTS else 0,
                                  key=f"bias_debias_weat_{preset_id}", help="A bundled WEAT run on both copies.")
    st.caption(f"Uses the pairs and target words of the Direction tab, and a vocabulary of {model.pool_size:,} frequent "
               "words. Words in the pairs (and, for gender, WEAT's gendered terms and names) keep their direction; "
               "all others are neutralised.")
    if not st.toggle("Run the debias preview", value=False, key="bias_debias_run",
                     help="Debiases a copy of the vocabulary (a few seconds the first time, cached afterwards)."):
        return None
    return DebiasSpec(direction=spec, equalize_pairs=equalize_pairs, specific=base.specific, probes=probes,
                      weat_test=weat_choice, pool_size=model.pool_size, n_permutations=config.BIAS_DEBIAS_PERMUTATIONS,
                      seed=spec.seed)


def debias_results(model: BiasModel, spec: DebiasSpec) -> None:
    """The Gonen & Goldberg checks, targets before/after, the clusters, neighbours and WEAT before/after."""
    preview = res.bias_debias(*model.key, spec)
    checks = preview.clusters
    cols = st.columns(4)
    cols[0].metric("Clustering accuracy before", f"{checks.accuracy_before:.0%}",
                   help="2-means on the most biased words recovers their original side this often (50% = chance).")
    cols[1].metric("Clustering accuracy after", f"{checks.accuracy_after:.0%}",
                   help="Above 50%: the formerly biased words still group by their old side (Gonen & Goldberg 2019).")
    cols[2].metric("Classifier accuracy before", f"{checks.classifier_before:.0%}",
                   help="A linear classifier (5-fold cross-validation) predicting each word's original side.")
    cols[3].metric("Classifier accuracy after", f"{checks.classifier_after:.0%}",
                   help="Far above 50%: the old bias is still linearly recoverable after debiasing.")
    st.caption(f"{preview.n_neutralized:,} words neutralised, {len(preview.equalized)} pairs equalised; the checks "
               f"use the {len(checks.words) // 2} most biased words on each side.")
    st.subheader("Target words, before and after")
    st.plotly_chart(bias_view.before_after_chart(preview), key="bias_before_after")
    st.caption("After hard debiasing every neutralised word sits at 0 on the direction (no green bar): the bias "
               "is gone from this one direction only. The checks below look for it elsewhere.")
    st.subheader("Do formerly biased words still cluster?")
    c1, c2 = st.columns(2)
    sides = (preview.axis.positive_label, preview.axis.negative_label)
    c1.plotly_chart(bias_view.cluster_chart(checks, after=False, labels=sides), key="bias_cluster_before")
    c2.plotly_chart(bias_view.cluster_chart(checks, after=True, labels=sides), key="bias_cluster_after")
    st.subheader("Nearest neighbours")
    st.dataframe(bias_view.neighbors_frame(preview), hide_index=True, key="bias_neighbors")
    if preview.weat_before is not None and preview.weat_after is not None:
        st.subheader("WEAT before and after")
        wb, wa = preview.weat_before, preview.weat_after
        cols = st.columns(4)
        cols[0].metric("d before", f"{wb.effect_size:+.2f}")
        cols[1].metric("d after", f"{wa.effect_size:+.2f}")
        cols[2].metric("S before", f"{wb.statistic:+.3f}")
        cols[3].metric("S after", f"{wa.statistic:+.3f}")
        st.caption("d is scale-free: when debiasing shrinks every association, d can stay large or even flip. "
                   "Compare the raw statistic S too.")
    bias_view.render_missing(preview.missing)
