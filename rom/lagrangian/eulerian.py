"""A compact POD-Galerkin ROM of a fixed-grid model with an (at most) quadratic right side."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.validation import check_array, check_positive_int, check_tolerance

__all__ = ["EulerianGalerkin"]

#: relative size of the quadratic part below which the model is taken as linear
QUADRATIC_CHECK = 1e-8


class EulerianGalerkin(Estimator):
    r"""POD-Galerkin ROM of ``u' = f(u)`` on a fixed grid, ``f`` a polynomial of degree <= 2.

    Linear convection-diffusion and Burgers on a fixed grid have
    :math:`f(u) = c + L u + H(u, u)`. With the POD basis :math:`\Phi` of the
    snapshots, the Galerkin ROM :math:`a' = \hat c + \hat L a + \hat H(a, a)` is
    read off :math:`\Phi^T f(\Phi a)` by :func:`rom.galerkin.identify_quadratic`
    (one vectorised call of ``f`` on :math:`(r + 1)(r + 2)/2` states, then verified
    at random states: a right-hand side that is not quadratic is refused). The online
    cost is :math:`O(r^3)` per right-hand side, independent of the grid. The bases
    are nested, so :meth:`solve` takes any leading ``rank`` without refit. See
    :doc:`/theory/lagrangian` for the comparison with the Lagrangian model.

    Real only: the compiled RK4 integrator is real (for a complex model use
    :class:`rom.galerkin.GalerkinROM`).

    Parameters
    ----------
    rank : int, optional
        Maximum number of POD modes.
    tol : float, optional
        POD truncation: the projection error of the snapshots in the Frobenius norm,
        relative to their norm unless ``relative=False``.
    relative : bool
        Whether ``tol`` is relative.
    courant : float
        The RK4 step is ``courant / ||J||_inf`` (``J`` the reduced Jacobian at each
        output time). Convected modes are undamped, so the step is limited by
        accuracy, not only stability (2.5): at ``h |lambda| = 0.5`` RK4's phase error
        is about 2e-4 per step for the fastest mode.

    Attributes
    ----------
    pod_ : rom.linalg.POD
    basis_ : numpy.ndarray, shape (n, r)
    singular_values_ : numpy.ndarray, shape (r,)
    constant_, linear_, quadratic_ : numpy.ndarray
        :math:`\hat c` (r,), :math:`\hat L` (r, r), :math:`\hat H` (r, r, r), or an
        empty (0, 0, 0) array for a linear model.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.lagrangian import EulerianGalerkin
    >>> A = -np.diag(np.arange(1.0, 51.0))
    >>> S = np.exp(np.outer(np.diag(A), np.linspace(0, 1, 20)))
    >>> rom = EulerianGalerkin(rank=5).fit(S, lambda U: A @ U)
    >>> rom.reconstruct(rom.solve(S[:, 0], [0.0, 0.5])).shape
    (50, 2)
    """

    _fitted_marker = "basis_"

    def __init__(
        self,
        rank: int | None = None,
        tol: float | None = None,
        relative: bool = True,
        courant: float = 0.5,
    ) -> None:
        self.rank = rank
        self.tol = tol
        self.relative = relative
        self.courant = courant

    def fit(self, S: Any, rhs: Callable[[np.ndarray], np.ndarray]) -> EulerianGalerkin:
        """POD of the snapshots ``S`` (n, k) and Galerkin projection of ``rhs``.

        ``rhs`` maps states as columns, (n, k) -> (n, k). It is not kept.

        Parameters
        ----------
        S : array, shape (n, k)
            Snapshots (columns).
        rhs : callable
            The right-hand side ``rhs(u)`` of the full-order system.

        Returns
        -------
        self
        """
        from rom.galerkin import identify_quadratic
        from rom.linalg import POD

        check_positive_int(self.rank, "rank")
        check_tolerance(self.tol, "tol", upper=1.0 if self.relative else None)
        check_tolerance(self.courant, "courant", allow_none=False, upper=2.78)
        S = check_array(S, "S", ndim=2, dtype_kind="f")
        if not callable(rhs):
            raise TypeError(f"rhs: expected a callable f(U) -> (n, k), got {type(rhs).__name__}")
        with warnings.catch_warnings():  # a rank above the numerical rank is a cap
            warnings.filterwarnings("ignore", "POD: only", RuntimeWarning)
            pod = POD(rank=self.rank, tol=self.tol, relative=self.relative, method="svd").fit(S)
        Phi = pod.basis_
        r = Phi.shape[1]

        def reduced(U):
            out = np.asarray(rhs(U), dtype=float)
            if out.shape != U.shape:
                raise ValueError(f"rhs: expected an output of shape {U.shape}, got {out.shape}")
            return Phi.T @ out

        # identified around a state of the size of the snapshots' coordinates
        a0 = np.random.default_rng(0).standard_normal(r) * pod.singular_values_
        a0 /= np.sqrt(S.shape[1])
        coefficients = identify_quadratic(reduced, a0, basis=Phi)
        if coefficients is None:
            raise ValueError(
                "rhs: the right-hand side is not a polynomial of degree <= 2 in the state"
            )
        constant, linear, W = coefficients
        quadratic = W.reshape(r, r, r)
        scale = max(np.abs(linear).max(), np.abs(constant).max(), 1e-300)
        if np.abs(quadratic).max() <= QUADRATIC_CHECK * scale:
            quadratic = np.zeros((0, 0, 0))  # a linear model: no quadratic part
        self.pod_ = pod
        self.basis_ = Phi
        self.singular_values_ = pod.singular_values_
        self.constant_ = constant
        self.linear_ = linear
        self.quadratic_ = np.ascontiguousarray(quadratic)
        self._restore()
        return self

    def _restore(self) -> None:
        """Check the reduced operators (a loaded file is input to a compiled kernel)."""
        r = self.basis_.shape[1] if self.basis_.ndim == 2 else -1
        H = self.quadratic_
        if (
            self.constant_.shape != (r,)
            or self.linear_.shape != (r, r)
            or H.shape not in ((r, r, r), (0, 0, 0))
            or any(np.iscomplexobj(x) for x in (self.basis_, self.constant_, self.linear_, H))
        ):
            raise ValueError("basis_, constant_, linear_, quadratic_: inconsistent shapes")

    def solve(
        self, u0: Any, times: Any, rank: int | None = None, dt: float | None = None
    ) -> np.ndarray:
        """RK4 from the projection of ``u0``; the coordinates at ``times``, (r, nt).

        ``rank`` uses the leading modes only; ``dt`` bounds the step (default:
        ``courant / ||J||_inf``, re-evaluated at every output time).

        Parameters
        ----------
        u0 : array, shape (n,)
            The initial state.
        times : array, shape (nt,)
            Output times, increasing.
        rank : int, optional
            Number of leading modes to use (default: all).
        dt : float, optional
            Largest time step.
        """
        from rom.lagrangian._numba import quadratic_integrate

        self._check_fitted()
        r_max = self.basis_.shape[1]
        r = r_max if rank is None else check_positive_int(rank, "rank", allow_none=False)
        if r > r_max:
            raise ValueError(f"rank: expected at most {r_max} modes, got {r}")
        u0 = check_array(u0, "u0", shape=(self.basis_.shape[0],), dtype_kind="f")
        times = check_array(times, "times", ndim=1, dtype_kind="f")
        if times.size < 2 or not (np.diff(times) > 0).all():
            raise ValueError("times: expected at least 2 strictly increasing times")
        if dt is not None and not dt > 0:
            raise ValueError(f"dt: expected a positive time step, got {dt}")
        H = self.quadratic_
        H = np.ascontiguousarray(H[:r, :r, :r]) if H.size else H
        A = np.empty((r, times.size))
        status, _ = quadratic_integrate(
            self.basis_[:, :r].T @ u0,
            np.ascontiguousarray(times, dtype=float),
            float(dt) if dt is not None else np.inf,
            np.ascontiguousarray(self.constant_[:r]),
            np.ascontiguousarray(self.linear_[:r, :r]),
            H,
            A,
            float(check_tolerance(self.courant, "courant", allow_none=False, upper=2.78)),
        )
        if status:
            raise FloatingPointError("the reduced state is no longer finite; take a smaller dt")
        return A

    def reconstruct(self, a: Any) -> np.ndarray:
        """``Phi a`` for coordinates (r, nt) or (r,).

        Parameters
        ----------
        a : array, shape (r, nt) or (r,)
            Reduced coordinates.
        """
        self._check_fitted()
        a = check_array(a, "a", ndim=(1, 2), dtype_kind="f")
        return self.basis_[:, : a.shape[0]] @ a
