"""Linear algebra: Gram-Schmidt, orthonormalisation in an inner product, POD."""

from rom.linalg.gram_schmidt import gram_schmidt
from rom.linalg.inner import block_inner, column_norms, orthonormalize
from rom.linalg.pod import POD

__all__ = ["POD", "block_inner", "column_norms", "gram_schmidt", "orthonormalize"]
