"""Training, nanoGPT style: one loop, one flat config, one JSON event per line on stdout.

    python3 -m engine.train --config cfg.json [--key=value …] [--resume]
    torchrun --nproc_per_node=N -m engine.train --config cfg.json …   (DDP: gloo on CPU, nccl on CUDA)

Writes the model folder of docs/dl-format.md. ``--resume`` continues from checkpoints/last.pt
(with the saved config.json as defaults); SIGINT/SIGTERM finish the batch, write last.pt, emit
``stopped`` and exit 130, after exporting the best validated epoch so far (if any), so that a
stopped model can be evaluated. At the end the best epoch (by image-level validation accuracy) is
exported to model.onnx and model.json.
"""
from __future__ import annotations

import dataclasses
import math
import os
import random
import signal
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import BatchSampler, DataLoader, DistributedSampler

from . import checkpoint, cli, config, data, distributed
from .distributed import autocast
from .errors import EngineError
from .evaluate import accuracies, predict
from .events import log
from .export import export_onnx, write_model_json


def lr_at(cfg: config.Config, progress: float) -> float:
    """Learning rate after ``progress`` epochs (fractional): the Caffe/DIGITS policies over
    epochs instead of iterations, times a linear warm-up."""
    p, lr = progress, cfg.lr
    if cfg.lr_policy == "step":
        lr *= cfg.gamma ** math.floor(p / cfg.step_size)
    elif cfg.lr_policy == "exp":
        lr *= cfg.gamma ** p
    elif cfg.lr_policy == "poly":
        lr *= max(0.0, 1 - p / cfg.epochs) ** cfg.power
    elif cfg.lr_policy == "cosine":
        lr *= 0.5 * (1 + math.cos(math.pi * min(p / cfg.epochs, 1.0)))
    if p < cfg.warmup_epochs:
        lr *= p / cfg.warmup_epochs
    return lr


def make_optimizer(cfg: config.Config, model: torch.nn.Module) -> torch.optim.Optimizer:
    """Weight decay on weights (ndim > 1) only, not on biases and batch-norm parameters."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [{"params": [p for p in params if p.ndim > 1], "weight_decay": cfg.weight_decay},
              {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0}]
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum)
    Adam = torch.optim.AdamW if cfg.optimizer == "adamw" else torch.optim.Adam
    return Adam(groups, lr=cfg.lr, betas=(cfg.momentum, 0.999))


def epoch_batches(cfg: config.Config, n: int, env: distributed.Env, epoch: int) -> list[list[int]]:
    """This process's batches of epoch ``epoch``: a permutation fixed by (seed, epoch), so a
    resumed run sees the same order. A last short batch is dropped (batch norm needs > 1)."""
    sampler = DistributedSampler(range(n), num_replicas=env.world, rank=env.rank, shuffle=True, seed=cfg.seed)
    sampler.set_epoch(epoch)
    size = max(1, cfg.batch_size // env.world)
    batches = list(BatchSampler(sampler, size, drop_last=len(sampler) >= size))
    return batches[:cfg.max_train_batches] if cfg.max_train_batches else batches


def crop_generator(cfg: config.Config, epoch: int, batch: int, rank: int) -> torch.Generator | None:
    """Random sub-crop offsets of one batch, fixed by (seed, epoch, batch, rank)."""
    if not cfg.random_crop:
        return None
    seed = int(np.random.SeedSequence([cfg.seed, epoch, batch, rank]).generate_state(1)[0])
    return torch.Generator().manual_seed(seed)


class StopRequest:
    """SIGINT/SIGTERM: ask the loop to stop after the current batch; a second signal stops now."""

    def __init__(self):
        self.requested = False
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self)

    def __call__(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        log(f"signal {signum}: stopping after this batch")


def parse(argv: list[str]) -> tuple[config.Config, bool]:
    resume = "--resume" in argv
    path = cli.option(argv, "config")
    skip = {"--resume", "--config", path} if path and "--config" in argv else {"--resume"}
    overrides = [a for a in argv if a not in skip and not a.startswith("--config=")]
    return config.load(path, overrides, resume=resume), resume


def main(argv, events):
    if "--help" in argv or "-h" in argv:
        print(__doc__)
        for f in config.describe():
            print(f"  --{f['name']}={f['default']!r:<10} {f['type']:<5} {f['help']}")
        return 0
    cfg, resume = parse(argv)
    env = distributed.setup(cfg)
    events.enabled = env.main
    stop = StopRequest()
    t_start = time.time()

    info = data.read_manifest(cfg.dataset)
    train, val = data.open_splits(info).values()
    crop = cfg.crop or info.crop
    if crop > info.crop:
        raise EngineError(f"Expected a crop of at most {info.crop} (the data set's) for crop but received {crop}")
    run = Run(cfg, env, checkpoint.meta_of(info), crop)
    run.restore(resume)
    events.path = os.path.join(cfg.out, "events.jsonl") if env.main else None
    events.emit("start", config=dataclasses.asdict(cfg), device=env.device.type, threads=env.threads,
                trainSamples=len(train), valSamples=len(val), processes=env.world, resumedFromEpoch=run.epoch)
    log(f"{cfg.network}: {sum(p.numel() for p in run.core.parameters()):,} parameters, crop {crop}, "
        f"{len(train)} train / {len(val)} val crops, {env.device}, {env.threads} threads")

    for epoch in range(run.epoch + 1, cfg.epochs + 1):
        t0 = time.time()
        stats = run.train_epoch(epoch, train, events, stop)
        if stats is None:
            if env.main:
                checkpoint.save(run.snapshot(), run.last)
                if os.path.isfile(run.best_path):
                    run.finish(events)  # the best validated epoch so far: a stopped model can be evaluated
            events.emit("stopped", epoch=epoch, iteration=run.iteration, path="checkpoints/last.pt")
            run.release()
            distributed.close(env)
            return 130
        if env.main and (epoch % cfg.val_every == 0 or epoch == cfg.epochs):
            stats.update(run.validate(epoch, val))
        stats.update(lr=lr_at(cfg, epoch), seconds=time.time() - t0)
        events.emit("epoch", **stats)
        log("epoch {epoch}: loss {loss:.4f} acc {accuracy:.3f}".format(**stats)
            + (" | val loss {valLoss:.4f} acc {valAccuracy:.3f} (crops {valCropAccuracy:.3f})".format(**stats)
               if "valLoss" in stats else "") + f" | {stats['imagesPerSecond']:.1f} crops/s")
        run.epoch, run.batch = epoch, 0
        if env.main:
            if epoch % cfg.checkpoint_every == 0 or epoch == cfg.epochs:
                name = f"checkpoints/epoch-{epoch:04d}.pt"
                checkpoint.save(run.snapshot(), os.path.join(cfg.out, name), also=run.last)
                events.emit("checkpoint", epoch=epoch, path=name)
            else:
                checkpoint.save(run.snapshot(), run.last)
        distributed.barrier(env)

    if env.main:
        run.finish(events)
    run.release()
    distributed.close(env)
    events.emit("done", epochs=run.epoch, bestValAccuracy=run.best["valAccuracy"], seconds=time.time() - t_start)
    return 0


class Run:
    """The state of one training run: network, optimiser, position (epoch, batch, iteration),
    best validation so far; what a checkpoint holds."""

    def __init__(self, cfg: config.Config, env: distributed.Env, meta: dict, crop: int):
        self.cfg, self.env, self.meta, self.crop = cfg, env, meta, crop
        random.seed(cfg.seed)
        np.random.seed(cfg.seed)
        torch.manual_seed(cfg.seed)
        self.core = checkpoint.build_classifier(cfg.network, meta, crop).to(env.device)
        self.model = self.core  # what the loop calls: the DDP wrapper under torchrun
        self.opt = make_optimizer(cfg, self.core)
        self.constrained = [m for m in self.core.modules() if hasattr(m, "project_")]
        self.amp = cfg.amp and env.device.type == "cuda"
        self.epoch, self.batch, self.iteration = 0, 0, 0  # epochs done, batches done of the next
        self.best = {"valAccuracy": -1.0, "valLoss": math.inf, "epoch": 0}
        self.last = os.path.join(cfg.out, "checkpoints", "last.pt")
        self.best_path = os.path.join(cfg.out, "checkpoints", "best.pt")

    def restore(self, resume: bool) -> None:
        """Continues from last.pt when resuming; refuses to start over a run without --resume."""
        cfg, env = self.cfg, self.env
        if resume and os.path.isfile(self.last):
            ck = checkpoint.load(self.last)
            changed = [k for k, v in ck["config"].items()
                       if k not in config.RESUMABLE_CHANGES + ("out", "dataset") and getattr(cfg, k, v) != v]
            if changed:
                raise EngineError(f"Cannot resume {cfg.out}: {', '.join(changed)} differ from the checkpoint's config")
            if any(ck["meta"][k] != self.meta[k] for k in ("classes", "channels", "crop", "input")):
                raise EngineError(f"Cannot resume {cfg.out}: data set {cfg.dataset} differs from the one "
                                  "it was trained on")
            self.core.load_state_dict(ck["model"])
            self.opt.load_state_dict(ck["optimizer"])
            self.epoch, self.batch, self.best = ck["epoch"], ck["batch"], ck["best"]
            self.iteration = ck["scheduler"]["iteration"]
            checkpoint.set_rng_state(ck["rng"])
        elif os.path.isfile(self.last):
            raise EngineError(f"Model folder {cfg.out} already holds a run (checkpoints/last.pt); "
                              "pass --resume to continue it, or choose another out")
        if env.main:
            os.makedirs(os.path.dirname(self.last), exist_ok=True)
            checkpoint.clear_temporaries(os.path.dirname(self.last))
            config.save(cfg, os.path.join(cfg.out, "config.json"))
            events = os.path.join(cfg.out, "events.jsonl")
            if not resume and os.path.exists(events):
                os.remove(events)
        if env.world > 1:
            ids = [env.device] if env.device.type == "cuda" else None
            self.model = torch.nn.parallel.DistributedDataParallel(self.core, device_ids=ids)

    def snapshot(self) -> dict:
        return {"config": dataclasses.asdict(self.cfg), "meta": self.meta, "model": self.core.state_dict(),
                "optimizer": self.opt.state_dict(),
                "scheduler": {"policy": self.cfg.lr_policy, "iteration": self.iteration},
                "epoch": self.epoch, "batch": self.batch, "best": self.best, "rng": checkpoint.rng_state()}

    def train_epoch(self, epoch: int, train: data.Split, events, stop: StopRequest) -> dict | None:
        """One pass over this process's batches (from ``self.batch`` on, after a stop). Returns
        the epoch's training figures, or None when a stop was requested (the position is kept)."""
        cfg, env = self.cfg, self.env
        batches = epoch_batches(cfg, len(train), env, epoch)
        loader = DataLoader(train, sampler=batches[self.batch:], batch_size=None, num_workers=cfg.workers,
                            pin_memory=env.device.type == "cuda", generator=torch.Generator())  # not the global RNG
        self.model.train()
        t0 = t_log = time.time()
        loss_sum, correct, seen, seen_log = torch.zeros((), device=env.device), torch.zeros((), device=env.device), 0, 0
        for b, (x, y, _) in enumerate(loader, self.batch):
            x = data.subcrops(x, self.crop, crop_generator(cfg, epoch, b, env.rank))
            x, y = x.to(env.device, non_blocking=True), y.to(env.device, non_blocking=True)
            lr = lr_at(cfg, epoch - 1 + b / len(batches))
            for group in self.opt.param_groups:
                group["lr"] = lr
            with autocast(self.amp):
                logits = self.model(x)
            loss = F.cross_entropy(logits.float(), y, label_smoothing=cfg.label_smoothing)
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            for m in self.constrained:
                m.project_()
            self.iteration, self.batch = self.iteration + 1, b + 1
            loss_sum += loss.detach() * len(y)
            correct += (logits.argmax(1) == y).sum()
            seen, seen_log = seen + len(y), seen_log + len(y)
            if cfg.log_every and self.iteration % cfg.log_every == 0:
                events.emit("iteration", epoch=epoch, iteration=self.iteration, loss=loss.item(), lr=lr,
                            imagesPerSecond=env.world * seen_log / (time.time() - t_log))
                t_log, seen_log = time.time(), 0
            if distributed.any_rank(stop.requested, env):
                return None
        seconds = time.time() - t0
        loss_sum, correct, seen = distributed.sum_ranks([loss_sum.item(), correct.item(), seen], env)
        return {"epoch": epoch, "loss": loss_sum / seen if seen else math.nan,
                "accuracy": correct / seen if seen else math.nan,
                "imagesPerSecond": seen / seconds if seconds else 0.0}

    def validate(self, epoch: int, val: data.Split) -> dict:
        """Validation figures (image-level accuracy: mean softmax over a photo's crops); keeps
        best.pt when the image-level accuracy improves (ties: lower loss)."""
        probs, loss = predict(self.core, val, self.cfg.batch_size, self.env.device, self.amp)
        acc = accuracies(probs, val)
        figures = {"valLoss": loss, "valAccuracy": acc["image"]["top1"], "valCropAccuracy": acc["crop"]["top1"]}
        if (figures["valAccuracy"], -loss) > (self.best["valAccuracy"], -self.best["valLoss"]):
            self.best = {"valAccuracy": figures["valAccuracy"], "valLoss": loss, "epoch": epoch}
            checkpoint.save({"config": dataclasses.asdict(self.cfg), "meta": self.meta, "model": self.core.state_dict(),
                             "epoch": epoch, "valAccuracy": figures["valAccuracy"], "valLoss": loss}, self.best_path)
        return figures

    def release(self) -> None:
        """Drops the DDP wrapper (its Reducer) before the process group ends (distributed.close)."""
        self.model = self.core

    def finish(self, events) -> None:
        """Exports the best epoch's model (the last one if none was validated), writes model.json."""
        core = self.core.cpu()
        if os.path.isfile(self.best_path):
            core.load_state_dict(checkpoint.load(self.best_path)["model"])
        if self.cfg.export_onnx:
            diff = export_onnx(core, self.meta, os.path.join(self.cfg.out, "model.onnx"))
            events.emit("export", path="model.onnx", epoch=self.best["epoch"], maxAbsDiff=diff)
        write_model_json(self.cfg.out, {"meta": self.meta, "config": dataclasses.asdict(self.cfg)},
                         self.best["valAccuracy"], self.epoch)


if __name__ == "__main__":
    cli.run(main)
