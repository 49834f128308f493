import numpy as np
import pytest

from rom.galerkin import FullOrderModel, GalerkinROM


def _decay_rom():
    """u' = -u on R^4, reduced on the first two coordinates."""
    model = FullOrderModel(lambda u, mu, t: -mu * u, jacobian=lambda u, mu, t: -mu * np.eye(4))
    return GalerkinROM(np.eye(4)[:, :2], model).fit()


def test_closure_is_added_to_the_reduced_rhs_and_changes_the_solution():
    rom = _decay_rom()
    a0 = np.array([1.0, 2.0])
    closed = rom.with_closure(lambda a, mu, t: -mu * a)  # doubles the decay rate
    assert closed is not rom and rom.closure_ is None
    assert np.allclose(closed.rhs(a0, 1.5), -3.0 * a0)
    times = np.linspace(0.0, 1.0, 5)
    A = closed.solve(a0, times, 1.0, rtol=1e-10, atol=1e-12)
    assert np.allclose(A, a0[:, None] * np.exp(-2.0 * times)[None, :], atol=1e-8)
    # the offline arrays are shared
    assert closed.basis_ is rom.basis_
    # removing the closure restores the model
    assert np.allclose(closed.with_closure(None).rhs(a0, 1.0), -a0)


def test_time_dependent_closure_receives_the_time():
    rom = _decay_rom()
    forced = rom.with_closure(lambda a, mu, t: np.array([np.cos(t), 0.0]))
    # a1' = -a1 + cos t, a1(0) = 0: a1 = (cos t + sin t - e^{-t}) / 2
    times = np.linspace(0.0, 2.0, 5)
    A = forced.solve(np.zeros(2), times, 1.0, rtol=1e-10, atol=1e-12)
    exact = 0.5 * (np.cos(times) + np.sin(times) - np.exp(-times))
    assert np.allclose(A[0], exact, atol=1e-8)
    explicit = forced.solve(np.zeros(2), times, 1.0, method="explicit", rtol=1e-10, atol=1e-12)
    assert np.allclose(explicit[0], exact, atol=1e-8)


def test_closure_errors_name_the_closure():
    rom = _decay_rom()

    def wrong_shape(a, mu, t):
        return np.zeros(3)

    def not_finite(a, mu, t):
        return np.array([np.nan, 0.0]) if t > 0.1 else np.zeros(2)

    with pytest.raises(ValueError, match=r"closure 'wrong_shape'.*shape \(2,\).*\(3,\)"):
        rom.with_closure(wrong_shape).rhs(np.ones(2), 1.0)
    with pytest.raises(ValueError, match=r"closure 'not_finite': returned NaN or inf"):
        rom.with_closure(not_finite).solve(np.ones(2), [0.0, 1.0], 1.0)
    with pytest.raises(TypeError, match="closure"):
        rom.with_closure(lambda a, mu, t: "x").rhs(np.ones(2), 1.0)
    with pytest.raises(TypeError, match="closure: expected a callable"):
        rom.with_closure(3.0)
    with pytest.raises(TypeError, match="closure: expected a callable"):
        GalerkinROM(np.eye(4)[:, :2], rom.model, closure="c").fit()


def test_closure_with_hyper_reduction():
    from fem_examples.burgers_1d import Burgers1D

    fom = Burgers1D(80, domain=(-0.5, 1.5), scheme="upwind")
    u0 = fom.initial_condition(center=0.0, width=0.2)
    times = np.linspace(0.0, 0.4, 5)
    S = fom.solve(u0, times, 0.05)
    rom = GalerkinROM(None, fom, "deim", deim_rank=5, rank=4).fit(S, 0.05)
    a = rom.project(S[:, 2])
    shift = np.arange(4.0)
    closed = rom.with_closure(lambda a, mu, t: shift)
    assert np.allclose(closed.rhs(a, 0.05), rom.rhs(a, 0.05) + shift)
