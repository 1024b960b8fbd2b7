"""Every function of tessel.layers against the NumPy float64 implementation of CS231n's layers.py
(layers_numpy.py), in float32 and float64, on odd shapes, N = 1, stride 2, pad 0, G = 1 and G = C."""
import numpy as np
import pytest

import layers_numpy as ref
import tessel.layers as L
from conftest import DTYPES, as64, assert_close, randn


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, shape, m", [(1, (5,), 6), (4, (3, 2), 7), (7, (13,), 1)])
def test_affine(rng, dtype, n, shape, m):
    d = int(np.prod(shape))
    x, w, b = randn(rng, dtype, n, *shape), randn(rng, dtype, d, m), randn(rng, dtype, m)
    out, cache = L.affine_forward(x, w, b)
    assert out.dtype == dtype
    assert_close(out, ref.affine_forward(*as64(x, w, b)), dtype, "out")
    dout = randn(rng, dtype, n, m)
    for got, want, name in zip(L.affine_backward(dout, cache), ref.affine_backward(*as64(dout, x, w, b)), "dx dw db".split()):
        assert got.dtype == dtype
        assert_close(got, want, dtype, name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 7), (3, 4, 5), (2, 3, 5, 7)])
def test_relu(rng, dtype, shape):
    x = randn(rng, dtype, *shape)
    out, cache = L.relu_forward(x)
    assert_close(out, ref.relu_forward(*as64(x)), dtype, "out")
    dout = randn(rng, dtype, *shape)
    assert_close(L.relu_backward(dout, cache), ref.relu_backward(*as64(dout, x)), dtype, "dx")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("backward", [L.batchnorm_backward, L.batchnorm_backward_alt])
@pytest.mark.parametrize("n, d, mode", [(1, 3, "test"), (8, 5, "train"), (8, 5, "test"), (13, 7, "train")])
def test_batchnorm(rng, dtype, backward, n, d, mode):
    x, gamma, beta = randn(rng, dtype, n, d) * 2 + 1, randn(rng, dtype, d), randn(rng, dtype, d)
    running_mean, running_var = randn(rng, dtype, d), np.abs(randn(rng, dtype, d)) + dtype(0.5)
    bn_param = {"mode": mode, "eps": 1e-5, "momentum": 0.8, "running_mean": running_mean.copy(), "running_var": running_var.copy()}
    given_mean = bn_param["running_mean"]
    out, cache = L.batchnorm_forward(x, gamma, beta, bn_param)
    want, mean, var = ref.batchnorm_forward(*as64(x, gamma, beta), mode, 1e-5, 0.8, *as64(running_mean, running_var))
    assert_close(out, want, dtype, "out")
    assert bn_param["running_mean"] is given_mean, "running_mean must be updated in place"
    assert_close(bn_param["running_mean"], mean, dtype, "running_mean")
    assert_close(bn_param["running_var"], var, dtype, "running_var")
    if mode == "train":
        dout = randn(rng, dtype, n, d)
        for got, want, name in zip(backward(dout, cache), ref.batchnorm_backward(*as64(dout, x, gamma), 1e-5), "dx dgamma dbeta".split()):
            assert_close(got, want, dtype, name)


@pytest.mark.parametrize("dtype", DTYPES)
def test_batchnorm_defaults_create_running_statistics(rng, dtype):
    x = randn(rng, dtype, 6, 4)
    bn_param = {"mode": "train"}
    L.batchnorm_forward(x, np.ones(4, dtype), np.zeros(4, dtype), bn_param)
    _, mean, var = ref.batchnorm_forward(*as64(x, np.ones(4), np.zeros(4)), "train", 1e-5, 0.9, np.zeros(4), np.zeros(4))
    assert bn_param["running_mean"].dtype == dtype
    assert_close(bn_param["running_mean"], mean, dtype, "running_mean")
    assert_close(bn_param["running_var"], var, dtype, "running_var")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, d", [(1, 4), (5, 9), (3, 17)])
def test_layernorm(rng, dtype, n, d):
    x, gamma, beta = randn(rng, dtype, n, d), randn(rng, dtype, d), randn(rng, dtype, d)
    out, cache = L.layernorm_forward(x, gamma, beta, {})
    assert_close(out, ref.layernorm_forward(*as64(x, gamma, beta), 1e-5), dtype, "out")
    dout = randn(rng, dtype, n, d)
    for got, want, name in zip(L.layernorm_backward(dout, cache), ref.layernorm_backward(*as64(dout, x, gamma), 1e-5), "dx dgamma dbeta".split()):
        assert_close(got, want, dtype, name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, c, h, w, f, hh, ww, stride, pad", [
    (1, 3, 5, 7, 2, 3, 3, 1, 1), (2, 2, 7, 5, 3, 3, 1, 2, 0), (3, 1, 8, 6, 4, 2, 2, 2, 0), (2, 3, 6, 6, 5, 5, 5, 1, 2)])
def test_conv(rng, dtype, n, c, h, w, f, hh, ww, stride, pad):
    x, wt, b = randn(rng, dtype, n, c, h, w), randn(rng, dtype, f, c, hh, ww), randn(rng, dtype, f)
    out, cache = L.conv_forward_naive(x, wt, b, {"stride": stride, "pad": pad})
    want = ref.conv_forward(*as64(x, wt, b), stride, pad)
    assert_close(out, want, dtype, "out")
    dout = randn(rng, dtype, *want.shape)
    for got, want, name in zip(L.conv_backward_naive(dout, cache), ref.conv_backward(*as64(dout, x, wt), stride, pad), "dx dw db".split()):
        assert_close(got, want, dtype, name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, c, h, w, ph, pw, stride", [(1, 2, 4, 6, 2, 2, 2), (2, 3, 7, 5, 3, 2, 1), (3, 1, 9, 9, 3, 3, 3)])
def test_max_pool(rng, dtype, n, c, h, w, ph, pw, stride):
    x = randn(rng, dtype, n, c, h, w)
    out, cache = L.max_pool_forward_naive(x, {"pool_height": ph, "pool_width": pw, "stride": stride})
    want = ref.max_pool_forward(*as64(x), ph, pw, stride)
    assert_close(out, want, dtype, "out")
    dout = randn(rng, dtype, *want.shape)
    assert_close(L.max_pool_backward_naive(dout, cache), ref.max_pool_backward(*as64(dout, x), ph, pw, stride), dtype, "dx")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("mode", ["train", "test"])
@pytest.mark.parametrize("n, c, h, w", [(2, 3, 4, 5), (5, 2, 3, 1), (1, 4, 3, 3)])
def test_spatial_batchnorm(rng, dtype, mode, n, c, h, w):
    x, gamma, beta = randn(rng, dtype, n, c, h, w), randn(rng, dtype, c), randn(rng, dtype, c)
    running_mean, running_var = randn(rng, dtype, c), np.abs(randn(rng, dtype, c)) + dtype(0.5)
    bn_param = {"mode": mode, "running_mean": running_mean.copy(), "running_var": running_var.copy()}
    out, cache = L.spatial_batchnorm_forward(x, gamma, beta, bn_param)
    want, mean, var = ref.spatial_batchnorm_forward(*as64(x, gamma, beta), mode, 1e-5, 0.9, *as64(running_mean, running_var))
    assert_close(out, want, dtype, "out")
    assert_close(bn_param["running_mean"], mean, dtype, "running_mean")
    assert_close(bn_param["running_var"], var, dtype, "running_var")
    if mode == "train":
        dout = randn(rng, dtype, n, c, h, w)
        got = L.spatial_batchnorm_backward(dout, cache)
        for got, want, name in zip(got, ref.spatial_batchnorm_backward(*as64(dout, x, gamma), 1e-5), "dx dgamma dbeta".split()):
            assert_close(got, want, dtype, name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n, c, h, w, g", [(2, 6, 3, 4, 3), (1, 4, 2, 5, 4), (3, 5, 2, 2, 1)])
@pytest.mark.parametrize("notebook_shape", [False, True])
def test_spatial_groupnorm(rng, dtype, n, c, h, w, g, notebook_shape):
    x, gamma, beta = randn(rng, dtype, n, c, h, w), randn(rng, dtype, c), randn(rng, dtype, c)
    if notebook_shape:  # the CS231n notebook passes gamma and beta as (1, C, 1, 1)
        gamma, beta = gamma.reshape(1, c, 1, 1), beta.reshape(1, c, 1, 1)
    out, cache = L.spatial_groupnorm_forward(x, gamma, beta, g, {"eps": 1e-5})
    assert_close(out, ref.groupnorm_forward(*as64(x, gamma.ravel(), beta.ravel()), g, 1e-5), dtype, "out")
    dout = randn(rng, dtype, n, c, h, w)
    dx, dgamma, dbeta = L.spatial_groupnorm_backward(dout, cache)
    want_dx, want_dgamma, want_dbeta = ref.groupnorm_backward(*as64(dout, x, gamma.ravel()), g, 1e-5)
    assert_close(dx, want_dx, dtype, "dx")
    assert_close(dgamma, want_dgamma.reshape(gamma.shape), dtype, "dgamma")
    assert_close(dbeta, want_dbeta.reshape(beta.shape), dtype, "dbeta")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape, keep", [((1, 9), 0.5), ((4, 3, 5), 0.8), ((64, 33), 1.0)])
def test_dropout_train(rng, dtype, shape, keep):
    x = randn(rng, dtype, *shape)
    param = {"p": keep, "mode": "train", "seed": 7}
    out, cache = L.dropout_forward(x, param)
    mask = out.astype(np.float64) / x  # x is never 0 here
    kept = out != 0
    assert np.allclose(mask[kept], 1 / keep, rtol=1e-6)
    assert_close(out, np.where(kept, x.astype(np.float64) / np.float64(dtype(1 / keep)) ** -1, 0), dtype, "out")
    dout = randn(rng, dtype, *shape)
    assert_close(L.dropout_backward(dout, cache), np.where(kept, dout.astype(np.float64) * np.float64(dtype(1 / keep)), 0), dtype, "dx")
    again, _ = L.dropout_forward(x, param)
    assert np.array_equal(again, out), "the same seed gives the same mask"
    other, _ = L.dropout_forward(x, {**param, "seed": 8})
    assert keep == 1.0 or not np.array_equal(other, out), "another seed gives another mask"


def test_dropout_keeps_about_p():
    x = np.ones((1000, 1000))
    out, _ = L.dropout_forward(x, {"p": 0.3, "mode": "train", "seed": 1})
    assert abs(np.mean(out != 0) - 0.3) < 0.005
    assert abs(out.mean() - 1.0) < 0.02  # inverted dropout keeps the expectation


@pytest.mark.parametrize("dtype", DTYPES)
def test_dropout_test_mode_is_identity(rng, dtype):
    x, dout = randn(rng, dtype, 3, 4), randn(rng, dtype, 3, 4)
    out, cache = L.dropout_forward(x, {"p": 0.5, "mode": "test"})
    assert np.array_equal(out, x) and out.dtype == dtype
    assert np.array_equal(L.dropout_backward(dout, cache), dout)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("function, oracle", [(L.svm_loss, ref.svm_loss), (L.softmax_loss, ref.softmax_loss)])
@pytest.mark.parametrize("n, c", [(1, 3), (9, 5), (4, 1)])
def test_losses(rng, dtype, function, oracle, n, c):
    x, y = randn(rng, dtype, n, c), rng.integers(0, c, n)
    loss, dx = function(x, y)
    want_loss, want_dx = oracle(*as64(x), y)
    assert isinstance(loss, dtype)
    assert_close(np.array([loss]), np.array([want_loss]), dtype, "loss")
    assert_close(dx, want_dx, dtype, "dx")


@pytest.mark.parametrize("dtype", DTYPES)
def test_non_contiguous_inputs_give_the_contiguous_results(rng, dtype):
    base = randn(rng, dtype, 4, 6, 10, 12)
    views = [base[:, ::2, 1::3, ::-2], base.transpose(0, 1, 3, 2)[:, :3], np.broadcast_to(base[:1, :3], (2, 3, 10, 12))]
    w, b = randn(rng, dtype, 2, 3, 3, 3), randn(rng, dtype, 2)
    for view in views:
        out, _ = L.conv_forward_naive(view, w, b, {"stride": 1, "pad": 1})
        copy, _ = L.conv_forward_naive(np.ascontiguousarray(view), w, b, {"stride": 1, "pad": 1})
        assert np.array_equal(out, copy)
        assert_close(out, ref.conv_forward(*as64(view, w, b), 1, 1), dtype, "out")
    fortran = np.asfortranarray(randn(rng, dtype, 5, 7))
    out, _ = L.relu_forward(fortran)
    assert np.array_equal(out, np.maximum(fortran, 0))


def test_zero_size_and_scalar_inputs():
    out, cache = L.relu_forward(np.zeros((0, 3)))
    assert out.shape == (0, 3)
    out, cache = L.relu_forward(np.float64(-2.0))
    assert out.shape == () and out == 0


def test_short_aliases():
    assert L.conv_forward is L.conv_forward_naive and L.max_pool_backward is L.max_pool_backward_naive


def test_outputs_are_writable_arrays_that_share_no_memory_with_a_cache(rng):
    """Outputs are NumPy arrays over Tessel's memory (no copy out): writing into them must not
    change what a backward computes from the cache."""
    x4, w4, b4 = randn(rng, np.float64, 2, 3, 6, 5), randn(rng, np.float64, 4, 3, 3, 3), randn(rng, np.float64, 4)
    x2, g, d = randn(rng, np.float64, 5, 4), randn(rng, np.float64, 4), randn(rng, np.float64, 3)
    cases = [
        (lambda: L.affine_forward(x2, randn(rng, np.float64, 4, 3), d), L.affine_backward),
        (lambda: L.relu_forward(x2), L.relu_backward),
        (lambda: L.batchnorm_forward(x2, g, g, {"mode": "train"}), L.batchnorm_backward),
        (lambda: L.layernorm_forward(x2, g, g, {}), L.layernorm_backward),
        (lambda: L.dropout_forward(x2, {"p": 0.5, "mode": "train", "seed": 3}), L.dropout_backward),
        (lambda: L.dropout_forward(x2, {"p": 0.5, "mode": "test"}), L.dropout_backward),
        (lambda: L.conv_forward_naive(x4, w4, b4, {"stride": 1, "pad": 1}), L.conv_backward_naive),
        (lambda: L.max_pool_forward_naive(x4, {"pool_height": 2, "pool_width": 2, "stride": 1}), L.max_pool_backward_naive),
        (lambda: L.spatial_batchnorm_forward(x4, d, d, {"mode": "train"}), L.spatial_batchnorm_backward),
        (lambda: L.spatial_groupnorm_forward(x4, d, d, 3, {}), L.spatial_groupnorm_backward),
    ]
    for forward, backward in cases:
        out, cache = forward()
        assert out.flags.writeable and out.flags.c_contiguous
        dout = np.ones_like(out) + out
        before = backward(dout, cache)
        out[...] = np.nan
        after = backward(dout, cache)
        before, after = (before, after) if isinstance(before, tuple) else ((before,), (after,))
        for a, b in zip(before, after):
            assert a.tobytes() == b.tobytes()
            a[...] = np.nan  # a gradient is fresh memory too
        again = backward(dout, cache)
        again = again if isinstance(again, tuple) else (again,)
        assert all(a.tobytes() == b.tobytes() for a, b in zip(again, after)), backward.__name__
