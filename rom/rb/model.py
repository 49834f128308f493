"""Linear parametrised full-order models ``A(mu) u = f(mu)``."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.affine import AffineOperator, AffineVector
from rom.linalg.krylov import ConvergenceError
from rom.linalg.solvers import factorize
from rom.parallel import map_parameters
from rom.validation import check_inner, check_parameter, check_parameters

__all__ = ["LinearModel"]

#: ``solver="auto"`` factorises models below this many dofs (a sparse LU of a small
#: matrix costs less than the preconditioned iterations; see the thermal block
#: measurements in docs/theory/reduced_basis.rst)
AUTO_PCG_MIN_DOFS = 4_000


class LinearModel:
    r"""A linear model :math:`A(\mu) u(\mu) = f(\mu)` with an output :math:`s = l(\mu)^H u`.

    Parameters
    ----------
    operator : AffineOperator
        Square :math:`A(\mu)`.
    rhs : AffineVector or (n,) array
        :math:`f(\mu)`.
    inner : None or (n, n) Hermitian positive definite matrix
        The inner product of the solution space ``X`` (for example the H1_0 product);
        the Euclidean one when None.
    output : None, "compliant" or AffineVector
        ``"compliant"`` means :math:`l = f` (with a symmetric :math:`A`, the setting of
        the squared-residual output bound).
    parameter_space : rom.ParameterSpace, optional
        When given, every parameter is checked against it.
    solver : "auto", None, "scipy", "pcg", "petsc" or callable
        ``solver(A, name=...)`` returns an object whose ``solve(b)`` solves with the
        assembled ``A(mu)``: :func:`rom.linalg.factorize` (SciPy's sparse LU, also
        ``None`` or ``"scipy"``); ``"pcg"``, conjugate gradients (GMRES when
        ``A(mu)`` is not Hermitian) preconditioned by the factorisation of ``inner``,
        which a coercive problem makes spectrally equivalent to every ``A(mu)``
        (:mod:`rom.linalg.krylov`; stops at a relative residual of 1e-13 in the dual
        norm of ``inner``, warm-started from the reduced solution during a greedy);
        ``"petsc"`` (a direct LU through petsc4py, the ``petsc`` extra); or any factory
        such as ``rom.linalg.petsc.petsc_factory(ksp_type="cg", pc_type="gamg")``.
        ``"auto"`` (the default) picks per solve (see :meth:`solver_choice`): ``"pcg"``
        when ``inner`` is given, the model is coercive (``coercive``, or a
        :class:`~rom.rb.ReducedBasis` with a coercivity lower bound such as
        :class:`~rom.rb.MinTheta` or :class:`~rom.rb.SCM`), ``A(mu)`` is Hermitian on its
        unconstrained rows (a randomised test, two products) and the model has at
        least ``AUTO_PCG_MIN_DOFS`` (4000) dofs; the sparse LU otherwise, and also
        when CG fails to converge (a model wrongly declared coercive).
    coercive : bool, optional
        Whether every ``A(mu)`` is coercive in the norm of ``inner`` (only used by
        ``solver="auto"``). None (unknown) counts as False for a direct
        :meth:`solve`; a :class:`~rom.rb.ReducedBasis` solves with ``coercive=True`` when its
        ``coercivity`` is a coercivity lower bound (not an inf-sup estimate such as
        :class:`~rom.rb.InfSupEstimate`) and its projection is Galerkin.

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> from rom.affine import AffineOperator
    >>> from rom.rb import LinearModel
    >>> n = 5
    >>> K = scipy.sparse.diags([2.0] * n) - scipy.sparse.eye(n, k=1) - scipy.sparse.eye(n, k=-1)
    >>> model = LinearModel(AffineOperator([K, scipy.sparse.eye(n)], lambda mu: [1.0, mu[0]]),
    ...                     np.ones(n), output="compliant")
    >>> u = model.solve([0.5])
    >>> bool(np.allclose(model.operator.apply([0.5], u), np.ones(n)))
    True
    """

    def __init__(
        self,
        operator: AffineOperator,
        rhs: Any,
        inner: Any = None,
        output: Any = None,
        parameter_space: Any = None,
        solver: Any = "auto",
        coercive: bool | None = None,
    ) -> None:
        pcg = auto = False
        if isinstance(solver, str):
            if solver == "auto":
                auto = True
                solver = None
            elif solver == "petsc":
                from rom.linalg.petsc import petsc_factory

                solver = petsc_factory()
            elif solver == "scipy":
                solver = None
            elif solver == "pcg":
                if inner is None:
                    raise ValueError(
                        "solver: 'pcg' is preconditioned by the inner product; give inner"
                    )
                solver, pcg = None, True
            else:
                raise ValueError(
                    f"solver: expected 'auto', 'scipy', 'pcg', 'petsc' or a callable, got "
                    f"{solver!r}"
                )
        if solver is not None and not callable(solver):
            raise TypeError(
                "solver: expected 'auto', 'scipy', 'pcg', 'petsc' or a callable (A, name) -> "
                "object with "
                "solve(b), such as rom.linalg.petsc.petsc_factory(...), got "
                f"{type(solver).__name__}"
            )
        if coercive is not None and not isinstance(coercive, bool | np.bool_):
            raise TypeError(f"coercive: expected None or a bool, got {coercive!r}")
        if not isinstance(operator, AffineOperator):
            raise TypeError(f"operator: expected an AffineOperator, got {type(operator).__name__}")
        n, m = operator.shape
        if n != m:
            raise ValueError(f"operator: expected a square operator, got shape {operator.shape}")
        if not isinstance(rhs, AffineVector):
            rhs = AffineVector(rhs)
        if rhs.size != n:
            raise ValueError(f"rhs: expected vectors of size {n} (the operator's), got {rhs.size}")
        if isinstance(output, str):
            if output != "compliant":
                raise ValueError(
                    f"output: expected None, 'compliant' or an AffineVector, got {output!r}"
                )
        elif output is not None:
            if not isinstance(output, AffineVector):
                output = AffineVector(output)
            if output.size != n:
                raise ValueError(f"output: expected vectors of size {n}, got {output.size}")
        self.operator = operator
        self.rhs = rhs
        self.inner = check_inner(inner, n)
        self.output_functional = output
        self.parameter_space = parameter_space
        self.solver = self._pcg if pcg else (factorize if solver is None else solver)
        self.auto = auto
        self.coercive = None if coercive is None else bool(coercive)
        self._inner_solver: Any = None

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["_inner_solver"] = None  # factorisations are rebuilt where they are used
        return state

    @property
    def inner_solver(self) -> Any:
        """The factorisation of ``inner`` (computed once; None for the Euclidean product)."""
        if self._inner_solver is None and self.inner is not None:
            self._inner_solver = factorize(self.inner, name="inner")
        return self._inner_solver

    def _pcg(self, A: Any, name: str = "A") -> Any:
        from rom.linalg.krylov import PreconditionedKrylov

        return PreconditionedKrylov(A, self.inner_solver, name=name)

    @property
    def size(self) -> int:
        return self.operator.shape[0]

    @property
    def dtype(self) -> np.dtype:
        return np.result_type(self.operator.dtype, self.rhs.dtype)

    def check_parameter(self, mu: Any, name: str = "mu") -> np.ndarray:
        """One parameter set, shape (n_params,) (against ``parameter_space`` when given).

        The rule of :func:`rom.validation.check_parameters`: a 1-D array is one set.

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        name : str
            The argument name used in error messages.
        """
        return check_parameter(mu, name, parameter_space=self.parameter_space)

    def check_parameters(self, mus: Any, name: str = "mus") -> np.ndarray:
        """Parameter sets as rows, shape (k, n_params): a 1-D array is one set.

        Parameters
        ----------
        mus : array_like, shape (k, n_params)
            Parameter sets (rows).
        name : str
            The argument name used in error messages.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.affine import AffineOperator
        >>> from rom.rb import LinearModel
        >>> model = LinearModel(AffineOperator([np.eye(2)], lambda mu: [1.0]), np.ones(2))
        >>> model.check_parameters([0.5, 2.0]).shape  # one set of two parameters
        (1, 2)
        >>> model.check_parameters([[0.5], [2.0]]).shape  # two sets of one
        (2, 1)
        """
        return check_parameters(mus, name, parameter_space=self.parameter_space)

    def solve(self, mu: Any, x0: Any = None) -> np.ndarray:
        """The full-order solution ``u(mu)`` (with ``solver``; see :meth:`solver_choice`).

        ``x0``, an initial guess, is used by iterative solvers (``solver="pcg"``, or a
        factory whose solvers have ``accepts_initial_guess``) and ignored otherwise.

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        x0 : array, shape (n,), optional
            Initial guess of an iterative solver.
        """
        return self._solve(mu, x0, self.coercive)

    def _solve(self, mu: Any, x0: Any, coercive: bool | None) -> np.ndarray:
        mu = self.check_parameter(mu)
        if x0 is not None:
            x0 = np.asarray(x0)
            if x0.shape != (self.size,):
                raise ValueError(f"x0: expected shape ({self.size},), got {x0.shape}")
        A = self.operator.assemble(mu)
        b = self.rhs.assemble(mu)
        solver = self._auto_solver(A, coercive) if self.auto else None
        if solver is not None:
            try:
                return solver.solve(b) if x0 is None else solver.solve(b, x0=x0)
            except ConvergenceError:
                pass  # not coercive after all: the factorisation below
        solver = self.solver(A, name="A(mu)")
        if x0 is not None and getattr(solver, "accepts_initial_guess", False):
            return solver.solve(b, x0=x0)
        return solver.solve(b)

    def _auto_solver(self, A: Any, coercive: bool | None) -> Any:
        """The CG of ``solver="auto"`` for an assembled ``A``, or None (factorise)."""
        if not coercive or self.inner is None or self.size < AUTO_PCG_MIN_DOFS:
            return None
        solver = self._pcg(A, name="A(mu)")
        return solver if solver.method_ == "cg" else None

    def solver_choice(self, mu: Any, coercive: bool | None = None) -> str:
        """The solver :meth:`solve` uses at ``mu``: ``"pcg"`` or ``"factorization"``
        (``"custom"`` for a callable ``solver``).

        ``coercive`` overrides the model's ``coercive`` (as a :class:`~rom.rb.ReducedBasis`
        with a coercivity lower bound does). The rule of ``solver="auto"``: CG
        preconditioned by the factorised inner product when ``inner`` is given, the
        model is coercive, ``A(mu)`` is Hermitian on its unconstrained rows and there
        are at least ``AUTO_PCG_MIN_DOFS`` dofs; the sparse LU otherwise.

        Examples
        --------
        >>> import numpy as np, scipy.sparse
        >>> from rom.affine import AffineOperator
        >>> from rom.rb import LinearModel
        >>> n = 5000
        >>> K = scipy.sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(n, n))
        >>> op = AffineOperator([K, scipy.sparse.eye(n)], lambda mu: [1.0, mu[0]])
        >>> model = LinearModel(op, np.ones(n), inner=K + scipy.sparse.eye(n))
        >>> model.solver_choice([0.5]), model.solver_choice([0.5], coercive=True)
        ('factorization', 'pcg')
        """
        mu = self.check_parameter(mu)
        coercive = self.coercive if coercive is None else bool(coercive)
        if self.auto:
            solver = self._auto_solver(self.operator.assemble(mu), coercive)
            return "factorization" if solver is None else "pcg"
        if self.solver == self._pcg:
            return "pcg"
        return "factorization" if self.solver is factorize else "custom"

    def solve_many(
        self, mus: Any, executor: Any = None, progress: bool | None = False
    ) -> np.ndarray:
        """Solutions for every row of ``mus`` as columns, shape (n, k).

        ``executor`` is any ``concurrent.futures.Executor`` (a process pool,
        ``MPIPoolExecutor``) or a ``dask.distributed`` client (see
        :mod:`rom.parallel`); the model must then be picklable.

        Parameters
        ----------
        mus : array_like, shape (k, n_params)
            Parameter sets (rows).
        executor : concurrent.futures.Executor or dask client, optional
            Where the solves run (default: serial).
        progress : bool, optional
            Whether to show a progress bar.
        """
        mus = self.check_parameters(mus)
        columns = map_parameters(self.solve, mus, executor, progress=progress, desc="solves")
        return np.stack(columns, axis=1)

    def output(self, mu: Any, u: Any = None) -> Any:
        """The output ``s(mu) = l(mu)^H u(mu)`` (solving for ``u`` unless given).

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        u : array, shape (n,), optional
            The solution at ``mu`` (computed if not given).
        """
        if self.output_functional is None:
            raise ValueError("output: this model has no output functional")
        mu = self.check_parameter(mu)
        u = self.solve(mu) if u is None else u
        l_vec = self.rhs if self.output_functional == "compliant" else self.output_functional
        return np.vdot(l_vec.assemble(mu), u)
