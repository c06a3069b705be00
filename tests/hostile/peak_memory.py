"""Peak memory of ingesting one file, measured in a fresh process (tracemalloc misses Arrow's memory).

Usage: ``python -m tests.hostile.peak_memory FILE [UPLOAD_NAME]`` prints one JSON object:
the baseline and peak resident set size (``VmHWM``, else ``ru_maxrss``; KiB) and the outcome. The baseline is
taken after importing the readers and loading a tiny file of every format, so it includes
polars, pyarrow and their thread pools; what is left is what the file itself cost.

``python -m tests.hostile.peak_memory --all FOLDER`` runs every bomb case of the hostile suite,
one fresh process each, and prints a Markdown table (for docs/reliability.md).
"""
from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def peak_kib() -> int:
    """This process's peak resident set size in KiB.

    ``VmHWM`` from /proc where there is one: ``ru_maxrss`` survives ``exec`` on Linux (the kernel
    keeps the larger of the parent's peak at fork time and the child's own), so a probe started
    from a big pytest process would report pytest's peak instead of its own.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _warm_up() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from engine.corpus import load_corpus

    buffer = io.BytesIO()
    pq.write_table(pa.table({"text": ["warm", "up"], "n": [1, 2]}), buffer)
    for data, name in ((b"text,n\nwarm,1\nup,2\n", "w.csv"), (b"warm\nup\n", "w.txt"),
                       (b'{"text": "warm"}\n', "w.jsonl"), (buffer.getvalue(), "w.parquet")):
        load_corpus(data, filename=name)


def measure(path: str, upload_name: str = "") -> dict[str, object]:
    from engine.corpus import load_corpus
    from engine.errors import EmbedscapeError

    _warm_up()
    baseline = peak_kib()
    try:
        if upload_name:
            corpus, _ = load_corpus(Path(path).read_bytes(), filename=upload_name)
        else:
            corpus, _ = load_corpus(path)
        outcome = f"loaded {len(corpus):,} rows"
    except EmbedscapeError as exc:
        outcome = f"{type(exc).__name__}: {str(exc)[:90]}"
    peak = peak_kib()
    return {"file": Path(path).name, "baseline_kib": baseline, "peak_kib": peak, "outcome": outcome}


def measure_in_subprocess(path: Path, env: dict[str, str], upload_name: str = "") -> dict[str, object]:
    """Run :func:`measure` in a fresh interpreter (ru_maxrss never goes down within one)."""
    result = subprocess.run([sys.executable, "-m", "tests.hostile.peak_memory", str(path), upload_name],
                            capture_output=True, text=True, cwd=ROOT, env={**os.environ, **env}, timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"peak-memory probe failed for {path.name}: {result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _table(folder: Path) -> str:
    from tests.hostile.generate import CAPS, CASES, generate

    paths = generate(folder)
    lines = ["| file | on disk | peak above baseline | outcome |", "|---|---:|---:|---|"]
    for case in (c for c in CASES if c.bomb):
        row = measure_in_subprocess(paths[case.name], CAPS, case.upload_name)
        delta = (int(row["peak_kib"]) - int(row["baseline_kib"])) / 1024
        size = paths[case.name].stat().st_size / 1024 / 1024
        lines.append(f"| `{case.name}` | {size:,.1f} MiB | {delta:,.1f} MiB | {row['outcome']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    if sys.argv[1] == "--all":
        print(_table(Path(sys.argv[2])))
    else:
        print(json.dumps(measure(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")))
