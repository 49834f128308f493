"""Rectangular EIM: every selected field kept, fewer points (a broken sensor)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.backend import array_namespace
from rom.eim._base import Interpolator
from rom.eim._greedy import unit_lower_solve
from rom.eim.eim import EIM

__all__ = ["RectangularEIM"]


class RectangularEIM(Interpolator):
    r"""Separated approximation with ``M`` selected fields and ``M' < M`` points.

    Fitted on a fitted :class:`rom.eim.EIM` (``RectangularEIM(drop=[k]).fit(eim)``,
    ).The symmetric form of the EIM,
    :math:`I g(x, \mu) = g(x, Y) F^{-1} g(X, \mu)` with ``F = g(X, Y)`` (``X``
    selected points, ``Y`` selected parameters), extends to a rectangular
    ``F' = g(X', Y)`` of size ``M' x M`` through the Moore-Penrose inverse:

    .. math:: I' g(x, \mu) = g(x, Y)\, F'^{+}\, g(X', \mu).

    The approximation still interpolates at the remaining points and uses every
    field. Its coefficients come from the EIM's triangular factors, never from the
    raw (ill-conditioned) ``F'``: a forward substitution and a least-squares problem
    with as many unknowns as dropped points (derivation on the theory page,
    "Empirical interpolation", section "The rectangular EIM"). With no point dropped
    it is the EIM itself. Real and complex, as the EIM.

    Parameters
    ----------
    drop : int or sequence of int
        Positions in the EIM's ``points_`` (0 .. M-1) of the points to drop.

    Attributes
    ----------
    points_ : ndarray of int, shape (M',)
        Remaining interpolation points (rows).
    dropped_ : ndarray of int
        Positions (in the EIM's ``points_``) of the removed points, sorted.
    basis_ : array, shape (n, M)
        The EIM's basis functions, all of them.
    coefficient_map_ : array, shape (M, M')
        Maps values at ``points_`` to coefficients in ``basis_``.
    n_terms_ : int
        ``M``, the number of basis functions.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.eim import EIM, RectangularEIM
    >>> x = np.linspace(0, 1, 200)[:, None]
    >>> S = np.exp(-np.linspace(1, 2, 50)[None, :] * x)
    >>> eim = EIM(max_terms=8).fit(S)
    >>> rect = RectangularEIM(drop=[2]).fit(eim)
    >>> rect.points_.shape, rect.n_terms_
    ((7,), 8)
    """

    def __init__(self, drop: Any = ()) -> None:
        self.drop = drop

    def fit(self, eim: EIM) -> RectangularEIM:
        """Drop the points ``drop`` of the fitted ``eim``.

        Parameters
        ----------
        eim : EIM
            A fitted :class:`EIM`.

        Returns
        -------
        self
        """
        if not isinstance(eim, EIM):
            raise TypeError(f"eim: expected a fitted rom.eim.EIM, got {type(eim).__name__}")
        if not eim._is_fitted():
            raise ValueError("eim: expected a fitted EIM, got one that is not fitted yet")
        M = eim.basis_.shape[1]
        drop = np.unique(np.atleast_1d(np.asarray(self.drop)))
        if drop.size == 0:
            drop = drop.astype(np.int64)
        if drop.size and (drop.dtype.kind not in "iu" or drop.min() < 0 or drop.max() >= M):
            raise ValueError(
                f"drop: expected positions in points_ (integers in 0..{M - 1}), got {self.drop!r}"
            )
        if drop.size >= M:
            raise ValueError("drop: at least one interpolation point must remain")
        keep = np.setdiff1d(np.arange(M), drop)
        xp = array_namespace(eim.basis_)
        # The kept rows of B c = v fix c at the kept positions by forward substitution
        # once the dropped positions t are chosen: c = c0 + H t. Replacing the dropped
        # rows of B by identity rows gives that substitution as one unit lower solve.
        Bt = xp.array(eim.interpolation_matrix_, copy=True)
        Bt[drop] = 0
        Bt[drop, drop] = 1
        E = xp.zeros((M, M), dtype=Bt.dtype)
        E[keep, xp.arange(len(keep))] = 1  # embeds the M' values
        E[drop, len(keep) + xp.arange(len(drop))] = 1  # unit directions of t
        sol = unit_lower_solve(Bt, E, xp)
        C0, H = sol[:, : len(keep)], sol[:, len(keep) :]
        # minimise ||G c|| with G = L^{-T} D^{-1}: the raw-coefficient norm of F'^+
        L = eim.param_basis_[eim.params_]
        G0 = unit_lower_solve(L, C0 / eim.pivots_[:, None], xp, transpose=True)
        GH = unit_lower_solve(L, H / eim.pivots_[:, None], xp, transpose=True)
        T = xp.linalg.lstsq(GH, -G0, rcond=None)[0]
        self.points_ = eim.points_[keep].copy()
        self.dropped_ = drop.astype(np.int64)
        self.basis_ = eim.basis_
        self.coefficient_map_ = C0 + H @ T
        self.n_points_ = eim.basis_.shape[0]
        return self

    def _n_values(self) -> int:
        return len(self.points_)

    def _solve(self, values: Any, xp: Any) -> Any:
        return self.coefficient_map_ @ values
