#!/usr/bin/env python3
"""Writes data/digits32/X.npy: the 8x8 handwritten digits of data/digits, each pixel repeated
4 x 4 times, so that config/stem.json trains a 7x7 stride-2 stem on 32 x 32 images.

Output: X.npy  float32, shape (1797, 1, 32, 32), values in [0, 1], in the order of
data/digits/X.npy (whose labels, data/digits/y.npy, it shares).

Usage: python3 scripts/make_digits32.py   (needs NumPy; reads data/digits/X.npy)
"""
import os

import numpy as np


def main() -> None:
    data = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "data"))
    x = np.load(os.path.join(data, "digits", "X.npy"))
    assert x.shape == (1797, 1, 8, 8) and x.dtype == np.float32, x.shape
    large = np.ascontiguousarray(x.repeat(4, axis=2).repeat(4, axis=3))
    os.makedirs(os.path.join(data, "digits32"), exist_ok=True)
    np.save(os.path.join(data, "digits32", "X.npy"), large)


if __name__ == "__main__":
    main()
