import numpy as np
import pytest

from fem_examples.lagrangian_1d import EulerianConvection1D, LagrangianModel1D, gaussian_pulse
from rom.lagrangian import GridCrossingError

TIMES = np.linspace(0.0, 1.0, 11)


def test_pure_convection_is_the_shifted_initial_condition():
    model = LagrangianModel1D(300)
    w0 = gaussian_pulse(model.x0, 0.0)
    X, W = model.solve(w0, TIMES, velocity=0.7)
    assert np.allclose(X, model.x0[:, None] + 0.7 * TIMES, atol=1e-13)
    exact = np.stack([gaussian_pulse(model.x0, t, velocity=0.7) for t in TIMES], axis=1)
    assert np.abs(model.to_fixed_grid(X, W) - exact).max() < 1e-6


@pytest.mark.parametrize("width, order", [(3, 2), (5, 4)])
def test_convection_diffusion_matches_the_heat_kernel(width, order):
    errs = []
    for n in (200, 400):
        model = LagrangianModel1D(n, width=width)
        X, W = model.solve(gaussian_pulse(model.x0, 0.0, width=0.05), TIMES, 1.0, 0.0, 1e-3)
        exact = gaussian_pulse(X[:, -1], 1.0, viscosity=1e-3, width=0.05)
        errs.append(np.abs(W[:, -1] - exact).max())
    assert errs[1] < 1e-3
    assert np.log2(errs[0] / errs[1]) == pytest.approx(order, abs=0.3)


def test_eulerian_convection_diffusion_matches_the_heat_kernel():
    model = EulerianConvection1D(400)
    W = model.solve(gaussian_pulse(model.x, 0.0, width=0.05), TIMES, 1.0, 1e-3)
    assert np.abs(W[:, -1] - gaussian_pulse(model.x, 1.0, viscosity=1e-3, width=0.05)).max() < 1e-5


def test_burgers_matches_cole_hopf_and_the_eulerian_model():
    burgers_1d = pytest.importorskip("fem_examples.burgers_1d")
    nu, front = 0.02, dict(u_left=1.0, u_right=0.0, center=0.3, width=0.08)
    model = LagrangianModel1D(402, domain=(-0.5, 1.5), periodic=False, width=5)
    times = np.linspace(0.0, 0.2, 5)
    w0 = burgers_1d.cole_hopf(model.x0, 0.0, nu, **front)
    X, W = model.solve(w0, times, velocity=0.0, burgers=1.0, viscosity=nu, method="bdf")
    exact = burgers_1d.cole_hopf(X[:, -1], 0.2, nu, **front)
    assert np.abs(W[:, -1] - exact).max() < 2e-3
    # the same field through the Eulerian finite differences
    eul = burgers_1d.Burgers1D(400, domain=(-0.5, 1.5))
    U = eul.solve(eul.initial_condition(center=0.3, width=0.08), times, nu)
    assert np.abs(model.to_fixed_grid(X, W, eul.x)[:, -1] - U[:, -1]).max() < 5e-3


def test_rk4_and_bdf_agree():
    model = LagrangianModel1D(200, periodic=False)
    w0 = 0.5 * (1 - np.tanh((model.x0 - 0.3) / 0.1))
    times = np.linspace(0, 0.1, 3)
    X1, W1 = model.solve(w0, times, velocity=0.0, burgers=1.0, viscosity=0.01)
    X2, W2 = model.solve(w0, times, velocity=0.0, burgers=1.0, viscosity=0.01, method="bdf")
    assert np.abs(X1 - X2).max() < 1e-6 and np.abs(W1 - W2).max() < 1e-5


@pytest.mark.parametrize("periodic", [True, False])
def test_numpy_rhs_is_the_compiled_one(periodic):
    from fem_examples.lagrangian_1d import _full_rhs

    model = LagrangianModel1D(50, periodic=periodic, width=5)
    x = model.x0 + 0.002 * np.sin(7 * model.x0)
    w = gaussian_pulse(x, 0.0, width=0.1)
    dx, dw = np.empty(50), np.empty(50)
    scratch = (np.empty(5), np.empty(5), np.empty(5), np.empty((5, 3)))
    _full_rhs(x, w, 1.0 if periodic else -1.0, 5, False, 0.2, 1.0, 0.01, dx, dw, *scratch)
    ref_dx, ref_dw = model.rhs(x, w, 0.2, 1.0, 0.01)
    assert np.allclose(dx, ref_dx) and np.allclose(dw, ref_dw, rtol=1e-10, atol=1e-10)


def test_a_time_step_that_tangles_the_grid_is_reported():
    model = LagrangianModel1D(200, periodic=False)
    w0 = 0.5 * (1 - np.tanh((model.x0 - 0.3) / 0.02))  # steep front, nodes converge fast
    with pytest.raises(GridCrossingError, match="smaller dt") as info:
        model.solve(w0, np.array([0.0, 0.05]), velocity=0.0, burgers=1.0, dt=0.05)
    assert info.value.time is not None
    # inviscid: the characteristics cross at the breaking time 2 * width = 0.04
    with pytest.raises(GridCrossingError, match="characteristics cross") as info:
        model.solve(w0, np.linspace(0, 0.06, 7), velocity=0.0, burgers=1.0)
    assert info.value.time == pytest.approx(0.04, abs=0.004)


def test_bad_input():
    model = LagrangianModel1D(20)
    with pytest.raises(ValueError, match="w0"):
        model.solve(np.zeros(19), TIMES)
    with pytest.raises(ValueError, match="times"):
        model.solve(np.zeros(20), np.array([0.0]))
    with pytest.raises(ValueError, match="viscosity"):
        model.solve(np.zeros(20), TIMES, viscosity=-1.0)
    with pytest.raises(ValueError, match="width"):
        LagrangianModel1D(20, width=4)
