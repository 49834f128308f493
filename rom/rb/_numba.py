"""Numba kernel of the online stage: assemble, solve and bound, one parameter per iteration.

For each parameter the reduced matrix is assembled, factorised (LU with partial
pivoting) and solved, and the dual norm of the residual evaluated, all in registers
and small per-iteration buffers: nothing of size (k, N, N) is ever formed, so a
vectorised query over 1e5 parameters streams through the cache. Real data only
(complex models use the numpy path).
"""

from __future__ import annotations

import numba
import numpy as np

from rom.backend import register_kernel_cache

register_kernel_cache()  # compiled kernels are cached outside the package

# reassociation lets the inner products vectorise; it changes no accuracy guarantee
# (each sum keeps an error of eps times the sum of absolute values)
_FAST = {"reassoc", "contract"}


@numba.njit(inline="always", fastmath=_FAST, cache=True)
def _one(i, tA, tf, AN, fN, E, classical, out_a, out_r):  # pragma: no cover
    Q = tA.shape[1]
    Qf = tf.shape[1]
    N = AN.shape[1]
    K = Qf + Q * N
    A = np.zeros((N, N))
    b = np.zeros(N)
    for q in range(Q):
        t = tA[i, q]
        for r in range(N):
            for s in range(N):
                A[r, s] += t * AN[q, r, s]
    for q in range(Qf):
        t = tf[i, q]
        for r in range(N):
            b[r] += t * fN[q, r]
    # LU with partial pivoting, in place
    for col in range(N):
        p = col
        big = abs(A[col, col])
        for r in range(col + 1, N):
            if abs(A[r, col]) > big:
                big = abs(A[r, col])
                p = r
        if p != col:
            for s in range(N):
                A[col, s], A[p, s] = A[p, s], A[col, s]
            b[col], b[p] = b[p], b[col]
        piv = A[col, col]
        for r in range(col + 1, N):
            m = A[r, col] / piv
            A[r, col] = m
            for s in range(col + 1, N):
                A[r, s] -= m * A[col, s]
            b[r] -= m * b[col]
    for r in range(N - 1, -1, -1):
        acc = b[r]
        for s in range(r + 1, N):
            acc -= A[r, s] * b[s]
        b[r] = acc / A[r, r]
    for r in range(N):
        out_a[i, r] = b[r]
    # residual coefficients: [theta_f, -a_n theta_A_q (n-major)]
    c = np.empty(K)
    for q in range(Qf):
        c[q] = tf[i, q]
    for n in range(N):
        for q in range(Q):
            c[Qf + n * Q + q] = -b[n] * tA[i, q]
    acc = 0.0
    if classical:
        for r in range(K):
            row = 0.0
            for s in range(K):
                row += E[r, s] * c[s]
            acc += c[r] * row
        out_r[i] = np.sqrt(acc) if acc > 0 else 0.0
    else:
        for r in range(E.shape[0]):
            row = 0.0
            for s in range(K):
                row += E[r, s] * c[s]
            acc += row * row
        out_r[i] = np.sqrt(acc)


@numba.njit(parallel=True, cache=True, fastmath=_FAST)
def _parallel(tA, tf, AN, fN, E, classical, out_a, out_r):  # pragma: no cover
    for i in numba.prange(tA.shape[0]):
        _one(i, tA, tf, AN, fN, E, classical, out_a, out_r)


@numba.njit(cache=True, fastmath=_FAST)
def _serial(tA, tf, AN, fN, E, classical, out_a, out_r):  # pragma: no cover
    for i in range(tA.shape[0]):
        _one(i, tA, tf, AN, fN, E, classical, out_a, out_r)


def solve_and_residual(tA, tf, AN, fN, E, classical, out_a, out_r):
    """Dispatch: one thread for a few parameters (no pool start-up), all threads otherwise."""
    kernel = _parallel if len(tA) >= 64 else _serial
    kernel(tA, tf, AN, fN, E, classical, out_a, out_r)


@numba.njit(cache=True, fastmath=_FAST)
def _linear_thetas(mus, MA, oA, Mf, of, tA, tf):  # pragma: no cover
    for i in range(mus.shape[0]):
        for q in range(MA.shape[0]):
            t = oA[q]
            for j in range(mus.shape[1]):
                t += MA[q, j] * mus[i, j]
            tA[i, q] = t
        for q in range(Mf.shape[0]):
            t = of[q]
            for j in range(mus.shape[1]):
                t += Mf[q, j] * mus[i, j]
            tf[i, q] = t


@numba.njit(cache=True, fastmath=_FAST)
def _min_theta(tA, ref, alpha_ref, alpha):  # pragma: no cover
    """``alpha_ref * min_q tA / ref``; False if a coefficient is not positive."""
    ok = True
    for i in range(tA.shape[0]):
        m = np.inf
        for q in range(tA.shape[1]):
            t = tA[i, q]
            if not t > 0:
                ok = False
            v = t / ref[q]
            if v < m:
                m = v
        alpha[i] = alpha_ref * m
    return ok


@numba.njit(cache=True, fastmath=_FAST)
def _fused_serial(mus, MA, oA, Mf, of, AN, fN, E, classical, a, r, tA, tf):  # pragma: no cover
    _linear_thetas(mus, MA, oA, Mf, of, tA, tf)
    for i in range(mus.shape[0]):
        _one(i, tA, tf, AN, fN, E, classical, a, r)


@numba.njit(parallel=True, cache=True, fastmath=_FAST)
def _fused_parallel(mus, MA, oA, Mf, of, AN, fN, E, classical, a, r, tA, tf):  # pragma: no cover
    _linear_thetas(mus, MA, oA, Mf, of, tA, tf)
    for i in numba.prange(mus.shape[0]):
        _one(i, tA, tf, AN, fN, E, classical, a, r)


def fused_linear(mus, MA, oA, Mf, of, AN, fN, E, classical, min_theta=None):
    """Affine coefficients ``M mu + o`` of operator and right-hand side, then as
    :func:`solve_and_residual`, and the min-theta bound ``(theta_ref, alpha_ref)``
    when given: the whole online query in compiled code.

    Returns ``(a, r, tA, alpha)``; ``alpha`` is None without ``min_theta``, and NaN
    where a coefficient is not positive (the caller raises).
    """
    k = mus.shape[0]
    a = np.empty((k, AN.shape[1]))
    r = np.empty(k)
    tA = np.empty((k, MA.shape[0]))
    tf = np.empty((k, Mf.shape[0]))
    kernel = _fused_parallel if k >= 64 else _fused_serial
    kernel(mus, MA, oA, Mf, of, AN, fN, E, classical, a, r, tA, tf)
    alpha = None
    if min_theta is not None:
        alpha = np.empty(k)
        if not _min_theta(tA, min_theta[0], float(min_theta[1]), alpha):
            alpha = None
    return a, r, tA, alpha
