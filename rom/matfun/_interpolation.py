r"""The interpolation engine of :mod:`rom.matfun`: variables, features, graded elimination.

An empirical interpolation in the parameter, by blocks of increasing total degree:
the parameters (or the affine coefficients :math:`\theta(\mu)`) are mapped to
variables in :math:`[-1, 1]^d` (:class:`InterpolationVariables`), the features are
products of Chebyshev polynomials of these variables, and Gaussian elimination with
complete pivoting picks one (parameter, feature) pair per step
(:class:`_GradedInterpolation`). The derivation is on the theory page
``docs/theory/logdet.rst``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.validation import check_choice

__all__ = ["InterpolationVariables"]

_PIVOT_RTOL = 1e-9  # a feature whose residual is below this (relative) is dependent


def _solve_triangular(*args: Any, **kwargs: Any) -> np.ndarray:
    """``scipy.linalg.solve_triangular``, imported on first use (``import rom`` stays fast)."""
    from scipy.linalg import solve_triangular

    return solve_triangular(*args, **kwargs)


def _graded_indices(dim: int, degree: int) -> np.ndarray:
    """All multi-indices of ``dim`` variables with total degree ``degree`` (rows)."""
    if dim == 0:
        return np.zeros((1 if degree == 0 else 0, 0), dtype=np.int64)
    rows = []
    for combo in itertools.combinations_with_replacement(range(dim), degree):
        rows.append(np.bincount(np.asarray(combo, dtype=np.int64), minlength=dim))
    return np.array(rows, dtype=np.int64).reshape(-1, dim)


class InterpolationVariables(Estimator):
    r"""Map parameters to the scaled interpolation variables in ``[-1, 1]^d``.

    A value object nested in :class:`~rom.matfun.LogDet` and
    :class:`~rom.matfun.InverseApproximation` (their ``variables_``), saved with them.

    ``source`` is ``"theta"`` (the affine coefficients :math:`\theta(\mu)`, computed by
    ``coefficients``) or ``"mu"`` (the parameters themselves). When every coefficient
    is positive on the training set (and ``variables`` is not ``"linear"``), the
    homogeneity :math:`A(\theta) = sA(\theta/s)` with the geometric mean
    :math:`s = \exp(\operatorname{mean}_q\log\theta_q)` is used (``homogeneous_``):
    the variables are the logarithms of :math:`\theta/s` (which sum to zero, so the
    last one is dropped) and :math:`\log s` is returned separately. Otherwise each
    varying coordinate is taken linearly or through its logarithm (``variables``).
    The variables are mapped affinely onto ``[-1, 1]`` over the training set;
    coordinates constant over the training set are dropped.

    Parameters
    ----------
    source : {"theta", "mu"}
    coefficients : callable or None
        ``mu -> theta(mu)`` (with a vectorised ``many(mus)`` where available); None
        for ``source="mu"``.
    variables : {"auto", "linear", "log"}

    Attributes
    ----------
    homogeneous_ : bool
    keep_ : ndarray of int
        The varying coordinates.
    logs_ : ndarray of bool
        Which of them are taken through their logarithm.
    low_, high_ : ndarray
        Their range over the training set (after the logarithm).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.matfun._interpolation import InterpolationVariables
    >>> v = InterpolationVariables("mu", None, "linear").fit(np.array([[0.0], [2.0]]))
    >>> v(np.array([[1.0]]))
    array([[0.]])
    """

    _fitted_marker = "keep_"

    def __init__(
        self, source: str = "mu", coefficients: Any = None, variables: str = "auto"
    ) -> None:
        self.source = source
        self.coefficients = coefficients
        self.variables = variables

    @property
    def dim(self) -> int:
        """The number of interpolation variables."""
        return int(self.keep_.size)

    def raw(self, mus: np.ndarray) -> np.ndarray:
        r"""The coordinates before scaling: the parameters or :math:`\theta(\mu)`, (k, ·)."""
        if self.source == "mu":
            return mus
        many = getattr(self.coefficients, "many", None)
        if many is not None:
            theta = np.asarray(many(mus))
        else:
            theta = np.stack([np.atleast_1d(np.asarray(self.coefficients(mu))) for mu in mus])
        if theta.ndim != 2 or theta.shape[0] != len(mus):
            raise ValueError(f"coefficients: expected one row per parameter, got {theta.shape}")
        if np.iscomplexobj(theta):
            if np.any(theta.imag != 0):
                raise ValueError(
                    "coefficients: complex coefficients theta(mu) are not supported; "
                    "interpolate in the parameters instead (pass a callable mu -> A(mu))"
                )
            theta = theta.real
        if not np.isfinite(theta).all():
            raise ValueError("coefficients: theta(mu) contains NaN or inf")
        return theta

    def _unscaled(self, mus: np.ndarray, homogeneous: bool) -> tuple[np.ndarray, np.ndarray]:
        """Variables before the map onto [-1, 1] (all coordinates) and ``log s``."""
        raw = self.raw(mus)
        if homogeneous:
            if raw.min() <= 0:
                raise ValueError(
                    "mu: the coefficients theta(mu) were positive on the training set but "
                    "are not here (outside the domain of the interpolation)"
                )
            u = np.log(raw)
            log_s = u.sum(axis=1) / u.shape[1]
            return (u - log_s[:, None])[:, :-1], log_s
        return raw, np.zeros(raw.shape[0])

    def fit(self, mus: np.ndarray) -> InterpolationVariables:
        """Choose and scale the variables over the training parameters ``mus`` (rows).

        Returns
        -------
        InterpolationVariables
            ``self``.
        """
        check_choice(self.source, "source", ("theta", "mu"))
        check_choice(self.variables, "variables", ("auto", "linear", "log"))
        raw = self.raw(mus)
        homogeneous = (
            self.source == "theta" and self.variables != "linear" and bool(np.all(raw > 0))
        )
        x, _ = self._unscaled(mus, homogeneous)
        lo, hi = x.min(axis=0), x.max(axis=0)
        scale = np.maximum(np.abs(lo), np.abs(hi))
        varying = hi - lo > 1e-12 * np.maximum(scale, 1.0)
        keep = np.flatnonzero(varying)
        if homogeneous:
            logs = np.zeros(keep.size, dtype=bool)  # already logarithms
        elif self.variables == "log":
            if not (lo[keep] > 0).all():
                kind = "coefficient" if self.source == "theta" else "parameter"
                raise ValueError(
                    f"variables: 'log' needs strictly positive values of every varying {kind} "
                    "on the training set"
                )
            logs = np.ones(keep.size, dtype=bool)
        elif self.variables == "linear":
            logs = np.zeros(keep.size, dtype=bool)
        else:
            logs = lo[keep] > 0
        x = x[:, keep]
        x = np.where(logs, np.log(np.where(logs, x, 1.0)), x)
        self.homogeneous_ = homogeneous
        self.keep_ = keep.astype(np.int64)
        self.logs_ = np.asarray(logs, dtype=bool)
        self.low_, self.high_ = x.min(axis=0), x.max(axis=0)
        return self

    def transform(self, mus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scaled variables (k, d) and ``log s`` (k,) (zeros unless ``homogeneous_``)."""
        self._check_fitted()
        x, log_s = self._unscaled(mus, self.homogeneous_)
        x = x[:, self.keep_]
        if self.logs_.any():
            if np.any(x[:, self.logs_] <= 0):
                raise ValueError(
                    "mu: a coefficient that was positive on the training set is not "
                    "positive here (outside the domain of the interpolation)"
                )
            x = np.where(self.logs_, np.log(np.where(self.logs_, x, 1.0)), x)
        return (2.0 * x - (self.low_ + self.high_)) / (self.high_ - self.low_), log_s

    def __call__(self, mus: np.ndarray) -> np.ndarray:
        return self.transform(mus)[0]


def _chebyshev_features(x: np.ndarray, indices: np.ndarray) -> np.ndarray:
    r"""Products of Chebyshev polynomials :math:`\prod_q T_{\beta_q}(x_q)`: (k, K)."""
    k, dim = x.shape
    if dim == 0 or indices.shape[0] == 0:
        return np.ones((k, indices.shape[0]))
    top = int(indices.max())
    T = np.empty((dim, top + 1, k))  # T[q, j] = T_j(x[:, q])
    T[:, 0] = 1.0
    if top >= 1:
        T[:, 1] = x.T
    for j in range(2, top + 1):
        T[:, j] = 2.0 * x.T * T[:, j - 1] - T[:, j - 2]
    out = T[0, indices[:, 0]]
    for q in range(1, dim):
        out = out * T[q, indices[:, q]]
    return out.T


class _GradedInterpolation:
    r"""Empirical interpolation in the parameter, by blocks of increasing degree.

    The "functions" of the EIM are the rows of the feature matrix
    :math:`\Phi_{ik} = \phi_k(x(\mu_i))` over the training set: one per parameter,
    with the feature index ``k`` as the variable. Features are added one total degree
    at a time; inside a block, Gaussian elimination with complete pivoting selects a
    (parameter, feature) pair per step. After ``M`` steps the interpolation matrix
    :math:`V = \Phi[\text{rows}, \text{cols}] = L U` (``L`` unit lower triangular with
    entries bounded by one, ``U`` upper triangular), and the ``M``-term interpolant of
    any :math:`g` is :math:`(U^{-T}\phi(\mu))^T (L^{-1} g_{\text{rows}})`. Its
    partial sums are the interpolants with fewer terms.
    """

    def __init__(self, x: np.ndarray) -> None:
        self.x = x
        n = x.shape[0]
        self.rows: list[int] = []
        self.indices = np.zeros((0, x.shape[1]), dtype=np.int64)
        self._Q = np.zeros((n, 16))  # pivot columns of the elimination, grown by doubling
        self.available = np.ones(n, dtype=bool)

    @property
    def Q(self) -> np.ndarray:
        """The pivot columns, (N, M)."""
        return self._Q[:, : self.size]

    @property
    def size(self) -> int:
        return len(self.rows)

    def add_degree(self, degree: int, max_new: int) -> list[int]:
        """Eliminate the features of total degree ``degree``; return the new rows."""
        candidates = _graded_indices(self.x.shape[1], degree)
        if candidates.shape[0] == 0 or max_new <= 0:
            return []
        Phi = _chebyshev_features(self.x, candidates)
        if self.size:
            L = self.Q[self.rows]
            Y = _solve_triangular(
                L, Phi[self.rows], lower=True, unit_diagonal=True, check_finite=False
            )
            R = Phi - self.Q @ Y
        else:
            R = Phi.copy()
        reference = max(float(np.abs(Phi).max()), 1.0)
        used = np.zeros(candidates.shape[0], dtype=bool)
        new_rows: list[int] = []
        new_cols: list[int] = []
        while len(new_rows) < max_new and not used.all():
            masked = np.abs(R)
            masked[:, used] = 0.0
            masked[~self.available] = 0.0
            i, k = np.unravel_index(int(np.argmax(masked)), masked.shape)
            pivot = R[i, k]
            if abs(pivot) <= _PIVOT_RTOL * reference:
                break
            q = R[:, k] / pivot
            R -= np.outer(q, R[i])
            if self.size == self._Q.shape[1]:
                self._Q = np.concatenate([self._Q, np.zeros_like(self._Q)], axis=1)
            self._Q[:, self.size] = q
            self.rows.append(int(i))
            self.available[i] = False
            used[k] = True
            new_rows.append(int(i))
            new_cols.append(int(k))
        if new_cols:
            self.indices = np.vstack([self.indices, candidates[new_cols]])
        return new_rows

    def factors(self) -> tuple[np.ndarray, np.ndarray]:
        """``(L, U)`` with ``Phi[rows, cols] = L U``."""
        L = self.Q[self.rows]
        V = _chebyshev_features(self.x[self.rows], self.indices)
        U = _solve_triangular(L, V, lower=True, unit_diagonal=True)
        return L, np.triu(U)


def _level_estimate(levels: np.ndarray, contribution: Callable) -> Any:
    """``|c_D| + |c_{D-1}|``: moduli of the contributions of the last two degrees."""
    if len(levels) < 2:
        return np.inf * np.abs(contribution(0, 0) + 1.0)
    estimate = np.abs(contribution(int(levels[-2]), int(levels[-1])))
    if len(levels) >= 3:
        estimate = estimate + np.abs(contribution(int(levels[-3]), int(levels[-2])))
    return estimate


def _training_estimates(Q: np.ndarray, z: np.ndarray, levels: list[int]) -> np.ndarray:
    """The estimate ``|c_D| + |c_{D-1}|`` at every training parameter.

    On the training set the interpolant of ``g`` is ``Q z`` (``Q`` are the pivot
    columns of the elimination, ``z = L^{-1} g_rows``), so the contribution of the
    terms ``a:b`` at training parameter ``i`` is ``Q[i, a:b] z[a:b]``; its norm is
    taken through the Gram matrix of ``z`` (``z`` may be a block of vectors).
    """
    gram = z @ z.conj().T if z.shape[1] > z.shape[0] else None

    def norms(a, b):
        block = Q[:, a:b]
        if gram is None:  # few columns: form the contributions
            return np.linalg.norm(block @ z[a:b], axis=1)
        quad = np.sum((block @ gram[a:b, a:b]) * block.conj(), axis=1).real
        return np.sqrt(np.maximum(quad, 0.0))

    return _level_estimate(np.asarray(levels), norms)


def _weights(U: np.ndarray, phi: np.ndarray) -> np.ndarray:
    r""":math:`U^{-T}\phi` for feature rows ``phi`` (k, M): shape (M, k)."""
    return _solve_triangular(U, phi.T, trans="T", lower=False, check_finite=False)
