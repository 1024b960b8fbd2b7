#!/usr/bin/env python3
"""Times NumPy's BLAS on the layers that are plain matrix products, at `tessel bench`'s shapes.

The affine layer as three matrix products, as CS231n writes it: forward x·w + b; backward
dout·wᵀ, xᵀ·dout and dout summed over the batch. Float32, with the BLAS limited to --workers
threads (threadpoolctl). Writes JSON in the schema of `tessel bench` (README.md), with the
BLAS libraries that ran (threadpoolctl's `threadpool_info`: library, version, the kernel's
architecture, threads) under "blas".

OpenBLAS picks its kernel for the CPU it finds unless OPENBLAS_CORETYPE names one, and sizes
its blocks by OPENBLAS_L2_SIZE: compare.py runs this script with both unset, so that the
kernel is the one OpenBLAS chooses for this CPU.

Needs `pip install numpy threadpoolctl`; not needed to build, test or run Tessel.
"""
import numpy as np
from threadpoolctl import threadpool_info, threadpool_limits

import peer_report


def affine():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (512, 3072)).astype(np.float32)
    w = rng.uniform(-1, 1, (3072, 1024)).astype(np.float32)
    b = rng.uniform(-1, 1, 1024).astype(np.float32)
    dout = rng.uniform(-1, 1, (512, 1024)).astype(np.float32)

    def backward(_):
        return dout @ w.T, x.T @ dout, dout.sum(axis=0)

    return "x (512, 3072), w (3072, 1024)", lambda: x @ w + b, backward


LAYERS = {"affine": affine}


def main():
    args = peer_report.arguments(__doc__.split("\n")[0], LAYERS)
    with threadpool_limits(limits=args.workers, user_api="blas"):
        layers = []
        for name in args.layers:
            shape, forward, backward = LAYERS[name]()
            layers.append(peer_report.layer_entry(name, shape, *peer_report.time_passes(forward, backward, args.repeats, args.warmup)))
        blas = [{key: info.get(key) for key in ("internal_api", "version", "architecture", "num_threads")}
                for info in threadpool_info() if info.get("user_api") == "blas"]
    peer_report.write_report(args, "numpy", np.__version__, layers, blas=blas)


if __name__ == "__main__":
    main()
