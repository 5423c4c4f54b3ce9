"""The training engine on a GPU, for the one short device check the issue asks for (Python and
PyTorch only: the device machine has no Node). In one run, on the same network, batch and device:

  - the engine (``python3 -m engine.train`` on a random data set in the docs/dl-format.md layout,
    bf16 autocast on CUDA as the engine does by default): images/s of its last epoch event;
  - a bare PyTorch loop (random tensors already on the device, AdamW, the same autocast).

    python3 bench/gpu_train.py                       # alexnet-mod, 3×256×256, batch 256, cuda
    python3 bench/gpu_train.py --device cpu --crop 64 --batch 16 --batches 3   # a quick CPU check

Prints the figures and one JSON line. The data set is written to a temporary folder (random
float16 crops: speed does not depend on content) and removed afterwards.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)
from engine.distributed import autocast  # noqa: E402
from engine.networks import create_model  # noqa: E402

p = argparse.ArgumentParser()
p.add_argument("--network", default="alexnet-mod")
p.add_argument("--device", default="cuda")
for name, default in [("channels", 3), ("crop", 256), ("classes", 10), ("batch", 256), ("batches", 20),
                      ("epochs", 2)]:
    p.add_argument(f"--{name}", type=int, default=default)
a = p.parse_args()
if a.device == "cuda" and not torch.cuda.is_available():
    sys.exit("bench/gpu_train.py: CUDA is not available here (use --device cpu for a dry run)")
amp = a.device == "cuda"


def write_dataset(folder: str) -> None:
    """(batches + 1) training batches and one validation batch of random crops, dl-format/1."""
    rng = np.random.default_rng(1)
    n_train, n_val = (a.batches + 1) * a.batch, a.batch
    shards = {}
    for split, n in [("train", n_train), ("val", n_val)]:
        x = (rng.standard_normal((n, a.channels, a.crop, a.crop), dtype=np.float32) * 2).astype(np.float16)
        np.save(os.path.join(folder, f"{split}-000.x.npy"), x)
        np.save(os.path.join(folder, f"{split}-000.y.npy"), (np.arange(n) % a.classes).astype(np.int16))
        offset = 0 if split == "train" else n_train
        np.save(os.path.join(folder, f"{split}-000.src.npy"), (np.arange(n) + offset).astype(np.int32))
        shards[split] = [{"x": f"{split}-000.x.npy", "y": f"{split}-000.y.npy", "src": f"{split}-000.src.npy",
                          "count": n}]
    sources = [{"file": f"/bench/{i}.jpg", "sha256": "0" * 64, "class": i % a.classes, "device": f"d{i % a.classes}",
                "split": "train" if i < n_train else "val", "width": a.crop, "height": a.crop, "crops": 1}
               for i in range(n_train + n_val)]
    manifest = {"format": "camprint-dataset/1", "input": "residual-rgb", "channels": a.channels, "crop": a.crop,
                "classes": [f"class{i}" for i in range(a.classes)], "splitBy": "photo",
                "split": {"train": 90, "val": 10, "test": 0}, "seed": 1,
                "normalisation": {"mean": [0.0] * a.channels, "std": [2.0] * a.channels},
                "sources": sources, "shards": {**shards, "test": []}, "params": {"bench": True},
                "createdAt": "2026-01-01T00:00:00.000Z", "complete": True}
    with open(os.path.join(folder, "manifest.json"), "w") as f:
        json.dump(manifest, f)


def engine_images_per_second(folder: str) -> float:
    """The engine's images/s in its last epoch (the first includes warm-up and CUDA start)."""
    cmd = [sys.executable, "-m", "engine.train", f"--dataset={folder}", f"--out={os.path.join(folder, 'model')}",
           f"--network={a.network}", f"--batch_size={a.batch}", f"--epochs={a.epochs}", f"--device={a.device}",
           "--log_every=0", "--lr_policy=fixed", "--export_onnx=false"]
    run = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"the engine failed:\n{run.stderr[-3000:]}")
    epochs = [e for e in map(json.loads, filter(None, run.stdout.splitlines())) if e.get("event") == "epoch"]
    return float(epochs[-1]["imagesPerSecond"])


def bare_images_per_second() -> float:
    """A plain loop on the same network, batch, device and autocast."""
    device = torch.device(a.device)
    torch.manual_seed(0)
    net = create_model(a.network, a.classes, a.channels, a.crop, "residual-rgb").to(device).train()
    opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=5e-4)
    x = torch.randn(a.batch, a.channels, a.crop, a.crop, device=device)
    y = torch.randint(0, a.classes, (a.batch,), device=device)

    def step():
        opt.zero_grad(set_to_none=True)
        with autocast(amp):
            loss = torch.nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()

    for _ in range(3):
        step()
    if amp:
        torch.cuda.synchronize()
    t = time.perf_counter()
    for _ in range(a.batches):
        step()
    if amp:
        torch.cuda.synchronize()
    return a.batches * a.batch / (time.perf_counter() - t)


if a.device == "cpu":
    torch.set_num_threads(os.cpu_count() or 1)
with tempfile.TemporaryDirectory(prefix="camprint-gpubench-") as folder:
    write_dataset(folder)
    engine_ips = engine_images_per_second(folder)
bare_ips = bare_images_per_second()
name = torch.cuda.get_device_name(0) if amp else f"cpu ({torch.get_num_threads()} threads)"
print(f"{a.network}, {a.channels}×{a.crop}×{a.crop}, batch {a.batch}, {name}, "
      f"{'bf16 autocast' if amp else 'float32'}, torch {torch.__version__}")
print(f"engine {engine_ips:.1f} img/s  bare PyTorch loop {bare_ips:.1f} img/s  ratio {engine_ips / bare_ips:.3f}")
print(json.dumps({"network": a.network, "device": name, "batch": a.batch, "crop": a.crop, "bf16": amp,
                  "engineImagesPerSecond": engine_ips, "bareImagesPerSecond": bare_ips,
                  "torch": torch.__version__}))
