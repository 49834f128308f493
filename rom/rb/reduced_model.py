"""The online reduced model: solves, certified bounds and outputs, vectorised."""

from __future__ import annotations

import numbers
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.affine import ConstantCoefficients, LinearCoefficients
from rom.rb.estimators import ESTIMATORS, residual_dual_norms
from rom.validation import check_array, check_choice, check_parameters

__all__ = ["ReducedModel"]


def _theta_many(
    coefficients: Any, mus: np.ndarray, n_terms: int, name: str = "operator_coefficients"
) -> np.ndarray:
    """``coefficients`` at every row of ``mus``, shape (k, n_terms): errors name ``mu`` when
    the parameter sets do not fit the function, ``name`` when its values are not numbers."""
    if isinstance(coefficients, LinearCoefficients | ConstantCoefficients):
        return coefficients.many(mus)  # finite for finite, checked parameters
    many = getattr(coefficients, "many", None)
    try:
        values = many(mus) if many is not None else None
        if many is None:
            values = [np.atleast_1d(np.asarray(coefficients(mu))) for mu in mus]
    except (IndexError, KeyError, TypeError, ValueError) as err:
        raise ValueError(
            f"mu: {name}(mu) failed for parameter sets of {mus.shape[1]} values "
            f"({type(err).__name__}: {err})"
        ) from err
    try:
        theta = np.asarray(values if many is not None else np.stack(values))
    except ValueError as err:  # ragged
        raise TypeError(f"{name}: expected {n_terms} numbers per parameter set ({err})") from err
    if theta.dtype.kind not in "biufc":
        raise TypeError(f"{name}: expected numbers, got dtype {theta.dtype}")
    if theta.shape != (len(mus), n_terms):
        raise ValueError(
            f"mu: expected parameter sets for which {name} gives {n_terms} values (one per "
            f"term); for {len(mus)} set(s) of {mus.shape[1]} values it gave shape {theta.shape}"
        )
    if not np.isfinite(theta).all():
        bad = mus[~np.isfinite(theta).all(axis=1)][0]
        raise ValueError(f"{name}: NaN or inf at mu = {bad.tolist()}")
    return theta


def _check_solved(a: np.ndarray) -> None:
    """The compiled kernels signal a singular reduced system with non-finite values."""
    if not np.isfinite(a).all():
        raise np.linalg.LinAlgError("the reduced system is singular for one of the parameters")


def _coercivity_many(coercivity: Any, mus: np.ndarray) -> np.ndarray:
    many = getattr(coercivity, "many", None)
    values = many(mus) if many is not None else [coercivity(mu) for mu in mus]
    try:
        alpha = np.asarray(values, float)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"coercivity: expected a positive number per parameter set, got {values[:3]!r}"
        ) from err
    if alpha.shape != (len(mus),) or not np.isfinite(alpha).all() or np.any(alpha <= 0):
        raise ValueError("coercivity: the lower bound must be positive and finite")
    return alpha


class ReducedModel(Estimator):
    r"""A reduced model :math:`A_N(\mu) a = f_N(\mu)` with certified error bounds.

    Built by :class:`rom.rb.ReducedBasis` (its ``reduced_model_``, or
    ``reduced_model(N)``), not fitted itself: the constructor stores the reduced
    arrays, which are checked on first use. Every method takes one parameter set
    (1-D) or many (rows of a 2-D array) and is vectorised over them. ``projection``
    is "galerkin" (``V^H A V a = V^H f``) or "minres" (``a`` minimises the dual norm
    of the residual; stable for non-coercive problems).

    Saving (:func:`rom.save`) stores the arrays, and the coefficient functions and
    coercivity bound as data when they are :class:`rom.affine.LinearCoefficients`,
    :class:`rom.affine.ConstantCoefficients`, :class:`rom.rb.MinTheta` or
    :class:`rom.rb.SCM`; any other function (a Python callable) is named in the file
    as a part, given back by name: ``rom.load(path, operator_coefficients=theta)``.

    Parameters
    ----------
    operator_terms : ndarray, shape (Q_A, N, N)
    rhs_terms : ndarray, shape (Q_f, N)
    operator_coefficients, rhs_coefficients : callable
        :math:`\theta^A(\mu)` and :math:`\theta^f(\mu)`.
    coercivity : callable
        A lower bound of the coercivity (or stability) constant.
    estimator : {"accurate", "classical"}
    estimator_matrix : ndarray
        ``C`` (accurate, shape (r, Q_f + Q_A N)) or the Gram matrix (classical) of the
        residual components.
    basis : ndarray, shape (n, N) or None
        For :meth:`reconstruct`.
    output_kind : {None, "compliant", "functional"}
    output_terms : ndarray, shape (Q_l, N) or None
    output_coefficients : callable or None
    output_gram : ndarray, shape (Q_l, Q_l) or None
        Gram matrix of the dual norms of the output terms.
    parameter_space : rom.ParameterSpace, optional
        Checks every parameter.
    projection : {"galerkin", "minres"}
    hermitian : bool
        Whether every operator term is Hermitian (for the squared output bound).
    eim_error_matrix : ndarray or None
        With an EIM-approximated operator or right-hand side (see
        :class:`rom.rb.ReducedBasis`): the coordinates ``C_E`` of the Riesz
        representatives of the components :math:`F_k` (first ``eim_error_sizes[0]``
        columns) and :math:`E_q v_n` (column ``pf + n p + q``) of the estimated EIM
        errors, so that :math:`\|F(\mu)\|_{X'} = \|C_F d(\mu)\|_2` and
        :math:`\|E(\mu) V a\|_{X'} = \|C_E (a \otimes c(\mu))\|_2`.
    eim_operator_coefficients, eim_rhs_coefficients : callable or None
        The tail coefficients :math:`c(\mu)` and :math:`d(\mu)`
        (:meth:`rom.eim.MatrixEIM.error_coefficients`).
    eim_error_sizes : (int, int)
        ``(pf, p)``: numbers of rhs and operator tail terms.
    eim_note : str or None
        Why a model reports the residual-only indicator although it was built with an
        EIM contribution: set by :func:`rom.load` when the EIM coefficient functions
        (parts of the file) were given back as None.

    Notes
    -----
    :meth:`estimate` returns the *residual part* :math:`\|r_M(\mu)\|_{X'}/\alpha(\mu)`
    plus, with an EIM-approximated operator or right-hand side, the *EIM part*
    :math:`(\|F(\mu)\|_{X'} + \|E(\mu) u_N\|_{X'})/\alpha(\mu)` (``parts=True``
    returns the two separately). The residual part, divided by a certified lower
    bound of the stability constant, bounds the distance to the solution of the
    approximated system; the EIM part is an estimate, not a bound, and so is the sum.
    Without an EIM error (an exactly affine model) :meth:`estimate` is the certified
    bound. The derivation is on :doc:`/theory/nonintrusive`.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.affine import AffineOperator, LinearCoefficients
    >>> from rom.rb import LinearModel, MinTheta, ReducedBasis
    >>> theta = LinearCoefficients([[1.0], [0.0]], offset=[0.0, 1.0])  # mu A_0 + A_1
    >>> op = AffineOperator([np.diag([1.0, 2.0, 3.0]), np.eye(3)], theta)
    >>> rb = ReducedBasis(LinearModel(op, np.ones(3)), MinTheta(theta, [1.0], 2.0), tol=1e-10)
    >>> reduced = rb.fit(np.linspace(0.5, 2.0, 4)[:, None]).reduced_model_
    >>> bool(reduced.estimate([1.5]) < 1e-10 * rb.greedy_result_.errors[0])
    True
    """

    def __init__(
        self,
        operator_terms: np.ndarray,
        rhs_terms: np.ndarray,
        operator_coefficients: Any,
        rhs_coefficients: Any,
        coercivity: Any,
        estimator: str,
        estimator_matrix: np.ndarray,
        basis: np.ndarray | None = None,
        output_kind: str | None = None,
        output_terms: np.ndarray | None = None,
        output_coefficients: Any = None,
        output_gram: np.ndarray | None = None,
        parameter_space: Any = None,
        projection: str = "galerkin",
        hermitian: bool = False,
        eim_error_matrix: np.ndarray | None = None,
        eim_operator_coefficients: Any = None,
        eim_rhs_coefficients: Any = None,
        eim_error_sizes: tuple[int, int] = (0, 0),
        eim_note: str | None = None,
    ) -> None:
        self.operator_terms = operator_terms
        self.rhs_terms = rhs_terms
        self.operator_coefficients = operator_coefficients
        self.rhs_coefficients = rhs_coefficients
        self.coercivity = coercivity
        self.estimator = estimator
        self.estimator_matrix = estimator_matrix
        self.basis = basis
        self.output_kind = output_kind
        self.output_terms = output_terms
        self.output_coefficients = output_coefficients
        self.output_gram = output_gram
        self.parameter_space = parameter_space
        self.projection = projection
        self.hermitian = hermitian
        self.eim_error_matrix = eim_error_matrix
        self.eim_operator_coefficients = eim_operator_coefficients
        self.eim_rhs_coefficients = eim_rhs_coefficients
        self.eim_error_sizes = eim_error_sizes
        self.eim_note = eim_note

    # ------------------------------------------------------------ the contract
    def _is_fitted(self) -> bool:
        return True  # built complete by ReducedBasis (or loaded): nothing to fit

    def set_params(self, **params: Any) -> ReducedModel:
        """Set constructor parameters (the arrays are checked again on the next use)."""
        super().set_params(**params)
        self.__dict__.pop("_checked", None)
        self.__dict__.pop("_fused_cache", None)
        return self

    def _ready(self) -> None:
        """Check the arrays once, before any kernel reads them."""
        if not self.__dict__.get("_checked", False):
            self._validate()
            self._checked = True

    def _validate(self) -> None:
        """Every array consistent with the others (a model file is untrusted input)."""
        check_choice(self.projection, "projection", ("galerkin", "minres"))
        check_choice(self.estimator, "estimator", ESTIMATORS)
        if self.projection == "minres" and self.estimator != "accurate":
            raise ValueError("projection: 'minres' needs the accurate residual representation")
        AN = check_array(self.operator_terms, "operator_terms", ndim=3, allow_empty=True)
        Q, N = AN.shape[0], AN.shape[1]
        if Q == 0 or AN.shape[2] != N:
            raise ValueError(f"operator_terms: expected shape (Q, N, N), got {AN.shape}")
        fN = check_array(self.rhs_terms, "rhs_terms", ndim=2, allow_empty=True)
        if fN.shape[0] == 0 or fN.shape[1] != N:
            raise ValueError(f"rhs_terms: expected shape (Q_f, {N}), got {fN.shape}")
        K = fN.shape[0] + Q * N
        E = check_array(self.estimator_matrix, "estimator_matrix", ndim=2, allow_empty=True)
        want = (K, K) if self.estimator == "classical" else (E.shape[0], K)
        if E.shape != want:
            raise ValueError(
                f"estimator_matrix: expected shape {want} for {Q} operator terms, "
                f"{fN.shape[0]} right-hand side terms and N = {N}, got {E.shape}"
            )
        if self.basis is not None:
            V = check_array(self.basis, "basis", ndim=2, allow_empty=True)
            if V.shape[1] != N:
                raise ValueError(f"basis: expected {N} columns, got shape {V.shape}")
        for name in ("operator_coefficients", "rhs_coefficients", "coercivity"):
            if not callable(getattr(self, name)):
                raise TypeError(f"{name}: expected a callable mu -> values")
        self._validate_output(N)
        if not isinstance(self.hermitian, bool | np.bool_):
            raise TypeError(f"hermitian: expected a bool, got {self.hermitian!r}")
        if self.eim_note is not None and not isinstance(self.eim_note, str):
            raise TypeError(f"eim_note: expected None or a string, got {self.eim_note!r}")
        self._validate_eim(N)

    def _validate_output(self, N: int) -> None:
        if self.output_kind is not None:
            check_choice(self.output_kind, "output_kind", ("compliant", "functional"))
        if self.output_kind != "functional":
            return
        lN = check_array(self.output_terms, "output_terms", ndim=2, allow_empty=True)
        if lN.shape[0] == 0 or lN.shape[1] != N:
            raise ValueError(f"output_terms: expected shape (Q_l, {N}), got {lN.shape}")
        gram = check_array(self.output_gram, "output_gram", shape=(lN.shape[0],) * 2)
        del gram
        if not callable(self.output_coefficients):
            raise TypeError("output_coefficients: expected a callable mu -> values")

    def _validate_eim(self, N: int) -> None:
        sizes = self.eim_error_sizes
        if (
            not isinstance(sizes, tuple | list)
            or len(sizes) != 2
            or not all(isinstance(k, numbers.Integral) and k >= 0 for k in sizes)
        ):
            raise ValueError(f"eim_error_sizes: expected two integers >= 0, got {sizes!r}")
        pf, p = (int(k) for k in sizes)
        if self.eim_error_matrix is None:
            return
        C = check_array(self.eim_error_matrix, "eim_error_matrix", ndim=2, allow_empty=True)
        if C.shape[1] != pf + p * N:
            raise ValueError(
                f"eim_error_matrix: expected {pf + p * N} columns (pf + p N with "
                f"eim_error_sizes=({pf}, {p}), N={N}), got shape {C.shape}"
            )
        if (pf > 0) != (self.eim_rhs_coefficients is not None) or (p > 0) != (
            self.eim_operator_coefficients is not None
        ):
            raise ValueError(
                "eim_error_sizes: the rhs (operator) tail coefficients must be given "
                "exactly when there are rhs (operator) tail terms"
            )

    @property
    def has_eim_error(self) -> bool:
        """Whether :meth:`estimate` includes an (estimated) EIM contribution."""
        return self.eim_error_matrix is not None

    @property
    def size(self) -> int:
        """Reduced dimension ``N``."""
        return self.operator_terms.shape[1]

    def _mus(self, mu: Any) -> tuple[np.ndarray, bool]:
        """Checked parameter rows, and whether one parameter set was given."""
        self._ready()
        n_params = None
        if isinstance(self.operator_coefficients, LinearCoefficients):
            n_params = self.operator_coefficients.matrix.shape[1]
        mus = check_parameters(mu, "mu", n_params=n_params, parameter_space=self.parameter_space)
        return mus, isinstance(mu, Mapping) or np.ndim(mu) <= 1

    def _thetas(self, mus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tA = _theta_many(self.operator_coefficients, mus, self.operator_terms.shape[0])
        tf = _theta_many(self.rhs_coefficients, mus, self.rhs_terms.shape[0], "rhs_coefficients")
        return tA, tf

    def _real(self, tA, tf) -> bool:
        return not any(
            np.iscomplexobj(x)
            for x in (tA, tf, self.operator_terms, self.rhs_terms, self.estimator_matrix)
        )

    def _solve(self, mus: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        tA, tf = self._thetas(mus)
        N = self.size
        if N == 0:
            return np.zeros((len(mus), 0)), tA, tf
        a = np.empty(
            (len(mus), N), dtype=np.result_type(tA, self.operator_terms, tf, self.rhs_terms)
        )
        chunk = 4096  # keeps the (chunk, N, N) matrices in cache
        for s in range(0, len(mus), chunk):
            A = (tA[s : s + chunk] @ self.operator_terms.reshape(len(tA[0]), -1)).reshape(-1, N, N)
            f = tf[s : s + chunk] @ self.rhs_terms
            try:
                a[s : s + chunk] = np.linalg.solve(A, f[..., None])[..., 0]
            except np.linalg.LinAlgError as err:
                raise np.linalg.LinAlgError(
                    "the reduced system is singular for one of the parameters"
                ) from err
        return a, tA, tf

    def _alpha(self, mus: np.ndarray, tA: np.ndarray) -> np.ndarray:
        """Coercivity lower bounds, reusing the operator's coefficients for min-theta."""

        c = self.coercivity
        if self._min_theta_of_operator():
            return c.from_theta(np.real(tA))
        return _coercivity_many(c, mus)

    def _bounds(self, mus: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Reduced solutions, residual dual norms and error bounds."""
        self._ready()
        a, r, bound, _ = self._bounds_and_alpha(mus)
        return a, r, bound

    def _min_theta_of_operator(self) -> bool:
        """Whether the coercivity bound is min-theta over the operator's coefficients
        (it then reuses the coefficients of the solve); cached with the fused arrays."""
        from rom.rb.coercivity import MinTheta

        cache = self.__dict__.setdefault("_fused_cache", {})
        if "min_theta" not in cache:
            c = self.coercivity
            cache["min_theta"] = isinstance(c, MinTheta) and c.uses(self.operator_coefficients)
        return cache["min_theta"]

    def _fused_arguments(self, p: int):
        """Arrays of the one-call online query, or None where it does not apply.

        It applies to the common case: real Galerkin model, operator and right-hand
        side coefficients affine in the parameters (``LinearCoefficients``, or
        constant), no EIM contribution.
        """
        cache = self.__dict__.setdefault("_fused_cache", {})
        if p in cache:
            return cache[p]

        def affine(coefficients, q):
            if isinstance(coefficients, LinearCoefficients) and coefficients.matrix.shape == (
                q,
                p,
            ):
                return coefficients.matrix, coefficients.offset
            if isinstance(coefficients, ConstantCoefficients) and coefficients.values.shape == (
                q,
            ):
                return np.zeros((q, p)), coefficients.values
            return None

        parts = None
        if (
            self.projection == "galerkin"
            and self.size
            and not any(
                np.iscomplexobj(x)
                for x in (self.operator_terms, self.rhs_terms, self.estimator_matrix)
            )
        ):
            opA = affine(self.operator_coefficients, self.operator_terms.shape[0])
            opf = affine(self.rhs_coefficients, self.rhs_terms.shape[0])
            if opA is not None and opf is not None:
                parts = tuple(np.ascontiguousarray(x, dtype=float) for x in (*opA, *opf))
        cache[p] = parts
        return parts

    def _bounds_and_alpha(self, mus: np.ndarray):
        fused = self._fused_arguments(mus.shape[1])
        if fused is not None:
            from rom.rb._numba import fused_linear

            c = self.coercivity
            same = self._min_theta_of_operator()
            a, r, tA, alpha = fused_linear(
                np.ascontiguousarray(mus, dtype=float),
                *fused,
                self.operator_terms,
                self.rhs_terms,
                self.estimator_matrix,
                self.estimator == "classical",
                (c.theta_ref, float(c.alpha_ref)) if same else None,
            )
            _check_solved(a)
        else:
            a, r, tA = self._solve_with_residual(mus)
            alpha = None
        if self.estimator == "classical" and self.size and np.any(r == 0):
            warnings.warn(
                f"classical estimator: round-off made the squared residual norm negative "
                f"for {int(np.sum(r == 0))} of {len(r)} parameters; their bound is reported "
                "as 0 and certifies nothing (the Gram formula cannot resolve residuals below "
                "about 1e-8 ||f||): use estimator='accurate'",
                RuntimeWarning,
                stacklevel=3,
            )
        if alpha is None:  # not min-theta, or a coefficient <= 0 (whose error it raises)
            alpha = self._alpha(mus, tA)
        return a, r, r / alpha, alpha

    def _eim_norms(self, mus: np.ndarray, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Estimated ``||f - f_M||_{X'}`` and ``||(A - A_M) V a||_{X'}`` per parameter."""
        k = len(mus)
        rhs = np.zeros(k)
        op = np.zeros(k)
        if self.eim_error_matrix is None:
            return rhs, op
        C = self.eim_error_matrix
        pf, p = self.eim_error_sizes
        if pf:
            d = _theta_many(self.eim_rhs_coefficients, mus, pf, "eim_rhs_coefficients")
            rhs = np.linalg.norm(d @ C[:, :pf].T, axis=1)
        if p and self.size:
            c = _theta_many(self.eim_operator_coefficients, mus, p, "eim_operator_coefficients")
            w = (a[:, :, None] * c[:, None, :]).reshape(k, -1)  # column pf + n p + q
            op = np.linalg.norm(w @ C[:, pf:].T, axis=1)
        return rhs, op

    def _estimate(self, mu: Any, parts: bool):
        if not isinstance(parts, bool):
            raise TypeError(f"parts: expected a bool, got {parts!r}")
        mus, one = self._mus(mu)
        a, _, bound, alpha = self._bounds_and_alpha(mus)
        eim = None
        if self.has_eim_error:
            eim = sum(self._eim_norms(mus, a)) / alpha
        elif parts:
            eim = np.zeros_like(bound)
        if parts:
            value = (float(bound[0]), float(eim[0])) if one else (bound, eim)
        else:
            total = bound if eim is None else bound + eim
            value = float(total[0]) if one else total
        return a, one, value

    def _solve_with_residual(self, mus: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Reduced solutions, residual dual norms and the operator's coefficients.

        A fused numba kernel for real data, numpy otherwise.
        """
        tA, tf = self._thetas(mus)
        if self.projection == "minres":
            return (*self._minres(tA, tf), tA)
        if self.size and self._real(tA, tf):
            from rom.rb._numba import solve_and_residual

            a = np.empty((len(mus), self.size))
            r = np.empty(len(mus))
            solve_and_residual(
                np.ascontiguousarray(tA, dtype=float),
                np.ascontiguousarray(tf, dtype=float),
                self.operator_terms,
                self.rhs_terms,
                self.estimator_matrix,
                self.estimator == "classical",
                a,
                r,
            )
            _check_solved(a)
            return a, r, tA
        a, tA, tf = self._solve(mus)
        return a, self._residual_norms(a, tA, tf), tA

    def _minres(self, tA: np.ndarray, tf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Minimum-residual coefficients and residual norms, from ``C`` alone.

        The Riesz representative of the residual has coordinates ``C c(a) = h - G a``
        with ``h = C_f theta_f`` and ``G = sum_q theta_q C_q`` (``C_q`` the columns of
        the terms ``A_q v_n``): a small least-squares problem per parameter, stable
        for non-coercive problems, whose residual is the dual norm of the residual.
        """
        C = self.estimator_matrix
        Qf, Q, N = tf.shape[1], tA.shape[1], self.size
        blocks = C[:, Qf:].reshape(C.shape[0], N, Q)  # column Qf + n Q + q
        dtype = np.result_type(C, tA, tf)
        a = np.zeros((len(tA), N), dtype=dtype)
        r = np.empty(len(tA))
        for k in range(len(tA)):
            h = C[:, :Qf] @ tf[k]
            if N == 0:
                r[k] = np.linalg.norm(h)
                continue
            G = blocks @ tA[k]
            a[k] = np.linalg.lstsq(G, h, rcond=None)[0]
            r[k] = np.linalg.norm(h - G @ a[k])
        return a, r

    def solve(self, mu: Any) -> np.ndarray:
        """Reduced coefficients: shape (N,) for one parameter, (k, N) for rows of them.

        Parameters
        ----------
        mu : array_like, shape (n_params,) or (k, n_params)
            Parameter sets (rows).
        """
        mus, one = self._mus(mu)
        if self.projection == "minres":
            a = self._minres(*self._thetas(mus))[0]
        else:
            a = self._solve(mus)[0]
        return a[0] if one else a

    def _residual_norms(self, a, tA, tf) -> np.ndarray:
        k = a.shape[0]
        c = np.concatenate(
            [
                tf.astype(np.result_type(tf, a), copy=False),
                -(a[:, :, None] * tA[:, None, :]).reshape(k, -1),
            ],
            axis=1,
        )
        return residual_dual_norms(self.estimator, self.estimator_matrix, c)

    def residual_norm(self, mu: Any) -> Any:
        r"""Dual norm :math:`\|f(\mu) - A(\mu) u_N(\mu)\|_{X'}` of the residual.

        Parameters
        ----------
        mu : array_like, shape (n_params,) or (k, n_params)
            Parameter sets (rows).
        """
        mus, one = self._mus(mu)
        r = self._solve_with_residual(mus)[1]
        return float(r[0]) if one else r

    def estimate(self, mu: Any, parts: bool = False) -> Any:
        r"""The error estimate :math:`\Delta(\mu) \approx \|u(\mu) - u_N(\mu)\|_X`.

        :math:`\Delta = \|r(\mu)\|_{X'} / \alpha_{LB}(\mu)`, a certified bound when the
        operator is exactly affine and the coercivity bound is a lower bound. With an
        EIM-approximated operator or right-hand side (:attr:`has_eim_error`), the
        estimated EIM contribution :math:`(\|F(\mu)\|_{X'} + \|E(\mu) u_N\|_{X'}) /
        \alpha_{LB}(\mu)` is added: the sum is an estimate, not a bound (see the class
        notes).

        Parameters
        ----------
        mu : array (n_params,) or (k, n_params)
        parts : bool
            Return ``(residual_part, eim_part)`` (whose sum is the default result)
            instead of the sum; the EIM part is 0 without an EIM error.

        Returns
        -------
        float or (k,) array, or a pair of them with ``parts=True``.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.affine import AffineOperator
        >>> from rom.rb import LinearModel, ReducedBasis
        >>> op = AffineOperator([np.diag([1.0, 2.0, 3.0]), np.eye(3)], lambda mu: [1.0, mu[0]])
        >>> rb = ReducedBasis(LinearModel(op, np.ones(3)), lambda mu: 1.0)
        >>> _ = rb.extend(np.ones(3))
        >>> residual, eim = rb.reduced_model_.estimate([0.5], parts=True)
        >>> eim
        0.0
        """
        return self._estimate(mu, parts)[2]

    def solve_and_estimate(self, mu: Any, parts: bool = False) -> tuple[np.ndarray, Any]:
        """Reduced coefficients and error estimates (as :meth:`estimate`) in one pass.

        Parameters
        ----------
        mu : array_like, shape (n_params,) or (k, n_params)
            Parameter sets (rows).
        parts : bool
            Whether to return the parts of the estimate (see :meth:`estimate`).
        """
        a, one, value = self._estimate(mu, parts)
        return (a[0], value) if one else (a, value)

    def output(self, mu: Any) -> tuple[Any, Any]:
        r"""The reduced output :math:`s_N(\mu)` and its bound.

        Compliant case (:math:`l = f`) with a Hermitian :math:`A(\mu)` (Hermitian terms,
        real coefficients) and Galerkin projection: :math:`|s - s_N| \le
        \|r\|^2_{X'}/\alpha_{LB}` (the error is orthogonal to the residual). Otherwise
        :math:`\|l(\mu)\|_{X'} \Delta(\mu)`, with :math:`l = f` in the compliant case.

        Parameters
        ----------
        mu : array_like, shape (n_params,) or (k, n_params)
            Parameter sets (rows).

        Returns
        -------
        (s_N, bound): floats for one parameter, arrays for rows of parameters.
        """
        if self.output_kind is None:
            raise ValueError("output: this model has no output functional")
        mus, one = self._mus(mu)
        a, r, tA = self._solve_with_residual(mus)
        tf = _theta_many(self.rhs_coefficients, mus, self.rhs_terms.shape[0], "rhs_coefficients")
        alpha = self._alpha(mus, tA)
        if self.output_kind == "compliant":
            s = np.einsum("ki,ki->k", (tf @ self.rhs_terms).conj(), a)
            if self.hermitian and self.projection == "galerkin" and not np.iscomplexobj(tA):
                bound = r**2 / alpha
            else:  # |f^H (u - u_N)| <= ||f||_{X'} ||u - u_N||_X
                bound = self._rhs_dual_norms(tf) * r / alpha
        else:
            tl = _theta_many(
                self.output_coefficients, mus, self.output_terms.shape[0], "output_coefficients"
            )
            s = np.einsum("ki,ki->k", (tl @ self.output_terms).conj(), a)
            lnorm = np.sqrt(
                np.maximum(np.real(np.einsum("kq,qp,kp->k", tl.conj(), self.output_gram, tl)), 0)
            )
            bound = lnorm * r / alpha
        s = s if np.iscomplexobj(s) and np.any(np.imag(s)) else np.real(s)
        return (s[0], float(bound[0])) if one else (s, bound)

    def _rhs_dual_norms(self, tf: np.ndarray) -> np.ndarray:
        """``||f(mu)||_{X'}``: the residual of the zero solution."""
        Qf = tf.shape[1]
        E = self.estimator_matrix
        block = E[:Qf, :Qf] if self.estimator == "classical" else E[:, :Qf]
        return residual_dual_norms(self.estimator, block, tf)

    def reconstruct(self, a: Any) -> np.ndarray:
        """The full-order vector ``V a`` for coefficients (N,) or (k, N) (columns out).

        Parameters
        ----------
        a : array, shape (N,) or (k, N)
            Reduced coefficients.
        """
        self._ready()
        if self.basis is None:
            raise ValueError("reconstruct: this reduced model was built without its basis")
        a = check_array(a, "a", ndim=(1, 2))
        if a.shape[-1] != self.size:
            raise ValueError(f"a: expected {self.size} coefficients, got shape {a.shape}")
        return self.basis @ (a if a.ndim == 1 else a.T)

    # ---------------------------------------------------------- persistence
    def _restore(self) -> None:
        """After :func:`rom.load`: drop an EIM part whose coefficients were not given back,
        then check every array before any kernel reads it."""
        pf, p = (int(k) for k in self.eim_error_sizes)
        self.eim_error_sizes = (pf, p)
        missing = (pf and self.eim_rhs_coefficients is None) or (
            p and self.eim_operator_coefficients is None
        )
        if self.eim_error_matrix is not None and missing:
            self.eim_error_matrix = None
            self.eim_operator_coefficients = self.eim_rhs_coefficients = None
            self.eim_error_sizes = (0, 0)
            self.eim_note = (
                "loaded without the coefficient functions of its EIM error contribution "
                "(eim_operator_coefficients / eim_rhs_coefficients given as None): estimate() "
                "is the residual-only indicator, which measures the distance to the solution "
                "of the approximated system only"
            )
            warnings.warn(f"load: reduced model {self.eim_note}", RuntimeWarning, stacklevel=4)
        self.__dict__.pop("_checked", None)
        self._ready()
