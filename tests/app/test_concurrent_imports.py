"""Cold start: pages whose scripts start at the same moment import their modules safely.

Issue 8 §2.1: the first visit to the Map after `streamlit run` crashed in 3 of 6 fresh starts with
"partially initialized module 'pandas' has no attribute 'Series'": one script thread was still
importing pandas when another one (through plotly's ``get_module``, which reads ``sys.modules``)
used it. Each check runs in a fresh interpreter, because only the first import can race.
"""
from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

# A fresh interpreter that, like the server, has streamlit imported, then starts one thread per
# page importing what that page imports, and one "late visitor" thread per heavy library: the moment
# the library shows up in sys.modules it starts a page (`import components`, every page's first
# import) and then uses the library the way plotly does, by looking it up in sys.modules.
RACE = r"""
import ast, importlib, json, sys, threading, time
from pathlib import Path

root = Path(sys.argv[1])
sys.path.insert(0, str(root))
import streamlit  # the server has imported it before any script thread starts

def page_modules(path):
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("components", "engine"):
            names += [(node.module, alias.name) for alias in node.names]
    return names

pages = [root / "app.py"] + sorted((root / "pages").glob("*.py"))
WATCHED = ("pandas", "polars", "pyarrow", "plotly", "scipy", "sklearn")
errors, seen = [], []
start = threading.Barrier(len(pages) + len(WATCHED))

def open_page(path):
    start.wait()
    for module, name in page_modules(path):
        try:
            try:
                importlib.import_module(f"{module}.{name}")
            except ModuleNotFoundError:
                getattr(importlib.import_module(module), name)
        except Exception as exc:
            errors.append(f"{path.name}: {module}.{name}: {type(exc).__name__}: {exc}")

def late_visitor(library):
    start.wait()
    deadline = time.monotonic() + 60
    while library not in sys.modules and time.monotonic() < deadline:
        time.sleep(0.0005)
    seen.append(library)
    import components  # noqa: F401
    module = sys.modules.get(library)
    if getattr(getattr(module, "__spec__", None), "_initializing", False):
        errors.append(f"{library} was still being imported by another thread when a page used it")
    if library == "pandas":
        from _plotly_utils.optional_imports import get_module
        try:
            get_module("pandas", should_load=False).Series
        except AttributeError as exc:
            errors.append(f"plotly's view of pandas: {exc}")

threads = [threading.Thread(target=open_page, args=(p,)) for p in pages]
threads += [threading.Thread(target=late_visitor, args=(lib,)) for lib in WATCHED]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(json.dumps({"errors": errors, "pages": [p.name for p in pages], "seen": sorted(seen)}))
"""


def test_pages_started_at_once_never_see_a_half_imported_library():
    out = subprocess.run([sys.executable, "-c", RACE, str(ROOT)], capture_output=True, text=True,
                         cwd=ROOT, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert len(result["pages"]) >= 5  # app.py and the four pages: the glob found them
    assert result["errors"] == []


def _imports_into_another_package(path) -> list[str]:
    """``from engine.pkg.sub import x`` (or ``import engine.pkg.sub``) in a module outside engine/pkg/."""
    import ast

    relative = path.relative_to(ROOT)
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        names = ([node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level
                 else [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
        for name in names:
            parts = name.split(".")
            if parts[0] == "engine" and len(parts) >= 3 and relative.parts[:2] != ("engine", parts[1]):
                found.append(f"{relative}:{node.lineno}: {name}")
    return found


def test_no_module_imports_a_submodule_of_a_package_it_is_not_in():
    """The deterministic half of the race above: Python 3.11 locks ``engine.compare.agreement`` before
    importing its parent, so a page importing the submodule while another page imports the package
    deadlocks (seen: "_DeadlockError: deadlock detected by _ModuleLock('engine.compare.agreement')").
    Everything outside a package imports from the package itself."""
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "components").rglob("*.py")),
             *sorted((ROOT / "engine").rglob("*.py"))]
    assert len(files) > 50
    offenders = [line for path in files for line in _imports_into_another_package(path)]
    assert offenders == []
