"""The empirical interpolation fast multipole method (EIFMM) and exact kernel sums.

:func:`direct_sum` computes ``phi_i = sum_j K(x_i - y_j) q_j`` exactly (numba or cupy);
:class:`EIFMM` computes the same sums in ``O(n)`` for any even, translation-invariant
kernel, with far fields compressed by empirical interpolation (or tensor Chebyshev
interpolation, the black-box FMM, as a baseline); :class:`KernelOperator` wraps it as a
scipy LinearOperator for iterative solvers. Kernels live in :mod:`rom.fmm.kernels`.
Numba kernels compile on first use; nothing is compiled at import. The far-field
trainings are kept between fits in a bounded store (:func:`clear_cache`,
:func:`cache_info`).
"""

from rom.fmm import kernels
from rom.fmm._farfield import cache_info, clear_cache
from rom.fmm.direct import direct_sum
from rom.fmm.eifmm import EIFMM
from rom.fmm.kernels import Kernel

__all__ = [
    "EIFMM",
    "Kernel",
    "KernelOperator",
    "cache_info",
    "clear_cache",
    "direct_sum",
    "kernels",
]


def __getattr__(name: str):
    # KernelOperator subclasses scipy's LinearOperator: import scipy.sparse.linalg
    # only when it is asked for, so that `import rom.fmm` stays light
    if name == "KernelOperator":
        from rom.fmm.operator import KernelOperator

        return KernelOperator
    raise AttributeError(f"module 'rom.fmm' has no attribute {name!r}")
