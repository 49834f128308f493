"""Compiled kernels of rom.lagrangian: Fornberg rows and the RK4 loops of the ROMs.

Imported on first use (never by ``import rom``). Every integrator returns a status:
``0`` done, ``1`` the grid crossed itself (nodes ``row`` of the stencil, at ``time``),
``2`` the state stopped being finite.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from rom.backend import register_kernel_cache
from rom.lagrangian.kernels import RK4_STABLE
from rom.lagrangian.kernels import second_derivative_weights as d2_row

register_kernel_cache()  # compiled kernels are cached outside the package


@numba.njit(cache=True)
def _rom_rhs(
    a, b, xref, Px, Pw, center, E, g0, Mb, viscosity, da, db, xs, ws, cw, g, tab
):  # pragma: no cover
    """Right-hand side of the hyper-reduced Lagrangian ROM; returns a crossing row or -1."""
    m, k, rx = Px.shape
    rw = Pw.shape[2]
    bad = -1
    for j in range(m):  # the stencils are checked even without diffusion
        for l in range(k):
            s = xref[j, l]
            for q in range(rx):
                s += Px[j, l, q] * b[q]
            xs[l] = s
        for l in range(k - 1):
            if not xs[l + 1] > xs[l]:
                return j
        if viscosity != 0.0:
            for l in range(k):
                t = 0.0
                for q in range(rw):
                    t += Pw[j, l, q] * a[q]
                ws[l] = t
            d2_row(xs, center[j], cw, tab)
            s = 0.0
            for l in range(k):
                s += cw[l] * ws[l]
            g[j] = s
    if viscosity != 0.0:
        for i in range(rw):
            s = 0.0
            for j in range(m):
                s += E[i, j] * g[j]
            da[i] = viscosity * s
    else:
        for i in range(rw):
            da[i] = 0.0
    for i in range(rx):
        s = g0[i]
        for q in range(rw):
            s += Mb[i, q] * a[q]
        db[i] = s
    return bad


@numba.njit(cache=True)
def _rom_stiffness(b, xref, Px, Pw, center, E, viscosity, xs, cw, tab):  # pragma: no cover
    """Infinity norm of the reduced diffusion matrix ``viscosity * E D(b) Pw``."""
    m, k, rx = Px.shape
    rw = Pw.shape[2]
    D = np.zeros((m, rw))
    for j in range(m):
        for l in range(k):
            s = xref[j, l]
            for q in range(rx):
                s += Px[j, l, q] * b[q]
            xs[l] = s
        for l in range(k - 1):
            if not xs[l + 1] > xs[l]:
                return np.inf
        d2_row(xs, center[j], cw, tab)
        for l in range(k):
            for q in range(rw):
                D[j, q] += cw[l] * Pw[j, l, q]
    K = E @ D
    best = 0.0
    for i in range(rw):
        s = 0.0
        for q in range(rw):
            s += abs(K[i, q])
        best = max(best, s)
    return abs(viscosity) * best


@numba.njit(cache=True)
def rom_integrate(
    a0, b0, times, dt_max, xref, Px, Pw, center, E, g0, Mb, viscosity, A, B
):  # pragma: no cover
    """Classical RK4 of the Lagrangian ROM, writing the states at ``times`` into A, B.

    Returns ``(status, time, row)`` (see the module docstring) and the number of steps.
    """
    m, k, rx = Px.shape
    rw = Pw.shape[2]
    xs = np.empty(k)
    ws = np.empty(k)
    cw = np.empty(k)
    tab = np.empty((k, 3))
    g = np.empty(m)
    a = a0.copy()
    b = b0.copy()
    k1a = np.empty(rw)
    k2a = np.empty(rw)
    k3a = np.empty(rw)
    k4a = np.empty(rw)
    k1b = np.empty(rx)
    k2b = np.empty(rx)
    k3b = np.empty(rx)
    k4b = np.empty(rx)
    ta = np.empty(rw)
    tb = np.empty(rx)
    A[:, 0] = a
    B[:, 0] = b
    steps = 0
    for out in range(1, times.shape[0]):
        span = times[out] - times[out - 1]
        dt = dt_max
        if viscosity != 0.0:
            stiff = _rom_stiffness(b, xref, Px, Pw, center, E, viscosity, xs, cw, tab)
            if stiff == np.inf:
                return 1, times[out - 1], 0, steps
            if stiff > 0:
                dt = min(dt, RK4_STABLE / stiff)
        n_sub = max(1, math.ceil(span / dt - 1e-9))
        h = span / n_sub
        t = times[out - 1]
        for _ in range(n_sub):
            bad = _rom_rhs(
                a, b, xref, Px, Pw, center, E, g0, Mb, viscosity, k1a, k1b, xs, ws, cw, g, tab
            )
            if bad >= 0:
                return 1, t, bad, steps
            for i in range(rw):
                ta[i] = a[i] + 0.5 * h * k1a[i]
            for i in range(rx):
                tb[i] = b[i] + 0.5 * h * k1b[i]
            bad = _rom_rhs(
                ta, tb, xref, Px, Pw, center, E, g0, Mb, viscosity, k2a, k2b, xs, ws, cw, g, tab
            )
            if bad >= 0:
                return 1, t, bad, steps
            for i in range(rw):
                ta[i] = a[i] + 0.5 * h * k2a[i]
            for i in range(rx):
                tb[i] = b[i] + 0.5 * h * k2b[i]
            bad = _rom_rhs(
                ta, tb, xref, Px, Pw, center, E, g0, Mb, viscosity, k3a, k3b, xs, ws, cw, g, tab
            )
            if bad >= 0:
                return 1, t, bad, steps
            for i in range(rw):
                ta[i] = a[i] + h * k3a[i]
            for i in range(rx):
                tb[i] = b[i] + h * k3b[i]
            bad = _rom_rhs(
                ta, tb, xref, Px, Pw, center, E, g0, Mb, viscosity, k4a, k4b, xs, ws, cw, g, tab
            )
            if bad >= 0:
                return 1, t, bad, steps
            for i in range(rw):
                a[i] += h / 6.0 * (k1a[i] + 2.0 * k2a[i] + 2.0 * k3a[i] + k4a[i])
            for i in range(rx):
                b[i] += h / 6.0 * (k1b[i] + 2.0 * k2b[i] + 2.0 * k3b[i] + k4b[i])
            t += h
            steps += 1
        for i in range(rw):
            if not math.isfinite(a[i]):
                return 2, t, -1, steps
        A[:, out] = a
        B[:, out] = b
    return 0, times[-1], -1, steps


@numba.njit(cache=True)
def _quadratic_rhs(a, c, L, H, out):  # pragma: no cover
    r = a.shape[0]
    for i in range(r):
        s = c[i]
        for j in range(r):
            s += L[i, j] * a[j]
        out[i] = s
    if H.shape[0]:
        for i in range(r):
            s = 0.0
            for j in range(r):
                t = 0.0
                for q in range(r):
                    t += H[i, j, q] * a[q]
                s += t * a[j]
            out[i] += s


@numba.njit(cache=True)
def quadratic_integrate(a0, times, dt_max, c, L, H, A, courant):  # pragma: no cover
    """RK4 of ``a' = c + L a + H(a, a)`` (the Eulerian POD-Galerkin ROM)."""
    r = a0.shape[0]
    a = a0.copy()
    k1 = np.empty(r)
    k2 = np.empty(r)
    k3 = np.empty(r)
    k4 = np.empty(r)
    tmp = np.empty(r)
    A[:, 0] = a
    steps = 0
    for out in range(1, times.shape[0]):
        span = times[out] - times[out - 1]
        J = L.copy()
        if H.shape[0]:
            for i in range(r):
                for j in range(r):
                    s = 0.0
                    for q in range(r):
                        s += (H[i, j, q] + H[i, q, j]) * a[q]
                    J[i, j] += s
        norm = 0.0
        for i in range(r):
            s = 0.0
            for j in range(r):
                s += abs(J[i, j])
            norm = max(norm, s)
        dt = dt_max
        if norm > 0:
            dt = min(dt, courant / norm)
        n_sub = max(1, math.ceil(span / dt - 1e-9))
        h = span / n_sub
        for _ in range(n_sub):
            _quadratic_rhs(a, c, L, H, k1)
            for i in range(r):
                tmp[i] = a[i] + 0.5 * h * k1[i]
            _quadratic_rhs(tmp, c, L, H, k2)
            for i in range(r):
                tmp[i] = a[i] + 0.5 * h * k2[i]
            _quadratic_rhs(tmp, c, L, H, k3)
            for i in range(r):
                tmp[i] = a[i] + h * k3[i]
            _quadratic_rhs(tmp, c, L, H, k4)
            for i in range(r):
                a[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i])
            steps += 1
        for i in range(r):
            if not math.isfinite(a[i]):
                return 2, steps
        A[:, out] = a
    return 0, steps
