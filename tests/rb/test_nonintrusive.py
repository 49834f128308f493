"""Nonintrusive reduced basis: MatrixEIM operators through ReducedBasis, non-coercive."""

import numpy as np
import pytest

import rom
from fem_examples.nonaffine_1d import HelmholtzProblem
from rom.eim import MatrixEIM
from rom.linalg import column_norms
from rom.rb import InfSupEstimate, LinearModel, ReducedBasis, inf_sup_constant


@pytest.fixture(scope="module")
def setting():
    p = HelmholtzProblem(n=200)
    k, c = np.meshgrid(np.linspace(1, 5, 9), np.linspace(0.3, 0.7, 41), indexing="ij")
    train = np.stack([k.ravel(), c.ravel()], axis=1)
    meim = MatrixEIM(tol=1e-12).fit(p.assemble, train)
    model = LinearModel(meim.to_affine(), p.rhs, inner=p.inner, parameter_space=p.space)
    stability = InfSupEstimate(p.assemble, p.inner).fit(p.space.grid(9))
    rb = ReducedBasis(model, stability, projection="minres", tol=1e-9)
    rb.fit(p.space.grid(12))
    return p, meim, model, stability, rb


def test_eim_model_matches_the_true_operator(setting):
    p, _meim, model, _, _ = setting
    for mu in p.space.sample(6, random_state=1):
        u, ref = model.solve(mu), p.solve(mu)
        assert np.linalg.norm(u - ref) <= 1e-8 * np.linalg.norm(ref)


def test_reduced_model_matches_the_full_solution_across_a_sweep(setting):
    p, _, _model, _, rb = setting
    red = rb.reduced_model_
    assert rb.size < 60
    sweep = np.stack([np.linspace(1, 5, 40), np.full(40, 0.47)], axis=1)
    a = red.solve(sweep)
    for mu, coef in zip(sweep, a, strict=True):
        ref = p.solve(mu)
        err = column_norms((red.reconstruct(coef) - ref)[:, None], p.inner)[0]
        assert err <= 1e-6 * column_norms(ref[:, None], p.inner)[0]


def test_stability_estimate_is_labelled_and_close(setting):
    p, _, _, stability, _ = setting
    assert stability.certified is False
    for mu in p.space.sample(5, random_state=4):
        exact = inf_sup_constant(p.assemble(mu), p.inner)
        assert stability(mu) <= 2 * exact  # an estimate of the right size, not a bound


def test_error_indicator_tracks_the_error(setting):
    p, _, model, _, rb = setting
    mus = p.space.sample(15, random_state=2)
    red = rb.reduced_model(rb.size // 2)
    a, indicator = red.solve_and_estimate(mus)
    U = model.solve_many(mus)
    err = column_norms(U - red.reconstruct(a), model.inner)
    ratio = indicator / err
    assert np.median(ratio) > 1 and ratio.max() < 1e4


def test_bad_input():
    p = HelmholtzProblem(n=20)
    train = p.space.grid(2)
    with pytest.raises(ValueError, match="safety"):
        InfSupEstimate(p.assemble, p.inner, safety=2.0).fit(train)
    with pytest.raises(TypeError, match="assemble"):
        InfSupEstimate(None, p.inner).fit(train)
    with pytest.raises(ValueError, match="training_set: contains NaN"):
        InfSupEstimate(p.assemble, p.inner).fit(np.full((2, 2), np.nan))
    with pytest.raises(rom.NotFittedError, match="not fitted"):
        InfSupEstimate(p.assemble, p.inner)([1.0, 0.5])
    with pytest.raises(ValueError, match="A: expected a square"):
        inf_sup_constant(np.ones((2, 3)))
