"""Numba kernels of the empirical interpolation greedy.

One EIM step is a rank-one update of the residual, ``R <- R - q R[i*, :]``, followed by
the norm of every column and the position of its largest entry. The kernel fuses the
three into one pass over ``R`` (column-major, one column per thread iteration), so a
step costs one read and one write of the residual: the step runs at memory bandwidth.
Compiled on first use, cached on disk.
"""

from __future__ import annotations

import numba
import numpy as np

# norm codes shared with rom.eim.eim
LINF, L2, L1 = 0, 1, 2


@numba.njit(parallel=True, cache=True, fastmath=False)
def update_and_measure(R, q, w, kind, norms, argrows):  # pragma: no cover - compiled
    """``R[:, j] -= q * w[j]`` then norms and arg-max rows, column by column.

    ``R`` is Fortran-ordered (n, p); columns with ``w[j] == 0`` are only measured.
    """
    n, p = R.shape
    for j in numba.prange(p):
        a = w[j]
        best = 0.0
        arg = 0
        acc = 0.0
        if a != 0:
            for i in range(n):
                v = R[i, j] - q[i] * a
                R[i, j] = v
                av = abs(v)
                if av > best:
                    best = av
                    arg = i
                if kind == L2:
                    acc += av * av
                elif kind == L1:
                    acc += av
        else:
            for i in range(n):
                av = abs(R[i, j])
                if av > best:
                    best = av
                    arg = i
                if kind == L2:
                    acc += av * av
                elif kind == L1:
                    acc += av
        if kind == LINF:
            norms[j] = best
        elif kind == L2:
            norms[j] = np.sqrt(acc)
        else:
            norms[j] = acc
        argrows[j] = arg


def step(R: np.ndarray, q: np.ndarray | None, w: np.ndarray | None, kind: int):
    """Run one fused step (``q``, ``w`` None: measure only); returns (norms, argrows)."""
    n, p = R.shape
    norms = np.empty(p)
    argrows = np.empty(p, dtype=np.int64)
    if q is None:
        q = np.zeros(n, dtype=R.dtype)
        w = np.zeros(p, dtype=R.dtype)
    dtype = np.result_type(R.dtype, q.dtype, w.dtype)
    if dtype != R.dtype:
        raise TypeError("a complex update of a real residual")
    update_and_measure(
        R, q.astype(dtype, copy=False), w.astype(dtype, copy=False), kind, norms, argrows
    )
    return norms, argrows
