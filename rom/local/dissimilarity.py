r"""Dissimilarities between snapshots: sine of the angle, Euclidean distance, Grassmann angle.

Every function takes snapshots as columns and one optional inner product ``M``. The
Gram matrix :math:`G = S^H M Y` comes from one matrix product; the entries it cannot
resolve (nearly parallel or nearly equal snapshots, where :math:`1 - |\cos|` or
:math:`\|s\|^2 + \|y\|^2 - 2\,\mathrm{Re}\,s^H M y` cancels) are recomputed from the
vectors themselves, pair by pair, with the explicit difference (see
:func:`sine_dissimilarity`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.linalg.inner import block_inner, column_norms, orthonormalize
from rom.validation import check_array, check_choice, check_inner, check_tolerance

__all__ = [
    "METRICS",
    "dissimilarity",
    "euclidean_dissimilarity",
    "grassmann_dissimilarity",
    "principal_angles",
    "sine_dissimilarity",
]

METRICS = ("sine", "euclidean", "grassmann")

#: default threshold below which the Gram-based value is recomputed from the vectors
REFINE = 1e-3

#: bytes of the temporaries of one block of explicit differences (inner-product path)
_BLOCK_BYTES = 32 * 2**20


def _inputs(S: Any, Y: Any, inner: Any) -> tuple[Any, Any, Any]:
    S = check_array(S, "S", ndim=2)
    if Y is not None:
        Y = check_array(Y, "Y", ndim=(1, 2))
        if Y.ndim == 1:
            Y = Y[:, None]
        if Y.shape[0] != S.shape[0]:
            raise ValueError(
                f"Y: expected {S.shape[0]} rows (the number of dofs of S), got {Y.shape[0]}"
            )
    M = check_inner(inner, S.shape[0])
    return S, Y, M


def _column_scaled(X: Any) -> Any:
    """``X`` with each column divided by a power of two near its largest entry, when
    some column's squares would overflow or underflow (entries beyond about 1e100 or
    below 1e-100); ``X`` itself otherwise. Exact (powers of two), for the measures that
    do not depend on the length of a snapshot (sine, angle)."""
    if X is None or X.size == 0:
        return X
    largest = np.abs(X).max(axis=0)
    nonzero = largest > 0
    if np.all((largest[nonzero] >= 1e-100) & (largest[nonzero] <= 1e100)):
        return X
    exponents = np.frexp(np.where(nonzero, largest, 1.0))[1]
    return X / np.ldexp(1.0, exponents)


def gram(S: Any, Y: Any = None, M: Any = None) -> Any:
    """``S^H M Y`` in one matrix product (``S^H M S`` when ``Y`` is None)."""
    if Y is None:
        if M is None and not np.iscomplexobj(S):
            return S.T @ S  # one symmetric rank-k update (BLAS syrk)
        G = block_inner(S, S, M)
        return (G + G.conj().T) / 2  # exactly Hermitian whatever the round-off of M S
    return block_inner(S, Y, M)


def _nonzero_norms(S: Any, M: Any, name: str) -> Any:
    norms = np.asarray(column_norms(S, M), dtype=float)
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(
            f"{name}: snapshots {zero[:10].tolist()} are zero; the angle between a zero "
            "snapshot and another is undefined (remove them or use the euclidean dissimilarity)"
        )
    return norms


def _explicit_norms(
    U: Any, V: Any, rows: Any, cols: Any, su: Any, sv: Any, M: Any, same: bool = False
) -> Any:
    """``||sv * V[:, cols] - su * U[:, rows]||_M`` for every pair, from the vectors.

    ``su`` and ``sv`` are per-pair factors (the inverse norms and the phase).
    """
    if rows.size == 0:
        return np.zeros(0)
    real = not any(np.iscomplexobj(a) for a in (U, V, su, sv))
    if M is None and real and U.flags.c_contiguous and V.flags.c_contiguous:
        from rom.local import _numba

        chunk = max(64, -(-rows.size // (4 * _numba.numba.get_num_threads())))
        return _numba.pair_difference_norms(
            U,
            U if same else V,
            rows.astype(np.int64),
            cols.astype(np.int64),
            np.asarray(su, dtype=float),
            np.asarray(sv, dtype=float),
            chunk,
        )
    out = np.empty(rows.size)
    block = max(1, _BLOCK_BYTES // (16 * U.shape[0]))
    for start in range(0, rows.size, block):
        sl = slice(start, start + block)
        E = V[:, cols[sl]] * sv[sl] - U[:, rows[sl]] * su[sl]
        out[sl] = column_norms(E, M)
    return out


def _sine_and_cosine(S, Y, M, refine, G=None, want_cos=False):
    """Sines (and absolute cosines) of the angles between the columns of ``S`` and ``Y``.

    ``G`` is ``S^H M Y`` when the caller has it already (it is not modified).
    """
    inv_s = 1.0 / _nonzero_norms(S, M, "S")
    inv_y = inv_s if Y is None else 1.0 / _nonzero_norms(Y, M, "Y")
    G = gram(S, Y, M) if G is None else G
    cos = np.abs(G)
    cos *= np.outer(inv_s, inv_y)  # a_i a_j = a_j a_i: exactly symmetric for Y = S
    np.minimum(cos, 1.0, out=cos)
    sine = np.multiply(cos, cos)
    np.subtract(1.0, sine, out=sine)
    np.maximum(sine, 0.0, out=sine)
    np.sqrt(sine, out=sine)
    rows, cols = np.nonzero(sine < refine)
    if Y is None:
        np.fill_diagonal(sine, 0.0)
        upper = rows < cols
        rows, cols = rows[upper], cols[upper]
    if rows.size:
        # the phase p of u^H M v (its sign for real data, exact)
        V = S if Y is None else Y
        g = G[rows, cols]
        phase = np.where(g == 0, 1.0, g / np.where(g == 0, 1.0, np.abs(g)))
        if not np.iscomplexobj(phase):
            phase = np.where(g < 0, -1.0, 1.0)
        # ||v - p u|| ||v + p u|| / 2 for unit u, v; the second factor has no
        # cancellation: ||v + p u||^2 = 2 + 2 |cos|
        diff = _explicit_norms(
            S, V, rows, cols, phase * inv_s[rows], inv_y[cols], M, same=Y is None
        )
        c = cos[rows, cols]
        sine[rows, cols] = np.minimum(diff * np.sqrt((1.0 + c) / 2.0), 1.0)
        if Y is None:
            sine[cols, rows] = sine[rows, cols]
    if want_cos:
        if Y is None:
            np.fill_diagonal(cos, 1.0)
        return sine, cos
    return sine, None


def sine_dissimilarity(
    S: Any, Y: Any = None, inner: Any = None, *, refine: float = REFINE
) -> np.ndarray:
    r"""Sine of the angle between snapshots: :math:`\delta(u, v) = \sin\angle(u, v)`.

    With :math:`G = S^H M Y` and the norms :math:`\|s_i\|_M`, the cosine is
    :math:`c_{ij} = |G_{ij}| / (\|s_i\|_M \|y_j\|_M)` and
    :math:`\sin^2 = (1 - c)(1 + c)`. This formula is exact in exact arithmetic but
    loses every digit below about :math:`\sqrt{\epsilon} \approx 10^{-8}` for nearly
    parallel snapshots (:math:`c` rounds to 1). Entries whose Gram-based sine is below
    ``refine`` are therefore recomputed from the unit vectors
    :math:`u = s/\|s\|_M`, :math:`v = y/\|y\|_M`:

    .. math::

       \sin\angle(u, v) = \tfrac12\,\|v - p\,u\|_M\,\|v + p\,u\|_M
                        = \|v - p\,u\|_M\,\sqrt{(1 + c)/2},

    where :math:`p` is the phase of :math:`u^H M v` (its sign for real data, exact)
    and :math:`\|v - p u\|_M` is formed from the explicit difference. The result then
    carries an absolute error of a few :math:`\epsilon` (the round-off of the unit
    vectors themselves), so a sine of :math:`10^{-8}` keeps about eight digits. Above
    ``refine`` the Gram-based value has a relative error of at most about
    :math:`\gamma / (2\,\mathrm{refine}^2)`, with :math:`\gamma` the relative
    round-off of the Gram matrix (:math:`\approx 10^{-14}`). The sine equals the
    relative error of the orthogonal projection of one snapshot on the line of the
    other, :math:`\|u - P_v u\|_M / \|u\|_M`, and is invariant under scaling of either
    snapshot (also by a negative or complex factor).

    Parameters
    ----------
    S : array, shape (n, m)
        Snapshots (columns); none may be zero.
    Y : array, shape (n, p) or (n,), optional
        Second set of snapshots; default ``S`` (then the result is symmetric with a zero
        diagonal).
    inner : None or (n, n) Hermitian positive definite matrix, dense or sparse
    refine : float
        Threshold in ``[0, 1]`` below which a sine is recomputed from the vectors.

    Returns
    -------
    numpy.ndarray, shape (m, m) or (m, p), values in [0, 1]

    Examples
    --------
    >>> import numpy as np
    >>> from rom.local import sine_dissimilarity
    >>> S = np.array([[1.0, 1.0, 0.0], [0.0, 1e-9, 1.0]])
    >>> D = sine_dissimilarity(S)
    >>> float(D[0, 1]), float(D[0, 2])
    (1e-09, 1.0)
    """
    refine = check_tolerance(refine, "refine", allow_none=False, upper=1.0)
    S, Y, M = _inputs(S, Y, inner)
    return _sine_and_cosine(_column_scaled(S), _column_scaled(Y), M, refine)[0]


def grassmann_dissimilarity(
    S: Any, Y: Any = None, inner: Any = None, *, refine: float = REFINE
) -> np.ndarray:
    r"""Angle between the lines spanned by snapshots (geodesic distance on :math:`Gr(1, n)`).

    :math:`\theta_{ij} = \operatorname{atan2}(\sin, |\cos|) \in [0, \pi/2]`, with the
    sine of :func:`sine_dissimilarity` (accurate for small angles) and the cosine from
    the Gram matrix (accurate near :math:`\pi/2`). For one-dimensional subspaces it is
    the only principal angle; :func:`principal_angles` gives them for subspaces of any
    dimension.

    Parameters
    ----------
    S, Y, inner, refine : see sine_dissimilarity
        As in :func:`sine_dissimilarity`.

    Returns
    -------
    numpy.ndarray, shape (m, m) or (m, p), values in [0, pi/2]

    Examples
    --------
    >>> import numpy as np
    >>> from rom.local import grassmann_dissimilarity
    >>> S = np.array([[1.0, 1.0], [0.0, 1.0]])
    >>> round(float(grassmann_dissimilarity(S)[0, 1]), 12) == round(np.pi / 4, 12)
    True
    """
    refine = check_tolerance(refine, "refine", allow_none=False, upper=1.0)
    S, Y, M = _inputs(S, Y, inner)
    sine, cos = _sine_and_cosine(_column_scaled(S), _column_scaled(Y), M, refine, want_cos=True)
    return np.arctan2(sine, cos)


def euclidean_dissimilarity(
    S: Any, Y: Any = None, inner: Any = None, *, refine: float = REFINE
) -> np.ndarray:
    r"""Distances :math:`\|s_i - y_j\|_M` between snapshots.

    From the Gram matrix, :math:`d^2 = \|s\|^2 + \|y\|^2 - 2\,\mathrm{Re}\,s^H M y`;
    where :math:`d < \mathrm{refine}\cdot\max(\|s\|, \|y\|)` this difference of large
    numbers has lost its digits, and :math:`d` is recomputed from the explicit
    difference :math:`s - y`.

    Parameters
    ----------
    S, Y, inner : see sine_dissimilarity
        As in :func:`sine_dissimilarity` (zero snapshots are allowed).
    refine : float
        Relative threshold below which a distance is recomputed from the vectors.

    Returns
    -------
    numpy.ndarray, shape (m, m) or (m, p)

    Examples
    --------
    >>> import numpy as np
    >>> from rom.local import euclidean_dissimilarity
    >>> S = np.array([[0.0, 3.0], [0.0, 4.0]])
    >>> euclidean_dissimilarity(S)
    array([[0., 5.],
           [5., 0.]])
    """
    refine = check_tolerance(refine, "refine", allow_none=False, upper=1.0)
    S, Y, M = _inputs(S, Y, inner)
    return _euclidean(S, Y, M, refine)


def _euclidean(S, Y, M, refine, G=None):
    """Distances between the columns of ``S`` and ``Y`` (``G = S^H M Y`` if known)."""
    G = gram(S, Y, M) if G is None else G
    ns = np.asarray(column_norms(S, M), dtype=float)
    ny = ns if Y is None else np.asarray(column_norms(Y, M), dtype=float)
    D = np.sqrt(np.maximum(ns[:, None] ** 2 + ny[None, :] ** 2 - 2.0 * np.real(G), 0.0))
    scale = np.maximum(ns[:, None], ny[None, :])
    if Y is None:
        np.fill_diagonal(D, 0.0)
        rows, cols = np.nonzero(np.triu(D < refine * scale, k=1))
    else:
        rows, cols = np.nonzero(D < refine * scale)
    if rows.size:
        V = S if Y is None else Y
        ones = np.ones(rows.size)
        D[rows, cols] = _explicit_norms(S, V, rows, cols, ones, ones, M, same=Y is None)
        if Y is None:
            D[cols, rows] = D[rows, cols]
    return D


def dissimilarity(
    S: Any, Y: Any = None, metric: str = "sine", inner: Any = None, *, refine: float = REFINE
) -> np.ndarray:
    """Dissimilarity matrix between snapshots: ``metric`` is "sine", "euclidean" or "grassmann".

    Parameters
    ----------
    S, Y : array
        As in :func:`sine_dissimilarity`.
    metric : {"sine", "euclidean", "grassmann"}
        The dissimilarity.
    inner, refine : see sine_dissimilarity
        As in :func:`sine_dissimilarity`.

    Returns
    -------
    numpy.ndarray, shape (m, m) or (m, p)

    Examples
    --------
    >>> import numpy as np
    >>> from rom.local import dissimilarity
    >>> dissimilarity(np.eye(2), metric="sine")
    array([[0., 1.],
           [1., 0.]])
    """
    metric = check_choice(metric, "metric", METRICS)
    func = {
        "sine": sine_dissimilarity,
        "euclidean": euclidean_dissimilarity,
        "grassmann": grassmann_dissimilarity,
    }[metric]
    return func(S, Y, inner, refine=refine)


def principal_angles(A: Any, B: Any, inner: Any = None) -> np.ndarray:
    r"""Principal angles between the column spans of ``A`` and ``B``, increasing.

    With :math:`Q_A, Q_B` ``M``-orthonormal bases and :math:`C = Q_A^H M Q_B`, the
    cosines are the singular values of :math:`C` and the sines those of the explicit
    residual :math:`Q_B - Q_A C`; each angle is taken from the sine when it is small
    and from the cosine when it is large (Knyazev and Argentati, 2002), so that
    angles near 0 and near :math:`\pi/2` are both accurate to round-off.

    Parameters
    ----------
    A : array, shape (n, p)
    B : array, shape (n, q)
    inner : None or (n, n) Hermitian positive definite matrix

    Returns
    -------
    numpy.ndarray, shape (min(p, q),)

    Examples
    --------
    >>> import numpy as np
    >>> from rom.local import principal_angles
    >>> A = np.eye(3)[:, :2]
    >>> B = np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0]])
    >>> np.round(np.degrees(principal_angles(A, B)), 6)
    array([ 0., 45.])
    """
    A = check_array(A, "A", ndim=2)
    B = check_array(B, "B", ndim=2, shape=(A.shape[0], None))
    M = check_inner(inner, A.shape[0])
    if A.shape[1] < B.shape[1]:
        A, B = B, A
    Qa = orthonormalize(A, M)
    Qb = orthonormalize(B, M)
    C = block_inner(Qa, Qb, M)
    cos = np.linalg.svd(C, compute_uv=False)[::-1]  # increasing: matches increasing angles
    cos = np.sort(np.minimum(cos, 1.0))[::-1]
    R = Qb - Qa @ C
    if M is not None:  # singular values of R in the M-norm: R = Q T with Q M-orthonormal
        Qr = orthonormalize(R, M)
        R = block_inner(Qr, R, M)
    sin = np.sort(np.minimum(np.linalg.svd(R, compute_uv=False), 1.0))
    return np.where(cos**2 < 0.5, np.arccos(cos), np.arcsin(sin))
