import numpy as np
import pytest

import rom
from fem_examples import diffusion_1d, thermal_block
from rom.linalg import column_norms, factorize
from rom.rb import MinTheta, ReducedBasis


@pytest.fixture(scope="module")
def block():
    model, space = thermal_block.build((2, 2), resolution=30)
    return model, space, thermal_block.coercivity_bound((2, 2))


@pytest.fixture(scope="module")
def accurate(block):
    model, space, coercivity = block
    rb = ReducedBasis(model, coercivity, tol=1e-13)
    return rb.fit(space.grid(4))


@pytest.fixture(scope="module")
def test_set(block):
    model, space, _ = block
    mus = space.sample(25, random_state=7)
    U = model.solve_many(mus)
    return mus, U, column_norms(U, model.inner)


def _direct_residual(model, mu, u_N):
    """||f - A u_N||_{X'} by a full solve with the inner-product matrix."""
    r = model.rhs.assemble(mu) - model.operator.apply(mu, u_N)
    return float(np.sqrt(r @ factorize(model.inner).solve(r)))


def test_basis_is_orthonormal_and_reproduces_selected_snapshots(block, accurate):
    model, _, _ = block
    V = accurate.basis_
    assert np.abs(V.T @ (model.inner @ V) - np.eye(accurate.size)).max() < 1e-12
    red = accurate.reduced_model_
    for mu in accurate.greedy_result_.selected:
        u = model.solve(mu)
        err = column_norms((u - red.reconstruct(red.solve(mu)))[:, None], model.inner)[0]
        assert err <= 1e-10 * column_norms(u[:, None], model.inner)[0]


def test_reduced_equals_galerkin_projection(block, accurate):
    model, _, _ = block
    mu = np.array([0.3, 0.9, 0.2, 0.6])
    V = accurate.basis_[:, :8]
    A = model.operator.assemble(mu)
    direct = np.linalg.solve(V.T @ (A @ V), V.T @ model.rhs.assemble(mu))
    assert np.allclose(accurate.reduced_model(8).solve(mu), direct, rtol=1e-10)


def test_accurate_bound_holds_down_to_1e_12(block, accurate, test_set):
    model, _, _ = block
    mus, U, norms = test_set
    checked = 0
    for N in range(2, accurate.size + 1, 2):
        red = accurate.reduced_model(N)
        a, bound = red.solve_and_estimate(mus)
        err = column_norms(U - red.reconstruct(a), model.inner)
        resolved = err > 1e-12 * norms  # below, the full solution is itself round-off
        assert np.all(bound[resolved] >= err[resolved])
        checked += resolved.sum()
        # the residual follows the direct computation to a few digits, whatever its size
        i = int(np.argmin(bound))
        r_direct = _direct_residual(model, mus[i], red.reconstruct(a[i]))
        assert red.residual_norm(mus[i]) == pytest.approx(r_direct, rel=1e-2, abs=1e-14 * norms[i])
    assert checked > 100
    final = accurate.reduced_model_.estimate(mus) / norms
    assert np.median(final) < 1e-12 and final.max() < 3e-12  # the bound reaches 1e-12


def test_classical_estimator_stagnates_near_sqrt_eps(block, accurate, test_set):
    model, _, coercivity = block
    mus, _U, _norms = test_set
    classical = ReducedBasis(model, coercivity, estimator="classical")
    classical.extend(accurate.basis_)
    assert classical.size == accurate.size
    red_c, red_a = classical.reduced_model_, accurate.reduced_model_
    r_a = red_a.residual_norm(mus)
    r_c = red_c.residual_norm(mus)
    f_norm = np.array([_direct_residual(model, mu, np.zeros(model.size)) for mu in mus])
    # the accurate residual is small and tracks the truth ...
    assert np.max(r_a / f_norm) < 1e-11
    i = 0
    r_direct = _direct_residual(model, mus[i], red_a.reconstruct(red_a.solve(mus[i])))
    assert r_a[i] == pytest.approx(r_direct, rel=1e-2)
    # ... while the classical formula cannot go below ~sqrt(eps) ||f||: c^H G c is
    # round-off of size eps ||f||^2, so it returns noise near 1e-8 ||f|| or, when
    # the noise is negative, 0 (an uncertified bound)
    wrong = (r_c < 0.5 * r_a) | (r_c > 1e3 * r_a)
    assert np.all(wrong)
    assert (r_c == 0).any() and (r_c / f_norm).max() > 1e-10
    assert np.all(r_c / f_norm < 1e-6)
    # for large residuals (small bases) both agree
    a_small = accurate.reduced_model(3).residual_norm(mus)
    c_small = ReducedBasis(model, coercivity, estimator="classical")
    c_small.extend(accurate.basis_[:, :3])
    assert np.allclose(c_small.reduced_model_.residual_norm(mus), a_small, rtol=1e-6)


@pytest.mark.filterwarnings("ignore:classical estimator:RuntimeWarning")
def test_both_estimators_certify_above_1e_7(block):
    model, space, coercivity = block
    mus = space.sample(15, random_state=3)
    U = model.solve_many(mus)
    for estimator in ("classical", "accurate"):
        rb = ReducedBasis(model, coercivity, estimator=estimator, tol=1e-6)
        rb.fit(space.grid(3))
        red = rb.reduced_model_
        a, bound = red.solve_and_estimate(mus)
        err = column_norms(U - red.reconstruct(a), model.inner)
        big = err > 1e-7 * column_norms(U, model.inner)
        assert np.all(bound[big] >= err[big])


def test_compliant_output_bound(block, accurate, test_set):
    model, _, _ = block
    mus, U, _ = test_set
    red = accurate.reduced_model(10)
    s_N, bound = red.output(mus)
    s = np.array([model.rhs.assemble(mu) @ U[:, k] for k, mu in enumerate(mus)])
    assert np.all(np.abs(s - s_N) <= bound * (1 + 1e-8))
    assert np.all(s_N <= s + 1e-14)  # compliant and coercive: the reduced output is below


def test_complex_affine_system():
    model, space, coercivity = diffusion_1d.build(n=150, segments=4, complex_shift=2.0)
    rb = ReducedBasis(model, coercivity, tol=1e-10).fit(space.grid(3))
    assert np.iscomplexobj(rb.basis_)
    mus = space.sample(10, random_state=2)
    red = rb.reduced_model_
    a, bound = red.solve_and_estimate(mus)
    U = model.solve_many(mus)
    err = column_norms(U - red.reconstruct(a), model.inner)
    big = err > 1e-12 * column_norms(U, model.inner)
    assert np.all(bound[big] >= err[big])
    assert bound.max() < 1e-3 * column_norms(U, model.inner).min()
    train_bound = rb.reduced_model_.estimate(space.grid(3))
    assert train_bound.max() <= 1e-10 * rb.greedy_result_.errors[0]


def test_vectorised_equals_one_by_one(accurate, test_set):
    mus, _, _ = test_set
    red = accurate.reduced_model_
    a, b = red.solve_and_estimate(np.tile(mus, (4, 1)))  # > 64 rows: the parallel kernel
    for k in range(3):
        a1, b1 = red.solve_and_estimate(mus[k])
        assert np.allclose(a1, a[k], rtol=1e-12) and b1 == pytest.approx(b[k], rel=1e-10)


def test_save_load_round_trip(accurate, test_set, tmp_path):
    mus, _, _ = test_set
    red = accurate.reduced_model_
    red.save(tmp_path / "rb.npz")
    again = rom.load(tmp_path / "rb.npz")
    a, b = red.solve_and_estimate(mus)
    a2, b2 = again.solve_and_estimate(mus)
    assert np.array_equal(a, a2) and np.array_equal(b, b2)
    assert np.array_equal(red.output(mus)[0], again.output(mus)[0])
    with pytest.raises(ValueError, match="outside its bounds"):
        again.solve(np.full(4, 5.0))


def test_greedy_that_cannot_reach_tol_stops_with_its_reason(block):
    model, space, coercivity = block
    rb = ReducedBasis(model, coercivity, tol=1e-300, relative=False)
    with pytest.warns(RuntimeWarning, match="already in the span"):
        rb.fit(space.grid(2))
    assert rb.stop_reason_ == rb.greedy_result_.stop_reason == "degenerate"
    assert rb.size <= 16


def test_bad_input(block, accurate):
    model, _space, coercivity = block
    train = np.full((2, 4), 0.5)
    with pytest.raises(TypeError, match="model: expected a LinearModel"):
        ReducedBasis(object(), coercivity).fit(train)
    with pytest.raises(TypeError, match="coercivity"):
        ReducedBasis(model, 1.0).fit(train)
    with pytest.raises(ValueError, match="estimator: expected one of"):
        ReducedBasis(model, coercivity, estimator="fast").fit(train)
    with pytest.raises(ValueError, match="projection: 'minres' needs"):
        ReducedBasis(model, coercivity, estimator="classical", projection="minres").fit(train)
    with pytest.raises(ValueError, match="tol: expected"):
        ReducedBasis(model, coercivity, tol=-1.0).fit(train)
    with pytest.raises(ValueError, match="max_terms: expected"):
        ReducedBasis(model, coercivity, max_terms=-1).fit(train)
    with pytest.raises(TypeError, match="executor: expected"):
        ReducedBasis(model, coercivity).fit(train, executor=4)
    with pytest.raises(ValueError, match=r"training_set: parameter 'mu0' = 2\.0 is outside"):
        ReducedBasis(model, coercivity).fit(np.full((2, 4), 2.0))
    with pytest.raises(ValueError, match="training_set: expected 4 values"):
        ReducedBasis(model, coercivity).fit(np.full(3, 0.5))
    with pytest.raises(rom.NotFittedError, match="not fitted"):
        ReducedBasis(model, coercivity).reduced_model()
    with pytest.raises(ValueError, match="snapshots: expected 841 rows"):
        ReducedBasis(model, coercivity).extend(np.ones(5))
    red = accurate.reduced_model_
    with pytest.raises(ValueError, match="mu: expected 4 values"):
        red.solve([0.5, 0.5])
    with pytest.raises(ValueError, match="a: expected"):
        red.reconstruct(np.ones(red.size + 1))
    with pytest.raises(ValueError, match="size: expected"):
        accurate.reduced_model(accurate.size + 1)
    with pytest.raises(ValueError, match="alpha_ref: expected a positive number"):
        MinTheta(lambda mu: mu, [1.0], -1.0)([0.5])
    with pytest.raises(ValueError, match="mu_ref: min-theta needs"):
        MinTheta(lambda mu: mu - 1.0, [1.0], 1.0).many([[1.5], [1.7]])


def test_classical_estimator_warns_when_its_bound_collapses(block, accurate, test_set):
    model, _, coercivity = block
    mus, _, _ = test_set
    classical = ReducedBasis(model, coercivity, estimator="classical")
    classical.extend(accurate.basis_)
    with pytest.warns(RuntimeWarning, match="classical estimator: round-off"):
        bounds = classical.reduced_model_.estimate(mus)
    assert np.any(bounds == 0)


def test_output_bounds_for_non_hermitian_and_general_outputs():
    from rom.affine import AffineVector
    from rom.rb import LinearModel

    model, space, coercivity = diffusion_1d.build(n=120, segments=3, complex_shift=2.0)
    rb = ReducedBasis(model, coercivity, max_terms=4).fit(space.grid(3))
    mus = space.sample(12, random_state=4)
    s_N, bound = rb.reduced_model_.output(mus)
    s = np.array([model.output(mu) for mu in mus])
    assert np.all(np.abs(s - s_N) <= bound * (1 + 1e-10))  # compliant, non-Hermitian
    # a general output functional: |l^H (u - u_N)| <= ||l||_{X'} Delta
    x = np.linspace(0, 1, model.size + 2)[1:-1]
    general = LinearModel(
        model.operator, model.rhs, inner=model.inner, output=AffineVector(np.sin(np.pi * x))
    )
    rb2 = ReducedBasis(general, coercivity, max_terms=4)
    rb2.fit(space.grid(3))
    s_N, bound = rb2.reduced_model_.output(mus)
    s = np.array([general.output(mu) for mu in mus])
    assert np.all(np.abs(s - s_N) <= bound * (1 + 1e-10))
    assert np.all(bound > 0)


def test_pcg_snapshots_give_the_same_certified_basis(block, test_set):
    """solver="pcg" (CG preconditioned by the factorised inner product, warm-started
    from the reduced solution): the greedy reaches the same accuracy, and its bounds
    still hold, since they measure the reduced solution's residual in the full model."""
    model, space, coercivity = block
    pcg = rom.rb.LinearModel(
        model.operator,
        model.rhs,
        inner=model.inner,
        output=model.output_functional,
        solver="pcg",
    )
    mus, U, norms = test_set
    u = pcg.solve(mus[0])
    assert column_norms((u - U[:, 0])[:, None], model.inner)[0] <= 1e-11 * norms[0]
    train = space.sample(40, random_state=3)  # no symmetric ties: both greedies pick alike
    rb_lu = ReducedBasis(model, coercivity, max_terms=12).fit(train)
    rb_pcg = ReducedBasis(pcg, coercivity, max_terms=12).fit(train)
    assert np.array_equal(
        rb_lu.greedy_result_.selected_indices, rb_pcg.greedy_result_.selected_indices
    )
    assert np.allclose(rb_pcg.greedy_result_.errors, rb_lu.greedy_result_.errors, rtol=1e-6)
    red = rb_pcg.reduced_model_
    bounds = red.estimate(mus)
    errors = column_norms(U - red.basis @ red.solve(mus).T, model.inner)
    assert np.all(bounds >= errors)
    # the preconditioner is the inner product's factorisation, made once and shared
    assert pcg.inner_solver is pcg.inner_solver
    with pytest.raises(ValueError, match="'pcg' is preconditioned by the inner product"):
        rom.rb.LinearModel(model.operator, model.rhs, solver="pcg")


def test_models_with_a_factorised_inner_product_pickle(block):
    import pickle

    model, _, _ = block
    assert model.inner_solver is not None
    copy = pickle.loads(pickle.dumps(model))
    assert copy._inner_solver is None
    assert np.allclose(copy.solve([0.5, 0.2, 0.9, 0.4]), model.solve([0.5, 0.2, 0.9, 0.4]))


def test_fused_online_query_equals_the_generic_path(block, accurate, test_set):
    """Affine coefficients and min-theta: the whole query runs in one compiled call;
    it must give what the generic path gives (coefficients as opaque callables)."""
    import copy

    mus = test_set[0]
    fast = accurate.reduced_model_
    assert fast._fused_arguments(mus.shape[1]) is not None
    slow = copy.copy(fast)
    slow.__dict__.pop("_fused_cache", None)
    theta_A, theta_f = fast.operator_coefficients, fast.rhs_coefficients
    slow.operator_coefficients = lambda mu: theta_A(mu)
    slow.rhs_coefficients = lambda mu: theta_f(mu)
    assert slow._fused_arguments(mus.shape[1]) is None
    for rows in (mus[:1], mus, np.repeat(mus, 4, axis=0)):  # serial and parallel kernels
        a1, b1 = fast.solve_and_estimate(rows)
        a2, b2 = slow.solve_and_estimate(rows)
        assert np.allclose(a1, a2, rtol=1e-13, atol=1e-15)
        assert np.allclose(b1, b2, rtol=1e-10, atol=1e-300)
    a1, b1 = fast.solve_and_estimate(mus[3])
    assert np.ndim(b1) == 0 and np.allclose(b1, slow.estimate(mus[3]))
