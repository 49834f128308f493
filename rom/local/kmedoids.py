"""k-medoids on a precomputed dissimilarity matrix: k-medoids++ seeding, alternating
updates, then PAM swaps (numba kernels)."""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.validation import check_array, check_positive_int

__all__ = ["KMedoids", "total_cost"]

logger = logging.getLogger("rom.local.kmedoids")

#: number of points from which a swap sweep runs on several threads
PARALLEL_FROM = 1000


def _check_dissimilarity(D: Any) -> np.ndarray:
    D = check_array(D, "D", ndim=2, dtype_kind="f")
    if D.shape[0] != D.shape[1]:
        raise ValueError(f"D: expected a square dissimilarity matrix, got shape {D.shape}")
    if bool((D < 0).any()):
        raise ValueError("D: dissimilarities must be non-negative")
    if not np.array_equal(D, D.T):
        scale = float(D.max())
        if not np.allclose(D, D.T, rtol=0, atol=1e-12 * max(scale, 1e-300)):
            raise ValueError("D: expected a symmetric dissimilarity matrix")
        D = (D + D.T) / 2
    if bool(np.any(np.diag(D) != 0)):
        raise ValueError(
            "D: expected zeros on the diagonal (the dissimilarity of a point to itself)"
        )
    return np.ascontiguousarray(D, dtype=np.float64)


def total_cost(D: Any, medoids: Any) -> float:
    """Sum over the points of the dissimilarity to their nearest medoid.

    Parameters
    ----------
    D : array, shape (m, m)
        Symmetric dissimilarity matrix.
    medoids : sequence of int
        Indices of the medoids.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from rom.local import total_cost
    >>> x = np.array([0.0, 1.0, 5.0, 6.0])
    >>> total_cost(np.abs(x[:, None] - x[None, :]), [0, 2])
    2.0
    """
    D = np.asarray(D, dtype=float)
    idx = np.asarray(medoids, dtype=np.int64)
    if idx.ndim != 1 or idx.size == 0 or idx.min() < 0 or idx.max() >= D.shape[0]:
        raise ValueError(f"medoids: expected indices in [0, {D.shape[0]}), got {medoids!r}")
    return float(D[idx].min(axis=0).sum())


class KMedoids(Estimator):
    r"""k-medoids clustering on a precomputed dissimilarity matrix.

    Minimises the total cost :math:`\sum_o \min_{i} D(o, m_i)` over sets of
    ``n_clusters`` medoids :math:`m_i` taken among the points. Each of ``n_init`` runs
    seeds with k-medoids++, optionally alternates assignment and medoid update (Park
    and Jun; by default only without a swap phase: before swaps the alternating steps
    cost more than they save and lead more often to a worse local optimum), then runs
    the swap phase of PAM with the O(m) best-swap search of FastPAM1:
    ``swap="eager"`` (FasterPAM) applies an improving swap at once, ``swap="best"``
    (classical PAM) the best swap of a full sweep (the derivations are on the theory
    page *Local reduced bases*). Either way the result is a local optimum for single
    swaps; the best of the runs is kept.

    A medoid always belongs to its own cluster, so no cluster is ever empty; when
    the points hold fewer distinct values than ``n_clusters``, some medoids coincide
    (dissimilarity 0) and a warning says so (``n_duplicate_medoids_``).

    Parameters
    ----------
    n_clusters : int
        Number of clusters (at most the number of points).
    n_init : int
        Number of seeded runs; the one of lowest cost is kept.
    max_iter : int
        Maximum number of alternating steps per run (and ``max_iter * n_clusters``
        swaps).
    swap : {"eager", "best"} or None
        The swap phase after the alternating steps (None: none).
    random_state : int, optional
        Seed of the k-medoids++ seeding (None: fresh entropy).
    alternate : bool, optional
        Whether to run the alternating steps before the swap phase (default: only
        when ``swap`` is None).

    Attributes
    ----------
    labels_ : numpy.ndarray of int, shape (m,)
        Cluster of each point (index into ``medoid_indices_``).
    medoid_indices_ : numpy.ndarray of int, shape (n_clusters,)
        Indices of the medoids.
    inertia_ : float
        Total cost :math:`\sum_o D(o, m_{\mathrm{label}(o)})`.
    n_iter_ : int
        Alternating steps plus swaps of the kept run.
    n_swaps_ : int
        Swaps applied in the kept run.
    n_duplicate_medoids_ : int
        Medoids at dissimilarity 0 from an earlier one (0 in a regular case).
    history_ : list of float
        Cost after seeding, after the alternating steps, and after the swap phase
        ("eager") or every swap ("best"), for the kept run.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.local import KMedoids
    >>> x = np.array([0.0, 0.1, 0.2, 5.0, 5.1, 5.2, 9.0])
    >>> km = KMedoids(3, random_state=0).fit(np.abs(x[:, None] - x[None, :]))
    >>> sorted(x[km.medoid_indices_].tolist())
    [0.1, 5.1, 9.0]
    >>> round(km.inertia_, 10)
    0.4
    """

    _fitted_marker = "medoid_indices_"

    def __init__(
        self,
        n_clusters: int,
        n_init: int = 4,
        max_iter: int = 300,
        swap: str | None = "eager",
        random_state: int | None = None,
        alternate: bool | None = None,
    ) -> None:
        self.n_clusters = n_clusters
        self.n_init = n_init
        self.max_iter = max_iter
        self.swap = swap
        self.random_state = random_state
        self.alternate = alternate

    def fit(self, D: Any) -> KMedoids:
        """Cluster the points of the symmetric dissimilarity matrix ``D`` of shape (m, m).

        Parameters
        ----------
        D : array, shape (m, m)
            Dissimilarities between the points (symmetric, zero diagonal).

        Returns
        -------
        self
        """
        k = check_positive_int(self.n_clusters, "n_clusters", allow_none=False)
        n_init = check_positive_int(self.n_init, "n_init", allow_none=False)
        max_iter = check_positive_int(self.max_iter, "max_iter", allow_none=False)
        if self.swap not in ("eager", "best", None):
            raise ValueError(f"swap: expected 'eager', 'best' or None, got {self.swap!r}")
        alternate = self.swap is None if self.alternate is None else self.alternate
        if not isinstance(alternate, bool | np.bool_):
            raise TypeError(f"alternate: expected None or a bool, got {self.alternate!r}")
        D = _check_dissimilarity(D)
        m = D.shape[0]
        if k > m:
            raise ValueError(f"n_clusters: expected at most {m} (the number of points), got {k}")
        rng = np.random.default_rng(self.random_state)
        best = None
        for _ in range(n_init):
            run = _run(D, k, max_iter, self.swap, rng, bool(alternate))
            if best is None or run["inertia"] < best["inertia"]:
                best = run
        from rom.local._numba import nearest_two

        medoids = best["medoids"]
        labels, d1, _ = nearest_two(D, medoids)
        self.labels_ = labels
        self.inertia_ = float(d1.sum())
        self.n_iter_ = best["n_iter"]
        self.n_swaps_ = best["n_swaps"]
        self.history_ = best["history"]
        sub = D[np.ix_(medoids, medoids)]
        self.n_duplicate_medoids_ = int(np.sum(np.triu(sub == 0, k=1).any(axis=0)))
        self.medoid_indices_ = medoids
        if self.n_duplicate_medoids_:
            warnings.warn(
                f"KMedoids: {self.n_duplicate_medoids_} medoids coincide with another one "
                "(dissimilarity 0): the points hold fewer distinct values than n_clusters",
                RuntimeWarning,
                stacklevel=2,
            )
        logger.info(
            "k-medoids: %d clusters of %d points, cost %.6g, %d swaps",
            k,
            m,
            self.inertia_,
            self.n_swaps_,
        )
        return self

    def predict(self, D_to_medoids: Any) -> np.ndarray:
        """Nearest medoid of new points, from their dissimilarities to the medoids.

        Parameters
        ----------
        D_to_medoids : array, shape (p, n_clusters)
            ``D_to_medoids[o, i]`` is the dissimilarity of point ``o`` to medoid ``i``.

        Returns
        -------
        numpy.ndarray of int, shape (p,)
        """
        self._check_fitted()
        D = check_array(D_to_medoids, "D_to_medoids", ndim=2, dtype_kind="f")
        k = self.medoid_indices_.size
        if D.shape[1] != k:
            raise ValueError(f"D_to_medoids: expected {k} columns (one per medoid), got {D.shape}")
        return np.argmin(D, axis=1)

    def _restore(self) -> None:
        medoids, labels = self.medoid_indices_, self.labels_
        if (
            medoids.ndim != 1
            or medoids.dtype.kind not in "iu"
            or labels.ndim != 1
            or labels.dtype.kind not in "iu"
            or (labels.size and (labels.min() < 0 or labels.max() >= medoids.size))
            or (medoids.size and (medoids.min() < 0 or medoids.max() >= labels.size))
        ):
            raise ValueError("KMedoids: inconsistent medoid_indices_ and labels_ in the file")


def _seed(D: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-medoids++: distinct medoids drawn with probability proportional to the cost."""
    m = D.shape[0]
    medoids = [int(rng.integers(m))]
    cost = D[medoids[0]].copy()
    trials = 2 + int(math.log(k))
    chosen = np.zeros(m, dtype=bool)
    chosen[medoids[0]] = True
    for _ in range(1, k):
        total = cost.sum()
        if total > 0:
            cand = rng.choice(m, size=trials, p=cost / total)
        else:  # every point coincides with a medoid: any unused point
            cand = rng.choice(np.flatnonzero(~chosen), size=1)
        cand = np.unique(cand)
        costs = np.minimum(cost[None, :], D[cand]).sum(axis=1)
        c = int(cand[np.argmin(costs)])
        if chosen[c]:  # cost 0 at c: take any unused point (duplicates)
            c = int(rng.choice(np.flatnonzero(~chosen)))
        medoids.append(c)
        chosen[c] = True
        cost = np.minimum(cost, D[c])
    return np.array(medoids, dtype=np.int64)


def _run(D: np.ndarray, k: int, max_iter: int, swap: str | None, rng, alternate: bool) -> dict:
    from rom.local import _numba

    m = D.shape[0]
    medoids = _seed(D, k, rng)
    labels, d1, d2 = _numba.nearest_two(D, medoids)
    history = [float(d1.sum())]
    n_iter = 0
    # alternating (Voronoi iteration): each medoid moves to the centre of its cluster
    for _ in range(max_iter if alternate else 0):
        n_iter += 1
        changed = _numba.update_medoids(D, labels, medoids)
        labels, d1, d2 = _numba.nearest_two(D, medoids)
        if not changed:
            break
    history.append(float(d1.sum()))
    n_swaps = 0
    tol = 1e-12 * max(float(d1.sum()), float(D.max()))
    if swap == "eager" and k < m:
        n_swaps = int(_numba.eager_swaps(D, medoids, max_iter * k, tol))
        labels, d1, d2 = _numba.nearest_two(D, medoids)
        history.append(float(d1.sum()))
    elif swap == "best" and k < m:
        is_medoid = np.zeros(m, dtype=np.bool_)
        is_medoid[medoids] = True
        sweep = _numba.best_swaps if m >= PARALLEL_FROM else _numba.best_swaps_serial
        for _ in range(max_iter * k):
            delta, which = sweep(D, is_medoid, labels, d1, d2, k)
            c = int(np.argmin(delta))
            if not delta[c] < -tol:
                break
            i = int(which[c])
            is_medoid[medoids[i]] = False
            is_medoid[c] = True
            medoids[i] = c
            labels, d1, d2 = _numba.nearest_two(D, medoids)
            n_swaps += 1
            history.append(float(d1.sum()))
    return {
        "medoids": medoids,
        "inertia": float(d1.sum()),
        "n_iter": n_iter + n_swaps,
        "n_swaps": n_swaps,
        "history": history,
    }
