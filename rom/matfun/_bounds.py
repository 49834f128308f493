r"""The certified bracket of :math:`\log\det A(\mu)` behind :meth:`LogDet.bounds
<rom.matfun.LogDet.bounds>`: exact traces at the anchors, Gauss-Radau bounds around them.

The derivation is on the theory page ``docs/theory/logdet.rst`` (section "Rigorous a
posteriori bound").
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.linalg import factorize
from rom.matfun.exact import _SYMMETRY_RTOL
from rom.validation import is_sparse

_AUTO_BOUND_SIZE = 2000  # bound="auto" computes the exact traces up to this size
_PSD_RTOL = 1e-10  # an eigenvalue of a term above -_PSD_RTOL * its largest counts as >= 0


def _nonzero_columns(T: Any) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``J`` of the nonzero columns of ``T`` and the dense block ``T[:, J]``."""
    if is_sparse(T):
        T = T.tocsc()
        T.eliminate_zeros()
        J = np.flatnonzero(np.diff(T.indptr) > 0)
        return J, T[:, J].toarray()
    T = np.asarray(T)
    J = np.flatnonzero(np.any(T != 0, axis=0))
    return J, T[:, J]


def _terms_psd(terms: list) -> bool:
    """Whether every term is Hermitian positive semidefinite (up to rounding).

    A Hermitian term with nonzero columns ``J`` also has nonzero rows ``J`` only, so
    it is positive semidefinite exactly when its dense block ``T[J, J]`` is: one
    symmetric eigenvalue problem of the size of the support of each term.
    """
    for T in terms:
        J, block = _nonzero_columns(T)
        B = block[J]
        if B.size == 0:
            continue
        size = np.abs(B).max()
        if np.abs(B - B.conj().T).max() > _SYMMETRY_RTOL * size:
            return False
        w = np.linalg.eigvalsh(B)
        if w[0] < -_PSD_RTOL * max(abs(w[-1]), abs(w[0])):
            return False
    return True


def _trace_moments(A: Any, terms: list, name: str) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact :math:`t_q = \operatorname{tr}(A^{-1}A_q)` and
    :math:`S_{qr} = \operatorname{tr}(A^{-1}A_q A^{-1}A_r)`.

    One factorisation of ``A`` and one solve per nonzero column of each term
    (``n`` solves in all for terms with disjoint supports, as finite element blocks
    nearly have): :math:`W_q = A^{-1}A_q[:, J_q]` is kept densely, and
    :math:`S_{qr} = \sum_{i \in J_r, j \in J_q} W_q[i, j]\, W_r[j, i]`.
    """
    lu = factorize(A, name=name)
    n = A.shape[0]
    cols, blocks = [], []
    for T in terms:
        J, rhs = _nonzero_columns(T)
        W = lu.solve(rhs) if J.size else np.zeros((n, 0))
        cols.append(J)
        blocks.append(W)
    Q = len(terms)
    t = np.array([np.trace(W[J]).real for J, W in zip(cols, blocks, strict=True)])
    S = np.empty((Q, Q))
    for q in range(Q):
        for r in range(q, Q):
            S[q, r] = S[r, q] = np.sum(blocks[q][cols[r]] * blocks[r][cols[q]].T).real
    return t, S


def _logdet_brackets(
    theta: np.ndarray,
    anchors: np.ndarray,
    values: np.ndarray,
    t: np.ndarray,
    S: np.ndarray,
    n: int,
    psd: bool,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Certified lower and upper bounds of :math:`\log\det A(\mu)` for rows ``theta``.

    Around each anchor :math:`A_m = A(\mu_m)` the mean and variance of the eigenvalues
    of :math:`A_m^{-1}A(\mu)` follow exactly from the traces ``t`` and ``S``; the
    Gauss-Radau rules on an enclosure ``[a, b]`` of the eigenvalues bracket
    :math:`\log\det A(\mu) - \log\det A_m` (Bai and Golub 1997; derivation on the
    theory page). The tightest bracket over the anchors is returned, widened by the
    rounding allowance :math:`100\,\epsilon\,(|\log\det A_m| + n)`; ``psd`` narrows
    the enclosure to the min/max ratios of the coefficients.
    """
    k = theta.shape[0]
    lower = np.full(k, -np.inf)
    upper = np.full(k, np.inf)
    positive = anchors > 0
    tiny = np.finfo(float).tiny
    # rounding allowance for the computed log-determinants and traces
    slack = 100.0 * np.finfo(float).eps * (np.abs(values) + n)
    for start in range(0, k, 128):
        th = theta[start : start + 128]  # (b, Q)
        delta = th[:, None, :] - anchors[None]  # (b, M, Q)
        mean = 1.0 + np.einsum("bmq,mq->bm", delta, t) / n
        square = np.einsum("bmq,mqr,bmr->bm", delta, S, delta) / n
        variance = np.maximum(square - (mean - 1.0) ** 2, 0.0)
        spread = np.sqrt(n * variance)  # |lambda_i - mean| <= ||A_m^{-1}A - mean I||_F
        a = mean - spread
        b = mean + spread
        if psd:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = th[:, None, :] / np.where(positive, anchors, 1.0)[None]
            zero_lo = np.where(th[:, None, :] >= 0, np.inf, -np.inf)
            zero_hi = np.where(th[:, None, :] > 0, np.inf, -np.inf)
            a = np.maximum(a, np.where(positive[None], ratio, zero_lo).min(axis=2))
            b = np.minimum(b, np.where(positive[None], ratio, zero_hi).max(axis=2))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ok = (mean > 0) & (a > 0)
            log_mean = np.log(np.where(mean > 0, mean, 1.0))
            # lower: masses at a and at x = mean + variance / (mean - a)
            d = np.maximum(mean - a, tiny)
            p = variance / (variance + d**2)
            x = mean + variance / d
            low = p * np.log(np.where(a > 0, a, 1.0)) + (1.0 - p) * np.log(np.where(x > 0, x, 1.0))
            low = np.where(variance > 0, np.minimum(low, log_mean), log_mean)
            low = np.where(ok, values[None] + n * low, -np.inf)
            # upper: masses at y = mean - variance / (b - mean) and at b (Jensen if b = inf)
            e = np.maximum(b - mean, tiny)
            q = np.where(np.isfinite(b), variance / (variance + e**2), 0.0)
            y = mean - variance / e
            up = q * np.log(np.where(np.isfinite(b) & (b > 0), b, 1.0)) + (1.0 - q) * np.log(
                np.where(y > 0, y, 1.0)
            )
            up = np.where((variance > 0) & (y > 0), np.minimum(up, log_mean), log_mean)
            up = np.where(mean > 0, values[None] + n * up, np.inf)
        upper[start : start + 128] = (up + slack[None]).min(axis=1)
        lower[start : start + 128] = (low - slack[None]).max(axis=1)
    return lower, upper
