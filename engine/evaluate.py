"""Crop- and image-level accuracy of a model on a split, for validation during training and
for cross-checking the TypeScript evaluation:

    python3 -m engine.evaluate --model <dir> --dataset <ds> [--split test] [--checkpoint best|last|<path>]

prints one JSON document: {"split", "crops", "images", "loss", "crop": {"top1", "top5"},
"image": {"top1", "top5"}}. An image's prediction is the mean softmax over its crops.
"""
from __future__ import annotations

import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from . import cli
from .distributed import autocast
from .data import Split, open_splits, read_manifest
from .errors import EngineError


@torch.no_grad()
def predict(model: torch.nn.Module, split: Split, batch_size: int, device, amp: bool = False,
            max_batches: int = 0) -> tuple[np.ndarray, float]:
    """Softmax probabilities (N, classes) of every crop of ``split``, in order, and the mean
    cross-entropy. ``max_batches`` > 0 stops early (then N is smaller)."""
    model.eval()
    probs, loss, n = [], 0.0, 0
    for i, start in enumerate(range(0, len(split), batch_size)):
        if max_batches and i == max_batches:
            break
        x, y, _ = split[np.arange(start, min(start + batch_size, len(split)))]
        x, y = x.to(device, non_blocking=True), y.to(device)
        with autocast(amp):
            logits = model(x).float()
        loss += F.cross_entropy(logits, y, reduction="sum").item()
        n += len(y)
        probs.append(torch.softmax(logits, 1).cpu().numpy())
    return np.concatenate(probs), loss / max(n, 1)


def per_image(probs: np.ndarray, y: np.ndarray, src: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean softmax over each photo's crops: probs (N, K), y (N,), src (N,) →
    (images, K) probabilities and (images,) labels."""
    photos, inverse = np.unique(src, return_inverse=True)
    sums = np.zeros((len(photos), probs.shape[1]))
    np.add.at(sums, inverse, probs)
    counts = np.bincount(inverse, minlength=len(photos))[:, None]
    labels = np.zeros(len(photos), dtype=np.int64)
    labels[inverse] = y
    return sums / counts, labels


def top_k(probs: np.ndarray, labels: np.ndarray, k: int) -> float:
    """Share of rows whose label is among the k most probable classes."""
    k = min(k, probs.shape[1])
    best = np.argsort(-probs, axis=1)[:, :k]
    return float((best == labels[:, None]).any(axis=1).mean())


def accuracies(probs: np.ndarray, split: Split) -> dict:
    """Top-1 and top-5 at crop and image level for the first len(probs) crops of ``split``."""
    y, src = split.y[:len(probs)], split.src[:len(probs)]
    img_probs, img_labels = per_image(probs, y, src)
    return {"crops": len(probs), "images": len(img_labels),
            "crop": {"top1": top_k(probs, y, 1), "top5": top_k(probs, y, 5)},
            "image": {"top1": top_k(img_probs, img_labels, 1), "top5": top_k(img_probs, img_labels, 5)}}


def main(argv, events):
    from .checkpoint import load_model

    model_dir, ds = cli.option(argv, "model"), cli.option(argv, "dataset")
    if not model_dir or not ds:
        raise EngineError("Usage: python3 -m engine.evaluate --model <dir> --dataset <ds> [--split test] "
                          "[--checkpoint best|last|<path>] [--batch-size 128]")
    name = cli.option(argv, "split", "test")
    torch.set_num_threads(os.cpu_count())
    model, ck = load_model(model_dir, cli.option(argv, "checkpoint", "best"))
    info = read_manifest(ds)
    if info.classes != ck["meta"]["classes"] or info.channels != ck["meta"]["channels"]:
        raise EngineError(f"Data set {ds} has classes {info.classes} and {info.channels} channels; model "
                          f"{model_dir} was trained on {ck['meta']['classes']} and {ck['meta']['channels']}")
    split = open_splits(info, (name,))[name]
    probs, loss = predict(model, split, int(cli.option(argv, "batch-size", 128)), "cpu")
    print(json.dumps({"split": name, "loss": loss, **accuracies(probs, split)}), flush=True)


if __name__ == "__main__":
    cli.run(main)
