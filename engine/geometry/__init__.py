"""Geometry of an embedding space: isotropy, intrinsic dimension, hubness, redundancy, statistical
depth with shift tests, and keyword-defined topics. Plain numpy/scipy/skdim; never Streamlit.

Modules: ``isotropy`` (IsoScore, random-pair cosines, PCA spectrum), ``dimension`` (TwoNN, MLE via
scikit-dimension), ``hubness`` (k-occurrence), ``redundancy`` (neighbours kept by top PCs),
``depth`` (TTE depth, rank-sum and permutation shift tests), ``topics`` (Lbl2Vec-style keyword
topics), ``report`` (everything for one model, stored).
"""
from engine.geometry.depth import ShiftError, ShiftResult, group_masks, shift_test, tte_depth
from engine.geometry.report import GeometryReport, geometry_report, summary_rows
from engine.geometry.topics import TopicError, keyword_topics, parse_topics, topic_auc

__all__ = [
    "GeometryReport", "ShiftError", "ShiftResult", "TopicError", "geometry_report", "group_masks",
    "keyword_topics", "parse_topics", "shift_test", "summary_rows", "topic_auc", "tte_depth",
]
