"""Geometry of an embedding space: isotropy, intrinsic dimension, hubness, redundancy, statistical
depth with shift tests, and keyword-defined topics. Plain numpy/scipy/skdim; never Streamlit.

Modules: ``isotropy`` (IsoScore, random-pair cosines, PCA spectrum), ``dimension`` (TwoNN, MLE via
scikit-dimension), ``hubness`` (k-occurrence), ``redundancy`` (neighbours kept by top PCs),
``depth`` (TTE depth, rank-sum and permutation shift tests), ``topics`` (Lbl2Vec-style keyword
topics), ``report`` (everything for one model, stored).
"""
# Pages and components import from the package, never a submodule: with Python 3.11's import locks,
# one thread importing ``engine.geometry.report`` while another imports ``engine.geometry`` can
# deadlock (tests/app/test_concurrent_imports.py).
from engine.geometry.depth import ShiftError, ShiftResult, central_first, group_masks, shift_test, tte_depth
from engine.geometry.hubness import anti_hubs, occurrence_scores, top_hubs
from engine.geometry.report import HUB_K, SUMMARY_COLUMNS, GeometryReport, geometry_report, load_report, summary_rows
from engine.geometry.topics import DEFAULT_THRESHOLD, TopicError, keyword_topics, parse_topics, topic_auc

__all__ = [
    "DEFAULT_THRESHOLD", "HUB_K", "SUMMARY_COLUMNS", "GeometryReport", "ShiftError", "ShiftResult", "TopicError",
    "anti_hubs", "central_first", "geometry_report", "group_masks", "keyword_topics", "load_report",
    "occurrence_scores", "parse_topics", "shift_test", "summary_rows", "top_hubs", "topic_auc", "tte_depth",
]
