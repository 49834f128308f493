"""Linear solves through PETSc (petsc4py): Krylov methods with a preconditioner, or LU.

:class:`PETScSolver` has the interface of :class:`rom.linalg.Factorization`
(``PETScSolver(A, name)``, then ``solve(b)`` for one or several right-hand sides), so
it can stand wherever a factorisation is used. petsc4py is imported on first use.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from rom.linalg.solvers import SingularMatrixError
from rom.validation import check_positive_int, is_sparse

__all__ = ["PETScSolver", "petsc_factory"]


def _petsc() -> Any:
    from rom.backend import import_optional

    petsc4py = import_optional("petsc4py", "petsc")
    petsc4py.init()
    from petsc4py import PETSc

    return PETSc


class PETScSolver:
    """Solve ``A x = b`` with a PETSc KSP (Krylov method + preconditioner) or a PETSc LU.

    The default, ``ksp_type="preonly"`` with ``pc_type="lu"``, is a sparse direct
    solve (PETSc's own LU, or MUMPS / SuperLU_dist / UMFPACK through
    ``factor_solver`` when PETSc was built with them); the factorisation is computed
    once and reused for every right-hand side. An iterative solve, e.g.
    ``ksp_type="cg", pc_type="gamg"`` for a symmetric positive definite finite element
    matrix, stops at the relative residual ``rtol`` (in the preconditioned norm PETSc
    uses by default for the chosen method) or ``atol``; a solve that does not
    converge raises :class:`rom.linalg.SingularMatrixError` with PETSc's reason.

    Parameters
    ----------
    A : (n, n) scipy sparse matrix or ndarray
        Real (or complex when petsc4py is built with complex scalars).
    name : str
        Used in error messages, as in :class:`rom.linalg.Factorization`.
    ksp_type, pc_type : str
        PETSc's names (``"preonly"``, ``"cg"``, ``"gmres"``, ``"bcgs"``; ``"lu"``,
        ``"cholesky"``, ``"ilu"``, ``"icc"``, ``"gamg"``, ``"hypre"``, ``"jacobi"``).
    rtol, atol : float
        Convergence tolerances of an iterative method.
    max_it : int
        Largest number of iterations.
    factor_solver : str, optional
        The package behind ``lu``/``cholesky`` (``"mumps"``, ``"superlu_dist"``,
        ``"umfpack"``, ``"petsc"``).
    options : mapping, optional
        Further PETSc options (``{"pc_gamg_threshold": 0.02}``), set with this
        solver's own prefix so that they do not leak into other solvers.

    Attributes
    ----------
    iterations_ : int
        Iterations of the last solve (the largest one over several right-hand sides).

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> from rom.linalg.petsc import PETScSolver
    >>> A = scipy.sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(5, 5), format="csr")
    >>> x = PETScSolver(A, ksp_type="cg", pc_type="jacobi").solve(np.ones(5))  # doctest: +SKIP
    >>> bool(np.allclose(A @ x, 1.0))  # doctest: +SKIP
    True
    """

    _count = 0

    def __init__(
        self,
        A: Any,
        name: str = "A",
        ksp_type: str = "preonly",
        pc_type: str = "lu",
        rtol: float = 1e-12,
        atol: float = 1e-50,
        max_it: int = 10000,
        factor_solver: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        self.name = name
        if not hasattr(A, "shape") or len(A.shape) != 2 or A.shape[0] != A.shape[1]:
            raise ValueError(
                f"{name}: expected a square matrix, got shape {getattr(A, 'shape', None)}"
            )
        for label, value in (("ksp_type", ksp_type), ("pc_type", pc_type)):
            if not isinstance(value, str) or not value:
                raise TypeError(f"{label}: expected a PETSc type name, got {value!r}")
        if not (np.isfinite(rtol) and 0 < rtol < 1):
            raise ValueError(f"rtol: expected a number in (0, 1), got {rtol!r}")
        if not (np.isfinite(atol) and atol >= 0):
            raise ValueError(f"atol: expected a non-negative number, got {atol!r}")
        max_it = check_positive_int(max_it, "max_it", allow_none=False)
        if options is not None and not isinstance(options, Mapping):
            raise TypeError(f"options: expected a mapping of PETSc options, got {options!r}")
        PETSc = _petsc()
        self.sparse = is_sparse(A)
        data = A.data if self.sparse else np.asarray(A)
        if data.dtype.kind not in "biufc":
            raise TypeError(f"{name}: expected a numeric matrix, got dtype {data.dtype}")
        if data.size and not np.isfinite(data).all():
            raise ValueError(f"{name}: the matrix contains NaN or inf")
        scalar = np.dtype(PETSc.ScalarType)
        if np.iscomplexobj(data) and scalar.kind != "c":
            raise TypeError(
                f"{name}: the matrix is complex but this petsc4py is built with real scalars"
            )
        self.shape = tuple(A.shape)
        self.dtype = np.dtype(scalar)
        n = self.shape[0]
        if self.sparse:
            csr = A.tocsr()
            csr.sort_indices()
            self._mat = PETSc.Mat().createAIJ(
                size=(n, n),
                csr=(
                    csr.indptr.astype(PETSc.IntType),
                    csr.indices.astype(PETSc.IntType),
                    csr.data.astype(scalar),
                ),
                comm=PETSc.COMM_SELF,
            )
        else:
            self._mat = PETSc.Mat().createDense(
                size=(n, n), array=np.array(data, dtype=scalar, order="C"), comm=PETSc.COMM_SELF
            )
        self._mat.assemble()
        PETScSolver._count += 1
        prefix = f"rom{PETScSolver._count}_"
        self._options = PETSc.Options()
        for key, value in dict(options or {}).items():
            self._options[prefix + str(key).lstrip("-")] = value
        self._option_keys = [prefix + str(key).lstrip("-") for key in dict(options or {})]
        ksp = PETSc.KSP().create(comm=PETSc.COMM_SELF)
        ksp.setOptionsPrefix(prefix)
        ksp.setOperators(self._mat)
        ksp.setType(ksp_type)
        pc = ksp.getPC()
        pc.setType(pc_type)
        if factor_solver is not None:
            pc.setFactorSolverType(factor_solver)
        ksp.setTolerances(rtol=rtol, atol=atol, max_it=max_it)
        ksp.setFromOptions()
        try:
            ksp.setUp()
        except PETSc.Error as err:
            raise SingularMatrixError(
                f"{name}: PETSc could not set up {ksp_type}/{pc_type} ({err})"
            ) from err
        self._ksp = ksp
        self._PETSc = PETSc
        self.settings = {
            "ksp_type": ksp_type,
            "pc_type": pc_type,
            "rtol": rtol,
            "atol": atol,
            "max_it": max_it,
            "factor_solver": factor_solver,
        }
        self.iterations_ = 0

    def _solve_one(self, b: np.ndarray) -> np.ndarray:
        PETSc = self._PETSc
        rhs = PETSc.Vec().createWithArray(np.array(b, dtype=self.dtype), comm=PETSc.COMM_SELF)
        x = rhs.duplicate()
        try:
            self._ksp.solve(rhs, x)
        except PETSc.Error as err:
            raise SingularMatrixError(f"{self.name}: the PETSc solve failed ({err})") from err
        reason = self._ksp.getConvergedReason()
        if reason < 0:
            names = {
                v: k for k, v in vars(PETSc.KSP.ConvergedReason).items() if isinstance(v, int)
            }
            raise SingularMatrixError(
                f"{self.name}: PETSc {self.settings['ksp_type']}/{self.settings['pc_type']} did "
                f"not converge ({names.get(reason, reason)} after {self._ksp.getIterationNumber()}"
                " iterations)"
            )
        self.iterations_ = max(self.iterations_, int(self._ksp.getIterationNumber()))
        out = x.getArray().copy()
        rhs.destroy()
        x.destroy()
        return out

    def solve(self, b: Any) -> np.ndarray:
        """Solve ``A x = b`` for one (n,) or several (n, k) right-hand sides.

        Parameters
        ----------
        b : array, shape (n,) or (n, k)
            Right-hand sides.
        """
        b = np.asarray(b)
        if b.ndim not in (1, 2) or b.shape[0] != self.shape[0]:
            raise ValueError(f"b: expected {self.shape[0]} rows, got shape {b.shape}")
        if b.dtype.kind not in "biufc":
            raise TypeError(f"b: expected numbers, got dtype {b.dtype}")
        if np.iscomplexobj(b) and self.dtype.kind != "c":  # real operator, complex data
            return self.solve(b.real) + 1j * self.solve(b.imag)
        self.iterations_ = 0
        if b.ndim == 1:
            x = self._solve_one(b)
        else:
            x = np.stack([self._solve_one(b[:, j]) for j in range(b.shape[1])], axis=1)
        if not np.isfinite(x).all():
            raise SingularMatrixError(f"{self.name}: the solve produced NaN or inf (singular?)")
        return x

    def __del__(self) -> None:
        try:
            for key in getattr(self, "_option_keys", []):
                self._options.delValue(key)
            if hasattr(self, "_ksp"):
                self._ksp.destroy()
                self._mat.destroy()
        except Exception:  # interpreter shutdown: PETSc may be finalised already
            pass


def petsc_factory(**settings: Any) -> Callable[..., PETScSolver]:
    """``factorize``-compatible constructor: ``petsc_factory(**settings)(A, name)``.

    For code that takes a solver factory with the signature of
    :func:`rom.linalg.factorize`; ``settings`` are :class:`PETScSolver`'s keywords.

    Parameters
    ----------
    **settings : dict
        Keyword arguments of :class:`PETScSolver`.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.linalg.petsc import petsc_factory
    >>> solve = petsc_factory(ksp_type="gmres", pc_type="ilu")
    >>> solver = solve(np.array([[2.0, 1.0], [1.0, 3.0]]), name="A")  # doctest: +SKIP
    >>> solver.solve(np.array([3.0, 4.0]))  # doctest: +SKIP
    array([1., 1.])
    """
    unknown = sorted(
        set(settings)
        - {"ksp_type", "pc_type", "rtol", "atol", "max_it", "factor_solver", "options"}
    )
    if unknown:
        raise TypeError(f"settings: unknown PETScSolver keywords {unknown}")

    def factory(A: Any, name: str = "A") -> PETScSolver:
        return PETScSolver(A, name=name, **settings)

    return factory
