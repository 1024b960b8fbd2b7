#!/usr/bin/env python3
"""Runs `tessel bench` and `torch_layers.py` in one go and prints the ratio table.

The two runtimes take turns layer by layer (the one that goes first alternates), so a
change in the machine's load hits both alike; with --rounds R the whole sequence runs R
times and each pass's time is the median over the rounds. Writes tessel.json, pytorch.json (the merged
reports) and table.md (the Markdown table for docs/PERFORMANCE.md) into --out.

ratio = Tessel time / PyTorch time (below 1: Tessel is faster). The fraction column is the
rate Tessel reaches against the machine: for GFLOP/s layers, the FMA peak per worker
(measured with all workers running the register-only loop at once) times the workers; for
GB/s layers, the copy bandwidth measured at the layer's working-set size with the same
workers. Work counts come from Tessel's workload registry.
"""
import argparse
import json
import math
import os
import shlex
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LAYERS = ["affine", "relu", "batchnorm", "layernorm", "dropout", "conv_3x3", "conv_7x7", "maxpool",
          "spatial_batchnorm", "groupnorm", "softmax_loss", "svm_loss"]


def run_json(command, path):
    subprocess.run(command + ["--out", path], check=True)
    with open(path) as f:
        return json.load(f)


def merge(reports, names):
    """One report from per-layer, per-round reports: per layer the median of each time."""
    merged = dict(reports[0])
    merged["layers"] = []
    for name in names:
        rounds = [layer for report in reports for layer in report["layers"] if layer["name"] == name]
        layer = dict(rounds[0])
        for key in ("forward_ms", "backward_ms"):
            layer[key] = statistics.median(r[key] for r in rounds)
            layer[key.replace("_ms", "_ms_rounds")] = [r[key] for r in rounds]
        if layer.get("copy_gbps") is not None:
            layer["copy_gbps"] = statistics.median(r["copy_gbps"] for r in rounds)
        merged["layers"].append(layer)
    merged["uptime_after"] = reports[-1]["uptime"]
    merged["rounds"] = len(reports) // len(names)
    peaks = [r["peak"] for r in reports if r.get("peak")]
    if peaks:
        merged["peak"] = {key: statistics.median(p[key] for p in peaks) for key in peaks[0]}
    return merged


def total(layer):
    return layer["forward_ms"] + layer["backward_ms"]


def table(tessel, torch, command):
    peak = tessel.get("peak") or {}
    workers = tessel["workers"]
    lines = [
        f"Measured {tessel['date']} on {tessel['cpu']}, {tessel['cores']} online CPUs, {workers} workers, "
        f"Float32, median of each pass over {tessel['rounds']} rounds. Load average (1/5/15 min) at start {fmt_load(tessel['uptime'])}, "
        f"at end {fmt_load(tessel.get('uptime_after', tessel['uptime']))}. PyTorch {torch.get('version', '?')}.",
    ]
    if peak:
        lines.append(f"FMA peak: {peak['fma_gflops_per_core']:.1f} GFLOP/s on one core alone, "
                     f"{peak['fma_gflops_per_worker']:.1f} GFLOP/s per worker with {workers} running at once.")
    lines += [f"Command: `{command}`", "",
              "| layer | shape | Tessel fwd ms | Tessel bwd ms | PyTorch fwd ms | PyTorch bwd ms "
              "| ratio fwd | ratio bwd | ratio total | Tessel rate | fraction of bound |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    by_name = {layer["name"]: layer for layer in torch["layers"]}
    ratios = []
    for layer in tessel["layers"]:
        peer = by_name[layer["name"]]
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
            f"| {layer['name']} | {layer['shape']} | {layer['forward_ms']:.2f} | {backward} | "
            f"{peer['forward_ms']:.2f} | {peer['backward_ms']:.2f} | {ratio_forward} | {ratio_backward} | "
            f"**{ratio:.2f}** | {rate:.1f} {layer['unit']} | {fraction} |")
    geomean = math.exp(sum(math.log(r) for r in ratios) / len(ratios))
    lines += ["", f"Geometric mean of the total ratios: **{geomean:.2f}**; "
              f"layers at or below 1.0: {sum(r <= 1.0 for r in ratios)} of {len(ratios)}."]
    return "\n".join(lines) + "\n"


def fmt_load(values):
    return "/".join(f"{v:.2f}" for v in values) if values else "n/a"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tessel", default=os.path.join(ROOT, ".build", "release", "tessel"),
                        help="the tessel executable (default: .build/release/tessel; build with "
                             "`swift build -c release --build-path .build`)")
    parser.add_argument("--python", default=sys.executable, help="the Python that has torch (default: this one)")
    parser.add_argument("--layers", help="comma-separated layer names (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3, help="runs of the whole sequence; medians over them")
    parser.add_argument("--out", default="peers-results", help="folder for tessel.json, pytorch.json, table.md")
    args = parser.parse_args()
    names = args.layers.split(",") if args.layers else LAYERS
    os.makedirs(args.out, exist_ok=True)
    common = ["--workers", str(args.workers), "--repeats", str(args.repeats), "--warmup", str(args.warmup)]
    tessel_reports, torch_reports = [], []
    steps = [(r, name) for r in range(args.rounds) for name in names]
    for index, (round_index, name) in enumerate(steps):
        print(f"[{index + 1}/{len(steps)}] round {round_index + 1}: {name}", file=sys.stderr)
        tessel_run = lambda: tessel_reports.append(run_json(
            [args.tessel, "bench", "--layers", name, "--peak"] + common, os.path.join(args.out, f".tessel-{name}.json")))
        torch_run = lambda: torch_reports.append(run_json(
            [args.python, os.path.join(HERE, "torch_layers.py"), "--layers", name] + common,
            os.path.join(args.out, f".pytorch-{name}.json")))
        for run in ([tessel_run, torch_run] if (index + round_index) % 2 == 0 else [torch_run, tessel_run]):
            run()
    for name in names:
        for prefix in (".tessel-", ".pytorch-"):
            os.remove(os.path.join(args.out, f"{prefix}{name}.json"))
    tessel, torch = merge(tessel_reports, names), merge(torch_reports, names)
    for report, file in ((tessel, "tessel.json"), (torch, "pytorch.json")):
        with open(os.path.join(args.out, file), "w") as f:
            json.dump(report, f, indent=2, sort_keys=True)
            f.write("\n")
    command = " ".join(shlex.quote(a) for a in ["python", "Benchmarks/peers/compare.py"] + sys.argv[1:])
    text = table(tessel, torch, command)
    with open(os.path.join(args.out, "table.md"), "w") as f:
        f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
