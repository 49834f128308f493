import numpy as np
import pytest

from fem_examples import diffusion_1d, thermal_block
from rom.rb import coercivity_constant


def _exact_1d(x, k_of_x, segments, mu):
    """u' = (C - x)/k, u(0) = u(1) = 0, with k piecewise constant on equal segments."""
    edges = np.linspace(0, 1, segments + 1)

    def integral(x_end, C):
        total = 0.0
        for q in range(segments):
            a, b = edges[q], min(edges[q + 1], x_end)
            if b > a:
                total += (C * (b - a) - (b**2 - a**2) / 2) / mu[q]
        return total

    I0 = integral(1.0, 0.0)
    I1 = integral(1.0, 1.0) - I0
    C = -I0 / I1
    return np.array([integral(xi, C) for xi in x])


def test_1d_diffusion_is_nodally_exact():
    model, _space, _ = diffusion_1d.build(n=60, segments=3)
    mu = np.array([0.2, 1.0, 0.5])
    u = model.solve(mu)
    x = np.linspace(0, 1, 61)[1:-1]
    assert np.allclose(u, _exact_1d(x, None, 3, mu), atol=1e-12)


def test_thermal_block_compliance_matches_the_torsion_constant():
    """k = 1 everywhere: -Lap u = 1 on the unit square; int u = 0.0351442 (Saint-Venant)."""
    model, _space = thermal_block.build((2, 2), resolution=80)
    s = model.output(np.ones(4))
    assert s == pytest.approx(0.0351442, rel=2e-3)


def test_thermal_block_structure_and_coercivity():
    model, space = thermal_block.build((3, 2), resolution=12)
    assert space.dim == 6 and model.size == 11 * 11
    A = model.operator.assemble(np.ones(6))
    assert abs(A - model.inner).max() < 1e-12
    mu = np.array([0.1, 0.5, 1.0, 0.3, 0.7, 0.2])
    exact = coercivity_constant(model.operator.assemble(mu), model.inner)
    assert thermal_block.coercivity_bound((3, 2))(mu) <= exact + 1e-12
    assert exact == pytest.approx(0.1, rel=0.5)  # a block at 0.1 bounds it from above


def test_bad_input():
    with pytest.raises(ValueError, match="blocks"):
        thermal_block.build((0, 2), resolution=10)
    with pytest.raises(ValueError, match="resolution"):
        thermal_block.build((4, 4), resolution=2)
