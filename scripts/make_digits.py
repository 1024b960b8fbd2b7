#!/usr/bin/env python3
"""Writes data/digits/{X,y}.npy: the 8x8 handwritten digits, for `tessel train config/digits.json`.

Source: the UCI ML hand-written digits data set (Optical Recognition of Handwritten Digits,
E. Alpaydin and C. Kaynak, 1998, https://archive.ics.uci.edu/dataset/80), in the copy that
scikit-learn bundles (`sklearn.datasets.load_digits`): 1,797 images of 8x8 pixels, each pixel
a count in 0..16, ten classes.
Licence: Creative Commons Attribution 4.0 International (CC BY 4.0), as the UCI repository
states for this data set.

Output:
  X.npy  float32, shape (1797, 1, 8, 8), pixels divided by 16 so they lie in [0, 1]
  y.npy  int64,   shape (1797,), labels 0..9
in the order scikit-learn returns them. The train/validation split is made by Tessel itself,
with a fixed seed, so that it is reproducible without Python.

Usage: python3 scripts/make_digits.py [OUTPUT_DIR]   (default: data/digits; needs scikit-learn)
"""
import os
import sys

import numpy as np
from sklearn.datasets import load_digits


def main() -> None:
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "data", "digits"))
    os.makedirs(out, exist_ok=True)
    digits = load_digits()
    x = (digits.images.astype(np.float32) / np.float32(16)).reshape(-1, 1, 8, 8)
    y = digits.target.astype(np.int64)
    assert x.shape == (1797, 1, 8, 8) and y.shape == (1797,)
    assert 0.0 <= x.min() and x.max() <= 1.0 and set(np.unique(y)) == set(range(10))
    np.save(os.path.join(out, "X.npy"), x)
    np.save(os.path.join(out, "y.npy"), y)
    print(f"wrote {out}/X.npy {x.shape} {x.dtype} and {out}/y.npy {y.shape} {y.dtype}")


if __name__ == "__main__":
    main()
