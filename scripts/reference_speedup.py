#!/usr/bin/env python3
"""How much faster each tiled kernel on ONE worker is than its serial reference.

Runs `tessel op LAYER backward` (which recomputes the forward pass, so it times forward +
backward) with `--threads 1` and with `--reference` on the same float32 inputs, best of
`--runs` whole processes each, and prints the ratio. Shapes are mid-sized (the references are
plain loops; the standard shapes would take minutes). Process start-up and .npy I/O are in
both times, so small ratios understate the kernel's advantage.

    python3 scripts/reference_speedup.py [--tessel .build/release/tessel] [--runs 3]
"""
import argparse
import os
import subprocess
import tempfile
import time

import numpy as np

def cases(rng):
    r = lambda *s: rng.standard_normal(s).astype(np.float32)
    yield "affine", dict(x=r(128, 1024), w=r(1024, 256), b=r(256), dout=r(128, 256)), {}
    yield "relu", dict(x=r(256, 4096), dout=r(256, 4096)), {}
    yield "batchnorm", dict(x=r(1024, 1024), gamma=r(1024), beta=r(1024), dout=r(1024, 1024)), {"mode": "train"}
    yield "layernorm", dict(x=r(1024, 1024), gamma=r(1024), beta=r(1024), dout=r(1024, 1024)), {}
    yield "dropout", dict(x=r(256, 4096), dout=r(256, 4096)), {"mode": "train", "p": 0.5, "seed": 1}
    yield "conv", dict(x=r(8, 64, 32, 32), w=r(64, 64, 3, 3), b=r(64), dout=r(8, 64, 32, 32)), {"stride": 1, "pad": 1}
    yield "maxpool", dict(x=r(16, 64, 32, 32), dout=r(16, 64, 16, 16)), {"pool_height": 2, "pool_width": 2, "stride": 2}
    yield "spatial_batchnorm", dict(x=r(16, 64, 32, 32), gamma=r(64), beta=r(64), dout=r(16, 64, 32, 32)), {"mode": "train"}
    yield "groupnorm", dict(x=r(16, 64, 32, 32), gamma=r(64), beta=r(64), dout=r(16, 64, 32, 32)), {"G": 8}
    y = rng.integers(0, 1000, 1024)
    yield "softmax_loss", dict(x=r(1024, 1000), y=y), {}
    yield "svm_loss", dict(x=r(1024, 1000), y=y), {}

def best_time(command, runs):
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tessel", default=".build/release/tessel")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    print(f"{'layer':<18} {'shape of x':<18} {'tiled, 1 worker':>16} {'reference':>12} {'speedup':>9}")
    with tempfile.TemporaryDirectory() as folder:
        for layer, inputs, params in cases(rng):
            paths = []
            for name, value in inputs.items():
                path = os.path.join(folder, f"{layer}_{name}.npy")
                np.save(path, value)
                paths += ["--in", f"{name}={path}"]
            base = [args.tessel, "op", layer, "backward", *paths, "--out", os.path.join(folder, "out")]
            base += [f"--param={k}={v}" for k, v in params.items()]
            tiled = best_time(base + ["--threads", "1"], args.runs)
            reference = best_time(base + ["--reference"], args.runs)
            shape = "x" + str(tuple(inputs["x"].shape)).replace(" ", "")
            print(f"{layer:<18} {shape:<18} {tiled * 1e3:>13.1f} ms {reference * 1e3:>9.1f} ms {reference / tiled:>8.1f}×")

if __name__ == "__main__":
    main()
