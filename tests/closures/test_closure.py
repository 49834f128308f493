import numpy as np
import pytest
import scipy.linalg
from sklearn.linear_model import LinearRegression, Ridge

from fem_examples.burgers_1d import Burgers1D
from rom import NotFittedError
from rom.closures import (
    CheckedClosure,
    LearnedClosure,
    QuadraticRidge,
    Trajectory,
    as_closure,
    check_features,
    closure_training_data,
    fit_closure,
)
from rom.galerkin import FullOrderModel, GalerkinROM
from rom.io import load

NU = 0.02


@pytest.fixture(scope="module")
def burgers():
    fom = Burgers1D(80, domain=(-0.5, 1.5), scheme="upwind")
    u0 = fom.initial_condition(center=0.0, width=0.15)
    times = np.linspace(0.0, 0.5, 11)
    S = fom.solve(u0, times, NU, rtol=1e-8, atol=1e-10)
    return fom, u0, times, S


def test_targets_are_the_projection_defect_of_the_right_hand_side(burgers):
    """Direct computation: Phi^T (f(u) - f(Phi Phi^T u)) for an orthonormal basis."""
    fom, _, times, S = burgers
    rom = GalerkinROM(None, fom, rank=4).fit(S)
    X, Y = closure_training_data(rom, [Trajectory(S, times, NU)], features=("a", "mu", "t"))
    Phi = rom.basis_
    assert np.allclose(Phi.T @ Phi, np.eye(4), atol=1e-12)
    expected = Phi.T @ (fom.rhs(S, NU) - fom.rhs(Phi @ (Phi.T @ S), NU))
    assert np.allclose(Y, expected.T, rtol=0, atol=1e-10 * np.abs(expected).max())
    assert np.allclose(X, np.column_stack([(Phi.T @ S).T, np.full(11, NU), times]))
    # with hyper-reduction the target also holds the interpolation error of DEIM
    deim = GalerkinROM(None, fom, "deim", deim_rank=6, rank=4).fit(S, NU)
    _, Y_deim = closure_training_data(deim, [(S, times, NU)], features=("a",))
    A = deim.project(S)
    direct = [deim.basis_.T @ fom.rhs(S[:, k], NU) - deim.rhs(A[:, k], NU) for k in range(11)]
    assert np.allclose(Y_deim, np.array(direct), atol=1e-12)


def _heat_with_mass(n=20):
    """M u' = -K u (P1 finite elements): exact solution from the generalised eigenpairs."""
    h = 1.0 / (n + 1)
    M = np.diag(np.full(n, 4.0)) + np.diag(np.ones(n - 1), 1) + np.diag(np.ones(n - 1), -1)
    M *= h / 6
    K = (2 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)) / h
    lam, V = scipy.linalg.eigh(K, M)  # V^T M V = I
    x = np.arange(1, n + 1) * h
    u0 = x * (1 - x) * np.exp(x)

    def exact(times):
        c = V.T @ (M @ u0)
        return V @ (c[:, None] * np.exp(-np.outer(lam, times)))

    model = FullOrderModel(lambda u, mu, t: -mu * (K @ u), mass=M)
    return model, exact, x


def test_time_derivative_by_differences_converges_to_the_exact_one(rng):
    model, exact, x = _heat_with_mass()
    V = np.column_stack([np.sin(np.pi * k * x) for k in (1, 2, 3)]) @ rng.standard_normal((3, 3))
    rom = GalerkinROM(V, model).fit()  # not orthonormal: the reduced mass is inverted
    assert not np.allclose(rom.reduced_mass_, np.eye(3))
    gaps = []
    for m in (21, 41, 81):
        times = np.linspace(0.0, 0.02, m)
        data = [(exact(times), times, 1.0)]
        _, Y_rhs = closure_training_data(rom, data, features=("a",))
        _, Y_fd = closure_training_data(rom, data, features=("a",), derivative="differences")
        gaps.append(np.abs(Y_fd - Y_rhs).max() / np.abs(Y_rhs).max())
    rates = np.log2(np.array(gaps[:-1]) / np.array(gaps[1:]))
    assert np.all(rates > 1.8), (gaps, rates)
    # with a basis of all of R^n the Galerkin model is exact: nothing to close
    full = GalerkinROM(rng.standard_normal((20, 20)), model).fit()
    times = np.linspace(0.0, 0.02, 5)
    F = exact(times)
    X, Y = closure_training_data(full, [(F, times, 1.0)], features=("a",))
    scale = max(np.abs(full.rhs(a, 1.0)).max() for a in X)
    assert np.abs(Y).max() < 1e-10 * scale


def test_learned_closure_takes_one_or_many_states(rng):
    X = rng.standard_normal((40, 4))  # rows [a1, a2, a3, mu]
    Y = X[:, :3] * X[:, 3:] - 0.5 * X[:, :3]
    closure = as_closure(LinearRegression().fit(X, Y), rank=3)
    assert isinstance(closure, LearnedClosure)
    A = rng.standard_normal((3, 5))
    batch = closure(A, 0.7, 0.0)
    assert batch.shape == (3, 5)
    single = np.column_stack([closure(A[:, j], 0.7, 0.0) for j in range(5)])
    assert np.allclose(batch, single)
    rows = np.column_stack([A.T, np.full(5, 0.7)])
    assert np.allclose(single, closure.regressor.predict(rows).T)
    assert as_closure(closure, rank=3) is closure
    assert check_features(["t", "a"]) == ("a", "t")


def test_closure_errors_name_the_closure(burgers, rng):
    fom, u0, times, S = burgers
    rom = GalerkinROM(None, fom, rank=3).fit(S)

    def wrong_shape(a, mu, t):
        return np.zeros(4)

    def blows_up(a, mu, t):
        return np.full(3, np.nan) if t > 0.1 else np.zeros(3)

    checked = as_closure(wrong_shape, rank=3)
    assert isinstance(checked, CheckedClosure)
    with pytest.raises(ValueError, match=r"closure 'wrong_shape'.*shape \(3,\).*\(4,\)"):
        checked(np.zeros(3), NU, 0.0)
    with pytest.raises(ValueError, match=r"closure 'wrong_shape'.*shape \(3,\).*\(4,\)"):
        rom.with_closure(checked).rhs(np.zeros(3), NU)
    with pytest.raises(ValueError, match="closure 'blows_up': returned NaN or inf"):
        rom.with_closure(as_closure(blows_up, rank=3)).solve(u0, times, NU)
    with pytest.raises(ValueError, match=r"a: expected reduced coordinates of shape \(3,\)"):
        checked(np.zeros(5), NU, 0.0)
    # a regressor with the wrong number of outputs
    X = rng.standard_normal((10, 4))
    four = as_closure(Ridge().fit(X, rng.standard_normal((10, 4))), rank=3)
    with pytest.raises(ValueError, match=r"closure 'learned closure \(Ridge\)'.*\(3,\)"):
        rom.with_closure(four).rhs(np.zeros(3), NU)

    class NaNRegressor:
        def fit(self, X, Y):
            return self

        def predict(self, X):
            return np.full((X.shape[0], 3), np.nan)

    with pytest.raises(ValueError, match=r"learned closure \(NaNRegressor\).*NaN or inf"):
        as_closure(NaNRegressor(), rank=3)(np.zeros(3), NU, 0.0)
    with pytest.raises(TypeError, match="closure: expected a callable closure"):
        as_closure(3.0, rank=3)
    with pytest.raises(ValueError, match="closure: expected a closure of rank 2"):
        as_closure(four, rank=2)
    with pytest.raises(ValueError, match="mu: expected a parameter of 1 entries"):
        LearnedClosure(Ridge().fit(X, X[:, :3]), 3, n_params=1).fit()(np.zeros(3), [1.0, 2.0], 0.0)
    with pytest.raises(NotFittedError, match="not fitted"):
        LearnedClosure(Ridge().fit(X, X[:, :3]), 3)(np.zeros(3), 1.0, 0.0)
    with pytest.raises(TypeError, match="a: expected real reduced coordinates"):
        four(np.zeros(3, dtype=complex), 1.0, 0.0)
    with pytest.raises(TypeError, match="mu: expected a real number"):
        four(np.zeros(3), "fast", 0.0)


def test_fit_closure_bad_input(burgers):
    fom, _, times, S = burgers
    rom = GalerkinROM(None, fom, rank=3).fit(S)
    good = [(S, times, NU)]
    with pytest.raises(TypeError, match=r"regressor: .*fit and predict.*'str'"):
        fit_closure(rom, good, "ridge")
    with pytest.raises(ValueError, match=r"trajectories\[0\].states: expected 80 rows"):
        fit_closure(rom, [(S[:50], times, NU)])
    with pytest.raises(ValueError, match=r"trajectories\[1\].times: expected 11 times"):
        fit_closure(rom, [*good, (S, times[:5], NU)])
    with pytest.raises(ValueError, match=r"trajectories\[0\].states: expected a 2-D array"):
        fit_closure(rom, [(S[:, 0], times, NU)])
    with pytest.raises(ValueError, match=r"trajectories\[0\].times: expected strictly"):
        fit_closure(rom, [(S, times[::-1], NU)])
    with pytest.raises(TypeError, match=r"trajectories\[0\]: expected a Trajectory"):
        fit_closure(rom, [(S, times)])
    with pytest.raises(TypeError, match="for one trajectory pass"):
        fit_closure(rom, (S, times, NU))
    three = tuple(good * 3)  # a tuple of trajectories is a sequence like any other
    assert closure_training_data(rom, three)[0].shape == (33, 4)
    with pytest.raises(ValueError, match="trajectories: expected at least one"):
        fit_closure(rom, [])
    with pytest.raises(ValueError, match=r"trajectories\[1\].mu: expected 1 entries"):
        fit_closure(rom, [*good, (S, times, [NU, 1.0])])
    with pytest.raises(ValueError, match=r"trajectories\[0\].states: contains NaN"):
        fit_closure(rom, [(np.full_like(S, np.nan), times, NU)])
    with pytest.raises(ValueError, match="features: expected distinct names"):
        fit_closure(rom, good, features=("a", "velocity"))
    with pytest.raises(ValueError, match="derivative: expected one of"):
        fit_closure(rom, good, derivative="spline")
    with pytest.raises(ValueError, match="needs at least 3 times"):
        fit_closure(rom, [(S[:, :2], times[:2], NU)], derivative="differences")
    with pytest.raises(NotFittedError, match="not fitted"):
        fit_closure(GalerkinROM(None, fom, rank=3), good)


def test_fitted_closure_is_saved_and_loaded(burgers, tmp_path):
    fom, _, times, S = burgers
    rom = GalerkinROM(None, fom, rank=3).fit(S)
    closure = fit_closure(rom, [(S, times, NU)], QuadraticRidge(alpha=1e-6))
    assert 0.0 <= closure.training_residual_ < 1.0 and closure.n_samples_ == 11
    closure.save(tmp_path / "closure.npz")
    back = load(tmp_path / "closure.npz")
    a = rom.project(S[:, 4])
    assert np.array_equal(back(a, NU, 0.2), closure(a, NU, 0.2))
    assert back.features == ("a", "mu") and back.n_params_ == 1
    assert back.training_residual_ == closure.training_residual_
    # a foreign regressor is a part of the file, given back by name
    ridge = Ridge(alpha=1e-3)
    other = fit_closure(rom, [(S, times, NU)], ridge)
    other.save(tmp_path / "other.npz")
    with pytest.raises(ValueError, match="regressor"):
        load(tmp_path / "other.npz")
    back = load(tmp_path / "other.npz", regressor=ridge)
    assert back.regressor is ridge
    assert np.array_equal(back(a, NU, 0.2), other(a, NU, 0.2))
    with pytest.raises(ValueError, match="mu: expected a parameter of 1 entries"):
        back(np.zeros(3), [NU, 1.0], 0.2)


def test_closure_fit_checks_rows_and_targets(rng):
    X = rng.standard_normal((12, 4))  # rows [a1, a2, a3, mu]
    Y = X[:, :3] * X[:, 3:]
    closure = LearnedClosure(QuadraticRidge(alpha=0.0), rank=3).fit(X, Y)
    assert closure.n_params_ == 1 and closure.n_samples_ == 12 and closure.n_features_in_ == 4
    assert closure.training_residual_ < 1e-10
    assert np.allclose(closure(X[0, :3], X[0, 3], 0.0), Y[0])
    with pytest.raises(ValueError, match=r"X: expected 5 columns"):
        LearnedClosure(Ridge(), rank=3, n_params=2).fit(X, Y)
    with pytest.raises(ValueError, match=r"Y: expected shape \(12, 3\)"):
        LearnedClosure(Ridge(), rank=3).fit(X, Y[:, :2])
    with pytest.raises(TypeError, match="X: give the training rows X and the targets Y"):
        LearnedClosure(Ridge(), rank=3).fit(X)
    with pytest.raises(TypeError, match="features: expected a sequence"):
        LearnedClosure(Ridge(), rank=3, features=3).fit(X, Y)
    with pytest.raises(TypeError, match="regressor: expected a regressor"):
        LearnedClosure("ridge", rank=3).fit(X, Y)
    with pytest.raises(TypeError, match="rank: expected an integer"):
        LearnedClosure(Ridge(), rank=2.5).fit(X, Y)
