"""Embedscape's engine: UI-free corpus, model, embedding and analysis code.

Importable from a notebook and driven by the CLI (``python -m engine``). Heavy backends
(torch, umap, faiss) are imported lazily inside the modules that need them, so importing
``engine`` itself is cheap.
"""
from __future__ import annotations

__version__ = "0.1.0"
