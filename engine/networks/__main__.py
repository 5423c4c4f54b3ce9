"""Lists the registered networks as one JSON document:

    python3 -m engine.networks [--classes 10] [--channels 3] [--crop 256] [--input residual-rgb] [--speed]

{"default", "for": {classes, channels, crop, input}, "networks": [{"name", "description",
"parameters", "fixedInput"}]} — parameter counts for the given data set shape. ``--speed`` adds
"trainImagesPerSecond" and "evalImagesPerSecond": the median of 5 steps (after 2) on a random
batch of 32, with all CPU cores or CUDA when present (a rough figure, not a benchmark).
"""
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F

from .. import cli
from .registry import DEFAULT, create_model, entry, registered


def speed(net: torch.nn.Module, x: torch.Tensor, classes: int) -> tuple[float, float]:
    """(training, evaluation) crops per second of ``net`` on batch ``x``."""
    y = torch.randint(0, classes, (len(x),), device=x.device)
    opt = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)

    def timed(step) -> float:
        times = []
        for i in range(7):
            t = time.perf_counter()
            step()
            if x.is_cuda:
                torch.cuda.synchronize()
            times.append(time.perf_counter() - t)
        return len(x) / statistics.median(times[2:])

    def train():
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    net.train()
    train_speed = timed(train)
    net.eval()
    with torch.no_grad():
        eval_speed = timed(lambda: net(x))
    return train_speed, eval_speed


def main(argv, events):
    shape = {"classes": int(cli.option(argv, "classes", 10)), "channels": int(cli.option(argv, "channels", 3)),
             "crop": int(cli.option(argv, "crop", 256)), "input": cli.option(argv, "input", "residual-rgb")}
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.set_num_threads(os.cpu_count())
    nets = []
    for name in registered():
        net = create_model(name, shape["classes"], shape["channels"], shape["crop"], shape["input"])
        doc = {"name": name, "description": entry(name).description,
               "parameters": sum(p.numel() for p in net.parameters()),
               "fixedInput": bool(getattr(net, "fixed_input", False))}
        if "--speed" in argv:
            x = torch.randn(32, shape["channels"], shape["crop"], shape["crop"], device=device)
            doc["trainImagesPerSecond"], doc["evalImagesPerSecond"] = speed(net.to(device), x, shape["classes"])
        nets.append(doc)
    print(json.dumps({"default": DEFAULT, "for": shape, "device": device, "networks": nets}), flush=True)


if __name__ == "__main__":
    cli.run(main)
