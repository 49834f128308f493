"""Numba kernels of the empirical interpolation greedy.

One EIM step is a rank-one update of the residual, ``R <- R - q w^T``, followed by the
norm of every column. The kernel takes one column per thread iteration (``R`` is
column-major): it updates the column, then measures it while it is still in cache.
Each step costs one read and one write of the residual from memory; the inner loops
carry no branch, so they vectorise. Compiled on first use, cached on disk.
"""

from __future__ import annotations

import numba
import numpy as np

from rom.backend import register_kernel_cache

register_kernel_cache()  # compiled kernels are cached outside the package

# norm codes shared with rom.eim._greedy
LINF, L2, L1 = 0, 1, 2

# reassociation lets the reductions vectorise (max is exact in any order; the sums
# keep an error of eps times the sum of absolute values)
_FAST = {"reassoc", "contract", "nsz"}


@numba.njit(inline="always", fastmath=_FAST)
def _pass(R, q, a, j, kind):  # pragma: no cover - compiled
    """One column: update (when ``a != 0``) and measure in the same sweep."""
    n = R.shape[0]
    acc = 0.0
    if kind == LINF:
        if a != 0:
            for i in range(n):
                v = R[i, j] - q[i] * a
                R[i, j] = v
                acc = max(acc, abs(v))
        else:
            for i in range(n):
                acc = max(acc, abs(R[i, j]))
        return acc
    if kind == L2:
        if a != 0:
            for i in range(n):
                v = R[i, j] - q[i] * a
                R[i, j] = v
                av = abs(v)
                acc += av * av
        else:
            for i in range(n):
                av = abs(R[i, j])
                acc += av * av
        return np.sqrt(acc)
    if a != 0:
        for i in range(n):
            v = R[i, j] - q[i] * a
            R[i, j] = v
            acc += abs(v)
    else:
        for i in range(n):
            acc += abs(R[i, j])
    return acc


@numba.njit(parallel=True, cache=True, fastmath=_FAST)
def update_and_measure(R, q, w, kind, norms):  # pragma: no cover - compiled
    """``R[:, j] -= q * w[j]`` (skipped where ``w[j] == 0``), then the norm of each column."""
    for j in numba.prange(R.shape[1]):
        norms[j] = _pass(R, q, w[j], j, kind)


# the bits of a non-negative double, read as an int64, are ordered as the doubles are
_ABS_BITS = np.int64(0x7FFFFFFFFFFFFFFF)


@numba.njit(parallel=True, cache=True, fastmath=_FAST)
def update_and_measure_linf(R, Rbits, q, w, norm_bits):  # pragma: no cover - compiled
    """The real max-norm step: ``R[:, j] -= q * w[j]``, then ``max |R[:, j]|`` as the
    largest of the entries' bits with the sign cleared (``Rbits``: ``R`` viewed as
    int64). Integer maxima vectorise where floating-point ones (with their NaN rules)
    do not; the result is the same bit for bit."""
    n = R.shape[0]
    for j in numba.prange(R.shape[1]):
        a = w[j]
        if a != 0:
            for i in range(n):
                R[i, j] = R[i, j] - q[i] * a
        top = np.int64(0)
        for i in range(n):
            b = Rbits[i, j] & _ABS_BITS
            top = b if b > top else top
        norm_bits[j] = top


# the squared moduli's maximum may be taken in any order and without NaN rules (the
# residual is finite), which lets it vectorise with the update in one pass
_FAST_MAX = _FAST | {"nnan"}
# squared moduli stay normal doubles in between (else the column is measured again)
_SQ_LOW, _SQ_HIGH = 1e-290, 1e290


@numba.njit(parallel=True, cache=True, fastmath=_FAST_MAX)
def update_and_measure_linf_complex(R, q, w, norms):  # pragma: no cover - compiled
    """The complex max-norm step: ``R[:, j] -= q * w[j]`` and ``max |R[:, j]|`` in one
    pass, as the square root of the largest ``re^2 + im^2`` (no ``hypot`` per entry).
    Columns whose squares would leave the normal range are measured again with
    ``abs``."""
    n = R.shape[0]
    for j in numba.prange(R.shape[1]):
        a = w[j]
        top = 0.0
        if a != 0:
            for i in range(n):
                v = R[i, j] - q[i] * a
                R[i, j] = v
                top = max(top, v.real * v.real + v.imag * v.imag)
        else:
            for i in range(n):
                v = R[i, j]
                top = max(top, v.real * v.real + v.imag * v.imag)
        if _SQ_LOW < top < _SQ_HIGH:
            norms[j] = np.sqrt(top)
        else:  # zero, or squares out of range: measure again (zero columns stay cheap)
            top = 0.0
            for i in range(n):
                if R[i, j] != 0:
                    top = max(top, abs(R[i, j]))
            norms[j] = top


def step(R: np.ndarray, q: np.ndarray | None, w: np.ndarray | None, kind: int) -> np.ndarray:
    """Run one fused step (``q``, ``w`` None: measure only); returns the column norms."""
    n, p = R.shape
    norms = np.empty(p)
    if q is None:
        q = np.zeros(n, dtype=R.dtype)
        w = np.zeros(p, dtype=R.dtype)
    dtype = np.result_type(R.dtype, q.dtype, w.dtype)
    if dtype != R.dtype:
        raise TypeError("a complex update of a real residual")
    q, w = q.astype(dtype, copy=False), w.astype(dtype, copy=False)
    if kind == LINF and dtype == np.float64 and R.flags.f_contiguous:
        update_and_measure_linf(R, R.view(np.int64), q, w, norms.view(np.int64))
    elif kind == LINF and dtype == np.complex128:
        update_and_measure_linf_complex(R, q, w, norms)
    else:
        update_and_measure(R, q, w, kind, norms)
    return norms
