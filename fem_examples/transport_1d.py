r"""Linear advection of a pulse on a periodic interval: upwind finite differences.

.. math::

   u_t + c\, u_x = 0 \quad\text{on } [a, b) \text{ periodic}, \qquad
   u(x, 0) = p(x), \qquad u(x, t) = p(x - c t),

with the speed :math:`c > 0` the parameter and the periodic Gaussian pulse
:math:`p(x) = \sum_k \exp(-((x - x_0 + k L)/w)^2)`, :math:`L = b - a`.

**Full-order model.** :class:`Transport1D` discretises :math:`u_x` on the uniform grid
:math:`x_j = a + j h`, :math:`h = L/n`, with the upwind differences (for
:math:`c > 0`)

- ``scheme="upwind"`` (first order): :math:`(u_j - u_{j-1})/h`;
- ``scheme="upwind3"`` (third order, upwind-biased):
  :math:`(u_{j-2} - 6u_{j-1} + 3u_j + 2u_{j+1})/(6h)`.

Both are stable (their eigenvalues lie in the closed left half-plane) and
dissipative. The matrix is circulant, so the semi-discrete system is solved exactly
in time by the FFT (:meth:`Transport1D.solve`): the only error against
:meth:`Transport1D.exact` is the scheme's, :math:`O(h)` or :math:`O(h^3)`. A moving
pulse is the standard example where linear subspaces fail (the Kolmogorov
:math:`n`-width decays slowly) and nonlinear manifolds do not.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse

from rom.validation import (
    check_array,
    check_choice,
    check_indices,
    check_positive_int,
    check_real,
)

__all__ = ["Transport1D", "pulse"]

#: offsets and weights (times 1/h) of the upwind differences of ``u_x``
STENCILS = {
    "upwind": (np.array([-1, 0]), np.array([-1.0, 1.0])),
    "upwind3": (np.array([-2, -1, 0, 1]), np.array([1.0, -6.0, 3.0, 2.0]) / 6.0),
}


def pulse(x: Any, center: float, width: float, period: float) -> np.ndarray:
    r"""The periodic Gaussian :math:`\sum_k \exp(-((x - c + kL)/w)^2)` (images within 8 w).

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples.transport_1d import pulse
    >>> float(pulse(np.array([0.3]), 0.3, 0.05, 1.0)[0])
    1.0
    """
    x = check_array(x, "x", ndim=(1, 2), dtype_kind="f")
    center = check_real(center, "center")
    width = check_real(width, "width", positive=True)
    period = check_real(period, "period", positive=True)
    reach = int(np.ceil(8.0 * width / period)) + 1
    d = np.mod(x - center + 0.5 * period, period) - 0.5 * period  # nearest image in [-L/2, L/2)
    return sum(np.exp(-(((d + k * period) / width) ** 2)) for k in range(-reach, reach + 1))


class Transport1D:
    r"""Upwind finite differences of :math:`u_t + c u_x = 0`, periodic (module docstring).

    The parameter ``mu`` of the methods is the speed :math:`c > 0`. Row ``j`` of
    :math:`f(u) = -c D u` depends on the few unknowns of the scheme's stencil
    (:meth:`stencil`), which :meth:`rhs_entries` and :meth:`jacobian_entries` use to
    evaluate selected rows from local values: the interface of a full-order model for
    hyper-reduced models (:class:`rom.galerkin.FullOrderModel`).

    Parameters
    ----------
    n : int
        Number of grid points (>= 4).
    domain : (float, float)
        The period ``[a, b)``.
    scheme : {"upwind", "upwind3"}
    center, width : float
        The initial pulse's center :math:`x_0` and width :math:`w`.

    Attributes
    ----------
    x : ndarray (n,)
    h : float
    mass : None
        The identity.

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples.transport_1d import Transport1D
    >>> fom = Transport1D(400, scheme="upwind3", width=0.08)
    >>> U = fom.solve(fom.initial_condition(), [0.0, 0.5], 1.0)
    >>> bool(np.abs(U[:, -1] - fom.exact(0.5, 1.0)).max() < 1e-2)
    True
    """

    mass = None
    vectorized = True

    def __init__(
        self,
        n: int,
        domain: Sequence[float] = (0.0, 1.0),
        scheme: str = "upwind",
        center: float = 0.25,
        width: float = 0.05,
    ) -> None:
        self.n = check_positive_int(n, "n", allow_none=False, minimum=4)
        if len(domain) != 2:
            raise ValueError(f"domain: expected two numbers (a, b), got {domain!r}")
        a, b = check_real(domain[0], "domain[0]"), check_real(domain[1], "domain[1]")
        if not b > a:
            raise ValueError(f"domain: expected a < b, got {domain!r}")
        self.domain = (a, b)
        self.scheme = check_choice(scheme, "scheme", tuple(STENCILS))
        self.center = check_real(center, "center")
        self.width = check_real(width, "width", positive=True)
        self.period = b - a
        self.h = self.period / self.n
        self.x = a + self.h * np.arange(self.n)
        offsets, weights = STENCILS[self.scheme]
        self._offsets, self._weights = offsets, weights / self.h
        n = self.n
        rows = np.repeat(np.arange(n), offsets.size)
        cols = (rows + np.tile(offsets, n)) % n
        self._D = scipy.sparse.csr_matrix((np.tile(self._weights, n), (rows, cols)), shape=(n, n))
        self._cache = None

    def __repr__(self) -> str:
        return f"Transport1D(n={self.n}, domain={self.domain}, scheme={self.scheme!r})"

    # ------------------------------------------------------------------ full model
    def initial_condition(self) -> np.ndarray:
        """The pulse at ``t = 0`` on the grid."""
        return pulse(self.x, self.center, self.width, self.period)

    def exact(self, t: float, speed: float) -> np.ndarray:
        """The exact solution :math:`p(x - c t)` on the grid."""
        t, speed = check_real(t, "t"), check_real(speed, "speed", positive=True)
        return pulse(self.x, self.center + speed * t, self.width, self.period)

    def _state(self, u: Any, name: str = "u") -> np.ndarray:
        u = check_array(u, name, ndim=(1, 2), dtype_kind="f")
        if u.shape[0] != self.n:
            raise ValueError(f"{name}: expected {self.n} rows (one per unknown), got {u.shape[0]}")
        return u

    def rhs(self, u: Any, speed: float, t: float = 0.0) -> np.ndarray:
        """``f(u) = -c D u`` for ``u`` of shape (n,) or (n, k)."""
        speed = check_real(speed, "speed", positive=True)
        return -speed * (self._D @ self._state(u))

    def jacobian(self, u: Any, speed: float, t: float = 0.0) -> scipy.sparse.csr_matrix:
        """``df/du = -c D`` (sparse, circulant)."""
        speed = check_real(speed, "speed", positive=True)
        self._state(u)
        return -speed * self._D

    def solve(self, u0: Any, times: Any, speed: float) -> np.ndarray:
        """The semi-discrete solution at ``times`` (n, n_t), exact in time (by the FFT).

        ``D`` is circulant with first column ``d``: :math:`u(t) = F^{-1}
        \\exp(-c t \\hat d) F u_0` with :math:`\\hat d` the FFT of ``d``.
        """
        u0 = self._state(u0, "u0")
        if u0.ndim != 1:
            raise ValueError(f"u0: expected one state of shape ({self.n},), got {u0.shape}")
        times = check_array(times, "times", ndim=1, dtype_kind="f")
        speed = check_real(speed, "speed", positive=True)
        column = self._D[:, 0].toarray()[:, 0]
        symbol = np.fft.fft(column)
        U0 = np.fft.fft(u0)
        return np.real(np.fft.ifft(np.exp(-speed * np.outer(symbol, times)) * U0[:, None], axis=0))

    # ------------------------------------------------------------------ local rows
    def _rows(self, rows: Any) -> np.ndarray:
        return check_indices(rows, "rows", self.n)

    def stencil(self, rows: Any) -> np.ndarray:
        """The sorted indices of the unknowns that rows ``rows`` of ``f`` depend on.

        Examples
        --------
        >>> from fem_examples.transport_1d import Transport1D
        >>> Transport1D(10).stencil([0, 5]).tolist()
        [0, 4, 5, 9]
        """
        rows = self._rows(rows)
        return np.unique((rows[:, None] + self._offsets[None, :]) % self.n)

    def _local_map(self, rows: Any) -> tuple[np.ndarray, np.ndarray]:
        """``(stencil(rows), positions (m, q) of each neighbour in it)``, cached."""
        key = (rows.dtype.str, rows.tobytes()) if isinstance(rows, np.ndarray) else None
        if key is not None and self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        rows = self._rows(rows)
        cols = self.stencil(rows)
        where = np.searchsorted(cols, (rows[:, None] + self._offsets[None, :]) % self.n)
        if key is not None:
            self._cache = (key, (cols, where))
        return cols, where

    def rhs_entries(self, u_local: Any, rows: Any, speed: float, t: float = 0.0) -> np.ndarray:
        """Rows ``rows`` of ``f`` from ``u_local = u[stencil(rows)]`` ((s,) or (s, k)).

        Examples
        --------
        >>> import numpy as np
        >>> from fem_examples.transport_1d import Transport1D
        >>> fom = Transport1D(50, scheme="upwind3")
        >>> u, rows = np.sin(2 * np.pi * fom.x), np.array([0, 7, 49])
        >>> bool(np.allclose(fom.rhs_entries(u[fom.stencil(rows)], rows, 1.0),
        ...                  fom.rhs(u, 1.0)[rows]))
        True
        """
        speed = check_real(speed, "speed", positive=True)
        cols, where = self._local_map(rows)
        u = np.asarray(u_local, dtype=float)
        if u.ndim not in (1, 2) or u.shape[0] != cols.size:
            raise ValueError(
                f"u_local: expected shape ({cols.size},) or ({cols.size}, k) (the values at "
                f"stencil(rows)), got {u.shape}"
            )
        if u.ndim == 1:
            return -speed * (u[where] @ self._weights)
        return -speed * np.einsum("mqk,q->mk", u[where], self._weights)

    def jacobian_entries(
        self, u_local: Any, rows: Any, speed: float, t: float = 0.0
    ) -> np.ndarray:
        """Rows ``rows`` and columns ``stencil(rows)`` of ``df/du``, shape (m, s)."""
        speed = check_real(speed, "speed", positive=True)
        cols, where = self._local_map(rows)
        m = where.shape[0]
        J = np.zeros((m, cols.size))
        np.add.at(
            J,
            (np.repeat(np.arange(m), where.shape[1]), where.ravel()),
            np.tile(-speed * self._weights, m),
        )
        return J
