"""Discrete empirical interpolation (DEIM) and its QR-pivoted variant (Q-DEIM)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.backend import array_namespace, scipy_linalg, to_numpy
from rom.eim._base import Interpolator
from rom.eim._greedy import first_argmax
from rom.validation import check_array, check_positive_int, check_tolerance

__all__ = ["DEIM", "QDEIM"]


class _BasisInterpolator(Interpolator):
    """Interpolation with a basis ``U`` at selected rows: ``U (P^T U)^{-1} P^T f``."""

    def __init__(
        self,
        max_terms: int | None = None,
        tol: float | None = None,
        inner: Any = None,
        random_state: int | None = 0,
    ) -> None:
        self.max_terms = max_terms
        self.tol = tol
        self.inner = inner
        self.random_state = random_state

    def fit(self, S: Any) -> _BasisInterpolator:
        """Compute a POD basis of the snapshots ``S`` (n, k), then select its points.

        The POD keeps at most ``max_terms`` modes and, with ``tol``, the fewest modes
        whose relative projection error of ``S`` (Frobenius norm, in ``inner``) is at
        most ``tol`` (see :class:`rom.POD`).

        Parameters
        ----------
        S : array, shape (n, k)
            Snapshots (columns).

        Returns
        -------
        self
        """
        from rom.linalg import POD

        max_terms = check_positive_int(self.max_terms, "max_terms")
        tol = check_tolerance(self.tol, "tol", upper=1.0)
        S = check_array(S, "S", ndim=2)
        pod = POD(rank=max_terms, tol=tol, inner=self.inner, random_state=self.random_state)
        pod.fit(S)
        rank = pod.rank_
        self._select_points(pod.basis_)
        self.pod_ = pod
        if max_terms is not None and rank == max_terms:
            self.stop_reason_ = "max_terms"
        else:
            self.stop_reason_ = "tol" if tol is not None else "exhausted"
        return self

    @classmethod
    def from_basis(cls, U: Any, max_terms: int | None = None) -> _BasisInterpolator:
        """The interpolator of a given basis ``U`` (n, m), m <= n: only its points are selected.

        Parameters
        ----------
        U : array, shape (n, m)
            The basis; with orthonormal columns, ``error_constant_`` is the factor of
            the DEIM error bound.
        max_terms : int, optional
            Use only the first ``max_terms`` columns of ``U``.

        Returns
        -------
        DEIM or QDEIM
            Fitted, with ``pod_`` absent.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.eim import DEIM
        >>> U, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((50, 5)))
        >>> DEIM.from_basis(U, max_terms=3).points_.shape
        (3,)
        """
        obj = cls(max_terms=max_terms)
        max_terms = check_positive_int(max_terms, "max_terms")
        U = check_array(U, "U", ndim=2)
        n, m = U.shape
        if m > n:
            raise ValueError(f"U: expected at most as many columns as rows, got shape {U.shape}")
        truncated = max_terms is not None and max_terms <= m
        obj._select_points(U[:, :max_terms] if truncated else U)
        obj.stop_reason_ = "max_terms" if truncated else "exhausted"
        return obj

    def _select_points(self, U: Any) -> None:
        xp = array_namespace(U)
        points = self._select(U, xp)
        self.basis_ = U
        self.points_ = np.asarray(points, dtype=np.int64)
        self.interpolation_matrix_ = U[self.points_]
        s = xp.linalg.svd(self.interpolation_matrix_, compute_uv=False)
        self.error_constant_ = float(1.0 / s[-1]) if float(s[-1]) > 0 else np.inf
        self._restore()

    def _restore(self) -> None:
        super()._restore()
        self._check_selected_rows()
        xp = array_namespace(self.interpolation_matrix_)
        self._lu = scipy_linalg(xp).lu_factor(self.interpolation_matrix_)

    def _solve(self, values: Any, xp: Any) -> Any:
        """``(P^T U)^{-1} values`` by the LU factors of ``U[points_]``."""
        return scipy_linalg(xp).lu_solve(self._lu, values)


class DEIM(_BasisInterpolator):
    r"""Discrete empirical interpolation (Chaturantabut and Sorensen 2010).

    Points are chosen one basis vector at a time: the point where the residual of
    :math:`u_l` after interpolation by the first :math:`l-1` vectors is largest. The
    residuals come from the same rank-one eliminations as the EIM greedy (partial
    pivoting on the columns of ``U`` in their given order). Real and complex.

    ``DEIM(...).fit(S)`` takes snapshots and computes their POD basis first;
    :meth:`DEIM.from_basis(U) <from_basis>` selects the points of a basis you already
    have.

    For a (Euclidean) orthonormal ``U``, every ``f`` satisfies
    :math:`\|f - \mathbb{P} f\|_2 \le \|(P^T U)^{-1}\|_2 \, \|(I - U U^H) f\|_2`;
    ``error_constant_`` is that factor. With ``inner`` (:math:`M`) the POD basis is
    :math:`M`-orthonormal and the bound holds in the norm of :math:`M` with the factor
    ``error_constant_`` :math:`/\sqrt{\lambda_{\min}(M)}` (theory page, "DEIM").

    Parameters
    ----------
    max_terms : int, optional
        Largest number of basis vectors (and points).
    tol : float, optional
        Tolerance of the POD truncation of :meth:`fit`: the relative projection error
        of the snapshots in the Frobenius norm (in ``inner``), as in :class:`rom.POD`.
    inner : None or (n, n) Hermitian positive definite matrix, dense or sparse
        Inner product of the POD (for example a mass matrix).
    random_state : int, optional
        Seed of the POD's random start vectors, for reproducible points.

    Attributes
    ----------
    points_ : ndarray of int, shape (m,)
    basis_ : array, shape (n, m)
    interpolation_matrix_ : array, shape (m, m)
        ``basis_[points_]``.
    error_constant_ : float
        :math:`\|(P^T U)^{-1}\|_2`.
    n_terms_ : int
        ``m``.
    stop_reason_ : str
        "max_terms" (``max_terms`` basis vectors), "tol" (the POD tolerance) or
        "exhausted" (every nonzero mode, or every column of the given basis).
    pod_ : rom.POD
        The POD computed by :meth:`fit` (absent after :meth:`from_basis`).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.eim import DEIM
    >>> x = np.linspace(-1, 1, 100)[:, None]
    >>> mu = np.linspace(1, np.pi, 51)[None, :]
    >>> S = (1 - x) * np.cos(3 * np.pi * mu * (x + 1)) * np.exp(-(1 + x) * mu)
    >>> deim = DEIM(max_terms=10).fit(S)
    >>> deim.points_.shape
    (10,)
    """

    def _select(self, U, xp):
        R = xp.array(U, copy=True, order="F")  # columns contiguous: the updates stream
        m = R.shape[1]
        points = []
        scale = float(xp.max(xp.abs(R)))
        eps = float(np.finfo(R.dtype).eps)
        floor = 100 * eps * scale
        ger = _rank_one_update(R, xp)
        for col in range(m):
            r = R[:, col]
            # exact-arithmetic ties (symmetric problems) go to the lowest index, as in EIM
            i = first_argmax(xp.abs(r), 8 * (col + 1) * eps * scale)
            pivot = r[i]
            if abs(complex(pivot)) <= floor:
                raise ValueError(
                    f"U: column {col} is (numerically) a combination of the previous ones"
                )
            points.append(i)
            if col + 1 < m:
                ger(R, col + 1, r / pivot, R[i, col + 1 :].copy())
        return points


def _rank_one_update(R: Any, xp: Any):
    """``update(R, c, x, y)``: ``R[:, c:] -= x y^T`` in place. On the CPU BLAS's
    ``ger`` (``geru`` for complex) on the Fortran-ordered trailing columns, with no
    temporary of their size."""
    if xp is not np or not R.flags.f_contiguous:

        def update(R, c, x, y):
            R[:, c:] -= x[:, None] * y[None, :]

        return update
    from scipy.linalg import blas

    ger = blas.get_blas_funcs("geru" if R.dtype.kind == "c" else "ger", (R,))

    def update(R, c, x, y):
        out = ger(-1.0, x, y, a=R[:, c:], overwrite_a=True)
        if not np.shares_memory(out, R):  # BLAS wrappers copy what they cannot use
            R[:, c:] = out

    return update


class QDEIM(_BasisInterpolator):
    r"""Q-DEIM (Drmac and Gugercin 2016): points from a column-pivoted QR of ``U^H``.

    The first ``m`` pivots of the QR factorisation with column pivoting of ``U^H``
    give the points; for an orthonormal ``U`` the error constant satisfies
    :math:`\|(P^T U)^{-1}\|_2 \le \sqrt{n - m + 1}\, O(2^m)` and is in practice much
    smaller than for DEIM. Real and complex. Same parameters, attributes and methods
    as :class:`DEIM` (``fit(S)`` on snapshots, :meth:`from_basis` for a given basis).

    Parameters
    ----------
    max_terms, tol, inner, random_state : see DEIM
        As for :class:`DEIM`.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.eim import QDEIM
    >>> U, _ = np.linalg.qr(np.random.default_rng(0).standard_normal((50, 5)))
    >>> QDEIM.from_basis(U).points_.shape
    (5,)
    """

    def _select(self, U, xp):
        import scipy.linalg

        m = U.shape[1]
        A = to_numpy(U).conj().T
        _, R, piv = scipy.linalg.qr(A, pivoting=True, mode="economic")
        # the pivots' |R_kk| decrease: a rank-deficient U shows as a negligible one,
        # and its points would give a singular U[points] (NaN interpolants)
        diagonal = np.abs(np.diag(R))
        floor = 100 * float(np.finfo(A.dtype).eps) * max(A.shape) * float(np.abs(A).max())
        small = np.flatnonzero(~(diagonal > floor))
        if diagonal.size < m or small.size:
            rank = int(small[0]) if small.size else diagonal.size
            raise ValueError(
                f"U: the basis is rank-deficient (numerical rank {rank} of {m} columns); "
                "its columns must be linearly independent"
            )
        return piv[:m]
