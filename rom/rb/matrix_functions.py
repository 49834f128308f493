r"""Parametrised limits of matrix power algorithms: inverses and log-determinants.

:math:`A(\mu)^{-1}` and :math:`\log\det A(\mu)` are limits of power series in
:math:`A(\mu)` (Neumann series, :math:`\log(I - B) = -\sum_k B^k / k`). With an
affine :math:`A(\mu) = \sum_q \theta_q(\mu) A_q` every partial sum is a polynomial
in :math:`\theta(\mu)`, and an empirical interpolation of the parameter-dependent
polynomial features gives, for *every* power at once, the same separated form
(Casenave, Akkari, Charles, Rey 2017)

.. math::

   L(\mu) \approx \sum_{m=1}^M \lambda_m(\mu)\, L(\mu_m),

where :math:`L(\mu_m)` is the exact limit (a factorisation, a log-determinant) at
``M`` selected parameters and :math:`\lambda(\mu)` costs :math:`O(M^2)` operations,
independently of the size of :math:`A`. :class:`LogDet` and
:class:`InverseApproximation` build on the same interpolation; the derivation is on
the theory page ``docs/theory/logdet.rst``.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

import numpy as np

from rom._checks import (
    check_array,
    check_choice,
    check_fitted,
    check_positive_int,
    check_tolerance,
    is_sparse,
)
from rom.linalg.solvers import Factorization, factorize
from rom.rb.affine import AffineOperator

__all__ = ["InverseApproximation", "LogDet", "exact_logdet"]

logger = logging.getLogger("rom.rb.matrix_functions")

_PIVOT_RTOL = 1e-9  # a feature whose residual is below this (relative) is dependent
_SYMMETRY_RTOL = 1e-10


def _solve_triangular(*args: Any, **kwargs: Any) -> np.ndarray:
    """``scipy.linalg.solve_triangular``, imported on first use (``import rom`` stays fast)."""
    from scipy.linalg import solve_triangular

    return solve_triangular(*args, **kwargs)


# --------------------------------------------------------------------------- exact values
def _permutation_sign(perm: np.ndarray) -> int:
    """Sign of a permutation given as an index array (cycle decomposition)."""
    perm = np.asarray(perm)
    seen = np.zeros(perm.size, dtype=bool)
    sign = 1
    for start in range(perm.size):
        if seen[start]:
            continue
        length = 0
        j = start
        while not seen[j]:
            seen[j] = True
            j = perm[j]
            length += 1
        if length % 2 == 0:
            sign = -sign
    return sign


def _check_hermitian(A: Any, name: str) -> None:
    if is_sparse(A):
        diff = abs(A - A.conj().T)
        size = abs(A).max() if A.nnz else 0.0
        gap = diff.max() if diff.nnz else 0.0
    else:
        size = np.abs(A).max()
        gap = np.abs(A - A.conj().T).max()
    if gap > _SYMMETRY_RTOL * size:
        raise ValueError(
            f"{name}: expected a symmetric (Hermitian) positive definite matrix, got one "
            f"with |A - A^H| up to {gap:.3g} (|A| up to {size:.3g}); use spd=False for "
            "general matrices"
        )


def exact_logdet(A: Any, spd: bool = True, return_sign: bool = False, name: str = "A") -> Any:
    r"""The log-determinant of a square matrix by a direct factorisation.

    Symmetric (Hermitian) positive definite matrices (``spd=True``): a Cholesky
    factorisation (dense), or SuperLU with a symmetric fill-reducing ordering and
    diagonal pivots only (sparse), where by Sylvester's law of inertia every pivot is
    positive exactly when the matrix is positive definite; then
    :math:`\log\det A = \sum_i \log u_{ii}`. General matrices (``spd=False``): LU with
    partial pivoting and :math:`\log|\det A| = \sum_i \log|u_{ii}|`, the sign from the
    pivots and the permutations.

    Parameters
    ----------
    A : (n, n) dense array or scipy sparse matrix
    spd : bool
        Require (and check) a Hermitian positive definite matrix.
    return_sign : bool
        Return ``(sign, logabsdet)`` as :func:`numpy.linalg.slogdet` does.
    name : str
        Name used in error messages.

    Returns
    -------
    float, or (sign, float)
        ``log det A`` (``spd=True``), ``log |det A|`` otherwise; the sign is a complex
        number of modulus one for complex matrices.

    Raises
    ------
    ValueError
        ``A`` is not square, not finite, or (``spd=True``) not Hermitian positive
        definite.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.rb.matrix_functions import exact_logdet
    >>> A = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> bool(abs(exact_logdet(A) - np.log(3.0)) < 1e-14)
    True
    """
    if not hasattr(A, "shape") or len(A.shape) != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(
            f"{name}: expected a square matrix, got shape {getattr(A, 'shape', None)}"
        )
    if is_sparse(A):
        from scipy.sparse.linalg import splu

        A = A.tocsc()
        if A.data.size and not np.isfinite(A.data).all():
            raise ValueError(f"{name}: contains NaN or inf")
        if spd:
            _check_hermitian(A, name)
            try:
                lu = splu(
                    A,
                    permc_spec="MMD_AT_PLUS_A",
                    diag_pivot_thresh=0.0,
                    options={"SymmetricMode": True},
                )
            except RuntimeError as err:  # exactly singular
                raise ValueError(f"{name}: the matrix is not positive definite ({err})") from err
            diag = lu.U.diagonal()
            if not np.array_equal(lu.perm_r, lu.perm_c) or np.any(diag.real <= 0):
                raise ValueError(
                    f"{name}: expected a symmetric (Hermitian) positive definite matrix, got "
                    "a matrix with a non-positive pivot (not positive definite)"
                )
            value = float(np.sum(np.log(diag.real)))
            return (1.0, value) if return_sign else value
        try:
            lu = splu(A, permc_spec="MMD_AT_PLUS_A")
        except RuntimeError:
            return (0.0, -np.inf) if return_sign else -np.inf
        diag = lu.U.diagonal()
        value = float(np.sum(np.log(np.abs(diag))))
        sign = _permutation_sign(lu.perm_r) * _permutation_sign(lu.perm_c)
        phase = np.prod(diag / np.abs(diag)) * sign
        if not np.iscomplexobj(diag):
            phase = float(np.sign(phase.real))
        return (phase, value) if return_sign else value
    A = check_array(A, name, ndim=2)
    if spd:
        _check_hermitian(A, name)
        try:
            from scipy.linalg import cholesky

            C = cholesky(A, lower=True, check_finite=False)
        except np.linalg.LinAlgError as err:
            raise ValueError(
                f"{name}: expected a symmetric (Hermitian) positive definite matrix, got a "
                "matrix that is not positive definite (Cholesky failed)"
            ) from err
        value = float(2.0 * np.sum(np.log(np.diag(C).real)))
        return (1.0, value) if return_sign else value
    sign, value = np.linalg.slogdet(A)
    return (sign, float(value)) if return_sign else float(value)


# ------------------------------------------------------------------- parameter features
def _graded_indices(dim: int, degree: int) -> np.ndarray:
    """All multi-indices of ``dim`` variables with total degree ``degree`` (rows)."""
    if dim == 0:
        return np.zeros((1 if degree == 0 else 0, 0), dtype=np.int64)
    rows = []
    for combo in itertools.combinations_with_replacement(range(dim), degree):
        rows.append(np.bincount(np.asarray(combo, dtype=np.int64), minlength=dim))
    return np.array(rows, dtype=np.int64).reshape(-1, dim)


class _Variables:
    """Map parameters to scaled interpolation variables in ``[-1, 1]^d``.

    ``source`` is ``"theta"`` (the affine coefficients ``theta(mu)``) or ``"mu"`` (the
    parameters themselves). With ``homogeneous`` (affine operators whose coefficients
    are all positive), ``A(theta) = s A(theta / s)`` with the geometric mean
    ``s = exp(mean_q log theta_q)`` is used: the variables are the logarithms of
    ``theta / s`` (which sum to zero, so the last one is dropped) and ``log s`` is
    returned separately. Otherwise each retained coordinate is taken linearly or
    through its logarithm. The variables are mapped affinely onto ``[-1, 1]`` over
    the training set; coordinates constant over the training set are dropped.
    """

    def __init__(self, source, coefficients, homogeneous, keep, logs, low, high) -> None:
        self.source = source
        self.coefficients = coefficients
        self.homogeneous = bool(homogeneous)
        self.keep = np.asarray(keep, dtype=np.int64)
        self.logs = np.asarray(logs, dtype=bool)
        self.low = np.asarray(low, dtype=float)
        self.high = np.asarray(high, dtype=float)

    @property
    def dim(self) -> int:
        return int(self.keep.size)

    def raw(self, mus: np.ndarray) -> np.ndarray:
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

    def _unscaled(self, mus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Variables before the map onto [-1, 1] (all coordinates) and ``log s``."""
        raw = self.raw(mus)
        if self.homogeneous:
            if raw.min() <= 0:
                raise ValueError(
                    "mu: the coefficients theta(mu) were positive on the training set but "
                    "are not here (outside the domain of the interpolation)"
                )
            u = np.log(raw)
            log_s = u.sum(axis=1) / u.shape[1]
            return (u - log_s[:, None])[:, :-1], log_s
        return raw, np.zeros(raw.shape[0])

    @classmethod
    def fit(cls, source, coefficients, mus, variables):
        self = cls(source, coefficients, False, [], [], [], [])
        raw = self.raw(mus)
        self.homogeneous = source == "theta" and variables != "linear" and bool(np.all(raw > 0))
        x, _ = self._unscaled(mus)
        lo, hi = x.min(axis=0), x.max(axis=0)
        scale = np.maximum(np.abs(lo), np.abs(hi))
        varying = hi - lo > 1e-12 * np.maximum(scale, 1.0)
        keep = np.flatnonzero(varying)
        if self.homogeneous:
            logs = np.zeros(keep.size, dtype=bool)  # already logarithms
        elif variables == "log":
            if not (lo[keep] > 0).all():
                raise ValueError(
                    "variables: 'log' needs strictly positive values of every varying "
                    f"{'coefficient' if source == 'theta' else 'parameter'} on the training set"
                )
            logs = np.ones(keep.size, dtype=bool)
        elif variables == "linear":
            logs = np.zeros(keep.size, dtype=bool)
        else:
            logs = lo[keep] > 0
        x = x[:, keep]
        x = np.where(logs, np.log(np.where(logs, x, 1.0)), x)
        self.keep, self.logs = keep, logs
        self.low, self.high = x.min(axis=0), x.max(axis=0)
        return self

    def transform(self, mus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Scaled variables (k, d) and ``log s`` (k,) (zeros unless ``homogeneous``)."""
        x, log_s = self._unscaled(mus)
        x = x[:, self.keep]
        if self.logs.any():
            if np.any(x[:, self.logs] <= 0):
                raise ValueError(
                    "mu: a coefficient that was positive on the training set is not "
                    "positive here (outside the domain of the interpolation)"
                )
            x = np.where(self.logs, np.log(np.where(self.logs, x, 1.0)), x)
        return (2.0 * x - (self.low + self.high)) / (self.high - self.low), log_s

    def __call__(self, mus: np.ndarray) -> np.ndarray:
        return self.transform(mus)[0]

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "homogeneous": self.homogeneous,
            "keep": self.keep.tolist(),
            "logs": self.logs.tolist(),
            "low": self.low.tolist(),
            "high": self.high.tolist(),
        }


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


# ----------------------------------------------------------------------- shared driver
def _resolve_operator(operator: Any) -> tuple[Callable, Any, Any, str]:
    """``(assemble, coefficients, parameter_space, source)`` for the accepted inputs."""
    from rom.rb.model import LinearModel

    check = None
    if isinstance(operator, LinearModel):
        check = operator.parameter_space
        operator = operator.operator
    if isinstance(operator, AffineOperator):
        if operator.shape[0] != operator.shape[1]:
            raise ValueError(f"operator: expected a square operator, got shape {operator.shape}")
        return operator.assemble, operator.coefficients, check, "theta"
    if callable(operator):
        return operator, None, None, "mu"
    raise TypeError(
        "operator: expected an AffineOperator, a LinearModel or a callable mu -> A(mu), got "
        f"{type(operator).__name__}"
    )


def _check_parameters(mus: Any, name: str, dim: int | None = None) -> np.ndarray:
    mus = check_array(mus, name, ndim=(1, 2), dtype_kind="f")
    if mus.ndim == 1:
        mus = mus.reshape(-1, 1) if dim in (None, 1) else mus.reshape(1, -1)
    if dim is not None and mus.shape[1] != dim:
        raise ValueError(f"{name}: expected parameter rows of {dim} values, got shape {mus.shape}")
    return mus


def _assemble_square(assemble: Callable, mu: np.ndarray, n: int | None) -> Any:
    A = assemble(mu)
    shape = getattr(A, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"operator: expected a square matrix A(mu), got shape {shape}")
    if n is not None and shape[0] != n:
        raise ValueError(f"operator: A(mu) changed size from {n} to {shape[0]}")
    return A


class _ParameterInterpolant:
    """Settings, validation and the degree-by-degree greedy shared by both classes."""

    def __init__(
        self,
        tol: float | None,
        max_terms: int | None,
        max_degree: int | None,
        variables: str,
    ) -> None:
        self.tol = tol
        self.max_terms = max_terms
        self.max_degree = max_degree
        self.variables = variables

    def _validate_settings(self) -> tuple[float, int, int]:
        tol = check_tolerance(self.tol, "tol", upper=1.0)
        max_terms = check_positive_int(self.max_terms, "max_terms")
        max_degree = check_positive_int(self.max_degree, "max_degree", minimum=0)
        check_choice(self.variables, "variables", ("auto", "linear", "log"))
        return (
            0.0 if tol is None else tol,
            10**6 if max_terms is None else max_terms,
            10**3 if max_degree is None else max_degree,
        )

    def _check_mus(self, mus: Any) -> np.ndarray:
        if self.parameter_space_ is not None:
            return np.atleast_2d(self.parameter_space_.check(mus))
        return _check_parameters(mus, "mu", self.parameters_.shape[1])

    def _greedy(self, operator: Any, training_set: Any) -> None:
        tol, max_terms, max_degree = self._validate_settings()
        assemble, coefficients, check, source = _resolve_operator(operator)
        if check is not None:
            mus = np.atleast_2d(check.check(training_set))
        else:
            mus = _check_parameters(training_set, "training_set")
        self._assemble = assemble
        self.parameter_space_ = check
        self.variables_ = _Variables.fit(source, coefficients, mus, self.variables)
        x, log_s = self.variables_.transform(mus)
        engine = _GradedInterpolation(x)
        self.levels_ = []
        self.errors_ = []
        self._start()
        stop = "max_degree"
        for degree in range(max_degree + 1):
            new_rows = engine.add_degree(degree, max_terms - engine.size)
            if not new_rows:
                stop = "max_terms" if engine.size >= max_terms else "training_set"
                if engine.size < max_terms and self.variables_.dim > 0:
                    warnings.warn(
                        f"{type(self).__name__}: the training set ({len(mus)} parameters) "
                        f"cannot resolve degree {degree}; stopping with {engine.size} terms "
                        "(give a larger training set to reach the tolerance)",
                        RuntimeWarning,
                        stacklevel=3,
                    )
                if self.variables_.dim == 0:
                    stop = "constant"
                break
            self._extend(mus[new_rows], log_s[new_rows])
            self.levels_.append(engine.size)
            error = 1.0
            if len(self.levels_) > 1:
                rows = engine.Q[engine.rows]
                z = _solve_triangular(
                    rows, self._reduced(), lower=True, unit_diagonal=True, check_finite=False
                )
                error = self._training_error(engine.Q, z.reshape(engine.size, -1))
            self.errors_.append(error)
            logger.info(
                "%s: degree %d, %d terms, estimated error %.3g over the training set",
                type(self).__name__,
                degree,
                engine.size,
                error,
            )
            if degree > 0 and error <= tol:
                stop = "tol"
                break
            if engine.size >= max_terms:
                stop = "max_terms"
                break
            if self.variables_.dim == 0:
                stop = "constant"
                break
        if len(mus) < 10 * engine.size and self.variables_.dim > 0:
            warnings.warn(
                f"{type(self).__name__}: {engine.size} terms from only {len(mus)} training "
                "parameters; the error is estimated on the training set only and the "
                "interpolant may oscillate between its points: give at least ten times "
                "more training parameters than terms (only the coefficients theta(mu) are "
                "evaluated on them)",
                RuntimeWarning,
                stacklevel=3,
            )
        self.stop_reason_ = stop
        self.parameters_ = mus[engine.rows]
        self.rows_ = np.array(engine.rows, dtype=np.int64)
        self.indices_ = engine.indices
        self._L, self._U = engine.factors()
        self.levels_ = np.array(self.levels_, dtype=np.int64)
        self.errors_ = np.array(self.errors_, dtype=float)
        self._finish()

    @property
    def n_terms_(self) -> int:
        """Number of selected parameters (terms of the separated approximation)."""
        check_fitted(self, "parameters_")
        return int(self.parameters_.shape[0])

    @property
    def degree_(self) -> int:
        """Largest total degree of the interpolation features."""
        check_fitted(self, "parameters_")
        return int(self.indices_.sum(axis=1).max()) if self.indices_.size else 0


def _logdet_task(task: tuple) -> tuple[Any, float, int]:
    """``(sign, log|det|, n)`` of ``A(mu)`` (a top-level function: executors pickle it)."""
    assemble, mu, spd = task
    A = _assemble_square(assemble, mu, None)
    sign, value = exact_logdet(A, spd=spd, return_sign=True, name=f"A(mu={mu})")
    return sign, value, A.shape[0]


# ------------------------------------------------------------------------------ LogDet
class LogDet(_ParameterInterpolant):
    r"""Nonintrusive approximation of :math:`\mu \mapsto \log\det A(\mu)`.

    The log-determinant is the limit of the power series
    :math:`\log\det A = n\log\alpha - \sum_{k\ge1} \operatorname{tr}(B^k)/k`,
    :math:`B = I - A/\alpha`, whose partial sums are polynomials in the coefficients
    :math:`\theta(\mu)` of :math:`A(\mu) = \sum_q\theta_q(\mu)A_q`. An empirical
    interpolation of the polynomial features of :math:`\theta(\mu)` (Chebyshev
    products, added one total degree at a time; Gaussian elimination with complete
    pivoting picks a parameter of the training set per step) gives

    .. math::

       \log\det A(\mu) \approx \sum_{m=1}^M \lambda_m(\mu) \log\det A(\mu_m),

    with the exact log-determinants computed at the ``M`` selected parameters only
    (:func:`exact_logdet`, one sparse factorisation each) and :math:`\lambda(\mu)`
    from two triangular solves of size ``M``: the online cost does not depend on the
    size of :math:`A`.

    Parameters
    ----------
    tol : float, optional
        Stop after the first degree whose error estimate (see :meth:`evaluate`) is
        at most ``tol * scale_`` at every training parameter; ``scale_`` is the
        largest :math:`|\log\det A(\mu_m)|` at the selected parameters. Between 0
        and 1. The estimate costs no exact evaluation, so the training set can (and
        should) be large: at least ten parameters per term, corners included.
    max_terms : int, optional
        Largest number of selected parameters (exact log-determinants).
    max_degree : int, optional
        Largest total degree of the features.
    variables : {"auto", "linear", "log"}
        Interpolation variables: the coefficients :math:`\theta_q(\mu)` (or the
        parameters, for a callable), linearly or through their logarithm. ``"auto"``
        takes the logarithm of every coordinate that is positive on the training set
        (the log-determinant of a sum of positive semidefinite terms is then
        analytic in a strip of half-width :math:`\pi/2` around each real
        log-variable, and converges fast even over decades of :math:`\theta`); when
        all coefficients are positive it also uses the homogeneity
        :math:`A(s\theta) = sA(\theta)` to remove one variable exactly. ``"linear"``
        uses neither.
    spd : bool
        ``True``: :math:`A(\mu)` must be symmetric (Hermitian) positive definite
        (checked at the selected parameters) and ``log det`` is returned. ``False``:
        general matrices, ``log |det|`` is interpolated (the sign must not change over
        the training set, or a warning says the approximation cannot hold there).

    Attributes
    ----------
    parameters_ : ndarray, shape (M, n_params)
        The selected parameters, in the order of selection.
    values_ : ndarray, shape (M,)
        Exact (log-abs-)determinants at ``parameters_``.
    levels_ : ndarray of int
        Number of terms after each degree: the approximation of lower degree ``d`` uses
        the first ``levels_[d]`` terms.
    errors_ : ndarray
        For each degree, the largest error estimate over the training set, relative
        to ``scale_`` (1 for degree 0, which has none).
    stop_reason_ : str
        ``"tol"``, ``"max_terms"``, ``"max_degree"``, ``"training_set"`` (the training
        set cannot resolve more features) or ``"constant"`` (no varying coefficient).
    size_ : int
        Size ``n`` of the matrices.
    signs_ : ndarray
        Sign of the determinant at ``parameters_`` (all one when ``spd``).
    parameter_space_ : rom.ParameterSpace or None
        The parameter space of the model passed to :meth:`fit`, which then checks
        every parameter.

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> from rom.rb import AffineOperator, LinearCoefficients
    >>> from rom.rb.matrix_functions import LogDet, exact_logdet
    >>> n = 50
    >>> K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    >>> A = AffineOperator([K, scipy.sparse.eye(n)], LinearCoefficients.identity(2))
    >>> train = np.column_stack([np.ones(2000), np.linspace(0.1, 10.0, 2000)])
    >>> logdet = LogDet(tol=1e-10).fit(A, train)
    >>> mu = [1.0, 3.3]
    >>> exact = exact_logdet(A.assemble(mu))
    >>> bool(abs(logdet(mu) - exact) < 1e-8 * abs(exact))
    True
    """

    def __init__(
        self,
        tol: float | None = 1e-8,
        max_terms: int | None = 500,
        max_degree: int | None = None,
        variables: str = "auto",
        spd: bool = True,
    ) -> None:
        super().__init__(tol, max_terms, max_degree, variables)
        self.spd = spd

    def fit(self, operator: Any, training_set: Any, executor: Executor | None = None) -> LogDet:
        """Select parameters and compute the exact log-determinants there.

        Parameters
        ----------
        operator : AffineOperator, LinearModel or callable
            :math:`A(\\mu)`, square. With an :class:`~rom.rb.AffineOperator` (or a model
            holding one) the interpolation variables are the coefficients
            :math:`\\theta(\\mu)` and only the selected matrices are assembled; with a
            callable ``mu -> A(mu)`` (any parametrised matrix, not necessarily affine)
            they are the parameters themselves.
        training_set : (N, n_params) array
            Candidate parameters (rows); the approximation uses at most ``N`` of them.
        executor : concurrent.futures.Executor, optional
            Computes the exact log-determinants of each degree's new parameters in
            parallel (the operator must then be picklable for a process pool).

        Returns
        -------
        LogDet
            ``self``.
        """
        if not isinstance(self.spd, bool | np.bool_):
            raise TypeError(f"spd: expected True or False, got {self.spd!r}")
        self._executor = executor
        try:
            self._greedy(operator, training_set)
        finally:
            del self._executor
        self._assemble = None  # the online stage needs no matrix
        return self

    # hooks of the greedy
    def _start(self) -> None:
        self._values: list[float] = []
        self._log_scales: list[float] = []
        self._signs: list[Any] = []
        self.size_ = None
        self.scale_ = 0.0

    def _extend(self, mus, log_s) -> None:
        tasks = [(self._assemble, mu, self.spd) for mu in mus]
        executor = self._executor
        results = list(map(_logdet_task, tasks) if executor is None else executor.map(
            _logdet_task, tasks
        ))  # fmt: skip
        new = []
        for mu, (sign, value, n) in zip(mus, results, strict=True):
            if self.size_ is not None and n != self.size_:
                raise ValueError(f"operator: A(mu) changed size from {self.size_} to {n}")
            self.size_ = n
            if not np.isfinite(value):
                raise ValueError(f"operator: A(mu) is singular at mu={mu}")
            new.append(value)
            self._signs.append(sign)
        self._values.extend(new)
        self._log_scales.extend(log_s)
        self.scale_ = max(self.scale_, float(np.max(np.abs(new))), np.finfo(float).tiny)

    def _reduced(self) -> np.ndarray:
        # A(theta) = s A(theta / s): log det A = n log s + log det A(theta / s)
        return np.array(self._values) - self.size_ * np.array(self._log_scales)

    def _training_error(self, Q: np.ndarray, z: np.ndarray) -> float:
        return float(np.max(_training_estimates(Q, z, self.levels_)) / self.scale_)

    def _finish(self) -> None:
        self.values_ = np.array(self._values, dtype=float)
        self.log_scales_ = np.array(self._log_scales, dtype=float)
        self.signs_ = np.array(self._signs)
        del self._values, self._signs, self._log_scales
        self._set_z()
        real_signs = not np.iscomplexobj(self.signs_)
        if not self.spd and real_signs and len(np.unique(np.sign(self.signs_))) > 1:
            warnings.warn(
                "LogDet: det A(mu) changes sign over the selected parameters; log|det A| "
                "is singular in between and its interpolation cannot be accurate there",
                RuntimeWarning,
                stacklevel=3,
            )

    def _set_z(self) -> None:
        reduced = self.values_ - self.size_ * self.log_scales_
        self._z = _solve_triangular(self._L, reduced, lower=True, unit_diagonal=True)
        # Chebyshev coefficients of the interpolants of the last three degrees
        # (c = V^{-1} g = U^{-1} L^{-1} g, zero-padded): online, a value is phi(mu) . c
        self._coefficients = []
        for top in self.levels_[-3:]:
            c = np.zeros(self.n_terms_)
            c[:top] = self._chebyshev_coefficients(int(top))
            self._coefficients.append(c)

    def _chebyshev_coefficients(self, k: int) -> np.ndarray:
        return _solve_triangular(self._U[:k, :k], self._z[:k], lower=False)

    def evaluate(self, mus: Any, return_estimate: bool = False, n_terms: int | None = None) -> Any:
        r"""Approximate log-determinants for rows of parameters.

        Parameters
        ----------
        mus : (k, n_params) array, or (n_params,) for one parameter
        return_estimate : bool
            Also return the error estimate :math:`|c_D(\mu)| + |c_{D-1}(\mu)|`, the
            moduli of the contributions of the last two degrees to the interpolant
            (the errors of the approximations one and two degrees lower), which
            exceeds the error of the returned value when the convergence in the
            degree is geometric; ``inf`` when only one degree was fitted.

        Returns
        -------
        values : ndarray, shape (k,)
        estimates : ndarray, shape (k,)
            Only with ``return_estimate``.
        n_terms : int, optional
            Use only the first ``n_terms`` selected parameters (the interpolants are
            nested); all of them by default. Not combined with ``return_estimate``.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.rb.matrix_functions import LogDet
        >>> f = lambda mu: np.diag([1.0 + mu[0], 2.0 + mu[0] ** 2])
        >>> ld = LogDet(tol=1e-12).fit(f, np.linspace(0.0, 1.0, 500))
        >>> values, est = ld.evaluate([[0.25], [0.5]], return_estimate=True)
        >>> bool(np.allclose(values, np.log([1.25 * 2.0625, 1.5 * 2.25]), rtol=1e-10))
        True
        """
        check_fitted(self, "values_")
        k = check_positive_int(n_terms, "n_terms")
        k = self.n_terms_ if k is None else min(k, self.n_terms_)
        if n_terms is not None and return_estimate:
            raise ValueError("n_terms: the estimate is only available with all terms")
        mus = self._check_mus(mus)
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
        """The approximate log-determinant at one parameter."""
        return float(self.evaluate(np.atleast_1d(np.asarray(mu, dtype=float)).reshape(1, -1))[0])

    # ------------------------------------------------------------ persistence
    def _to_arrays(self) -> tuple[dict, dict]:
        check_fitted(self, "values_")
        coefficients = None
        if self.variables_.source == "theta":
            to_dict = getattr(self.variables_.coefficients, "to_dict", None)
            data = to_dict() if to_dict is not None else None
            if data is None:
                raise TypeError(
                    "coefficients: only LogDet objects fitted on a callable, or on an "
                    "AffineOperator with rom.rb.LinearCoefficients or ConstantCoefficients, "
                    "can be saved"
                )
            coefficients = {"class": type(self.variables_.coefficients).__name__, "data": data}
        space = self.parameter_space_
        settings = {
            "parameter_space": None if space is None else space.to_dict(),
            "tol": self.tol,
            "max_terms": self.max_terms,
            "max_degree": self.max_degree,
            "variables": self.variables,
            "spd": bool(self.spd),
            "variables_map": self.variables_.to_dict(),
            "coefficients": coefficients,
            "stop_reason": self.stop_reason_,
            "size": int(self.size_),
            "scale": float(self.scale_),
        }
        arrays = {
            "parameters": self.parameters_,
            "values": self.values_,
            "log_scales": self.log_scales_,
            "signs": np.asarray(self.signs_),
            "levels": self.levels_,
            "errors": self.errors_,
            "indices": self.indices_,
            "rows": self.rows_,
            "L": self._L,
            "U": self._U,
        }
        return settings, arrays

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> LogDet:
        from rom.rb.affine import ConstantCoefficients, LinearCoefficients

        obj = cls(
            tol=settings["tol"],
            max_terms=settings["max_terms"],
            max_degree=settings["max_degree"],
            variables=settings["variables"],
            spd=settings["spd"],
        )
        coefficients = None
        if settings["coefficients"] is not None:
            kinds = {"LinearCoefficients": LinearCoefficients,
                     "ConstantCoefficients": ConstantCoefficients}  # fmt: skip
            kind = settings["coefficients"]["class"]
            if kind not in kinds:
                raise ValueError(f"unknown coefficient description {kind!r}")
            coefficients = kinds[kind].from_dict(settings["coefficients"]["data"])
        vm = settings["variables_map"]
        obj.variables_ = _Variables(
            vm["source"],
            coefficients,
            vm["homogeneous"],
            vm["keep"],
            vm["logs"],
            vm["low"],
            vm["high"],
        )
        from rom.parameters import ParameterSpace

        space = settings.get("parameter_space")
        obj.parameter_space_ = None if space is None else ParameterSpace.from_dict(space)
        obj._assemble = None
        obj.parameters_ = np.asarray(arrays["parameters"], dtype=float)
        obj.values_ = np.asarray(arrays["values"], dtype=float)
        obj.signs_ = np.asarray(arrays["signs"])
        obj.levels_ = np.asarray(arrays["levels"], dtype=np.int64)
        obj.errors_ = np.asarray(arrays["errors"], dtype=float)
        obj.indices_ = np.asarray(arrays["indices"], dtype=np.int64).reshape(-1, len(vm["keep"]))
        obj.rows_ = np.asarray(arrays["rows"], dtype=np.int64)
        obj._L = np.asarray(arrays["L"], dtype=float)
        obj._U = np.asarray(arrays["U"], dtype=float)
        obj.stop_reason_ = settings["stop_reason"]
        obj.size_ = settings["size"]
        obj.scale_ = settings["scale"]
        obj.log_scales_ = np.asarray(arrays["log_scales"], dtype=float)
        obj._set_z()
        return obj

    def save(self, path: Any) -> None:
        """Save to ``path`` (see :func:`rom.save`): possible when fitted on a callable,
        or on an operator whose coefficients are :class:`rom.rb.LinearCoefficients`."""
        from rom.io.persist import save

        save(self, path)


# ------------------------------------------------------------------ InverseApproximation
class InverseApproximation(_ParameterInterpolant):
    r"""Nonintrusive approximation :math:`A(\mu)^{-1} \approx \sum_m \lambda_m(\mu) A(\mu_m)^{-1}`.

    The inverse is the limit of the Neumann series
    :math:`A^{-1} = \alpha^{-1}\sum_{k\ge0} (I - A/\alpha)^k`, whose partial sums are
    polynomials in the coefficients of an affine :math:`A(\mu)`; the same
    interpolation in the parameter as :class:`LogDet` gives coefficients
    :math:`\lambda(\mu)` (cost :math:`O(M^2)`, independent of ``n``) that combine
    the inverses at ``M`` selected parameters. Only the factorisations
    (:class:`rom.linalg.Factorization`) at the selected parameters are kept; one
    application costs ``M`` triangular solve pairs.

    The greedy measures the error with ``n_probes`` random sign vectors ``Z``: it
    stops after the first degree whose estimate (the norms of the contributions of
    the last two degrees to :math:`\tilde A^{-1}Z`, see :meth:`solve`) is at most
    ``tol`` times :math:`\|\tilde A^{-1}Z\|_F` at every training parameter (a
    randomised, relative Frobenius-norm error). The training set is only used
    through :math:`\theta(\mu)`: make it large, corners included.

    Parameters
    ----------
    tol : float, optional
        Relative tolerance (between 0 and 1) of the probed error described above.
    max_terms : int, optional
        Largest number of factorisations kept.
    max_degree : int, optional
        Largest total degree of the features.
    variables : {"auto", "linear", "log"}
        As in :class:`LogDet`.
    n_probes : int
        Number of random probe vectors of the error measure.
    random_state : int, optional
        Seed of the probe vectors.

    Attributes
    ----------
    parameters_ : ndarray, shape (M, n_params)
        The selected parameters.
    factorizations_ : list of rom.linalg.Factorization
        Factorisations of :math:`A(\mu_m)`.
    levels_, errors_, stop_reason_ :
        As in :class:`LogDet` (``errors_`` are the probed relative errors).

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> from rom.rb import AffineOperator, LinearCoefficients
    >>> from rom.rb.matrix_functions import InverseApproximation
    >>> n = 60
    >>> K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    >>> A = AffineOperator([K, scipy.sparse.eye(n)], LinearCoefficients.identity(2))
    >>> train = np.column_stack([np.ones(1000), np.linspace(0.1, 1.0, 1000)])
    >>> inv = InverseApproximation(tol=1e-8).fit(A, train)
    >>> b = np.ones(n)
    >>> x = inv.solve([1.0, 0.55], b)
    >>> exact = scipy.sparse.linalg.spsolve(A.assemble([1.0, 0.55]).tocsc(), b)
    >>> bool(np.linalg.norm(x - exact) < 1e-6 * np.linalg.norm(exact))
    True
    """

    def __init__(
        self,
        tol: float | None = 1e-3,
        max_terms: int | None = 40,
        max_degree: int | None = None,
        variables: str = "auto",
        n_probes: int = 4,
        random_state: int | None = 0,
    ) -> None:
        super().__init__(tol, max_terms, max_degree, variables)
        self.n_probes = n_probes
        self.random_state = random_state

    def fit(self, operator: Any, training_set: Any) -> InverseApproximation:
        """Select parameters and factorise :math:`A(\\mu_m)` there.

        Parameters
        ----------
        operator : AffineOperator, LinearModel or callable
            Square :math:`A(\\mu)` (see :meth:`LogDet.fit`).
        training_set : (N, n_params) array
            Candidate parameters (rows).

        Returns
        -------
        InverseApproximation
            ``self``.
        """
        check_positive_int(self.n_probes, "n_probes", allow_none=False)
        self._greedy(operator, training_set)
        self._assemble = None
        return self

    def _start(self) -> None:
        self.factorizations_: list[Factorization] = []
        self._probes = None
        self._images: list[np.ndarray] = []
        self._log_scales: list[float] = []
        self.size_ = None

    def _extend(self, mus, log_s) -> None:
        for mu, ls in zip(mus, log_s, strict=True):
            A = _assemble_square(self._assemble, mu, self.size_)
            if self._probes is None:
                self.size_ = A.shape[0]
                rng = np.random.default_rng(self.random_state)
                self._probes = rng.choice([-1.0, 1.0], size=(self.size_, self.n_probes))
            lu = factorize(A, name=f"A(mu={mu})")
            self.factorizations_.append(lu)
            self._log_scales.append(ls)
            # A(theta) = s A(theta / s): interpolate the inverse of A(theta / s)
            self._images.append(np.exp(ls) * lu.solve(self._probes).reshape(-1))

    def _reduced(self) -> np.ndarray:
        return np.array(self._images)

    def _training_error(self, Q: np.ndarray, z: np.ndarray) -> float:
        estimates = _training_estimates(Q, z, self.levels_)
        gram = z @ z.conj().T
        size = np.sqrt(np.maximum(np.sum((Q @ gram) * Q.conj(), axis=1).real, 0.0))
        return float(np.max(estimates / np.maximum(size, np.finfo(float).tiny)))

    def _finish(self) -> None:
        self.log_scales_ = np.array(self._log_scales, dtype=float)
        del self._images, self._probes, self._log_scales
        self.dtype_ = np.result_type(*[f.dtype for f in self.factorizations_])

    def _level_weights(self, mu: Any) -> list[np.ndarray]:
        """``lambda(mu)`` at every degree (zero-padded to ``M``), the highest last."""
        check_fitted(self, "factorizations_")
        mus = self._check_mus(mu)
        if mus.shape[0] != 1:
            raise ValueError(f"mu: expected one parameter set, got {mus.shape[0]}")
        x, log_s = self.variables_.transform(mus)
        y = _weights(self._U, _chebyshev_features(x, self.indices_))[:, 0]
        ratio = np.exp(self.log_scales_ - log_s[0])  # s_m / s(mu)
        out = []
        for top in self.levels_[-3:]:
            lam = np.zeros_like(y)
            lam[:top] = _solve_triangular(
                self._L[:top, :top], y[:top], trans="T", lower=True, unit_diagonal=True
            )
            out.append(lam * ratio)
        return out

    def coefficients(self, mu: Any) -> np.ndarray:
        r"""The coefficients :math:`\lambda(\mu)` of
        :math:`A(\mu)^{-1} \approx \sum_m \lambda_m(\mu) A(\mu_m)^{-1}`: shape (M,).

        Examples
        --------
        >>> import numpy as np
        >>> from rom.rb.matrix_functions import InverseApproximation
        >>> f = lambda mu: np.diag([1.0 + mu[0], 2.0])
        >>> inv = InverseApproximation(tol=1e-12).fit(f, np.linspace(0.0, 1.0, 200))
        >>> lam = inv.coefficients([inv.parameters_[1, 0]])
        >>> bool(np.allclose(lam, np.eye(inv.n_terms_)[1]))
        True
        """
        return self._level_weights(mu)[-1]

    def solve(self, mu: Any, b: Any, return_estimate: bool = False) -> Any:
        r"""Approximate :math:`A(\mu)^{-1} b` for one (n,) or several (n, k) right-hand sides.

        Parameters
        ----------
        mu : (n_params,) array
        b : (n,) or (n, k) array
        return_estimate : bool
            Also return the error estimate :math:`\|x_D - x_{D-1}\| + \|x_{D-1} -
            x_{D-2}\|` (Euclidean, per column), with :math:`x_d` the approximation of
            degree ``d``: it exceeds the error of the returned value when the
            convergence in the degree is geometric (``inf`` with a single degree).
            The exact residual :math:`b - A(\mu)x` is another check, one affine
            product away.

        Returns
        -------
        x : ndarray, like ``b``
        estimate : float or ndarray of shape (k,)
            Only with ``return_estimate``.
        """
        weights = self._level_weights(mu)
        b = check_array(b, "b", ndim=(1, 2))
        if b.shape[0] != self.size_:
            raise ValueError(f"b: expected {self.size_} rows, got shape {b.shape}")
        combined = np.zeros((len(weights), *b.shape), dtype=np.result_type(self.dtype_, b))
        for m, lu in enumerate(self.factorizations_):
            xm = lu.solve(b)
            for level, lam in enumerate(weights):
                combined[level] += lam[m] * xm
        x = combined[-1]
        if not return_estimate:
            return x

        def norm(v):
            return float(np.linalg.norm(v)) if b.ndim == 1 else np.linalg.norm(v, axis=0)

        if len(weights) < 2:
            inf = np.inf
            return x, (inf if b.ndim == 1 else np.full(b.shape[1], inf))
        estimate = norm(combined[-1] - combined[-2])
        if len(weights) == 3:
            estimate = estimate + norm(combined[-2] - combined[-3])
        return x, estimate

    apply = solve

    def as_linear_operator(self, mu: Any) -> Any:
        r"""The approximate inverse at ``mu`` as a :class:`scipy.sparse.linalg.LinearOperator`.

        Use it as the preconditioner ``M`` of :func:`scipy.sparse.linalg.gmres` or
        :func:`~scipy.sparse.linalg.cg` for :math:`A(\mu)` (it is symmetric when the
        :math:`A(\mu_m)` are; for CG it must also be positive definite, which holds
        when the approximation is accurate: the eigenvalues of
        :math:`\tilde A^{-1}A` are then close to one).

        Examples
        --------
        >>> import numpy as np, scipy.sparse, scipy.sparse.linalg
        >>> from rom.rb import AffineOperator, LinearCoefficients
        >>> from rom.rb.matrix_functions import InverseApproximation
        >>> n = 80
        >>> K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)],
        ...                        [-1, 0, 1])
        >>> A = AffineOperator([K, scipy.sparse.eye(n)], LinearCoefficients.identity(2))
        >>> train = np.column_stack([np.ones(500), np.linspace(0.01, 1.0, 500)])
        >>> inv = InverseApproximation(tol=1e-2).fit(A, train)
        >>> M = inv.as_linear_operator([1.0, 0.3])
        >>> x, info = scipy.sparse.linalg.cg(A.assemble([1.0, 0.3]), np.ones(n), M=M)
        >>> info
        0
        """
        from scipy.sparse.linalg import LinearOperator

        lam = self._level_weights(mu)[-1]
        factorizations = self.factorizations_

        def matvec(v):
            v = np.asarray(v)
            out = None
            for m, lu in enumerate(factorizations):
                term = lam[m] * lu.solve(v)
                out = term if out is None else out + term
            return out

        n = self.size_
        return LinearOperator((n, n), matvec=matvec, matmat=matvec, dtype=self.dtype_)
