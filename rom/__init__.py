"""romba: reduced-order modelling.

Empirical interpolation, certified reduced basis, POD and clustered local bases,
Lagrangian bases and an EIM-based fast multipole method, on plain NumPy arrays with
numba kernels on the CPU and cupy kernels on the GPU.
"""

from rom import backend
from rom._version import __version__
from rom.affine import AffineOperator, AffineVector, ConstantCoefficients, LinearCoefficients
from rom.io.persist import load, save
from rom.linalg import POD, IncrementalPOD, gram_schmidt
from rom.parameters import ParameterSpace
from rom.validation import NotFittedError

__all__ = [
    "POD",
    "AffineOperator",
    "AffineVector",
    "ConstantCoefficients",
    "IncrementalPOD",
    "LinearCoefficients",
    "NotFittedError",
    "ParameterSpace",
    "__version__",
    "backend",
    "gram_schmidt",
    "load",
    "save",
]
