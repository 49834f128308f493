"""Numba kernels of the online stage: assemble, solve and bound.

A few parameters (``_one``): for each, the reduced matrix is assembled, factorised
(LU with partial pivoting) and solved, and the dual norm of the residual evaluated,
all in small per-iteration buffers. Many parameters (``_block``): blocks of
``BLOCK`` parameters at once, the parameter the innermost index, so that the
assembly and the residual are small matrix products (BLAS, one thread per numba
thread) and the elimination runs in SIMD lanes across the block. Nothing of size
(k, N, N) is ever formed, so a vectorised query over 1e5 parameters streams through
the cache. Real data only (complex models use the numpy path).

Work per parameter (Q operator terms, Qf right-hand side terms, K = Qf + Q N,
R <= K rows of the accurate estimator's matrix): assembly 2 Q N^2 flops, LU
2 N^3 / 3, the two triangular solves 2 N^2, residual 2 R K; at the 2 x 2 thermal
block's N = 31, Q = 5, R = 125: 9.6k + 19.9k + 1.9k + 39k, about 70k flops.
"""

from __future__ import annotations

import numba
import numpy as np

from rom.backend import blas_threads, register_kernel_cache

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


#: parameters per block of the batched kernel: the (N, N, BLOCK) matrices of a block
#: stay in L2 and its (K, BLOCK) residual coefficients in L1 at N ~ 30
BLOCK = 16


@numba.njit(inline="always", fastmath=_FAST, cache=True)
def _block(i0, tA, tf, AN, fN, E, classical, out_a, out_r, AN2, fN2):  # pragma: no cover
    """``_one`` for the parameters ``i0 .. i0 + BLOCK - 1`` at once, the parameter the
    innermost (SIMD) index: assembly, LU without pivoting, residual norm.

    Without pivoting the elimination is that of Gaussian elimination of a matrix with a
    positive definite Hermitian part (a coercive Galerkin matrix), where every pivot is
    at least the smallest eigenvalue of that part; a parameter whose pivots are not all
    positive and above 1e-6 times the largest diagonal entry (a growth of the
    elimination of at most about 1e6) is solved again by
    ``_one`` (partial pivoting).
    """
    Q = tA.shape[1]
    Qf = tf.shape[1]
    N = AN.shape[1]
    K = Qf + Q * N
    B = BLOCK
    T = np.empty((Q, B))
    Tf = np.empty((Qf, B))
    for j in range(B):
        for q in range(Q):
            T[q, j] = tA[i0 + j, q]
        for q in range(Qf):
            Tf[q, j] = tf[i0 + j, q]
    A = np.dot(AN2, T).reshape((N, N, B))  # AN2 = AN.reshape(Q, N * N).T, contiguous
    b = np.dot(fN2, Tf)
    scale = np.zeros(B)
    for r in range(N):
        for j in range(B):
            scale[j] = max(scale[j], abs(A[r, r, j]))
    ok = np.ones(B, dtype=np.bool_)
    inv = np.empty(B)
    m = np.empty(B)
    for col in range(N):
        for j in range(B):
            piv = A[col, col, j]
            if not piv > 1e-6 * scale[j]:
                ok[j] = False
                piv = 1.0
            inv[j] = 1.0 / piv
        for r in range(col + 1, N):
            for j in range(B):
                m[j] = A[r, col, j] * inv[j]
            for s in range(col + 1, N):
                for j in range(B):
                    A[r, s, j] -= m[j] * A[col, s, j]
            for j in range(B):
                b[r, j] -= m[j] * b[col, j]
        for j in range(B):
            A[col, col, j] = inv[j]  # kept for the back substitution
    for r in range(N - 1, -1, -1):
        for s in range(r + 1, N):
            for j in range(B):
                b[r, j] -= A[r, s, j] * b[s, j]
        for j in range(B):
            b[r, j] *= A[r, r, j]
    # residual coefficients [theta_f, -a_n theta_A_q (n-major)], parameter innermost
    c = np.empty((K, B))
    for q in range(Qf):
        for j in range(B):
            c[q, j] = Tf[q, j]
    for n in range(N):
        for q in range(Q):
            for j in range(B):
                c[Qf + n * Q + q, j] = -b[n, j] * T[q, j]
    acc = np.zeros(B)
    if classical:
        W = np.dot(E, c)
        for r in range(K):
            for j in range(B):
                acc[j] += c[r, j] * W[r, j]
    else:
        W = np.dot(E, c)
        for r in range(E.shape[0]):
            for j in range(B):
                acc[j] += W[r, j] * W[r, j]
    for j in range(B):
        i = i0 + j
        if ok[j]:
            for n in range(N):
                out_a[i, n] = b[n, j]
            out_r[i] = np.sqrt(acc[j]) if acc[j] > 0 else 0.0
        else:
            _one(i, tA, tf, AN, fN, E, classical, out_a, out_r)


@numba.njit(parallel=True, cache=True, fastmath=_FAST)
def _parallel(tA, tf, AN, fN, E, classical, out_a, out_r):  # pragma: no cover
    k = tA.shape[0]
    AN2 = np.ascontiguousarray(AN.reshape((AN.shape[0], -1)).T)
    fN2 = np.ascontiguousarray(fN.T)
    blocks = k // BLOCK
    for i in numba.prange(blocks):
        _block(i * BLOCK, tA, tf, AN, fN, E, classical, out_a, out_r, AN2, fN2)
    for i in range(blocks * BLOCK, k):
        _one(i, tA, tf, AN, fN, E, classical, out_a, out_r)


@numba.njit(cache=True, fastmath=_FAST)
def _serial(tA, tf, AN, fN, E, classical, out_a, out_r):  # pragma: no cover
    for i in range(tA.shape[0]):
        _one(i, tA, tf, AN, fN, E, classical, out_a, out_r)


def solve_and_residual(tA, tf, AN, fN, E, classical, out_a, out_r):
    """Dispatch: one thread for a few parameters (no pool start-up), all threads otherwise."""
    if len(tA) < 64:
        _serial(tA, tf, AN, fN, E, classical, out_a, out_r)
        return
    with blas_threads(1):  # the blocks' small products, one per numba thread
        _parallel(tA, tf, np.ascontiguousarray(AN), fN, E, classical, out_a, out_r)


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
    k = mus.shape[0]
    AN2 = np.ascontiguousarray(AN.reshape((AN.shape[0], -1)).T)
    fN2 = np.ascontiguousarray(fN.T)
    blocks = k // BLOCK
    for i in numba.prange(blocks):
        _block(i * BLOCK, tA, tf, AN, fN, E, classical, a, r, AN2, fN2)
    for i in range(blocks * BLOCK, k):
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
    if k < 64:
        _fused_serial(mus, MA, oA, Mf, of, AN, fN, E, classical, a, r, tA, tf)
    else:
        with blas_threads(1):  # the blocks' small products, one per numba thread
            _fused_parallel(
                mus, MA, oA, Mf, of, np.ascontiguousarray(AN), fN, E, classical, a, r, tA, tf
            )
    alpha = None
    if min_theta is not None:
        alpha = np.empty(k)
        if not _min_theta(tA, min_theta[0], float(min_theta[1]), alpha):
            alpha = None
    return a, r, tA, alpha
