"""Contract cases of rom.closures (TorchRegressor's only where torch is installed)."""

import importlib.util

import numpy as np
from sklearn.linear_model import Ridge
from sklearn.neighbors import KNeighborsClassifier

from rom.closures import (
    ArrayClassifier,
    ArrayRegressor,
    LearnedClosure,
    QuadraticRidge,
    TorchRegressor,
)
from tests.contract import Case

_rng = np.random.default_rng(0)
X = _rng.standard_normal((30, 3))  # rows [a1, a2, mu]
Y = np.column_stack([X[:, 0] * X[:, 2], X[:, 1] ** 2 - X[:, 0]])
XC = X[:, :2] + 1j * X[:, 1:]
YC = XC[:, :1] * XC[:, 1:] + 1j
NAN = X.copy()
NAN[2, 1] = np.nan
LABELS = (X[:, 0] > 0).astype(int)
A = np.array([[0.3, -0.2, 1.0], [0.1, 0.4, -1.0]])  # three states (columns)

RIDGE = Ridge(alpha=1e-6)
RIDGE_OF_CLOSURE = Ridge(alpha=1e-6)
KNN = KNeighborsClassifier(3)


def _bad_xy(shape_match):
    return [
        (lambda e: e.fit(NAN, Y), "X: contains NaN"),
        (lambda e: e.fit(X, Y[:5]), shape_match),
    ]


CASES = [
    Case(
        QuadraticRidge,
        {"alpha": 1e-8},
        fit=lambda e: e.fit(X, Y),
        use=lambda e: (e.predict(X[:4]), e.coef_),
        bad=_bad_xy("Y: expected 30 rows"),
    ),
    Case(
        QuadraticRidge,
        {"alpha": 1e-3},
        fit=lambda e: e.fit(X, Y[:, 0]),
        use=lambda e: e.predict(X[:4]),
        id="QuadraticRidge one output",
    ),
    Case(
        ArrayRegressor,
        {"estimator": QuadraticRidge(alpha=1e-8)},
        fit=lambda e: e.fit(X, Y),
        use=lambda e: e.predict(X[:5]),
        bad=_bad_xy("Y: expected 30 rows"),
    ),
    Case(
        ArrayRegressor,
        {"estimator": RIDGE},
        fit=lambda e: e.fit(XC, YC),
        use=lambda e: e.predict(XC[:5]),
        parts={"estimator": RIDGE},
        id="ArrayRegressor complex scikit-learn",
    ),
    Case(
        ArrayClassifier,
        {"estimator": KNN},
        fit=lambda e: e.fit(X, LABELS),
        use=lambda e: e.predict(X[:6]),
        bad=[
            (lambda e: e.fit(NAN, LABELS), "X: contains NaN"),
            (lambda e: e.fit(X, LABELS[:4]), "labels: expected a 1-D array of 30"),
        ],
        parts={"estimator": KNN},
    ),
    Case(
        LearnedClosure,
        {"regressor": QuadraticRidge(alpha=1e-8), "rank": 2, "features": ("a", "mu")},
        fit=lambda e: e.fit(X, Y),
        use=lambda e: (e(A[:, 0], 0.5, 0.0), e(A, 0.5, 0.0), e.training_residual_),
        bad=[
            (lambda e: e.fit(NAN, Y), "X: contains NaN"),
            (lambda e: e.fit(X, Y[:, :1]), r"Y: expected shape \(30, 2\)"),
            (lambda e: e.fit(X[:, :2], Y), "X: expected 3 or more columns"),
        ],
    ),
    Case(
        LearnedClosure,
        {"regressor": RIDGE_OF_CLOSURE, "rank": 2, "features": ("a", "t"), "n_params": None},
        fit=lambda e: e.fit(X, Y),
        use=lambda e: e(A, 0.5, 0.25),
        parts={"regressor": RIDGE_OF_CLOSURE},
        id="LearnedClosure scikit-learn",
    ),
]

#: cases that need torch, which is optional
UNAVAILABLE = set()
if importlib.util.find_spec("torch") is None:
    UNAVAILABLE.add("rom.closures.neural:TorchRegressor")
else:
    CASES.append(
        Case(
            TorchRegressor,
            {"epochs": 5, "lr": 1e-2, "random_state": 0},
            fit=lambda e: e.fit(X, Y),
            use=lambda e: (e.predict(X[:4]), e.loss_history_),
            bad=_bad_xy("Y: expected 30 rows"),
        )
    )
