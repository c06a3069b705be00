"""engine.models and engine.encoders: the offline registry loads real models that give sane vectors."""
from __future__ import annotations

import time

import numpy as np
import pytest

from engine.embed import embed_texts
from engine.errors import ModelLoadError, UnknownModelError
from engine.models import REGISTRY, load_encoder, resolve_model, resolve_models


def test_registry_has_the_bundled_defaults_with_licences():
    kinds = {spec.model_id: spec.kind for spec in REGISTRY.values()}
    assert kinds == {"minilm-l6": "sentence", "minilm-l3": "sentence", "glove-50d": "word", "tfidf-svd": "lexical"}
    assert all(spec.license and spec.source for spec in REGISTRY.values())


def test_resolve_accepts_ids_display_names_and_hub_names():
    assert resolve_model("paraphrase-MiniLM-L3-v2").model_id == "minilm-l3"
    assert resolve_model("sentence-transformers/all-MiniLM-L6-v2").model_id == "minilm-l6"
    other = resolve_model("sentence-transformers/all-mpnet-base-v2")
    assert other.model_id == "st:sentence-transformers/all-mpnet-base-v2" and not other.bundled
    assert [s.model_id for s in resolve_models("minilm-l6, glove-50d")] == ["minilm-l6", "glove-50d"]


def test_typo_in_a_model_name_is_an_unknown_model_error_listing_choices():
    with pytest.raises(UnknownModelError, match="Bundled models: minilm-l6"):
        resolve_model("minilm-l7")


def test_unreachable_hub_model_fails_fast_with_a_clear_error(store, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    with pytest.raises(ModelLoadError, match="cannot be reached|not in the local model cache"):
        load_encoder(resolve_model("sentence-transformers/no-such-model-xyz"), models_dir=store.models_dir)
    assert time.perf_counter() - started < 30


def _cos(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


@pytest.mark.parametrize("model_id", ["minilm-l6", "minilm-l3"])
def test_sentence_models_place_paraphrases_closer_than_unrelated_texts(model_id, store):
    encoder = load_encoder(REGISTRY[model_id], models_dir=store.models_dir)
    vectors, valid = embed_texts(
        ["The cat sat on the mat.", "A cat was sitting on a rug.", "The stock market fell sharply today."], encoder
    )
    assert valid.all() and vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2


def test_glove_king_is_closer_to_queen_than_to_carrot(glove_encoder):
    vectors, valid = glove_encoder.encode(["king", "queen", "carrot"])
    assert valid.all()
    assert _cos(vectors[0], vectors[1]) > _cos(vectors[0], vectors[2])


class _L3Onnx:
    """Reference: paraphrase-MiniLM-L3-v2 run straight from its ONNX graph (MODELS.md §3.2)."""

    def __init__(self):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        from engine.encoders import l3_onnx_path, minilm_l6_path

        self.tok = Tokenizer.from_file(str(minilm_l6_path() / "tokenizer.json"))
        self.tok.enable_truncation(128)
        self.tok.enable_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(l3_onnx_path()), options, providers=["CPUExecutionProvider"])
        self.out = [o.name for o in self.session.get_outputs()].index("461")

    def encode(self, texts):
        encoded = self.tok.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        return self.session.run(None, {"input_ids": ids, "attention_mask": mask})[self.out]


def test_converted_l3_matches_the_onnx_graph(store):
    """Safety net for the MatMul-order mapping in build_l3_sentence_transformer."""
    texts = ["A man is playing a guitar.", "Interest rates rose again.", "short", "Der Hund bellt laut."]
    encoder = load_encoder(REGISTRY["minilm-l3"], models_dir=store.models_dir)
    converted, _ = encoder.encode(texts)
    reference = _L3Onnx().encode(texts)
    assert np.allclose(converted, reference, atol=1e-4)
