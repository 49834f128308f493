"""Linear algebra: Gram-Schmidt, orthonormalisation in an inner product, POD."""

from rom.linalg._tallqr import r_factor
from rom.linalg.gram_schmidt import gram_schmidt
from rom.linalg.inner import block_inner, column_norms, orthonormalize
from rom.linalg.pod import POD
from rom.linalg.solvers import Factorization, SingularMatrixError, factorize

__all__ = [
    "POD",
    "Factorization",
    "SingularMatrixError",
    "block_inner",
    "column_norms",
    "factorize",
    "gram_schmidt",
    "orthonormalize",
    "r_factor",
]
