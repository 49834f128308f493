r"""A light default regressor: ridge regression on quadratic features."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom._base import Estimator
from rom.closures.adapters import check_training_data
from rom.validation import check_array, check_tolerance

__all__ = ["QuadraticRidge"]


class QuadraticRidge(Estimator):
    r"""Ridge regression on the monomials of degree <= 2 of standardised inputs.

    With the inputs standardised column by column, :math:`z = (x - m) / s` (a
    constant column keeps :math:`s = 1`), the features of a row are
    :math:`\psi(z) = (1, z_i, z_i z_j\ (i \le j))`, :math:`1 + p + p(p+1)/2` of them,
    and the coefficients minimise :math:`\|\Psi C - Y\|_F^2 + \lambda \|C\|_F^2`
    with :math:`\lambda = \alpha\, \sigma_1(\Psi)^2`: ``alpha`` is relative, free
    of the scales of the data. The solution comes from the thin SVD of
    :math:`\Psi`, never from the normal equations (see the theory page *Learned
    closures*). A quadratic model is exact for the quadratic nonlinearity of
    Burgers-type equations projected on a basis, which makes it a good default
    closure.

    Real data only: for complex data wrap it in :class:`ArrayRegressor`, which hands
    it the real and imaginary parts (a quadratic in them also holds the
    non-holomorphic terms such as :math:`|z|^2`).

    Parameters
    ----------
    alpha : float
        Relative regularisation (>= 0).

    Attributes
    ----------
    mean_, scale_ : ndarray (p,)
        The standardisation of the inputs.
    coef_ : ndarray (n_terms, k)
        Coefficients of the features (the order of :meth:`features`).
    singular_values_ : ndarray
        Singular values of the feature matrix.
    n_features_in_, n_outputs_ : int
    target_ndim_ : int
        1 when fitted on a 1-D ``Y`` (then :meth:`predict` returns 1-D arrays), else 2.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.closures import QuadraticRidge
    >>> X = np.random.default_rng(0).standard_normal((50, 2))
    >>> Y = np.column_stack([X[:, 0] * X[:, 1] - 3.0, X[:, 1] ** 2])
    >>> reg = QuadraticRidge(alpha=0.0).fit(X, Y)
    >>> reg.predict(np.array([[1.0, 2.0]])).round(10).tolist()
    [[-1.0, 4.0]]
    """

    _fitted_marker = "coef_"

    def __init__(self, alpha: float = 1e-3) -> None:
        self.alpha = alpha

    @staticmethod
    def n_terms(n_features: int) -> int:
        """Number of monomials of degree <= 2 in ``n_features`` variables.

        Parameters
        ----------
        n_features : int
            Number of variables.
        """
        if isinstance(n_features, bool) or not isinstance(n_features, int | np.integer):
            raise TypeError(f"n_features: expected an integer, got {type(n_features).__name__}")
        if n_features < 0:
            raise ValueError(f"n_features: expected a nonnegative integer, got {n_features}")
        return 1 + n_features + n_features * (n_features + 1) // 2

    def features(self, X: Any) -> np.ndarray:
        """The feature matrix :math:`\\Psi` of the rows of ``X`` (after fitting).

        Parameters
        ----------
        X : array, shape (n_samples, p)
            Input rows.
        """
        self._check_fitted()
        X = check_array(X, "X", shape=(None, self.n_features_in_), dtype_kind="f")
        return self._features(X)

    def _features(self, X: np.ndarray) -> np.ndarray:
        Z = (X - self.mean_) / self.scale_
        i, j = np.triu_indices(Z.shape[1])
        return np.hstack([np.ones((Z.shape[0], 1)), Z, Z[:, i] * Z[:, j]])

    def fit(self, X: Any, Y: Any) -> QuadraticRidge:
        """Fit on ``X`` (n_samples, p) and ``Y`` (n_samples, k) or (n_samples,).

        Parameters
        ----------
        X : array, shape (n_samples, p)
            Input rows.
        Y : array, shape (n_samples, k) or (n_samples,)
            Targets.

        Returns
        -------
        self
        """
        alpha = check_tolerance(self.alpha, "alpha", allow_none=False)
        X, Y2, target_ndim = check_training_data(X, Y, dtype_kind="f")
        p = X.shape[1]
        self.n_features_in_ = int(p)
        self.n_outputs_ = int(Y2.shape[1])
        self.mean_ = X.mean(axis=0)
        scale = X.std(axis=0)
        self.scale_ = np.where(scale > 0, scale, 1.0)
        self.target_ndim_ = target_ndim
        Psi = self._features(X)
        U, s, Vt = np.linalg.svd(Psi, full_matrices=False)
        lam = alpha * s[0] ** 2
        cutoff = s[0] * max(Psi.shape) * np.finfo(float).eps
        filt = np.divide(s, s**2 + lam, out=np.zeros_like(s), where=s > cutoff)
        self.coef_ = Vt.T @ (filt[:, None] * (U.T @ Y2))
        self.singular_values_ = s
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predictions for the rows of ``X``: (n_samples, k), or (n_samples,) if ``Y`` was 1-D.

        Parameters
        ----------
        X : array, shape (n_samples, p)
            Input rows.
        """
        self._check_fitted()
        X = check_array(X, "X", shape=(None, self.n_features_in_), dtype_kind="f")
        Y = self._features(X) @ self.coef_
        return Y[:, 0] if self.target_ndim_ == 1 else Y

    def _restore(self) -> None:
        p = self.mean_.shape[0] if self.mean_.ndim == 1 else -1
        if (
            p != self.n_features_in_
            or self.scale_.shape != (p,)
            or self.coef_.shape != (self.n_terms(p), self.n_outputs_)
            or self.target_ndim_ not in (1, 2)
        ):
            raise ValueError("QuadraticRidge: inconsistent arrays in the file")
