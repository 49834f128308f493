"""Certified reduced basis: linear models, the weak greedy, accurate error bounds,
coercivity and stability estimates, and reduced models that save and load."""

from rom.rb.coercivity import SCM, MinTheta, coercivity_constant
from rom.rb.greedy import ExtensionError, GreedyResult, weak_greedy
from rom.rb.model import LinearModel
from rom.rb.reduced_basis import ReducedBasis
from rom.rb.reduced_model import ReducedModel
from rom.rb.stability import InfSupEstimate, inf_sup_constant

__all__ = [
    "SCM",
    "ExtensionError",
    "GreedyResult",
    "InfSupEstimate",
    "LinearModel",
    "MinTheta",
    "ReducedBasis",
    "ReducedModel",
    "coercivity_constant",
    "inf_sup_constant",
    "weak_greedy",
]
