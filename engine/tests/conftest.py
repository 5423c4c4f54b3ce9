"""A tiny synthetic data set written per docs/dl-format.md, and helpers to run the CLIs.

Each class is a 2×2-periodic pattern (a stand-in for a colour-filter-array trace: it survives
sub-crops at even offsets) under unit Gaussian noise."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_dataset(path, classes=3, channels=1, crop=16, crops=4, photos=(16, 3, 3), amplitude=0.8,
                  input="residual", complete=True, seed=0):
    """Writes a data set folder; ``photos`` = photos per class in (train, val, test)."""
    os.makedirs(path, exist_ok=True)
    rng = np.random.default_rng(seed)
    blocks = rng.choice([-1.0, 1.0], size=(classes, channels, 2, 2)) * amplitude
    names = [f"SimCam{k + 1:02d}" for k in range(classes)]
    sources, shards = [], {}
    for split, n in zip(("train", "val", "test"), photos):
        xs, ys, srcs = [], [], []
        for k in range(classes):
            for _ in range(n):
                sources.append({"file": f"/sim/{names[k]}/{len(sources)}.jpg", "sha256": "", "class": k,
                                "device": f"{names[k]}_0", "split": split, "width": 64, "height": 64,
                                "crops": crops})
                pattern = np.tile(blocks[k], (1, crop // 2, crop // 2))
                for _ in range(crops):
                    xs.append(pattern + rng.normal(0, 1, (channels, crop, crop)))
                    ys.append(k)
                    srcs.append(len(sources) - 1)
        x = np.asarray(xs, np.float16).reshape(-1, channels, crop, crop)
        files = {kind: f"{split}-000.{kind}.npy" for kind in ("x", "y", "src")}
        np.save(os.path.join(path, files["x"]), x)
        np.save(os.path.join(path, files["y"]), np.asarray(ys, np.int16))
        np.save(os.path.join(path, files["src"]), np.asarray(srcs, np.int32))
        shards[split] = [{**files, "count": len(ys)}] if ys else []
    manifest = {"format": "camprint-dataset/1", "input": input, "channels": channels, "crop": crop,
                "classes": names, "splitBy": "photo", "split": {"train": 75, "val": 10, "test": 15},
                "seed": seed, "normalisation": {"mean": [0.0] * channels, "std": [1.2] * channels},
                "sources": sources, "shards": shards, "params": {"cropsPerImage": crops},
                "createdAt": "2026-01-01T00:00:00.000Z", "complete": complete}
    with open(os.path.join(path, "manifest.json"), "w") as fh:
        json.dump(manifest, fh)
    return path


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    """3 classes, 1 channel, 16×16 crops: 192 train, 36 val, 36 test crops."""
    return write_dataset(str(tmp_path_factory.mktemp("ds") / "tiny"))


def engine(*args, timeout=120):
    """Runs ``python3 -m engine.<args>``; returns (exit status, events (parsed stdout lines), stderr)."""
    p = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                       timeout=timeout, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    return p.returncode, [json.loads(line) for line in p.stdout.splitlines()], p.stderr


def train_args(ds, out, **overrides):
    """``engine.train`` arguments for a fast run on the tiny data set."""
    cfg = {"dataset": ds, "out": out, "epochs": 2, "batch_size": 16, "lr": 0.003, "log_every": 4, "seed": 3,
           "checkpoint_every": 1,
           "threads": 1}  # one thread: fast and steady on a loaded 2-core machine
    cfg.update(overrides)
    return ["engine.train", *[f"--{k}={v}" for k, v in cfg.items()]]
