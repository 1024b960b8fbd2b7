"""Tessel from Python: CS231n's layer functions (`tessel.layers`) on a multicore runtime whose
results are the same bits for any number of threads.

    import numpy as np, tessel.layers as L
    out, cache = L.conv_forward_naive(x, w, b, {"stride": 1, "pad": 1})
    dx, dw, db = L.conv_backward_naive(dout, cache)
"""
import ctypes
import operator

from . import _native, layers

__all__ = ["layers", "set_num_threads", "get_num_threads"]
__version__ = "0.1.0"


def set_num_threads(n):
    """Sets how many threads each Tessel call uses (n >= 1). The results do not depend on it.
    The default is the TESSEL_THREADS environment variable, else every online CPU."""
    n = operator.index(n)  # TypeError for 1.5 or "2"
    if not -2 ** 63 <= n < 2 ** 63:  # beyond the C interface's int64; Tessel checks the rest
        raise ValueError(f"tessel: parameter 'num_threads' = {n} is invalid: must be at least 1 and at most {2 ** 31 - 1}")
    message = ctypes.c_void_p()
    _native.check(_native.lib.tessel_set_num_threads(n, ctypes.byref(message)), message)


def get_num_threads():
    """How many threads each Tessel call uses."""
    return int(_native.lib.tessel_get_num_threads())
