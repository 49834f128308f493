"""The torch decoders evaluated in NumPy float64: forward pass and analytic tangent.

A trained decoder is a chain of affine maps and entry-wise activations. For one
latent vector, a handful of small matrix products in NumPy cost microseconds where
torch's dispatch (and, for the tangent, automatic differentiation) costs a
millisecond. :class:`Chain` holds the layers as float64 arrays (the output layer
restricted to the wanted rows, with the affine scaling of the data folded in); the
estimators of :mod:`rom.manifold.torch` build one per set of rows and keep it while
their weights are unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__: list[str] = []


def _sigmoid(a: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return expit(a)


def _forward(name: str, a: np.ndarray) -> np.ndarray:
    """The activation ``name`` of ``a`` (torch's definitions, default parameters)."""
    if name == "elu":
        return np.where(a > 0, a, np.expm1(np.minimum(a, 0.0)))
    if name == "tanh":
        return np.tanh(a)
    if name == "relu":
        return np.maximum(a, 0.0)
    if name == "sigmoid":
        return _sigmoid(a)
    if name == "silu":
        return a * _sigmoid(a)
    # softplus, beta 1, linear above the threshold 20 as in torch
    return np.where(a > 20.0, a, np.log1p(np.exp(np.minimum(a, 20.0))))


def _both(name: str, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The activation of ``a`` and its derivative (torch's one-sided choices at kinks)."""
    if name == "elu":  # exp(min(a, 0)) is exactly 1 where a > 0
        negative = np.minimum(a, 0.0)
        return np.maximum(a, 0.0) + np.expm1(negative), np.exp(negative)
    if name == "tanh":
        s = np.tanh(a)
        return s, 1.0 - s * s
    if name == "relu":
        positive = a > 0
        return np.where(positive, a, 0.0), positive.astype(float)
    if name == "sigmoid":
        s = _sigmoid(a)
        return s, s * (1.0 - s)
    if name == "silu":
        s = _sigmoid(a)
        return a * s, s * (1.0 + a * (1.0 - s))
    s = _sigmoid(a)
    linear = a > 20.0
    value = np.where(linear, a, np.log1p(np.exp(np.minimum(a, 20.0))))
    return value, np.where(linear, 1.0, s)


_TORCH_ACTIVATIONS = {
    "elu": lambda torch: torch.nn.functional.elu,
    "tanh": lambda torch: torch.tanh,
    "relu": lambda torch: torch.relu,
    "sigmoid": lambda torch: torch.sigmoid,
    "silu": lambda torch: torch.nn.functional.silu,
    "softplus": lambda torch: torch.nn.functional.softplus,
}


class Chain:
    """``x -> W_L(... act(W_1 x + b_1) ...) + b_L`` with its tangent, in float64.

    ``layers`` is a list of ``(W, b, activation)``: ``W`` a 2-D float64 array or a
    SciPy sparse matrix, ``b`` a 1-D array, ``activation`` a name of
    ``rom.manifold._torch_base.ACTIVATIONS`` or None (affine layer). Consecutive
    dense affine layers are multiplied into one where that costs fewer operations per
    evaluation.
    """

    def __init__(self, layers: list[tuple[Any, np.ndarray, str | None]]) -> None:
        merged: list[tuple[Any, np.ndarray, str | None]] = []
        for W, b, act in layers:
            if merged and merged[-1][2] is None and isinstance(W, np.ndarray):
                V, c, _ = merged[-1]
                if isinstance(V, np.ndarray) and W.shape[0] * V.shape[1] <= W.size + V.size:
                    merged[-1] = (W @ V, W @ c + b, act)
                    continue
            merged.append((W, b, act))
        self.layers = merged
        self._last: tuple | None = None

    def decode(self, Z: np.ndarray) -> np.ndarray:
        """The outputs for the inputs ``Z``, (d,) -> (m,) or (d, k) -> (m, k).

        One vector in NumPy (microseconds); a batch in torch on the same float64
        arrays, shared without copies (its one-thread matrix products and activations
        are several times faster than NumPy's on batches). Sparse layers: SciPy.
        """
        if Z.ndim == 1:
            return self._pass(Z)[0].copy()
        import torch

        X = torch.from_numpy(np.ascontiguousarray(Z, dtype=np.float64).T)  # (k, d)
        for W, b, act in self.layers:
            if isinstance(W, np.ndarray):
                X = torch.addmm(torch.from_numpy(b), X, torch.from_numpy(W).T)
            else:  # a SciPy sparse layer
                X = torch.from_numpy(np.ascontiguousarray((W @ X.numpy().T).T + b))
            if act is not None:
                X = _TORCH_ACTIVATIONS[act](torch)(X)
        return X.numpy().T

    def tangent(self, z: np.ndarray) -> np.ndarray:
        """The Jacobian at one input ``z`` (d,): (m, d), by the chain rule from the input.

        ``J = W_L D_{L-1} W_{L-1} ... D_1 W_1`` with ``D_i = diag(act'(a_i))`` at the
        pre-activations ``a_i`` of the forward pass, multiplied from the right
        (``d`` columns, the latent dimension: the cheap direction).
        """
        slopes = self._pass(z)[1]
        M = None
        for (W, _, _), slope in zip(self.layers, slopes, strict=True):
            M = W if M is None else W @ M
            if slope is not None:
                M = slope[:, None] * M
        if M is self.layers[0][0] or not isinstance(M, np.ndarray):
            M = M.toarray() if hasattr(M, "toarray") else np.array(M)
        return M

    def _pass(self, z: np.ndarray) -> tuple[np.ndarray, list]:
        """The output at one input and the slopes ``act'(a_i)`` (None: affine layer).

        The last one is kept: a Gauss-Newton iteration decodes at ``z`` and then asks
        for the tangent at the same ``z``, which then costs the matrix products only.
        """
        key = z.tobytes()
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        x, slopes = z, []
        for W, b, act in self.layers:
            x = W @ x + b
            if act is None:
                slopes.append(None)
            else:
                x, slope = _both(act, x)
                slopes.append(slope)
        self._last = (key, (x, slopes))
        return x, slopes


def linear_layers(module: Any, activation: str) -> list[tuple[np.ndarray, np.ndarray, Any]]:
    """The ``(W, b, activation)`` of a ``torch.nn.Sequential`` of Linear and activations.

    The activation follows every Linear layer but the last (the layout of
    ``rom.manifold._torch_base.mlp``); float64 copies on the host.
    """
    linear = [m for m in module if hasattr(m, "weight") and hasattr(m, "bias")]
    out = []
    for i, m in enumerate(linear):
        W = m.weight.detach().cpu().numpy().astype(np.float64)
        b = m.bias.detach().cpu().numpy().astype(np.float64)
        out.append((W, b, activation if i < len(linear) - 1 else None))
    return out


def band_matrix(weight: np.ndarray, local: np.ndarray, columns: int) -> Any:
    """The sparse output layer as a matrix: row ``i`` holds ``weight[i]`` at ``local[i]``.

    Dense when it has at most 2**16 entries (the rows of a hyper-reduced model), else
    SciPy CSR (``local`` has distinct entries in each row).
    """
    m, b = local.shape
    if m * columns <= 2**16:
        M = np.zeros((m, columns))
        M[np.arange(m)[:, None], local] = weight
        return M
    import scipy.sparse

    indptr = np.arange(0, m * b + 1, b)
    return scipy.sparse.csr_matrix(
        (weight.ravel(), local.ravel(), indptr), shape=(m, columns)
    ).tocsr()
