"""Numba kernel of the compiled online path: ROS34PW2 on ``a' = c + B a + W(a, a)``.

The whole adaptive integration runs in one compiled call: the right-hand side,
the exact Jacobian ``B + 2 W(., a)``, the LU factorisation with partial pivoting
of ``I - gamma h J``, the four stages, the error estimate and the step control of
:func:`rom.galerkin.integrate` (method ``"implicit"``, autonomous, no mass matrix),
step for step the same algorithm as the NumPy loop, so the two agree to rounding.
"""

from __future__ import annotations

import numba
import numpy as np

from rom.backend import register_kernel_cache

register_kernel_cache()  # compiled kernels are cached outside the package

#: status codes of :func:`ros34pw2_quadratic`
OK, TOO_MANY_STEPS, STEP_TOO_SMALL, SINGULAR = 0, 1, 2, 3


@numba.njit(cache=True)
def _evaluate(c, B, W, a, Wa, out):  # pragma: no cover
    """``out = c + (B + W(., a)) a`` with ``Wa = W(., a)`` (r, r) kept."""
    r = c.size
    Wa[:, :] = np.dot(W, a).reshape(r, r)  # BLAS gemv: the r^3 of the evaluation
    for p in range(r):
        acc = 0.0
        for q in range(r):
            acc += (B[p, q] + Wa[p, q]) * a[q]
        out[p] = acc + c[p]


@numba.njit(cache=True)
def _factor(Mt, piv):  # pragma: no cover
    """LU with partial pivoting in place; False if singular."""
    r = Mt.shape[0]
    for k in range(r):
        p = k
        big = abs(Mt[k, k])
        for i in range(k + 1, r):
            if abs(Mt[i, k]) > big:
                big = abs(Mt[i, k])
                p = i
        piv[k] = p
        if big == 0.0:
            return False
        if p != k:
            for j in range(r):
                tmp = Mt[k, j]
                Mt[k, j] = Mt[p, j]
                Mt[p, j] = tmp
        inv = 1.0 / Mt[k, k]
        for i in range(k + 1, r):
            Mt[i, k] *= inv
            lik = Mt[i, k]
            if lik != 0.0:
                for j in range(k + 1, r):
                    Mt[i, j] -= lik * Mt[k, j]
    return True


@numba.njit(cache=True)
def _solve(LU, piv, b, x):  # pragma: no cover
    r = b.size
    for i in range(r):
        x[i] = b[i]
    for k in range(r):
        p = piv[k]
        if p != k:
            tmp = x[k]
            x[k] = x[p]
            x[p] = tmp
    for i in range(r):
        acc = x[i]
        for j in range(i):
            acc -= LU[i, j] * x[j]
        x[i] = acc
    for i in range(r - 1, -1, -1):
        acc = x[i]
        for j in range(i + 1, r):
            acc -= LU[i, j] * x[j]
        x[i] = acc / LU[i, i]


@numba.njit(cache=True)
def ros34pw2_quadratic(
    c, B, W, y0, times, rtol, atol, h, max_steps, global_norm, gamma, A, C, m, e
):  # pragma: no cover
    """Integrate; return ``(states, steps, accepted, rejected, status, t, h)``."""
    r = y0.size
    s = m.size
    out = np.empty((r, times.size))
    out[:, 0] = y0
    t = times[0]
    y = y0.copy()
    f = np.empty(r)
    Wa_y = np.empty((r, r))
    Wa = np.empty((r, r))
    _evaluate(c, B, W, y, Wa_y, f)
    U = np.empty((s, r))
    LU = np.empty((r, r))
    piv = np.empty(r, dtype=np.int64)
    yi = np.empty(r)
    rhs = np.empty(r)
    x = np.empty(r)
    y_new = np.empty(r)
    err_v = np.empty(r)
    steps = 0
    accepted = 0
    rejected = 0
    for k in range(1, times.size):
        t_end = times[k]
        while t < t_end:
            if steps >= max_steps:
                return out, steps, accepted, rejected, TOO_MANY_STEPS, t, h
            last = h >= t_end - t
            step = t_end - t if last else h
            scale = gamma * step
            for p in range(r):
                for q in range(r):
                    LU[p, q] = -scale * (B[p, q] + 2.0 * Wa_y[p, q])
                LU[p, p] += 1.0
            if not _factor(LU, piv):
                return out, steps, accepted, rejected, SINGULAR, t, h
            for i in range(s):
                if i == 0:
                    for p in range(r):
                        rhs[p] = f[p]
                else:
                    for p in range(r):
                        acc = y[p]
                        for j in range(i):
                            acc += A[i, j] * U[j, p]
                        yi[p] = acc
                    _evaluate(c, B, W, yi, Wa, rhs)
                    for p in range(r):
                        acc = 0.0
                        for j in range(i):
                            acc += (C[i, j] / step) * U[j, p]
                        rhs[p] += acc
                _solve(LU, piv, rhs, x)
                for p in range(r):
                    U[i, p] = scale * x[p]
            for p in range(r):
                acc = 0.0
                acc_e = 0.0
                for i in range(s):
                    acc += m[i] * U[i, p]
                    acc_e += e[i] * U[i, p]
                y_new[p] = y[p] + acc
                err_v[p] = acc_e
            if global_norm:
                ny = 0.0
                nn = 0.0
                ne = 0.0
                for p in range(r):
                    ny += y[p] * y[p]
                    nn += y_new[p] * y_new[p]
                    ne += err_v[p] * err_v[p]
                err = np.sqrt(ne) / (atol + rtol * np.sqrt(max(ny, nn)))
            else:
                acc = 0.0
                for p in range(r):
                    w = atol + rtol * max(abs(y[p]), abs(y_new[p]))
                    acc += (err_v[p] / w) ** 2
                err = np.sqrt(acc / r)
            steps += 1
            if not err <= np.inf:
                err = np.inf
            if err == 0.0:
                factor = 5.0
            else:
                factor = min(5.0, max(0.2, 0.9 * err ** (-1.0 / 3.0)))
            if err <= 1.0:
                t = t_end if last else t + step
                for p in range(r):
                    y[p] = y_new[p]
                _evaluate(c, B, W, y, Wa_y, f)
                accepted += 1
                if not last or factor < 1.0:
                    h = step * factor
            else:
                rejected += 1
                h = step * factor
            if h < 1e-14 * max(1.0, abs(t)):
                return out, steps, accepted, rejected, STEP_TOO_SMALL, t, h
        out[:, k] = y
    return out, steps, accepted, rejected, OK, t, h
