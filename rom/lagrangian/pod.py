"""POD of the state and of the grid positions of a Lagrangian model."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.lagrangian.stencil import check_grid
from rom.validation import check_array, check_choice, check_positive_int, check_tolerance

__all__ = ["LagrangianPOD", "check_snapshots"]

CENTERINGS = ("reference", "mean", "none")


def check_snapshots(W: Any, X: Any, period: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Validate state snapshots ``W`` (real or complex) and grid snapshots ``X`` (real):
    same shape, untangled grids."""
    W = check_array(W, "W", ndim=2)
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    if W.shape != X.shape:
        raise ValueError(
            f"X: expected grid snapshots of the shape of the state snapshots W {W.shape} "
            f"(one grid per state snapshot, same nodes), got {X.shape}"
        )
    check_grid(X, "X", period)
    return W, X


class LagrangianPOD(Estimator):
    r"""Proper orthogonal decomposition of a Lagrangian model: state and grid apart.

    The state snapshots :math:`W = [w(t_1), \dots]` and the grid snapshots
    :math:`X = [x(t_1), \dots]` (node positions; one grid per state snapshot, columns)
    are compressed separately with :class:`rom.linalg.POD`:

    .. math::

       w \approx \Phi_w a, \qquad x \approx \bar x + \Phi_x b .

    The state is **not centred** (the basis must hold the initial condition; in pure
    convection the state does not change, and :math:`\Phi_w` is the normalised
    initial condition). The grid is taken relative to ``center``:
    ``"reference"`` (default) subtracts the reference grid :math:`\bar x` given to
    :meth:`fit` (by default the first grid snapshot, the initial grid), so a
    trajectory that starts on it has :math:`b(0) = 0` exactly and a rigid
    translation is rank one; ``"mean"`` subtracts the mean grid; ``"none"`` keeps
    the positions (then :math:`\bar x = 0` and a translation is rank two).

    Real and complex states: the grid positions are real, the states may be complex
    (the state basis is then complex and :meth:`transform` uses :math:`\Phi_w^H`).

    Parameters
    ----------
    rank_state, rank_grid : int, optional
        Maximum numbers of state and grid modes.
    tol : float, optional
        Truncation of both PODs: the projection error of each snapshot set (the
        states; the grids minus the reference) in the Frobenius norm of ``inner``,
        relative to the norm of that set unless ``relative=False``.
    relative : bool
        Whether ``tol`` is relative.
    center : {"reference", "mean", "none"}
        What is subtracted from the grid snapshots.
    period : float, optional
        Length of a periodic domain (grids are unwrapped positions); used to check
        that the grid snapshots are untangled.
    inner : None or (n, n) Hermitian positive definite matrix, dense or sparse
        Inner product of the node values, for both PODs (None: Euclidean, every node
        weighs the same). The bases are orthonormal in it.

    Attributes
    ----------
    state_pod_, grid_pod_ : rom.linalg.POD
    state_basis_ : numpy.ndarray, shape (n, r_w)
    grid_basis_ : numpy.ndarray, shape (n, r_x)
    state_singular_values_, grid_singular_values_ : numpy.ndarray
        Singular values of the kept modes.
    reference_ : numpy.ndarray, shape (n,)
        :math:`\bar x`.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.lagrangian import LagrangianPOD
    >>> x0 = np.linspace(0, 1, 100, endpoint=False)
    >>> t = np.linspace(0, 1, 20)
    >>> X = x0[:, None] + 0.5 * t[None, :]            # rigid translation
    >>> W = np.repeat(np.exp(-50 * (x0 - 0.3) ** 2)[:, None], 20, axis=1)
    >>> pod = LagrangianPOD(tol=1e-10).fit(W, X)
    >>> pod.state_basis_.shape[1], pod.grid_basis_.shape[1]
    (1, 1)
    """

    _fitted_marker = "state_pod_"

    def __init__(
        self,
        rank_state: int | None = None,
        rank_grid: int | None = None,
        tol: float | None = None,
        relative: bool = True,
        center: str = "reference",
        period: float | None = None,
        inner: Any = None,
    ) -> None:
        self.rank_state = rank_state
        self.rank_grid = rank_grid
        self.tol = tol
        self.relative = relative
        self.center = center
        self.period = period
        self.inner = inner

    def fit(self, W: Any, X: Any, reference: Any = None) -> LagrangianPOD:
        """Compress the state snapshots ``W`` and grid snapshots ``X``, both (n, k).

        ``reference`` (n,) is the grid subtracted with ``center="reference"``
        (default ``X[:, 0]``).

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
        from rom.linalg import POD

        rank_state = check_positive_int(self.rank_state, "rank_state")
        rank_grid = check_positive_int(self.rank_grid, "rank_grid")
        tol = check_tolerance(self.tol, "tol", upper=1.0 if self.relative else None)
        center = check_choice(self.center, "center", CENTERINGS)
        W, X = check_snapshots(W, X, self.period)
        n = X.shape[0]
        if center == "reference":
            ref = X[:, 0] if reference is None else reference
            ref = check_grid(
                check_array(ref, "reference", shape=(n,), dtype_kind="f"), "reference", self.period
            )
        elif reference is not None:
            raise ValueError(
                f"reference: only used with center='reference', got center={center!r}"
            )
        else:
            ref = X.mean(axis=1) if center == "mean" else np.zeros(n)
        D = X - ref[:, None]
        if not np.any(D):
            raise ValueError(
                "X: every grid snapshot equals the reference grid; there is no grid motion "
                "to compress (use an Eulerian basis)"
            )

        def pod(rank, S):
            with warnings.catch_warnings():  # a rank above the numerical rank is a cap
                warnings.filterwarnings("ignore", "POD: only", RuntimeWarning)
                return POD(
                    rank=rank, tol=tol, relative=self.relative, inner=self.inner, method="svd"
                ).fit(S)

        self.state_pod_ = pod(rank_state, W)
        self.grid_pod_ = pod(rank_grid, D)
        self.reference_ = np.array(ref, dtype=float)
        return self

    @property
    def state_basis_(self) -> np.ndarray:
        """:math:`\\Phi_w`, shape (n, r_w)."""
        self._check_fitted()
        return self.state_pod_.basis_

    @property
    def grid_basis_(self) -> np.ndarray:
        """:math:`\\Phi_x`, shape (n, r_x)."""
        self._check_fitted()
        return self.grid_pod_.basis_

    @property
    def state_singular_values_(self) -> np.ndarray:
        """Singular values of the kept state modes."""
        self._check_fitted()
        return self.state_pod_.singular_values_

    @property
    def grid_singular_values_(self) -> np.ndarray:
        """Singular values of the kept grid modes."""
        self._check_fitted()
        return self.grid_pod_.singular_values_

    def _restore(self) -> None:
        n = self.state_pod_.basis_.shape[0]
        if self.grid_pod_.basis_.shape[0] != n or self.reference_.shape != (n,):
            raise ValueError("state_pod_, grid_pod_, reference_: inconsistent sizes")

    def transform(self, W: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates ``a = Phi_w^H M W`` and ``b = Phi_x^H M (X - reference)``
        (``M`` = ``inner``, the identity by default).

        Parameters
        ----------
        W : array, shape (n, k) or (n,)
            States.
        X : array, shape (n, k) or (n,)
            Their grids.
        """
        self._check_fitted()
        W, X = check_snapshots(W, X, self.period)
        n = self.reference_.size
        if W.shape[0] != n:
            raise ValueError(f"W: expected {n} rows (one per node), got {W.shape[0]}")
        return (
            self.state_pod_.transform(W),
            self.grid_pod_.transform(X - self.reference_[:, None]),
        )

    def inverse_transform(self, a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(Phi_w a, reference + Phi_x b)`` for coordinates (r, k) or (r,).

        Parameters
        ----------
        a : array, shape (r_w, k) or (r_w,)
            State coordinates.
        b : array, shape (r_x, k) or (r_x,)
            Grid coordinates.
        """
        self._check_fitted()
        a = check_array(a, "a", ndim=(1, 2))
        b = check_array(b, "b", ndim=(1, 2), dtype_kind="f")
        if a.shape[0] != self.state_basis_.shape[1]:
            raise ValueError(f"a: expected {self.state_basis_.shape[1]} rows, got {a.shape[0]}")
        if b.shape[0] != self.grid_basis_.shape[1]:
            raise ValueError(f"b: expected {self.grid_basis_.shape[1]} rows, got {b.shape[0]}")
        ref = self.reference_ if b.ndim == 1 else self.reference_[:, None]
        return self.state_basis_ @ a, ref + self.grid_basis_ @ b
