"""The certified reduced basis method: Galerkin projection, greedy, error bounds."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from rom._checks import check_array, check_choice, check_positive_int, check_tolerance
from rom.backend import blas_threads
from rom.linalg.gram_schmidt import project_out
from rom.linalg.inner import column_norms
from rom.rb.estimators import ESTIMATORS, ResidualNorm
from rom.rb.greedy import ExtensionError, GreedyResult, weak_greedy
from rom.rb.model import LinearModel
from rom.rb.reduced_model import ReducedModel

__all__ = ["ReducedBasis"]

logger = logging.getLogger("rom.rb")

#: models up to this size run the greedy on one BLAS thread (see ReducedBasis.greedy)
ONE_THREAD_DOFS = 200_000


class ReducedBasis:
    r"""Certified reduced basis of a coercive :class:`LinearModel`.

    The basis ``V`` is X-orthonormal (X = the model's inner product); the reduced
    operators :math:`V^H A_q V` and vectors :math:`V^H f_q` are updated incrementally,
    and so are the Riesz representatives of the residual components that give the
    dual norm of the residual online at a cost independent of ``n``.

    Parameters
    ----------
    model : LinearModel
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

    Notes
    -----
    **Nonintrusive (EIM) operators.** When the model's operator or right-hand side
    carries an ``eim_error`` (set by :meth:`rom.eim.MatrixEIM.to_affine`: an affine
    estimate :math:`E(\mu) \approx A(\mu) - A_M(\mu)`, :math:`F(\mu) \approx f(\mu) -
    f_M(\mu)`), the Riesz representatives of the components :math:`F_k` and
    :math:`E_k v_n` are orthonormalised as well (the accurate representation), so that
    the reduced model evaluates :math:`\|F(\mu)\|_{X'} + \|E(\mu) u_N(\mu)\|_{X'}`
    online at a cost independent of ``n`` and adds it, divided by the stability
    constant, to the residual indicator (:meth:`ReducedModel.estimate
    <rom.rb.ReducedModel.estimate>`). That part is an estimate, not a bound. The
    greedy is driven by the residual part alone: the EIM part does not decrease
    when the basis grows.

    Attributes
    ----------
    basis_ : ndarray, shape (n, N)
    greedy_result_ : GreedyResult
        After :meth:`greedy`.

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
    >>> rb = ReducedBasis(model, MinTheta(theta, [1.0], 1.0)).greedy(
    ...     np.linspace(0.1, 1, 20)[:, None], tol=1e-8)
    >>> bool(rb.reduced_model_.estimate([0.5]) < 1e-8 * rb.greedy_result_.errors[0])
    True
    """

    def __init__(
        self,
        model: LinearModel,
        coercivity: Any,
        estimator: str = "accurate",
        projection: str = "galerkin",
    ) -> None:
        if not isinstance(model, LinearModel):
            raise TypeError(f"model: expected a LinearModel, got {type(model).__name__}")
        if not callable(coercivity):
            raise TypeError(
                "coercivity: expected a callable mu -> lower bound (MinTheta, SCM, ...)"
            )
        self.model = model
        self.coercivity = coercivity
        self.estimator = check_choice(estimator, "estimator", ESTIMATORS)
        self.projection = check_choice(projection, "projection", ("galerkin", "minres"))
        if self.projection == "minres" and self.estimator != "accurate":
            raise ValueError("projection: 'minres' needs estimator='accurate'")
        n = model.size
        dtype = model.dtype
        # the basis lives in a buffer that grows geometrically: an extension writes
        # one column instead of copying everything
        self._V = np.zeros((n, 8), dtype=dtype)
        self.basis_ = self._V[:, :0]
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
        return self.basis_.shape[1]

    # ------------------------------------------------------------ extension
    def extend(self, snapshots: Any) -> int:
        """Add the X-orthonormalised part of ``snapshots`` (n,) or (n, k) to the basis.

        Vectors (numerically) in the span of the basis are skipped. Returns how many
        vectors were added.
        """
        U = check_array(snapshots, "snapshots", ndim=(1, 2))
        U = U[:, None] if U.ndim == 1 else U
        if U.shape[0] != self.model.size:
            raise ValueError(f"snapshots: expected {self.model.size} rows, got {U.shape[0]}")
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
        N = self.size + 1
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

    # --------------------------------------------------------------- greedy
    def evaluate(self, mus: np.ndarray) -> np.ndarray:
        r"""Error bounds on rows of parameters (the greedy's surrogate interface).

        The residual part only (:math:`\|r_M(\mu)\|_{X'}/\alpha_{LB}(\mu)`): an EIM
        contribution, when there is one, does not decrease as the basis grows.
        """
        return self.reduced_model_._bounds(mus)[2]

    def _extend_at(self, mu: np.ndarray) -> None:
        # an iterative solver starts from the reduced solution (a direct one ignores it)
        x0 = self.basis_ @ self.reduced_model(with_basis=False).solve(mu) if self.size else None
        if self.extend(self.model.solve(mu, x0=x0)) == 0:
            raise ExtensionError("the new snapshot is already in the span of the basis")

    def greedy(
        self,
        training_set: Any,
        tol: float | None = None,
        max_basis: int | None = None,
        relative: bool = True,
        progress: bool | None = None,
    ) -> ReducedBasis:
        """Weak greedy with the error bound as the estimate.

        Parameters
        ----------
        training_set : array (n_train, n_params)
        tol : float, optional
            Stop when the largest bound over the training set is at most ``tol`` (times
            the first largest bound, :math:`\\max \\|f(\\mu)\\|_{X'}/\\alpha_{LB}(\\mu)`,
            when ``relative``).
        max_basis : int, optional
            Largest basis size.

        Returns
        -------
        self, with ``greedy_result_``.
        """
        tol = check_tolerance(tol, "tol")
        max_basis = check_positive_int(max_basis, "max_basis")
        mus = self.model.check_parameters(training_set)
        extensions = None if max_basis is None else max(0, max_basis - self.size)

        class _Surrogate:
            evaluate = self.evaluate
            extend = self._extend_at

        # the greedy's dense work is memory-bound products with a few columns, between
        # sparse solves: one BLAS thread is faster below a few hundred thousand dofs
        # (and spares SciPy's and NumPy's separate BLAS thread pools from waiting on
        # each other); large models keep every thread for the bandwidth
        with blas_threads(1 if self.model.size <= ONE_THREAD_DOFS else None):
            self.greedy_result_: GreedyResult = weak_greedy(
                _Surrogate(),
                mus,
                tol=tol,
                max_extensions=extensions,
                relative=relative,
                progress=progress,
            )
        logger.info(
            "reduced basis: %d vectors (%s), bound %.3e",
            self.size,
            self.greedy_result_.stop_reason,
            self.greedy_result_.errors[-1],
        )
        return self

    # ------------------------------------------------------------ reduced model
    def reduced_model(self, size: int | None = None, with_basis: bool = True) -> ReducedModel:
        """The reduced model with the first ``size`` basis vectors (all by default)."""
        N = self.size if size is None else int(size)
        if not 0 <= N <= self.size:
            raise ValueError(f"size: expected 0 <= size <= {self.size}, got {size}")
        model = self.model
        Qf = model.rhs.n_terms
        Qa = model.operator.n_terms
        V = self.basis_[:, :N]
        K = Qf + Qa * N
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
        return ReducedModel(
            operator_terms=self._AN[:, :N, :N].copy(),
            rhs_terms=(V.conj().T @ model.rhs.matrix()).T.copy(),
            operator_coefficients=model.operator.coefficients,
            rhs_coefficients=model.rhs.coefficients,
            coercivity=self.coercivity,
            estimator=self.estimator,
            estimator_matrix=_truncate(self._residual.online_matrix(), K, self.estimator),
            basis=V.copy() if with_basis else None,
            output=None if out is None else ("compliant" if out == "compliant" else "functional"),
            output_terms=None
            if out is None or out == "compliant"
            else (V.conj().T @ out.matrix()).T.copy(),
            output_coefficients=None if out is None or out == "compliant" else out.coefficients,
            output_gram=self._output_gram,
            parameter_space=model.parameter_space,
            projection=self.projection,
            hermitian=self._hermitian,
            **eim,
        )

    @property
    def reduced_model_(self) -> ReducedModel:
        """The reduced model of the current basis."""
        return self.reduced_model()

    def true_errors(self, mus: Any, reduced: ReducedModel | None = None) -> np.ndarray:
        """``||u(mu) - V a(mu)||_X`` by full solves (for validation and effectivities)."""
        mus = self.model.check_parameters(mus)
        reduced = reduced or self.reduced_model_
        a = reduced.solve(mus)
        errors = []
        for mu, coef in zip(mus, a, strict=True):
            e = self.model.solve(mu) - self.basis_[:, : reduced.size] @ coef
            errors.append(float(column_norms(e[:, None], self.model.inner)[0]))
        return np.asarray(errors)


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
