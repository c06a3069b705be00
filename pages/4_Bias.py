"""Bias: directions from definitional pairs, WEAT, and a hard-debias preview (a diagnostic, not a fix)."""
from __future__ import annotations

import streamlit as st

from components import bias_view, sidebar, state
from components import resources as res
from components.feedback import escape_markdown, user_errors
from engine.bias import (
    DEFAULT_TEMPLATES, FIRST_PC_THRESHOLD, WEAT_TESTS, DebiasSpec, DirectionSpec, default_pool_size, parse_pairs,
    parse_words, presets,
)
from engine.demo import weat_sets
from engine.models import resolve_model

st.set_page_config(page_title="Bias · Embedscape", layout="wide")
corpus_id, model_ids = sidebar.sidebar_context()
corpus_id, model_ids = sidebar.require_embedded(corpus_id, model_ids)

st.title("Bias")
st.markdown(
    "Measure how a model places words along a **bias direction** (e.g. *she ↔ he*), test associations with "
    "**WEAT**, and preview what **hard debiasing** changes. Word-vector models look words up directly; sentence "
    "models embed each word in a template such as “This is a {word}.” (SEAT). Every word list below is editable."
)

with user_errors():
    model_options = ["glove-50d"] + [m for m in model_ids if m != "glove-50d"]
    model_id = st.selectbox(
        "Model", model_options, format_func=lambda m: resolve_model(m).display_name, key="bias_model",
        help="Word vectors (GloVe) are the classic setting for these measures. Sentence models are probed through "
             "templates. The word analyses do not need the corpus to be embedded with this model.",
    )
    spec_model = resolve_model(model_id)
    templates: tuple[str, ...] = ()
    if spec_model.kind == "sentence":
        templates = parse_words(st.text_area(
            "Templates (one per line)", "\n".join(DEFAULT_TEMPLATES), height=80, key="bias_templates",
            help="Each word is embedded in every template, with {word} replaced; the vectors are averaged (SEAT, "
                 "May et al. 2019). Use e.g. 'This is {word}.' for names.",
        ).replace(",", "\n"))
    lexical_corpus = corpus_id if spec_model.kind == "lexical" else None
    pool_size = default_pool_size(spec_model)

    all_presets = presets()
    preset_titles = {pid: p.title for pid, p in all_presets.items()} | {"custom": "Custom word sets"}
    handoff = state.get(state.WORD_SET)
    if handoff and handoff.get("corpus_id") == corpus_id and handoff.get("texts"):
        preset_titles["map"] = f"Words selected on the Map ({len(handoff['texts'])})"

    tab_direction, tab_weat, tab_debias = st.tabs(["Direction", "WEAT", "Debias preview"])

# -- WEAT ------------------------------------------------------------------------------------------
with tab_weat, user_errors(stop=False):
    sets = weat_sets()
    test_titles = {tid: t.title for tid, t in WEAT_TESTS.items()} | {"custom": "Custom sets"}
    test_id = st.selectbox("Test", list(test_titles), format_func=test_titles.__getitem__, key="bias_weat_test",
                           help="The classic WEAT tests (Caliskan et al. 2017) with their published word sets, or your own.")
    test = WEAT_TESTS.get(test_id)
    names = (test.x, test.y, test.a, test.b) if test else ("X", "Y", "A", "B")
    labels = ("Targets X", "Targets Y", "Attributes A", "Attributes B")
    columns = st.columns(4)
    word_sets = []
    for column, label, name in zip(columns, labels, names):
        word_sets.append(parse_words(column.text_area(
            f"{label}: {name}", ", ".join(sets[name]) if test else "", height=140, key=f"bias_weat_{test_id}_{label[-1]}",
            help="Comma- or line-separated words. WEAT asks whether X is closer to A (and Y to B) than the reverse.",
        )))
    options = st.columns(3)
    n_permutations = int(options[0].number_input(
        "Sampled partitions", 1000, 100_000, 10_000, 1000, key="bias_weat_perms",
        help="Used only when there are more than 100,000 partitions of X ∪ Y; otherwise all are enumerated."))
    weat_seed = int(options[1].number_input("Seed", 0, 10_000, 0, key="bias_weat_seed",
                                            help="Seed for sampled partitions."))
    if all(word_sets):
        result = res.bias_weat(model_id, templates, lexical_corpus, tuple(word_sets), names, n_permutations, weat_seed)
        bias_view.render_weat_card(result, key="bias_weat")
    else:
        st.info("Fill in all four word sets.")
    st.divider()
    if st.toggle("Run every bundled test", value=spec_model.kind == "word", key="bias_weat_all",
                 help="All classic tests in this model. Caliskan et al. (2017) report positive effects for each."):
        table = bias_view.weat_table(res.bias_weat_all(model_id, templates, lexical_corpus, n_permutations, weat_seed),
                                     test_titles)
        st.dataframe(table, hide_index=True, key="bias_weat_table")
        st.caption("d > 0 reproduces the published direction (Caliskan et al. 2017 used GloVe 840B; these are "
                   "smaller models, so sizes differ).")

# -- Direction -----------------------------------------------------------------------------------------
with tab_direction, user_errors():
    inputs, results = st.columns([1, 2], gap="large")
    with inputs:
        preset_id = st.selectbox(
            "Preset", list(preset_titles), format_func=preset_titles.__getitem__, key="bias_preset",
            help="A starting point: definitional pairs, target words to project, neutral words for direct bias. "
                 "Edit any list below.",
        )
        base = all_presets.get(preset_id, all_presets["gender"])
        default_targets = handoff["texts"] if preset_id == "map" else (base.targets if preset_id != "custom" else ())
        st.caption(escape_markdown(base.description) if preset_id in all_presets else
                   "Type your own pairs and words.")
        pairs = parse_pairs(st.text_area(
            "Definitional pairs (first, second)", "\n".join(f"{a}, {b}" for a, b in base.pairs), height=180,
            key=f"bias_pairs_{preset_id}",
            help="One pair per line. The direction is the first principal component of the centred pairs "
                 "(Bolukbasi et al. 2016); positive scores lean toward the first members.",
        ))
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
            baseline = st.radio("Random baseline", ["random_pairs", "random_unit"], horizontal=True,
                                key="bias_baseline",
                                format_func={"random_pairs": "Random word pairs", "random_unit": "Random unit vectors"}.get,
                                help="Directions to compare with. Embedding spaces are anisotropic, so differences of "
                                     "random frequent-word pairs are the fairer yardstick.")
            n_random = int(st.number_input("Random directions", 100, 5000, 1000, 100, key="bias_n_random",
                                           help="How many random directions form the baseline."))
            seed = int(st.number_input("Seed", 0, 10_000, 0, key="bias_seed",
                                       help="Seed for the random baseline, so results repeat exactly."))
    direction_spec = DirectionSpec(pairs=pairs, targets=targets, neutral=neutral, name=preset_titles[preset_id],
                                   method=method, c=float(c), n_random=n_random, baseline=baseline,
                                   pool_size=pool_size, seed=seed)
    with results:
        report = res.bias_direction(model_id, templates, lexical_corpus, direction_spec)
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
                st.plotly_chart(bias_view.explained_chart(direction.explained_ratios), key="bias_explained")
            st.dataframe(bias_view.pair_frame(direction), hide_index=True, key="bias_pairs_table")
        if report.projection is not None:
            st.subheader("Target words along the direction")
            st.plotly_chart(bias_view.projection_chart(report.projection, title=direction.axis.name),
                            key="bias_projection")
            bias_view.render_missing(report.projection.missing, what="targets")
        else:
            st.info("Add target words to see where they fall on the direction.")
        if report.direct_bias is not None:
            st.subheader("Direct bias, against chance")
            bias_view.render_direct_bias(report.direct_bias)
        st.subheader("The active corpus along the direction")
        if model_id in res.embedded_model_ids(corpus_id):
            corpus = res.corpus(corpus_id)
            scores = res.bias_corpus_scores(corpus_id, model_id, templates, lexical_corpus, direction_spec)
            st.plotly_chart(bias_view.score_histogram(scores), key="bias_corpus_hist")
            top, bottom = bias_view.corpus_extremes_frame(corpus.texts, scores)
            left, right = st.columns(2)
            left.markdown(f"**Most toward {escape_markdown(direction.axis.positive_label)}**")
            left.dataframe(top, hide_index=True, key="bias_corpus_top")
            right.markdown(f"**Most toward {escape_markdown(direction.axis.negative_label)}**")
            right.dataframe(bottom, hide_index=True, key="bias_corpus_bottom")
            if st.button("Colour the map by this direction", key="bias_to_map", type="primary",
                         help="Send every item's score on this direction to the Map page as a colour."):
                payload = bias_view.color_scores_payload(corpus, scores, name=direction.axis.name, model_id=model_id)
                state.set(state.COLOR_SCORES, payload)
                from components.map_view import SCORE_PREFIX  # the Map's name for a handed-over score

                state.set(state.MAP_COLOR, SCORE_PREFIX + payload["name"])
                st.success(f"Sent {len(payload['ids']):,} scores to the Map.")
                st.page_link("pages/1_Map.py", label="Open the Map, coloured by this direction", icon="🗺️")
        else:
            st.info(f"This corpus is not embedded with {spec_model.display_name}: embed it on the Home page to rank "
                    "its items along the direction.")

# -- Debias preview ----------------------------------------------------------------------------------
with tab_debias, user_errors():
    st.warning(
        "**A diagnostic, not a fix.** Hard debiasing (Bolukbasi et al. 2016) removes the direction from a *copy* of "
        "the vectors. Gonen & Goldberg (2019) showed that the bias stays in the geometry: words that leaned one way "
        "still cluster together afterwards. Use this to see how much of the bias the direction captures, never to "
        "certify a model as unbiased.", icon=":material/science:",
    )
    left, right = st.columns(2)
    equalize_pairs = parse_pairs(left.text_area(
        "Equalise pairs", "\n".join(f"{a}, {b}" for a, b in (base.equalize_pairs or pairs)), height=120,
        key=f"bias_equalize_{preset_id}",
        help="Pairs made equidistant from every neutralised word (they differ only along the direction).",
    ))
    probes = parse_words(right.text_input(
        "Words to show neighbours for", ", ".join(base.probes), key=f"bias_probes_{preset_id}",
        help="Nearest neighbours of these words before and after debiasing.",
    ))
    weat_choice = right.selectbox("WEAT before/after", list(WEAT_TESTS), format_func=test_titles.__getitem__,
                                  index=list(WEAT_TESTS).index(base.weat_test) if base.weat_test in WEAT_TESTS else 0,
                                  key=f"bias_debias_weat_{preset_id}", help="A bundled WEAT run on both copies.")
    st.caption(f"Uses the pairs and target words of the Direction tab, and a vocabulary of {pool_size:,} frequent "
               "words. Words in the pairs (and, for gender, WEAT's gendered terms and names) keep their direction; "
               "all others are neutralised.")
    if st.toggle("Run the debias preview", value=False, key="bias_debias_run",
                 help="Debiases a copy of the vocabulary (a few seconds the first time, cached afterwards)."):
        debias_spec = DebiasSpec(direction=direction_spec, equalize_pairs=equalize_pairs, specific=base.specific,
                                 probes=probes, weat_test=weat_choice, pool_size=pool_size, seed=seed)
        preview = res.bias_debias(model_id, templates, lexical_corpus, debias_spec)
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
        sides = (direction.axis.positive_label, direction.axis.negative_label)
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
