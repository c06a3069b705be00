"""Layer rules: the engine never imports streamlit; pages never import engine functions directly."""
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
