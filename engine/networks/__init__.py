"""The networks: ``create_model(name, num_classes, in_channels, crop)`` builds any registered one.
Adding a network is adding a file here that registers itself, and importing it below."""
from . import alexnet, alexnet_mod, camnet, googlenet, lenet  # noqa: F401  (they register themselves)
from .common import Classifier
from .registry import DEFAULT, create_model, entry, registered

__all__ = ["Classifier", "DEFAULT", "create_model", "entry", "registered"]
