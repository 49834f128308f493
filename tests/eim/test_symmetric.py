"""The symmetric formulation (swap, evaluate_separated) and the rectangular extension."""

import numpy as np
import pytest

from rom.eim import EIM, RectangularEIM
from tests.conftest import singular_kernel


def _kernel(X, P):
    return 1 / np.linalg.norm(X[:, None] - P[None], axis=2)


@pytest.fixture(scope="module")
def setting():
    x = np.linspace(0, 1, 25)
    X = np.stack(np.meshgrid(x, x, indexing="ij"), -1).reshape(-1, 2)
    m = np.linspace(-1, -0.01, 14)
    P = np.stack(np.meshgrid(m, m, indexing="ij"), -1).reshape(-1, 2)
    return X, P, _kernel(X, P)


@pytest.mark.parametrize("M", [5, 25, 60])
def test_swap_gives_the_same_approximation_on_the_training_set(setting, M):
    _, _, S = setting
    e = EIM(max_terms=M).fit(S)
    s = e.swap()
    assert np.array_equal(s.points_, e.params_) and np.array_equal(s.params_, e.points_)
    B = s.interpolation_matrix_
    assert np.allclose(np.triu(B, 1), 0) and np.allclose(np.diag(B), 1)
    scale = np.abs(S).max()
    assert np.abs(s.approximate(S.T).T - e.approximate(S)).max() <= 1e-12 * scale
    assert np.abs(s.swap().approximate(S) - e.approximate(S)).max() <= 1e-12 * scale


def test_new_columns_and_new_rows(setting):
    X, P, S = setting
    e = EIM(max_terms=30).fit(S)
    rng = np.random.default_rng(0)
    new_mu = rng.uniform(-1, -0.01, (7, 2))
    new_x = rng.uniform(0, 1, (5, 2))
    cols = _kernel(X, new_mu)  # new parameters, training points
    rows = _kernel(new_x, P)  # new points, training parameters
    scale = np.abs(S).max()
    # new columns: the classical interpolant equals the symmetric form
    sym = e.evaluate_separated(S[:, e.params_], cols[e.points_])
    assert np.abs(sym - e.approximate(cols)).max() <= 1e-11 * scale
    # new rows: the swapped interpolant equals the symmetric form
    s = e.swap()
    sym_rows = e.evaluate_separated(rows[:, e.params_], S[e.points_])
    assert np.abs(s.approximate(rows.T).T - sym_rows).max() <= 1e-11 * scale
    # and the symmetric form with the raw F (fine at M = 30) agrees
    F = S[np.ix_(e.points_, e.params_)]
    raw = rows[:, e.params_] @ np.linalg.solve(F, cols[e.points_])
    both = e.evaluate_separated(rows[:, e.params_], cols[e.points_])
    assert np.abs(raw - both).max() <= 1e-8 * scale


def test_rectangular_without_dropping_is_the_eim(setting):
    _, _, S = setting
    e = EIM(max_terms=40).fit(S)
    r = RectangularEIM(drop=[]).fit(e)
    assert isinstance(r, RectangularEIM)
    assert np.abs(r.approximate(S) - e.approximate(S)).max() <= 1e-10 * np.abs(S).max()


@pytest.mark.parametrize("drop", [[0], [7], [19], [3, 11]])
def test_rectangular_interpolates_at_the_remaining_points(setting, drop):
    _, _, S = setting
    e = EIM(max_terms=20).fit(S)
    r = RectangularEIM(drop=drop).fit(e)
    assert len(r.points_) == 20 - len(drop)
    assert not set(e.points_[drop]) & set(r.points_)
    A = r.approximate(S)
    assert np.abs(A[r.points_] - S[r.points_]).max() <= 1e-10 * np.abs(S).max()
    # it is the minimum-norm combination of the selected fields (pseudo-inverse of F')
    F = S[np.ix_(r.points_, e.params_)]
    raw = S[:, e.params_] @ (np.linalg.pinv(F, rcond=1e-13) @ S[r.points_])
    assert np.abs(A - raw).max() <= 1e-6 * np.abs(S).max()


def test_rectangular_degrades_gracefully(setting):
    """Dropping one sensor costs less than dropping the last term and its point."""
    X, _, S = setting
    M = 20
    e = EIM(max_terms=M).fit(S)
    rng = np.random.default_rng(3)
    G = _kernel(X, rng.uniform(-1, -0.01, (40, 2)))
    full = np.abs(e.approximate(G) - G).max()
    shorter = np.abs(EIM(max_terms=M - 1).fit(S).approximate(G) - G).max()
    rect = [np.abs(RectangularEIM(drop=[k]).fit(e).approximate(G) - G).max() for k in range(M)]
    assert full < shorter
    # losing the last sensor: about as good as the M-1 term EIM
    assert rect[-1] <= 2 * shorter
    # whichever sensor breaks, the error stays within a modest factor of M-1 terms
    assert max(rect) <= 50 * shorter


def test_rectangular_bad_input(setting):
    _, _, S = setting
    e = EIM(max_terms=5).fit(S)
    with pytest.raises(ValueError, match="drop: expected positions"):
        RectangularEIM(drop=[5]).fit(e)
    with pytest.raises(ValueError, match="drop: at least one"):
        RectangularEIM(drop=range(5)).fit(e)
    r = RectangularEIM(drop=[1]).fit(e)
    with pytest.raises(ValueError, match="values: expected 4 values"):
        r.interpolate(np.ones(5))


def test_swap_of_the_published_example_is_exact_on_training():
    S = singular_kernel(41, 25)
    e = EIM(max_terms=120).fit(S)
    assert np.abs(e.swap().approximate(S.T).T - e.approximate(S)).max() < 1e-12 * 70.7


def test_rectangular_is_fitted_on_an_eim(setting):
    _, _, S = setting
    e = EIM(max_terms=12).fit(S)
    r = RectangularEIM(drop=[2, 5]).fit(e)
    assert np.array_equal(r.coefficient_map_, RectangularEIM(drop=[5, 2]).fit(e).coefficient_map_)
    assert np.array_equal(r.dropped_, [2, 5]) and r.n_terms_ == 12
    with pytest.raises(TypeError, match="eim: expected a fitted"):
        RectangularEIM(drop=[1]).fit(S)
    with pytest.raises(ValueError, match="eim: expected a fitted"):
        RectangularEIM(drop=[1]).fit(EIM())
    with pytest.raises(ValueError, match="drop: expected positions"):
        RectangularEIM(drop=[0.5]).fit(e)
