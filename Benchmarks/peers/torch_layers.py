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
import torch
import torch.nn.functional as F

import peer_report


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


def time_layer(name, repeats, warmup):
    shape, forward, inputs = LAYERS[name]()
    out = forward()
    dout = torch.ones(()) if out.dim() == 0 else uniform(*out.shape, requires_grad=False)

    def backward(out):
        for t in inputs:
            t.grad = None
        torch.autograd.backward(out, dout, retain_graph=True)

    return peer_report.layer_entry(name, shape, *peer_report.time_passes(forward, backward, repeats, warmup))


def main():
    args = peer_report.arguments(__doc__.split("\n")[0], LAYERS)
    torch.set_num_threads(args.workers)
    torch.manual_seed(0)
    peer_report.write_report(args, "pytorch", torch.__version__, [time_layer(n, args.repeats, args.warmup) for n in args.layers])


if __name__ == "__main__":
    main()
