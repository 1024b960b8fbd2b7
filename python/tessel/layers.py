"""The functions of CS231n's `layers.py`, same names and signatures, run by Tessel.

`from tessel.layers import *` in place of the assignment's layers: every function takes and
returns NumPy arrays as CS231n's docstrings say, in float32 or float64 (all float arrays of
one call in one dtype; a mix raises TypeError rather than casting). Differences from CS231n's layers.py:

- `cache` is an opaque `Cache` object holding what backward needs (it cannot be unpacked as
  a tuple); it may be passed to backward any number of times.
- A C-contiguous input is read in place, not copied (like layers.py, whose cache holds the
  input arrays themselves: changing x between forward and backward changes the backward);
  any other layout is copied once into Tessel's storage, whatever its strides (nothing is
  made contiguous first). Each output is a new array over the memory Tessel wrote it into.
- Dropout masks come from Tessel's counter-based generator keyed by `seed` (the same mask
  for any thread count), not from `np.random`; without a seed each call draws a fresh one.
- Bad shapes or parameters raise ValueError, an allocation that fails MemoryError, each with
  Tessel's message naming the layer, the argument and the shapes.
"""
import operator

import numpy as np

from . import _native
from ._native import TEST, TRAIN, call, describe, take_all

__all__ = [
    "Cache", "affine_forward", "affine_backward", "relu_forward", "relu_backward",
    "batchnorm_forward", "batchnorm_backward", "batchnorm_backward_alt", "layernorm_forward", "layernorm_backward",
    "dropout_forward", "dropout_backward", "conv_forward_naive", "conv_backward_naive", "conv_forward", "conv_backward",
    "max_pool_forward_naive", "max_pool_backward_naive", "max_pool_forward", "max_pool_backward",
    "spatial_batchnorm_forward", "spatial_batchnorm_backward", "spatial_groupnorm_forward", "spatial_groupnorm_backward",
    "svm_loss", "softmax_loss",
]


class Cache:
    """What a forward call keeps for its backward: a handle to Tessel's view of the inputs (or
    the normalization statistics), the layer that made it and its dtype, and the input arrays
    themselves, since Tessel reads contiguous ones in place (as CS231n's cache holds them).
    Opaque."""
    __slots__ = ("_handle", "layer", "dtype", "_inputs")

    def __init__(self, handle, layer, dtype, inputs):
        self._handle, self.layer, self.dtype = handle, layer, dtype
        self._inputs = tuple(inputs.values())

    def __repr__(self):
        return f"<tessel.layers.Cache of {self.layer}, {self.dtype}>"

    # What the handle holds never changes, so a copy may share it; two objects owning one
    # handle would each release it.
    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self

    def __reduce__(self):
        raise TypeError("a tessel.layers.Cache holds memory of this process and cannot be pickled")

    def __del__(self):
        handle, self._handle = self._handle, None
        if handle and _native is not None and _native.lib is not None:  # None during interpreter shutdown
            _native.lib.tessel_cache_release(handle)


# ---------------------------------------------------------------- argument checks

def _floats(layer, **arrays):
    """The arrays as NumPy arrays (no copy for arrays) and their common dtype.
    Raises TypeError for a dtype other than float32/float64, or for a mix of the two."""
    converted, dtypes = {}, {}
    for name, value in arrays.items():
        array = np.asarray(value)
        if array.dtype not in (np.float32, np.float64):
            raise TypeError(f"{layer}: argument '{name}' has dtype {array.dtype}; Tessel computes in float32 or float64")
        converted[name], dtypes[name] = array, array.dtype
    if len(set(dtypes.values())) > 1:
        listed = ", ".join(f"{name} is {dtype}" for name, dtype in dtypes.items())
        raise TypeError(f"{layer}: mixed dtypes ({listed}); convert them to one dtype (Tessel does not cast)")
    return converted, next(iter(dtypes.values()))


def _cache(cache, layer, dout):
    """The handle of a forward cache, checked against the backward `layer` and dout's dtype."""
    if not isinstance(cache, Cache):
        raise TypeError(f"{layer}: cache must be the Cache a tessel.layers forward call returned, not {type(cache).__name__}")
    if cache.layer != layer:
        raise ValueError(f"{layer}: the cache comes from {cache.layer}, not from {layer}'s forward")
    arrays, dtype = _floats(layer, dout=dout)
    if dtype != cache.dtype:
        raise TypeError(f"{layer}: dout is {dtype} but the forward ran in {cache.dtype}; convert dout (Tessel does not cast)")
    return cache._handle, arrays["dout"]


def _integer(layer, key, value):
    """An integer parameter (Python or NumPy integer) that fits the C interface's int64."""
    try:
        number = operator.index(value)
    except TypeError:
        raise TypeError(f"{layer}: parameter '{key}' must be an integer, got {value!r}") from None
    if not -2 ** 63 <= number < 2 ** 63:
        raise ValueError(f"{layer}: parameter '{key}' = {number} is invalid: outside the 64-bit integer range")
    return number


def _mode(layer, mode):
    """TRAIN or TEST for CS231n's 'train' / 'test'."""
    if mode == "train":
        return TRAIN
    if mode == "test":
        return TEST
    raise ValueError(f"{layer}: invalid mode {mode!r}: expected 'train' or 'test'")


def _output_and_cache(out, cache, layer, dtype, arrays):
    """A one-output forward's result: the output array and the Cache of `layer`."""
    cache = Cache(cache, layer, dtype, arrays)  # owns its handle before the outputs are taken
    return take_all([out], dtype)[0], cache


def _backward(function, layer, dout, cache, outputs):
    """Runs the backward `function` of `layer` on dout and the forward's cache; returns the
    list of its `outputs` arrays."""
    handle, dout = _cache(cache, layer, dout)
    return take_all(call(function, describe(dout), handle, outputs=outputs), cache.dtype)


# ---------------------------------------------------------------- affine, ReLU

def affine_forward(x, w, b):
    """x: (N, d_1, ..., d_k), w: (D, M), b: (M,). Returns out (N, M) and the cache."""
    a, dtype = _floats("affine_forward", x=x, w=w, b=b)
    out, cache = call(_native.lib.tessel_affine_forward, describe(a["x"]), describe(a["w"]), describe(a["b"]), outputs=2)
    return _output_and_cache(out, cache, "affine", dtype, a)


def affine_backward(dout, cache):
    """dout: (N, M). Returns dx (shaped like x), dw (D, M), db (M,)."""
    return tuple(_backward(_native.lib.tessel_affine_backward, "affine", dout, cache, outputs=3))


def relu_forward(x):
    """x: any shape. Returns out = max(x, 0) and the cache."""
    a, dtype = _floats("relu_forward", x=x)
    out, cache = call(_native.lib.tessel_relu_forward, describe(a["x"]), outputs=2)
    return _output_and_cache(out, cache, "relu", dtype, a)


def relu_backward(dout, cache):
    """dout: shaped like x. Returns dx."""
    return _backward(_native.lib.tessel_relu_backward, "relu", dout, cache, outputs=1)[0]


# ---------------------------------------------------------------- normalizations

def _running(bn_param, key, features, dtype):
    """bn_param[key], or zeros of `features` in `dtype` as CS231n's default."""
    value = bn_param.get(key)
    return np.zeros(features, dtype=dtype) if value is None else value


def _store_running(bn_param, key, current, updated):
    """Puts the updated running statistic (None in test mode: unchanged) into bn_param: written
    in place into the array the caller gave when that is a writable array of the right shape
    and dtype, else as a new one."""
    if updated is None:
        bn_param[key] = current
        return
    if isinstance(current, np.ndarray) and current.flags.writeable and current.shape == updated.shape \
            and current.dtype == updated.dtype:
        current[...] = updated
        bn_param[key] = current
    else:
        bn_param[key] = updated


def _batchnorm(function, name, layer, x, gamma, beta, bn_param):
    """batchnorm_forward and spatial_batchnorm_forward: the features are x's axis 1."""
    mode = _mode(name, bn_param["mode"])
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    x_array = np.asarray(x)
    features = x_array.shape[1] if x_array.ndim > 1 else 0
    dtype = x_array.dtype if x_array.dtype in (np.float32, np.float64) else np.float64
    running_mean = _running(bn_param, "running_mean", features, dtype)
    running_var = _running(bn_param, "running_var", features, dtype)
    a, dtype = _floats(name, x=x_array, gamma=gamma, beta=beta, running_mean=running_mean, running_var=running_var)
    out, mean_out, var_out, cache = call(
        function, describe(a["x"]), describe(a["gamma"]), describe(a["beta"]), mode, float(eps), float(momentum),
        describe(a["running_mean"]), describe(a["running_var"]), outputs=4)
    cache = Cache(cache, layer, dtype, a)  # owns its handle before the outputs are taken
    result, mean, var = take_all([out, mean_out, var_out], dtype)
    _store_running(bn_param, "running_mean", running_mean, mean)
    _store_running(bn_param, "running_var", running_var, var)
    return result, cache


def batchnorm_forward(x, gamma, beta, bn_param):
    """x: (N, D), gamma, beta: (D,); bn_param: 'mode' ('train' or 'test', required), 'eps'
    (1e-5), 'momentum' (0.9), 'running_mean' and 'running_var' (D,) (zeros). In train mode the
    running statistics are updated, in place in the arrays bn_param holds. Returns out, cache."""
    return _batchnorm(_native.lib.tessel_batchnorm_forward, "batchnorm_forward", "batchnorm",
                      x, gamma, beta, bn_param)


def batchnorm_backward(dout, cache):
    """dout: (N, D). Returns dx (N, D), dgamma, dbeta (D,), through the computation graph."""
    return tuple(_backward(_native.lib.tessel_batchnorm_backward, "batchnorm", dout, cache, outputs=3))


def batchnorm_backward_alt(dout, cache):
    """As batchnorm_backward, with the simplified closed-form gradient."""
    return tuple(_backward(_native.lib.tessel_batchnorm_backward_alt, "batchnorm", dout, cache, outputs=3))


def layernorm_forward(x, gamma, beta, ln_param):
    """x: (N, D), gamma, beta: (D,); ln_param: 'eps' (1e-5). Returns out (N, D), cache."""
    a, dtype = _floats("layernorm_forward", x=x, gamma=gamma, beta=beta)
    out, cache = call(_native.lib.tessel_layernorm_forward, describe(a["x"]), describe(a["gamma"]), describe(a["beta"]),
                      float(ln_param.get("eps", 1e-5)), outputs=2)
    return _output_and_cache(out, cache, "layernorm", dtype, a)


def layernorm_backward(dout, cache):
    """dout: (N, D). Returns dx (N, D), dgamma, dbeta (D,)."""
    return tuple(_backward(_native.lib.tessel_layernorm_backward, "layernorm", dout, cache, outputs=3))


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """x: (N, C, H, W), gamma, beta: (C,); bn_param as batchnorm_forward, statistics (C,).
    Returns out (N, C, H, W), cache."""
    return _batchnorm(_native.lib.tessel_spatial_batchnorm_forward, "spatial_batchnorm_forward", "spatial_batchnorm",
                      x, gamma, beta, bn_param)


def spatial_batchnorm_backward(dout, cache):
    """dout: (N, C, H, W). Returns dx (N, C, H, W), dgamma, dbeta (C,)."""
    return tuple(_backward(_native.lib.tessel_spatial_batchnorm_backward, "spatial_batchnorm", dout, cache, outputs=3))


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """x: (N, C, H, W), gamma, beta: (C,) or (1, C, 1, 1); G divides C; gn_param: 'eps'
    (1e-5). Returns out (N, C, H, W), cache."""
    groups = _integer("spatial_groupnorm_forward", "G", G)
    a, dtype = _floats("spatial_groupnorm_forward", x=x, gamma=gamma, beta=beta)
    out, cache = call(_native.lib.tessel_spatial_groupnorm_forward, describe(a["x"]), describe(a["gamma"]),
                      describe(a["beta"]), groups, float(gn_param.get("eps", 1e-5)), outputs=2)
    return _output_and_cache(out, cache, "spatial_groupnorm", dtype, a)


def spatial_groupnorm_backward(dout, cache):
    """dout: (N, C, H, W). Returns dx (N, C, H, W), and dgamma, dbeta shaped like gamma, beta."""
    return tuple(_backward(_native.lib.tessel_spatial_groupnorm_backward, "spatial_groupnorm", dout, cache, outputs=3))


# ---------------------------------------------------------------- dropout

def dropout_forward(x, dropout_param):
    """Inverted dropout. dropout_param: 'p' (the probability of KEEPING an element, in (0, 1]),
    'mode' ('train' or 'test'), optional 'seed' (an integer in [0, 2**64)). Returns out, cache."""
    p, mode = dropout_param["p"], _mode("dropout_forward", dropout_param["mode"])
    seed = dropout_param.get("seed")
    if seed is not None:
        seed = _integer("dropout_forward", "seed", seed)
        if not 0 <= seed < 2 ** 64:
            raise ValueError(f"dropout_forward: parameter 'seed' = {seed} is invalid: must be in [0, 2**64)")
    a, dtype = _floats("dropout_forward", x=x)
    out, cache = call(_native.lib.tessel_dropout_forward, describe(a["x"]), float(p), mode,
                      int(seed is not None), seed or 0, outputs=2)
    return _output_and_cache(out, cache, "dropout", dtype, a)


def dropout_backward(dout, cache):
    """dout: shaped like x. Returns dx (dout times the forward's mask; dout in test mode)."""
    return _backward(_native.lib.tessel_dropout_backward, "dropout", dout, cache, outputs=1)[0]


# ---------------------------------------------------------------- convolution, max pooling

def conv_forward_naive(x, w, b, conv_param):
    """x: (N, C, H, W), w: (F, C, HH, WW), b: (F,); conv_param: 'stride', 'pad' (required).
    Returns out (N, F, H', W') with H' = 1 + (H + 2 pad - HH) / stride, and the cache."""
    stride = _integer("conv_forward_naive", "stride", conv_param["stride"])
    pad = _integer("conv_forward_naive", "pad", conv_param["pad"])
    a, dtype = _floats("conv_forward_naive", x=x, w=w, b=b)
    out, cache = call(_native.lib.tessel_conv_forward, describe(a["x"]), describe(a["w"]), describe(a["b"]),
                      stride, pad, outputs=2)
    return _output_and_cache(out, cache, "conv", dtype, a)


def conv_backward_naive(dout, cache):
    """dout: (N, F, H', W'). Returns dx, dw, db shaped like x, w, b."""
    return tuple(_backward(_native.lib.tessel_conv_backward, "conv", dout, cache, outputs=3))


def max_pool_forward_naive(x, pool_param):
    """x: (N, C, H, W); pool_param: 'pool_height', 'pool_width', 'stride' (required).
    Returns out (N, C, H', W') with H' = 1 + (H - pool_height) / stride, and the cache."""
    name = "max_pool_forward_naive"
    sizes = [_integer(name, key, pool_param[key]) for key in ("pool_height", "pool_width", "stride")]
    a, dtype = _floats(name, x=x)
    out, cache = call(_native.lib.tessel_max_pool_forward, describe(a["x"]), *sizes, outputs=2)
    return _output_and_cache(out, cache, "maxpool", dtype, a)


def max_pool_backward_naive(dout, cache):
    """dout: (N, C, H', W'). Returns dx shaped like x (each window's first maximum gets dout)."""
    return _backward(_native.lib.tessel_max_pool_backward, "maxpool", dout, cache, outputs=1)[0]


conv_forward, conv_backward = conv_forward_naive, conv_backward_naive
max_pool_forward, max_pool_backward = max_pool_forward_naive, max_pool_backward_naive


# ---------------------------------------------------------------- losses

def _loss(function, name, x, y):
    a, dtype = _floats(name, x=x)
    labels = np.asarray(y)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name}: labels y have dtype {labels.dtype}; expected integers")
    if labels.ndim != 1:
        raise ValueError(f"{name}: labels y have shape {labels.shape}, expected (N,)")
    labels = np.ascontiguousarray(labels, dtype=np.int64)  # N labels: a copy only when not int64 already
    loss = _native.ctypes.c_double()
    handles = call(function, describe(a["x"]), labels.ctypes.data_as(_native.ctypes.POINTER(_native.ctypes.c_int64)),
                   labels.shape[0], _native.ctypes.byref(loss), outputs=1)
    return dtype.type(loss.value), take_all(handles, dtype)[0]


def svm_loss(x, y):
    """x: (N, C) scores, y: (N,) labels in [0, C). Returns the mean hinge loss and dx (N, C)."""
    return _loss(_native.lib.tessel_svm_loss, "svm_loss", x, y)


def softmax_loss(x, y):
    """x: (N, C) scores, y: (N,) labels in [0, C). Returns the mean cross-entropy loss and dx (N, C)."""
    return _loss(_native.lib.tessel_softmax_loss, "softmax_loss", x, y)
