r"""POD-Galerkin reduced models of ``M du/dt = f(u, mu, t)``, with DEIM hyper-reduction."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import scipy.linalg

from rom._base import Estimator
from rom.galerkin.closure import check_closure, evaluate_closure
from rom.galerkin.integrate import integrate, integrate_quadratic
from rom.galerkin.model import (
    FullOrderModel,
    _column_blocks,
    as_full_order_model,
    column_arguments,
)
from rom.galerkin.quadratic import identify_quadratic, quadratic_system
from rom.validation import check_array, check_positive_int, check_tolerance, is_sparse

__all__ = ["GalerkinROM"]

logger = logging.getLogger("rom.galerkin")

HYPERREDUCTIONS = (None, "deim", "qdeim")
#: products of fewer multiply-adds run on one BLAS thread (``_blocked``)
_SINGLE_THREAD_PRODUCT = 2**17


def _is_identity(M: Any) -> bool:
    if M is None:
        return True
    if is_sparse(M):
        return (
            M.nnz == M.shape[0]
            and bool(np.all(M.diagonal() == 1))
            and M.count_nonzero() == M.shape[0]
        )
    M = np.asarray(M)
    return bool(np.array_equal(M, np.eye(M.shape[0])))


def _apply(M: Any, V: np.ndarray) -> np.ndarray:
    return V if M is None else M @ V


class GalerkinROM(Estimator):
    r"""POD-Galerkin reduced model of :math:`M\,du/dt = f(u, \mu, t)`.

    The state is approximated as :math:`u \approx \bar u + \Phi a` (``shift``
    :math:`\bar u`, basis :math:`\Phi` of ``r`` columns) and the residual is made
    orthogonal to the basis:

    .. math::

       \Phi^H M \Phi\, \dot a = \Phi^H f(\bar u + \Phi a, \mu, t) + c(a, \mu, t),

    with :math:`c` the optional ``closure``. The reduced mass
    :math:`M_r = \Phi^H M \Phi` is the identity for a POD basis (orthonormal in
    ``M``) and is factorised once otherwise. With hyper-reduction (``"deim"`` or
    ``"qdeim"``) the linear part of ``f`` that the model exposes is projected once,
    exactly, and the rest is interpolated at ``deim_rank`` rows from the few unknowns
    those rows depend on, so that the online cost does not depend on ``n``; the
    derivation is on :doc:`/theory/galerkin`.

    Real and complex: a complex basis, complex states or a complex model give a
    complex reduced system (the projection uses :math:`\Phi^H`, the integrators work
    in complex arithmetic). The compiled path of a quadratic model (``autonomous``
    in :meth:`solve`) is real only; complex models take the general path.

    Parameters
    ----------
    basis : array (n, r), optional
        A reduced basis; None: the POD of the states given to :meth:`fit`.
    model : FullOrderModel or an object with the same attributes
        The full-order model (:class:`~rom.galerkin.FullOrderModel`). Not stored in a
        saved file: :func:`rom.load` takes it back as the part ``model``.
    hyperreduction : {None, "deim", "qdeim"}
        Point selection for the nonlinear term (Chaturantabut and Sorensen 2010;
        Drmac and Gugercin 2016).
    deim_rank : int, optional
        Number of DEIM modes and points (at most; see ``deim_tol``).
    closure : callable ``(a, mu, t) -> (r,)``, optional
        Added to the reduced right-hand side (after the reduced mass is inverted:
        it is a correction of :math:`\dot a`). Its result is checked at every call.
        Not stored in a saved file: :func:`rom.load` takes it back as the part
        ``closure``.
    rank : int, optional
        Largest number of POD modes of the states (:class:`rom.linalg.POD`).
    tol : float, optional
        Truncation of the POD of the states: the projection error of the centred
        state snapshots in the Frobenius norm of ``inner`` (relative to their norm
        unless ``relative=False``).
    deim_tol : float, optional
        Truncation of the POD of the nonlinear snapshots: their projection error in
        the Euclidean Frobenius norm (relative unless ``relative=False``).
    relative : bool
        Whether ``tol`` and ``deim_tol`` are relative to the norm of the snapshots.
    shift : array (n,), optional
        The reference state :math:`\bar u` (None: zero).
    inner : "mass", None or (n, n) matrix
        Inner product of the POD of the states; ``"mass"``: the model's mass.
    random_state : int, optional
        Seed of the randomised PODs.

    Attributes
    ----------
    basis_ : ndarray (n, r)
    shift_ : ndarray (n,)
    reduced_mass_ : ndarray (r, r)
        :math:`\Phi^H M \Phi`.
    pod_ : rom.linalg.POD or None
        The POD of the states (when ``basis`` was None).
    deim_ : rom.eim.DEIM or rom.eim.QDEIM or None
    points_ : ndarray of int (m,)
        The DEIM rows :math:`P` (hyper-reduced models only, as the next four).
    stencil_ : ndarray of int (s,)
        ``model.stencil(points_)``: the only rows of the basis used online.
    basis_stencil_ : ndarray (s, r)
        :math:`\Phi_S`.
    interpolation_ : ndarray (r, m)
        :math:`E = M_r^{-1} \Phi^H U (P^T U)^{-1}`.
    reduced_linear_, reduced_offsets_ : ndarray (Q, r, r) and (Q, r)
        The reduced linear part, :math:`K_q` and :math:`k_q` with
        :math:`K(\mu) = \sum_q \theta_q(\mu) K_q` (``Q = 0`` without one).
    rank_ : int
        ``r``.
    n_points_ : int
        ``m`` (0 without hyper-reduction).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.integrate import solve_ivp
    >>> class Heat:  # du/dt = mu u_xx - u^3 on (0, 1), u = 0 at both ends
    ...     L = (np.eye(40, k=1) + np.eye(40, k=-1) - 2 * np.eye(40)) * 41**2
    ...     def rhs(self, u, mu, t):
    ...         return mu * (self.L @ u) - u**3
    >>> fom, x = Heat(), np.linspace(0, 1, 42)[1:-1]
    >>> u0, times = np.sin(np.pi * x) + 0.5 * np.sin(3 * np.pi * x), np.linspace(0, 0.2, 21)
    >>> def solve(mu):
    ...     f = lambda t, u: fom.rhs(u, mu, t)
    ...     return solve_ivp(f, (0, 0.2), u0, t_eval=times, method="BDF", rtol=1e-10).y
    >>> from rom.galerkin import GalerkinROM
    >>> S = solve(0.1)
    >>> rom = GalerkinROM(None, fom, rank=6).fit(S, 0.1)
    >>> A = rom.solve(u0, times, 0.1)
    >>> err = np.linalg.norm(rom.reconstruct(A) - S) / np.linalg.norm(S)
    >>> bool(err < 1e-5)
    True
    """

    _fitted_marker = "basis_"

    #: whether :meth:`solve` may take the compiled path of a quadratic model (off: the
    #: rows of ``f`` at every stage, the reference the compiled path is tested against)
    _fast_online = True

    def __init__(
        self,
        basis: Any = None,
        model: Any = None,
        hyperreduction: str | None = None,
        deim_rank: int | None = None,
        closure: Callable[..., Any] | None = None,
        *,
        rank: int | None = None,
        tol: float | None = None,
        deim_tol: float | None = None,
        relative: bool = True,
        shift: Any = None,
        inner: Any = "mass",
        random_state: int | None = 0,
    ) -> None:
        self.basis = basis
        self.model = model
        self.hyperreduction = hyperreduction
        self.deim_rank = deim_rank
        self.closure = closure
        self.rank = rank
        self.tol = tol
        self.deim_tol = deim_tol
        self.relative = relative
        self.shift = shift
        self.inner = inner
        self.random_state = random_state

    # ------------------------------------------------------------------ offline
    def fit(
        self,
        states: Any = None,
        mu: Any = None,
        *,
        mus: Sequence[Any] | None = None,
        times: Any = None,
        nonlinear_snapshots: Any = None,
    ) -> GalerkinROM:
        r"""Build the reduced model: POD of ``states`` (if no basis), DEIM, projections.

        Parameters
        ----------
        states : array (n, n_s), optional
            State snapshots (columns). Needed when ``basis`` is None, and for
            hyper-reduction unless ``nonlinear_snapshots`` is given.
        mu : optional
            The parameter of every snapshot (when they share one).
        mus : sequence of length n_s, optional
            One parameter per snapshot (instead of ``mu``).
        times : array (n_s,), optional
            The time of every snapshot (default 0), passed to ``model.rhs``.
        nonlinear_snapshots : array (n, n_g), optional
            Snapshots of the interpolated term (:math:`g`, or :math:`f` without a
            linear part); default: evaluated at the states.

        Returns
        -------
        self
        """
        from rom.linalg import POD

        for name in self._fitted_names():  # a refit starts afresh
            delattr(self, name)
        if self.model is None:
            raise ValueError("model: a full-order model is required")
        model = as_full_order_model(self.model)
        hyper = self.hyperreduction
        if hyper not in HYPERREDUCTIONS:
            raise ValueError(f"hyperreduction: expected one of {HYPERREDUCTIONS}, got {hyper!r}")
        deim_rank = check_positive_int(self.deim_rank, "deim_rank")
        check_positive_int(self.rank, "rank")
        check_tolerance(self.tol, "tol", upper=1.0)
        check_tolerance(self.deim_tol, "deim_tol", upper=1.0)
        if not isinstance(self.relative, bool | np.bool_):
            raise TypeError(f"relative: expected True or False, got {self.relative!r}")
        check_closure(self.closure)
        if hyper is not None and (model.rhs_entries is None or model.stencil is None):
            raise ValueError(
                f"model: hyperreduction={hyper!r} needs model.rhs_entries and model.stencil"
            )
        if hyper is not None and deim_rank is None and self.deim_tol is None:
            raise ValueError("deim_rank: give the number of DEIM points (or deim_tol)")
        if states is not None:
            states = check_array(states, "states", ndim=2)
        mass = model.mass
        if self.basis is None:
            if states is None:
                raise ValueError("states: required to compute a POD basis (basis is None)")
            n = states.shape[0]
        else:
            basis = check_array(self.basis, "basis", ndim=2)
            n = basis.shape[0]
        if mass is not None and mass.shape != (n, n):
            raise ValueError(f"model.mass: expected shape ({n}, {n}), got {mass.shape}")
        if states is not None and states.shape[0] != n:
            raise ValueError(
                f"states: expected {n} rows (the basis has {n}), got {states.shape[0]}"
            )
        if self.shift is None:
            shift = np.zeros(n)
        else:
            shift = check_array(self.shift, "shift", shape=(n,))
        mass = None if _is_identity(mass) else mass

        # --- the basis
        if self.basis is None:
            inner = (
                model.mass if isinstance(self.inner, str) and self.inner == "mass" else self.inner
            )
            if isinstance(inner, str):
                raise ValueError(f"inner: expected 'mass', None or a matrix, got {inner!r}")
            if _is_identity(inner):
                inner = None
            self.pod_ = POD(
                rank=self.rank,
                tol=self.tol,
                relative=self.relative,
                inner=inner,
                random_state=self.random_state,
            ).fit(states - shift[:, None])
            basis = np.asarray(self.pod_.basis_)
        else:
            self.pod_ = None
        if basis.shape[1] > n:
            raise ValueError(f"basis: expected at most {n} columns, got {basis.shape[1]}")
        Mr = basis.conj().T @ _apply(mass, basis)
        self.shift_ = shift
        self.basis_ = basis
        self.reduced_mass_ = 0.5 * (Mr + Mr.conj().T)
        self.deim_ = None
        self._restore()  # the factorised reduced mass and M_r^{-1} Phi^H

        # --- hyper-reduction, with the linear part projected exactly
        if hyper is not None:
            linear = []
            if model.linear_operators is not None:
                offsets = model.linear_offsets or [None] * len(model.linear_operators)
                for q, A in enumerate(model.linear_operators):
                    if A.shape != (n, n):
                        raise ValueError(
                            f"model.linear_operators[{q}]: expected shape ({n}, {n}), "
                            f"got {A.shape}"
                        )
                linear = [
                    (A, np.zeros(n) if b is None else np.asarray(b))
                    for A, b in zip(model.linear_operators, offsets, strict=True)
                ]
            self._fit_deim(model, linear, states, mu, mus, times, nonlinear_snapshots, n)
            self._restore()
        logger.info(
            "Galerkin ROM: n = %d, r = %d, hyper-reduction %s", n, basis.shape[1], hyper or "none"
        )
        return self

    def _restore(self) -> None:
        """The private state, from the public one (after fit and after loading)."""
        model = as_full_order_model(self.model)
        basis, n = self.basis_, self.basis_.shape[0]
        r = basis.shape[1] if basis.ndim == 2 else -1
        if basis.ndim != 2 or self.shift_.shape != (n,) or self.reduced_mass_.shape != (r, r):
            raise ValueError("basis_, shift_, reduced_mass_: inconsistent shapes")
        if model.mass is not None and model.mass.shape != (n, n):
            raise ValueError(f"model.mass: expected shape ({n}, {n}), got {model.mass.shape}")
        self._model = model
        self._mass = None if _is_identity(model.mass) else model.mass
        try:
            self._mr_chol = scipy.linalg.cho_factor(self.reduced_mass_)
        except np.linalg.LinAlgError as err:
            raise ValueError(
                "basis: the reduced mass matrix is singular (dependent columns?)"
            ) from err
        self._mr_identity = np.allclose(self.reduced_mass_, np.eye(r), rtol=0, atol=1e-12)
        self._left = self._mr_solve(basis.conj().T)  # M_r^{-1} Phi^H, (r, n)
        if "points_" in vars(self):
            _check_hyperreduction(self, n, r)
            self._shift_stencil = self.shift_[self.stencil_]

    def _mr_solve(self, B: np.ndarray) -> np.ndarray:
        if self._mr_identity:
            return np.array(B, dtype=np.result_type(B, float))
        return scipy.linalg.cho_solve(self._mr_chol, B)

    def _fit_deim(self, model, linear, states, mu, mus, times, G, n):
        from rom.eim import DEIM, QDEIM
        from rom.linalg import POD

        if G is None:
            if states is None:
                raise ValueError("states: required to compute the nonlinear snapshots")
            m_s = states.shape[1]
            column_mus, column_times = column_arguments(m_s, mu, mus, times)
            G = _column_blocks(model.rhs, states, column_mus, column_times, model.vectorized)
            for j in range(m_s) if linear else ():
                theta = self._theta(column_mus[j], len(linear))
                G = G.astype(np.result_type(G, theta, *(b for _, b in linear)), copy=False)
                for q, (A, b) in enumerate(linear):
                    G[:, j] -= theta[q] * (A @ states[:, j] + b)
        else:
            G = check_array(G, "nonlinear_snapshots", ndim=2)
            if G.shape[0] != n:
                raise ValueError(f"nonlinear_snapshots: expected {n} rows, got {G.shape[0]}")
        pod = POD(
            rank=self.deim_rank,
            tol=self.deim_tol,
            relative=self.relative,
            random_state=self.random_state,
        ).fit(G)
        deim = (DEIM if self.hyperreduction == "deim" else QDEIM).from_basis(pod.basis_)
        P = np.asarray(deim.points_, dtype=np.int64)
        stencil = np.asarray(model.stencil(P))
        if stencil.ndim != 1 or stencil.dtype.kind not in "iu" or stencil.size == 0:
            raise ValueError(f"model.stencil: expected a 1-D integer array, got {stencil!r}")
        if stencil.min() < 0 or stencil.max() >= n or np.any(np.diff(stencil) <= 0):
            raise ValueError("model.stencil: expected sorted unique indices in [0, n)")
        U = np.asarray(deim.basis_)
        basis_stencil = np.ascontiguousarray(self.basis_[stencil])
        shift_stencil = self.shift_[stencil]
        # E = M_r^{-1} Phi^H U (P^T U)^{-1}: solve with (P^T U)^T from the right
        PhiU = self.basis_.conj().T @ U
        E = self._mr_solve(scipy.linalg.solve(U[P].T, PhiU.T).T)
        # linear part: exactly projected, and taken out of the interpolated rows
        r = self.basis_.shape[1]
        dtype = np.result_type(E, self.basis_, self.shift_, *(b for _, b in linear))
        K = np.zeros((len(linear), r, r), dtype=dtype)
        k = np.zeros((len(linear), r), dtype=dtype)
        outside = np.ones(n, dtype=bool)
        outside[stencil] = False
        for q, (A, b) in enumerate(linear):
            A_rows = A[P] if is_sparse(A) else np.asarray(A)[P]
            dense_rows = A_rows.toarray() if is_sparse(A_rows) else np.asarray(A_rows)
            if np.any(dense_rows[:, outside] != 0):
                raise ValueError(
                    f"model.stencil: rows {P.tolist()} of linear_operators[{q}] reach "
                    "unknowns outside stencil(rows)"
                )
            A_PS = dense_rows[:, stencil]
            K[q] = self._left @ (A @ self.basis_) - E @ (A_PS @ basis_stencil)
            k[q] = self._left @ (A @ self.shift_ + b) - E @ (A_PS @ shift_stencil + b[P])
        self.deim_ = deim
        self.points_ = P
        self.stencil_ = stencil
        self.basis_stencil_ = basis_stencil
        self.interpolation_ = E
        self.reduced_linear_ = K
        self.reduced_offsets_ = k

    def _theta(self, mu: Any, count: int) -> np.ndarray:
        theta = np.atleast_1d(np.asarray(self._model.linear_coefficients(mu)))
        if (
            theta.shape != (count,)
            or theta.dtype.kind not in "biufc"
            or not np.isfinite(theta).all()
        ):
            raise ValueError(
                f"model.linear_coefficients: expected {count} finite values, got {theta!r}"
            )
        return theta

    # ------------------------------------------------------------------ shapes
    @property
    def rank_(self) -> int:
        """The number of reduced coordinates ``r``."""
        self._check_fitted()
        return int(self.basis_.shape[1])

    @property
    def n_points_(self) -> int:
        """The number of DEIM points ``m`` (0 without hyper-reduction)."""
        self._check_fitted()
        return int(self.points_.size) if "points_" in vars(self) else 0

    @property
    def model_(self) -> FullOrderModel:
        """``model`` as a :class:`~rom.galerkin.FullOrderModel`."""
        self._check_fitted()
        return self._model

    @property
    def closure_(self) -> Callable[..., Any] | None:
        """The closure added to the reduced right-hand side (``closure``), or None."""
        self._check_fitted()
        return self.closure

    def project(self, u: Any) -> np.ndarray:
        r"""Coordinates of the Galerkin projection: :math:`M_r^{-1}\Phi^H M (u - \bar u)`.

        ``u`` has shape (n,) or (n, k).

        Parameters
        ----------
        u : array, shape (n,) or (n, k)
            Full-order states.
        """
        self._check_fitted()
        n = self.basis_.shape[0]
        u = check_array(u, "u", ndim=(1, 2))
        if u.shape[0] != n:
            raise ValueError(f"u: expected {n} rows (one per unknown), got {u.shape[0]}")
        d = u - (self.shift_ if u.ndim == 1 else self.shift_[:, None])
        return self._left @ _apply(self._mass, d)

    def reconstruct(self, a: Any) -> np.ndarray:
        r"""The state :math:`\bar u + \Phi a` for ``a`` of shape (r,) or (r, k).

        Parameters
        ----------
        a : array, shape (r,) or (r, k)
            Reduced coordinates.
        """
        self._check_fitted()
        a = check_array(a, "a", ndim=(1, 2))
        if a.shape[0] != self.rank_:
            raise ValueError(f"a: expected {self.rank_} rows (one per mode), got {a.shape[0]}")
        u = self.basis_ @ a
        return u + (self.shift_ if a.ndim == 1 else self.shift_[:, None])

    # ------------------------------------------------------------------ online
    def _operators(self, mu: Any):
        """``K(mu), k(mu)`` summed once per parameter."""
        if "points_" not in vars(self) or not len(self.reduced_linear_):
            return None, None
        theta = self._theta(mu, len(self.reduced_linear_))
        K = np.tensordot(theta, self.reduced_linear_, axes=1)
        k = np.tensordot(theta, self.reduced_offsets_, axes=1)
        return K, k

    def _online(self, mu: Any):
        """``(rhs(t, a), jacobian(t, a))`` of the reduced system for one parameter."""
        self._check_fitted()
        model = self._model
        closure = self.closure
        if "points_" not in vars(self):
            W, M = self._left, None
            shift, Phi = self.shift_, self.basis_

            def rhs(t, a):
                F = W @ np.asarray(model.rhs(shift + Phi @ a, mu, t))
                if closure is not None:
                    F = F + evaluate_closure(closure, a, mu, t)
                return F

            def jacobian(t, a):
                u = shift + Phi @ a
                if model.jacobian is not None:
                    return W @ np.asarray(model.jacobian(u, mu, t) @ Phi)
                return W @ _difference_columns(model.rhs, u, Phi, mu, t, model.vectorized)

            del M
            return rhs, jacobian

        K, k = self._operators(mu)
        E, P = self.interpolation_, self.points_
        Phi_S, shift_S = self.basis_stencil_, self._shift_stencil
        entries, jac_entries = model.rhs_entries, model.jacobian_entries

        def rhs(t, a):
            F = E @ entries(shift_S + Phi_S @ a, P, mu, t)
            if K is not None:
                F = F + K @ a + k
            if closure is not None:
                F = F + evaluate_closure(closure, a, mu, t)
            return F

        def jacobian(t, a):
            u_S = shift_S + Phi_S @ a
            if jac_entries is not None:
                JPhi = np.asarray(jac_entries(u_S, P, mu, t)) @ Phi_S
            else:
                JPhi = _difference_columns(
                    lambda u, mu_, t_: entries(u, P, mu_, t_), u_S, Phi_S, mu, t, model.vectorized
                )
            J = E @ JPhi
            return J if K is None else J + K

        return rhs, jacobian

    def _quadratic_online(self, mu: Any, a0: np.ndarray, t0: float):
        """The compiled online path: ``(rhs, jacobian)`` of ``c + B a + W(a, a)``, or None.

        Only for a hyper-reduced model (the identification costs ``O(r^2)`` rows of
        ``f``, not ``O(r^2)`` full evaluations) of an autonomous system whose
        ``rhs_entries`` take several states at once; None when the reduced right-hand
        side is not a quadratic polynomial of the coordinates (verified, see
        :mod:`rom.galerkin.quadratic`).
        """
        model = self._model
        if "points_" not in vars(self) or not model.vectorized:
            return None
        if any(np.iscomplexobj(x) for x in (a0, self.interpolation_, self.basis_stencil_)):
            return None  # the compiled path is real
        K, k = self._operators(mu)
        E, P = self.interpolation_, self.points_
        Phi_S, shift_S = self.basis_stencil_, self._shift_stencil
        entries = model.rhs_entries

        def rows(U):
            G = np.asarray(entries(U, P, mu, t0), dtype=float)
            if G.shape != (P.size, U.shape[1]):
                raise ValueError("rhs_entries: unexpected shape")
            return _blocked(E, G)

        reference_jacobian = self._online(mu)[1]
        coefficients = identify_quadratic(
            rows,
            a0,
            jacobian=lambda a: reference_jacobian(t0, a),
            basis=Phi_S,
            origin=shift_S,
            linear=None if K is None else (K, k),
        )
        if coefficients is None:
            return None
        closure = self.closure
        extra = None
        if closure is not None:

            def extra(t, a):
                return evaluate_closure(closure, a, mu, t)

        return quadratic_system(coefficients, extra)

    def _reduced_state(self, a: Any, name: str = "a") -> np.ndarray:
        self._check_fitted()
        a = check_array(a, name, shape=(self.rank_,))
        return a

    def rhs(self, a: Any, mu: Any, t: float = 0.0) -> np.ndarray:
        r"""The reduced right-hand side :math:`\dot a = F(a, \mu, t)`, shape (r,).

        Parameters
        ----------
        a : array, shape (r,)
            Reduced coordinates.
        mu : array_like or float
            The parameter set.
        t : float
            The time.
        """
        a = self._reduced_state(a)
        return self._online(mu)[0](t, a)

    def jacobian(self, a: Any, mu: Any, t: float = 0.0) -> np.ndarray:
        r""":math:`\partial F/\partial a`, shape (r, r), without the closure (it has none).

        Parameters
        ----------
        a : array, shape (r,)
            Reduced coordinates.
        mu : array_like or float
            The parameter set.
        t : float
            The time.
        """
        a = self._reduced_state(a)
        return self._online(mu)[1](t, a)

    def solve(
        self,
        initial: Any,
        times: Any,
        mu: Any,
        method: str = "implicit",
        rtol: float = 1e-6,
        atol: float = 1e-9,
        state: bool | None = None,
        stats: dict | None = None,
        error_norm: str = "global",
        autonomous: bool = False,
        max_steps: int = 1_000_000,
        max_time: float | None = None,
    ) -> np.ndarray:
        """Integrate the reduced model; return the coordinates at ``times``, (r, n_t).

        Parameters
        ----------
        initial : array (r,) or (n,)
            Initial coordinates ``a0``, or an initial state ``u0`` (projected with
            :meth:`project`).
        times : array (n_t,)
            Output times, strictly increasing; ``times[0]`` is the initial time.
        mu : any
            The parameter passed to the model.
        method : str
            ``"implicit"`` (ROS2 with the reduced Jacobian), ``"explicit"``
            (Bogacki-Shampine 3(2)) or a :func:`scipy.integrate.solve_ivp` method;
            see :func:`rom.galerkin.integrate`.
        rtol, atol : float
            Tolerances of the local error.
        state : bool, optional
            Whether ``initial`` is a state; default: decided by its length, which
            must then tell (``r != n``).
        stats : dict, optional
            Filled with the integrator's step counts.
        error_norm : {"global", "componentwise"}
            Measure of the local error (:func:`~rom.galerkin.integrate`). ``"global"``
            (the default) controls the error of the coordinates in the 2-norm, the
            norm of the state in the basis's inner product for an orthonormal basis.
        autonomous : bool
            Whether the model and the closure do not depend on ``t``. It saves the
            implicit method one evaluation per step and, with hyper-reduction, lets a
            model whose reduced right-hand side is a quadratic polynomial of the
            coordinates (verified first) take the compiled online path:
            :math:`F(a) = c + B a + W(a, a)` in two small products per evaluation,
            the same function to rounding (see the theory page).
        max_steps : int
            Budget of steps of the integrator.
        max_time : float, optional
            Wall-clock limit in seconds (None: no limit). Past either budget, and at
            once when the reduced right-hand side is not finite (a NaN ``mu``, a
            solution that overflows) or the step size collapses (a blow-up),
            :class:`~rom.galerkin.IntegrationError` is raised with the time reached.

        Returns
        -------
        ndarray, shape (r, n_t)
            Use :meth:`reconstruct` for the states.
        """
        self._check_fitted()
        n, r = self.basis_.shape
        initial = check_array(initial, "initial", ndim=1)
        if state is None:
            if n == r:
                raise ValueError("state: the basis is square; say whether initial is a state")
            if initial.size not in (n, r):
                raise ValueError(
                    f"initial: expected {r} coordinates or a state of {n} entries, "
                    f"got {initial.size}"
                )
            state = initial.size == n
        a0 = self.project(initial) if state else self._reduced_state(initial, "initial")
        rhs, jacobian = self._online(mu)
        if autonomous and self._fast_online:
            times = check_array(times, "times", ndim=1, dtype_kind="f")
            fast = self._quadratic_online(mu, a0, float(times[0]) if times.size else 0.0)
            if fast is not None:
                rhs, jacobian = fast
                if method in ("implicit", "ros34pw2") and self.closure is None:
                    return integrate_quadratic(
                        rhs.coefficients,
                        rhs,
                        a0,
                        times,
                        rtol,
                        atol,
                        stats,
                        error_norm,
                        max_steps=max_steps,
                        max_time=max_time,
                    )
        return integrate(
            rhs,
            a0,
            times,
            method=method,
            jacobian=jacobian,
            rtol=rtol,
            atol=atol,
            stats=stats,
            error_norm=error_norm,
            autonomous=autonomous,
            max_steps=max_steps,
            max_time=max_time,
        )

    def with_closure(self, closure: Callable[..., Any] | None) -> GalerkinROM:
        """A copy of this fitted model whose reduced right-hand side adds ``closure``.

        The offline arrays are shared, not copied.

        Parameters
        ----------
        closure : callable or None
            ``closure(a, mu, t) -> (r,)``, added to the reduced right-hand side (None: no
            closure).

        Examples
        --------
        >>> import numpy as np
        >>> from rom.galerkin import FullOrderModel, GalerkinROM
        >>> model = FullOrderModel(lambda u, mu, t: -u)
        >>> rom = GalerkinROM(np.eye(3)[:, :2], model).fit()
        >>> damped = rom.with_closure(lambda a, mu, t: -a)
        >>> damped.rhs(np.ones(2), None).tolist()
        [-2.0, -2.0]
        """
        self._check_fitted()
        new = copy.copy(self)
        new.closure = check_closure(closure)
        return new


def _check_hyperreduction(rom: GalerkinROM, n: int, r: int) -> None:
    """The arrays of a hyper-reduced model agree with each other (a loaded file is input)."""
    P, S = rom.points_, rom.stencil_
    m, s, Q = P.size, S.size, len(rom.reduced_linear_)
    if (
        P.ndim != 1
        or S.ndim != 1
        or P.dtype.kind not in "iu"
        or S.dtype.kind not in "iu"
        or m == 0
        or s == 0
        or P.min() < 0
        or P.max() >= n
        or S.min() < 0
        or S.max() >= n
        or np.any(np.diff(S) <= 0)
        or rom.basis_stencil_.shape != (s, r)
        or rom.interpolation_.shape != (r, m)
        or rom.reduced_linear_.shape != (Q, r, r)
        or rom.reduced_offsets_.shape != (Q, r)
    ):
        raise ValueError(
            "points_, stencil_, basis_stencil_, interpolation_, reduced_linear_, "
            "reduced_offsets_: inconsistent shapes or indices"
        )


def _blocked(M: np.ndarray, A: np.ndarray) -> np.ndarray:
    """``M @ A`` in blocks of columns small enough for one BLAS thread.

    OpenBLAS splits a product among threads from about 2.6e5 multiply-adds on; for
    matrices this small the threads cost more than they save, and far more on a
    loaded machine.
    """
    width = max(1, _SINGLE_THREAD_PRODUCT // max(1, M.size))
    if A.shape[1] <= width:
        return M @ A
    out = np.empty((M.shape[0], A.shape[1]), dtype=np.result_type(M, A))
    for start in range(0, A.shape[1], width):
        np.matmul(M, A[:, start : start + width], out=out[:, start : start + width])
    return out


def _difference_columns(fun, u, V, mu, t, vectorized):
    """Forward differences ``(fun(u + d V_j) - fun(u)) / d`` for every column of ``V``."""
    scale = max(1.0, float(np.abs(u).max()))
    d = np.sqrt(np.finfo(float).eps) * scale / max(1e-300, float(np.abs(V).max()))
    if vectorized:
        F = np.asarray(fun(np.column_stack([u[:, None] + d * V, u]), mu, t))
        return (F[:, :-1] - F[:, -1:]) / d
    f0 = np.asarray(fun(u, mu, t))
    return np.column_stack([(np.asarray(fun(u + d * v, mu, t)) - f0) / d for v in V.T])
