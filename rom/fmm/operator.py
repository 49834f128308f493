"""Kernel matrices as scipy LinearOperators whose products go through the EIFMM."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse.linalg

from rom.fmm.eifmm import EIFMM
from rom.validation import check_tolerance

__all__ = ["KernelOperator"]


class KernelOperator(scipy.sparse.linalg.LinearOperator):
    r"""The kernel matrix ``A = K(x_i - x_j) + nugget I`` as a LinearOperator.

    Products go through a fitted :class:`~rom.fmm.EIFMM` (one ``evaluate`` per
    ``matvec``, one for all columns of a ``matmat``), so that a kernel system (radial
    basis function interpolation, Gaussian-process regression) is solved by CG or
    GMRES in ``O(n)`` per iteration. The diagonal is ``K(0) + nugget`` (``K(0)`` is
    0 for singular kernels). The matrix is symmetric (the kernel is even): ``rmatvec``
    is the conjugate of ``matvec``.

    Parameters
    ----------
    kernel : Kernel or numba-jitted f(r)
    points : array of shape (n, d)
    tol : float
        Relative tolerance of the EIFMM products.
    nugget : float
        Added to the diagonal (regularisation, noise variance).
    **fmm_options
        Passed to :class:`~rom.fmm.EIFMM` (``leaf_size``, ``interpolation``, ...).

    Attributes
    ----------
    fmm : EIFMM
        The fitted method.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.sparse.linalg import cg
    >>> from rom.fmm import KernelOperator, kernels
    >>> x = np.random.default_rng(0).random((2000, 2))
    >>> A = KernelOperator(kernels.gaussian(0.05, dim=2), x, tol=1e-8, nugget=1e-2)
    >>> b = np.ones(2000)
    >>> c, info = cg(A, b, rtol=1e-8)
    >>> info == 0 and bool(np.linalg.norm(A @ c - b) <= 1e-6 * np.linalg.norm(b))
    True
    """

    def __init__(
        self, kernel: Any, points: Any, tol: float = 1e-6, nugget: float = 0.0, **fmm_options
    ) -> None:
        nugget = check_tolerance(nugget, "nugget", allow_none=False)
        fmm = EIFMM(kernel, tol=tol, **fmm_options).fit(points)
        self.fmm = fmm
        self.nugget = nugget
        self.diagonal_ = fmm.kernel_.value_at_zero + nugget
        n = fmm.n_sources_
        super().__init__(dtype=np.dtype(fmm.kernel_.dtype), shape=(n, n))

    def _matmat(self, X: np.ndarray) -> np.ndarray:
        return self.fmm.evaluate(X) + self.diagonal_ * X

    def _matvec(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x)
        return self._matmat(x.reshape(-1, 1)).reshape(x.shape)

    def _rmatvec(self, x: np.ndarray) -> np.ndarray:
        return np.conj(self._matvec(np.conj(x)))

    def _rmatmat(self, X: np.ndarray) -> np.ndarray:
        return np.conj(self._matmat(np.conj(X)))

    def _adjoint(self) -> scipy.sparse.linalg.LinearOperator:
        if self.dtype.kind != "c":
            return self
        return super()._adjoint()
