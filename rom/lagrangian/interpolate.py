"""From a moving (Lagrangian) grid to a fixed (Eulerian) one."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.lagrangian.stencil import check_grid
from rom.validation import check_array, check_choice

__all__ = ["to_fixed_grid"]

#: nodes copied across the seam of a periodic grid before interpolating
_PAD = 3


def to_fixed_grid(
    x: Any, w: Any, y: Any, period: float | None = None, kind: str = "cubic"
) -> np.ndarray:
    """Interpolate fields given at moving nodes ``x`` onto the fixed points ``y``.

    ``x`` and ``w`` are (n,) or (n, k) (one column per snapshot, each column its own
    grid, which must be untangled: :class:`~rom.lagrangian.GridCrossingError`
    otherwise). With ``period`` the grid is periodic (unwrapped positions, see
    :mod:`rom.lagrangian.stencil`): ``y`` is wrapped into the grid's window and the
    nodes across the seam are used. Without it, points outside ``[x[0], x[-1]]`` take
    the value of the nearest end node (constant extension: the end values are the
    boundary values of the Lagrangian model).

    Parameters
    ----------
    x, w : array, shape (n,) or (n, k)
    y : array, shape (p,)
        Fixed points.
    period : float, optional
    kind : {"cubic", "linear"}
        Cubic spline (not-a-knot; fourth order on smooth data) or piecewise linear.

    Returns
    -------
    numpy.ndarray, shape (p,) or (p, k)

    Examples
    --------
    >>> import numpy as np
    >>> from rom.lagrangian import to_fixed_grid
    >>> x = np.linspace(0.0, 1.0, 50) ** 1.5
    >>> y = np.linspace(0.0, 1.0, 7)
    >>> bool(np.allclose(to_fixed_grid(x, np.sin(x), y), np.sin(y), atol=1e-6))
    True
    """
    from scipy.interpolate import CubicSpline

    kind = check_choice(kind, "kind", ("cubic", "linear"))
    x = check_grid(x, "x", period)
    w = check_array(w, "w", ndim=(1, 2), dtype_kind="f")
    if w.shape != x.shape:
        raise ValueError(f"w: expected the shape of x {x.shape}, got {w.shape}")
    y = check_array(y, "y", ndim=1, dtype_kind="f")
    one = x.ndim == 1
    X = x[:, None] if one else x
    Wm = w[:, None] if one else w
    n = X.shape[0]
    out = np.empty((y.size, X.shape[1]))
    for col in range(X.shape[1]):
        xc, wc = X[:, col], Wm[:, col]
        if period is not None:
            p = min(_PAD, n)
            xc = np.concatenate([xc[-p:] - period, xc, xc[:p] + period])
            wc = np.concatenate([wc[-p:], wc, wc[:p]])
            yc = X[0, col] + np.mod(y - X[0, col], period)
        else:
            yc = np.clip(y, xc[0], xc[-1])
        if kind == "linear":
            out[:, col] = np.interp(yc, xc, wc)
        else:
            out[:, col] = CubicSpline(xc, wc)(yc)
    return out[:, 0] if one else out
