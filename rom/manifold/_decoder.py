"""The decoder of a reduction, row by row, and the sample rows of a hyper-reduced model."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.manifold.quadratic import QuadraticManifold
from rom.validation import NotFittedError

__all__: list[str] = []


def is_fitted(reduction: Any) -> bool:
    """Whether ``reduction`` has been fitted (its ``rank_`` is readable)."""
    try:
        rank = reduction.rank_
    except (NotFittedError, AttributeError):
        return False
    return rank is not None


class Decoder:
    """``g(z)`` and ``J(z) = dg/dz`` of a fitted reduction, on all rows or on some.

    A reduction with a ``jacobian`` method is used through its own
    ``inverse_transform(Z, rows=)`` and ``jacobian(z, rows=)``; a linear one with only
    ``basis_`` (:class:`rom.POD`) is the map ``z -> basis_ z`` with the constant
    tangent ``basis_``, whose rows are taken once.
    """

    def __init__(self, reduction: Any) -> None:
        self.reduction = reduction
        self.linear = not callable(getattr(reduction, "jacobian", None))
        self.quadratic = isinstance(reduction, QuadraticManifold)
        if self.quadratic:  # evaluated here on the rows' arrays, taken once per rows
            self.rank = int(reduction.rank_)
            self.n = int(reduction.basis_.shape[0])
            j, i = np.tril_indices(self.rank)  # the order of quadratic_monomials
            self._i, self._j = i, j
            eye = np.eye(self.rank)
            self._Ei, self._Ej = eye[i], eye[j]
        elif self.linear:
            basis = getattr(reduction, "basis_", None)
            if basis is None:
                raise TypeError(
                    "reduction: expected a fitted reduction with jacobian(z, rows=) and "
                    f"inverse_transform(Z, rows=), or one with basis_ (a POD), got "
                    f"{type(reduction).__name__}"
                )
            self.basis = np.asarray(basis)
            if self.basis.ndim != 2:
                raise ValueError(f"reduction.basis_: expected a 2-D array, got {self.basis.shape}")
            self.rank = self.basis.shape[1]
            self.n = self.basis.shape[0]
        else:
            self.rank = int(reduction.rank_)
            self.n = int(np.asarray(self.decode(np.zeros(self.rank))).shape[0])
        self._rows_key = None
        self._basis_rows = None

    def _quadratic_on(self, rows):
        red = self.reduction
        if rows is None:
            return red.reference_, red.basis_, red.quadratic_
        if self._rows_key is not rows:
            self._basis_rows = tuple(
                np.ascontiguousarray(a[rows]) for a in (red.reference_, red.basis_, red.quadratic_)
            )
            self._rows_key = rows
        return self._basis_rows

    def _basis_on(self, rows):
        if rows is None:
            return self.basis
        if self._rows_key is not rows:
            self._basis_rows = np.ascontiguousarray(self.basis[rows])
            self._rows_key = rows
        return self._basis_rows

    def decode(self, z: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """``g(z)`` (or its rows) for ``z`` of shape (r,) or (r, k)."""
        if self.linear:
            return self._basis_on(rows) @ z
        if self.quadratic:
            ref, V, W = self._quadratic_on(rows)
            h = z[self._i] * z[self._j]
            return (ref if z.ndim == 1 else ref[:, None]) + V @ z + W @ h
        Z = z[:, None] if z.ndim == 1 else z
        if rows is None:
            G = self.reduction.inverse_transform(Z)
        else:
            G = self.reduction.inverse_transform(Z, rows=rows)
        G = np.asarray(G)
        return G[:, 0] if z.ndim == 1 else G

    def tangent(self, z: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """``J(z)`` (or its rows), shape (n, r)."""
        if self.linear:
            return self._basis_on(rows)
        if self.quadratic:
            _, V, W = self._quadratic_on(rows)
            dh = self._Ei * z[self._j, None] + self._Ej * z[self._i, None]
            return V + W @ dh
        if rows is None:
            return np.asarray(self.reduction.jacobian(z))
        return np.asarray(self.reduction.jacobian(z, rows=rows))

    def encode(self, u: np.ndarray) -> np.ndarray:
        """The reduction's ``transform`` of one state."""
        return np.asarray(self.reduction.transform(u[:, None]))[:, 0]


def oversample(U: np.ndarray, points: np.ndarray, count: int) -> np.ndarray:
    r"""``points`` grown to ``count`` rows by greedy maximum volume (D-optimal design).

    With :math:`G = U_P^H U_P` for the rows :math:`P` chosen so far, adding row
    :math:`i` multiplies :math:`\det G` by :math:`1 + q_i`, :math:`q_i = u_i^H G^{-1}
    u_i` (the leverage of row ``i`` against the sample): the row of largest
    :math:`q_i` is added, and :math:`G^{-1}` and every :math:`q` are updated in
    :math:`O(n k)` (Sherman-Morrison). It keeps the smallest singular value of
    :math:`U_P` away from zero, which is what the gappy least squares needs.
    """
    U = np.asarray(U)
    n = U.shape[0]
    chosen = [int(p) for p in points]
    Ginv = np.linalg.inv(U[chosen].conj().T @ U[chosen])
    q = np.real(np.einsum("ij,ij->i", U @ Ginv, U.conj()))
    taken = np.zeros(n, dtype=bool)
    taken[chosen] = True
    while len(chosen) < count:
        i = int(np.argmax(np.where(taken, -np.inf, q)))
        chosen.append(i)
        taken[i] = True
        w = Ginv @ U[i].conj()
        scale = 1.0 + q[i]
        q = q - np.abs(U @ w) ** 2 / scale
        Ginv = Ginv - np.outer(w, w.conj()) / scale
    return np.asarray(chosen, dtype=np.int64)
