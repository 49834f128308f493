"""The NumPy-array protocol for learned parts, checked at the boundary.

This module is romba's one place where learned parts meet the rest of the library
(:mod:`rom.closures`, :mod:`rom.local`, :mod:`rom.nonintrusive` all go through it):

- a *regressor* is anything with ``fit(X, Y)`` and ``predict(X) -> Y`` on 2-D float
  arrays, samples as rows; a *classifier* has ``fit(X, labels)`` and
  ``predict(X) -> labels``. scikit-learn estimators fit as they are;
- :func:`as_regressor` / :func:`as_classifier` check that an object has the two
  methods (a :class:`TypeError` naming the argument otherwise) and wrap it in an
  :class:`ArrayRegressor` / :class:`ArrayClassifier`, which check what goes in and
  what comes out; their errors name the wrapped object.

Complex data are split into real and imaginary parts (columns ``[Re X, Im X]``), so any
real regressor learns a complex map; complex targets are recombined on prediction.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rom._base import Estimator
from rom.validation import NotFittedError, check_array

__all__ = ["ArrayClassifier", "ArrayRegressor", "as_classifier", "as_regressor"]


def object_name(obj: Any) -> str:
    """A readable name of a learned part for error messages."""
    name = getattr(obj, "name", None)
    if isinstance(name, str) and name:
        return name
    return getattr(obj, "__name__", None) or type(obj).__name__


def _require_methods(obj: Any, methods: tuple[str, ...], what: str, argument: str) -> None:
    missing = [m for m in methods if not callable(getattr(obj, m, None))]
    if missing:
        raise TypeError(
            f"{argument}: expected a {what} with methods {' and '.join(methods)}, "
            f"got {object_name(obj)!r} without {', '.join(missing)}"
        )


def _split(A: np.ndarray) -> np.ndarray:
    """Real columns ``[Re A, Im A]`` of a complex 2-D array."""
    return np.hstack([A.real, A.imag])


def _inputs(X: Any, n_features: int | None, complex_inputs: bool | None) -> np.ndarray:
    """``X`` checked (2-D, finite, ``n_features`` columns) and made real.

    ``complex_inputs``: True when fitted on complex input (a real ``X`` is then taken
    as complex), False when fitted on real input (a complex ``X`` is refused), None
    when unknown (a complex ``X`` is split).
    """
    X = check_array(X, "X", ndim=2)
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"X: expected {n_features} columns (features), got shape {X.shape}")
    if np.iscomplexobj(X):
        if complex_inputs is False:
            raise TypeError("X: expected a real array (the learned part was fitted on real X)")
        return _split(X)
    return _split(X.astype(complex)) if complex_inputs else X


def check_training_data(
    X: Any, Y: Any, dtype_kind: str = "fc"
) -> tuple[np.ndarray, np.ndarray, int]:
    """``X`` (n_samples, p) and ``Y`` as (n_samples, k) arrays, and ``Y``'s own ndim.

    Parameters
    ----------
    X : array_like, shape (n_samples, p)
        Input rows.
    Y : array_like, shape (n_samples, k) or (n_samples,)
        Targets, one row per row of ``X``.
    dtype_kind : str
        The accepted kinds of data (see :func:`rom.validation.check_array`).

    Returns
    -------
    X : numpy.ndarray, shape (n_samples, p)
    Y : numpy.ndarray, shape (n_samples, k)
        ``Y`` with a column axis when it was 1-D.
    ndim : int
        The number of dimensions ``Y`` was given with (1 or 2).
    """
    X = check_array(X, "X", ndim=2, dtype_kind=dtype_kind)
    Y = check_array(Y, "Y", ndim=(1, 2), dtype_kind=dtype_kind)
    if Y.shape[0] != X.shape[0]:
        raise ValueError(f"Y: expected {X.shape[0]} rows (one per row of X), got shape {Y.shape}")
    return X, (Y[:, None] if Y.ndim == 1 else Y), int(Y.ndim)


def _translate_not_fitted(err: Exception, owner: str, name: str) -> None:
    """Re-raise a foreign "not fitted" error (scikit-learn's) as rom.NotFittedError."""
    if type(err).__name__ == "NotFittedError" and not isinstance(err, NotFittedError):
        raise NotFittedError(
            f"this {owner} is not fitted yet: call fit(...) before using it, or wrap a "
            f"{name!r} fitted elsewhere ({err})"
        ) from err


class ArrayRegressor(Estimator):
    """A regressor checked at the boundary: 2-D arrays in, 2-D finite arrays out.

    :meth:`fit` fits the wrapped object in place (a target with one column is passed
    as a 1-D array, as scikit-learn expects for one output); :meth:`predict` always
    returns shape ``(n_samples, n_outputs)``. A regressor fitted elsewhere can be
    wrapped and used at once (its own "not fitted" error becomes
    :class:`rom.NotFittedError`).

    Real and complex: a complex ``X`` reaches the wrapped regressor as the real
    columns ``[Re X, Im X]``, a complex ``Y`` as ``[Re Y, Im Y]``, and the
    predictions are recombined into complex values. This learns any map from
    :math:`\\mathbb{C}^p` to :math:`\\mathbb{C}^k` (holomorphic or not, such as
    :math:`|z|^2`) with a real regressor.

    Saving: a romba regressor (:class:`QuadraticRidge`) is saved inside the file; a
    foreign one (scikit-learn...) is a *part* named ``"estimator"``: give it back with
    ``rom.load(path, estimator=fitted_model)``.

    Parameters
    ----------
    estimator : object
        Anything with ``fit(X, Y)`` and ``predict(X)``.

    Attributes
    ----------
    n_features_in_ : int
        Columns of ``X`` seen by :meth:`fit`.
    n_outputs_ : int
        Columns of ``Y`` seen by :meth:`fit`.
    complex_inputs_, complex_outputs_ : bool
        Whether ``X`` and ``Y`` were complex (split into real and imaginary parts).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from rom.closures import ArrayRegressor
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 5.0]])
    >>> reg = ArrayRegressor(LinearRegression()).fit(X, X @ np.array([[1.0], [2.0]]))
    >>> reg.predict(np.array([[1.0, 1.0]])).round(12).tolist()
    [[3.0]]
    >>> Z = np.array([[1.0 + 1.0j], [2.0 - 1.0j], [0.5j]])
    >>> reg = ArrayRegressor(LinearRegression()).fit(Z, 2j * Z)  # complex in and out
    >>> z = reg.predict(np.array([[1.0j]]))[0, 0]
    >>> round(float(z.real), 12), round(abs(float(z.imag)), 12)
    (-2.0, 0.0)
    """

    _fitted_marker = "n_outputs_"

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    @property
    def name(self) -> str:
        """The name of the wrapped regressor, for error messages."""
        return object_name(self.estimator)

    def fit(self, X: Any, Y: Any) -> ArrayRegressor:
        """Fit the wrapped regressor on ``X`` (n_samples, n_features), ``Y`` (n_samples, k).

        ``Y`` may be 1-D (one output). Either may be complex (see the class docstring).

        Parameters
        ----------
        X : array, shape (n_samples, n_features)
            Input rows.
        Y : array, shape (n_samples, k)
            Targets.

        Returns
        -------
        self
        """
        _require_methods(self.estimator, ("fit", "predict"), "regressor", "estimator")
        X, Y, _ = check_training_data(X, Y)
        complex_in, complex_out = bool(np.iscomplexobj(X)), bool(np.iscomplexobj(Y))
        Xr = _split(X) if complex_in else X
        Yr = _split(Y) if complex_out else Y
        self.estimator.fit(Xr, Yr[:, 0] if Yr.shape[1] == 1 else Yr)
        self.n_features_in_ = int(X.shape[1])
        self.n_outputs_ = int(Y.shape[1])
        self.complex_inputs_ = complex_in
        self.complex_outputs_ = complex_out
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predictions for the rows of ``X``: a finite array (n_samples, n_outputs).

        Real, or complex when fitted on a complex ``Y``.

        Parameters
        ----------
        X : array, shape (n_samples, n_features)
            Input rows.

        Raises
        ------
        ValueError
            If the wrapped ``predict`` returns the wrong shape, NaN or inf; the message
            names the regressor.
        rom.NotFittedError
            If neither this adapter nor the wrapped regressor was fitted.
        """
        fitted = self._is_fitted()
        n_features = self.n_features_in_ if fitted else None
        Xr = _inputs(X, n_features, self.complex_inputs_ if fitted else None)
        m = Xr.shape[0]
        try:
            raw = self.estimator.predict(Xr)
        except Exception as err:
            _translate_not_fitted(err, type(self).__name__, self.name)
            raise
        try:
            Y = np.asarray(raw, dtype=float)
        except (TypeError, ValueError) as err:
            raise TypeError(
                f"regressor {self.name!r}: predict returned {type(raw).__name__}, "
                "expected a real array"
            ) from err
        k = self.n_outputs_ if fitted else None
        width = None if k is None else (2 * k if self.complex_outputs_ else k)
        if Y.ndim == 1 and Y.shape[0] == m and width in (None, 1):
            Y = Y[:, None]
        if Y.ndim != 2 or Y.shape[0] != m or (width is not None and Y.shape[1] != width):
            want = f"({m}, {'k' if width is None else width})"
            raise ValueError(
                f"regressor {self.name!r}: predict returned shape {Y.shape}, expected {want} "
                f"(one row per sample)"
            )
        if not np.isfinite(Y).all():
            raise ValueError(f"regressor {self.name!r}: predict returned NaN or inf")
        if fitted and self.complex_outputs_:
            return Y[:, :k] + 1j * Y[:, k:]
        return Y


def as_regressor(obj: Any, name: str = "regressor") -> ArrayRegressor:
    """Check that ``obj`` is a regressor and wrap it (an :class:`ArrayRegressor` is kept).

    Parameters
    ----------
    obj : object
        Anything with ``fit(X, Y)`` and ``predict(X)`` on 2-D float arrays: a
        scikit-learn regressor (``Ridge``, ``KernelRidge``, ``MLPRegressor``, a
        pipeline...), :class:`rom.closures.QuadraticRidge`,
        :class:`rom.closures.TorchRegressor`, or your own.
    name : str
        The name of the argument, for the error message.

    Returns
    -------
    ArrayRegressor
        Not fitted by this call: fit it, or use it at once if ``obj`` was fitted
        elsewhere.

    Raises
    ------
    TypeError
        If ``obj`` lacks ``fit`` or ``predict`` (the message starts with ``name``).

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
    _require_methods(obj, ("fit", "predict"), "regressor", name)
    return ArrayRegressor(obj)


class ArrayClassifier(Estimator):
    """A classifier checked at the boundary: predicted labels must be among the fitted ones.

    A classifier fitted elsewhere can be wrapped and used at once: its own
    ``classes_`` are then the known labels. A complex ``X`` reaches the wrapped
    classifier as the real columns ``[Re X, Im X]``. Saving: as for
    :class:`ArrayRegressor`, a foreign classifier is the part ``"estimator"``.

    Parameters
    ----------
    estimator : object
        Anything with ``fit(X, labels)`` and ``predict(X)``.

    Attributes
    ----------
    classes_ : numpy.ndarray
        The sorted distinct labels seen by :meth:`fit`.
    n_features_in_ : int
    complex_inputs_ : bool

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.neighbors import KNeighborsClassifier
    >>> from rom.closures import ArrayClassifier
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> clf = ArrayClassifier(KNeighborsClassifier(1)).fit(X, ["a", "a", "b", "b"])
    >>> clf.predict(np.array([[0.4], [9.0]])).tolist()
    ['a', 'b']
    """

    _fitted_marker = "classes_"

    def __init__(self, estimator: Any) -> None:
        self.estimator = estimator

    @property
    def name(self) -> str:
        """The name of the wrapped classifier, for error messages."""
        return object_name(self.estimator)

    def fit(self, X: Any, labels: Any) -> ArrayClassifier:
        """Fit the wrapped classifier on ``X`` (n_samples, n_features) and 1-D ``labels``.

        Parameters
        ----------
        X : array, shape (n_samples, n_features)
            Input rows.
        labels : array, shape (n_samples,)
            The class of each row.

        Returns
        -------
        self
        """
        _require_methods(self.estimator, ("fit", "predict"), "classifier", "estimator")
        X = check_array(X, "X", ndim=2)
        labels = np.asarray(labels)
        if labels.ndim != 1 or labels.shape[0] != X.shape[0]:
            raise ValueError(
                f"labels: expected a 1-D array of {X.shape[0]} labels (one per row of X), "
                f"got shape {labels.shape}"
            )
        if labels.dtype.kind not in "biufUS":
            raise TypeError(
                f"labels: expected integer, string or boolean labels, got dtype {labels.dtype}"
            )
        if labels.dtype.kind == "f" and not np.isfinite(labels).all():
            raise ValueError("labels: contains NaN or inf")
        complex_in = bool(np.iscomplexobj(X))
        self.estimator.fit(_split(X) if complex_in else X, labels)
        self.classes_ = np.unique(labels)
        self.n_features_in_ = int(X.shape[1])
        self.complex_inputs_ = complex_in
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Labels of the rows of ``X``, shape (n_samples,), all among the known labels.

        Parameters
        ----------
        X : array, shape (n_samples, n_features)
            Input rows.

        Raises
        ------
        ValueError
            If the wrapped ``predict`` returns the wrong shape or a label it was not
            fitted with; the message names the classifier and the unknown labels.
        rom.NotFittedError
            If neither this adapter nor the wrapped classifier was fitted.
        """
        fitted = self._is_fitted()
        classes = self.classes_ if fitted else getattr(self.estimator, "classes_", None)
        if classes is None:
            raise NotFittedError(
                f"this ArrayClassifier is not fitted yet: call fit(...) before using it, or "
                f"wrap a classifier fitted elsewhere ({self.name!r} has no classes_)"
            )
        Xr = _inputs(
            X,
            self.n_features_in_ if fitted else None,
            self.complex_inputs_ if fitted else None,
        )
        m = Xr.shape[0]
        try:
            labels = np.asarray(self.estimator.predict(Xr))
        except Exception as err:
            _translate_not_fitted(err, type(self).__name__, self.name)
            raise
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

    def _restore(self) -> None:
        if self.classes_.ndim != 1 or self.classes_.dtype.kind not in "biufUS":
            raise ValueError("ArrayClassifier: classes_ must be a 1-D array of labels")


def as_classifier(obj: Any, name: str = "classifier") -> ArrayClassifier:
    """Check that ``obj`` is a classifier and wrap it (an :class:`ArrayClassifier` is kept).

    Parameters
    ----------
    obj : object
        Anything with ``fit(X, labels)`` and ``predict(X)``: a scikit-learn
        classifier or your own.
    name : str
        The name of the argument, for the error message.

    Returns
    -------
    ArrayClassifier

    Raises
    ------
    TypeError
        If ``obj`` lacks ``fit`` or ``predict`` (the message starts with ``name``).

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
    _require_methods(obj, ("fit", "predict"), "classifier", name)
    return ArrayClassifier(obj)
