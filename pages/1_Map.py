"""Map: see the corpus as a 2-D/3-D layout, coloured by cluster or metadata; every point opens."""
import streamlit as st

from components import map_view, sidebar, state
from components import resources as res
from components.feedback import escape_markdown, user_errors
from engine.cluster import ClusterSpec
from engine.project import DEFAULT_PARAMS, ProjectionSpec

st.set_page_config(page_title="Map · Embedscape", layout="wide")
corpus_id, model_ids = sidebar.sidebar_context()
corpus_id, model_ids = sidebar.require_embedded(corpus_id, model_ids)
st.title("Map")

with user_errors():
    corpus = res.corpus(corpus_id)
    if state.get(state.MAP_MODEL) not in model_ids:
        state.set(state.MAP_MODEL, model_ids[0])
    color_scores = state.get(state.COLOR_SCORES)
    color_choices = map_view.color_options(corpus, color_scores)
    if state.get(state.MAP_COLOR) not in color_choices:
        state.set(state.MAP_COLOR, map_view.CLUSTER)

    model_col, method_col, dims_col, color_col = st.columns([2, 2, 1.2, 2])
    model_id = model_col.selectbox(
        "Model", model_ids, help="Whose embedding space the map shows (the models chosen in the sidebar).",
        **state.bind(state.MAP_MODEL))
    method = method_col.segmented_control(
        "Method", ["umap", "pca"], format_func={"umap": "UMAP", "pca": "PCA"}.__getitem__,
        help="UMAP keeps local neighbourhoods (clusters); PCA is linear and keeps global distances.",
        **state.bind(state.MAP_METHOD)) or "umap"
    dims_label = dims_col.segmented_control(
        "View", ["2-D", "3-D"], help="3-D maps rotate; clicking and lasso selection work in 2-D.",
        **state.bind(state.MAP_DIMS)) or "2-D"
    color_by = color_col.selectbox(
        "Colour by", color_choices, help="Clusters (named by their distinctive words), a metadata column, "
        "or a score sent from another page.", **state.bind(state.MAP_COLOR))

    with st.expander("Layout, clusters and display", expanded=False):
        umap_col, cluster_col, display_col = st.columns(3)
        n_neighbors = umap_col.slider(
            "UMAP n_neighbors", 2, 100, DEFAULT_PARAMS["n_neighbors"], key="map_n_neighbors",
            help="Small values show local detail; large values show the global shape.")
        min_dist = umap_col.slider(
            "UMAP min_dist", 0.0, 0.99, DEFAULT_PARAMS["min_dist"], step=0.05, key="map_min_dist",
            help="How tightly UMAP packs points (0 = tight clusters).")
        metric = umap_col.selectbox("Metric", ["cosine", "euclidean"], key="map_metric",
                                    help="Distance between embeddings (same ordering on unit vectors).")
        seed = umap_col.number_input(
            "Seed", 0, 2**31 - 1, DEFAULT_PARAMS["seed"], key="map_seed",
            help="A fixed seed makes the layout reproducible (UMAP then runs single-threaded).")
        cluster_method = cluster_col.selectbox(
            "Clustering", ["hdbscan", "kmeans"], key="map_cluster_method",
            format_func={"hdbscan": "HDBSCAN (finds the number)", "kmeans": "k-means (you set the number)"}.get,
            help="HDBSCAN leaves outliers unclustered; k-means puts every point in one of k clusters.")
        cluster_space = cluster_col.selectbox(
            "Cluster on", ["map", "pca", "embedding"], key="map_cluster_space",
            format_func={"map": "the map layout", "pca": "a 50-D PCA", "embedding": "the full embedding"}.get,
            help="The map gives clusters that match what you see; the full embedding is truer but slower.")
        min_cluster_size = cluster_col.number_input(
            "HDBSCAN smallest cluster (0 = about 1 %)", 0, 5000, 0, key="map_min_cluster_size",
            help="Groups smaller than this are left unclustered.")
        n_clusters = cluster_col.number_input("k-means clusters", 2, 100, 12, key="map_n_clusters",
                                              help="Number of k-means clusters.")
        point_cap = display_col.number_input(
            "Point cap", 1_000, 500_000, 20_000, step=1_000, key="map_point_cap",
            help="Past this many points, a sample stratified by cluster is drawn (the panel and exports "
            "still use every row). Large caps make the page slower to send.")
        neighbor_k = display_col.slider("Neighbours in the panel", 3, 50, 10, key="map_neighbor_k",
                                        help="How many nearest neighbours the side panel lists.")

    dims = 3 if dims_label == "3-D" else 2
    spec = ProjectionSpec(method=method, dims=dims, n_neighbors=n_neighbors, min_dist=min_dist,
                          metric=metric, seed=int(seed))
    cluster_spec = ClusterSpec(method=cluster_method, space=cluster_space,
                               min_cluster_size=int(min_cluster_size) or None, n_clusters=int(n_clusters),
                               seed=int(seed))
    if res.stored_projection(corpus_id, model_id, spec) is None:
        with st.spinner(f"Computing the {method.upper()} layout of {len(corpus):,} points (once; it is then "
                        "stored). A fresh server's first UMAP also compiles code, about 30 s."):
            res.projection(corpus_id, model_id, spec)
    projection = res.projection(corpus_id, model_id, spec)
    with st.spinner("Clustering…"):
        clustering = res.clusters(corpus_id, model_id, cluster_spec, spec)

    hits = state.get(state.SEARCH_HITS)
    hit_rows = map_view.rows_of_ids(corpus, hits["ids"]) if hits and hits.get("corpus_id") == corpus_id else []
    focus = state.get(state.FOCUS_ITEM)
    focus_row = map_view.row_of_id(corpus, focus["id"]) if focus and focus.get("corpus_id") == corpus_id else None
    rows = map_view.display_rows(projection, clustering, cap=int(point_cap), keep=hit_rows)
    coloring = map_view.coloring(color_by, corpus=corpus, clustering=clustering, color_scores=color_scores)
    figure = map_view.map_chart(projection, corpus.texts, color=coloring, rows=rows,
                                clustering=clustering if color_by == map_view.CLUSTER else None,
                                highlight=hit_rows, focus=focus_row)

    if hit_rows:
        hits_col, clear_col = st.columns([5, 1])
        hits_col.caption(f"Red rings: {len(hit_rows):,} search hits for “{escape_markdown(hits.get('query', ''))}”.")
        if clear_col.button("Clear hits", key="map_clear_hits", help="Stop highlighting the search hits."):
            state.set(state.SEARCH_HITS, None)
            st.rerun()

    map_col, panel_col = st.columns([3, 2])
    with map_col:
        map_view.render_map(figure, corpus=corpus, model_id=model_id, dims=dims, key="map_chart")
        map_view.render_quality(projection, shown=len(rows))
    with panel_col:
        map_view.item_finder(corpus)
        if focus_row is not None:
            map_view.render_neighbor_panel(corpus, model_id, focus_row, clustering=clustering, k=neighbor_k)
        elif dims == 2:
            st.info("Click a point to open it here with its nearest neighbours. Drag a lasso or box to "
                    "select a group (toolbar, top right of the map).")
        else:
            st.info("In 3-D, drag to rotate. To open an item, find it above or click it in the 2-D view.")

    selection = state.get(state.SELECTION)
    if selection and selection.get("corpus_id") == corpus_id:
        map_view.render_selection_panel(corpus, map_view.rows_of_ids(corpus, selection["ids"]),
                                        clustering=clustering)

    with st.expander(f"Clusters · {len(clustering.clusters)} found ({clustering.method} on {clustering.space})"):
        st.dataframe(map_view.cluster_overview(clustering, corpus), hide_index=True, width="stretch",
                     key="map_cluster_table")
    map_view.render_exports(figure, name=f"embedscape-map-{model_id}-{projection.method}")
