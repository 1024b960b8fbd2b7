#!/usr/bin/env python3
"""Times whole training steps of the shipped configs' networks in Tessel and in PyTorch, taking turns.

For each config (config/NAME.json with a `network`), PyTorch runs the same network as a
torch.nn.Sequential, built by scripts/to_torch.py's `sequential` (its layer mapping, batch-norm
momentum included), in training mode, and a step is what `tessel run CONFIG` times: forward,
the mean loss (softmax: CrossEntropyLoss, svm: MultiMarginLoss), backward, at the config's
run.batchSize, on one seeded random batch whose input does not require a gradient (so
PyTorch, like Tessel, skips the first layer's input gradient); parameters are not updated,
their gradients are dropped before each step. run.warmup untimed steps, then the median of
--steps timed steps, with torch.set_num_threads(--workers). Tessel's side is `tessel run
CONFIG --json --steps N --threads W` (its median step time, `report.stepMilliseconds`).
Configs with a `data` section (digits, distributed, stem) run Tessel on their .npy files and
PyTorch on random data of the same shape: a step's work does not depend on the values.

The two runtimes alternate config by config, the one going first alternating too; with
--rounds R the sequence runs R times and each time is the median over the rounds. Prints a
Markdown table (config, batch, step times, ratio = Tessel / PyTorch, images per second) and,
with --out, writes it as table.md with network.json (every round's times) into that folder.
"""
import argparse
import datetime
import glob
import importlib.util
import json
import os
import shlex
import statistics
import subprocess
import sys
import time

from peer_report import cpu_model, fmt_load

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CONFIGS = os.path.join(ROOT, "config")


def shipped_configs():
    """The names of config/*.json that define a network (runtime.json does not)."""
    names = []
    for path in sorted(glob.glob(os.path.join(CONFIGS, "*.json"))):
        with open(path) as f:
            if "network" in json.load(f):
                names.append(os.path.splitext(os.path.basename(path))[0])
    return names


def load_config(name):
    """The config's path and its settings, run defaults filled in as Tessel's RunSettings does."""
    path = os.path.join(CONFIGS, name + ".json")
    with open(path) as f:
        config = json.load(f)
    if "network" not in config:
        raise SystemExit(f"error: {path}: defines no network, nothing to time")
    run = {"batchSize": 64, "steps": 10, "warmup": 2, **config.get("run", {})}
    return path, config, run


def import_sequential():
    """scripts/to_torch.py's `sequential`: the one mapping from Tessel's layers to PyTorch's."""
    spec = importlib.util.spec_from_file_location("to_torch", os.path.join(ROOT, "scripts", "to_torch.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.sequential


def torch_step_ms(torch, sequential, config, run, steps):
    """Median milliseconds of `steps` PyTorch training steps after run.warmup untimed ones."""
    network = config["network"]
    torch.manual_seed(config.get("seed", 0))
    model = sequential(network, torch).train()
    images = torch.randn(run["batchSize"], *network["input"])
    with torch.no_grad():
        classes = model.eval()(images[:2]).shape[1]
    model.train()
    labels = torch.randint(0, classes, (run["batchSize"],))
    loss = {"softmax": torch.nn.CrossEntropyLoss, "svm": torch.nn.MultiMarginLoss}[network.get("loss", "softmax")]()
    times = []
    for index in range(run["warmup"] + steps):
        model.zero_grad(set_to_none=True)
        start = time.perf_counter()
        loss(model(images), labels).backward()
        elapsed = time.perf_counter() - start
        if index >= run["warmup"]:
            times.append(elapsed)
    return statistics.median(times) * 1e3


def tessel_step_ms(tessel, path, steps, workers):
    """The median step time of `tessel run PATH --json`."""
    command = [tessel, "run", path, "--json", "--steps", str(steps), "--threads", str(workers)]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"error: {shlex.join(command)} exited with status {result.returncode}:\n{result.stderr}")
    return json.loads(result.stdout)["report"]["stepMilliseconds"]


def table(results, header):
    lines = header + ["",
                      "| config | batch | Tessel step ms | PyTorch step ms | ratio | Tessel images/s | PyTorch images/s |",
                      "|---|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r['config']} | {r['batch']} | {r['tessel_ms']:.2f} | {r['pytorch_ms']:.2f} | **{r['ratio']:.2f}** "
                     f"| {r['tessel_images_per_s']:.0f} | {r['pytorch_images_per_s']:.0f} |")
    lines += ["", "ratio = Tessel step time / PyTorch step time (below 1.0 Tessel is faster)."]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", help="comma-separated config names (default: every config/*.json with a network)")
    parser.add_argument("--tessel", default=os.path.join(ROOT, ".build", "release", "tessel"),
                        help="the tessel executable (default: .build/release/tessel)")
    parser.add_argument("--workers", type=int, default=2, help="threads of both runtimes (default 2)")
    parser.add_argument("--steps", type=int, help="timed steps per turn (default: each config's run.steps)")
    parser.add_argument("--rounds", type=int, default=3, help="turns per runtime and config; medians over them (default 3)")
    parser.add_argument("--out", help="folder for network.json and table.md")
    args = parser.parse_args()
    known = shipped_configs()
    names = args.configs.split(",") if args.configs else known
    unknown = [n for n in names if n not in known]
    if unknown:
        parser.error(f"unknown config(s) {', '.join(unknown)} (configs with a network: {', '.join(known)})")
    if args.steps is not None and args.steps < 1 or args.rounds < 1 or args.workers < 1:
        parser.error("--steps, --rounds and --workers must be at least 1")
    if not os.access(args.tessel, os.X_OK):
        parser.error(f"--tessel {args.tessel}: not an executable (build it with `swift build -c release --product tessel`)")

    import torch
    torch.set_num_threads(args.workers)
    sequential = import_sequential()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_start = list(os.getloadavg())
    configs = {name: load_config(name) for name in names}
    times = {name: {"tessel": [], "pytorch": []} for name in names}
    turns = [(r, name) for r in range(args.rounds) for name in names]
    for index, (round_index, name) in enumerate(turns):
        path, config, run = configs[name]
        steps = args.steps or run["steps"]
        runs = [("tessel", lambda: tessel_step_ms(args.tessel, path, steps, args.workers)),
                ("pytorch", lambda: torch_step_ms(torch, sequential, config, run, steps))]
        first = (index + round_index) % 2
        for runtime, measure in runs[first:] + runs[:first]:
            times[name][runtime].append(measure())
        print(f"[{index + 1}/{len(turns)}] round {round_index + 1}, {name}: Tessel {times[name]['tessel'][-1]:.2f} ms, "
              f"PyTorch {times[name]['pytorch'][-1]:.2f} ms", file=sys.stderr)
    load_end = list(os.getloadavg())

    results = []
    for name in names:
        _, config, run = configs[name]
        tessel_ms, pytorch_ms = statistics.median(times[name]["tessel"]), statistics.median(times[name]["pytorch"])
        results.append({
            "config": name, "batch": run["batchSize"], "steps": args.steps or run["steps"], "warmup": run["warmup"],
            "data": "config .npy files (Tessel), seeded random (PyTorch)" if "data" in config else "seeded random",
            "tessel_ms": tessel_ms, "pytorch_ms": pytorch_ms, "ratio": tessel_ms / pytorch_ms,
            "tessel_images_per_s": run["batchSize"] / tessel_ms * 1e3, "pytorch_images_per_s": run["batchSize"] / pytorch_ms * 1e3,
            "tessel_ms_rounds": times[name]["tessel"], "pytorch_ms_rounds": times[name]["pytorch"],
        })
    command = shlex.join(["python", "Benchmarks/peers/torch_network.py"] + sys.argv[1:])
    header = [f"Measured {date} on {cpu_model()}, {os.cpu_count()} online CPUs, {args.workers} workers, Float32, "
              f"median step over {args.rounds} rounds (each the median of its timed steps). Load average (1/5/15 min) "
              f"at start {fmt_load(load_start)}, at end {fmt_load(load_end)}. PyTorch {torch.__version__}.",
              f"Command: `{command}`"]
    text = table(results, header)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        report = {"date": date, "cpu": cpu_model(), "cores": os.cpu_count(), "workers": args.workers,
                  "rounds": args.rounds, "torch": torch.__version__, "uptime": load_start, "uptime_after": load_end,
                  "command": command, "configs": results}
        with open(os.path.join(args.out, "network.json"), "w") as f:
            json.dump(report, f, indent=2, sort_keys=True)
            f.write("\n")
        with open(os.path.join(args.out, "table.md"), "w") as f:
            f.write(text)
    print(text, end="")


if __name__ == "__main__":
    main()
