import pytest
import torch
from torch import nn

from engine.errors import EngineError
from engine.networks import Classifier, create_model, registered
from engine.networks.common import ConstrainedConv2d

from .conftest import engine


def test_every_network_is_registered():
    assert set(registered()) >= {"lenet", "alexnet", "googlenet", "alexnet-mod", "camnet"}


@pytest.mark.parametrize("name", registered())
@pytest.mark.parametrize("channels, input", [(1, "residual"), (3, "rgb")])
def test_logits_shape_and_gradients(name, channels, input):
    torch.manual_seed(0)
    net = create_model(name, 5, channels, 32, input)
    x = torch.randn(2, channels, 32, 32)
    logits = net(x)
    assert logits.shape == (2, 5)
    logits.sum().backward()
    assert all(p.grad is not None for p in net.parameters() if p.requires_grad)


def test_a_crop_too_small_for_a_network_is_bad_input():
    with pytest.raises(EngineError, match="Network lenet cannot take 1×8×8 crops: LeNet needs crops of 16"):
        create_model("lenet", 3, 1, 8)


def test_alexnet_mod_feature_maps_at_256():
    """Table 1: conv1 64 kernels 3×3 → 126×126 maps from a 256×256 crop; conv2 and conv3 32 3×3."""
    net = create_model("alexnet-mod", 10, 1, 256, "residual").eval()
    shapes = []
    with torch.no_grad():
        x = net.filter(torch.zeros(1, 1, 256, 256))
        shapes.append(("filter", tuple(x.shape[1:])))
        for layer in net.features:
            x = layer(x)
            if isinstance(layer, (nn.Conv2d, nn.MaxPool2d)):
                shapes.append((type(layer).__name__, tuple(x.shape[1:])))
        x = net.classifier[0](x)
    convs = [m for m in net.features if isinstance(m, nn.Conv2d)]
    assert [(c.out_channels, c.kernel_size) for c in convs] == [
        (64, (3, 3)), (32, (3, 3)), (32, (3, 3)), (384, (3, 3)), (256, (3, 3))]
    assert shapes == [("filter", (1, 252, 252)),
                      ("Conv2d", (64, 126, 126)), ("MaxPool2d", (64, 63, 63)),
                      ("Conv2d", (32, 63, 63)), ("MaxPool2d", (32, 31, 31)),
                      ("Conv2d", (32, 31, 31)), ("Conv2d", (384, 31, 31)), ("Conv2d", (256, 31, 31)),
                      ("MaxPool2d", (256, 15, 15))]
    assert tuple(x.shape[1:]) == (256, 6, 6)  # AlexNet's fc6 input
    assert [m.out_features for m in net.classifier if isinstance(m, nn.Linear)] == [4096, 4096, 10]


def test_classifier_normalises_and_centre_crops_for_fixed_input_networks():
    net = create_model("lenet", 3, 1, 16)
    model = Classifier(net, [10.0], [2.0], 16).eval()
    x = torch.randn(2, 1, 24, 24) * 2 + 10
    o = 4  # (24 - 16) / 2, even
    expected = net((x[..., o:o + 16, o:o + 16] - 10) / 2)
    assert torch.allclose(model(x), expected, atol=1e-6)
    camnet = Classifier(create_model("camnet", 3, 1, 16), [0.0], [1.0], 16).eval()
    assert camnet(torch.randn(2, 1, 40, 40)).shape == (2, 3)  # fully convolutional


def test_constrained_layer_keeps_its_constraint_after_a_step():
    layer = ConstrainedConv2d(3, 4, 5)
    opt = torch.optim.SGD(layer.parameters(), lr=0.5)
    layer(torch.randn(2, 3, 12, 12)).pow(2).mean().backward()
    opt.step()
    layer.project_()
    w = layer.weight.detach()
    assert torch.all(w[:, :, 2, 2] == -1)
    assert torch.allclose(w.sum(dim=(2, 3)), torch.zeros(4, 3), atol=1e-5)  # others sum to 1
    assert isinstance(create_model("camnet", 3, 3, 32, "rgb").constrained, ConstrainedConv2d)
    assert not isinstance(create_model("camnet", 3, 3, 32, "residual-rgb").constrained, ConstrainedConv2d)


def test_networks_cli_lists_them_as_json():
    code, out, _ = engine("engine.networks", "--crop", "64", "--classes", "4")
    assert code == 0 and len(out) == 1
    doc = out[0]
    assert doc["default"] == "camnet" and doc["for"]["crop"] == 64
    names = {n["name"]: n for n in doc["networks"]}
    assert set(names) == set(registered())
    assert all(n["parameters"] > 0 and n["description"] for n in names.values())
    assert names["alexnet"]["fixedInput"] and not names["camnet"]["fixedInput"]
