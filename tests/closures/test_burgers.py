"""A learned closure on viscous Burgers: a travelling front, six POD modes, unseen viscosities."""

import numpy as np
import pytest
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from fem_examples.burgers_1d import Burgers1D
from rom.closures import fit_closure
from rom.galerkin import GalerkinROM

TRAIN = (0.005, 0.008, 0.013)
TEST = (0.0065, 0.0105)
RANK = 6


@pytest.fixture(scope="module")
def burgers():
    """Central (energy-conserving) fluxes, h = 0.01: the front stays sharp and travels."""
    fom = Burgers1D(200, domain=(-0.5, 1.5), scheme="central")
    u0 = fom.initial_condition(center=0.0, width=0.1)
    times = np.linspace(0.0, 1.0, 31)
    states = {nu: fom.solve(u0, times, nu, rtol=1e-7, atol=1e-9) for nu in TRAIN + TEST}
    rom = GalerkinROM(None, fom, rank=RANK).fit(np.hstack([states[nu] for nu in TRAIN]))
    training = [(states[nu], times, nu) for nu in TRAIN]
    return u0, times, states, rom, training


def _integrated(errors, reference, times):
    """sqrt(int |e(t)|^2 dt / int |ref(t)|^2 dt), trapezoidal rule."""
    num = np.trapezoid(np.sum(errors**2, axis=0), times)
    den = np.trapezoid(np.sum(reference**2, axis=0), times)
    return float(np.sqrt(num / den))


def _errors(rom, closed, u0, times, states, nu):
    """Time-integrated errors of the coordinates (against the projected full model) and states."""
    exact = states[nu]
    projected = rom.project(exact)
    out = {}
    for name, model in (("truncated", rom), ("closure", closed)):
        A = model.solve(u0, times, nu, method="explicit", rtol=1e-6, atol=1e-9)
        out[name] = (
            _integrated(A - projected, projected, times),
            _integrated(rom.reconstruct(A) - exact, exact, times),
        )
    out["projection"] = (0.0, _integrated(rom.reconstruct(projected) - exact, exact, times))
    return out


def test_closure_reduces_the_error_at_unseen_viscosities(burgers):
    u0, times, states, rom, training = burgers
    closure = fit_closure(rom, training)  # QuadraticRidge on [a, nu]
    closed = rom.with_closure(closure)
    for nu in TEST:
        e = _errors(rom, closed, u0, times, states, nu)
        truncated, learned, best = e["truncated"], e["closure"], e["projection"][1]
        # the coordinates follow the projected full model far better
        assert learned[0] < truncated[0] / 5, (nu, e)
        # the state error drops to the error of the best approximation in the basis
        assert learned[1] < 1.05 * best, (nu, e)
        assert learned[1] < 0.8 * truncated[1], (nu, e)
        # the truncated model is the worse for a clear margin: there is something to close
        assert truncated[1] > 1.25 * best


def test_scikit_learn_pipeline_and_finite_differences(burgers):
    u0, times, states, rom, training = burgers
    pipeline = make_pipeline(StandardScaler(), PolynomialFeatures(2), Ridge(alpha=1.0))
    sk = rom.with_closure(fit_closure(rom, training, pipeline))
    fd = rom.with_closure(fit_closure(rom, training, derivative="differences"))
    nu = TEST[0]
    e_sk = _errors(rom, sk, u0, times, states, nu)
    e_fd = _errors(rom, fd, u0, times, states, nu)
    assert e_sk["closure"][0] < e_sk["truncated"][0] / 5, e_sk
    assert e_fd["closure"][0] < e_fd["truncated"][0] / 2, e_fd
