"""Linear algebra: Gram-Schmidt, orthonormalisation in an inner product, POD, HAPOD."""

from rom.linalg._tallqr import r_factor
from rom.linalg.gram_schmidt import gram_schmidt
from rom.linalg.hapod import IncrementalPOD, distributed_pod, project_store
from rom.linalg.inner import block_inner, column_norms, orthonormalize
from rom.linalg.pod import POD
from rom.linalg.solvers import Factorization, SingularMatrixError, factorize

__all__ = [
    "POD",
    "Factorization",
    "IncrementalPOD",
    "SingularMatrixError",
    "block_inner",
    "column_norms",
    "distributed_pod",
    "factorize",
    "gram_schmidt",
    "orthonormalize",
    "project_store",
    "r_factor",
]
