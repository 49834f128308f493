import numpy as np
import pytest

from fem_examples import thermal_block
from rom.rb import ReducedBasis


@pytest.mark.parametrize("resolution", [20, 30])
def test_residual_basis_stays_orthonormal_with_dependent_components(resolution):
    """A_q v for a snapshot v combine to f: nearly dependent on the rhs representative."""
    model, space = thermal_block.build((2, 2), resolution)
    X = model.inner
    rb = ReducedBasis(model, thermal_block.coercivity_bound())
    blocks = [model.rhs.matrix()]
    for mu in space.grid(3)[[0, 1, 3, 9, 27]]:
        assert rb.extend(model.solve(mu)) == 1
        v = rb.basis_[:, -1]
        blocks.append(np.stack([A @ v for A in model.operator.terms], axis=1))
    phi, coef = rb._residual.phi, rb._residual.coef
    rho = np.linalg.solve(X.toarray(), np.concatenate(blocks, axis=1))
    assert np.abs(phi.T @ (X @ phi) - np.eye(phi.shape[1])).max() < 1e-12
    assert np.abs(phi @ coef - rho).max() < 1e-12 * np.abs(rho).max()
