"""LogDet: accuracy, estimates, general and complex families, callables, saving."""

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse

import rom
from fem_examples import diffusion_1d
from rom.affine import AffineOperator, LinearCoefficients
from rom.matfun import LogDet, exact_logdet
from tests.matfun.families import gp_covariance, load_with, random_spd_family


def test_logdet_thermal_block_within_tolerance_and_estimate(block, block_logdet):
    model, space = block
    ld = block_logdet
    assert ld.stop_reason_ == "tol"
    test = space.sample(60, random_state=7)
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


def test_logdet_converges_on_a_denserandom_spd_family():
    op = random_spd_family(n=20)
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

    op = random_spd_family(n=10)
    train = np.random.default_rng(3).uniform(0.1, 5.0, size=(600, 2))
    serial = LogDet(op, tol=1e-3).fit(train)
    with ThreadPoolExecutor(2) as pool:
        parallel = LogDet(op, tol=1e-3).fit(train, executor=pool)
    assert np.array_equal(serial.values_, parallel.values_)
    assert np.array_equal(serial.parameters_, parallel.parameters_)


def test_logdet_of_a_callable_matches_the_analytic_value():
    def assemble(mu):
        return np.diag([1.0 + mu[0], 2.0 + np.sin(mu[0]), 3.0 + mu[0] ** 2])

    ld = LogDet(assemble, tol=1e-12).fit(np.linspace(-0.5, 1.5, 400)[:, None])
    mus = np.linspace(-0.5, 1.5, 17)
    exact = np.log(1.0 + mus) + np.log(2.0 + np.sin(mus)) + np.log(3.0 + mus**2)
    assert np.allclose(ld.evaluate(mus.reshape(-1, 1)), exact, atol=1e-10)
    assert ld(0.3) == pytest.approx(np.log(1.3 * (2 + np.sin(0.3)) * 3.09), abs=1e-10)


def test_logdet_is_exact_for_a_one_term_family():
    # log det (mu A1) = n log mu + log det A1: homogeneity leaves nothing to interpolate
    A1 = random_spd_family(n=12).terms[1]
    op = AffineOperator([A1], LinearCoefficients.identity(1))
    ld = LogDet(op).fit(np.linspace(0.01, 100.0, 30)[:, None])
    assert ld.n_terms_ == 1 and ld.stop_reason_ == "exhausted"
    assert ld([7.0]) == pytest.approx(np.linalg.slogdet(7.0 * A1)[1], rel=1e-12)


def test_logdet_general_nonsymmetric_family():
    n = 60
    K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    C = scipy.sparse.diags([-np.ones(n - 1), np.ones(n - 1)], [-1, 1])  # convection, skew
    op = AffineOperator([K, C], LinearCoefficients([[0.0], [1.0]], offset=[1.0, 0.0]))
    with pytest.raises(ValueError, match="symmetric"):
        LogDet(op).fit(np.linspace(0.0, 0.9, 1000)[:, None])
    ld = LogDet(op, tol=1e-10, spd=False).fit(np.linspace(0.0, 0.9, 1000)[:, None])
    mus = np.array([0.05, 0.33, 0.71])
    exact = [np.linalg.slogdet(op.assemble([m]).toarray())[1] for m in mus]
    assert np.allclose(ld.evaluate(mus.reshape(-1, 1)), exact, rtol=1e-8)


def test_logdet_complex_non_hermitian_family_log_abs_det():
    model, space, _ = diffusion_1d.build(n=40, segments=2, complex_shift=0.5)
    train = np.vstack([space.grid(2), space.sample(1024, "sobol", random_state=1)])
    ld = LogDet(model, tol=1e-6, spd=False).fit(train)
    test = space.sample(10, random_state=4)
    exact = np.array([np.linalg.slogdet(model.operator.assemble(m).toarray())[1] for m in test])
    assert np.abs(ld.evaluate(test) - exact).max() <= 1e-6 * ld.scale_


def test_logdet_save_and_load_round_trip(tmp_path, block, block_logdet):
    model, space = block
    path = tmp_path / "logdet.npz"
    block_logdet.save(path)
    # the operator (a full-order model) is a part, given back by name
    assert "operator" in rom.io.read_header(path)["parts"]
    with pytest.raises(ValueError, match=r"operator=\.\.\."):
        rom.load(path)
    loaded = load_with(path, operator=model, parameter_space_=space)
    assert loaded.operator is model and repr(loaded) == repr(block_logdet)
    mus = space.sample(5, random_state=3)
    assert np.allclose(loaded.evaluate(mus), block_logdet.evaluate(mus), rtol=1e-14)
    assert loaded.parameter_space_ == space
    with pytest.raises(ValueError):
        loaded.evaluate([[5.0, 0.5, 0.5, 0.5]])  # outside the parameter space
    # coefficients theta(mu) that are a user's callable are a part too
    op = AffineOperator([np.eye(3), np.diag([1.0, 2.0, 3.0])], lambda mu: [1.0, mu[0]])
    ld = LogDet(op, max_terms=3).fit(np.linspace(0.0, 1.0, 30)[:, None])
    ld.save(tmp_path / "callable.npz")
    assert set(rom.io.read_header(tmp_path / "callable.npz")["parts"]) == {
        "operator",
        "coefficients",
    }
    with pytest.raises(ValueError, match="coefficients"):
        rom.load(tmp_path / "callable.npz", operator=op)
    back = rom.load(tmp_path / "callable.npz", operator=op, coefficients=op.coefficients)
    mus = np.linspace(0.0, 1.0, 7)[:, None]
    assert np.array_equal(back.evaluate(mus), ld.evaluate(mus))


def test_logdet_refits_after_loading_with_its_operator(tmp_path):
    op = random_spd_family(n=8)
    train = np.random.default_rng(4).uniform(0.1, 2.0, size=(400, 2))
    ld = LogDet(op, tol=1e-4, max_terms=30).fit(train)
    ld.save(tmp_path / "ld.npz")
    back = rom.load(tmp_path / "ld.npz", operator=op)
    assert back.operator is op
    refit = back.fit(train)
    assert refit is back
    assert np.array_equal(refit.values_, ld.values_)
    assert np.array_equal(refit.parameters_, ld.parameters_)


def test_logdet_of_a_gaussian_process_covariance_matches_cholesky():
    from scipy.stats import qmc

    covariance = gp_covariance()
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
