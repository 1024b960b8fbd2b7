#!/usr/bin/env python3
"""Times PyTorch's CPU kernels on the layers and shapes of `tessel bench`.

Writes JSON in the schema of `tessel bench` (see README.md): per layer the median
forward and backward milliseconds. Float32, `torch.set_num_threads(--workers)`.

Forward runs with autograd recording (as in training); backward is the autograd backward
of that graph (`torch.autograd.backward` with `retain_graph=True`, so one forward serves
every timed backward), with gradients requested for every input Tessel differentiates
(x and the parameters), so both runtimes compute the same gradients. Losses: forward is
the loss value, backward the gradient of the scores. The work counts (flops, bytes) are
left null: compare.py takes them from Tessel's report (the workload registry).

Needs `pip install torch numpy`; not needed to build, test or run Tessel.
"""
import argparse
import datetime
import json
import os
import statistics
import time

import torch
import torch.nn.functional as F


def uniform(*shape, requires_grad=True):
    return (torch.rand(*shape, dtype=torch.float32) * 2 - 1).requires_grad_(requires_grad)


def affine():
    x, w, b = uniform(512, 3072), uniform(3072, 1024), uniform(1024)
    return "x (512, 3072), w (3072, 1024)", lambda: torch.addmm(b, x, w), [x, w, b]


def relu():
    x = uniform(512, 4096)
    return "x (512, 4096)", lambda: F.relu(x), [x]


def batchnorm():
    x, g, b = uniform(4096, 1024), uniform(1024), uniform(1024)
    rm, rv = torch.zeros(1024), torch.ones(1024)
    return ("x (4096, 1024)", lambda: F.batch_norm(x, rm, rv, g, b, training=True, momentum=0.1, eps=1e-5),
            [x, g, b])


def layernorm():
    x, g, b = uniform(4096, 1024), uniform(1024), uniform(1024)
    return ("x (4096, 1024)", lambda: F.layer_norm(x, (1024,), g, b, eps=1e-5), [x, g, b])


def dropout():
    x = uniform(512, 4096)
    return "x (512, 4096), p 0.5", lambda: F.dropout(x, 0.5, training=True), [x]


def conv(x_shape, w_shape, pad):
    def build():
        x, w, b = uniform(*x_shape), uniform(*w_shape), uniform(w_shape[0])
        shape = f"x {tuple(x_shape)}, w {tuple(w_shape)}, stride 1, pad {pad}"
        return (shape, lambda: F.conv2d(x, w, b, stride=1, padding=pad), [x, w, b])
    return build


def maxpool():
    x = uniform(64, 64, 32, 32)
    return ("x (64, 64, 32, 32), poolHeight 2, poolWidth 2, stride 2",
            lambda: F.max_pool2d(x, 2, 2), [x])


def spatial_batchnorm():
    x, g, b = uniform(64, 64, 32, 32), uniform(64), uniform(64)
    rm, rv = torch.zeros(64), torch.ones(64)
    return ("x (64, 64, 32, 32)", lambda: F.batch_norm(x, rm, rv, g, b, training=True, momentum=0.1, eps=1e-5),
            [x, g, b])


def groupnorm():
    x, g, b = uniform(64, 64, 32, 32), uniform(64), uniform(64)
    return ("x (64, 64, 32, 32), groups 8", lambda: F.group_norm(x, 8, g, b, eps=1e-5), [x, g, b])


def loss(function):
    def build():
        x = uniform(4096, 1000)
        y = torch.randint(0, 1000, (4096,))
        return "x (4096, 1000)", lambda: function(x, y), [x]
    return build


LAYERS = {
    "affine": affine, "relu": relu, "batchnorm": batchnorm, "layernorm": layernorm, "dropout": dropout,
    "conv_3x3": conv((64, 64, 32, 32), (64, 64, 3, 3), 1), "conv_7x7": conv((128, 3, 32, 32), (32, 3, 7, 7), 3),
    "maxpool": maxpool, "spatial_batchnorm": spatial_batchnorm, "groupnorm": groupnorm,
    "softmax_loss": loss(F.cross_entropy), "svm_loss": loss(lambda x, y: F.multi_margin_loss(x, y, margin=1.0)),
}


def median_ms(samples):
    return statistics.median(samples) * 1e3


def time_layer(name, repeats, warmup):
    shape, forward, inputs = LAYERS[name]()
    out = forward()
    dout = torch.ones(()) if out.dim() == 0 else uniform(*out.shape, requires_grad=False)

    def backward(out):
        for t in inputs:
            t.grad = None
        torch.autograd.backward(out, dout, retain_graph=True)

    for _ in range(warmup):
        backward(forward())
    fwd, bwd = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        out = forward()
        fwd.append(time.perf_counter() - start)
        start = time.perf_counter()
        backward(out)
        bwd.append(time.perf_counter() - start)
    return {"name": name, "shape": shape, "forward_ms": median_ms(fwd), "backward_ms": median_ms(bwd),
            "flops": None, "bytes": None, "unit": None, "copy_gbps": None}


def cpu_model():
    """The first `model name` in /proc/cpuinfo."""
    with open("/proc/cpuinfo") as f:
        return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", help="comma-separated layer names (default: all)")
    parser.add_argument("--workers", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--repeats", type=int, default=11, help="timed runs per pass; the median is reported")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs before the timed ones")
    parser.add_argument("--out", help="write the JSON here instead of standard output")
    args = parser.parse_args()
    names = args.layers.split(",") if args.layers else list(LAYERS)
    unknown = [n for n in names if n not in LAYERS]
    if unknown:
        parser.error(f"unknown layer(s) {', '.join(unknown)} (known: {', '.join(LAYERS)})")
    torch.set_num_threads(args.workers)
    torch.manual_seed(0)
    report = {
        "runtime": "pytorch", "version": torch.__version__,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cpu": cpu_model(), "cores": os.cpu_count(), "workers": args.workers, "uptime": list(os.getloadavg()),
        "layers": [time_layer(n, args.repeats, args.warmup) for n in names], "peak": None,
    }
    text = json.dumps(report, indent=2, sort_keys=True) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
