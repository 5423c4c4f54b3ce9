import json
import os

import numpy as np
import pytest
import torch

from engine import data
from engine.errors import EngineError

from .conftest import write_dataset


def test_splits_read_as_float32_batches(dataset):
    info = data.read_manifest(dataset)
    assert (info.classes, info.channels, info.crop) == (["SimCam01", "SimCam02", "SimCam03"], 1, 16)
    splits = data.open_splits(info, ("train", "val", "test"))
    assert [len(s) for s in splits.values()] == [192, 36, 36]
    x, y, src = splits["train"][[5, 1, 190]]
    assert x.dtype == torch.float32 and x.shape == (3, 1, 16, 16)
    assert y.dtype == torch.int64 and y.tolist() == [0, 0, 2]
    assert src.tolist() == [0, 1, 47]  # 4 crops per photo


def test_a_batch_spans_shards(tmp_path):
    ds = write_dataset(str(tmp_path / "two"), photos=(4, 1, 1))
    m = json.load(open(os.path.join(ds, "manifest.json")))
    x = np.load(os.path.join(ds, "train-000.x.npy"))
    for kind in ("x", "y", "src"):  # split train into two shards
        a = np.load(os.path.join(ds, f"train-000.{kind}.npy"))
        np.save(os.path.join(ds, f"train-000.{kind}.npy"), a[:20])
        np.save(os.path.join(ds, f"train-001.{kind}.npy"), a[20:])
    m["shards"]["train"] = [{"x": f"train-00{i}.x.npy", "y": f"train-00{i}.y.npy",
                             "src": f"train-00{i}.src.npy", "count": n} for i, n in ((0, 20), (1, len(x) - 20))]
    json.dump(m, open(os.path.join(ds, "manifest.json"), "w"))
    got, _, _ = data.Split(data.read_manifest(ds), "train")[[3, 25, 19, 20]]
    assert torch.equal(got, torch.from_numpy(x[[3, 19, 20, 25]].astype(np.float32)))


@pytest.mark.parametrize("change, message", [
    (lambda d: os.remove(os.path.join(d, "manifest.json")), "no manifest.json"),
    (lambda d: edit(d, complete=False), "is incomplete (complete: false)"),
    (lambda d: edit(d, classes=["SimCam01"]), "has 1 class (SimCam01); a classifier needs at least 2"),
    (lambda d: edit(d, format="other/1"), "expected format 'camprint-dataset/1'"),
])
def test_bad_data_sets_are_named_with_the_problem(tmp_path, change, message):
    ds = write_dataset(str(tmp_path / "bad"), photos=(2, 1, 1))
    change(ds)
    with pytest.raises(EngineError) as e:
        data.open_splits(data.read_manifest(ds))
    assert message in str(e.value) and ds in str(e.value)


@pytest.mark.parametrize("photos, split", [((0, 1, 1), "train"), ((2, 0, 1), "val")])
def test_an_empty_split_is_refused(tmp_path, photos, split):
    ds = write_dataset(str(tmp_path / "empty"), photos=photos)
    with pytest.raises(EngineError, match=f"has no {split} samples"):
        data.open_splits(data.read_manifest(ds))


def test_subcrops_keep_the_cfa_phase():
    x = torch.arange(2 * 16 * 16, dtype=torch.float32).view(2, 1, 16, 16).repeat(50, 1, 1, 1)
    gen = torch.Generator().manual_seed(0)
    crops = data.subcrops(x, 6, gen)
    assert crops.shape == (100, 1, 6, 6)
    first = crops[:, 0, 0, 0] - x[:, 0, 0, 0]  # = 16·row + column of the offset
    rows, cols = first // 16, first % 16
    assert (rows % 2 == 0).all() and (cols % 2 == 0).all()
    assert len(set(zip(rows.tolist(), cols.tolist()))) > 10  # random offsets
    assert rows.max() <= 10 and cols.max() <= 10
    centre = data.subcrops(x[:1], 6)
    assert centre[0, 0, 0, 0] == 4 * 16 + 4  # (16 - 6) / 2 = 5, rounded down to even
    assert data.subcrops(x, 16, gen) is x


def edit(ds, **fields):
    path = os.path.join(ds, "manifest.json")
    m = json.load(open(path))
    m.update(fields)
    json.dump(m, open(path, "w"))
