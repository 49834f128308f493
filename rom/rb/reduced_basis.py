"""The certified reduced basis method: Galerkin projection, greedy, error bounds."""

from __future__ import annotations

import copy
import logging
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.backend import blas_threads
from rom.linalg.gram_schmidt import project_out
from rom.linalg.inner import column_norms
from rom.parallel import as_executor, map_blocks
from rom.rb.estimators import ESTIMATORS, ResidualNorm
from rom.rb.greedy import ExtensionError, GreedyResult, weak_greedy
from rom.rb.model import LinearModel
from rom.rb.reduced_model import ReducedModel
from rom.rb.stability import InfSupEstimate
from rom.validation import (
    check_array,
    check_choice,
    check_parameters,
    check_positive_int,
    check_real,
    check_tolerance,
)

__all__ = ["ReducedBasis"]

logger = logging.getLogger("rom.rb")

#: models up to this size run the greedy on one BLAS thread (see ReducedBasis.fit)
ONE_THREAD_DOFS = 200_000


class ReducedBasis(Estimator):
    r"""Certified reduced basis of a coercive :class:`LinearModel`, built by a weak greedy.

    The basis ``V`` is X-orthonormal (X = the model's inner product); the reduced
    operators :math:`V^H A_q V` and vectors :math:`V^H f_q` are updated incrementally,
    and so are the Riesz representatives of the residual components that give the
    dual norm of the residual online at a cost independent of ``n``.

    Parameters
    ----------
    model : LinearModel
        The full-order model (saved files name it as a part: give it back to
        :func:`rom.load` as ``model=``).
    coercivity : callable
        ``coercivity(mu)`` returns a lower bound :math:`\alpha_{LB}(\mu)` of the
        coercivity constant (:class:`MinTheta`, :class:`SCM`, or any callable; a
        ``many(mus)`` method makes it vectorised). The error bounds are certified
        only if it really is a lower bound.
    estimator : {"accurate", "classical"}
        How the dual norm of the residual is computed online (see
        :mod:`rom.rb.estimators`): "classical" stalls near 1e-8 relative accuracy,
        "accurate" follows the residual down to round-off.
    projection : {"galerkin", "minres"}
        Galerkin projection (coercive problems), or the minimum-residual
        (least-squares) reduced solution, which stays stable for non-coercive and
        complex problems such as Helmholtz (needs ``estimator="accurate"``). For
        non-coercive problems pass a stability estimate such as
        :class:`rom.rb.InfSupEstimate` as ``coercivity``: the bound is then an
        indicator, not a certificate.
    tol : float, optional
        The greedy stops when the largest error bound over the training set,
        :math:`\max_\mu \|r_N(\mu)\|_{X'}/\alpha_{LB}(\mu)` (a bound of the error
        :math:`\|u(\mu) - u_N(\mu)\|_X` in the norm of the model's inner product), is at
        most ``tol``. With ``relative`` it is relative to the same bound for the empty
        basis, :math:`\max_\mu \|f(\mu)\|_{X'}/\alpha_{LB}(\mu)` (a bound of
        :math:`\max_\mu \|u(\mu)\|_X`).
    max_terms : int, optional
        The largest basis size.
    relative : bool
        Whether ``tol`` is relative (the default) or absolute.
    saturation : float >= 1, optional
        Lazy greedy under the saturation assumption (see
        :func:`~rom.rb.weak_greedy`): each step evaluates the bounds in decreasing
        order of their last value and stops evaluating once ``saturation`` times the
        last value is below the largest bound found in the step. The final stopping
        test evaluates every training parameter, so ``tol`` still holds on the whole
        training set. It pays on large training sets (thousands of parameters), where
        most bounds are far below the largest; 1.0 is a good value for coercive
        problems, whose bounds decrease nearly monotonically with the basis. None
        (the default): every bound at every step.

    Attributes
    ----------
    basis_ : ndarray, shape (n, N)
    n_terms_ : int
        The basis size ``N``.
    reduced_model_ : ReducedModel
        The reduced model of the whole basis (built once per extension).
    greedy_result_ : GreedyResult
        The record of the last greedy run (:meth:`fit` or :meth:`extend_greedy`).
    stop_reason_ : {"tol", "max_terms", "exhausted", "degenerate"}
        Why the last greedy run stopped.

    Notes
    -----
    **Nonintrusive (EIM) operators.** When the model's operator or right-hand side
    carries an ``eim_error`` (set by :meth:`rom.eim.MatrixEIM.to_affine`), the Riesz
    representatives of its components are orthonormalised as well, so that the
    reduced model adds the estimated EIM contribution to its error indicator online
    (:meth:`ReducedModel.estimate <rom.rb.ReducedModel.estimate>`). That part is an
    estimate, not a bound. The greedy is driven by the residual part alone: the EIM
    part does not decrease when the basis grows. See :doc:`/theory/nonintrusive`.

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> from rom.affine import AffineOperator, LinearCoefficients
    >>> from rom.rb import LinearModel, MinTheta, ReducedBasis
    >>> n = 50
    >>> K = scipy.sparse.diags([-n, 2.0 * n, -n], [-1, 0, 1], shape=(n, n))
    >>> theta = LinearCoefficients([[1.0], [0.0]], offset=[0.0, 1.0])  # mu * K + M
    >>> op = AffineOperator([K, scipy.sparse.eye(n) / n], theta)
    >>> model = LinearModel(op, np.ones(n), inner=K + scipy.sparse.eye(n) / n)
    >>> rb = ReducedBasis(model, MinTheta(theta, [1.0], 1.0), tol=1e-8)
    >>> rb = rb.fit(np.linspace(0.1, 1, 20)[:, None])
    >>> rb.stop_reason_
    'tol'
    >>> bool(rb.reduced_model_.estimate([0.5]) < 1e-8 * rb.greedy_result_.errors[0])
    True
    """

    _fitted_marker = "reduced_model_"

    def __init__(
        self,
        model: LinearModel,
        coercivity: Any,
        estimator: str = "accurate",
        projection: str = "galerkin",
        tol: float | None = None,
        max_terms: int | None = None,
        relative: bool = True,
        saturation: float | None = None,
    ) -> None:
        self.model = model
        self.coercivity = coercivity
        self.estimator = estimator
        self.projection = projection
        self.tol = tol
        self.max_terms = max_terms
        self.relative = relative
        self.saturation = saturation

    # ------------------------------------------------------------ settings
    def _check_model(self) -> None:
        if not isinstance(self.model, LinearModel):
            raise TypeError(f"model: expected a LinearModel, got {type(self.model).__name__}")
        if not callable(self.coercivity):
            raise TypeError(
                "coercivity: expected a callable mu -> lower bound (MinTheta, SCM, ...)"
            )
        check_choice(self.estimator, "estimator", ESTIMATORS)
        check_choice(self.projection, "projection", ("galerkin", "minres"))
        if self.projection == "minres" and self.estimator != "accurate":
            raise ValueError("projection: 'minres' needs estimator='accurate'")

    def _check_greedy_settings(self) -> tuple[float | None, int | None]:
        tol = check_tolerance(self.tol, "tol")
        max_terms = check_positive_int(self.max_terms, "max_terms", minimum=0)
        if not isinstance(self.relative, bool | np.bool_):
            raise TypeError(f"relative: expected a bool, got {self.relative!r}")
        if self.saturation is not None and not check_real(self.saturation, "saturation") >= 1:
            raise ValueError(
                f"saturation: expected a number >= 1 or None, got {self.saturation!r}"
            )
        return tol, max_terms

    def _training_set(self, training_set: Any) -> np.ndarray:
        return check_parameters(
            training_set, "training_set", parameter_space=self.model.parameter_space
        )

    # ------------------------------------------------------------ offline state
    def _start(self) -> None:
        """Empty basis: the offline structures of the model, nothing learned yet."""
        model = self.model
        n = model.size
        dtype = model.dtype
        for name in ("greedy_result_", "stop_reason_"):
            self.__dict__.pop(name, None)
        # the basis lives in a buffer that grows geometrically: an extension writes
        # one column instead of copying everything
        self._V = np.zeros((n, 8), dtype=dtype)
        self._adjoints = [A.conj().T for A in model.operator.terms]
        self._AN = np.zeros((model.operator.n_terms, 0, 0), dtype=dtype)
        self._hermitian = all(_is_hermitian(A) for A in model.operator.terms)
        self._residual = ResidualNorm(
            model.inner, self.estimator, n, dtype, inner_solver=model.inner_solver
        )
        self._residual.add(model.rhs.matrix())
        self._eim_operator = getattr(model.operator, "eim_error", None)
        self._eim_rhs = getattr(model.rhs, "eim_error", None)
        self._eim = None
        self._eim_sizes = (0, 0)
        if self._eim_operator is not None or self._eim_rhs is not None:
            self._check_eim_error()
            self._eim = ResidualNorm(
                model.inner, "accurate", n, dtype, inner_solver=model.inner_solver
            )
            if self._eim_rhs is not None:
                self._eim.add(self._eim_rhs.matrix())
            self._eim_sizes = (
                0 if self._eim_rhs is None else self._eim_rhs.n_terms,
                0 if self._eim_operator is None else self._eim_operator.n_terms,
            )
        out = model.output_functional
        self._output_gram = None
        if out is not None and out != "compliant":
            self._output_gram = self._residual.dual_gram(out.matrix())
        self._update()

    def _offline(self) -> None:
        """The offline structures, rebuilt from ``basis_`` after :func:`rom.load`."""
        if "_residual" in vars(self):
            return
        self._check_model()
        saved = self.basis_ if "basis_" in vars(self) else None
        self._start()
        if saved is not None and saved.shape[1]:
            for j in range(saved.shape[1]):  # already X-orthonormal: appended as they are
                self._append(saved[:, j])
            self._update()

    def _check_eim_error(self) -> None:
        from rom.affine import AffineOperator, AffineVector

        n = self.model.size
        E, F = self._eim_operator, self._eim_rhs
        if E is not None and (not isinstance(E, AffineOperator) or E.shape != (n, n)):
            raise TypeError(
                f"model.operator.eim_error: expected None or an AffineOperator of shape "
                f"({n}, {n}), got {E!r}"
            )
        if F is not None and (not isinstance(F, AffineVector) or F.size != n):
            raise TypeError(
                f"model.rhs.eim_error: expected None or an AffineVector of size {n}, got {F!r}"
            )

    @property
    def size(self) -> int:
        """The basis size (``n_terms_``)."""
        self._check_fitted()
        return self.n_terms_

    # ------------------------------------------------------------ extension
    def extend(self, snapshots: Any) -> int:
        """Add the X-orthonormalised part of ``snapshots`` (n,) or (n, k) to the basis.

        Starts an empty basis when the reduced basis is not fitted yet. Vectors
        (numerically) in the span of the basis are skipped. The reduced model is
        rebuilt once, after all of them.

        Parameters
        ----------
        snapshots : array, shape (n,) or (n, k)
            Vectors to add to the basis (columns).

        Returns
        -------
        int
            How many vectors were added.
        """
        self._check_model()
        U = check_array(snapshots, "snapshots", ndim=(1, 2))
        U = U[:, None] if U.ndim == 1 else U
        if U.shape[0] != self.model.size:
            raise ValueError(f"snapshots: expected {self.model.size} rows, got {U.shape[0]}")
        self._offline()
        added = self._add(U)
        if added:
            self._update()
        return added

    def _add(self, U: np.ndarray) -> int:
        added = 0
        X = self.model.inner
        for j in range(U.shape[1]):
            v = U[:, j].astype(np.result_type(U.dtype, self.basis_.dtype))
            v, _, norm, norm0 = project_out(v, self.basis_, X)
            if norm0 == 0 or norm <= 1e-14 * norm0:  # nothing left but round-off
                continue
            self._append(v / norm)
            added += 1
        return added

    def _append(self, v: np.ndarray) -> None:
        terms = self.model.operator.terms
        dtype = np.result_type(self._V.dtype, v.dtype)
        N = self.basis_.shape[1] + 1
        if N > self._V.shape[1] or dtype != self._V.dtype:
            V = np.zeros((self._V.shape[0], max(N, 2 * self._V.shape[1])), dtype=dtype)
            V[:, : N - 1] = self._V[:, : N - 1]
            self._V = V
        V = self._V[:, :N]
        V[:, N - 1] = v
        Av = [A @ v for A in terms]
        AHv = np.stack([A @ v for A in self._adjoints], axis=1)
        AN = np.zeros((len(terms), N, N), dtype=np.result_type(dtype, self._AN.dtype))
        AN[:, : N - 1, : N - 1] = self._AN
        # one read of the basis for the new column of every term, one for the new row:
        # (V^H A_q v)_q and v^H A_q V = ((A_q^H v)^H V)
        AN[:, :, N - 1] = (V.conj().T @ np.stack(Av, axis=1)).T
        AN[:, N - 1, : N - 1] = (V[:, : N - 1].conj().T @ AHv).conj().T
        self._AN = AN
        self.basis_ = V
        self._residual.add(np.stack(Av, axis=1))
        if self._eim is not None and self._eim_operator is not None:
            self._eim.add(np.stack([Q @ v for Q in self._eim_operator.terms], axis=1))

    def _update(self) -> None:
        """The fitted attributes of the current basis: the reduced model built once."""
        N = self._AN.shape[1]
        self.basis_ = self._V[:, :N]  # a view: later extensions write other columns
        self.n_terms_ = N
        self.reduced_model_ = self._build_reduced_model()

    def _build_reduced_model(self) -> ReducedModel:
        model = self.model
        V = self.basis_
        N = V.shape[1]
        K = model.rhs.n_terms + model.operator.n_terms * N
        out = model.output_functional
        eim = {}
        if self._eim is not None:
            pf, p = self._eim_sizes
            eim = dict(
                eim_error_matrix=_truncate(self._eim.online_matrix(), pf + p * N, "accurate"),
                eim_operator_coefficients=None
                if self._eim_operator is None
                else self._eim_operator.coefficients,
                eim_rhs_coefficients=None if self._eim_rhs is None else self._eim_rhs.coefficients,
                eim_error_sizes=(pf, p),
            )
        functional = out is not None and out != "compliant"
        return ReducedModel(
            operator_terms=self._AN,  # replaced, never written, by the next extension
            rhs_terms=(V.conj().T @ model.rhs.matrix()).T.copy(),
            operator_coefficients=model.operator.coefficients,
            rhs_coefficients=model.rhs.coefficients,
            coercivity=self.coercivity,
            estimator=self.estimator,
            estimator_matrix=_truncate(self._residual.online_matrix(), K, self.estimator),
            basis=V,
            output_kind=None if out is None else ("functional" if functional else "compliant"),
            output_terms=(V.conj().T @ out.matrix()).T.copy() if functional else None,
            output_coefficients=out.coefficients if functional else None,
            output_gram=self._output_gram,
            parameter_space=model.parameter_space,
            projection=self.projection,
            hermitian=self._hermitian,
            **eim,
        )

    # --------------------------------------------------------------- greedy
    def fit(
        self, training_set: Any, *, progress: bool | None = None, executor: Any = None
    ) -> ReducedBasis:
        """Build the basis from scratch by the weak greedy over ``training_set``.

        Each step solves the full model at the parameter of the training set whose
        error bound is largest and adds the solution to the basis, until ``tol``,
        ``max_terms``, a vanishing bound, or a snapshot already in the span of the
        basis (``stop_reason_``: "tol", "max_terms", "exhausted", "degenerate").

        Parameters
        ----------
        training_set : array (n_train, n_params)
            Parameter sets, one per row (checked against the model's parameter space).
        progress : bool, optional
            A tqdm bar during the greedy (default: when stderr is a terminal).
        executor : concurrent.futures.Executor or dask Client, optional
            Evaluates the error bounds over blocks of the training set in parallel
            (the reduced model's coefficient functions must then be picklable for a
            process pool); see :mod:`rom.parallel`.

        Returns
        -------
        self
        """
        return self._greedy(training_set, True, progress, executor)

    def extend_greedy(
        self, training_set: Any, *, progress: bool | None = None, executor: Any = None
    ) -> ReducedBasis:
        """Continue the greedy from the current basis (after :meth:`fit`, :meth:`extend`
        or :func:`rom.load`), with the same settings, possibly on another training set.

        ``max_terms`` still caps the whole basis; a relative ``tol`` is relative to the
        bound of the empty basis on this training set, as in :meth:`fit`; ``progress``
        and ``executor`` as in :meth:`fit`.

        Parameters
        ----------
        training_set : array_like, shape (k, n_params)
            Parameter sets (rows).
        progress : bool, optional
            Whether to show a progress bar (default: on a terminal).
        executor : concurrent.futures.Executor or dask client, optional
            Where the error bounds and the solves run (default: serial).

        Returns
        -------
        self
        """
        return self._greedy(training_set, False, progress, executor)

    def _greedy(
        self, training_set: Any, fresh: bool, progress: bool | None, executor: Any
    ) -> ReducedBasis:
        """The greedy of :meth:`fit` (``fresh``: from an empty basis) and :meth:`extend_greedy`."""
        self._check_model()
        tol, max_terms = self._check_greedy_settings()
        mus = self._training_set(training_set)
        executor = as_executor(executor)
        if fresh:
            self._start()
        else:
            self._offline()
        N0 = self.n_terms_
        relative = bool(self.relative)
        if tol is not None and relative and N0:
            # relative to the bound of the empty basis, max ||f||_{X'} / alpha_LB
            tol = tol * float(np.max(self.reduced_model(0)._bounds(mus)[2]))
            relative = False
        extensions = None if max_terms is None else max(0, max_terms - N0)

        class _Surrogate:
            @staticmethod
            def evaluate(rows):
                return self._evaluate(rows, executor)

            extend = self._extend_at

        # the greedy's dense work is memory-bound products with a few columns, between
        # sparse solves: one BLAS thread is faster below a few hundred thousand dofs
        # (and spares SciPy's and NumPy's separate BLAS thread pools from waiting on
        # each other); large models keep every thread for the bandwidth
        with blas_threads(1 if self.model.size <= ONE_THREAD_DOFS else None):
            result: GreedyResult = weak_greedy(
                _Surrogate(),
                mus,
                tol=tol,
                max_terms=extensions,
                relative=relative,
                progress=progress,
                saturation=self.saturation,
            )
        self.greedy_result_ = result
        self.stop_reason_ = result.stop_reason
        logger.info(
            "reduced basis: %d vectors (%s), bound %.3e",
            self.n_terms_,
            result.stop_reason,
            result.errors[-1],
        )
        return self

    def _evaluate(self, mus: np.ndarray, executor: Any = None) -> np.ndarray:
        r"""Error bounds on rows of parameters (the greedy's estimate).

        The residual part only (:math:`\|r_N(\mu)\|_{X'}/\alpha_{LB}(\mu)`): an EIM
        contribution, when there is one, does not decrease as the basis grows.
        """
        reduced = self.reduced_model_
        if executor is None:
            return reduced._bounds(mus)[2]
        light = copy.copy(reduced)  # the workers need no basis
        light.basis = None
        return map_blocks(_Bounds(light), mus, executor)

    def _extend_at(self, mu: np.ndarray) -> None:
        # an iterative solver starts from the reduced solution (a direct one ignores it)
        x0 = self.basis_ @ self.reduced_model_.solve(mu) if self.n_terms_ else None
        u = self.model._solve(mu, x0, self._coercive())
        if self._add(u[:, None]) == 0:
            raise ExtensionError("the new snapshot is already in the span of the basis")
        self._update()

    def _coercive(self) -> bool:
        """Whether the full solves may use CG (``solver="auto"``): the model says so,
        or (when it does not say) ``coercivity`` is a coercivity lower bound of a
        Galerkin reduced basis rather than an inf-sup estimate."""
        if self.model.coercive is not None:
            return self.model.coercive
        return self.projection == "galerkin" and not isinstance(self.coercivity, InfSupEstimate)

    # ------------------------------------------------------------ reduced model
    def reduced_model(self, size: int | None = None, with_basis: bool = True) -> ReducedModel:
        """The reduced model with the first ``size`` basis vectors (all by default).

        A new :class:`ReducedModel` that shares nothing mutable with ``reduced_model_``
        (a truncation of it: the basis is X-orthonormal and built incrementally, so the
        reduced model of the first ``size`` vectors is a block of the whole one).

        Parameters
        ----------
        size : int, optional
            Number of basis vectors (default: all).
        with_basis : bool
            Whether the reduced model keeps the basis (to reconstruct full solutions).
        """
        self._check_fitted()
        full = self.reduced_model_
        N = self.n_terms_ if size is None else size
        if isinstance(N, bool) or not isinstance(N, int | np.integer) or not 0 <= N <= full.size:
            raise ValueError(f"size: expected an integer 0 <= size <= {full.size}, got {size!r}")
        N = int(N)
        Q = full.operator_terms.shape[0]
        K = full.rhs_terms.shape[0] + Q * N
        params = full.get_params(deep=False)
        params.update(
            operator_terms=full.operator_terms[:, :N, :N].copy(),
            rhs_terms=full.rhs_terms[:, :N].copy(),
            estimator_matrix=_truncate(full.estimator_matrix, K, full.estimator),
            basis=full.basis[:, :N].copy() if with_basis and full.basis is not None else None,
        )
        if full.output_terms is not None:
            params["output_terms"] = full.output_terms[:, :N].copy()
        if full.eim_error_matrix is not None:
            pf, p = full.eim_error_sizes
            params["eim_error_matrix"] = _truncate(full.eim_error_matrix, pf + p * N, "accurate")
        return ReducedModel(**params)

    def true_errors(
        self, mus: Any, reduced: ReducedModel | None = None, executor: Any = None
    ) -> np.ndarray:
        """``||u(mu) - V a(mu)||_X`` by full solves (for validation and effectivities).

        The full solves go through :meth:`LinearModel.solve_many` with ``executor``
        (see :mod:`rom.parallel`; the model must then be picklable for a process pool).

        Parameters
        ----------
        mus : array_like, shape (k, n_params)
            Parameter sets (rows).
        reduced : ReducedModel, optional
            The reduced model (default: ``reduced_model_``).
        executor : concurrent.futures.Executor or dask client, optional
            Where the full-order solves run (default: serial).
        """
        self._check_fitted()
        mus = self.model.check_parameters(mus)
        reduced = reduced or self.reduced_model_
        a = reduced.solve(mus)
        U = self.model.solve_many(mus, executor=executor)
        E = U - self.basis_[:, : reduced.size] @ a.T
        return column_norms(E, self.model.inner)

    # ---------------------------------------------------------- persistence
    def _fitted_state(self) -> dict[str, Any]:
        state = super()._fitted_state()
        state.pop("basis_", None)  # it is reduced_model_.basis: stored once
        return state

    def _restore(self) -> None:
        self._check_model()
        reduced = self.reduced_model_
        if not isinstance(reduced, ReducedModel) or reduced.basis is None:
            raise ValueError("reduced_model_: expected a ReducedModel with its basis")
        basis = np.asarray(reduced.basis)
        if basis.shape[0] != self.model.size:
            raise ValueError(
                f"model: expected a model of size {basis.shape[0]} (the saved basis), got "
                f"{self.model.size}"
            )
        self.basis_ = basis
        self.n_terms_ = basis.shape[1]


class _Bounds:
    """``mus -> error bounds`` of a reduced model (picklable, for an executor)."""

    def __init__(self, reduced: ReducedModel) -> None:
        self.reduced = reduced

    def __call__(self, mus: np.ndarray) -> np.ndarray:
        return self.reduced._bounds(mus)[2]


def _truncate(matrix: np.ndarray, K: int, kind: str) -> np.ndarray:
    if kind == "classical":
        return matrix[:K, :K].copy()
    C = matrix[:, :K]
    rows = np.nonzero(np.any(C != 0, axis=1))[0]
    return C[: rows.max() + 1 if rows.size else 0].copy()


def _is_hermitian(A: Any) -> bool:
    """Whether a term equals its conjugate transpose (to round-off)."""
    D = A - A.conj().T
    size = abs(A).max()
    return bool(abs(D).max() <= 1e-12 * (size if size > 0 else 1.0))
