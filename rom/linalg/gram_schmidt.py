"""Gram-Schmidt orthonormalisation with re-orthogonalisation, in any inner product."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.backend import array_namespace
from rom.linalg.inner import apply_inner, column_norms
from rom.validation import check_array, check_inner, check_tolerance

__all__ = ["gram_schmidt", "project_out"]


def gram_schmidt(
    V: Any,
    inner: Any = None,
    atol: float = 1e-13,
    rtol: float = 1e-10,
    reorthogonalize: bool = True,
) -> Any:
    """Orthonormalise the columns of ``V``, dropping numerically dependent ones.

    Classical Gram-Schmidt, column by column, repeated when ``reorthogonalize`` is
    true (:func:`project_out`: "twice is enough", and more passes for a remainder
    near round-off): the result is orthonormal to round-off,
    ``||Q^H M Q - I|| = O(eps)``, even for nearly dependent columns; a single pass
    loses orthogonality in proportion to the condition number of ``V``.

    A column is dropped when its norm is at most ``atol`` before orthogonalisation,
    or when what remains of it after orthogonalisation against the previous columns
    is at most ``atol`` or at most ``rtol`` times its initial norm.

    The result does not depend on the scale of ``V`` (with ``atol`` scaled alike):
    entries whose squares would overflow or underflow are first divided by a power
    of two, exactly.

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
    if V.size:  # scale-invariance: squares of entries beyond 1e100 or below 1e-100 would
        # overflow or underflow; a power of two near the largest entry divides exactly
        largest = float(xp.max(xp.abs(V)))
        if largest > 0 and not 1e-100 <= largest <= 1e100:
            scale = float(np.ldexp(1.0, int(np.frexp(largest)[1])))
            V, atol = V / scale, atol / scale
    Q = xp.empty((n, k), dtype=V.dtype)
    r = 0
    for j in range(k):
        v, _, norm, norm0 = project_out(V[:, j], Q[:, :r], M, 4 if reorthogonalize else 1)
        if norm0 <= atol or norm <= atol or norm <= rtol * norm0:
            continue
        Q[:, r] = v / norm
        r += 1
    return Q[:, :r].copy()


def project_out(v: Any, Q: Any, M: Any = None, max_passes: int = 4):
    """Remove from ``v`` its components along the ``M``-orthonormal columns of ``Q``.

    Classical Gram-Schmidt repeated while a pass removes more than half of what is
    left (the criterion of Daniel, Gragg, Kaufman and Stewart): twice is enough for
    ordinary vectors, a remainder near round-off gets the extra pass it needs to come
    out orthogonal to ``Q`` too.

    Returns
    -------
    v : the remainder
    coefficients : ``Q^H M v_initial`` accumulated over the passes
    norm, norm0 : the norms of the remainder and of the initial ``v`` in ``M``
    """
    xp = array_namespace(v)
    v = v.copy()
    norm0 = norm = _norm(v, M)
    coefficients = xp.zeros(Q.shape[1], dtype=xp.result_type(v.dtype, Q.dtype))
    if Q.shape[1] == 0 or norm0 == 0:
        return v, coefficients, norm, norm0
    for _ in range(max_passes):
        d = Q.conj().T @ apply_inner(M, v)
        v = v - Q @ d
        coefficients = coefficients + d
        previous, norm = norm, _norm(v, M)
        if norm > 0.5 * previous:
            break
    return v, coefficients, norm, norm0


def _norm(v: Any, M: Any) -> float:
    return float(column_norms(v[:, None], M)[0])
