"""A 1-D diffusion model with piecewise-constant conductivity: quick and affine.

``-(k(x) u')' = 1`` on (0, 1), ``u(0) = u(1) = 0``, with ``k = mu_q`` on the q-th of
``Q`` equal subintervals; P1 finite elements on ``n`` cells. The inner product is the
H1_0 one (stiffness with ``k = 1``), so the min-theta bound with ``mu_ref = 1`` and
``alpha_ref = 1`` is exact at the reference and certified everywhere.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

from rom.affine import AffineOperator, AffineVector, LinearCoefficients
from rom.parameters import ParameterSpace
from rom.rb import LinearModel, MinTheta


def build(
    n: int = 200,
    segments: int = 3,
    low: float = 0.1,
    high: float = 1.0,
    complex_shift: float = 0.0,
):
    """Return ``(model, parameter_space, coercivity)``.

    ``complex_shift`` adds ``1j * complex_shift * M`` (a mass term) to the operator,
    giving a complex-valued affine system whose Hermitian part is unchanged.
    """
    h = 1.0 / n
    cell_segment = np.minimum((np.arange(n) + 0.5) * h * segments, segments - 1).astype(int)
    terms = []
    for q in range(segments):
        k = (cell_segment == q).astype(float) / h
        # element stiffness [[1, -1], [-1, 1]] * k on nodes i, i+1; keep interior nodes 1..n-1
        main = k[:-1] + k[1:]
        off = -k[1:-1]
        terms.append(scipy.sparse.diags([off, main, off], [-1, 0, 1], format="csr"))
    f = np.full(n - 1, h)
    inner = sum(terms)
    if complex_shift:
        mass = scipy.sparse.diags(
            [np.full(n - 2, h / 6), np.full(n - 1, 4 * h / 6), np.full(n - 2, h / 6)], [-1, 0, 1]
        )
        terms = [t.astype(complex) for t in terms] + [1j * complex_shift * mass.tocsr()]
        theta = LinearCoefficients(
            np.vstack([np.eye(segments), np.zeros((1, segments))]),
            offset=np.r_[np.zeros(segments), 1.0],
        )
        op_coefficients = theta
        coercivity_theta = LinearCoefficients(np.eye(segments))
    else:
        op_coefficients = coercivity_theta = LinearCoefficients.identity(segments)
    space = ParameterSpace({f"mu{q}": (low, high) for q in range(segments)})
    model = LinearModel(
        AffineOperator(terms, op_coefficients),
        AffineVector(f),
        inner=inner,
        output="compliant",
        parameter_space=space,
    )
    coercivity = MinTheta(coercivity_theta, np.ones(segments), 1.0)
    return model, space, coercivity
