"""Bad input raises a Python exception carrying Tessel's message; nothing crashes."""
import numpy as np
import pytest

import tessel
import tessel.layers as L

x4 = np.zeros((2, 3, 8, 8))
w4 = np.zeros((4, 3, 3, 3))
b4 = np.zeros(4)


@pytest.mark.parametrize("call, message", [
    (lambda: L.affine_forward(np.zeros((2, 5)), np.zeros((4, 3)), np.zeros(3)), "affine: argument 'w' has shape (4, 3)"),
    (lambda: L.affine_forward(np.zeros((2, 4)), np.zeros((4, 3)), np.zeros(2)), "affine: argument 'b' has shape (2,)"),
    (lambda: L.conv_forward_naive(x4, w4[:, :2], b4, {"stride": 1, "pad": 1}), "conv: argument 'w' has shape (4, 2, 3, 3)"),
    (lambda: L.conv_forward_naive(x4, w4, b4, {"stride": 0, "pad": 1}), "conv: parameter 'stride' = 0 is invalid"),
    (lambda: L.conv_forward_naive(x4, w4, b4, {"stride": 1, "pad": -1}), "conv: parameter 'pad' = -1 is invalid"),
    (lambda: L.conv_forward_naive(np.zeros((2, 3, 8)), w4, b4, {"stride": 1, "pad": 1}), "conv: argument 'x' has shape (2, 3, 8)"),
    (lambda: L.max_pool_forward_naive(x4, {"pool_height": 9, "pool_width": 2, "stride": 2}), "maxpool"),
    (lambda: L.max_pool_forward_naive(x4, {"pool_height": 2, "pool_width": 2, "stride": 0}), "maxpool: parameter 'stride' = 0"),
    (lambda: L.batchnorm_forward(np.zeros((4, 3)), np.zeros(2), np.zeros(3), {"mode": "train"}), "batchnorm: argument 'gamma' has shape (2,)"),
    (lambda: L.batchnorm_forward(np.zeros((4, 3)), np.zeros(3), np.zeros(3), {"mode": "train", "eps": 0}), "batchnorm: parameter 'eps' = 0"),
    (lambda: L.batchnorm_forward(np.zeros((4, 3)), np.zeros(3), np.zeros(3), {"mode": "train", "running_mean": np.zeros(5)}),
     "batchnorm: argument 'running_mean' has shape (5,)"),
    (lambda: L.batchnorm_forward(np.zeros((4, 3)), np.zeros(3), np.zeros(3), {"mode": "eval"}), "invalid mode 'eval'"),
    (lambda: L.layernorm_forward(np.zeros((4, 3)), np.zeros(4), np.zeros(3), {}), "layernorm: argument 'gamma' has shape (4,)"),
    (lambda: L.spatial_batchnorm_forward(np.zeros((4, 3)), np.zeros(3), np.zeros(3), {"mode": "train"}), "spatial_batchnorm: argument 'x' has shape (4, 3)"),
    (lambda: L.spatial_groupnorm_forward(np.zeros((2, 6, 3, 3)), np.zeros(6), np.zeros(6), 4, {}), "groupnorm: parameter 'groups' = 4 is invalid: must divide the channel count C = 6"),
    (lambda: L.spatial_groupnorm_forward(np.zeros((2, 6, 3, 3)), np.zeros(6), np.zeros(6), 0, {}), "groupnorm: parameter 'groups' = 0 is invalid"),
    (lambda: L.dropout_forward(np.zeros(3), {"p": 0.0, "mode": "train"}), "dropout: parameter 'p' = 0.0 is invalid"),
    (lambda: L.dropout_forward(np.zeros(3), {"p": 1.5, "mode": "train"}), "dropout: parameter 'p' = 1.5 is invalid"),
    (lambda: L.dropout_forward(np.zeros(3), {"p": 0.5, "mode": "train", "seed": -1}), "dropout_forward: parameter 'seed' = -1"),
    (lambda: L.svm_loss(np.zeros((3, 4)), np.array([0, 1, 4])), "svm_loss"),
    (lambda: L.softmax_loss(np.zeros((3, 4)), np.array([0, 1])), "softmax_loss"),
    (lambda: L.softmax_loss(np.zeros((3, 4)), np.zeros((3, 1), np.int64)), "labels y have shape (3, 1)"),
    (lambda: L.relu_forward(np.zeros((1,) * 9)), "rank 9"),
    (lambda: L.conv_forward_naive(x4, w4, b4, {"stride": 2 ** 70, "pad": 1}), "parameter 'stride' = 1180591620717411303424 is invalid"),
    (lambda: tessel.set_num_threads(0), "num_threads' = 0 is invalid"),
    (lambda: tessel.set_num_threads(2 ** 40), "num_threads' = 1099511627776 is invalid: must be at least 1 and at most 2147483647"),
    (lambda: tessel.set_num_threads(2 ** 70), "num_threads' = 1180591620717411303424 is invalid: must be at least 1 and at most"),
])
def test_bad_input_raises_value_error_with_tessels_message(call, message):
    with pytest.raises(ValueError) as error:
        call()
    assert message in str(error.value)


def test_backward_errors():
    out, cache = L.conv_forward_naive(x4, w4, b4, {"stride": 1, "pad": 1})
    with pytest.raises(ValueError, match=r"conv: argument 'dout' has shape \(2, 4, 7, 8\)"):
        L.conv_backward_naive(np.zeros((2, 4, 7, 8)), cache)
    with pytest.raises(ValueError, match="the cache comes from conv, not from relu"):
        L.relu_backward(out, cache)
    with pytest.raises(TypeError, match="dout is float32 but the forward ran in float64"):
        L.conv_backward_naive(out.astype(np.float32), cache)
    with pytest.raises(TypeError, match="cache must be the Cache"):
        L.conv_backward_naive(out, (x4, w4, b4, {"stride": 1, "pad": 1}))


@pytest.mark.parametrize("call, message", [
    (lambda: L.affine_forward(np.zeros((2, 4), np.float32), np.zeros((4, 3)), np.zeros(3, np.float32)),
     "affine_forward: mixed dtypes (x is float32, w is float64, b is float32)"),
    (lambda: L.relu_forward(np.zeros(3, np.int64)), "relu_forward: argument 'x' has dtype int64"),
    (lambda: L.relu_forward(np.zeros(3, np.float16)), "argument 'x' has dtype float16"),
    (lambda: L.batchnorm_forward(np.zeros((4, 3), np.float32), np.zeros(3, np.float32), np.zeros(3, np.float32),
                                 {"mode": "train", "running_mean": np.zeros(3)}), "running_mean is float64"),
    (lambda: L.softmax_loss(np.zeros((2, 3)), np.array([0.0, 1.0])), "labels y have dtype float64"),
    (lambda: L.conv_forward_naive(x4, w4, b4, {"stride": 1.5, "pad": 0}), "parameter 'stride' must be an integer"),
    (lambda: tessel.set_num_threads(1.5), "integer"),
])
def test_wrong_types_raise_type_error_and_nothing_is_cast(call, message):
    with pytest.raises(TypeError) as error:
        call()
    assert message in str(error.value)


def test_missing_required_keys_raise_key_error_as_the_seed():
    with pytest.raises(KeyError):
        L.batchnorm_forward(np.zeros((4, 3)), np.zeros(3), np.zeros(3), {})
    with pytest.raises(KeyError):
        L.conv_forward_naive(x4, w4, b4, {"stride": 1})


def test_an_allocation_too_large_raises_memory_error():
    huge = np.broadcast_to(np.zeros(1), (1 << 42,))  # 32 TiB once Tessel copies it
    with pytest.raises(MemoryError, match="out of memory"):
        L.relu_forward(huge)


def test_a_cache_can_be_copied_but_not_pickled():
    import copy
    import pickle
    out, cache = L.relu_forward(np.array([1.0, -1.0]))
    assert copy.copy(cache) is cache and copy.deepcopy((cache,))[0] is cache
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(cache)
    assert np.array_equal(L.relu_backward(np.ones(2), cache), [1.0, 0.0])
