"""Gram-Schmidt orthonormalisation with re-orthogonalisation, in any inner product."""

from __future__ import annotations

from typing import Any

from rom._checks import check_array, check_inner, check_tolerance
from rom.backend import array_namespace
from rom.linalg.inner import apply_inner

__all__ = ["gram_schmidt"]


def gram_schmidt(
    V: Any,
    inner: Any = None,
    atol: float = 1e-13,
    rtol: float = 1e-10,
    reorthogonalize: bool = True,
) -> Any:
    """Orthonormalise the columns of ``V``, dropping numerically dependent ones.

    Classical Gram-Schmidt, column by column, run twice per column when
    ``reorthogonalize`` is true ("twice is enough": the result is orthonormal to
    round-off, ``||Q^H M Q - I|| = O(eps)``, even for nearly dependent columns; a
    single pass loses orthogonality in proportion to the condition number of ``V``).

    A column is dropped when its norm is at most ``atol`` before orthogonalisation,
    or when what remains of it after orthogonalisation against the previous columns
    is at most ``atol`` or at most ``rtol`` times its initial norm.

    Parameters
    ----------
    V : array, shape (n, k) or (n,)
        Columns to orthonormalise (real or complex, numpy or cupy).
    inner : None or (n, n) Hermitian positive definite matrix, dense or sparse
        Inner product ``<u, v> = v^H M u``; Euclidean when None.
    atol, rtol : float
        Absolute and relative thresholds below which a column counts as dependent.
    reorthogonalize : bool
        Run the projection twice per column.

    Returns
    -------
    Q : array, shape (n, r), r <= k
        Orthonormal columns in ``inner``, spanning the same space as ``V`` (the
        dependent columns removed), in the order of the kept columns of ``V``.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.linalg import gram_schmidt
    >>> V = np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 1.0], [1.0, 2.0, 0.0]])
    >>> Q = gram_schmidt(V)
    >>> Q.shape
    (3, 2)
    >>> bool(np.allclose(Q.T @ Q, np.eye(2)))
    True
    """
    V = check_array(V, "V", ndim=(1, 2), allow_empty=True)
    if V.ndim == 1:
        V = V[:, None]
    n, k = V.shape
    M = check_inner(inner, n)
    atol = check_tolerance(atol, "atol", allow_none=False)
    rtol = check_tolerance(rtol, "rtol", allow_none=False)
    xp = array_namespace(V)
    Q = xp.empty((n, k), dtype=V.dtype)
    r = 0
    passes = 2 if reorthogonalize else 1
    for j in range(k):
        v = V[:, j].copy()
        norm0 = _norm(v, M, xp)
        if norm0 <= atol:
            continue
        norm = norm0
        for _ in range(passes):
            if r == 0:
                break
            Qr = Q[:, :r]
            v -= Qr @ (Qr.conj().T @ apply_inner(M, v))
            norm = _norm(v, M, xp)
        if norm <= atol or norm <= rtol * norm0:
            continue
        Q[:, r] = v / norm
        r += 1
    return Q[:, :r].copy()


def _norm(v: Any, M: Any, xp: Any) -> float:
    if M is None:
        return float(xp.linalg.norm(v))
    square = float(xp.real(xp.vdot(v, M @ v)))
    if square < 0:
        raise ValueError("inner: the matrix is not positive definite (negative squared norm)")
    return square**0.5
