"""The order the two-worker run hands files out in (tests/conftest.py)."""
from __future__ import annotations

from tests.conftest import xdist_file_order


def test_long_files_first_alternating_browser_and_other_then_the_rest_in_order():
    seconds = {"tests/browser/b1.py": 90, "tests/browser/b2.py": 50, "tests/browser/b3.py": 10,
               "tests/engine/e1.py": 60, "tests/app/a1.py": 20}
    paths = ["tests/app/a0.py", "tests/app/a1.py", "tests/browser/b3.py", "tests/browser/b1.py",
             "tests/engine/e0.py", "tests/engine/e1.py", "tests/browser/b2.py"]
    order = xdist_file_order(paths, seconds)
    assert order == ["tests/browser/b1.py", "tests/engine/e1.py", "tests/browser/b2.py", "tests/app/a1.py",
                     "tests/browser/b3.py", "tests/app/a0.py", "tests/engine/e0.py"]
    assert sorted(order) == sorted(paths)  # nothing lost, nothing twice
