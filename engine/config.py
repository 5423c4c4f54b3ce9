"""The training config: one flat, typed record (nanoGPT style).

Every setting is a plain value with a default. ``load`` reads a JSON file, then applies
``--key=value`` overrides (converted to the field's type), then validates. The record is written
to ``<out>/config.json`` and into every checkpoint, so a run can be reproduced from its folder.

Augmentation is limited to random sub-crops at even offsets (when ``crop`` is smaller than the
data set's crop). There are no flips or rotations: a flip moves every pixel to the other phase
of the 2×2 colour-filter array and mirrors the sensor's PRNU pattern, so it would teach the
network traces that no photo from the camera carries. Even offsets keep the CFA phase.
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field

from .errors import EngineError, expected

OPTIMIZERS = ("sgd", "adam", "adamw")
LR_POLICIES = ("fixed", "step", "exp", "poly", "cosine")
DEVICES = ("auto", "cpu", "cuda")


def _f(default, help: str):
    return field(default=default, metadata={"help": help})


@dataclass
class Config:
    dataset: str = _f("", "data set folder (docs/dl-format.md)")
    out: str = _f("", "model folder to write (config, events, checkpoints, model.onnx)")
    network: str = _f("camnet", "registered network (python3 -m engine.networks)")
    crop: int = _f(0, "network input size in pixels, even; 0 = the data set's crop. Smaller: "
                      "training takes sub-crops at even offsets, validation the centre one")
    random_crop: bool = _f(True, "sub-crops at random even offsets in training (else the centre)")
    epochs: int = _f(30, "passes over the training split")
    batch_size: int = _f(64, "crops per optimiser step (over all processes under torchrun)")
    lr: float = _f(0.002, "base learning rate")
    optimizer: str = _f("adamw", "sgd | adam | adamw")
    momentum: float = _f(0.9, "SGD momentum (Adam's beta1)")
    weight_decay: float = _f(0.0005, "L2 (sgd, adam) or decoupled (adamw) weight decay")
    lr_policy: str = _f("cosine", "fixed | step | exp | poly | cosine (Caffe/DIGITS policies, "
                                  "over fractional epochs)")
    step_size: float = _f(10.0, "step: epochs between drops by gamma")
    gamma: float = _f(0.1, "step: factor per step; exp: factor per epoch")
    power: float = _f(1.0, "poly: exponent of (1 - progress)")
    warmup_epochs: float = _f(0.0, "linear warm-up from 0 over this many epochs")
    label_smoothing: float = _f(0.0, "cross-entropy label smoothing")
    seed: int = _f(1, "seed for python, numpy and torch (and the batch order)")
    threads: int = _f(0, "CPU threads for torch; 0 = all cores (split between local processes)")
    workers: int = _f(0, "DataLoader worker processes (0 = load in the training process)")
    device: str = _f("auto", "auto (cuda when present) | cpu | cuda")
    amp: bool = _f(True, "bf16 autocast on CUDA (ignored on CPU)")
    checkpoint_every: int = _f(5, "epochs between numbered checkpoints (checkpoints/epoch-NNNN.pt); "
                                  "last.pt is rewritten every epoch")
    val_every: int = _f(1, "epochs between validations (the last epoch is always validated)")
    log_every: int = _f(20, "iterations between iteration events; 0 = none")
    max_train_batches: int = _f(0, "stop each epoch after this many batches; 0 = all (tests)")
    export_onnx: bool = _f(True, "export the best model to model.onnx at the end")


# Keys that may change when a run is resumed; any other difference is refused.
RESUMABLE_CHANGES = ("epochs", "threads", "workers", "device", "amp", "checkpoint_every",
                     "val_every", "log_every", "export_onnx")

FIELDS = {f.name: f for f in dataclasses.fields(Config)}


def convert(name: str, value):
    """Converts a JSON value or a ``--key=value`` string to the type of field ``name``."""
    if name not in FIELDS:
        raise EngineError(f"Unknown config key {name!r}; known keys: {', '.join(FIELDS)}")
    kind = FIELDS[name].type
    text = isinstance(value, str)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if text and value.lower() in ("true", "1", "yes", "on"):
            return True
        if text and value.lower() in ("false", "0", "no", "off"):
            return False
        raise expected("a boolean (true or false)", name, value)
    if kind == "int":
        try:
            if text or (isinstance(value, float) and value.is_integer()) or type(value) is int:
                return int(value)
        except ValueError:
            pass
        raise expected("an integer", name, value)
    if kind == "float":
        try:
            if text or (isinstance(value, (int, float)) and not isinstance(value, bool)):
                return float(value)
        except ValueError:
            pass
        raise expected("a number", name, value)
    if not text:
        raise expected("a string", name, value)
    return value


def validate(cfg: Config) -> Config:
    """Checks every field's range; raises ``EngineError`` naming the first bad one."""
    from .networks import registered  # late: networks import torch

    def need(ok: bool, what: str, name: str):
        if not ok:
            raise expected(what, name, getattr(cfg, name))

    need(cfg.dataset != "", "a data set folder", "dataset")
    need(cfg.out != "", "a model folder", "out")
    need(cfg.network in registered(), f"one of {', '.join(registered())}", "network")
    need(cfg.crop >= 0 and cfg.crop % 2 == 0, "0 or an even number of pixels", "crop")
    for name in ("epochs", "batch_size", "checkpoint_every", "val_every"):
        need(getattr(cfg, name) >= 1, "a positive integer", name)
    for name in ("threads", "workers", "log_every", "max_train_batches"):
        need(getattr(cfg, name) >= 0, "a non-negative integer", name)
    need(cfg.lr > 0, "a positive number", "lr")
    need(cfg.optimizer in OPTIMIZERS, f"one of {', '.join(OPTIMIZERS)}", "optimizer")
    need(0 <= cfg.momentum < 1, "a number in [0, 1)", "momentum")
    need(cfg.weight_decay >= 0, "a non-negative number", "weight_decay")
    need(cfg.lr_policy in LR_POLICIES, f"one of {', '.join(LR_POLICIES)}", "lr_policy")
    need(cfg.step_size > 0, "a positive number of epochs", "step_size")
    need(cfg.gamma > 0, "a positive number", "gamma")
    need(cfg.power > 0, "a positive number", "power")
    need(cfg.warmup_epochs >= 0, "a non-negative number of epochs", "warmup_epochs")
    need(0 <= cfg.label_smoothing < 1, "a number in [0, 1)", "label_smoothing")
    need(cfg.device in DEVICES, f"one of {', '.join(DEVICES)}", "device")
    return cfg


def read(path: str) -> dict:
    """The fields set in JSON file ``path`` (keys are the field names; unknown keys are refused)."""
    try:
        with open(path) as fh:
            data = json.load(fh)
    except OSError as e:
        raise EngineError(f"Cannot read config file {path}: {e.strerror}")
    except json.JSONDecodeError as e:
        raise EngineError(f"Config file {path} is not valid JSON: {e}")
    if not isinstance(data, dict):
        raise EngineError(f"Config file {path} must hold a JSON object, not {type(data).__name__}")
    return {k: convert(k, v) for k, v in data.items()}


def load(path: str | None = None, overrides: list[str] = (), resume: bool = False) -> Config:
    """Defaults ← (when resuming) ``<out>/config.json`` ← JSON file ``path`` ← ``--key=value``
    overrides, validated."""
    values = read(path) if path else {}
    for item in overrides:
        if not item.startswith("--") or "=" not in item:
            raise EngineError(f"Expected --key=value but received {item!r}")
        key, value = item[2:].split("=", 1)
        key = key.replace("-", "_")
        values[key] = convert(key, value)
    saved = os.path.join(values.get("out", ""), "config.json")
    if resume and values.get("out") and os.path.isfile(saved):
        values = {**read(saved), **values}
    return validate(Config(**values))


def save(cfg: Config, path: str) -> None:
    """Writes the config as JSON (every field), atomically."""
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as fh:
        json.dump(dataclasses.asdict(cfg), fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)


def describe() -> list[dict]:
    """The fields as ``{name, type, default, help}`` (for ``--help``)."""
    return [{"name": f.name, "type": f.type, "default": f.default, "help": f.metadata["help"]}
            for f in dataclasses.fields(Config)]
