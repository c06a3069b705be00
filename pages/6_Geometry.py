"""Geometry: what kind of space each model makes of the corpus, and can its cosines be trusted."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import json

import streamlit as st

from components import geometry_view as view
from components import share, sidebar, state
from components import resources as res
from components.handoff import colour_map_with_scores
from components.feedback import escape_markdown, user_errors
from engine.geometry import DEFAULT_THRESHOLD, HUB_K, anti_hubs, central_first, occurrence_scores, parse_topics, top_hubs

st.set_page_config(page_title="Geometry · Embedscape", layout="wide")
corpus_id, model_ids = sidebar.sidebar_context()
corpus_id, model_ids = sidebar.require_embedded(corpus_id, model_ids)
st.title("Geometry")
st.caption(
    "What kind of space is each model? Anisotropic spaces make every cosine look high, hubs turn up as everyone's "
    "neighbour, and many dimensions can be redundant. Figures are computed once per model and stored."
)


def send_to_map(values: Sequence[float], *, name: str, model_id: str, key: str, help_text: str) -> None:
    """A button that hands per-item numbers to the Map as its colour (state.COLOR_SCORES)."""
    if st.button(f"Colour the map by {escape_markdown(name)}", key=key, help=help_text):
        colour_map_with_scores(corpus_id, name, model_id, res.corpus(corpus_id).ids, list(values))


@st.fragment
def geometry_body(corpus_id: str, model_ids: tuple[str, ...]) -> None:
    """Everything below the title: picking the model reruns only this; each tab is a fragment of its own,
    so a control in one tab reruns only that tab (issue 15 §1)."""
    with user_errors():
        corpus = res.corpus(corpus_id)
        labels = res.item_labels(corpus_id, state.label_column(corpus_id))
        reports = {}
        for model_id in model_ids:
            if not res.geometry_report_stored(corpus_id, model_id):
                bar = st.progress(0.0, text=f"{model_id}: starting…")
                res.compute_geometry_report(corpus_id, model_id, lambda stage, share, m=model_id, b=bar: b.progress(
                    min(share, 1.0), text=f"{m}: {stage}…"))
                bar.empty()
            reports[model_id] = res.geometry_report(corpus_id, model_id)

        # -- across models ---------------------------------------------------------------------------
        st.subheader("Across models")
        table = view.summary_frame(list(reports.values()))
        st.dataframe(table, hide_index=True, column_config=view.summary_column_config(), key="geometry_table")
        view.csv_button(table, file_name="geometry-across-models.csv", key="geometry_table_csv")
        st.caption("Hover a column header for what it measures. Hubness uses the stored 10-nearest-neighbour graph; "
                   "redundancy asks how many principal components keep each item's top-10 neighbours.")
        st.plotly_chart(res.figure(("geometry_compare", corpus_id, model_ids), lambda: view.comparison_figure(table)),
                        key="geometry_compare_chart")

        # -- one model in detail ---------------------------------------------------------------------
        if state.get(state.GEOMETRY_MODEL) not in model_ids:
            state.set(state.GEOMETRY_MODEL, model_ids[0])
        model_id = st.selectbox("Model for the details below", model_ids, **state.bind(state.GEOMETRY_MODEL),
                                help="Every section below describes this model's space of the active corpus.")
        report = reports[model_id]
        tabs = st.tabs(["Isotropy", "Intrinsic dimension", "Hubness", "Redundancy", "Depth and shift", "Topics"],
                       key="geometry_tab")  # a key keeps the open tab across reruns
    with tabs[0]:
        isotropy_tab(corpus, labels, model_id, report)
    with tabs[1]:
        dimension_tab(corpus, labels, model_id, report)
    with tabs[2]:
        hubness_tab(corpus, labels, model_id, report)
    with tabs[3]:
        redundancy_tab(corpus, labels, model_id, report)
    with tabs[4]:
        depth_tab(corpus, labels, model_id, report)
    with tabs[5]:
        topics_tab(corpus, labels, model_id, report)
    # inside the body fragment: a control reruns only this part, and the link must follow it
    share.link_box()  # "Share this view": the link that reopens this page as it is (components/share.py)


@st.fragment
def isotropy_tab(corpus: Any, labels: Sequence[str], model_id: str, report: Any) -> None:
    """IsoScore, cosines of random pairs, variance shares."""
    figures = report.figures
    with user_errors():
        iso, centred = figures["isotropy"], figures["isotropy_centred"]
        cols = st.columns(4)
        cols[0].metric("IsoScore", f"{iso['isoscore']:.3f}",
                       help="Rudman et al. (2022): 1 = the variance is spread evenly over every dimension, 0 = it lies "
                            "on one line. PCA centres the data, so mean-centring does not change it.")
        cols[1].metric("Mean cosine of random pairs", f"{iso['mean_cosine']:.3f} ± {iso['std_cosine']:.3f}",
                       delta=f"{centred['mean_cosine'] - iso['mean_cosine']:+.3f} after centring", delta_color="off",
                       help=f"Over {iso['n_pairs']:,} random pairs (± one standard deviation). Near 0 means unrelated "
                            "items look unrelated; a high value means every cosine starts high.")
        cols[2].metric("Variance on PC1", f"{iso['pc1_share']:.1%}",
                       help="Share of the total variance along the first principal component (PC1-10 in the table).")
        cols[3].metric("Mean-direction share", f"{iso['mean_share']:.1%}",
                       help="|mean vector|² / mean |x|²: how much of a typical vector is the direction every vector "
                            "shares. Centring removes it.")
        left, right = st.columns([1, 1.3])
        left.dataframe(view.isotropy_frame(figures), hide_index=True, key="geometry_isotropy_table")
        right.plotly_chart(res.figure(("geometry_cosines", corpus.corpus_id, model_id), lambda: view.cosine_histogram(figures)),
                           key="geometry_cosine_hist")


@st.fragment
def dimension_tab(corpus: Any, labels: Sequence[str], model_id: str, report: Any) -> None:
    """TwoNN and MLE intrinsic dimension."""
    figures = report.figures
    with user_errors():
        dim = figures["intrinsic_dimension"]
        view.metric_row([
            ("TwoNN", f"{dim['twonn']:.1f}", "Facco et al. (2017): from the ratio of each item's second to first "
             "neighbour distance. scikit-dimension TwoNN(discard_fraction=0.1)."),
            ("MLE", f"{dim['mle']:.1f}", "Levina & Bickel (2004) on the 10 nearest neighbours, pointwise estimates "
             "combined by the harmonic mean. scikit-dimension MLE(), comb='mle'."),
            ("Vector length", f"{figures['dimension']:,}", "The dimension the model stores."),
        ])
        st.caption(f"Computed on {dim['n_used']:,} items; {dim['n_duplicates']:,} exact duplicates (zero distance to "
                   "their nearest neighbour) were left out. Parameters passed to scikit-dimension:")
        st.json(dim["params"], expanded=True)


@st.fragment
def hubness_tab(corpus: Any, labels: Sequence[str], model_id: str, report: Any) -> None:
    """Hubness: the N10 distribution, top hubs and anti-hubs."""
    figures = report.figures
    with user_errors():
        hub = figures["hubness"]
        view.metric_row([
            (f"Skewness of N{HUB_K}", f"{hub['skewness']:.2f}", "Radovanović et al. (2010): 0 = no hubness; above 1, "
             "a few items are in very many neighbour lists."),
            ("Largest N10", f"{hub['max_occurrence']:,}", "The top hub: how many items list it among their 10 nearest "
             "neighbours (the average is exactly 10)."),
            ("Hubs (N10 > 20)", f"{hub['hub_share']:.1%}", "Share of items listed more than twice the average."),
            ("Anti-hubs (N10 = 0)", f"{hub['antihub_share']:.1%}", "Share of items nobody lists: search by similarity "
             "never returns them as a neighbour."),
        ])
        recall = hub.get("graph_recall")
        st.caption(f"kNN graph: {hub['graph_method']}" + (f", recall@10 {recall:.3f}" if recall is not None else ""))
        st.plotly_chart(res.figure(("geometry_occurrence", corpus.corpus_id, model_id),
                                   lambda: view.occurrence_histogram(report.occurrence, HUB_K)), key="geometry_occurrence_hist")
        left, right = st.columns(2)
        hubs = top_hubs(report.occurrence, 25)
        hub_table = view.items_frame(corpus, labels, hubs, **{f"N{HUB_K}": report.occurrence[hubs]})
        left.markdown("**Top hubs**")
        left.dataframe(hub_table, hide_index=True, key="geometry_hubs")
        with left:
            view.csv_button(hub_table, file_name=f"hubs-{model_id}.csv", key="geometry_hubs_csv")
        nobody = anti_hubs(report.occurrence)
        right.markdown(f"**Anti-hubs** ({len(nobody):,} items nobody lists; first 200)")
        anti_table = view.items_frame(corpus, labels, nobody[:200])
        right.dataframe(anti_table, hide_index=True, key="geometry_antihubs")
        with right:
            view.csv_button(view.items_frame(corpus, labels, nobody), file_name=f"anti-hubs-{model_id}.csv",
                            key="geometry_antihubs_csv")
        send_to_map(occurrence_scores(report.occurrence),
                    name=f"N{HUB_K} hubness ({model_id})", model_id=model_id, key="geometry_hubs_to_map",
                    help_text="Colour every item by how often it is someone's neighbour: hubs stand out.")


@st.fragment
def redundancy_tab(corpus: Any, labels: Sequence[str], model_id: str, report: Any) -> None:
    """How many principal components keep the neighbours."""
    figures = report.figures
    with user_errors():
        curve = figures["redundancy"]
        d90, d95 = curve["dims_for"].get("0.90"), curve["dims_for"].get("0.95")
        view.metric_row([
            ("PCs for 90 % of the top-10", "—" if d90 is None else f"{d90:,}", "Fewest principal components that keep, "
             f"on average, 9 of each item's 10 nearest neighbours (to within {curve['resolution']})."),
            ("PCs for 95 %", "—" if d95 is None else f"{d95:,}", "The same for 9.5 of 10."),
            ("Of", f"{curve['full_dim']:,} dimensions", "The model's vector length."),
        ])
        if curve["sampled"]:
            st.info(f"Measured for a seeded sample of {curve['n_queries']:,} query items against all "
                    f"{curve['n_items']:,} items (the corpus is too large to ask every item).")
        st.plotly_chart(res.figure(("geometry_redundancy", corpus.corpus_id, model_id), lambda: view.redundancy_figure(curve)),
                        key="geometry_redundancy_chart")
        cut = st.select_slider("Truncate to d components", options=curve["dims"], value=curve["dims"][-1],
                               key="geometry_cut", help="What cutting the space to its top d principal components "
                               "costs: the share of neighbours kept, and the storage left.")
        kept = dict(zip(curve["dims"], curve["overlap"]))[cut]
        st.write(f"{cut} of {curve['full_dim']} components keep {kept:.1%} of each item's top-{curve['k']} neighbours, "
                 f"in {cut / curve['full_dim']:.0%} of the storage.")


@st.fragment
def depth_tab(corpus: Any, labels: Sequence[str], model_id: str, report: Any) -> None:
    """Statistical depth and the shift test."""
    with user_errors():
        depth = report.depth
        order = central_first(depth)
        st.markdown("**Statistical depth** (Seegmiller & Preum 2023): 1 + an item's mean cosine to the corpus. High = "
                    "central, representative; low = outlying.")
        left, right = st.columns([1.4, 1])
        ranked = view.items_frame(corpus, labels, order, rank=range(1, len(order) + 1), depth=depth[order])
        left.dataframe(view.shown(ranked), hide_index=True, key="geometry_depth_table", height=320)
        if len(ranked) > view.SHOWN_ROWS:
            left.caption(f"Showing the {view.SHOWN_ROWS // 2:,} most central and most outlying of {len(ranked):,} "
                         "items; the CSV has all.")
        with left:
            view.csv_button(ranked, file_name=f"depth-{model_id}.csv", key="geometry_depth_csv")
        right.plotly_chart(res.figure(("geometry_depth", corpus.corpus_id, model_id), lambda: view.depth_histogram(depth)),
                           key="geometry_depth_hist")
        with right:
            send_to_map(depth, name=f"depth ({model_id})", model_id=model_id, key="geometry_depth_to_map",
                        help_text="Colour every item by its depth: central items high, outliers low.")

        st.markdown("**Shift test**: is one group distributed differently from another in this space?")
        groups = view.shift_groups_picker(corpus, model_id)
        group_ids, reference, reference_corpus = groups.group_ids, groups.reference, groups.reference_corpus
        group_name, reference_name = groups.group_name, groups.reference_name
        permutations = st.select_slider("Permutations", [200, 500, 1000, 2000], value=1000, key="geometry_permutations",
                                        help="Label shuffles for the difference-of-means test (more = finer p-values).")
        if group_ids and st.button("Run the shift test", key="geometry_shift_run", type="primary",
                                   help="Depth rank-sum test (Seegmiller & Preum) and a permutation test on the "
                                        "distance between the group means."):
            result = res.geometry_shift(corpus_id, model_id, group_ids, reference, reference_corpus, permutations)
            view.metric_row([
                ("Rank-sum p", f"{result.p_value:.3g}", "One-sided Wilcoxon rank-sum test of depths: small = the group "
                 "is more outlying than the reference."),
                ("Q", f"{result.q:.3f}", "Liu & Singh's Q, the effect size: the chance a reference item is no deeper "
                 "than a group item. 0.5 = no shift; lower = the group is more outlying."),
                ("Permutation p", f"{result.permutation_p:.3g}", "Share of label shuffles whose group means are at "
                 "least as far apart: small = the means differ (in any direction)."),
                ("Distance of means", f"{result.mean_distance:.4f}", "|mean(group) − mean(reference)|."),
            ])
            if result.q > 0.5:
                st.info(f"The group is more central than the reference (Q > 0.5), so the one-sided test of the paper "
                        f"(is it more outlying?) finds nothing; the two-sided rank-sum p is "
                        f"{result.p_value_two_sided:.3g}.")
            st.text(f"{group_name}: {result.n_group:,} items · reference, {reference_name}: {result.n_reference:,} items"
                    + (" · permutation test on a seeded sample of 5,000 per side" if result.permutation_sampled else ""))
            st.plotly_chart(view.shift_histogram(result, group=group_name, reference=reference_name),
                            key="geometry_shift_hist")


@st.fragment
def topics_tab(corpus: Any, labels: Sequence[str], model_id: str, report: Any) -> None:
    """Keyword topics scored over the corpus."""
    with user_errors():
        st.markdown("Name **topics by keywords**, one per line as `name: keyword, keyword`. Every item gets its "
                    "similarity to each topic (Lbl2Vec-style) and its best topic, or none below the threshold.")
        if not state.get(state.GEOMETRY_TOPICS):
            state.set(state.GEOMETRY_TOPICS, "")
        topics_text = st.text_area("Topics", height=120, placeholder="sport: cricket, rugby, match\npolitics: election, "
                                   "minister, parliament", **state.bind(state.GEOMETRY_TOPICS),
                                   help="One topic per line: a name, a colon, then a few keywords separated by commas.")
        c1, c2 = st.columns(2)
        threshold = c1.slider("Threshold", -1.0, 1.0, DEFAULT_THRESHOLD, 0.05, key="geometry_topic_threshold",
                              help="An item's best topic must reach this cosine, else it gets none. In an anisotropic "
                                   "space every cosine is high: check the Isotropy tab and raise it.")
        refine = c2.checkbox("Move each topic to its closest items (Lbl2Vec)", value=True, key="geometry_topic_refine",
                             help="On: a topic is the centroid of the items most similar to its keywords. Off: the mean "
                                  "of the keyword vectors.")
        topics = parse_topics(topics_text)
        if not topics:
            st.info("Type at least one topic to score the corpus.")
        else:
            result = res.geometry_topics(corpus_id, model_id, json.dumps(topics), threshold, refine)
            for name, words in result.missing.items():
                st.text(f"{model_id} cannot embed, in topic {name}: {', '.join(words)}")
            left, right = st.columns([1, 1.6])
            left.dataframe(view.topic_counts_frame(result), hide_index=True, key="geometry_topic_counts")
            per_item = view.items_frame(corpus, labels, range(len(corpus)), best_topic=result.best,
                                        **{f"sim: {n}": result.scores[:, i] for i, n in enumerate(result.names)})
            right.dataframe(view.shown(per_item), hide_index=True, key="geometry_topic_items", height=300)
            with right:
                view.csv_button(per_item, file_name=f"topics-{model_id}.csv", key="geometry_topic_csv")
            candidates = [c for c in corpus.metadata_columns if c != state.label_column(corpus_id)]
            class_column = st.selectbox("Class column (ground truth)", [None, *candidates], key="geometry_class_column",
                                        format_func=lambda c: "none" if c is None else c,
                                        help="A column of true classes (not the display label). Map each topic to one "
                                             "of its values to get a ROC AUC per topic.")
            if class_column:
                classes = corpus.frame[class_column].to_list()
                values = sorted({str(v) for v in classes if v is not None})[:500]
                mapping = {}
                cols = st.columns(min(len(result.names), 4))
                for i, name in enumerate(result.names):
                    mapping[name] = cols[i % len(cols)].selectbox(
                        f"Topic {i + 1} is class", [None, *values], key=f"geometry_map_{i}",
                        format_func=lambda v: "(not mapped)" if v is None else v,
                        help="The class value this topic should find.")
                from engine.geometry import topic_auc

                aucs = topic_auc(result, classes, {k: v for k, v in mapping.items() if v})
                if aucs:
                    st.dataframe([{"topic": n, **a} for n, a in aucs.items()], hide_index=True, key="geometry_topic_auc")
            pick = st.selectbox("Topic for the map colour", result.names, key="geometry_topic_color",
                                help="Colour the Map by every item's similarity to this topic.")
            send_to_map(result.scores[:, result.names.index(pick)].astype(float), name=f"topic {pick} ({model_id})",
                        model_id=model_id, key="geometry_topic_to_map", help_text="Send the similarities to the Map.")
    share.follow_link(state.GEOMETRY_TOPICS)  # the link box is drawn by the body, outside this fragment


geometry_body(corpus_id, model_ids)
