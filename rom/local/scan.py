"""Scan the number of clusters: the a priori criterion against measured projection errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rom.linalg import POD
from rom.local.local_pod import LocalPOD, blas_threads_for
from rom.validation import check_array, check_positive_int, check_tolerance

__all__ = ["ClusterScan", "scan_clusters"]


@dataclass
class ClusterScan:
    """Result of :func:`scan_clusters`, one entry per number of clusters in ``ks``.

    A plain record of results (nothing to fit, not saved by romba).

    Parameters
    ----------
    ks : numpy.ndarray of int
    rank : int
    predicted_gain : numpy.ndarray
        The a priori criterion ``criterion_.gain_at(rank)`` (training snapshots only).
    admissible : numpy.ndarray of bool
        Whether every cluster holds at least ``budget_factor * (rank + 1)`` snapshots.
    local_error : numpy.ndarray
        Measured error of the local bases on the validation snapshots (the largest
        relative projection error, each snapshot on the basis of its nearest centre;
        root mean square with ``statistic="rms"``).
    global_error : float
        The same for one global POD of the same rank.
    measured_gain : numpy.ndarray
        ``global_error / local_error``.
    cluster_sizes : list of numpy.ndarray
    best_k : int
        The admissible ``K`` of largest predicted gain (1 when none beats the global
        basis): the number of clusters the criterion recommends for this training set.
    """

    ks: np.ndarray
    rank: int
    predicted_gain: np.ndarray
    admissible: np.ndarray
    local_error: np.ndarray
    global_error: float
    measured_gain: np.ndarray
    cluster_sizes: list
    best_k: int


def _error(err: np.ndarray, statistic: str) -> float:
    return float(err.max()) if statistic == "max" else float(np.sqrt(np.mean(err**2)))


def scan_clusters(
    S: Any,
    ks: Any,
    rank: int,
    *,
    validation: Any = None,
    holdout: float = 0.2,
    statistic: str = "max",
    random_state: int | None = 0,
    **options: Any,
) -> ClusterScan:
    """Fit :class:`LocalPOD` for every ``K`` in ``ks``; report the criterion and the errors.

    Parameters
    ----------
    S : array, shape (n, m)
        Snapshots.
    ks : sequence of int
        Numbers of clusters to try (1 is the global POD).
    rank : int
        Rank of every local basis and of the global one.
    validation : array, shape (n, p), optional
        Snapshots to measure the projection errors on. Default: a random ``holdout``
        fraction of ``S`` is set aside (and not used for the fit).
    holdout : float
        Fraction of ``S`` held out when ``validation`` is None.
    statistic : {"max", "rms"}
        How the relative errors of the validation snapshots are summarised.
    random_state : int, optional
        Seed of the hold-out split and of the clustering.
    **options
        Passed to :class:`LocalPOD` (``dissimilarity``, ``clustering``, ``overlap``,
        ``inner``, ``budget_factor``...).

    Returns
    -------
    ClusterScan

    Examples
    --------
    >>> import numpy as np
    >>> from rom.local import scan_clusters
    >>> x = np.linspace(0, 1, 300)[:, None]
    >>> S = np.tanh((x - np.random.default_rng(0).uniform(0.2, 0.8, 120)[None, :]) / 0.03)
    >>> scan = scan_clusters(S, [1, 2, 4], rank=5)
    >>> bool(scan.measured_gain[-1] > 1 and scan.predicted_gain[-1] > 1)
    True
    """
    S = check_array(S, "S", ndim=2)
    rank = check_positive_int(rank, "rank", allow_none=False)
    holdout = check_tolerance(holdout, "holdout", allow_none=False, upper=0.9)
    if statistic not in ("max", "rms"):
        raise ValueError(f"statistic: expected 'max' or 'rms', got {statistic!r}")
    ks = [check_positive_int(k, "ks", allow_none=False) for k in np.atleast_1d(ks).tolist()]
    if not ks:
        raise ValueError("ks: expected at least one number of clusters")
    if validation is None:
        rng = np.random.default_rng(random_state)
        perm = rng.permutation(S.shape[1])
        n_val = max(1, round(holdout * S.shape[1]))
        train, V = S[:, np.sort(perm[n_val:])], S[:, np.sort(perm[:n_val])]
    else:
        train = S
        V = check_array(validation, "validation", ndim=2, shape=(S.shape[0], None))
    inner = options.get("inner")
    with blas_threads_for(train):
        pod = POD(rank=rank, inner=inner).fit(train)
        global_error = _error(pod.projection_error(V), statistic)
    options.setdefault("random_state", random_state)
    predicted, admissible, local_err, sizes = [], [], [], []
    for k in ks:
        lp = LocalPOD(k, rank=rank, **options).fit(train)
        c = lp.criterion_
        r = min(rank, int(c.ranks_[-1]))
        predicted.append(c.gain_at(r))
        admissible.append(bool(c.admissible_[r]))
        local_err.append(_error(lp.projection_error(V), statistic))
        sizes.append(c.cluster_sizes_)
    predicted = np.array(predicted)
    admissible = np.array(admissible)
    local_err = np.array(local_err)
    floor = np.finfo(float).tiny
    ok = np.flatnonzero(admissible & (predicted > 1.0))
    best = int(ks[ok[np.argmax(predicted[ok])]]) if ok.size else 1
    return ClusterScan(
        ks=np.array(ks),
        rank=rank,
        predicted_gain=predicted,
        admissible=admissible,
        local_error=local_err,
        global_error=global_error,
        measured_gain=global_error / np.maximum(local_err, floor),
        cluster_sizes=sizes,
        best_k=best,
    )
