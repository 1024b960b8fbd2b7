"""A NumPy float64 implementation of CS231n's layers (CS231n `layers.py`), written for
clarity: the oracle the tests hold tessel.layers against. Each function returns what the
seed's returns, without the cache. Also used by scripts/op_vs_numpy.py and
python/benchmarks/compare_layers.py, which add this folder to sys.path."""
import numpy as np


def affine_forward(x, w, b):
    return x.reshape(x.shape[0], -1) @ w + b


def affine_backward(dout, x, w, b):
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    return dx, dw, dout.sum(axis=0)


def relu_forward(x):
    return np.maximum(x, 0)


def relu_backward(dout, x):
    return dout * (x > 0)


def batchnorm_forward(x, gamma, beta, mode, eps, momentum, running_mean, running_var):
    """Returns out and the running mean and variance after the call."""
    if mode == "train":
        mu, var = x.mean(axis=0), x.var(axis=0)
        out = gamma * (x - mu) / np.sqrt(var + eps) + beta
        return out, momentum * running_mean + (1 - momentum) * mu, momentum * running_var + (1 - momentum) * var
    return gamma * (x - running_mean) / np.sqrt(running_var + eps) + beta, running_mean, running_var


def batchnorm_backward(dout, x, gamma, eps):
    n = x.shape[0]
    mu, var = x.mean(axis=0), x.var(axis=0)
    istd = 1 / np.sqrt(var + eps)
    xhat = (x - mu) * istd
    dxhat = dout * gamma
    dx = istd / n * (n * dxhat - dxhat.sum(axis=0) - xhat * (dxhat * xhat).sum(axis=0))
    return dx, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def layernorm_forward(x, gamma, beta, eps):
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def layernorm_backward(dout, x, gamma, eps):
    dx_t, _, _ = batchnorm_backward((dout * gamma).T, x.T, 1.0, eps)
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    xhat = (x - mu) / np.sqrt(var + eps)
    return dx_t.T, (dout * xhat).sum(axis=0), dout.sum(axis=0)


def conv_forward(x, w, b, stride, pad):
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    ho, wo = 1 + (h + 2 * pad - hh) // stride, 1 + (wd + 2 * pad - ww) // stride
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((n, f, ho, wo))
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def conv_backward(dout, x, w, stride, pad):
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    _, _, ho, wo = dout.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            dw += np.tensordot(dout[:, :, i, j], window, axes=([0], [0]))
            dxp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww] += np.tensordot(dout[:, :, i, j], w, axes=([1], [0]))
    return dxp[:, :, pad:pad + h, pad:pad + wd], dw, dout.sum(axis=(0, 2, 3))


def pool_forward(x, ph, pw, stride, reduce):
    """Applies `reduce(window, axis=(2, 3))` to each ph×pw window of x moved by `stride`."""
    n, c, h, w = x.shape
    ho, wo = 1 + (h - ph) // stride, 1 + (w - pw) // stride
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = reduce(x[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw], axis=(2, 3))
    return out


def max_pool_forward(x, ph, pw, stride):
    return pool_forward(x, ph, pw, stride, np.max)


def max_pool_backward(dout, x, ph, pw, stride):
    n, c, h, w = x.shape
    dx = np.zeros_like(x)
    for a in range(n):
        for k in range(c):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[a, k, i * stride:i * stride + ph, j * stride:j * stride + pw]
                    r, s = np.unravel_index(np.argmax(window), window.shape)  # first maximum, row-major
                    dx[a, k, i * stride + r, j * stride + s] += dout[a, k, i, j]
    return dx


def avg_pool_forward(x, ph, pw, stride):
    """Average pooling (not in CS231n's layers.py; Tessel's avgpool): each window's mean."""
    return pool_forward(x, ph, pw, stride, np.mean)


def avg_pool_backward(dout, x, ph, pw, stride):
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            dx[:, :, i * stride:i * stride + ph, j * stride:j * stride + pw] += dout[:, :, i:i + 1, j:j + 1] / (ph * pw)
    return dx


def _rows(x):
    """(N, C, H, W) as (N·H·W, C): spatial batch norm is batch norm over these rows."""
    return x.transpose(0, 2, 3, 1).reshape(-1, x.shape[1])


def _nchw(rows, shape):
    n, c, h, w = shape
    return rows.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def spatial_batchnorm_forward(x, gamma, beta, mode, eps, momentum, running_mean, running_var):
    out, mean, var = batchnorm_forward(_rows(x), gamma, beta, mode, eps, momentum, running_mean, running_var)
    return _nchw(out, x.shape), mean, var


def spatial_batchnorm_backward(dout, x, gamma, eps):
    dx, dgamma, dbeta = batchnorm_backward(_rows(dout), _rows(x), gamma, eps)
    return _nchw(dx, x.shape), dgamma, dbeta


def groupnorm_forward(x, gamma, beta, g, eps):
    n, c, h, w = x.shape
    xg = x.reshape(n, g, -1)
    xhat = ((xg - xg.mean(axis=2, keepdims=True)) / np.sqrt(xg.var(axis=2, keepdims=True) + eps)).reshape(x.shape)
    return gamma.reshape(1, c, 1, 1) * xhat + beta.reshape(1, c, 1, 1)


def groupnorm_backward(dout, x, gamma, g, eps):
    n, c, h, w = x.shape
    xg = x.reshape(n, g, -1)
    istd = 1 / np.sqrt(xg.var(axis=2, keepdims=True) + eps)
    xh = (xg - xg.mean(axis=2, keepdims=True)) * istd
    xhat = xh.reshape(x.shape)
    dgamma, dbeta = (dout * xhat).sum(axis=(0, 2, 3)), dout.sum(axis=(0, 2, 3))
    dxhat = (dout * gamma.reshape(1, c, 1, 1)).reshape(n, g, -1)
    m = xh.shape[2]
    dx = istd / m * (m * dxhat - dxhat.sum(axis=2, keepdims=True) - xh * (dxhat * xh).sum(axis=2, keepdims=True))
    return dx.reshape(x.shape), dgamma, dbeta


def svm_loss(x, y):
    n = x.shape[0]
    margins = np.maximum(0, x - x[np.arange(n), y][:, None] + 1.0)
    margins[np.arange(n), y] = 0
    dx = (margins > 0).astype(x.dtype)
    dx[np.arange(n), y] -= dx.sum(axis=1)
    return margins.sum() / n, dx / n


def softmax_loss(x, y):
    n = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dx = np.exp(log_probs)
    dx[np.arange(n), y] -= 1
    return -log_probs[np.arange(n), y].sum() / n, dx / n
