"""Rectangular EIM: every selected field kept, fewer points (a broken sensor)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom._checks import check_fitted
from rom.backend import array_namespace
from rom.eim._base import Interpolator
from rom.eim._greedy import unit_lower_solve

__all__ = ["RectangularEIM"]


class RectangularEIM(Interpolator):
    r"""Separated approximation with ``M`` selected fields and ``M' < M`` points.

    Built from a fitted :class:`rom.eim.EIM` by :meth:`rom.eim.EIM.without_points`.
    The symmetric form of the EIM, :math:`I g(x, \mu) = g(x, Y) F^{-1} g(X, \mu)` with
    ``F = g(X, Y)`` (``X`` selected points, ``Y`` selected parameters), extends to a
    rectangular ``F' = g(X', Y)`` of size ``M' x M`` through the Moore-Penrose inverse:

    .. math:: I' g(x, \mu) = g(x, Y)\, F'^{+}\, g(X', \mu).

    :math:`F'^{+} v` is the combination of the selected fields of least Euclidean norm
    whose values at the remaining points are ``v``: the approximation still
    interpolates at the remaining points (``F' F'^+ = I`` when ``F'`` has full row
    rank), and it uses every field, weighting each by how much the remaining points
    can see of it. With the EIM factors ``F' = B' D L^T`` (``B'`` the rows of the
    interpolation matrix at the remaining points, ``D`` the pivots, ``L`` the
    parameter-side unit triangular factor), the coefficients in ``basis_`` are
    ``c = D L^T F'^{+} v``. They are computed from the triangular factors, never from
    raw values (``F'`` has singular values down to the last pivot): the kept rows of
    ``B c = v`` fix ``c`` once its entries at the dropped positions, ``t``, are chosen,
    ``c = c_0 + H t`` (one forward substitution), and ``t`` minimises
    :math:`\|L^{-T} D^{-1} (c_0 + H t)\|_2`, a least-squares problem with as many
    unknowns as dropped points. With no point removed it is the EIM itself.

    Attributes
    ----------
    points_ : ndarray of int, shape (M',)
        Remaining interpolation points (rows).
    dropped_ : ndarray of int
        Positions (in the EIM's ``points_``) of the removed points.
    basis_ : array, shape (n, M)
        The EIM's basis functions, all of them.
    coefficient_map_ : array, shape (M, M')
        Maps values at ``points_`` to coefficients in ``basis_``.
    """

    @classmethod
    def from_eim(cls, eim: Any, indices: Any) -> RectangularEIM:
        check_fitted(eim, "basis_")
        M = eim.basis_.shape[1]
        drop = np.unique(np.atleast_1d(np.asarray(indices)))
        if drop.size == 0:
            drop = drop.astype(np.int64)
        if drop.size and (drop.dtype.kind not in "iu" or drop.min() < 0 or drop.max() >= M):
            raise ValueError(
                f"indices: expected positions in points_ (integers in 0..{M - 1}), got {indices!r}"
            )
        if drop.size >= M:
            raise ValueError("indices: at least one interpolation point must remain")
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
        self = cls()
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
