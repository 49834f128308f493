"""Contract cases of QuadraticManifold, OperatorInference and ParametricOperatorInference."""

import numpy as np

from rom.manifold import (
    OperatorInference,
    ParametricOperatorInference,
    QuadraticManifold,
    quadratic_monomials,
)
from tests.contract import Case

UNAVAILABLE: set = set()

_x = np.linspace(0.0, 1.0, 80)[:, None]
S = np.exp(-(((_x - np.linspace(0.2, 0.7, 24)) / 0.08) ** 2))
S_NAN = S.copy()
S_NAN[5, 3] = np.nan
S_COMPLEX = S * np.exp(2j * np.pi * _x)

_rng = np.random.default_rng(0)
_A = np.array([[-0.5, 1.0, 0.0], [-1.0, -0.5, 0.0], [0.0, 0.0, -1.0]])
_H = 0.05 * _rng.standard_normal((3, 6))
Z = _rng.standard_normal((3, 40))
U = _rng.standard_normal((1, 40))
DZ = _A @ Z + _H @ quadratic_monomials(Z) + 0.5 * U
T = np.linspace(0.0, 1.0, 11)
Z_NAN = Z.copy()
Z_NAN[1, 1] = np.inf


def _reference(z0):
    """The exact trajectory of z' = A z + H h(z) (scipy, no compiled kernel at import)."""
    import scipy.integrate

    def rhs(t, z):
        return _A @ z + _H @ quadratic_monomials(z)

    return scipy.integrate.solve_ivp(rhs, (0.0, 1.0), z0, t_eval=T, rtol=1e-11, atol=1e-13).y


VALIDATION = (np.array([0.5, -0.2, 0.1]), T, _reference(np.array([0.5, -0.2, 0.1])))
MUS = np.array([[0.0], [1.0], [2.0]])
STATES = [Z[:, :20], Z[:, 10:30], Z[:, 20:]]
DERIVS = [(_A + m * 0.1 * np.eye(3)) @ X for m, X in zip(MUS[:, 0], STATES, strict=True)]


def _qm_calls():
    return [
        (lambda e: e.transform(S[:10]), "S: expected 80 rows"),
        (lambda e: e.transform("abc"), "S: expected a"),
        (lambda e: e.inverse_transform(np.ones((7, 2))), "Z: expected"),
        (lambda e: e.inverse_transform(np.ones(e.rank_), rows=[[1]]), "rows: expected a 1-D"),
        (lambda e: e.inverse_transform(np.ones(e.rank_), rows=np.array([80])), "rows"),
        (lambda e: e.jacobian(np.ones((2, 2))), "z: expected a 1-D"),
        (lambda e: e.jacobian(np.ones(e.rank_), rows=np.array([-1])), "rows"),
        (lambda e: e.projection_error(S, relative="yes"), "relative: expected"),
        (lambda e: e.projection_error(S[:, :, None]), "S: expected a 1-D or 2-D"),
    ]


CASES = [
    Case(
        QuadraticManifold,
        {"rank": 3},
        fit=lambda e: e.fit(S),
        use=lambda e: (
            e.transform(S),
            e.inverse_transform(e.transform(S[:, 3])),
            e.jacobian(e.transform(S[:, 5]), rows=np.array([1, 4])),
            e.projection_error(S),
            e.selected_,
        ),
        bad=[
            (lambda e: e.fit(S_NAN), "S: contains NaN"),
            (lambda e: e.fit(S[:, :, None]), "S: expected a 2-D array"),
            (lambda e: e.set_params(rank=40).fit(S), "rank: expected at most"),
            (lambda e: e.set_params(rank=0).fit(S), "rank: expected an integer"),
            (lambda e: e.set_params(encoder="deep").fit(S), "encoder: expected one of"),
            (lambda e: e.set_params(reference=np.ones(3)).fit(S), "reference: expected shape"),
            (lambda e: e.set_params(regularization="gcv").fit(S), "regularization"),
            (lambda e: e.set_params(inner=np.ones((3, 3))).fit(S), "inner: expected"),
        ],
        calls=_qm_calls(),
    ),
    Case(
        QuadraticManifold,
        {
            "tol": 0.05,
            "greedy": False,
            "encoder": "nonlinear",
            "regularization": 1e-3,
            "reference": "zero",
        },
        fit=lambda e: e.fit(S_COMPLEX),
        use=lambda e: (e.transform(S_COMPLEX), e.projection_error(S_COMPLEX), e.stop_reason_),
        bad=[(lambda e: e.set_params(tol=2.0).fit(S), "tol: expected a number <= 1")],
        calls=_qm_calls(),
        id="QuadraticManifold tol complex nonlinear",
        rtol=1e-10,
    ),
    Case(
        OperatorInference,
        {"operators": "AHB", "regularization": 1e-8},
        fit=lambda e: e.fit(Z, DZ, U),
        use=lambda e: (
            e.predict(Z[:, 0], T, inputs=lambda t: np.array([np.sin(t)])),
            e.rhs(Z, U),
            e.A_,
            e.H_,
            e.B_,
        ),
        bad=[
            (lambda e: e.fit(Z_NAN, DZ, U), "states: contains NaN"),
            (lambda e: e.fit(Z, DZ[:2], U), "derivatives: expected shape"),
            (lambda e: e.fit(Z, DZ, U[:, :5]), "inputs: expected 40 columns"),
            (lambda e: e.fit(Z, DZ), "inputs: expected inputs exactly"),
            (lambda e: e.set_params(operators="AQ").fit(Z, DZ, U), "operators: expected"),
            (lambda e: e.set_params(regularization=-1.0).fit(Z, DZ, U), "regularization"),
        ],
        calls=[
            (lambda e: e.predict(np.ones(2), T, inputs=np.ones((1, 11))), "z0: expected shape"),
            (lambda e: e.predict(Z[:, 0], T[::-1], inputs=np.ones((1, 11))), "times: expected"),
            (lambda e: e.predict(Z[:, 0], T, inputs=np.ones((2, 11))), "inputs: expected shape"),
            (lambda e: e.predict(Z[:, 0], T), "inputs: expected a callable"),
            (lambda e: e.predict(Z[:, 0], T, np.ones((1, 11)), rtol=-1.0), "rtol"),
            (lambda e: e.rhs(np.ones(5), U[:, 0]), "z: expected 3 rows"),
            (lambda e: e.rhs(Z), "inputs: expected the inputs"),
        ],
    ),
    Case(
        OperatorInference,
        {"operators": "cAH", "regularization": "auto"},
        fit=lambda e: e.fit(Z, _A @ Z + _H @ quadratic_monomials(Z), validation=VALIDATION),
        use=lambda e: (e.predict(VALIDATION[0], T), e.c_, e.A_, e.H_, e.regularization_),
        bad=[
            (lambda e: e.fit(Z, Z), "validation: regularization='auto'"),
            (lambda e: e.fit(Z, Z, validation=[1, 2]), "validation: expected tuples"),
            (
                lambda e: e.fit(Z, Z, validation=(np.ones(3), T, np.ones((3, 4)))),
                "validation reference_states: expected shape",
            ),
        ],
        calls=[(lambda e: e.predict(Z[:, 0], T, inputs=np.ones((1, 11))), "inputs: the model")],
        id="OperatorInference auto",
        rtol=1e-10,
    ),
    Case(
        ParametricOperatorInference,
        {"operators": "A"},
        fit=lambda e: e.fit(MUS, STATES, DERIVS),
        use=lambda e: (e.model([0.5]).A_, e.A_, e.predict([1.5], Z[:, 0], T)),
        bad=[
            (lambda e: e.fit(MUS, STATES[:2], DERIVS), "states: expected a list of 3"),
            (lambda e: e.fit(MUS[:, :, None], STATES, DERIVS), "parameters: expected"),
            (
                lambda e: e.set_params(regularization="auto").fit(MUS, STATES, DERIVS),
                "regularization",
            ),
            (lambda e: e.fit(MUS, [Z_NAN[:, :20], *STATES[1:]], DERIVS), "states: contains NaN"),
        ],
        calls=[
            (lambda e: e.model([0.5, 1.0]), "mu: expected parameter sets of 1"),
            (lambda e: e.model("x"), "mu: expected a real"),
            (lambda e: e.predict([0.5], np.ones(2), T), "z0: expected shape"),
        ],
    ),
]
