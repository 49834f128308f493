"""Surrogates: a reduction of the fields and a regression of the reduced coordinates."""

from __future__ import annotations

import copy
import functools
from typing import Any, ClassVar

import numpy as np

from rom._base import Estimator
from rom.io.persist import encode_state
from rom.io.registry import alias_of
from rom.linalg import POD, column_norms
from rom.nonintrusive.rbf import UNIT_STD, RBFRegressor
from rom.nonintrusive.store import SnapshotStore
from rom.parameters import ParameterSpace
from rom.validation import (
    check_array,
    check_inner,
    check_parameters,
    check_positive_int,
)

__all__ = ["RBFRegressor", "Surrogate"]  # RBFRegressor: re-exported from rom.nonintrusive.rbf


def _refit_without(regressor: Any, X: np.ndarray, Y: np.ndarray, rows: Any) -> np.ndarray:
    """Predictions at ``rows`` of a copy of ``regressor`` fitted on the other rows."""
    from rom.closures import as_regressor

    keep = np.ones(len(X), dtype=bool)
    keep[rows] = False
    fitted = as_regressor(copy.deepcopy(regressor), "regressor").fit(X[keep], Y[keep])
    return fitted.predict(X[rows])


def _fit_store(model: Any, reduction: Any, store: Any, field: Any) -> tuple:
    """A reduction fitted on a store block by block, the coordinates and parameters."""
    from rom.linalg.hapod import IncrementalPOD, project_store

    if model.reduction is None:
        reduction = IncrementalPOD(tol=1e-6, inner=model.inner)
    streamed = isinstance(reduction, IncrementalPOD)
    size = check_positive_int(reduction.chunk_size, "chunk_size") if streamed else None
    size = size or max(1, 2**26 // (16 * max(store.n_rows(field), 1)))  # about 64 MB
    reduction.fit(store.chunks(size, field) if streamed else store.snapshots(field)[0])
    coords, mus = project_store(reduction, store, chunk_size=size, field=field)
    return reduction, coords.T, mus


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
        the norm of the errors of :meth:`cross_validate` and :meth:`loo_error`.
    normalize : bool
        Scale what the regressor sees (True, the default). Inputs: the parameter
        sets are mapped to the unit box :math:`u \in [0, 1]^p` (of
        ``parameter_space``, log dimensions in log scale; else of the training sets'
        range), then to :math:`\sqrt{12}(u - 1/2)` (mean 0, variance 1 when uniform on
        the box). Outputs: the reduced coordinates :math:`c` become
        :math:`(c - \bar c)/s`, centred by their mean over the training sets and
        divided by *one* number, the root mean square distance :math:`s` of the
        coordinate rows to their mean (the typical variation of the fields in
        ``inner``): one scale keeps the coordinates' relative weights, so a
        squared-error loss (an MLP, a Gaussian process likelihood) measures the
        fields' error. RBF interpolation gives the same fields either way (to
        round-off; with ``smoothing`` > 0 the smoothing acts on the scaled inputs).
        False: raw parameter values and coordinates. See
        :doc:`/theory/nonintrusive`.

    Attributes
    ----------
    reduction_ : object
        The fitted reduction.
    regressor_ : rom.closures.ArrayRegressor
        The fitted regressor (``regressor_.estimator``), checked.
    low_, high_ : ndarray of shape (n_params,)
        The range of the training parameter sets.
    y_mean_ : ndarray of shape (n_coords,)
        The mean of the reduced coordinates (zeros when ``normalize=False``).
    y_scale_ : float
        Their scale ``s`` (1.0 when ``normalize=False``).
    parameters_ : ndarray of shape (n_samples, n_params)
        The training parameter sets.
    coordinates_ : ndarray of shape (n_samples, n_coords)
        Their reduced coordinates (for :meth:`loo_error`).
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
    >>> mus = space.grid(12)
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
        normalize: bool = True,
    ) -> None:
        self.reduction = reduction
        self.regressor = regressor
        self.parameter_space = parameter_space
        self.inner = inner
        self.normalize = normalize

    # ------------------------------------------------------------------ checks
    def _space(self) -> ParameterSpace | None:
        space = self.parameter_space
        if space is not None and not isinstance(space, ParameterSpace):
            raise TypeError(
                "parameter_space: expected a rom.ParameterSpace or None, got "
                f"{type(space).__name__}"
            )
        return space

    def _normalize(self) -> bool:
        if not isinstance(self.normalize, bool | np.bool_):
            raise TypeError(f"normalize: expected True or False, got {self.normalize!r}")
        return bool(self.normalize)

    def _scale(self, mus: np.ndarray) -> np.ndarray:
        if not self._normalize():
            return mus
        space = self._space()
        if space is not None:
            unit = space.to_unit(mus)
        else:
            width = np.where(self.high_ > self.low_, self.high_ - self.low_, 1.0)
            unit = (mus - self.low_) / width
        return (unit - 0.5) * UNIT_STD  # mean 0, variance 1 if uniform on the box

    def _check_data(self, parameters: Any, snapshots: Any) -> tuple[np.ndarray, np.ndarray]:
        mus = check_parameters(parameters, "parameters", parameter_space=self._space())
        S = check_array(snapshots, "snapshots", ndim=2)
        if S.shape[1] != len(mus):
            raise ValueError(
                f"snapshots: expected {len(mus)} columns (one per parameter set), got {S.shape[1]}"
            )
        return mus, S

    # ------------------------------------------------------------------ fitting
    def fit(self, parameters: Any, snapshots: Any = None) -> Surrogate:
        """Fit on parameter sets (rows, (k, n_params)) and snapshots (columns, (n, k)).

        Or ``fit(store, field=None)`` with a :class:`SnapshotStore`: the snapshots
        stream through the reduction block by block (the default reduction is then an
        :class:`rom.linalg.IncrementalPOD`), never all in memory; an ``IncrementalPOD``
        reduction reads ``chunk_size`` columns at a time (default about 64 MB), for its
        fit and for the reduced coordinates. Another reduction reads the store whole.

        Parameters
        ----------
        parameters : array_like of shape (k, n_params), or SnapshotStore
            The parameter sets, one per row (a 1-D array is one set); or a store,
            whose snapshots and parameter sets are read from it.
        snapshots : array_like of shape (n, k), or str, optional
            The snapshots, one column per parameter set; with a store, the name of the
            field to read (None: its only field).

        Returns
        -------
        self
        """
        from rom.closures import as_regressor  # on use: rom.closures imports more

        if isinstance(parameters, SnapshotStore):  # S: only its number of rows
            store, mus, S = parameters, None, np.empty((parameters.n_rows(snapshots), 0))
        else:
            store, (mus, S) = None, self._check_data(parameters, snapshots)
        check_inner(self.inner, S.shape[0])
        normalize = self._normalize()
        reduction = (
            POD(tol=1e-6, inner=self.inner)
            if self.reduction is None
            else copy.deepcopy(self.reduction)
        )
        _check_reduction(reduction)
        regressor = RBFRegressor() if self.regressor is None else copy.deepcopy(self.regressor)
        checked = as_regressor(regressor, "regressor")
        if store is not None:
            reduction, coords, mus = _fit_store(self, reduction, store, snapshots)
        elif hasattr(reduction, "fit_transform"):  # one pass fewer over the snapshots
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
        mean = coords.mean(axis=0) if normalize else np.zeros(coords.shape[1], coords.dtype)
        size = float(np.sqrt(np.mean(np.sum(np.abs(coords - mean) ** 2, axis=1))))
        scale = size if normalize and size > 1e-300 else 1.0  # 0: one snapshot, or equal ones
        checked.fit(self._scale(mus), (coords - mean) / scale)
        self.y_mean_, self.y_scale_ = mean, scale
        self.parameters_, self.coordinates_ = mus, coords
        self.reduction_ = reduction
        self.n_dofs_, self.n_params_, self.n_coords_ = S.shape[0], mus.shape[1], coords.shape[1]
        self.regressor_ = checked
        return self

    def predict(self, parameters: Any) -> np.ndarray:
        """Predicted fields at the parameter sets (rows): columns, shape (n, k).

        Parameters
        ----------
        parameters : array_like of shape (k, n_params)
            The parameter sets, one per row (a 1-D array is one set).

        Returns
        -------
        numpy.ndarray of shape (n, k)
        """
        self._check_fitted()
        mus = check_parameters(
            parameters, "parameters", n_params=self.n_params_, parameter_space=self._space()
        )
        coords = self.regressor_.predict(self._scale(mus)) * self.y_scale_ + self.y_mean_
        return np.asarray(self.reduction_.inverse_transform(coords.T))

    def loo_error(
        self,
        relative: bool = False,
        executor: Any = None,
        folds: int | None = None,
        random_state: int | None = 0,
    ) -> np.ndarray:
        r"""Leave-one-out errors of the regression, one per training parameter set.

        :math:`e_i = \|\tilde u(c_i) - \tilde u(g_{-i}(\mu_i))\|_M`: the field of the
        training coordinates :math:`c_i` against the field predicted at
        :math:`\mu_i` by the regressor refitted without sample :math:`i`, in the norm
        of ``inner`` (for a POD, :math:`\|c_i - g_{-i}(\mu_i)\|_2`). The reduction
        and the scaling stay those of the whole fit, so this is the regression's part
        of the error (the projection error of a left-out snapshot is not included).
        For :class:`RBFRegressor` the errors come in closed form from one
        factorisation (:meth:`RBFRegressor.loo_residuals`, Rippa's formula); any
        other regressor is refitted ``n_samples`` times (a fresh copy of
        ``regressor``), on ``executor`` when given; with ``folds=k`` only ``k`` times,
        each sample's error then being that of the fit without its fold (a cheaper,
        somewhat larger estimate, for slow regressors).

        Parameters
        ----------
        relative : bool
            Divide each error by the norm of the training field :math:`\tilde u(c_i)`.
        executor : optional
            Where the refits run (:func:`rom.parallel.as_executor`); never stored.
        folds : int, optional
            Leave out folds of a random ``folds``-fold split instead of single samples
            (2 to n_samples; always by refitting).
        random_state : int, optional
            The shuffle of the samples into ``folds``.

        Returns
        -------
        numpy.ndarray of shape (n_samples,)

        Examples
        --------
        >>> import numpy as np
        >>> from rom import ParameterSpace
        >>> from rom.nonintrusive import Surrogate
        >>> space = ParameterSpace({"a": (1.0, 2.0)})
        >>> mus = space.grid(9)
        >>> S = np.exp(-mus[:, 0][None, :] * np.linspace(0, 1, 50)[:, None])
        >>> errors = Surrogate(parameter_space=space).fit(mus, S).loo_error(relative=True)
        >>> errors.shape, bool(errors.max() < 1e-2)
        ((9,), True)
        """
        from rom.parallel import as_executor, map_parameters

        self._check_fitted()
        executor = as_executor(executor)
        if not isinstance(relative, bool | np.bool_):
            raise TypeError(f"relative: expected True or False, got {relative!r}")
        coords = getattr(self, "coordinates_", None)
        if coords is None:
            raise ValueError("loo_error: this surrogate was saved without its training data")
        X = self._scale(self.parameters_)
        Y = (coords - self.y_mean_) / self.y_scale_
        if folds is not None:
            folds = check_positive_int(folds, "folds", allow_none=False, minimum=2)
            if folds > len(X):
                raise ValueError(f"folds: expected at most {len(X)} (one per sample)")
        reg = self.regressor_
        learned = reg.estimator
        if folds is None and isinstance(learned, RBFRegressor) and learned._is_fitted():
            E = learned.loo_residuals()
            if reg.complex_outputs_:
                E = E[:, : self.n_coords_] + 1j * E[:, self.n_coords_ :]
        else:
            order = np.arange(len(X))
            if folds is not None:
                order = np.random.default_rng(random_state).permutation(len(X))
            groups = np.array_split(order, folds or len(X))
            template = RBFRegressor() if self.regressor is None else self.regressor
            fits = functools.partial(_refit_without, template, X, Y)
            E = np.empty_like(Y)
            for rows, predicted in zip(
                groups, map_parameters(fits, groups, executor), strict=True
            ):
                E[rows] = Y[rows] - np.asarray(predicted)
        inner = check_inner(self.inner, self.n_dofs_)
        fields = np.asarray(self.reduction_.inverse_transform(coords.T))
        finite = np.isfinite(E).all(axis=1)
        loo = coords - np.where(finite[:, None], E, 0.0) * self.y_scale_
        errors = column_norms(fields - np.asarray(self.reduction_.inverse_transform(loo.T)), inner)
        errors = np.where(finite, errors, np.inf)
        if relative:
            errors = errors / np.maximum(column_norms(fields, inner), np.finfo(float).tiny)
        return errors

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
        self._normalize()
        if not hasattr(self, "y_mean_"):  # a file written before the outputs were scaled
            self.y_mean_, self.y_scale_ = np.zeros(self.n_coords_), 1.0
        self.y_mean_ = check_array(self.y_mean_, "y_mean_", shape=(self.n_coords_,))
        scale = self.y_scale_
        if isinstance(scale, bool) or not isinstance(scale, int | float) or not 0 < scale < np.inf:
            raise ValueError(f"y_scale_: expected a positive finite number, got {scale!r}")
        if hasattr(self, "coordinates_") or hasattr(self, "parameters_"):
            self.parameters_ = check_array(
                getattr(self, "parameters_", None), "parameters_", shape=(None, self.n_params_)
            )
            self.coordinates_ = check_array(
                getattr(self, "coordinates_", None),
                "coordinates_",
                shape=(len(self.parameters_), self.n_coords_),
            )
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
