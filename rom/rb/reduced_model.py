"""The online reduced model: solves, certified bounds and outputs, vectorised."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from rom._checks import check_array
from rom.rb.estimators import residual_dual_norms

__all__ = ["ReducedModel"]


def _theta_many(coefficients: Any, mus: np.ndarray, n_terms: int) -> np.ndarray:
    from rom.rb.affine import ConstantCoefficients, LinearCoefficients

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
        a, r, tA = self._solve_with_residual(mus)
        if self.estimator == "classical" and self.size and np.any(r == 0):
            warnings.warn(
                f"classical estimator: round-off made the squared residual norm negative "
                f"for {int(np.sum(r == 0))} of {len(r)} parameters; their bound is reported "
                "as 0 and certifies nothing (the Gram formula cannot resolve residuals below "
                "about 1e-8 ||f||): use estimator='accurate'",
                RuntimeWarning,
                stacklevel=3,
            )
        return a, r, r / self._alpha(mus, tA)

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
            if not np.isfinite(a).all():
                raise np.linalg.LinAlgError(
                    "the reduced system is singular for one of the parameters"
                )
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

    def estimate(self, mu: Any) -> Any:
        r"""The bound :math:`\Delta(\mu) = \|r(\mu)\|_{X'} / \alpha_{LB}(\mu) \ge
        \|u(\mu) - u_N(\mu)\|_X` (certified when the coercivity bound is a lower bound)."""
        mus, one = self._mus(mu)
        bound = self._bounds(mus)[2]
        return float(bound[0]) if one else bound

    def solve_and_estimate(self, mu: Any) -> tuple[np.ndarray, Any]:
        """Reduced coefficients and error bounds in one pass."""
        mus, one = self._mus(mu)
        a, _, bound = self._bounds(mus)
        return (a[0], float(bound[0])) if one else (a, bound)

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
                    "rom.rb.LinearCoefficients and rom.rb.MinTheta over them) can be saved; "
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
        arrays = {
            "operator_terms": self.operator_terms,
            "rhs_terms": self.rhs_terms,
            "estimator_matrix": self.estimator_matrix,
            "basis": self.basis,
            "output_terms": self.output_terms,
            "output_gram": self.output_gram,
        }
        return settings, arrays

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> ReducedModel:
        from rom.parameters import ParameterSpace
        from rom.rb.affine import ConstantCoefficients, LinearCoefficients
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
        )

    def save(self, path: Any) -> None:
        """Save to ``path`` (see :func:`rom.save`); coefficient functions must be
        :class:`rom.rb.LinearCoefficients` (and the coercivity bound a
        :class:`rom.rb.MinTheta` over them)."""
        from rom.io.persist import save

        save(self, path)
