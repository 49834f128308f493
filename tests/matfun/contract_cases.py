"""Contract cases of rom.matfun."""

import numpy as np

from rom.affine import AffineOperator, LinearCoefficients
from rom.matfun import InverseApproximation, LogDet
from tests.contract import Case


def _diagonal(mu):
    """A callable family: log det = log(1 + mu) + log(2 + mu^2) + log 3."""
    return np.diag([1.0 + mu[0], 2.0 + mu[0] ** 2, 3.0])


TRAIN = np.linspace(0.0, 1.0, 200)[:, None]
NAN = TRAIN.copy()
NAN[3, 0] = np.nan
MUS = np.array([[0.15], [0.5], [0.95]])
B = np.arange(6.0).reshape(3, 2)

# an affine SPD family with its rigorous bounds
AFFINE = AffineOperator(
    [np.diag([1.0, 2.0, 3.0, 4.0]), np.eye(4) + 0.1 * np.ones((4, 4))],
    LinearCoefficients.identity(2),
)
TRAIN2 = np.column_stack([np.ones(300), np.linspace(0.1, 1.0, 300)])
MUS2 = np.array([[1.0, 0.2], [1.0, 0.75]])

CASES = [
    Case(
        LogDet,
        {"operator": _diagonal, "tol": 1e-10},
        fit=lambda e: e.fit(TRAIN),
        use=lambda e: (e.evaluate(MUS, return_estimate=True), e(0.4)),
        bad=[
            (lambda e: e.fit(NAN), "training_set: contains NaN"),
            (lambda e: e.fit(TRAIN[None]), "training_set: expected a 0-D or 1-D or 2-D"),
            (lambda e: e.set_params(tol=-1.0).fit(TRAIN), "tol: expected"),
            (lambda e: e.set_params(operator="A").fit(TRAIN), "operator: expected"),
        ],
        parts={"operator": _diagonal},
    ),
    Case(
        LogDet,
        {"operator": AFFINE, "tol": 1e-6, "bound": True, "max_terms": 30},
        fit=lambda e: e.fit(TRAIN2),
        use=lambda e: (e.evaluate(MUS2), e.bounds(MUS2), e.error_bound(MUS2[0])),
        parts={"operator": AFFINE},
        id="LogDet affine with bounds",
    ),
    Case(
        InverseApproximation,
        {"operator": _diagonal, "tol": 1e-8, "random_state": 1},
        fit=lambda e: e.fit(TRAIN),
        use=lambda e: (e.apply([0.3], B, return_estimate=True), e.coefficients([0.6])),
        bad=[
            (lambda e: e.fit(NAN), "training_set: contains NaN"),
            (lambda e: e.set_params(n_probes=0).fit(TRAIN), "n_probes"),
            (lambda e: e.set_params(max_terms=0).fit(TRAIN), "max_terms"),
        ],
        parts={"operator": _diagonal},
    ),
]
