r"""Time integrators for ``M y' = F(t, y)``: Rosenbrock (implicit), Runge-Kutta (explicit).

Both adapt the step to a local error estimate and land exactly on the requested
output times. They are written for small dense systems (reduced models), where the
overhead of a general integrator per step would dominate, and work unchanged for
large sparse ones (a sparse Jacobian is factorised by SuperLU).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg

from rom.validation import check_array, check_positive_int, check_tolerance, is_sparse

__all__ = ["IntegrationError", "integrate"]

#: ROS2 of Verwer, Spee, Blom and Hundsdorfer (1999): L-stable for this gamma
GAMMA = 1.0 + 1.0 / np.sqrt(2.0)

SOLVE_IVP_METHODS = ("RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA")


class IntegrationError(RuntimeError):
    """The integration cannot go on: the step size fell below round-off, the step
    budget or the time limit ran out, or the right-hand side is not finite."""


class _Limits:
    """The budgets of one integration: ``max_steps`` attempted steps and ``max_time``
    seconds of wall clock (None: no limit), checked by :meth:`check` before every step."""

    def __init__(self, max_steps: int, max_time: float | None) -> None:
        self.max_steps = max_steps
        self.max_time = max_time
        self.deadline = None if max_time is None else time.perf_counter() + max_time

    def check(self, steps: int, t: float) -> None:
        if steps >= self.max_steps:
            raise IntegrationError(
                f"integrate: no convergence after {self.max_steps} steps (max_steps) "
                f"at t = {t:.6g}"
            )
        if self.deadline is not None and time.perf_counter() > self.deadline:
            raise IntegrationError(
                f"integrate: time limit max_time = {self.max_time:g} s exceeded at "
                f"t = {t:.6g} after {steps} steps"
            )


def _check_finite_derivative(f: Any, t: float) -> None:
    """Raise :class:`IntegrationError` when the right-hand side at an accepted state is
    not finite (a NaN parameter, a solution that overflowed)."""
    if not np.isfinite(f).all():
        raise IntegrationError(
            f"integrate: the right-hand side fun(t, y) is not finite (NaN or inf) at t = {t:.6g}"
        )


def _check_step(h: float, t: float, nonfinite: bool = False) -> None:
    """Raise when the next step size is not finite or below round-off of ``t``
    (``nonfinite``: the last attempt gave a NaN or inf error or state)."""
    if not math.isfinite(h):
        raise IntegrationError(f"integrate: the step size is not finite ({h}) at t = {t:.6g}")
    if h < 1e-14 * max(1.0, abs(t)):
        if nonfinite:
            raise IntegrationError(
                f"integrate: the right-hand side or the state is not finite (NaN or inf) "
                f"for every step from t = {t:.6g}, down to step size {h:.3g}"
            )
        raise IntegrationError(
            f"integrate: step size {h:.3g} too small at t = {t:.6g} (the solution may blow "
            "up there, or the problem is too stiff for the method)"
        )


def _componentwise_norm(err, y_old, y_new, rtol, atol):
    scale = atol + rtol * np.maximum(np.abs(y_old), np.abs(y_new))
    q = np.abs(err) / scale
    return math.sqrt(float(q @ q) / q.size)


def _squared(v):
    """``||v||_2^2`` of a real or complex vector (a dot product: cheaper than a norm)."""
    return float(np.vdot(v, v).real)


def _global_norm(err, y_old, y_new, rtol, atol):
    size = max(_squared(y_old), _squared(y_new))
    return math.sqrt(_squared(err)) / (atol + rtol * math.sqrt(size))


NORMS = {"componentwise": _componentwise_norm, "global": _global_norm}


def _first_step(fun, t0, y0, f0, rtol, atol, order, span):
    """Hairer-Norsett-Wanner's starting step (Solving ODEs I, II.4)."""
    scale = atol + rtol * np.abs(y0)
    d0 = np.sqrt(np.mean(np.abs(y0 / scale) ** 2))
    d1 = np.sqrt(np.mean(np.abs(f0 / scale) ** 2))
    h0 = 1e-6 if d0 < 1e-5 or d1 < 1e-5 else 0.01 * d0 / d1
    h0 = min(h0, span)
    f1 = fun(t0 + h0, y0 + h0 * f0)
    d2 = np.sqrt(np.mean(np.abs((f1 - f0) / scale) ** 2)) / h0
    if max(d1, d2) <= 1e-15:
        h1 = max(1e-6, h0 * 1e-3)
    else:
        h1 = (0.01 / max(d1, d2)) ** (1.0 / (order + 1))
    return min(100 * h0, h1, span)


_DGETRF, _DGETRS = scipy.linalg.get_lapack_funcs(("getrf", "getrs"), (np.zeros((1, 1)),))


class _Factor:
    """``(M - c J)^{-1}`` applied to vectors, for dense or sparse ``J``.

    Dense systems go straight to LAPACK ``getrf`` / ``getrs`` (partial pivoting):
    for the small systems of reduced models the wrappers would cost more than the
    factorisation.
    """

    def __init__(self, mass, J, c):
        if is_sparse(J):
            J = J.tocsc()
            A = (mass if mass is not None else scipy.sparse.identity(J.shape[0])) - c * J
            self._lu = scipy.sparse.linalg.splu(scipy.sparse.csc_matrix(A))
            self.solve = self._lu.solve
        else:
            if mass is None:
                A = np.multiply(J, -c)
                A.flat[:: A.shape[0] + 1] += 1.0
            else:
                A = (mass.toarray() if is_sparse(mass) else np.asarray(mass)) - c * J
            if A.dtype == np.float64:
                getrf, self._getrs = _DGETRF, _DGETRS
            else:
                getrf, self._getrs = scipy.linalg.get_lapack_funcs(("getrf", "getrs"), (A,))
            self._lu, self._piv, info = getrf(A, overwrite_a=True)
            if info > 0:
                raise IntegrationError("integrate: singular iteration matrix M - gamma h J")
            self.solve = self._solve_dense

    def _solve_dense(self, b):
        x, _ = self._getrs(self._lu, self._piv, b)
        return x


def _finite_difference_jacobian(fun, t, y, f0):
    """Forward differences, column by column (for small systems)."""
    n = y.size
    J = np.empty((n, n), dtype=np.result_type(y, f0))
    eps = np.sqrt(np.finfo(float).eps)
    for j in range(n):
        d = eps * max(1.0, abs(y[j]))
        yj = y.copy()
        yj[j] += d
        J[:, j] = (fun(t, yj) - f0) / d
    return J


def _control(
    err: float, order: int, step: float, h: float, last: bool, stats: dict
) -> tuple[bool, float]:
    """Step-size control of :func:`_march`.

    ``err`` is the scaled error of a step of size ``step`` (accepted when at most 1;
    NaN counts as infinite), ``order`` the order of the error estimate plus one. The
    next step is ``step`` times a factor in [0.2, 5]; after an accepted step that
    was shortened to land on an output time, ``h`` is kept unless the factor shrinks
    it. Returns whether the step is accepted and the next step size.
    """
    if not np.isfinite(err):
        err = np.inf
    factor = 5.0 if err == 0 else min(5.0, max(0.2, 0.9 * err ** (-1.0 / order)))
    accepted = err <= 1.0
    stats["accepted" if accepted else "rejected"] += 1
    if not accepted or not last or factor < 1:
        h = step * factor
    return accepted, h


def _march(attempt, derivative, y0, times, rtol, atol, h, limits, stats, order):
    """The adaptive loop of every integrator of this module, landing on each output time.

    ``attempt(t, y, f, step) -> (y_new, err, f_new)`` takes one step from ``y`` at
    ``t`` (``f = derivative(t, y)``) and returns the new state, its scaled local error
    (accepted when at most 1) and ``derivative(t + step, y_new)`` when the step has it
    for free (first same as last), else None. ``order`` is the order of the error
    estimate plus one. A real ``y0`` whose derivative is complex is promoted to complex.

    Every path of every method goes through the checks here: the budgets of
    ``limits`` (:class:`_Limits`) before each step; a non-finite candidate state is a
    rejected step (NaN and inf errors count as infinite), a non-finite derivative at
    an accepted state and a non-finite or vanishing step size end the integration
    with :class:`IntegrationError` at once.
    """
    t = float(times[0])
    f = derivative(t, y0)
    _check_finite_derivative(f, t)
    y = y0.astype(np.result_type(y0, f), copy=True)
    if h is None:
        h = _first_step(derivative, t, y, f, rtol, atol, order, float(times[-1] - times[0]))
    _check_step(h, t)
    out = np.empty((y.size, times.size), dtype=y.dtype)
    out[:, 0] = y
    steps = 0
    for k in range(1, times.size):
        t_end = float(times[k])
        while t < t_end:
            limits.check(steps, t)
            last = h >= t_end - t
            step = t_end - t if last else h
            y_new, err, f_new = attempt(t, y, f, step)
            steps += 1
            nonfinite = not (math.isfinite(err) and np.isfinite(y_new).all())
            if nonfinite:  # an overflow or a NaN: rejected, the step shortened
                err = math.inf
            accepted, h = _control(err, order, step, h, last, stats)
            if accepted:
                t = t_end if last else t + step
                y = y_new
                f = derivative(t, y) if f_new is None else f_new
                _check_finite_derivative(f, t)
            _check_step(h, t, nonfinite)
        out[:, k] = y
    stats["steps"] = steps
    return out


def _rosenbrock(fun, jac, mass, y0, times, rtol, atol, h, limits, stats, norm):
    """ROS2, a 2-stage L-stable Rosenbrock-W method of order 2 with a 1st-order estimate.

    ``(M - g h J) k1 = F(t, y)``, ``(M - g h J) k2 = F(t + h, y + h k1) - 2 M k1``,
    ``y+ = y + h (3 k1 + k2) / 2``; the error is ``h (k1 + k2) / 2``.
    Order 2 holds for any ``J`` (a W-method), so an approximate Jacobian only costs
    steps, never accuracy.
    """

    def attempt(t, y, f, step):
        J = jac(t, y) if jac is not None else _finite_difference_jacobian(fun, t, y, f)
        stats["jacobians"] += 1
        lu = _Factor(mass, J, GAMMA * step)
        k1 = lu.solve(f)
        k2 = lu.solve(fun(t + step, y + step * k1) - 2.0 * (k1 if mass is None else mass @ k1))
        y_new = y + step * (1.5 * k1 + 0.5 * k2)
        return y_new, norm(0.5 * step * (k1 + k2), y, y_new, rtol, atol), None

    return _march(attempt, fun, y0, times, rtol, atol, h, limits, stats, 2)


def _transformed_tableau(gamma, alpha, gammas, b, b_hat):
    """Hairer and Wanner's transformed coefficients (II, IV.7, (7.4')) of a Rosenbrock
    method given by ``alpha`` and ``Gamma = gammas + gamma I`` (strictly lower parts)."""
    s = len(b)
    G = np.array(gammas, dtype=float) + gamma * np.eye(s)
    G_inv = np.linalg.inv(G)
    A = np.array(alpha, dtype=float) @ G_inv
    C = np.eye(s) / gamma - G_inv
    return {
        "gamma": gamma,
        "A": A,
        "C": C,
        "m": np.array(b) @ G_inv,
        "e": (np.array(b) - np.array(b_hat)) @ G_inv,
        "c": np.array(alpha, dtype=float).sum(axis=1),  # stage times
        "g": G.sum(axis=1),  # coefficients of h f_t
    }


# ROS34PW2 (Rang and Angermann 2005): 4 stages, order 3 for any Jacobian (a W-method),
# stiffly accurate and L-stable, with an embedded order-2 solution
_ROS34PW2 = _transformed_tableau(
    gamma=4.3586652150845900e-1,
    alpha=[
        [0, 0, 0, 0],
        [8.7173304301691801e-1, 0, 0, 0],
        [8.4457060015369423e-1, -1.1299064236484185e-1, 0, 0],
        [0, 0, 1, 0],
    ],
    gammas=[
        [0, 0, 0, 0],
        [-8.7173304301691801e-1, 0, 0, 0],
        [-9.0338057013044082e-1, 5.4180672388095326e-2, 0, 0],
        [2.4212380706095346e-1, -1.2232505839045147, 5.4526025533510214e-1, 0],
    ],
    b=[2.4212380706095346e-1, -1.2232505839045147, 1.5452602553351020, 4.3586652150845900e-1],
    b_hat=[
        3.7810903145819369e-1,
        -9.6042292212423178e-2,
        0.5,
        2.1793326075422950e-1,
    ],
)


def _rosenbrock_w(fun, jac, mass, y0, times, rtol, atol, h, limits, stats, norm, autonomous):
    """A Rosenbrock method in transformed form: for the stages i = 1..s,
    ``(M / (h g) - J) U_i = F(t + c_i h, y + sum_j A_ij U_j) + M sum_j C_ij U_j / h
    + g_i h F_t``, then ``y+ = y + sum_i m_i U_i`` and the error ``sum_i e_i U_i``.

    The step is written for small dense systems, where each NumPy call costs more
    than its arithmetic: the stages are rows of one array, so that the stage sums,
    the new state and the error are one product each, and a dense iteration matrix
    goes straight to LAPACK (no validation inside the loop: the caller did it).
    """
    tab = _ROS34PW2
    gamma, A, C, m, e_w = (tab[k] for k in ("gamma", "A", "C", "m", "e"))
    c = [float(v) for v in tab["c"]]
    g = [float(v) for v in tab["g"]]
    s = m.size
    n = y0.size
    dense = mass is None or not is_sparse(mass)
    mass_dense = None if mass is None else (np.asarray(mass) if dense else mass)
    # rows of A and C as (columns, weights) with the zero weights dropped
    A_rows = [np.ascontiguousarray(A[i, :i]) for i in range(s)]
    C_rows = [np.ascontiguousarray(C[i, :i]) for i in range(s)]
    a_used = [bool(np.any(row)) for row in A_rows]
    c_used = [bool(np.any(row)) for row in C_rows]
    m_row = np.ascontiguousarray(m)
    e_row = np.ascontiguousarray(e_w)
    eps_sqrt = float(np.sqrt(np.finfo(float).eps))

    def factor(J, scale):
        """``solve(b) = (M - scale J)^{-1} b``."""
        if not (dense and not is_sparse(J)):
            return _Factor(mass, J, scale).solve
        J = np.asarray(J)
        if mass_dense is None:
            W = np.multiply(J, -scale)
            W.flat[:: n + 1] += 1.0
        else:
            W = mass_dense - scale * J
        if W.dtype == np.float64:
            lu, piv, info = _DGETRF(W, overwrite_a=True)
            getrs = _DGETRS
        else:
            getrf, getrs = scipy.linalg.get_lapack_funcs(("getrf", "getrs"), (W,))
            lu, piv, info = getrf(W, overwrite_a=True)
        if info > 0:
            raise IntegrationError("integrate: singular iteration matrix M - gamma h J")

        def solve(b, lu=lu, piv=piv, getrs=getrs):
            return getrs(lu, piv, b)[0]

        return solve

    def attempt(t, y, f, step):
        J = jac(t, y) if jac is not None else _finite_difference_jacobian(fun, t, y, f)
        stats["jacobians"] += 1
        scale = gamma * step  # (M/(h gamma) - J) = (M - h gamma J) / (h gamma)
        solve = factor(J, scale)
        if autonomous:
            f_t = None
        else:
            dt = eps_sqrt * max(abs(t), step)
            f_t = (fun(t + dt, y) - f) / dt
        U = np.empty((s, n), dtype=y.dtype)
        for i in range(s):
            if i == 0:
                rhs = f
            else:
                yi = y + A_rows[i] @ U[:i] if a_used[i] else y
                rhs = fun(t + c[i] * step, yi)
                if c_used[i]:
                    coupling = (C_rows[i] / step) @ U[:i]
                    rhs = rhs + (coupling if mass is None else mass @ coupling)
            if f_t is not None:
                rhs = rhs + (g[i] * step) * f_t
            np.multiply(solve(rhs), scale, out=U[i])
        y_new = y + m_row @ U
        return y_new, norm(e_row @ U, y, y_new, rtol, atol), None

    return _march(attempt, fun, y0, times, rtol, atol, h, limits, stats, 3)


# Bogacki-Shampine 3(2), first same as last
_BS_B = np.array([2.0 / 9.0, 1.0 / 3.0, 4.0 / 9.0])
_BS_E = np.array([2.0 / 9.0 - 7.0 / 24.0, 1.0 / 3.0 - 0.25, 4.0 / 9.0 - 1.0 / 3.0, -0.125])


def _bogacki_shampine(fun, mass_solve, y0, times, rtol, atol, h, limits, stats, norm):
    def rhs(t, y):
        f = fun(t, y)
        return f if mass_solve is None else mass_solve(f)

    def attempt(t, y, k1, step):
        k2 = rhs(t + 0.5 * step, y + 0.5 * step * k1)
        k3 = rhs(t + 0.75 * step, y + 0.75 * step * k2)
        y_new = y + step * (_BS_B[0] * k1 + _BS_B[1] * k2 + _BS_B[2] * k3)
        k4 = rhs(t + step, y_new)
        e = step * (_BS_E[0] * k1 + _BS_E[1] * k2 + _BS_E[2] * k3 + _BS_E[3] * k4)
        return y_new, norm(e, y, y_new, rtol, atol), k4

    return _march(attempt, rhs, y0, times, rtol, atol, h, limits, stats, 3)


def integrate(
    fun: Callable[[float, Any], Any],
    y0: Any,
    times: Any,
    method: str = "implicit",
    jacobian: Callable[[float, Any], Any] | None = None,
    mass: Any = None,
    rtol: float = 1e-6,
    atol: float = 1e-9,
    first_step: float | None = None,
    max_steps: int = 1_000_000,
    stats: dict | None = None,
    error_norm: str = "componentwise",
    autonomous: bool = False,
    max_time: float | None = None,
) -> np.ndarray:
    r"""Integrate ``M y' = fun(t, y)`` from ``y0`` at ``times[0]``; the states at ``times``.

    Methods:

    - ``"implicit"`` or ``"ros34pw2"``: ROS34PW2 (Rang and Angermann 2005), a
      linearly implicit four-stage Rosenbrock-W method of order 3 (for any
      approximation of the Jacobian), stiffly accurate and L-stable, with an embedded
      order-2 error estimate; one Jacobian and one LU factorisation of
      :math:`M - \gamma h J`, :math:`\gamma = 0.4359`, per step, no Newton
      iteration. Unless ``autonomous``, :math:`\partial F/\partial t` is taken by a
      forward difference (one more evaluation per step).
    - ``"ros2"``: ROS2 (Verwer, Spee, Blom and Hundsdorfer 1999), two stages,
      L-stable, of order 2 for any approximation of the Jacobian (a W-method), with a
      first-order error estimate (small steps at tight tolerances).

      For both, ``jacobian(t, y)`` may be dense or sparse (SuperLU then); without
      it forward differences are used (small systems only).
    - ``"explicit"``: the Bogacki-Shampine 3(2) Runge-Kutta pair (first same as last:
      three evaluations per step). With a mass matrix every stage solves with ``M``.
    - any :func:`scipy.integrate.solve_ivp` method (``"RK45"``, ``"DOP853"``,
      ``"BDF"``, ``"Radau"``, ``"LSODA"``), given ``jacobian`` when implicit.
      ``mass`` must be None for these.

    The step is controlled on the local error estimate :math:`e`: with
    ``error_norm="componentwise"``, its RMS norm weighted by
    :math:`\mathrm{atol} + \mathrm{rtol}\,|y_i|` entry by entry; with ``"global"``,
    :math:`\|e\|_2 / (\mathrm{atol} + \mathrm{rtol}\,\|y\|_2)` (the right measure for
    coordinates in an orthonormal basis, where :math:`\|y\|_2` is the norm of the
    state). A step is accepted when that number is at most 1. Steps are shortened to
    land on every output time (no interpolation).

    Failures stop the integration at once with :class:`IntegrationError`, whose
    message gives the time reached: a right-hand side that is not finite (NaN or inf)
    at the initial or an accepted state, a step size that is not finite or falls
    below round-off of ``t`` (a blow-up), more than ``max_steps`` steps, more than
    ``max_time`` seconds. A step whose candidate state overflows is rejected (and
    the step shortened). These hold for every method, the :func:`~scipy.integrate.solve_ivp`
    ones included (their steps are driven here, one at a time, and their dense
    output gives the states at ``times``).

    Real and complex: a complex ``y0``, or a real ``y0`` whose ``fun`` is complex,
    gives complex states (the norms above take moduli; a Jacobian by forward
    differences is then the complex-linear part along real directions, which a
    W-method tolerates).

    Parameters
    ----------
    fun : callable ``(t, y) -> (n,)``
    y0 : array, shape (n,), real or complex
    times : array, shape (n_t,)
        Strictly increasing output times; ``times[0]`` is the initial time.
    method : str
    jacobian : callable ``(t, y) -> (n, n)`` dense or sparse, optional
    mass : (n, n) matrix, optional
        Constant nonsingular mass matrix (None: the identity).
    rtol, atol : float
        Tolerances of the local error.
    first_step : float, optional
        Initial step (default: estimated from ``fun``).
    max_steps : int
        Budget of attempted steps (of steps taken, for the solve_ivp methods, whose
        rejected attempts happen inside one step).
    stats : dict, optional
        Filled with the counts ``accepted``, ``rejected``, ``steps``, ``jacobians``.
    error_norm : {"componentwise", "global"}
        How the local error is measured (above; own integrators only).
    autonomous : bool
        Whether ``fun`` does not depend on ``t`` (``"implicit"`` only).
    max_time : float, optional
        Wall-clock limit of the integration in seconds (None: no limit), checked
        before every step and, for the solve_ivp methods, at every evaluation of
        ``fun``.

    Returns
    -------
    ndarray, shape (n, n_t)

    Examples
    --------
    >>> import numpy as np
    >>> from rom.galerkin import integrate
    >>> Y = integrate(lambda t, y: -y, np.ones(1), np.linspace(0, 1, 3), rtol=1e-8)
    >>> bool(abs(Y[0, -1] - np.exp(-1)) < 1e-6)
    True
    """
    if not callable(fun):
        raise TypeError(f"fun: expected a callable (t, y) -> array, got {type(fun).__name__}")
    if jacobian is not None and not callable(jacobian):
        raise TypeError(
            f"jacobian: expected a callable (t, y) -> matrix or None, got {jacobian!r}"
        )
    y0, times, rtol, atol, max_steps, first_step, max_time = _check_common(
        y0, times, rtol, atol, max_steps, first_step, max_time
    )
    limits = _Limits(max_steps, max_time)
    if not isinstance(method, str):
        raise TypeError(f"method: expected a string, got {method!r}")
    if mass is not None and mass.shape != (y0.size, y0.size):
        raise ValueError(f"mass: expected shape ({y0.size}, {y0.size}), got {mass.shape}")
    if error_norm not in NORMS:
        raise ValueError(f"error_norm: expected one of {tuple(NORMS)}, got {error_norm!r}")
    norm = NORMS[error_norm]
    record = {"accepted": 0, "rejected": 0, "steps": 0, "jacobians": 0}
    if times.size == 1:
        out = y0[:, None].copy()
    elif method in ("implicit", "ros34pw2"):
        out = _rosenbrock_w(
            fun,
            jacobian,
            mass,
            y0,
            times,
            rtol,
            atol,
            first_step,
            limits,
            record,
            norm,
            bool(autonomous),
        )
    elif method == "ros2":
        out = _rosenbrock(
            fun, jacobian, mass, y0, times, rtol, atol, first_step, limits, record, norm
        )
    elif method == "explicit":
        mass_solve = None if mass is None else _mass_solver(mass)
        out = _bogacki_shampine(
            fun, mass_solve, y0, times, rtol, atol, first_step, limits, record, norm
        )
    elif method in SOLVE_IVP_METHODS:
        if mass is not None:
            raise ValueError(f"mass: solve_ivp method {method!r} does not take a mass matrix")
        out = _solve_ivp(fun, jacobian, y0, times, method, rtol, atol, first_step, limits, record)
    else:
        raise ValueError(
            f"method: expected 'implicit', 'ros34pw2', 'ros2', 'explicit' or one of "
            f"{SOLVE_IVP_METHODS}, "
            f"got {method!r}"
        )
    if stats is not None:
        stats.update(record)
    return out


def _solve_ivp(fun, jacobian, y0, times, method, rtol, atol, first_step, limits, stats):
    """A :func:`scipy.integrate.solve_ivp` method, its steps driven one at a time.

    The solver's own loop would not stop: ``max_steps`` is not one of its options, and a
    NaN right-hand side makes its step-size loop spin forever (NaN compares false).
    Here every step is counted and the clock read (:class:`_Limits`), and ``fun`` is
    wrapped to refuse a non-finite value and to read the clock at every evaluation
    (one step of an implicit method may take many). The states at ``times`` come
    from the dense output of the step that contains them, as in ``solve_ivp``.
    """
    import scipy.integrate

    t0, t_final = float(times[0]), float(times[-1])
    f0 = np.asarray(fun(t0, y0))
    _check_finite_derivative(f0, t0)
    steps = [0]

    def checked(t, y):
        if limits.deadline is not None and time.perf_counter() > limits.deadline:
            limits.check(steps[0], t)
        f = np.asarray(fun(t, y))
        if not np.isfinite(f).all():
            # a trial state of the solver's step: its error would be NaN, which the
            # solver's step-size loop never leaves
            _check_finite_derivative(f, t)
        return f

    options = {"rtol": rtol, "atol": atol}
    if first_step is not None:
        options["first_step"] = first_step
    if method in ("BDF", "Radau", "LSODA") and jacobian is not None:
        options["jac"] = jacobian
    solver_class = getattr(scipy.integrate, method)
    solver = solver_class(checked, t0, y0.astype(np.result_type(y0, f0)), t_final, **options)
    out = np.empty((y0.size, times.size), dtype=solver.y.dtype)
    out[:, 0] = solver.y
    k = 1
    while k < times.size:
        limits.check(steps[0], solver.t)
        message = solver.step()
        steps[0] += 1
        if solver.status == "failed":
            raise IntegrationError(f"integrate: {method} failed at t = {solver.t:.6g}: {message}")
        if not np.isfinite(solver.y).all():
            raise IntegrationError(
                f"integrate: the state is not finite (NaN or inf) at t = {solver.t:.6g}"
            )
        done = k
        while done < times.size and times[done] <= solver.t:
            done += 1
        if done > k:
            if times[done - 1] == solver.t:
                out[:, done - 1] = solver.y
                inside = times[k : done - 1]
            else:
                inside = times[k:done]
            if inside.size:
                out[:, k : k + inside.size] = solver.dense_output()(inside).reshape(
                    y0.size, inside.size
                )
            k = done
        if solver.status == "finished" and k < times.size:  # not expected: t_final reached
            out[:, k:] = solver.y[:, None]
            break
    stats.update(accepted=steps[0], steps=steps[0], evaluations=int(solver.nfev))
    return out


def _check_common(y0, times, rtol, atol, max_steps, first_step, max_time=None):
    """The checks of :func:`integrate` shared with the compiled quadratic path."""
    y0 = check_array(y0, "y0", ndim=1)
    y0 = y0.astype(np.complex128 if np.iscomplexobj(y0) else np.float64)
    times = check_array(times, "times", ndim=1, dtype_kind="f")
    if times.size < 1 or np.any(np.diff(times) <= 0):
        raise ValueError("times: expected strictly increasing times")
    rtol = check_tolerance(rtol, "rtol", allow_none=False)
    atol = check_tolerance(atol, "atol", allow_none=False)
    if rtol == 0 and atol == 0:
        raise ValueError("rtol, atol: at least one tolerance must be positive")
    max_steps = check_positive_int(max_steps, "max_steps", allow_none=False)
    if first_step is not None:
        first_step = check_tolerance(first_step, "first_step")
        if first_step == 0:
            raise ValueError("first_step: expected a positive step")
    if max_time is not None:
        max_time = check_tolerance(max_time, "max_time")
        if max_time == 0:
            raise ValueError("max_time: expected a positive number of seconds or None")
    return y0, times, rtol, atol, max_steps, first_step, max_time


def integrate_quadratic(
    coefficients,
    rhs,
    y0,
    times,
    rtol,
    atol,
    stats=None,
    error_norm="global",
    max_steps=1_000_000,
    max_time=None,
):
    """:func:`integrate` with ``"implicit"``, autonomous, no mass matrix, for
    ``y' = c + B y + W(y, y)`` (``rhs`` evaluates it): one compiled call when numba
    is installed (:mod:`rom.galerkin._numba`), else the NumPy loop; the same
    algorithm, step for step. A compiled kernel cannot read the clock: with a
    ``max_time``, the NumPy loop runs (the limit then holds at every step)."""
    y0, times, rtol, atol, max_steps, _, max_time = _check_common(
        y0, times, rtol, atol, max_steps, None, max_time
    )
    if error_norm not in NORMS:
        raise ValueError(f"error_norm: expected one of {tuple(NORMS)}, got {error_norm!r}")
    try:
        from rom.galerkin import _numba
    except ImportError:
        _numba = None
    c, B, W = coefficients
    real = not (np.iscomplexobj(y0) or any(np.iscomplexobj(x) for x in coefficients))
    if _numba is None or times.size == 1 or not real or max_time is not None:
        from rom.galerkin.quadratic import quadratic_system

        _, jacobian = quadratic_system(coefficients)
        return integrate(
            rhs,
            y0,
            times,
            jacobian=jacobian,
            rtol=rtol,
            atol=atol,
            max_steps=max_steps,
            stats=stats,
            error_norm=error_norm,
            autonomous=True,
            max_time=max_time,
        )
    t0 = float(times[0])
    f0 = rhs(t0, y0)
    _check_finite_derivative(f0, t0)
    h = _first_step(rhs, t0, y0, f0, rtol, atol, 3, float(times[-1] - t0))
    _check_step(h, t0)
    tab = _ROS34PW2
    out, steps, accepted, rejected, status, t, h = _numba.ros34pw2_quadratic(
        c,
        B,
        W,
        y0,
        times,
        rtol,
        atol,
        h,
        max_steps,
        error_norm == "global",
        tab["gamma"],
        tab["A"],
        tab["C"],
        tab["m"],
        tab["e"],
    )
    if status == _numba.TOO_MANY_STEPS:
        _Limits(max_steps, None).check(steps, t)
    if status == _numba.STEP_TOO_SMALL:
        _check_step(h, t)
        raise IntegrationError(f"integrate: step size {h:.3g} too small at t = {t:.6g}")
    if status == _numba.SINGULAR:
        raise IntegrationError("integrate: singular iteration matrix M - gamma h J")
    if stats is not None:
        stats.update(accepted=accepted, rejected=rejected, steps=steps, jacobians=steps)
    return out


def _mass_solver(mass):
    if is_sparse(mass):
        return scipy.sparse.linalg.splu(scipy.sparse.csc_matrix(mass)).solve
    lu = scipy.linalg.lu_factor(np.asarray(mass))
    return lambda b: scipy.linalg.lu_solve(lu, b)
