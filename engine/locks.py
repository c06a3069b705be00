"""One way to serialise writers of a folder across threads and processes: an exclusive ``flock``."""
from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def folder_lock(directory: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``directory/.lock`` (folder made if missing), held for the block.

    Used for a corpus's manifest (engine.store, D11) and its named item sets (engine.itemsets).
    """
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
