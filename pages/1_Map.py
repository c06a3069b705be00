"""Map: see the corpus as a 2-D/3-D layout, coloured by cluster or metadata; every point opens."""
import time
from functools import partial

import streamlit as st

from components import cluster_curation, crossfilter, map_view, share, sidebar, state, tag_picker
from components import resources as res
from components.feedback import escape_markdown, user_errors
from components.map_layers import label_layers
from components.selection_summary import render_selection_summary
from engine.cluster import ClusterSpec
from engine.config import MAP_3D_POINT_CAP
from engine.project import ProjectionSpec, display_rows

MAP_VIEWPORT = (760, 640)  # the canvas's CSS px at zoom 1 in the wide layout; zoom labels are placed for it
st.set_page_config(page_title="Map · Embedscape", layout="wide")
corpus_id, model_ids = sidebar.sidebar_context()
corpus_id, model_ids = sidebar.require_embedded(corpus_id, model_ids)
st.title("Map")

with user_errors():
    corpus = res.corpus(corpus_id)
    map_view.map_model(corpus_id, model_ids)  # this corpus's own choice, else the sidebar's first model
    color_scores = state.get(state.COLOR_SCORES)
    color_choices = tag_picker.color_options(corpus_id, map_view.color_options(corpus, color_scores))
    if state.get(state.MAP_COLOR) not in color_choices:
        state.set(state.MAP_COLOR, map_view.CLUSTER)

    model_col, method_col, dims_col = st.columns([2, 2, 1.2])
    model_id = model_col.selectbox(
        "Model", model_ids, format_func=map_view.model_name,
        help="Whose embedding space the map shows (the models chosen in the sidebar).",
        **map_view.bind_choice(corpus_id, "model"))
    method = method_col.segmented_control(
        "Method", ["umap", "pca"], format_func={"umap": "UMAP", "pca": "PCA"}.__getitem__,
        help="UMAP keeps local neighbourhoods (clusters); PCA is linear and keeps global distances.",
        **state.bind(state.MAP_METHOD)) or "umap"
    dims_label = dims_col.segmented_control(
        "View", ["2-D", "3-D"], help="3-D maps rotate; clicking and lasso selection work in 2-D.",
        **state.bind(state.MAP_DIMS)) or "2-D"

    with st.expander("Layout, clusters and display", expanded=False):
        layout_col, cluster_col, display_col = st.columns(3)
        if method == "umap":  # PCA has no such parameters: showing them would suggest they matter
            layout_col.slider("UMAP n_neighbors", 2, 100, help="Small values show local detail; large values "
                              "show the global shape.", **map_view.bind_choice(corpus_id, "n_neighbors"))
            layout_col.slider("UMAP min_dist", 0.0, 0.99, step=0.05, help="How tightly UMAP packs points "
                              "(0 = tight clusters).", **map_view.bind_choice(corpus_id, "min_dist"))
            layout_col.selectbox("Metric", ["cosine", "euclidean"], help="Distance between embeddings (same "
                                 "ordering on unit vectors).", **map_view.bind_choice(corpus_id, "metric"))
        else:
            layout_col.caption("PCA is linear and has no layout parameters.")
        layout_col.number_input(
            "Seed", 0, 2**31 - 1, help="A fixed seed makes UMAP and k-means reproducible (UMAP then runs "
            "single-threaded).", **map_view.bind_choice(corpus_id, "seed"))
        cluster_method = cluster_col.selectbox(
            "Clustering", ["hdbscan", "kmeans"],
            format_func={"hdbscan": "HDBSCAN (finds the number)", "kmeans": "k-means (you set the number)"}.get,
            help="HDBSCAN leaves outliers unclustered; k-means puts every point in one of k clusters.",
            **map_view.bind_choice(corpus_id, "cluster_method"))
        cluster_col.selectbox(
            "Cluster on", ["map", "pca", "embedding"],
            format_func={"map": "the map layout", "pca": "a 50-D PCA", "embedding": "the full embedding"}.get,
            help="The map gives clusters that match what you see; the full embedding is truer but slower.",
            **map_view.bind_choice(corpus_id, "cluster_space"))
        if cluster_method == "hdbscan":
            cluster_col.number_input("HDBSCAN smallest cluster (0 = about 1 %)", 0, 5000,
                                     help="Groups smaller than this are left unclustered.",
                                     **map_view.bind_choice(corpus_id, "min_cluster_size"))
        else:
            cluster_col.number_input("k-means clusters", 2, 100, help="Number of k-means clusters.",
                                     **map_view.bind_choice(corpus_id, "n_clusters"))
        display_col.number_input(
            "Point cap", 100, 500_000, step=1_000,
            help="Past this many points, a sample stratified by cluster is drawn over a shaded density of "
            "every point (the panel and exports still use every row). The 3-D view draws at most "
            f"{MAP_3D_POINT_CAP:,}. Large caps make the page slower to send.",
            **map_view.bind_choice(corpus_id, "point_cap"))
        display_col.slider("Neighbours in the panel", 3, 50, help="How many nearest neighbours the side panel "
                           "lists.", **map_view.bind_choice(corpus_id, "neighbor_k"))

    def chosen(name):
        return map_view.choice(corpus_id, name)

    dims = 3 if dims_label == "3-D" else 2
    spec = ProjectionSpec(method=method, dims=dims, n_neighbors=int(chosen("n_neighbors")),
                          min_dist=float(chosen("min_dist")), metric=chosen("metric"), seed=int(chosen("seed")))
    cluster_spec = ClusterSpec(method=chosen("cluster_method"), space=chosen("cluster_space"),
                               min_cluster_size=int(chosen("min_cluster_size")) or None,
                               n_clusters=int(chosen("n_clusters")), seed=int(chosen("seed")))
    if res.stored_projection(corpus_id, model_id, spec) is None:
        # above the chart, at once: a first UMAP on a fresh server takes ~30 s (numba compiles)
        name = f"{method.upper()} {dims}-D layout of {len(corpus):,} points ({escape_markdown(map_view.model_name(model_id))})"
        with st.status(f"Computing the {name}…", expanded=True) as status:
            started = time.perf_counter()

            def show_phase(line: str) -> None:
                status.update(label=f"{line}…")
                status.write(f"{time.perf_counter() - started:4.1f} s · {line}")

            res.compute_projection(corpus_id, model_id, spec, phase=show_phase)
            status.update(label=f"Computed the {name} in {time.perf_counter() - started:.1f} s; it is stored, "
                          "so it opens at once next time.", state="complete", expanded=False)


@st.fragment
def map_section(corpus_id: str, model_id: str, spec: ProjectionSpec, cluster_spec: ClusterSpec) -> None:
    """Everything a map interaction changes (colour, click, selection, hits): it reruns alone (issue 15 §1)."""
    with user_errors():
        corpus = res.corpus(corpus_id)
        labels = res.item_labels(corpus_id, state.label_column(corpus_id))
        projection = crossfilter.filtered_projection(corpus_id, corpus, res.projection(corpus_id, model_id, spec))
        clustering = cluster_curation.shown_clustering(corpus_id, model_id,
                                                       res.clusters(corpus_id, model_id, cluster_spec, spec))
        color_scores = state.get(state.COLOR_SCORES)
        color_col, hits_col = st.columns([2, 3], vertical_alignment="bottom")
        color_by = color_col.selectbox(
            "Colour by", tag_picker.color_options(corpus_id, map_view.color_options(corpus, color_scores)), help="Clusters (named by their "
            "distinctive words), a metadata column, or a score sent from another page. Columns of unique "
            "numbers (ids) are not offered.", **state.bind(state.MAP_COLOR))
        hits = state.get(state.SEARCH_HITS)
        hit_rows = map_view.rows_of_ids(corpus, hits["ids"]) if hits and hits.get("corpus_id") == corpus_id else []
        focus = state.get(state.FOCUS_ITEM)
        focus_row = map_view.row_of_id(corpus, focus["id"]) if focus and focus.get("corpus_id") == corpus_id else None
        cap = int(chosen("point_cap")) if spec.dims == 2 else min(int(chosen("point_cap")), MAP_3D_POINT_CAP)
        layers = label_layers(corpus_id, model_id, spec, viewport=MAP_VIEWPORT, point_cap=cap, keep=hit_rows,
                              curated=clustering.params.get("name") if clustering.method == "curated" else None) \
            if spec.dims == 2 else {"labels": None, "density": None, "rows": None}
        rows = layers["rows"] if layers["rows"] is not None else display_rows(projection, clustering.labels, cap=cap,
                                                                             keep=hit_rows)
        coloring = tag_picker.coloring(color_by, corpus) or map_view.coloring(
            color_by, corpus=corpus, clustering=clustering, color_scores=color_scores)
        drawing = {"color": coloring, "labels": labels, "rows": rows, "highlight": hit_rows, "focus": focus_row,
                   "clustering": clustering if color_by == map_view.CLUSTER else None}
        canvas_layers = {"label_levels": layers["labels"] if (layers["labels"] or {}).get("levels") else None,
                         "density": layers["density"]}
        if hit_rows:
            hits_col.caption(f"Red rings: {len(hit_rows):,} search hits for “{escape_markdown(hits.get('query', ''))}”.")
            if hits_col.button("Clear hits", key="map_clear_hits", help="Stop highlighting the search hits."):
                state.set(state.SEARCH_HITS, None)
                st.rerun(scope="fragment")

        map_col, panel_col = st.columns([3, 2])
        with map_col:
            if spec.dims == 2:
                map_view.render_canvas(
                    map_view.map_payload(projection, corpus.texts, **drawing, **canvas_layers), corpus=corpus, model_id=model_id,
                    key="map_chart", hover=partial(map_view.plain_hover, texts=corpus.texts, labels=labels,
                                                   color=coloring))
            else:
                map_view.render_map(map_view.map_chart(projection, corpus.texts, **drawing), corpus=corpus,
                                    model_id=model_id, dims=3, key="map_chart")
            map_view.render_quality(projection, shown=len(rows))
        with panel_col:
            map_view.item_finder(corpus, labels)
            if focus_row is not None:
                map_view.render_neighbor_panel(corpus, model_id, focus_row, clustering=clustering, labels=labels,
                                               k=int(chosen("neighbor_k")))
            elif spec.dims == 2:
                st.info("Click a point to open it here with its nearest neighbours. Choose Box select or Lasso "
                        "select (top right of the map) and drag to select a group; scroll to zoom, drag to pan, "
                        "double-click to reset.")
            else:
                st.info("In 3-D, drag to rotate. To open an item, find it above or click it in the 2-D view.")

        # brushing a chart reruns this fragment, so the map redraws with the filter (issue 16 §3)
        crossfilter.linked_charts(corpus_id, corpus, shown=len(rows))
        selection = state.get(state.SELECTION)
        if selection and selection.get("corpus_id") == corpus_id:
            map_view.render_selection_panel(corpus, map_view.rows_of_ids(corpus, selection["ids"]),
                                            clustering=clustering, labels=labels)
            render_selection_summary(corpus_id, model_id, map_view.rows_of_ids(corpus, selection["ids"]),
                                     cluster_spec=cluster_spec, projection_spec=spec, labels=labels)
            tag_picker.tag_picker(corpus_id, selection["ids"], key="map_selection_tags", what="selected items")

        with st.expander(f"Clusters · {len(clustering.clusters)} found ({clustering.method} on {clustering.space})"):
            st.dataframe(map_view.cluster_overview(clustering, corpus), hide_index=True, width="stretch",
                         key="map_cluster_table")
        cluster_curation.curation_panel(corpus, model_id, clustering)
        tag_picker.tags_panel(corpus_id, clustering=clustering)
        map_view.render_exports(partial(map_view.map_chart, projection, corpus.texts, **drawing),
                                name=f"embedscape-map-{model_id}-{projection.method}")
    # inside the fragment: a colour change or a click reruns only this part, and the link must follow it
    share.link_box()  # "Share this view": the link that reopens this page as it is (components/share.py)


with user_errors():
    res.projection(corpus_id, model_id, spec)
    with st.spinner("Clustering…"):
        res.clusters(corpus_id, model_id, cluster_spec, spec)
map_section(corpus_id, model_id, spec, cluster_spec)
