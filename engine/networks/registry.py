"""The network registry (timm style): each network is a small file whose builder registers
itself by name; ``create_model`` builds any of them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from torch import nn

from ..errors import EngineError

DEFAULT = "camnet"


@dataclass
class Entry:
    name: str
    build: Callable[..., nn.Module]  # (num_classes, in_channels, crop, input) -> nn.Module
    description: str


_NETWORKS: dict[str, Entry] = {}


def register(name: str, description: str):
    """Decorator: ``@register("lenet", "...")`` on ``def build(num_classes, in_channels, crop, input)``."""
    def wrap(build):
        _NETWORKS[name] = Entry(name, build, description)
        return build
    return wrap


def registered() -> list[str]:
    return list(_NETWORKS)


def entry(name: str) -> Entry:
    if name not in _NETWORKS:
        raise EngineError(f"Expected one of {', '.join(_NETWORKS)} for network but received {name!r}")
    return _NETWORKS[name]


def create_model(name: str, num_classes: int, in_channels: int, crop: int, input: str = "residual") -> nn.Module:
    """The bare network: float32 (B, in_channels, crop, crop), already normalised → logits
    (B, num_classes). ``input`` is the data set's kind ("residual" | "residual-rgb" | "rgb");
    networks may use it (camnet puts a constrained first layer before pixels).
    Networks with fully connected layers fix their input size at ``crop``
    (``net.fixed_input = True``); the others take any size."""
    try:
        return entry(name).build(num_classes, in_channels, crop, input)
    except (RuntimeError, ValueError) as e:
        raise EngineError(f"Network {name} cannot take {in_channels}×{crop}×{crop} crops: {e}")
