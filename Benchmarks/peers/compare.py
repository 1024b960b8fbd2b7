#!/usr/bin/env python3
"""Runs `tessel bench`, `torch_layers.py` and `numpy_layers.py` in one go and prints the ratio table.

The runtimes take turns layer by layer (the one that goes first rotates), so a change in the
machine's load hits them alike; with --rounds R the whole sequence runs R times and each
pass's time is the median over the rounds. NumPy runs only the layers that are plain matrix
products (the affine layer as three, on NumPy's BLAS), with OPENBLAS_CORETYPE and
OPENBLAS_L2_SIZE unset so that OpenBLAS picks its own kernel for the CPU; the table names the
kernel that ran. Writes tessel.json, pytorch.json, numpy.json (the merged reports) and
table.md (the Markdown table for docs/PERFORMANCE.md) into --out.

ratio = Tessel time / the faster peer's time (below 1: Tessel is faster), the peer being
PyTorch or, where it ran the layer, NumPy, whichever is faster in total. The fraction column is the
rate Tessel reaches against the machine: for GFLOP/s layers, the FMA peak per worker
(measured with all workers running the register-only loop at once) times the workers; for
GB/s layers, the copy bandwidth measured at the layer's working-set size with the same
workers (the faster of a copy with ordinary stores and one with streaming stores). Work
counts come from Tessel's workload registry.
"""
import argparse
import json
import math
import os
import shlex
import statistics
import subprocess
import sys

from peer_report import fmt_load

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NUMPY_LAYERS = ["affine"]
# OpenBLAS settings that pin its kernel or its block sizes, unset for NumPy's runs.
OPENBLAS_PINS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
LAYERS = ["affine", "relu", "batchnorm", "layernorm", "dropout", "conv_3x3", "conv_7x7", "maxpool",
          "spatial_batchnorm", "groupnorm", "softmax_loss", "svm_loss"]


def run_json(command, path, env=None):
    subprocess.run(command + ["--out", path], check=True, env=env)
    with open(path) as f:
        return json.load(f)


def merge(reports, names, round_count):
    """One report from per-layer, per-round reports: per layer the median of each time."""
    merged = dict(reports[0])
    merged["layers"] = []
    for name in names:
        rounds = [layer for report in reports for layer in report["layers"] if layer["name"] == name]
        if not rounds:
            continue
        layer = dict(rounds[0])
        for key in ("forward_ms", "backward_ms"):
            layer[key] = statistics.median(r[key] for r in rounds)
            layer[key.replace("_ms", "_ms_rounds")] = [r[key] for r in rounds]
        if layer.get("copy_gbps") is not None:
            layer["copy_gbps"] = statistics.median(r["copy_gbps"] for r in rounds)
        merged["layers"].append(layer)
    merged["uptime_after"] = reports[-1]["uptime"]
    merged["rounds"] = round_count
    peaks = [r["peak"] for r in reports if r.get("peak")]
    if peaks:
        merged["peak"] = {key: statistics.median(p[key] for p in peaks) for key in peaks[0]}
    return merged


def total(layer):
    return layer["forward_ms"] + layer["backward_ms"]


def table(tessel, torch, numpy, command):
    peak = tessel.get("peak") or {}
    workers = tessel["workers"]
    lines = [
        f"Measured {tessel['date']} on {tessel['cpu']}, {tessel['cores']} online CPUs, {workers} workers, "
        f"Float32, median of each pass over {tessel['rounds']} rounds. Load average (1/5/15 min) at start {fmt_load(tessel['uptime'])}, "
        f"at end {fmt_load(tessel.get('uptime_after', tessel['uptime']))}. PyTorch {torch.get('version', '?')}"
        + (f"; NumPy {numpy.get('version', '?')} on {blas_names(numpy)}." if numpy else "."),
    ]
    if peak:
        lines.append(f"FMA peak: {peak['fma_gflops_per_core']:.1f} GFLOP/s on one core alone, "
                     f"{peak['fma_gflops_per_worker']:.1f} GFLOP/s per worker with {workers} running at once.")
    lines += [f"Command: `{command}`", "",
              "| layer | shape | Tessel fwd ms | Tessel bwd ms | peer | peer fwd ms | peer bwd ms "
              "| ratio fwd | ratio bwd | ratio total | Tessel rate | fraction of bound |",
              "|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    peers = [("PyTorch", torch)] + ([("NumPy", numpy)] if numpy else [])
    ratios = []
    for layer in tessel["layers"]:
        measured = [(label, entry) for label, report in peers for entry in report["layers"] if entry["name"] == layer["name"]]
        label, peer = min(measured, key=lambda item: total(item[1]))
        ratio = total(layer) / total(peer)
        ratios.append(ratio)
        seconds = total(layer) / 1e3
        if layer["unit"] == "GFLOP/s":
            rate = layer["flops"] / seconds / 1e9
            bound = peak.get("fma_gflops_per_worker", math.nan) * workers
            fraction = f"{rate / bound:.0%} of FMA peak" if peak else ""
        else:
            rate = layer["bytes"] / seconds / 1e9
            bound = layer.get("copy_gbps")
            fraction = f"{rate / bound:.0%} of copy ({bound:.1f} GB/s)" if bound else ""
        combined = layer["backward_ms"] == 0
        backward = "(in fwd)" if combined else f"{layer['backward_ms']:.2f}"
        ratio_forward = "—" if combined else f"{layer['forward_ms'] / peer['forward_ms']:.2f}"
        ratio_backward = "—" if combined else f"{layer['backward_ms'] / peer['backward_ms']:.2f}"
        lines.append(
            f"| {layer['name']} | {layer['shape']} | {layer['forward_ms']:.2f} | {backward} | {label} | "
            f"{peer['forward_ms']:.2f} | {peer['backward_ms']:.2f} | {ratio_forward} | {ratio_backward} | "
            f"**{ratio:.2f}** | {rate:.1f} {layer['unit']} | {fraction} |")
    geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    lines += ["", f"Peer: the faster of PyTorch and NumPy in total (NumPy runs only {', '.join(NUMPY_LAYERS)}). "
              f"Geometric mean of the total ratios: **{geomean:.2f}**; "
              f"layers at or below 1.0: {sum(r <= 1.0 for r in ratios)} of {len(ratios)}."]
    return "\n".join(lines) + "\n"


def blas_names(numpy):
    """The BLAS libraries NumPy ran on, e.g. `openblas 0.3.31 (Haswell kernel, 2 threads)`."""
    return ", ".join(f"{b['internal_api']} {b['version']} ({b['architecture']} kernel, {b['num_threads']} threads)"
                     for b in numpy.get("blas", [])) or "an unknown BLAS"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tessel", default=os.path.join(ROOT, ".build", "release", "tessel"),
                        help="the tessel executable (default: .build/release/tessel; build with "
                             "`swift build -c release --build-path .build`)")
    parser.add_argument("--python", default=sys.executable,
                        help="the Python that has torch, numpy and threadpoolctl (default: this one)")
    parser.add_argument("--layers", help="comma-separated layer names (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3, help="runs of the whole sequence; medians over them")
    parser.add_argument("--out", default="peers-results", help="folder for tessel.json, pytorch.json, numpy.json, table.md")
    args = parser.parse_args()
    names = args.layers.split(",") if args.layers else LAYERS
    os.makedirs(args.out, exist_ok=True)
    common = ["--workers", str(args.workers), "--repeats", str(args.repeats), "--warmup", str(args.warmup)]
    numpy_env = {key: value for key, value in os.environ.items() if key not in OPENBLAS_PINS}
    reports = {"tessel": [], "pytorch": [], "numpy": []}
    steps = [(r, name) for r in range(args.rounds) for name in names]
    for index, (round_index, name) in enumerate(steps):
        print(f"[{index + 1}/{len(steps)}] round {round_index + 1}: {name}", file=sys.stderr)
        runs = [
            ("tessel", [args.tessel, "bench", "--layers", name, "--peak"] + common, None),
            ("pytorch", [args.python, os.path.join(HERE, "torch_layers.py"), "--layers", name] + common, None),
        ] + ([("numpy", [args.python, os.path.join(HERE, "numpy_layers.py"), "--layers", name] + common, numpy_env)]
             if name in NUMPY_LAYERS else [])
        first = (index + round_index) % len(runs)
        for runtime, command, env in runs[first:] + runs[:first]:
            path = os.path.join(args.out, f".{runtime}-{name}.json")
            reports[runtime].append(run_json(command, path, env))
            os.remove(path)
    merged = {runtime: merge(runs, names, args.rounds) for runtime, runs in reports.items() if runs}
    for runtime, report in merged.items():
        with open(os.path.join(args.out, f"{runtime}.json"), "w") as f:
            json.dump(report, f, indent=2, sort_keys=True)
            f.write("\n")
    command = " ".join(shlex.quote(a) for a in ["python", "Benchmarks/peers/compare.py"] + sys.argv[1:])
    text = table(merged["tessel"], merged["pytorch"], merged.get("numpy"), command)
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
