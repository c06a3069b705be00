"""Compare: how two or more models see the same items: neighbour agreement per item, the item
view, model-to-model matrices, aligned maps with linked selection, and translation between spaces."""
from collections.abc import Sequence
from functools import partial
from typing import Any

import streamlit as st

from components import compare_view as view
from components import resources as res
from components import share, sidebar, state
from components.feedback import escape_markdown, progress_reporter, user_errors
from components.item_detail import open_item_button
from engine.compare import MATRICES, extremes

st.set_page_config(page_title="Compare · Embedscape", layout="wide")
corpus_id, model_ids = sidebar.sidebar_context()
corpus_id, model_ids = sidebar.require_embedded(corpus_id, model_ids)
st.title("Compare")
st.caption("How differently do models see the same items? Every item's nearest neighbours in each model "
           "(exact, in the full space, the item itself excluded) and how much they overlap.")


@st.fragment
def compare_body(corpus_id: str, model_ids: tuple[str, ...]) -> None:
    """Everything below the title: picking models or k reruns only this; each tab is a fragment of its
    own, so a control in one tab reruns only that tab (issue 15 §1)."""
    with user_errors():
        corpus = res.corpus(corpus_id)
        embedded = res.embedded_model_ids(corpus_id)
        if len(embedded) < 2:
            st.info("Comparing needs this corpus embedded with at least two models. Embed it with another model on "
                    "the Home page.")
            st.page_link("app.py", label="Go to Home", icon="🏠")
            st.stop()
        if len([m for m in state.get(state.COMPARE_MODELS) if m in embedded]) < 2:
            state.set(state.COMPARE_MODELS, tuple(model_ids if len(model_ids) >= 2 else embedded[:2]))
        pick_col, k_col = st.columns([4, 1])
        models = tuple(pick_col.multiselect(
            "Models to compare", embedded, help="Two or more models this corpus is embedded with. Every pair is "
            "compared; models of different dimensions compare through neighbours and similarities only.",
            **state.bind(state.COMPARE_MODELS)))
        k = int(k_col.number_input("k (neighbours)", 2, 100, help="How many nearest neighbours per item are compared.",
                                   **state.bind(state.COMPARE_K)))
        if len(models) < 2:
            st.info("Pick at least two models to compare.")
            st.stop()

        if not res.comparison_stored(corpus_id, models, k):
            update, finish = progress_reporter("Finding every item's neighbours in each model (per mille)")
            res.prepare_comparison(corpus_id, models, k, progress=update)
            finish()
        result = res.comparison(corpus_id, models, k)
        labels = res.item_labels(corpus_id, state.label_column(corpus_id))
        per_item = result.per_item(corpus.ids, labels)
        graphs_note = "; ".join(
            f"{escape_markdown(m)}: {g['method']}" + (f" (recall@{k} {g['recall']:.3f} on {g['params']['recall_sample']:,} items)"
                                                      if g["method"] != "exact" else "")
            + (f", {g['n_invalid']:,} items without a vector" if g["n_invalid"] else "") for m, g in result.graphs.items())
        st.caption(f"{result.n:,} items · k = {k} · seed {result.seed} · "
                   f"{'read from the store' if result.loaded else f'computed in {result.seconds:.1f} s'} · {graphs_note}")
        if any(g["recall"] < 0.99 for g in result.graphs.values()):
            st.warning("An approximate kNN graph is below 0.99 recall, so its figures are not exact enough to show. "
                       "Recompute with `python -m engine compare … --method exact`.")

        agreement_tab, models_tab, maps_tab, translate_tab = st.tabs(
            ["Agreement per item", "Model to model", "Aligned maps", "Translate"])
    with agreement_tab:
        agreement_section(corpus, corpus_id, models, k, result, labels, per_item)
    with models_tab:
        models_section(models, k, result, corpus_id)
    with maps_tab:
        maps_section(corpus_id, models, labels, result)
    with translate_tab:
        translate_section(corpus_id, models)
    # inside the body fragment: a control reruns only this part, and the link must follow it
    share.link_box()  # "Share this view": the link that reopens this page as it is (components/share.py)


@st.fragment
def agreement_section(corpus: Any, corpus_id: str, models: tuple[str, ...], k: int, result: Any,
                      labels: Sequence[str], per_item: Any) -> None:
    """Per-item agreement: pair and measure pickers, histogram, tables, item view."""
    with user_errors():
        metric_cols = st.columns(len(result.pairs))
        for column, pair in zip(metric_cols, result.pairs):
            column.metric(escape_markdown(pair["pair"]), f"{pair['mean_jaccard']:.3f}",
                          help=f"Mean Jaccard@{k} over {pair['n_shared']:,} items (median {pair['median_jaccard']:.3f}; "
                          f"RBO {pair['mean_rbo']:.3f}; chance {pair['chance_jaccard']:.4f}); "
                          f"{pair['n_excluded']:,} items one model cannot represent are left out.")
        pair_col, measure_col = st.columns([3, 2])
        pair_label = pair_col.selectbox("Pair", result.pair_labels, key="compare_pair",
                                        help="Which two models the histogram and tables compare.")
        st.session_state.setdefault("compare_measure", "jaccard")
        measure = measure_col.segmented_control(
            "Measure", ["jaccard", "rbo"], key="compare_measure",
            format_func={"jaccard": "Jaccard@k", "rbo": "rank-biased overlap"}.__getitem__,
            help="Jaccard: shared / all neighbours, order ignored. RBO: top ranks weigh more (p = 0.9).") or "jaccard"
        pair = next(p for p in result.pairs if p["pair"] == pair_label)
        chance = pair["chance_jaccard"] if measure == "jaccard" else pair["chance_rbo"]
        histogram = res.figure(("compare_histogram", corpus_id, models, k, result.seed, measure, pair_label),
                               lambda: view.agreement_histogram(
                                   result.measures[measure][pair_label], chance=chance,
                                   measure="Jaccard" if measure == "jaccard" else "RBO", pair=pair_label, k=k))
        st.plotly_chart(histogram, key="compare_histogram", width="stretch")
        columns = [f"{measure}: {pair_label}", f"{'rbo' if measure == 'jaccard' else 'jaccard'}: {pair_label}"]
        least_col, most_col = st.columns(2)
        with least_col:
            st.markdown("**Disagree most** · select a row to open it below")
            least = extremes(per_item, columns[0], n=25)
            view.render_item_table(least, key="compare_least", corpus_id=corpus_id, value_columns=columns)
        with most_col:
            st.markdown("**Agree most**")
            view.render_item_table(extremes(per_item, columns[0], n=25, most=True), key="compare_most",
                                   corpus_id=corpus_id, value_columns=columns)
        csv_col, parquet_col, html_col = st.columns(3)
        csv_col.download_button("Per-item table (CSV)", data=partial(view.csv_bytes, per_item),
                                file_name="compare-items.csv", mime="text/csv", key="compare_items_csv",
                                help="Every item with its Jaccard@k, RBO and overlap for every pair.")
        parquet_col.download_button("Per-item table (Parquet)", data=partial(view.parquet_bytes, per_item),
                                    file_name="compare-items.parquet", mime="application/octet-stream",
                                    key="compare_items_parquet", help="The same table, typed.")
        html_col.download_button("Histogram (HTML)", data=partial(view.figures_html, [histogram], "Agreement"),
                                 file_name="compare-histogram.html", mime="text/html", key="compare_hist_html",
                                 help="The histogram as an interactive page that works offline.")

        st.subheader("Item view")
        focus = state.get(state.FOCUS_ITEM)
        if focus and focus.get("corpus_id") == corpus_id and focus != state.get(state.COMPARE_FOCUS_SEEN):
            state.set(state.COMPARE_ITEM, focus)  # a hand-off from Map or Search opens here once
            state.set(state.COMPARE_FOCUS_SEEN, focus)
        view.item_finder(corpus.frame, labels, corpus_id=corpus_id, key="compare_find")
        item = state.get(state.COMPARE_ITEM)
        rows = {item_id: row for row, item_id in enumerate(corpus.ids)}
        if not item or item.get("corpus_id") != corpus_id or item.get("id") not in rows:
            item = {"corpus_id": corpus_id, "id": least["id"][0]} if least.height else None
        if item is not None:
            row = rows[item["id"]]
            st.text(f"{labels[row]}  (id {item['id']})")
            open_item_button(corpus_id, item["id"], key="compare_open_item")
            frames = res.compare_item_view(corpus_id, models, k, row, state.label_column(corpus_id))
            view.render_item_view(frames, {p: float(result.measures["jaccard"][p][row]) for p in result.pair_labels},
                                  k=k)
    share.follow_link(state.COMPARE_ITEM)  # the link box is drawn by the body, outside this fragment


@st.fragment
def models_section(models: tuple[str, ...], k: int, result: Any, corpus_id: str) -> None:
    """Model-to-model matrices and retrieval agreement on typed queries."""
    with user_errors():
        heatmaps = [view.matrix_heatmap(result.matrices[name], models, title) for name, title in MATRICES.items()]
        for start in range(0, len(heatmaps), 2):
            for column, figure, name in zip(st.columns(2), heatmaps[start:start + 2], list(MATRICES)[start:start + 2]):
                column.plotly_chart(figure, key=f"compare_heatmap_{name}", width="stretch")
        st.dataframe(view.pair_table(result.pairs), hide_index=True, width="stretch")
        st.caption(f"CKA on {result.pairs[0]['cka_n']:,} items, the similarity correlation on "
                   f"{result.pairs[0]['similarity_pairs']:,} random item pairs (seed {result.seed}); both use only items "
                   "every model of the pair represents. Retrieval agreement uses every item as a query.")
        matrices = view.matrices_frame(models, result.matrices)
        m_csv, m_html = st.columns(2)
        m_csv.download_button("Matrices (CSV)", data=partial(view.csv_bytes, matrices), file_name="compare-matrices.csv",
                              mime="text/csv", key="compare_matrices_csv", help="Every matrix, one value per row.")
        m_html.download_button("Heatmaps (HTML)", data=partial(view.figures_html, heatmaps, "Model to model"),
                               file_name="compare-heatmaps.html", mime="text/html", key="compare_heatmaps_html",
                               help="The four heatmaps as an interactive page that works offline.")
        with st.form("compare_queries_form"):
            typed = st.text_area("Your queries, one per line", key="compare_queries",
                                 help="Each query is embedded by every model; agreement is the share of the top-k "
                                      "corpus hits two models have in common.")
            submitted = st.form_submit_button("Measure retrieval agreement", help="Embed the queries and compare hits.")
        queries = tuple(q.strip() for q in typed.splitlines() if q.strip())
        if submitted and queries:
            agreement = res.compare_queries(corpus_id, models, queries, k)
            st.dataframe(view.query_table(agreement), hide_index=True, width="stretch")


@st.fragment
def maps_section(corpus_id: str, models: tuple[str, ...], labels: Sequence[str], result: Any) -> None:
    """Aligned maps with linked selection."""
    with user_errors():
        view.render_aligned_maps(corpus_id, models, labels, result)


@st.fragment
def translate_section(corpus_id: str, models: tuple[str, ...]) -> None:
    """A linear map from one model's space into another's."""
    with user_errors():
        source_col, target_col, seed_col = st.columns([2, 2, 1])
        source = source_col.selectbox("From", models, key="compare_source",
                                      help="The space the linear map starts from.")
        target = target_col.selectbox("Into", [m for m in models if m != source], key="compare_target",
                                      help="The space it should land in.")
        seed = int(seed_col.number_input("Seed", 0, 2**31 - 1, 0, key="compare_translate_seed",
                                         help="Which items are anchors and which are held out."))
        report = res.compare_translation(corpus_id, source, target, seed)
        view.render_translation(report)


compare_body(corpus_id, model_ids)
