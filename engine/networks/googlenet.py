"""GoogLeNet (Inception v1, Szegedy et al. 2014, Table 1; DIGITS' googlenet):

conv1 64@7×7/2 → pool → LRN → conv2 64@1×1, 192@3×3 → LRN → pool → inception 3a, 3b → pool →
4a–4e → pool → 5a, 5b → global average pool → dropout 0.4 → linear. 22 weight layers.

Inception module (#1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj): four branches
concatenated on channels; every convolution followed by ReLU. No batch norm (as the original).

Adapted: any number of input channels; pools are left out where the map is smaller than 3×3,
so 32-pixel crops train on a CPU. The two auxiliary classifiers (training-time extra losses
for ImageNet) are left out.
"""
import torch
from torch import nn

from .common import conv_size, init_weights, lrn, max_pool
from .registry import register


def conv_relu(cin: int, cout: int, k: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, padding=k // 2), nn.ReLU(inplace=True))


class Inception(nn.Module):
    """(B, cin, H, W) → (B, n1 + n3 + n5 + proj, H, W)."""

    def __init__(self, cin: int, n1: int, r3: int, n3: int, r5: int, n5: int, proj: int):
        super().__init__()
        self.b1 = conv_relu(cin, n1, 1)
        self.b3 = nn.Sequential(conv_relu(cin, r3, 1), conv_relu(r3, n3, 3))
        self.b5 = nn.Sequential(conv_relu(cin, r5, 1), conv_relu(r5, n5, 5))
        self.bp = nn.Sequential(nn.MaxPool2d(3, 1, padding=1), conv_relu(cin, proj, 1))
        self.out_channels = n1 + n3 + n5 + proj

    def forward(self, x):
        return torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], 1)


# Szegedy et al., Table 1: (#1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj)
STAGES = {
    "3": [(64, 96, 128, 16, 32, 32), (128, 128, 192, 32, 96, 64)],
    "4": [(192, 96, 208, 16, 48, 64), (160, 112, 224, 24, 64, 64), (128, 128, 256, 24, 64, 64),
          (112, 144, 288, 32, 64, 64), (256, 160, 320, 32, 128, 128)],
    "5": [(256, 160, 320, 32, 128, 128), (384, 192, 384, 48, 128, 128)],
}


class GoogLeNet(nn.Module):
    fixed_input = False

    def __init__(self, num_classes: int, in_channels: int, crop: int):
        super().__init__()
        s = conv_size(crop, 7, 2, 3)
        pool1, s = max_pool(s)
        pool2, s = max_pool(s)
        layers = [conv_relu(in_channels, 64, 7, 2), pool1, lrn(),        # conv1
                  conv_relu(64, 64, 1), conv_relu(64, 192, 3), lrn(), pool2]  # conv2
        cin = 192
        for stage, specs in STAGES.items():
            for spec in specs:
                block = Inception(cin, *spec)
                layers.append(block)
                cin = block.out_channels
            if stage != "5":
                pool, s = max_pool(s)
                layers.append(pool)
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.4),
                                        nn.Linear(cin, num_classes))
        init_weights(self)

    def forward(self, x):
        """x (B, C, H, W) → logits (B, classes)."""
        return self.classifier(self.features(x))


@register("googlenet", "GoogLeNet (Inception v1, DIGITS): 22 layers, 9 inception modules, no auxiliary heads")
def googlenet(num_classes, in_channels, crop, input):
    return GoogLeNet(num_classes, in_channels, crop)
