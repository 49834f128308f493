r"""Manifold Galerkin and manifold LSPG reduced models of ``du/dt = f(u, mu, t)``."""

from __future__ import annotations

import copy
import logging
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.backend import blas_threads
from rom.galerkin.integrate import integrate
from rom.galerkin.model import FullOrderModel, as_full_order_model, column_arguments
from rom.manifold._decoder import Decoder, is_fitted, oversample
from rom.manifold._stepping import SCHEMES, Online, march
from rom.validation import (
    check_array,
    check_choice,
    check_positive_int,
    check_tolerance,
    is_sparse,
)

__all__ = ["ManifoldROM"]

logger = logging.getLogger("rom.manifold")

METHODS = ("galerkin", "lspg")
HYPERREDUCTIONS = (None, "deim", "gappy")


def _is_identity(M: Any) -> bool:
    if M is None:
        return True
    if is_sparse(M):
        D = M.tocsr()
        return D.shape[0] == D.shape[1] and (D != _sparse_eye(D.shape[0])).nnz == 0
    M = np.asarray(M)
    return M.ndim == 2 and bool(np.array_equal(M, np.eye(M.shape[0])))


def _sparse_eye(n: int):
    import scipy.sparse

    return scipy.sparse.identity(n, format="csr")


class ManifoldROM(Estimator):
    r"""Manifold Galerkin or manifold LSPG reduced model of :math:`du/dt = f(u, \mu, t)`.

    The state is approximated on the nonlinear trial manifold of a reduction,
    :math:`u \approx g(z)` with ``r`` coordinates ``z`` and the decoder tangent
    :math:`J(z) = \partial g/\partial z` (Lee and Carlberg 2020):

    - ``method="galerkin"``: :math:`\dot z = J(z)^+ f(g(z), \mu, t)`, the velocity
      that minimises the time-continuous residual, then integrated in time (the
      fixed-step ``scheme`` solved by Newton, or ``scheme="adaptive"``:
      :func:`rom.galerkin.integrate`'s implicit Rosenbrock method);
    - ``method="lspg"``: at each step of the ``scheme`` (backward Euler or BDF2) the
      coordinates minimise the norm of the time-discrete residual of the state,
      :math:`r(z) = g(z) - \sum_j \alpha_j g(z_{n-j}) - \beta\,\Delta t\, f(g(z))`,
      by Gauss-Newton with :math:`\partial r/\partial z = (I - \beta\,\Delta t\,
      \partial f/\partial u)\,J(z)`.

    With a linear decoder (a :class:`rom.POD`) manifold Galerkin is POD-Galerkin
    (:class:`rom.galerkin.GalerkinROM`). With hyper-reduction only ``m`` rows of the
    residual are computed: the DEIM points (``"deim"``, ``m = deim_rank``) or
    ``n_samples`` gappy points (``"gappy"``: the DEIM points grown by greedy
    maximum volume) of the POD basis :math:`U` (``deim_rank`` modes) of snapshots of
    ``f``; the residual norm becomes :math:`\|(P^T U)^+ P^T r\|`, and the decoder
    and its tangent are evaluated on the sample rows and their stencil only, so the
    online cost does not depend on ``n``. Derivations: :doc:`/theory/manifolds`.

    Real only (the Gauss-Newton steps and the gappy weights are real); the model's
    mass must be the identity.

    Parameters
    ----------
    reduction : reduction
        The trial manifold: an object with ``fit(S)``, ``transform(S)``,
        ``inverse_transform(Z, rows=None)``, ``jacobian(z, rows=None)`` and ``rank_``
        (:class:`~rom.manifold.QuadraticManifold`, an autoencoder), or a
        :class:`rom.POD` (decoder ``basis_ z``). Fitted by :meth:`fit` on the states
        if it is not fitted yet.
    model : FullOrderModel or an object with the same attributes
        The full-order model (:class:`rom.galerkin.FullOrderModel`); hyper-reduction
        needs its ``stencil`` and ``rhs_entries``. Not stored in a saved file:
        :func:`rom.load` takes it back as the part ``model``.
    method : {"galerkin", "lspg"}
    hyperreduction : {None, "deim", "gappy"}
    deim_rank : int, optional
        Modes of the POD of the ``f`` snapshots (at most; see ``deim_tol``).
    n_samples : int, optional
        Sample rows of ``"gappy"`` (default twice the number of modes), at least the
        number of modes.
    scheme : {"bdf2", "backward_euler", "adaptive"}
        Time discretisation; ``"adaptive"`` only with ``method="galerkin"``.
    time_step : float, optional
        Step of the fixed-step schemes (None: the spacing of the ``times`` given to
        :meth:`solve`, which must then be uniform).
    deim_tol : float, optional
        Truncation of the POD of the ``f`` snapshots: their projection error in the
        Frobenius norm (relative unless ``relative=False``).
    relative : bool
    random_state : int, optional
        Seed of the randomised POD.

    Attributes
    ----------
    reduction_ : reduction
        The fitted reduction: ``reduction`` itself if it was fitted, else a fitted copy.
    n_dofs_ : int
        ``n``.
    rank_ : int
        ``r``, the reduction's.
    points_ : ndarray of int (m,)
        The sample rows :math:`P` (hyper-reduced models only, as the next two).
    stencil_ : ndarray of int (s,)
        ``model.stencil(points_)``.
    weights_ : ndarray (k, m)
        :math:`(P^T U)^+`.

    Examples
    --------
    >>> import numpy as np
    >>> from rom import POD
    >>> from rom.galerkin import FullOrderModel
    >>> from rom.manifold import ManifoldROM
    >>> A = -np.diag(np.linspace(1.0, 3.0, 30))
    >>> model = FullOrderModel(lambda u, mu, t: mu * (A @ u), jacobian=lambda u, mu, t: mu * A)
    >>> times = np.linspace(0.0, 1.0, 11)
    >>> S = np.exp(np.outer(np.diag(A), times))  # the exact solution from u0 = 1
    >>> rom = ManifoldROM(POD(rank=4), model, method="lspg", scheme="bdf2").fit(S)
    >>> Z = rom.solve(S[:, 0], times, 1.0)
    >>> Z.shape
    (4, 11)
    """

    _fitted_marker = "n_dofs_"

    def __init__(
        self,
        reduction: Any = None,
        model: Any = None,
        method: str = "lspg",
        hyperreduction: str | None = None,
        deim_rank: int | None = None,
        n_samples: int | None = None,
        scheme: str = "bdf2",
        time_step: float | None = None,
        *,
        deim_tol: float | None = None,
        relative: bool = True,
        random_state: int | None = 0,
    ) -> None:
        self.reduction = reduction
        self.model = model
        self.method = method
        self.hyperreduction = hyperreduction
        self.deim_rank = deim_rank
        self.n_samples = n_samples
        self.scheme = scheme
        self.time_step = time_step
        self.deim_tol = deim_tol
        self.relative = relative
        self.random_state = random_state

    # ------------------------------------------------------------------ offline
    def _check_settings(self) -> FullOrderModel:
        check_choice(self.method, "method", METHODS)
        if self.hyperreduction not in HYPERREDUCTIONS:
            raise ValueError(
                f"hyperreduction: expected one of {HYPERREDUCTIONS}, got {self.hyperreduction!r}"
            )
        schemes = (*SCHEMES, "adaptive")
        check_choice(self.scheme, "scheme", schemes)
        if self.scheme == "adaptive" and self.method == "lspg":
            raise ValueError("scheme: 'adaptive' is for method='galerkin' (LSPG steps are fixed)")
        if self.time_step is not None:
            if isinstance(self.time_step, bool) or not isinstance(self.time_step, numbers.Real):
                raise TypeError(f"time_step: expected a positive number, got {self.time_step!r}")
            if not (np.isfinite(self.time_step) and self.time_step > 0):
                raise ValueError(f"time_step: expected a positive number, got {self.time_step}")
        check_positive_int(self.deim_rank, "deim_rank")
        check_positive_int(self.n_samples, "n_samples")
        check_tolerance(self.deim_tol, "deim_tol", upper=1.0)
        if not isinstance(self.relative, bool | np.bool_):
            raise TypeError(f"relative: expected True or False, got {self.relative!r}")
        if self.model is None:
            raise ValueError("model: a full-order model is required")
        model = as_full_order_model(self.model)
        if not _is_identity(model.mass):
            raise ValueError("model.mass: expected None or the identity (du/dt = f)")
        if self.reduction is None:
            raise ValueError("reduction: a reduction (POD, QuadraticManifold, ...) is required")
        for name in ("fit", "transform", "inverse_transform"):
            if not callable(getattr(self.reduction, name, None)):
                raise TypeError(
                    f"reduction: expected an object with fit, transform and inverse_transform, "
                    f"got {type(self.reduction).__name__}"
                )
        hyper = self.hyperreduction
        if hyper is not None:
            if model.rhs_entries is None or model.stencil is None:
                raise ValueError(
                    f"model: hyperreduction={hyper!r} needs model.rhs_entries and model.stencil"
                )
            if self.deim_rank is None and self.deim_tol is None:
                raise ValueError("deim_rank: give the number of modes of f (or deim_tol)")
            if hyper == "deim" and self.n_samples is not None:
                raise ValueError("n_samples: only for hyperreduction='gappy' (DEIM takes m = k)")
        return model

    def fit(
        self,
        states: Any = None,
        mu: Any = None,
        *,
        mus: Sequence[Any] | None = None,
        times: Any = None,
        rhs_snapshots: Any = None,
    ) -> ManifoldROM:
        r"""Fit the reduction (if not fitted yet) and select the sample rows.

        Parameters
        ----------
        states : array (n, n_s), optional
            State snapshots (columns). Needed when the reduction is not fitted, and
            for hyper-reduction unless ``rhs_snapshots`` is given.
        mu : optional
            The parameter of every snapshot (when they share one).
        mus : sequence of length n_s, optional
            One parameter per snapshot (instead of ``mu``).
        times : array (n_s,), optional
            The time of every snapshot (default 0).
        rhs_snapshots : array (n, n_f), optional
            Snapshots of ``f`` for the hyper-reduction basis; default ``f`` at the
            states.

        Returns
        -------
        self
        """
        for name in self._fitted_names():
            delattr(self, name)
        model = self._check_settings()
        if states is not None:
            states = check_array(states, "states", ndim=2, dtype_kind="f")
        if is_fitted(self.reduction):
            self.reduction_ = self.reduction
        else:
            if states is None:
                raise ValueError("states: required to fit the reduction (it is not fitted)")
            self.reduction_ = copy.deepcopy(self.reduction).fit(states)
        decoder = Decoder(self.reduction_)
        n = decoder.n
        if states is not None and states.shape[0] != n:
            raise ValueError(
                f"states: expected {n} rows (the reduction decodes {n}), got {states.shape[0]}"
            )
        self.n_dofs_ = int(n)
        if self.hyperreduction is not None:
            self._fit_samples(model, decoder, states, mu, mus, times, rhs_snapshots, n)
        self._restore()
        logger.info(
            "manifold %s ROM: n = %d, r = %d, %s",
            self.method,
            n,
            decoder.rank,
            f"{self.n_points_} sample rows" if self.hyperreduction else "no hyper-reduction",
        )
        return self

    def _fit_samples(self, model, decoder, states, mu, mus, times, G, n) -> None:
        from rom.eim import DEIM
        from rom.linalg import POD

        if G is None:
            if states is None:
                raise ValueError("states: required to compute the snapshots of f")
            m_s = states.shape[1]
            column_mus, column_times = column_arguments(m_s, mu, mus, times)
            G = np.column_stack(
                [
                    np.asarray(model.rhs(states[:, j], column_mus[j], column_times[j]))
                    for j in range(m_s)
                ]
            )
            if not np.all(np.isfinite(G)):
                raise ValueError("model: rhs is not finite at the states (check mu / mus)")
        else:
            G = check_array(G, "rhs_snapshots", ndim=2, dtype_kind="f")
            if G.shape[0] != n:
                raise ValueError(f"rhs_snapshots: expected {n} rows, got {G.shape[0]}")
        U = np.asarray(
            POD(
                rank=self.deim_rank,
                tol=self.deim_tol,
                relative=self.relative,
                random_state=self.random_state,
            )
            .fit(G)
            .basis_
        )
        k = U.shape[1]
        P = np.asarray(DEIM.from_basis(U).points_, dtype=np.int64)
        if self.hyperreduction == "gappy":
            count = 2 * k if self.n_samples is None else self.n_samples
            if count < k:
                raise ValueError(
                    f"n_samples: expected at least {k} (the number of modes of f), got {count}"
                )
            P = oversample(U, P, min(count, n))
        stencil = np.asarray(model.stencil(P))
        if stencil.ndim != 1 or stencil.dtype.kind not in "iu" or stencil.size == 0:
            raise ValueError(f"model.stencil: expected a 1-D integer array, got {stencil!r}")
        if stencil.min() < 0 or stencil.max() >= n or np.any(np.diff(stencil) <= 0):
            raise ValueError("model.stencil: expected sorted unique indices in [0, n)")
        self.points_ = P
        self.stencil_ = stencil.astype(np.int64)
        self.weights_ = np.linalg.pinv(U[P])

    def _restore(self) -> None:
        """The private state from the public one (after fit and after loading)."""
        n = self.n_dofs_
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"n_dofs_: expected a positive integer, got {n!r}")
        model = self._check_settings()
        if "reduction_" not in vars(self):  # saved once when it is the given reduction
            self.reduction_ = self.reduction
        if not is_fitted(self.reduction_):
            raise ValueError("reduction_: expected a fitted reduction")
        decoder = Decoder(self.reduction_)
        if decoder.n != n:
            raise ValueError(f"reduction: decodes {decoder.n} entries, expected n_dofs_ = {n}")
        self._model = model
        self._decoder = decoder
        self._hyper = None
        has = [k in vars(self) for k in ("points_", "stencil_", "weights_")]
        if any(has) and not all(has):
            raise ValueError("points_, stencil_, weights_: all or none are expected")
        if all(has) != (self.hyperreduction is not None):
            raise ValueError("points_: present exactly when hyperreduction is set")
        if all(has):
            P, S, W = self.points_, self.stencil_, self.weights_
            if (
                not isinstance(P, np.ndarray)
                or not isinstance(S, np.ndarray)
                or not isinstance(W, np.ndarray)
                or P.ndim != 1
                or S.ndim != 1
                or P.dtype.kind not in "iu"
                or S.dtype.kind not in "iu"
                or P.size == 0
                or S.size == 0
                or P.min() < 0
                or P.max() >= n
                or S.min() < 0
                or S.max() >= n
                or np.unique(P).size != P.size
                or np.any(np.diff(S) <= 0)
                or W.ndim != 2
                or W.shape[1] != P.size
                or W.shape[0] > P.size
                or W.dtype.kind != "f"
                or not np.all(np.isfinite(W))
            ):
                raise ValueError("points_, stencil_, weights_: inconsistent shapes or indices")
            rows = np.union1d(P, S).astype(np.int64)
            self._hyper = {
                "rows": rows,
                "points": P.astype(np.int64),
                "weights": W,
                "at_points": np.searchsorted(rows, P),
                "at_stencil": np.searchsorted(rows, S),
            }

    def _fitted_state(self) -> dict[str, Any]:
        state = super()._fitted_state()
        if state.get("reduction_") is self.reduction:
            del state["reduction_"]
        return state

    # ------------------------------------------------------------------ shapes
    @property
    def rank_(self) -> int:
        """The number of reduced coordinates ``r``."""
        self._check_fitted()
        return int(self._decoder.rank)

    @property
    def n_points_(self) -> int:
        """The number of sample rows ``m`` (0 without hyper-reduction)."""
        self._check_fitted()
        return int(self.points_.size) if "points_" in vars(self) else 0

    @property
    def sample_rows_(self) -> np.ndarray:
        """The rows of the state the online stage decodes: sample rows and their stencil."""
        self._check_fitted()
        if self._hyper is None:
            return np.arange(self.n_dofs_)
        return self._hyper["rows"]

    # ------------------------------------------------------------------ online
    def encode(self, u: Any) -> np.ndarray:
        """The coordinates of the state ``u``: the reduction's ``transform``.

        Parameters
        ----------
        u : array (n,)

        Returns
        -------
        ndarray (r,)
        """
        self._check_fitted()
        u = check_array(u, "u", shape=(self.n_dofs_,), dtype_kind="f")
        return self._decoder.encode(u)

    def reconstruct(self, Z: Any, rows: Any = None) -> np.ndarray:
        """The states ``g(z)`` of the coordinates ``Z``, or only their rows ``rows``.

        Parameters
        ----------
        Z : array (r,) or (r, k)
        rows : array of int, optional
            Indices of the entries of the state to decode (None: all).

        Returns
        -------
        ndarray (n,) or (n, k), or (len(rows),) or (len(rows), k)
        """
        self._check_fitted()
        Z = check_array(Z, "Z", ndim=(1, 2), dtype_kind="f")
        if Z.shape[0] != self.rank_:
            raise ValueError(
                f"Z: expected {self.rank_} rows (one per coordinate), got {Z.shape[0]}"
            )
        if rows is not None:
            rows = np.asarray(rows)
            if rows.ndim != 1 or rows.dtype.kind not in "iu":
                raise TypeError(f"rows: expected a 1-D integer array, got {rows!r}")
            if rows.size and (rows.min() < 0 or rows.max() >= self.n_dofs_):
                raise ValueError(f"rows: expected indices in [0, {self.n_dofs_})")
        return self._decoder.decode(Z, rows)

    def rhs(self, z: Any, mu: Any, t: float = 0.0) -> np.ndarray:
        r"""The manifold Galerkin velocity :math:`\dot z` (hyper-reduced if fitted so).

        Parameters
        ----------
        z : array (r,)
        mu : any
            The parameter passed to the model.
        t : float

        Returns
        -------
        ndarray (r,)
        """
        self._check_fitted()
        z = check_array(z, "z", shape=(self.rank_,), dtype_kind="f")
        return Online(self._decoder, self._model, mu, self._hyper).velocity(t, z)

    def _grid(self, times: np.ndarray) -> tuple[float, np.ndarray]:
        dt = self.time_step
        span = times - times[0]
        if dt is None:
            if times.size < 2:
                raise ValueError("times: give time_step, or at least two times")
            dt = float(times[1] - times[0])
        steps = span / dt
        n_steps = np.rint(steps).astype(np.int64)
        if np.any(np.abs(steps - n_steps) > 1e-6 * np.maximum(1.0, steps)):
            raise ValueError(
                f"times: expected times[0] + multiples of the time step {dt:.6g} "
                "(uniform times, or give time_step)"
            )
        return float(dt), n_steps

    def solve(
        self,
        initial: Any,
        times: Any,
        mu: Any,
        *,
        state: bool | None = None,
        newton_tol: float = 1e-6,
        max_iter: int = 20,
        rtol: float = 1e-6,
        atol: float = 1e-9,
        stats: dict | None = None,
    ) -> np.ndarray:
        """Integrate the reduced model; the coordinates at ``times``, shape (r, n_t).

        Parameters
        ----------
        initial : array (r,) or (n,)
            Initial coordinates, or an initial state (encoded by the reduction's
            ``transform``: the only use of ``n``-sized data online).
        times : array (n_t,)
            Output times, increasing; ``times[0]`` is the initial time. With a
            fixed-step scheme they are ``times[0]`` plus multiples of the step.
        mu : any
            The parameter passed to the model.
        state : bool, optional
            Whether ``initial`` is a state; default: decided by its length.
        newton_tol : float
            (Gauss-)Newton stops when its step is at most ``newton_tol`` times
            ``||z||`` (plus ``newton_tol``).
        max_iter : int
            (Gauss-)Newton iterations per step; more raise
            :class:`rom.galerkin.IntegrationError`, as does a residual that is not
            finite.
        rtol, atol : float
            Tolerances of ``scheme="adaptive"``.
        stats : dict, optional
            Filled with the number of steps and of (Gauss-)Newton iterations.

        Returns
        -------
        ndarray, shape (r, n_t)
            Use :meth:`reconstruct` for the states.
        """
        self._check_fitted()
        n, r = self.n_dofs_, self.rank_
        initial = check_array(initial, "initial", ndim=1, dtype_kind="f")
        if state is None:
            if initial.size not in (n, r) or n == r:
                raise ValueError(
                    f"initial: expected {r} coordinates or a state of {n} entries, "
                    f"got {initial.size}"
                )
            state = initial.size == n
        if state:
            z0 = self.encode(initial)
        else:
            z0 = check_array(initial, "initial", shape=(r,), dtype_kind="f")
        times = check_array(times, "times", ndim=1, dtype_kind="f")
        if times.size == 0 or np.any(np.diff(times) <= 0):
            raise ValueError("times: expected a non-empty increasing array")
        check_tolerance(newton_tol, "newton_tol")
        max_iter = check_positive_int(max_iter, "max_iter", allow_none=False)
        with blas_threads(1):  # small dense algebra: one thread is faster and predictable
            return self._solve(z0, times, mu, newton_tol, max_iter, rtol, atol, stats)

    def _solve(self, z0, times, mu, newton_tol, max_iter, rtol, atol, stats):
        online = Online(self._decoder, self._model, mu, self._hyper)
        if self.scheme == "adaptive":
            return integrate(
                online.velocity,
                z0,
                times,
                method="implicit",
                jacobian=online.velocity_jacobian,
                rtol=rtol,
                atol=atol,
                stats=stats,
                error_norm="global",
            )
        dt, n_steps = self._grid(times)
        return march(
            online,
            self.method,
            self.scheme,
            np.array(z0, dtype=float),
            float(times[0]),
            dt,
            n_steps,
            newton_tol,
            max_iter,
            stats,
        )

    def predict(self, initial: Any, times: Any, mu: Any, **kwargs: Any) -> np.ndarray:
        """The states at ``times``: :meth:`reconstruct` of :meth:`solve`.

        Parameters
        ----------
        initial : array (r,) or (n,)
            As for :meth:`solve`.
        times : array (n_t,)
            As for :meth:`solve`.
        mu : any
            As for :meth:`solve`.
        **kwargs
            The keyword arguments of :meth:`solve`.

        Returns
        -------
        ndarray (n, n_t)
        """
        return self.reconstruct(self.solve(initial, times, mu, **kwargs))
