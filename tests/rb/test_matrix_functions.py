import numpy as np
import pytest
import scipy.linalg
import scipy.sparse
import scipy.sparse.linalg
from scipy.spatial.distance import cdist

import rom
from fem_examples import diffusion_1d, thermal_block
from rom import NotFittedError
from rom.affine import AffineOperator, LinearCoefficients
from rom.rb.matrix_functions import InverseApproximation, LogDet, exact_logdet


@pytest.fixture(scope="module")
def block():
    model, space = thermal_block.build((2, 2), resolution=10)
    return model, space


def _training(space, n):
    """Sobol points plus the corners: the interpolation must not extrapolate."""
    return np.vstack([space.sample(2, method="grid"), space.sample(n, method="sobol", seed=0)])


@pytest.fixture(scope="module")
def block_logdet(block):
    model, space = block
    return LogDet(model, tol=1e-3).fit(_training(space, 2000))


@pytest.fixture(scope="module")
def block_inverse(block):
    model, space = block
    return (
        model,
        space,
        InverseApproximation(model, tol=0.1, max_terms=100).fit(_training(space, 900)),
    )


def _random_spd_family(n=40, seed=0):
    rng = np.random.default_rng(seed)
    terms = []
    for _ in range(3):
        G = rng.standard_normal((n, n))
        terms.append(G @ G.T / n + 0.5 * np.eye(n))
    # A(mu) = A0 + mu0 A1 + mu1 A2
    theta = LinearCoefficients([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]], offset=[1.0, 0.0, 0.0])
    return AffineOperator(terms, theta)


# ------------------------------------------------------------------ exact_logdet
def test_exact_logdet_matches_numpy_dense_sparse_and_general():
    rng = np.random.default_rng(1)
    G = rng.standard_normal((30, 30))
    S = G @ G.T + 30 * np.eye(30)
    assert exact_logdet(S) == pytest.approx(np.linalg.slogdet(S)[1], rel=1e-13)
    assert exact_logdet(scipy.sparse.csr_matrix(S)) == pytest.approx(
        np.linalg.slogdet(S)[1], rel=1e-12
    )
    N = G + 0.1 * np.eye(30)  # general, either sign
    sign, value = exact_logdet(scipy.sparse.csc_matrix(N), spd=False, return_sign=True)
    ref_sign, ref_value = np.linalg.slogdet(N)
    assert sign == ref_sign and value == pytest.approx(ref_value, rel=1e-12)
    H = S + 1j * (G - G.T)  # Hermitian positive definite
    assert exact_logdet(scipy.sparse.csr_matrix(H)) == pytest.approx(
        np.linalg.slogdet(H)[1], rel=1e-12
    )


def test_exact_logdet_refuses_matrices_that_are_not_spd():
    indefinite = np.diag([1.0, -2.0, 3.0])
    with pytest.raises(ValueError, match="positive definite"):
        exact_logdet(indefinite)
    with pytest.raises(ValueError, match="positive definite"):
        exact_logdet(scipy.sparse.csr_matrix(indefinite))
    with pytest.raises(ValueError, match="symmetric"):
        exact_logdet(np.array([[2.0, 1.0], [0.0, 2.0]]))
    with pytest.raises(ValueError, match="square"):
        exact_logdet(np.ones((2, 3)))
    assert exact_logdet(indefinite, spd=False) == pytest.approx(np.log(6.0))


# ------------------------------------------------------------------------ LogDet
def test_logdet_thermal_block_within_tolerance_and_estimate(block, block_logdet):
    model, space = block
    ld = block_logdet
    assert ld.stop_reason_ == "tol"
    test = space.sample(60, seed=7)
    exact = np.array([exact_logdet(model.operator.assemble(mu)) for mu in test])
    values, estimates = ld.evaluate(test, return_estimate=True)
    errors = np.abs(values - exact)
    assert errors.max() <= ld.tol * ld.scale_
    assert errors.max() <= estimates.max()
    assert np.mean(errors <= estimates) >= 0.9


def test_logdet_interpolates_at_the_selected_parameters(block, block_logdet):
    model, _ = block
    ld = block_logdet
    assert np.allclose(ld.evaluate(ld.parameters_), ld.values_, rtol=1e-11, atol=1e-9)
    for mu, value in zip(ld.parameters_[:3], ld.values_[:3], strict=True):
        assert value == pytest.approx(exact_logdet(model.operator.assemble(mu)), rel=1e-12)
    assert ld.levels_[-1] == ld.n_terms_ and np.all(np.diff(ld.levels_) > 0)


def test_logdet_converges_on_a_dense_random_spd_family():
    op = _random_spd_family(n=20)
    rng = np.random.default_rng(2)
    train = rng.uniform(0.1, 5.0, size=(2000, 2))
    train[:4] = [[0.1, 0.1], [0.1, 5.0], [5.0, 0.1], [5.0, 5.0]]
    test = rng.uniform(0.1, 5.0, size=(40, 2))
    exact = np.array([np.linalg.slogdet(op.assemble(mu))[1] for mu in test])
    errors = []
    for tol in (1e-3, 1e-6):
        ld = LogDet(op, tol=tol, bound=False).fit(train)
        values, estimates = ld.evaluate(test, return_estimate=True)
        err = np.abs(values - exact)
        assert err.max() <= tol * ld.scale_
        assert np.all(err <= estimates)
        errors.append(err.max())
    assert errors[1] < 1e-2 * errors[0]


def test_logdet_with_an_executor_matches_the_serial_fit():
    from concurrent.futures import ThreadPoolExecutor

    op = _random_spd_family(n=10)
    train = np.random.default_rng(3).uniform(0.1, 5.0, size=(600, 2))
    serial = LogDet(op, tol=1e-3).fit(train)
    with ThreadPoolExecutor(2) as pool:
        parallel = LogDet(op, tol=1e-3).fit(train, executor=pool)
    assert np.array_equal(serial.values_, parallel.values_)
    assert np.array_equal(serial.parameters_, parallel.parameters_)


def test_logdet_of_a_callable_matches_the_analytic_value():
    def assemble(mu):
        return np.diag([1.0 + mu[0], 2.0 + np.sin(mu[0]), 3.0 + mu[0] ** 2])

    ld = LogDet(assemble, tol=1e-12).fit(np.linspace(-0.5, 1.5, 400))
    mus = np.linspace(-0.5, 1.5, 17)
    exact = np.log(1.0 + mus) + np.log(2.0 + np.sin(mus)) + np.log(3.0 + mus**2)
    assert np.allclose(ld.evaluate(mus.reshape(-1, 1)), exact, atol=1e-10)
    assert ld(0.3) == pytest.approx(np.log(1.3 * (2 + np.sin(0.3)) * 3.09), abs=1e-10)


def test_logdet_is_exact_for_a_one_term_family():
    # log det (mu A1) = n log mu + log det A1: homogeneity leaves nothing to interpolate
    A1 = _random_spd_family(n=12).terms[1]
    op = AffineOperator([A1], LinearCoefficients.identity(1))
    ld = LogDet(op).fit(np.linspace(0.01, 100.0, 30))
    assert ld.n_terms_ == 1 and ld.stop_reason_ == "constant"
    assert ld([7.0]) == pytest.approx(np.linalg.slogdet(7.0 * A1)[1], rel=1e-12)


def test_logdet_general_nonsymmetric_family():
    n = 60
    K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    C = scipy.sparse.diags([-np.ones(n - 1), np.ones(n - 1)], [-1, 1])  # convection, skew
    op = AffineOperator([K, C], LinearCoefficients([[0.0], [1.0]], offset=[1.0, 0.0]))
    with pytest.raises(ValueError, match="symmetric"):
        LogDet(op).fit(np.linspace(0.0, 0.9, 1000))
    ld = LogDet(op, tol=1e-10, spd=False).fit(np.linspace(0.0, 0.9, 1000))
    mus = np.array([0.05, 0.33, 0.71])
    exact = [np.linalg.slogdet(op.assemble([m]).toarray())[1] for m in mus]
    assert np.allclose(ld.evaluate(mus.reshape(-1, 1)), exact, rtol=1e-8)


def test_logdet_complex_non_hermitian_family_log_abs_det():
    model, space, _ = diffusion_1d.build(n=40, segments=2, complex_shift=0.5)
    train = np.vstack([space.sample(2, method="grid"), space.sample(1024, "sobol", seed=1)])
    ld = LogDet(model, tol=1e-6, spd=False).fit(train)
    test = space.sample(10, seed=4)
    exact = np.array([np.linalg.slogdet(model.operator.assemble(m).toarray())[1] for m in test])
    assert np.abs(ld.evaluate(test) - exact).max() <= 1e-6 * ld.scale_


def test_logdet_save_and_load_round_trip(tmp_path, block, block_logdet):

    _, space = block
    path = tmp_path / "logdet.npz"
    block_logdet.save(path)
    loaded = rom.load(path)
    mus = space.sample(5, seed=3)
    assert np.allclose(loaded.evaluate(mus), block_logdet.evaluate(mus), rtol=1e-14)
    assert loaded.parameter_space_ == space
    with pytest.raises(ValueError):
        loaded.evaluate([[5.0, 0.5, 0.5, 0.5]])  # outside the parameter space
    op = AffineOperator([np.eye(3), np.diag([1.0, 2.0, 3.0])], lambda mu: [1.0, mu[0]])
    unsaveable = LogDet(op, max_terms=3).fit(np.linspace(0.0, 1.0, 30))
    with pytest.raises(TypeError, match="saved"):
        unsaveable.save(tmp_path / "no.npz")


# ---------------------------------------------------------- InverseApproximation
def _iterations(solver, A, b, **kwargs):
    count = [0]

    def callback(_):
        count[0] += 1

    _, info = solver(A, b, rtol=1e-8, maxiter=1000, callback=callback, **kwargs)
    assert info == 0
    return count[0]


def test_inverse_preconditions_gmres_and_cg(block_inverse):
    model, space, inv = block_inverse
    rng = np.random.default_rng(0)
    for mu in space.sample(3, seed=11):
        A = model.operator.assemble(mu)
        b = rng.standard_normal(A.shape[0])
        M = inv.as_linear_operator(mu)
        plain = _iterations(scipy.sparse.linalg.gmres, A, b, restart=300, callback_type="pr_norm")
        pre = _iterations(
            scipy.sparse.linalg.gmres, A, b, M=M, restart=300, callback_type="pr_norm"
        )
        assert pre * 10 <= plain
        assert _iterations(scipy.sparse.linalg.cg, A, b, M=M) * 10 <= _iterations(
            scipy.sparse.linalg.cg, A, b
        )


def test_inverse_error_below_estimate_and_tolerance(block_inverse):
    model, space, inv = block_inverse
    rng = np.random.default_rng(5)
    assert inv.stop_reason_ == "tol"
    for mu in space.sample(8, seed=12):
        A = model.operator.assemble(mu).tocsc()
        B = rng.standard_normal((A.shape[0], 2))
        exact = scipy.sparse.linalg.spsolve(A, B)
        x, estimate = inv.apply(mu, B, return_estimate=True)
        error = np.linalg.norm(x - exact, axis=0)
        assert x.shape == B.shape and estimate.shape == (2,)
        assert np.all(error <= estimate)
        assert np.all(error <= inv.tol * np.linalg.norm(exact, axis=0))


def test_inverse_coefficients_interpolate_and_combine_the_inverses(block_inverse):
    model, _, inv = block_inverse
    for m in (0, 3, inv.n_terms_ - 1):
        assert np.allclose(inv.coefficients(inv.parameters_[m]), np.eye(inv.n_terms_)[m])
    mu = np.array([0.3, 0.8, 0.5, 0.2])
    lam = inv.coefficients(mu)
    b = np.ones(model.size)
    combined = sum(
        c * scipy.sparse.linalg.spsolve(model.operator.assemble(p).tocsc(), b)
        for c, p in zip(lam, inv.parameters_, strict=True)
    )
    assert np.allclose(inv.apply(mu, b), combined, rtol=1e-10)
    assert np.array_equal(inv.solve(mu, b), inv.apply(mu, b))  # solve is an alias


def test_inverse_of_a_complex_family():
    model, space, _ = diffusion_1d.build(n=40, segments=2, complex_shift=0.5)
    train = np.vstack([space.sample(2, method="grid"), space.sample(512, "sobol", seed=2)])
    inv = InverseApproximation(model, tol=1e-3, max_terms=50).fit(train)
    mu = space.sample(1, seed=9)[0]
    A = model.operator.assemble(mu).tocsc()
    b = np.linspace(0.0, 1.0, model.size)
    exact = scipy.sparse.linalg.spsolve(A, b)
    assert np.iscomplexobj(inv.apply(mu, b))
    assert np.linalg.norm(inv.apply(mu, b) - exact) <= 1e-3 * np.linalg.norm(exact)


# -------------------------------------------------------------------- bad input
@pytest.mark.parametrize("cls", [LogDet, InverseApproximation])
def test_bad_input_is_refused_with_clear_errors(cls):
    op = _random_spd_family(n=8)
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
    inv = InverseApproximation(lambda mu: np.diag([1.0 + mu[0], 2.0])).fit(np.linspace(0, 1, 100))
    with pytest.raises(ValueError, match="b: expected 2 rows"):
        inv.apply([0.5], np.ones(3))
    with pytest.raises(ValueError, match="n_probes"):
        InverseApproximation(lambda mu: np.eye(2), n_probes=0).fit(np.linspace(0, 1, 9))
    with pytest.raises(ValueError, match="positive definite"):
        LogDet(lambda mu: np.diag([mu[0] - 0.5, 1.0])).fit(np.linspace(0, 1, 9))


# ------------------------------------------------------------ rigorous bounds
def test_logdet_bounds_bracket_the_exact_value_on_the_thermal_block(block, block_logdet):
    model, space = block
    ld = block_logdet
    assert ld.bound_ and ld.bound_note_ == "min-theta"
    test = np.vstack([space.sample(40, seed=8), space.sample(2, method="grid")])
    exact = np.array([exact_logdet(model.operator.assemble(mu)) for mu in test])
    lower, upper = ld.bounds(test)
    assert np.all(lower <= exact) and np.all(exact <= upper)
    values = ld.evaluate(test)
    bound = np.array([ld.error_bound(mu) for mu in test])
    assert np.all(np.abs(values - exact) <= bound)
    assert np.allclose(bound, np.maximum(upper - values, values - lower))
    # at a selected parameter the bracket closes on the exact value
    lo, up = ld.bounds(ld.parameters_[:5])
    assert np.allclose(lo, ld.values_[:5], rtol=1e-10) and np.allclose(up, lo, rtol=1e-10)


def test_logdet_bounds_with_an_indefinite_term():
    # A(mu) = K + I + mu D with D indefinite: only the Frobenius enclosure applies
    n = 30
    K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    D = scipy.sparse.diags(np.where(np.arange(n) % 2 == 0, 1.0, -1.0))
    op = AffineOperator([K + scipy.sparse.eye(n), D], LinearCoefficients([[0.0], [1.0]],
                        offset=[1.0, 0.0]))  # fmt: skip
    ld = LogDet(op, tol=1e-4, bound=True).fit(np.linspace(-0.5, 0.5, 400))
    assert ld.bound_note_ == "frobenius"
    mus = np.linspace(-0.5, 0.5, 23).reshape(-1, 1)
    exact = np.array([np.linalg.slogdet(op.assemble(m).toarray())[1] for m in mus])
    lower, upper = ld.bounds(mus)
    assert np.all(lower <= exact) and np.all(exact <= upper)
    # finite where a selected parameter is close enough (sqrt(n) sigma < mean), closed at one
    assert np.mean(np.isfinite(lower)) >= 0.5
    lo, up = ld.bounds(ld.parameters_)
    assert np.allclose(lo, ld.values_, rtol=1e-10) and np.allclose(up, ld.values_, rtol=1e-10)


def test_error_bound_is_refused_where_it_cannot_be_rigorous():
    def assemble(mu):
        return np.diag([1.0 + mu[0], 2.0])

    ld = LogDet(assemble, tol=1e-8).fit(np.linspace(0.0, 1.0, 200))
    assert not ld.bound_
    with pytest.raises(RuntimeError, match="not available"):
        ld.error_bound([0.5])
    assert ld.error_estimate([0.5]) == ld.evaluate([[0.5]], return_estimate=True)[1][0]
    with pytest.raises(ValueError, match="bound"):
        LogDet(assemble, bound=True).fit(np.linspace(0.0, 1.0, 20))
    with pytest.raises(ValueError, match="bound"):
        LogDet(assemble, bound="always").fit(np.linspace(0.0, 1.0, 20))


def test_logdet_refuses_an_affine_operator_that_is_not_spd():
    op = AffineOperator([np.eye(4), np.diag([1.0, -1.0, 0.5, 0.0])],
                        LinearCoefficients.identity(2))  # fmt: skip
    train = np.column_stack([np.ones(50), np.linspace(-2.0, 2.0, 50)])
    with pytest.raises(ValueError, match="positive definite"):
        LogDet(op).fit(train)


# --------------------------------------------- Gaussian-process covariance
def _gp_covariance(n=150, seed=0):
    """Matern-3/2 covariance on random points of the unit square, length scale and nugget."""
    x = np.random.default_rng(seed).uniform(size=(n, 2))
    distances = cdist(x, x)

    def covariance(mu):
        length, nugget = mu
        r = np.sqrt(3.0) * distances / length
        return (1.0 + r) * np.exp(-r) + nugget**2 * np.eye(n)

    return covariance


def test_logdet_of_a_gaussian_process_covariance_matches_cholesky():
    from scipy.stats import qmc

    covariance = _gp_covariance()
    low, high = np.array([0.05, 0.05]), np.array([0.5, 0.5])
    corners = np.array([[0.05, 0.05], [0.05, 0.5], [0.5, 0.05], [0.5, 0.5]])
    train = np.vstack([corners, low * (high / low) ** qmc.Sobol(2, seed=0).random(2048)])
    ld = LogDet(covariance, tol=1e-5).fit(train)
    assert ld.stop_reason_ == "tol" and not ld.bound_
    test = low * (high / low) ** np.random.default_rng(1).uniform(size=(15, 2))
    exact = np.array(
        [2 * np.sum(np.log(np.diag(scipy.linalg.cholesky(covariance(mu))))) for mu in test]
    )
    values, estimates = ld.evaluate(test, return_estimate=True)
    errors = np.abs(values - exact)
    assert errors.max() <= 1e-5 * ld.scale_
    assert np.mean(errors <= estimates) >= 0.8
    assert ld(test[0]) == pytest.approx(exact[0], rel=1e-5)


def test_logdet_save_and_load_keeps_the_bounds(tmp_path, block, block_logdet):

    _, space = block
    block_logdet.save(tmp_path / "bounded.npz")
    loaded = rom.load(tmp_path / "bounded.npz")
    mus = space.sample(4, seed=5)
    assert loaded.operator is None and loaded.bound_
    for a, b in zip(loaded.bounds(mus), block_logdet.bounds(mus), strict=True):
        assert np.allclose(a, b, rtol=1e-14)
    assert loaded.error_bound(mus[0]) == pytest.approx(block_logdet.error_bound(mus[0]))
    with pytest.raises(TypeError, match="operator"):
        loaded.fit(mus)
