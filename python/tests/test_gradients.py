"""Numerical gradient checks (CS231n's eval_numerical_gradient_array, centred differences) of
every backward in tessel.layers, in float64."""
import numpy as np
import pytest

import tessel.layers as L
from conftest import rel_error


def numerical_gradient(f, x, dout, h=1e-5):
    """d(sum(f(x) * dout))/dx by centred differences, changing x in place one element at a time."""
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=["readwrite"])
    while not it.finished:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = f(x).copy()
        x[i] = old - h
        minus = f(x).copy()
        x[i] = old
        grad[i] = np.sum((plus - minus) * dout) / (2 * h)
        it.iternext()
    return grad


def check(forward, backward, inputs, names, tolerance=1e-7, seed=0):
    """Runs forward on `inputs` (a dict), backward on a random dout, and compares each gradient
    named in `names` (gradient name -> input name) with the numerical one."""
    rng = np.random.default_rng(seed)
    out, cache = forward(**inputs)
    dout = rng.standard_normal(out.shape)
    grads = backward(dout, cache)
    grads = grads if isinstance(grads, tuple) else (grads,)
    for grad, (grad_name, input_name) in zip(grads, names.items()):
        def f(value, input_name=input_name):
            return forward(**{**inputs, input_name: value})[0]
        numerical = numerical_gradient(f, inputs[input_name].copy(), dout)
        assert rel_error(grad.reshape(numerical.shape), numerical) < tolerance, f"{grad_name}: {rel_error(grad.reshape(numerical.shape), numerical):.2e}"


@pytest.fixture
def r():
    rng = np.random.default_rng(7)
    return lambda *shape: rng.standard_normal(shape)


def test_affine(r):
    check(L.affine_forward, L.affine_backward, {"x": r(3, 2, 3), "w": r(6, 5), "b": r(5)}, {"dx": "x", "dw": "w", "db": "b"})


def test_relu(r):
    x = r(4, 5)
    x[np.abs(x) < 0.01] = 0.5  # away from the kink
    check(L.relu_forward, L.relu_backward, {"x": x}, {"dx": "x"})


@pytest.mark.parametrize("backward", [L.batchnorm_backward, L.batchnorm_backward_alt])
def test_batchnorm(r, backward):
    forward = lambda x, gamma, beta: L.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    check(forward, backward, {"x": 3 * r(6, 4) + 2, "gamma": r(4), "beta": r(4)}, {"dx": "x", "dgamma": "gamma", "dbeta": "beta"})


def test_layernorm(r):
    forward = lambda x, gamma, beta: L.layernorm_forward(x, gamma, beta, {})
    check(forward, L.layernorm_backward, {"x": 3 * r(4, 7) + 2, "gamma": r(7), "beta": r(7)}, {"dx": "x", "dgamma": "gamma", "dbeta": "beta"})


@pytest.mark.parametrize("stride, pad", [(1, 1), (2, 0)])
def test_conv(r, stride, pad):
    forward = lambda x, w, b: L.conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    check(forward, L.conv_backward_naive, {"x": r(2, 3, 7, 5), "w": r(3, 3, 3, 3), "b": r(3)}, {"dx": "x", "dw": "w", "db": "b"})


def test_max_pool(r):
    forward = lambda x: L.max_pool_forward_naive(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    x = np.random.default_rng(3).permutation(2 * 3 * 6 * 4).reshape(2, 3, 6, 4) / 10.0  # distinct values: no ties
    check(forward, L.max_pool_backward_naive, {"x": x}, {"dx": "x"})


def test_spatial_batchnorm(r):
    forward = lambda x, gamma, beta: L.spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    check(forward, L.spatial_batchnorm_backward, {"x": 2 * r(2, 3, 4, 5) + 1, "gamma": r(3), "beta": r(3)},
          {"dx": "x", "dgamma": "gamma", "dbeta": "beta"})


@pytest.mark.parametrize("groups", [1, 2, 6])
def test_spatial_groupnorm(r, groups):
    forward = lambda x, gamma, beta: L.spatial_groupnorm_forward(x, gamma, beta, groups, {})
    check(forward, L.spatial_groupnorm_backward, {"x": 2 * r(2, 6, 3, 4) + 1, "gamma": r(6), "beta": r(6)},
          {"dx": "x", "dgamma": "gamma", "dbeta": "beta"})


def test_dropout(r):
    forward = lambda x: L.dropout_forward(x, {"p": 0.6, "mode": "train", "seed": 123})
    check(forward, L.dropout_backward, {"x": r(5, 7) + 10}, {"dx": "x"})


@pytest.mark.parametrize("loss", [L.svm_loss, L.softmax_loss])
def test_losses(r, loss):
    x, y = 0.01 * r(6, 4), np.array([0, 3, 1, 2, 2, 0])
    _, dx = loss(x, y)
    numerical = numerical_gradient(lambda v: np.array(loss(v, y)[0]), x.copy(), np.array(1.0))
    assert rel_error(dx, numerical) < 1e-7
