"""Certified reduced basis: affine models, weak greedy, accurate error bounds, coercivity."""

from rom.rb.affine import AffineOperator, AffineVector, ConstantCoefficients, LinearCoefficients
from rom.rb.coercivity import SCM, MinTheta, coercivity_constant
from rom.rb.greedy import ExtensionError, GreedyResult, weak_greedy
from rom.rb.model import LinearModel
from rom.rb.reduced_basis import ReducedBasis
from rom.rb.reduced_model import ReducedModel
from rom.rb.stability import InfSupEstimate, inf_sup_constant

__all__ = [
    "SCM",
    "AffineOperator",
    "AffineVector",
    "ConstantCoefficients",
    "ExtensionError",
    "GreedyResult",
    "InfSupEstimate",
    "LinearCoefficients",
    "LinearModel",
    "MinTheta",
    "ReducedBasis",
    "ReducedModel",
    "coercivity_constant",
    "inf_sup_constant",
    "weak_greedy",
]
