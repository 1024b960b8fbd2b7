#!/usr/bin/env python3
"""tessel.layers against CS231n's layers in NumPy, at Tessel's standard shapes.

For each layer, the time of one forward plus one backward (train mode) of:
- "student loops": CS231n's functions as a student writes them, with the explicit loops the
  docstrings call "naive" (convolution, max pooling); layers whose usual solution is already
  vectorized (affine, ReLU, the norms, dropout, the losses) have no loop version ("-").
  Loops are timed once, on the first --loop-batch images, and scaled to the full batch
  (their cost is linear in N); the column says so.
- "NumPy": a vectorized NumPy version (im2col convolution on NumPy's BLAS, reshape pooling).
- "tessel": tessel.layers, on tessel.get_num_threads() threads (set it with --threads).
The fastest of --repeats runs after one warm-up (the least disturbed
by other work on the machine). Then the per-call time of tiny inputs: the
fixed cost of a Tessel call from Python (argument checks, ctypes, handles, copies).

    python3 python/benchmarks/compare_layers.py [--repeats 5] [--loop-batch 8] [--threads N] [--dtype float32]

Needs NumPy, an installed tessel (pip install ./python) and the checkout it sits in (the
losses are python/tests/layers_numpy.py's). Prints a Markdown table.
"""
import argparse
import os
import sys
import time

import numpy as np

import tessel
import tessel.layers as L

# The losses are the tests' NumPy references (python/tests/layers_numpy.py), already vectorized.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests"))
from layers_numpy import softmax_loss as softmax_loss_numpy, svm_loss as svm_loss_numpy  # noqa: E402

# ---------------------------------------------------------------- layers.py as a student writes it


def conv_forward_loops(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    Ho, Wo = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out, (x, w, b, conv_param)


def conv_backward_loops(dout, cache):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    window = xp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    dw[f] += window * dout[n, f, i, j]
                    dxp[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] += w[f] * dout[n, f, i, j]
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, db


def max_pool_forward_loops(x, pool_param):
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    Ho, Wo = 1 + (H - ph) // stride, 1 + (W - pw) // stride
    out = np.zeros((N, C, Ho, Wo), dtype=x.dtype)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, c, i, j] = np.max(x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw])
    return out, (x, pool_param)


def max_pool_backward_loops(dout, cache):
    x, pool_param = cache
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, Ho, Wo = dout.shape
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    window = x[n, c, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    r, s = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i * stride + r, j * stride + s] += dout[n, c, i, j]
    return dx


# ---------------------------------------------------------------- vectorized NumPy


def im2col(xp, HH, WW, stride, Ho, Wo):
    """(N, C, Hp, Wp) -> (N, Ho, Wo, C, HH, WW) windows, a strided view (no copy)."""
    N, C = xp.shape[:2]
    s = xp.strides
    return np.lib.stride_tricks.as_strided(xp, (N, Ho, Wo, C, HH, WW), (s[0], s[2] * stride, s[3] * stride, s[1], s[2], s[3]))


def conv_forward_numpy(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    F, C, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = 1 + (xp.shape[2] - HH) // stride, 1 + (xp.shape[3] - WW) // stride
    cols = im2col(xp, HH, WW, stride, Ho, Wo).reshape(-1, C * HH * WW)  # copies once
    out = (cols @ w.reshape(F, -1).T + b).reshape(x.shape[0], Ho, Wo, F).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(out), (x, w, b, conv_param, cols)


def conv_backward_numpy(dout, cache):
    x, w, b, conv_param, cols = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, Ho, Wo = dout.shape
    d = dout.transpose(0, 2, 3, 1).reshape(-1, F)
    dw = (d.T @ cols).reshape(w.shape)
    dcols = (d @ w.reshape(F, -1)).reshape(N, Ho, Wo, C, HH, WW)
    dcols = np.ascontiguousarray(dcols.transpose(0, 3, 4, 5, 1, 2))  # (N, C, HH, WW, Ho, Wo)
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    for i in range(HH):  # col2im: one strided add per filter tap
        for j in range(WW):
            dxp[:, :, i:i + stride * Ho:stride, j:j + stride * Wo:stride] += dcols[:, :, i, j]
    return dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


def max_pool_forward_numpy(x, pool_param):
    """Pools of 2×2 with stride 2 (the standard shape) by a reshape."""
    N, C, H, W = x.shape
    windows = x.reshape(N, C, H // 2, 2, W // 2, 2)
    out = windows.max(axis=(3, 5))
    return out, (x, out)


def max_pool_backward_numpy(dout, cache):
    x, out = cache
    N, C, H, W = x.shape
    windows = x.reshape(N, C, H // 2, 2, W // 2, 2)
    is_max = windows == out[:, :, :, None, :, None]
    # the first maximum of each window only, as the loops do
    first = is_max & (np.cumsum(is_max.transpose(0, 1, 2, 4, 3, 5).reshape(N, C, H // 2, W // 2, 4), axis=-1)
                      .reshape(N, C, H // 2, W // 2, 2, 2).transpose(0, 1, 2, 4, 3, 5) == 1)
    return (first * dout[:, :, :, None, :, None]).reshape(x.shape)


def affine_forward_numpy(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b, (x, w, b)


def affine_backward_numpy(dout, cache):
    x, w, b = cache
    return (dout @ w.T).reshape(x.shape), x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)


def relu_forward_numpy(x):
    return np.maximum(x, 0), x


def relu_backward_numpy(dout, x):
    return dout * (x > 0)


def _normalize(x, mu, var, gamma, beta):
    """gamma * xhat + beta, eps 1e-5, and the cache (xhat, gamma, istd) of the batch and layer norms."""
    istd = 1 / np.sqrt(var + 1e-5)
    xhat = (x - mu) * istd
    return gamma * xhat + beta, (xhat, gamma, istd)


def batchnorm_forward_numpy(x, gamma, beta, bn_param):
    return _normalize(x, x.mean(axis=0), x.var(axis=0), gamma, beta)


def batchnorm_backward_numpy(dout, cache):
    xhat, gamma, istd = cache
    n = dout.shape[0]
    dbeta, dgamma = dout.sum(axis=0), (dout * xhat).sum(axis=0)
    dx = (gamma * istd / n) * (n * dout - dbeta - xhat * dgamma)
    return dx, dgamma, dbeta


def layernorm_forward_numpy(x, gamma, beta, ln_param):
    return _normalize(x, x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True), gamma, beta)


def layernorm_backward_numpy(dout, cache):
    xhat, gamma, istd = cache
    d = dout.shape[1]
    dxhat = dout * gamma
    dx = istd / d * (d * dxhat - dxhat.sum(axis=1, keepdims=True) - xhat * (dxhat * xhat).sum(axis=1, keepdims=True))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def spatial_batchnorm_forward_numpy(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    out, cache = batchnorm_forward_numpy(x.transpose(0, 2, 3, 1).reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), (cache, x.shape)


def spatial_batchnorm_backward_numpy(dout, cache):
    cache, (N, C, H, W) = cache
    dx, dgamma, dbeta = batchnorm_backward_numpy(dout.transpose(0, 2, 3, 1).reshape(-1, C), cache)
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta


def groupnorm_forward_numpy(x, gamma, beta, G, gn_param):
    N, C, H, W = x.shape
    xg = x.reshape(N, G, -1)
    istd = 1 / np.sqrt(xg.var(axis=2, keepdims=True) + 1e-5)
    xhat = (xg - xg.mean(axis=2, keepdims=True)) * istd
    out = gamma.reshape(1, C, 1, 1) * xhat.reshape(x.shape) + beta.reshape(1, C, 1, 1)
    return out, (xhat, gamma, istd, G)


def groupnorm_backward_numpy(dout, cache):
    xhat, gamma, istd, G = cache
    N, C, H, W = dout.shape
    dgamma = (dout * xhat.reshape(dout.shape)).sum(axis=(0, 2, 3))
    dbeta = dout.sum(axis=(0, 2, 3))
    dxhat = (dout * gamma.reshape(1, C, 1, 1)).reshape(N, G, -1)
    m = dxhat.shape[2]
    dx = istd / m * (m * dxhat - dxhat.sum(axis=2, keepdims=True) - xhat * (dxhat * xhat).sum(axis=2, keepdims=True))
    return dx.reshape(dout.shape), dgamma, dbeta


def dropout_forward_numpy(x, dropout_param):
    p = dropout_param["p"]
    mask = (np.random.rand(*x.shape) < p) / p
    return (x * mask).astype(x.dtype, copy=False), mask


def dropout_backward_numpy(dout, mask):
    return dout * mask


# ---------------------------------------------------------------- workloads

def workloads(rng, dtype):
    """(name, shape text, inputs, {implementation: forward+backward function}) at Tessel's
    standard shapes (Sources/Tessel/Benchmarking/Workloads)."""
    r = lambda *s: rng.standard_normal(s).astype(dtype)

    def layer(forward, backward, *arguments):
        def run(*given):
            out, cache = forward(*given)
            backward(out, cache)
        return lambda: run(*arguments), run

    def loss(function, x, y):
        return lambda: function(x, y), None

    x, w, b = r(512, 3072), r(3072, 1024), r(1024)
    yield "affine", "x (512, 3072), w (3072, 1024)", (x, w, b), {
        "numpy": layer(affine_forward_numpy, affine_backward_numpy, x, w, b), "tessel": layer(L.affine_forward, L.affine_backward, x, w, b)}
    x = r(512, 4096)
    yield "relu", "x (512, 4096)", (x,), {
        "numpy": layer(relu_forward_numpy, relu_backward_numpy, x), "tessel": layer(L.relu_forward, L.relu_backward, x)}
    drop = {"p": 0.5, "mode": "train", "seed": 1}
    yield "dropout", "x (512, 4096), p 0.5", (x, drop), {
        "numpy": layer(dropout_forward_numpy, dropout_backward_numpy, x, drop), "tessel": layer(L.dropout_forward, L.dropout_backward, x, drop)}
    x, g = r(4096, 1024), r(1024)
    bn = {"mode": "train"}
    yield "batchnorm", "x (4096, 1024)", (x, g, g, bn), {
        "numpy": layer(batchnorm_forward_numpy, batchnorm_backward_numpy, x, g, g, bn),
        "tessel": layer(L.batchnorm_forward, L.batchnorm_backward, x, g, g, bn)}
    yield "layernorm", "x (4096, 1024)", (x, g, g, {}), {
        "numpy": layer(layernorm_forward_numpy, layernorm_backward_numpy, x, g, g, {}),
        "tessel": layer(L.layernorm_forward, L.layernorm_backward, x, g, g, {})}
    for name, xs, ws, pad in [("conv_3x3", (64, 64, 32, 32), (64, 64, 3, 3), 1), ("conv_7x7", (128, 3, 32, 32), (32, 3, 7, 7), 3)]:
        x, w, b = r(*xs), r(*ws) * 0.1, r(ws[0])
        conv = {"stride": 1, "pad": pad}
        yield name, f"x {xs}, w {ws}, pad {pad}", (x, w, b, conv), {
            "loops": layer(conv_forward_loops, conv_backward_loops, x, w, b, conv),
            "numpy": layer(conv_forward_numpy, conv_backward_numpy, x, w, b, conv),
            "tessel": layer(L.conv_forward_naive, L.conv_backward_naive, x, w, b, conv)}
    x = r(64, 64, 32, 32)
    pool = {"pool_height": 2, "pool_width": 2, "stride": 2}
    yield "maxpool", "x (64, 64, 32, 32), 2x2 stride 2", (x, pool), {
        "loops": layer(max_pool_forward_loops, max_pool_backward_loops, x, pool),
        "numpy": layer(max_pool_forward_numpy, max_pool_backward_numpy, x, pool),
        "tessel": layer(L.max_pool_forward_naive, L.max_pool_backward_naive, x, pool)}
    g, bn = r(64), {"mode": "train"}
    yield "spatial_batchnorm", "x (64, 64, 32, 32)", (x, g, g, bn), {
        "numpy": layer(spatial_batchnorm_forward_numpy, spatial_batchnorm_backward_numpy, x, g, g, bn),
        "tessel": layer(L.spatial_batchnorm_forward, L.spatial_batchnorm_backward, x, g, g, bn)}
    yield "spatial_groupnorm", "x (64, 64, 32, 32), G 8", (x, g, g, 8, {}), {
        "numpy": layer(groupnorm_forward_numpy, groupnorm_backward_numpy, x, g, g, 8, {}),
        "tessel": layer(L.spatial_groupnorm_forward, L.spatial_groupnorm_backward, x, g, g, 8, {})}
    x, y = r(4096, 1000), rng.integers(0, 1000, 4096)
    for name, numpy_loss, tessel_loss in [("svm_loss", svm_loss_numpy, L.svm_loss), ("softmax_loss", softmax_loss_numpy, L.softmax_loss)]:
        yield name, "x (4096, 1000)", (x, y), {"numpy": loss(numpy_loss, x, y), "tessel": loss(tessel_loss, x, y)}


def fastest_seconds(function, repeats):
    function()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return min(times)


def loop_seconds(run, inputs, loop_batch):
    """One run of the loop version on the first `loop_batch` images, scaled to the whole batch."""
    n = inputs[0].shape[0]
    batch = n if loop_batch <= 0 else min(loop_batch, n)
    sliced = (inputs[0][:batch],) + tuple(inputs[1:])
    start = time.perf_counter()
    run(*sliced)
    return (time.perf_counter() - start) * n / batch, batch


def per_call_microseconds(function, calls=20000):
    function()
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls * 1e6


def cpu_name():
    """The first `model name` in /proc/cpuinfo."""
    with open("/proc/cpuinfo") as f:
        return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown CPU")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--loop-batch", type=int, default=8, help="images the loop versions run on (0: the whole batch)")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--only", default="", help="comma-separated layer names")
    args = parser.parse_args()
    if args.threads:
        tessel.set_num_threads(args.threads)
    dtype = np.dtype(args.dtype)
    rng = np.random.default_rng(0)
    only = set(filter(None, args.only.split(",")))
    print(f"{cpu_name()}, {os.cpu_count()} CPUs; tessel {tessel.get_num_threads()} threads; NumPy {np.__version__}; {dtype}; "
          f"load average before: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")
    print()
    print("| layer (forward + backward) | shape | student loops | NumPy | tessel | vs NumPy | vs loops |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, shape, inputs, implementations in workloads(rng, dtype):
        if only and name not in only:
            continue
        numpy_time = fastest_seconds(implementations["numpy"][0], args.repeats)
        tessel_time = fastest_seconds(implementations["tessel"][0], args.repeats)
        loops, versus_loops = "-", "-"
        if "loops" in implementations:
            seconds, batch = loop_seconds(implementations["loops"][1], inputs, args.loop_batch)
            scaled = "" if batch == inputs[0].shape[0] else f" ({batch} img ×{inputs[0].shape[0] // batch})"
            loops, versus_loops = f"{seconds * 1e3:,.0f} ms{scaled}", f"{seconds / tessel_time:,.0f}×"
        print(f"| {name} | {shape} | {loops} | {numpy_time * 1e3:,.2f} ms | {tessel_time * 1e3:,.2f} ms | "
              f"{numpy_time / tessel_time:.1f}× | {versus_loops} |", flush=True)
    print()
    print("Per-call time on tiny inputs (µs per call, mean of 20,000):")
    print()
    print("| call | NumPy | tessel |")
    print("|---|---:|---:|")
    one, row, w11 = np.ones((1,), dtype), np.ones((1, 1), dtype), np.ones((1, 1), dtype)
    b1 = np.ones((1,), dtype)
    x, w, b = np.ones((1, 1, 3, 3), dtype), np.ones((1, 1, 3, 3), dtype), np.ones((1,), dtype)
    conv = {"stride": 1, "pad": 1}
    tiny = [
        ("relu_forward, x (1,)", lambda: relu_forward_numpy(one), lambda: L.relu_forward(one)),
        ("affine_forward, x (1, 1)", lambda: affine_forward_numpy(row, w11, b1), lambda: L.affine_forward(row, w11, b1)),
        ("conv_forward_naive, x (1, 1, 3, 3), 3x3", lambda: conv_forward_numpy(x, w, b, conv), lambda: L.conv_forward_naive(x, w, b, conv)),
        ("get_num_threads (the bare ctypes call)", lambda: None, tessel.get_num_threads),
    ]
    for label, numpy_call, tessel_call in tiny:
        print(f"| {label} | {per_call_microseconds(numpy_call):.1f} | {per_call_microseconds(tessel_call):.1f} |")
    print()
    print(f"load average after: {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
