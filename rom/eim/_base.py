"""The online half shared by every interpolator of the family."""

from __future__ import annotations

from typing import Any

from rom._checks import check_array, check_fitted
from rom.backend import array_namespace
from rom.eim._greedy import unit_lower_solve


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


class Interpolator:
    """``basis_`` and a way to turn values at the selected points into coefficients.

    Subclasses set ``basis_`` and ``interpolation_matrix_`` (unit lower triangular by
    default; DEIM overrides :meth:`_solve`).
    """

    basis_: Any
    interpolation_matrix_: Any

    @property
    def n_terms_(self) -> int:
        """Number of terms ``M``."""
        check_fitted(self, "basis_")
        return int(self.basis_.shape[1])

    def _n_values(self) -> int:
        """How many values :meth:`coefficients` takes (one per selected point)."""
        return self.n_terms_

    def _solve(self, values: Any, xp: Any) -> Any:
        return unit_lower_solve(self.interpolation_matrix_, values, xp)

    def coefficients(self, values: Any) -> Any:
        """Coefficients in ``basis_`` of the interpolant of ``values``, (M,) or (M, k).

        ``values`` are taken at the selected points (or functionals).
        """
        check_fitted(self, "basis_")
        xp = array_namespace(self.basis_)
        values, _ = check_values(values, self._n_values(), "values", xp)
        return self._solve(values, xp)

    def interpolate(self, values: Any) -> Any:
        """The interpolant ``basis_ @ coefficients(values)``: shape (n,) or (n, k)."""
        coefficients = self.coefficients(values)
        return self.basis_ @ coefficients

    def approximate(self, S: Any) -> Any:
        """Interpolant of every column of ``S`` (n, k), or of ``S`` (n,), from ``S[points_]``."""
        check_fitted(self, "basis_")
        S = check_array(S, "S", ndim=(1, 2))
        n = self.basis_.shape[0]
        if S.shape[0] != n:
            raise ValueError(
                f"S: expected {n} rows (one per point of the basis), got {S.shape[0]}"
            )
        return self.interpolate(S[self.points_])
