"""Streamlit-aware widgets, caches and session state (engine results → UI).

Every page imports this package first, so it is where the heavy libraries are imported, once
and from one thread (engine/warmup.py says why: concurrent first imports crashed a cold start).
A second script thread importing ``components`` waits until this has finished.
"""
from engine.warmup import import_core as _import_core

_import_core()
