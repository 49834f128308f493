r"""Krylov solvers preconditioned by a factorised, spectrally equivalent matrix.

For a coercive problem :math:`A(\mu) u = f` in a Hilbert space with inner-product
matrix :math:`X`, the eigenvalues of :math:`X^{-1} A(\mu)` (Hermitian part) lie
between the coercivity and continuity constants :math:`\alpha(\mu)` and
:math:`\gamma(\mu)`: the factorisation of :math:`X`, computed once and kept for the
Riesz representatives of a reduced basis, is an optimal preconditioner for every
:math:`A(\mu)` (condition number at most :math:`\gamma(\mu)/\alpha(\mu)`, whatever the
mesh size). Conjugate gradients then converge in a number of iterations independent
of ``n``, each costing one sparse product and one pair of triangular solves, which is
cheaper than a new sparse factorisation of every :math:`A(\mu)`.

The stopping test measures the residual in the dual norm of :math:`X`,
:math:`\|r\|_{X'} = (r^H X^{-1} r)^{1/2}` (the preconditioned residual norm, which CG
computes anyway): the solution's error in the X-norm is at most
:math:`\|r\|_{X'}/\alpha(\mu)`, the same measure as the reduced basis error bounds.

Rows of ``A`` whose only entry is on the diagonal (Dirichlet rows kept with a unit
diagonal, as many finite element codes assemble them) are solved directly and
eliminated: the iteration runs on the remaining unknowns, where a symmetric problem
stays symmetric even if the constrained columns are not eliminated.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.linalg.solvers import constrained_rows
from rom.validation import check_positive_int, check_tolerance

__all__ = ["ConvergenceError", "PreconditionedKrylov", "inner_preconditioned"]

METHODS = ("auto", "cg", "gmres")


class ConvergenceError(RuntimeError):
    """An iterative solver did not reach its tolerance."""


class PreconditionedKrylov:
    r"""Solve ``A x = b`` by preconditioned CG or GMRES, ``M^{-1}`` a factorisation.

    Parameters
    ----------
    A : (n, n) sparse matrix or LinearOperator-like with ``@``
    preconditioner : object with ``solve(b)``
        Applies :math:`M^{-1}` (for example :func:`rom.linalg.factorize` of the inner
        product). For CG it must be Hermitian positive definite.
    rtol : float
        Stop when :math:`\|b - A x\|_{M^{-1}} \le` ``rtol`` :math:`\|b\|_{M^{-1}}`.
    maxiter : int, optional
        Iteration limit (default ``max(200, n // 10)``).
    method : {"auto", "cg", "gmres"}
        ``"auto"`` runs CG when a randomised test finds ``A`` Hermitian on its
        unconstrained rows (two products with random vectors), GMRES otherwise.
    name : str
        Used in error messages.

    Attributes
    ----------
    iterations_ : int
        Iterations of the last solve.
    residual_ : float
        Relative residual :math:`\|r\|_{M^{-1}}/\|b\|_{M^{-1}}` of the last solve.
    method_ : str
        ``"cg"`` or ``"gmres"``.

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> from rom.linalg import factorize
    >>> from rom.linalg.krylov import PreconditionedKrylov
    >>> n = 200
    >>> K = scipy.sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n), format="csr")
    >>> A = K + scipy.sparse.diags(np.linspace(0.0, 0.01, n))  # close to K
    >>> solver = PreconditionedKrylov(A, factorize(K), rtol=1e-12)
    >>> x = solver.solve(np.ones(n))
    >>> bool(np.linalg.norm(A @ x - 1.0) < 1e-8), solver.method_, solver.iterations_ < 20
    (True, 'cg', True)
    """

    accepts_initial_guess = True

    def __init__(
        self,
        A: Any,
        preconditioner: Any,
        rtol: float = 1e-13,
        maxiter: int | None = None,
        method: str = "auto",
        name: str = "A",
    ) -> None:
        if not hasattr(A, "shape") or len(A.shape) != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(
                f"{name}: expected a square matrix, got shape {getattr(A, 'shape', None)}"
            )
        if not hasattr(preconditioner, "solve"):
            raise TypeError(
                "preconditioner: expected an object with solve(b) (rom.linalg.factorize(M)), "
                f"got {type(preconditioner).__name__}"
            )
        if method not in METHODS:
            raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
        self.rtol = check_tolerance(rtol, "rtol", allow_none=False)
        maxiter = check_positive_int(maxiter, "maxiter")
        self.name = name
        self.shape = A.shape
        n = A.shape[0]
        self.maxiter = max(200, n // 10) if maxiter is None else maxiter
        self.A = A.tocsr() if hasattr(A, "tocsr") else A
        self.preconditioner = preconditioner
        self.fixed = constrained_rows(self.A) if hasattr(self.A, "indptr") else np.zeros(0, int)
        self._fixed_diag = (
            self.A.diagonal()[self.fixed] if len(self.fixed) else np.zeros(0, self.A.dtype)
        )
        if np.any(self._fixed_diag == 0):
            raise ValueError(f"{name}: a row with a single zero diagonal entry (singular)")
        free = np.ones(n, dtype=bool)
        free[self.fixed] = False
        self.free = np.flatnonzero(free) if len(self.fixed) else None
        # the preconditioner eliminated the same rows: call it on the free entries
        self._free_solve = None
        if (
            self.free is not None
            and getattr(preconditioner, "free", None) is not None
            and np.array_equal(preconditioner.free, self.free)
            and hasattr(preconditioner, "solve_free")
        ):
            self._free_solve = preconditioner.solve_free
        self.method_ = self._hermitian_test() if method == "auto" else method
        self.iterations_ = 0
        self.residual_ = np.nan

    # -------------------------------------------------------------- pieces
    def _restrict(self, v: np.ndarray) -> np.ndarray:
        return v if self.free is None else v[self.free]

    def _embed(self, v: np.ndarray) -> np.ndarray:
        if self.free is None:
            return v
        out = np.zeros((self.shape[0], *v.shape[1:]), dtype=v.dtype)
        out[self.free] = v
        return out

    def _matvec(self, v: np.ndarray) -> np.ndarray:
        return self._restrict(self.A @ self._embed(v))

    def _precondition(self, r: np.ndarray) -> np.ndarray:
        if self._free_solve is not None:
            return self._free_solve(r)
        return self._restrict(self.preconditioner.solve(self._embed(r)))

    def _hermitian_test(self) -> str:
        size = self.shape[0] if self.free is None else len(self.free)
        rng = np.random.default_rng(12345)
        x, y = rng.standard_normal(size), rng.standard_normal(size)
        Ax, Ay = self._matvec(x), self._matvec(y)
        if np.iscomplexobj(Ax) and np.abs(np.imag(np.vdot(x, Ax))) > 1e-12 * abs(np.vdot(x, Ax)):
            return "gmres"  # x^H A x must be real for a Hermitian A
        scale = np.linalg.norm(Ax) * np.linalg.norm(y) + np.linalg.norm(Ay) * np.linalg.norm(x)
        gap = abs(np.vdot(y, Ax) - np.conj(np.vdot(x, Ay)))
        return "cg" if gap <= 1e-12 * scale else "gmres"

    # --------------------------------------------------------------- solve
    def solve(self, b: Any, x0: Any = None) -> np.ndarray:
        """Solve ``A x = b`` for one (n,) or several (n, k) right-hand sides.

        ``x0`` is an initial guess (for example a reduced solution) of the same shape.

        Parameters
        ----------
        b : array, shape (n,) or (n, k)
            Right-hand sides.
        x0 : array, shape (n,) or (n, k), optional
            Initial guess.
        """
        b = np.asarray(b)
        if b.shape[0] != self.shape[0]:
            raise ValueError(f"b: expected {self.shape[0]} rows, got shape {b.shape}")
        if x0 is not None:
            x0 = np.asarray(x0)
            if x0.shape != b.shape:
                raise ValueError(
                    f"x0: expected shape {b.shape} (the right-hand side's), got {x0.shape}"
                )
        if b.ndim == 2:
            return np.stack(
                [self.solve(b[:, j], None if x0 is None else x0[:, j]) for j in range(b.shape[1])],
                axis=1,
            )
        dtype = np.result_type(self.A.dtype, b.dtype, np.float64)
        x = np.zeros(self.shape[0], dtype=dtype) if x0 is None else x0.astype(dtype, copy=True)
        if len(self.fixed):
            x[self.fixed] = b[self.fixed] / self._fixed_diag
            # move the known values to the right-hand side; iterate on the free rows only
            known = np.zeros_like(x)
            known[self.fixed] = x[self.fixed]
            rhs = self._restrict(b - self.A @ known)
        else:
            rhs = b.astype(dtype, copy=False)
        start = self._restrict(x)
        solver = self._cg if self.method_ == "cg" else self._gmres
        xf = solver(rhs, start)
        if self.free is None:
            x = xf
        else:
            x[self.free] = xf
        if not np.isfinite(x).all():
            raise ConvergenceError(f"{self.name}: the iteration produced NaN or inf")
        return x

    def _cg(self, b: np.ndarray, x: np.ndarray) -> np.ndarray:
        r = b - self._matvec(x)
        z, zb = self._both(r, b)
        reference = np.sqrt(abs(np.vdot(b, zb).real))
        if reference == 0:
            self.iterations_, self.residual_ = 0, 0.0
            return np.zeros_like(x)
        rz = np.vdot(r, z).real
        target = (self.rtol * reference) ** 2
        p = z.copy()
        for k in range(1, self.maxiter + 1):
            if rz <= target:
                self.iterations_, self.residual_ = k - 1, np.sqrt(max(rz, 0.0)) / reference
                return x
            q = self._matvec(p)
            pq = np.vdot(p, q).real
            if pq <= 0:
                raise ConvergenceError(
                    f"{self.name}: CG found p^H A p = {pq:.3e} <= 0; the matrix is not "
                    "positive definite (use method='gmres')"
                )
            alpha = rz / pq
            x = x + alpha * p
            r = r - alpha * q
            z = self._precondition(r)
            rz_new = np.vdot(r, z).real
            p = z + (rz_new / rz) * p
            rz = rz_new
        self.iterations_, self.residual_ = self.maxiter, np.sqrt(max(rz, 0.0)) / reference
        if rz <= target:
            return x
        raise ConvergenceError(
            f"{self.name}: CG did not reach rtol={self.rtol:.1e} in {self.maxiter} iterations "
            f"(relative residual {self.residual_:.2e}); is the preconditioner spectrally "
            "equivalent to the matrix?"
        )

    def _both(self, r: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The preconditioner on ``r`` and ``b`` in one solve with two right-hand sides."""
        Z = self._precondition(np.stack([r, b], axis=1))
        return Z[:, 0], Z[:, 1]

    def _gmres(self, b: np.ndarray, x: np.ndarray) -> np.ndarray:
        import scipy.sparse.linalg as sla

        size = len(b)
        count = [0]

        def callback(_: Any) -> None:
            count[0] += 1

        A = sla.LinearOperator((size, size), matvec=self._matvec, dtype=b.dtype)
        M = sla.LinearOperator((size, size), matvec=self._precondition, dtype=b.dtype)
        # scipy's GMRES measures the preconditioned residual in the 2-norm of M^{-1} r
        reference = np.linalg.norm(self._precondition(b))
        if reference == 0:
            self.iterations_, self.residual_ = 0, 0.0
            return np.zeros_like(x)
        xs, info = sla.gmres(
            A,
            b,
            x0=x,
            M=M,
            rtol=self.rtol,
            atol=0.0,
            restart=min(60, size),
            maxiter=self.maxiter,
            callback=callback,
            callback_type="pr_norm",
        )
        residual = np.linalg.norm(self._precondition(b - self._matvec(xs))) / reference
        self.iterations_, self.residual_ = count[0], residual
        if info != 0 and residual > self.rtol:
            raise ConvergenceError(
                f"{self.name}: GMRES did not reach rtol={self.rtol:.1e} in {count[0]} "
                f"iterations (relative residual {residual:.2e})"
            )
        return xs


def inner_preconditioned(
    inner_solver: Any, rtol: float = 1e-13, maxiter: int | None = None, method: str = "auto"
):
    """A solver factory ``(A, name) -> PreconditionedKrylov`` for a fixed preconditioner.

    ``inner_solver`` is the factorised inner product (any object with ``solve``); it
    is factorised once and shared by every ``A(mu)`` of a
    :class:`rom.rb.LinearModel` (``solver="pcg"`` builds this factory).

    Parameters
    ----------
    inner_solver : object
        The factorised inner product (an object with ``solve``).
    rtol : float
        Relative tolerance of the Krylov iteration.
    maxiter : int, optional
        Largest number of iterations.
    method : {"auto", "cg", "gmres"}
        The Krylov method ("auto": CG for Hermitian matrices).
    """
    if not hasattr(inner_solver, "solve"):
        raise TypeError(
            "inner_solver: expected an object with solve(b) (rom.linalg.factorize(X)), got "
            f"{type(inner_solver).__name__}"
        )
    rtol = check_tolerance(rtol, "rtol", allow_none=False)

    def factory(A: Any, name: str = "A") -> PreconditionedKrylov:
        return PreconditionedKrylov(
            A, inner_solver, rtol=rtol, maxiter=maxiter, method=method, name=name
        )

    return factory
