"""Certified reduced basis: affine models, weak greedy, accurate error bounds, coercivity,
and nonintrusive approximations of matrix functions (log-determinant, inverse)."""

from rom.rb.coercivity import SCM, MinTheta, coercivity_constant
from rom.rb.greedy import ExtensionError, GreedyResult, weak_greedy
from rom.rb.matrix_functions import InverseApproximation, LogDet, exact_logdet
from rom.rb.model import LinearModel
from rom.rb.reduced_basis import ReducedBasis
from rom.rb.reduced_model import ReducedModel
from rom.rb.stability import InfSupEstimate, inf_sup_constant

__all__ = [
    "SCM",
    "ExtensionError",
    "GreedyResult",
    "InfSupEstimate",
    "InverseApproximation",
    "LinearModel",
    "LogDet",
    "MinTheta",
    "ReducedBasis",
    "ReducedModel",
    "coercivity_constant",
    "exact_logdet",
    "inf_sup_constant",
    "weak_greedy",
]
