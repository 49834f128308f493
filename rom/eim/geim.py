"""Generalised empirical interpolation: linear functionals instead of point values."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from rom._progress import progress_bar
from rom.backend import array_namespace, resolve_backend, to_numpy
from rom.eim._base import Interpolator, check_bool, check_indices
from rom.eim._greedy import Residual, first_argmax, norm_code
from rom.validation import check_array, check_inner, check_positive_int, check_tolerance

__all__ = ["GEIM"]

logger = logging.getLogger("rom.eim")


class GEIM(Interpolator):
    r"""Generalised EIM (Maday and Mula): interpolation by linear functionals.

    The "points" are linear functionals :math:`\sigma_i(u) = (L u)_i`, given as the rows
    of ``functionals`` (for example local averages over sensor footprints). The
    greedy takes the parameter whose residual is largest in ``norm``, then the
    functional of largest absolute value on that residual; the new basis function is
    the residual divided by that value. The matrix :math:`\sigma_k(q_m)` is unit lower
    triangular. With ``functionals`` the identity, this is the EIM. Real and complex
    snapshots and functionals.

    Parameters
    ----------
    functionals : array or sparse matrix, shape (n_functionals, n)
    tol : float, optional
        Stop when the largest residual norm of the fields over the training columns, in
        ``norm`` (``errors_[m]``), is at most ``tol`` (times the first one, ``errors_[0]``,
        when ``relative``).
    max_terms : int, optional
        Maximum number of terms ``M``.
    norm : {"linf", "l2", "l1"} or callable
        Norm of the fields in which the parameter is selected, as in
        :class:`rom.eim.EIM`.
    inner : None or (n, n) Hermitian positive definite matrix
        Weighted inner product for ``norm="l2"``.
    relative : bool
        Whether ``tol`` is relative to the first residual norm.
    backend : {"auto", "numpy", "numba", "cupy"}

    Attributes
    ----------
    functionals_ : ndarray of int, shape (M,)
        Selected functionals (rows of ``functionals``), in order.
    params_ : ndarray of int, shape (M,)
    basis_ : array, shape (n, M)
    interpolation_matrix_ : array, shape (M, M)
        ``(functionals @ basis_)[functionals_]``, unit lower triangular.
    errors_ : ndarray, shape (M + 1,)
        Largest residual norm with 0, 1, ..., M terms.
    n_terms_ : int
        ``M``.
    stop_reason_ : str
        "tol", "max_terms", "exhausted" (the residual vanished, or every functional or
        parameter is selected) or "degenerate" (the functionals no longer see a
        residual that is not at round-off: a warning says so).
    functionals_matrix_ : array or sparse matrix
        ``functionals`` as used (sparse in CSR format).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.eim import GEIM
    >>> x = np.linspace(0, 1, 120)
    >>> S = np.exp(-np.linspace(1, 3, 40)[None, :] * x[:, None])
    >>> L = np.kron(np.eye(30), np.full(4, 0.25))  # 30 sensors averaging 4 points
    >>> geim = GEIM(L, tol=1e-8).fit(S)
    >>> bool(np.abs(geim.approximate(S) - S).max() < 1e-6)
    True
    """

    def __init__(
        self,
        functionals: Any,
        tol: float | None = None,
        max_terms: int | None = None,
        norm: str | Callable = "linf",
        inner: Any = None,
        relative: bool = True,
        backend: str = "auto",
    ) -> None:
        self.functionals = functionals
        self.tol = tol
        self.max_terms = max_terms
        self.norm = norm
        self.inner = inner
        self.relative = relative
        self.backend = backend

    def _check_functionals(self, n: int) -> Any:
        L = self.functionals
        if hasattr(L, "tocsr") and hasattr(L, "nnz"):
            L = L.tocsr()
            if L.data.size and not np.isfinite(L.data).all():
                raise ValueError("functionals: contains NaN or inf")
        else:
            L = check_array(L, "functionals", ndim=2)
        if L.shape[1] != n:
            raise ValueError(
                f"functionals: expected {n} columns (one per dof of the snapshots), got "
                f"shape {L.shape}"
            )
        return L

    def fit(self, S: Any, *, progress: bool | None = None) -> GEIM:
        """Run the greedy on the snapshot matrix ``S`` (n, n_params).

        Parameters
        ----------
        S : array, shape (n, n_params)
            Snapshots are columns.
        progress : bool, optional
            Show a progress bar (by default on a terminal only).

        Returns
        -------
        self
        """
        tol = check_tolerance(self.tol, "tol")
        max_terms = check_positive_int(self.max_terms, "max_terms")
        check_bool(self.relative, "relative")
        backend = resolve_backend(self.backend, S if hasattr(S, "shape") else None)
        S = check_array(S, "S", ndim=2)
        xp = array_namespace(S)
        n, p = S.shape
        L = self._check_functionals(n)
        inner = check_inner(self.inner, n)
        kind = norm_code(self.norm, inner)
        V = xp.asarray(L @ S)  # functional values of the residual, (n_f, p)
        scale = float(xp.max(xp.abs(V)))
        if scale == 0.0 or float(xp.max(xp.abs(S))) == 0.0:
            raise ValueError("S: the snapshots (or all their functional values) are zero")
        floor = 10 * float(np.finfo(S.dtype).eps) * scale  # as in EIM
        res = Residual(S, kind, inner, backend, xp)
        total = None if max_terms is None else min(max_terms, L.shape[0], p)
        with progress_bar(progress, total, "GEIM", unit="term") as bar:
            self._greedy(res, S, V, L, xp, tol, max_terms, kind, scale, floor, bar)
        return self

    def _greedy(self, res, S, V, L, xp, tol, max_terms, kind, scale, floor, bar):
        n, p = S.shape
        chosen, params, columns, images, errors = [], [], [], [], []
        reason = None
        target = None
        eps = float(np.finfo(S.dtype).eps)
        while True:
            m = len(chosen)
            tie = 8 * (m + 1) * eps * scale  # as in EIM: exact-arithmetic ties
            j = first_argmax(res.norms, tie * (1 if kind == 0 else n))
            err = float(res.norms[j])
            errors.append(err)
            if target is None and tol is not None:
                target = tol * err if self.relative else tol
            if target is not None and err <= target:
                reason = "tol"
            elif max_terms is not None and m == max_terms:
                reason = "max_terms"
            elif m == min(L.shape[0], p):
                reason = "exhausted"
            if reason is not None:
                break
            i = first_argmax(xp.abs(V[:, j]), tie)
            pivot = V[i, j]
            if abs(complex(pivot)) <= floor:
                reason = "exhausted" if err <= 100 * np.finfo(float).eps * scale else "degenerate"
                if tol is not None or max_terms is not None:
                    warnings.warn(
                        f"GEIM: stopped after {m} terms ({reason}: the functionals no longer "
                        "see the residual)",
                        RuntimeWarning,
                        stacklevel=3,
                    )
                break
            q = res.column(j) / pivot
            Lq = V[:, j] / pivot
            w = V[i, :].copy()
            columns.append(q)
            images.append(Lq)
            chosen.append(i)
            params.append(j)
            res.eliminate(q, w, j)
            V -= Lq[:, None] * w[None, :]
            V[:, j] = 0  # exactly zero in exact arithmetic, like the field residual
            bar.update(1)
            logger.debug("GEIM step %d: param %d, functional %d, error %.3e", m + 1, j, i, err)
        self.functionals_ = np.asarray(chosen, dtype=np.int64)
        self.params_ = np.asarray(params, dtype=np.int64)
        self.basis_ = xp.stack(columns, axis=1) if columns else xp.zeros((n, 0), dtype=S.dtype)
        # the tracked functional values of the basis: exactly unit lower triangular
        images = xp.stack(images, axis=1) if images else xp.zeros((L.shape[0], 0), S.dtype)
        self.interpolation_matrix_ = images[self.functionals_]
        self.errors_ = np.asarray(errors)
        self.stop_reason_ = reason
        self.functionals_matrix_ = L

    def _restore(self) -> None:
        """After :func:`rom.load`: the selected functionals in range, the interpolation
        matrix unit lower triangular (a file is untrusted input)."""
        super()._restore()
        if not self._is_fitted():
            return
        n, M = self.basis_.shape
        L = self.functionals_matrix_
        if hasattr(L, "tocsr") and hasattr(L, "nnz"):
            if L.shape[1] != n or (L.nnz and not np.isfinite(L.data).all()):
                raise ValueError(f"functionals_matrix_: expected {n} finite columns")
        else:
            L = check_array(L, "functionals_matrix_", shape=(None, n))
        self.functionals_matrix_ = L
        self.functionals_ = check_indices(self.functionals_, "functionals_", L.shape[0], length=M)
        self.params_ = check_indices(self.params_, "params_", np.iinfo(np.int64).max, length=M)
        B = to_numpy(self.interpolation_matrix_)
        if not (np.all(np.diag(B) == 1) and not np.triu(B, 1).any()):
            raise ValueError("interpolation_matrix_: expected a unit lower triangular matrix")

    def measure(self, S: Any) -> Any:
        """Values of the selected functionals on the columns of ``S``: shape (M,) or (M, k).

        Parameters
        ----------
        S : array, shape (n,) or (n, k)
            The functions (columns).
        """
        self._check_fitted()
        S = check_array(S, "S", ndim=(1, 2))
        if S.shape[0] != self.basis_.shape[0]:
            raise ValueError(f"S: expected {self.basis_.shape[0]} rows, got {S.shape[0]}")
        rows = self.functionals_matrix_[self.functionals_]
        return rows @ S

    def approximate(self, S: Any) -> Any:
        """Interpolant of each column of ``S`` from its selected functional values.

        Parameters
        ----------
        S : array, shape (n,) or (n, k)
            The functions to interpolate (columns).
        """
        return self.interpolate(self.measure(S))
