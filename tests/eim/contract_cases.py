"""Contract cases of rom.eim."""

import numpy as np
import scipy.sparse

from rom.eim import DEIM, EIM, GEIM, QDEIM, MatrixEIM, RectangularEIM, VectorEIM
from tests.contract import Case

X = np.linspace(0.0, 1.0, 40)
MU = np.linspace(1.0, 3.0, 25)
S = np.exp(-MU[None, :] * X[:, None]) + 0.1 * np.sin(MU[None, :] * X[:, None])
SC = S * np.exp(1j * MU[None, :] * X[:, None])
NAN = S.copy()
NAN[2, 3] = np.nan
W = scipy.sparse.diags(np.linspace(1.0, 2.0, 40), format="csr")
SENSORS = scipy.sparse.csr_matrix(np.kron(np.eye(20), [0.5, 0.5]))  # 20 two-point averages
FITTED_EIM = EIM(max_terms=6).fit(S)


def g(points, mu):
    return np.exp(-mu[0] * points) * np.cos(mu[1] * points)


TRAIN = np.stack(np.meshgrid([1.0, 1.5, 2.0], [0.5, 1.0, 2.0]), -1).reshape(-1, 2)

K = scipy.sparse.diags([-1.0, 2.0, -1.0], [-1, 0, 1], shape=(30, 30), format="csr")
M_ = scipy.sparse.diags(np.linspace(1.0, 2.0, 30), format="csr")


def assemble(mu):
    return (K + np.exp(mu[0]) * M_ + np.sin(mu[0] * mu[1]) * M_ @ M_).tocsr()


B0, B1 = np.random.default_rng(0).standard_normal((2, 12, 12))


def assemble_complex(mu):
    return B0 + np.exp(1j * mu[0]) * B1 + 1.0 / (1.0 + mu[0]) * np.eye(12)


def entries_complex(mu, rows, cols):
    return assemble_complex(mu)[rows, cols]


def rhs(mu):
    return np.exp(-mu[0] * X) / (1.0 + mu[0])


MTRAIN = np.stack(np.meshgrid(np.linspace(0, 1, 6), [0.5, 1.0]), -1).reshape(-1, 2)
CTRAIN = np.linspace(0.0, 3.0, 15)[:, None]


CASES = [
    Case(
        EIM,
        {"tol": 1e-8, "n_error_points": 2},
        fit=lambda e: e.fit(S),
        use=lambda e: (
            e.approximate(S),
            e.estimate_error(S[e.estimation_points_]),
            e.errors_,
            e.stop_reason_,
        ),
        bad=[
            (lambda e: e.fit(NAN), "S: contains NaN"),
            (lambda e: e.fit(S[:, :, None]), "S: expected a 2-D array"),
        ],
    ),
    Case(
        EIM,
        {"max_terms": 5, "norm": "l2", "inner": W},
        fit=lambda e: e.fit(SC),
        use=lambda e: (e.approximate(SC), e.swap().approximate(SC.T)),
        id="EIM complex with inner",
    ),
    Case(
        EIM,
        make=lambda: EIM.from_function(g, X, TRAIN, tol=1e-10),
        use=lambda e: e.interpolate_function([1.2, 1.7]),
        parts={"function_": g},
        id="EIM from_function",
    ),
    Case(
        RectangularEIM,
        {"drop": [1]},
        fit=lambda e: e.fit(FITTED_EIM),
        use=lambda e: (e.approximate(S), e.coefficient_map_),
        bad=[
            (lambda e: e.fit(S), "eim: expected a fitted"),
            (lambda e: e.set_params(drop=[6]).fit(FITTED_EIM), "drop: expected positions"),
        ],
    ),
    Case(
        DEIM,
        {"max_terms": 5, "random_state": 1},
        fit=lambda e: e.fit(S),
        use=lambda e: (e.approximate(S), e.error_constant_, e.points_),
        bad=[
            (lambda e: e.fit(NAN), "S: contains NaN"),
            (lambda e: e.set_params(max_terms=0).fit(S), "max_terms"),
        ],
    ),
    Case(
        DEIM,
        {"tol": 1e-6, "inner": W},
        fit=lambda e: e.fit(SC),
        use=lambda e: (e.approximate(SC), e.coefficients(SC[e.points_])),
        id="DEIM complex with inner",
    ),
    Case(
        QDEIM,
        {"max_terms": 4},
        fit=lambda e: e.fit(S),
        use=lambda e: (e.approximate(S), e.points_),
        bad=[(lambda e: e.fit(S[:, :, None]), "S: expected a 2-D array")],
    ),
    Case(
        QDEIM,
        make=lambda: QDEIM.from_basis(np.linalg.qr(SC)[0], max_terms=6),
        use=lambda e: e.approximate(SC),
        id="QDEIM from_basis complex",
    ),
    Case(
        GEIM,
        {"functionals": SENSORS, "tol": 1e-8},
        fit=lambda e: e.fit(S),
        use=lambda e: (e.approximate(S), e.measure(S), e.errors_),
        bad=[
            (lambda e: e.fit(NAN), "S: contains NaN"),
            (lambda e: e.fit(S[:10]), "functionals: expected 10 columns"),
        ],
    ),
    Case(
        GEIM,
        {"functionals": SENSORS.toarray(), "max_terms": 6, "norm": "l2", "inner": W},
        fit=lambda e: e.fit(SC),
        use=lambda e: e.approximate(SC),
        id="GEIM complex with inner",
    ),
    Case(
        MatrixEIM,
        {"tol": 1e-10, "n_error_terms": 2},
        fit=lambda e: e.fit(assemble, MTRAIN),
        use=lambda e: (
            e.coefficients([0.3, 0.7]),
            e.approximate([0.3, 0.7]),
            e.error_coefficients([0.3, 0.7]),
        ),
        bad=[
            (lambda e: e.fit(assemble, np.full((3, 2), np.nan)), "training_set: contains NaN"),
            (lambda e: e.fit(np.eye(3), MTRAIN), "assemble: expected a callable"),
        ],
        parts={"assemble_function_": assemble},
        rtol=1e-10,
    ),
    Case(
        MatrixEIM,
        {"tol": 1e-12, "n_candidates": 60, "random_state": 3},
        fit=lambda e: e.fit(assemble_complex, CTRAIN, entries=entries_complex),
        use=lambda e: (e.coefficients(1.234), e.approximate([1.234])),
        parts={"assemble_function_": assemble_complex, "entries_function_": entries_complex},
        id="MatrixEIM complex with entries",
        rtol=1e-10,
    ),
    Case(
        VectorEIM,
        {"max_terms": 4, "n_error_terms": 1},
        fit=lambda e: e.fit(rhs, CTRAIN + 0.5),
        use=lambda e: (e.approximate([1.7]), e.estimate_error([1.7])),
        bad=[(lambda e: e.fit(rhs, np.ones((3, 1, 1))), "training_set: expected")],
        parts={"assemble_function_": rhs},
    ),
]
