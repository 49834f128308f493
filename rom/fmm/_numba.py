"""Numba loops of the fast multipole method: kernel values, grouped sums, Morton keys.

Every interaction of the method (direct sums, P2P, M2P, P2L, and the kernel sums that
give multipoles and evaluate local expansions) is one *grouped sum*: target groups
(contiguous ranges of target points), each with a list of source groups (contiguous
ranges of source points); the loop runs in parallel over target groups, so that every
output row is written by one thread only, and keeps one accumulator per charge vector.
Charges are stored charge-major, shape ``(k, n)``.

Built-in kernels are selected by an integer id inside one compiled scalar function,
so that the loops compile once (cached on disk) for all of them, one specialisation
for the real kernels and one for the complex ones (chosen by the dtype of the output,
:func:`kernel_value`); user kernels get the same loops compiled around their own
function.
"""

from __future__ import annotations

import numba
import numba.extending
import numpy as np

from rom.backend import register_kernel_cache

register_kernel_cache()  # compiled kernels are cached outside the package

# built-in real kernel ids
LAPLACE, YUKAWA, GAUSSIAN, MULTIQUADRIC, INVERSE_MULTIQUADRIC = 0, 1, 2, 3, 4
MATERN12, MATERN32, MATERN52, THIN_PLATE, LOG = 5, 6, 7, 8, 9
# built-in complex kernel ids
HELMHOLTZ, HELMHOLTZ2D = 0, 1

_SQRT3 = np.sqrt(3.0)
_SQRT5 = np.sqrt(5.0)


@numba.njit(cache=True, inline="always")
def real_kernel(kid, p, d0, d1, d2):  # pragma: no cover - compiled
    """Value of the built-in real kernel ``kid`` (parameters ``p``) at a displacement."""
    r2 = d0 * d0 + d1 * d1 + d2 * d2
    if kid == GAUSSIAN:
        return np.exp(-r2 * p[0])  # p[0] = 1 / h^2
    if kid == MULTIQUADRIC:
        return np.sqrt(r2 + p[0])  # p[0] = c^2
    if kid == INVERSE_MULTIQUADRIC:
        return 1.0 / np.sqrt(r2 + p[0])
    r = np.sqrt(r2)
    if kid == LAPLACE:
        return 1.0 / r if r > 0.0 else 0.0
    if kid == YUKAWA:
        return np.exp(-p[0] * r) / r if r > 0.0 else 0.0
    if kid == MATERN12:
        return np.exp(-r * p[0])  # p[0] = 1 / length
    if kid == MATERN32:
        s = _SQRT3 * r * p[0]
        return (1.0 + s) * np.exp(-s)
    if kid == MATERN52:
        s = _SQRT5 * r * p[0]
        return (1.0 + s + s * s / 3.0) * np.exp(-s)
    if kid == THIN_PLATE:
        return r2 * np.log(r) if r > 0.0 else 0.0
    if kid == LOG:
        return np.log(r) if r > 0.0 else 0.0
    return np.nan


_EULER_GAMMA = 0.5772156649015329
# tables of the Hankel function's series, by term index k (entry 0 unused): 1/k, 1/k^2,
# the harmonic numbers, and the ratios (2k-1)^2 / (8k) of the asymptotic terms
_K = np.arange(64, dtype=np.float64)
_INV_K = np.concatenate(([0.0], 1.0 / _K[1:]))
_INV_K2 = _INV_K * _INV_K
_HARMONIC = np.cumsum(_INV_K)
_ASYMPTOTIC = np.concatenate(([0.0], (2.0 * _K[1:] - 1.0) ** 2 / (8.0 * _K[1:])))


# in this file, not a module of its own: numba's cache of the loops that call it is
# invalidated by changes to this file only
@numba.njit(cache=True)
def hankel0(x):  # pragma: no cover - compiled
    """``H0^(1)(x) = J0(x) + i Y0(x)`` for ``x > 0``, to a few 1e-15 relative.

    ``x < 2``: the power series of J0 and Y0. ``2 <= x < 16``: J_n by Miller's
    backward recurrence, normalised by ``J0 + 2 sum J_2k = 1``, and Y0 by the Neumann
    series ``(2/pi) ((log(x/2) + gamma) J0 - 2 sum (-1)^k J_2k / k)`` of the same
    values. ``x >= 16``: Hankel's asymptotic expansion, summed to its smallest term.
    """
    if x < 2.0:  # sum (-t)^k / k!^2 and the harmonic numbers, t = x^2 / 4 <= 1
        t = 0.25 * x * x
        term, j, s = 1.0, 1.0, 0.0
        for k in range(1, 64):  # 13 terms at most
            term *= -t * _INV_K2[k]
            j += term
            s -= term * _HARMONIC[k]
            if abs(term) < 1e-18:
                break
        return complex(j, (2.0 / np.pi) * ((np.log(0.5 * x) + _EULER_GAMMA) * j + s))
    if x < 16.0:
        # start high enough that J_top is negligible (above x + 20 + 4 x^(1/3)); even
        top = 2 * int(0.68 * x + 13.5)
        step = 2.0 / x
        after, f, norm, odd_sum = 0.0, 1e-30, 0.0, 0.0
        for m in range(top, 0, -1):  # f <- J_{m-1}, up to a common factor
            f, after = m * step * f - after, f
            if m % 2 == 1 and m > 1:  # J_2h, h >= 1
                h = (m - 1) // 2
                norm += 2.0 * f
                odd_sum += f * _INV_K[h] if h % 2 == 0 else -f * _INV_K[h]
        norm += f
        j = f / norm
        return complex(
            j, (2.0 / np.pi) * ((np.log(0.5 * x) + _EULER_GAMMA) * j - 2.0 * odd_sum / norm)
        )
    # H0 = sqrt(2 / (pi x)) exp(i (x - pi/4)) sum_k (-i)^k u_k, u_k = prod (2l-1)^2 / (8 l x)
    inv_x = 1.0 / x
    u, re, im = 1.0, 1.0, 0.0
    for k in range(1, 64):  # the smallest term is near k = 2x
        nxt = u * _ASYMPTOTIC[k] * inv_x
        if nxt > u or nxt < 1e-17:
            break
        u = nxt
        phase = k % 4
        if phase == 0:
            re += u
        elif phase == 1:
            im -= u
        elif phase == 2:
            re -= u
        else:
            im += u
    c, s = np.cos(x), np.sin(x)  # exp(i (x - pi/4)) sqrt(2) = (c + s) + i (s - c)
    a = np.sqrt(inv_x / np.pi)
    return complex(a * (c + s), a * (s - c)) * complex(re, im)


@numba.njit(cache=True, inline="always")
def complex_kernel(kid, p, d0, d1, d2):  # pragma: no cover - compiled
    """Value of the built-in complex kernel ``kid`` at a displacement."""
    r = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
    if kid == HELMHOLTZ:
        if r > 0.0:
            return np.exp(1j * p[0] * r) / r
        return 0j
    if kid == HELMHOLTZ2D:
        if r > 0.0:
            return hankel0(p[0] * r)
        return 0j
    return np.nan + 0j


def kernel_value(kid, p, d0, d1, d2, out):  # pragma: no cover - typed by the overload
    """The built-in kernel ``kid`` at a displacement, real or complex as ``out`` is.

    Inside compiled code only: the overload below picks :func:`real_kernel` or
    :func:`complex_kernel` from the dtype of the output array, so that one loop
    compiles to one specialisation per kernel type.
    """
    raise NotImplementedError("kernel_value runs inside compiled loops only")


@numba.extending.overload(kernel_value)
def _kernel_value(kid, p, d0, d1, d2, out):
    if isinstance(out.dtype, numba.types.Complex):
        return lambda kid, p, d0, d1, d2, out: complex_kernel(kid, p, d0, d1, d2)
    return lambda kid, p, d0, d1, d2, out: real_kernel(kid, p, d0, d1, d2)


@numba.njit(cache=True, parallel=True)
def grouped_sum(
    kid, p, tpts, tstart, tend, lptr, lsrc, spts, sstart, send, exclude, Q, out
):  # pragma: no cover - compiled
    """``out[c, i] += sum_j K(t_i - s_j) Q[c, j]`` over the listed source groups.

    The built-in real kernels for a real ``out``, the complex ones for a complex
    ``out`` (one specialisation each). One charge vector (the common case) runs a
    scalar accumulator.
    """
    k = Q.shape[0]
    for g in numba.prange(tstart.shape[0]):
        if k == 1:
            q = Q[0]
            for i in range(tstart[g], tend[g]):
                t0, t1, t2 = tpts[i, 0], tpts[i, 1], tpts[i, 2]
                a0 = 0.0
                for li in range(lptr[g], lptr[g + 1]):
                    s = lsrc[li]
                    for j in range(sstart[s], send[s]):
                        if exclude and i == j:
                            continue
                        v = kernel_value(
                            kid, p, t0 - spts[j, 0], t1 - spts[j, 1], t2 - spts[j, 2], out
                        )
                        a0 += v * q[j]
                out[0, i] += a0
            continue
        acc = np.zeros(k, dtype=out.dtype)
        for i in range(tstart[g], tend[g]):
            t0, t1, t2 = tpts[i, 0], tpts[i, 1], tpts[i, 2]
            acc[:] = 0.0
            for li in range(lptr[g], lptr[g + 1]):
                s = lsrc[li]
                for j in range(sstart[s], send[s]):
                    if exclude and i == j:
                        continue
                    v = kernel_value(
                        kid, p, t0 - spts[j, 0], t1 - spts[j, 1], t2 - spts[j, 2], out
                    )
                    for c in range(k):
                        acc[c] += v * Q[c, j]
            for c in range(k):
                out[c, i] += acc[c]


@numba.njit(cache=True, parallel=True)
def matrix(kid, p, X, Y, out):  # pragma: no cover - compiled
    """``out[i, j] = K(X_i - Y_j)``, real or complex as ``out`` is."""
    for i in numba.prange(X.shape[0]):
        for j in range(Y.shape[0]):
            out[i, j] = kernel_value(
                kid, p, X[i, 0] - Y[j, 0], X[i, 1] - Y[j, 1], X[i, 2] - Y[j, 2], out
            )


@numba.njit(cache=True, parallel=True)
def m2l_apply(Mw, Lw, src, tgt, seg, A, store, trans, scale):  # pragma: no cover - compiled
    """``Lw[c, tgt[p]] += scale * Mw[c, src[p]] @ A_o^T`` for the pairs ``p`` of offset ``o``.

    ``A_o`` is the stored matrix ``A[store[o]]``, transposed where ``trans[o]`` (the
    opposite offset's matrix: ``A_{-o} = A_o^T`` for an even kernel).

    The pairs are sorted by offset (matrix slot), then by target box;
    ``seg[o, t] : seg[o, t + 1]`` are those of the ``o``-th slot whose target box lies
    in part ``t`` of a partition of the target boxes. Each thread takes one part: it
    gathers the multipoles of its pairs, multiplies them by the offset's matrix in one
    dense product and adds the result to its own target boxes, so no two threads
    write the same row.
    """
    k, kc = Mw.shape[0], Mw.shape[2]
    for t in numba.prange(seg.shape[1] - 1):
        for o in range(seg.shape[0]):
            a, b = seg[o, t], seg[o, t + 1]
            if b == a:
                continue
            X = np.empty(((b - a) * k, kc), dtype=Mw.dtype)
            for p in range(a, b):
                for c in range(k):
                    X[(p - a) * k + c, :] = Mw[c, src[p], :]
            if trans[o]:
                Y = np.dot(X, A[store[o]])
            else:
                Y = np.dot(X, A[store[o]].T)
            for p in range(a, b):
                for c in range(k):
                    row = Y[(p - a) * k + c]
                    out = Lw[c, tgt[p]]
                    for m in range(kc):
                        out[m] += scale * row[m]


def make_user_loops(fn):
    """The grouped sum and the kernel matrix compiled around a user scalar function.

    ``fn(kid, p, d0, d1, d2)`` has the signature of :func:`real_kernel`; the loops
    are those of :func:`grouped_sum` and :func:`matrix` (closures cannot share the
    cached compiled code of the built-in ones).
    """

    @numba.njit(parallel=True)
    def grouped_sum(
        kid, p, tpts, tstart, tend, lptr, lsrc, spts, sstart, send, exclude, Q, out
    ):  # pragma: no cover - compiled
        k = Q.shape[0]
        for g in numba.prange(tstart.shape[0]):
            if k == 1:  # as in grouped_sum
                q = Q[0]
                for i in range(tstart[g], tend[g]):
                    t0, t1, t2 = tpts[i, 0], tpts[i, 1], tpts[i, 2]
                    a0 = 0.0
                    for li in range(lptr[g], lptr[g + 1]):
                        s = lsrc[li]
                        for j in range(sstart[s], send[s]):
                            if exclude and i == j:
                                continue
                            a0 += (
                                fn(kid, p, t0 - spts[j, 0], t1 - spts[j, 1], t2 - spts[j, 2])
                                * q[j]
                            )
                    out[0, i] += a0
                continue
            acc = np.zeros(k, dtype=out.dtype)
            for i in range(tstart[g], tend[g]):
                t0, t1, t2 = tpts[i, 0], tpts[i, 1], tpts[i, 2]
                acc[:] = 0.0
                for li in range(lptr[g], lptr[g + 1]):
                    s = lsrc[li]
                    for j in range(sstart[s], send[s]):
                        if exclude and i == j:
                            continue
                        v = fn(kid, p, t0 - spts[j, 0], t1 - spts[j, 1], t2 - spts[j, 2])
                        for c in range(k):
                            acc[c] += v * Q[c, j]
                for c in range(k):
                    out[c, i] += acc[c]

    @numba.njit(parallel=True)
    def matrix(kid, p, X, Y, out):  # pragma: no cover - compiled
        for i in numba.prange(X.shape[0]):
            for j in range(Y.shape[0]):
                out[i, j] = fn(kid, p, X[i, 0] - Y[j, 0], X[i, 1] - Y[j, 1], X[i, 2] - Y[j, 2])

    return grouped_sum, matrix


@numba.njit(cache=True)
def _spread(v, dim):  # pragma: no cover - compiled
    """Spread the bits of ``v`` so that ``dim - 1`` zero bits separate them."""
    out = np.int64(0)
    for b in range(31 if dim == 2 else 21):
        if (v >> b) & 1:
            out |= np.int64(1) << (dim * b)
    return out


@numba.njit(cache=True, parallel=True)
def morton_keys(pts, lo, side, dim, nbits):  # pragma: no cover - compiled
    """Morton (Z-order) keys of ``pts`` in the cube ``lo + [0, side]^dim``."""
    n = pts.shape[0]
    keys = np.empty(n, dtype=np.int64)
    top = (1 << nbits) - 1
    scale = (1 << nbits) / side
    for i in numba.prange(n):
        key = np.int64(0)
        for a in range(dim):
            q = np.int64(np.floor((pts[i, a] - lo[a]) * scale))
            q = min(max(q, 0), top)
            key |= _spread(q, dim) << (dim - 1 - a)
        keys[i] = key
    return keys


@numba.njit(cache=True)
def _lagrange_1d(nodes, t, out):  # pragma: no cover - compiled
    p = nodes.shape[0]
    for i in range(p):
        v = 1.0
        for m in range(p):
            if m != i:
                v *= (t - nodes[m]) / (nodes[i] - nodes[m])
        out[i] = v


@numba.njit(cache=True)
def _tensor_weights(nodes, x, dim, lag, w):  # pragma: no cover - compiled
    p = nodes.shape[0]
    for a in range(dim):
        _lagrange_1d(nodes, x[a], lag[a])
    total = w.shape[0]
    for m in range(total):
        v = 1.0
        rem = m
        for a in range(dim - 1, -1, -1):
            v *= lag[a, rem % p]
            rem //= p
        w[m] = v


@numba.njit(cache=True, parallel=True)
def chebyshev_p2m(nodes, dim, pts, start, end, centers, half, rows, Q, out):  # pragma: no cover
    """``out[c, rows[g] + m] += sum_j S_m((y_j - c_g) / half_g) Q[c, j]`` (tensor Lagrange)."""
    p = nodes.shape[0]
    total = p**dim
    k = Q.shape[0]
    for g in numba.prange(start.shape[0]):
        lag = np.empty((dim, p))
        w = np.empty(total)
        x = np.empty(dim)
        for j in range(start[g], end[g]):
            for a in range(dim):
                x[a] = (pts[j, a] - centers[g, a]) / half[g]
            _tensor_weights(nodes, x, dim, lag, w)
            for c in range(k):
                q = Q[c, j]
                for m in range(total):
                    out[c, rows[g] + m] += w[m] * q


@numba.njit(cache=True, parallel=True)
def chebyshev_l2p(nodes, dim, pts, start, end, centers, half, rows, L, out):  # pragma: no cover
    """``out[c, i] += sum_m S_m((x_i - c_g) / half_g) L[c, rows[g] + m]``."""
    p = nodes.shape[0]
    total = p**dim
    k = L.shape[0]
    for g in numba.prange(start.shape[0]):
        lag = np.empty((dim, p))
        w = np.empty(total)
        x = np.empty(dim)
        for i in range(start[g], end[g]):
            for a in range(dim):
                x[a] = (pts[i, a] - centers[g, a]) / half[g]
            _tensor_weights(nodes, x, dim, lag, w)
            for c in range(k):
                acc = out[c, i] * 0
                for m in range(total):
                    acc += w[m] * L[c, rows[g] + m]
                out[c, i] += acc


@numba.njit(cache=True, nogil=True, fastmath={"contract"})
def squared_distances(X, YT, out):  # pragma: no cover - compiled
    """``out[i, j] = |X_i - Y_j|^2`` with ``YT`` the (3, m) transposed sources; runs
    without the GIL, so that row blocks can share the cores."""
    for i in range(X.shape[0]):
        x0, x1, x2 = X[i, 0], X[i, 1], X[i, 2]
        for j in range(YT.shape[1]):
            d0 = x0 - YT[0, j]
            d1 = x1 - YT[1, j]
            d2 = x2 - YT[2, j]
            out[i, j] = d0 * d0 + d1 * d1 + d2 * d2


@numba.njit(cache=True, parallel=True)
def mutual_sum_real(kid, p, pts, start, end, A, B, cuts, Q, out):  # pragma: no cover
    """Near-field sums of points that are both targets and sources, each kernel value
    used twice: for every pair of groups ``(A[m], B[m])`` (``A[m] <= B[m]``, each
    unordered pair listed once) ``out[:, i] += K(x_i - x_j) Q[:, j]`` and
    ``out[:, j] += K(x_j - x_i) Q[:, i]`` for ``i`` in group ``A[m]``, ``j`` in
    ``B[m]`` (``j > i`` within one group: no self-interaction). The kernel is even.

    Thread ``t`` takes the pairs ``cuts[t]:cuts[t + 1]`` and writes its own copy of the
    output; the copies are added at the end.
    """
    k, n = Q.shape
    nt = cuts.shape[0] - 1
    buf = np.zeros((nt, k, n), dtype=out.dtype)
    for t in numba.prange(nt):
        b = buf[t]
        acc = np.zeros(k, dtype=out.dtype)
        if k == 1:  # one charge vector: scalar accumulators
            q, b0 = Q[0], b[0]
            for m in range(cuts[t], cuts[t + 1]):
                a, s = A[m], B[m]
                for i in range(start[a], end[a]):
                    x0, x1, x2 = pts[i, 0], pts[i, 1], pts[i, 2]
                    qi = q[i]
                    a0 = 0.0
                    j0 = i + 1 if a == s else start[s]
                    for j in range(j0, end[s]):
                        v = real_kernel(kid, p, x0 - pts[j, 0], x1 - pts[j, 1], x2 - pts[j, 2])
                        a0 += v * q[j]
                        b0[j] += v * qi
                    b0[i] += a0
            continue
        for m in range(cuts[t], cuts[t + 1]):
            a, s = A[m], B[m]
            for i in range(start[a], end[a]):
                x0, x1, x2 = pts[i, 0], pts[i, 1], pts[i, 2]
                acc[:] = 0.0
                j0 = i + 1 if a == s else start[s]
                for j in range(j0, end[s]):
                    v = real_kernel(kid, p, x0 - pts[j, 0], x1 - pts[j, 1], x2 - pts[j, 2])
                    for c in range(k):
                        acc[c] += v * Q[c, j]
                        b[c, j] += v * Q[c, i]
                for c in range(k):
                    b[c, i] += acc[c]
    for i in numba.prange(n):
        for c in range(k):
            s = 0.0
            for t in range(nt):
                s += buf[t, c, i]
            out[c, i] += s


@numba.njit(cache=True)
def sort_pairs(tgt, src, slot, n_tgt, n_slots):  # pragma: no cover - compiled
    """``(tgt, src, slot)`` sorted by slot, then target (two stable counting sorts)."""
    n = tgt.shape[0]
    first = np.empty(n, np.int64)  # the order by target
    start = np.zeros(n_tgt + 1, np.int64)
    for i in range(n):
        start[tgt[i] + 1] += 1
    for b in range(n_tgt):
        start[b + 1] += start[b]
    for i in range(n):
        first[start[tgt[i]]] = i
        start[tgt[i]] += 1
    begin = np.zeros(n_slots + 1, np.int64)
    for i in range(n):
        begin[slot[i] + 1] += 1
    for s in range(n_slots):
        begin[s + 1] += begin[s]
    t2, s2, o2 = np.empty(n, np.int64), np.empty(n, np.int64), np.empty(n, np.int64)
    for k in range(n):
        i = first[k]
        d = begin[slot[i]]
        begin[slot[i]] += 1
        t2[d], s2[d], o2[d] = tgt[i], src[i], slot[i]
    return t2, s2, o2


@numba.njit(cache=True)
def _child_pairs(T, S, children, coords, has_tgt, has_src, near, far, write):  # pragma: no cover
    """Walk the child pairs of ``(T[p], S[p])``; with ``write``, store the adjacent ones
    in ``near`` and the others in ``far`` (shape (2, n)). Returns both counts."""
    nc = children.shape[1]
    dim = coords.shape[1]
    i = 0
    k = 0
    for p in range(T.shape[0]):
        for a in range(nc):
            ct = children[T[p], a]
            if ct < 0 or not has_tgt[ct]:
                continue
            for b in range(nc):
                cs = children[S[p], b]
                if cs < 0 or not has_src[cs]:
                    continue
                adjacent = True
                for d in range(dim):
                    if abs(coords[ct, d] - coords[cs, d]) > 1:
                        adjacent = False
                if adjacent:
                    if write:
                        near[0, i], near[1, i] = ct, cs
                    i += 1
                else:
                    if write:
                        far[0, k], far[1, k] = ct, cs
                    k += 1
    return i, k


@numba.njit(cache=True)
def split_child_pairs(T, S, children, coords, has_tgt, has_src):  # pragma: no cover
    """The child pairs of adjacent pairs ``(T[p], S[p])`` of boxes that both have
    children, split into adjacent pairs (the next level's near pairs) and the others
    (M2L pairs); children without targets (target side) or sources are dropped.
    Returns ``near`` and ``far``, each (2, n): target boxes, source boxes, in the
    order of the parent pairs. Counted first, then written."""
    none = np.empty((2, 0), np.int64)
    n_near, n_far = _child_pairs(T, S, children, coords, has_tgt, has_src, none, none, False)
    near, far = np.empty((2, n_near), np.int64), np.empty((2, n_far), np.int64)
    _child_pairs(T, S, children, coords, has_tgt, has_src, near, far, True)
    return near, far
