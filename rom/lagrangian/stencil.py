"""Finite differences on a moving, non-uniform 1-D grid (Fornberg weights).

A Lagrangian grid is a vector of node positions ``x`` (strictly increasing). On a
periodic domain of length ``period`` the positions are kept *unwrapped*: they may leave
the reference interval, and the neighbours across the seam are the nodes at the other
end shifted by ``+-period`` (so ``x[-1] - x[0] < period`` is part of being untangled).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.validation import check_array, check_positive_int

__all__ = [
    "GridCrossingError",
    "check_grid",
    "fornberg_weights",
    "second_derivative",
    "stencils",
]


class GridCrossingError(ValueError):
    """A Lagrangian grid is not strictly increasing: nodes crossed or coincide.

    Raised for tangled grid snapshots, and by the time integrators when a step moves
    a node onto or past its neighbour (a time step too large, or crossing
    characteristics: a shock). ``time`` and ``index`` say where it happened (``None``
    when unknown).

    Parameters
    ----------
    message : str
        What happened.
    time : float, optional
        The time at which the grid tangled.
    index : int, optional
        The first offending node.
    """

    def __init__(self, message: str, time: float | None = None, index: int | None = None):
        super().__init__(message)
        self.time = time
        self.index = index


def fornberg_weights(nodes: Any, center: Any, order: int = 2) -> np.ndarray:
    r"""Finite-difference weights of the ``order``-th derivative for many stencils at once.

    Fornberg's recursion (Fornberg 1988, *Math. Comp.* 51, 699), vectorised over the
    rows: row ``i`` gives the weights :math:`c_{ij}` with
    :math:`u^{(\mathrm{order})}(z_i) \approx \sum_j c_{ij} u(x_{ij})`, exact for
    polynomials of degree below the stencil width. The recursion never forms a
    Vandermonde matrix, so it stays accurate on strongly non-uniform stencils.

    Parameters
    ----------
    nodes : array, shape (n, k)
        Stencil node positions, one stencil per row (distinct within a row).
    center : array, shape (n,)
        The point of each row where the derivative is taken.
    order : int
        Derivative order, ``0 <= order < k``.

    Returns
    -------
    numpy.ndarray, shape (n, k)

    Examples
    --------
    >>> import numpy as np
    >>> from rom.lagrangian import fornberg_weights
    >>> fornberg_weights(np.array([[-1.0, 0.0, 1.0]]), np.array([0.0])).tolist()
    [[1.0, -2.0, 1.0]]
    """
    nodes = check_array(nodes, "nodes", ndim=2, dtype_kind="f")
    n, k = nodes.shape
    center = check_array(center, "center", shape=(n,), dtype_kind="f")
    order = check_positive_int(order, "order", allow_none=False, minimum=0)
    if order >= k:
        raise ValueError(f"order: expected a derivative order below the stencil width {k}")
    c = np.zeros((n, k, order + 1))
    c[:, 0, 0] = 1.0
    c1 = np.ones(n)
    c4 = nodes[:, 0] - center
    for i in range(1, k):
        mn = min(i, order)
        c2 = np.ones(n)
        c5 = c4
        c4 = nodes[:, i] - center
        for j in range(i):
            c3 = nodes[:, i] - nodes[:, j]
            c2 = c2 * c3
            if j == i - 1:
                for m in range(mn, 0, -1):
                    c[:, i, m] = c1 * (m * c[:, i - 1, m - 1] - c5 * c[:, i - 1, m]) / c2
                c[:, i, 0] = -c1 * c5 * c[:, i - 1, 0] / c2
            for m in range(mn, 0, -1):
                c[:, j, m] = (c4 * c[:, j, m] - m * c[:, j, m - 1]) / c3
            c[:, j, 0] = c4 * c[:, j, 0] / c3
        c1 = c2
    return c[:, :, order]


def stencils(
    n: int, width: int = 3, period: float | None = None, rows: Any = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Node indices, position shifts and centre columns of the stencils of ``rows``.

    A stencil of ``width`` (odd) nodes is centred on its row; without ``period`` the
    stencils of the rows near the ends slide inwards (one-sided). With ``period``
    the indices wrap around and ``shifts`` holds the multiple of ``period`` to add to
    the neighbour's position.

    Parameters
    ----------
    n : int
        Number of nodes.
    width : int
        Number of nodes of each stencil (odd).
    period : float, optional
        Length of a periodic domain.
    rows : array of int, optional
        The rows wanted (default: all).

    Returns
    -------
    index : ndarray of int, shape (m, width)
    shifts : ndarray of float, shape (m, width)
        ``0`` or ``+-1`` (times ``period``); all zero without ``period``.
    center : ndarray of int, shape (m,)
        Column of the row's own node in its stencil.

    Examples
    --------
    >>> from rom.lagrangian import stencils
    >>> index, shifts, center = stencils(5, 3, period=1.0, rows=[0])
    >>> index.tolist(), shifts.tolist(), center.tolist()
    ([[4, 0, 1]], [[-1.0, 0.0, 0.0]], [1])
    """
    n = check_positive_int(n, "n", allow_none=False)
    width = check_positive_int(width, "width", allow_none=False, minimum=3)
    if width % 2 == 0:
        raise ValueError(f"width: expected an odd stencil width, got {width}")
    if width > n:
        raise ValueError(f"width: expected at most n={n} nodes, got {width}")
    rows = np.arange(n) if rows is None else np.asarray(rows, dtype=np.int64).ravel()
    if rows.size and (rows.min() < 0 or rows.max() >= n):
        raise ValueError(f"rows: expected indices in [0, {n}), got {rows.min()}..{rows.max()}")
    half = width // 2
    if period is None:
        start = np.clip(rows - half, 0, n - width)
        index = start[:, None] + np.arange(width)[None, :]
        shifts = np.zeros(index.shape)
        center = rows - start
    else:
        raw = rows[:, None] - half + np.arange(width)[None, :]
        shifts = np.floor_divide(raw, n).astype(float)
        index = raw - n * shifts.astype(np.int64)
        center = np.full(rows.size, half)
    return index.astype(np.int64), shifts, np.asarray(center, dtype=np.int64)


def check_grid(x: Any, name: str = "x", period: float | None = None) -> np.ndarray:
    """Check that a grid (n,) or every column of grid snapshots (n, k) is untangled.

    Untangled: strictly increasing positions, and on a periodic domain a total
    extent ``x[-1] - x[0]`` below ``period``. Raises :class:`GridCrossingError`
    naming the first offending column and node.

    Parameters
    ----------
    x : array, shape (n,) or (n, k)
        A grid, or grid snapshots as columns.
    name : str
        The argument name used in the error message.
    period : float, optional
        Length of a periodic domain.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.lagrangian import check_grid
    >>> check_grid(np.array([0.0, 0.5, 0.2]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    rom.lagrangian.stencil.GridCrossingError: x: the grid is tangled ...: node 2 (0.2) is ...
    """
    x = check_array(x, name, ndim=(1, 2), dtype_kind="f")
    X = x[:, None] if x.ndim == 1 else x
    if X.shape[0] < 2:
        raise ValueError(f"{name}: expected at least 2 grid nodes, got {X.shape[0]}")
    bad = np.diff(X, axis=0) <= 0
    if bad.any():
        cols = np.nonzero(bad.any(axis=0))[0]
        col = int(cols[0])
        i = int(np.argmax(bad[:, col])) + 1
        where = f" (snapshot {col})" if x.ndim == 2 else ""
        raise GridCrossingError(
            f"{name}: the grid is tangled (not strictly increasing){where}: node {i} "
            f"({X[i, col]:.6g}) is not to the right of node {i - 1} ({X[i - 1, col]:.6g})",
            index=i,
        )
    if period is not None:
        extent = X[-1] - X[0]
        if (extent >= period).any():
            col = int(np.argmax(extent >= period))
            where = f" (snapshot {col})" if x.ndim == 2 else ""
            raise GridCrossingError(
                f"{name}: the periodic grid is tangled{where}: its extent "
                f"{extent[col]:.6g} reaches the period {period:.6g} "
                "(the last node passed the first one across the seam)",
                index=0,
            )
    return x


def second_derivative(
    x: Any,
    w: Any,
    width: int = 3,
    period: float | None = None,
    rows: Any = None,
    fixed_ends: bool = False,
) -> np.ndarray:
    r"""The rows ``rows`` of :math:`D_{xx}(x)\,w` on the non-uniform grid ``x``.

    Fornberg weights on ``width``-point stencils (second order accurate for 3 points
    on any smooth grid, higher for wider stencils), computed vectorised for the
    selected rows only: the cost is proportional to ``len(rows) * width``, not to
    the grid size. ``x`` and ``w`` may be (n,) or (n, k) (one column per snapshot).
    With ``fixed_ends`` (Dirichlet ends, no periodicity) rows 0 and ``n - 1`` are zero.

    Parameters
    ----------
    x : array, shape (n,)
        The grid, strictly increasing.
    w : array, shape (n,) or (n, k)
        Values at the nodes.
    width : int
        Number of nodes of each stencil (odd).
    period : float, optional
        Length of a periodic domain.
    rows : array of int, optional
        The rows wanted (default: all).
    fixed_ends : bool
        Whether the first and last rows are zero (fixed end values).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.lagrangian import second_derivative
    >>> x = np.sort(np.random.default_rng(0).uniform(0, 1, 40))
    >>> bool(np.allclose(second_derivative(x, x**2), 2.0))
    True
    """
    x = check_array(x, "x", ndim=(1, 2), dtype_kind="f")
    w = check_array(w, "w", ndim=(1, 2), dtype_kind="f")
    if x.shape != w.shape:
        raise ValueError(f"w: expected the shape of x {x.shape}, got {w.shape}")
    one = x.ndim == 1
    X = x[:, None] if one else x
    Wm = w[:, None] if one else w
    n = X.shape[0]
    index, shifts, center = stencils(n, width, period, rows)
    out = np.empty((index.shape[0], X.shape[1]))
    offset = shifts * (period if period is not None else 0.0)
    for col in range(X.shape[1]):
        nodes = X[index, col] + offset
        c = fornberg_weights(nodes, nodes[np.arange(nodes.shape[0]), center], 2)
        out[:, col] = np.einsum("ij,ij->i", c, Wm[index, col])
    if fixed_ends and period is None:
        r = np.arange(n) if rows is None else np.asarray(rows).ravel()
        out[(r == 0) | (r == n - 1)] = 0.0
    return out[:, 0] if one else out
