"""Contract cases of rom.fmm."""

import numpy as np

from rom.fmm import EIFMM, kernels
from tests.contract import Case

_rng = np.random.default_rng(0)
Y3 = _rng.random((400, 3))
X3 = _rng.random((150, 3))
Q3 = _rng.standard_normal((400, 2))
Y2 = _rng.random((300, 2))
Q2 = _rng.standard_normal(300)
NAN = Y3.copy()
NAN[5, 1] = np.nan

CASES = [
    Case(
        EIFMM,
        {"kernel": kernels.laplace(), "tol": 1e-4, "leaf_size": 20},
        fit=lambda e: e.fit(Y3),
        use=lambda e: e.evaluate(Q3),
        bad=[
            (lambda e: e.fit(NAN), "sources: contains"),
            (lambda e: e.fit(Y3[:, :1]), "sources:"),
            (lambda e: e.fit(Y3, X3[:, :2]), "targets:"),
            (lambda e: e.fit(Y3).evaluate(Q3[:7]), "charges:"),
        ],
    ),
    Case(
        EIFMM,
        {"kernel": kernels.helmholtz(2.0), "tol": 1e-3, "leaf_size": 20},
        fit=lambda e: e.fit(Y3, X3),
        use=lambda e: (e.evaluate(Q3[:, 0]), list(e.ranks_.values()), e.error_estimate_),
        id="EIFMM complex kernel, separate targets",
    ),
    Case(
        EIFMM,
        {
            "kernel": kernels.gaussian(0.3, dim=2),
            "tol": 1e-3,
            "leaf_size": 20,
            "interpolation": "chebyshev",
        },
        fit=lambda e: e.fit(Y2),
        use=lambda e: e.evaluate(Q2),
        id="EIFMM chebyshev 2-D",
    ),
]
