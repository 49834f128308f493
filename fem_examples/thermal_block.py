"""The thermal block: heat conduction in the unit square with B1 x B2 conductivities.

``-div(k(x) grad u) = 1`` in (0, 1)^2, ``u = 0`` on the boundary, with ``k = mu_b`` on
block ``b`` (blocks numbered row by row from the bottom left, x fastest) and
``mu_b`` in [0.1, 1]. P1 finite elements on a uniform triangulation with
``resolution`` cells per side (scikit-fem). The operator is affine,
``A(mu) = sum_b mu_b A_b`` with ``A_b`` the stiffness matrix restricted to block
``b``; the inner product is H1_0 (the stiffness matrix with ``k = 1``, i.e.
``A(1, ..., 1)``), so the min-theta bound ``alpha(mu) >= min_b mu_b`` is exact at
``mu = 1`` and certified everywhere; the output is the compliance ``f^T u``.
"""

from __future__ import annotations

import numpy as np

from rom.affine import AffineOperator, AffineVector, LinearCoefficients
from rom.parameters import ParameterSpace
from rom.rb import LinearModel, MinTheta

__all__ = ["build", "coercivity_bound"]


def build(
    blocks: tuple[int, int] = (2, 2), resolution: int = 100, low: float = 0.1, high: float = 1.0
):
    """Assemble the thermal block; returns ``(model, parameter_space)``.

    Examples
    --------
    >>> from fem_examples import thermal_block
    >>> model, space = thermal_block.build((2, 2), resolution=10)
    >>> model.size, space.dim
    (81, 4)
    """
    import skfem
    from skfem.helpers import dot, grad

    b1, b2 = (int(b) for b in blocks)
    if b1 < 1 or b2 < 1:
        raise ValueError(f"blocks: expected two positive integers, got {blocks!r}")
    if int(resolution) < max(b1, b2):
        raise ValueError(f"resolution: expected at least {max(b1, b2)} cells per side")
    x = np.linspace(0.0, 1.0, int(resolution) + 1)
    mesh = skfem.MeshTri.init_tensor(x, x)
    element = skfem.ElementTriP1()
    full = skfem.Basis(mesh, element)

    @skfem.BilinearForm
    def laplace(u, v, _):
        return dot(grad(u), grad(v))

    @skfem.LinearForm
    def unit_source(v, _):
        return v

    centroid = mesh.p[:, mesh.t].mean(axis=1)
    bx = np.minimum((centroid[0] * b1).astype(int), b1 - 1)
    by = np.minimum((centroid[1] * b2).astype(int), b2 - 1)
    block = bx + b1 * by
    interior = full.complement_dofs(full.get_dofs())
    terms = []
    for b in range(b1 * b2):
        basis_b = skfem.Basis(mesh, element, elements=np.nonzero(block == b)[0])
        A = skfem.asm(laplace, basis_b).tocsr()
        terms.append(A[interior][:, interior].tocsr())
    f = skfem.asm(unit_source, full)[interior]
    inner = sum(terms).tocsr()
    space = ParameterSpace({f"mu{b}": (low, high) for b in range(b1 * b2)})
    model = LinearModel(
        AffineOperator(terms, LinearCoefficients.identity(b1 * b2)),
        AffineVector(f),
        inner=inner,
        output="compliant",
        parameter_space=space,
    )
    model.mesh = mesh
    model.interior_dofs = interior
    return model, space


def coercivity_bound(blocks: tuple[int, int] = (2, 2)) -> MinTheta:
    """The min-theta bound ``alpha(mu) >= min_b mu_b`` (exact constant 1 at mu = 1)."""
    n = int(blocks[0]) * int(blocks[1])
    return MinTheta(LinearCoefficients.identity(n), np.ones(n), 1.0)
