"""The paper's modified AlexNet (Athanasiadou, Geradts & Van Eijk, Table 1), after Tuama et
al. (2016):

| layer | default AlexNet | modified AlexNet |
| conv1 | 96 @ 11×11       | 64 @ 3×3 (126×126 maps from a 256×256 crop) |
| conv2 | 256 @ 5×5        | 32 @ 3×3 |
| conv3 | 384 @ 3×3        | 32 @ 3×3 |
conv4, conv5 and fc6–fc8 as AlexNet (with its 2 groups in conv2, conv4, conv5). Table 1 gives
32 kernels for the default conv2 too (AlexNet has 256); the text says only conv2's kernel size
changed; 32 is what the modified network has either way.

Shapes at a 256 crop: filter layer → (C, 252, 252); conv1 (stride 2, pad 1) → (64, 126, 126);
pool1 → 63; conv2 → (32, 63, 63); pool2 → 31; conv3 → (32, 31, 31); conv4 → (384, 31, 31);
conv5 → (256, 31, 31); pool5 → 15; average pool → (256, 6, 6); fc6 4096, fc7 4096, fc8.

126×126 comes from Tuama et al.'s layout, where a 5×5 filter layer without padding precedes
conv1 (256 → 252). Tuama et al. high-pass filtered the pixels there; the paper fed PRNU noise
patterns instead. So the filter layer is the KV high-pass for "rgb" input and the identity
(the central 252×252) for residual inputs, which are high-pass already.
"""
import torch
from torch import nn
import torch.nn.functional as F

from .alexnet import alexnet_head
from .common import conv_size, highpass_kv, init_weights, lrn, max_pool
from .registry import register


class FilterLayer(nn.Module):
    """Tuama et al.'s 5×5 filter layer, valid (no padding): (B, C, S, S) → (B, C, S−4, S−4).
    Fixed: the KV high-pass per channel, or the identity."""

    def __init__(self, channels: int, highpass: bool):
        super().__init__()
        self.highpass = highpass
        self.register_buffer("kernel", highpass_kv(channels) if highpass else torch.zeros(0))

    def forward(self, x):
        if self.highpass:
            return F.conv2d(x, self.kernel, groups=self.kernel.shape[0])
        return x[..., 2:-2, 2:-2]


class AlexNetMod(nn.Module):
    fixed_input = True

    def __init__(self, num_classes: int, in_channels: int, crop: int, highpass: bool):
        super().__init__()
        if crop < 8:
            raise ValueError("the modified AlexNet needs crops of 8 pixels or more")
        s = conv_size(conv_size(crop, 5), 3, 2, 1)  # filter layer, conv1
        pool1, s = max_pool(s)
        pool2, s = max_pool(s)
        pool5, s = max_pool(s)
        self.filter = FilterLayer(in_channels, highpass)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, 3, stride=2, padding=1), nn.ReLU(inplace=True), lrn(), pool1,  # conv1
            nn.Conv2d(64, 32, 3, padding=1, groups=2), nn.ReLU(inplace=True), lrn(), pool2,           # conv2
            nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(inplace=True),                                   # conv3
            nn.Conv2d(32, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),                        # conv4
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True), pool5)                # conv5
        self.classifier = alexnet_head(256, s, num_classes)
        init_weights(self)

    def forward(self, x):
        """x (B, C, crop, crop) → logits (B, classes)."""
        return self.classifier(self.features(self.filter(x)))


@register("alexnet-mod", "the paper's modified AlexNet (Table 1): conv1 64@3×3 → 126×126 at 256, "
                         "conv2 32@3×3, conv3 32@3×3, rest as AlexNet")
def alexnet_mod(num_classes, in_channels, crop, input):
    return AlexNetMod(num_classes, in_channels, crop, highpass=input == "rgb")
