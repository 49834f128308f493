"""Local POD: one POD basis per cluster of snapshots, online selection of the basis."""

from __future__ import annotations

import logging
import math
from typing import Any

import numpy as np

from rom._checks import (
    check_array,
    check_choice,
    check_fitted,
    check_inner,
    check_positive_int,
    check_tolerance,
)
from rom.backend import blas_threads
from rom.linalg import POD
from rom.linalg.inner import block_inner, column_norms
from rom.local._kmeans import kmeans_gram
from rom.local.criterion import EfficiencyCriterion
from rom.local.dissimilarity import REFINE, _euclidean, _nonzero_norms, _sine_and_cosine, gram
from rom.local.kmedoids import KMedoids

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


class LocalPOD:
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
    (``rank``, ``tol``, ``inner``).

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
    rank, tol : optional
        Truncation of each local POD (see :class:`rom.linalg.POD`).
    overlap : float
        Fraction in ``[0, 1]``: cluster ``k`` also takes the ``ceil(overlap * |C_k|)``
        other snapshots nearest to its centre.
    inner : None or (n, n) Hermitian positive definite matrix, dense or sparse
    n_init, max_iter : int
        Seeded runs and iteration cap of the clustering.
    seed : int, optional
        Seed of the clustering.
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

    Examples
    --------
    >>> import numpy as np
    >>> from rom.linalg import POD
    >>> from rom.local import LocalPOD
    >>> x = np.linspace(0, 1, 400)[:, None]
    >>> S = np.tanh((x - np.linspace(0.2, 0.8, 80)[None, :]) / 0.02)
    >>> local = LocalPOD(4, rank=6, seed=0).fit(S)
    >>> T = np.tanh((x - np.array([[0.33, 0.61]])) / 0.02)
    >>> err_local = local.projection_error(T).max()
    >>> err_global = POD(rank=6).fit(S).projection_error(T).max()
    >>> bool(err_local < err_global / 2)
    True
    """

    def __init__(
        self,
        n_clusters: int,
        dissimilarity: str = "sine",
        clustering: str = "kmedoids",
        rank: int | None = None,
        tol: float | None = None,
        overlap: float = 0.0,
        inner: Any = None,
        n_init: int = 4,
        max_iter: int = 300,
        seed: int | None = None,
        budget_factor: float = 2.0,
        folds: int | None = 5,
        refine: float = REFINE,
    ) -> None:
        self.n_clusters = n_clusters
        self.dissimilarity = dissimilarity
        self.clustering = clustering
        self.rank = rank
        self.tol = tol
        self.overlap = overlap
        self.inner = inner
        self.n_init = n_init
        self.max_iter = max_iter
        self.seed = seed
        self.budget_factor = budget_factor
        self.folds = folds
        self.refine = refine

    # ------------------------------------------------------------------ fit
    def fit(self, S: Any) -> LocalPOD:
        """Cluster the snapshots ``S`` (n, m) and fit one POD basis per cluster.

        Problems with fewer than ``SMALL`` entries run with one BLAS thread: their
        dense kernels (small SVDs, QRs and eigenproblems, one per cluster) gain nothing
        from threads, and spinning BLAS threads slow them down on a busy machine.

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
        check_tolerance(self.tol, "tol", upper=1.0)
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
            km = KMedoids(K, n_init=n_init, max_iter=max_iter, seed=self.seed).fit(D**2)
            labels = km.labels_
            self.medoid_indices_ = km.medoid_indices_
            self.inertia_ = km.inertia_
            centres = S[:, km.medoid_indices_]
            to_centre = D[:, km.medoid_indices_]
        else:
            rng = np.random.default_rng(self.seed)
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
        self._centre_norms = np.asarray(column_norms(centres, M), dtype=float)
        self.inner_ = M
        self.n_snapshots_ = m

        # one small dense problem per cluster: one BLAS thread unless they are large
        largest = max(idx.size for idx in self.members_)
        with blas_threads_for((n, largest), limit=CLUSTER_SMALL):
            self.bases_ = [
                POD(rank=self.rank, tol=self.tol, inner=M).fit(S[:, idx]) for idx in self.members_
            ]
            self._precompute()
            r_max = max(max(b.rank_ for b in self.bases_), 1)
            self.criterion_ = EfficiencyCriterion.from_gram(
                G_unit, self.members_, r_max, budget_factor=budget, folds=folds
            )
        logger.info(
            "LocalPOD: %d clusters (%s, %s), sizes %s, ranks %s",
            K,
            metric,
            method,
            [idx.size for idx in self.members_],
            [b.rank_ for b in self.bases_],
        )
        return self

    def _precompute(self) -> None:
        M = self.inner_
        C = self.medoids_
        self._coupling = [block_inner(b.basis_, C, M) for b in self.bases_]
        self.transfer_ = [
            [block_inner(bj.basis_, bi.basis_, M) for bi in self.bases_] for bj in self.bases_
        ]

    # ------------------------------------------------------------- online
    @property
    def n_clusters_(self) -> int:
        """Number of clusters (and of local bases)."""
        check_fitted(self, "bases_")
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
        check_fitted(self, "bases_")
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

        Examples
        --------
        >>> import numpy as np
        >>> from rom.local import LocalPOD
        >>> x = np.linspace(0, 1, 200)[:, None]
        >>> S = np.tanh((x - np.linspace(0.2, 0.8, 40)[None, :]) / 0.05)
        >>> lp = LocalPOD(2, rank=4, seed=0).fit(S)
        >>> a = lp.bases_[0].transform(S[:, 20])
        >>> b = lp.transfer(a, 0, 1)
        >>> bool(np.allclose(b, lp.bases_[1].transform(lp.bases_[0].inverse_transform(a))))
        True
        """
        check_fitted(self, "bases_")
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
        check_fitted(self, "bases_")
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

        Parameters
        ----------
        parameters : array, shape (m, d) or (m,)
            Parameters of the training snapshots, in the order of the columns of ``S``.
        classifier : object with ``fit(X, labels)`` and ``predict(X)``
            For example ``sklearn.neural_network.MLPClassifier``; fitted on
            ``(parameters, labels_)``.

        Returns
        -------
        self

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.neighbors import KNeighborsClassifier
        >>> from rom.local import LocalPOD
        >>> x = np.linspace(0, 1, 200)[:, None]
        >>> mu = np.linspace(0.2, 0.8, 40)
        >>> lp = LocalPOD(3, rank=4, seed=0).fit(np.tanh((x - mu) / 0.05))
        >>> lp = lp.fit_selector(mu, KNeighborsClassifier(1))
        >>> int(lp.select([mu[5]])[0]) == int(lp.labels_[5])
        True
        """
        check_fitted(self, "bases_")
        if not (
            callable(getattr(classifier, "fit", None))
            and callable(getattr(classifier, "predict", None))
        ):
            raise TypeError(
                f"classifier: expected an object with fit(X, labels) and predict(X), "
                f"got {type(classifier).__name__}"
            )
        X = self._check_parameters(parameters)
        if X.shape[0] != self.n_snapshots_:
            raise ValueError(
                f"parameters: expected {self.n_snapshots_} rows (one per training snapshot), "
                f"got {X.shape[0]}"
            )
        classifier.fit(X, self.labels_.copy())
        self.selector_ = classifier
        self.n_parameters_ = X.shape[1]
        return self

    def _check_parameters(self, parameters: Any) -> np.ndarray:
        X = check_array(parameters, "parameters", ndim=(1, 2), dtype_kind="f")
        X = X[:, None] if X.ndim == 1 else X
        if hasattr(self, "n_parameters_") and X.shape[1] != self.n_parameters_:
            raise ValueError(
                f"parameters: expected {self.n_parameters_} columns (as in fit_selector), "
                f"got {X.shape[1]}"
            )
        return X

    def select(self, parameters: Any) -> np.ndarray:
        """Cluster of each parameter row, predicted by the classifier of :meth:`fit_selector`.

        Returns
        -------
        numpy.ndarray of int, shape (p,)
        """
        check_fitted(self, "selector_")
        X = self._check_parameters(parameters)
        raw = np.asarray(self.selector_.predict(X))
        K = self.n_clusters_
        if raw.shape != (X.shape[0],):
            raise ValueError(
                f"classifier: predict returned shape {raw.shape}, expected ({X.shape[0]},)"
            )
        if raw.dtype.kind not in "iuf" or not np.all(np.isfinite(raw.astype(float))):
            raise ValueError(f"classifier: predicted non-numeric labels {raw[:5].tolist()}")
        labels = raw.astype(np.int64)
        bad = (labels != raw) | (labels < 0) | (labels >= K)
        if bool(bad.any()):
            raise ValueError(
                f"classifier: predicted labels {np.unique(raw[bad])[:5].tolist()} that are not "
                f"cluster indices 0..{K - 1}"
            )
        return labels

    # ---------------------------------------------------------- persistence
    def _to_arrays(self) -> tuple[dict, dict]:
        check_fitted(self, "bases_")
        from rom.backend import to_numpy

        settings = {
            key: getattr(self, key)
            for key in (
                "n_clusters",
                "dissimilarity",
                "clustering",
                "rank",
                "tol",
                "overlap",
                "n_init",
                "max_iter",
                "seed",
                "budget_factor",
                "folds",
                "refine",
            )
        }
        settings.update(
            inertia_=self.inertia_,
            n_reseeded_=self.n_reseeded_,
            n_snapshots_=self.n_snapshots_,
            pods=[],
        )
        arrays: dict[str, Any] = {
            "labels_": self.labels_,
            "medoids_": to_numpy(self.medoids_),
            "medoid_indices_": self.medoid_indices_,
            "inner": self.inner_ if self.inner_ is None else to_numpy(self.inner_),
            "criterion.global_width": self.criterion_.global_width,
            "criterion.cluster_widths": self.criterion_.cluster_widths,
            "criterion.global_width_in_sample": self.criterion_.global_width_in_sample,
            "criterion.cluster_widths_in_sample": self.criterion_.cluster_widths_in_sample,
        }
        for k, (idx, pod) in enumerate(zip(self.members_, self.bases_, strict=True)):
            pod_settings, pod_arrays = pod._to_arrays()
            settings["pods"].append(pod_settings)
            arrays[f"members{k}"] = idx
            for name, value in pod_arrays.items():
                if name != "inner":
                    arrays[f"pod{k}.{name}"] = value
        return settings, arrays

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> LocalPOD:
        keys = (
            "n_clusters",
            "dissimilarity",
            "clustering",
            "rank",
            "tol",
            "overlap",
            "n_init",
            "max_iter",
            "seed",
            "budget_factor",
            "folds",
            "refine",
        )
        inner = arrays.get("inner")
        obj = cls(inner=inner, **{k: settings[k] for k in keys})
        obj.inner_ = inner
        obj.inertia_ = settings["inertia_"]
        obj.n_reseeded_ = settings["n_reseeded_"]
        obj.n_snapshots_ = settings["n_snapshots_"]
        obj.labels_ = arrays["labels_"]
        obj.medoids_ = arrays["medoids_"]
        obj.medoid_indices_ = arrays["medoid_indices_"]
        obj._centre_norms = np.asarray(column_norms(obj.medoids_, inner), dtype=float)
        obj.members_ = []
        obj.bases_ = []
        for k, pod_settings in enumerate(settings["pods"]):
            obj.members_.append(arrays[f"members{k}"])
            prefix = f"pod{k}."
            pod_arrays = {
                name[len(prefix) :]: value
                for name, value in arrays.items()
                if name.startswith(prefix)
            }
            pod_arrays["inner"] = inner
            obj.bases_.append(POD._from_arrays(pod_settings, pod_arrays))
        obj._precompute()
        widths = arrays["criterion.cluster_widths"]
        obj.criterion_ = EfficiencyCriterion(
            ranks=np.arange(widths.shape[1]),
            global_width=arrays["criterion.global_width"],
            cluster_widths=widths,
            global_width_in_sample=arrays["criterion.global_width_in_sample"],
            cluster_widths_in_sample=arrays["criterion.cluster_widths_in_sample"],
            cluster_sizes=np.array([idx.size for idx in obj.members_]),
            budget_factor=settings["budget_factor"],
            folds=settings["folds"],
        )
        return obj

    def save(self, path: Any) -> None:
        """Save to ``path`` (``.npz`` arrays and a JSON header; see :func:`rom.save`).

        The classifier of :meth:`fit_selector` is not saved (it would need pickle):
        fit it again after loading.
        """
        from rom.io.persist import save

        save(self, path)


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
