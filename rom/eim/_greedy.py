"""The elimination engine shared by EIM, GEIM and DEIM.

Every member of the family is Gaussian elimination on a snapshot (or basis) matrix:
pick a column, pick a pivot row in it, subtract the rank-one term that zeroes that row
and that column. The new basis function is the pivot column scaled to 1 at its pivot,
so its values at the previously selected points are exactly 0 and the interpolation
matrix (basis at the points) is unit lower triangular by construction: interpolating
is a forward substitution, never a solve with the ill-conditioned matrix of raw
snapshot values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rom.backend import array_namespace, scipy_linalg
from rom.linalg.inner import column_norms

LINF, L2, L1 = 0, 1, 2
NORMS = {"linf": LINF, "l2": L2, "l1": L1}


def norm_code(norm: Any, inner: Any) -> int | Callable:
    if callable(norm):
        return norm
    if not isinstance(norm, str) or norm not in NORMS:
        raise ValueError(f"norm: expected 'linf', 'l2', 'l1' or a callable, got {norm!r}")
    if inner is not None and norm != "l2":
        raise ValueError(f"inner: a weighted inner product needs norm='l2', got norm={norm!r}")
    return NORMS[norm]


class Residual:
    """The residual matrix with one fused update-and-measure step per greedy iteration.

    ``backend`` is "numba" (fused kernel on a Fortran-ordered copy), "numpy" or "cupy"
    (array expressions, the reference). ``norms`` holds the norm of every column in
    ``kind``; the greedy picks its pivot row in the chosen column itself.
    """

    def __init__(self, S: Any, kind: int | Callable, inner: Any, backend: str, xp: Any) -> None:
        self.kind = kind
        self.inner = inner
        self.xp = xp
        self.use_numba = backend == "numba"
        if self.use_numba:
            self.R = np.array(S, order="F", dtype=np.result_type(S.dtype, np.float64))
        else:
            self.R = xp.array(S, copy=True)
        self.norms = self._update_and_measure(None, None)

    def _update_and_measure(self, q, w):
        xp = self.xp
        builtin = not callable(self.kind) and self.inner is None
        if self.use_numba:
            from rom.eim import _numba

            norms = _numba.step(self.R, q, w, self.kind if builtin else LINF)
            if builtin:
                return norms
        elif q is not None:
            self.R -= q[:, None] * w[None, :]
        if builtin:
            A = xp.abs(self.R)
            if self.kind == LINF:
                return xp.max(A, axis=0)
            if self.kind == L1:
                return xp.sum(A, axis=0)
            return xp.sqrt(xp.sum(A * A, axis=0))
        if callable(self.kind):
            norms = xp.asarray(self.kind(self.R))
            if norms.shape != (self.R.shape[1],):
                raise ValueError(
                    f"norm: the callable must return one norm per column, shape "
                    f"({self.R.shape[1]},); got {tuple(norms.shape)}"
                )
            if not bool(xp.isfinite(norms).all()) or bool((norms < 0).any()):
                raise ValueError("norm: the callable returned negative, NaN or inf norms")
            return norms
        return column_norms(self.R, self.inner)

    def column(self, j: int) -> Any:
        return self.xp.asarray(self.R[:, j]).copy()

    def row(self, i: int) -> Any:
        return self.xp.asarray(self.R[i, :]).copy()

    def eliminate(self, q: Any, w: Any, j: int) -> None:
        """``R <- R - q w^T`` (``w = R[i*, :]`` for EIM) and re-measure.

        Column ``j`` (the selected parameter) is exactly zero in exact arithmetic; it is
        set to zero rather than left at round-off, so that the parameter-side factors
        stay exactly triangular.
        """
        w = w.copy()
        w[j] = 0
        self.R[:, j] = 0
        self.norms = self._update_and_measure(q, w)


def max_abs(S: Any) -> float:
    """``max |S|``; for a real array without the temporary ``|S|`` (snapshot matrices
    can be large)."""
    xp = array_namespace(S)
    if S.size == 0:
        return 0.0
    if S.dtype.kind == "f":
        return float(max(xp.max(S), -xp.min(S)))
    return float(xp.max(xp.abs(S)))


def first_argmax(values: Any, tie: float = 0.0) -> int:
    """Index of the largest entry; among entries within ``tie`` of it, the first one.

    Symmetric problems have exact ties in exact arithmetic that round-off breaks one
    way or the other; counting entries within the round-off of the elimination as
    equal makes the choice the one of exact arithmetic (the lowest index).
    """
    i = int(values.argmax())
    if tie > 0:
        top = float(values[i])
        # near round-off the tolerance would swallow everything: keep it below 1 %
        i = int((values >= top - min(tie, 1e-2 * top)).argmax())
    return i


def unit_lower_solve(L: Any, b: Any, xp: Any, *, transpose: bool = False) -> Any:
    """Solve ``L x = b`` (or ``L^T x = b``) with ``L`` unit lower triangular."""
    solve_triangular = scipy_linalg(xp).solve_triangular
    return solve_triangular(L, b, lower=True, unit_diagonal=True, trans="T" if transpose else "N")


def lebesgue_constant(basis: Any, B: Any, xp: Any) -> float:
    """``max_x sum_m |l_m(x)|`` with the Lagrange functions ``l = basis B^{-1}``."""
    lagrange_t = unit_lower_solve(B, basis.T, xp, transpose=True)
    return float(xp.max(xp.sum(xp.abs(lagrange_t), axis=0)))
