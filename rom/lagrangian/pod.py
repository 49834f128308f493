"""POD of the state and of the grid positions of a Lagrangian model."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from rom._checks import (
    check_array,
    check_choice,
    check_fitted,
    check_positive_int,
    check_tolerance,
)
from rom.lagrangian.stencil import check_grid

__all__ = ["LagrangianPOD", "check_snapshots"]

CENTERINGS = ("reference", "mean", "none")


def check_snapshots(W: Any, X: Any, period: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Validate state snapshots ``W`` and grid snapshots ``X``: same shape, untangled grids."""
    W = check_array(W, "W", ndim=2, dtype_kind="f")
    X = check_array(X, "X", ndim=2, dtype_kind="f")
    if W.shape != X.shape:
        raise ValueError(
            f"X: expected grid snapshots of the shape of the state snapshots W {W.shape} "
            f"(one grid per state snapshot, same nodes), got {X.shape}"
        )
    check_grid(X, "X", period)
    return W, X


class LagrangianPOD:
    r"""Proper orthogonal decomposition of a Lagrangian model: state and grid apart.

    The state snapshots :math:`W = [w(t_1), \dots]` and the grid snapshots
    :math:`X = [x(t_1), \dots]` (node positions; one grid per state snapshot, columns)
    are compressed separately with :class:`rom.linalg.POD` (Euclidean inner product,
    the node values being the Lagrangian unknowns):

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

    Parameters
    ----------
    rank_state, rank_grid : int, optional
        Maximum numbers of state and grid modes.
    tol : float, optional
        Relative Frobenius projection error of each snapshot set (as in
        :class:`rom.linalg.POD`), applied to both.
    center : {"reference", "mean", "none"}
        What is subtracted from the grid snapshots.
    period : float, optional
        Length of a periodic domain (grids are unwrapped positions); used to check
        that the grid snapshots are untangled.

    Attributes
    ----------
    state_basis_ : numpy.ndarray, shape (n, r_w)
    grid_basis_ : numpy.ndarray, shape (n, r_x)
    state_singular_values_, grid_singular_values_ : numpy.ndarray
        Singular values of the kept modes.
    reference_ : numpy.ndarray, shape (n,)
        :math:`\bar x`.
    state_pod_, grid_pod_ : rom.linalg.POD

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

    def __init__(
        self,
        rank_state: int | None = None,
        rank_grid: int | None = None,
        tol: float | None = None,
        center: str = "reference",
        period: float | None = None,
    ) -> None:
        self.rank_state = rank_state
        self.rank_grid = rank_grid
        self.tol = tol
        self.center = center
        self.period = period

    def fit(self, W: Any, X: Any, reference: Any = None) -> LagrangianPOD:
        """Compress the state snapshots ``W`` and grid snapshots ``X``, both (n, k).

        ``reference`` (n,) is the grid subtracted with ``center="reference"``
        (default ``X[:, 0]``).

        Returns
        -------
        self
        """
        from rom.linalg import POD

        rank_state = check_positive_int(self.rank_state, "rank_state")
        rank_grid = check_positive_int(self.rank_grid, "rank_grid")
        tol = check_tolerance(self.tol, "tol", upper=1.0)
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
        with warnings.catch_warnings():  # a rank above the numerical rank is a cap
            warnings.filterwarnings("ignore", "POD: only", RuntimeWarning)
            self.state_pod_ = POD(rank=rank_state, tol=tol, method="svd").fit(W)
        self.reference_ = np.array(ref, dtype=float)
        D = X - self.reference_[:, None]
        if not np.any(D):
            raise ValueError(
                "X: every grid snapshot equals the reference grid; there is no grid motion "
                "to compress (use an Eulerian basis)"
            )
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "POD: only", RuntimeWarning)
            self.grid_pod_ = POD(rank=rank_grid, tol=tol, method="svd").fit(D)
        self.state_basis_ = self.state_pod_.basis_
        self.grid_basis_ = self.grid_pod_.basis_
        self.state_singular_values_ = self.state_pod_.singular_values_
        self.grid_singular_values_ = self.grid_pod_.singular_values_
        return self

    def transform(self, W: Any, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Coordinates ``a = Phi_w^T W`` and ``b = Phi_x^T (X - reference)``."""
        check_fitted(self, "state_basis_")
        W, X = check_snapshots(W, X, self.period)
        return self.state_basis_.T @ W, self.grid_basis_.T @ (X - self.reference_[:, None])

    def inverse_transform(self, a: Any, b: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(Phi_w a, reference + Phi_x b)`` for coordinates (r, k) or (r,)."""
        check_fitted(self, "state_basis_")
        a = check_array(a, "a", ndim=(1, 2), dtype_kind="f")
        b = check_array(b, "b", ndim=(1, 2), dtype_kind="f")
        if a.shape[0] != self.state_basis_.shape[1]:
            raise ValueError(f"a: expected {self.state_basis_.shape[1]} rows, got {a.shape[0]}")
        if b.shape[0] != self.grid_basis_.shape[1]:
            raise ValueError(f"b: expected {self.grid_basis_.shape[1]} rows, got {b.shape[0]}")
        ref = self.reference_ if b.ndim == 1 else self.reference_[:, None]
        return self.state_basis_ @ a, ref + self.grid_basis_ @ b

    # ---------------------------------------------------------- persistence
    def _to_arrays(self) -> tuple[dict, dict]:
        from rom.io.persist import nest

        check_fitted(self, "state_basis_")
        settings = {
            "rank_state": self.rank_state,
            "rank_grid": self.rank_grid,
            "tol": self.tol,
            "center": self.center,
            "period": self.period,
        }
        arrays: dict[str, Any] = {"reference_": self.reference_}
        for prefix, pod in (("state_pod", self.state_pod_), ("grid_pod", self.grid_pod_)):
            settings[prefix], pod_arrays = nest(prefix, pod)
            arrays.update(pod_arrays)
        return settings, arrays

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> LagrangianPOD:
        from rom.io.persist import unnest
        from rom.linalg import POD

        keys = ("rank_state", "rank_grid", "tol", "center", "period")
        obj = cls(**{k: settings[k] for k in keys})
        obj.reference_ = arrays["reference_"]
        for prefix in ("state_pod", "grid_pod"):
            part = unnest(prefix, arrays)
            setattr(obj, f"{prefix}_", POD._from_arrays(settings[prefix], part))
        obj.state_basis_ = obj.state_pod_.basis_
        obj.grid_basis_ = obj.grid_pod_.basis_
        obj.state_singular_values_ = obj.state_pod_.singular_values_
        obj.grid_singular_values_ = obj.grid_pod_.singular_values_
        return obj

    def save(self, path: Any) -> None:
        """Save to ``path`` (``.npz`` arrays and a JSON header; see :func:`rom.save`)."""
        from rom.io.persist import save

        save(self, path)
