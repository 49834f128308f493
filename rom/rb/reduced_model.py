"""The online reduced model: solves, certified bounds and outputs, vectorised."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from rom._checks import check_array
from rom.rb.estimators import residual_dual_norms

__all__ = ["ReducedModel"]


def _theta_many(coefficients: Any, mus: np.ndarray, n_terms: int) -> np.ndarray:
    from rom.affine import ConstantCoefficients, LinearCoefficients

    if isinstance(coefficients, LinearCoefficients | ConstantCoefficients):
        return coefficients.many(mus)  # finite for finite, checked parameters
    many = getattr(coefficients, "many", None)
    if many is not None:
        theta = np.asarray(many(mus))
    else:
        theta = np.stack([np.atleast_1d(np.asarray(coefficients(mu))) for mu in mus])
    if theta.shape != (len(mus), n_terms) or not np.isfinite(theta).all():
        raise ValueError(
            f"coefficients: expected finite values of shape ({len(mus)}, {n_terms}), "
            f"got {theta.shape}"
        )
    return theta


def _check_solved(a: np.ndarray) -> None:
    """The compiled kernels signal a singular reduced system with non-finite values."""
    if not np.isfinite(a).all():
        raise np.linalg.LinAlgError("the reduced system is singular for one of the parameters")


def _coercivity_many(coercivity: Any, mus: np.ndarray) -> np.ndarray:
    many = getattr(coercivity, "many", None)
    alpha = np.asarray(many(mus) if many is not None else [coercivity(mu) for mu in mus], float)
    if alpha.shape != (len(mus),) or not np.isfinite(alpha).all() or np.any(alpha <= 0):
        raise ValueError("coercivity: the lower bound must be positive and finite")
    return alpha


class ReducedModel:
    r"""A reduced model :math:`A_N(\mu) a = f_N(\mu)` with certified error bounds.

    Built by :class:`rom.rb.ReducedBasis`. Every method takes one parameter (1-D) or
    many (rows of a 2-D array) and is vectorised over them. ``projection`` is
    "galerkin" (``V^H A V a = V^H f``) or "minres" (``a`` minimises the dual norm of
    the residual; stable for non-coercive problems).

    Attributes
    ----------
    operator_terms : ndarray, shape (Q_A, N, N)
    rhs_terms : ndarray, shape (Q_f, N)
    output_terms : ndarray, shape (Q_l, N) or None
    estimator : {"accurate", "classical"}
    estimator_matrix : ndarray
        ``C`` (accurate) or the Gram matrix (classical) of the residual components.
    basis : ndarray, shape (n, N) or None
        For :meth:`reconstruct`.
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
        EIM contribution (set by :func:`rom.load` when that part could not be saved).

    Notes
    -----
    **What the error estimate is.** With :math:`u` the solution of the true system
    :math:`A(\mu) u = f(\mu)` and :math:`u_N = V a` the reduced solution of the
    approximated (EIM) system :math:`A_M u_M = f_M`,

    .. math::

        u - u_N = A^{-1}\big[(f_M - A_M u_N) + (f - f_M) - (A - A_M) u_N\big],
        \quad
        \|u - u_N\|_X \le \frac{\|r_M\|_{X'} + \|f - f_M\|_{X'}
                                  + \|(A - A_M) u_N\|_{X'}}{\beta(\mu)}.

    :meth:`estimate` returns the *residual part* :math:`\|r_M\|_{X'}/\alpha(\mu)`
    plus the *EIM part* :math:`(\|F(\mu)\|_{X'} + \|E(\mu) u_N\|_{X'})/\alpha(\mu)`,
    where :math:`F \approx f - f_M` and :math:`E \approx A - A_M` are the (M+p)-term
    EIM tails; ``parts=True`` returns the two separately. The residual part is
    computed to round-off; divided by a certified lower bound of the stability
    constant of the approximated operator it bounds :math:`\|u_M - u_N\|_X`. The EIM
    part is an estimate, not a bound, and so is the sum. Without an EIM error (an
    exactly affine model) the EIM part is zero and :meth:`estimate` is the certified
    bound, unchanged. :meth:`output` bounds refer to the approximated system.
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
        output: str | None = None,
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
        if projection not in ("galerkin", "minres"):
            raise ValueError(f"projection: expected 'galerkin' or 'minres', got {projection!r}")
        if projection == "minres" and estimator != "accurate":
            raise ValueError("projection: 'minres' needs the accurate residual representation")
        self.projection = projection
        self.hermitian = bool(hermitian)
        self.operator_terms = operator_terms
        self.rhs_terms = rhs_terms
        self.operator_coefficients = operator_coefficients
        self.rhs_coefficients = rhs_coefficients
        self.coercivity = coercivity
        self.estimator = estimator
        self.estimator_matrix = estimator_matrix
        self.basis = basis
        self.output_kind = output
        self.output_terms = output_terms
        self.output_coefficients = output_coefficients
        self.output_gram = output_gram
        self.parameter_space = parameter_space
        pf, p = (int(k) for k in eim_error_sizes)
        if eim_error_matrix is not None:
            eim_error_matrix = np.asarray(eim_error_matrix)
            if eim_error_matrix.ndim != 2 or eim_error_matrix.shape[1] != pf + p * self.size:
                raise ValueError(
                    f"eim_error_matrix: expected {pf + p * self.size} columns (pf + p N with "
                    f"eim_error_sizes=({pf}, {p}), N={self.size}), got shape "
                    f"{eim_error_matrix.shape}"
                )
            if (pf > 0) != (eim_rhs_coefficients is not None) or (p > 0) != (
                eim_operator_coefficients is not None
            ):
                raise ValueError(
                    "eim_error_sizes: the rhs (operator) tail coefficients must be given "
                    "exactly when there are rhs (operator) tail terms"
                )
        self.eim_error_matrix = eim_error_matrix
        self.eim_operator_coefficients = eim_operator_coefficients
        self.eim_rhs_coefficients = eim_rhs_coefficients
        self.eim_error_sizes = (pf, p)
        self.eim_note = eim_note

    @property
    def has_eim_error(self) -> bool:
        """Whether :meth:`estimate` includes an (estimated) EIM contribution."""
        return self.eim_error_matrix is not None

    @property
    def size(self) -> int:
        """Reduced dimension ``N``."""
        return self.operator_terms.shape[1]

    def _mus(self, mu: Any) -> tuple[np.ndarray, bool]:
        if self.parameter_space is not None:
            mus = self.parameter_space.check(mu)
        else:
            mus = np.asarray(mu, dtype=float)
            if not np.isfinite(mus).all():
                raise ValueError("mu: contains NaN or inf")
        one = mus.ndim <= 1
        return np.atleast_2d(mus) if mus.ndim <= 1 else mus, one

    def _thetas(self, mus: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tA = _theta_many(self.operator_coefficients, mus, self.operator_terms.shape[0])
        tf = _theta_many(self.rhs_coefficients, mus, self.rhs_terms.shape[0])
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
        from rom.rb.coercivity import MinTheta

        c = self.coercivity
        if isinstance(c, MinTheta) and c.coefficients is self.operator_coefficients:
            return c.from_theta(np.real(tA))
        return _coercivity_many(c, mus)

    def _bounds(self, mus: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Reduced solutions, residual dual norms and error bounds."""
        a, r, bound, _ = self._bounds_and_alpha(mus)
        return a, r, bound

    def _fused_arguments(self, p: int):
        """Arrays of the one-call online query, or None where it does not apply.

        It applies to the common case: real Galerkin model, operator and right-hand
        side coefficients affine in the parameters (``LinearCoefficients``, or
        constant), no EIM contribution.
        """
        from rom.affine import ConstantCoefficients, LinearCoefficients

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
            from rom.rb.coercivity import MinTheta

            c = self.coercivity
            same = isinstance(c, MinTheta) and c.coefficients is self.operator_coefficients
            a, r, tA, alpha = fused_linear(
                np.ascontiguousarray(mus, dtype=float),
                *fused,
                self.operator_terms,
                self.rhs_terms,
                self.estimator_matrix,
                self.estimator == "classical",
                (c.theta_ref, c.alpha_ref) if same else None,
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
            d = _theta_many(self.eim_rhs_coefficients, mus, pf)
            rhs = np.linalg.norm(d @ C[:, :pf].T, axis=1)
        if p and self.size:
            c = _theta_many(self.eim_operator_coefficients, mus, p)
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
        """Reduced coefficients: shape (N,) for one parameter, (k, N) for rows of them."""
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
        r"""Dual norm :math:`\|f(\mu) - A(\mu) u_N(\mu)\|_{X'}` of the residual."""
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
        """Reduced coefficients and error estimates (as :meth:`estimate`) in one pass."""
        a, one, value = self._estimate(mu, parts)
        return (a[0], value) if one else (a, value)

    def output(self, mu: Any) -> tuple[Any, Any]:
        r"""The reduced output :math:`s_N(\mu)` and its bound.

        Compliant case (:math:`l = f`) with a Hermitian :math:`A(\mu)` (Hermitian terms,
        real coefficients) and Galerkin projection: :math:`|s - s_N| \le
        \|r\|^2_{X'}/\alpha_{LB}` (the error is orthogonal to the residual). Otherwise
        :math:`\|l(\mu)\|_{X'} \Delta(\mu)`, with :math:`l = f` in the compliant case.

        Returns
        -------
        (s_N, bound): floats for one parameter, arrays for rows of parameters.
        """
        if self.output_kind is None:
            raise ValueError("output: this model has no output functional")
        mus, one = self._mus(mu)
        a, r, tA = self._solve_with_residual(mus)
        tf = _theta_many(self.rhs_coefficients, mus, self.rhs_terms.shape[0])
        alpha = self._alpha(mus, tA)
        if self.output_kind == "compliant":
            s = np.einsum("ki,ki->k", (tf @ self.rhs_terms).conj(), a)
            if self.hermitian and self.projection == "galerkin" and not np.iscomplexobj(tA):
                bound = r**2 / alpha
            else:  # |f^H (u - u_N)| <= ||f||_{X'} ||u - u_N||_X
                bound = self._rhs_dual_norms(tf) * r / alpha
        else:
            tl = _theta_many(self.output_coefficients, mus, self.output_terms.shape[0])
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
        """The full-order vector ``V a`` for coefficients (N,) or (k, N) (columns out)."""
        if self.basis is None:
            raise ValueError("reconstruct: this reduced model was built without its basis")
        a = check_array(a, "a", ndim=(1, 2))
        if a.shape[-1] != self.size:
            raise ValueError(f"a: expected {self.size} coefficients, got shape {a.shape}")
        return self.basis @ (a if a.ndim == 1 else a.T)

    # ---------------------------------------------------------- persistence
    def _to_arrays(self) -> tuple[dict, dict]:
        def describe(f, name):
            if f is None:
                return None
            to_dict = getattr(f, "to_dict", None)
            d = to_dict() if to_dict is not None else None
            if d is None:
                raise TypeError(
                    f"{name}: only coefficient functions with to_dict() (such as "
                    "rom.affine.LinearCoefficients and rom.rb.MinTheta over them) can be saved; "
                    f"pass the functions to rom.load(path, {name}=...) instead"
                )
            return {"class": f"{type(f).__module__}:{type(f).__qualname__}", "data": d}

        settings = {
            "estimator": self.estimator,
            "projection": self.projection,
            "hermitian": self.hermitian,
            "output": self.output_kind,
            "operator_coefficients": describe(self.operator_coefficients, "operator_coefficients"),
            "rhs_coefficients": describe(self.rhs_coefficients, "rhs_coefficients"),
            "output_coefficients": describe(self.output_coefficients, "output_coefficients"),
            "coercivity": describe(self.coercivity, "coercivity"),
            "parameter_space": None
            if self.parameter_space is None
            else self.parameter_space.to_dict(),
        }
        eim_matrix = self.eim_error_matrix
        if eim_matrix is not None:
            try:
                eim_op = describe(self.eim_operator_coefficients, "eim_operator_coefficients")
                eim_rhs = describe(self.eim_rhs_coefficients, "eim_rhs_coefficients")
            except TypeError:
                warnings.warn(
                    "save: the EIM error contribution is not saved (its coefficient "
                    "functions read entries of the full matrices through Python callables); "
                    "the loaded model reports the residual-only indicator",
                    RuntimeWarning,
                    stacklevel=3,
                )
                eim_matrix = None
                settings["eim_dropped"] = True
            else:
                settings["eim_operator_coefficients"] = eim_op
                settings["eim_rhs_coefficients"] = eim_rhs
                settings["eim_error_sizes"] = list(self.eim_error_sizes)
        arrays = {
            "operator_terms": self.operator_terms,
            "rhs_terms": self.rhs_terms,
            "estimator_matrix": self.estimator_matrix,
            "basis": self.basis,
            "output_terms": self.output_terms,
            "output_gram": self.output_gram,
            "eim_error_matrix": eim_matrix,
        }
        return settings, arrays

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> ReducedModel:
        from rom.affine import ConstantCoefficients, LinearCoefficients
        from rom.parameters import ParameterSpace
        from rom.rb.coercivity import MinTheta

        def build(d):
            if d is None:
                return None
            kind = d["class"].rsplit(":", 1)[-1]
            data = d["data"]
            if kind == "LinearCoefficients":
                return LinearCoefficients.from_dict(data)
            if kind == "ConstantCoefficients":
                return ConstantCoefficients.from_dict(data)
            if kind == "MinTheta":
                return MinTheta(
                    LinearCoefficients.from_dict(data["coefficients"]),
                    data["mu_ref"],
                    data["alpha_ref"],
                )
            raise ValueError(f"unknown coefficient description {d['class']!r}")

        space = settings.get("parameter_space")
        note = None
        if settings.get("eim_dropped"):
            note = (
                "built with an EIM-approximated operator whose error contribution could not "
                "be saved: estimate() is the residual-only indicator, which measures the "
                "distance to the solution of the approximated system only"
            )
            warnings.warn(f"load: reduced model {note}", RuntimeWarning, stacklevel=3)
        eim_matrix = arrays.get("eim_error_matrix")
        return cls(
            operator_terms=arrays["operator_terms"],
            rhs_terms=arrays["rhs_terms"],
            operator_coefficients=build(settings["operator_coefficients"]),
            rhs_coefficients=build(settings["rhs_coefficients"]),
            coercivity=build(settings["coercivity"]),
            estimator=settings["estimator"],
            projection=settings.get("projection", "galerkin"),
            hermitian=settings.get("hermitian", False),
            estimator_matrix=arrays["estimator_matrix"],
            basis=arrays.get("basis"),
            output=settings["output"],
            output_terms=arrays.get("output_terms"),
            output_coefficients=build(settings["output_coefficients"]),
            output_gram=arrays.get("output_gram"),
            parameter_space=None if space is None else ParameterSpace.from_dict(space),
            eim_error_matrix=eim_matrix,
            eim_operator_coefficients=build(settings.get("eim_operator_coefficients")),
            eim_rhs_coefficients=build(settings.get("eim_rhs_coefficients")),
            eim_error_sizes=tuple(settings.get("eim_error_sizes", (0, 0))),
            eim_note=note,
        )

    def save(self, path: Any) -> None:
        """Save to ``path`` (see :func:`rom.save`); coefficient functions must be
        :class:`rom.affine.LinearCoefficients` (and the coercivity bound a
        :class:`rom.rb.MinTheta` over them)."""
        from rom.io.persist import save

        save(self, path)
