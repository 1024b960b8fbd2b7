#!/usr/bin/env python3
"""Loads a Tessel checkpoint into PyTorch and checks that both give the same test-mode scores.

Usage:
  python3 scripts/to_torch.py CHECKPOINT --in IMAGES.npy [--tessel .build/release/tessel]
                              [--scores SCORES.npy] [--tolerance 1e-5] [--save MODEL.pt]

CHECKPOINT is a checkpoint folder written by `tessel train` (epoch-NNNN, or a folder of them:
the latest is used). Its manifest.json records the network (format 2); the script builds the
same layers as a torch.nn.Sequential, loads the parameters and the batch-norm running
statistics from the checkpoint's .npy files, runs it in eval mode (batch norm on the running
statistics, dropout as the identity) on IMAGES, runs `tessel predict CHECKPOINT --in IMAGES`
(or reads --scores, scores it wrote before), and compares:

  max |tessel - torch| / max |torch|  <=  tolerance (default 1e-5)

It prints one line and exits 0 when they agree, 1 when they do not, 2 on bad input.
--save writes the PyTorch model's state_dict (torch.save), for use without Tessel.

Layer mapping (Tessel config type -> PyTorch):
  conv              Conv2d(C, filters, size, stride, padding=pad); weight w (F, C, k, k), bias b
  maxpool           MaxPool2d(size, stride) -- both round output sizes down
  avgpool           AvgPool2d(size, stride) -- likewise
  affine            Flatten, Linear(D, units); weight = w.T (Tessel's w is (D, units)), bias b
  relu              ReLU
  batchnorm         BatchNorm1d(D, eps, momentum = 1 - Tessel momentum)
  spatial_batchnorm BatchNorm2d(C, eps, momentum = 1 - Tessel momentum)
                    (Tessel's momentum weighs the old running value, as CS231n's; PyTorch's the
                    new one); weight gamma, bias beta, running_mean, running_var
  layernorm         LayerNorm(D, eps); weight gamma, bias beta
  groupnorm         GroupNorm(groups, C, eps); weight gamma, bias beta
  dropout           Dropout(1 - keep)

Needs NumPy and PyTorch (`pip install torch numpy`).
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np


def checkpoint_folder(path):
    """The checkpoint folder itself, or the latest epoch-NNNN folder in it."""
    if os.path.exists(os.path.join(path, "manifest.json")):
        return path
    epochs = [name for name in os.listdir(path) if name.startswith("epoch-") and name[6:].isdigit()]
    if not epochs:
        raise SystemExit(f"error: {path}: no checkpoint there (no manifest.json, no epoch-NNNN folder)")
    return os.path.join(path, max(epochs, key=lambda name: int(name[6:])))


def build(manifest, folder, torch):
    """The torch.nn.Sequential of the manifest's network, with the checkpoint's tensors."""
    network = manifest.get("network")
    if network is None:
        raise SystemExit(f"error: {folder}/manifest.json: a format {manifest.get('format')} checkpoint does not record its network")
    dtype = {"float32": torch.float32, "float64": torch.float64}[manifest["dtype"]]

    def tensor(name):
        return torch.from_numpy(np.load(os.path.join(folder, name + ".npy"))).to(dtype)

    try:
        return sequential(network, torch, tensor).to(dtype).eval()
    except ValueError as error:
        raise SystemExit(f"error: {folder}/manifest.json: {error}")


def sequential(network, torch, tensor=None):
    """The layers of a Tessel `network` object (a config's or a checkpoint manifest's) as a
    torch.nn.Sequential in training mode, with the mapping of this file's docstring; keys a
    layer leaves out take Tessel's defaults (conv stride 1, pad 0; pool stride = size; eps 1e-5;
    batch-norm momentum 0.9). `tensor(name)` (e.g. "conv0.w", as a checkpoint names its .npy
    files) gives each parameter and running statistic its value; without it the modules keep
    PyTorch's initialization. Raises ValueError for a layer type the mapping does not know."""
    nn = torch.nn
    shape = list(network["input"])
    modules = []
    for index, layer in enumerate(network["layers"]):
        kind, name = layer["type"], f"{layer['type']}{index}"
        loaded = {}
        if kind == "conv":
            stride, pad = layer.get("stride", 1), layer.get("pad", 0)
            module = nn.Conv2d(shape[0], layer["filters"], layer["size"], stride=stride, padding=pad)
            loaded = {"weight": ".w", "bias": ".b"}
            size = lambda extent: 1 + (extent + 2 * pad - layer["size"]) // stride
            shape = [layer["filters"], size(shape[1]), size(shape[2])]
            modules.append(module)
        elif kind in ("maxpool", "avgpool"):
            pool = nn.MaxPool2d if kind == "maxpool" else nn.AvgPool2d
            stride = layer.get("stride", layer["size"])
            modules.append(pool(layer["size"], stride=stride))
            size = lambda extent: 1 + (extent - layer["size"]) // stride
            shape = [shape[0], size(shape[1]), size(shape[2])]
        elif kind == "affine":
            module = nn.Linear(math.prod(shape), layer["units"])
            if tensor is not None:
                module.weight.data = tensor(name + ".w").t().contiguous()
                module.bias.data = tensor(name + ".b")
            modules += [nn.Flatten(), module]
            shape = [layer["units"]]
        elif kind in ("batchnorm", "spatial_batchnorm"):
            norm = nn.BatchNorm1d if kind == "batchnorm" else nn.BatchNorm2d
            module = norm(shape[0], eps=layer.get("eps", 1e-5), momentum=1 - layer.get("momentum", 0.9))
            loaded = {"weight": ".gamma", "bias": ".beta", "running_mean": ".running_mean", "running_var": ".running_var"}
            modules.append(module)
        elif kind == "layernorm":
            module = nn.LayerNorm(shape[0], eps=layer.get("eps", 1e-5))
            loaded = {"weight": ".gamma", "bias": ".beta"}
            modules.append(module)
        elif kind == "groupnorm":
            module = nn.GroupNorm(layer["groups"], shape[0], eps=layer.get("eps", 1e-5))
            loaded = {"weight": ".gamma", "bias": ".beta"}
            modules.append(module)
        elif kind == "relu":
            modules.append(nn.ReLU())
        elif kind == "dropout":
            modules.append(nn.Dropout(1 - layer["keep"]))
        else:
            raise ValueError(f"layer {index} has type '{kind}', which this script does not know")
        if tensor is not None:
            for attribute, suffix in loaded.items():
                if attribute.startswith("running_"):
                    setattr(module, attribute, tensor(name + suffix))
                else:
                    getattr(module, attribute).data = tensor(name + suffix)
    return nn.Sequential(*modules)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--in", dest="images", required=True, help="a .npy file of images (N, input...)")
    parser.add_argument("--tessel", default=".build/release/tessel", help="the tessel executable (default: %(default)s)")
    parser.add_argument("--scores", help="scores that `tessel predict --out` wrote, instead of running tessel")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    parser.add_argument("--save", help="write the PyTorch model's state_dict here")
    arguments = parser.parse_args()

    import torch

    folder = checkpoint_folder(arguments.checkpoint)
    with open(os.path.join(folder, "manifest.json")) as file:
        manifest = json.load(file)
    model = build(manifest, folder, torch)
    images = np.load(arguments.images)
    if images.dtype != np.dtype(manifest["dtype"]):
        print(f"error: {arguments.images}: holds {images.dtype} data, the checkpoint's network computes in {manifest['dtype']}: "
              f"convert the images with a.astype(np.{manifest['dtype']})", file=sys.stderr)
        raise SystemExit(2)
    with torch.no_grad():
        expected = model(torch.from_numpy(images)).numpy()
    if arguments.save:
        torch.save(model.state_dict(), arguments.save)

    if arguments.scores:
        scores = np.load(arguments.scores)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            path = os.path.join(scratch, "scores.npy")
            run = subprocess.run([arguments.tessel, "predict", arguments.checkpoint, "--in", arguments.images, "--out", path],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if run.returncode != 0:
                sys.stderr.write(run.stderr)
                raise SystemExit(2)
            scores = np.load(path)

    if scores.shape != expected.shape:
        print(f"error: tessel's scores have shape {scores.shape}, PyTorch's {expected.shape}", file=sys.stderr)
        raise SystemExit(2)
    difference = np.max(np.abs(scores.astype(np.float64) - expected)) if scores.size else 0.0
    scale = max(np.max(np.abs(expected)) if expected.size else 0.0, np.finfo(np.float64).tiny)
    relative = difference / scale
    disagreements = int(np.sum(scores.argmax(axis=1) != expected.argmax(axis=1))) if scores.size else 0
    agree = relative <= arguments.tolerance
    print(f"{'agree' if agree else 'DIFFER'}: {scores.shape[0]} images, {manifest['dtype']}, "
          f"max |tessel - torch| / max |torch| = {relative:.2e} (limit {arguments.tolerance:.0e}), "
          f"{disagreements} predicted classes differ")
    raise SystemExit(0 if agree else 1)


if __name__ == "__main__":
    main()
