"""The exported ONNX graph against PyTorch. Python's onnxruntime is not installed here, so the
check runs in onnxruntime-node (what the TypeScript side uses) when node_modules has it."""
import json
import os
import shutil
import subprocess

import pytest
import torch

from engine.checkpoint import build_classifier
from engine.export import export_onnx

from .conftest import ROOT

NODE_ORT = os.path.join(ROOT, "node_modules", "onnxruntime-node")

CHECK = """
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const ort = createRequire(process.argv[1])('onnxruntime-node');
const c = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const s = await ort.InferenceSession.create(c.path);
const r = await s.run({ input: new ort.Tensor('float32', Float32Array.from(c.x), c.shape) });
console.log(JSON.stringify({ inputs: s.inputNames, outputs: s.outputNames, dims: r.logits.dims,
                             y: Array.from(r.logits.data) }));
"""


@pytest.mark.skipif(shutil.which("node") is None or not os.path.isdir(NODE_ORT),
                    reason="node with onnxruntime-node is not installed")
@pytest.mark.parametrize("network, input", [("camnet", "rgb"), ("alexnet-mod", "residual-rgb"),
                                            ("googlenet", "residual")])
def test_onnx_export_matches_pytorch_in_onnxruntime_node(tmp_path, network, input):
    torch.manual_seed(0)
    channels = 1 if input == "residual" else 3
    meta = {"classes": ["a", "b", "c", "d"], "input": input, "channels": channels, "crop": 24,
            "mean": [0.5] * channels, "std": [2.0] * channels, "dataset": "/ds"}
    model = build_classifier(network, meta, 20).eval()  # trained at 20, takes the data set's 24
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    path = str(tmp_path / "model.onnx")
    export_onnx(model, meta, path)
    x = torch.randn(3, channels, 24, 24) * 2 + 0.5  # another batch size than the traced one
    with torch.no_grad():
        want = model(x)
    case = tmp_path / "case.json"
    case.write_text(json.dumps({"path": path, "shape": list(x.shape), "x": x.flatten().tolist()}))
    p = subprocess.run(["node", "--input-type=module", "-e", CHECK, os.path.join(ROOT, "package.json"), str(case)],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert (got["inputs"], got["outputs"], got["dims"]) == (["input"], ["logits"], [3, 4])
    assert torch.allclose(torch.tensor(got["y"]).view(3, 4), want, atol=1e-4)
