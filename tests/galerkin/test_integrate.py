import functools

import numpy as np
import pytest
import scipy.linalg
import scipy.sparse

from rom.galerkin import IntegrationError, integrate


def _forced(t, y):
    """A stiff forced component and a nonlinear one (non-autonomous)."""
    return np.array([-5.0 * (y[0] - np.cos(t)), -(y[1] ** 2) + y[0]])


def _forced_jacobian(t, y):
    return np.array([[-5.0, 0.0], [1.0, -2.0 * y[1]]])


@functools.cache
def _reference():
    from scipy.integrate import solve_ivp

    return solve_ivp(_forced, (0, 1), [0.0, 1.0], method="Radau", rtol=1e-13, atol=1e-14).y[:, -1]


@pytest.mark.parametrize("method, order", [("ros34pw2", 3), ("ros2", 2)])
def test_fixed_step_order_of_the_rosenbrock_methods(method, order):
    ref = _reference()
    errors = []
    for steps in (20, 40, 80):
        # tolerances so loose that every step is accepted: the steps are the output times
        Y = integrate(
            _forced,
            [0.0, 1.0],
            np.linspace(0, 1, steps + 1),
            method=method,
            jacobian=_forced_jacobian,
            rtol=1.0,
            atol=1e3,
            first_step=1.0,
        )
        errors.append(np.abs(Y[:, -1] - ref).max())
    rates = np.log2(np.array(errors[:-1]) / errors[1:])
    assert np.all(rates > order - 0.4), rates


@pytest.mark.parametrize("method", ["implicit", "explicit", "ros2", "RK45", "BDF"])
def test_adaptive_methods_meet_the_tolerance(method):
    ref = _reference()
    stats = {}
    Y = integrate(
        _forced,
        [0.0, 1.0],
        [0.0, 0.5, 1.0],
        method=method,
        jacobian=_forced_jacobian,
        rtol=1e-7,
        atol=1e-9,
        stats=stats,
    )
    assert np.abs(Y[:, -1] - ref).max() < 1e-5
    assert stats["accepted"] > 0


def test_sparse_jacobian_mass_matrix_and_finite_differences():
    """M y' = -K y for the 1-D heat equation, compared with the matrix exponential."""
    n = 30
    h = 1.0 / (n + 1)
    K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1]) / h
    M = scipy.sparse.diags([np.ones(n - 1), 4 * np.ones(n), np.ones(n - 1)], [-1, 0, 1]) * h / 6
    x = np.arange(1, n + 1) * h
    y0 = np.sin(np.pi * x) + 0.3 * np.sin(3 * np.pi * x)
    exact = scipy.linalg.expm(-0.1 * np.linalg.solve(M.toarray(), K.toarray())) @ y0
    cases = [
        ("implicit", lambda t, y: -K, 1e-8),
        ("implicit", lambda t, y: -K.toarray(), 1e-8),
        ("implicit", None, 1e-8),  # forward differences
        ("ros2", lambda t, y: -K, 1e-5),  # first-order estimate: a looser tolerance
    ]
    for method, jac, tol in cases:
        Y = integrate(
            lambda t, y: -(K @ y),
            y0,
            [0.0, 0.1],
            method=method,
            jacobian=jac,
            mass=M,
            rtol=tol,
            atol=tol,
            autonomous=True,
        )
        assert np.abs(Y[:, -1] - exact).max() < 100 * tol
    Y = integrate(lambda t, y: -(K @ y), y0, [0.0, 0.01], method="explicit", mass=M, rtol=1e-8)
    exact = scipy.linalg.expm(-0.01 * np.linalg.solve(M.toarray(), K.toarray())) @ y0
    assert np.abs(Y[:, -1] - exact).max() < 1e-6


def test_bad_input_and_failure():
    f = lambda t, y: -y  # noqa: E731
    with pytest.raises(TypeError, match="fun"):
        integrate(None, [1.0], [0.0, 1.0])
    with pytest.raises(ValueError, match="times"):
        integrate(f, [1.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="method"):
        integrate(f, [1.0], [0.0, 1.0], method="euler")
    with pytest.raises(ValueError, match="error_norm"):
        integrate(f, [1.0], [0.0, 1.0], error_norm="max")
    with pytest.raises(ValueError, match="mass"):
        integrate(f, [1.0], [0.0, 1.0], method="RK45", mass=np.eye(1))
    with pytest.raises(IntegrationError, match="steps"):
        integrate(f, [1.0], [0.0, 100.0], method="explicit", rtol=1e-12, atol=1e-14, max_steps=5)
    blow_up = lambda t, y: y**2  # noqa: E731  (y = 1 / (1 - t) blows up at t = 1)
    with pytest.raises(IntegrationError):
        integrate(blow_up, [1.0], [0.0, 2.0], method="explicit")
    assert integrate(f, [2.0], [0.0]).tolist() == [[2.0]]


def test_the_error_estimate_sees_linear_problems():
    """A linear problem is integrated to the tolerance (the estimate is not blind to it)."""
    for tol in (1e-4, 1e-8):
        Y = integrate(
            lambda t, y: -2.0 * y,
            [1.0, 2.0],
            [0.0, 1.0],
            jacobian=lambda t, y: -2.0 * np.eye(2),
            rtol=tol,
            atol=tol,
            autonomous=True,
        )
        assert np.abs(Y[:, -1] - np.array([1.0, 2.0]) * np.exp(-2.0)).max() < 20 * tol
