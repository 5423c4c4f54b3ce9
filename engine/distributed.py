"""Where the run stands: one process, or one of several launched by ``torchrun`` (RANK,
WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE in the environment): gloo on CPU, nccl on CUDA.
Rank 0 alone writes events and checkpoints."""
from __future__ import annotations

import contextlib
import gc
import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .config import Config
from .errors import EngineError


@dataclass
class Env:
    rank: int
    world: int
    device: torch.device
    threads: int

    @property
    def main(self) -> bool:
        return self.rank == 0


def setup(cfg: Config) -> Env:
    """Picks the device and thread count and joins the process group under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", str(world)))
    cuda = torch.cuda.is_available()
    if cfg.device == "cuda" and not cuda:
        raise EngineError("Expected a CUDA device for device but none is available (use device=auto or cpu)")
    if cfg.device == "cpu" or not cuda:
        device = torch.device("cpu")
    else:
        device = torch.device("cuda", local_rank % torch.cuda.device_count())
        torch.cuda.set_device(device)
        torch.backends.cudnn.benchmark = True  # one input size throughout
    threads = cfg.threads or max(1, (os.cpu_count() or 1) // local_world)
    torch.set_num_threads(threads)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Env(rank, world, device, threads)


def any_rank(flag: bool, env: Env) -> bool:
    """True when ``flag`` is true on any process (a stop request must reach every rank)."""
    if env.world == 1:
        return flag
    t = torch.tensor([int(flag)], device=env.device if dist.get_backend() == "nccl" else "cpu")
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def barrier(env: Env) -> None:
    if env.world > 1:
        dist.barrier()


def close(env: Env) -> None:
    """Ends the process group. Call it after the DDP wrapper is gone (Run.release): torch 1.13 can
    deadlock at exit when a Reducer outlives the group — its destructor then destroys the gloo
    group holding the GIL and joins a gloo thread that waits for the GIL (seen once in CI: rank 1
    spinning at exit after training). Here the Reducer dies while the group lives, a barrier
    leaves gloo's threads idle, and only then is the group destroyed."""
    if env.world > 1 and dist.is_initialized():
        gc.collect()
        dist.barrier()
        dist.destroy_process_group()


def sum_ranks(values: list[float], env: Env) -> list[float]:
    """Element-wise sum of ``values`` over the processes."""
    if env.world == 1:
        return values
    t = torch.tensor(values, dtype=torch.float64, device=env.device if dist.get_backend() == "nccl" else "cpu")
    dist.all_reduce(t)
    return t.tolist()


def autocast(enabled: bool):
    """bf16 autocast on CUDA when ``enabled``, else nothing (torch 1.13 probes CUDA even when
    autocast is disabled)."""
    if not enabled:
        return contextlib.nullcontext()
    return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
