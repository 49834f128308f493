"""The EIM contribution to the error indicator of nonintrusive reduced models.

With a coarse matrix EIM, the residual of the approximated system misses most of the
true error ``||u(mu) - u_N(mu)||_X`` (u the solution of the true, nonaffine system);
the indicator with the estimated EIM contribution is above it. With a fine EIM the
contribution is negligible, and for exactly affine models nothing changes.
"""

import contextlib
import warnings

import numpy as np
import pytest
from scipy.sparse.linalg import spsolve

try:  # a scikit-learn dependency
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover

    def threadpool_limits(limits):
        return contextlib.nullcontext()


from fem_examples.nonaffine_1d import HelmholtzProblem, Problem
from rom.affine import AffineOperator, LinearCoefficients
from rom.eim import MatrixEIM, VectorEIM
from rom.io import load, save
from rom.linalg import column_norms
from rom.rb import InfSupEstimate, LinearModel, MinTheta, ReducedBasis


def _grid(first, second):
    a, b = np.meshgrid(first, second, indexing="ij")
    return np.stack([a.ravel(), b.ravel()], axis=1)


def _reduce(meim, rhs, inner, stability, greedy_set, projection="galerkin", tol=1e-8):
    model = LinearModel(meim.to_affine(), rhs, inner=inner)
    rb = ReducedBasis(model, stability, projection=projection, tol=tol)
    return rb.fit(greedy_set)


@pytest.fixture(scope="module")
def real():
    with threadpool_limits(1):
        p = Problem(n=100)
        train = _grid(np.linspace(1, 10, 3), np.linspace(0.2, 0.8, 30))
        X = p.assemble([0.0, 0.5])  # k = 1: A(mu) - X is positive semidefinite
        coercivity = lambda mu: 1.0  # noqa: E731  (exact lower bound for the true A)
        greedy_set = p.space.grid(6)
        coarse = _reduce(
            MatrixEIM(max_terms=8).fit(p.assemble, train), p.rhs, X, coercivity, greedy_set
        )
        fine = _reduce(
            MatrixEIM(tol=1e-11).fit(p.assemble, train), p.rhs, X, coercivity, greedy_set
        )
        test = p.space.sample(30, random_state=7)
        U = np.stack([p.solve(mu) for mu in test], axis=1)
    return p, X, coarse, fine, test, U


@pytest.fixture(scope="module")
def helmholtz():
    with threadpool_limits(1):
        h = HelmholtzProblem(n=80)
        train = _grid(np.linspace(1, 5, 6), np.linspace(0.3, 0.7, 20))
        stability = InfSupEstimate(h.assemble, h.inner).fit(h.space.grid(5))
        greedy_set = h.space.grid(7)
        args = (h.rhs, h.inner, stability, greedy_set, "minres")
        coarse = _reduce(MatrixEIM(max_terms=6).fit(h.assemble, train), *args)
        fine = _reduce(MatrixEIM(tol=1e-12).fit(h.assemble, train), *args)
        test = h.space.sample(30, random_state=7)
        U = np.stack([h.solve(mu) for mu in test], axis=1)
    return h, h.inner, coarse, fine, test, U


def _errors(rb, test, U, inner):
    red = rb.reduced_model_
    a, (residual, eim) = red.solve_and_estimate(test, parts=True)
    true = column_norms(U - red.reconstruct(a), inner)
    return residual, eim, true, column_norms(U, inner)


@pytest.mark.parametrize("name", ["real", "helmholtz"])
def test_coarse_eim_contribution_covers_the_true_error(name, request):
    _, inner, coarse, _, test, U = request.getfixturevalue(name)
    residual, eim, true, norms = _errors(coarse, test, U, inner)
    assert true.max() > 1e-2 * norms.max()  # a deliberately coarse EIM: large errors
    # the residual of the approximated system misses them ...
    assert np.mean(residual < true) > 0.5 and np.min(residual / true) < 1e-2
    # ... the estimate with the EIM contribution does not, and is not absurdly large
    effectivity = (residual + eim) / true
    assert effectivity.min() >= 1 and effectivity.max() < 100
    # the default estimate is the sum of the two parts
    total = coarse.reduced_model_.estimate(test)
    np.testing.assert_allclose(total, residual + eim, rtol=1e-13)


@pytest.mark.parametrize("name", ["real", "helmholtz"])
def test_fine_eim_contribution_is_negligible(name, request):
    _, inner, _, fine, test, U = request.getfixturevalue(name)
    residual, eim, true, norms = _errors(fine, test, U, inner)
    assert eim.max() < 1e-7 * norms.max()
    assert np.all(eim < 0.1 * residual)  # the reduction error dominates
    assert np.all(residual >= true)


def test_eim_part_equals_the_full_order_dual_norm(real):
    _, X, coarse, _, test, _ = real
    red = coarse.reduced_model_
    E = coarse.model.operator.eim_error
    for mu in test[:3]:
        a = red.solve(mu)
        g = E.apply(mu, red.reconstruct(a))
        direct = np.sqrt(g @ np.linalg.solve(X.toarray(), g))  # ||E(mu) u_N||_{X'}
        # the EIM part divided by the coercivity constant 1
        assert red.estimate(mu, parts=True)[1] == pytest.approx(direct, rel=1e-9)


def test_greedy_and_residual_part_do_not_see_the_eim_part(real):
    p, X, coarse, _, test, _ = real
    op = coarse.model.operator
    bare = AffineOperator(op.terms, op.coefficients)  # the same operator, no estimate
    assert bare.eim_error is None
    rb = ReducedBasis(LinearModel(bare, p.rhs, inner=X), coarse.coercivity, tol=1e-8)
    rb.fit(p.space.grid(6))
    assert np.array_equal(rb.basis_, coarse.basis_)
    with_eim, without = coarse.reduced_model_, rb.reduced_model_
    assert with_eim.has_eim_error and not without.has_eim_error
    np.testing.assert_array_equal(with_eim.estimate(test, parts=True)[0], without.estimate(test))
    residual, eim = without.estimate(test, parts=True)
    np.testing.assert_array_equal(residual, without.estimate(test))
    assert np.all(eim == 0)


def test_rhs_eim_contribution(real):
    p, X, _, fine, test, _ = real
    x = np.arange(1, p.n) * p.h

    def rhs(mu):
        return p.h * np.exp(-(((x - mu[1]) / 0.1) ** 2))

    train = np.stack([np.full(60, 5.0), np.linspace(0.2, 0.8, 60)], axis=1)
    veim = VectorEIM(max_terms=6).fit(rhs, train)
    operator = fine.model.operator
    rb = ReducedBasis(LinearModel(operator, veim.to_affine(), inner=X), lambda mu: 1.0, tol=1e-8)
    rb.fit(p.space.grid(6))
    red = rb.reduced_model_
    a, (residual, eim) = red.solve_and_estimate(test[:10], parts=True)
    U = np.stack([spsolve(p.assemble(mu).tocsc(), rhs(mu)) for mu in test[:10]], axis=1)
    true = column_norms(U - red.reconstruct(a), X)
    assert true.max() > 1e-2 * column_norms(U, X).max()
    assert np.min(residual / true) < 1e-2
    assert np.all((residual + eim) / true >= 1) and np.all((residual + eim) / true < 100)


def test_save_load_keeps_or_drops_the_eim_part(tmp_path):
    n = 30
    K = np.diag(np.full(n, 2.0)) - np.eye(n, k=1) - np.eye(n, k=-1)
    theta = LinearCoefficients([[1.0], [0.0]], offset=[0.0, 1.0])
    op = AffineOperator([K, np.eye(n)], theta)
    op.eim_error = AffineOperator([1e-3 * np.eye(n)], LinearCoefficients([[1.0]]))
    model = LinearModel(op, np.ones(n), inner=K + np.eye(n))
    rb = ReducedBasis(model, MinTheta(theta, [1.0], 1.0))
    rb.extend(model.solve([1.0]))
    red = rb.reduced_model_
    mus = np.linspace(0.5, 2, 5)[:, None]
    parts = red.estimate(mus, parts=True)
    assert np.all(parts[1] > 0)
    save(red, tmp_path / "kept.npz")
    again = load(tmp_path / "kept.npz")
    for x, y in zip(again.estimate(mus, parts=True), parts, strict=True):
        np.testing.assert_allclose(x, y, rtol=1e-13)
    # coefficient functions that read matrix entries are Python callables: parts
    tail = lambda mu: [float(mu[0])]  # noqa: E731
    red.eim_operator_coefficients = tail
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        save(red, tmp_path / "parts.npz")
    with pytest.raises(ValueError, match=r"eim_operator_coefficients=\.\.\."):
        load(tmp_path / "parts.npz")
    full = load(tmp_path / "parts.npz", eim_operator_coefficients=tail)
    assert full.has_eim_error and full.eim_note is None
    np.testing.assert_allclose(full.estimate(mus), red.estimate(mus), rtol=1e-13)
    # given back as None: the EIM part is dropped, and the model says so
    with pytest.warns(RuntimeWarning, match="residual-only"):
        loaded = load(tmp_path / "parts.npz", eim_operator_coefficients=None)
    assert not loaded.has_eim_error and "residual-only" in loaded.eim_note
    np.testing.assert_allclose(loaded.estimate(mus), parts[0], rtol=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert loaded.estimate(mus, parts=True)[1].max() == 0


def test_bad_eim_error(real):
    p, X, *_ = real
    op = AffineOperator([p.assemble([1.0, 0.5])], lambda mu: [1.0])
    op.eim_error = np.eye(3)
    with pytest.raises(TypeError, match="eim_error"):
        ReducedBasis(LinearModel(op, p.rhs, inner=X), lambda mu: 1.0).fit([[1.0, 0.5]])
    rb = ReducedBasis(
        LinearModel(AffineOperator(op.terms, op.coefficients), p.rhs), lambda mu: 1.0
    )
    rb.extend(np.ones(p.rhs.size))
    red = rb.reduced_model_
    with pytest.raises(TypeError, match="parts"):
        red.estimate([1.0, 0.5], parts="yes")
