"""What the peer scripts share: their command line, the timing of a layer's two passes, the
report in the JSON schema of `tessel bench` (README.md), the CPU's name and the load averages."""
import argparse
import datetime
import json
import os
import statistics
import time


def cpu_model():
    """The first `model name` in /proc/cpuinfo."""
    with open("/proc/cpuinfo") as f:
        return next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), "unknown")


def fmt_load(values):
    """Load averages as `1.15/1.20/1.31`, or n/a."""
    return "/".join(f"{v:.2f}" for v in values) if values else "n/a"


def arguments(description, layers):
    """The peer scripts' options, parsed, with the start's date and load average; `layers` names
    the layers the script knows."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--layers", help="comma-separated layer names (default: all)")
    parser.add_argument("--workers", type=int, default=2, help="threads of the peer's kernels (default 2)")
    parser.add_argument("--repeats", type=int, default=11, help="timed runs per pass; the median is reported")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs before the timed ones")
    parser.add_argument("--out", help="write the JSON here instead of standard output")
    args = parser.parse_args()
    args.layers = args.layers.split(",") if args.layers else list(layers)
    unknown = [n for n in args.layers if n not in layers]
    if unknown:
        parser.error(f"unknown layer(s) {', '.join(unknown)} (known: {', '.join(layers)})")
    args.date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    args.uptime = list(os.getloadavg())
    return args


def time_passes(forward, backward, repeats, warmup):
    """Median milliseconds of `forward()` and of `backward(out)`, which take turns."""
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
    return statistics.median(fwd) * 1e3, statistics.median(bwd) * 1e3


def layer_entry(name, shape, forward_ms, backward_ms):
    """One layer of the report; the work counts are Tessel's (compare.py takes them from its report)."""
    return {"name": name, "shape": shape, "forward_ms": forward_ms, "backward_ms": backward_ms,
            "flops": None, "bytes": None, "unit": None, "copy_gbps": None}


def write_report(args, runtime, version, layers, **extra):
    """Writes the report of `layers` (entries of `layer_entry`) to `args.out` or standard output."""
    report = {
        "runtime": runtime, "version": version,
        "date": args.date, "cpu": cpu_model(), "cores": os.cpu_count(), "workers": args.workers, "uptime": args.uptime,
        "layers": layers, "peak": None, **extra,
    }
    text = json.dumps(report, indent=2, sort_keys=True) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        print(text, end="")
