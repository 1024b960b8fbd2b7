#!/usr/bin/env python3
"""Checks `tessel op` against a NumPy float64 implementation of the CS231n layers.

For every layer and direction, on several shapes (N = 1, non-square images, stride 2, strides
that do not divide the extent (output sizes rounded down, as PyTorch does),
pad 0, G = C and G = 1), it writes random inputs as .npy, runs `tessel op`, and compares
each output with NumPy's: float64 to an element-wise relative error (CS231n's rel_error) of
1e-10; float32 to 1e-5 of the output's largest magnitude (see scaled_error). Dropout is
checked against the mask Tessel writes (NumPy's generator cannot be replayed), and the
fraction of elements that mask keeps against p. A NaN or an infinity where NumPy has a number
is a failure, as is a mask that keeps too many or too few.

    python3 scripts/op_vs_numpy.py [--tessel .build/release/tessel] [--dtype float32] [--threads 2]
    python3 scripts/op_vs_numpy.py --self-test   # the checks fail on planted errors (no tessel needed)

Needs only NumPy. Exit status 0 when everything matches, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

# The NumPy float64 references: CS231n's layers as the Python tests' oracle has them.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "python", "tests"))
import layers_numpy as ref  # noqa: E402

# ---------------------------------------------------------------- cases

def cases(rng):
    r = lambda *s: rng.standard_normal(s)
    # Values kept away from ReLU / max-pool kinks and ties do not matter here: both sides compute exactly.
    for n, shape in [(1, (5,)), (4, (3, 2)), (7, (13,))]:
        d = int(np.prod(shape)); m = 6
        x, w, b = r(n, *shape), r(d, m), r(m)
        yield "affine", {"x": x, "w": w, "b": b}, {}, lambda i, o: ref.affine_forward(i["x"], i["w"], i["b"]), (n, m), \
            lambda i, p: dict(zip(["dx", "dw", "db"], ref.affine_backward(i["dout"], i["x"], i["w"], i["b"])))
    for s in [(1, 7), (3, 4, 5)]:
        yield "relu", {"x": r(*s)}, {}, lambda i, p: ref.relu_forward(i["x"]), s, lambda i, p: {"dx": ref.relu_backward(i["dout"], i["x"])}
    for n, d in [(1, 3), (8, 5), (13, 7)]:
        for mode in (["train", "test"] if n > 1 else ["test"]):
            gamma, beta, rm, rv = r(d), r(d), r(d), np.abs(r(d)) + 0.5
            p = {"mode": mode, "eps": 1e-5, "momentum": 0.8}
            fwd = lambda i, p: ref.batchnorm_forward(i["x"], i["gamma"], i["beta"], p["mode"], 1e-5, 0.8, i["running_mean"], i["running_var"])
            def bn_fwd(i, p, fwd=fwd):
                out, m1, v1 = fwd(i, p)
                return {"out": out, **({"running_mean": m1, "running_var": v1} if p["mode"] == "train" else {})}
            bwd = (lambda i, p: dict(zip(["dx", "dgamma", "dbeta"], ref.batchnorm_backward(i["dout"], i["x"], i["gamma"], 1e-5)))) if mode == "train" else None
            for layer in ["batchnorm", "batchnorm_alt"]:
                yield layer, {"x": r(n, d) * 2 + 1, "gamma": gamma, "beta": beta, "running_mean": rm, "running_var": rv}, p, bn_fwd, (n, d), bwd
    for n, d in [(1, 4), (5, 9)]:
        yield "layernorm", {"x": r(n, d), "gamma": r(d), "beta": r(d)}, {}, lambda i, p: ref.layernorm_forward(i["x"], i["gamma"], i["beta"], 1e-5), (n, d), \
            lambda i, p: dict(zip(["dx", "dgamma", "dbeta"], ref.layernorm_backward(i["dout"], i["x"], i["gamma"], 1e-5)))
    for n, c, h, w, f, hh, ww, stride, pad in [(1, 3, 5, 7, 2, 3, 3, 1, 1), (2, 2, 7, 5, 3, 3, 1, 2, 0), (3, 1, 8, 6, 4, 2, 2, 2, 0), (2, 3, 6, 6, 5, 5, 5, 1, 2),
                                                      (2, 3, 8, 8, 4, 7, 7, 2, 3), (1, 2, 6, 7, 3, 3, 3, 2, 0)]:
        x, wt, b = r(n, c, h, w), r(f, c, hh, ww), r(f)
        ho, wo = 1 + (h + 2 * pad - hh) // stride, 1 + (w + 2 * pad - ww) // stride
        p = {"stride": stride, "pad": pad}
        yield "conv", {"x": x, "w": wt, "b": b}, p, lambda i, p: ref.conv_forward(i["x"], i["w"], i["b"], p["stride"], p["pad"]), (n, f, ho, wo), \
            lambda i, p: dict(zip(["dx", "dw", "db"], ref.conv_backward(i["dout"], i["x"], i["w"], p["stride"], p["pad"])))
    for n, c, h, w, ph, pw, stride in [(1, 2, 4, 6, 2, 2, 2), (2, 3, 7, 5, 3, 2, 1), (3, 1, 9, 9, 3, 3, 3), (2, 3, 16, 16, 3, 3, 2), (1, 2, 5, 7, 2, 2, 2)]:
        p = {"pool_height": ph, "pool_width": pw, "stride": stride}
        ho, wo = 1 + (h - ph) // stride, 1 + (w - pw) // stride
        yield "maxpool", {"x": r(n, c, h, w)}, p, lambda i, p: ref.max_pool_forward(i["x"], p["pool_height"], p["pool_width"], p["stride"]), (n, c, ho, wo), \
            lambda i, p: {"dx": ref.max_pool_backward(i["dout"], i["x"], p["pool_height"], p["pool_width"], p["stride"])}
        yield "avgpool", {"x": r(n, c, h, w)}, p, lambda i, p: ref.avg_pool_forward(i["x"], p["pool_height"], p["pool_width"], p["stride"]), (n, c, ho, wo), \
            lambda i, p: {"dx": ref.avg_pool_backward(i["dout"], i["x"], p["pool_height"], p["pool_width"], p["stride"])}
    for n, c, h, w in [(2, 3, 4, 5), (5, 2, 3, 1)]:
        gamma, beta, rm, rv = r(c), r(c), r(c), np.abs(r(c)) + 0.5
        for mode in ["train", "test"]:
            p = {"mode": mode, "eps": 1e-5, "momentum": 0.9}
            def sbn_fwd(i, p):
                out, m1, v1 = ref.spatial_batchnorm_forward(i["x"], i["gamma"], i["beta"], p["mode"], 1e-5, 0.9, i["running_mean"], i["running_var"])
                return {"out": out, **({"running_mean": m1, "running_var": v1} if p["mode"] == "train" else {})}
            def sbn_bwd(i, p):
                return dict(zip(["dx", "dgamma", "dbeta"], ref.spatial_batchnorm_backward(i["dout"], i["x"], i["gamma"], 1e-5)))
            yield "spatial_batchnorm", {"x": r(n, c, h, w), "gamma": gamma, "beta": beta, "running_mean": rm, "running_var": rv}, p, sbn_fwd, (n, c, h, w), \
                sbn_bwd if mode == "train" else None
    for n, c, h, w, g in [(2, 6, 3, 4, 3), (1, 4, 2, 5, 4), (3, 5, 2, 2, 1)]:
        p = {"G": g}
        yield "groupnorm", {"x": r(n, c, h, w), "gamma": r(c), "beta": r(c)}, p, lambda i, p: ref.groupnorm_forward(i["x"], i["gamma"], i["beta"], p["G"], 1e-5), (n, c, h, w), \
            lambda i, p: dict(zip(["dx", "dgamma", "dbeta"], ref.groupnorm_backward(i["dout"], i["x"], i["gamma"], p["G"], 1e-5)))
    for shape, keep in [((1, 9), 0.5), ((4, 3, 5), 0.8), ((64, 33), 1.0), ((256, 129), 0.5)]:
        # NumPy's generator cannot be replayed, so dropout is checked against the mask Tessel wrote.
        p = {"p": keep, "mode": "train", "seed": 7}
        yield "dropout", {"x": r(*shape)}, p, "mask", shape, "mask"
        yield "dropout", {"x": r(*shape)}, {"p": keep, "mode": "test"}, lambda i, p: i["x"], shape, lambda i, p: {"dx": i["dout"]}
    for n, c in [(1, 3), (9, 5)]:
        y = rng.integers(0, c, n)
        for layer, fn in [("svm_loss", ref.svm_loss), ("softmax_loss", ref.softmax_loss)]:
            yield layer, {"x": r(n, c), "y": y}, {}, (lambda fn: lambda i, p: dict(zip(["loss", "dx"], fn(i["x"], i["y"]))))(fn), None, None

def finite_or_inf(error):
    """`error`, or infinity when it is not a number: NaN compares false with every tolerance,
    so `error > tolerance` alone would pass a NaN result (Tessel's Network.check does the same)."""
    return error if np.isfinite(error) else float("inf")

def rel_error(a, b):
    """CS231n's rel_error: the largest element-wise relative error; infinity when any element's
    error is not a number (a NaN on either side, or the same infinity on both)."""
    return finite_or_inf(float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))) if a.size else 0.0

def scaled_error(a, b):
    """The largest error relative to the largest expected magnitude; infinity when not a number.
    Used for float32: an element that is a sum with cancellation (a gradient near 0) has a large
    element-wise relative error in any float32 implementation, so that measure tests the data,
    not the code."""
    return finite_or_inf(float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))) if a.size else 0.0

def mismatch(got, want, measure, tolerance):
    """A failure's description when `got` differs from `want` (shapes, or the error `measure`
    gives above `tolerance`), else None."""
    want = np.asarray(want, dtype=np.float64)
    if got.shape != want.shape:
        return f"shape {got.shape} vs {want.shape}"
    error = measure(got.astype(np.float64), want)
    return None if error <= tolerance else f"rel error {error:.2e}"

def keep_fraction_mismatch(mask, keep):
    """A failure's description when the fraction of elements `mask` keeps is further from `keep`
    than five standard deviations of a binomial draw (exactly `keep` when that is 0 or 1), else None."""
    kept = float(np.count_nonzero(mask)) / mask.size
    band = 5 * np.sqrt(keep * (1 - keep) / mask.size)
    return None if abs(kept - keep) <= band else f"keeps {kept:.4f} of {mask.size} elements, expected {keep} ± {band:.4f}"

def self_test():
    """Checks that the comparisons above fail on planted errors; returns the exit status."""
    np.seterr(invalid="ignore")  # the planted NaNs and infinities are the point here
    want = np.linspace(-1, 1, 12).reshape(3, 4)
    nan = want.copy()
    nan[1, 2] = np.nan
    inf = want.copy()
    inf[0, 0] = np.inf
    problems = []
    for measure in (rel_error, scaled_error):
        for name, got in [("a NaN", nan), ("an infinity", inf), ("all NaN", np.full_like(want, np.nan))]:
            if mismatch(got, want, measure, 1e-5) is None:
                problems.append(f"{measure.__name__} passes {name}")
        if mismatch(inf, inf, measure, 1e-5) is None:
            problems.append(f"{measure.__name__} passes the same infinity on both sides")
        if mismatch(want, want, measure, 0) is not None:
            problems.append(f"{measure.__name__} fails equal arrays")
        if mismatch(want.reshape(4, 3), want, measure, 1e-5) is None:
            problems.append(f"{measure.__name__} passes a wrong shape")
    rng = np.random.default_rng(1)
    fair = (rng.random(10000) < 0.8).astype(np.float64) / 0.8
    if keep_fraction_mismatch(fair, 0.8) is not None:
        problems.append("the keep-fraction check fails a fair mask")
    if keep_fraction_mismatch(fair, 0.7) is None:
        problems.append("the keep-fraction check passes a mask that keeps 0.8 for p = 0.7")
    if keep_fraction_mismatch(np.ones(100), 1.0) is not None or keep_fraction_mismatch(np.r_[np.ones(99), 0], 1.0) is None:
        problems.append("the keep-fraction check is not exact for p = 1")
    for problem in problems:
        print(f"FAIL self-test: {problem}")
    print(f"self-test: {'failed' if problems else 'passed'}")
    return 1 if problems else 0

def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tessel", default=".build/release/tessel")
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--threads", default="2")
    parser.add_argument("--reference", action="store_true", help="run the serial references")
    parser.add_argument("--same-bytes-for", metavar="N,N,...", default="",
                        help="also run every case with these worker counts and require byte-identical output files")
    parser.add_argument("--self-test", action="store_true", help="check that the comparisons fail on planted errors, then exit")
    args = parser.parse_args()
    if args.self_test:
        return self_test()
    tolerance = 1e-5 if args.dtype == "float32" else 1e-10
    rng = np.random.default_rng(231)
    failures = checks = 0
    with tempfile.TemporaryDirectory() as folder:
        # Grain 0 and small tiles: even these small shapes really run in parallel, in many tiles.
        settings = os.path.join(folder, "runtime.json")
        with open(settings, "w") as f:
            f.write('{"grainSize": 0, "tiles": {"elementsPerTile": 7, "gemmRowBlock": 6, "gemmColumnBlock": 16}}')
        for index, (layer, inputs, params, forward, out_shape, backward) in enumerate(cases(rng)):
            inputs = {k: (v.astype(args.dtype) if v.dtype.kind == "f" else v) for k, v in inputs.items()}
            as64 = {k: v.astype(np.float64) if v.dtype.kind == "f" else v for k, v in inputs.items()}
            is_loss = layer.endswith("_loss")
            directions = ["forward"] + (["backward"] if backward is not None or is_loss else [])
            for direction in directions:
                given = dict(inputs)
                if direction == "backward" and not is_loss:
                    given["dout"] = rng.standard_normal(out_shape).astype(args.dtype)
                    as64["dout"] = given["dout"].astype(np.float64)
                paths = []
                for name, value in given.items():
                    path = os.path.join(folder, f"{index}_{name}.npy")
                    np.save(path, value)
                    paths += ["--in", f"{name}={path}"]
                out = os.path.join(folder, f"out_{index}_{direction}")
                command = [args.tessel, "op", layer, direction, *paths, "--out", out, "--threads", args.threads, "--settings", settings]
                command += [f"--param={k}={v}" for k, v in params.items()]
                if args.reference:
                    command.append("--reference")
                run = subprocess.run(command, capture_output=True, text=True)
                label = f"{layer} {direction} {dict((k, v.shape) for k, v in given.items())} {params}"
                if run.returncode != 0:
                    print(f"FAIL {label}: exit {run.returncode}: {run.stderr.strip()}")
                    failures += 1
                    continue
                if forward == "mask":
                    mask = np.load(os.path.join(out, "mask.npy")).astype(np.float64) if direction == "forward" else mask
                    keep = params["p"]
                    if not np.all((mask == 0) | (np.abs(mask - 1 / keep) < 1e-6 / keep)):
                        print(f"FAIL {label}: mask values outside {{0, 1/p}}")
                        failures += 1
                    if direction == "forward":
                        checks += 1
                        problem = keep_fraction_mismatch(mask, keep)
                        if problem:
                            print(f"FAIL {label}: the mask {problem}")
                            failures += 1
                    expected = {"out": as64["x"] * mask} if direction == "forward" else {"dx": as64["dout"] * mask}
                else:
                    expected = (backward if direction == "backward" and not is_loss else forward)(as64, params)
                for workers in filter(None, args.same_bytes_for.split(",")):
                    again = out + f"_threads{workers}"
                    rerun = [*command[:command.index("--out")], "--out", again, "--threads", workers, *command[command.index("--threads") + 2:]]
                    subprocess.run(rerun, check=True, capture_output=True)
                    for name in sorted(os.listdir(out)):
                        checks += 1
                        with open(os.path.join(out, name), "rb") as a, open(os.path.join(again, name), "rb") as b:
                            if a.read() != b.read():
                                print(f"FAIL {label}: {name} differs between --threads {args.threads} and {workers}")
                                failures += 1
                if not isinstance(expected, dict):
                    expected = {"out": expected}
                for name, want in expected.items():
                    got = np.load(os.path.join(out, f"{name}.npy"))
                    checks += 1
                    problem = mismatch(got, want, scaled_error if args.dtype == "float32" else rel_error, tolerance)
                    if problem:
                        print(f"FAIL {label}: {name} {problem}")
                        failures += 1
    print(f"{checks - failures} passed, {failures} failed")
    return 1 if failures else 0

if __name__ == "__main__":
    sys.exit(main())
