"""camnet: the default network, a small residual network with batch norm for camera-model
identification from noise residuals or pixels, fast enough to train on a CPU.

[constrained conv 5×5, C → 8 (pixels only)] → stem conv 3×3 stride 2 → 32, BN, ReLU →
3 residual blocks (He et al. 2016), stride 2 each, widths 64, 128, 256 →
global average pool → dropout 0.2 → linear. 1.2 M parameters.

- Pixels ("rgb" input) first go through Bayar & Stamm's (2018) constrained convolution, which
  learns prediction-error filters: the content is suppressed, the demosaicing and sensor
  traces stay. Residual inputs are noise already and skip it.
- The stem sees the full-resolution neighbourhood (3×3) but keeps every second pixel: crops sit
  at even offsets, so every output samples the same phase of the 2×2 colour-filter array and
  the CFA pattern reaches the deep layers intact, at a quarter of the cost of a stride-1 stem.
- Global average pooling: fully convolutional, any input size; the evidence of every position
  of the crop is averaged.
"""
from torch import nn

from .common import ConstrainedConv2d, init_weights
from .registry import register


def conv_bn(cin: int, cout: int, k: int = 3, stride: int = 1, relu: bool = True) -> nn.Sequential:
    layers = [nn.Conv2d(cin, cout, k, stride, padding=k // 2, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU(inplace=True)) if relu else nn.Sequential(*layers)


class Block(nn.Module):
    """Residual block: (B, cin, H, W) → (B, cout, H/stride, W/stride).
    relu(bn(conv3×3(relu(bn(conv3×3(x))))) + shortcut(x)), 1×1 projection when shapes change."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.body = nn.Sequential(conv_bn(cin, cout, 3, stride), conv_bn(cout, cout, 3, relu=False))
        self.shortcut = nn.Identity() if cin == cout and stride == 1 else conv_bn(cin, cout, 1, stride, relu=False)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.relu(self.body(x) + self.shortcut(x))


class CamNet(nn.Module):
    fixed_input = False

    def __init__(self, num_classes: int, in_channels: int, constrained: bool,
                 widths=(32, 64, 128, 256), stem_stride: int = 2):
        super().__init__()
        self.constrained = ConstrainedConv2d(in_channels, 8, 5) if constrained else nn.Identity()
        blocks = [conv_bn(8 if constrained else in_channels, widths[0], 3, stem_stride)]
        blocks += [Block(a, b, 2) for a, b in zip(widths, widths[1:])]
        self.features = nn.Sequential(*blocks)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2),
                                        nn.Linear(widths[-1], num_classes))
        init_weights(self)

    def forward(self, x):
        """x (B, C, H, W), normalised → logits (B, classes)."""
        return self.classifier(self.features(self.constrained(x)))


@register("camnet", "small residual network with batch norm (default); a constrained first layer "
                    "(Bayar & Stamm 2018) before pixels")
def camnet(num_classes, in_channels, crop, input):
    return CamNet(num_classes, in_channels, constrained=input == "rgb")
