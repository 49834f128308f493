"""What both estimators share: settings, parameter rows, errors that name the argument."""

import numpy as np
import pytest

from rom import NotFittedError
from rom.affine import AffineOperator
from rom.matfun import InverseApproximation, LogDet
from tests.matfun.families import random_spd_family


@pytest.mark.parametrize("cls", [LogDet, InverseApproximation])
def test_bad_input_is_refused_with_clear_errors(cls):
    op = random_spd_family(n=8)
    train = np.random.default_rng(0).uniform(0.1, 1.0, size=(100, 2))
    with pytest.raises(ValueError, match="tol"):
        cls(op, tol=-1.0).fit(train)
    with pytest.raises(ValueError, match="tol"):
        cls(op, tol=2.0).fit(train)
    with pytest.raises(ValueError, match="max_terms"):
        cls(op, max_terms=0).fit(train)
    with pytest.raises(ValueError, match="variables"):
        cls(op, variables="cubic").fit(train)
    with pytest.raises(TypeError, match="operator"):
        cls("A").fit(train)
    with pytest.raises(ValueError, match="square"):
        cls(AffineOperator([np.ones((3, 2))], lambda mu: [mu[0]])).fit(train)
    with pytest.raises(ValueError, match="square"):
        cls(lambda mu: np.ones((3, 2))).fit(train)
    with pytest.raises(ValueError, match="training_set"):
        cls(op).fit(np.full((4, 2), np.nan))
    with pytest.raises(ValueError, match="variables"):
        neg = AffineOperator(op.terms, lambda mu: [1.0, mu[0] - 0.5, mu[1]])
        cls(neg, variables="log").fit(train)
    with pytest.raises(NotFittedError, match="not fitted"):
        cls(op).n_terms_  # noqa: B018
    fitted = cls(op, max_terms=6).fit(train)
    assert fitted.n_terms_ == 6 and fitted.stop_reason_ == "max_terms"
    with pytest.raises(ValueError, match="mu"):
        if cls is LogDet:
            fitted.evaluate(np.ones((2, 3)))
        else:
            fitted.apply(np.ones(3), np.ones(8))


def test_unfitted_and_wrong_rhs():
    with pytest.raises(NotFittedError, match="not fitted"):
        LogDet(None).evaluate([[0.5]])
    with pytest.raises(NotFittedError, match="not fitted"):
        InverseApproximation(None).apply([0.5], np.ones(3))
    inv = InverseApproximation(lambda mu: np.diag([1.0 + mu[0], 2.0])).fit(
        np.linspace(0, 1, 100)[:, None]
    )
    with pytest.raises(ValueError, match="b: expected 2 rows"):
        inv.apply([0.5], np.ones(3))
    with pytest.raises(ValueError, match="n_probes"):
        InverseApproximation(lambda mu: np.eye(2), n_probes=0).fit(np.linspace(0, 1, 9)[:, None])
    with pytest.raises(ValueError, match="positive definite"):
        LogDet(lambda mu: np.diag([mu[0] - 0.5, 1.0])).fit(np.linspace(0, 1, 9)[:, None])


# ------------------------------------------------------------ parameter rows
def _diagonal(mu):
    return np.diag([1.0 + mu[0], 2.0 + mu[0] ** 2])


@pytest.mark.parametrize("cls", [LogDet, InverseApproximation])
def test_parameter_rows_follow_the_one_rule(cls):
    est = cls(_diagonal, tol=1e-8).fit(np.linspace(0.0, 1.0, 200)[:, None])
    assert est.parameters_.shape[1] == 1
    if cls is LogDet:
        # a 1-D array is one parameter set, k values of one parameter are (k, 1)
        assert est.evaluate(np.array([0.3])).shape == (1,)
        assert est.evaluate(np.array([[0.3], [0.6]])).shape == (2,)
        assert est(0.3) == est.evaluate([[0.3]])[0]
        with pytest.raises(ValueError, match=r"mus: .*give k values of one parameter"):
            est.evaluate(np.array([0.3, 0.6]))
        with pytest.raises(ValueError, match="mu: expected one parameter set"):
            est(np.array([[0.3], [0.6]]))
    else:
        assert est.coefficients(0.3).shape == (est.n_terms_,)
        with pytest.raises(ValueError, match="mu: expected parameter sets of 1 values"):
            est.coefficients(np.array([0.3, 0.6]))
        with pytest.raises(ValueError, match="mu: expected one parameter set"):
            est.apply(np.array([[0.3], [0.6]]), np.ones(2))
    # with two parameters a 1-D array is one set too (no third rule)
    two = cls(random_spd_family(n=6), tol=1e-4, max_terms=20)
    two.fit(np.random.default_rng(1).uniform(0.1, 1.0, size=(300, 2)))
    if cls is LogDet:
        assert two.evaluate(np.array([0.5, 0.5])).shape == (1,)
    else:
        assert two.apply(np.array([0.5, 0.5]), np.ones(6)).shape == (6,)
    with pytest.raises(ValueError, match="training_set: expected a 0-D or 1-D or 2-D array"):
        cls(_diagonal).fit(np.ones((3, 1, 1)))


# ------------------------------------------------------------ tolerances and stop reasons
@pytest.mark.parametrize("cls", [LogDet, InverseApproximation])
def test_absolute_tolerance(cls):
    train = np.linspace(0.0, 1.0, 200)[:, None]
    relative = cls(_diagonal, tol=1e-6).fit(train)
    absolute = cls(_diagonal, tol=1e-6, relative=False).fit(train)
    assert absolute.stop_reason_ == "tol" and absolute.errors_[-1] <= 1e-6
    assert relative.stop_reason_ == "tol" and relative.errors_[-1] <= 1e-6
    # an absolute tolerance may exceed one
    loose = cls(_diagonal, tol=5.0, relative=False).fit(train)
    assert loose.stop_reason_ == "tol" and loose.n_terms_ <= relative.n_terms_
    with pytest.raises(ValueError, match=r"tol: expected a number <= 1\.0"):
        cls(_diagonal, tol=5.0).fit(train)
    with pytest.raises(TypeError, match="relative"):
        cls(_diagonal, relative="yes").fit(train)


@pytest.mark.parametrize("cls", [LogDet, InverseApproximation])
def test_stop_reasons_are_the_vocabulary(cls):
    train = np.linspace(0.0, 1.0, 200)[:, None]
    capped = cls(_diagonal, tol=1e-14, max_degree=2).fit(train)
    assert capped.stop_reason_ == "max_terms" and capped.n_terms_ == 3 and capped.degree_ == 2
    with pytest.warns(RuntimeWarning) as record:
        small = cls(_diagonal, tol=1e-15).fit(np.linspace(0.0, 1.0, 5)[:, None])
    assert any("cannot resolve degree 5" in str(w.message) for w in record)
    assert small.stop_reason_ == "exhausted" and small.n_terms_ == 5


@pytest.mark.parametrize("cls", [LogDet, InverseApproximation])
def test_progress_and_executor_arguments(cls):
    from concurrent.futures import ThreadPoolExecutor

    train = np.linspace(0.0, 1.0, 200)[:, None]
    serial = cls(_diagonal, tol=1e-8).fit(train, progress=False)
    shown = cls(_diagonal, tol=1e-8).fit(train, progress=True)
    with ThreadPoolExecutor(2) as pool:
        pooled = cls(_diagonal, tol=1e-8).fit(train, executor=pool)
    for other in (shown, pooled):
        assert np.array_equal(other.parameters_, serial.parameters_)
        assert np.array_equal(other.errors_, serial.errors_)
    with pytest.raises(TypeError, match="executor"):
        cls(_diagonal).fit(train, executor="threads")
