"""ONNX export of a trained model (also called by train at the end):

    python3 -m engine.export --model <dir> [--checkpoint best|last|<path>]

writes ``<dir>/model.onnx`` — input "input" float32 (B, C, S, S) raw crops at the data set's
crop S (normalisation is inside the graph), output "logits" (B, classes), dynamic batch axis,
opset 13 — and ``<dir>/model.json``. When the ``onnxruntime`` Python package is present the
export is checked against PyTorch on a random batch; otherwise that check is skipped (the
TypeScript side checks with onnxruntime-node).
"""
from __future__ import annotations

import json
import os
import warnings

import numpy as np
import torch

from . import cli
from .events import log

OPSET = 13


def export_onnx(model: torch.nn.Module, meta: dict, path: str) -> float | None:
    """Exports ``model`` (a Classifier) to ``path`` atomically; returns the largest absolute
    difference between onnxruntime and PyTorch logits on a random batch, or None when
    onnxruntime is not installed."""
    model = model.cpu().eval()
    C, S = meta["channels"], meta["crop"]
    mean = torch.tensor(meta["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(meta["std"]).view(1, -1, 1, 1)
    x = torch.randn(2, C, S, S, generator=torch.Generator().manual_seed(0)) * std + mean
    tmp = f"{path}.tmp{os.getpid()}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes on constant shapes (the crop is fixed)
        torch.onnx.export(model, x, tmp, input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
                          opset_version=OPSET, do_constant_folding=True)
    os.replace(tmp, path)
    try:
        import onnxruntime
    except ImportError:
        log("onnxruntime (Python) is not installed: the ONNX export was not checked numerically here")
        return None
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    x = torch.cat([x, x[:1] * 0.5])  # another batch size than the traced one
    got = session.run(["logits"], {"input": x.numpy()})[0]
    with torch.no_grad():
        want = model(x).numpy()
    return float(np.abs(got - want).max())


def write_model_json(model_dir: str, ck: dict, best_accuracy: float | None, epochs: int) -> None:
    """``<model>/model.json`` (docs/dl-format.md), atomically."""
    meta, cfg = ck["meta"], ck["config"]
    doc = {"classes": meta["classes"], "input": meta["input"], "channels": meta["channels"],
           "crop": meta["crop"], "network": cfg["network"], "dataset": meta["dataset"],
           "bestValAccuracy": best_accuracy, "epochs": epochs}
    path = os.path.join(model_dir, "model.json")
    with open(f"{path}.tmp", "w") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
    os.replace(f"{path}.tmp", path)


def main(argv, events):
    from .checkpoint import load, load_model
    from .errors import EngineError

    model_dir = cli.option(argv, "model")
    if not model_dir:
        raise EngineError("Usage: python3 -m engine.export --model <dir> [--checkpoint best|last|<path>]")
    model, ck = load_model(model_dir, cli.option(argv, "checkpoint", "best"))
    last = os.path.join(model_dir, "checkpoints", "last.pt")
    epochs = load(last)["epoch"] if os.path.isfile(last) else ck["epoch"]
    diff = export_onnx(model, ck["meta"], os.path.join(model_dir, "model.onnx"))
    write_model_json(model_dir, ck, ck.get("valAccuracy"), epochs)
    events.emit("export", path="model.onnx", epoch=ck["epoch"], maxAbsDiff=diff)


if __name__ == "__main__":
    cli.run(main)
