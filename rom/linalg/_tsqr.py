"""``POD.fit`` of a dask array: the SVD of the R factor of a tall-skinny QR (TSQR)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.linalg._truncation import svd, truncation_rank
from rom.validation import check_choice, check_positive_int, check_tolerance

__all__ = ["fit_tsqr"]


def fit_tsqr(pod: Any, S: Any) -> Any:
    """Fit ``pod`` (a :class:`rom.POD`) on a dask array ``S`` (rows in blocks).

    ``S`` is reduced by ``dask.array.linalg.tsqr``, ``S = Q R``; the SVD of the small
    ``R = U_R \\Sigma V^H`` gives the singular values to round-off and the modes
    ``Q U_R`` (only the kept ones are formed). Euclidean inner product only.
    """
    import dask.array as da

    if pod.inner is not None:
        raise ValueError("inner: a dask array is reduced in the Euclidean inner product only")
    if S.ndim != 2:
        raise ValueError(f"S: expected a 2-D array, got shape {tuple(S.shape)}")
    check_choice(pod.method, "method", ("auto", "svd"))
    relative = bool(pod.relative)
    rank = check_positive_int(pod.rank, "rank")
    tol = check_tolerance(pod.tol, "tol", upper=1.0 if relative else None)
    rtol = check_tolerance(pod.rtol, "rtol", upper=1.0)
    A = S.rechunk({1: -1})
    Q, R = da.linalg.tsqr(A)
    R = R.compute()
    if not np.isfinite(R).all():
        raise ValueError("S: contains NaN or inf")
    total = float(np.sum(np.abs(R) ** 2))
    if total == 0.0:
        raise ValueError("S: every snapshot is zero; there is nothing to compress")
    Ur, s, _ = svd(R, np)
    eps = float(np.finfo(R.dtype).eps)
    err = np.full(s.shape, eps * float(s[0]) * S.shape[0] ** 0.5)
    r = truncation_rank(s, err, rank, tol, rtol, total, None, "svd", relative)
    pod.basis_ = (Q @ da.from_array(Ur[:, :r])).compute()
    pod.singular_values_ = s[:r]
    pod.singular_value_error_ = err[:r]
    pod.energy_ = np.cumsum(s[:r] ** 2) / total
    pod.total_energy_ = total
    pod.method_ = "tsqr"
    pod.n_iter_ = 0
    pod.inner_ = None
    pod._coefficients = None
    return pod
