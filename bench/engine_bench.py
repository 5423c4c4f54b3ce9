"""Bare-PyTorch reference figures for bench/dl.ts, on the same network, batch and threads.

  python3 bench/engine_bench.py --network camnet --channels 3 --crop 128 --classes 10 --batch 64 --iters 30

Prints one JSON line: the training images/s of a plain loop (random tensors in memory, AdamW,
forward + backward + step), and the eval images/s of the same network under torch.no_grad().
With --eval-only, only the eval figure (bench/dl.ts alternates it with ONNX rounds).
The engine's own figure comes from its epoch events, measured by bench/dl.ts in the same run.
"""
import argparse
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from engine.networks import create_model  # noqa: E402

p = argparse.ArgumentParser()
for name, default in [("network", "camnet"), ("input", "residual-rgb")]:
    p.add_argument(f"--{name}", default=default)
for name, default in [("channels", 3), ("crop", 128), ("classes", 10), ("batch", 64), ("iters", 30), ("threads", 0)]:
    p.add_argument(f"--{name}", type=int, default=default)
p.add_argument("--eval-only", action="store_true")
a = p.parse_args()
torch.set_num_threads(a.threads or os.cpu_count())
torch.manual_seed(0)
net = create_model(a.network, a.classes, a.channels, a.crop, a.input)
opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=5e-4)
x = torch.randn(a.batch, a.channels, a.crop, a.crop)
y = torch.randint(0, a.classes, (a.batch,))
loss_fn = torch.nn.CrossEntropyLoss()


def train_step():
    opt.zero_grad(set_to_none=True)
    loss_fn(net(x), y).backward()
    opt.step()


train_ips = None
if not a.eval_only:
    net.train()
    for _ in range(3):
        train_step()
    t = time.perf_counter()
    for _ in range(a.iters):
        train_step()
    train_ips = a.iters * a.batch / (time.perf_counter() - t)

net.eval()
with torch.no_grad():
    for _ in range(3):
        net(x)
    t = time.perf_counter()
    for _ in range(a.iters):
        net(x)
    eval_ips = a.iters * a.batch / (time.perf_counter() - t)
print(json.dumps({"bareTrainImagesPerSecond": train_ips, "torchEvalImagesPerSecond": eval_ips,
                  "threads": torch.get_num_threads(), "torch": torch.__version__}))
