"""Shared helpers of the tessel.layers tests."""
import numpy as np
import pytest

DTYPES = [np.float32, np.float64]


def rel_error(a, b):
    """CS231n's rel_error: the largest element-wise relative error."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b)))) if a.size else 0.0


def scaled_error(a, b):
    """The largest error relative to the largest expected magnitude (for float32, where an
    element that is a sum with cancellation has a large element-wise error in any float32 code)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30)) if a.size else 0.0


def assert_close(got, want, dtype, name=""):
    """float64: rel_error below 1e-10; float32: scaled_error below 1e-5; shapes equal."""
    got = np.asarray(got)
    assert got.shape == np.shape(want), f"{name}: shape {got.shape}, expected {np.shape(want)}"
    if dtype == np.float64:
        assert rel_error(got, want) < 1e-10, f"{name}: rel error {rel_error(got, want):.2e}"
    else:
        assert scaled_error(got, want) < 1e-5, f"{name}: scaled error {scaled_error(got, want):.2e}"


@pytest.fixture
def rng():
    return np.random.default_rng(231)


def randn(rng, dtype, *shape):
    """Standard normal values in `dtype`."""
    return rng.standard_normal(shape).astype(dtype)


def as64(*arrays):
    return [np.asarray(a, np.float64) for a in arrays]
