r"""Steady advection-diffusion of a plume on the unit square: moving internal layers.

.. math::

   -\varepsilon\,\Delta u + b\cdot\nabla u = f \ \text{in } (0, 1)^2, \qquad
   u = 0 \ \text{on the boundary},

with the transport direction :math:`b = (\cos\theta, \sin\theta)`, the diffusion
:math:`\varepsilon = 1/\mathrm{Pe}` (``Pe`` the Peclet number on the unit length) and a
Gaussian source :math:`f = \exp(-|x - x_0|^2 / (2 s^2)) / (2\pi s^2)` at
:math:`x_0 = (0.2, 0.2)`, :math:`s = 0.04`. The solution is a plume that leaves the
source along :math:`b`, with internal layers of width about
:math:`\sqrt{\varepsilon\,|x - x_0|}` on each side: its position turns with the angle
:math:`\theta` (the parameter ``mu = (theta, Pe)``), which is what makes the solution
manifold hard for a single linear space.

P1 finite elements on a uniform triangulation (scikit-fem), stabilised by SUPG
(streamline upwind Petrov-Galerkin, Brooks and Hughes 1982) with
:math:`\tau = \frac{h}{2|b|}\left(\coth \mathrm{Pe}_h - 1/\mathrm{Pe}_h\right)`,
:math:`\mathrm{Pe}_h = |b|h/(2\varepsilon)`. With P1 elements the Laplacian vanishes
on every element, so the SUPG term is consistent:
:math:`\tau\,(b\cdot\nabla u, b\cdot\nabla v) = \tau\,(f, b\cdot\nabla v)`. On a uniform
mesh :math:`\tau` is one number per parameter and every term is a fixed matrix times
a function of :math:`(\theta, \mathrm{Pe})`: the pieces are assembled once and each
solve is one sparse LU factorisation.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rom.parameters import ParameterSpace

__all__ = ["build", "mass_matrix", "parameter_space"]

SOURCE_CENTRE = (0.2, 0.2)
SOURCE_WIDTH = 0.04


def _gaussian(x, y):
    s2 = SOURCE_WIDTH**2
    r2 = (x - SOURCE_CENTRE[0]) ** 2 + (y - SOURCE_CENTRE[1]) ** 2
    return np.exp(-r2 / (2 * s2)) / (2 * np.pi * s2)


def parameter_space(
    angles: tuple[float, float] = (0.0, np.pi / 2), peclet: tuple[float, float] = (50.0, 1000.0)
) -> ParameterSpace:
    """The parameter space ``(theta, Pe)``: the angle of the transport and the Peclet number.

    Examples
    --------
    >>> from fem_examples import advection_diffusion_2d
    >>> advection_diffusion_2d.parameter_space().dim
    2
    """
    return ParameterSpace({"theta": angles, "Pe": peclet})


def _supg_tau(h: float, peclet: float) -> float:
    pe_h = h * peclet / 2.0  # |b| = 1, eps = 1/Pe
    if pe_h < 1e-3:  # coth(x) - 1/x = x/3 - x^3/45 + ...
        xi = pe_h / 3.0 - pe_h**3 / 45.0
    else:
        xi = 1.0 / np.tanh(pe_h) - 1.0 / pe_h
    return h / 2.0 * xi


def build(
    resolution: int = 64,
    source: Callable | None = None,
    stabilized: bool = True,
) -> tuple[Callable, object]:
    r"""Assemble the problem; returns ``(solve, mesh)``.

    Parameters
    ----------
    resolution : int
        Cells per side of the uniform triangulation (``(resolution + 1)**2`` nodes).
    source : callable, optional
        ``source(x, y, theta, peclet) -> f`` (vectorised) replacing the Gaussian source
        (for manufactured solutions); it is then assembled at every solve.
    stabilized : bool
        Add the SUPG terms.

    Returns
    -------
    solve : callable
        ``solve(mu) -> u`` with ``mu = (theta, Pe)``: the nodal values on all the mesh
        nodes (zero on the boundary), shape ``(mesh.p.shape[1],)``.
    mesh : skfem.MeshTri

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples import advection_diffusion_2d
    >>> solve, mesh = advection_diffusion_2d.build(resolution=16)
    >>> u = solve((np.pi / 4, 100.0))
    >>> u.shape == (mesh.p.shape[1],), bool(u.max() > 0)
    (True, True)
    """
    import scipy.sparse.linalg
    import skfem
    from skfem.helpers import dot, grad

    resolution = int(resolution)
    if resolution < 2:
        raise ValueError(f"resolution: expected at least 2 cells per side, got {resolution}")
    if source is not None and not callable(source):
        raise TypeError(f"source: expected a callable f(x, y, theta, peclet), got {source!r}")
    t = np.linspace(0.0, 1.0, resolution + 1)
    mesh = skfem.MeshTri.init_tensor(t, t)
    basis = skfem.Basis(mesh, skfem.ElementTriP1())
    h = 1.0 / resolution

    def form(i, j):
        @skfem.BilinearForm
        def a(u, v, _):
            return u.grad[i] * v.grad[j]

        return skfem.asm(a, basis).tocsr()

    @skfem.BilinearForm
    def laplace(u, v, _):
        return dot(grad(u), grad(v))

    @skfem.BilinearForm
    def adv_x(u, v, _):
        return u.grad[0] * v

    @skfem.BilinearForm
    def adv_y(u, v, _):
        return u.grad[1] * v

    K = skfem.asm(laplace, basis).tocsr()
    Cx = skfem.asm(adv_x, basis).tocsr()
    Cy = skfem.asm(adv_y, basis).tocsr()
    # streamline pieces: (b.grad u, b.grad v) = sum_ij b_i b_j (d_i u, d_j v)
    Dxx, Dxy, Dyx, Dyy = form(0, 0), form(0, 1), form(1, 0), form(1, 1)

    def load_vectors(func):
        @skfem.LinearForm
        def plain(v, w):
            return func(w.x[0], w.x[1]) * v

        @skfem.LinearForm
        def along_x(v, w):
            return func(w.x[0], w.x[1]) * v.grad[0]

        @skfem.LinearForm
        def along_y(v, w):
            return func(w.x[0], w.x[1]) * v.grad[1]

        return skfem.asm(plain, basis), skfem.asm(along_x, basis), skfem.asm(along_y, basis)

    interior = basis.complement_dofs(basis.get_dofs())
    fixed = load_vectors(_gaussian) if source is None else None
    # the pieces restricted to the interior dofs once (u = 0 on the boundary)
    K, Cx, Cy, Dxx, Dxy, Dyy = (
        A[interior][:, interior].tocsc() for A in (K, Cx, Cy, Dxx, Dxy + Dyx, Dyy)
    )

    def solve(mu) -> np.ndarray:
        mu = np.asarray(mu, dtype=float).ravel()
        if mu.shape != (2,) or not np.all(np.isfinite(mu)):
            raise ValueError(f"mu: expected (theta, Pe), two finite numbers, got {mu!r}")
        theta, peclet = float(mu[0]), float(mu[1])
        if peclet <= 0:
            raise ValueError(f"mu: expected a positive Peclet number, got {peclet}")
        bx, by = np.cos(theta), np.sin(theta)
        if source is None:
            f0, fx, fy = fixed
        else:
            f0, fx, fy = load_vectors(lambda x, y: source(x, y, theta, peclet))
        A = K / peclet + bx * Cx + by * Cy
        rhs = f0
        if stabilized:
            tau = _supg_tau(h, peclet)
            A = A + tau * (bx * bx * Dxx + bx * by * Dxy + by * by * Dyy)
            rhs = f0 + tau * (bx * fx + by * fy)
        u = np.zeros(basis.N)
        u[interior] = scipy.sparse.linalg.splu(A.tocsc()).solve(rhs[interior])
        return u

    return solve, mesh


def mass_matrix(mesh) -> object:
    """The P1 mass matrix of ``mesh`` (the L2 inner product of nodal vectors).

    Examples
    --------
    >>> from fem_examples import advection_diffusion_2d
    >>> _, mesh = advection_diffusion_2d.build(resolution=4)
    >>> round(float(advection_diffusion_2d.mass_matrix(mesh).sum()), 12)
    1.0
    """
    import skfem

    @skfem.BilinearForm
    def mass(u, v, _):
        return u * v

    return skfem.asm(mass, skfem.Basis(mesh, skfem.ElementTriP1())).tocsr()
