r"""The distinct quadratic monomials of a coordinate vector, their Jacobian, and the
compression of a Kronecker-product operator onto them.

For :math:`z \in \mathbb{C}^r` the vector :math:`h(z)` holds the
:math:`r(r+1)/2` distinct products :math:`z_i z_j`, :math:`i \le j`, ordered by the
larger index :math:`j` and then by :math:`i`:

.. math::

   h(z) = (z_0 z_0,\; z_0 z_1,\; z_1 z_1,\; z_0 z_2,\; z_1 z_2,\; z_2 z_2,\; \dots,
   \; z_{r-1} z_{r-1}).

The monomials of the first :math:`r' \le r` coordinates are then the first
:math:`r'(r'+1)/2` entries of :math:`h(z)` (nested), and the order is the one of the
``opinf`` package's compressed Kronecker product, so operators pass between the two
unchanged. No complex conjugate is taken: :math:`h` is a polynomial of :math:`z`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rom.validation import check_array, check_positive_int

__all__ = [
    "compress_quadratic",
    "expand_quadratic",
    "n_quadratic",
    "quadratic_monomials",
    "quadratic_monomials_jacobian",
]


def n_quadratic(r: int) -> int:
    """The number ``r (r + 1) / 2`` of distinct quadratic monomials of ``r`` coordinates.

    Parameters
    ----------
    r : int
        The number of coordinates, ``r >= 0``.

    Returns
    -------
    int
        ``r (r + 1) / 2``, the length of :func:`quadratic_monomials` of ``r``
        coordinates.

    Examples
    --------
    >>> from rom.manifold import n_quadratic
    >>> n_quadratic(4)
    10
    """
    r = check_positive_int(r, "r", allow_none=False, minimum=0)
    return r * (r + 1) // 2


def _pairs(r: int) -> tuple[np.ndarray, np.ndarray]:
    """``(i, j)`` of every monomial ``z_i z_j`` in the order of :func:`quadratic_monomials`."""
    j, i = np.tril_indices(r)  # rows of the lower triangle: (0,0), (1,0), (1,1), (2,0)...
    return i, j


def quadratic_monomials(Z: Any) -> np.ndarray:
    r"""The distinct quadratic monomials :math:`h(z)` of each column of ``Z``.

    Parameters
    ----------
    Z : array, shape (r,) or (r, k), real or complex
        Coordinates, one vector per column.

    Returns
    -------
    array, shape (r (r + 1) / 2,) or (r (r + 1) / 2, k)
        Entry ``p`` is :math:`z_i z_j` for the ``p``-th pair ``i <= j`` in the order
        ``(0,0), (0,1), (1,1), (0,2), (1,2), (2,2), ...`` (by ``j``, then ``i``).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.manifold import quadratic_monomials
    >>> quadratic_monomials(np.array([1.0, 2.0, 3.0])).tolist()
    [1.0, 2.0, 4.0, 3.0, 6.0, 9.0]
    """
    Z = check_array(Z, "Z", ndim=(1, 2), allow_empty=True)
    i, j = _pairs(Z.shape[0])
    return Z[i] * Z[j]


def quadratic_monomials_jacobian(z: Any) -> np.ndarray:
    r"""The Jacobian :math:`\partial h/\partial z` at one coordinate vector ``z``.

    Parameters
    ----------
    z : array, shape (r,), real or complex

    Returns
    -------
    array, shape (r (r + 1) / 2, r)
        Row ``p`` (the monomial :math:`z_i z_j`) holds :math:`z_j` in column ``i`` and
        :math:`z_i` in column ``j`` (:math:`2 z_i` in column ``i`` when ``i = j``).
        Holomorphic: the complex derivative for complex ``z``.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.manifold import quadratic_monomials_jacobian
    >>> quadratic_monomials_jacobian(np.array([1.0, 2.0])).tolist()
    [[2.0, 0.0], [2.0, 1.0], [0.0, 4.0]]
    """
    z = check_array(z, "z", ndim=1)
    r = z.size
    i, j = _pairs(r)
    D = np.zeros((i.size, r), dtype=z.dtype)
    rows = np.arange(i.size)
    D[rows, i] += z[j]
    D[rows, j] += z[i]
    return D


def compress_quadratic(H: Any) -> np.ndarray:
    r"""The operator on :math:`h(z)` equal to a full operator on :math:`z \otimes z`.

    ``H`` of shape ``(m, r^2)`` acts on the Kronecker product (entry ``i r + j`` of
    :math:`z \otimes z` is :math:`z_i z_j`); the result ``Hc`` of shape
    ``(m, r (r + 1) / 2)`` satisfies :math:`H (z \otimes z) = H_c h(z)` for every ``z``:
    the column of :math:`z_i z_j`, ``i < j``, is the sum of the columns ``i r + j`` and
    ``j r + i`` of ``H``.

    Parameters
    ----------
    H : array, shape (m, r**2), real or complex
        Operator on :math:`z \otimes z` (its number of columns must be a square).

    Returns
    -------
    array, shape (m, r (r + 1) / 2)
        The operator ``Hc`` on :math:`h(z)`, in the order of
        :func:`quadratic_monomials`.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.manifold import compress_quadratic, quadratic_monomials
    >>> H = np.arange(8.0).reshape(2, 4)
    >>> z = np.array([0.5, -2.0])
    >>> bool(np.allclose(compress_quadratic(H) @ quadratic_monomials(z), H @ np.kron(z, z)))
    True
    """
    H = check_array(H, "H", ndim=2, allow_empty=True)
    r = math.isqrt(H.shape[1])
    if r * r != H.shape[1]:
        raise ValueError(f"H: expected r^2 columns (a Kronecker operator), got {H.shape[1]}")
    i, j = _pairs(r)
    out = H[:, i * r + j].copy()
    off = i != j
    out[:, off] += H[:, (j * r + i)[off]]
    return out


def expand_quadratic(Hc: Any) -> np.ndarray:
    r"""The symmetric full operator ``(m, r^2)`` on :math:`z \otimes z` equal to ``Hc``.

    The inverse of :func:`compress_quadratic` among symmetric operators: the
    coefficient of :math:`z_i z_j`, ``i < j``, is split in halves between the
    columns ``i r + j`` and ``j r + i``.

    Parameters
    ----------
    Hc : array, shape (m, r (r + 1) / 2), real or complex
        Operator on :math:`h(z)`, columns in the order of
        :func:`quadratic_monomials` (their number must be ``r (r + 1) / 2`` for
        some ``r``).

    Returns
    -------
    array, shape (m, r**2)
        The operator on :math:`z \otimes z` whose columns ``i r + j`` and
        ``j r + i`` are equal.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.manifold import compress_quadratic, expand_quadratic
    >>> Hc = np.array([[1.0, 2.0, 3.0]])
    >>> expand_quadratic(Hc).tolist()
    [[1.0, 1.0, 1.0, 3.0]]
    >>> compress_quadratic(expand_quadratic(Hc)).tolist()
    [[1.0, 2.0, 3.0]]
    """
    Hc = check_array(Hc, "Hc", ndim=2, allow_empty=True)
    s = Hc.shape[1]
    r = (math.isqrt(8 * s + 1) - 1) // 2
    if r * (r + 1) // 2 != s:
        raise ValueError(f"Hc: expected r (r + 1) / 2 columns for some r, got {s}")
    i, j = _pairs(r)
    full = np.zeros((Hc.shape[0], r * r), dtype=Hc.dtype)
    off = i != j
    half = np.where(off, 0.5, 1.0)
    full[:, i * r + j] += Hc * half
    full[:, (j * r + i)[off]] += Hc[:, off] * 0.5
    return full
