"""Nearest-neighbour indexes over one model's vectors: exact below a size threshold, HNSW above.

The only module that imports faiss. Vectors are unit-length float32, so cosine similarity is the
inner product. Rows whose ``Embeddings.valid`` is False (zero vectors) are left out of every
index, so they can never come back as hits; faiss's ``-1`` ids never leave this module.

Routing (measured in ``bench/search.py``; figures in docs/benchmarks.md):

* **exact** (below ``APPROX_THRESHOLD`` rows), one query: on an idle machine, a numpy
  matrix-vector product (multi-threaded BLAS: ~5.5 ms at 100k rows, 2.7x faster than one thread);
  when the machine is busy (1-minute load average >= number of cores), ``faiss.knn`` with one
  OpenMP thread instead, because spin-waiting BLAS threads then make numpy 10-30x slower. Small
  matrices (< ``_PARALLEL_MIN_ROWS``) always take the single-threaded path. A batch of queries: a
  blocked numpy matrix-matrix product (fastest per query measured either way). With a metadata
  filter: numpy scores with the excluded rows masked. No second (faiss flat) copy is ever made.
* **approximate** (``kind="hnsw"``, chosen automatically at ``APPROX_THRESHOLD`` rows and above):
  ``faiss.IndexHNSWFlat`` (M=32, efSearch=128, inner product). Its build takes minutes at 1M rows,
  so the built index is written to the store (``faiss.write_index``, atomically) and read back on
  the next start instead of being rebuilt. Exact indexes are not serialised: their data *is* the
  stored embedding matrix, memory-mapped, so there is nothing to rebuild.
* faiss runs its searches with ``EMBEDSCAPE_FAISS_THREADS`` OpenMP threads (default 1): on a busy
  2-core machine a single flat query took ~24 ms with 2 threads and ~1.1 ms with 1 (OpenMP
  threads spin-wait for a core). HNSW builds use every core.

A :class:`SearchIndex` is shared through ``st.cache_resource``: nothing mutates it after
:func:`build_index` returns (faiss indexes are thread-safe for concurrent searches).

Example:
    >>> import numpy as np
    >>> from engine.types import Embeddings
    >>> vectors = np.eye(3, dtype=np.float32)
    >>> index = build_index(Embeddings("c", "m", vectors))
    >>> rows, scores = search_vector(index, vectors[1], k=2)
    >>> int(rows[0]), float(scores[0])
    (1, 1.0)
"""
from __future__ import annotations

import contextlib
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import faiss
import numpy as np

from engine.errors import SearchError
from engine.precision import busy_machine_since_last_call, other_processes_cores_since_last_call
from engine.types import Embeddings, Mask, Vectors

IndexKind = Literal["exact", "hnsw"]
IndexChoice = Literal["auto", "exact", "hnsw"]
Rows = np.ndarray  # (k,) int64 corpus row numbers
Scores = np.ndarray  # (k,) float32 cosine similarities, descending

APPROX_THRESHOLD = 250_000  # rows; at and above this "auto" builds HNSW (numpy exact at 100k is ~6 ms)
FAISS_THREADS = max(1, int(os.environ.get("EMBEDSCAPE_FAISS_THREADS", "1") or 1))
_QUERY_BLOCK = 256  # exact batches are scored this many queries at a time (bounded memory)
_PARALLEL_MIN_ROWS = 20_000  # below this a single-threaded product is as fast as a parallel one
_load_checked = [0.0, False]  # (time, busy): the machine's load is read at most once a second
other_processes_cores_since_last_call()  # starts the window the first check reads
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128
_EXACT_SUBSET_MAX = 50_000  # a filtered HNSW search that keeps at most this many rows is done exactly
_NAMESPACE = "index"

faiss.omp_set_num_threads(FAISS_THREADS)


@dataclass(frozen=True, slots=True, eq=False)
class SearchIndex:
    """A read-only nearest-neighbour index over the valid rows of one :class:`Embeddings`.

    Attributes:
        corpus_id: The corpus the vectors belong to.
        model_id: The model whose space the vectors live in.
        kind: ``"exact"`` (numpy / faiss brute force) or ``"hnsw"`` (approximate).
        matrix: (n_valid, d) float32, C-contiguous, unit rows, read-only: the searched vectors.
        rows: (n_valid,) int64, the corpus row of each matrix row.
        n_rows: Rows in the corpus (valid or not).
        hnsw: The faiss HNSW index for ``kind="hnsw"``, else None.
        params: How it was built (kind, M, efConstruction, efSearch, build seconds, loaded from store).
    """

    corpus_id: str
    model_id: str
    kind: IndexKind
    matrix: Vectors
    rows: np.ndarray
    n_rows: int
    hnsw: Any = None
    params: Mapping[str, Any] = field(default_factory=dict)

    @property
    def n_valid(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def dimension(self) -> int:
        return int(self.matrix.shape[1])

    def describe(self) -> str:
        """One line for the UI and the CLI."""
        if self.kind == "hnsw":
            how = "loaded from the store" if self.params.get("loaded") else f"built in {self.params.get('build_seconds', 0):.1f} s"
            return (f"approximate HNSW index (M={self.params['M']}, efSearch={self.params['efSearch']}) over "
                    f"{self.n_valid:,} vectors, {how}")
        return f"exact search over {self.n_valid:,} vectors"


def _contiguous_matrix(embeddings: Embeddings) -> tuple[np.ndarray, np.ndarray]:
    """The valid rows as one C-contiguous float32 matrix (no copy when all rows are valid)."""
    valid = np.asarray(embeddings.valid, dtype=bool)
    vectors = embeddings.vectors
    if valid.all():
        matrix = np.ascontiguousarray(vectors, dtype=np.float32)
        rows = np.arange(vectors.shape[0], dtype=np.int64)
    else:
        rows = np.flatnonzero(valid).astype(np.int64)
        matrix = np.ascontiguousarray(vectors[rows], dtype=np.float32)
    if matrix.flags.writeable:
        matrix.setflags(write=False)
    rows.setflags(write=False)
    return matrix, rows


def _index_key(embeddings: Embeddings, kind: str) -> str:
    from engine.models import resolve_model
    from engine.store import model_key

    try:
        mkey = model_key(resolve_model(embeddings.model_id))
    except Exception:  # an unknown model id (notebook use): fall back to a slug of the id
        mkey = "".join(ch if ch.isalnum() or ch in "_-" else "_" for ch in embeddings.model_id)
    mkey = mkey.replace(".", "_").replace("@", "-")
    return f"{mkey}-{kind}-M{HNSW_M}-efc{HNSW_EF_CONSTRUCTION}"


def _write_index_atomic(index: Any, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        faiss.write_index(index, tmp_name)
        os.replace(tmp_name, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)


def _build_hnsw(matrix: np.ndarray, progress: Callable[[int, int], None] | None, *, m: int = HNSW_M,
                ef_construction: int = HNSW_EF_CONSTRUCTION, threads: int | None = None) -> Any:
    index = faiss.IndexHNSWFlat(matrix.shape[1], m, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    index.hnsw.efSearch = HNSW_EF_SEARCH
    step = 50_000
    n = matrix.shape[0]
    if progress:
        progress(0, n)
    faiss.omp_set_num_threads(threads or os.cpu_count() or 1)  # building is parallel; searching is not
    try:
        for start in range(0, n, step):
            index.add(matrix[start:start + step])
            if progress:
                progress(min(start + step, n), n)
    finally:
        faiss.omp_set_num_threads(FAISS_THREADS)
    return index


def build_index(
    embeddings: Embeddings,
    *,
    kind: IndexChoice = "auto",
    store: Any | None = None,
    threshold: int = APPROX_THRESHOLD,
    progress: Callable[[int, int], None] | None = None,
) -> SearchIndex:
    """Build (or load from the store) the index for one model's vectors of one corpus.

    Args:
        embeddings: Unit-length float32 vectors with their ``valid`` mask.
        kind: ``"exact"``, ``"hnsw"``, or ``"auto"`` (HNSW from ``threshold`` valid rows up).
        store: When given, an HNSW index is read from / written to
            ``store.artifact_path(corpus_id, "index", …, ".faiss")``.
        threshold: Row count at which ``"auto"`` switches to HNSW.
        progress: Optional ``(done, total)`` callback while HNSW is built.

    Returns:
        A read-only :class:`SearchIndex`.

    Raises:
        SearchError: For an unknown ``kind``, or vectors that are not 2-D.
    """
    if kind not in ("auto", "exact", "hnsw"):
        raise SearchError(f"Unknown index kind {kind!r}: use 'auto', 'exact' or 'hnsw'.")
    matrix, rows = _contiguous_matrix(embeddings)
    chosen: IndexKind = ("hnsw" if matrix.shape[0] >= threshold else "exact") if kind == "auto" else kind
    params: dict[str, Any] = {"kind": chosen, "threshold": threshold}
    hnsw = None
    if chosen == "hnsw" and matrix.shape[0] > 0:
        params.update({"M": HNSW_M, "efConstruction": HNSW_EF_CONSTRUCTION, "efSearch": HNSW_EF_SEARCH})
        path = None
        if store is not None:
            path = store.artifact_path(embeddings.corpus_id, _NAMESPACE, _index_key(embeddings, "hnsw"), ".faiss")
            if path.exists():
                loaded = faiss.read_index(str(path))
                if loaded.ntotal == matrix.shape[0] and loaded.d == matrix.shape[1]:
                    hnsw = loaded
                    params["loaded"] = True
        if hnsw is None:
            started = time.perf_counter()
            hnsw = _build_hnsw(matrix, progress)
            params["build_seconds"] = round(time.perf_counter() - started, 2)
            params["loaded"] = False
            if path is not None:
                _write_index_atomic(hnsw, path)
        faiss.ParameterSpace().set_index_parameter(hnsw, "efSearch", HNSW_EF_SEARCH)
    elif chosen == "hnsw":
        chosen = "exact"  # nothing to index
        params["kind"] = "exact"
    return SearchIndex(
        corpus_id=embeddings.corpus_id, model_id=embeddings.model_id, kind=chosen, matrix=matrix, rows=rows,
        n_rows=embeddings.n, hnsw=hnsw, params=MappingProxyType(params),  # read-only: the index is shared
    )


def _check_queries(index: SearchIndex, queries: np.ndarray) -> np.ndarray:
    queries = np.asarray(queries, dtype=np.float32)
    if queries.ndim == 1:
        queries = queries[None, :]
    if queries.ndim != 2:
        raise SearchError(f"Queries must be a vector or a (m, d) matrix, got {queries.ndim}-D.")
    if queries.shape[1] != index.dimension and index.n_valid > 0:
        raise SearchError(
            f"The query has {queries.shape[1]} dimensions but {index.model_id!r} vectors have {index.dimension}: "
            "embed the query with the same model as the corpus."
        )
    if not np.isfinite(queries).all():
        raise SearchError("The query vector contains NaN or infinite values; embed the query again or change it.")
    norms = np.linalg.norm(queries, axis=1)
    if (norms == 0).any():
        raise SearchError(
            f"The query has no representation in {index.model_id!r} (a zero vector: for a word model, none of "
            "its words are in the vocabulary). Try other words."
        )
    return np.ascontiguousarray(queries / norms[:, None], dtype=np.float32)


def _allowed_positions(index: SearchIndex, allowed: Mask | None, exclude_rows: Any) -> np.ndarray | None:
    """A (n_valid,) bool mask over matrix positions, or None when every position is allowed."""
    if allowed is None and not exclude_rows:
        return None
    keep = np.ones(index.n_valid, dtype=bool)
    if allowed is not None:
        allowed = np.asarray(allowed, dtype=bool)
        if allowed.shape != (index.n_rows,):
            raise SearchError(f"The filter has {allowed.shape[0]} entries but the corpus has {index.n_rows:,} rows.")
        keep &= allowed[index.rows]
    if exclude_rows:
        excluded = np.zeros(index.n_rows, dtype=bool)
        excluded[np.fromiter((int(r) for r in exclude_rows), dtype=np.int64)] = True
        keep &= ~excluded[index.rows]
    return keep


def _top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k largest finite entries of a 1-D array, descending."""
    finite = np.isfinite(scores)
    k = min(k, int(finite.sum()))
    if k <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    top = np.argpartition(-scores, k - 1)[:k] if k < scores.shape[0] else np.arange(scores.shape[0])
    top = top[np.isfinite(scores[top])]
    top = top[np.lexsort((top, -scores[top]))]  # by score descending, ties by position
    return top.astype(np.int64), scores[top].astype(np.float32)


def search_vectors(
    index: SearchIndex,
    queries: np.ndarray,
    k: int = 10,
    *,
    allowed: Mask | None = None,
    exclude_rows: Any = None,
) -> list[tuple[Rows, Scores]]:
    """The k most similar corpus rows for each query vector.

    Args:
        index: From :func:`build_index`.
        queries: (d,) or (m, d) vectors in the index's space (normalised here).
        k: Hits per query; more than the corpus holds returns all rows.
        allowed: Optional (n_rows,) bool mask (metadata filter): only these rows can be hits.
        exclude_rows: Corpus rows never to return (the item itself in "more like this").

    Returns:
        One ``(rows, scores)`` pair per query: int64 corpus rows and float32 cosine similarities,
        descending. Fewer than k when fewer rows qualify; never a -1 or an invalid row.

    Raises:
        SearchError: For k < 1, a NaN, zero or wrong-sized query, or a filter of the wrong size.
    """
    if int(k) < 1:
        raise SearchError(f"k must be at least 1, got {k}.")
    k = int(k)
    queries = _check_queries(index, queries)
    m = queries.shape[0]
    if index.n_valid == 0:
        return [(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)) for _ in range(m)]
    keep = _allowed_positions(index, allowed, exclude_rows)
    if keep is not None and index.kind == "hnsw" and keep.sum() > _EXACT_SUBSET_MAX:
        return _search_hnsw(index, queries, k, keep)
    if keep is not None:
        return _search_exact(index, queries, k, keep)
    if index.kind == "hnsw":
        return _search_hnsw(index, queries, k, None)
    return _search_exact(index, queries, k, None)


def _search_exact(index: SearchIndex, queries: np.ndarray, k: int, keep: np.ndarray | None) -> list[tuple[Rows, Scores]]:
    if keep is not None:
        positions = np.flatnonzero(keep)
        if positions.size == 0:
            return [(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)) for _ in range(len(queries))]
        if positions.size < index.n_valid // 2:  # a small subset: search only it
            sub = index.matrix[positions]
            results = []
            for query in queries:
                top, values = _top_k(sub @ query, k)
                results.append((index.rows[positions[top]], values))
            return results
    if keep is None and queries.shape[0] > 1:
        results = []
        for start in range(0, queries.shape[0], _QUERY_BLOCK):
            block = queries[start:start + _QUERY_BLOCK] @ index.matrix.T  # (b, n_valid)
            for scores in block:
                top, values = _top_k(scores, k)
                results.append((index.rows[top], values))
        return results
    if keep is None and index.n_valid >= _PARALLEL_MIN_ROWS and not machine_busy():
        top, values = _top_k(index.matrix @ queries[0], k)  # multi-threaded BLAS
        return [(index.rows[top], values)]
    if keep is None:  # one query, no filter, small matrix or busy machine: one thread
        distances, labels = faiss.knn(queries, index.matrix, min(k, index.n_valid), metric=faiss.METRIC_INNER_PRODUCT)
        return [_from_faiss(index, labels[0], distances[0])]
    results = []
    for query in queries:
        scores = np.where(keep, index.matrix @ query, -np.inf)
        top, values = _top_k(scores, k)
        results.append((index.rows[top], values))
    return results


def machine_busy() -> bool:
    """True when *other* processes keep the cores busy (at least the core count minus half a core),
    read at most once a second and never waiting: their CPU since the previous read
    (:func:`engine.precision.other_processes_cores_since_last_call`), so this process's own bursts
    (a layout, a search on both cores) do not count. Where that cannot be read (the window is over a
    minute old, or no /proc), the 1-minute load average against the core count."""
    now = time.monotonic()
    if now - _load_checked[0] > 1.0:
        _load_checked[0], _load_checked[1] = now, busy_machine_since_last_call()
    return bool(_load_checked[1])


def _from_faiss(index: SearchIndex, labels: np.ndarray, distances: np.ndarray) -> tuple[Rows, Scores]:
    ok = labels >= 0  # faiss pads with -1 when fewer than k results exist
    return index.rows[labels[ok]].astype(np.int64), distances[ok].astype(np.float32)


def _search_hnsw(index: SearchIndex, queries: np.ndarray, k: int, keep: np.ndarray | None) -> list[tuple[Rows, Scores]]:
    k_eff = min(k, index.n_valid)
    params = faiss.SearchParametersHNSW()
    params.efSearch = max(HNSW_EF_SEARCH, k_eff)
    bits = None
    if keep is not None:
        bits = np.packbits(keep, bitorder="little")
        selector = faiss.IDSelectorBitmap(index.n_valid, faiss.swig_ptr(bits))
        params.sel = selector
    distances, labels = index.hnsw.search(queries, k_eff, params=params)
    del bits  # kept alive until the search returned
    return [_from_faiss(index, labels[i], distances[i]) for i in range(queries.shape[0])]


def search_vector(
    index: SearchIndex,
    query: np.ndarray,
    k: int = 10,
    *,
    allowed: Mask | None = None,
    exclude_rows: Any = None,
) -> tuple[Rows, Scores]:
    """:func:`search_vectors` for one query vector."""
    return search_vectors(index, np.asarray(query)[None, :] if np.ndim(query) == 1 else query, k,
                          allowed=allowed, exclude_rows=exclude_rows)[0]


def exact_top_k(matrix: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Brute-force top-k rows (m, k) by inner product with numpy: the reference for recall."""
    scores = np.asarray(queries, dtype=np.float32) @ np.asarray(matrix, dtype=np.float32).T
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1)


def recall_at_k(found: np.ndarray, truth: np.ndarray) -> float:
    """Mean share of each query's true top-k that ``found`` (m, k) contains."""
    hits = [len(set(f.tolist()) & set(t.tolist())) / max(len(t), 1) for f, t in zip(found, truth)]
    return float(np.mean(hits)) if hits else 1.0


def hnsw_recall(index: SearchIndex, queries: np.ndarray, k: int = 10) -> float:
    """recall@k of ``index`` (HNSW) against numpy brute force, for the given query vectors."""
    queries = _check_queries(index, queries)
    truth = exact_top_k(index.matrix, queries, k)
    found = np.full((queries.shape[0], min(k, index.n_valid)), -1, dtype=np.int64)
    for i, (rows, _) in enumerate(search_vectors(index, queries, k)):
        positions = np.searchsorted(index.rows, rows)
        found[i, :len(positions)] = positions
    return recall_at_k(found, truth)


# -- all-pairs kNN graphs (engine.knn) --------------------------------------------------------------
