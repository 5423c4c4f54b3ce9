"""Checkpoints: written to a temporary name and renamed (never half-written), read back to
resume a run or to rebuild its model for export and evaluation.

A checkpoint is a dict: ``config`` (the flat config), ``meta`` (classes, input, channels, crop,
mean, std of the data set), ``model`` (state dict), ``optimizer``, ``scheduler``
(``{"iteration"}``; the learning rate is a function of it), ``epoch`` (epochs completed),
``batch`` (batches done of the next epoch, after a stop), ``best`` and ``rng`` (python,
numpy, torch, cuda). ``best.pt`` holds only config, meta, model and the epoch's figures.
"""
from __future__ import annotations

import os
import random
import re

import numpy as np
import torch

from .data import DataSetInfo
from .errors import EngineError
from .networks import Classifier, create_model


def meta_of(info: DataSetInfo) -> dict:
    return {"classes": info.classes, "input": info.input, "channels": info.channels,
            "crop": info.crop, "mean": info.mean, "std": info.std, "dataset": os.path.abspath(info.path)}


def build_classifier(network: str, meta: dict, crop: int) -> Classifier:
    """The network for ``meta``'s data set wrapped with its normalisation: raw (B, C, S, S) → logits."""
    net = create_model(network, len(meta["classes"]), meta["channels"], crop, meta["input"])
    return Classifier(net, meta["mean"], meta["std"], crop)


def save(state: dict, path: str, also: str | None = None) -> None:
    """Writes ``state`` to ``path`` atomically; ``also`` becomes a second name for the same file
    (a hard link, renamed into place; a copy where links are not possible)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    torch.save(state, tmp)
    os.replace(tmp, path)
    if also:
        tmp = f"{also}.tmp{os.getpid()}"
        try:
            os.link(path, tmp)
        except OSError:
            torch.save(state, tmp)
        os.replace(tmp, also)


def clear_temporaries(folder: str) -> int:
    """Removes what a killed run left half-written in ``folder`` (``save``'s ``*.tmp<pid>`` files,
    never read); returns how many."""
    if not os.path.isdir(folder):
        return 0
    stale = [n for n in os.listdir(folder) if re.search(r"\.pt\.tmp\d+$", n)]
    for name in stale:
        os.remove(os.path.join(folder, name))
    return len(stale)


def load(path: str) -> dict:
    if not os.path.isfile(path):
        raise EngineError(f"No checkpoint at {path}")
    try:
        return torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001 — a truncated or foreign file
        raise EngineError(f"Checkpoint {path} cannot be read: {e}")


def rng_state() -> dict:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def load_model(model_dir: str, which: str = "best") -> tuple[Classifier, dict]:
    """The trained classifier (CPU, eval mode) of a model folder and its checkpoint.
    ``which``: "best", "last" or a checkpoint path; "best" falls back to last.pt."""
    folder = os.path.join(model_dir, "checkpoints")
    if which in ("best", "last"):
        path = os.path.join(folder, f"{which}.pt")
        if which == "best" and not os.path.isfile(path):
            path = os.path.join(folder, "last.pt")
    else:
        path = which
    if not os.path.isdir(model_dir):
        raise EngineError(f"Model {model_dir}: no such folder")
    ck = load(path)
    cfg = ck["config"]
    model = build_classifier(cfg["network"], ck["meta"], cfg["crop"] or ck["meta"]["crop"])
    model.load_state_dict(ck["model"])
    return model.eval(), ck
