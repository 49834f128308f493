"""The online half shared by every interpolator of the family."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rom._base import Estimator
from rom.backend import array_namespace, to_numpy
from rom.eim._greedy import unit_lower_solve
from rom.validation import check_array


def check_values(values: Any, m: int, name: str, xp: Any) -> tuple[Any, bool]:
    """Validate values at the ``m`` interpolation points: shape (m,) or (m, k)."""
    values = check_array(values, name, ndim=(1, 2))
    if values.shape[0] != m:
        raise ValueError(
            f"{name}: expected {m} values (one per interpolation point) in the first "
            f"dimension, got shape {tuple(values.shape)}"
        )
    if array_namespace(values) is not xp:
        values = xp.asarray(values)
    return values, values.ndim == 1


def check_indices(
    indices: Any, name: str, size: int, *, length: int | None = None, unique: bool = True
) -> Any:
    """Loaded indices: a 1-D integer array (of ``length`` entries), in ``0 .. size - 1``,
    distinct unless ``unique`` is false; a ValueError naming ``name`` otherwise."""
    arr = np.asarray(indices)
    if arr.ndim != 1 or arr.dtype.kind not in "iu":
        raise ValueError(
            f"{name}: expected a 1-D array of integers, got {arr.dtype} shape {arr.shape}"
        )
    if length is not None and arr.size != length:
        raise ValueError(f"{name}: expected {length} entries, got {arr.size}")
    if arr.size and (int(arr.min()) < 0 or int(arr.max()) >= size):
        raise ValueError(
            f"{name}: expected indices in 0 .. {size - 1}, got {arr.min()} .. {arr.max()}"
        )
    if unique and np.unique(arr).size != arr.size:
        raise ValueError(f"{name}: expected distinct indices")
    return arr.astype(np.int64, copy=False)


def check_bool(value: Any, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name}: expected a bool, got {value!r}")
    return value


class Interpolator(Estimator):
    """``basis_`` and a way to turn values at the selected points into coefficients.

    Subclasses set ``basis_`` and ``interpolation_matrix_`` (unit lower triangular by
    default; DEIM overrides :meth:`_solve`).
    """

    _fitted_marker: ClassVar[str | None] = "basis_"

    basis_: Any
    interpolation_matrix_: Any

    def _restore(self) -> None:
        """After :func:`rom.load`: check ``basis_``, ``points_`` and ``interpolation_matrix_``
        (a file is untrusted input); subclasses check the rest of their state."""
        if not self._is_fitted():
            return
        self.basis_ = check_array(self.basis_, "basis_", ndim=2, allow_empty=True)
        n, M = self.basis_.shape
        if "points_" in vars(self):
            self.points_ = check_indices(self.points_, "points_", n)
        if "interpolation_matrix_" in vars(self):
            self.interpolation_matrix_ = check_array(
                self.interpolation_matrix_, "interpolation_matrix_", shape=(M, M), allow_empty=True
            )

    def _check_selected_rows(self) -> None:
        """``interpolation_matrix_`` must be ``basis_[points_]``, exactly as fitted."""
        self.points_ = check_indices(
            self.points_, "points_", self.basis_.shape[0], length=self.basis_.shape[1]
        )
        if not np.array_equal(
            to_numpy(self.interpolation_matrix_), to_numpy(self.basis_[self.points_])
        ):
            raise ValueError("interpolation_matrix_: expected basis_[points_]")

    @property
    def n_terms_(self) -> int:
        """Number of terms ``M`` (basis functions, and points or functionals)."""
        self._check_fitted()
        return int(self.basis_.shape[1])

    def _n_values(self) -> int:
        """How many values :meth:`coefficients` takes (one per selected point)."""
        return self.n_terms_

    def _solve(self, values: Any, xp: Any) -> Any:
        return unit_lower_solve(self.interpolation_matrix_, values, xp)

    def coefficients(self, values: Any) -> Any:
        """Coefficients in ``basis_`` of the interpolant of ``values``, (M,) or (M, k).

        ``values`` are taken at the selected points (or functionals).

        Parameters
        ----------
        values : array, shape (M,) or (M, k)
            Values at the interpolation points ``points_``.
        """
        self._check_fitted()
        xp = array_namespace(self.basis_)
        values, _ = check_values(values, self._n_values(), "values", xp)
        return self._solve(values, xp)

    def interpolate(self, values: Any) -> Any:
        """The interpolant ``basis_ @ coefficients(values)``: shape (n,) or (n, k).

        Parameters
        ----------
        values : array, shape (M,) or (M, k)
            Values at the interpolation points ``points_``.
        """
        coefficients = self.coefficients(values)
        return self.basis_ @ coefficients

    def approximate(self, S: Any) -> Any:
        """Interpolant of every column of ``S`` (n, k), or of ``S`` (n,), from ``S[points_]``.

        Parameters
        ----------
        S : array, shape (n,) or (n, k)
            The functions to interpolate (columns); only ``S[points_]`` is read.
        """
        self._check_fitted()
        S = check_array(S, "S", ndim=(1, 2))
        n = self.basis_.shape[0]
        if S.shape[0] != n:
            raise ValueError(
                f"S: expected {n} rows (one per point of the basis), got {S.shape[0]}"
            )
        return self.interpolate(S[self.points_])
