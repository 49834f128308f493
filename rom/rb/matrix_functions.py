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
from rom.affine import AffineOperator
from rom.linalg.solvers import Factorization, factorize

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
    if operator is None:
        raise TypeError(
            "operator: this object has no operator (it was loaded from a file); pass "
            "an AffineOperator, a LinearModel or a callable mu -> A(mu) to refit"
        )
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
        operator: Any,
        tol: float | None,
        max_terms: int | None,
        max_degree: int | None,
        variables: str,
    ) -> None:
        self.operator = operator
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

    def _greedy(self, training_set: Any) -> None:
        tol, max_terms, max_degree = self._validate_settings()
        assemble, coefficients, check, source = _resolve_operator(self.operator)
        self._source = source
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


_AUTO_BOUND_SIZE = 2000  # bound="auto" computes the exact traces up to this size
_PSD_RTOL = 1e-10  # an eigenvalue of a term above -_PSD_RTOL * its largest counts as >= 0


def _nonzero_columns(T: Any) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``J`` of the nonzero columns of ``T`` and the dense block ``T[:, J]``."""
    if is_sparse(T):
        T = T.tocsc()
        T.eliminate_zeros()
        J = np.flatnonzero(np.diff(T.indptr) > 0)
        return J, T[:, J].toarray()
    T = np.asarray(T)
    J = np.flatnonzero(np.any(T != 0, axis=0))
    return J, T[:, J]


def _terms_psd(terms: list) -> bool:
    """Whether every term is Hermitian positive semidefinite (up to rounding).

    A Hermitian term with nonzero columns ``J`` also has nonzero rows ``J`` only, so
    it is positive semidefinite exactly when its dense block ``T[J, J]`` is: one
    symmetric eigenvalue problem of the size of the support of each term.
    """
    for T in terms:
        J, block = _nonzero_columns(T)
        B = block[J]
        if B.size == 0:
            continue
        size = np.abs(B).max()
        if np.abs(B - B.conj().T).max() > _SYMMETRY_RTOL * size:
            return False
        w = np.linalg.eigvalsh(B)
        if w[0] < -_PSD_RTOL * max(abs(w[-1]), abs(w[0])):
            return False
    return True


def _trace_moments(A: Any, terms: list, name: str) -> tuple[np.ndarray, np.ndarray]:
    r"""Exact :math:`t_q = \operatorname{tr}(A^{-1}A_q)` and
    :math:`S_{qr} = \operatorname{tr}(A^{-1}A_q A^{-1}A_r)`.

    One factorisation of ``A`` and one solve per nonzero column of each term
    (``n`` solves in all for terms with disjoint supports, as finite element blocks
    nearly have): :math:`W_q = A^{-1}A_q[:, J_q]` is kept densely, and
    :math:`S_{qr} = \sum_{i \in J_r, j \in J_q} W_q[i, j]\, W_r[j, i]`.
    """
    lu = factorize(A, name=name)
    n = A.shape[0]
    cols, blocks = [], []
    for T in terms:
        J, rhs = _nonzero_columns(T)
        W = lu.solve(rhs) if J.size else np.zeros((n, 0))
        cols.append(J)
        blocks.append(W)
    Q = len(terms)
    t = np.array([np.trace(W[J]).real for J, W in zip(cols, blocks, strict=True)])
    S = np.empty((Q, Q))
    for q in range(Q):
        for r in range(q, Q):
            S[q, r] = S[r, q] = np.sum(blocks[q][cols[r]] * blocks[r][cols[q]].T).real
    return t, S


def _logdet_task(task: tuple) -> tuple[Any, float, int, Any]:
    """``(sign, log|det|, n, moments)`` of ``A(mu)`` (top level: executors pickle it)."""
    assemble, mu, spd, terms = task
    A = _assemble_square(assemble, mu, None)
    sign, value = exact_logdet(A, spd=spd, return_sign=True, name=f"A(mu={mu})")
    moments = None if terms is None else _trace_moments(A, terms, name=f"A(mu={mu})")
    return sign, value, A.shape[0], moments


def _logdet_brackets(
    theta: np.ndarray,
    anchors: np.ndarray,
    values: np.ndarray,
    t: np.ndarray,
    S: np.ndarray,
    n: int,
    psd: bool,
) -> tuple[np.ndarray, np.ndarray]:
    r"""Certified lower and upper bounds of :math:`\log\det A(\mu)` for rows ``theta``.

    For an anchor :math:`A_m = A(\mu_m)`, the eigenvalues :math:`\lambda_i` of
    :math:`A_m^{-1}A(\mu)` have the mean :math:`\bar\lambda = 1 + \delta^T t/n` and
    the variance :math:`\sigma^2 = \delta^T S\delta/n - (\bar\lambda - 1)^2`
    (:math:`\delta = \theta(\mu) - \theta(\mu_m)`, the traces ``t`` and ``S`` exact),
    and lie in :math:`[a, b]`: :math:`\bar\lambda \mp \sqrt{n}\sigma`, narrowed to the
    min/max ratios of :math:`\theta_q(\mu)/\theta_q(\mu_m)` when every term is
    positive semidefinite. Among all distributions on :math:`[a, b]` with that mean
    and variance, :math:`\int\log` is smallest for the two-point distribution with
    a mass at :math:`a` and largest for the one with a mass at :math:`b` (Gauss-Radau
    rules, Bai and Golub 1997, since :math:`\log''' > 0`), so
    :math:`\log\det A(\mu) - \log\det A_m = n\int\log` lies between their values.
    The tightest bracket over the anchors is returned, widened by the rounding
    allowance :math:`100\,\epsilon\,(|\log\det A_m| + n)`.
    """
    k = theta.shape[0]
    lower = np.full(k, -np.inf)
    upper = np.full(k, np.inf)
    positive = anchors > 0
    tiny = np.finfo(float).tiny
    # rounding allowance for the computed log-determinants and traces
    slack = 100.0 * np.finfo(float).eps * (np.abs(values) + n)
    for start in range(0, k, 128):
        th = theta[start : start + 128]  # (b, Q)
        delta = th[:, None, :] - anchors[None]  # (b, M, Q)
        mean = 1.0 + np.einsum("bmq,mq->bm", delta, t) / n
        square = np.einsum("bmq,mqr,bmr->bm", delta, S, delta) / n
        variance = np.maximum(square - (mean - 1.0) ** 2, 0.0)
        spread = np.sqrt(n * variance)  # |lambda_i - mean| <= ||A_m^{-1}A - mean I||_F
        a = mean - spread
        b = mean + spread
        if psd:
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = th[:, None, :] / np.where(positive, anchors, 1.0)[None]
            zero_lo = np.where(th[:, None, :] >= 0, np.inf, -np.inf)
            zero_hi = np.where(th[:, None, :] > 0, np.inf, -np.inf)
            a = np.maximum(a, np.where(positive[None], ratio, zero_lo).min(axis=2))
            b = np.minimum(b, np.where(positive[None], ratio, zero_hi).max(axis=2))
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            ok = (mean > 0) & (a > 0)
            log_mean = np.log(np.where(mean > 0, mean, 1.0))
            # lower: masses at a and at x = mean + variance / (mean - a)
            d = np.maximum(mean - a, tiny)
            p = variance / (variance + d**2)
            x = mean + variance / d
            low = p * np.log(np.where(a > 0, a, 1.0)) + (1.0 - p) * np.log(np.where(x > 0, x, 1.0))
            low = np.where(variance > 0, np.minimum(low, log_mean), log_mean)
            low = np.where(ok, values[None] + n * low, -np.inf)
            # upper: masses at y = mean - variance / (b - mean) and at b (Jensen if b = inf)
            e = np.maximum(b - mean, tiny)
            q = np.where(np.isfinite(b), variance / (variance + e**2), 0.0)
            y = mean - variance / e
            up = q * np.log(np.where(np.isfinite(b) & (b > 0), b, 1.0)) + (1.0 - q) * np.log(
                np.where(y > 0, y, 1.0)
            )
            up = np.where((variance > 0) & (y > 0), np.minimum(up, log_mean), log_mean)
            up = np.where(mean > 0, values[None] + n * up, np.inf)
        upper[start : start + 128] = (up + slack[None]).min(axis=1)
        lower[start : start + 128] = (low - slack[None]).max(axis=1)
    return lower, upper


# ------------------------------------------------------------------------------ LogDet
class LogDet(_ParameterInterpolant):
    r"""Nonintrusive approximation of :math:`\mu \mapsto \log\det A(\mu)`, with bounds.

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

    Two error measures are offered. :meth:`error_estimate` (always available) is the
    size of the contributions of the last two degrees: cheap and usually close to
    the error, but not a bound (see the theory page for how often it covered the
    error). :meth:`error_bound` is rigorous: for an affine symmetric positive
    definite operator it brackets :math:`\log\det A(\mu)` around every selected
    parameter by a second-order expansion with a certified remainder, from the
    exact traces :math:`\operatorname{tr}(A(\mu_m)^{-1}A_q)` and
    :math:`\operatorname{tr}(A(\mu_m)^{-1}A_qA(\mu_m)^{-1}A_r)` computed at fit
    time (``bound``), and returns the distance from the approximation to the ends of
    the bracket. It is far less sharp than the estimate.

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
        The parameter space of the model passed as ``operator``, which then checks
        every parameter.
    bound_ : bool
        Whether :meth:`error_bound` is available.
    bound_note_ : str
        Why it is not, or which eigenvalue enclosure it uses (``"min-theta"`` when
        every term is positive semidefinite and the coefficients are nonnegative,
        ``"frobenius"`` otherwise).

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> from rom.affine import AffineOperator, LinearCoefficients
    >>> from rom.rb.matrix_functions import LogDet, exact_logdet
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
        tol: float | None = 1e-8,
        max_terms: int | None = 500,
        max_degree: int | None = None,
        variables: str = "auto",
        spd: bool = True,
        bound: bool | str = "auto",
    ) -> None:
        super().__init__(operator, tol, max_terms, max_degree, variables)
        self.spd = spd
        self.bound = bound

    def fit(self, training_set: Any, executor: Executor | None = None) -> LogDet:
        """Select parameters and compute the exact log-determinants there.

        Parameters
        ----------
        training_set : (N, n_params) array
            Candidate parameters (rows); the approximation uses at most ``N`` of them.
        executor : concurrent.futures.Executor, optional
            Computes the exact log-determinants (and traces) of each degree's new
            parameters in parallel (the operator must then be picklable for a
            process pool).

        Returns
        -------
        LogDet
            ``self``.
        """
        if not isinstance(self.spd, bool | np.bool_):
            raise TypeError(f"spd: expected True or False, got {self.spd!r}")
        if self.bound not in (True, False, "auto") or isinstance(self.bound, np.ndarray):
            raise ValueError(f"bound: expected 'auto', True or False, got {self.bound!r}")
        self._executor = executor
        try:
            self._greedy(training_set)
        finally:
            del self._executor
        self._assemble = None  # the online stage needs no matrix
        return self

    def _bound_terms(self) -> list | None:
        """The terms whose traces are computed, or None (with the reason in bound_note_)."""
        if self.bound is False:
            self.bound_note_ = "not requested (bound=False)"
            return None
        reason = None
        if self._source != "theta":
            reason = "needs an affine operator (the callable path has no affine terms)"
        elif not self.spd:
            reason = "needs a symmetric positive definite operator (spd=True)"
        if reason is None:
            from rom.rb.model import LinearModel

            op = (
                self.operator.operator if isinstance(self.operator, LinearModel) else self.operator
            )
            n = op.shape[0]
            if self.bound == "auto" and n > _AUTO_BOUND_SIZE:
                self.bound_note_ = (
                    f"not computed: n = {n} > {_AUTO_BOUND_SIZE} (the traces cost n solves "
                    "per selected parameter; pass bound=True to compute them anyway)"
                )
                return None
            return list(op.terms)
        if self.bound is True:
            raise ValueError(f"bound: the rigorous error bound {reason}")
        self.bound_note_ = reason
        return None

    # hooks of the greedy
    def _start(self) -> None:
        self._values: list[float] = []
        self._log_scales: list[float] = []
        self._signs: list[Any] = []
        self._moments: list[Any] = []
        self.size_ = None
        self.scale_ = 0.0
        self._terms = self._bound_terms()

    def _extend(self, mus, log_s) -> None:
        tasks = [(self._assemble, mu, self.spd, self._terms) for mu in mus]
        executor = self._executor
        results = list(map(_logdet_task, tasks) if executor is None else executor.map(
            _logdet_task, tasks
        ))  # fmt: skip
        new = []
        for mu, (sign, value, n, moments) in zip(mus, results, strict=True):
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

    def _training_error(self, Q: np.ndarray, z: np.ndarray) -> float:
        return float(np.max(_training_estimates(Q, z, self.levels_)) / self.scale_)

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
        >>> from rom.rb.matrix_functions import LogDet
        >>> f = lambda mu: np.diag([1.0 + mu[0], 2.0 + mu[0] ** 2])
        >>> ld = LogDet(f, tol=1e-12).fit(np.linspace(0.0, 1.0, 500))
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

    def _one(self, mu: Any) -> np.ndarray:
        return np.atleast_1d(np.asarray(mu, dtype=float)).reshape(1, -1)

    def __call__(self, mu: Any) -> float:
        """The approximate log-determinant at one parameter."""
        return float(self.evaluate(self._one(mu))[0])

    def error_estimate(self, mu: Any) -> float:
        r"""The error estimate at one parameter: an estimate, not a bound.

        :math:`|c_D(\mu)| + |c_{D-1}(\mu)|`, the contributions of the last two degrees
        of the interpolant (see :meth:`evaluate`); it exceeds the error when the
        interpolation error decreases geometrically with the degree, which nothing
        guarantees: it covered the error at 99 % of the benchmark's thermal-block
        test parameters, 98 % on a smaller block and 88 % on a Gaussian-process
        covariance. Use :meth:`error_bound` for a guarantee.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.rb.matrix_functions import LogDet
        >>> f = lambda mu: np.diag([1.0 + mu[0], 2.0])
        >>> ld = LogDet(f, tol=1e-6).fit(np.linspace(0.0, 1.0, 200))
        >>> bool(abs(ld(0.3) - np.log(2.6)) <= ld.error_estimate(0.3))
        True
        """
        return float(self.evaluate(self._one(mu), return_estimate=True)[1][0])

    def bounds(self, mus: Any) -> tuple[np.ndarray, np.ndarray]:
        r"""Certified lower and upper bounds of :math:`\log\det A(\mu)` for rows of parameters.

        For each selected parameter :math:`\mu_m` and scale :math:`c > 0`, with
        :math:`\lambda_i` the eigenvalues of :math:`(cA(\mu_m))^{-1}A(\mu)`,

        .. math::

           s - \frac{r^2}{2\min(1, a)^2} \le \sum_i \log\lambda_i
           \le s - \frac{r^2}{2\max(1, b)^2},

        with :math:`s = \sum_i (\lambda_i - 1)` and :math:`r^2 = \sum_i(\lambda_i -
        1)^2` evaluated exactly from the stored traces, and :math:`[a, b]` an
        enclosure of the :math:`\lambda_i` (:math:`1 \mp r`, and the min/max ratios of
        :math:`\theta_q(\mu)/(c\,\theta_q(\mu_m))` when every term is positive
        semidefinite). The tightest over the selected parameters is returned. The
        bounds hold in exact arithmetic for every parameter (the lower one is
        ``-inf`` where no selected parameter certifies :math:`A(\mu)` positive
        definite); the traces and the exact log-determinants carry rounding errors,
        for which the bracket is widened by :math:`100\,\epsilon\,(|\log\det
        A(\mu_m)| + n)` (:math:`\epsilon` the machine precision): ample for
        well-conditioned matrices, not a proof against an ill-conditioned one.
        Cost: :math:`O(MQ^2)` per parameter.

        Returns
        -------
        lower, upper : ndarray, shape (k,)

        Examples
        --------
        >>> import numpy as np
        >>> from rom.affine import AffineOperator, LinearCoefficients
        >>> from rom.rb.matrix_functions import LogDet
        >>> A = AffineOperator([np.diag([1.0, 2.0, 3.0]), np.eye(3)],
        ...                    LinearCoefficients.identity(2))
        >>> ld = LogDet(A, tol=1e-4).fit(np.column_stack([np.ones(300), np.linspace(0.1, 1, 300)]))
        >>> lower, upper = ld.bounds([[1.0, 0.5]])
        >>> exact = np.log(1.5 * 2.5 * 3.5)
        >>> bool(lower[0] <= exact <= upper[0])
        True
        """
        check_fitted(self, "values_")
        if not self.bound_:
            raise RuntimeError(
                f"bounds: the rigorous bound is not available ({self.bound_note_}); "
                "use error_estimate"
            )
        mus = self._check_mus(mus)
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
        r"""A rigorous bound of ``|logdet(mu) - log det A(mu)|`` at one parameter.

        ``max(upper - value, value - lower)`` with the certified bracket of
        :meth:`bounds`: it holds whatever the accuracy of the interpolation, and is
        ``inf`` where no selected parameter certifies :math:`A(\mu)` positive
        definite. Available for affine symmetric positive definite operators fitted
        with the traces (``bound_``); much larger than the actual error (it is a
        second-order expansion around the nearest selected parameter, while the
        interpolant converges spectrally), so :meth:`error_estimate` is the one to
        steer accuracy with, and this one to certify it.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.affine import AffineOperator, LinearCoefficients
        >>> from rom.rb.matrix_functions import LogDet
        >>> A = AffineOperator([np.diag([1.0, 2.0, 3.0]), np.eye(3)],
        ...                    LinearCoefficients.identity(2))
        >>> ld = LogDet(A, tol=1e-4).fit(np.column_stack([np.ones(300), np.linspace(0.1, 1, 300)]))
        >>> exact = np.log(1.5 * 2.5 * 3.5)
        >>> bool(abs(ld([1.0, 0.5]) - exact) <= ld.error_bound([1.0, 0.5]))
        True
        """
        mus = self._one(mu)
        lower, upper = self.bounds(mus)
        value = self.evaluate(mus)[0]
        return float(max(upper[0] - value, value - lower[0]))

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
                    "AffineOperator with rom.affine.LinearCoefficients or ConstantCoefficients, "
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
            "bound": self.bound,
            "variables_map": self.variables_.to_dict(),
            "coefficients": coefficients,
            "stop_reason": self.stop_reason_,
            "size": int(self.size_),
            "scale": float(self.scale_),
            "has_bound": bool(self.bound_),
            "bound_note": self.bound_note_,
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
        if self.bound_:
            arrays["anchor_coefficients"] = self.anchor_coefficients_
            arrays["traces"] = self.traces_
            arrays["trace_products"] = self.trace_products_
        return settings, arrays

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> LogDet:
        from rom.affine import ConstantCoefficients, LinearCoefficients

        obj = cls(
            None,  # the matrices are not saved: the loaded object evaluates, not refits
            tol=settings["tol"],
            max_terms=settings["max_terms"],
            max_degree=settings["max_degree"],
            variables=settings["variables"],
            spd=settings["spd"],
            bound=settings.get("bound", "auto"),
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
        obj.bound_ = bool(settings.get("has_bound", False))
        obj.bound_note_ = settings.get("bound_note", "not saved")
        if obj.bound_:
            obj.anchor_coefficients_ = np.asarray(arrays["anchor_coefficients"], dtype=float)
            obj.traces_ = np.asarray(arrays["traces"], dtype=float)
            obj.trace_products_ = np.asarray(arrays["trace_products"], dtype=float)
        obj._set_z()
        return obj

    def save(self, path: Any) -> None:
        """Save to ``path`` (see :func:`rom.save`): possible when fitted on a callable,
        or on an operator whose coefficients are :class:`rom.affine.LinearCoefficients`.

        The matrices are not saved: the loaded object (``operator`` is None)
        evaluates, estimates and bounds, but cannot be refitted."""
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
    the last two degrees to :math:`\tilde A^{-1}Z`, see :meth:`apply`) is at most
    ``tol`` times :math:`\|\tilde A^{-1}Z\|_F` at every training parameter (a
    randomised, relative Frobenius-norm error). The training set is only used
    through :math:`\theta(\mu)`: make it large, corners included.

    Parameters
    ----------
    operator : AffineOperator, LinearModel or callable
        Square :math:`A(\mu)`, as in :class:`LogDet`.
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
    >>> from rom.affine import AffineOperator, LinearCoefficients
    >>> from rom.rb.matrix_functions import InverseApproximation
    >>> n = 60
    >>> K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    >>> A = AffineOperator([K, scipy.sparse.eye(n)], LinearCoefficients.identity(2))
    >>> train = np.column_stack([np.ones(1000), np.linspace(0.1, 1.0, 1000)])
    >>> inv = InverseApproximation(A, tol=1e-8).fit(train)
    >>> b = np.ones(n)
    >>> x = inv.apply([1.0, 0.55], b)
    >>> exact = scipy.sparse.linalg.spsolve(A.assemble([1.0, 0.55]).tocsc(), b)
    >>> bool(np.linalg.norm(x - exact) < 1e-6 * np.linalg.norm(exact))
    True
    """

    def __init__(
        self,
        operator: Any,
        tol: float | None = 1e-3,
        max_terms: int | None = 40,
        max_degree: int | None = None,
        variables: str = "auto",
        n_probes: int = 4,
        random_state: int | None = 0,
    ) -> None:
        super().__init__(operator, tol, max_terms, max_degree, variables)
        self.n_probes = n_probes
        self.random_state = random_state

    def fit(self, training_set: Any) -> InverseApproximation:
        """Select parameters and factorise :math:`A(\\mu_m)` there.

        Parameters
        ----------
        training_set : (N, n_params) array
            Candidate parameters (rows).

        Returns
        -------
        InverseApproximation
            ``self``.
        """
        check_positive_int(self.n_probes, "n_probes", allow_none=False)
        self._greedy(training_set)
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
        >>> inv = InverseApproximation(f, tol=1e-12).fit(np.linspace(0.0, 1.0, 200))
        >>> lam = inv.coefficients([inv.parameters_[1, 0]])
        >>> bool(np.allclose(lam, np.eye(inv.n_terms_)[1]))
        True
        """
        return self._level_weights(mu)[-1]

    def apply(self, mu: Any, b: Any, return_estimate: bool = False) -> Any:
        r"""Approximate :math:`A(\mu)^{-1} b` for one (n,) or several (n, k) right-hand sides.

        :meth:`solve` is the same method.

        Parameters
        ----------
        mu : (n_params,) array
        b : (n,) or (n, k) array
        return_estimate : bool
            Also return the error estimate :math:`\|x_D - x_{D-1}\| + \|x_{D-1} -
            x_{D-2}\|` (Euclidean, per column), with :math:`x_d` the approximation of
            degree ``d``: it exceeds the error of the returned value when the
            convergence in the degree is geometric (``inf`` with a single degree).
            An estimate, not a bound: the exact residual :math:`b - A(\mu)x` is the
            check, one affine product away (with a lower bound :math:`\alpha(\mu)`
            of the smallest eigenvalue, :math:`\|x - A^{-1}b\|_2 \le
            \|b - A(\mu)x\|_2/\alpha(\mu)` is rigorous).

        Returns
        -------
        x : ndarray, like ``b``
        estimate : float or ndarray of shape (k,)
            Only with ``return_estimate``.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.rb.matrix_functions import InverseApproximation
        >>> f = lambda mu: np.diag([1.0 + mu[0], 2.0])
        >>> inv = InverseApproximation(f, tol=1e-10).fit(np.linspace(0.0, 1.0, 200))
        >>> bool(np.allclose(inv.apply([0.5], np.array([1.5, 2.0])), [1.0, 1.0]))
        True
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

    solve = apply

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
        >>> from rom.affine import AffineOperator, LinearCoefficients
        >>> from rom.rb.matrix_functions import InverseApproximation
        >>> n = 80
        >>> K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)],
        ...                        [-1, 0, 1])
        >>> A = AffineOperator([K, scipy.sparse.eye(n)], LinearCoefficients.identity(2))
        >>> train = np.column_stack([np.ones(500), np.linspace(0.01, 1.0, 500)])
        >>> inv = InverseApproximation(A, tol=1e-2).fit(train)
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
