"""k-means on the Gram matrix of the snapshots: Lloyd's iteration (Euclidean centroids)
or k-lines (best line of each cluster, for the sine of the angle).

Everything works on the m x m Gram matrix ``G = S^H M S``: a centre is a combination
``S w`` of the snapshots, so no step touches the n dofs.
"""

from __future__ import annotations

import math

import numpy as np


def _lines(G, labels, k):
    """Best line of each cluster: dominant eigenvector of its (normalised) Gram block.

    Returns ``W`` (m, k) with the unit centre of cluster ``i`` equal to ``U W[:, i]``
    (``U`` the unit snapshots).
    """
    m = G.shape[0]
    W = np.zeros((m, k), dtype=G.dtype)
    for i in range(k):
        members = np.flatnonzero(labels == i)
        if members.size == 0:
            continue
        w, V = np.linalg.eigh(G[np.ix_(members, members)])
        lam = max(float(w[-1]), np.finfo(float).tiny)
        W[members, i] = V[:, -1] / math.sqrt(lam)
    return W


def _means(labels, k, m, dtype):
    W = np.zeros((m, k), dtype=dtype)
    counts = np.bincount(labels, minlength=k)
    W[np.arange(m), labels] = 1.0 / np.maximum(counts[labels], 1)
    return W


def _costs(G, W, lines):
    """Cost of each point for each centre: sin^2 (lines) or squared distance (means)."""
    GW = G @ W
    if lines:
        return np.maximum(1.0 - np.abs(GW) ** 2, 0.0)
    diag = np.real(np.diag(G))
    centre = np.real(np.einsum("ij,ij->j", W.conj(), GW))
    return np.maximum(diag[:, None] - 2.0 * np.real(GW) + centre[None, :], 0.0)


def _point_costs(G, index, lines):
    """Cost of every point for the centre placed at the point ``index``."""
    if lines:
        return np.maximum(1.0 - np.abs(G[:, index]) ** 2, 0.0)
    diag = np.real(np.diag(G))
    return np.maximum(diag + diag[index] - 2.0 * np.real(G[:, index]), 0.0)


def kmeans_gram(G, k, *, lines, n_init, max_iter, rng):
    """Best of ``n_init`` seeded Lloyd runs on the Gram matrix.

    Returns ``labels, W, inertia, n_reseeded`` with the centres ``S W`` (``U W`` for
    lines, ``U`` the unit snapshots, ``G`` then their Gram matrix).
    """
    m = G.shape[0]
    best = None
    for _ in range(n_init):
        # k-means++ seeding on the points
        cost = _point_costs(G, int(rng.integers(m)), lines)
        seeds = [int(np.argmin(cost))]
        trials = 2 + int(math.log(k))
        for _ in range(1, k):
            total = cost.sum()
            cand = rng.choice(m, size=trials, p=cost / total) if total > 0 else [rng.integers(m)]
            options = [np.minimum(cost, _point_costs(G, int(c), lines)) for c in cand]
            j = int(np.argmin([o.sum() for o in options]))
            seeds.append(int(cand[j]))
            cost = options[j]
        labels = np.argmin(np.stack([_point_costs(G, s, lines) for s in seeds], axis=1), axis=1)
        labels[seeds] = np.arange(k)
        reseeded = 0
        for _ in range(max_iter):
            W = _lines(G, labels, k) if lines else _means(labels, k, m, G.dtype)
            C = _costs(G, W, lines)
            new = np.argmin(C, axis=1)
            counts = np.bincount(new, minlength=k)
            for i in np.flatnonzero(counts == 0):  # re-seed with the worst-served point
                own = C[np.arange(m), new]
                far = int(np.argmax(np.where(np.bincount(new, minlength=k)[new] > 1, own, -1)))
                new[far] = i
                reseeded += 1
            if np.array_equal(new, labels):
                break
            labels = new
        W = _lines(G, labels, k) if lines else _means(labels, k, m, G.dtype)
        inertia = float(_costs(G, W, lines)[np.arange(m), labels].sum())
        if best is None or inertia < best[2]:
            best = (labels, W, inertia, reseeded)
    return best
