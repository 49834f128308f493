"""The online pieces of a manifold reduced model: residual rows, their tangent, the steps."""

from __future__ import annotations

import math

import numpy as np

from rom.galerkin.integrate import IntegrationError

__all__: list[str] = []

#: ``(alpha, beta)`` of the fixed-step schemes: ``u_{n+1} - sum_j alpha_j u_{n-j}
#: = beta dt f(u_{n+1})``; BDF2 starts with one backward Euler step
SCHEMES = {
    "backward_euler": ((1.0,), 1.0),
    "bdf2": ((4.0 / 3.0, -1.0 / 3.0), 2.0 / 3.0),
}


def directional_differences(fun, u, V, vectorized):
    """``(fun(u + d V_j) - fun(u)) / d`` for every column of ``V`` (forward differences)."""
    scale = max(1.0, float(np.abs(u).max()))
    d = np.sqrt(np.finfo(float).eps) * scale / max(1e-300, float(np.abs(V).max()))
    if vectorized:
        F = np.asarray(fun(np.column_stack([u[:, None] + d * V, u])))
        return (F[:, :-1] - F[:, -1:]) / d
    f0 = np.asarray(fun(u))
    return np.column_stack([(np.asarray(fun(u + d * v)) - f0) / d for v in V.T])


class Online:
    """The reduced model at one parameter ``mu``.

    Without hyper-reduction the decoder, ``f`` and its tangent are taken on all rows;
    with it, the decoder on the rows ``R`` = sample rows and their stencil only, and
    ``f`` on the sample rows from its values on the stencil. ``weights`` (k, m) turns
    sampled rows into the coordinates of the gappy reconstruction (None: identity).
    """

    def __init__(self, decoder, model, mu, hyper=None, lstsq_basis=None) -> None:
        self.decoder = decoder
        self.model = model
        self.mu = mu
        self.hyper = hyper
        if hyper is None:
            self.rows = None
            self.weights = None
        else:
            self.rows = hyper["rows"]
            self.weights = hyper["weights"]
            self.points = hyper["points"]
            self.at_points_index = hyper["at_points"]
            self.at_stencil_index = hyper["at_stencil"]
        # a constant tangent (linear decoder): its weighted QR is taken once
        self.constant_qr = None
        if decoder.linear:
            self.constant_tangent = decoder.tangent(np.zeros(decoder.rank), self.rows)
            self.constant_qr = np.linalg.qr(self.weigh(self.at_points(self.constant_tangent)))

    # ---------------------------------------------------------------- pieces
    def weigh(self, A: np.ndarray) -> np.ndarray:
        return A if self.weights is None else self.weights @ A

    def at_points(self, A: np.ndarray) -> np.ndarray:
        return A if self.hyper is None else A[self.at_points_index]

    def state(self, z: np.ndarray) -> np.ndarray:
        return self.decoder.decode(z, self.rows)

    def tangent(self, z: np.ndarray) -> np.ndarray:
        return self.decoder.tangent(z, self.rows)

    def rhs(self, u: np.ndarray, t: float) -> np.ndarray:
        """``f`` on the sample rows (all rows without hyper-reduction)."""
        model, mu = self.model, self.mu
        if self.hyper is None:
            return np.asarray(model.rhs(u, mu, t))
        return np.asarray(model.rhs_entries(u[self.at_stencil_index], self.points, mu, t))

    def rhs_tangent(self, u: np.ndarray, J: np.ndarray, t: float) -> np.ndarray:
        """``(df/du) J`` on the sample rows, shape (m, r)."""
        model, mu = self.model, self.mu
        if self.hyper is None:
            if model.jacobian is not None:
                return np.asarray(model.jacobian(u, mu, t) @ J)
            return directional_differences(lambda v: model.rhs(v, mu, t), u, J, model.vectorized)
        u_S, J_S = u[self.at_stencil_index], J[self.at_stencil_index]
        if model.jacobian_entries is not None:
            return np.asarray(model.jacobian_entries(u_S, self.points, mu, t)) @ J_S
        return directional_differences(
            lambda v: model.rhs_entries(v, self.points, mu, t), u_S, J_S, model.vectorized
        )

    # ---------------------------------------------------------------- Galerkin
    def _qr(self, J):
        if self.constant_qr is not None:
            return self.constant_qr
        return np.linalg.qr(self.weigh(self.at_points(J)))

    def velocity_parts(self, t: float, z: np.ndarray):
        """``(velocity, parts)``: ``parts`` are reused by :meth:`velocity_jacobian`."""
        u = self.state(z)
        J = self.tangent(z) if self.constant_qr is None else self.constant_tangent
        Q, R = self._qr(J)
        return np.linalg.solve(R, Q.T @ self.weigh(self.rhs(u, t))), (u, J, Q, R)

    def velocity(self, t: float, z: np.ndarray) -> np.ndarray:
        """``dz/dt = argmin_v ||W (J(z) v - f(g(z)))||``: ``J^+ f`` without hyper-reduction."""
        return self.velocity_parts(t, z)[0]

    def velocity_jacobian(self, t: float, z: np.ndarray, parts=None) -> np.ndarray:
        """``(W J)^+ W (df/du) J``: the derivative of :meth:`velocity` but for that of ``J^+``."""
        if parts is None:
            parts = self.velocity_parts(t, z)[1]
        u, J, Q, R = parts
        return np.linalg.solve(R, Q.T @ self.weigh(self.rhs_tangent(u, J, t)))


def _norm(v: np.ndarray) -> float:
    return math.sqrt(float(v @ v))


def check_finite(value: np.ndarray, what: str, t: float) -> None:
    if not np.all(np.isfinite(value)):
        raise IntegrationError(
            f"solve: the {what} is not finite at t = {t:.6g} (a NaN parameter, or a "
            "solution that left the manifold's range)"
        )


def velocity_differences(online: Online, t: float, z: np.ndarray, v0: np.ndarray) -> np.ndarray:
    """The Jacobian of the Galerkin velocity by forward differences (curved decoders)."""
    d = np.sqrt(np.finfo(float).eps) * max(1.0, float(np.abs(z).max()))
    eye = np.eye(z.size)
    return np.column_stack([(online.velocity(t, z + d * e) - v0) / d for e in eye])


def gauss_newton(residual, jacobian, z, tol, max_iter, t, name):
    """Minimise ``||residual(z)||`` from ``z`` by (Gauss-)Newton with step halving.

    ``residual(z) -> (res, context)``, ``jacobian(z, context, iteration) -> d res / d z``
    (``iteration`` counts from 1). Each step solves the normal equations of
    ``min ||res + jac dz||`` (r x r). Stops when the part of the residual in the range
    of the Jacobian is at most ``tol`` times the residual (first-order optimality) or
    the step is at most ``tol`` times ``||z||``; otherwise :class:`IntegrationError`
    after ``max_iter`` iterations.
    """
    res, context = residual(z)
    check_finite(res, "residual", t)
    norm = _norm(res)
    for iteration in range(1, max_iter + 1):
        if norm == 0.0:
            return z, iteration
        jac = jacobian(z, context, iteration)
        check_finite(jac, "residual Jacobian", t)
        # normal equations of the r x r step (r is small and the QR of a k x r matrix
        # costs more in call overhead than it saves); -c.dz = ||Q^T res||^2
        c = jac.T @ res
        try:
            dz = -np.linalg.solve(jac.T @ jac, c)
        except np.linalg.LinAlgError:
            dz = np.full_like(c, np.nan)
        if not np.all(np.isfinite(dz)):  # a singular Jacobian: the least-norm step
            dz = -np.linalg.lstsq(jac, res, rcond=None)[0]
        if -float(c @ dz) <= (tol * norm) ** 2:
            return z, iteration
        step = 1.0
        while True:  # halve the step while the residual grows (at most 10 times)
            trial = z + step * dz
            new, new_context = residual(trial)
            new_norm = _norm(new)
            if (np.isfinite(new_norm) and new_norm <= norm) or step < 1e-3:
                break
            step *= 0.5
        check_finite(new, "residual", t)
        z, res, context, norm = trial, new, new_context, new_norm
        if step * _norm(dz) <= tol * (_norm(z) + tol):
            return z, iteration
    raise IntegrationError(
        f"solve: {name} did not converge in {max_iter} iterations (max_iter) at t = {t:.6g}; "
        f"last step {step * _norm(dz):.3g}, residual {norm:.3g}"
    )


def march(
    online: Online,
    method: str,
    scheme: str,
    z0: np.ndarray,
    t0: float,
    dt: float,
    n_steps: np.ndarray,
    newton_tol: float,
    max_iter: int,
    stats: dict | None,
) -> np.ndarray:
    """Fixed steps of ``dt`` from ``z0`` at ``t0``; the coordinates after ``n_steps[j]`` steps.

    ``method="lspg"``: each step minimises the weighted time-discrete residual of the
    state by Gauss-Newton; ``"galerkin"``: each step solves the same scheme applied to
    ``dz/dt = velocity(z)`` by Newton (its Jacobian exact for a linear decoder, by
    forward differences of the velocity otherwise).
    """
    alphas_all, beta_all = SCHEMES[scheme]
    r = z0.size
    out = np.empty((r, n_steps.size), dtype=np.result_type(z0, float))
    history_z = [z0]
    lspg = method == "lspg"
    history_g = [online.at_points(online.state(z0))] if lspg else []
    iterations = 0
    z = z0
    total = int(n_steps[-1]) if n_steps.size else 0
    j_out = 0
    while j_out < n_steps.size and n_steps[j_out] == 0:
        out[:, j_out] = z0
        j_out += 1
    eye = np.eye(r)
    linear = online.decoder.linear
    for step in range(1, total + 1):
        t = t0 + step * dt
        # BDF2 starts with a step of backward Euler
        if len(history_z) < len(alphas_all):
            alphas, beta = SCHEMES["backward_euler"]
        else:
            alphas, beta = alphas_all, beta_all
        bdt = beta * dt
        if lspg:
            known = sum(
                a * g for a, g in zip(alphas, reversed(history_g[-len(alphas) :]), strict=True)
            )

            def residual(z, known=known, bdt=bdt, t=t):
                u = online.state(z)
                res = online.weigh(online.at_points(u) - known - bdt * online.rhs(u, t))
                return res, u

            def jacobian(z, u, iteration, bdt=bdt, t=t):
                J = online.tangent(z)
                return online.weigh(online.at_points(J) - bdt * online.rhs_tangent(u, J, t))

            name = "Gauss-Newton"
        else:
            known = sum(
                a * y for a, y in zip(alphas, reversed(history_z[-len(alphas) :]), strict=True)
            )

            def residual(z, known=known, bdt=bdt, t=t):
                v, parts = online.velocity_parts(t, z)
                return z - known - bdt * v, (v, parts)

            def jacobian(z, context, iteration, bdt=bdt, t=t):
                v, parts = context
                if linear or iteration <= 2:
                    return eye - bdt * online.velocity_jacobian(t, z, parts)
                return eye - bdt * velocity_differences(online, t, z, v)

            name = "Newton"
        if len(history_z) == 2:  # linear extrapolation: a first guess of O(dt^2)
            z = 2.0 * history_z[1] - history_z[0]
        z, used = gauss_newton(residual, jacobian, z, newton_tol, max_iter, t, name)
        iterations += used
        history_z = [*history_z[-1:], z]
        if lspg:
            history_g = [*history_g[-1:], online.at_points(online.state(z))]
        while j_out < n_steps.size and n_steps[j_out] == step:
            out[:, j_out] = z
            j_out += 1
    if stats is not None:
        stats["steps"] = total
        stats["iterations"] = iterations
    return out
