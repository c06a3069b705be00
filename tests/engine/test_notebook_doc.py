"""docs/notebook.md runs as written (a doctest in a fresh workspace, the smallest model)."""
from __future__ import annotations

import doctest

from tests.conftest import ROOT


def test_notebook_doc_runs(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDSCAPE_HOME", str(tmp_path))
    result = doctest.testfile(str(ROOT / "docs" / "notebook.md"), module_relative=False, verbose=False,
                              optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, raise_on_error=False)
    assert result.attempted >= 30 and result.failed == 0
