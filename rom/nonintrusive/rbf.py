"""Radial basis function interpolation and regression of vector data: the default
regressor of :class:`~rom.nonintrusive.Surrogate`, with closed-form leave-one-out
residuals (Rippa's formula)."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from rom._base import Estimator
from rom.validation import (
    check_array,
    check_choice,
    check_positive_int,
    check_tolerance,
)

__all__ = ["KERNELS", "RBFRegressor"]

#: the kernels of scipy.interpolate.RBFInterpolator
KERNELS = (
    "linear",
    "thin_plate_spline",
    "cubic",
    "quintic",
    "multiquadric",
    "inverse_multiquadric",
    "inverse_quadratic",
    "gaussian",
)


#: 1 / the standard deviation of the uniform distribution on [0, 1]
UNIT_STD = float(np.sqrt(12.0))


def _kernel(name: str, r: np.ndarray) -> np.ndarray:
    """scipy's RBF kernels at distances ``r``, with the shape parameter 1."""
    if name == "thin_plate_spline":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(r > 0, r**2 * np.log(np.where(r > 0, r, 1.0)), 0.0)
    return {
        "linear": lambda: -r,
        "cubic": lambda: r**3,
        "quintic": lambda: -(r**5),
        "multiquadric": lambda: -np.sqrt(r**2 + 1.0),
        "inverse_multiquadric": lambda: 1.0 / np.sqrt(r**2 + 1.0),
        "inverse_quadratic": lambda: 1.0 / (r**2 + 1.0),
        "gaussian": lambda: np.exp(-(r**2)),
    }[name]()


def _monomials(X: np.ndarray, degree: int) -> np.ndarray:
    """The monomials of degree <= ``degree`` at the rows of ``X`` (centred and scaled)."""
    from itertools import combinations_with_replacement

    width = np.ptp(X, axis=0).max() if len(X) > 1 else 1.0
    Z = (X - X.mean(axis=0)) / (width if width > 0 else 1.0)
    columns = [np.ones(len(X))]
    for d in range(1, degree + 1):
        for combo in combinations_with_replacement(range(X.shape[1]), d):
            columns.append(np.prod(Z[:, list(combo)], axis=1))
    return np.column_stack(columns)


def _degenerate(X: np.ndarray, labels: list[str], smoothing: float, degree: int) -> str | None:
    """Why interpolating at the rows of ``X`` is singular, or None: duplicate rows for an
    exact interpolation, a constant column or collinear rows under a polynomial (which
    scipy may not notice, and then solves a singular system)."""
    if smoothing == 0 and len(X) > 1:
        _, inverse, counts = np.unique(X, axis=0, return_inverse=True, return_counts=True)
        if (counts > 1).any():
            rows = np.flatnonzero(inverse.ravel() == np.flatnonzero(counts > 1)[0])
            return (
                f"rows {rows[0]} and {rows[1]} are the same point {X[rows[0]].tolist()}: an "
                "interpolation (smoothing=0) needs distinct points; remove the duplicates "
                "or set smoothing > 0"
            )
    if degree >= 1 and len(X) > 1:
        constant = np.flatnonzero(np.ptp(X, axis=0) == 0)
        if constant.size:
            j = constant[0]
            return (
                f"{labels[j]} has the same value {float(X[0, j])!r} in every row: the "
                f"polynomial of degree {degree} cannot be fitted; leave it out"
            )
        if np.linalg.matrix_rank(np.c_[np.ones(len(X)), X - X.mean(axis=0)]) <= X.shape[1]:
            return (
                "the rows are collinear (they lie on a lower-dimensional affine subspace "
                f"of {', '.join(labels)}): the polynomial of degree {degree} cannot be fitted"
            )
    return None


class RBFRegressor(Estimator):
    """Radial basis function interpolation (scipy's ``RBFInterpolator``) as a regressor.

    ``fit(X, Y)`` / ``predict(X)`` on 2-D arrays, the NumPy-array protocol of romba's
    learned parts. Saved as its training data, and rebuilt from it when loaded.

    Parameters
    ----------
    kernel : str
        One of scipy's kernels: ``"thin_plate_spline"``, ``"cubic"``, ``"quintic"``,
        ``"linear"`` (scale-free), or ``"gaussian"``, ``"multiquadric"``,
        ``"inverse_multiquadric"``, ``"inverse_quadratic"`` (these need a shape
        parameter, which this class leaves at scipy's default of 1).
    smoothing : float
        Non-negative; 0 interpolates the training data.
    degree : int
        Degree of the added polynomial (-1 for none); at least the kernel's minimum
        (1 for ``"thin_plate_spline"`` and ``"cubic"``).

    Attributes
    ----------
    X_ : ndarray of shape (n_samples, n_features)
        The training inputs.
    Y_ : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        The training targets.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.nonintrusive import RBFRegressor
    >>> X = np.linspace(0, 1, 9)[:, None]
    >>> bool(np.allclose(RBFRegressor().fit(X, X**2).predict(X), X**2))
    True
    """

    _fitted_marker: ClassVar[str] = "X_"

    def __init__(
        self, kernel: str = "thin_plate_spline", smoothing: float = 0.0, degree: int = 1
    ) -> None:
        self.kernel = kernel
        self.smoothing = smoothing
        self.degree = degree

    def fit(self, X: Any, Y: Any) -> RBFRegressor:
        """Fit on inputs ``X`` (n_samples, n_features) and targets ``Y`` (n_samples, k).

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
            The training inputs (real, finite, pairwise distinct rows).
        Y : array_like of shape (n_samples,) or (n_samples, n_outputs)
            The training targets, one row per row of ``X``.

        Returns
        -------
        self
        """
        X = check_array(X, "X", ndim=2, dtype_kind="f", copy=True)
        Y = check_array(Y, "Y", ndim=(1, 2), copy=True)
        if Y.shape[0] != X.shape[0]:
            raise ValueError(f"Y: expected {X.shape[0]} rows (one per row of X), got {Y.shape}")
        problem = self._problem(X, [f"column {j}" for j in range(X.shape[1])])
        if problem is not None:
            raise ValueError(f"X: cannot interpolate with {self!r}: {problem}")
        rbf = self._interpolator(X, Y)
        self.Y_ = Y
        self.X_ = X
        self._rbf = rbf
        return self

    def _problem(self, points: np.ndarray, labels: list[str]) -> str | None:
        """Why interpolating at ``points`` (rows; columns named ``labels``) is singular."""
        check_choice(self.kernel, "kernel", KERNELS)
        smoothing = check_tolerance(self.smoothing, "smoothing", allow_none=False)
        degree = check_positive_int(self.degree, "degree", allow_none=False, minimum=-1)
        return _degenerate(points, labels, smoothing, degree)

    def _interpolator(self, X: np.ndarray, Y: np.ndarray) -> Any:
        from scipy.interpolate import RBFInterpolator

        check_choice(self.kernel, "kernel", KERNELS)
        smoothing = check_tolerance(self.smoothing, "smoothing", allow_none=False)
        degree = check_positive_int(self.degree, "degree", allow_none=False, minimum=-1)
        try:
            return RBFInterpolator(X, Y, kernel=self.kernel, smoothing=smoothing, degree=degree)
        except ValueError as err:  # too few points for the degree, a singular system
            raise ValueError(f"X: cannot interpolate with {self!r} ({err})") from err

    def loo_residuals(self) -> np.ndarray:
        r"""Leave-one-out residuals :math:`y_i - s_{-i}(x_i)`, in closed form (Rippa 1999).

        :math:`s_{-i}` is the interpolant (same kernel, smoothing and polynomial)
        fitted on every training row but row :math:`i`. With :math:`A` the matrix of
        the whole system (kernel matrix plus smoothing, polynomial columns and rows),
        :math:`e_i = c_i / (A^{-1})_{ii}`, :math:`c` the kernel coefficients: one
        factorisation instead of ``n_samples`` fits.

        Returns
        -------
        numpy.ndarray of shape (n_samples, n_outputs)
            ``inf`` in a row whose removal leaves a singular system.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.nonintrusive import RBFRegressor
        >>> X = np.linspace(0, 1, 5)[:, None]
        >>> line = RBFRegressor(degree=1).fit(X, 2 * X + 1)  # the polynomial part: exact
        >>> bool(np.abs(line.loo_residuals()).max() < 1e-10)
        True
        >>> RBFRegressor(degree=1).fit(X, X**2).loo_residuals().shape
        (5, 1)
        """
        self._check_fitted()
        X = self.X_
        Y = np.asarray(self.Y_).reshape(len(X), -1)
        m = len(X)
        r = np.sqrt(np.maximum(((X[:, None, :] - X[None, :, :]) ** 2).sum(axis=-1), 0.0))
        K = _kernel(self.kernel, r) + float(self.smoothing) * np.eye(m)
        P = _monomials(X, int(self.degree)) if int(self.degree) >= 0 else np.zeros((m, 0))
        q = P.shape[1]
        A = np.block([[K, P], [P.T, np.zeros((q, q))]])
        inverse = np.linalg.inv(A)  # nonsingular: the interpolation was fitted
        coefficients = inverse[:, :m] @ Y
        diagonal = np.diag(inverse)[:m]
        with np.errstate(divide="ignore", invalid="ignore"):
            tiny = np.abs(diagonal) <= 1e-14 * np.abs(diagonal).max()
            return np.where(tiny[:, None], np.inf, coefficients[:m] / diagonal[:, None])

    def predict(self, X: Any) -> np.ndarray:
        """The interpolated targets at the rows of ``X``: shape (m,) or (m, k), as ``Y``.

        Parameters
        ----------
        X : array_like of shape (m, n_features)
            The inputs, with as many columns as the training inputs.

        Returns
        -------
        numpy.ndarray of shape (m,) or (m, n_outputs)
        """
        self._check_fitted()
        X = check_array(X, "X", ndim=2, dtype_kind="f")
        if X.shape[1] != self.X_.shape[1]:
            raise ValueError(
                f"X: expected {self.X_.shape[1]} columns (features), got shape {X.shape}"
            )
        return self._rbf(X)

    def _restore(self) -> None:
        if self._is_fitted():  # a file is untrusted: its arrays are checked as fit checks
            X = check_array(self.X_, "X_", ndim=2, dtype_kind="f")
            Y = check_array(self.Y_, "Y_", ndim=(1, 2))
            if Y.shape[0] != X.shape[0]:
                raise ValueError(f"Y_: expected {X.shape[0]} rows, got shape {Y.shape}")
            self._rbf = self._interpolator(X, Y)
            if not np.isfinite(self._rbf(X)).all():  # finite values too large to fit
                raise ValueError("X_: the interpolation of Y_ at X_ is not finite")
