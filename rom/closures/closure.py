r"""Closure terms ``closure(a, mu, t) -> (r,)`` checked at the boundary, and learned ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.closures.adapters import ArrayRegressor, as_regressor, object_name
from rom.galerkin.closure import check_closure_value, closure_name
from rom.validation import NotFittedError, check_array, check_positive_int

__all__ = ["FEATURES", "CheckedClosure", "LearnedClosure", "as_closure", "check_features"]

#: the inputs a learned closure may use, in the order they are stacked
FEATURES = ("a", "mu", "t")


def check_features(features: Any) -> tuple[str, ...]:
    """Validate ``features``: a non-empty subset of ``("a", "mu", "t")``, in that order.

    Parameters
    ----------
    features : sequence of str
        The feature names to check.

    Examples
    --------
    >>> from rom.closures import check_features
    >>> check_features(["mu", "a"])
    ('a', 'mu')
    """
    if isinstance(features, str):
        features = (features,)
    try:
        chosen = list(features)
    except TypeError as err:
        raise TypeError(
            f"features: expected a sequence of names among {FEATURES}, got {features!r}"
        ) from err
    if not chosen or any(f not in FEATURES for f in chosen) or len(set(chosen)) != len(chosen):
        raise ValueError(
            f"features: expected distinct names among {FEATURES} (at least one), got {features!r}"
        )
    return tuple(f for f in FEATURES if f in chosen)


def _parameter_vector(mu: Any, name: str) -> np.ndarray:
    try:
        values = np.ravel(np.asarray(mu, dtype=float))
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name}: expected a real number or array as parameter (features include 'mu'), "
            f"got {type(mu).__name__}"
        ) from err
    if not np.isfinite(values).all():
        raise ValueError(f"{name}: the parameter contains NaN or inf")
    return values


def _coordinates(a: Any, rank: int, name: str) -> np.ndarray:
    if np.iscomplexobj(a):
        raise TypeError(f"{name}: expected real reduced coordinates, got a complex array")
    a = np.asarray(a, dtype=float)
    if a.ndim not in (1, 2) or a.shape[0] != rank:
        raise ValueError(
            f"{name}: expected reduced coordinates of shape ({rank},) or ({rank}, k), "
            f"got shape {a.shape}"
        )
    return a


_check_value = check_closure_value


class CheckedClosure:
    """A callable closure whose every result is checked: shape of ``a``, finite.

    Built by :func:`as_closure` from a callable. Errors name the wrapped callable.

    Parameters
    ----------
    function : callable ``(a, mu, t) -> (r,)``
    rank : int
        The number ``r`` of reduced coordinates.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.closures import as_closure
    >>> damping = as_closure(lambda a, mu, t: -mu * a, rank=2)
    >>> damping(np.ones(2), 0.5, 0.0).tolist()
    [-0.5, -0.5]
    """

    def __init__(self, function: Callable[..., Any], rank: int) -> None:
        if not callable(function):
            raise TypeError(f"closure: expected a callable, got {type(function).__name__}")
        self.function = function
        self.rank = check_positive_int(rank, "rank", allow_none=False)
        self.__name__ = closure_name(function)

    def __repr__(self) -> str:
        return f"CheckedClosure({self.__name__}, rank={self.rank})"

    def __call__(self, a: Any, mu: Any, t: float) -> np.ndarray:
        a = _coordinates(a, self.rank, "a")
        return _check_value(self.function(a, mu, t), a, self.__name__, t)


class LearnedClosure(Estimator):
    r"""A closure ``(a, mu, t) -> (r,)`` given by a regressor on stacked features.

    The input row of the regressor is :math:`[a, \mu, t]` restricted to
    ``features`` (the parameter flattened to its entries); the output row is the
    correction of :math:`\dot a`. ``a`` may also be ``(r, k)``: ``k`` states at once
    (same ``mu`` and ``t``), and then the result is ``(r, k)``. Usually built by
    :func:`fit_closure`; :meth:`fit` fits the regressor on given rows, or takes it
    as fitted elsewhere.

    Real only: a closure corrects the right-hand side of a
    :class:`rom.galerkin.GalerkinROM`, whose reduced dynamics are real (the closure
    hook checks for a real array). A complex map can be learned with
    :class:`ArrayRegressor`, which splits complex data into real and imaginary parts.

    Saving: a :class:`QuadraticRidge` is saved inside the file; a foreign regressor
    (scikit-learn...) is a *part* named ``"regressor"``:
    ``rom.load(path, regressor=fitted_model)``.

    Parameters
    ----------
    regressor : object
        Anything :func:`as_regressor` accepts (``predict(X) -> (k, r)``); fitted in
        place by :meth:`fit`.
    rank : int
        The number ``r`` of reduced coordinates.
    features : sequence of {"a", "mu", "t"}
        The inputs of the regressor.
    n_params : int, optional
        The number of entries of the parameter; default: from the columns of the
        training rows (checked at every call when known).

    Attributes
    ----------
    n_params_ : int or None
        The number of parameter entries checked at every call (None: not checked).
    n_features_in_ : int or None
        Columns of the training rows (None when the regressor was fitted elsewhere).
    n_samples_ : int
        The number of training samples (0 when the regressor was fitted elsewhere).
    training_residual_ : float or None
        :math:`\|Y - \hat Y\|_F / \|Y\|_F` on the training targets (None when the
        regressor was fitted elsewhere).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from rom.closures import LearnedClosure
    >>> X = np.random.default_rng(0).standard_normal((20, 3))  # rows [a1, a2, mu]
    >>> Y = -X[:, :2] * 2.0
    >>> closure = LearnedClosure(LinearRegression(), rank=2).fit(X, Y)
    >>> closure(np.array([1.0, 0.5]), 0.3, 0.0).round(12).tolist()
    [-2.0, -1.0]
    """

    _fitted_marker = "n_samples_"

    def __init__(
        self,
        regressor: Any,
        rank: int,
        features: Sequence[str] = ("a", "mu"),
        n_params: int | None = None,
    ) -> None:
        self.regressor = regressor
        self.rank = rank
        self.features = features
        self.n_params = n_params

    @property
    def __name__(self) -> str:  # type: ignore[override]
        """The closure's name in error messages."""
        return f"learned closure ({object_name(self.regressor)})"

    def fit(self, X: Any = None, Y: Any = None) -> LearnedClosure:
        r"""Fit the regressor on the rows ``X`` (m, p) and the targets ``Y`` (m, rank).

        ``X`` holds the rows :math:`[a, \mu, t]` restricted to ``features`` (see
        :func:`closure_training_data`). Without ``X`` and ``Y``, the regressor is taken
        as fitted elsewhere.

        Parameters
        ----------
        X : array, shape (m, p)
            Input rows (see :meth:`feature_rows`).
        Y : array, shape (m, rank)
            Targets: the closure terms at the rows of ``X``.

        Returns
        -------
        self
        """
        rank = check_positive_int(self.rank, "rank", allow_none=False)
        features = check_features(self.features)
        n_params = check_positive_int(self.n_params, "n_params")
        if (X is None) != (Y is None):
            raise TypeError(
                "X: give the training rows X and the targets Y together, or neither "
                "(a regressor fitted elsewhere)"
            )
        adapter = as_regressor(self.regressor)
        if X is None:
            self._adapter = adapter
            self.n_params_ = n_params if "mu" in features else None
            self.n_features_in_ = None
            self.training_residual_ = None
            self.n_samples_ = 0
            return self
        X = check_array(X, "X", ndim=2, dtype_kind="f")
        Y = check_array(Y, "Y", ndim=2, dtype_kind="f")
        fixed = rank * ("a" in features) + ("t" in features)
        inferred = X.shape[1] - fixed if "mu" in features else 0
        if ("mu" in features and (inferred < 1 or n_params not in (None, inferred))) or (
            "mu" not in features and inferred != 0
        ):
            want = fixed + (n_params or 1) * ("mu" in features)
            more = " or more" if "mu" in features and n_params is None else ""
            raise ValueError(
                f"X: expected {want}{more} columns (the features {features} of rank "
                f"{rank}), got shape {X.shape}"
            )
        if Y.shape != (X.shape[0], rank):
            raise ValueError(
                f"Y: expected shape ({X.shape[0]}, {rank}) (one row per row of X, one "
                f"column per reduced coordinate), got {Y.shape}"
            )
        adapter.fit(X, Y)
        self._adapter = adapter
        fitted = adapter.predict(X)
        norm = float(np.linalg.norm(Y))
        self.n_params_ = inferred if "mu" in features else None
        self.n_features_in_ = int(X.shape[1])
        self.training_residual_ = float(np.linalg.norm(Y - fitted)) / norm if norm > 0 else 0.0
        self.n_samples_ = int(X.shape[0])
        return self

    def _restore(self) -> None:
        self._adapter = as_regressor(self.regressor)
        if self.n_features_in_ is not None and not self._adapter._is_fitted():
            # fitted through this closure: the adapter checks the same shapes again
            self._adapter.n_features_in_ = int(self.n_features_in_)
            self._adapter.n_outputs_ = int(self.rank)
            self._adapter.complex_inputs_ = False
            self._adapter.complex_outputs_ = False

    def _regressor_adapter(self) -> ArrayRegressor:
        self._check_fitted()
        if "_adapter" not in vars(self):
            self._restore()
        return self._adapter

    def feature_rows(self, a: Any, mu: Any, t: float) -> np.ndarray:
        """The input rows of the regressor for ``a`` (r,) or (r, k): shape (1 or k, p).

        Parameters
        ----------
        a : array, shape (r,) or (r, k)
            Reduced coordinates.
        mu : array_like or float
            The parameter set.
        t : float
            The time.
        """
        self._check_fitted()
        features = check_features(self.features)
        a = _coordinates(a, self.rank, "a")
        A = a[None, :] if a.ndim == 1 else a.T
        k = A.shape[0]
        blocks = []
        if "a" in features:
            blocks.append(A)
        if "mu" in features:
            p = _parameter_vector(mu, "mu")
            if self.n_params_ is not None and p.size != self.n_params_:
                raise ValueError(
                    f"mu: expected a parameter of {self.n_params_} entries (as in training), "
                    f"got {p.size}"
                )
            blocks.append(np.broadcast_to(p, (k, p.size)))
        if "t" in features:
            t_value = _parameter_vector(t, "t")
            if t_value.size != 1:
                raise ValueError(f"t: expected a number, got {t!r}")
            blocks.append(np.full((k, 1), t_value[0]))
        return np.hstack(blocks)

    def __call__(self, a: Any, mu: Any, t: float) -> np.ndarray:
        regressor = self._regressor_adapter()
        a = _coordinates(a, self.rank, "a")
        X = self.feature_rows(a, mu, t)
        try:
            Y = regressor.predict(X)
        except ValueError as err:
            if isinstance(err, NotFittedError):
                raise
            raise ValueError(f"closure {self.__name__!r}: {err}") from err
        value = Y[0] if a.ndim == 1 and Y.shape[0] == 1 else Y.T
        return _check_value(value, a, self.__name__, t)


def as_closure(obj: Any, rank: int, *, features: Sequence[str] = ("a", "mu")) -> Any:
    """A closure ``(a, mu, t) -> (r,)`` whose results are checked, from a callable or a regressor.

    Parameters
    ----------
    obj : callable or fitted regressor or LearnedClosure
        A callable ``closure(a, mu, t)`` (wrapped in a :class:`CheckedClosure`), or a
        fitted regressor with ``predict`` on rows ``[a, mu, t]`` restricted to
        ``features`` (in a :class:`LearnedClosure`, fitted without data), or a
        :class:`LearnedClosure` (returned as it is, after checking its rank).
    rank : int
        The number ``r`` of reduced coordinates.
    features : sequence of {"a", "mu", "t"}
        The inputs of a regressor (ignored for callables).

    Returns
    -------
    CheckedClosure or LearnedClosure
        Pass it to :meth:`rom.galerkin.GalerkinROM.with_closure`. A wrong shape, NaN
        or inf raises a ``ValueError`` that names the closure.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.closures import as_closure
    >>> def too_long(a, mu, t):
    ...     return np.zeros(3)
    >>> try:
    ...     as_closure(too_long, rank=2)(np.ones(2), 0.1, 0.0)
    ... except ValueError as err:
    ...     print(err)
    closure 'too_long': expected an array of shape (2,) (one entry per reduced coordinate), got shape (3,)
    """  # noqa: E501
    rank = check_positive_int(rank, "rank", allow_none=False)
    if isinstance(obj, LearnedClosure):
        if obj.rank != rank:
            raise ValueError(f"closure: expected a closure of rank {rank}, got rank {obj.rank}")
        return obj
    if isinstance(obj, CheckedClosure):
        if obj.rank != rank:
            raise ValueError(f"closure: expected a closure of rank {rank}, got rank {obj.rank}")
        return obj
    if callable(getattr(obj, "predict", None)):
        return LearnedClosure(obj, rank, features).fit()
    if callable(obj):
        return CheckedClosure(obj, rank)
    raise TypeError(
        "closure: expected a callable closure(a, mu, t) -> (r,) or a fitted regressor "
        f"with predict(X), got {type(obj).__name__}"
    )
