"""Layer rules: the engine never imports streamlit; pages import no heavy math library directly
(numbers are computed in the engine and drawn by components); every page's and every
component's imports resolve.

Pages still import a few engine helpers by name (Search and Bias); moving those into components is
issue 9's "thin pages" work, so that is not asserted here.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    roots |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    return roots


ENGINE_FILES = sorted((ROOT / "engine").rglob("*.py"))


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_module_does_not_import_streamlit(path: Path) -> None:
    assert "streamlit" not in imported_roots(path)


def test_the_boundary_check_sees_the_engine() -> None:
    assert len(ENGINE_FILES) >= 8  # guards against the glob silently matching nothing


def test_heavy_backends_are_not_imported_by_importing_engine() -> None:
    import subprocess
    import sys

    code = "import sys, engine, engine.corpus, engine.store, engine.embed; print(sorted(m for m in ('torch','sentence_transformers','umap','faiss') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.strip() == "[]"


PAGES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
COMPONENTS = sorted(p for p in (ROOT / "components").glob("*.py") if p.name != "__init__.py")
HEAVY_MATH = {"numpy", "scipy", "sklearn", "pandas", "polars", "pyarrow", "torch", "transformers",
              "sentence_transformers", "umap", "pynndescent", "numba", "hdbscan", "faiss", "bm25s"}


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_pages_import_no_heavy_math_directly(path: Path) -> None:
    assert not imported_roots(path) & HEAVY_MATH


def test_the_page_checks_see_every_page() -> None:
    assert len(PAGES) >= 5 and len(COMPONENTS) >= 8


@pytest.mark.parametrize("path", PAGES + COMPONENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_name_a_page_or_component_imports_exists(path: Path) -> None:
    """Each ``from X import name`` of our own packages resolves (a page script cannot be imported
    without running it, so its import statements are checked one by one); components import whole."""
    import importlib

    if path.parent.name == "components":
        importlib.import_module(f"components.{path.stem}")
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("components", "engine"):
            module = importlib.import_module(node.module)
            for alias in node.names:
                if not hasattr(module, alias.name):
                    importlib.import_module(f"{node.module}.{alias.name}")  # a submodule, or ImportError
