"""The empirical interpolation method (EIM), its symmetric form and its error estimate."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from rom._progress import progress_bar
from rom.backend import array_namespace, resolve_backend
from rom.eim._base import Interpolator, check_bool, check_indices, check_values
from rom.eim._greedy import (
    Residual,
    first_argmax,
    lebesgue_constant,
    max_abs,
    norm_code,
    unit_lower_solve,
)
from rom.validation import (
    check_array,
    check_inner,
    check_parameter,
    check_parameters,
    check_positive_int,
    check_tolerance,
)

__all__ = ["EIM"]

logger = logging.getLogger("rom.eim")


class EIM(Interpolator):
    r"""Empirical interpolation of a snapshot matrix ``S[i, j] = g(x_i, mu_j)``.

    The greedy: at step ``m``, take the parameter (column) whose residual
    :math:`r = g(\cdot, \mu) - I_{m-1} g(\cdot, \mu)` is largest in ``norm``, then the
    point where that residual is largest in absolute value; the new basis function is
    the residual divided by its value there. The residual of every column is updated
    by one rank-one elimination per step (one pass over memory with the numba
    kernel), so the interpolation matrix ``basis_[points_]`` is unit lower triangular
    and interpolation is a forward substitution (see the theory page, "Empirical
    interpolation"). Real and complex snapshots.

    ``EIM(...).fit(S)`` takes the snapshot matrix;
    :meth:`EIM.from_function(g, points, training_set, ...) <from_function>` samples a
    function first and keeps it for :meth:`interpolate_function`.

    Parameters
    ----------
    tol : float, optional
        Stop when the largest residual norm over the training columns, in ``norm``
        (``errors_[m]``), is at most ``tol`` (times the first one, ``errors_[0]``,
        when ``relative``).
    max_terms : int, optional
        Maximum number of terms ``M``.
    norm : {"linf", "l2", "l1"} or callable
        Norm of the greedy's parameter selection. A callable receives the residual
        block ``R`` of shape (n, p) and returns the ``p`` column norms.
    inner : None or (n, n) Hermitian positive definite matrix
        Weighted inner product for ``norm="l2"``.
    relative : bool
        Whether ``tol`` is relative to the first residual norm.
    n_error_points : int
        Extra greedy steps taken after the stop, whose points and basis functions
        serve the a posteriori error estimate (:meth:`estimate_error`).
    backend : {"auto", "numpy", "numba", "cupy"}

    Attributes
    ----------
    points_ : ndarray of int, shape (M,)
        Selected rows (interpolation points), in order.
    params_ : ndarray of int, shape (M,)
        Selected columns (parameters), in order.
    basis_ : array, shape (n, M)
        Basis functions; ``basis_[points_]`` is unit lower triangular.
    interpolation_matrix_ : array, shape (M, M)
        ``basis_[points_]``.
    pivots_ : array, shape (M,)
        Residual values at the pivots (the diagonal of the elimination).
    param_basis_ : array, shape (p, M)
        The parameter-side factors: ``S - R = basis_ diag(pivots_) param_basis_^T``,
        with ``param_basis_[params_]`` unit lower triangular (see :meth:`swap`).
    errors_ : ndarray, shape (M + 1,)
        Largest residual norm with 0, 1, ..., M terms.
    n_terms_ : int
        ``M``.
    error_points_, error_basis_ : extra points and basis functions (error estimate).
    stop_reason_ : str
        "tol", "max_terms", "exhausted" (the residual vanished, or every row or column
        is selected) or "degenerate" (the next pivot is at round-off while the
        residual is not: a warning says so).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.eim import EIM
    >>> x = np.linspace(0, 1, 200)[:, None]
    >>> mu = np.linspace(1, 2, 50)[None, :]
    >>> eim = EIM(tol=1e-10).fit(np.exp(-mu * x))
    >>> eim.basis_.shape[1] < 15
    True
    >>> new = np.exp(-1.234 * x[:, 0])
    >>> bool(np.abs(eim.interpolate(new[eim.points_]) - new).max() < 1e-9)
    True
    """

    def __init__(
        self,
        tol: float | None = None,
        max_terms: int | None = None,
        norm: str | Callable = "linf",
        inner: Any = None,
        relative: bool = True,
        n_error_points: int = 1,
        backend: str = "auto",
    ) -> None:
        self.tol = tol
        self.max_terms = max_terms
        self.norm = norm
        self.inner = inner
        self.relative = relative
        self.n_error_points = n_error_points
        self.backend = backend

    # ------------------------------------------------------------------ fit
    def fit(self, S: Any, *, progress: bool | None = None) -> EIM:
        """Run the greedy on the snapshots ``S`` of shape (n_points, n_params).

        Parameters
        ----------
        S : array, shape (n_points, n_params)
            ``S[i, j] = g(x_i, mu_j)``: snapshots are columns.
        progress : bool, optional
            Show a progress bar (by default on a terminal only).

        Returns
        -------
        self
        """
        tol = check_tolerance(self.tol, "tol")
        max_terms = check_positive_int(self.max_terms, "max_terms")
        n_extra = check_positive_int(self.n_error_points, "n_error_points", minimum=0)
        check_bool(self.relative, "relative")
        backend = resolve_backend(self.backend, S if hasattr(S, "shape") else None)
        S = check_array(S, "S", ndim=2)
        if backend == "cupy":
            import cupy

            S = cupy.asarray(S)
        xp = array_namespace(S)
        n, p = S.shape
        inner = check_inner(self.inner, n)
        kind = norm_code(self.norm, inner)
        scale = max_abs(S)
        if scale == 0.0:
            raise ValueError("S: every entry is zero; there is nothing to interpolate")
        floor = 10 * float(np.finfo(S.dtype).eps) * scale

        res = Residual(S, kind, inner, backend, xp)
        eps = float(np.finfo(S.dtype).eps)
        total = None if max_terms is None else min(max_terms + n_extra, n, p)
        with progress_bar(progress, total, "EIM", unit="term") as bar:
            self._greedy(res, S, xp, tol, max_terms, n_extra, kind, scale, floor, eps, bar)
        return self

    def _greedy(self, res, S, xp, tol, max_terms, n_extra, kind, scale, floor, eps, bar):
        n, p = S.shape
        points, params, columns, rows, pivots, errors = [], [], [], [], [], []
        reason, n_main = None, 0
        target = None
        while True:
            m = len(points)
            tie = 8 * (m + 1) * eps * scale  # round-off of m eliminations
            j = first_argmax(res.norms, tie * (1 if kind == 0 else n))
            err = float(res.norms[j])
            if reason is None:
                errors.append(err)
                if target is None:
                    target = (tol * err if self.relative else tol) if tol is not None else None
                if target is not None and err <= target:
                    reason = "tol"
                elif max_terms is not None and m == max_terms:
                    reason = "max_terms"
                elif m == min(n, p):
                    reason = "exhausted"
                if reason is not None:
                    n_main = m
            if reason is not None and (n_extra == 0 or len(points) == n_main + n_extra):
                break
            if m == min(n, p):
                break
            i = first_argmax(xp.abs(res.R[:, j]), tie)
            pivot = res.R[i, j]
            if abs(complex(pivot)) <= floor:
                if reason is None:
                    n_main = m
                    reason = "exhausted" if err <= floor else "degenerate"
                    if tol is not None or max_terms is not None:
                        warnings.warn(
                            f"EIM: stopped after {m} terms: "
                            + (
                                "the residual vanished (the training set is interpolated "
                                "to round-off)"
                                if reason == "exhausted"
                                else f"the next pivot {abs(complex(pivot)):.2e} is at round-off"
                            ),
                            RuntimeWarning,
                            stacklevel=3,
                        )
                break
            q = res.column(j) / pivot
            w = res.row(i)
            rows.append(w / pivot)
            columns.append(q)
            points.append(i)
            params.append(j)
            pivots.append(pivot)
            res.eliminate(q, w, j)
            bar.update(1)
            logger.debug("EIM step %d: param %d, point %d, error %.3e", m + 1, j, i, err)

        self._set_state(
            xp,
            n,
            p,
            points,
            params,
            columns,
            rows,
            pivots,
            n_main,
            errors=np.asarray(errors[: n_main + 1]),
            reason=reason,
        )
        logger.info("EIM: %d terms (%s), error %.3e", n_main, reason, errors[n_main])

    def _set_state(self, xp, n, p, points, params, columns, rows, pivots, n_main, errors, reason):
        dtype = columns[0].dtype if columns else xp.float64
        cols = xp.stack(columns, axis=1) if columns else xp.zeros((n, 0), dtype=dtype)
        prow = xp.stack(rows, axis=1) if rows else xp.zeros((p, 0), dtype=dtype)
        self.points_ = np.asarray(points[:n_main], dtype=np.int64)
        self.params_ = np.asarray(params[:n_main], dtype=np.int64)
        self.basis_ = cols[:, :n_main]
        self.param_basis_ = prow[:, :n_main]
        self.pivots_ = xp.stack(pivots[:n_main]) if n_main else xp.zeros(0, dtype=dtype)
        self.interpolation_matrix_ = self.basis_[self.points_]
        self.errors_ = errors
        self.stop_reason_ = reason
        self.error_points_ = np.asarray(points[n_main:], dtype=np.int64)
        self.error_basis_ = cols[:, n_main:]
        self.error_params_ = np.asarray(params[n_main:], dtype=np.int64)
        self.n_points_ = n
        self.n_params_ = p

    def _restore(self) -> None:
        """After :func:`rom.load`: every array consistent with the others, indices in range."""
        super()._restore()
        if not self._is_fitted():
            return
        self._check_selected_rows()
        n, M = self.basis_.shape
        for name in ("n_points_", "n_params_"):
            check_positive_int(getattr(self, name), name, allow_none=False)
        if self.n_points_ != n:
            raise ValueError(f"n_points_: expected {n} (the rows of basis_), got {self.n_points_}")
        p = self.n_params_
        self.params_ = check_indices(self.params_, "params_", p, length=M)
        self.param_basis_ = check_array(
            self.param_basis_, "param_basis_", shape=(p, M), allow_empty=True
        )
        self.pivots_ = check_array(self.pivots_, "pivots_", shape=(M,), allow_empty=True)
        if M and bool((self.pivots_ == 0).any()):
            raise ValueError("pivots_: expected nonzero pivots")
        self.error_basis_ = check_array(
            self.error_basis_, "error_basis_", shape=(n, None), allow_empty=True
        )
        K = self.error_basis_.shape[1]
        self.error_points_ = check_indices(self.error_points_, "error_points_", n, length=K)
        self.error_params_ = check_indices(self.error_params_, "error_params_", p, length=K)
        check_indices(self.estimation_points_, "error_points_", n)  # distinct from points_
        self.errors_ = check_array(
            self.errors_, "errors_", ndim=1, dtype_kind="f", allow_empty=True
        )
        if "point_coordinates_" in vars(self):
            self.point_coordinates_ = check_array(
                self.point_coordinates_,
                "point_coordinates_",
                ndim=(1, 2),
                dtype_kind="f",
                allow_empty=True,
            )
            self.training_set_ = check_array(
                self.training_set_, "training_set_", ndim=2, dtype_kind="f"
            )
            if len(self.point_coordinates_) != M:
                raise ValueError(f"point_coordinates_: expected {M} rows (one per point)")

    # --------------------------------------------------------------- a function
    @classmethod
    def from_function(
        cls,
        g: Callable,
        points: Any,
        training_set: Any,
        *,
        progress: bool | None = None,
        **params: Any,
    ) -> EIM:
        """The EIM of a function, fitted on ``S[:, j] = g(points, training_set[j])``.

        Parameters
        ----------
        g : callable
            ``g(points, mu)`` returns the values at every point, shape (n_points,);
            ``mu`` is one row of ``training_set`` (later of :meth:`interpolate_function`).
        points : array, shape (n_points, d) or (n_points,)
        training_set : array, shape (n_train, n_params)
            Parameter sets are rows (a 1-D array is one parameter set).
        progress : bool, optional
            Show a progress bar of the greedy (by default on a terminal only).
        **params
            The constructor's parameters (``tol``, ``max_terms``, ...).

        Returns
        -------
        EIM
            Fitted, with ``function_`` (``g``: a part that :func:`rom.load` takes back
            by that name), ``point_coordinates_`` (the selected points),
            ``training_set_`` and ``selected_parameters_`` set as well.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.eim import EIM
        >>> g = lambda x, mu: np.exp(-mu[0] * x)
        >>> x = np.linspace(0, 1, 100)
        >>> eim = EIM.from_function(g, x, np.linspace(1, 2, 30)[:, None], tol=1e-10)
        >>> bool(np.abs(eim.interpolate_function([1.5]) - g(x, [1.5])).max() < 1e-9)
        True
        """
        eim = cls(**params)
        if not callable(g):
            raise TypeError(f"g: expected a callable g(points, mu), got {type(g).__name__}")
        points = check_array(points, "points", ndim=(1, 2), dtype_kind="f")
        training_set = check_parameters(training_set, "training_set")
        columns = []
        for k, mu in enumerate(training_set):
            col = np.asarray(g(points, mu))
            if col.shape != (points.shape[0],):
                raise ValueError(
                    f"g: expected {points.shape[0]} values (one per point) for training "
                    f"parameter {k}, got shape {col.shape}"
                )
            columns.append(col)
        eim.fit(np.stack(columns, axis=1), progress=progress)
        eim.function_ = g
        eim.point_coordinates_ = points[eim.points_]
        eim.training_set_ = training_set
        eim.selected_parameters_ = training_set[eim.params_]
        return eim

    def interpolate_function(self, mu: Any) -> Any:
        """``I_M g(., mu)`` from the ``M`` values ``g(point_coordinates_, mu)``.

        Only for an EIM made by :meth:`from_function`; ``mu`` is one parameter set.

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        """
        self._check_fitted()
        if "function_" not in vars(self):
            raise RuntimeError(
                "interpolate_function: this EIM was fitted on snapshots, not on a function "
                "(make it with EIM.from_function(g, points, training_set))"
            )
        mu = check_parameter(mu, "mu", n_params=self.training_set_.shape[1])
        return self.interpolate(np.asarray(self.function_(self.point_coordinates_, mu)))

    # ---------------------------------------------------------------- online
    def lebesgue_constant(self) -> float:
        r"""The Lebesgue constant :math:`\max_x \sum_m |\ell_m(x)|` on the training points.

        ``||g - I_M g||_inf <= (1 + Lambda_M) inf_{v in span(basis)} ||g - v||_inf``.
        """
        self._check_fitted()
        if self.n_terms_ == 0:
            return 0.0
        xp = array_namespace(self.basis_)
        return lebesgue_constant(self.basis_, self.interpolation_matrix_, xp)

    # ------------------------------------------------------- symmetric form
    def evaluate_separated(self, values_at_params: Any, values_at_points: Any) -> Any:
        r"""Symmetric form :math:`g(x, \mu_{sel}) F^{-1} g(x_{sel}, \mu)`, evaluated stably.

        With ``F = g(x_sel, mu_sel) = B D L^T`` (``B = interpolation_matrix_``, ``D =
        diag(pivots_)``, ``L = param_basis_[params_]``, both unit lower triangular), the
        approximation is ``a^T D^{-1} b`` with ``a = L^{-1} g(x, mu_sel)`` and
        ``b = B^{-1} g(x_sel, mu)``: two forward substitutions, never a solve with ``F``.
        On the training set this reproduces :meth:`approximate` to round-off. For new
        points and new parameters together, ``a`` and ``b`` are exact but the sum
        ``a^T D^{-1} b`` cancels terms as large as ``|g| / pivot_M``: its error is about
        ``eps |g|`` times the ratio of the largest value to the last pivot (the same
        loss as any evaluation of the symmetric form).

        Parameters
        ----------
        values_at_params : array, shape (k_x, M) or (M,)
            ``g(x, mu_sel)``: rows at new or training points, at the selected parameters.
        values_at_points : array, shape (M, k_mu) or (M,)
            ``g(x_sel, mu)``: columns at the selected points, for new or training
            parameters.

        Returns
        -------
        array, shape (k_x, k_mu)
        """
        self._check_fitted()
        xp = array_namespace(self.basis_)
        rows = check_array(values_at_params, "values_at_params", ndim=(1, 2))
        rows = xp.asarray(rows[None, :] if rows.ndim == 1 else rows)
        if rows.shape[1] != self.n_terms_:
            raise ValueError(
                f"values_at_params: expected {self.n_terms_} columns (one per selected "
                f"parameter), got shape {tuple(rows.shape)}"
            )
        cols, one = check_values(values_at_points, self.n_terms_, "values_at_points", xp)
        cols = cols[:, None] if one else cols
        a = unit_lower_solve(self.param_basis_[self.params_], rows.T, xp)
        b = unit_lower_solve(self.interpolation_matrix_, cols, xp)
        return a.T @ (b / self.pivots_[:, None])

    def swap(self) -> EIM:
        """The interpolator with the roles of points and parameters exchanged.

        It interpolates rows of ``S`` (functions of the parameter) from their values at
        the selected parameters, and gives the same approximation as this one on the
        training set (``swap().approximate(S.T).T == approximate(S)`` to round-off).
        ``errors_`` and the error points are not defined for the swapped greedy and
        are left empty.
        """
        self._check_fitted()
        xp = array_namespace(self.basis_)
        other = EIM(
            tol=self.tol,
            max_terms=self.max_terms,
            norm=self.norm,
            relative=self.relative,
            n_error_points=0,
            backend=self.backend,
        )
        other.points_, other.params_ = self.params_.copy(), self.points_.copy()
        other.basis_, other.param_basis_ = self.param_basis_.copy(), self.basis_.copy()
        other.pivots_ = self.pivots_.copy()
        other.interpolation_matrix_ = other.basis_[other.points_]
        other.errors_ = np.zeros(0)
        other.stop_reason_ = self.stop_reason_
        other.error_points_ = np.zeros(0, dtype=np.int64)
        other.error_params_ = np.zeros(0, dtype=np.int64)
        other.error_basis_ = xp.zeros((self.n_params_, 0), dtype=self.basis_.dtype)
        other.n_points_, other.n_params_ = self.n_params_, self.n_points_
        return other

    @property
    def estimation_points_(self) -> np.ndarray:
        """``points_`` followed by ``error_points_``: where :meth:`estimate_error` needs values."""
        self._check_fitted()
        return np.concatenate([self.points_, self.error_points_])

    def estimate_error(self, values: Any) -> Any:
        r"""A posteriori estimate of :math:`\|g - I_M g\|_\infty` from extra points.

        ``values`` are taken at :attr:`estimation_points_` (``M + K`` values per column).
        With the ``K`` extra greedy functions, the interpolant :math:`I_{M+K} g` is
        known from those values, and the estimate is
        :math:`\sum_{k>M} |c_k| \|q_k\|_\infty \ge \|I_{M+K} g - I_M g\|_\infty`, which
        equals the true error whenever :math:`g` lies in the span of the first
        ``M + K`` functions (Eftang, Grepl, Patera 2010, for ``K = 1``).

        Parameters
        ----------
        values : array
            Values of the function at the interpolation points followed by the extra points
            (see the method's description).

        Returns
        -------
        float or array, shape (k,)
        """
        self._check_fitted()
        K = len(self.error_points_)
        if K == 0:
            raise RuntimeError(
                "estimate_error needs extra greedy points: fit with n_error_points >= 1 "
                "(the greedy ran out of training data before taking any)"
            )
        xp = array_namespace(self.basis_)
        M = self.n_terms_
        values, one = check_values(values, M + K, "values", xp)
        full = xp.concatenate([self.basis_, self.error_basis_], axis=1)
        B = full[self.estimation_points_]
        c = unit_lower_solve(B, values, xp)
        sup = xp.max(xp.abs(self.error_basis_), axis=0)
        tail = xp.abs(c[M:]) * (sup[:, None] if c.ndim == 2 else sup)
        est = xp.sum(tail, axis=0)
        return float(est) if one else est
