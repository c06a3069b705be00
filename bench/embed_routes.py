"""Embedding routes tried for issue 15 §3 and not adopted, against plain fp32 ``SentenceTransformer.encode``
on the same model and texts in the same run: ``torch.compile`` (inductor with freezing and weight
prepacking) and ONNX Runtime with its BERT graph optimiser (fused LayerNorm, GELU, attention where it
matches). Neither needs int8 or a bf16-capable CPU; both keep the fp32 arithmetic.

Usage:
    .venv/bin/python bench/embed_routes.py [--limit 500] [--long 100] [--repeats 3] [--routes compile,ort]

Prints a Markdown table (speed-up = plain seconds / route seconds; agreement = mean top-10 neighbour
overlap with plain fp32). Run it on an idle machine: the ratios are what matter.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from timing import median_seconds  # noqa: E402  (bench/ is on sys.path)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

BATCH = 64
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def compiled_encoder(model):
    """``model.encode`` with its transformer replaced by ``torch.compile`` (inductor, freezing): returns
    (encode, seconds spent compiling on a warm-up batch of each length family)."""
    import torch
    import torch._inductor.config as inductor

    inductor.freezing = True
    inductor.cpp.weight_prepack = True
    module = model[0]  # sentence-transformers 6: `auto_model` is a read-only view of `model`
    module.model = torch.compile(module.model, dynamic=True)

    def encode(texts):
        with torch.inference_mode():
            return model.encode(texts, batch_size=BATCH, convert_to_numpy=True, show_progress_bar=False)
    return encode


def onnx_encoder(model, workspace: Path):
    """The model's transformer exported to ONNX, passed through onnxruntime.transformers' BERT optimiser,
    run by ONNX Runtime (2 threads) with mean pooling and normalisation as all-MiniLM-L6-v2 does them;
    returns (encode, fused operator counts)."""
    import numpy as np
    import onnxruntime
    import torch
    from onnxruntime.transformers.optimizer import optimize_model

    transformer = model[0].model.eval()
    tokenizer = model.tokenizer

    class LastHidden(torch.nn.Module):  # keyword inputs: transformers 5 moved positional arguments
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    dummy = tokenizer(["hello world", "a second text"], return_tensors="pt", padding=True)
    exported = workspace / "model.onnx"
    axes = {name: {0: "batch", 1: "tokens"} for name in (*INPUTS, "last_hidden")}
    torch.onnx.export(LastHidden(transformer), tuple(dummy[name] for name in INPUTS), str(exported),
                      input_names=list(INPUTS), output_names=["last_hidden"], dynamic_axes=axes,
                      opset_version=17, dynamo=False)
    config = transformer.config
    optimised = optimize_model(str(exported), model_type="bert", num_heads=config.num_attention_heads,
                               hidden_size=config.hidden_size, opt_level=1)
    fused = {op: n for op, n in optimised.get_fused_operator_statistics().items() if n}
    path = workspace / "model.opt.onnx"
    optimised.save_model_to_file(str(path))
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 2
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    max_length = model.max_seq_length

    def encode(texts):
        order = np.argsort([-len(text) for text in texts], kind="stable")  # length-sorted, as encode does
        out = np.empty((len(texts), config.hidden_size), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            rows = order[start:start + BATCH]
            features = tokenizer([texts[i] for i in rows], return_tensors="np", padding=True,
                                 truncation=True, max_length=max_length)
            hidden = session.run(None, {name: features[name].astype(np.int64) for name in INPUTS})[0]
            mask = features["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out
    return encode, fused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=500, help="Short demo sentences to embed.")
    parser.add_argument("--long", type=int, default=100, help="How many ~250-token texts.")
    parser.add_argument("--repeats", type=int, default=3, help="Timed runs per side (median reported).")
    parser.add_argument("--routes", default="compile,ort", help="Comma-separated: compile, ort.")
    args = parser.parse_args()

    import torch
    from embed import long_texts  # bench/embed.py builds the ~250-token texts

    from engine.demo import lee_news
    from engine.models import REGISTRY, load_encoder
    from engine.precision import neighbor_agreement

    workspace = Path(tempfile.mkdtemp(prefix="embed-routes-"))
    model = load_encoder(REGISTRY["minilm-l6"], models_dir=workspace / "models").model
    short = lee_news(limit=args.limit)[0].texts
    long = long_texts(lee_news()[0].texts, model.tokenizer, limit=args.long)
    sets = {"short sentences": short, "~250-token texts": long}

    def plain(texts):
        return model.encode(texts, batch_size=BATCH, convert_to_numpy=True, show_progress_bar=False)

    for texts in sets.values():
        plain(texts[:BATCH])  # the first torch encode is 3-4x slower
    baseline = {name: median_seconds(lambda t=texts: plain(t), args.repeats) for name, texts in sets.items()}

    rows = []
    for route in [r.strip() for r in args.routes.split(",") if r.strip()]:
        started = time.perf_counter()
        if route == "compile":
            encode, detail = compiled_encoder(model), ""
        elif route == "ort":
            encode, fused = onnx_encoder(model, workspace)
            detail = ", ".join(f"{op} {n}" for op, n in fused.items())
        else:
            parser.error(f"unknown route {route!r} (compile, ort)")
        for texts in sets.values():
            encode(texts[:BATCH])  # compilation or session warm-up, not timed below
        setup = time.perf_counter() - started
        for name, texts in sets.items():
            seconds, vectors = median_seconds(lambda t=texts: encode(t), args.repeats)
            plain_s, reference = baseline[name]
            rows.append((route, name, len(texts), plain_s, seconds, plain_s / seconds,
                         neighbor_agreement(reference, vectors, k=10), setup, detail))
        if route == "compile":
            model[0].model = model[0].model._orig_mod  # the next route starts from eager

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"capability {torch.backends.cpu.get_cpu_capability()}, load {os.getloadavg()[0]:.1f}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print("| route | texts | n | plain encode fp32 s | route s | speed-up | top-10 agreement | set-up s | fused ops |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---|")
    for route, name, n, plain_s, seconds, speedup, agreement, setup, detail in rows:
        print(f"| {route} | {name} | {n} | {plain_s:.2f} | {seconds:.2f} | {speedup:.2f}× | {agreement:.3f} "
              f"| {setup:.1f} | {detail} |")
    print(f"median tokens: short {statistics.median(len(model.tokenizer(t)['input_ids']) for t in short[:200])}, "
          f"long {statistics.median(len(model.tokenizer(t)['input_ids']) for t in long)}")


if __name__ == "__main__":
    main()
