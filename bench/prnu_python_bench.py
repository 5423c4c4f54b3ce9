"""Times prnu-python (polimi-ispl) on the same inputs as bench/index.ts, single-threaded.

The reference is imported from a checkout named by PRNU_PYTHON_DIR (never vendored here).
Usage: PRNU_PYTHON_DIR=/path/to/prnu-python python3 bench/prnu_python_bench.py residual|fingerprint|match FILES...
Prints one JSON line of timings in seconds.
"""
import json
import os
import sys
import time

import numpy as np
from PIL import Image

sys.path.insert(0, os.environ["PRNU_PYTHON_DIR"])
import prnu  # noqa: E402

what, files = sys.argv[1], sys.argv[2:]
if what == "residual":
    im = np.asarray(Image.open(files[0]))
    prnu.extract_single(im)  # warm-up
    t = time.perf_counter()
    prnu.extract_single(im)
    print(json.dumps({"residual": time.perf_counter() - t, "pixels": im.shape[0] * im.shape[1]}))
elif what == "fingerprint":
    t = time.perf_counter()
    imgs = [np.asarray(Image.open(f)) for f in files]
    prnu.extract_multiple_aligned(imgs, processes=1)
    print(json.dumps({"fingerprint": time.perf_counter() - t, "images": len(files)}))
elif what == "match":
    im = np.asarray(Image.open(files[0]))
    rng = np.random.default_rng(0)
    k = rng.standard_normal(im.shape[:2]).astype(np.float32)
    w = rng.standard_normal(im.shape[:2]).astype(np.float32)
    times = []
    for _ in range(5):
        t = time.perf_counter()
        cc = prnu.crosscorr_2d(prnu.rgb2gray(im) * k, w)
        prnu.pce(cc)
        times.append(time.perf_counter() - t)
    print(json.dumps({"match": sorted(times)[2]}))
