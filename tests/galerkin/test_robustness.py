"""Integrations that cannot go on stop at once with a clear error (issue 18, item 9)."""

import time

import numpy as np
import pytest
import scipy.integrate  # noqa: F401  (imported here: its import is not the time measured)

from rom.galerkin import FullOrderModel, GalerkinROM, IntegrationError, integrate

ALL_METHODS = ["implicit", "ros2", "explicit", "RK23", "RK45", "DOP853", "Radau", "BDF", "LSODA"]


def _heat_rom():
    """A cubic reaction-diffusion model on 30 unknowns and its rank-4 Galerkin ROM."""
    n = 30
    L = (np.eye(n, k=1) + np.eye(n, k=-1) - 2 * np.eye(n)) * (n + 1) ** 2
    model = FullOrderModel(lambda u, mu, t: mu * (L @ u) - u**3)
    x = np.linspace(0, 1, n + 2)[1:-1]
    u0 = np.sin(np.pi * x) + 0.5 * np.sin(3 * np.pi * x)
    basis, _ = np.linalg.qr(np.sin(np.pi * np.outer(x, np.arange(1, 5))))
    return GalerkinROM(basis, model).fit(), u0


@pytest.mark.parametrize("method", ALL_METHODS)
def test_a_nan_right_hand_side_raises_at_once(method):
    start = time.perf_counter()
    with pytest.raises(IntegrationError, match=r"not finite .* at t = 0"):
        integrate(lambda t, a: np.full(2, np.nan), np.ones(2), [0.0, 1.0], method=method)
    assert time.perf_counter() - start < 2.0  # before the fix: 84 s, or never


@pytest.mark.parametrize("method", ALL_METHODS)
def test_a_right_hand_side_that_turns_nan_raises_with_the_time(method):
    def fun(t, y):
        return -y if t < 0.5 else np.full(1, np.nan)

    with pytest.raises(IntegrationError, match=r"not finite .* t = 0\.[5-9]"):
        integrate(fun, [1.0], [0.0, 1.0], method=method)


@pytest.mark.parametrize("autonomous", [False, True])
@pytest.mark.parametrize("method", ["implicit", "explicit", "RK45"])
def test_galerkin_solve_with_a_nan_parameter_raises_at_once(method, autonomous):
    rom, u0 = _heat_rom()
    times = np.linspace(0, 0.2, 5)
    assert np.isfinite(rom.solve(u0, times, 0.1, method=method, autonomous=autonomous)).all()
    start = time.perf_counter()
    with pytest.raises(IntegrationError, match="not finite"):
        rom.solve(u0, times, np.nan, method=method, autonomous=autonomous)
    assert time.perf_counter() - start < 2.0  # before the fix: 84 s, or never


@pytest.mark.parametrize("method", ["implicit", "explicit", "RK45", "BDF"])
def test_a_blow_up_raises_quickly(method):
    start = time.perf_counter()
    with pytest.raises(IntegrationError, match=r"t = (1\b|0\.9)"):  # y = 1 / (1 - t)
        integrate(lambda t, y: y**2, [1.0], [0.0, 2.0], method=method)
    assert time.perf_counter() - start < 2.0


@pytest.mark.parametrize("method", ALL_METHODS)
def test_max_steps_holds_for_every_method(method):
    stats = {}
    integrate(lambda t, y: -y, [1.0], [0.0, 1.0], method=method, stats=stats, max_steps=10_000)
    with pytest.raises(IntegrationError, match=r"after 5 steps \(max_steps\)"):
        # oscillations over a long interval: thousands of steps at these tolerances
        integrate(
            lambda t, y: np.array([y[1], -y[0]]),
            [1.0, 0.0],
            [0.0, 1000.0],
            method=method,
            rtol=1e-10,
            atol=1e-12,
            max_steps=5,
        )


@pytest.mark.parametrize("method", ["implicit", "explicit", "RK45", "LSODA"])
def test_max_time_holds_for_every_method(method):
    start = time.perf_counter()
    with pytest.raises(IntegrationError, match=r"max_time = 0\.05 s exceeded at t = "):
        integrate(
            lambda t, y: np.array([y[1], -y[0]]),
            [1.0, 0.0],
            [0.0, 1e7],
            method=method,
            rtol=1e-10,
            atol=1e-12,
            max_time=0.05,
        )
    assert time.perf_counter() - start < 2.0  # before the fix: 84 s, or never


def test_galerkin_solve_passes_the_budgets_on():
    rom, u0 = _heat_rom()
    times = np.linspace(0, 0.2, 5)
    for autonomous in (False, True):  # the compiled quadratic path too
        with pytest.raises(IntegrationError, match="max_steps"):
            rom.solve(u0, times, 0.1, autonomous=autonomous, max_steps=2)
        with pytest.raises(IntegrationError, match="max_time"):
            rom.solve(u0, [0.0, 1e9], 0.1, autonomous=autonomous, max_time=0.05, rtol=1e-12)


def test_bad_budgets_are_refused():
    with pytest.raises(ValueError, match="max_time"):
        integrate(lambda t, y: -y, [1.0], [0.0, 1.0], max_time=0)
    with pytest.raises(TypeError, match="max_time"):
        integrate(lambda t, y: -y, [1.0], [0.0, 1.0], max_time="soon")


def test_solve_ivp_methods_land_on_the_output_times():
    """Driven step by step, the SciPy methods still give the states at ``times``."""
    times = np.linspace(0.0, 2.0, 7)
    for method in ("RK45", "DOP853", "BDF", "LSODA"):
        Y = integrate(lambda t, y: -y, [1.0], times, method=method, rtol=1e-10, atol=1e-12)
        assert np.abs(Y[0] - np.exp(-times)).max() < 1e-7, method
