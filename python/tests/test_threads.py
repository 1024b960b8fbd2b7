"""The same bits for 1, 2 and 3 threads, and concurrent calls from Python threads. Shapes are
large enough (above the scheduler's grain of 65,536 work units) for the calls to run in parallel."""
import threading
import time

import numpy as np
import pytest

import tessel
import tessel.layers as L
from conftest import DTYPES


def run_everything(dtype):
    """Every forward and backward on fixed inputs; returns all outputs in order."""
    rng = np.random.default_rng(5)
    r = lambda *s: rng.standard_normal(s).astype(dtype)
    outputs = []
    x, w, b = r(67, 1031), r(1031, 129), r(129)
    out, cache = L.affine_forward(x, w, b)
    outputs += [out, *L.affine_backward(r(67, 129), cache)]
    out, cache = L.relu_forward(r(67, 1031))
    outputs += [out, L.relu_backward(r(67, 1031), cache)]
    for backward in (L.batchnorm_backward, L.batchnorm_backward_alt):
        bn_param = {"mode": "train"}
        out, cache = L.batchnorm_forward(r(1031, 67) * 3 + 1, r(67), r(67), bn_param)
        outputs += [out, bn_param["running_mean"], bn_param["running_var"], *backward(r(1031, 67), cache)]
    out, cache = L.layernorm_forward(r(1031, 67), r(67), r(67), {})
    outputs += [out, *L.layernorm_backward(r(1031, 67), cache)]
    out, cache = L.dropout_forward(r(67, 1031), {"p": 0.7, "mode": "train", "seed": 42})
    outputs += [out, L.dropout_backward(r(67, 1031), cache)]
    for stride, pad in [(1, 1), (2, 0)]:
        out, cache = L.conv_forward_naive(r(8, 5, 33, 31), r(7, 5, 3, 3), r(7), {"stride": stride, "pad": pad})
        outputs += [out, *L.conv_backward_naive(r(*out.shape), cache)]
    out, cache = L.max_pool_forward_naive(r(8, 9, 34, 30), {"pool_height": 2, "pool_width": 2, "stride": 2})
    outputs += [out, L.max_pool_backward_naive(r(*out.shape), cache)]
    bn_param = {"mode": "train"}
    out, cache = L.spatial_batchnorm_forward(r(8, 9, 33, 31), r(9), r(9), bn_param)
    outputs += [out, bn_param["running_mean"], bn_param["running_var"], *L.spatial_batchnorm_backward(r(8, 9, 33, 31), cache)]
    for groups in (1, 3, 9):
        out, cache = L.spatial_groupnorm_forward(r(8, 9, 33, 31), r(9), r(9), groups, {})
        outputs += [out, *L.spatial_groupnorm_backward(r(8, 9, 33, 31), cache)]
    labels = rng.integers(0, 101, 1031)
    for loss in (L.svm_loss, L.softmax_loss):
        value, dx = loss(r(1031, 101), labels)
        outputs += [np.array(value), dx]
    return outputs


@pytest.fixture
def restore_threads():
    before = tessel.get_num_threads()
    yield
    tessel.set_num_threads(before)


@pytest.mark.parametrize("dtype", DTYPES)
def test_same_bits_for_1_2_and_3_threads(dtype, restore_threads):
    results = {}
    for threads in (1, 2, 3):
        tessel.set_num_threads(threads)
        assert tessel.get_num_threads() == threads
        results[threads] = run_everything(dtype)
    for threads in (2, 3):
        for index, (a, b) in enumerate(zip(results[1], results[threads])):
            assert a.dtype == b.dtype == dtype and a.shape == b.shape
            assert a.tobytes() == b.tobytes(), f"output {index} differs between 1 and {threads} threads"


def test_concurrent_python_threads_get_the_serial_results():
    expected = run_everything(np.float32)
    results, errors = [None] * 3, []

    def work(slot):
        try:
            results[slot] = run_everything(np.float32)
        except Exception as error:  # reported below; a thread's exception would be lost
            errors.append(error)

    threads = [threading.Thread(target=work, args=(slot,)) for slot in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for result in results:
        assert all(a.tobytes() == b.tobytes() for a, b in zip(expected, result))


def test_the_gil_is_released_during_a_call(restore_threads):
    """While one Python thread is inside a long Tessel call, another keeps running Python code."""
    tessel.set_num_threads(1)
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((32, 32, 64, 64)), rng.standard_normal((64, 32, 3, 3)), np.zeros(64)
    window, ticks, running = {}, [], threading.Event()

    def convolve():
        running.set()
        window["start"] = time.perf_counter()
        L.conv_forward_naive(x, w, b, {"stride": 1, "pad": 1})
        window["end"] = time.perf_counter()

    worker = threading.Thread(target=convolve)
    worker.start()
    running.wait()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    start, end = window["start"], window["end"]
    assert end - start > 0.05, "the call is too short to tell"
    inside = [start] + [t for t in ticks if start < t < end] + [end]
    longest_pause = max(b - a for a, b in zip(inside, inside[1:]))
    # Holding the GIL, the call would stop this thread for its whole length (most of the window).
    assert longest_pause < (end - start) / 2, f"this thread paused {longest_pause:.3f} s during a {end - start:.3f} s call"
