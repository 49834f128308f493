r"""Nonintrusive approximation of :math:`\mu \mapsto \log\det A(\mu)`, with certified bounds."""

from __future__ import annotations

import warnings
from concurrent.futures import Executor
from typing import Any

import numpy as np

from rom.matfun._bounds import _AUTO_BOUND_SIZE, _logdet_brackets, _terms_psd, _trace_moments
from rom.matfun._greedy import _assemble_square, _Operator, _ParameterInterpolant
from rom.matfun._interpolation import _chebyshev_features, _solve_triangular, _training_estimates
from rom.matfun.exact import exact_logdet
from rom.parallel import map_parameters
from rom.validation import check_positive_int

__all__ = ["LogDet"]


def _logdet_task(task: tuple) -> tuple[Any, float, int, Any]:
    """``(sign, log|det|, n, moments)`` of ``A(mu)`` (top level: executors pickle it)."""
    assemble, mu, spd, terms = task
    A = _assemble_square(assemble, mu, None)
    sign, value = exact_logdet(A, spd=spd, return_sign=True, name=f"A(mu={mu})")
    moments = None if terms is None else _trace_moments(A, terms, name=f"A(mu={mu})")
    return sign, value, A.shape[0], moments


class LogDet(_ParameterInterpolant):
    r"""Nonintrusive approximation of :math:`\mu \mapsto \log\det A(\mu)`, with bounds.

    An empirical interpolation of polynomial features of :math:`\theta(\mu)` (the
    coefficients of :math:`A(\mu) = \sum_q\theta_q(\mu)A_q`, or the parameters of a
    callable), added one total degree at a time, gives

    .. math::

       \log\det A(\mu) \approx \sum_{m=1}^M \lambda_m(\mu) \log\det A(\mu_m),

    with the exact log-determinants computed at the ``M`` selected parameters only
    (:func:`~rom.matfun.exact_logdet`, one factorisation each) and :math:`\lambda(\mu)`
    from two triangular solves of size ``M``: the online cost does not depend on the
    size of :math:`A`. Why polynomial features (the power series of
    :math:`\log\det`), the choice of variables and the greedy are derived on the
    theory page ``docs/theory/logdet.rst``.

    Two error measures are offered. :meth:`error_estimate` (always available) is the
    size of the contributions of the last two degrees: cheap and usually close to
    the error, but not a bound. :meth:`error_bound` is rigorous: for an affine
    symmetric positive definite operator it brackets :math:`\log\det A(\mu)` around
    every selected parameter from the exact traces
    :math:`\operatorname{tr}(A(\mu_m)^{-1}A_q)` and
    :math:`\operatorname{tr}(A(\mu_m)^{-1}A_qA(\mu_m)^{-1}A_r)` computed at fit time
    (``bound``). It is far less sharp than the estimate.

    Parameters
    ----------
    operator : AffineOperator, LinearModel or callable
        :math:`A(\mu)`, square. With an :class:`~rom.affine.AffineOperator` (or a
        :class:`~rom.rb.LinearModel`, whose parameter space then checks every
        parameter) the interpolation variables are the coefficients
        :math:`\theta(\mu)` and only the selected matrices are assembled; with a
        callable ``mu -> A(mu)`` (any parametrised matrix, not necessarily affine:
        a kernel matrix with a parametrised length scale, say) they are the
        parameters themselves.
    tol : float, optional
        The greedy stops after the first degree whose error estimate
        :math:`\eta(\mu) = |c_D(\mu)| + |c_{D-1}(\mu)|` (the moduli of the
        contributions of the last two degrees, see :meth:`evaluate`) is at most
        ``tol * scale_`` at every training parameter (the maximum norm over the
        training set), ``scale_`` being the largest :math:`|\log\det A(\mu_m)|` at
        the selected parameters; between 0 and 1. With ``relative=False`` the
        estimate is compared with ``tol`` itself, in the units of the
        log-determinant. None: no tolerance (``max_terms``, ``max_degree`` or the
        training set stop the greedy). The estimate costs no exact evaluation, so the
        training set can (and should) be large: at least ten parameters per term,
        corners included.
    relative : bool
        Whether ``tol`` is relative to ``scale_`` (the default) or absolute.
    max_terms : int, optional
        Largest number of selected parameters (exact log-determinants).
    max_degree : int, optional
        Largest total degree of the features; reaching it stops the greedy with
        ``stop_reason_ == "max_terms"`` (a cap on the size, as ``max_terms``).
    variables : {"auto", "linear", "log"}
        Interpolation variables: the coefficients :math:`\theta_q(\mu)` (or the
        parameters, for a callable), linearly or through their logarithm. ``"auto"``
        takes the logarithm of every coordinate that is positive on the training set
        (where the log-determinant of a sum of positive semidefinite terms converges
        fast even over decades of :math:`\theta`); when all coefficients are positive
        it also uses the homogeneity :math:`A(s\theta) = sA(\theta)` to remove one
        variable exactly. ``"linear"`` uses neither.
    spd : bool
        ``True``: :math:`A(\mu)` must be symmetric (Hermitian) positive definite
        (checked at the selected parameters; a matrix that is not raises
        ``ValueError``) and ``log det`` is returned. ``False``: general matrices,
        ``log |det|`` is interpolated (the sign must not change over the training
        set, or a warning says the approximation cannot hold there).
    bound : {"auto", True, False}
        Compute the exact traces behind :meth:`error_bound` at the selected
        parameters: ``n`` solves with the factorisation of each :math:`A(\mu_m)`,
        and ``n`` by ``n`` dense storage during the computation, so meant for
        moderate ``n``. Needs an affine operator and ``spd=True``. ``"auto"`` does
        it when these hold and ``n <= 2000``; ``True`` requires it.

    Attributes
    ----------
    parameters_ : ndarray, shape (M, n_params)
        The selected parameters, in the order of selection.
    n_terms_ : int
        ``M``, the number of selected parameters (terms of the approximation).
    degree_ : int
        The largest total degree of the interpolation features.
    values_ : ndarray, shape (M,)
        Exact (log-abs-)determinants at ``parameters_``.
    levels_ : ndarray of int
        Number of terms after each degree: the approximation of lower degree ``d`` uses
        the first ``levels_[d]`` terms.
    errors_ : ndarray
        For each degree, the largest error estimate over the training set, in the
        measure of ``tol`` (relative to ``scale_`` when ``relative``; 1 for degree 0,
        which has none).
    stop_reason_ : str
        ``"tol"``; ``"max_terms"`` (``max_terms`` or ``max_degree`` reached); or
        ``"exhausted"``: the training set cannot resolve the features of the next
        degree (a warning says so), or no coefficient varies (one term is then
        exact).
    scale_ : float
        The largest :math:`|\log\det A(\mu_m)|` at the selected parameters.
    size_ : int
        Size ``n`` of the matrices.
    signs_ : ndarray
        Sign of the determinant at ``parameters_`` (all one when ``spd``).
    parameter_space_ : rom.ParameterSpace or None
        The parameter space of the model passed as ``operator``, which then checks
        every parameter.
    variables_ : InterpolationVariables
        The map from parameters to the interpolation variables.
    bound_ : bool
        Whether :meth:`error_bound` is available.
    bound_note_ : str
        Why it is not, or which eigenvalue enclosure it uses (``"min-theta"`` when
        every term is positive semidefinite and the coefficients are nonnegative,
        ``"frobenius"`` otherwise).

    Notes
    -----
    Saving (:func:`rom.save`) does not store the operator: the file names it, and
    :func:`rom.load` takes it back, ``rom.load(path, operator=model)``. The fitted
    state needs no matrix, so ``rom.load(path, operator=None)`` gives an object that
    evaluates, estimates and bounds, but cannot be refitted. Coefficients
    :math:`\theta(\mu)` that are a user's callable are a part too (``coefficients``).

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> from rom.affine import AffineOperator, LinearCoefficients
    >>> from rom.matfun import LogDet, exact_logdet
    >>> n = 50
    >>> K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    >>> A = AffineOperator([K, scipy.sparse.eye(n)], LinearCoefficients.identity(2))
    >>> train = np.column_stack([np.ones(2000), np.linspace(0.1, 10.0, 2000)])
    >>> logdet = LogDet(A, tol=1e-10).fit(train)
    >>> mu = [1.0, 3.3]
    >>> exact = exact_logdet(A.assemble(mu))
    >>> bool(abs(logdet(mu) - exact) < 1e-8 * abs(exact))
    True
    >>> bool(abs(logdet(mu) - exact) <= logdet.error_bound(mu))
    True
    """

    def __init__(
        self,
        operator: Any,
        *,
        tol: float | None = 1e-8,
        relative: bool = True,
        max_terms: int | None = 500,
        max_degree: int | None = None,
        variables: str = "auto",
        spd: bool = True,
        bound: bool | str = "auto",
    ) -> None:
        self.operator = operator
        self.tol = tol
        self.relative = relative
        self.max_terms = max_terms
        self.max_degree = max_degree
        self.variables = variables
        self.spd = spd
        self.bound = bound

    def fit(
        self,
        training_set: Any,
        *,
        executor: Executor | None = None,
        progress: bool | None = None,
    ) -> LogDet:
        """Select parameters and compute the exact log-determinants there.

        Parameters
        ----------
        training_set : (N, n_params) array
            Candidate parameters (rows; ``N`` values of one parameter are ``(N, 1)``);
            the approximation uses at most ``N`` of them.
        executor : concurrent.futures.Executor, optional
            Computes the exact log-determinants (and traces) of each degree's new
            parameters in parallel (the operator must then be picklable for a
            process pool); serially when None.
        progress : bool, optional
            Show a progress bar of the terms (by default on a terminal only).

        Returns
        -------
        LogDet
            ``self``.
        """
        if not isinstance(self.spd, bool | np.bool_):
            raise TypeError(f"spd: expected True or False, got {self.spd!r}")
        if isinstance(self.bound, np.ndarray) or self.bound not in (True, False, "auto"):
            raise ValueError(f"bound: expected 'auto', True or False, got {self.bound!r}")
        self._greedy(training_set, executor, progress)
        return self

    def _bound_terms(self, op: _Operator) -> list | None:
        """The terms whose traces are computed, or None (with the reason in bound_note_)."""
        if self.bound is False:
            self.bound_note_ = "not requested (bound=False)"
            return None
        reason = None
        if op.affine is None:
            reason = "needs an affine operator (the callable path has no affine terms)"
        elif not self.spd:
            reason = "needs a symmetric positive definite operator (spd=True)"
        if reason is None:
            n = op.affine.shape[0]
            if self.bound == "auto" and n > _AUTO_BOUND_SIZE:
                self.bound_note_ = (
                    f"not computed: n = {n} > {_AUTO_BOUND_SIZE} (the traces cost n solves "
                    "per selected parameter; pass bound=True to compute them anyway)"
                )
                return None
            return list(op.affine.terms)
        if self.bound is True:
            raise ValueError(f"bound: the rigorous error bound {reason}")
        self.bound_note_ = reason
        return None

    # ------------------------------------------------------------ hooks of the greedy
    def _start(self, op: _Operator) -> None:
        self._assemble = op.assemble
        self._values: list[float] = []
        self._log_scales: list[float] = []
        self._signs: list[Any] = []
        self._moments: list[Any] = []
        self.size_ = None
        self.scale_ = 0.0
        self._terms = self._bound_terms(op)

    def _extend(self, mus: np.ndarray, log_s: np.ndarray, executor: Executor | None) -> None:
        tasks = [(self._assemble, mu, self.spd, self._terms) for mu in mus]
        new = []
        for mu, (sign, value, n, moments) in zip(
            mus, map_parameters(_logdet_task, tasks, executor), strict=True
        ):
            if self.size_ is not None and n != self.size_:
                raise ValueError(f"operator: A(mu) changed size from {self.size_} to {n}")
            self.size_ = n
            if not np.isfinite(value):
                raise ValueError(f"operator: A(mu) is singular at mu={mu}")
            new.append(value)
            self._signs.append(sign)
            self._moments.append(moments)
        self._values.extend(new)
        self._log_scales.extend(log_s)
        self.scale_ = max(self.scale_, float(np.max(np.abs(new))), np.finfo(float).tiny)

    def _reduced(self) -> np.ndarray:
        # A(theta) = s A(theta / s): log det A = n log s + log det A(theta / s)
        return np.array(self._values) - self.size_ * np.array(self._log_scales)

    def _training_error(self, Q: np.ndarray, z: np.ndarray, relative: bool) -> float:
        largest = float(np.max(_training_estimates(Q, z, self.levels_)))
        return largest / self.scale_ if relative else largest

    def _finish(self) -> None:
        self.values_ = np.array(self._values, dtype=float)
        self.log_scales_ = np.array(self._log_scales, dtype=float)
        self.signs_ = np.array(self._signs)
        self.bound_ = self._terms is not None
        if self.bound_:
            self.anchor_coefficients_ = self.variables_.raw(self.parameters_)
            self.traces_ = np.array([m[0] for m in self._moments])
            self.trace_products_ = np.array([m[1] for m in self._moments])
            psd = bool(np.all(self.anchor_coefficients_ >= 0)) and _terms_psd(self._terms)
            self.bound_note_ = "min-theta" if psd else "frobenius"
        del self._values, self._signs, self._log_scales, self._moments, self._terms
        del self._assemble  # the online stage needs no matrix
        self._restore()
        real_signs = not np.iscomplexobj(self.signs_)
        if not self.spd and real_signs and len(np.unique(np.sign(self.signs_))) > 1:
            warnings.warn(
                "LogDet: det A(mu) changes sign over the selected parameters; log|det A| "
                "is singular in between and its interpolation cannot be accurate there",
                RuntimeWarning,
                stacklevel=3,
            )

    def _restore(self) -> None:
        """The online coefficients, from the saved interpolation data."""
        L = self.interpolation_lu_[0]
        reduced = self.values_ - self.size_ * self.log_scales_
        self._z = _solve_triangular(L, reduced, lower=True, unit_diagonal=True)
        # Chebyshev coefficients of the interpolants of the last three degrees
        # (c = V^{-1} g = U^{-1} L^{-1} g, zero-padded): online, a value is phi(mu) . c
        self._coefficients = []
        for top in self.levels_[-3:]:
            c = np.zeros(self.n_terms_)
            c[:top] = self._chebyshev_coefficients(int(top))
            self._coefficients.append(c)

    def _chebyshev_coefficients(self, k: int) -> np.ndarray:
        U = self.interpolation_lu_[1]
        return _solve_triangular(U[:k, :k], self._z[:k], lower=False)

    # ------------------------------------------------------------------ online
    def evaluate(self, mus: Any, return_estimate: bool = False, n_terms: int | None = None) -> Any:
        r"""Approximate log-determinants for rows of parameters.

        Parameters
        ----------
        mus : (k, n_params) array, or (n_params,) for one parameter set
        return_estimate : bool
            Also return the error estimate :math:`|c_D(\mu)| + |c_{D-1}(\mu)|`, the
            moduli of the contributions of the last two degrees to the interpolant
            (the errors of the approximations one and two degrees lower), which
            exceeds the error of the returned value when the convergence in the
            degree is geometric; ``inf`` when only one degree was fitted. An
            estimate, not a bound (see :meth:`error_bound`).
        n_terms : int, optional
            Use only the first ``n_terms`` selected parameters (the interpolants are
            nested); all of them by default. Not combined with ``return_estimate``.

        Returns
        -------
        values : ndarray, shape (k,)
        estimates : ndarray, shape (k,)
            Only with ``return_estimate``.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.matfun import LogDet
        >>> f = lambda mu: np.diag([1.0 + mu[0], 2.0 + mu[0] ** 2])
        >>> ld = LogDet(f, tol=1e-12).fit(np.linspace(0.0, 1.0, 500)[:, None])
        >>> values, est = ld.evaluate([[0.25], [0.5]], return_estimate=True)
        >>> bool(np.allclose(values, np.log([1.25 * 2.0625, 1.5 * 2.25]), rtol=1e-10))
        True
        """
        self._check_fitted()
        k = check_positive_int(n_terms, "n_terms")
        k = self.n_terms_ if k is None else min(k, self.n_terms_)
        if n_terms is not None and return_estimate:
            raise ValueError("n_terms: the estimate is only available with all terms")
        return self._evaluate(self._check_mus(mus), return_estimate, k)

    def _evaluate(self, mus: np.ndarray, return_estimate: bool, k: int) -> Any:
        x, log_s = self.variables_.transform(mus)
        phi = _chebyshev_features(x, self.indices_[:k])
        c = self._coefficients[-1] if k == self.n_terms_ else self._chebyshev_coefficients(k)
        values = phi @ c + self.size_ * log_s
        if not return_estimate:
            return values
        if len(self._coefficients) < 2:
            return values, np.full(values.shape, np.inf)
        estimate = np.abs(phi @ (self._coefficients[-1] - self._coefficients[-2]))
        if len(self._coefficients) == 3:
            estimate += np.abs(phi @ (self._coefficients[-2] - self._coefficients[-3]))
        return values, estimate

    def __call__(self, mu: Any) -> float:
        """The approximate log-determinant at one parameter set."""
        return float(self._evaluate(self._check_mu(mu), False, self.n_terms_)[0])

    def error_estimate(self, mu: Any) -> float:
        r"""The error estimate at one parameter set: an estimate, not a bound.

        :math:`|c_D(\mu)| + |c_{D-1}(\mu)|`, the contributions of the last two degrees
        of the interpolant (see :meth:`evaluate`); it exceeds the error when the
        interpolation error decreases geometrically with the degree, which nothing
        guarantees (the theory page reports how often it did). Use
        :meth:`error_bound` for a guarantee.

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.matfun import LogDet
        >>> f = lambda mu: np.diag([1.0 + mu[0], 2.0])
        >>> ld = LogDet(f, tol=1e-6).fit(np.linspace(0.0, 1.0, 200)[:, None])
        >>> bool(abs(ld(0.3) - np.log(2.6)) <= ld.error_estimate(0.3))
        True
        """
        return float(self._evaluate(self._check_mu(mu), True, self.n_terms_)[1][0])

    def bounds(self, mus: Any) -> tuple[np.ndarray, np.ndarray]:
        r"""Certified lower and upper bounds of :math:`\log\det A(\mu)` for rows of parameters.

        Around each selected parameter :math:`\mu_m`, the mean and the variance of
        the eigenvalues of :math:`A(\mu_m)^{-1}A(\mu)` follow exactly from the stored
        traces, and Gauss-Radau rules on an enclosure of these eigenvalues bracket
        :math:`\log\det A(\mu)`; the tightest bracket over the selected parameters is
        returned (derivation on the theory page ``docs/theory/logdet.rst``). The
        bounds hold in exact arithmetic for every parameter (the lower one is
        ``-inf`` where no selected parameter certifies :math:`A(\mu)` positive
        definite); the bracket is widened by :math:`100\,\epsilon\,(|\log\det
        A(\mu_m)| + n)` for rounding: ample for well-conditioned matrices, not a proof
        against an ill-conditioned one. Cost: :math:`O(MQ^2)` per parameter.

        Parameters
        ----------
        mus : array_like, shape (k, n_params)
            Parameter sets (rows).

        Returns
        -------
        lower, upper : ndarray, shape (k,)

        Raises
        ------
        RuntimeError
            The traces were not computed (``bound_`` is False; ``bound_note_`` says
            why).

        Examples
        --------
        >>> import numpy as np
        >>> from rom.affine import AffineOperator, LinearCoefficients
        >>> from rom.matfun import LogDet
        >>> A = AffineOperator([np.diag([1.0, 2.0, 3.0]), np.eye(3)],
        ...                    LinearCoefficients.identity(2))
        >>> ld = LogDet(A, tol=1e-4).fit(np.column_stack([np.ones(300), np.linspace(0.1, 1, 300)]))
        >>> lower, upper = ld.bounds([[1.0, 0.5]])
        >>> exact = np.log(1.5 * 2.5 * 3.5)
        >>> bool(lower[0] <= exact <= upper[0])
        True
        """
        self._check_fitted()
        return self._bounds(self._check_mus(mus))

    def _bounds(self, mus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not self.bound_:
            raise RuntimeError(
                f"bounds: the rigorous bound is not available ({self.bound_note_}); "
                "use error_estimate"
            )
        theta = self.variables_.raw(mus)
        return _logdet_brackets(
            theta,
            self.anchor_coefficients_,
            self.values_,
            self.traces_,
            self.trace_products_,
            self.size_,
            self.bound_note_ == "min-theta",
        )

    def error_bound(self, mu: Any) -> float:
        r"""A rigorous bound of ``|logdet(mu) - log det A(mu)|`` at one parameter set.

        ``max(upper - value, value - lower)`` with the certified bracket of
        :meth:`bounds`: it holds whatever the accuracy of the interpolation, and is
        ``inf`` where no selected parameter certifies :math:`A(\mu)` positive
        definite. Available for affine symmetric positive definite operators fitted
        with the traces (``bound_``); much larger than the actual error (a
        second-order expansion around the nearest selected parameter, while the
        interpolant converges spectrally), so :meth:`error_estimate` is the one to
        steer accuracy with, and this one to certify it.

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.affine import AffineOperator, LinearCoefficients
        >>> from rom.matfun import LogDet
        >>> A = AffineOperator([np.diag([1.0, 2.0, 3.0]), np.eye(3)],
        ...                    LinearCoefficients.identity(2))
        >>> ld = LogDet(A, tol=1e-4).fit(np.column_stack([np.ones(300), np.linspace(0.1, 1, 300)]))
        >>> exact = np.log(1.5 * 2.5 * 3.5)
        >>> bool(abs(ld([1.0, 0.5]) - exact) <= ld.error_bound([1.0, 0.5]))
        True
        """
        mus = self._check_mu(mu)
        lower, upper = self._bounds(mus)
        value = self._evaluate(mus, False, self.n_terms_)[0]
        return float(max(upper[0] - value, value - lower[0]))
