"""Direct solvers with reusable factorisations (scipy; dense or sparse, real or complex)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["Factorization", "SingularMatrixError", "factorize"]


class SingularMatrixError(np.linalg.LinAlgError):
    """The matrix of a linear system is singular (to working precision)."""


class Factorization:
    """An LU factorisation of a square matrix, reused for every right-hand side.

    Sparse matrices use SuperLU (``scipy.sparse.linalg.splu``), dense ones LAPACK's
    ``getrf``. A singular matrix raises :class:`SingularMatrixError` at
    factorisation, or when a solve produces non-finite values.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.linalg import factorize
    >>> lu = factorize(np.array([[2.0, 1.0], [1.0, 3.0]]))
    >>> lu.solve(np.array([3.0, 4.0]))
    array([1., 1.])
    """

    def __init__(self, A: Any, name: str = "A") -> None:
        self.name = name
        if not hasattr(A, "shape") or len(A.shape) != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(
                f"{name}: expected a square matrix, got shape {getattr(A, 'shape', None)}"
            )
        self.shape = A.shape
        self.sparse = hasattr(A, "tocsc") and hasattr(A, "nnz")
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            try:
                if self.sparse:
                    import scipy.sparse.linalg

                    # minimum degree on A^T + A: finite element matrices are structurally
                    # symmetric, and their factors come out about half as dense
                    self._lu = scipy.sparse.linalg.splu(A.tocsc(), permc_spec="MMD_AT_PLUS_A")
                else:
                    import scipy.linalg

                    A = np.asarray(A)
                    self._lu = scipy.linalg.lu_factor(A, check_finite=True)
                    if np.any(np.diag(self._lu[0]) == 0):
                        raise SingularMatrixError(f"{name}: the matrix is singular")
            except (RuntimeError, RuntimeWarning, np.linalg.LinAlgError, ValueError) as err:
                if isinstance(err, SingularMatrixError):
                    raise
                raise SingularMatrixError(
                    f"{name}: the matrix is singular or could not be factorised ({err})"
                ) from err
        self.dtype = np.result_type(A.dtype, np.float64)

    def solve(self, b: Any) -> np.ndarray:
        """Solve ``A x = b`` for one (n,) or several (n, k) right-hand sides."""
        b = np.asarray(b)
        if b.shape[0] != self.shape[0]:
            raise ValueError(f"b: expected {self.shape[0]} rows, got shape {b.shape}")
        dtype = np.result_type(self.dtype, b.dtype)
        if self.sparse:
            if dtype != self.dtype:  # real factors, complex right-hand side
                x = self._lu.solve(np.ascontiguousarray(b.real)) + 1j * self._lu.solve(
                    np.ascontiguousarray(b.imag)
                )
            else:
                x = self._lu.solve(np.ascontiguousarray(b, dtype=dtype))
        else:
            import scipy.linalg

            x = scipy.linalg.lu_solve(self._lu, b)
        if not np.isfinite(x).all():
            raise SingularMatrixError(f"{self.name}: the solve produced NaN or inf (singular?)")
        return x


def factorize(A: Any, name: str = "A") -> Factorization:
    """Factorise ``A`` once for many solves (see :class:`Factorization`)."""
    return Factorization(A, name=name)
