"""Learned and nonlinear reductions: quadratic manifolds, autoencoders, the manifold
Galerkin and least-squares Petrov-Galerkin reduced models built on them, and operator
inference.

Each reduction has the face of :class:`rom.POD`: ``fit(S)`` (snapshots as columns),
``transform(S)`` (encode), ``inverse_transform(Z)`` (decode), ``projection_error(S)``,
plus ``jacobian(z)``, the decoder's tangent (n x r). ``inverse_transform`` and
``jacobian`` take ``rows=`` (indices of the full state) so that a hyper-reduced model
evaluates the decoder only where it samples the residual.
"""

# Each module's public names are imported here and listed in __all__ (sorted).
# rom.manifold.torch is never imported here: it needs torch, an optional extra.

from rom.manifold._monomials import (
    compress_quadratic,
    expand_quadratic,
    n_quadratic,
    quadratic_monomials,
    quadratic_monomials_jacobian,
)
from rom.manifold.autoencoder import Autoencoder
from rom.manifold.opinf import OperatorInference, ParametricOperatorInference, time_derivatives
from rom.manifold.quadratic import QuadraticManifold
from rom.manifold.rom import ManifoldROM

__all__: list[str] = [
    "Autoencoder",
    "ManifoldROM",
    "OperatorInference",
    "ParametricOperatorInference",
    "QuadraticManifold",
    "compress_quadratic",
    "expand_quadratic",
    "n_quadratic",
    "quadratic_monomials",
    "quadratic_monomials_jacobian",
    "time_derivatives",
]
