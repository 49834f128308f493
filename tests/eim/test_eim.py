import warnings

import numpy as np
import pytest
import scipy.sparse
from hypothesis import given, settings
from hypothesis import strategies as st

import rom
from rom import NotFittedError
from rom.eim import EIM
from tests.conftest import singular_kernel


@pytest.fixture(scope="module")
def S():
    """The published example: 1/|x - mu|, x on 41 x 41 in [0,1]^2, mu on 25 x 25."""
    return singular_kernel(41, 25)


@pytest.fixture(scope="module")
def eim120(S):
    return EIM(max_terms=120).fit(S)


def test_first_error_is_the_largest_value_of_the_kernel(eim120):
    assert eim120.errors_[0] == pytest.approx(1 / np.sqrt(2 * 0.01**2), rel=1e-12)
    assert eim120.points_[0] == 0  # x = (0, 0)
    assert eim120.n_terms_ == 120 and eim120.stop_reason_ == "max_terms"


def test_error_decays_roughly_exponentially(eim120):
    e = eim120.errors_ / eim120.errors_[0]
    assert e[20] < 1e-3 and e[60] < 1e-7 and e[120] < 1e-12
    # a straight line in log scale: every 30 terms gain at least two orders of magnitude
    assert np.all(e[30::30] < 1e-2 * e[:-30:30])


def test_lebesgue_constant_stays_modest(S, eim120):
    assert 1 < eim120.lebesgue_constant() < 100
    lam = []
    for M in (10, 40, 80, 120):
        lam.append(EIM(max_terms=M).fit(S).lebesgue_constant())
    assert max(lam) < 100


def test_interpolation_matrix_is_unit_lower_triangular(eim120):
    B = eim120.interpolation_matrix_
    assert np.array_equal(np.triu(B, 1), np.zeros_like(B))
    assert np.array_equal(np.diag(B), np.ones(120))
    assert np.abs(B).max() <= 1.0  # sup-norm pivoting bounds every entry by 1
    assert len(set(eim120.points_)) == 120 and len(set(eim120.params_)) == 120


def test_interpolates_at_the_points_and_reproduces_the_errors(S, eim120):
    A = eim120.approximate(S)
    assert np.abs(A[eim120.points_] - S[eim120.points_]).max() <= 1e-12 * np.abs(S).max()
    # the selected snapshots are reproduced to round-off
    sel = eim120.params_
    assert np.abs(A[:, sel] - S[:, sel]).max() <= 1e-11 * np.abs(S).max()
    # the greedy's last error is the sup error of the interpolant on the training set
    assert np.abs(A - S).max() == pytest.approx(eim120.errors_[-1], rel=1e-6)
    for M in (5, 17):
        e = EIM(max_terms=M).fit(S)
        assert np.abs(e.approximate(S) - S).max() == pytest.approx(e.errors_[-1], rel=1e-10)


def test_triangular_form_is_well_conditioned_where_the_raw_matrix_is_not(S, eim120):
    """F = S[points, params] reaches cond ~ 1e15 at M = 120; B = basis_[points] does not."""
    F = S[np.ix_(eim120.points_, eim120.params_)]
    assert np.linalg.cond(F) > 1e15
    assert np.linalg.cond(eim120.interpolation_matrix_) < 1e3
    # F = B diag(pivots) L^T exactly (to round-off): the factors carry the information
    L = eim120.param_basis_[eim120.params_]
    BDL = eim120.interpolation_matrix_ @ (eim120.pivots_[:, None] * L.T)
    assert np.abs(BDL - F).max() <= 1e-12 * np.abs(F).max()


def test_validation_error_on_new_parameters(S, eim120):
    rng = np.random.default_rng(0)
    mu = rng.uniform(-1, -0.01, (20, 2))
    x = np.linspace(0, 1, 41)
    X = np.stack(np.meshgrid(x, x, indexing="ij"), -1).reshape(-1, 2)
    G = 1 / np.linalg.norm(X[:, None] - mu[None], axis=2)
    errors = [np.abs(EIM(max_terms=M).fit(S).approximate(G) - G).max() for M in (10, 40)]
    errors.append(np.abs(eim120.approximate(G) - G).max())
    assert errors[0] > 10 * errors[1] > 100 * errors[2]
    assert errors[2] < 1e-5 * np.abs(G).max()


@pytest.mark.parametrize("norm", ["linf", "l2", "l1"])
def test_numba_and_numpy_backends_agree(S, norm):
    a = EIM(max_terms=40, norm=norm, backend="numpy").fit(S)
    b = EIM(max_terms=40, norm=norm, backend="numba").fit(S)
    assert np.array_equal(a.points_, b.points_) and np.array_equal(a.params_, b.params_)
    assert np.allclose(a.basis_, b.basis_, atol=1e-12)
    assert np.allclose(a.errors_, b.errors_, rtol=1e-10)


def test_norms_change_the_parameter_choice(S):
    S_small = S[:, ::7]
    l2 = EIM(max_terms=10, norm="l2").fit(S_small)
    direct = np.linalg.norm(S_small, axis=0).max()
    assert l2.errors_[0] == pytest.approx(direct, rel=1e-12)
    l1 = EIM(max_terms=10, norm="l1").fit(S_small)
    assert l1.errors_[0] == pytest.approx(np.abs(S_small).sum(0).max(), rel=1e-12)
    custom = EIM(max_terms=10, norm=lambda R: np.abs(R).max(axis=0)).fit(S_small)
    linf = EIM(max_terms=10).fit(S_small)
    assert np.array_equal(custom.points_, linf.points_)


def test_weighted_l2_norm(S):
    n = S.shape[0]
    w = np.linspace(1, 2, n)
    e = EIM(max_terms=8, norm="l2", inner=scipy.sparse.diags(w)).fit(S)
    assert e.errors_[0] == pytest.approx(np.sqrt((w[:, None] * S**2).sum(0)).max(), rel=1e-12)


def test_tolerance_relative_and_absolute(S):
    rel = EIM(tol=1e-6).fit(S)
    assert rel.stop_reason_ == "tol"
    assert rel.errors_[-1] <= 1e-6 * rel.errors_[0] < rel.errors_[-2]
    ab = EIM(tol=1e-3, relative=False).fit(S)
    assert ab.errors_[-1] <= 1e-3 < ab.errors_[-2]


def test_complex_snapshots_real_complex_parity(S):
    Sc = S[:, ::5] * np.exp(0.3j)
    a = EIM(max_terms=20).fit(S[:, ::5])
    for backend in ("numpy", "numba"):
        b = EIM(max_terms=20, backend=backend).fit(Sc)
        assert np.array_equal(a.points_, b.points_)
        assert np.allclose(b.approximate(Sc), a.approximate(S[:, ::5]) * np.exp(0.3j), atol=1e-10)
    k = np.linspace(1, 3, 30)
    x = np.linspace(0, 1, 200)
    H = np.exp(1j * k[None, :] * x[:, None]) / (1 + x[:, None])  # genuinely complex
    e = EIM(tol=1e-10).fit(H)
    assert np.abs(e.approximate(H) - H).max() <= 1e-9


def test_clean_stop_when_the_residual_vanishes(rng):
    low_rank = rng.standard_normal((50, 4)) @ rng.standard_normal((4, 30))
    with pytest.warns(RuntimeWarning, match="residual vanished"):
        e = EIM(max_terms=10).fit(low_rank)
    assert e.n_terms_ == 4 and e.stop_reason_ == "exhausted"
    assert len(set(e.points_)) == 4
    assert np.abs(e.approximate(low_rank) - low_rank).max() < 1e-12 * np.abs(low_rank).max()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        EIM().fit(low_rank)  # nothing asked beyond the rank: no warning


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 30), st.integers(2, 25), st.integers(0, 2**31 - 1))
def test_interpolation_property_random(n, p, seed):
    S = np.random.default_rng(seed).standard_normal((n, p))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        e = EIM().fit(S)
    M = e.n_terms_
    assert M == min(n, p)
    assert len(set(e.points_)) == M and len(set(e.params_)) == M
    assert np.allclose(e.approximate(S)[e.points_], S[e.points_], atol=1e-10)
    assert np.allclose(e.approximate(S)[:, e.params_], S[:, e.params_], atol=1e-8)


def test_ties_are_broken_as_in_exact_arithmetic():
    """A symmetric kernel: mirror points tie; the lowest index wins, whatever round-off."""
    x = np.linspace(0, 1, 12)
    X = np.stack(np.meshgrid(x, x, indexing="ij"), -1).reshape(-1, 2)
    m = np.linspace(-1, -0.05, 6)
    P = np.stack(np.meshgrid(m, m, indexing="ij"), -1).reshape(-1, 2)
    S = 1 / np.linalg.norm(X[:, None] - P[None], axis=2)
    a = EIM(max_terms=12, backend="numpy").fit(S)
    b = EIM(max_terms=12, backend="numba").fit(np.asfortranarray(S))
    assert np.array_equal(a.points_, b.points_)
    # the second point is (0, x_k) or its mirror (x_k, 0): the lower flat index is taken
    i = a.points_[1]
    mirror = (i % 12) * 12 + i // 12
    assert i <= mirror


def test_from_function_and_online_evaluation():
    x = np.linspace(0, 1, 300)

    def g(points, mu):
        return np.exp(-mu[0] * points) * np.sin(mu[1] * points)

    space = rom.ParameterSpace({"a": (0.5, 2.0), "w": (1.0, 4.0)})
    e = EIM.from_function(g, x, space.grid(12), tol=1e-10)
    assert e.point_coordinates_.shape == (e.n_terms_,)
    mu = np.array([1.234, 2.345])
    assert np.abs(e.interpolate_function(mu) - g(x, mu)).max() < 1e-8


def test_error_estimate_is_reliable(S):
    M = 30
    e = EIM(max_terms=M, n_error_points=3).fit(S)
    assert len(e.error_points_) == 3
    rng = np.random.default_rng(1)
    mu = rng.uniform(-1, -0.01, (60, 2))
    x = np.linspace(0, 1, 41)
    X = np.stack(np.meshgrid(x, x, indexing="ij"), -1).reshape(-1, 2)
    G = 1 / np.linalg.norm(X[:, None] - mu[None], axis=2)
    true = np.abs(e.approximate(G) - G).max(axis=0)
    est = e.estimate_error(G[e.estimation_points_])
    ratio = est / true
    # stated reliability: never below the true error by more than a factor 3
    assert ratio.min() > 1 / 3
    assert np.median(ratio) < 10  # and not uselessly pessimistic


def test_save_load_round_trip(S, tmp_path):
    e = EIM(max_terms=15, n_error_points=2).fit(S)
    path = tmp_path / "eim.npz"
    e.save(path)
    f = rom.load(path)
    assert np.array_equal(f.points_, e.points_)
    assert np.array_equal(f.approximate(S), e.approximate(S))
    vals = S[e.estimation_points_, :3]
    assert np.array_equal(f.estimate_error(vals), e.estimate_error(vals))


@pytest.mark.parametrize(
    "kwargs, data, error, match",
    [
        (dict(), np.full((3, 3), np.nan), ValueError, "S: contains NaN"),
        (dict(), np.ones(4), ValueError, "S: expected a 2-D"),
        (dict(), np.ones((0, 4)), ValueError, "S: expected a non-empty"),
        (dict(), np.zeros((4, 4)), ValueError, "S: every entry is zero"),
        (dict(max_terms=0), np.ones((3, 3)), ValueError, "max_terms"),
        (dict(tol=-1e-3), np.ones((3, 3)), ValueError, "tol"),
        (dict(norm="l3"), np.ones((3, 3)), ValueError, "norm: expected"),
        (dict(norm="linf", inner=np.eye(3)), np.ones((3, 3)), ValueError, "inner: a weighted"),
        (dict(norm=lambda R: np.ones(2)), np.ones((3, 3)), ValueError, "norm: the callable"),
        (dict(relative="yes"), np.ones((3, 3)), TypeError, "relative"),
        (dict(backend="gpu"), np.ones((3, 3)), ValueError, "backend"),
    ],
)
def test_bad_input(kwargs, data, error, match):
    with pytest.raises(error, match=match):
        EIM(**kwargs).fit(data)


def test_bad_input_online(S):
    e = EIM(max_terms=5).fit(S)
    with pytest.raises(ValueError, match="values: expected 5 values"):
        e.interpolate(np.ones(4))
    with pytest.raises(ValueError, match="values: contains NaN"):
        e.coefficients(np.full(5, np.nan))
    with pytest.raises(ValueError, match="S: expected 1681 rows"):
        e.approximate(np.ones((10, 2)))
    with pytest.raises(ValueError, match="values: expected 6 values"):
        e.estimate_error(np.ones(5))
    with pytest.raises(NotFittedError, match="not fitted"):
        EIM().interpolate(np.ones(3))
    with pytest.raises(TypeError, match="g: expected a callable"):
        EIM.from_function(3.0, np.ones(3), np.ones((2, 1)))
    with pytest.raises(ValueError, match="g: expected 3 values"):
        EIM.from_function(lambda x, mu: np.ones(2), np.ones(3), np.ones((2, 1)))


def test_max_norm_step_is_exact(rng):
    """The real max-norm step (integer maxima of the entries' bits) gives the column
    maxima of |R| bit for bit, after an update too, negative zeros and signs included."""
    from rom.eim import _numba

    R = np.asfortranarray(rng.standard_normal((97, 60)))
    R[:, 3] = -0.0
    R[5, 7] = -1e300
    q, w = rng.standard_normal(97), rng.standard_normal(60)
    w[::4] = 0.0
    w[3] = 0.0  # column 3 stays all negative zeros
    updated = R - np.outer(q, w)
    norms = _numba.step(R, q, w, _numba.LINF)
    assert np.allclose(R, updated, rtol=1e-15, atol=1e-15)  # fused multiply-adds
    assert np.array_equal(norms, np.abs(R).max(axis=0))
    assert np.array_equal(_numba.step(R, None, None, _numba.LINF), norms)
    assert norms[3] == 0.0 and norms[7] == 1e300


def test_complex_max_norm_step_matches_abs(rng):
    """The complex max-norm step (largest re^2 + im^2, then one square root) gives the
    column maxima of |R| to round-off, also where the squares would over- or
    underflow (those columns are measured again with abs)."""
    from rom.eim import _numba

    shape = (131, 40)
    R = np.asfortranarray(rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    R[:, 2] *= 1e200  # squares overflow
    R[:, 5] *= 1e-200  # squares underflow
    R[:, 9] = 0.0
    q = rng.standard_normal(131) + 1j * rng.standard_normal(131)
    w = rng.standard_normal(40) + 1j * rng.standard_normal(40)
    w[[2, 5, 9, 11]] = 0.0
    updated = R - np.outer(q, w)
    norms = _numba.step(R, q, w, _numba.LINF)
    assert np.allclose(R, updated, rtol=1e-15, atol=1e-15)
    want = np.abs(R).max(axis=0)
    assert np.allclose(norms, want, rtol=4e-16, atol=0)
    assert norms[9] == 0.0 and norms[5] > 0.0  # no underflow to zero
    again = _numba.step(R, None, None, _numba.LINF)  # measure only
    assert np.allclose(again, norms, rtol=4e-16, atol=0)


def test_from_function_saves_without_the_function(tmp_path):
    x = np.linspace(0, 1, 100)

    def g(points, mu):
        return np.exp(-mu[0] * points)

    e = EIM.from_function(g, x, np.linspace(1, 2, 20)[:, None], tol=1e-10)
    assert e.training_set_.shape == (20, 1) and e.selected_parameters_.shape == (e.n_terms_, 1)
    e.save(tmp_path / "eim.npz")
    with pytest.raises(ValueError, match="function_"):
        rom.load(tmp_path / "eim.npz")
    back = rom.load(tmp_path / "eim.npz", function_=g)
    assert np.array_equal(back.interpolate_function(1.5), e.interpolate_function([1.5]))
    with pytest.raises(ValueError, match="mu: expected parameter sets of 1 values"):
        e.interpolate_function([1.5, 2.0])
    with pytest.raises(RuntimeError, match="fitted on snapshots"):
        EIM(max_terms=3).fit(np.exp(-np.outer(x, [1.0, 2.0, 3.0]))).interpolate_function(1.0)


def test_progress_bar_does_not_change_the_greedy(S):
    quiet = EIM(max_terms=10).fit(S, progress=False)
    shown = EIM(max_terms=10).fit(S, progress=True)
    assert np.array_equal(quiet.points_, shown.points_)
    assert np.array_equal(quiet.basis_, shown.basis_)
