"""ctypes binding of Tessel's C interface (Sources/CTessel/tessel.h in the repository).

Private: `tessel.layers` is the public face. Every call goes through `call`, which turns a
non-zero status into a Python exception carrying Tessel's message. ctypes releases the GIL
for the duration of each foreign call, so calls from several Python threads overlap.
"""
import ctypes
import os
from pathlib import Path

import numpy as np

MAX_RANK = 8
TRAIN, TEST = 0, 1
_CODES = {np.dtype(np.float32): 0, np.dtype(np.float64): 1}
# tessel_status values other than TESSEL_OK (0), and the exception each becomes.
_EXCEPTIONS = {1: ValueError, 2: MemoryError, 3: RuntimeError}


class Array(ctypes.Structure):
    """`tessel_array`: a view of a NumPy array's memory (data pointer, dtype, shape, byte strides)."""
    _fields_ = [("data", ctypes.c_void_p), ("dtype", ctypes.c_int32), ("rank", ctypes.c_int32),
                ("shape", ctypes.c_int64 * MAX_RANK), ("strides", ctypes.c_int64 * MAX_RANK)]


def _load():
    """Opens the bundled libTesselC.so (or the one TESSEL_LIBRARY names) and declares its functions."""
    path = os.environ.get("TESSEL_LIBRARY") or str(Path(__file__).with_name("libTesselC.so"))
    try:
        library = ctypes.CDLL(path)
    except OSError as error:
        raise ImportError(f"tessel: cannot load Tessel's C library ({error}); install the package with "
                          "`pip install ./python` from a Tessel checkout (it builds the library), "
                          "or set TESSEL_LIBRARY to a libTesselC.so") from error
    array, handle, out = ctypes.POINTER(Array), ctypes.c_void_p, ctypes.POINTER(ctypes.c_void_p)
    i32, i64, f64 = ctypes.c_int32, ctypes.c_int64, ctypes.c_double
    signatures = {
        "tessel_set_num_threads": (i32, [i64, out]),
        "tessel_get_num_threads": (i64, []),
        "tessel_string_free": (None, [handle]),
        "tessel_tensor_shape": (i32, [handle, ctypes.POINTER(i64)]),
        "tessel_tensor_data": (handle, [handle]),
        "tessel_tensor_release": (None, [handle]),
        "tessel_cache_release": (None, [handle]),
        "tessel_affine_forward": (i32, [array, array, array, out, out, out]),
        "tessel_affine_backward": (i32, [array, handle, out, out, out, out]),
        "tessel_relu_forward": (i32, [array, out, out, out]),
        "tessel_relu_backward": (i32, [array, handle, out, out]),
        "tessel_batchnorm_forward": (i32, [array, array, array, i32, f64, f64, array, array, out, out, out, out, out]),
        "tessel_batchnorm_backward": (i32, [array, handle, out, out, out, out]),
        "tessel_batchnorm_backward_alt": (i32, [array, handle, out, out, out, out]),
        "tessel_layernorm_forward": (i32, [array, array, array, f64, out, out, out]),
        "tessel_layernorm_backward": (i32, [array, handle, out, out, out, out]),
        "tessel_dropout_forward": (i32, [array, f64, i32, i32, ctypes.c_uint64, out, out, out]),
        "tessel_dropout_backward": (i32, [array, handle, out, out]),
        "tessel_conv_forward": (i32, [array, array, array, i64, i64, out, out, out]),
        "tessel_conv_backward": (i32, [array, handle, out, out, out, out]),
        "tessel_max_pool_forward": (i32, [array, i64, i64, i64, out, out, out]),
        "tessel_max_pool_backward": (i32, [array, handle, out, out]),
        "tessel_spatial_batchnorm_forward": (i32, [array, array, array, i32, f64, f64, array, array, out, out, out, out, out]),
        "tessel_spatial_batchnorm_backward": (i32, [array, handle, out, out, out, out]),
        "tessel_spatial_groupnorm_forward": (i32, [array, array, array, i64, f64, out, out, out]),
        "tessel_spatial_groupnorm_backward": (i32, [array, handle, out, out, out, out]),
        "tessel_svm_loss": (i32, [array, ctypes.POINTER(i64), i64, ctypes.POINTER(f64), out, out]),
        "tessel_softmax_loss": (i32, [array, ctypes.POINTER(i64), i64, ctypes.POINTER(f64), out, out]),
    }
    for name, (result, arguments) in signatures.items():
        function = getattr(library, name)
        function.restype, function.argtypes = result, arguments
    return library


lib = _load()


def check(status, message):
    """Raises the exception of a non-zero status with Tessel's message (and frees the message)."""
    if status == 0:
        return
    text = ctypes.string_at(message.value).decode() if message.value else f"tessel status {status}"
    lib.tessel_string_free(message)
    raise _EXCEPTIONS.get(status, RuntimeError)(text)


def call(function, *arguments, outputs):
    """Calls a layer function whose last arguments are `outputs` handle out-pointers and the
    error out-pointer; returns the handles (ints, or None where Tessel set none)."""
    handles = [ctypes.c_void_p() for _ in range(outputs)]
    message = ctypes.c_void_p()
    check(function(*arguments, *[ctypes.byref(h) for h in handles], ctypes.byref(message)), message)
    return [h.value for h in handles]


def describe(array):
    """The `tessel_array` of a float32/float64 NumPy array, any strides (Tessel reads a
    C-contiguous array in place and copies any other once). The caller keeps `array` alive
    during the call, and as long as a cache the call returns (`layers.Cache` holds it)."""
    if array.ndim > MAX_RANK:
        raise ValueError(f"tessel: arrays of rank {array.ndim} are not supported (at most {MAX_RANK})")
    return Array(array.ctypes.data, _CODES[array.dtype], array.ndim,
                 (ctypes.c_int64 * MAX_RANK)(*array.shape), (ctypes.c_int64 * MAX_RANK)(*array.strides))


class TensorMemory:
    """Owns a `tessel_tensor` handle and shows its elements to NumPy (`__array_interface__`):
    an array made from it keeps it alive as its base, and the handle is released with the
    last array over it."""
    __slots__ = ("__array_interface__", "_handle")

    def __init__(self, handle, shape, dtype):
        self._handle = handle
        self.__array_interface__ = {"data": (lib.tessel_tensor_data(handle), False), "shape": shape,
                                    "typestr": dtype.str, "version": 3}

    def __del__(self):
        handle, self._handle = self._handle, None
        if handle and lib is not None:  # None during interpreter shutdown
            lib.tessel_tensor_release(handle)


def take(handle, dtype):
    """A NumPy array over the elements of a `tessel_tensor` handle, without a copy; it owns the
    handle from now on."""
    shape = (ctypes.c_int64 * MAX_RANK)()
    rank = lib.tessel_tensor_shape(handle, shape)
    return np.asarray(TensorMemory(handle, tuple(shape[:rank]), np.dtype(dtype)))


def take_all(handles, dtype):
    """`take` of each handle (None stays None); if one fails, the handles not yet taken are
    released before the exception propagates."""
    results = []
    try:
        for handle in handles:
            results.append(None if handle is None else take(handle, dtype))
    finally:
        for handle in handles[len(results) + 1:]:
            if handle is not None:
                lib.tessel_tensor_release(handle)
    return results
