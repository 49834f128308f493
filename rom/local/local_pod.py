"""Local POD: one POD basis per cluster of snapshots, online selection of the basis."""

from __future__ import annotations

import copy
import logging
import math
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.backend import blas_threads
from rom.closures.adapters import as_classifier
from rom.linalg import POD
from rom.linalg.inner import block_inner, column_norms
from rom.local._kmeans import kmeans_gram
from rom.local.criterion import EfficiencyCriterion
from rom.local.dissimilarity import REFINE, _euclidean, _nonzero_norms, _sine_and_cosine, gram
from rom.local.kmedoids import KMedoids
from rom.validation import (
    NotFittedError,
    check_array,
    check_choice,
    check_inner,
    check_parameters,
    check_positive_int,
    check_tolerance,
)

__all__ = ["LocalPOD"]

logger = logging.getLogger("rom.local.local_pod")

DISSIMILARITIES = ("sine", "euclidean")
CLUSTERINGS = ("kmedoids", "kmeans")

#: snapshot matrices with at most this many entries are handled with one BLAS thread
SMALL = 2**21
#: the same for the matrix of the largest cluster (its POD and its widths)
CLUSTER_SMALL = 2**23


def blas_threads_for(S: Any, limit: int = SMALL) -> Any:
    """One BLAS thread for a small snapshot matrix, or shape (a context manager)."""
    shape = S if isinstance(S, tuple) else getattr(S, "shape", ())
    return blas_threads(1 if len(shape) == 2 and shape[0] * shape[1] <= limit else None)


class LocalPOD(Estimator):
    r"""Clustered local reduced bases: cluster the snapshots, one POD basis per cluster.

    ``fit`` clusters the snapshots (columns of ``S``) with the chosen dissimilarity,

    - ``"sine"``: :math:`\sin\angle(s_i, s_j)`, invariant under scaling; the clusters
      minimise :math:`\sum_j \sin^2\angle(s_j, c_{k(j)})`, the squared relative error
      of projecting each snapshot on the line of its cluster centre;
    - ``"euclidean"``: :math:`\|s_i - s_j\|_M`; the clusters minimise
      :math:`\sum_j \|s_j - c_{k(j)}\|_M^2` (Amsallem, Zahr and Farhat, 2012),

    with ``clustering="kmedoids"`` (centres are snapshots, :class:`KMedoids` on the
    squared dissimilarity) or ``"kmeans"`` (centres are centroids, for ``"sine"`` the
    best line of each cluster: k-lines). Each cluster is then enlarged by the
    ``overlap`` fraction of its size taken among the other snapshots nearest to its
    centre (Amsallem et al.), and gets its own :class:`rom.linalg.POD` basis
    (``rank``, ``tol``, ``relative``, ``inner``).

    Online, :meth:`assign` picks the basis of the nearest centre. For a state given
    in the reduced coordinates ``a`` of basis ``i`` (:math:`u = \Phi_i a`) it needs
    only the precomputed :math:`B_i = \Phi_i^H M C` (``r_i x K``) and the centre norms:
    :math:`c_k^H M u = B_i[:, k]^H a` and :math:`\|u\|_M = \|a\|`, a cost of
    :math:`O(r_i K)`, independent of the number of dofs. :meth:`transfer` maps
    coordinates from basis ``i`` to basis ``j`` with the precomputed
    :math:`T_{ji} = \Phi_j^H M \Phi_i`.

    Parameters
    ----------
    n_clusters : int
        Number of clusters ``K`` (at most the number of snapshots).
    dissimilarity : {"sine", "euclidean"}
    clustering : {"kmedoids", "kmeans"}
    rank : int, optional
        Largest number of modes of each local basis.
    tol : float, optional
        Truncation of each local POD: the smallest rank whose projection error of
        the cluster's snapshots, in the Frobenius norm of ``inner``, is at most
        ``tol`` (see :class:`rom.linalg.POD`).
    relative : bool
        Whether ``tol`` is relative to the Frobenius norm of the cluster's snapshots
        (the default) or absolute.
    overlap : float
        Fraction in ``[0, 1]``: cluster ``k`` also takes the ``ceil(overlap * |C_k|)``
        other snapshots nearest to its centre.
    inner : None or (n, n) Hermitian positive definite matrix, dense or sparse
    n_init, max_iter : int
        Seeded runs and iteration cap of the clustering.
    random_state : int, optional
        Seed of the clustering (None: fresh entropy).
    budget_factor : float
        Snapshots per mode a cluster needs for the criterion to call it admissible
        (see :class:`EfficiencyCriterion`).
    folds : int, optional
        Folds of the cross-validated width estimates of the criterion (None: in-sample
        POD tails only).
    refine : float
        Threshold of the accurate recomputation of small dissimilarities (see
        :func:`sine_dissimilarity`).

    Attributes
    ----------
    labels_ : numpy.ndarray of int, shape (m,)
        Cluster of each snapshot (before overlap).
    members_ : list of numpy.ndarray of int
        Snapshots of each cluster, overlap included (those its basis is fitted on).
    medoids_ : numpy.ndarray, shape (n, K)
        Cluster centres: the medoid snapshots (k-medoids), the centroids (k-means,
        Euclidean) or unit vectors along the best line of each cluster (k-means, sine).
    medoid_indices_ : numpy.ndarray of int, shape (K,), or None
        Indices of the medoids among the snapshots (k-medoids only).
    bases_ : list of rom.linalg.POD
        The local bases.
    transfer_ : list of lists of numpy.ndarray
        ``transfer_[j][i]`` is :math:`\Phi_j^H M \Phi_i`.
    criterion_ : EfficiencyCriterion
        The a priori criterion, up to the largest local rank.
    inertia_ : float
        Clustering cost.
    n_reseeded_ : int
        Empty clusters re-seeded during k-means (always 0 for k-medoids, whose clusters
        hold their medoid).
    n_snapshots_ : int
        The number of training snapshots.
    inner_ : None or sparse or dense matrix
        The checked inner product.
    selector_ : ArrayClassifier
        The parameter -> cluster classifier, after :meth:`fit_selector` only.

    Saving keeps everything; a classifier of :meth:`fit_selector` that is not a
    romba object is a *part* of the file, named ``"estimator"``:
    ``rom.load(path, estimator=classifier)``.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.linalg import POD
    >>> from rom.local import LocalPOD
    >>> x = np.linspace(0, 1, 400)[:, None]
    >>> S = np.tanh((x - np.linspace(0.2, 0.8, 80)[None, :]) / 0.02)
    >>> local = LocalPOD(4, rank=6, random_state=0).fit(S)
    >>> T = np.tanh((x - np.array([[0.33, 0.61]])) / 0.02)
    >>> err_local = local.projection_error(T).max()
    >>> err_global = POD(rank=6).fit(S).projection_error(T).max()
    >>> bool(err_local < err_global / 2)
    True
    """

    _fitted_marker = "bases_"

    def __init__(
        self,
        n_clusters: int,
        dissimilarity: str = "sine",
        clustering: str = "kmedoids",
        rank: int | None = None,
        tol: float | None = None,
        relative: bool = True,
        overlap: float = 0.0,
        inner: Any = None,
        n_init: int = 4,
        max_iter: int = 300,
        random_state: int | None = None,
        budget_factor: float = 2.0,
        folds: int | None = 5,
        refine: float = REFINE,
    ) -> None:
        self.n_clusters = n_clusters
        self.dissimilarity = dissimilarity
        self.clustering = clustering
        self.rank = rank
        self.tol = tol
        self.relative = relative
        self.overlap = overlap
        self.inner = inner
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.budget_factor = budget_factor
        self.folds = folds
        self.refine = refine

    # ------------------------------------------------------------------ fit
    def fit(self, S: Any) -> LocalPOD:
        """Cluster the snapshots ``S`` (n, m) and fit one POD basis per cluster.

        Problems with fewer than ``SMALL`` entries run with one BLAS thread: their
        dense kernels (small SVDs, QRs and eigenproblems, one per cluster) gain nothing
        from threads, and spinning BLAS threads slow them down on a busy machine.

        Parameters
        ----------
        S : array, shape (n, k)
            Snapshots (columns).

        Returns
        -------
        self
        """
        with blas_threads_for(S):
            return self._fit(S)

    def _fit(self, S: Any) -> LocalPOD:
        K = check_positive_int(self.n_clusters, "n_clusters", allow_none=False)
        metric = check_choice(self.dissimilarity, "dissimilarity", DISSIMILARITIES)
        method = check_choice(self.clustering, "clustering", CLUSTERINGS)
        check_positive_int(self.rank, "rank")
        if not isinstance(self.relative, bool | np.bool_):
            raise TypeError(f"relative: expected True or False, got {self.relative!r}")
        check_tolerance(self.tol, "tol", upper=1.0 if self.relative else None)
        overlap = check_tolerance(self.overlap, "overlap", allow_none=False, upper=1.0)
        n_init = check_positive_int(self.n_init, "n_init", allow_none=False)
        max_iter = check_positive_int(self.max_iter, "max_iter", allow_none=False)
        budget = check_tolerance(self.budget_factor, "budget_factor", allow_none=False)
        refine = check_tolerance(self.refine, "refine", allow_none=False, upper=1.0)
        folds = check_positive_int(self.folds, "folds", minimum=2)
        S = check_array(S, "S", ndim=2)
        n, m = S.shape
        if K > m:
            raise ValueError(
                f"n_clusters: expected at most {m} (the number of snapshots), got {K}"
            )
        M = check_inner(self.inner, n)
        if metric == "sine":
            norms = _nonzero_norms(S, M, "S")
        else:
            norms = np.asarray(column_norms(S, M), dtype=float)
        G = gram(S, None, M)
        safe = np.where(norms > 0, norms, 1.0)
        G_unit = G / np.outer(safe, safe)

        self.medoid_indices_ = None
        self.n_reseeded_ = 0
        if method == "kmedoids":
            if metric == "sine":
                D = _sine_and_cosine(S, None, M, refine, G=G)[0]
            else:
                D = _euclidean(S, None, M, refine, G=G)
            km = KMedoids(K, n_init=n_init, max_iter=max_iter, random_state=self.random_state)
            km.fit(D**2)
            labels = km.labels_
            self.medoid_indices_ = km.medoid_indices_
            self.inertia_ = km.inertia_
            centres = S[:, km.medoid_indices_]
            to_centre = D[:, km.medoid_indices_]
        else:
            rng = np.random.default_rng(self.random_state)
            lines = metric == "sine"
            labels, W, self.inertia_, self.n_reseeded_ = kmeans_gram(
                G_unit if lines else G,
                K,
                lines=lines,
                n_init=n_init,
                max_iter=max_iter,
                rng=rng,
            )
            if lines:
                centres = (S / safe) @ W
                to_centre = np.sqrt(np.maximum(1.0 - np.abs(G_unit @ W) ** 2, 0.0))
            else:
                centres = S @ W
                GW = G @ W
                sq = np.real(np.diag(G))[:, None] - 2 * np.real(GW)
                sq = sq + np.real(np.einsum("ij,ij->j", W.conj(), GW))[None, :]
                to_centre = np.sqrt(np.maximum(sq, 0.0))
            if self.n_reseeded_:
                logger.warning("k-means: %d empty clusters were re-seeded", self.n_reseeded_)
        self.labels_ = np.asarray(labels, dtype=np.int64)
        self.members_ = _with_overlap(self.labels_, to_centre, K, overlap)
        self.medoids_ = centres
        self.inner_ = M
        self.n_snapshots_ = m
        vars(self).pop("selector_", None)  # a selector of an earlier fit no longer applies

        # one small dense problem per cluster: one BLAS thread unless they are large
        largest = max(idx.size for idx in self.members_)
        with blas_threads_for((n, largest), limit=CLUSTER_SMALL):
            bases = [
                POD(rank=self.rank, tol=self.tol, relative=self.relative, inner=M).fit(S[:, idx])
                for idx in self.members_
            ]
            self.transfer_ = [
                [block_inner(bj.basis_, bi.basis_, M) for bi in bases] for bj in bases
            ]
            r_max = max(max(b.rank_ for b in bases), 1)
            self.criterion_ = EfficiencyCriterion(budget_factor=budget, folds=folds).fit(
                G_unit, self.members_, r_max
            )
            self.bases_ = bases
            self._restore()
        logger.info(
            "LocalPOD: %d clusters (%s, %s), sizes %s, ranks %s",
            K,
            metric,
            method,
            [idx.size for idx in self.members_],
            [b.rank_ for b in self.bases_],
        )
        return self

    def _restore(self) -> None:
        """Check the fitted state (a file is untrusted) and rebuild the online caches."""
        K = len(self.bases_)
        n = self.medoids_.shape[0]
        self.inner_ = check_inner(self.inner_, n, "inner_")
        for pod in self.bases_:
            if pod.inner_ is None and self.inner_ is not None:  # saved without its copy
                pod.inner = pod.inner_ = self.inner_
        ok = (
            isinstance(self.bases_, list)
            and all(isinstance(b, POD) and b.basis_.shape[0] == n for b in self.bases_)
            and self.medoids_.shape == (n, K)
            and len(self.members_) == K
            and all(
                idx.ndim == 1
                and idx.dtype.kind in "iu"
                and idx.size
                and idx.min() >= 0
                and idx.max() < self.n_snapshots_
                for idx in self.members_
            )
            and self.labels_.shape == (self.n_snapshots_,)
            and self.labels_.dtype.kind in "iu"
            and (self.labels_.size == 0 or 0 <= self.labels_.min() <= self.labels_.max() < K)
            and len(self.transfer_) == K
            and all(
                self.transfer_[j][i].shape == (bj.rank_, bi.rank_)
                for j, bj in enumerate(self.bases_)
                for i, bi in enumerate(self.bases_)
            )
        )
        if not ok:
            raise ValueError("LocalPOD: inconsistent fitted state (labels, members, bases)")
        self.medoids_ = check_array(self.medoids_, "medoids_", shape=(n, K))
        self.transfer_ = [
            [check_array(t, "transfer_", ndim=2, allow_empty=True) for t in row]
            for row in self.transfer_
        ]
        if self.medoid_indices_ is not None:
            idx = np.asarray(self.medoid_indices_)
            if (
                idx.shape != (K,)
                or idx.dtype.kind not in "iu"
                or idx.min() < 0
                or idx.max() >= self.n_snapshots_
            ):
                raise ValueError(
                    f"medoid_indices_: expected {K} indices in 0 .. {self.n_snapshots_ - 1}"
                )
        M = self.inner_
        self._centre_norms = np.asarray(column_norms(self.medoids_, M), dtype=float)
        self._coupling = [block_inner(b.basis_, self.medoids_, M) for b in self.bases_]

    def _fitted_state(self) -> dict[str, Any]:
        """The fitted attributes; the local PODs without their copy of ``inner``."""
        state = super()._fitted_state()
        if self.inner_ is not None:
            state["bases_"] = [copy.copy(pod) for pod in self.bases_]
            for pod in state["bases_"]:
                pod.inner = pod.inner_ = None
        return state

    # ------------------------------------------------------------- online
    @property
    def n_clusters_(self) -> int:
        """Number of clusters (and of local bases)."""
        self._check_fitted()
        return len(self.bases_)

    def _scores(self, inner_products: Any, norms: Any) -> Any:
        """Cluster index from ``c_k^H M u`` (K, p) and ``||u||_M`` (p,)."""
        if self.dissimilarity == "sine":
            if bool(np.any(norms == 0)):
                raise ValueError("u: a zero state has no angle to the cluster centres")
            cos = np.abs(inner_products) / (self._centre_norms[:, None] * norms[None, :])
            return np.argmax(cos, axis=0)
        sq = norms[None, :] ** 2 - 2.0 * np.real(inner_products) + self._centre_norms[:, None] ** 2
        return np.argmin(sq, axis=0)

    def assign(self, u: Any, basis: int | None = None) -> Any:
        """Index of the cluster nearest to each state, in the chosen dissimilarity.

        Parameters
        ----------
        u : array, shape (n,) or (n, p); or (r_i,) or (r_i, p) when ``basis`` is given
            Full states (columns), or their reduced coordinates in basis ``basis``
            (:math:`u = \\Phi_i a`); the second costs O(r_i K), independent of n.
        basis : int, optional
            Basis whose coordinates ``u`` holds.

        Returns
        -------
        int, or numpy.ndarray of int, shape (p,)
        """
        self._check_fitted()
        if basis is None:
            n = self.medoids_.shape[0]
            u = check_array(u, "u", ndim=(1, 2))
            if u.shape[0] != n:
                raise ValueError(f"u: expected {n} rows (the number of dofs), got {u.shape[0]}")
            one = u.ndim == 1
            U = u[:, None] if one else u
            labels = self._scores(
                block_inner(self.medoids_, U, self.inner_),
                np.asarray(column_norms(U, self.inner_), dtype=float),
            )
        else:
            i = self._check_basis(basis, "basis")
            r = self.bases_[i].rank_
            a = check_array(u, "u", ndim=(1, 2))
            if a.shape[0] != r:
                raise ValueError(
                    f"u: expected {r} rows (the reduced coordinates of basis {i}), "
                    f"got {a.shape[0]}"
                )
            one = a.ndim == 1
            A = a[:, None] if one else a
            labels = self._scores(self._coupling[i].conj().T @ A, np.linalg.norm(A, axis=0))
        return int(labels[0]) if one else labels

    def _check_basis(self, value: Any, name: str) -> int:
        K = self.n_clusters_
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name}: expected a cluster index (int), got {value!r}")
        if not 0 <= int(value) < K:
            raise ValueError(f"{name}: expected a cluster index in [0, {K}), got {value}")
        return int(value)

    def transfer(self, a: Any, source: int, target: int) -> Any:
        r"""Coordinates in basis ``target`` of the state with coordinates ``a`` in ``source``.

        Returns :math:`\Phi_j^H M \Phi_i a` (the orthogonal projection on the new basis
        of :math:`\Phi_i a`), with the precomputed ``transfer_[target][source]``.

        Parameters
        ----------
        a : array, shape (r_source,) or (r_source, k)
            Coordinates in basis ``source``.
        source : int
            The cluster of ``a``.
        target : int
            The cluster of the result.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.local import LocalPOD
        >>> x = np.linspace(0, 1, 200)[:, None]
        >>> S = np.tanh((x - np.linspace(0.2, 0.8, 40)[None, :]) / 0.05)
        >>> lp = LocalPOD(2, rank=4, random_state=0).fit(S)
        >>> a = lp.bases_[0].transform(S[:, 20])
        >>> b = lp.transfer(a, 0, 1)
        >>> bool(np.allclose(b, lp.bases_[1].transform(lp.bases_[0].inverse_transform(a))))
        True
        """
        self._check_fitted()
        i = self._check_basis(source, "source")
        j = self._check_basis(target, "target")
        r = self.bases_[i].rank_
        a = check_array(a, "a", ndim=(1, 2))
        if a.shape[0] != r:
            raise ValueError(f"a: expected {r} rows (the coordinates of basis {i}), got {a.shape}")
        return self.transfer_[j][i] @ a

    def projection_error(self, S: Any, labels: Any = None, relative: bool = True) -> Any:
        """Error of projecting each column of ``S`` on the basis of its cluster.

        Parameters
        ----------
        S : array, shape (n, p) or (n,)
        labels : array of int, shape (p,), optional
            Cluster of each column; default :meth:`assign` (the nearest centre).
        relative : bool
            Divide by the norm of each column (see :meth:`rom.linalg.POD.projection_error`).

        Returns
        -------
        numpy.ndarray, shape (p,), or a float for a 1-D ``S``
        """
        self._check_fitted()
        S = check_array(S, "S", ndim=(1, 2))
        one = S.ndim == 1
        S2 = S[:, None] if one else S
        if labels is None:
            labels = self.assign(S2)
        labels = np.asarray(labels)
        if labels.shape != (S2.shape[1],) or labels.dtype.kind not in "iu":
            raise ValueError(f"labels: expected {S2.shape[1]} integer cluster indices")
        if labels.size and (labels.min() < 0 or labels.max() >= self.n_clusters_):
            raise ValueError(f"labels: expected indices in [0, {self.n_clusters_})")
        err = np.zeros(S2.shape[1])
        with blas_threads_for(S2):
            for k in np.unique(labels):
                cols = np.flatnonzero(labels == k)
                err[cols] = self.bases_[k].projection_error(S2[:, cols], relative=relative)
        return float(err[0]) if one else err

    # ---------------------------------------------------------- ROM-net
    def fit_selector(self, parameters: Any, classifier: Any) -> LocalPOD:
        """Learn the map parameter -> cluster with ``classifier`` (ROM-net selection).

        A second fitting step on top of a fitted LocalPOD: the clusters come from the
        snapshots (:meth:`fit`), the classifier learns them from the parameters of
        those snapshots, so that :meth:`select` picks a basis from a parameter alone,
        before any state is known. Fitting the LocalPOD again drops the selector.

        Parameters
        ----------
        parameters : array, shape (m, d)
            Parameter sets of the training snapshots, one row per column of ``S`` in
            the same order (one parameter: shape (m, 1)).
        classifier : object with ``fit(X, labels)`` and ``predict(X)``
            For example ``sklearn.neural_network.MLPClassifier``; checked and wrapped by
            :func:`rom.closures.as_classifier`, fitted on ``(parameters, labels_)``.

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.neighbors import KNeighborsClassifier
        >>> from rom.local import LocalPOD
        >>> x = np.linspace(0, 1, 200)[:, None]
        >>> mu = np.linspace(0.2, 0.8, 40)[:, None]
        >>> lp = LocalPOD(3, rank=4, random_state=0).fit(np.tanh((x - mu.T) / 0.05))
        >>> lp = lp.fit_selector(mu, KNeighborsClassifier(1))
        >>> int(lp.select([mu[5, 0]])[0]) == int(lp.labels_[5])
        True
        """
        self._check_fitted()
        selector = as_classifier(classifier, "classifier")
        X = check_parameters(parameters, "parameters")
        if X.shape[0] != self.n_snapshots_:
            raise ValueError(
                f"parameters: expected {self.n_snapshots_} rows (one parameter set per "
                f"training snapshot), got shape {tuple(np.shape(parameters))}"
            )
        self.selector_ = selector.fit(X, self.labels_.copy())
        return self

    def select(self, parameters: Any) -> np.ndarray:
        """Cluster of each parameter set (row), predicted by the :meth:`fit_selector` classifier.

        Parameters
        ----------
        parameters : array, shape (p, d), or (d,) for one parameter set

        Returns
        -------
        numpy.ndarray of int, shape (p,)
        """
        self._check_fitted()
        if "selector_" not in vars(self):
            raise NotFittedError(
                "this LocalPOD has no selector yet: call fit_selector(...) before select"
            )
        X = check_parameters(parameters, "parameters", n_params=self.selector_.n_features_in_)
        return self.selector_.predict(X).astype(np.int64)


def _with_overlap(labels: np.ndarray, to_centre: np.ndarray, K: int, overlap: float) -> list:
    """Members of each cluster plus the ``ceil(overlap |C_k|)`` nearest other snapshots."""
    members = []
    for k in range(K):
        own = np.flatnonzero(labels == k)
        extra = math.ceil(overlap * own.size - 1e-12) if overlap > 0 else 0
        if extra:
            others = np.flatnonzero(labels != k)
            order = np.argsort(to_centre[others, k], kind="stable")
            own = np.sort(np.concatenate([own, others[order[:extra]]]))
        members.append(own)
    return members
