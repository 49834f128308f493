r"""The viscous Burgers equation in 1-D: finite differences and the exact Cole-Hopf solution.

.. math::

   u_t + \Big(\frac{u^2}{2}\Big)_x = \nu\, u_{xx}.

**Initial-condition family** (a smooth front between two constant states):

.. math::

   u_0(x) = u_R + (u_L - u_R)\,\frac{1 - \tanh\big((x - c)/w\big)}{2}

with the left and right states ``u_left`` :math:`u_L`, ``u_right`` :math:`u_R`, the
``center`` :math:`c` and the ``width`` :math:`w` (the shape parameter). Away from
the center the states are constant up to :math:`|u_L - u_R|\,e^{-2|x - c|/w}`, so
a Dirichlet problem with the boundary values :math:`u_L, u_R` on an interval that
reaches 20 widths beyond the front agrees with the problem on the real line to
about :math:`10^{-17}`. With :math:`u_L > u_R` the front travels at the shock speed
:math:`(u_L + u_R)/2` and steepens until the viscous width :math:`4\nu / (u_L - u_R)`
is reached; :math:`w = 4\nu/(u_L - u_R)` is the exact viscous shock, which then
travels without change of shape.

**Full-order model.** :class:`Burgers1D` discretises the equation on a uniform grid
in conservative form,

.. math::

   \frac{du_i}{dt} = -\frac{F(u_i, u_{i+1}) - F(u_{i-1}, u_i)}{h}
   + \nu \frac{u_{i+1} - 2u_i + u_{i-1}}{h^2} ,

with the numerical flux ``scheme="central"``: :math:`F(a, b) = (a^2 + ab + b^2)/6`
(second order, the skew-symmetric form that conserves the discrete energy
:math:`\sum u_i^2` of the convective part), or ``scheme="upwind"``: the
Engquist-Osher flux :math:`F(a, b) = \max(a, 0)^2/2 + \min(b, 0)^2/2` (first order,
monotone, continuously differentiable, no oscillations at any cell Peclet number).
The central scheme needs :math:`h \max|u| / \nu \lesssim 2` to stay free of wiggles.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse
from scipy.integrate import solve_ivp

from rom.validation import (
    check_array,
    check_choice,
    check_indices,
    check_positive_int,
    check_real,
)

__all__ = ["Burgers1D", "cole_hopf", "front"]

SCHEMES = ("central", "upwind")
BOUNDARIES = ("dirichlet", "periodic")


def _log_cosh(z: np.ndarray) -> np.ndarray:
    a = np.abs(z)
    return a + np.log1p(np.exp(-2.0 * a)) - np.log(2.0)


def front(
    x: Any,
    u_left: float = 1.0,
    u_right: float = 0.0,
    center: float = 0.0,
    width: float = 0.1,
) -> np.ndarray:
    r"""The initial-condition family :math:`u_R + (u_L - u_R)(1 - \tanh((x - c)/w))/2`.

    Parameters
    ----------
    x : array_like
        Points.
    u_left, u_right : float
        The constant states on the left and on the right.
    center : float
        Position of the front.
    width : float
        Width of the front (> 0).

    Returns
    -------
    ndarray, the shape of ``x``

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples.burgers_1d import front
    >>> front(np.array([-5.0, 0.0, 5.0]), 1.0, 0.0, 0.0, 0.1).round(12).tolist()
    [1.0, 0.5, 0.0]
    """
    x = check_array(x, "x", ndim=(0, 1, 2), dtype_kind="f")
    u_left = check_real(u_left, "u_left")
    u_right = check_real(u_right, "u_right")
    center = check_real(center, "center")
    width = check_real(width, "width", positive=True)
    return u_right + (u_left - u_right) * 0.5 * (1.0 - np.tanh((x - center) / width))


def _front_potential(y, u_left, u_right, center, width):
    """An antiderivative of :func:`front`: ``int_c^y u0``."""
    s = y - center
    return u_right * s + 0.5 * (u_left - u_right) * (s - width * _log_cosh(s / width))


def cole_hopf(
    x: Any,
    t: float,
    viscosity: float,
    u_left: float = 1.0,
    u_right: float = 0.0,
    center: float = 0.0,
    width: float = 0.1,
    points_per_width: int = 8,
) -> np.ndarray:
    r"""Exact solution of :math:`u_t + u u_x = \nu u_{xx}` on the real line (Cole-Hopf).

    The initial condition is :func:`front`. With :math:`u = -2\nu\,\varphi_x/\varphi`,
    :math:`\varphi` solves the heat equation; writing it with the heat kernel and
    :math:`z = x - y`,

    .. math::

       u(x, t) = \frac{\int \frac{z}{t}\, e^{-G(z)}\,dz}{\int e^{-G(z)}\,dz},
       \qquad G(z) = \frac{z^2}{4\nu t} + \frac{\Phi_0(x - z)}{2\nu},

    with :math:`\Phi_0` an antiderivative of :math:`u_0` (in closed form for this
    family). :math:`G` is minimal at the feet of the characteristics,
    :math:`z = t\,u_0(x - z) \in [t\min u_0, t\max u_0]`, and grows at least like
    :math:`d^2/(4\nu t)` at a distance :math:`d` outside that interval, so both
    integrals are taken by the trapezoidal rule on
    :math:`[t \min u_0 - 16\sqrt{\nu t},\ t \max u_0 + 16\sqrt{\nu t}]` (neglected
    tails below :math:`e^{-64}`) with the step :math:`\sqrt{\nu t}` divided by
    ``points_per_width``: the integrands are analytic, and the rule converges
    geometrically. The exponents are shifted by their maximum for every ``x``
    (log-sum-exp), so nothing overflows or underflows for any viscosity.

    Parameters
    ----------
    x : array_like, shape (n,)
        Points.
    t : float
        Time (>= 0); ``t = 0`` returns the initial condition.
    viscosity : float
        :math:`\nu > 0`.
    u_left, u_right, center, width : float
        The initial condition, see :func:`front`.
    points_per_width : int
        Quadrature points per :math:`\sqrt{\nu t}` (8 gives about 1e-13 relative accuracy).

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples.burgers_1d import cole_hopf
    >>> x = np.linspace(-1, 2, 7)
    >>> u = cole_hopf(x, 1.0, 1e-3, u_left=1.0, u_right=0.0, center=0.0, width=0.1)
    >>> u.round(6).tolist()  # the front has moved to x = 0.5 (the shock speed)
    [1.0, 1.0, 1.0, 0.5, 0.0, 0.0, 0.0]
    """
    x = check_array(x, "x", ndim=1, dtype_kind="f")
    t = check_real(t, "t")
    if t < 0:
        raise ValueError(f"t: expected a time >= 0, got {t}")
    nu = check_real(viscosity, "viscosity", positive=True)
    ppw = check_positive_int(points_per_width, "points_per_width", allow_none=False)
    shape = (u_left, u_right, center, width)
    if t == 0.0:
        return front(x, *shape)
    u_left, u_right = float(u_left), float(u_right)
    scale = np.sqrt(nu * t)
    lo = t * min(u_left, u_right) - 16.0 * scale
    hi = t * max(u_left, u_right) + 16.0 * scale
    m = int(np.ceil((hi - lo) / scale * ppw)) + 1
    z = np.linspace(lo, hi, m)
    out = np.empty_like(x)
    chunk = max(1, 2_000_000 // m)
    for start in range(0, x.size, chunk):
        xs = x[start : start + chunk, None]
        G = z**2 / (4.0 * nu * t) + _front_potential(xs - z, *shape) / (2.0 * nu)
        w = np.exp(-(G - G.min(axis=1, keepdims=True)))
        w[:, [0, -1]] *= 0.5
        out[start : start + chunk] = (w @ z) / (w.sum(axis=1) * t)
    return out


class Burgers1D:
    r"""Finite differences for the viscous Burgers equation on a uniform grid.

    Semi-discrete system :math:`M\,du/dt = f(u; \nu)` with ``M`` the identity, in
    the conservative flux form described in the module docstring.

    Grid. ``boundary="dirichlet"``: nodes :math:`x_j = a + j h`,
    :math:`h = (b - a)/(n + 1)`, the unknowns are the ``n`` interior nodes and
    :math:`u(a) = u_L`, :math:`u(b) = u_R` are the ``boundary_values``.
    ``boundary="periodic"``: :math:`h = (b - a)/n`, the unknowns sit at
    :math:`x_j = a + j h`, :math:`j = 0, \dots, n-1`.

    The right-hand side splits as :math:`f(u; \nu) = \nu (L u + b) + N(u)`: the
    diffusion :math:`L` and its boundary vector :math:`b` are
    ``linear_operators[0]`` and ``linear_offsets[0]`` with coefficient
    ``linear_coefficients(nu) = [nu]``; :math:`N` is the convective flux difference.
    Row :math:`i` of ``f`` depends on :math:`u_{i-1}, u_i, u_{i+1}` only
    (:meth:`stencil`), which :meth:`rhs_entries` and :meth:`jacobian_entries` use
    to evaluate selected rows from local values. These are the attributes and methods
    a reduced model (:class:`rom.galerkin.GalerkinROM`) asks of a full-order model;
    the parameter ``mu`` is the viscosity.

    Parameters
    ----------
    n : int
        Number of unknowns (>= 3).
    domain : (float, float)
        The interval ``(a, b)``.
    boundary : {"dirichlet", "periodic"}
    scheme : {"central", "upwind"}
        Numerical flux (module docstring).
    boundary_values : (float, float)
        :math:`(u_L, u_R)` for ``"dirichlet"``; also the default states of
        :meth:`initial_condition`.

    Attributes
    ----------
    x : ndarray, shape (n,)
        Coordinates of the unknowns.
    h : float
        Grid spacing.
    mass : scipy.sparse matrix (n, n)
        The identity (the time derivative has coefficient 1 at every node).
    inner : scipy.sparse matrix (n, n)
        ``h * I``: the discrete :math:`L^2` inner product (trapezoidal weights).
    linear_operators, linear_offsets : list
        The diffusion matrix :math:`L` (sparse) and its boundary vector :math:`b`.

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples.burgers_1d import Burgers1D, cole_hopf
    >>> fom = Burgers1D(400, domain=(-1.0, 2.0))
    >>> u0 = fom.initial_condition(center=0.0, width=0.1)
    >>> S = fom.solve(u0, [0.0, 0.5], viscosity=0.02)
    >>> exact = cole_hopf(fom.x, 0.5, 0.02, center=0.0, width=0.1)
    >>> bool(np.abs(S[:, -1] - exact).max() < 1e-3)
    True
    """

    def __init__(
        self,
        n: int,
        domain: Sequence[float] = (0.0, 1.0),
        boundary: str = "dirichlet",
        scheme: str = "central",
        boundary_values: Sequence[float] = (1.0, 0.0),
    ) -> None:
        self.n = check_positive_int(n, "n", allow_none=False, minimum=3)
        if len(domain) != 2:
            raise ValueError(f"domain: expected two numbers (a, b), got {domain!r}")
        a = check_real(domain[0], "domain[0]")
        b = check_real(domain[1], "domain[1]")
        if not b > a:
            raise ValueError(f"domain: expected a < b, got {domain!r}")
        self.domain = (a, b)
        self.boundary = check_choice(boundary, "boundary", BOUNDARIES)
        self.scheme = check_choice(scheme, "scheme", SCHEMES)
        if len(boundary_values) != 2:
            raise ValueError(
                f"boundary_values: expected two numbers (u_left, u_right), got {boundary_values!r}"
            )
        self.boundary_values = (
            check_real(boundary_values[0], "boundary_values[0]"),
            check_real(boundary_values[1], "boundary_values[1]"),
        )
        if self.boundary == "dirichlet":
            self.h = (b - a) / (self.n + 1)
            self.x = a + self.h * np.arange(1, self.n + 1)
        else:
            self.h = (b - a) / self.n
            self.x = a + self.h * np.arange(self.n)
        n, h = self.n, self.h
        self._boundary_array = np.array(self.boundary_values, dtype=float)
        self.mass = scipy.sparse.identity(n, format="csr")
        self.inner = scipy.sparse.identity(n, format="csr") * h
        one = np.ones(n)
        lap = scipy.sparse.diags([one[1:], -2 * one, one[1:]], [-1, 0, 1], format="lil")
        offset = np.zeros(n)
        if self.boundary == "periodic":
            lap[0, n - 1] = 1.0
            lap[n - 1, 0] = 1.0
        else:
            offset[0] = self.boundary_values[0] / h**2
            offset[-1] = self.boundary_values[1] / h**2
        self.linear_operators = [lap.tocsr() / h**2]
        self.linear_offsets = [offset]

    # ------------------------------------------------------------------ helpers
    def __repr__(self) -> str:
        return (
            f"Burgers1D(n={self.n}, domain={self.domain}, boundary={self.boundary!r}, "
            f"scheme={self.scheme!r})"
        )

    def linear_coefficients(self, viscosity: Any) -> np.ndarray:
        """Coefficients of the linear terms: ``[viscosity]``.

        Parameters
        ----------
        viscosity : float
            The viscosity (the parameter).
        """
        return np.array([check_real(viscosity, "viscosity", positive=True)])

    def _flux(self, a, b):
        if self.scheme == "central":
            return (a * a + a * b + b * b) / 6.0
        return 0.5 * np.maximum(a, 0.0) ** 2 + 0.5 * np.minimum(b, 0.0) ** 2

    def _flux_derivatives(self, a, b):
        if self.scheme == "central":
            return (2.0 * a + b) / 6.0, (a + 2.0 * b) / 6.0
        return np.maximum(a, 0.0), np.minimum(b, 0.0)

    def _state(self, u: Any, name: str = "u") -> tuple[np.ndarray, bool]:
        u = check_array(u, name, ndim=(1, 2), dtype_kind="f")
        if u.shape[0] != self.n:
            raise ValueError(f"{name}: expected {self.n} rows (one per unknown), got {u.shape[0]}")
        return (u[:, None] if u.ndim == 1 else u), u.ndim == 1

    def _padded(self, u: np.ndarray) -> np.ndarray:
        k = u.shape[1]
        if self.boundary == "periodic":
            return np.vstack([u[-1:], u, u[:1]])
        u_l, u_r = self.boundary_values
        return np.vstack([np.full((1, k), u_l), u, np.full((1, k), u_r)])

    def _rows_formula(self, um, uc, up, nu):
        """``f`` of rows with left, centre and right values ``um, uc, up``."""
        h = self.h
        conv = -(self._flux(uc, up) - self._flux(um, uc)) / h
        return conv + nu * (up - 2.0 * uc + um) / h**2

    # ------------------------------------------------------------------ full model
    def initial_condition(
        self,
        x: Any = None,
        *,
        u_left: float | None = None,
        u_right: float | None = None,
        center: float | None = None,
        width: float | None = None,
    ) -> np.ndarray:
        """The front :func:`front` at ``x`` (default: the grid ``self.x``).

        The states default to ``boundary_values``, the center to a quarter of the
        domain and the width to 1/40 of its length.

        Parameters
        ----------
        x : array_like, optional
            Points (default: the grid ``self.x``).
        u_left, u_right : float, optional
            The constant states on the left and on the right.
        center : float, optional
            Position of the front.
        width : float, optional
            Width of the front (> 0).

        Examples
        --------
        >>> from fem_examples.burgers_1d import Burgers1D
        >>> Burgers1D(99, domain=(0.0, 1.0)).initial_condition(width=0.01)[[0, -1]].round(9)
        array([1., 0.])
        """
        a, b = self.domain
        return front(
            self.x if x is None else x,
            self.boundary_values[0] if u_left is None else u_left,
            self.boundary_values[1] if u_right is None else u_right,
            a + 0.25 * (b - a) if center is None else center,
            (b - a) / 40.0 if width is None else width,
        )

    def rhs(self, u: Any, viscosity: float, t: float = 0.0) -> np.ndarray:
        """The right-hand side ``f(u; viscosity)`` for ``u`` of shape (n,) or (n, k).

        Parameters
        ----------
        u : array, shape (n,) or (n, k)
            The state, or states as columns.
        viscosity : float
            The viscosity (the parameter).
        t : float
            The time (the system is autonomous: unused).

        Examples
        --------
        >>> import numpy as np
        >>> from fem_examples.burgers_1d import Burgers1D
        >>> fom = Burgers1D(50, boundary_values=(0.3, 0.3))
        >>> float(np.abs(fom.rhs(np.full(50, 0.3), 0.01)).max())  # constants are steady
        0.0
        """
        nu = check_real(viscosity, "viscosity", positive=True)
        u2, one = self._state(u)
        p = self._padded(u2)
        f = self._rows_formula(p[:-2], p[1:-1], p[2:], nu)
        return f[:, 0] if one else f

    def jacobian(self, u: Any, viscosity: float, t: float = 0.0) -> scipy.sparse.csr_matrix:
        """The Jacobian ``df/du`` at ``u`` (n,): a sparse tridiagonal (cyclic) matrix.

        Parameters
        ----------
        u : array, shape (n,)
            The state.
        viscosity : float
            The viscosity (the parameter).
        t : float
            The time (the system is autonomous: unused).

        Examples
        --------
        >>> import numpy as np
        >>> from fem_examples.burgers_1d import Burgers1D
        >>> fom = Burgers1D(20)
        >>> fom.jacobian(fom.initial_condition(), 0.01).shape
        (20, 20)
        """
        nu = check_real(viscosity, "viscosity", positive=True)
        u2, one = self._state(u)
        if not one:
            raise ValueError(f"u: expected one state of shape ({self.n},), got {u2.shape}")
        p = self._padded(u2)[:, 0]
        lower, upper, diag = self._jacobian_bands(p[:-2], p[1:-1], p[2:], nu)
        n = self.n
        rows = np.r_[np.arange(n), np.arange(n), np.arange(n)]
        cols = np.r_[np.arange(n) - 1, np.arange(n), np.arange(n) + 1]
        vals = np.r_[lower, diag, upper]
        if self.boundary == "periodic":
            cols %= n
        else:
            keep = (cols >= 0) & (cols < n)
            rows, cols, vals = rows[keep], cols[keep], vals[keep]
        return scipy.sparse.csr_matrix((vals, (rows, cols)), shape=(n, n))

    def _jacobian_bands(self, um, uc, up, nu):
        h = self.h
        da_right, db_right = self._flux_derivatives(uc, up)  # F(u_i, u_{i+1})
        da_left, db_left = self._flux_derivatives(um, uc)  # F(u_{i-1}, u_i)
        lower = da_left / h + nu / h**2
        diag = -(da_right - db_left) / h - 2.0 * nu / h**2
        upper = -db_right / h + nu / h**2
        return lower, upper, diag

    # ------------------------------------------------------------------ local rows
    def stencil(self, rows: Any) -> np.ndarray:
        """The sorted indices of the unknowns that rows ``rows`` of ``f`` depend on.

        Parameters
        ----------
        rows : array of int
            Rows of ``f``.

        Examples
        --------
        >>> from fem_examples.burgers_1d import Burgers1D
        >>> Burgers1D(10).stencil([0, 5]).tolist()
        [0, 1, 4, 5, 6]
        >>> Burgers1D(10, boundary="periodic").stencil([0]).tolist()
        [0, 1, 9]
        """
        rows = self._rows(rows)
        near = (rows[:, None] + np.array([-1, 0, 1])[None, :]).ravel()
        if self.boundary == "periodic":
            near %= self.n
        else:
            near = near[(near >= 0) & (near < self.n)]
        return np.unique(near)

    def _rows(self, rows: Any) -> np.ndarray:
        return check_indices(rows, "rows", self.n)

    def _local_map(self, rows: Any):
        """``(cols, (i-1, i, i+1) positions)`` for ``rows``, cached for the last rows."""
        key = (rows.dtype.str, rows.tobytes()) if isinstance(rows, np.ndarray) else None
        cached = getattr(self, "_map_cache", None)
        if key is not None and cached is not None and cached[0] == key:
            return cached[1]
        rows = self._rows(rows)
        cols = self.stencil(rows)
        s = cols.size

        def where(j):
            if self.boundary == "periodic":
                j = j % self.n
            pos = np.searchsorted(cols, np.clip(j, 0, self.n - 1))
            return np.where(j < 0, s, np.where(j >= self.n, s + 1, pos))

        result = (cols, (where(rows - 1), where(rows), where(rows + 1)), np.arange(rows.size))
        if key is not None:
            self._map_cache = (key, result)
        return result

    def _local(self, u_local, rows, name="u_local"):
        """Values at ``stencil(rows)`` followed by the two boundary values, and the maps.

        The hot path of a hyper-reduced model: the row maps are cached, and the
        values are checked for shape only (NaN travels on to the caller's checks).
        """
        cols, idx, _ = self._local_map(rows)
        u = np.asarray(u_local, dtype=float)
        if u.ndim not in (1, 2) or u.shape[0] != cols.size:
            raise ValueError(
                f"{name}: expected shape ({cols.size},) or ({cols.size}, k) (the values at "
                f"stencil(rows)), got {u.shape}"
            )
        # slots cols.size and cols.size + 1 hold the Dirichlet values
        if u.ndim == 1:
            ext = np.concatenate((u, self._boundary_array))
        else:
            ext = np.concatenate(
                (u, np.broadcast_to(self._boundary_array[:, None], (2, u.shape[1])))
            )
        return ext, idx, u.ndim == 1, cols

    def _local_rows(self, ext, im, ic, ip, nu):
        """Rows of ``f`` from the extended local values (fluxes written once per value)."""
        um, uc, up = ext[im], ext[ic], ext[ip]
        diffusion = (nu / self.h**2) * (up - 2.0 * uc + um)
        if self.scheme == "central":
            # F(c, p) - F(m, c) = (p - m)(p + m + c) / 6
            return diffusion - (up - um) * (up + um + uc) / (6.0 * self.h)
        pos = np.maximum(ext, 0.0)
        neg = np.minimum(ext, 0.0)
        pos *= pos
        neg *= neg
        return diffusion - (0.5 / self.h) * (pos[ic] + neg[ip] - pos[im] - neg[ic])

    def rhs_entries(self, u_local: Any, rows: Any, viscosity: float, t: float = 0.0) -> np.ndarray:
        """Rows ``rows`` of ``f`` from the values ``u_local = u[stencil(rows)]``.

        ``u_local`` has shape (s,) or (s, k) with ``s = len(stencil(rows))``; the
        result has shape (len(rows),) or (len(rows), k). Costs O(len(rows)),
        independent of ``n`` (the index maps of the last ``rows`` are cached).

        Parameters
        ----------
        u_local : array
            The values ``u[stencil(rows)]``.
        rows : array of int
            The rows of ``f`` wanted.
        viscosity : float
            The viscosity (the parameter).
        t : float
            The time (the system is autonomous: unused).

        Examples
        --------
        >>> import numpy as np
        >>> from fem_examples.burgers_1d import Burgers1D
        >>> fom = Burgers1D(30)
        >>> u, rows = fom.initial_condition(), np.array([3, 17])
        >>> bool(np.allclose(fom.rhs_entries(u[fom.stencil(rows)], rows, 0.01),
        ...                  fom.rhs(u, 0.01)[rows]))
        True
        """
        nu = check_real(viscosity, "viscosity", positive=True)
        ext, (im, ic, ip), _, _ = self._local(u_local, rows)
        return self._local_rows(ext, im, ic, ip, nu)

    def jacobian_entries(
        self, u_local: Any, rows: Any, viscosity: float, t: float = 0.0
    ) -> np.ndarray:
        """Rows ``rows`` of the Jacobian, columns ``stencil(rows)``: dense (len(rows), s).

        Parameters
        ----------
        u_local : array
            The values ``u[stencil(rows)]``.
        rows : array of int
            The rows of the Jacobian wanted.
        viscosity : float
            The viscosity (the parameter).
        t : float
            The time (the system is autonomous: unused).

        Examples
        --------
        >>> import numpy as np
        >>> from fem_examples.burgers_1d import Burgers1D
        >>> fom = Burgers1D(30)
        >>> u, rows = fom.initial_condition(), np.array([0, 17])
        >>> cols = fom.stencil(rows)
        >>> J = fom.jacobian(u, 0.01).toarray()
        >>> bool(np.allclose(fom.jacobian_entries(u[cols], rows, 0.01), J[np.ix_(rows, cols)]))
        True
        """
        nu = check_real(viscosity, "viscosity", positive=True)
        ext, (im, ic, ip), one, cols = self._local(u_local, rows)
        if not one:
            raise ValueError(f"u_local: expected one state of shape ({cols.size},)")
        lower, upper, diag = self._jacobian_bands(ext[im], ext[ic], ext[ip], nu)
        out = np.zeros((len(im), cols.size + 2))
        r = self._local_map(rows)[2]
        # the three columns of a row are distinct (n >= 3)
        out[r, im] = lower
        out[r, ic] = diag
        out[r, ip] = upper
        return out[:, : cols.size]

    # ------------------------------------------------------------------ time stepping
    def solve(
        self,
        u0: Any,
        times: Any,
        viscosity: float,
        method: str = "BDF",
        rtol: float = 1e-8,
        atol: float = 1e-10,
    ) -> np.ndarray:
        """Integrate from ``u0`` at ``times[0]``; return the states at ``times``: (n, len(times)).

        ``method`` is an implicit method of :func:`scipy.integrate.solve_ivp`
        (``"BDF"``, ``"Radau"``) given the sparse Jacobian, or an
        explicit one (``"RK45"``, ``"DOP853"``: mind the step limit ``h^2 / (2 nu)``),
        or ``"rosenbrock"``: the adaptive linearly implicit integrator of
        :func:`rom.galerkin.integrate` with the sparse Jacobian.

        Parameters
        ----------
        u0 : array, shape (n,)
            The initial state.
        times : array, shape (n_t,)
            Output times, increasing.
        viscosity : float
            The viscosity (the parameter).
        method : str
            Integrator of :func:`scipy.integrate.solve_ivp`.
        rtol, atol : float
            Relative and absolute tolerances of the integrator.

        Examples
        --------
        >>> from fem_examples.burgers_1d import Burgers1D
        >>> fom = Burgers1D(100, domain=(-1.0, 2.0))
        >>> fom.solve(fom.initial_condition(), [0.0, 0.1, 0.2], 0.05).shape
        (100, 3)
        """
        u0, one = self._state(u0, "u0")
        if not one:
            raise ValueError(f"u0: expected one state of shape ({self.n},)")
        u0 = u0[:, 0]
        times = check_array(times, "times", ndim=1, dtype_kind="f")
        if np.any(np.diff(times) <= 0):
            raise ValueError("times: expected strictly increasing times")
        nu = check_real(viscosity, "viscosity", positive=True)
        if not isinstance(method, str):
            raise TypeError(f"method: expected a string, got {method!r}")
        if method == "rosenbrock":
            from rom.galerkin import integrate

            return integrate(
                lambda t, u: self.rhs(u, nu, t),
                u0,
                times,
                method="implicit",
                jacobian=lambda t, u: self.jacobian(u, nu, t),
                rtol=rtol,
                atol=atol,
                autonomous=True,
            )
        implicit = method in ("BDF", "Radau")
        sol = solve_ivp(
            lambda t, u: self.rhs(u, nu, t),
            (float(times[0]), float(times[-1])),
            u0,
            method=method,
            t_eval=times,
            rtol=rtol,
            atol=atol,
            jac=(lambda t, u: self.jacobian(u, nu, t)) if implicit else None,
            vectorized=False,
        )
        if not sol.success:
            raise RuntimeError(f"Burgers1D.solve: the integrator failed: {sol.message}")
        return sol.y
