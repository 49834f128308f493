"""Direct solvers with reusable factorisations (scipy; dense or sparse, real or complex)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["Factorization", "SingularMatrixError", "constrained_rows", "factorize"]


class SingularMatrixError(np.linalg.LinAlgError):
    """The matrix of a linear system is singular (to working precision)."""


def constrained_rows(A: Any) -> np.ndarray:
    """Indices of the rows of a sparse ``A`` whose only nonzero entry is the diagonal one.

    Stored zeros do not count: assemblers that impose Dirichlet conditions exactly
    (FreeFEM with ``tgv=-1`` or ``-2``, PETSc's ``MatZeroRows``) zero the row's
    coefficients in place and keep them in the sparsity pattern.

    Examples
    --------
    >>> import scipy.sparse
    >>> from rom.linalg.solvers import constrained_rows
    >>> A = scipy.sparse.csr_matrix(([1.0, 0.0, -1.0, 2.0], [0, 1, 0, 1], [0, 2, 4]), (2, 2))
    >>> constrained_rows(A)
    array([0])
    """
    A = A.tocsr()
    if A.nnz == 0:
        return np.zeros(0, dtype=np.intp)
    nonzero = np.concatenate([[0], np.cumsum(A.data != 0)])
    counts = nonzero[A.indptr[1:]] - nonzero[A.indptr[:-1]]
    return np.flatnonzero((counts == 1) & (A.diagonal() != 0))


class Factorization:
    """An LU factorisation of a square matrix, reused for every right-hand side.

    Sparse matrices use SuperLU (``scipy.sparse.linalg.splu``), dense ones LAPACK's
    ``getrf``. Rows of a sparse matrix whose only entry is the diagonal one (Dirichlet
    rows kept with a unit diagonal) are solved directly and eliminated before the
    factorisation. A singular matrix raises :class:`SingularMatrixError` at
    factorisation, or when a solve produces non-finite values.

    Parameters
    ----------
    A : array or sparse matrix, shape (n, n)
        The matrix.
    name : str
        The argument name used in error messages.

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
        self.fixed = self.free = None
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            try:
                if self.sparse:
                    self._lu = self._sparse_lu(A)
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

    def _sparse_lu(self, A: Any) -> Any:
        import scipy.sparse.linalg

        A = A.tocsr()
        fixed = constrained_rows(A)
        if len(fixed):
            # rows that only fix their own unknown (Dirichlet rows kept with a unit
            # diagonal): x_D = b_D / a_DD, and the rest is the smaller system
            # A_FF x_F = b_F - A_FD x_D, whose factors have less fill
            diag = A.diagonal()[fixed]
            if np.any(diag == 0):
                raise SingularMatrixError(f"{self.name}: a row with a single zero diagonal entry")
            free = np.ones(A.shape[0], dtype=bool)
            free[fixed] = False
            self.fixed, self.free = fixed, np.flatnonzero(free)
            self._fixed_diag = diag
            rows = A[self.free]
            self._coupling = rows[:, fixed].tocsr()
            A = rows[:, self.free]
            if A.shape[0] == 0:
                return None
        # minimum degree on A^T + A: finite element matrices are structurally
        # symmetric, and their factors come out about half as dense
        return scipy.sparse.linalg.splu(A.tocsc(), permc_spec="MMD_AT_PLUS_A")

    def solve(self, b: Any) -> np.ndarray:
        """Solve ``A x = b`` for one (n,) or several (n, k) right-hand sides.

        Parameters
        ----------
        b : array, shape (n,) or (n, k)
            Right-hand sides.
        """
        b = np.asarray(b)
        if b.shape[0] != self.shape[0]:
            raise ValueError(f"b: expected {self.shape[0]} rows, got shape {b.shape}")
        dtype = np.result_type(self.dtype, b.dtype)
        if self.sparse:
            if self.fixed is None:
                x = self._superlu(b, dtype)
            else:
                x = np.empty(b.shape, dtype=dtype)
                known = b[self.fixed] / (
                    self._fixed_diag if b.ndim == 1 else self._fixed_diag[:, None]
                )
                x[self.fixed] = known
                if len(self.free):
                    x[self.free] = self._superlu(b[self.free] - self._coupling @ known, dtype)
        else:
            import scipy.linalg

            x = scipy.linalg.lu_solve(self._lu, b)
        if not np.isfinite(x).all():
            raise SingularMatrixError(f"{self.name}: the solve produced NaN or inf (singular?)")
        return x

    def solve_free(self, b: Any) -> np.ndarray:
        """Solve for a right-hand side that vanishes on the eliminated rows.

        ``b`` holds the entries on the unconstrained rows (``self.free``) only; the
        result is the solution there (the constrained unknowns are zero). This is
        what a Krylov method that iterates on the same unknowns needs, without
        scattering and gathering full vectors at every step.

        Parameters
        ----------
        b : array, shape (n,) or (n, k)
            Right-hand sides, zero on the eliminated rows.
        """
        if self.free is None:
            raise ValueError(f"{self.name}: no rows were eliminated; use solve(b)")
        b = np.asarray(b)
        x = self._superlu(b, np.result_type(self.dtype, b.dtype))
        if not np.isfinite(x).all():
            raise SingularMatrixError(f"{self.name}: the solve produced NaN or inf (singular?)")
        return x

    def _superlu(self, b: np.ndarray, dtype: Any) -> np.ndarray:
        if dtype != self.dtype:  # real factors, complex right-hand side
            return self._lu.solve(np.ascontiguousarray(b.real)) + 1j * self._lu.solve(
                np.ascontiguousarray(b.imag)
            )
        return self._lu.solve(np.ascontiguousarray(b, dtype=dtype))


def factorize(A: Any, name: str = "A") -> Factorization:
    """Factorise ``A`` once for many solves (see :class:`Factorization`).

    Parameters
    ----------
    A : array or sparse matrix, shape (n, n)
        The matrix.
    name : str
        The argument name used in error messages.
    """
    return Factorization(A, name=name)
