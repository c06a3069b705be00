"""``python -m engine check``: verify a workspace after a crash and repair what can be repaired.

Every write in :mod:`engine.store` goes to a ``.<name>.<random>.tmp`` file that is fsynced and
renamed into place, so ``kill -9`` at any moment leaves either the old file or the new one, plus
at worst a stray ``.tmp`` file. What a crash *can* leave, and what this pass does about it:

- stray ``.tmp`` files and share-copy folders: deleted (also at server start-up, when older than a minute);
- a corpus folder whose manifest was never written (crash between the table and its manifest):
  deleted, since the corpus was never reported as stored (uploading it again stores it);
- vectors stored but not recorded, or recorded but gone: the manifest is repaired
  (``Store.reconcile``, the same pass listing corpora runs);
- an unreadable manifest or table, or a table whose row count differs from its manifest: reported,
  never deleted (a human decides).
"""
from __future__ import annotations

import contextlib
import json
import shutil
import time
from pathlib import Path
from typing import Any

from engine.store import Store


def clean_stray_tmp(root: Path, *, min_age_seconds: float = 0.0) -> list[Path]:
    """Delete ``.*.tmp`` files and folders under ``root`` older than ``min_age_seconds``; return them.

    The age guard lets the server's start-up clean without racing a CLI command writing at the same moment.
    """
    removed: list[Path] = []
    if not root.is_dir():
        return removed
    cutoff = time.time() - min_age_seconds
    for path in sorted(root.rglob(".*.tmp"), key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            if path.lstat().st_mtime > cutoff:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            else:
                path.unlink()
            removed.append(path)
    return removed


def _corpus_folders(root: Path) -> list[tuple[Store, Path]]:
    """(the store that owns it, folder) for every corpus folder, shared and visitors'."""
    from engine.visitors import VisitorStore

    found = [(Store(root), d) for d in sorted((root / "corpora").glob("*")) if d.is_dir()]
    for area in sorted((root / "visitors").glob("*")):
        scoped = VisitorStore(root, None, key=area.name)  # by key: tokens are not stored, by design
        found += [(scoped, d) for d in sorted((area / "corpora").glob("*")) if d.is_dir()]
    return found


def check_workspace(root: str | Path, *, repair: bool = True) -> dict[str, Any]:
    """Verify every corpus of the workspace at ``root``; return {"repaired": [...], "problems": [...]}."""
    import pyarrow.parquet as pq

    root = Path(root).expanduser()
    repaired: list[str] = []
    problems: list[str] = []
    if repair:
        repaired += [f"removed a stray temporary file {p.relative_to(root)}" for p in clean_stray_tmp(root)]
    for store, folder in _corpus_folders(root):
        where = str(folder.relative_to(root))
        if folder.name.startswith("."):
            continue
        manifest_path, table = folder / "manifest.json", folder / "corpus.parquet"
        if not manifest_path.exists():
            if repair:
                shutil.rmtree(folder, ignore_errors=True)
                repaired.append(f"{where}: no manifest (a write was interrupted); removed the unfinished corpus.")
            else:
                problems.append(f"{where}: no manifest (a write was interrupted).")
            continue
        try:
            manifest = json.loads(manifest_path.read_text())
            rows = pq.ParquetFile(table).metadata.num_rows
        except (OSError, ValueError) as exc:
            problems.append(f"{where}: unreadable ({type(exc).__name__}: {exc}); ingest the file again.")
            continue
        if rows != manifest.get("n_rows"):
            problems.append(f"{where}: the table has {rows} rows, the manifest says {manifest.get('n_rows')}.")
        if repair:
            repaired += [f"{where}: {r}" for r in store.reconcile(folder.name)]
        elif store._repairs(manifest)[0]:
            problems.append(f"{where}: its manifest disagrees with the vectors on disk (run without --dry-run).")
    return {"workspace": str(root), "repaired": repaired, "problems": problems, "ok": not problems}
