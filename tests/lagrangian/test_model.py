import numpy as np
import pytest

from fem_examples.lagrangian_1d import LagrangianModel1D, gaussian_pulse
from rom import NotFittedError
from rom.lagrangian import EulerianGalerkin, GridCrossingError, LagrangianROM

N = 400
TIMES = np.linspace(0.0, 1.0, 51)


def _relative(A, B):
    return np.linalg.norm(A - B) / np.linalg.norm(B)


@pytest.fixture(scope="module")
def diffusive():
    """Convection-diffusion at Peclet 1e4 (c = 1, nu = 1e-4, domain length 1)."""
    model = LagrangianModel1D(N)
    w0 = gaussian_pulse(model.x0, 0.0, center=0.3, width=0.04)
    X, W = model.solve(w0, TIMES, velocity=1.0, viscosity=1e-4)
    return model, w0, X, W


def test_pure_convection_rom_is_exact_with_two_modes():
    model = LagrangianModel1D(N)
    w0 = gaussian_pulse(model.x0, 0.0)
    X, W = model.solve(w0, TIMES, velocity=1.0)
    rom = LagrangianROM(period=1.0).fit(W, X)
    assert rom.ranks_ == (1, 1)
    a, b = rom.solve(w0, TIMES, velocity=1.0)
    Wr, Xr = rom.reconstruct(a, b)
    assert np.abs(Xr - X).max() < 1e-13 and np.abs(Wr - W).max() < 1e-13
    # a new velocity is an input: the grid basis spans every translation
    a, b = rom.solve(w0, TIMES, velocity=-0.4)
    assert np.allclose(rom.reconstruct(a, b)[1], model.x0[:, None] - 0.4 * TIMES, atol=1e-13)


def test_few_modes_reproduce_the_full_lagrangian_model(diffusive):
    model, w0, X, W = diffusive
    rom = LagrangianROM(rank_state=5, rank_grid=1, period=1.0).fit(W, X)
    assert rom.points_.size < 20  # DEIM rows, independent of N
    a, b = rom.solve(w0, TIMES, velocity=1.0, viscosity=1e-4)
    F = model.to_fixed_grid(X, W)
    errors = [
        _relative(
            rom.to_fixed_grid(*rom.solve(w0, TIMES, 1.0, 0.0, 1e-4, ranks=(r, 1)), model.x0), F
        )
        for r in (1, 2, 3, 4)
    ]
    assert errors[3] < 1e-4 and all(np.diff(errors) < 0)
    # DEIM costs nothing visible against the exact projection
    exact = LagrangianROM(rank_state=5, rank_grid=1, period=1.0, hyperreduction=None)
    a2, b2 = exact.fit(W, X).solve(w0, TIMES, velocity=1.0, viscosity=1e-4)
    assert _relative(rom.reconstruct(a, b)[0], exact.reconstruct(a2, b2)[0]) < 1e-6


def test_viscosity_and_shape_are_inputs(diffusive):
    model, _, X, W = diffusive
    # train on two more viscosities and widths, predict values between them
    cols_W, cols_X = [W], [X]
    for nu, width in ((3e-4, 0.05), (2e-4, 0.03)):
        w0 = gaussian_pulse(model.x0, 0.0, center=0.3, width=width)
        Xk, Wk = model.solve(w0, TIMES, velocity=1.0, viscosity=nu)
        cols_W.append(Wk)
        cols_X.append(Xk)
    rom = LagrangianROM(tol=1e-6, period=1.0).fit(np.hstack(cols_W), np.hstack(cols_X))
    w0 = gaussian_pulse(model.x0, 0.0, center=0.3, width=0.045)
    Xt, Wt = model.solve(w0, TIMES, velocity=1.0, viscosity=1.5e-4)
    a, b = rom.solve(w0, TIMES, velocity=1.0, viscosity=1.5e-4)
    assert _relative(rom.to_fixed_grid(a, b, model.x0), model.to_fixed_grid(Xt, Wt)) < 1e-3


@pytest.mark.slow
def test_lagrangian_rom_needs_ten_times_fewer_modes_than_eulerian_pod():
    """Pe = 1e4, a narrow pulse: <= 5 Lagrangian modes reach 1e-3, Eulerian needs 10x."""
    from fem_examples.lagrangian_1d import EulerianConvection1D

    n, times = 800, np.linspace(0.0, 1.0, 201)  # 201 snapshots: no aliasing of the orbit
    model, eul = LagrangianModel1D(n), EulerianConvection1D(n)
    w0 = gaussian_pulse(model.x0, 0.0, width=0.02)
    X, W = model.solve(w0, times, velocity=1.0, viscosity=1e-4)
    rom = LagrangianROM(rank_state=4, rank_grid=1, period=1.0).fit(W, X)
    F = model.to_fixed_grid(X, W)
    e_lag = {
        rw + 1: _relative(
            rom.to_fixed_grid(*rom.solve(w0, times, 1.0, 0.0, 1e-4, ranks=(rw, 1)), model.x0), F
        )
        for rw in (1, 2, 3, 4)
    }
    U = eul.solve(w0, times, 1.0, 1e-4)
    A = eul.operator(1.0, 1e-4)
    eg = EulerianGalerkin(rank=70).fit(U, lambda V: A @ V)
    e_eul = {
        r: _relative(eg.reconstruct(eg.solve(U[:, 0], times, rank=r)), U) for r in range(20, 71, 2)
    }
    lagrangian_modes = min(k for k, e in e_lag.items() if e < 1e-3)
    # None of the first 70 Eulerian modes may reach it: count that as 71
    eulerian_modes = min((r for r, e in e_eul.items() if e < 1e-3), default=71)
    assert lagrangian_modes <= 5
    assert eulerian_modes >= 10 * lagrangian_modes


def test_rom_bad_input(diffusive):
    _, w0, X, W = diffusive
    rom = LagrangianROM(rank_state=3, period=1.0).fit(W, X)
    with pytest.raises(ValueError, match="ranks"):
        rom.solve(w0, TIMES, ranks=(9, 1))
    with pytest.raises(ValueError, match="times"):
        rom.solve(w0, TIMES[::-1])
    with pytest.raises(ValueError, match="w0"):
        rom.solve(w0[:-1], TIMES)
    with pytest.raises(ValueError, match="shape of the state snapshots"):
        LagrangianROM().fit(W[:-1], X)
    flat = np.ones((X.shape[0], 3))  # D_xx(x) w = 0: nothing to hyper-reduce
    pure = LagrangianROM(period=1.0).fit(flat, X[:, :1] + np.array([0.0, 0.1, 0.2]))
    with pytest.raises(ValueError, match="without diffusion"):
        pure.solve(flat[:, 0], TIMES, viscosity=1e-3)


def test_reduced_grid_crossing_is_detected():
    """Burgers-like grid motion with too few grid modes and a huge step tangles."""
    model = LagrangianModel1D(200, periodic=False)
    w0 = 0.5 * (1 - np.tanh((model.x0 - 0.3) / 0.05))
    times = np.linspace(0, 0.08, 9)
    X, W = model.solve(w0, times, velocity=0.0, burgers=1.0, viscosity=0.0)
    rom = LagrangianROM(rank_grid=3).fit(W, X)
    with pytest.raises(GridCrossingError, match="crossed"):
        rom.solve(w0, np.array([0.0, 1.0]), velocity=0.0, burgers=1.0, dt=1.0)


def test_save_load_round_trip(diffusive, tmp_path):
    import rom as rom_package

    model, w0, X, W = diffusive
    fitted = LagrangianROM(rank_state=5, rank_grid=1, period=1.0).fit(W, X)
    path = tmp_path / "lagrangian.npz"
    fitted.save(path)
    loaded = rom_package.load(path)
    assert isinstance(loaded, LagrangianROM) and loaded.ranks_ == fitted.ranks_
    assert np.array_equal(loaded.points_, fitted.points_)
    assert np.array_equal(loaded.deim_.points_, fitted.deim_.points_)
    a, b = fitted.solve(w0, TIMES, velocity=0.8, viscosity=2e-4)
    a2, b2 = loaded.solve(w0, TIMES, velocity=0.8, viscosity=2e-4)
    assert np.array_equal(a, a2) and np.array_equal(b, b2)
    assert np.allclose(
        loaded.to_fixed_grid(a2, b2, model.x0), fitted.to_fixed_grid(a, b, model.x0)
    )
    # the bases alone, and a ROM without hyper-reduction
    pod_path = tmp_path / "pod.npz"
    fitted.pod_.save(pod_path)
    pod = rom_package.load(pod_path)
    assert np.array_equal(pod.grid_basis_, fitted.pod_.grid_basis_)
    assert np.array_equal(pod.reference_, fitted.pod_.reference_)
    exact = LagrangianROM(rank_state=3, rank_grid=1, period=1.0, hyperreduction=None).fit(W, X)
    exact.save(path)
    again = rom_package.load(path)
    assert again.deim_ is None
    assert np.array_equal(
        again.solve(w0, TIMES, viscosity=1e-4)[0], exact.solve(w0, TIMES, viscosity=1e-4)[0]
    )
    with pytest.raises(NotFittedError, match="not fitted"):
        LagrangianROM().save(path)
