"""The Lagrangian Galerkin reduced-order model, hyper-reduced with DEIM."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom._base import Estimator
from rom.lagrangian.interpolate import to_fixed_grid
from rom.lagrangian.pod import LagrangianPOD, check_snapshots
from rom.lagrangian.stencil import GridCrossingError, check_grid, second_derivative, stencils
from rom.validation import check_array, check_positive_int, check_tolerance

__all__ = ["LagrangianROM"]

HYPERREDUCTIONS = (None, "deim", "qdeim")


class LagrangianROM(Estimator):
    r"""Galerkin ROM of ``x' = f1(w)``, ``w' = f2 D_xx(x) w`` in Lagrangian bases.

    With :math:`w \approx \Phi_w a` and :math:`x \approx \bar x + \Phi_x b`
    (:class:`LagrangianPOD`), the Galerkin projection of the two equations is

    .. math::

       a' = f_2\, \Phi_w^T D_{xx}(\bar x + \Phi_x b)\, \Phi_w a, \qquad
       b' = \Phi_x^T f_1(\Phi_w a) = c\, \Phi_x^T \mathbf 1 + k\, (\Phi_x^T \Phi_w)\, a

    for the affine flux speed :math:`f_1(w) = c + k w` (``velocity`` :math:`c`,
    ``burgers`` :math:`k`). The diffusion term depends on the grid nonlinearly;
    with ``hyperreduction`` it is replaced by its DEIM interpolant at ``deim_rank``
    rows, each computed from the ``width`` positions and states of its stencil, so
    that the online cost does not depend on the grid size; without it every row is
    computed. The derivation and the limits of the method are on
    :doc:`/theory/lagrangian`.

    Time integration: classical RK4 (compiled), the step bounded by the RK4
    stability limit of the reduced diffusion matrix at every output time. The
    reconstructed stencils are checked at every stage: a reduced grid that crosses
    itself raises :class:`GridCrossingError`.

    Real only: the nodes move with the flux speed :math:`f_1(w)`, so their positions
    and, with ``burgers``, the states are real (the compiled integrator is real).

    Parameters
    ----------
    rank_state, rank_grid : int, optional
        Maximum numbers of state and grid modes (see :class:`LagrangianPOD`).
    tol : float, optional
        Truncation of both PODs: the projection error of each snapshot set in the
        Frobenius norm, relative to its norm unless ``relative=False``.
    deim_rank : int, optional
        Number of DEIM points (default: chosen by ``deim_tol``).
    deim_tol : float, optional
        Truncation of the POD of the ``D_xx(x) w`` snapshots: their projection error
        in the Frobenius norm, relative unless ``relative=False`` (default ``1e-8``
        when neither ``deim_rank`` nor ``deim_tol`` is given).
    relative : bool
        Whether ``tol`` and ``deim_tol`` are relative.
    hyperreduction : {"deim", "qdeim", None}
        Point selection for the diffusion term, or None for the exact projection
        (every row computed).
    width : int
        Stencil width of ``D_xx`` (must match the full model's).
    period : float, optional
        Periodic domain length (unwrapped grids).

    Attributes
    ----------
    pod_ : LagrangianPOD
    deim_ : rom.eim.DEIM or rom.eim.QDEIM or None
    points_ : numpy.ndarray of int, shape (m,)
        The rows of ``D_xx(x) w`` computed online, sorted.
    interpolation_ : numpy.ndarray, shape (r_w, m)
        :math:`E = \Phi_w^T U (P^T U)^{-1}` (columns in the order of ``points_``).
    ranks_ : (int, int)
        ``(r_w, r_x)``.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.lagrangian import LagrangianROM
    >>> x0 = np.linspace(0, 1, 200, endpoint=False)
    >>> t = np.linspace(0, 1, 11)
    >>> w0 = np.exp(-((x0 - 0.3) ** 2) / 0.002)
    >>> X, W = x0[:, None] + 0.7 * t, np.repeat(w0[:, None], t.size, axis=1)
    >>> rom = LagrangianROM(period=1.0).fit(W, X)
    >>> a, b = rom.solve(w0, t, velocity=0.7)
    >>> Wr, Xr = rom.reconstruct(a, b)
    >>> bool(np.allclose(Xr, X) and np.allclose(Wr, W))
    True
    """

    _fitted_marker = "pod_"

    def __init__(
        self,
        rank_state: int | None = None,
        rank_grid: int | None = None,
        tol: float | None = None,
        deim_rank: int | None = None,
        deim_tol: float | None = None,
        relative: bool = True,
        hyperreduction: str | None = "deim",
        width: int = 3,
        period: float | None = None,
    ) -> None:
        self.rank_state = rank_state
        self.rank_grid = rank_grid
        self.tol = tol
        self.deim_rank = deim_rank
        self.deim_tol = deim_tol
        self.relative = relative
        self.hyperreduction = hyperreduction
        self.width = width
        self.period = period

    # ------------------------------------------------------------------ offline
    def fit(self, W: Any, X: Any, reference: Any = None) -> LagrangianROM:
        """Bases from the snapshots ``W`` (states) and ``X`` (grids), both (n, k).

        Several trajectories (other velocities, viscosities, initial shapes) are
        given side by side as columns; ``reference`` is the grid every trajectory
        starts from (default ``X[:, 0]``). The DEIM basis is built from
        :math:`D_{xx}(X_j) W_j` of every snapshot.

        Parameters
        ----------
        W : array, shape (n, k)
            State snapshots (columns).
        X : array, shape (n, k)
            Grid snapshots: the node positions of each state.
        reference : array, shape (n,), optional
            The reference grid subtracted from the grids (default: the first grid snapshot).

        Returns
        -------
        self
        """
        from rom.eim import DEIM, QDEIM
        from rom.linalg import POD

        deim_rank = check_positive_int(self.deim_rank, "deim_rank")
        deim_tol = check_tolerance(self.deim_tol, "deim_tol", upper=1.0)
        width = check_positive_int(self.width, "width", allow_none=False, minimum=3)
        if self.hyperreduction not in HYPERREDUCTIONS:
            raise ValueError(
                f"hyperreduction: expected one of {HYPERREDUCTIONS}, got {self.hyperreduction!r}"
            )
        W = check_array(W, "W", ndim=2, dtype_kind="f")
        W, X = check_snapshots(W, X, self.period)
        pod = LagrangianPOD(
            rank_state=self.rank_state,
            rank_grid=self.rank_grid,
            tol=self.tol,
            relative=self.relative,
            period=self.period,
        ).fit(W, X, reference)
        n = X.shape[0]
        Pw = pod.state_basis_
        G = second_derivative(X, W, width, self.period)
        deim = None
        h_min = float(np.diff(X, axis=0).min())
        noise = 1e3 * np.finfo(float).eps * float(np.abs(W).max()) / h_min**2
        if float(np.abs(G).max()) <= noise:  # D_xx w is round-off: nothing to interpolate
            rows = np.zeros(0, dtype=np.int64)
            E = np.zeros((Pw.shape[1], 0))
        elif self.hyperreduction is not None:
            tol = deim_tol if (deim_tol is not None or deim_rank is not None) else 1e-8
            U = POD(rank=deim_rank, tol=tol, relative=self.relative, random_state=0).fit(G)
            deim = (DEIM if self.hyperreduction == "deim" else QDEIM).from_basis(U.basis_)
            p, U = deim.points_, deim.basis_
            # E = Phi_w^T U (P^T U)^{-1}, then the points (and E's columns) sorted
            E = np.linalg.solve(U[p].T, (Pw.T @ U).T).T
            order = np.argsort(p)
            rows, E = p[order], E[:, order]
        else:
            rows = np.arange(n)
            E = Pw.T[:, rows]
        self.pod_ = pod
        self.deim_ = deim
        self.points_ = np.asarray(rows, dtype=np.int64)
        self.interpolation_ = np.ascontiguousarray(E)
        self._restore()
        return self

    def _restore(self) -> None:
        """The arrays of the compiled integrator, from the public state (a loaded file
        is input: everything the kernel indexes is checked or rebuilt here)."""
        pod, rows, E = self.pod_, self.points_, self.interpolation_
        if not isinstance(pod, LagrangianPOD):
            raise ValueError("pod_: expected a LagrangianPOD")
        Pw, Px = pod.state_basis_, pod.grid_basis_
        n = Pw.shape[0]
        if (
            rows.ndim != 1
            or rows.dtype.kind not in "iu"
            or (rows.size and (rows.min() < 0 or rows.max() >= n or np.any(np.diff(rows) <= 0)))
            or E.shape != (Pw.shape[1], rows.size)
            or np.iscomplexobj(E)
            or np.iscomplexobj(Pw)
        ):
            raise ValueError("points_, interpolation_: inconsistent with the bases of pod_")
        index, shifts, center = stencils(n, self.width, self.period, rows)
        offset = shifts * (self.period if self.period is not None else 0.0)
        self._xref = np.ascontiguousarray(pod.reference_[index] + offset)
        self._Px = np.ascontiguousarray(Px[index])  # (m, width, r_x)
        self._Pw = np.ascontiguousarray(Pw[index])  # (m, width, r_w)
        self._center = np.ascontiguousarray(center)
        self._E = np.ascontiguousarray(E, dtype=float)
        self._grid_ones = Px.sum(axis=0)  # Phi_x^T 1
        self._coupling = Px.T @ Pw  # Phi_x^T Phi_w
        self._n = n

    @property
    def ranks_(self) -> tuple[int, int]:
        """``(r_w, r_x)``: the numbers of state and grid modes."""
        self._check_fitted()
        return self.pod_.state_basis_.shape[1], self.pod_.grid_basis_.shape[1]

    def _ranks(self, ranks: Any) -> tuple[int, int]:
        rw, rx = self.ranks_
        if ranks is None:
            return rw, rx
        if len(ranks) != 2:
            raise ValueError(f"ranks: expected (r_w, r_x), got {ranks!r}")
        r1 = check_positive_int(ranks[0], "ranks[0]", allow_none=False)
        r2 = check_positive_int(ranks[1], "ranks[1]", allow_none=False)
        if r1 > rw or r2 > rx:
            raise ValueError(f"ranks: expected at most ({rw}, {rx}) modes, got {tuple(ranks)}")
        return r1, r2

    # ------------------------------------------------------------------ online
    def initial_coordinates(self, w0: Any, x0: Any = None, ranks: Any = None):
        """``a0 = Phi_w^T w0`` and ``b0 = Phi_x^T (x0 - reference)`` (x0 default: reference).

        Parameters
        ----------
        w0 : array, shape (n,)
            The initial state.
        x0 : array, shape (n,), optional
            The initial grid (default: the reference grid).
        ranks : int or tuple of int, optional
            The ranks of the state and grid bases to use (default: all modes).
        """
        self._check_fitted()
        rw, rx = self._ranks(ranks)
        w0 = check_array(w0, "w0", shape=(self._n,), dtype_kind="f")
        a0 = self.pod_.state_basis_[:, :rw].T @ w0
        if x0 is None:
            return a0, np.zeros(rx)
        x0 = check_grid(check_array(x0, "x0", shape=(self._n,), dtype_kind="f"), "x0", self.period)
        return a0, self.pod_.grid_basis_[:, :rx].T @ (x0 - self.pod_.reference_)

    def solve(
        self,
        w0: Any,
        times: Any,
        velocity: float = 1.0,
        burgers: float = 0.0,
        viscosity: float = 0.0,
        dt: float | None = None,
        ranks: tuple[int, int] | None = None,
        x0: Any = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Integrate the ROM from the projection of ``(x0, w0)``; return ``(a, b)`` at ``times``.

        Parameters
        ----------
        w0 : array, shape (n,)
            Initial state (any initial shape; it is projected on the state basis).
        times : array, shape (nt,)
            Increasing output times.
        velocity, burgers, viscosity : float
            ``f1(w) = velocity + burgers * w``, ``f2 = viscosity``.
        dt : float, optional
            Largest RK4 step (default: the stability limit).
        ranks : (int, int), optional
            Use only the leading ``(r_w, r_x)`` modes (nested bases: no refit).
        x0 : array, shape (n,), optional
            Initial grid (default: the reference grid).

        Returns
        -------
        a : numpy.ndarray, shape (r_w, nt)
        b : numpy.ndarray, shape (r_x, nt)
        """
        from rom.lagrangian._numba import rom_integrate

        self._check_fitted()
        rw, rx = self._ranks(ranks)
        times = check_array(times, "times", ndim=1, dtype_kind="f")
        if times.size < 2 or not (np.diff(times) > 0).all():
            raise ValueError("times: expected at least 2 strictly increasing times")
        if viscosity < 0:
            raise ValueError(f"viscosity: expected a value >= 0, got {viscosity}")
        if dt is not None and not dt > 0:
            raise ValueError(f"dt: expected a positive time step, got {dt}")
        if viscosity != 0 and self._E.shape[1] == 0:
            raise ValueError(
                "viscosity: this ROM was fitted on snapshots without diffusion "
                "(D_xx(x) w = 0 everywhere); refit on snapshots with viscosity > 0"
            )
        a0, b0 = self.initial_coordinates(w0, x0, (rw, rx))
        A = np.empty((rw, times.size))
        B = np.empty((rx, times.size))
        status, t, row, _ = rom_integrate(
            a0,
            b0,
            np.ascontiguousarray(times, dtype=float),
            float(dt) if dt is not None else np.inf,
            self._xref,
            np.ascontiguousarray(self._Px[:, :, :rx]),
            np.ascontiguousarray(self._Pw[:, :, :rw]),
            self._center,
            np.ascontiguousarray(self._E[:rw]),
            float(velocity) * self._grid_ones[:rx],
            float(burgers) * np.ascontiguousarray(self._coupling[:rx, :rw]),
            float(viscosity),
            A,
            B,
        )
        if status == 1:
            node = int(self.points_[row]) if row >= 0 and self.points_.size else None
            raise GridCrossingError(
                f"the reduced grid crossed itself at t = {t:.6g}"
                + (f" near node {node}" if node is not None else "")
                + "; take a smaller dt, more grid modes, or stop before the "
                "characteristics cross",
                time=float(t),
                index=node,
            )
        if status == 2:
            raise FloatingPointError(
                f"the reduced state is no longer finite at t = {t:.6g}; take a smaller dt"
            )
        return A, B

    def reconstruct(self, a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
        """States and grids ``(Phi_w a, reference + Phi_x b)`` on the moving grid.

        Parameters
        ----------
        a : array, shape (r_w, nt) or (r_w,)
            State coordinates.
        b : array, shape (r_x, nt) or (r_x,)
            Grid coordinates.
        """
        self._check_fitted()
        a = check_array(a, "a", ndim=(1, 2), dtype_kind="f")
        b = check_array(b, "b", ndim=(1, 2), dtype_kind="f")
        Pw = self.pod_.state_basis_[:, : a.shape[0]]
        Px = self.pod_.grid_basis_[:, : b.shape[0]]
        ref = self.pod_.reference_ if b.ndim == 1 else self.pod_.reference_[:, None]
        return Pw @ a, ref + Px @ b

    def to_fixed_grid(self, a: Any, b: Any, y: Any, kind: str = "cubic") -> np.ndarray:
        """The reduced fields interpolated onto fixed points ``y``: shape (len(y), nt).

        Parameters
        ----------
        a : array, shape (r_w, nt) or (r_w,)
            State coordinates.
        b : array, shape (r_x, nt) or (r_x,)
            Grid coordinates.
        y : array, shape (m,)
            The fixed points.
        kind : str
            Interpolation (see :func:`rom.lagrangian.to_fixed_grid`).
        """
        W, X = self.reconstruct(a, b)
        return to_fixed_grid(X, W, y, self.period, kind)
