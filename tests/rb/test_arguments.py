"""Wrong arguments to affine operators, models and reduced models name the argument (#18).

Before, they surfaced as NumPy's ``matmul: dimension mismatch`` or ``could not convert
string to float``, naming nothing the caller wrote.
"""

import numpy as np
import pytest

from fem_examples import diffusion_1d
from rom.affine import AffineOperator, AffineVector, LinearCoefficients
from rom.rb import LinearModel, ReducedBasis

MODEL, SPACE, COERCIVITY = diffusion_1d.build(n=40, segments=3)
N = MODEL.operator.shape[0]


def _theta(mu):  # three terms, three parameters, no parameter space to check mu against
    return np.asarray(mu, dtype=float)


PLAIN = LinearModel(
    AffineOperator(MODEL.operator.terms, _theta), AffineVector(MODEL.rhs.terms[0]), MODEL.inner
)


@pytest.fixture
def reduced():
    basis = ReducedBasis(PLAIN, lambda mu: float(np.min(mu)), max_terms=3)
    return basis.fit(SPACE.grid(3)).reduced_model_


def test_apply_names_v():
    op = MODEL.operator
    with pytest.raises(ValueError, match=rf"V: expected {N} rows .* got shape \(4,\)"):
        op.apply([0.5] * 3, np.ones(4))
    with pytest.raises(ValueError, match=rf"V: expected {N} rows"):
        op.apply([0.5] * 3, np.ones((N + 2, 2)))
    with pytest.raises(TypeError, match="V: expected a real or complex numeric array"):
        op.apply([0.5] * 3, "abc")
    assert np.allclose(op.apply([0.5] * 3, np.ones(N)), op.assemble([0.5] * 3) @ np.ones(N))


def test_coefficients_name_mu():
    with pytest.raises(TypeError, match="mu: expected a parameter set"):
        MODEL.operator.assemble("abc")
    with pytest.raises(TypeError, match="mu: expected a real numeric array"):
        LinearCoefficients.identity(2)([["a", "b"]])
    with pytest.raises(ValueError, match=r"mus: expected rows of 2 values"):
        LinearCoefficients.identity(2).many(np.ones((3, 5)))
    with pytest.raises(TypeError, match="mus: expected a real numeric array"):
        MODEL.operator.theta_many("abc")
    with pytest.raises(TypeError, match="coefficients: expected numbers"):
        AffineOperator(MODEL.operator.terms[:1], lambda mu: "x").assemble([0.5])


def test_linear_model_solve_names_mu():
    with pytest.raises(TypeError, match="mu: expected"):
        MODEL.solve("abc")
    with pytest.raises(TypeError, match="mu: expected"):
        PLAIN.solve("abc")


def test_reduced_model_names_mu_for_the_wrong_number_of_parameters(reduced):
    with pytest.raises(ValueError, match=r"mu: expected parameter sets for which .* gives 3"):
        reduced.solve([0.5, 0.5])
    with pytest.raises(ValueError, match=r"mu: expected parameter sets for which"):
        reduced.estimate([[0.5, 0.5], [0.2, 0.3]])
    assert reduced.solve([0.5, 0.5, 0.5]).shape == (3,)


def test_a_coefficient_function_that_fails_or_returns_text(reduced):
    def strict(mu):
        return np.array([mu[0], mu[1], mu[2]])

    with pytest.raises(ValueError, match=r"mu: operator_coefficients\(mu\) failed .*IndexError"):
        reduced.set_params(operator_coefficients=strict).solve([0.5, 0.5])
    with pytest.raises(TypeError, match="operator_coefficients: expected numbers"):
        reduced.set_params(operator_coefficients=lambda mu: ["a", "b", "c"]).solve([0.5] * 3)
    with pytest.raises(ValueError, match=r"rhs_coefficients: NaN or inf at mu = \[0.5"):
        reduced.set_params(operator_coefficients=_theta, rhs_coefficients=lambda mu: [np.nan])
        reduced.solve([0.5] * 3)


def test_a_coercivity_function_returning_text():
    basis = ReducedBasis(PLAIN, lambda mu: "x", max_terms=3)
    with pytest.raises(TypeError, match="coercivity: expected a positive number"):
        basis.fit(SPACE.grid(3))
