"""10,000 calls leave the resident set flat: caches, outputs and error messages are all freed."""
import os

import numpy as np

import tessel.layers as L


def resident_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def one_round(x, w, b, gamma, beta, y):
    out, cache = L.conv_forward_naive(x, w, b, {"stride": 1, "pad": 1})
    L.conv_backward_naive(out, cache)
    bn_param = {"mode": "train"}
    out, cache = L.spatial_batchnorm_forward(out, gamma, beta, bn_param)
    L.spatial_batchnorm_backward(out, cache)
    scores = out.reshape(out.shape[0], -1)[:, :10]
    L.softmax_loss(scores, y)
    try:
        L.affine_forward(scores, np.zeros((3, 3)), np.zeros(3))
    except ValueError:
        pass


def test_ten_thousand_calls_leave_the_resident_set_flat():
    rng = np.random.default_rng(0)
    x, w, b = rng.standard_normal((4, 3, 16, 16)), rng.standard_normal((8, 3, 3, 3)), np.zeros(8)
    gamma, beta, y = np.ones(8), np.zeros(8), np.array([1, 2, 3, 4])
    for _ in range(200):  # warm-up: allocator caches, lazily loaded code
        one_round(x, w, b, gamma, beta, y)
    # Three windows of 556 rounds (6 calls each: 10,008 calls in all). A leak grows every
    # window alike: one leaked cache of this round (40 KiB or more) would add 21 MiB to each.
    # A one-off growth (a new malloc arena for a thread the pool starts, a cache filled once)
    # lands in one window; it once added 35 MiB to a single 10,000-call window in CI.
    growths = []
    for _ in range(3):
        before = resident_bytes()
        for _ in range(556):
            one_round(x, w, b, gamma, beta, y)
        growths.append(resident_bytes() - before)
    assert min(growths) < 4 << 20, \
        f"the resident set grew in every window of 3,336 calls: {[round(g / 2**20, 1) for g in growths]} MiB"
