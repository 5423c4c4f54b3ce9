import json
import os
import signal
import socket
import subprocess
import sys

import pytest
import torch

from .conftest import ROOT, engine, train_args, write_dataset

EVENT_FIELDS = {
    "start": {"config": dict, "device": str, "threads": int, "trainSamples": int, "valSamples": int},
    "iteration": {"epoch": int, "iteration": int, "loss": float, "lr": float, "imagesPerSecond": float},
    "epoch": {"epoch": int, "loss": float, "accuracy": float, "valLoss": float, "valAccuracy": float,
              "valCropAccuracy": float, "lr": float, "imagesPerSecond": float, "seconds": float},
    "checkpoint": {"epoch": int, "path": str},
    "export": {"path": str},
    "done": {"epochs": int, "bestValAccuracy": float, "seconds": float},
    "stopped": {"epoch": int, "iteration": int, "path": str},
}


def check_events(events):
    for e in events:
        for key, kind in EVENT_FIELDS[e["event"]].items():
            assert isinstance(e[key], kind) or (kind is float and isinstance(e[key], int)), (e, key)


@pytest.fixture(scope="module")
def trained(dataset, tmp_path_factory):
    """A 2-epoch camnet run on the tiny data set: (model folder, exit status, events, stderr)."""
    out = str(tmp_path_factory.mktemp("model") / "m")
    return (out, *engine(*train_args(dataset, out, batch_size=8)))


def test_two_epochs_learn_the_pattern_and_write_the_model_folder(trained):
    out, code, events, stderr = trained
    assert code == 0, stderr
    check_events(events)
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-2:] == ["export", "done"]
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [1, 2]
    assert [e["path"] for e in events if e["event"] == "checkpoint"] == [
        "checkpoints/epoch-0001.pt", "checkpoints/epoch-0002.pt"]
    assert kinds.count("iteration") == 2 * 24 // 4
    last = [e for e in events if e["event"] == "epoch"][-1]
    assert last["valAccuracy"] >= 0.8 and last["accuracy"] > 0.6  # chance is 1/3
    assert events[-1]["bestValAccuracy"] >= last["valAccuracy"]

    with open(os.path.join(out, "events.jsonl")) as fh:
        assert [json.loads(line) for line in fh] == events
    with open(os.path.join(out, "config.json")) as fh:
        assert json.load(fh) == events[0]["config"]
    with open(os.path.join(out, "model.json")) as fh:
        model = json.load(fh)
    assert set(model) == {"classes", "input", "channels", "crop", "network", "dataset", "bestValAccuracy", "epochs"}
    assert (model["classes"], model["channels"], model["crop"], model["network"], model["epochs"]) == (
        ["SimCam01", "SimCam02", "SimCam03"], 1, 16, "camnet", 2)
    onnx = open(os.path.join(out, "model.onnx"), "rb").read()
    assert onnx[:1] == b"\x08" and b"input" in onnx and b"logits" in onnx  # ONNX protobuf, our names
    ck = torch.load(os.path.join(out, "checkpoints", "last.pt"))
    assert ck["epoch"] == 2 and ck["config"] == events[0]["config"]
    assert set(ck) >= {"model", "optimizer", "scheduler", "rng", "meta", "best"}


def test_evaluate_and_export_clis(trained, dataset):
    out = trained[0]
    code, docs, stderr = engine("engine.evaluate", "--model", out, "--dataset", dataset, "--split", "test")
    assert code == 0, stderr
    doc = docs[0]
    assert (doc["split"], doc["crops"], doc["images"]) == ("test", 36, 9)
    assert doc["image"]["top1"] >= 0.8 and doc["image"]["top5"] == 1.0 and 0 < doc["crop"]["top1"] <= 1
    os.remove(os.path.join(out, "model.onnx"))
    code, docs, stderr = engine("engine.export", "--model", out)
    assert code == 0 and docs[0]["event"] == "export", stderr
    assert os.path.getsize(os.path.join(out, "model.onnx")) > 10000


def test_sigterm_stops_after_the_batch_and_resume_continues_the_same_run(trained, dataset, tmp_path):
    out = str(tmp_path / "m")
    args = train_args(dataset, out, batch_size=8, log_every=1)
    p = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if json.loads(line)["event"] == "iteration":
            p.send_signal(signal.SIGTERM)
            break
    rest = [json.loads(line) for line in p.stdout]
    assert p.wait(timeout=60) == 130
    assert rest[-1]["event"] == "stopped" and rest[-1]["path"] == "checkpoints/last.pt"
    stopped = torch.load(os.path.join(out, "checkpoints", "last.pt"))
    assert stopped["epoch"] == 0 and stopped["batch"] == rest[-1]["iteration"]

    code, events, stderr = engine(*args, "--resume")
    assert code == 0, stderr
    assert events[0]["resumedFromEpoch"] == 0
    assert [e["iteration"] for e in events if e["event"] == "iteration"][0] == rest[-1]["iteration"] + 1
    # Same batches, same random state: the resumed run ends where the uninterrupted one did.
    reference = [e for e in trained[2] if e["event"] == "epoch"][-1]
    final = [e for e in events if e["event"] == "epoch"][-1]
    assert final["valLoss"] == pytest.approx(reference["valLoss"], rel=1e-4)


def test_a_killed_run_resumes_from_its_last_checkpoint(dataset, tmp_path):
    out = str(tmp_path / "m")
    args = train_args(dataset, out, epochs=6, batch_size=8, log_every=0)
    p = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if json.loads(line)["event"] == "checkpoint":
            p.kill()
            break
    assert p.wait(timeout=60) == -signal.SIGKILL
    done = torch.load(os.path.join(out, "checkpoints", "last.pt"))["epoch"]
    assert 1 <= done < 6

    code, events, stderr = engine(*args)  # without --resume: refused, the run is kept
    assert code == 2 and "pass --resume" in events[0]["message"]
    code, events, stderr = engine(*args, "--resume")
    assert code == 0, stderr
    check_events(events)
    assert events[0]["resumedFromEpoch"] == done
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == list(range(done + 1, 7))
    assert events[-1]["event"] == "done" and events[-1]["epochs"] == 6
    with open(os.path.join(out, "events.jsonl")) as fh:
        logged = [json.loads(line) for line in fh]
    assert {e["epoch"] for e in logged if e["event"] == "epoch"} == set(range(1, 7))


def test_a_fixed_input_network_trains_on_sub_crops_and_exports_at_the_data_set_crop(dataset, tmp_path):
    out = str(tmp_path / "m")
    code, events, stderr = engine(*train_args(dataset, out, network="alexnet-mod", crop=12, epochs=1,
                                              max_train_batches=2, optimizer="sgd", lr_policy="step"))
    assert code == 0, stderr
    with open(os.path.join(out, "model.json")) as fh:
        assert json.load(fh)["crop"] == 16
    assert os.path.getsize(os.path.join(out, "model.onnx")) > 1e6


@pytest.mark.parametrize("make, extra, message", [
    (dict(classes=1), {}, "has 1 class (SimCam01); a classifier needs at least 2"),
    (dict(photos=(3, 0, 1)), {}, "has no val samples"),
    (dict(complete=False), {}, "is incomplete (complete: false)"),
    (dict(), {"lr": "fast"}, "Expected a number for lr but received 'fast'"),
    (dict(), {"crop": 64}, "Expected a crop of at most 16"),
])
def test_bad_input_exits_2_with_one_clear_line(tmp_path, make, extra, message):
    ds = write_dataset(str(tmp_path / "ds"), **{"photos": (3, 1, 1), **make})
    code, events, stderr = engine(*train_args(ds, str(tmp_path / "m"), **extra))
    assert code == 2
    assert events == [{"event": "error", "message": events[0]["message"]}] and message in events[0]["message"]
    assert stderr.strip().splitlines() == [f"error: {events[0]['message']}"]


def test_two_processes_train_as_torchrun_launches_them_and_one_speaks(dataset, tmp_path):
    """The environment torchrun gives its workers (torchrun itself is broken in Debian's torch
    1.13 under Python 3.11 unless given --redirects=1 --tee=1), gloo on CPU."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    args = train_args(dataset, str(tmp_path / "m"), batch_size=16, epochs=1, log_every=0)
    procs = [subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "RANK": str(r), "LOCAL_RANK": str(r), "WORLD_SIZE": "2",
                                   "LOCAL_WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port)})
             for r in (0, 1)]
    (out0, err0), (out1, _) = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], err0
    events = [json.loads(line) for line in out0.splitlines()]
    assert [e["event"] for e in events] == ["start", "epoch", "checkpoint", "export", "done"]
    assert events[0]["processes"] == 2 and events[1]["valAccuracy"] > 0.5
    assert out1 == ""  # rank 1 writes no events


def test_a_run_stopped_after_a_validated_epoch_exports_that_epoch(dataset, tmp_path):
    out = str(tmp_path / "m")
    args = train_args(dataset, out, epochs=3, batch_size=8, log_every=1)
    p = subprocess.Popen([sys.executable, "-m", *args], cwd=ROOT, stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, text=True)
    for line in p.stdout:
        if json.loads(line)["event"] == "epoch":
            p.send_signal(signal.SIGTERM)
            break
    rest = [json.loads(line) for line in p.stdout]
    assert p.wait(timeout=60) == 130
    assert [e["event"] for e in rest][-2:] == ["export", "stopped"]
    assert rest[-2]["epoch"] == 1
    assert os.path.getsize(os.path.join(out, "model.onnx")) > 10000
