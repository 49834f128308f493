import numpy as np
import pytest

from fem_examples import advection_diffusion_2d as ad


def _exact(x, y):
    return np.sin(np.pi * x) * np.sin(np.pi * y)


def _manufactured_source(x, y, theta, peclet):
    """-Lap(u)/Pe + b.grad(u) for u = sin(pi x) sin(pi y), b = (cos theta, sin theta)."""
    ux = np.pi * np.cos(np.pi * x) * np.sin(np.pi * y)
    uy = np.pi * np.sin(np.pi * x) * np.cos(np.pi * y)
    return 2 * np.pi**2 * _exact(x, y) / peclet + np.cos(theta) * ux + np.sin(theta) * uy


def _l2_errors(peclet, stabilized, resolutions=(8, 16, 32)):
    errors = []
    for res in resolutions:
        solve, mesh = ad.build(res, source=_manufactured_source, stabilized=stabilized)
        e = solve((0.7, peclet)) - _exact(*mesh.p)
        errors.append(np.sqrt(e @ (ad.mass_matrix(mesh) @ e)))
    return np.array(errors)


@pytest.mark.parametrize("peclet, stabilized", [(10.0, False), (10.0, True), (1000.0, True)])
def test_manufactured_solution_converges_at_second_order(peclet, stabilized):
    errors = _l2_errors(peclet, stabilized)
    rates = np.log2(errors[:-1] / errors[1:])
    assert np.all(rates > 1.85), rates
    assert errors[-1] < 2e-3


def test_supg_tau_limits():
    h = 0.01
    assert ad._supg_tau(h, 1e9) == pytest.approx(h / 2, rel=1e-6)  # advection-dominated
    pe_h = h * 0.01 / 2  # diffusion-dominated: tau ~ h Pe_h / 6
    assert ad._supg_tau(h, 0.01) == pytest.approx(h * pe_h / 6, rel=1e-6)


def test_plume_follows_the_transport_direction():
    solve, mesh = ad.build(32)
    galerkin, _ = ad.build(32, stabilized=False)
    x, y = mesh.p
    for theta in (0.0, np.pi / 4, np.pi / 2):
        u = solve((theta, 500.0))
        # SUPG damps the wiggles of the plain Galerkin solution at mesh Peclet ~ 8
        assert u.min() > -0.01 * u.max()
        if theta in (0.0, np.pi / 2):
            plain = galerkin((theta, 500.0))
            assert plain.min() < -0.05 * plain.max()
        # the mass-weighted direction of the plume from the source is the angle
        dx, dy = x - ad.SOURCE_CENTRE[0], y - ad.SOURCE_CENTRE[1]
        far = np.hypot(dx, dy) > 0.15
        angle = np.arctan2(np.sum(u[far] * dy[far]), np.sum(u[far] * dx[far]))
        assert angle == pytest.approx(theta, abs=0.1)
    on_boundary = (x == 0) | (x == 1) | (y == 0) | (y == 1)
    assert np.all(u[on_boundary] == 0)


def test_bad_input():
    with pytest.raises(ValueError, match="resolution"):
        ad.build(1)
    with pytest.raises(TypeError, match="source"):
        ad.build(4, source=3.0)
    solve, _ = ad.build(4)
    with pytest.raises(ValueError, match="mu"):
        solve((0.1,))
    with pytest.raises(ValueError, match="Peclet"):
        solve((0.1, -1.0))
