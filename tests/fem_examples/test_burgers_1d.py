import numpy as np
import pytest
import scipy.integrate

from fem_examples.burgers_1d import Burgers1D, cole_hopf, front


@pytest.mark.parametrize("nu, delta", [(1e-2, 1.0), (1e-4, 2.0), (1e-6, 0.5)])
def test_cole_hopf_reproduces_the_exact_viscous_shock(nu, delta):
    """With width 4 nu / (u_L - u_R) the front is the travelling viscous shock."""
    u_left, u_right = 0.5 + delta, 0.5
    width = 4 * nu / delta
    speed = 0.5 * (u_left + u_right)
    t = 0.7
    x = speed * t + width * np.linspace(-30, 30, 401)
    exact = front(x, u_left, u_right, speed * t, width)
    u = cole_hopf(x, t, nu, u_left, u_right, 0.0, width)
    # a round-off error eps * |x| in the position moves u by eps * |x| * |u_x|
    conditioning = np.finfo(float).eps * np.abs(x).max() * delta / width
    assert np.abs(u - exact).max() < 1e-13 + 50 * conditioning


def test_cole_hopf_at_t0_is_the_initial_condition_and_quadrature_converged():
    x = np.linspace(-1, 2, 301)
    assert np.array_equal(cole_hopf(x, 0.0, 1e-3, 1.0, 0.0, 0.0, 0.1), front(x, 1, 0, 0, 0.1))
    for nu in (1e-2, 1e-5):
        coarse = cole_hopf(x, 1.0, nu, 1.0, 0.0, 0.0, 0.1)
        fine = cole_hopf(x, 1.0, nu, 1.0, 0.0, 0.0, 0.1, points_per_width=20)
        assert np.abs(coarse - fine).max() < 1e-12


def test_cole_hopf_solves_the_pde():
    """Residual of u_t + u u_x - nu u_xx by centred differences of the exact solution."""
    nu, t, d = 0.02, 0.4, 1e-3
    x = np.linspace(-0.5, 1.0, 61)
    args = (1.0, -0.2, 0.0, 0.15)

    def u(xx, tt):
        return cole_hopf(xx, tt, nu, *args)

    u_t = (u(x, t + d) - u(x, t - d)) / (2 * d)
    u_x = (u(x + d, t) - u(x - d, t)) / (2 * d)
    u_xx = (u(x + d, t) - 2 * u(x, t) + u(x - d, t)) / d**2
    residual = u_t + u(x, t) * u_x - nu * u_xx
    assert np.abs(residual).max() < 1e-4 * np.abs(u_t).max()


def test_cole_hopf_shock_moves_at_the_rankine_hugoniot_speed():
    x = np.linspace(0.0, 2.0, 2001)
    u = cole_hopf(x, 1.5, 1e-4, 1.5, 0.5, 0.0, 0.1)  # speed 1: at x = 1.5
    position = x[np.argmin(np.abs(u - 1.0))]
    assert position == pytest.approx(1.5, abs=2e-3)


def _errors(scheme, sizes, nu=0.02, t=0.5):
    errors = []
    for n in sizes:
        fom = Burgers1D(n, domain=(-1.0, 2.0), scheme=scheme)
        u0 = fom.initial_condition(center=0.0, width=0.1)
        S = fom.solve(u0, [0.0, t], nu, rtol=1e-10, atol=1e-12)
        exact = cole_hopf(fom.x, t, nu, center=0.0, width=0.1)
        errors.append(np.abs(S[:, -1] - exact).max())
    return np.array(errors)


@pytest.mark.parametrize("scheme, order", [("central", 2), ("upwind", 1)])
def test_finite_differences_converge_to_cole_hopf_at_the_scheme_order(scheme, order):
    errors = _errors(scheme, [100, 200, 400])
    rates = np.log2(errors[:-1] / errors[1:])
    assert np.all(rates > order - 0.2), rates
    if scheme == "central":
        assert errors[-1] < 1e-3


def test_rhs_jacobian_and_local_rows_agree(rng):
    for boundary in ("dirichlet", "periodic"):
        for scheme in ("central", "upwind"):
            fom = Burgers1D(40, domain=(-1.0, 1.0), boundary=boundary, scheme=scheme)
            u = fom.initial_condition(center=0.0, width=0.3) + 0.1 * rng.standard_normal(40)
            nu = 0.03
            f = fom.rhs(u, nu)
            # vectorised over columns
            U = np.column_stack([u, 2 * u, -u])
            assert np.allclose(fom.rhs(U, nu)[:, 1], fom.rhs(2 * u, nu))
            # Jacobian against centred differences
            J = fom.jacobian(u, nu).toarray()
            d = 1e-6
            Jfd = np.column_stack(
                [(fom.rhs(u + d * e, nu) - fom.rhs(u - d * e, nu)) / (2 * d) for e in np.eye(40)]
            )
            assert np.allclose(J, Jfd, atol=1e-5 * np.abs(J).max())
            # linear / nonlinear split: nu * (L u + b) is the diffusion
            L, b = fom.linear_operators[0], fom.linear_offsets[0]
            nonlinear = f - nu * (L @ u + b)
            assert np.allclose(nonlinear, fom.rhs(u, 2 * nu) - 2 * nu * (L @ u + b))
            rows = np.array([0, 7, 8, 39])
            cols = fom.stencil(rows)
            assert np.allclose(fom.rhs_entries(u[cols], rows, nu), f[rows])
            assert np.allclose(fom.rhs_entries(U[cols], rows, nu), fom.rhs(U, nu)[rows])
            assert np.allclose(fom.jacobian_entries(u[cols], rows, nu), J[np.ix_(rows, cols)])
            # the stencil is exactly the set of columns with nonzero entries
            assert set(cols) == set(np.nonzero(np.abs(J[rows]).sum(axis=0))[0])


def test_periodic_scheme_conserves_mass_and_central_conserves_energy(rng):
    fom = Burgers1D(64, domain=(0.0, 2 * np.pi), boundary="periodic")
    u = np.sin(fom.x) + 0.5 + 0.1 * rng.standard_normal(64)
    f = fom.rhs(u, 0.05)
    assert abs(f.sum()) < 1e-12 * np.abs(f).max()
    L, b = fom.linear_operators[0], fom.linear_offsets[0]
    convective = f - 0.05 * (L @ u + b)
    assert abs(u @ convective) < 1e-12 * np.abs(convective).max() * np.abs(u).sum()


def test_solve_matches_an_independent_explicit_integration():
    fom = Burgers1D(60, domain=(-1.0, 2.0), scheme="upwind")
    u0 = fom.initial_condition(center=0.0, width=0.2)
    times = np.linspace(0.0, 0.3, 4)
    S = fom.solve(u0, times, 0.01)
    ref = scipy.integrate.solve_ivp(
        lambda t, u: fom.rhs(u, 0.01), (0, 0.3), u0, t_eval=times, rtol=1e-10, atol=1e-12
    ).y
    assert np.abs(S - ref).max() < 1e-6


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="boundary"):
        Burgers1D(10, boundary="neumann")
    with pytest.raises(ValueError, match="domain"):
        Burgers1D(10, domain=(1.0, 0.0))
    with pytest.raises(TypeError, match="n"):
        Burgers1D(10.5)
    fom = Burgers1D(10)
    with pytest.raises(ValueError, match="u: expected 10 rows"):
        fom.rhs(np.zeros(9), 0.1)
    with pytest.raises(ValueError, match="viscosity"):
        fom.rhs(np.zeros(10), -0.1)
    with pytest.raises(ValueError, match="rows"):
        fom.stencil([10])
    with pytest.raises(ValueError, match="u_local"):
        fom.rhs_entries(np.zeros(5), [3], 0.1)
    with pytest.raises(ValueError, match="t"):
        cole_hopf(np.zeros(3), -1.0, 0.1)
    with pytest.raises(ValueError, match="times"):
        fom.solve(np.zeros(10), [0.0, 0.0], 0.1)
