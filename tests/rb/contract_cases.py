"""Contract cases of rom.rb."""

import numpy as np

from fem_examples import diffusion_1d
from rom.affine import AffineOperator, AffineVector, LinearCoefficients
from rom.rb import SCM, InfSupEstimate, LinearModel, MinTheta, ReducedBasis, ReducedModel
from tests.contract import Case

MODEL, SPACE, COERCIVITY = diffusion_1d.build(n=40, segments=2)
TRAIN = SPACE.grid(4)
TEST = np.random.default_rng(1).uniform(0.1, 1.0, size=(6, 2))
NAN = TRAIN.copy()
NAN[2, 1] = np.nan

# the same model with plain Python coefficient functions: saved files name them as parts
_terms = MODEL.operator.terms


def theta(mu):
    return np.asarray(mu, dtype=float)


def coercivity(mu):
    return float(np.min(mu))


CALLABLE_MODEL = LinearModel(
    AffineOperator(_terms, theta), AffineVector(MODEL.rhs.terms[0]), inner=MODEL.inner
)
CALLABLE_PARTS = {"operator_coefficients": theta, "coercivity": coercivity}
ASSEMBLE = MODEL.operator.assemble  # one bound method: the part given back by name


def _reduced(model, bound, **params):
    return ReducedBasis(model, bound, **params).fit(TRAIN).reduced_model_


def _use_reduced(red):
    return (*red.solve_and_estimate(TEST), red.output(TEST)[1] if red.output_kind else None)


#: wrong-type and wrong-shape arguments to the public methods of a reduced model
REDUCED_CALLS = [
    (lambda e: e.solve("abc"), "mu: expected"),
    (lambda e: e.solve([0.5, 0.5, 0.5]), "mu: expected"),
    (lambda e: e.solve(np.ones((2, 2, 2))), "mu: expected"),
    (lambda e: e.estimate([[0.5]]), "mu: expected"),
    (lambda e: e.solve_and_estimate({"x": 1.0}), "mu: "),
    (lambda e: e.residual_norm([0.5]), "mu: expected"),
    (lambda e: e.reconstruct(np.ones(e.size + 1)), "a: expected"),
    (lambda e: e.reconstruct("abc"), "a: expected"),
    (lambda e: e.estimate(TEST, parts="yes"), "parts: expected"),
]


CASES = [
    Case(
        ReducedBasis,
        {"model": MODEL, "coercivity": COERCIVITY, "tol": 1e-8},
        fit=lambda e: e.fit(TRAIN),
        use=lambda e: (
            e.reduced_model(2).estimate(TEST),
            *e.reduced_model().solve_and_estimate(TEST),
        ),
        bad=[
            (lambda e: e.fit(NAN), "training_set: contains NaN"),
            (lambda e: e.fit(TRAIN[:, :1]), "training_set: expected 2 values"),
            (lambda e: e.set_params(tol=-1.0).fit(TRAIN), "tol: expected"),
        ],
        calls=[
            (lambda e: e.reduced_model("2"), "size: expected"),
            (lambda e: e.reduced_model(99), "size: expected"),
            (lambda e: e.extend(np.ones(3)), "snapshots: expected"),
            (lambda e: e.extend("abc"), "snapshots: expected"),
            (lambda e: e.true_errors(TRAIN[:, :1]), "mus: expected"),
            (lambda e: e.true_errors("abc"), "mus: expected"),
        ],
        parts={"model": MODEL},
    ),
    Case(
        ReducedBasis,
        {"model": CALLABLE_MODEL, "coercivity": coercivity, "max_terms": 3},
        fit=lambda e: e.fit(TRAIN),
        use=lambda e: e.reduced_model().solve_and_estimate(TEST),
        parts={"model": CALLABLE_MODEL, **CALLABLE_PARTS},
        id="ReducedBasis with Python callables",
    ),
    Case(
        SCM,
        {"operator": MODEL.operator, "inner": MODEL.inner, "tol": 0.1, "max_terms": 6},
        fit=lambda e: e.fit(TRAIN),
        use=lambda e: (e.many(TEST), np.array([e.upper(mu) for mu in TEST])),
        bad=[
            (lambda e: e.fit(NAN), "training_set: contains NaN"),
            (lambda e: e.set_params(max_terms=-2).fit(TRAIN), "max_terms: expected"),
        ],
        parts={"operator": MODEL.operator},
    ),
    Case(
        InfSupEstimate,
        {"assemble": ASSEMBLE, "inner": MODEL.inner, "safety": 0.8},
        fit=lambda e: e.fit(TRAIN),
        use=lambda e: (e.many(TEST), e(TEST[0])),
        bad=[
            (lambda e: e.fit(NAN), "training_set: contains NaN"),
            (lambda e: e.set_params(safety=2.0).fit(TRAIN), "safety: expected"),
        ],
        parts={"assemble": ASSEMBLE},
    ),
    Case(
        MinTheta,
        make=lambda: MinTheta(LinearCoefficients.identity(2), [1.0, 1.0], 1.0),
        use=lambda e: (e.many(TEST), e(TEST[0])),
    ),
    Case(
        ReducedModel,
        make=lambda: _reduced(MODEL, COERCIVITY, tol=1e-8),
        use=_use_reduced,
        calls=REDUCED_CALLS,
    ),
    Case(
        ReducedModel,
        make=lambda: _reduced(CALLABLE_MODEL, coercivity, max_terms=3),
        use=_use_reduced,
        calls=[
            *REDUCED_CALLS,
            (lambda e: e.set_params(coercivity=lambda mu: "x").estimate(TEST), "coercivity: "),
        ],
        parts=CALLABLE_PARTS,
        id="ReducedModel with Python callables",
    ),
]
