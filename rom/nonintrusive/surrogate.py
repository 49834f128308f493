"""Surrogates: a reduction of the fields and a regression of the reduced coordinates."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from rom._checks import check_array, check_fitted, check_positive_int
from rom.io.persist import nest, unnest
from rom.linalg import POD
from rom.parameters import ParameterSpace

__all__ = ["RBFRegressor", "Surrogate"]


class RBFRegressor:
    """Radial basis function interpolation (scipy's ``RBFInterpolator``) as a regressor.

    ``fit(X, Y)`` / ``predict(X)`` on 2-D arrays, the NumPy-array protocol of romba's
    learned parts; refitted from its training data when loaded.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.nonintrusive import RBFRegressor
    >>> X = np.linspace(0, 1, 9)[:, None]
    >>> bool(np.allclose(RBFRegressor().fit(X, X**2).predict(X), X**2))
    True
    """

    def __init__(self, kernel: str = "thin_plate_spline", smoothing: float = 0.0, degree: int = 1):
        self.kernel = kernel
        self.smoothing = smoothing
        self.degree = degree

    def fit(self, X: Any, Y: Any) -> RBFRegressor:
        from scipy.interpolate import RBFInterpolator

        self.X_ = np.asarray(X, dtype=float)
        self.Y_ = np.asarray(Y)
        self._rbf = RBFInterpolator(
            self.X_, self.Y_, kernel=self.kernel, smoothing=self.smoothing, degree=self.degree
        )
        return self

    def predict(self, X: Any) -> np.ndarray:
        check_fitted(self, "X_")
        return self._rbf(np.asarray(X, dtype=float))


class Surrogate:
    r"""Fields as a function of the parameters: POD of the snapshots, regression of the
    POD coordinates.

    ``predict(mu) = U g(mu)`` where ``U`` is the reduction's basis and ``g`` the
    regressor fitted on (scaled parameters, reduced coordinates ``U^H M s``).

    Parameters
    ----------
    reduction : object with fit / transform / inverse_transform, optional
        Default :class:`rom.POD` with ``tol=1e-6``.
    regressor : object with fit(X, Y) / predict(X), optional
        Default :class:`RBFRegressor`; scikit-learn regressors (Gaussian processes,
        MLP) work as they are.
    space : rom.ParameterSpace, optional
        Scales the inputs to the unit cube (log dimensions in log scale); without it,
        the training parameters' range is used.

    Examples
    --------
    >>> import numpy as np
    >>> from rom import ParameterSpace
    >>> from rom.nonintrusive import Surrogate
    >>> space = ParameterSpace({"a": (1.0, 2.0)})
    >>> x = np.linspace(0, 1, 100)
    >>> mus = space.sample(12, "grid")
    >>> S = np.exp(-mus[:, 0][None, :] * x[:, None])
    >>> model = Surrogate(space=space).fit(mus, S)
    >>> bool(np.abs(model.predict([[1.37]])[:, 0] - np.exp(-1.37 * x)).max() < 1e-4)
    True
    """

    def __init__(self, reduction: Any = None, regressor: Any = None, space: Any = None) -> None:
        self.reduction = reduction
        self.regressor = regressor
        self.space = space

    def _scale(self, mus: np.ndarray) -> np.ndarray:
        if self.space is not None:
            return self.space.to_unit(mus)
        width = np.where(self.high_ > self.low_, self.high_ - self.low_, 1.0)
        return (mus - self.low_) / width

    def _parameters(self, mus: Any, name: str) -> np.ndarray:
        if self.space is not None:
            if not isinstance(self.space, ParameterSpace):
                raise TypeError("space: expected a rom.ParameterSpace")
            return np.atleast_2d(self.space.check(mus))
        mus = check_array(mus, name, ndim=(1, 2), dtype_kind="f")
        return mus[:, None] if mus.ndim == 1 else mus

    def fit(self, parameters: Any, snapshots: Any) -> Surrogate:
        """Fit on parameter rows (k, d) and snapshot columns (n, k)."""
        mus = self._parameters(parameters, "parameters")
        S = check_array(snapshots, "snapshots", ndim=2)
        if S.shape[1] != len(mus):
            raise ValueError(
                f"snapshots: expected {len(mus)} columns (one per parameter row), got {S.shape[1]}"
            )
        self.low_, self.high_ = mus.min(axis=0), mus.max(axis=0)
        self.reduction_ = (
            copy.deepcopy(self.reduction) if self.reduction is not None else POD(tol=1e-6)
        )
        if hasattr(self.reduction_, "fit_transform"):  # one pass fewer over the snapshots
            coords = np.asarray(self.reduction_.fit_transform(S)).T
        else:
            self.reduction_.fit(S)
            coords = np.asarray(self.reduction_.transform(S)).T
        self.regressor_ = (
            copy.deepcopy(self.regressor) if self.regressor is not None else RBFRegressor()
        )
        self.regressor_.fit(self._scale(mus), coords)
        self.n_dofs_ = S.shape[0]
        return self

    def predict(self, parameters: Any) -> np.ndarray:
        """Predicted fields as columns, shape (n, k)."""
        check_fitted(self, "regressor_")
        mus = self._parameters(parameters, "parameters")
        coords = np.asarray(self.regressor_.predict(self._scale(mus)))
        coords = coords.reshape(len(mus), -1)
        return np.asarray(self.reduction_.inverse_transform(coords.T))

    def cross_validate(self, parameters: Any, snapshots: Any, k: int = 5, seed: int = 0):
        """Relative Frobenius error of each of ``k`` folds (refitting on the others)."""
        k = check_positive_int(k, "k", allow_none=False, minimum=2)
        mus = self._parameters(parameters, "parameters")
        S = check_array(snapshots, "snapshots", ndim=2)
        if S.shape[1] != len(mus) or len(mus) < k:
            raise ValueError(f"snapshots: need {len(mus)} columns and at least k={k} of them")
        folds = np.array_split(np.random.default_rng(seed).permutation(len(mus)), k)
        errors = []
        for test in folds:
            train = np.setdiff1d(np.arange(len(mus)), test)
            model = Surrogate(self.reduction, self.regressor, self.space).fit(
                mus[train], S[:, train]
            )
            diff = model.predict(mus[test]) - S[:, test]
            errors.append(float(np.linalg.norm(diff) / np.linalg.norm(S[:, test])))
        return np.asarray(errors)

    # ---------------------------------------------------------- persistence
    def _to_arrays(self) -> tuple[dict, dict]:
        check_fitted(self, "regressor_")
        if not isinstance(self.reduction_, POD) or not isinstance(self.regressor_, RBFRegressor):
            raise TypeError(
                "obj: only surrogates with a POD reduction and the built-in RBFRegressor can "
                "be saved (other regressors would need pickle, which romba never uses)"
            )
        pod_settings, pod_arrays = nest("pod", self.reduction_)
        rbf = self.regressor_
        settings = {
            "pod": pod_settings,
            "rbf": {"kernel": rbf.kernel, "smoothing": rbf.smoothing, "degree": rbf.degree},
            "space": None if self.space is None else self.space.to_dict(),
            "n_dofs_": self.n_dofs_,
            "spec_path": getattr(self, "spec_path_", None),
        }
        arrays = dict(pod_arrays)
        arrays.update({"rbf.X": rbf.X_, "rbf.Y": rbf.Y_, "low_": self.low_, "high_": self.high_})
        return settings, arrays

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> Surrogate:
        pod_arrays = unnest("pod", arrays)
        space = settings.get("space")
        model = cls(space=None if space is None else ParameterSpace.from_dict(space))
        model.reduction_ = POD._from_arrays(settings["pod"], pod_arrays)
        model.regressor_ = RBFRegressor(**settings["rbf"]).fit(arrays["rbf.X"], arrays["rbf.Y"])
        model.low_, model.high_ = arrays["low_"], arrays["high_"]
        model.n_dofs_ = settings["n_dofs_"]
        if settings.get("spec_path"):
            model.spec_path_ = settings["spec_path"]
        return model

    def save(self, path: Any) -> None:
        """Save to ``path`` (see :func:`rom.save`): POD arrays and the RBF training data."""
        from rom.io.persist import save

        save(self, path)
