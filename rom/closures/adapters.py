"""Adapters that hold learned parts to the NumPy-array protocol at the boundary.

A *regressor* is anything with ``fit(X, Y)`` and ``predict(X) -> Y`` on 2-D float
arrays (samples are rows); a *classifier* has ``fit(X, labels)`` and
``predict(X) -> labels``. scikit-learn estimators fit as they are. The adapters
check what goes in and what comes out, and their errors name the wrapped object.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rom._checks import check_array

__all__ = ["ArrayClassifier", "ArrayRegressor", "as_classifier", "as_regressor"]


def object_name(obj: Any) -> str:
    """A readable name of a learned part for error messages."""
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name:
        return name
    return getattr(obj, "__name__", None) or type(obj).__name__


def _check_inputs(X: Any, name: str, n_features: int | None) -> np.ndarray:
    X = check_array(X, name, ndim=2, dtype_kind="f")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name}: expected {n_features} columns (features), got shape {X.shape}")
    return X


def _require_methods(obj: Any, methods: tuple[str, ...], what: str, argument: str) -> None:
    missing = [m for m in methods if not callable(getattr(obj, m, None))]
    if missing:
        raise TypeError(
            f"{argument}: expected a {what} with methods {' and '.join(methods)}, "
            f"got {object_name(obj)!r} without {', '.join(missing)}"
        )


class ArrayRegressor:
    """A regressor checked at the boundary: 2-D float arrays in, 2-D finite arrays out.

    Built by :func:`as_regressor`. :meth:`fit` fits the wrapped object in place
    (a target with one column is passed as a 1-D array, as scikit-learn expects
    for one output); :meth:`predict` always returns shape ``(n_samples, n_outputs)``.

    Parameters
    ----------
    estimator : object
        Anything with ``fit(X, Y)`` and ``predict(X)``.

    Attributes
    ----------
    estimator : object
        The wrapped object.
    n_features_in_ : int
        Columns of ``X`` seen by :meth:`fit`.
    n_outputs_ : int
        Columns of ``Y`` seen by :meth:`fit`.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from rom.closures import as_regressor
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 5.0]])
    >>> reg = as_regressor(LinearRegression()).fit(X, X @ np.array([[1.0], [2.0]]))
    >>> reg.predict(np.array([[1.0, 1.0]])).round(12).tolist()
    [[3.0]]
    """

    def __init__(self, estimator: Any) -> None:
        _require_methods(estimator, ("fit", "predict"), "regressor", "regressor")
        self.estimator = estimator
        self.name = object_name(estimator)

    def __repr__(self) -> str:
        return f"ArrayRegressor({self.name})"

    def fit(self, X: Any, Y: Any) -> ArrayRegressor:
        """Fit the wrapped regressor on ``X`` (n_samples, n_features), ``Y`` (n_samples, k).

        ``Y`` may be 1-D (one output). Returns ``self``.
        """
        X = _check_inputs(X, "X", None)
        Y = check_array(Y, "Y", ndim=(1, 2), dtype_kind="f")
        if Y.ndim == 1:
            Y = Y[:, None]
        if Y.shape[0] != X.shape[0]:
            raise ValueError(
                f"Y: expected {X.shape[0]} rows (one per row of X), got shape {Y.shape}"
            )
        self.estimator.fit(X, Y[:, 0] if Y.shape[1] == 1 else Y)
        self.n_features_in_ = int(X.shape[1])
        self.n_outputs_ = int(Y.shape[1])
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predictions for the rows of ``X``: a finite float array (n_samples, n_outputs).

        Raises
        ------
        ValueError
            If the wrapped ``predict`` returns the wrong shape, NaN or inf; the message
            names the regressor.
        """
        X = _check_inputs(X, "X", getattr(self, "n_features_in_", None))
        m = X.shape[0]
        raw = self.estimator.predict(X)
        try:
            Y = np.asarray(raw, dtype=float)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"regressor {self.name!r}: predict returned {type(raw).__name__}, "
                "expected a real array"
            ) from err
        k = getattr(self, "n_outputs_", None)
        if Y.ndim == 1 and Y.shape[0] == m and k in (None, 1):
            Y = Y[:, None]
        if Y.ndim != 2 or Y.shape[0] != m or (k is not None and Y.shape[1] != k):
            want = f"({m}, {'k' if k is None else k})"
            raise ValueError(
                f"regressor {self.name!r}: predict returned shape {Y.shape}, expected {want} "
                f"(one row per sample)"
            )
        if not np.isfinite(Y).all():
            raise ValueError(f"regressor {self.name!r}: predict returned NaN or inf")
        return Y


def as_regressor(obj: Any) -> ArrayRegressor:
    """Wrap ``obj`` as an :class:`ArrayRegressor` (returned unchanged if it is one).

    Parameters
    ----------
    obj : object
        Anything with ``fit(X, Y)`` and ``predict(X)`` on 2-D float arrays: a
        scikit-learn regressor (``Ridge``, ``KernelRidge``, ``MLPRegressor``, a
        pipeline...), :class:`rom.closures.QuadraticRidge`,
        :class:`rom.closures.TorchRegressor`, or your own.

    Returns
    -------
    ArrayRegressor

    Raises
    ------
    TypeError
        If ``obj`` lacks ``fit`` or ``predict``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import Ridge
    >>> from rom.closures import as_regressor
    >>> reg = as_regressor(Ridge(alpha=1e-9)).fit(np.eye(3), 2.0 * np.eye(3))
    >>> reg.predict(np.eye(3)[:1]).shape
    (1, 3)
    """
    if isinstance(obj, ArrayRegressor):
        return obj
    return ArrayRegressor(obj)


class ArrayClassifier:
    """A classifier checked at the boundary: predicted labels must be among the fitted ones.

    Built by :func:`as_classifier`.

    Parameters
    ----------
    estimator : object
        Anything with ``fit(X, labels)`` and ``predict(X)``.

    Attributes
    ----------
    estimator : object
        The wrapped object.
    classes_ : ndarray
        The sorted distinct labels seen by :meth:`fit` (or the wrapped object's own
        ``classes_`` when it was fitted elsewhere).
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from rom.closures import as_classifier
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> clf = as_classifier(KNeighborsClassifier(1)).fit(X, ["a", "a", "b", "b"])
    >>> clf.predict(np.array([[0.4], [9.0]])).tolist()
    ['a', 'b']
    """

    def __init__(self, estimator: Any) -> None:
        _require_methods(estimator, ("fit", "predict"), "classifier", "classifier")
        self.estimator = estimator
        self.name = object_name(estimator)

    def __repr__(self) -> str:
        return f"ArrayClassifier({self.name})"

    def fit(self, X: Any, labels: Any) -> ArrayClassifier:
        """Fit the wrapped classifier on ``X`` (n_samples, n_features) and 1-D ``labels``."""
        X = _check_inputs(X, "X", None)
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.shape[0] != X.shape[0]:
            raise ValueError(
                f"labels: expected a 1-D array of {X.shape[0]} labels (one per row of X), "
                f"got shape {labels.shape}"
            )
        if labels.dtype.kind == "O":
            raise TypeError("labels: expected integer, string or boolean labels, got objects")
        if labels.dtype.kind in "fc" and not np.isfinite(labels).all():
            raise ValueError("labels: contains NaN or inf")
        self.estimator.fit(X, labels)
        self.classes_ = np.unique(labels)
        self.n_features_in_ = int(X.shape[1])
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Labels of the rows of ``X``, shape (n_samples,), all among ``classes_``.

        Raises
        ------
        ValueError
            If the wrapped ``predict`` returns the wrong shape or a label it was not
            fitted with; the message names the classifier and the unknown labels.
        """
        X = _check_inputs(X, "X", getattr(self, "n_features_in_", None))
        classes = getattr(self, "classes_", None)
        if classes is None:
            classes = getattr(self.estimator, "classes_", None)
        if classes is None:
            raise RuntimeError(
                f"classifier {self.name!r}: not fitted through as_classifier and without "
                "classes_: call fit(...) first"
            )
        m = X.shape[0]
        labels = np.asarray(self.estimator.predict(X))
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.shape != (m,):
            raise ValueError(
                f"classifier {self.name!r}: predict returned shape {labels.shape}, "
                f"expected ({m},) (one label per sample)"
            )
        known = np.isin(labels, classes)
        if not known.all():
            unknown = np.unique(labels[~known])[:5].tolist()
            raise ValueError(
                f"classifier {self.name!r}: predict returned labels {unknown} that are not "
                f"among the fitted labels {np.asarray(classes).tolist()}"
            )
        return labels


def as_classifier(obj: Any) -> ArrayClassifier:
    """Wrap ``obj`` as an :class:`ArrayClassifier` (returned unchanged if it is one).

    Parameters
    ----------
    obj : object
        Anything with ``fit(X, labels)`` and ``predict(X)``: a scikit-learn
        classifier or your own.

    Returns
    -------
    ArrayClassifier

    Raises
    ------
    TypeError
        If ``obj`` lacks ``fit`` or ``predict``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from rom.closures import as_classifier
    >>> X = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    >>> clf = as_classifier(LogisticRegression()).fit(X, [0, 0, 1, 1])
    >>> clf.predict(np.array([[-3.0], [3.0]])).tolist()
    [0, 1]
    """
    if isinstance(obj, ArrayClassifier):
        return obj
    return ArrayClassifier(obj)
