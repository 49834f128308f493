r"""A priori efficiency criterion of local bases: normalised Kolmogorov widths estimated by
truncated POD, per cluster against the whole snapshot set.

See ``docs/theory/local_bases.rst`` for the derivation. With the unit snapshots
:math:`\hat s_j = s_j / \|s_j\|_M` of a set :math:`C` and the eigenpairs
:math:`(\lambda_i, v_i)` of their Gram matrix :math:`\hat G_{CC}`, the relative error of
the projection of :math:`\hat s_j` on the first ``r`` POD modes of the set is

.. math:: e_j(r)^2 = 1 - \sum_{i \le r} \lambda_i |v_{ji}|^2 ,

and the width estimate is :math:`\hat d_r(C) = \max_{j\in C} e_j(r)` (or the root mean
square, ``statistic="rms"``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.validation import check_array, check_choice, check_positive_int, check_tolerance

__all__ = ["EfficiencyCriterion", "cluster_widths"]

STATISTICS = ("max", "rms")


def _top_eigenpairs(G: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
    import scipy.linalg

    m = G.shape[0]
    r = min(r, m)
    if r == 0:
        return np.zeros(0), np.zeros((m, 0))
    if r < m // 2:
        w, V = scipy.linalg.eigh(G, subset_by_index=[m - r, m - 1], driver="evr")
    else:
        w, V = np.linalg.eigh(G)
        w, V = w[m - r :], V[:, m - r :]
    return np.maximum(w[::-1], 0.0), V[:, ::-1]


def _captured(lam: np.ndarray, coeffs: np.ndarray) -> np.ndarray:
    """Cumulated captured energy of unit vectors with coefficients ``coeffs`` (p, r)."""
    return np.cumsum(np.abs(coeffs) ** 2, axis=1) if lam.size else np.zeros((coeffs.shape[0], 0))


def cluster_widths(
    G_unit: Any,
    members: Any,
    max_rank: int,
    statistic: str = "max",
    folds: int | None = None,
) -> Any:
    r"""Normalised width estimates :math:`\hat d_r` of a set of unit snapshots, r = 0..max_rank.

    Parameters
    ----------
    G_unit : array, shape (m, m)
        Gram matrix of the unit snapshots (ones on the diagonal).
    members : array of int
        Indices of the set.
    max_rank : int
    statistic : {"max", "rms"}
        Largest relative projection error of the set (the Kolmogorov width's sup), or
        the root mean square (the POD, or L2, width).
    folds : int, optional
        ``None``: the in-sample POD tail (each snapshot projected on the POD of the whole
        set). An integer ``F >= 2``: ``F``-fold cross-validation, each snapshot projected
        on the POD of the members outside its fold (folds taken by interleaving), which
        estimates the error on snapshots not in the set and so accounts for the
        number of snapshots available.

    Returns
    -------
    numpy.ndarray, shape (max_rank + 1,)
        Non-increasing. Values below about :math:`\sqrt{m\epsilon}` are not resolved
        (the Gram matrix squares them).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.local.criterion import cluster_widths
    >>> U = np.linalg.qr(np.random.default_rng(0).standard_normal((20, 3)))[0]
    >>> S = U @ np.array([[1.0, 1.0, 1.0], [0.0, 0.1, 0.0], [0.0, 0.0, 0.1]])
    >>> S /= np.linalg.norm(S, axis=0)
    >>> np.round(cluster_widths(S.T @ S, np.arange(3), 3), 6).tolist()[-1]
    0.0
    """
    statistic = check_choice(statistic, "statistic", STATISTICS)
    max_rank = check_positive_int(max_rank, "max_rank", allow_none=False, minimum=0)
    folds = check_positive_int(folds, "folds", minimum=2)
    members = np.asarray(members, dtype=np.int64)
    diag = np.real(np.diag(G_unit))[members]
    err2 = np.empty((members.size, max_rank + 1))
    if folds is None:
        groups = [(np.arange(members.size), np.arange(members.size))]
    else:
        pos = np.arange(members.size)
        groups = [(pos[f::folds], np.setdiff1d(pos, pos[f::folds])) for f in range(folds)]
    for held, train in groups:
        if held.size == 0:
            continue
        captured = np.zeros((held.size, max_rank + 1))
        if train.size:
            sub = G_unit[np.ix_(members[train], members[train])]
            lam, V = _top_eigenpairs((sub + sub.conj().T) / 2, max_rank)
            keep = lam > lam[0] * members.size * np.finfo(float).eps if lam.size else lam > 0
            lam, V = lam[keep], V[:, keep]
            # coefficients of the held-out unit snapshots on the unit POD modes
            coeffs = (G_unit[np.ix_(members[held], members[train])] @ V) / np.sqrt(lam)
            cum = _captured(lam, coeffs)
            r = cum.shape[1]
            captured[:, 1 : r + 1] = cum
            captured[:, r + 1 :] = cum[:, -1:] if r else 0.0
        err2[held] = np.maximum(diag[held, None] - captured, 0.0)
    if folds is None and members.size <= max_rank:
        err2[:, members.size :] = 0.0
    out = np.sqrt(err2.max(axis=0) if statistic == "max" else err2.mean(axis=0))
    return np.minimum.accumulate(out)


class EfficiencyCriterion(Estimator):
    r"""The a priori efficiency criterion of a clustering (see the theory page).

    :meth:`fit` takes the Gram matrix of the unit snapshots and the clusters, and
    estimates for every rank ``r`` (``0..max_rank``), from the clustered snapshots
    alone:

    - ``global_width_[r]``: :math:`\hat d_r` of all the snapshots, the same estimate
      as the local ones;
    - ``cluster_widths_[k, r]``: :math:`\hat d_r` of cluster ``k`` (cross-validated
      when ``folds`` is set, see :func:`cluster_widths`);
    - ``gain_[r]`` :math:`= \hat d_r(\text{all}) / \max_k \hat d_r(C_k)`: the predicted
      factor by which local bases of rank ``r`` lower the worst relative projection
      error; local bases pay off at rank ``r`` when it is above 1;
    - ``admissible_[r]``: every cluster holds at least ``budget_factor * (r + 1)``
      snapshots;
    - ``gain_in_sample_[r]``: the same ratio with the in-sample POD tails
      ``global_width_in_sample_`` and ``cluster_widths_in_sample_`` (optimistic when
      the clusters are small).

    :class:`LocalPOD` fits one (``criterion_``).

    Parameters
    ----------
    budget_factor : float
        Snapshots per mode a cluster needs to be admissible.
    folds : int, optional
        Folds of the cross-validated width estimates (None: in-sample POD tails).
    statistic : {"max", "rms"}
        See :func:`cluster_widths`.

    Attributes
    ----------
    ranks_ : numpy.ndarray of int, shape (max_rank + 1,)
    global_width_, global_width_in_sample_ : numpy.ndarray, shape (max_rank + 1,)
    cluster_widths_, cluster_widths_in_sample_ : numpy.ndarray, shape (K, max_rank + 1)
    cluster_sizes_ : numpy.ndarray of int, shape (K,)
    gain_, gain_in_sample_ : numpy.ndarray, shape (max_rank + 1,)
    admissible_ : numpy.ndarray of bool, shape (max_rank + 1,)

    Examples
    --------
    >>> import numpy as np
    >>> from rom.local import EfficiencyCriterion, LocalPOD
    >>> x = np.linspace(0, 1, 300)[:, None]
    >>> S = np.tanh((x - np.linspace(0.2, 0.8, 60)[None, :]) / 0.02)
    >>> c = LocalPOD(4, rank=5, random_state=0).fit(S).criterion_
    >>> bool(c.gain_at(5) > 1), bool(c.admissible_[5])
    (True, True)
    >>> c = EfficiencyCriterion(folds=None).fit(np.eye(6), [np.arange(3), np.arange(3, 6)], 2)
    >>> c.gain_in_sample_.round(6).tolist()
    [1.0, 1.0, 1.0]
    """

    _fitted_marker = "admissible_"

    def __init__(
        self, budget_factor: float = 2.0, folds: int | None = 5, statistic: str = "max"
    ) -> None:
        self.budget_factor = budget_factor
        self.folds = folds
        self.statistic = statistic

    def fit(self, G_unit: Any, members: Any, max_rank: int) -> EfficiencyCriterion:
        r"""Evaluate the criterion from the Gram matrix of the unit snapshots.

        Parameters
        ----------
        G_unit : array, shape (m, m)
            Gram matrix of the unit snapshots :math:`\hat s_j = s_j / \|s_j\|_M`
            (ones on the diagonal), real or complex Hermitian.
        members : sequence of arrays of int
            The snapshots of each cluster (indices into ``0..m-1``).
        max_rank : int
            The largest rank evaluated.

        Returns
        -------
        self
        """
        budget = check_tolerance(self.budget_factor, "budget_factor", allow_none=False)
        folds = check_positive_int(self.folds, "folds", minimum=2)
        statistic = check_choice(self.statistic, "statistic", STATISTICS)
        max_rank = check_positive_int(max_rank, "max_rank", allow_none=False, minimum=0)
        G_unit = check_array(G_unit, "G_unit", ndim=2)
        m = G_unit.shape[0]
        if G_unit.shape != (m, m):
            raise ValueError(f"G_unit: expected a square Gram matrix, got shape {G_unit.shape}")
        members = _check_members(members, m)

        def widths(f):
            g = cluster_widths(G_unit, np.arange(m), max_rank, statistic, f)
            loc = np.stack(
                [cluster_widths(G_unit, idx, max_rank, statistic, f) for idx in members]
            )
            return g, loc

        g_in, loc_in = widths(None)
        g_cv, loc_cv = (g_in, loc_in) if folds is None else widths(folds)
        self.ranks_ = np.arange(max_rank + 1)
        self.global_width_ = g_cv
        self.cluster_widths_ = loc_cv
        self.global_width_in_sample_ = g_in
        self.cluster_widths_in_sample_ = loc_in
        self.cluster_sizes_ = np.array([idx.size for idx in members])
        self._derive(budget)
        return self

    def _derive(self, budget: float) -> None:
        floor = np.finfo(float).eps * 10
        self.gain_ = self.global_width_ / np.maximum(self.cluster_widths_.max(axis=0), floor)
        self.gain_in_sample_ = self.global_width_in_sample_ / np.maximum(
            self.cluster_widths_in_sample_.max(axis=0), floor
        )
        self.admissible_ = self.cluster_sizes_.min() >= budget * (self.ranks_ + 1)

    def _restore(self) -> None:
        R, K = self.ranks_.shape[0], self.cluster_sizes_.shape[0]
        shapes = {
            "global_width_": (R,),
            "global_width_in_sample_": (R,),
            "cluster_widths_": (K, R),
            "cluster_widths_in_sample_": (K, R),
            "gain_": (R,),
            "gain_in_sample_": (R,),
            "admissible_": (R,),
        }
        for name, shape in shapes.items():
            if getattr(self, name).shape != shape:
                raise ValueError(f"EfficiencyCriterion: {name} has the wrong shape in the file")

    def gain_at(self, rank: int) -> float:
        """Predicted gain of local bases of ``rank`` modes (see the class docstring).

        Parameters
        ----------
        rank : int
            Number of modes of the local bases.
        """
        self._check_fitted()
        rank = check_positive_int(rank, "rank", allow_none=False, minimum=0)
        if rank > self.ranks_[-1]:
            raise ValueError(f"rank: expected at most {int(self.ranks_[-1])}, got {rank}")
        return float(self.gain_[rank])

    def ranks_for(self, tol: float) -> tuple[int, int]:
        r"""Smallest global and local ranks with width estimate at most ``tol``.

        ``tol`` bounds the width estimates :math:`\hat d_r`: the largest relative
        projection error of the snapshots in the norm of ``inner`` (the root mean
        square with ``statistic="rms"``); it is relative by construction.

        Returns ``(global_rank, local_rank)`` (``local_rank`` is the largest over the
        clusters); a rank beyond ``max_rank`` is reported as ``max_rank + 1``.

        Parameters
        ----------
        tol : float
            Bound of the width estimates.
        """
        self._check_fitted()
        tol = check_tolerance(tol, "tol", allow_none=False)
        cap = int(self.ranks_[-1]) + 1

        def first(w):
            ok = np.flatnonzero(w <= tol)
            return int(ok[0]) if ok.size else cap

        local = max(first(w) for w in self.cluster_widths_)
        return first(self.global_width_), local

    @property
    def max_admissible_rank_(self) -> int:
        """Largest rank at which every cluster has enough snapshots (-1 if none)."""
        self._check_fitted()
        ok = np.flatnonzero(self.admissible_)
        return int(ok[-1]) if ok.size else -1


def _check_members(members: Any, m: int) -> list[np.ndarray]:
    if isinstance(members, np.ndarray) or not isinstance(members, Sequence) or not members:
        raise TypeError(
            "members: expected a non-empty list of integer index arrays (one per cluster)"
        )
    out = []
    for k, idx in enumerate(members):
        idx = np.asarray(idx)
        if idx.ndim != 1 or idx.size == 0 or idx.dtype.kind not in "iu":
            raise ValueError(f"members: cluster {k} is not a non-empty 1-D array of indices")
        if idx.min() < 0 or idx.max() >= m:
            raise ValueError(f"members: cluster {k} has indices outside [0, {m})")
        out.append(idx.astype(np.int64))
    return out
