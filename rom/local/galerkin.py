r"""Local POD-Galerkin reduced models: one Galerkin model per cluster, switched online."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.local.local_pod import LocalPOD
from rom.validation import check_array, check_choice, check_positive_int, check_tolerance

__all__ = ["LocalGalerkinROM", "LocalTrajectory", "Switch"]

logger = logging.getLogger("rom.local.galerkin")

SWITCHINGS = ("state", "parameter", "both")


@dataclass
class Switch:
    """One change of basis during :meth:`LocalGalerkinROM.solve`.

    Parameters
    ----------
    index : int
        Index of the output time at which the basis changed.
    time : float
        That time.
    source, target : int
        The cluster left and the cluster entered.
    before : numpy.ndarray, shape (r_source,)
        The coordinates in ``source`` integrated up to ``time``.
    after : numpy.ndarray, shape (r_target,)
        ``local_pod.transfer(before, source, target)``: the coordinates the
        integration continues from.
    """

    index: int
    time: float
    source: int
    target: int
    before: np.ndarray
    after: np.ndarray


@dataclass
class LocalTrajectory:
    """A trajectory of a :class:`LocalGalerkinROM`: coordinates and basis per output time.

    Parameters
    ----------
    times : numpy.ndarray, shape (n_t,)
        The output times.
    clusters : numpy.ndarray of int, shape (n_t,)
        The basis in which the coordinates of each time are given (after the switch,
        if one happened at that time).
    coordinates : numpy.ndarray, shape (r_max, n_t)
        Column ``k`` holds the ``ranks[k]`` coordinates of time ``k`` in basis
        ``clusters[k]``, followed by zeros (the ranks of the clusters may differ).
    ranks : numpy.ndarray of int, shape (n_t,)
        The rank of the basis of each time.
    switches : list of Switch
        Every change of basis, in order.
    stats : dict
        The step counts of the integrator, summed over the segments.
    """

    times: np.ndarray
    clusters: np.ndarray
    coordinates: np.ndarray
    ranks: np.ndarray
    switches: list[Switch] = field(default_factory=list)
    stats: dict = field(default_factory=dict)

    def coordinates_at(self, index: int) -> np.ndarray:
        """The coordinates of output time ``index`` in basis ``clusters[index]``, (r,).

        Parameters
        ----------
        index : int
            Index of an output time.
        """
        return self.coordinates[: self.ranks[index], index].copy()


class LocalGalerkinROM(Estimator):
    r"""POD-Galerkin reduced model on clustered local bases, switched online.

    One :class:`rom.galerkin.GalerkinROM` is built on each basis :math:`\Phi_k` of a
    fitted :class:`LocalPOD` (each with its own DEIM points when hyper-reduced). The
    state is :math:`u \approx \bar u + \Phi_k a_k` in the current cluster ``k``, and
    :meth:`solve` integrates the Galerkin system of cluster ``k`` over the output
    intervals (Amsallem, Zahr and Farhat 2012). Every ``check_every`` output
    intervals the cluster is chosen again:

    - ``switching="state"``: the cluster of the nearest centre of the current
      state, ``local_pod.assign(a_k, basis=k)``, from the precomputed
      :math:`\Phi_k^H M C` at a cost :math:`O(r_k K)`;
    - ``switching="parameter"``: the cluster predicted by the classifier of
      ``local_pod.fit_selector`` from ``features(mu, t)`` (ROM-net, Daniel et al.
      2020), by default the parameter alone, so the basis is chosen once;
    - ``switching="both"``: the classifier chooses the first cluster (no full state is
      needed), the state chooses the next ones.

    When the cluster changes from ``i`` to ``j`` the coordinates are carried over
    with ``local_pod.transfer``: :math:`a_j = \Phi_j^H M \Phi_i a_i`, the projection
    of the current state on the new space, precomputed (``r_j x r_i``). With a
    reference state :math:`\bar u` common to all clusters (``shift``, the
    ``LocalPOD`` fitted on the snapshots minus :math:`\bar u`) the affine parts cancel
    in the transfer. Online, nothing but the small reduced arrays is touched: with
    hyper-reduction the whole solve is independent of the number of dofs ``n``.
    Details on :doc:`/theory/local_bases`.

    Real and complex, as :class:`rom.galerkin.GalerkinROM`: complex snapshots give
    complex local bases and complex reduced systems.

    A saved model holds every cluster's arrays and the fitted ``local_pod``; the
    full-order model (and ``features``, when given) are parts that :func:`rom.load`
    takes back by name: ``rom.load(path, model=fom)``.

    Parameters
    ----------
    local_pod : LocalPOD
        A fitted :class:`LocalPOD` (and with ``fit_selector`` called, for
        ``switching="parameter"`` or ``"both"``).
    model : FullOrderModel or an object with the same attributes
        The full-order model :math:`M\,du/dt = f(u, \mu, t)`.
    hyperreduction : {None, "deim", "qdeim"}
        Hyper-reduction of every cluster's model (see :class:`rom.galerkin.GalerkinROM`).
    deim_rank : int, optional
        DEIM points per cluster (at most; a cluster with fewer nonlinear snapshots
        gets fewer).
    switching : {"state", "parameter", "both"}
        How the basis is chosen (above).
    check_every : int
        Number of output intervals between two choices of the basis; the basis is
        chosen on the output grid, so a finer grid checks more often.
    features : callable ``(mu, t) -> 1-D array``, optional
        The row given to ``local_pod.select`` (default: ``mu`` as a row), for example
        ``lambda mu, t: [mu, t]`` for a classifier fitted on (parameter, time).
    shift : array (n,), optional
        The reference state :math:`\bar u` subtracted from the snapshots before
        ``local_pod.fit`` (None: zero).
    deim_tol : float, optional
        Truncation of the POD of each cluster's nonlinear snapshots: their projection
        error in the Frobenius norm (relative to their norm unless ``relative=False``).
    relative : bool
        Whether ``deim_tol`` is relative.
    random_state : int, optional
        Seed of the randomised PODs of the hyper-reduction.

    Attributes
    ----------
    roms_ : list of rom.galerkin.GalerkinROM
        The model of each cluster, on ``local_pod.bases_[k].basis_``.
    n_clusters_ : int
    ranks_ : numpy.ndarray of int, shape (K,)
        The rank of each cluster's basis.
    shift_ : numpy.ndarray, shape (n,)
    model_ : rom.galerkin.FullOrderModel
        ``model`` as a full-order model.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.integrate import solve_ivp
    >>> class Heat:  # du/dt = mu u_xx - u^3 on (0, 1), u = 0 at both ends
    ...     L = (np.eye(40, k=1) + np.eye(40, k=-1) - 2 * np.eye(40)) * 41**2
    ...     def rhs(self, u, mu, t):
    ...         return mu * (self.L @ u) - u**3
    >>> fom, x = Heat(), np.linspace(0, 1, 42)[1:-1]
    >>> u0, times = np.sin(np.pi * x) + 0.5 * np.sin(3 * np.pi * x), np.linspace(0, 0.2, 21)
    >>> def solve(mu):
    ...     f = lambda t, u: fom.rhs(u, mu, t)
    ...     return solve_ivp(f, (0, 0.2), u0, t_eval=times, method="BDF", rtol=1e-10).y
    >>> from rom.local import LocalGalerkinROM, LocalPOD
    >>> S = solve(0.1)
    >>> local = LocalPOD(2, rank=4, overlap=0.2, random_state=0).fit(S)
    >>> rom = LocalGalerkinROM(local, fom).fit(S, 0.1)
    >>> result = rom.solve(u0, times, 0.1)
    >>> err = np.linalg.norm(rom.reconstruct(result) - S) / np.linalg.norm(S)
    >>> bool(err < 1e-4), len(result.switches) >= 1
    (True, True)
    """

    _fitted_marker = "roms_"

    def __init__(
        self,
        local_pod: LocalPOD | None = None,
        model: Any = None,
        hyperreduction: str | None = None,
        deim_rank: int | None = None,
        switching: str = "state",
        *,
        check_every: int = 1,
        features: Callable[[Any, float], Any] | None = None,
        shift: Any = None,
        deim_tol: float | None = None,
        relative: bool = True,
        random_state: int | None = 0,
    ) -> None:
        self.local_pod = local_pod
        self.model = model
        self.hyperreduction = hyperreduction
        self.deim_rank = deim_rank
        self.switching = switching
        self.check_every = check_every
        self.features = features
        self.shift = shift
        self.deim_tol = deim_tol
        self.relative = relative
        self.random_state = random_state

    # ------------------------------------------------------------------ offline
    def fit(
        self,
        states: Any = None,
        mu: Any = None,
        *,
        mus: Sequence[Any] | None = None,
        times: Any = None,
        nonlinear_snapshots: Any = None,
    ) -> LocalGalerkinROM:
        """Build one Galerkin model per cluster basis of ``local_pod``.

        Parameters
        ----------
        states : array (n, m), optional
            The snapshots ``local_pod`` was fitted on (plus ``shift``), in the same
            order: cluster ``k`` fits its DEIM on the columns ``local_pod.members_[k]``.
            Required with hyper-reduction unless ``nonlinear_snapshots`` is given.
        mu : optional
            The parameter of every snapshot (when they share one).
        mus : sequence of length m, optional
            One parameter per snapshot (instead of ``mu``).
        times : array (m,), optional
            The time of every snapshot (default 0).
        nonlinear_snapshots : array (n, m), optional
            Snapshots of the interpolated term, column by column as ``states``.

        Returns
        -------
        self
        """
        from rom.galerkin import GalerkinROM, as_full_order_model

        lp = self.local_pod
        if not isinstance(lp, LocalPOD):
            raise TypeError(f"local_pod: expected a LocalPOD, got {type(lp).__name__}")
        if not hasattr(lp, "bases_"):
            raise ValueError("local_pod: expected a fitted LocalPOD (call local_pod.fit first)")
        switching = check_choice(self.switching, "switching", SWITCHINGS)
        if switching != "state" and not hasattr(lp, "selector_"):
            raise ValueError(
                f"local_pod: switching={switching!r} needs a classifier: call "
                "local_pod.fit_selector(parameters, classifier) first"
            )
        check_positive_int(self.check_every, "check_every", allow_none=False)
        check_positive_int(self.deim_rank, "deim_rank")
        check_tolerance(self.deim_tol, "deim_tol", upper=1.0)
        if self.features is not None and not callable(self.features):
            raise TypeError("features: expected a callable (mu, t) -> 1-D array, or None")
        if self.model is None:
            raise ValueError("model: a full-order model is required")
        model = as_full_order_model(self.model)
        bases = [np.asarray(b.basis_) for b in lp.bases_]
        n, m = bases[0].shape[0], lp.n_snapshots_
        if model.mass is not None and tuple(model.mass.shape) != (n, n):
            raise ValueError(
                f"model: its mass matrix has shape {tuple(model.mass.shape)}, but the bases "
                f"of local_pod have {n} rows"
            )
        shift = np.zeros(n) if self.shift is None else check_array(self.shift, "shift", shape=(n,))
        if states is not None:
            states = check_array(states, "states", ndim=2)
            if states.shape != (n, m):
                raise ValueError(
                    f"states: expected shape ({n}, {m}) (the snapshots local_pod was fitted "
                    f"on), got {states.shape}"
                )
        if nonlinear_snapshots is not None:
            nonlinear_snapshots = check_array(nonlinear_snapshots, "nonlinear_snapshots", ndim=2)
            if nonlinear_snapshots.shape != (n, m):
                raise ValueError(
                    f"nonlinear_snapshots: expected shape ({n}, {m}) (one column per "
                    f"snapshot of local_pod), got {nonlinear_snapshots.shape}"
                )
        if mus is not None and len(mus) != m:
            raise ValueError(f"mus: expected {m} parameters (one per snapshot), got {len(mus)}")
        if times is not None:
            times = check_array(times, "times", shape=(m,), dtype_kind="f")
        if mu is not None or mus is not None:
            # one full evaluation: a model of another size fails here, with a clear message
            u = states[:, 0] if states is not None else shift + np.real(lp.medoids_[:, 0])
            f = np.asarray(
                model.rhs(u, mus[0] if mus is not None else mu, 0.0 if times is None else times[0])
            )
            if f.shape[0] != n:
                raise ValueError(
                    f"model: its right-hand side has {f.shape[0]} rows, but the bases of "
                    f"local_pod have {n}"
                )

        roms = []
        for k, (basis, idx) in enumerate(zip(bases, lp.members_, strict=True)):
            rom = GalerkinROM(
                basis,
                self.model,  # as given: a saved file names it once, as the part "model"
                self.hyperreduction,
                self.deim_rank,
                deim_tol=self.deim_tol,
                relative=self.relative,
                shift=shift,
                random_state=self.random_state,
            )
            try:
                rom.fit(
                    None if states is None else states[:, idx],
                    mu,
                    mus=None if mus is None else [mus[j] for j in idx],
                    times=None if times is None else times[idx],
                    nonlinear_snapshots=(
                        None if nonlinear_snapshots is None else nonlinear_snapshots[:, idx]
                    ),
                )
            except ValueError as err:
                raise ValueError(f"cluster {k}: {err}") from err
            roms.append(rom)
        self.roms_ = roms
        self.shift_ = shift
        self.ranks_ = np.array([rom.rank_ for rom in roms], dtype=np.int64)
        self._restore()
        logger.info(
            "local Galerkin ROM: %d clusters, ranks %s, DEIM points %s",
            len(roms),
            self.ranks_.tolist(),
            [rom.n_points_ for rom in roms],
        )
        return self

    def _restore(self) -> None:
        """The private state, from the public one (after fit and after loading)."""
        from rom.galerkin import GalerkinROM, as_full_order_model

        roms, n = self.roms_, self.shift_.shape[0]
        if (
            not isinstance(roms, list)
            or not roms
            or not all(isinstance(rom, GalerkinROM) for rom in roms)
            or self.shift_.ndim != 1
            or any(rom.basis_.shape[0] != n for rom in roms)
            or len(self.local_pod.bases_) != len(roms)
            or self.ranks_.tolist() != [rom.rank_ for rom in roms]
        ):
            raise ValueError("roms_, ranks_, shift_: inconsistent with each other or local_pod")
        self._model = as_full_order_model(self.model)

    @property
    def n_clusters_(self) -> int:
        """The number of clusters (and of Galerkin models)."""
        self._check_fitted()
        return len(self.roms_)

    @property
    def model_(self) -> Any:
        """``model`` as a :class:`rom.galerkin.FullOrderModel`."""
        self._check_fitted()
        return self._model

    # ------------------------------------------------------------------ online
    def _select(self, mu: Any, t: float) -> int:
        row = mu if self.features is None else self.features(mu, t)
        row = np.atleast_1d(np.asarray(row, dtype=float)).reshape(1, -1)
        return int(self.local_pod.select(row)[0])

    def select(self, mu: Any, t: float = 0.0) -> int:
        """The cluster the classifier of ``local_pod`` predicts for ``features(mu, t)``.

        Parameters
        ----------
        mu : array_like or float
            The parameter set.
        t : float
            The time.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.neighbors import KNeighborsClassifier
        >>> from rom.galerkin import FullOrderModel
        >>> from rom.local import LocalGalerkinROM, LocalPOD
        >>> x = np.linspace(0, 1, 50)[:, None]
        >>> mu = np.linspace(1.0, 3.0, 20)
        >>> lp = LocalPOD(2, rank=3, random_state=0).fit(np.exp(-mu * x))
        >>> lp = lp.fit_selector(mu[:, None], KNeighborsClassifier(1))
        >>> model = FullOrderModel(lambda u, mu, t: -mu * u)
        >>> rom = LocalGalerkinROM(lp, model, switching="parameter").fit()
        >>> rom.select(mu[0]) == int(lp.labels_[0])
        True
        """
        self._check_fitted()
        if not hasattr(self.local_pod, "selector_"):
            raise ValueError("local_pod: no classifier; call local_pod.fit_selector first")
        return self._select(mu, t)

    def solve(
        self,
        initial: Any,
        times: Any,
        mu: Any,
        *,
        cluster: int | None = None,
        method: str = "implicit",
        rtol: float = 1e-6,
        atol: float = 1e-9,
        error_norm: str = "global",
        autonomous: bool = False,
    ) -> LocalTrajectory:
        """Integrate, switching the basis every ``check_every`` output intervals.

        Parameters
        ----------
        initial : array (n,) or (r_k,)
            An initial state (its cluster: ``local_pod.assign`` for
            ``switching="state"``, the classifier otherwise; then its Galerkin
            projection), or coordinates in basis ``cluster``.
        times : array (n_t,)
            Output times, strictly increasing; ``times[0]`` is the initial time.
        mu : any
            The parameter passed to the model (and to the classifier).
        cluster : int, optional
            The initial cluster (required when ``initial`` holds coordinates).
        method, rtol, atol, error_norm, autonomous : see GalerkinROM.solve
            Passed to :meth:`rom.galerkin.GalerkinROM.solve` for every segment.

        Returns
        -------
        LocalTrajectory
            Use :meth:`reconstruct` for the states.
        """
        self._check_fitted()
        lp, roms = self.local_pod, self.roms_
        K = len(roms)
        n = self.shift_.size
        times = check_array(times, "times", ndim=1, dtype_kind="f")
        if times.size < 1 or np.any(np.diff(times) <= 0):
            raise ValueError("times: expected strictly increasing output times")
        initial = check_array(initial, "initial", ndim=1)
        if cluster is not None:
            if isinstance(cluster, bool) or not isinstance(cluster, int | np.integer):
                raise TypeError(f"cluster: expected a cluster index (int), got {cluster!r}")
            if not 0 <= int(cluster) < K:
                raise ValueError(f"cluster: expected an index in [0, {K}), got {cluster}")
            cluster = int(cluster)
        t0 = float(times[0])
        if initial.size == n and (cluster is None or self.ranks_[cluster] != n):
            if cluster is None:
                if self.switching == "state":
                    cluster = int(lp.assign(initial - self.shift_))
                else:
                    cluster = self._select(mu, t0)
            a = roms[cluster].project(initial)
        else:
            if cluster is None:
                raise ValueError(
                    f"initial: expected a state of {n} entries, or coordinates with cluster="
                )
            if initial.size != self.ranks_[cluster]:
                raise ValueError(
                    f"initial: expected {self.ranks_[cluster]} coordinates (basis {cluster}) "
                    f"or a state of {n} entries, got {initial.size}"
                )
            a = initial.astype(np.result_type(initial, float), copy=True)

        n_t = times.size
        dtype = np.result_type(a, *(rom.basis_ for rom in roms))
        coordinates = np.zeros((int(self.ranks_.max()), n_t), dtype=dtype)
        clusters = np.empty(n_t, dtype=np.int64)
        clusters[0] = cluster
        coordinates[: a.size, 0] = a
        switches: list[Switch] = []
        totals: dict = {}
        step = n_t - 1 if K == 1 else self.check_every
        start = 0
        while start < n_t - 1:
            stop = min(start + step, n_t - 1)
            stats: dict = {}
            A = roms[cluster].solve(
                a,
                times[start : stop + 1],
                mu,
                method=method,
                rtol=rtol,
                atol=atol,
                state=False,
                stats=stats,
                error_norm=error_norm,
                autonomous=autonomous,
            )
            for key, value in stats.items():
                if isinstance(value, int | float):
                    totals[key] = totals.get(key, 0) + value
            r = A.shape[0]
            if np.iscomplexobj(A) and not np.iscomplexobj(coordinates):  # a complex model
                coordinates = coordinates.astype(complex)
            coordinates[:r, start + 1 : stop + 1] = A[:, 1:]
            clusters[start + 1 : stop + 1] = cluster
            a = A[:, -1]
            if stop < n_t - 1:
                t = float(times[stop])
                if self.switching == "parameter":
                    target = self._select(mu, t)
                else:
                    target = int(lp.assign(a, basis=cluster))
                if target != cluster:
                    after = lp.transfer(a, cluster, target)
                    switches.append(Switch(stop, t, cluster, target, a.copy(), after))
                    logger.debug("switch at t = %g: cluster %d -> %d", t, cluster, target)
                    cluster, a = target, after
                    coordinates[:, stop] = 0.0
                    coordinates[: a.size, stop] = a
                    clusters[stop] = cluster
            start = stop
        return LocalTrajectory(
            times=times.copy(),
            clusters=clusters,
            coordinates=coordinates,
            ranks=self.ranks_[clusters],
            switches=switches,
            stats=totals,
        )

    def reconstruct(self, result: LocalTrajectory) -> np.ndarray:
        r"""The states :math:`\bar u + \Phi_{k_t} a_t` of a trajectory, shape (n, n_t).

        Parameters
        ----------
        result : LocalTrajectory
            What :meth:`solve` returned.
        """
        self._check_fitted()
        if not isinstance(result, LocalTrajectory):
            raise TypeError(
                f"result: expected a LocalTrajectory (from solve), got {type(result).__name__}"
            )
        clusters = np.asarray(result.clusters)
        if clusters.size and (clusters.min() < 0 or clusters.max() >= self.n_clusters_):
            raise ValueError(f"result: cluster indices outside [0, {self.n_clusters_})")
        dtype = np.result_type(
            result.coordinates, self.shift_, *(rom.basis_ for rom in self.roms_)
        )
        out = np.empty((self.shift_.size, clusters.size), dtype=dtype)
        for k in np.unique(clusters):
            cols = np.flatnonzero(clusters == k)
            out[:, cols] = self.roms_[k].reconstruct(result.coordinates[: self.ranks_[k], cols])
        return out
