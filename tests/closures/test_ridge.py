import numpy as np
import pytest
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from rom import NotFittedError
from rom.closures import QuadraticRidge
from rom.io import load


def test_quadratic_functions_are_recovered_exactly(rng):
    X = rng.standard_normal((60, 3))
    Y = np.column_stack(
        [1.0 + X[:, 0] * X[:, 2] - 2.0 * X[:, 1] ** 2, 3.0 * X[:, 1] - X[:, 0], np.ones(60)]
    )
    reg = QuadraticRidge(alpha=0.0).fit(X, Y)
    X_new = 3.0 * rng.standard_normal((7, 3))
    Y_new = np.column_stack(
        [
            1.0 + X_new[:, 0] * X_new[:, 2] - 2.0 * X_new[:, 1] ** 2,
            3.0 * X_new[:, 1] - X_new[:, 0],
            np.ones(7),
        ]
    )
    assert np.allclose(reg.predict(X_new), Y_new, atol=1e-9)
    assert reg.coef_.shape == (QuadraticRidge.n_terms(3), 3) == (10, 3)


def test_least_squares_agrees_with_scikit_learn(rng):
    X = rng.standard_normal((50, 4)) * [1.0, 10.0, 0.1, 1.0] + [0.0, 5.0, 0.0, -2.0]
    Y = np.sin(X[:, :2]) + 0.1 * rng.standard_normal((50, 2))
    ours = QuadraticRidge(alpha=0.0).fit(X, Y)
    peer = make_pipeline(StandardScaler(), PolynomialFeatures(2), LinearRegression()).fit(X, Y)
    X_new = rng.standard_normal((9, 4))
    assert np.allclose(ours.predict(X_new), peer.predict(X_new), rtol=1e-8, atol=1e-8)


def test_ridge_solves_the_penalised_least_squares_problem(rng):
    """Direct computation: min |Psi C - Y|^2 + lam |C|^2 as a stacked least-squares problem."""
    X = rng.standard_normal((30, 2))
    Y = rng.standard_normal((30, 2))
    alpha = 1e-2
    reg = QuadraticRidge(alpha=alpha).fit(X, Y)
    Psi = reg.features(X)
    lam = alpha * np.linalg.norm(Psi, 2) ** 2
    stacked = np.vstack([Psi, np.sqrt(lam) * np.eye(Psi.shape[1])])
    C = np.linalg.lstsq(stacked, np.vstack([Y, np.zeros((Psi.shape[1], 2))]), rcond=None)[0]
    assert np.allclose(reg.coef_, C, atol=1e-10)
    # more regularisation, smaller coefficients
    assert np.linalg.norm(QuadraticRidge(alpha=1.0).fit(X, Y).coef_) < np.linalg.norm(C)


def test_constant_columns_and_one_output(rng):
    X = np.column_stack([rng.standard_normal(20), np.full(20, 0.3)])
    y = 2.0 * X[:, 0]
    reg = QuadraticRidge(alpha=0.0).fit(X, y)
    assert reg.predict(X[:3]).shape == (3,)
    assert np.allclose(reg.predict(X[:3]), y[:3])
    assert np.isfinite(reg.coef_).all()


def test_save_and_load(rng, tmp_path):
    X, Y = rng.standard_normal((25, 3)), rng.standard_normal((25, 2))
    reg = QuadraticRidge().fit(X, Y)
    reg.save(tmp_path / "ridge.npz")
    back = load(tmp_path / "ridge.npz")
    assert isinstance(back, QuadraticRidge)
    assert np.array_equal(back.predict(X), reg.predict(X))


def test_bad_input(rng):
    with pytest.raises(ValueError, match="alpha: expected a finite non-negative"):
        QuadraticRidge(alpha=-1.0).fit(np.ones((3, 1)), np.ones(3))
    with pytest.raises(ValueError, match="Y: expected 3 rows"):
        QuadraticRidge().fit(np.ones((3, 1)), np.ones(4))
    with pytest.raises(NotFittedError, match="not fitted"):
        QuadraticRidge().predict(np.ones((1, 1)))
    reg = QuadraticRidge().fit(rng.standard_normal((5, 2)), np.ones(5))
    with pytest.raises(ValueError, match=r"X: expected shape \(\?, 2\)"):
        reg.predict(np.ones((1, 3)))
