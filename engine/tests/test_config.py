import json

import pytest

from engine import config
from engine.errors import EngineError
from engine.train import lr_at


def test_overrides_are_converted_to_the_field_types(tmp_path):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"dataset": "/ds", "out": "/m", "epochs": 5, "lr": 1}))
    cfg = config.load(str(path), ["--epochs=7", "--lr=0.01", "--amp=false", "--network=lenet",
                                  "--batch-size=8", "--warmup_epochs=1"])
    assert (cfg.epochs, cfg.lr, cfg.amp, cfg.network, cfg.batch_size) == (7, 0.01, False, "lenet", 8)
    assert isinstance(cfg.lr, float) and isinstance(cfg.warmup_epochs, float)
    assert cfg.dataset == "/ds" and cfg.optimizer == "adamw"  # from the file, and a default


@pytest.mark.parametrize("args, message", [
    (["--epochs=two"], "Expected an integer for epochs but received 'two'"),
    (["--epochs=0"], "Expected a positive integer for epochs but received 0"),
    (["--amp=maybe"], "Expected a boolean (true or false) for amp"),
    (["--optimizer=rmsprop"], "Expected one of sgd, adam, adamw for optimizer"),
    (["--network=vgg"], "for network but received 'vgg'"),
    (["--crop=33"], "Expected 0 or an even number of pixels for crop"),
    (["--lrr=1"], "Unknown config key 'lrr'"),
    (["epochs=3"], "Expected --key=value but received 'epochs=3'"),
])
def test_bad_values_are_refused_with_one_clear_line(args, message):
    with pytest.raises(EngineError) as e:
        config.load(None, ["--dataset=/ds", "--out=/m", *args])
    assert message in str(e.value) and "\n" not in str(e.value)


def test_file_types_are_checked(tmp_path):
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps({"dataset": "/ds", "out": "/m", "epochs": "3", "amp": 1}))
    with pytest.raises(EngineError, match="Expected a boolean"):
        config.load(str(path))
    path.write_text("{not json")
    with pytest.raises(EngineError, match="not valid JSON"):
        config.load(str(path))


def test_resume_takes_the_saved_config_as_defaults(tmp_path):
    saved = config.Config(dataset="/ds", out=str(tmp_path), epochs=4, lr=0.1)
    config.save(saved, str(tmp_path / "config.json"))
    cfg = config.load(None, [f"--out={tmp_path}", "--epochs=6"], resume=True)
    assert (cfg.dataset, cfg.lr, cfg.epochs) == ("/ds", 0.1, 6)


def test_learning_rate_policies():
    cfg = config.Config(dataset="d", out="o", lr=0.1, epochs=10, gamma=0.5, step_size=2, power=2)
    at = lambda policy, p, **kw: lr_at(config.Config(**{**cfg.__dict__, "lr_policy": policy, **kw}), p)  # noqa: E731
    assert at("fixed", 7) == 0.1
    assert at("step", 3.9) == pytest.approx(0.05) and at("step", 4) == pytest.approx(0.025)
    assert at("exp", 2) == pytest.approx(0.025)
    assert at("poly", 5) == pytest.approx(0.025)
    assert at("cosine", 0) == pytest.approx(0.1) and at("cosine", 5) == pytest.approx(0.05)
    assert at("cosine", 10) == pytest.approx(0.0, abs=1e-12)
    assert at("fixed", 0.5, warmup_epochs=2) == pytest.approx(0.025)
