r"""Closure terms ``closure(a, mu, t) -> (r,)`` checked at the boundary, and learned ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rom._checks import check_positive_int
from rom.closures.adapters import ArrayRegressor, as_regressor
from rom.galerkin.closure import check_closure_value, closure_name
from rom.io.persist import nest, unnest

__all__ = ["FEATURES", "CheckedClosure", "LearnedClosure", "as_closure", "check_features"]

#: the inputs a learned closure may use, in the order they are stacked
FEATURES = ("a", "mu", "t")


def check_features(features: Any) -> tuple[str, ...]:
    """Validate ``features``: a non-empty subset of ``("a", "mu", "t")``, in that order.

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


class LearnedClosure:
    r"""A closure ``(a, mu, t) -> (r,)`` given by a fitted regressor on stacked features.

    The input row of the regressor is :math:`[a, \mu, t]` restricted to
    ``features`` (the parameter flattened to its entries); the output row is the
    correction of :math:`\dot a`. ``a`` may also be ``(r, k)``: ``k`` states at once
    (same ``mu`` and ``t``), and then the result is ``(r, k)``. Usually built by
    :func:`fit_closure`, or by :func:`as_closure` from a regressor fitted elsewhere.

    Parameters
    ----------
    regressor : object
        A fitted regressor (``predict(X) -> (k, r)``), wrapped by :func:`as_regressor`.
    rank : int
        The number ``r`` of reduced coordinates.
    features : sequence of {"a", "mu", "t"}
        The inputs of the regressor.
    n_params : int, optional
        The number of entries of the parameter (checked at every call when given).

    Attributes
    ----------
    regressor : ArrayRegressor
    training_residual_ : float
        :math:`\|Y - \hat Y\|_F / \|Y\|_F` on the training targets (set by
        :func:`fit_closure`).
    n_samples_ : int
        The number of training samples (set by :func:`fit_closure`).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from rom.closures import LearnedClosure
    >>> X = np.random.default_rng(0).standard_normal((20, 3))  # rows [a1, a2, mu]
    >>> Y = -X[:, :2] * 2.0
    >>> closure = LearnedClosure(LinearRegression().fit(X, Y), rank=2)
    >>> closure(np.array([1.0, 0.5]), 0.3, 0.0).round(12).tolist()
    [-2.0, -1.0]
    """

    def __init__(
        self,
        regressor: Any,
        rank: int,
        features: Sequence[str] = ("a", "mu"),
        n_params: int | None = None,
    ) -> None:
        self.regressor = as_regressor(regressor)
        self.rank = check_positive_int(rank, "rank", allow_none=False)
        self.features = check_features(features)
        self.n_params = check_positive_int(n_params, "n_params")
        self.__name__ = f"learned closure ({self.regressor.name})"

    def __repr__(self) -> str:
        return f"LearnedClosure({self.regressor.name}, rank={self.rank}, features={self.features})"

    def feature_rows(self, a: Any, mu: Any, t: float) -> np.ndarray:
        """The input rows of the regressor for ``a`` (r,) or (r, k): shape (1 or k, p)."""
        a = _coordinates(a, self.rank, "a")
        A = a[None, :] if a.ndim == 1 else a.T
        k = A.shape[0]
        blocks = []
        if "a" in self.features:
            blocks.append(A)
        if "mu" in self.features:
            p = _parameter_vector(mu, "mu")
            if self.n_params is not None and p.size != self.n_params:
                raise ValueError(
                    f"mu: expected a parameter of {self.n_params} entries (as in training), "
                    f"got {p.size}"
                )
            blocks.append(np.broadcast_to(p, (k, p.size)))
        if "t" in self.features:
            t_value = _parameter_vector(t, "t")
            if t_value.size != 1:
                raise ValueError(f"t: expected a number, got {t!r}")
            blocks.append(np.full((k, 1), t_value[0]))
        return np.hstack(blocks)

    def __call__(self, a: Any, mu: Any, t: float) -> np.ndarray:
        a = _coordinates(a, self.rank, "a")
        X = self.feature_rows(a, mu, t)
        try:
            Y = self.regressor.predict(X)
        except ValueError as err:
            raise ValueError(f"closure {self.__name__!r}: {err}") from err
        value = Y[0] if a.ndim == 1 and Y.shape[0] == 1 else Y.T
        return _check_value(value, a, self.__name__, t)

    # ------------------------------------------------------------------ persistence
    def _to_arrays(self) -> tuple[dict, dict]:
        from rom.closures.ridge import QuadraticRidge

        inner = self.regressor.estimator
        if not isinstance(inner, QuadraticRidge):
            raise TypeError(
                f"closure: only a LearnedClosure on a QuadraticRidge can be saved by romba "
                f"(this one holds {self.regressor.name!r}; save that with its own tools)"
            )
        settings, arrays = nest("regressor", inner)
        return (
            {
                "rank": self.rank,
                "features": list(self.features),
                "n_params": self.n_params,
                "regressor": settings,
                "training_residual": getattr(self, "training_residual_", None),
                "n_samples": getattr(self, "n_samples_", None),
            },
            arrays,
        )

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> LearnedClosure:
        from rom.closures.ridge import QuadraticRidge

        inner = QuadraticRidge._from_arrays(
            settings["regressor"],
            unnest("regressor", arrays),
        )
        reg = ArrayRegressor(inner)
        reg.n_features_in_ = inner.n_features_in_
        reg.n_outputs_ = inner.n_outputs_
        obj = cls(reg, settings["rank"], settings["features"], settings["n_params"])
        if settings.get("training_residual") is not None:
            obj.training_residual_ = float(settings["training_residual"])
        if settings.get("n_samples") is not None:
            obj.n_samples_ = int(settings["n_samples"])
        return obj

    def save(self, path: Any) -> None:
        """Save a closure on a :class:`QuadraticRidge` (:func:`rom.io.load` reads it back).

        Examples
        --------
        >>> import numpy as np, os, tempfile
        >>> from rom.closures import LearnedClosure, QuadraticRidge
        >>> from rom.io import load
        >>> X = np.random.default_rng(0).standard_normal((30, 3))
        >>> closure = LearnedClosure(QuadraticRidge().fit(X, X[:, :2] ** 2), rank=2)
        >>> path = os.path.join(tempfile.mkdtemp(), "closure.npz")
        >>> closure.save(path)
        >>> a = np.array([0.1, 0.2])
        >>> bool(np.allclose(load(path)(a, 0.5, 0.0), closure(a, 0.5, 0.0)))
        True
        """
        from rom.io import save

        save(self, path)


def as_closure(obj: Any, rank: int, *, features: Sequence[str] = ("a", "mu")) -> Any:
    """A closure ``(a, mu, t) -> (r,)`` whose results are checked, from a callable or a regressor.

    Parameters
    ----------
    obj : callable or fitted regressor or LearnedClosure
        A callable ``closure(a, mu, t)`` (wrapped in a :class:`CheckedClosure`), or a
        fitted regressor with ``predict`` on rows ``[a, mu, t]`` restricted to
        ``features`` (wrapped in a :class:`LearnedClosure`), or a
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
        return LearnedClosure(obj, rank, features)
    if callable(obj):
        return CheckedClosure(obj, rank)
    raise TypeError(
        "closure: expected a callable closure(a, mu, t) -> (r,) or a fitted regressor "
        f"with predict(X), got {type(obj).__name__}"
    )
