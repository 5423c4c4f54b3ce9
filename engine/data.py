"""Reads a data set folder (docs/dl-format.md): manifest.json plus float16 ``.npy`` shards,
memory-mapped (``np.load(mmap_mode='r')``), so a data set larger than memory trains.

A batch is fetched as a whole: ``split[indices]`` reads the rows of each shard at once and
turns float16 into float32 tensors.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np
import torch

from .errors import EngineError

FORMAT = "camprint-dataset/1"
INPUTS = ("residual", "residual-rgb", "rgb")


@dataclass
class DataSetInfo:
    """What the network and the model folder need from the manifest."""

    path: str
    classes: list[str]
    input: str  # "residual" | "residual-rgb" | "rgb"
    channels: int
    crop: int
    mean: list[float]  # per channel, applied by the network: (x - mean) / std
    std: list[float]
    manifest: dict


def read_manifest(path: str) -> DataSetInfo:
    """Reads and checks ``<path>/manifest.json``; raises ``EngineError`` naming the data set."""
    file = os.path.join(path, "manifest.json")
    if not os.path.isdir(path):
        raise EngineError(f"Data set {path}: no such folder")
    if not os.path.isfile(file):
        raise EngineError(f"Data set {path}: no manifest.json (not a data set, or its build has not started)")
    try:
        with open(file) as fh:
            m = json.load(fh)
    except json.JSONDecodeError as e:
        raise EngineError(f"Data set {path}: manifest.json is not valid JSON ({e})")
    if m.get("format") != FORMAT:
        raise EngineError(f"Data set {path}: expected format {FORMAT!r} but the manifest says {m.get('format')!r}")
    if m.get("complete") is not True:
        raise EngineError(f"Data set {path} is incomplete (complete: false): its build is under way or "
                          "was interrupted; finish it before training")
    classes = m.get("classes") or []
    if len(classes) < 2:
        raise EngineError(f"Data set {path} has {len(classes)} class{'es' if len(classes) != 1 else ''} "
                          f"({', '.join(classes) or 'none'}); a classifier needs at least 2")
    if m.get("input") not in INPUTS:
        raise EngineError(f"Data set {path}: expected input one of {', '.join(INPUTS)} "
                          f"but the manifest says {m.get('input')!r}")
    channels, crop = int(m.get("channels", 0)), int(m.get("crop", 0))
    norm = m.get("normalisation") or {}
    mean = [float(v) for v in norm.get("mean", [0.0] * channels)]
    std = [float(v) for v in norm.get("std", [1.0] * channels)]
    if len(mean) != channels or len(std) != channels or min(std, default=0) <= 0:
        raise EngineError(f"Data set {path}: normalisation needs {channels} means and {channels} positive stds")
    return DataSetInfo(path, classes, m["input"], channels, crop, mean, std, m)


class Split(torch.utils.data.Dataset):
    """The crops of one split (``train``, ``val`` or ``test``) over all its shards.

    ``split[indices]`` → ``(x, y, src)``: x float32 (B, C, S, S) raw crops, y int64 (B,) class
    index, src int64 (B,) index of the photo in ``manifest.sources``.
    ``y`` and ``src`` of the whole split are held in memory (image-level accuracy needs them).
    """

    def __init__(self, info: DataSetInfo, name: str):
        self.name = name
        shards = (info.manifest.get("shards") or {}).get(name) or []
        self.x, ys, srcs = [], [], []
        for shard in shards:
            x = self._load(info, shard["x"], np.float16, 4)
            y = self._load(info, shard["y"], np.int16, 1)
            src = self._load(info, shard["src"], np.int32, 1)
            want = (int(shard.get("count", len(x))), info.channels, info.crop, info.crop)
            if x.shape != want or len(y) != want[0] or len(src) != want[0]:
                raise EngineError(f"Data set {info.path}: shard {shard['x']} holds {x.shape}, {len(y)} labels and "
                                  f"{len(src)} sources but the manifest says {want}")
            self.x.append(x)
            ys.append(np.asarray(y, dtype=np.int64))
            srcs.append(np.asarray(src, dtype=np.int64))
        self.y = np.concatenate(ys) if ys else np.zeros(0, np.int64)
        self.src = np.concatenate(srcs) if srcs else np.zeros(0, np.int64)
        self.starts = np.cumsum([0] + [len(x) for x in self.x])
        if len(self.y) and (self.y.min() < 0 or self.y.max() >= len(info.classes)):
            raise EngineError(f"Data set {info.path}: {name} labels outside 0..{len(info.classes) - 1}")

    @staticmethod
    def _load(info: DataSetInfo, file: str, dtype, ndim: int) -> np.ndarray:
        path = os.path.join(info.path, file)
        try:
            a = np.load(path, mmap_mode="r")
        except (OSError, ValueError) as e:
            raise EngineError(f"Data set {info.path}: cannot read shard {file} ({e})")
        if a.dtype != dtype or a.ndim != ndim:
            raise EngineError(f"Data set {info.path}: shard {file} is {a.dtype} with {a.ndim} dimensions; "
                              f"expected {np.dtype(dtype)} with {ndim}")
        return a

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, indices):
        idx = np.sort(np.asarray(indices, dtype=np.int64))
        shard = np.searchsorted(self.starts, idx, side="right") - 1
        parts = [self.x[s][idx[shard == s] - self.starts[s]] for s in np.unique(shard)]
        x = torch.from_numpy(np.concatenate(parts).astype(np.float32))
        return x, torch.from_numpy(self.y[idx]), torch.from_numpy(self.src[idx])


def open_splits(info: DataSetInfo, names=("train", "val")) -> dict[str, Split]:
    """Opens the named splits; an empty one is an ``EngineError``."""
    splits = {}
    for name in names:
        split = Split(info, name)
        if len(split) == 0:
            raise EngineError(f"Data set {info.path} has no {name} samples; rebuild it with more photos "
                              "per class or another split")
        splits[name] = split
    return splits


def even_offset(room: int, gen: torch.Generator | None) -> int:
    """An even offset in [0, room]: random with ``gen``, else the centre rounded down to even."""
    if gen is None:
        return room // 2 - (room // 2) % 2
    return 2 * int(torch.randint(0, room // 2 + 1, (1,), generator=gen))


def subcrops(x: torch.Tensor, size: int, gen: torch.Generator | None = None) -> torch.Tensor:
    """Sub-crops (B, C, size, size) of crops x (B, C, S, S) at even offsets (the 2×2 CFA phase is
    kept), a random one per crop with ``gen``, else the centre one. Never resizes or flips."""
    S = x.shape[-1]
    if size == 0 or size >= S:
        return x
    if gen is None:
        o = even_offset(S - size, None)
        return x[..., o:o + size, o:o + size]
    out = []
    for crop in x:
        oy, ox = even_offset(S - size, gen), even_offset(S - size, gen)
        out.append(crop[:, oy:oy + size, ox:ox + size])
    return torch.stack(out)
