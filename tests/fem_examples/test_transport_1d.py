"""The periodic advection model: the scheme's order against the exact shifted pulse,
the rows interface against the full model, the FFT solution against an ODE solver."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from fem_examples.transport_1d import Transport1D, pulse
from rom.galerkin import as_full_order_model


@pytest.mark.parametrize(("scheme", "order"), [("upwind", 1), ("upwind3", 3)])
def test_error_against_the_exact_solution_decays_at_the_scheme_order(scheme, order):
    errors = []
    for n in (1600, 3200, 6400):
        fom = Transport1D(n, scheme=scheme, width=0.1)
        U = fom.solve(fom.initial_condition(), [0.0, 0.5], 1.5)
        errors.append(np.abs(U[:, -1] - fom.exact(0.5, 1.5)).max())
    rates = np.log2(np.array(errors[:-1]) / np.array(errors[1:]))
    assert np.all(np.abs(rates - order) < 0.15), rates


def test_fft_solution_is_the_semi_discrete_solution():
    fom = Transport1D(60, scheme="upwind3", width=0.1)
    u0, times = fom.initial_condition(), np.array([0.0, 0.1, 0.3])
    ref = solve_ivp(
        lambda t, u: fom.rhs(u, 0.7), (0, 0.3), u0, t_eval=times, rtol=1e-11, atol=1e-13
    ).y
    np.testing.assert_allclose(fom.solve(u0, times, 0.7), ref, atol=1e-8)


def test_exact_solution_is_the_moved_pulse_and_is_periodic():
    fom = Transport1D(100, domain=(0.0, 2.0), center=0.5, width=0.1)
    np.testing.assert_allclose(fom.exact(0.0, 1.0), fom.initial_condition())
    np.testing.assert_allclose(fom.exact(2.0, 1.0), fom.initial_condition(), atol=1e-14)
    np.testing.assert_allclose(fom.exact(0.5, 2.0), pulse(fom.x, 1.5, 0.1, 2.0))


@pytest.mark.parametrize("scheme", ["upwind", "upwind3"])
def test_rows_interface_matches_the_full_model(scheme):
    fom = Transport1D(30, scheme=scheme)
    model = as_full_order_model(fom)
    u = np.random.default_rng(0).standard_normal((30, 3))
    rows = np.array([0, 1, 17, 29])
    cols = model.stencil(rows)
    np.testing.assert_allclose(model.rhs_entries(u[cols], rows, 1.3), fom.rhs(u, 1.3)[rows])
    np.testing.assert_allclose(
        model.rhs_entries(u[cols, 0], rows, 1.3), fom.rhs(u[:, 0], 1.3)[rows]
    )
    full = fom.jacobian(u[:, 0], 1.3).toarray()
    np.testing.assert_allclose(model.jacobian_entries(u[cols, 0], rows, 1.3), full[rows][:, cols])
    # rows depend on nothing outside the stencil
    outside = np.setdiff1d(np.arange(30), cols)
    assert np.all(full[rows][:, outside] == 0)


def test_mass_conservation_and_decay_of_the_upwind_scheme():
    fom = Transport1D(200, scheme="upwind")
    U = fom.solve(fom.initial_condition(), np.linspace(0.0, 1.0, 5), 1.0)
    np.testing.assert_allclose(U.sum(axis=0), U[:, 0].sum(), rtol=1e-12)
    assert np.all(np.diff(np.linalg.norm(U, axis=0)) < 0)  # dissipative


def test_bad_input():
    with pytest.raises(ValueError, match="n: expected an integer >= 4"):
        Transport1D(3)
    with pytest.raises(ValueError, match="scheme"):
        Transport1D(10, scheme="central")
    with pytest.raises(ValueError, match="domain"):
        Transport1D(10, domain=(1.0, 0.0))
    with pytest.raises(ValueError, match="width"):
        Transport1D(10, width=0.0)
    fom = Transport1D(10)
    with pytest.raises(ValueError, match="speed: expected a positive"):
        fom.rhs(np.zeros(10), -1.0)
    with pytest.raises(TypeError, match="speed"):
        fom.rhs(np.zeros(10), "fast")
    with pytest.raises(ValueError, match="u: expected 10 rows"):
        fom.rhs(np.zeros(9), 1.0)
    with pytest.raises(ValueError, match="rows: expected indices"):
        fom.stencil([10])
    with pytest.raises(ValueError, match="u_local"):
        fom.rhs_entries(np.zeros(3), np.array([2]), 1.0)
    with pytest.raises(ValueError, match="u0"):
        fom.solve(np.zeros((10, 2)), [0.0], 1.0)
