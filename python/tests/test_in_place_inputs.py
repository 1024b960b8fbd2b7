"""C-contiguous inputs are read in place (no copy), any other layout is copied once; either way
the results are the same bits, and a cache keeps the arrays it reads alive."""
import gc

import numpy as np
import pytest

import tessel.layers as L
from conftest import DTYPES


def strided(a):
    """The same values as `a` in a non-contiguous view (every other element of a wider array),
    which Tessel copies."""
    wide = np.zeros(a.shape[:-1] + (2 * a.shape[-1],), a.dtype)
    wide[..., ::2] = a
    view = wide[..., ::2]
    assert not view.flags.c_contiguous
    return view


def shifted(a):
    """The same values as `a`, C-contiguous, one element past an allocation's start (not
    64-byte aligned), which Tessel reads in place."""
    flat = np.empty(a.size + 1, a.dtype)[1:]
    flat[:] = a.ravel()
    view = flat.reshape(a.shape)
    assert view.flags.c_contiguous
    return view


def forward_backward(dtype, layout):
    """Every seed function's outputs with each float input passed through `layout`."""
    rng = np.random.default_rng(5)
    r = lambda *shape: layout(rng.standard_normal(shape).astype(dtype))
    results = []
    x, w, b = r(7, 3, 2, 5), r(30, 11), r(11)
    out, cache = L.affine_forward(x, w, b)
    results += [out, *L.affine_backward(layout(out * 0.5), cache)]
    out, cache = L.relu_forward(x)
    results += [out, L.relu_backward(layout(np.ones_like(out)), cache)]
    x2, gamma, beta = r(13, 6), r(6), r(6)
    out, cache = L.batchnorm_forward(x2, gamma, beta, {"mode": "train"})
    results += [out, *L.batchnorm_backward(layout(out), cache), *L.batchnorm_backward_alt(layout(out), cache)]
    out, cache = L.layernorm_forward(x2, gamma, beta, {})
    results += [out, *L.layernorm_backward(layout(out), cache)]
    out, cache = L.dropout_forward(x2, {"p": 0.6, "mode": "train", "seed": 3})
    results += [out, L.dropout_backward(layout(out), cache)]
    images, filters, bias = r(2, 3, 9, 7), r(4, 3, 3, 3), r(4)
    out, cache = L.conv_forward_naive(images, filters, bias, {"stride": 2, "pad": 1})
    results += [out, *L.conv_backward_naive(layout(out), cache)]
    out, cache = L.max_pool_forward_naive(images, {"pool_height": 2, "pool_width": 2, "stride": 2})
    results += [out, L.max_pool_backward_naive(layout(out), cache)]
    out, cache = L.spatial_batchnorm_forward(images, r(3), r(3), {"mode": "train"})
    results += [out, *L.spatial_batchnorm_backward(layout(out), cache)]
    out, cache = L.spatial_groupnorm_forward(r(2, 6, 4, 3), r(1, 6, 1, 1), r(1, 6, 1, 1), 3, {})
    results += [out, *L.spatial_groupnorm_backward(layout(out), cache)]
    scores, labels = r(9, 5), np.arange(9) % 5
    results += [*L.svm_loss(scores, labels), *L.softmax_loss(scores, labels)]
    return results


@pytest.mark.parametrize("dtype", DTYPES)
def test_in_place_and_copied_inputs_give_the_same_bits(dtype):
    in_place, copied = forward_backward(dtype, shifted), forward_backward(dtype, strided)
    assert len(in_place) == len(copied)
    for index, (a, b) in enumerate(zip(in_place, copied)):
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), f"output {index}"


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_contiguous_input_is_read_in_place_as_the_seed_reads_its_cache(dtype):
    # CS231n's relu cache is x itself: changing x after the forward changes the backward.
    rng = np.random.default_rng(7)
    x = rng.standard_normal((4, 9)).astype(dtype)
    dout = np.ones_like(x)
    _, cache = L.relu_forward(x)
    x *= -1
    np.testing.assert_array_equal(L.relu_backward(dout, cache), dout * (x > 0))
    # A non-contiguous x was copied: its backward keeps the values of the forward call.
    y = strided(rng.standard_normal((4, 9)).astype(dtype))
    before = y.copy()
    _, cache = L.relu_forward(y)
    y *= -1
    np.testing.assert_array_equal(L.relu_backward(dout, cache), dout * (before > 0))


def test_the_cache_keeps_the_arrays_it_reads_alive():
    rng = np.random.default_rng(8)
    x, w, b = (rng.standard_normal(shape) for shape in [(5, 7), (7, 3), (3,)])
    expected = x.T @ np.ones((5, 3))
    _, cache = L.affine_forward(x.copy(), w.copy(), b.copy())  # the only references are the cache's
    gc.collect()
    filler = [np.full((5, 7), 1e300) for _ in range(64)]  # reuse freed memory, if any was freed
    _, dw, _ = L.affine_backward(np.ones((5, 3)), cache)
    np.testing.assert_array_equal(dw, expected)
    del filler


def test_an_output_never_aliases_an_input():
    x = np.random.default_rng(9).standard_normal((3, 4))
    out, _ = L.dropout_forward(x, {"p": 0.5, "mode": "test"})
    np.testing.assert_array_equal(out, x)
    assert not np.shares_memory(out, x)
