"""The compiled online path of a hyper-reduced model with a quadratic right-hand side."""

import copy

import numpy as np
import pytest

from fem_examples.burgers_1d import Burgers1D
from rom.galerkin import GalerkinROM, IntegrationError, integrate
from rom.galerkin.integrate import integrate_quadratic
from rom.galerkin.quadratic import identify_quadratic, quadratic_coefficients, quadratic_system

NU = 0.02


def _random_quadratic(rng, r):
    c = rng.standard_normal(r)
    B = rng.standard_normal((r, r))
    W = rng.standard_normal((r, r, r))
    W = 0.5 * (W + W.transpose(0, 2, 1))
    return c, B, W


def _apply(c, B, W, A):
    return c[:, None] + B @ A + np.einsum("ijl,jk,lk->ik", W, A, A)


def test_coefficients_of_a_quadratic_are_recovered(rng):
    r = 5
    c, B, W = _random_quadratic(rng, r)
    c_, B_, W_ = quadratic_coefficients(lambda A: _apply(c, B, W, A), r, 0.7)
    assert np.allclose(c_, c, atol=1e-12)
    assert np.allclose(B_, B, atol=1e-12)
    assert np.allclose(W_.reshape(r, r, r), W, atol=1e-12)
    a0 = rng.standard_normal(r)
    found = identify_quadratic(lambda A: _apply(c, B, W, A), a0)
    assert found is not None
    # the Jacobian of the identified polynomial, against a direct computation
    rhs_J = found[1] + 2.0 * (found[2] @ a0).reshape(r, r)
    assert np.allclose(rhs_J, B + 2.0 * np.einsum("ijl,l->ij", W, a0), atol=1e-10)


@pytest.mark.parametrize(
    "extra",
    [
        lambda A: 1e-6 * A**3,  # a small cubic term
        lambda A: np.sin(A),  # not a polynomial
        lambda A: np.abs(A - 0.3),  # a kink away from the probes
    ],
    ids=["cubic", "sine", "kink"],
)
def test_non_quadratic_right_hand_sides_are_rejected(rng, extra):
    r = 4
    c, B, W = _random_quadratic(rng, r)
    a0 = rng.standard_normal(r)
    assert identify_quadratic(lambda A: _apply(c, B, W, A) + extra(A), a0) is None


def test_a_wrong_jacobian_is_rejected(rng):
    r = 3
    c, B, W = _random_quadratic(rng, r)
    a0 = rng.standard_normal(r)
    F = lambda A: _apply(c, B, W, A)  # noqa: E731
    assert identify_quadratic(F, a0, jacobian=lambda a: B) is None
    exact = lambda a: B + 2.0 * np.einsum("ijl,l->ij", W, a)  # noqa: E731
    assert identify_quadratic(F, a0, jacobian=exact) is not None


@pytest.fixture(scope="module")
def central():
    """Central-flux Burgers (a quadratic right-hand side), hyper-reduced."""
    fom = Burgers1D(200, domain=(-0.5, 1.5), scheme="central")
    u0 = fom.initial_condition(center=0.0, width=0.15)
    times = np.linspace(0.0, 0.8, 33)
    S = fom.solve(u0, times, NU, rtol=1e-10, atol=1e-12)
    rom = GalerkinROM(None, fom, "deim", deim_rank=24, rank=12).fit(S, NU)
    reference = copy.copy(rom)
    reference._fast_online = False
    return fom, u0, times, S, rom, reference


def test_fast_path_and_reference_path_give_the_same_trajectory(central):
    _, u0, times, S, rom, reference = central
    a0 = rom.project(u0)
    fast = rom._quadratic_online(NU, a0, 0.0)
    assert fast is not None, "central Burgers must be identified as quadratic"
    # the same function and Jacobian as the rows of f, at states along the trajectory
    rhs_ref, jac_ref = rom._online(NU)
    for a in rom.project(S[:, ::4]).T:
        assert np.allclose(fast[0](0.0, a), rhs_ref(0.0, a), rtol=1e-10, atol=1e-9)
        assert np.allclose(fast[1](0.0, a), jac_ref(0.0, a), rtol=1e-10, atol=1e-8)
    for method, tol in (("implicit", 1e-7), ("ros2", 1e-6), ("explicit", 1e-7)):
        stats_fast, stats_ref = {}, {}
        A = rom.solve(
            u0, times, NU, method, rtol=tol, atol=1e-3 * tol, autonomous=True, stats=stats_fast
        )
        B = reference.solve(
            u0, times, NU, method, rtol=tol, atol=1e-3 * tol, autonomous=True, stats=stats_ref
        )
        assert np.abs(A - B).max() < 1e-9 * np.abs(B).max(), method
        assert stats_fast["steps"] == stats_ref["steps"], method
    # and both stay close to the full model
    assert np.linalg.norm(rom.reconstruct(A) - S) / np.linalg.norm(S) < 2e-2


def test_fast_path_with_a_closure(central):
    _, u0, times, _, rom, reference = central
    closure = lambda a, mu, t: -0.5 * mu * a  # noqa: E731
    A = rom.with_closure(closure).solve(u0, times, NU, autonomous=True)
    B = reference.with_closure(closure).solve(u0, times, NU, autonomous=True)
    C = rom.solve(u0, times, NU, autonomous=True)
    assert np.abs(A - B).max() < 1e-9 * np.abs(B).max()
    assert np.abs(A - C).max() > 1e-4  # the closure is in


def test_non_quadratic_model_takes_the_reference_path():
    """Upwind Burgers (max/min in the flux) is not a polynomial: no compiled path."""
    fom = Burgers1D(120, domain=(-0.5, 1.5), scheme="upwind")
    u0 = fom.initial_condition(center=0.0, width=0.15)
    times = np.linspace(0.0, 0.5, 21)
    S = fom.solve(u0, times, NU)
    rom = GalerkinROM(None, fom, "deim", deim_rank=12, rank=8).fit(S, NU)
    assert rom._quadratic_online(NU, rom.project(u0), 0.0) is None
    reference = copy.copy(rom)
    reference._fast_online = False
    A = rom.solve(u0, times, NU, autonomous=True)
    assert np.array_equal(A, reference.solve(u0, times, NU, autonomous=True))


@pytest.mark.parametrize("error_norm", ["global", "componentwise"])
def test_compiled_integrator_matches_the_numpy_loop(rng, error_norm):
    """The one-call ROS34PW2 of a quadratic system against the generic integrator."""
    pytest.importorskip("numba")
    r = 6
    c = rng.standard_normal(r)
    B = -np.diag(np.logspace(0, 3, r)) + 0.1 * rng.standard_normal((r, r))  # stiff
    W = 0.05 * rng.standard_normal((r, r, r))
    W = np.ascontiguousarray((0.5 * (W + W.transpose(0, 2, 1))).reshape(r * r, r))
    rhs, jacobian = quadratic_system((c, B, W))
    y0, times = rng.standard_normal(r), np.linspace(0.0, 2.0, 9)
    stats_numba, stats_numpy = {}, {}
    Y = integrate_quadratic((c, B, W), rhs, y0, times, 1e-6, 1e-9, stats_numba, error_norm)
    Z = integrate(
        rhs,
        y0,
        times,
        jacobian=jacobian,
        rtol=1e-6,
        atol=1e-9,
        stats=stats_numpy,
        error_norm=error_norm,
        autonomous=True,
    )
    assert np.abs(Y - Z).max() < 1e-10 * np.abs(Z).max()
    assert stats_numba == stats_numpy
    # and the solution itself, against scipy at a tight tolerance
    from scipy.integrate import solve_ivp

    exact = solve_ivp(
        rhs, (0.0, 2.0), y0, method="Radau", t_eval=times, jac=jacobian, rtol=1e-12, atol=1e-14
    ).y
    assert np.abs(Y - exact).max() < 1e-4 * np.abs(exact).max()
    with pytest.raises(IntegrationError, match="no convergence after 3 steps"):
        integrate_quadratic((c, B, W), rhs, y0, times, 1e-6, 1e-9, max_steps=3)
