"""Numba kernels of the clustering: explicit pair differences and the k-medoids steps.

Compiled on first use and cached on disk; nothing is compiled at import of ``rom``.
"""

from __future__ import annotations

import numba
import numpy as np

from rom.backend import register_kernel_cache

register_kernel_cache()  # compiled kernels are cached outside the package


@numba.njit(parallel=True, cache=True)
def pair_difference_norms(U, V, rows, cols, su, sv, chunk):  # pragma: no cover - compiled
    """``||sv[p] * V[:, cols[p]] - su[p] * U[:, rows[p]]||_2`` for every pair ``p``.

    ``U`` and ``V`` are C-ordered (rows are contiguous): each thread streams the rows
    once for its chunk of pairs, whose accumulators stay in cache.
    """
    n = U.shape[0]
    n_pairs = rows.shape[0]
    out = np.zeros(n_pairs)
    n_chunks = (n_pairs + chunk - 1) // chunk
    for c in numba.prange(n_chunks):
        start = c * chunk
        stop = min(start + chunk, n_pairs)
        acc = np.zeros(stop - start)
        for k in range(n):
            for p in range(start, stop):
                d = sv[p] * V[k, cols[p]] - su[p] * U[k, rows[p]]
                acc[p - start] += d * d
        for p in range(start, stop):
            out[p] = np.sqrt(acc[p - start])
    return out


@numba.njit(cache=True)
def nearest_two(D, medoids):  # pragma: no cover - compiled
    """Nearest medoid (position in ``medoids``), its dissimilarity and the second one.

    O(m k): serial, a thread team would cost more than the work.
    """
    m = D.shape[0]
    k = medoids.shape[0]
    nearest = np.zeros(m, dtype=np.int64)
    d1 = np.full(m, np.inf)
    d2 = np.full(m, np.inf)
    for i in range(k):
        row = medoids[i]
        for o in range(m):
            d = D[row, o]
            if d < d1[o]:
                d2[o] = d1[o]
                d1[o] = d
                nearest[o] = i
            elif d < d2[o]:
                d2[o] = d
    # a medoid always belongs to its own cluster (ties with a duplicate point)
    for i in range(k):
        o = medoids[i]
        if nearest[o] != i:
            d2[o] = d1[o]
            nearest[o] = i
            d1[o] = 0.0
    return nearest, d1, d2


@numba.njit(inline="always")
def _swap_candidate(D, nearest, d1, d2, k, c, own):  # pragma: no cover - compiled
    """Best medoid to replace by ``c`` and the change of the total cost (see below)."""
    m = D.shape[0]
    for i in range(k):
        own[i] = 0.0
    shared = 0.0
    for o in range(m):
        doc = D[c, o]
        a = doc - d1[o]
        if a > 0.0:
            a = 0.0
        shared += a
        b = (doc if doc < d2[o] else d2[o]) - d1[o]
        own[nearest[o]] += b - a
    best = np.inf
    arg = -1
    for i in range(k):
        v = shared + own[i]
        if v < best:
            best = v
            arg = i
    return best, arg


@numba.njit(cache=True)
def best_swaps_serial(D, is_medoid, nearest, d1, d2, k):  # pragma: no cover - compiled
    """Serial :func:`best_swaps` (small problems)."""
    m = D.shape[0]
    delta = np.full(m, np.inf)
    which = np.full(m, -1, dtype=np.int64)
    own = np.zeros(k)
    for c in range(m):
        if not is_medoid[c]:
            delta[c], which[c] = _swap_candidate(D, nearest, d1, d2, k, c, own)
    return delta, which


@numba.njit(parallel=True, cache=True)
def best_swaps(D, is_medoid, nearest, d1, d2, k):  # pragma: no cover - compiled
    """For every non-medoid candidate ``c``: the best medoid to swap out and the change.

    The change of the total cost when medoid ``i`` is replaced by ``c`` is
    ``shared + own[i]`` with ``shared = sum_o min(D[c, o] - d1[o], 0)`` and
    ``own[i] = sum_{o: nearest[o] = i} (min(D[c, o], d2[o]) - d1[o]) - min(D[c, o] - d1[o], 0)``
    (the FastPAM1 decomposition of Schubert and Rousseeuw): O(m) per candidate, the
    candidates in parallel.
    """
    m = D.shape[0]
    delta = np.full(m, np.inf)
    which = np.full(m, -1, dtype=np.int64)
    for c in numba.prange(m):
        if not is_medoid[c]:
            own = np.zeros(k)
            delta[c], which[c] = _swap_candidate(D, nearest, d1, d2, k, c, own)
    return delta, which


@numba.njit(cache=True)
def update_medoids(D, labels, medoids):  # pragma: no cover - compiled
    """One alternating step: each medoid moves to the member of least total dissimilarity
    to its cluster (only on a strict decrease). Returns whether a medoid moved."""
    m = D.shape[0]
    k = medoids.shape[0]
    counts = np.zeros(k + 1, dtype=np.int64)
    for o in range(m):
        counts[labels[o] + 1] += 1
    starts = np.cumsum(counts)
    fill = starts[:-1].copy()
    order = np.empty(m, dtype=np.int64)
    for o in range(m):
        order[fill[labels[o]]] = o
        fill[labels[o]] += 1
    changed = False
    for i in range(k):
        members = order[starts[i] : starts[i + 1]]
        current = 0.0
        for b in members:
            current += D[medoids[i], b]
        best = current
        arg = medoids[i]
        for a in members:
            s = 0.0
            for b in members:
                s += D[a, b]
            if s < best:
                best = s
                arg = a
        if arg != medoids[i]:
            medoids[i] = arg
            changed = True
    return changed


@numba.njit(cache=True)
def eager_swaps(D, medoids, max_swaps, tol):  # pragma: no cover - compiled
    """Swap phase with eager swapping (FasterPAM, Schubert and Rousseeuw 2021).

    Candidates are visited in turn; the best swap of a candidate is applied as soon as
    it lowers the cost by more than ``tol``. The phase ends when a full round of
    ``m`` candidates brings no improvement (a local optimum for single swaps), or
    after ``max_swaps`` swaps. ``medoids`` is updated in place; returns the swaps.
    """
    m = D.shape[0]
    k = medoids.shape[0]
    is_medoid = np.zeros(m, dtype=np.bool_)
    for i in range(k):
        is_medoid[medoids[i]] = True
    nearest, d1, d2 = nearest_two(D, medoids)
    own = np.zeros(k)
    n_swaps = 0
    quiet = 0
    c = 0
    while quiet < m and n_swaps < max_swaps:
        if not is_medoid[c]:
            delta, i = _swap_candidate(D, nearest, d1, d2, k, c, own)
            if delta < -tol:
                is_medoid[medoids[i]] = False
                is_medoid[c] = True
                medoids[i] = c
                nearest, d1, d2 = nearest_two(D, medoids)
                n_swaps += 1
                quiet = 0
        quiet += 1
        c += 1
        if c == m:
            c = 0
    return n_swaps
