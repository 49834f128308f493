"""Surrogates: a reduction of the fields and a regression of the reduced coordinates."""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import numpy as np

from rom._base import Estimator
from rom.io.persist import encode_state
from rom.io.registry import alias_of
from rom.linalg import POD, column_norms
from rom.parameters import ParameterSpace
from rom.validation import (
    check_array,
    check_choice,
    check_inner,
    check_parameters,
    check_positive_int,
    check_tolerance,
)

__all__ = ["RBFRegressor", "Surrogate"]

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

    def predict(self, X: Any) -> np.ndarray:
        """The interpolated targets at the rows of ``X``: shape (m,) or (m, k), as ``Y``."""
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


def _check_reduction(reduction: Any) -> None:
    missing = [
        m
        for m in ("fit", "transform", "inverse_transform")
        if not callable(getattr(reduction, m, None))
    ]
    if missing:
        raise TypeError(
            "reduction: expected an object with fit, transform and inverse_transform (such "
            f"as rom.POD), got {type(reduction).__name__} without {', '.join(missing)}"
        )


class Surrogate(Estimator):
    r"""Fields as a function of the parameters: a reduction of the snapshots (POD),
    a regression of the reduced coordinates.

    ``predict(mu) = inverse_transform(g(mu))``, where ``g`` is the regressor fitted
    on (scaled parameter sets, reduced coordinates ``transform(S)``); for a POD, this
    is :math:`U\,g(\mu)` with the POD basis :math:`U`. Real and complex snapshots.

    Parameters
    ----------
    reduction : object with fit / transform / inverse_transform, optional
        Fitted on the snapshot columns (a copy is fitted); default :class:`rom.POD`
        with ``tol=1e-6``.
    regressor : object with fit(X, Y) / predict(X), optional
        A regressor of the NumPy-array protocol (a copy is fitted, inside a
        :class:`rom.closures.ArrayRegressor` that checks it and regresses complex
        coordinates as their real and imaginary parts); default
        :class:`RBFRegressor`. scikit-learn regressors (Gaussian processes, MLP)
        work as they are.
    parameter_space : rom.ParameterSpace, optional
        Checks the parameter sets and scales them to the unit cube (log dimensions in
        log scale); without it, the training parameter sets' range is used.
    inner : None or (n, n) Hermitian positive definite matrix, dense or sparse
        The inner product of the fields (a finite element mass matrix, say): the
        default reduction's (a reduction given as ``reduction`` keeps its own), and
        the norm of the errors of :meth:`cross_validate`.

    Attributes
    ----------
    reduction_ : object
        The fitted reduction.
    regressor_ : rom.closures.ArrayRegressor
        The fitted regressor (``regressor_.estimator``), checked.
    low_, high_ : ndarray of shape (n_params,)
        The range of the training parameter sets.
    n_dofs_, n_params_, n_coords_ : int
        Rows of the snapshots, parameters per set, reduced coordinates.

    Notes
    -----
    :meth:`save` stores everything romba can store (a romba reduction or regressor
    with its state). A regressor or a reduction that romba cannot store (a
    scikit-learn regressor) is named in the file instead: give the fitted one back
    by name, ``rom.load(path, regressor=model.regressor_.estimator)``
    (``reduction=model.reduction_`` for a reduction); the loaded surrogate takes it
    as both its parameter and its fitted part.

    Examples
    --------
    >>> import numpy as np
    >>> from rom import ParameterSpace
    >>> from rom.nonintrusive import Surrogate
    >>> space = ParameterSpace({"a": (1.0, 2.0)})
    >>> x = np.linspace(0, 1, 100)
    >>> mus = space.sample(12, "grid")
    >>> S = np.exp(-mus[:, 0][None, :] * x[:, None])
    >>> model = Surrogate(parameter_space=space).fit(mus, S)
    >>> bool(np.abs(model.predict([[1.37]])[:, 0] - np.exp(-1.37 * x)).max() < 1e-4)
    True
    """

    _fitted_marker: ClassVar[str] = "regressor_"

    def __init__(
        self,
        reduction: Any = None,
        regressor: Any = None,
        parameter_space: ParameterSpace | None = None,
        inner: Any = None,
    ) -> None:
        self.reduction = reduction
        self.regressor = regressor
        self.parameter_space = parameter_space
        self.inner = inner

    # ------------------------------------------------------------------ checks
    def _space(self) -> ParameterSpace | None:
        space = self.parameter_space
        if space is not None and not isinstance(space, ParameterSpace):
            raise TypeError(
                "parameter_space: expected a rom.ParameterSpace or None, got "
                f"{type(space).__name__}"
            )
        return space

    def _scale(self, mus: np.ndarray) -> np.ndarray:
        space = self._space()
        if space is not None:
            return space.to_unit(mus)
        width = np.where(self.high_ > self.low_, self.high_ - self.low_, 1.0)
        return (mus - self.low_) / width

    def _check_data(self, parameters: Any, snapshots: Any) -> tuple[np.ndarray, np.ndarray]:
        mus = check_parameters(parameters, "parameters", parameter_space=self._space())
        S = check_array(snapshots, "snapshots", ndim=2)
        if S.shape[1] != len(mus):
            raise ValueError(
                f"snapshots: expected {len(mus)} columns (one per parameter set), got {S.shape[1]}"
            )
        return mus, S

    # ------------------------------------------------------------------ fitting
    def fit(self, parameters: Any, snapshots: Any) -> Surrogate:
        """Fit on parameter sets (rows, (k, n_params)) and snapshots (columns, (n, k)).

        Returns
        -------
        self
        """
        from rom.closures import as_regressor  # on use: rom.closures imports more

        mus, S = self._check_data(parameters, snapshots)
        check_inner(self.inner, S.shape[0])
        reduction = (
            POD(tol=1e-6, inner=self.inner)
            if self.reduction is None
            else copy.deepcopy(self.reduction)
        )
        _check_reduction(reduction)
        regressor = RBFRegressor() if self.regressor is None else copy.deepcopy(self.regressor)
        checked = as_regressor(regressor, "regressor")
        if hasattr(reduction, "fit_transform"):  # one pass fewer over the snapshots
            coords = np.asarray(reduction.fit_transform(S)).T
        else:
            coords = np.asarray(reduction.fit(S).transform(S)).T
        self.low_, self.high_ = mus.min(axis=0), mus.max(axis=0)
        rbf = isinstance(regressor, RBFRegressor)  # errors name the parameter sets
        space = self._space()
        labels = [f"parameter {n!r}" for n in (space.names if space else range(mus.shape[1]))]
        problem = regressor._problem(mus, labels) if rbf else None
        if problem is not None:
            raise ValueError(f"parameters: cannot interpolate with {regressor!r}: {problem}")
        checked.fit(self._scale(mus), coords)
        self.reduction_ = reduction
        self.n_dofs_, self.n_params_, self.n_coords_ = S.shape[0], mus.shape[1], coords.shape[1]
        self.regressor_ = checked
        return self

    def predict(self, parameters: Any) -> np.ndarray:
        """Predicted fields at the parameter sets (rows): columns, shape (n, k)."""
        self._check_fitted()
        mus = check_parameters(
            parameters, "parameters", n_params=self.n_params_, parameter_space=self._space()
        )
        coords = self.regressor_.predict(self._scale(mus))
        return np.asarray(self.reduction_.inverse_transform(coords.T))

    def cross_validate(
        self, parameters: Any, snapshots: Any, k: int = 5, random_state: Any = 0
    ) -> np.ndarray:
        r"""Relative Frobenius error of each of ``k`` folds, refitting on the others.

        A surrogate of the same parameters is fitted on ``k - 1`` folds of the
        parameter sets (rows) and snapshots (columns), and its predictions on the
        remaining fold :math:`f` are compared with those snapshots:
        :math:`\|\hat S_f - S_f\|_F / \|S_f\|_F`, the Frobenius norm taken in
        ``inner`` (the square root of the sum of the columns' squared norms). This
        surrogate is left as it is.

        Parameters
        ----------
        parameters : array (m, n_params)
        snapshots : array (n, m)
        k : int
            Number of folds, 2 to m.
        random_state : int, numpy.random.Generator or None
            The shuffle of the parameter sets into folds.

        Returns
        -------
        numpy.ndarray of shape (k,)
        """
        k = check_positive_int(k, "k", allow_none=False, minimum=2)
        mus, S = self._check_data(parameters, snapshots)
        inner = check_inner(self.inner, S.shape[0])

        def norm(X: np.ndarray) -> float:
            return float(np.sqrt(np.sum(column_norms(X, inner) ** 2)))

        if len(mus) < k:
            raise ValueError(f"k: expected at most {len(mus)} folds (one per parameter set)")
        order = np.random.default_rng(random_state).permutation(len(mus))
        errors = []
        for test in np.array_split(order, k):
            train = np.setdiff1d(order, test)
            model = Surrogate(**self.get_params(deep=False)).fit(mus[train], S[:, train])
            diff = model.predict(mus[test]) - S[:, test]
            errors.append(norm(diff) / norm(S[:, test]))
        return np.asarray(errors)

    # ------------------------------------------------------------------ saving
    def _to_arrays(self) -> tuple[dict, dict]:
        # a fitted part that romba cannot store is one part named as its parameter
        # (rom.load(path, regressor=...)), not two (the parameter and its fitted copy)
        self._check_fitted()
        params = self.get_params(deep=False)
        fitted = self._fitted_state()
        for name, learned in (
            ("reduction", self.reduction_),
            ("regressor", self.regressor_.estimator),
        ):
            if alias_of(type(learned)) is None or not hasattr(learned, "_to_arrays"):
                params[name] = learned
        return encode_state(self, params, fitted)

    def _restore(self) -> None:
        from rom.closures import ArrayRegressor

        if not self._is_fitted():
            return
        self._space()
        _check_reduction(self.reduction_)
        if not isinstance(self.regressor_, ArrayRegressor):
            raise ValueError(
                f"regressor_: expected an ArrayRegressor, got {type(self.regressor_).__name__}"
            )
        for name in ("n_dofs_", "n_params_", "n_coords_"):
            check_positive_int(getattr(self, name), name, allow_none=False)
        for name in ("low_", "high_"):
            setattr(
                self,
                name,
                check_array(getattr(self, name), name, shape=(self.n_params_,), dtype_kind="f"),
            )
        if bool(np.any(self.low_ > self.high_)):
            raise ValueError("low_: expected low_ <= high_ (the range of the training sets)")
        self._check_consistent()

    def _check_consistent(self) -> None:
        """The regressor and the reduction sized as ``n_params_``, ``n_coords_``, ``n_dofs_``."""
        reg = self.regressor_
        if not reg._is_fitted():
            raise ValueError("regressor_: expected a fitted regressor")
        if reg.n_features_in_ != self.n_params_ or reg.n_outputs_ != self.n_coords_:
            raise ValueError(
                f"regressor_: expected {self.n_params_} inputs and {self.n_coords_} outputs, "
                f"got {reg.n_features_in_} and {reg.n_outputs_}"
            )
        learned = reg.estimator
        if isinstance(learned, RBFRegressor) and learned._is_fitted():
            width = self.n_coords_ * (2 if reg.complex_outputs_ else 1)
            Y = learned.Y_.reshape(len(learned.Y_), -1)
            if learned.X_.shape[1] != self.n_params_ or Y.shape[1] != width:
                raise ValueError(
                    f"regressor_: expected {self.n_params_} inputs and {width} outputs, got "
                    f"X_ {learned.X_.shape} and Y_ {learned.Y_.shape}"
                )
        basis = getattr(self.reduction_, "basis_", None)
        if basis is not None and tuple(basis.shape) != (self.n_dofs_, self.n_coords_):
            raise ValueError(
                f"reduction_: expected a basis of shape ({self.n_dofs_}, {self.n_coords_}), "
                f"got {tuple(basis.shape)}"
            )
