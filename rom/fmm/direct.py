"""Exact kernel sums ``phi(x_i) = sum_j K(x_i - y_j) q_j`` (numba, numpy or cupy)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.backend import BACKENDS, array_namespace, is_cupy_array, resolve_backend
from rom.fmm.kernels import Kernel, _pad3, as_kernel
from rom.validation import check_array, check_choice

__all__ = ["direct_sum"]


def check_points(x: Any, name: str, dim: int | None = None) -> Any:
    """(n, 2) or (n, 3) finite real coordinates."""
    x = check_array(x, name, ndim=2, dtype_kind="f")
    if x.shape[1] not in (2, 3):
        raise ValueError(f"{name}: expected points of shape (n, 2) or (n, 3), got {x.shape}")
    if dim is not None and x.shape[1] != dim:
        raise ValueError(f"{name}: expected {dim}-D points, shape (n, {dim}), got {x.shape}")
    return x


def check_charges(q: Any, n: int, name: str = "charges") -> tuple[Any, bool]:
    """Charges of shape (n,) or (n, k) as a 2-D array, and whether they were 1-D."""
    q = check_array(q, name, ndim=(1, 2))
    if q.shape[0] != n:
        raise ValueError(f"{name}: expected {n} rows (one per source), got shape {tuple(q.shape)}")
    one = q.ndim == 1
    return (q[:, None] if one else q), one


def _chunks(n: int, size: int) -> tuple[np.ndarray, np.ndarray]:
    start = np.arange(0, n, size, dtype=np.int64)
    return start, np.minimum(start + size, n).astype(np.int64)


def numba_sum(K: Kernel, T: np.ndarray, S: np.ndarray, Q: np.ndarray, exclude: bool):
    """Charge-major ``Q`` (k, n_sources) -> potentials (k, n_targets)."""
    grouped = K.loops()[0]
    if K.is_complex or Q.dtype.kind != "c":
        dtype = np.result_type(K.dtype, Q.dtype, np.float64)
        Qc = np.ascontiguousarray(Q, dtype=dtype)
    else:  # real kernel, complex charges: real and imaginary parts as 2k real columns
        k = Q.shape[0]
        out = numba_sum(K, T, S, np.concatenate([Q.real, Q.imag]), exclude)
        return out[:k] + 1j * out[k:]
    out = np.zeros((Qc.shape[0], T.shape[0]), dtype=dtype)
    if exclude and K.kid >= 0 and not K.is_complex and T.shape[0] > MUTUAL_CHUNK:
        _mutual_sum(K, T, Qc, out)
        return out
    tstart, tend = _chunks(T.shape[0], 16)
    lptr = np.arange(tstart.size + 1, dtype=np.int64)
    lsrc = np.zeros(tstart.size, dtype=np.int64)
    grouped(
        K.kid,
        K.params,
        _pad3(T),
        tstart,
        tend,
        lptr,
        lsrc,
        _pad3(S),
        np.zeros(1, dtype=np.int64),
        np.array([S.shape[0]], dtype=np.int64),
        exclude,
        Qc,
        out,
    )
    return out


# points per group of the all-pairs sum (a group's coordinates stay in the L1 cache)
MUTUAL_CHUNK = 256


def mutual_plan(pts: np.ndarray, start: np.ndarray, end: np.ndarray, a, b) -> tuple:
    """The arguments of :func:`rom.fmm._numba.mutual_sum_real` (all but the kernel,
    the charges and the output) for the unordered group pairs ``(a[m], b[m])``
    (``a <= b``) of groups ``start:end`` of the points ``pts``: the pairs split
    between the threads by numbers of interactions."""
    import numba

    size = (end - start).astype(np.float64)
    work = np.where(a == b, size[a] * (size[a] - 1) / 2, size[a] * size[b])
    load = np.cumsum(work)
    parts = int(numba.get_num_threads())
    cuts = np.searchsorted(load, load[-1] * np.arange(1, parts) / parts, side="right")
    cuts = np.concatenate([[0], cuts, [a.size]]).astype(np.int64)
    ints = (start, end, a, b)
    return (pts, *(np.ascontiguousarray(x, dtype=np.int64) for x in ints), cuts)


def _mutual_sum(K: Kernel, X: np.ndarray, Q: np.ndarray, out: np.ndarray) -> None:
    """All pairs of points that are both targets and sources, each kernel value used
    for both points (half the kernel evaluations): every unordered pair of groups
    once."""
    from rom.fmm._numba import mutual_sum_real

    start, end = _chunks(X.shape[0], MUTUAL_CHUNK)
    a, b = np.triu_indices(start.size)
    mutual_sum_real(K.kid, K.params, *mutual_plan(_pad3(X), start, end, a, b), Q, out)


def numpy_sum(K: Kernel, T: np.ndarray, S: np.ndarray, Q: np.ndarray, exclude: bool):
    """The reference: dense kernel blocks times the charges, block by block."""
    dtype = np.result_type(K.dtype, Q.dtype, np.float64)
    out = np.zeros((Q.shape[0], T.shape[0]), dtype=dtype)
    block = max(1, 2_000_000 // max(S.shape[0], 1))
    for a in range(0, T.shape[0], block):
        A = K.matrix(T[a : a + block], S)
        if exclude:
            idx = np.arange(a, min(a + block, T.shape[0]))
            A[idx - a, idx] = 0
        out[:, a : a + block] = (A @ Q.T).T
    return out


def direct_sum(
    kernel: Any,
    targets: Any,
    sources: Any,
    charges: Any,
    backend: str = "auto",
) -> Any:
    """Exact sums ``phi_i = sum_j K(x_i - y_j) q_j`` over all sources.

    When ``targets`` is ``sources`` (the same array object) or None, the pair
    ``i == j`` is left out (no self-interaction). A singular kernel contributes 0 for a
    target that coincides with a source.

    Parameters
    ----------
    kernel : Kernel or numba-jitted f(r)
        See :mod:`rom.fmm.kernels`; a bare jitted ``f(r)`` is a radial kernel.
    targets : array of shape (m, d) or None
        Evaluation points, ``d`` in {2, 3}; None means the sources.
    sources : array of shape (n, d)
    charges : array of shape (n,) or (n, k)
        One or several charge vectors (columns), real or complex.
    backend : {"auto", "numba", "numpy", "cupy"}
        "numba": fused parallel loops (prange over targets, all charge vectors at
        once; when the targets are the sources and the kernel is a real built-in one,
        each unordered pair of points once, its kernel value serving both: 1.7 times
        faster); "numpy": dense blocks times charges, the reference; "cupy": one CUDA
        thread per target (cupy arrays in, cupy arrays out). "auto" follows the input.

    Returns
    -------
    array of shape (m,) or (m, k)
        The potentials, real when kernel and charges are real.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.fmm import direct_sum, kernels
    >>> y = np.array([[0.0, 0, 0], [1.0, 0, 0]])
    >>> direct_sum(kernels.laplace(), None, y, np.array([1.0, 2.0]))
    array([2., 1.])
    """
    check_choice(backend, "backend", BACKENDS)
    same = targets is None or targets is sources
    if is_cupy_array(sources) or is_cupy_array(targets) or is_cupy_array(charges):
        array_namespace(sources, None if same else targets, charges)
    backend = resolve_backend(backend, sources, None if same else targets, charges)
    if backend == "cupy":
        from rom.fmm import _cupy

        return _cupy.direct_sum(kernel, None if same else targets, sources, charges)
    sources = check_points(sources, "sources")
    dim = sources.shape[1]
    K = as_kernel(kernel, dim)
    T = sources if same else check_points(targets, "targets", dim)
    Q, one = check_charges(charges, sources.shape[0])
    Qt = np.ascontiguousarray(Q.T)
    if backend == "numba":
        out = numba_sum(K, T, sources, Qt, same)
    else:
        out = numpy_sum(K, T, sources, Qt, same)
    out = out.T
    return out[:, 0].copy() if one else np.ascontiguousarray(out)
