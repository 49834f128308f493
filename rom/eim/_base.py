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

    def _solve(self, values: Any, xp: Any) -> Any:
        return unit_lower_solve(self.interpolation_matrix_, values, xp)

    def coefficients(self, values: Any) -> Any:
        """Coefficients in ``basis_`` of the interpolant of ``values``, (M,) or (M, k).

        ``values`` are taken at the selected points (or functionals).
        """
        check_fitted(self, "basis_")
        xp = array_namespace(self.basis_)
        values, _ = check_values(values, self.n_terms_, "values", xp)
        return self._solve(values, xp)

    def interpolate(self, values: Any) -> Any:
        """The interpolant ``basis_ @ coefficients(values)``: shape (n,) or (n, k)."""
        coefficients = self.coefficients(values)
        return self.basis_ @ coefficients
