"""Layers shared by the networks, and the ``Classifier`` wrapper that every exported model is."""
from __future__ import annotations

import math

import torch
from torch import nn


class Normalise(nn.Module):
    """(x − mean) / std per channel, from the manifest, held as buffers so the exported ONNX
    takes raw crops. x: (B, C, H, W)."""

    def __init__(self, mean: list[float], std: list[float]):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x):
        return (x - self.mean) / self.std


class Classifier(nn.Module):
    """Raw crops (B, C, S, S) → logits (B, classes): normalisation, then — for a network with a
    fixed input size smaller than S — the centre crop at an even offset, then the network."""

    def __init__(self, net: nn.Module, mean: list[float], std: list[float], crop: int):
        super().__init__()
        self.normalise = Normalise(mean, std)
        self.net = net
        self.crop = crop

    def forward(self, x):
        if getattr(self.net, "fixed_input", False) and x.shape[-1] > self.crop:
            o = (x.shape[-1] - self.crop) // 2
            o -= o % 2
            x = x[..., o:o + self.crop, o:o + self.crop]
        return self.net(self.normalise(x))


class ConstrainedConv2d(nn.Conv2d):
    """Bayar & Stamm (2018) constrained convolution: each (out, in) kernel predicts its centre
    pixel from the neighbours and outputs the prediction error, so the layer learns
    content-suppressing filters. Constraint: w[centre] = −1 and the other taps sum to 1;
    ``project_`` re-imposes it (call it after every optimiser step)."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int = 5):
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2, bias=False)
        self.project_()

    @torch.no_grad()
    def project_(self):
        w = self.weight
        c = self.kernel_size[0] // 2
        w[:, :, c, c] = 0
        s = w.sum(dim=(2, 3), keepdim=True)
        w.div_(torch.where(s.abs() < 1e-8, torch.full_like(s, 1e-8), s))
        w[:, :, c, c] = -1


def conv_size(size: int, kernel: int, stride: int = 1, pad: int = 0) -> int:
    """Side of a convolution's output (floor)."""
    return (size + 2 * pad - kernel) // stride + 1


def max_pool(size: int) -> tuple[nn.Module, int]:
    """Caffe's 3×3 stride-2 max-pool (ceil mode), or nothing when the map is smaller than 3
    (small crops). Returns the layer and the side after it."""
    if size < 3:
        return nn.Identity(), size
    return nn.MaxPool2d(3, 2, ceil_mode=True), math.ceil((size - 3) / 2) + 1


def fixed_pool(size: int, target: int) -> nn.Module:
    """Average-pools a size×size map to target×target with a fixed kernel and stride (ONNX-
    exportable, unlike adaptive pooling at non-divisible sizes); nothing when size ≤ target."""
    if size <= target:
        return nn.Identity()
    stride = size // target
    return nn.AvgPool2d(size - (target - 1) * stride, stride)


def lrn() -> nn.Module:
    """AlexNet/GoogLeNet local response normalisation (Caffe: local_size 5, α 1e-4, β 0.75)."""
    return nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=1.0)


def init_weights(module: nn.Module) -> None:
    """He-normal convolutions, zero biases, unit batch norms; linear weights keep PyTorch's
    default (uniform, ±1/√fan_in), so the first logits are small."""
    for m in module.modules():
        if isinstance(m, ConstrainedConv2d):
            continue
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        if isinstance(m, (nn.Conv2d, nn.Linear)) and m.bias is not None:
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.ones_(m.weight)
            nn.init.zeros_(m.bias)


def highpass_kv(channels: int) -> torch.Tensor:
    """The 5×5 'KV' high-pass kernel of steganalysis (Tuama et al. 2016's filter layer), one per
    channel: (channels, 1, 5, 5)."""
    kv = torch.tensor([[-1, 2, -2, 2, -1],
                       [2, -6, 8, -6, 2],
                       [-2, 8, -12, 8, -2],
                       [2, -6, 8, -6, 2],
                       [-1, 2, -2, 2, -1]], dtype=torch.float32) / 12
    return kv.expand(channels, 1, 5, 5).clone()
