"""Full-order models of ``w_t + f1(w) w_y = f2 w_yy`` in one dimension, two frames.

Lagrangian frame (Mojgani and Balajewicz 2017): every node moves along its
characteristic and the state only diffuses,

    dx_i/dt = f1(w_i),        dw/dt = f2 D_xx(x) w,

with ``D_xx(x)`` the Fornberg finite-difference second derivative on the moving,
non-uniform grid (:func:`rom.lagrangian.second_derivative`). The flux speed is affine,
``f1(w) = velocity + burgers * w``: ``burgers = 0`` gives linear convection at speed
``velocity``, ``velocity = 0, burgers = 1`` the viscous Burgers equation, and
``f2 = viscosity``. Time integration: classical RK4 (compiled), the step limited by
the diffusion stability bound and by the approach of neighbouring nodes; a step that
makes the grid cross itself raises :class:`rom.lagrangian.GridCrossingError`.

Eulerian frame (reference): :class:`EulerianConvection1D`, fourth-order central
differences on a fixed periodic grid; for Burgers, :mod:`fem_examples.burgers_1d`.

Exact solutions: :func:`gaussian_pulse` (a convected Gaussian spreading as the heat
kernel; with ``viscosity = 0`` the shifted initial condition).
"""

from __future__ import annotations

import math
from typing import Any

import numba
import numpy as np
import scipy.sparse

from rom.backend import register_kernel_cache
from rom.lagrangian import (
    RK4_STABLE,
    GridCrossingError,
    second_derivative,
    second_derivative_weights,
    stencils,
    to_fixed_grid,
)
from rom.validation import check_array, check_choice, check_positive_int

register_kernel_cache()  # kernels cached in the user's cache directory, not here

__all__ = [
    "EulerianConvection1D",
    "LagrangianModel1D",
    "gaussian_pulse",
]


def gaussian_pulse(
    y: Any,
    t: float,
    velocity: float = 1.0,
    viscosity: float = 0.0,
    center: float = 0.3,
    width: float = 0.03,
    amplitude: float = 1.0,
    period: float | None = 1.0,
    start: float = 0.0,
) -> np.ndarray:
    r"""Exact solution of ``w_t + c w_y = nu w_yy`` for a Gaussian initial condition.

    :math:`w(y, 0) = A \exp(-(y - y_0)^2 / (2 s^2))` convects at speed ``c`` and
    spreads as the heat kernel: with :math:`s(t)^2 = s^2 + 2\nu t`,
    :math:`w = A\,(s/s(t)) \exp(-(y - y_0 - ct)^2 / (2 s(t)^2))`, summed over the
    periodic images (``period`` from ``start``) until they are below round-off.

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples.lagrangian_1d import gaussian_pulse
    >>> y = np.linspace(0, 1, 5, endpoint=False)
    >>> bool(np.allclose(gaussian_pulse(y, 1.0, center=0.4), gaussian_pulse(y, 0.0, center=0.4)))
    True
    """
    y = check_array(y, "y", ndim=(1, 2), dtype_kind="f")
    s2 = width**2 + 2.0 * viscosity * t
    if s2 <= 0:
        raise ValueError(f"width: expected a positive width, got {width}")
    shift = center + velocity * t
    if period is None:
        return amplitude * math.sqrt(width**2 / s2) * np.exp(-((y - shift) ** 2) / (2 * s2))
    base = start + np.mod(y - start - shift + period / 2, period) - period / 2 + shift
    reach = math.ceil(math.sqrt(2 * s2 * 40) / period) + 1
    total = np.zeros_like(base)
    for k in range(-reach, reach + 1):
        total += np.exp(-((base + k * period - shift) ** 2) / (2 * s2))
    return amplitude * math.sqrt(width**2 / s2) * total


# ---------------------------------------------------------------------- Lagrangian
@numba.njit(cache=True)
def _full_rhs(
    x, w, period, width, fixed, velocity, burgers, viscosity, dx, dw, xs, ws, cw, tab
):  # pragma: no cover
    n = x.shape[0]
    half = width // 2
    for i in range(n):
        dx[i] = velocity + burgers * w[i]
    for i in range(n):
        if viscosity == 0.0 or (fixed and (i == 0 or i == n - 1)):
            dw[i] = 0.0
            continue
        if period > 0:
            for l in range(width):
                j = i - half + l
                s = 0.0
                if j < 0:
                    j += n
                    s = -period
                elif j >= n:
                    j -= n
                    s = period
                xs[l] = x[j] + s
                ws[l] = w[j]
            c = half
        else:
            start = min(max(i - half, 0), n - width)
            for l in range(width):
                xs[l] = x[start + l]
                ws[l] = w[start + l]
            c = i - start
        second_derivative_weights(xs, c, cw, tab)
        s = 0.0
        for l in range(width):
            s += cw[l] * ws[l]
        dw[i] = viscosity * s


@numba.njit(cache=True)
def _first_crossing(x, period):  # pragma: no cover
    n = x.shape[0]
    for i in range(n - 1):
        if not x[i + 1] > x[i]:
            return i + 1
    if period > 0 and not x[n - 1] - x[0] < period:
        return 0
    for i in range(n):
        if not math.isfinite(x[i]):
            return i
    return -1


@numba.njit(cache=True)
def _fastest_closing(x, w, burgers):  # pragma: no cover
    best, where = 0.0, 0
    for i in range(x.shape[0] - 1):
        rate = -burgers * (w[i + 1] - w[i]) / (x[i + 1] - x[i])
        if rate > best:
            best, where = rate, i + 1
    return where


@numba.njit(cache=True)
def _step_limit(x, w, period, width, burgers, viscosity):  # pragma: no cover
    """Largest stable RK4 step: diffusion bound and half the time for nodes to meet."""
    n = x.shape[0]
    h_min = np.inf
    closing = 0.0
    for i in range(n - 1):
        h = x[i + 1] - x[i]
        h_min = min(h_min, h)
        closing = max(closing, -burgers * (w[i + 1] - w[i]) / h)
    if period > 0:
        h = x[0] + period - x[n - 1]
        h_min = min(h_min, h)
        closing = max(closing, -burgers * (w[0] - w[n - 1]) / h)
    dt = np.inf
    if viscosity > 0:
        factor = 4.0 if width == 3 else 16.0 / 3.0 if width == 5 else 6.0
        dt = RK4_STABLE * h_min * h_min / (factor * viscosity)
    if closing > 0:
        dt = min(dt, 0.5 / closing)
    return dt


@numba.njit(cache=True)
def _integrate_full(
    x0, w0, times, dt_user, period, width, fixed, velocity, burgers, viscosity, X, W
):  # pragma: no cover
    n = x0.shape[0]
    x = x0.copy()
    w = w0.copy()
    xs = np.empty(width)
    ws = np.empty(width)
    cw = np.empty(width)
    tab = np.empty((width, 3))
    kx = np.empty((4, n))
    kw = np.empty((4, n))
    tx = np.empty(n)
    tw = np.empty(n)
    X[:, 0] = x
    W[:, 0] = w
    steps = 0
    for out in range(1, times.shape[0]):
        t = times[out - 1]
        end = times[out]
        n_fixed = 0
        if dt_user > 0:
            n_fixed = max(1, math.ceil((end - t) / dt_user - 1e-9))
        done = False
        sub = 0
        while not done:
            if dt_user > 0:
                h = (end - times[out - 1]) / n_fixed
                sub += 1
                done = sub == n_fixed
            else:  # the limit is re-evaluated at every step: nodes converge faster and faster
                h = _step_limit(x, w, period, width, burgers, viscosity)
                if h < 1e-10 * (times[-1] - times[0]):
                    # two nodes meet in finite time and the steps shrink geometrically
                    # towards that time: the characteristics cross
                    return t, _fastest_closing(x, w, burgers), h, steps
                if h >= end - t:
                    h = end - t
                    done = True
                elif 2.0 * h > end - t:
                    h = 0.5 * (end - t)
            _full_rhs(
                x,
                w,
                period,
                width,
                fixed,
                velocity,
                burgers,
                viscosity,
                kx[0],
                kw[0],
                xs,
                ws,
                cw,
                tab,
            )
            for stage in range(1, 4):
                f = 0.5 * h if stage < 3 else h
                for i in range(n):
                    tx[i] = x[i] + f * kx[stage - 1, i]
                    tw[i] = w[i] + f * kw[stage - 1, i]
                _full_rhs(
                    tx,
                    tw,
                    period,
                    width,
                    fixed,
                    velocity,
                    burgers,
                    viscosity,
                    kx[stage],
                    kw[stage],
                    xs,
                    ws,
                    cw,
                    tab,
                )
            for i in range(n):
                x[i] += h / 6.0 * (kx[0, i] + 2.0 * kx[1, i] + 2.0 * kx[2, i] + kx[3, i])
                w[i] += h / 6.0 * (kw[0, i] + 2.0 * kw[1, i] + 2.0 * kw[2, i] + kw[3, i])
            t += h
            steps += 1
            bad = _first_crossing(x, period)
            if bad >= 0:
                return t, bad, h, steps
        X[:, out] = x
        W[:, out] = w
    return times[-1], -1, 0.0, steps


class LagrangianModel1D:
    r"""The full-order Lagrangian model ``x' = f1(w)``, ``w' = f2 D_xx(x) w``.

    Parameters
    ----------
    n : int
        Number of grid nodes.
    domain : (float, float)
        The reference interval; the initial grid is uniform on it (endpoint excluded
        when periodic).
    periodic : bool
        Periodic domain (unwrapped positions), or a free piece of the real line: the
        end nodes are fluid particles like the others (they move at ``f1`` and
        diffuse through one-sided stencils), which is exact as long as the solution
        is constant near the ends (a front between two constant states). Outside the
        moving grid :meth:`to_fixed_grid` takes the end values (the inflow states).
    width : int
        Stencil width of ``D_xx`` (odd, 3 gives second order).

    Attributes
    ----------
    x0 : numpy.ndarray, shape (n,)
        The initial (reference) grid.
    period : float or None

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples.lagrangian_1d import LagrangianModel1D, gaussian_pulse
    >>> model = LagrangianModel1D(200)
    >>> X, W = model.solve(gaussian_pulse(model.x0, 0.0), np.linspace(0, 0.5, 3), velocity=1.0)
    >>> bool(np.allclose(X[:, -1], model.x0 + 0.5)), bool(np.allclose(W[:, -1], W[:, 0]))
    (True, True)
    """

    def __init__(
        self,
        n: int = 2000,
        domain: tuple[float, float] = (0.0, 1.0),
        periodic: bool = True,
        width: int = 3,
    ) -> None:
        n = check_positive_int(n, "n", allow_none=False, minimum=3)
        width = check_positive_int(width, "width", allow_none=False, minimum=3)
        if width % 2 == 0 or width > n:
            raise ValueError(f"width: expected an odd stencil width <= n, got {width}")
        a, b = (float(v) for v in domain)
        if not b > a:
            raise ValueError(f"domain: expected (a, b) with b > a, got {domain}")
        self.n = n
        self.domain = (a, b)
        self.periodic = bool(periodic)
        self.width = width
        self.period = (b - a) if periodic else None
        self.x0 = np.linspace(a, b, n, endpoint=not periodic)

    def rhs(
        self, x: Any, w: Any, velocity: float = 1.0, burgers: float = 0.0, viscosity: float = 0.0
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(dx/dt, dw/dt)`` at grid ``x`` and state ``w`` (vectorised NumPy reference)."""
        x = check_array(x, "x", shape=(self.n,), dtype_kind="f")
        w = check_array(w, "w", shape=(self.n,), dtype_kind="f")
        dx = velocity + burgers * w
        if viscosity == 0.0:
            return dx, np.zeros(self.n)
        dw = viscosity * second_derivative(x, w, self.width, self.period)
        return dx, dw

    def solve(
        self,
        w0: Any,
        times: Any,
        velocity: float = 1.0,
        burgers: float = 0.0,
        viscosity: float = 0.0,
        dt: float | None = None,
        x0: Any = None,
        method: str = "rk4",
        rtol: float = 1e-8,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Integrate from ``(x0, w0)`` and return the grid and state snapshots.

        Parameters
        ----------
        w0 : array, shape (n,)
            Initial state at the initial grid.
        times : array, shape (nt,)
            Increasing output times, ``times[0]`` the initial time.
        velocity, burgers : float
            The flux speed ``f1(w) = velocity + burgers * w``.
        viscosity : float
            ``f2 >= 0``.
        dt : float, optional
            Fixed RK4 step (rounded down to divide each output interval). By default
            the largest step allowed by the diffusion stability bound and by half the
            time neighbouring nodes need to meet, re-evaluated at every step.
        x0 : array, shape (n,), optional
            Initial grid (default: the uniform reference grid).
        method : {"rk4", "bdf"}
            Explicit RK4 (compiled; for convection-diffusion, where the grid keeps its
            spacing), or the implicit BDF of :func:`scipy.integrate.solve_ivp` with the
            banded Jacobian sparsity (for Burgers: the nodes cluster exponentially
            inside a viscous front and the explicit diffusion limit ``h_min^2 / f2``
            collapses; ``rtol`` is its relative tolerance).

        Returns
        -------
        X, W : numpy.ndarray, shape (n, nt)

        Raises
        ------
        rom.lagrangian.GridCrossingError
            When a step moves a node onto or past its neighbour.
        """
        w0 = check_array(w0, "w0", shape=(self.n,), dtype_kind="f")
        times = _check_times(times)
        x0 = self.x0 if x0 is None else check_array(x0, "x0", shape=(self.n,), dtype_kind="f")
        if viscosity < 0:
            raise ValueError(f"viscosity: expected a value >= 0, got {viscosity}")
        if dt is not None and not dt > 0:
            raise ValueError(f"dt: expected a positive time step, got {dt}")
        method = check_choice(method, "method", ("rk4", "bdf"))
        if method == "bdf":
            return self._solve_bdf(w0, x0, times, velocity, burgers, viscosity, rtol)
        X = np.empty((self.n, times.size))
        W = np.empty((self.n, times.size))
        t, bad, h, _ = _integrate_full(
            np.ascontiguousarray(x0, dtype=float),
            np.ascontiguousarray(w0, dtype=float),
            times,
            float(dt) if dt is not None else -1.0,
            float(self.period) if self.period is not None else -1.0,
            self.width,
            False,
            float(velocity),
            float(burgers),
            float(viscosity),
            X,
            W,
        )
        if bad >= 0:
            if dt is None:
                message = (
                    f"the Lagrangian grid tangles at t = {t:.6g}: nodes {bad - 1} and {bad} "
                    f"meet (the adaptive step fell to {h:.1e}); the characteristics cross "
                    "(a shock forms) and the Lagrangian frame does not hold past that time"
                )
            else:
                message = (
                    f"dt: the Lagrangian grid crossed itself at t = {t:.6g} (node {bad}) "
                    f"with time step {h:.3g}; take a smaller dt (or dt=None, the adaptive "
                    "step). If it persists as dt -> 0, the characteristics cross"
                )
            raise GridCrossingError(message, time=t, index=int(bad))
        return X, W

    def _solve_bdf(self, w0, x0, times, velocity, burgers, viscosity, rtol):
        from scipy.integrate import solve_ivp

        n, width = self.n, self.width
        period = float(self.period) if self.period is not None else -1.0
        scratch = (np.empty(width), np.empty(width), np.empty(width), np.empty((width, 3)))
        dx, dw = np.empty(n), np.empty(n)

        def f(t, y):
            _full_rhs(
                y[:n],
                y[n:],
                period,
                width,
                False,
                float(velocity),
                float(burgers),
                float(viscosity),
                dx,
                dw,
                *scratch,
            )
            return np.concatenate([dx, dw])

        index, _, _ = stencils(n, width, self.period)
        rows = np.repeat(np.arange(n), width)
        cols = index.ravel()
        pattern = scipy.sparse.coo_matrix(
            (
                np.ones(4 * rows.size + n),
                (
                    np.r_[rows + n, rows + n, np.arange(n), rows, rows],
                    np.r_[cols, cols + n, np.arange(n) + n, cols, cols + n],
                ),
            ),
            shape=(2 * n, 2 * n),
        ).tocsr()
        pattern.data[:] = 1.0
        sol = solve_ivp(
            f,
            (times[0], times[-1]),
            np.concatenate([x0, w0]),
            method="BDF",
            t_eval=times,
            rtol=rtol,
            atol=rtol * 1e-2,
            jac_sparsity=pattern,
        )
        if sol.status != 0 or sol.y.shape[1] != times.size:
            raise RuntimeError(f"LagrangianModel1D.solve: BDF failed: {sol.message}")
        X, W = sol.y[:n], sol.y[n:]
        for k in range(times.size):
            bad = _first_crossing(np.ascontiguousarray(X[:, k]), period)
            if bad >= 0:
                raise GridCrossingError(
                    f"the Lagrangian grid crossed itself by t = {times[k]:.6g} (node {bad}): "
                    "the characteristics cross (a shock forms) faster than viscosity "
                    "separates them; the Lagrangian frame does not hold past that time",
                    time=float(times[k]),
                    index=int(bad),
                )
        return X, W

    def to_fixed_grid(self, X: Any, W: Any, y: Any = None, kind: str = "cubic") -> np.ndarray:
        """Interpolate moving-grid snapshots onto fixed points ``y`` (default ``x0``)."""
        return to_fixed_grid(X, W, self.x0 if y is None else y, self.period, kind)


def _check_times(times: Any) -> np.ndarray:
    times = check_array(times, "times", ndim=1, dtype_kind="f")
    if times.size < 2 or not (np.diff(times) > 0).all():
        raise ValueError("times: expected at least 2 strictly increasing times")
    return np.ascontiguousarray(times, dtype=float)


# ------------------------------------------------------------------------ Eulerian
class EulerianConvection1D:
    r"""``w_t + c w_y = nu w_yy`` on a fixed periodic grid (fourth-order central).

    The semi-discrete system is ``w' = A(c, nu) w`` with
    ``A = -c D_y + nu D_yy``, both circulant fourth-order central differences; RK4 in
    time with the step set by the RK4 stability region (the spectrum of ``A``).

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples.lagrangian_1d import EulerianConvection1D, gaussian_pulse
    >>> model = EulerianConvection1D(400)
    >>> W = model.solve(gaussian_pulse(model.x, 0.0), np.array([0.0, 0.25]), velocity=1.0)
    >>> bool(np.abs(W[:, -1] - gaussian_pulse(model.x, 0.25)).max() < 1e-3)
    True
    """

    def __init__(self, n: int = 2000, domain: tuple[float, float] = (0.0, 1.0)) -> None:
        n = check_positive_int(n, "n", allow_none=False, minimum=5)
        a, b = (float(v) for v in domain)
        if not b > a:
            raise ValueError(f"domain: expected (a, b) with b > a, got {domain}")
        self.n = n
        self.domain = (a, b)
        self.period = b - a
        self.x = np.linspace(a, b, n, endpoint=False)
        h = self.period / n
        self.h = h
        self._d1 = _circulant(n, [1 / 12, -2 / 3, 0.0, 2 / 3, -1 / 12], h)
        self._d2 = _circulant(n, [-1 / 12, 4 / 3, -5 / 2, 4 / 3, -1 / 12], h * h)

    def operator(self, velocity: float = 1.0, viscosity: float = 0.0) -> scipy.sparse.csr_matrix:
        """The sparse matrix ``A = -c D_y + nu D_yy``."""
        return (-velocity * self._d1 + viscosity * self._d2).tocsr()

    def rhs(self, w: Any, velocity: float = 1.0, viscosity: float = 0.0) -> np.ndarray:
        """``A w``."""
        w = check_array(w, "w", shape=(self.n,), dtype_kind="f")
        return self.operator(velocity, viscosity) @ w

    def solve(
        self,
        w0: Any,
        times: Any,
        velocity: float = 1.0,
        viscosity: float = 0.0,
        dt: float | None = None,
    ) -> np.ndarray:
        """Integrate with RK4 and return the snapshots at ``times``, shape (n, nt)."""
        w0 = check_array(w0, "w0", shape=(self.n,), dtype_kind="f")
        times = _check_times(times)
        A = self.operator(velocity, viscosity)
        # spectrum of the circulant: |lambda| <= |c| * 1.372 / h + nu * 16 / (3 h^2)
        radius = abs(velocity) * 1.3722 / self.h + viscosity * 16.0 / (3.0 * self.h**2)
        limit = 2.5 / radius if radius > 0 else np.inf
        dt = limit if dt is None else float(dt)
        out = np.empty((self.n, times.size))
        w = w0.astype(float).copy()
        out[:, 0] = w
        for k in range(1, times.size):
            span = times[k] - times[k - 1]
            m = max(1, math.ceil(span / dt - 1e-9))
            h = span / m
            for _ in range(m):
                k1 = A @ w
                k2 = A @ (w + 0.5 * h * k1)
                k3 = A @ (w + 0.5 * h * k2)
                k4 = A @ (w + h * k3)
                w = w + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
            out[:, k] = w
        return out


def _circulant(n: int, coefficients: list[float], scale: float) -> scipy.sparse.csr_matrix:
    half = len(coefficients) // 2
    rows = np.repeat(np.arange(n), len(coefficients))
    cols = (rows + np.tile(np.arange(-half, half + 1), n)) % n
    vals = np.tile(np.asarray(coefficients) / scale, n)
    return scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))
