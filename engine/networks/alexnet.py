"""AlexNet as in DIGITS (Caffe's bvlc_alexnet, Krizhevsky et al. 2012):

conv1 96@11×11/4 → ReLU → LRN → pool → conv2 256@5×5 (2 groups) → ReLU → LRN → pool →
conv3 384@3×3 → conv4 384@3×3 (2 groups) → conv5 256@3×3 (2 groups) → pool →
fc6 4096 → fc7 4096 (ReLU, dropout 0.5 each) → fc8.

Adapted to the crop: a pool is left out where the map is smaller than 3×3 (small crops), and
a map larger than AlexNet's 6×6 (227-pixel input) is average-pooled to 6×6 before fc6.
"""
from torch import nn

from .common import conv_size, fixed_pool, init_weights, lrn, max_pool
from .registry import register


def alexnet_head(channels: int, side: int, num_classes: int) -> nn.Sequential:
    """pool-to-6×6, fc6, fc7 (4096, ReLU, dropout 0.5), fc8."""
    out = min(side, 6)
    return nn.Sequential(
        fixed_pool(side, 6), nn.Flatten(),
        nn.Linear(channels * out * out, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),  # fc6
        nn.Linear(4096, 4096), nn.ReLU(inplace=True), nn.Dropout(0.5),                 # fc7
        nn.Linear(4096, num_classes))                                                  # fc8


class AlexNet(nn.Module):
    fixed_input = True

    def __init__(self, num_classes: int, in_channels: int, crop: int):
        super().__init__()
        s = conv_size(crop, 11, 4)
        if s < 1:
            raise ValueError("AlexNet needs crops of 11 pixels or more")
        pool1, s = max_pool(s)
        pool2, s = max_pool(s)
        pool5, s = max_pool(s)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 96, 11, stride=4), nn.ReLU(inplace=True), lrn(), pool1,  # conv1
            nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(inplace=True), lrn(), pool2,  # conv2
            nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(inplace=True),                     # conv3
            nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(inplace=True),           # conv4
            nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(inplace=True), pool5)    # conv5
        self.classifier = alexnet_head(256, s, num_classes)
        init_weights(self)

    def forward(self, x):
        """x (B, C, crop, crop) → logits (B, classes)."""
        return self.classifier(self.features(x))


@register("alexnet", "AlexNet (DIGITS/Caffe): 5 convolutions (96@11×11/4 first), 3 fully connected layers")
def alexnet(num_classes, in_channels, crop, input):
    return AlexNet(num_classes, in_channels, crop)
