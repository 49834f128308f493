"""Inner products, norms and block orthonormalisation in an inner product ``M``.

``M`` is ``None`` (Euclidean) or a Hermitian positive definite matrix, dense or
sparse, numpy/scipy or cupy/cupyx. Every function keeps the arrays on their device.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.backend import array_namespace, scipy_linalg

__all__ = [
    "apply_inner",
    "block_inner",
    "column_norms",
    "column_squared_norms",
    "orthonormalize",
    "residual_squared_norm",
]


def apply_inner(M: Any, V: Any) -> Any:
    """Return ``M @ V`` (``V`` itself when ``M`` is None)."""
    return V if M is None else M @ V


def block_inner(U: Any, V: Any, M: Any = None) -> Any:
    """Return the matrix of inner products ``U^H M V``.

    Parameters
    ----------
    U : array, shape (n, p)
        Left vectors (columns).
    V : array, shape (n, q)
        Right vectors (columns).
    M : array or sparse matrix, shape (n, n), optional
        The inner product (default: the identity).
    """
    return U.conj().T @ apply_inner(M, V)


def column_squared_norms(V: Any, M: Any = None) -> Any:
    """Return the squared norms of the columns of ``V`` in ``M`` (one pass, no copy)."""
    xp = array_namespace(V)
    W = apply_inner(M, V)
    if xp.iscomplexobj(V) or xp.iscomplexobj(W):
        squares = xp.real(xp.einsum("ij,ij->j", V.conj(), W))
    else:
        squares = xp.einsum("ij,ij->j", V, W)
    if M is not None and bool((squares < 0).any()):
        raise ValueError("inner: the matrix is not positive definite (negative squared norm)")
    return squares


def column_norms(V: Any, M: Any = None) -> Any:
    """Return the norms of the columns of ``V`` (of ``V`` itself when 1-D) in ``M``.

    One fused pass (``einsum``); when squares overflow or underflow (entries beyond
    about 1e150 or below 1e-150), the Euclidean case falls back to LAPACK's scaled
    2-norm.

    Parameters
    ----------
    V : array, shape (n, k) or (n,)
        Vectors (columns).
    M : array or sparse matrix, shape (n, n), optional
        The inner product (default: the identity).
    """
    xp = array_namespace(V)
    norms = xp.sqrt(column_squared_norms(V, M))
    if M is None and V.size:
        big = float(xp.max(norms))
        if not np.isfinite(big) or (0 < big < 1e-140):
            norms = xp.linalg.norm(V, axis=0)
    return norms


def _cholesky_correct(Q: Any, M: Any, xp: Any) -> Any:
    """Return ``Q L^{-H}`` with ``L L^H = Q^H M Q``: M-orthonormal columns spanning ``Q``."""
    C = block_inner(Q, Q, M)
    C = (C + C.conj().T) / 2
    try:
        L = xp.linalg.cholesky(C)
    except Exception as err:  # numpy LinAlgError, cupy returns NaN or raises
        raise ValueError(
            "inner: Cholesky factorisation of Q^H M Q failed; the inner-product matrix is "
            "not positive definite on the span of the vectors"
        ) from err
    if not bool(xp.isfinite(L).all()):
        raise ValueError("inner: the matrix is not positive definite on the span of the vectors")
    solve_triangular = scipy_linalg(xp).solve_triangular
    return solve_triangular(L.conj(), Q.T, lower=True).T


def orthonormalize(Y: Any, M: Any = None) -> Any:
    """Return a matrix with orthonormal columns (in ``M``) spanning the columns of ``Y``.

    Householder QR gives Euclidean orthonormal columns to round-off whatever the
    conditioning of ``Y`` (rank-deficient blocks included). With ``M``, the result is
    then corrected twice by the Cholesky factor of the small Gram matrix
    ``Q^H M Q``: the first pass leaves an error of about ``eps * cond(M)``, the
    second brings it to round-off (as Cholesky-QR2 does).

    The result always has ``k`` columns, orthonormal to round-off, whose span
    contains the columns of ``Y``. Where ``Y`` is rank-deficient (zero or linearly
    dependent columns), the columns beyond its rank are an arbitrary orthonormal
    completion (often coordinate vectors), not directions of ``Y``: what a range
    finder needs. For a basis of exactly the span of ``Y``, with the dependent
    columns dropped, use :func:`rom.linalg.gram_schmidt`.

    Parameters
    ----------
    Y : array, shape (n, k) with k <= n
        Finite (NaN or inf raise ValueError).
    M : None or (n, n) Hermitian positive definite matrix

    Returns
    -------
    Q : array, shape (n, k)

    Examples
    --------
    >>> import numpy as np
    >>> from rom.linalg import orthonormalize
    >>> Q = orthonormalize(np.random.default_rng(0).standard_normal((6, 3)))
    >>> bool(np.allclose(Q.T @ Q, np.eye(3)))
    True
    """
    xp = array_namespace(Y)
    if not bool(xp.isfinite(Y).all()):
        raise ValueError("Y: contains NaN or inf; expected finite vectors to orthonormalise")
    Q, _ = xp.linalg.qr(Y)
    if M is not None:
        Q = _cholesky_correct(Q, M, xp)
        Q = _cholesky_correct(Q, M, xp)
    return Q


def residual_squared_norm(S: Any, Q: Any, B: Any, M: Any = None, block: int = 256) -> float:
    """Return ``||S - Q B||_F^2`` (in ``M``), formed explicitly block by block.

    The difference is computed, not inferred from ``||S||^2 - ||B||^2`` (which loses
    everything below ``sqrt(eps) ||S||``); blocks of columns keep the temporaries
    in cache.
    """
    xp = array_namespace(S)
    total = 0.0
    for j in range(0, S.shape[1], block):
        E = S[:, j : j + block] - Q @ B[:, j : j + block]
        total += float(xp.sum(column_squared_norms(E, M)))
    return total
