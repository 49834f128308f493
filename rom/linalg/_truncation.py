"""The SVD and the truncation rule shared by POD, the HAPOD and the TSQR of a dask array."""

from __future__ import annotations

import numpy as np

__all__ = ["svd", "truncation_rank"]


def svd(A, xp):
    """Thin SVD (numpy: scipy's ``gesdd``, ``gesvd`` where it fails; cupy's otherwise)."""
    if xp is np:
        import scipy.linalg

        try:
            return scipy.linalg.svd(A, full_matrices=False, lapack_driver="gesdd")
        except np.linalg.LinAlgError:
            return scipy.linalg.svd(A, full_matrices=False, lapack_driver="gesvd")
    return xp.linalg.svd(A, full_matrices=False)


def truncation_rank(s, err, rank, tol, rtol, total, tail, method, relative=True) -> int:
    """Number of modes to keep (see the POD docstring)."""
    sn = np.asarray(s.get() if hasattr(s, "get") else s, dtype=float)
    if sn.size == 0 or sn[0] <= 0:
        return 0
    eps = np.finfo(float).eps
    floor = (sn.size * eps) ** 0.5 * sn[0] if method == "snapshots" else 10 * eps * sn[0]
    r = int(np.sum(sn > floor))
    if rank is not None:
        r = min(r, rank)
    if rtol is not None:
        r = min(r, int(np.sum(sn > rtol * sn[0])))
    if tol is not None:
        if tail is None:
            squares = sn**2
            tails = np.concatenate([np.cumsum(squares[::-1])[::-1][1:], [0.0]])
            if method == "snapshots":  # eigenvalues below the floor still carry energy
                tails = tails + max(total - float(np.sum(squares)), 0.0)
        else:
            tails = np.asarray(tail.get() if hasattr(tail, "get") else tail, dtype=float)
        ok = np.nonzero(tails <= tol**2 * (total if relative else 1.0))[0]
        r_tol = int(ok[0]) + 1 if ok.size else sn.size
        r = min(r, r_tol)
    return r
