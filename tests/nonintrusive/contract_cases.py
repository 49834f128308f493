"""Contract cases of rom.nonintrusive."""

import numpy as np
from sklearn.kernel_ridge import KernelRidge

from rom import POD, ParameterSpace
from rom.nonintrusive import RBFRegressor, Surrogate
from tests.contract import Case

SPACE = ParameterSpace({"a": (0.5, 2.0), "c": (0.2, 0.8)})
X = np.linspace(0.0, 1.0, 40)


def _fields(mus):
    return np.exp(-mus[:, 0][None, :] * (X[:, None] - mus[:, 1][None, :]) ** 2 * 10)


MUS = SPACE.grid(4)
S = _fields(MUS)
TEST = np.array([[0.7, 0.3], [1.9, 0.75], [1.2, 0.5]])
NAN = S.copy()
NAN[3, 2] = np.nan
# parameter sets on a line: no polynomial of degree 1 through them
LINE = np.linspace([0.5, 0.2], [2.0, 0.8], 16)
# a parameter set given twice (rows 1 and 16): no interpolation goes through both
DUPLICATE, S_DUPLICATE = np.vstack([MUS, MUS[1]]), np.c_[S, S[:, 1] + 0.1]

# the regression of an RBFRegressor: inputs (rows) and several outputs
XR = np.random.default_rng(0).random((12, 2))
YR = np.stack([np.sin(3 * XR[:, 0]), XR[:, 0] * XR[:, 1], np.cos(XR[:, 1])], axis=1)
XR_NAN = XR.copy()
XR_NAN[1, 1] = np.inf

# a foreign regressor is a part: the fitted one is given back to rom.load (every fit of
# the case is the same computation, so any fitted copy predicts the same)
RIDGE = KernelRidge(alpha=1e-10, kernel="rbf", gamma=4.0)
FITTED_RIDGE = Surrogate(regressor=RIDGE, parameter_space=SPACE).fit(MUS, S).regressor_.estimator

CASES = [
    Case(
        RBFRegressor,
        {"kernel": "cubic"},
        fit=lambda e: e.fit(XR, YR),
        use=lambda e: e.predict(XR[:5] + 0.01),
        bad=[
            (lambda e: e.fit(XR_NAN, YR), "X: contains NaN or inf"),
            (lambda e: e.fit(XR, YR[:5]), "Y: expected 12 rows"),
            (lambda e: e.fit(XR[:, 0], YR), "X: expected a 2-D array"),
            (lambda e: e.fit(XR, YR).predict(XR[:, :1]), "X: expected 2 columns"),
            (lambda e: e.fit(XR[[0, 1, 2, 1]], YR[:4]), "X: .*rows 1 and 3 are the same point"),
        ],
        calls=[
            (lambda e: e.predict(XR[:, 0]), "X: expected a 2-D array"),
            (lambda e: e.predict([["a", "b"]]), "X: expected"),
            (lambda e: e.predict(np.ones((2, 3))), "X: expected 2 columns"),
        ],
    ),
    Case(
        Surrogate,
        {"parameter_space": SPACE},
        fit=lambda e: e.fit(MUS, S),
        use=lambda e: e.predict(TEST),
        bad=[
            (lambda e: e.fit(MUS, NAN), "snapshots: contains NaN"),
            (lambda e: e.fit(MUS, S[:, :5]), "snapshots: expected 16 columns"),
            (lambda e: e.fit(MUS + 5.0, S), "parameters: parameter 'a' .* outside its bounds"),
            (lambda e: e.fit(MUS, S).predict([[1.0, 0.5, 1.0]]), "parameters: expected 2 values"),
            (
                lambda e: e.fit(DUPLICATE, S_DUPLICATE),
                r"parameters: .*rows 1 and 16 are the same point",
            ),
            (lambda e: e.fit(LINE, S), "parameters: .*collinear"),
        ],
        calls=[
            (lambda e: e.predict("abc"), "parameters: "),
            (lambda e: e.predict(np.ones((2, 2, 2))), "parameters: "),
            (lambda e: e.predict([[1.0, 0.5, 1.0]]), "parameters: expected 2 values"),
            (lambda e: e.predict({"a": 1.0}), "parameters: "),
            (lambda e: e.cross_validate(MUS, S, k="3"), "k: expected"),
            (lambda e: e.cross_validate(MUS, S[:, :3]), "snapshots: expected 16 columns"),
            (lambda e: e.loo_error(relative="yes"), "relative: expected True or False"),
            (lambda e: e.loo_error(executor=object()), "executor: expected None"),
        ],
    ),
    Case(
        Surrogate,
        {"reduction": POD(rank=3), "regressor": RBFRegressor(kernel="quintic", degree=2)},
        fit=lambda e: e.fit(MUS, S),
        use=lambda e: (e.predict(TEST), e.reduction_.basis_),
        bad=[(lambda e: e.fit(MUS, S.astype(str)), "snapshots: expected a real or complex")],
        id="Surrogate nested romba parameters",
    ),
    Case(
        Surrogate,
        {"parameter_space": SPACE, "normalize": False},
        fit=lambda e: e.fit(MUS, S),
        use=lambda e: (e.predict(TEST), e.loo_error()),
        bad=[(lambda e: e.set_params(normalize="no").fit(MUS, S), "normalize: expected")],
        id="Surrogate without normalisation",
    ),
    Case(
        Surrogate,
        {"regressor": RIDGE, "parameter_space": SPACE},
        fit=lambda e: e.fit(MUS, S),
        use=lambda e: e.predict(TEST),
        parts={"regressor": FITTED_RIDGE},
        id="Surrogate scikit-learn regressor",
        rtol=1e-10,
    ),
]
