"""LeNet as in DIGITS (Caffe's lenet): conv1 20@5×5 → max-pool 2 → conv2 50@5×5 → max-pool 2 →
ip1 500 → ReLU → ip2.

Adapted: LeNet takes 28×28 (32×32 in LeCun et al. 1998); crops are never resized (that would
blur the noise), so maps larger than LeNet's 4×4 are average-pooled to 4×4 before ip1.
Smallest crop: 16.
"""
from torch import nn

from .common import conv_size, fixed_pool, init_weights
from .registry import register


class LeNet(nn.Module):
    fixed_input = True

    def __init__(self, num_classes: int, in_channels: int, crop: int):
        super().__init__()
        side = conv_size(conv_size(crop, 5) // 2, 5) // 2  # conv1, pool1, conv2, pool2
        if side < 1:
            raise ValueError("LeNet needs crops of 16 pixels or more")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 20, 5), nn.MaxPool2d(2),   # conv1, pool1
            nn.Conv2d(20, 50, 5), nn.MaxPool2d(2),            # conv2, pool2
            fixed_pool(side, 4))
        side = min(side, 4)
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(50 * side * side, 500), nn.ReLU(inplace=True),  # ip1
            nn.Linear(500, num_classes))                                           # ip2
        init_weights(self)

    def forward(self, x):
        """x (B, C, crop, crop) → logits (B, classes)."""
        return self.classifier(self.features(x))


@register("lenet", "LeNet (DIGITS/Caffe): 2 convolutions, 2 fully connected layers")
def lenet(num_classes, in_channels, crop, input):
    return LeNet(num_classes, in_channels, crop)
