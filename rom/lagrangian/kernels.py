"""Compiled building blocks for Lagrangian full-order models (numba).

A full-order model on a moving grid (for example
:class:`fem_examples.lagrangian_1d.LagrangianModel1D`) runs its own compiled time
loop; these are the pieces it shares with :class:`~rom.lagrangian.LagrangianROM`, so
that the full and the reduced model compute the same finite differences and take
the same stable steps. Importing this module imports numba (``rom.lagrangian``
imports it only when one of these names is first used).
"""

from __future__ import annotations

import numba

from rom.backend import register_kernel_cache

register_kernel_cache()  # compiled kernels are cached outside the package

__all__ = ["RK4_STABLE", "second_derivative_weights"]

#: fraction of the RK4 stability interval on the negative real axis (2.785) that the
#: integrators use: a step ``h`` is stable for a diffusion matrix of norm below
#: ``RK4_STABLE / h``
RK4_STABLE = 2.5


@numba.njit(cache=True)
def second_derivative_weights(z, center, c, tab):  # pragma: no cover - compiled
    """Fornberg weights of the second derivative at ``z[center]`` written into ``c``.

    Compiled, callable from numba code and from Python: ``z`` (k,) holds the
    distinct node positions of one stencil, ``center`` the index of the node where
    the derivative is taken (``0 <= center < k``), ``c`` (k,) receives the weights
    and ``tab`` is a (k, 3) scratch array. The same weights as
    :func:`rom.lagrangian.fornberg_weights` with ``order=2``, one stencil at a time
    without allocating. No argument is checked (it runs inside compiled loops):
    the caller guarantees the shapes and the index.

    Parameters
    ----------
    z : array, shape (k,)
        Distinct node positions of one stencil.
    center : int
        Index of the node where the derivative is taken.
    c : array, shape (k,)
        Receives the weights.
    tab : array, shape (k, 3)
        Scratch space.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.lagrangian import second_derivative_weights
    >>> c = np.empty(3)
    >>> second_derivative_weights(np.array([-1.0, 0.0, 1.0]), 1, c, np.empty((3, 3)))
    >>> c.tolist()
    [1.0, -2.0, 1.0]
    """
    k = z.shape[0]
    x0 = z[center]
    for i in range(k):
        tab[i, 0] = 0.0
        tab[i, 1] = 0.0
        tab[i, 2] = 0.0
    tab[0, 0] = 1.0
    c1 = 1.0
    c4 = z[0] - x0
    for i in range(1, k):
        mn = min(i, 2)
        c2 = 1.0
        c5 = c4
        c4 = z[i] - x0
        for j in range(i):
            c3 = z[i] - z[j]
            c2 *= c3
            if j == i - 1:
                for m in range(mn, 0, -1):
                    tab[i, m] = c1 * (m * tab[i - 1, m - 1] - c5 * tab[i - 1, m]) / c2
                tab[i, 0] = -c1 * c5 * tab[i - 1, 0] / c2
            for m in range(mn, 0, -1):
                tab[j, m] = (c4 * tab[j, m] - m * tab[j, m - 1]) / c3
            tab[j, 0] = c4 * tab[j, 0] / c3
        c1 = c2
    for i in range(k):
        c[i] = tab[i, 2]
