r"""Acoustic scattering by the unit sphere: a boundary element method and the Mie series.

A plane wave :math:`u^{inc}(x) = e^{i k x \cdot d}` hits the sound-soft unit sphere
:math:`\Gamma`; the scattered field :math:`u^s` solves the Helmholtz equation outside,
the Sommerfeld radiation condition at infinity and :math:`u^s = -u^{inc}` on
:math:`\Gamma`. With :math:`G(x, y) = e^{ik|x-y|} / (4\pi|x-y|)`:

- ``formulation="combined"`` (default): the Brakhage-Werner combined potential
  :math:`u^s = (\mathcal{D} - i\eta\mathcal{S})\varphi` with :math:`\eta = c\,k`
  (``coupling=c``), whose boundary equation
  :math:`(\tfrac12 I + K - i\eta V)\varphi = -u^{inc}` is uniquely solvable for every
  :math:`k > 0` (Colton and Kress, Theorem 3.33): no spurious resonance in a sweep;
- ``formulation="single-layer"``: :math:`u^s = \mathcal{S}\varphi`,
  :math:`V\varphi = -u^{inc}`, singular where :math:`k` is an interior Dirichlet
  eigenvalue (the zeros of :math:`j_n(k)`: :math:`k = \pi, 4.493, \dots`); kept to
  show those resonances.

Discretisation: an icosphere (the icosahedron refined ``refinement`` times, vertices
projected on the sphere; ``20 * 4**refinement`` flat triangles), piecewise-constant
densities, collocation at the centroids. Quadrature (independent of :math:`k`, so that
every entry is a smooth function of :math:`k`):

- a panel *near* the collocation point (centroid distance below ``near_factor`` times
  the panel diameter, the panel itself included): the static kernels
  :math:`1/(4\pi r)` and :math:`(x-y)\cdot n_y/(4\pi r^3)` are integrated in closed form
  over the flat triangle (Wilton et al. 1984; the solid angle of van Oosterom and
  Strackee 1983), and the bounded remainders
  :math:`(e^{ikr}-1)/(4\pi r)` and :math:`(e^{ikr}(1-ikr)-1)(x-y)\cdot n_y/(4\pi r^3)` by
  the 7-point degree-5 rule on ``4**near_levels`` sub-triangles;
- every other panel: the 7-point degree-5 rule.

The exact solution is the Mie series (:func:`mie_scattered_field`,
:func:`mie_far_field`), for sound-soft and sound-hard spheres.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.special

from rom.backend import map_rows, row_blocks
from rom.validation import check_array, check_choice

__all__ = [
    "SphereScattering",
    "icosphere",
    "mie_far_field",
    "mie_scattered_field",
    "triangle_potentials",
]

_SQ15 = np.sqrt(15.0)
_A1, _B1 = (6.0 - _SQ15) / 21.0, (9.0 + 2.0 * _SQ15) / 21.0
_A2, _B2 = (6.0 + _SQ15) / 21.0, (9.0 - 2.0 * _SQ15) / 21.0
_W1, _W2 = (155.0 - _SQ15) / 1200.0, (155.0 + _SQ15) / 1200.0
# Radon's 7-point degree-5 rule: barycentric coordinates (rows) and weights (sum 1)
_BARY7 = np.array(
    [
        [1 / 3, 1 / 3, 1 / 3],
        [_A1, _A1, _B1],
        [_A1, _B1, _A1],
        [_B1, _A1, _A1],
        [_A2, _A2, _B2],
        [_A2, _B2, _A2],
        [_B2, _A2, _A2],
    ]
)
_W7 = np.array([9 / 40, _W1, _W1, _W1, _W2, _W2, _W2])
_FOUR_PI = 4.0 * np.pi


_KERNELS: dict = {}


def _kernels() -> dict:
    """The numba kernels (compiled on first use, cached on disk)."""
    if _KERNELS:
        return _KERNELS
    import numba

    from rom.backend import register_kernel_cache

    register_kernel_cache()  # cached in the user's cache directory, not beside this file

    @numba.njit(cache=True, nogil=True)
    def far_pairs(k, eta, x, rows, cols, qp, qw, normal, mode, out):  # pragma: no cover
        # 7-point rule for the pairs (x[rows[p]], panel cols[p]); a rule point at
        # distance 0 (self pairs, replaced by the near-field value) is skipped
        # mode 0: combined D - i eta S; mode 1: single layer S
        for p in range(rows.shape[0]):
            i = rows[p]
            j = cols[p]
            s = 0j
            d = 0j
            for q in range(qp.shape[1]):
                a = x[i, 0] - qp[j, q, 0]
                b = x[i, 1] - qp[j, q, 1]
                c = x[i, 2] - qp[j, q, 2]
                r = np.sqrt(a * a + b * b + c * c)
                if r == 0.0:
                    continue
                g = np.exp(1j * k * r) * (qw[j, q] / (4.0 * np.pi * r))
                s += g
                if mode == 0:
                    cos = a * normal[j, 0] + b * normal[j, 1] + c * normal[j, 2]
                    d += g * (1.0 - 1j * k * r) * (cos / (r * r))
            out[p] = s if mode == 1 else d - 1j * eta * s

    @numba.njit(cache=True, nogil=True)
    def near_pairs(k, eta, idx, r, inv_r_w, cos_w, w_zero, s0, d0, mode, out):  # pragma: no cover
        for t in range(idx.shape[0]):
            p = idx[t]
            s = 0j
            d = 0j
            for q in range(r.shape[1]):
                ikr = 1j * k * r[p, q]
                e = np.exp(ikr) - 1.0
                if abs(k * r[p, q]) < 1e-3:  # expm1 without cancellation
                    e = ikr * (1.0 + ikr * (0.5 + ikr * (1.0 / 6.0 + ikr / 24.0)))
                s += e * inv_r_w[p, q]
                if mode == 0:
                    d += (e - ikr * (e + 1.0)) * cos_w[p, q]
            s = s0[p] + (s + 1j * k * w_zero[p]) / (4.0 * np.pi)
            if mode == 1:
                out[t] = s
            else:
                out[t] = d0[p] + d / (4.0 * np.pi) - 1j * eta * s

    _KERNELS.update(far_pairs=far_pairs, near_pairs=near_pairs)
    return _KERNELS


def _threaded(
    kernel: Any, args: tuple, sliced: tuple[int, ...], out: np.ndarray, grain: int = 20000
) -> None:
    """Run ``kernel(*args, out)`` on row blocks (positions ``sliced`` of ``args``, and ``out``).

    The kernels release the GIL, so :func:`rom.backend.map_rows` runs the blocks (of at
    least ``grain`` entries) on its threads; small calls run in the calling thread.
    """

    def work(rows: slice) -> None:
        part = [arg[rows] if pos in sliced else arg for pos, arg in enumerate(args)]
        kernel(*part, out[rows])

    map_rows(work, row_blocks(len(out), m=grain // 4))


def _refined_rule(levels: int) -> tuple[np.ndarray, np.ndarray]:
    """The 7-point rule on ``4**levels`` congruent sub-triangles (barycentric, weights)."""
    tris = [np.eye(3)]  # rows: barycentric coordinates of the sub-triangle's vertices
    for _ in range(levels):
        new = []
        for t in tris:
            m01, m12, m20 = (t[0] + t[1]) / 2, (t[1] + t[2]) / 2, (t[2] + t[0]) / 2
            new += [
                np.stack([t[0], m01, m20]),
                np.stack([m01, t[1], m12]),
                np.stack([m20, m12, t[2]]),
                np.stack([m01, m12, m20]),
            ]
        tris = new
    bary = np.concatenate([_BARY7 @ t for t in tris])
    weights = np.tile(_W7, len(tris)) / len(tris)
    return bary, weights


def icosphere(refinement: int) -> tuple[np.ndarray, np.ndarray]:
    """Triangulation of the unit sphere: the icosahedron refined ``refinement`` times.

    Each refinement splits every triangle into four at its edge midpoints and projects
    the new vertices on the sphere. Triangles are oriented counter-clockwise seen from
    outside (outward normals).

    Parameters
    ----------
    refinement : int
        Number of refinements (>= 0); ``20 * 4**refinement`` triangles.

    Returns
    -------
    vertices : ndarray, shape (n_vertices, 3)
    triangles : ndarray of int, shape (20 * 4**refinement, 3)

    Examples
    --------
    >>> from fem_examples.helmholtz_bem import icosphere
    >>> v, t = icosphere(2)
    >>> v.shape, t.shape
    ((162, 3), (320, 3))
    """
    if isinstance(refinement, bool) or not isinstance(refinement, int | np.integer):
        raise TypeError(f"refinement: expected a non-negative integer, got {refinement!r}")
    if refinement < 0:
        raise ValueError(f"refinement: expected a non-negative integer, got {refinement}")
    g = (1.0 + np.sqrt(5.0)) / 2.0
    v = [
        [-1, g, 0], [1, g, 0], [-1, -g, 0], [1, -g, 0],
        [0, -1, g], [0, 1, g], [0, -1, -g], [0, 1, -g],
        [g, 0, -1], [g, 0, 1], [-g, 0, -1], [-g, 0, 1],
    ]  # fmt: skip
    t = [
        [0, 11, 5], [0, 5, 1], [0, 1, 7], [0, 7, 10], [0, 10, 11],
        [1, 5, 9], [5, 11, 4], [11, 10, 2], [10, 7, 6], [7, 1, 8],
        [3, 9, 4], [3, 4, 2], [3, 2, 6], [3, 6, 8], [3, 8, 9],
        [4, 9, 5], [2, 4, 11], [6, 2, 10], [8, 6, 7], [9, 8, 1],
    ]  # fmt: skip
    vertices = np.array(v, dtype=float)
    vertices /= np.linalg.norm(vertices, axis=1, keepdims=True)
    triangles = np.array(t, dtype=np.int64)
    for _ in range(int(refinement)):
        edges = np.concatenate([triangles[:, [0, 1]], triangles[:, [1, 2]], triangles[:, [2, 0]]])
        key = np.sort(edges, axis=1)
        unique, inverse = np.unique(key, axis=0, return_inverse=True)
        mid = vertices[unique[:, 0]] + vertices[unique[:, 1]]
        mid /= np.linalg.norm(mid, axis=1, keepdims=True)
        m = inverse.reshape(3, -1) + len(vertices)  # midpoints of edges 01, 12, 20
        a, b, c = triangles.T
        triangles = np.concatenate(
            [
                np.stack([a, m[0], m[2]], axis=1),
                np.stack([m[0], b, m[1]], axis=1),
                np.stack([m[2], m[1], c], axis=1),
                np.stack([m[0], m[1], m[2]], axis=1),
            ]
        )
        vertices = np.concatenate([vertices, mid])
    # orient outwards
    p = vertices[triangles]
    normal = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    flip = np.einsum("ij,ij->i", normal, p.mean(axis=1)) < 0
    triangles[flip] = triangles[flip][:, [0, 2, 1]]
    return vertices, triangles


def triangle_potentials(
    points: Any, triangles: Any, coplanar: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Closed-form integrals of the static kernels over flat triangles.

    For each pair (point ``x``, triangle ``T`` with vertices ``a, b, c`` in
    counter-clockwise order about its normal ``n``):

    .. math::

       S = \int_T \frac{dy}{|x - y|}, \qquad
       D = \int_T \frac{(x - y)\cdot n}{|x - y|^3}\,dy = -\Omega,

    with :math:`\Omega` the signed solid angle of ``T`` seen from ``x`` (van Oosterom
    and Strackee) and ``S`` by the edge formula of Wilton et al. (1984). ``S`` is
    finite and exact also for ``x`` in the plane of ``T`` (inside it included);
    ``D`` is the principal value 0 where ``coplanar`` is True.

    Parameters
    ----------
    points : array (p, 3)
    triangles : array (p, 3, 3)
        Vertices of the triangle paired with each point.
    coplanar : bool array (p,), optional
        Pairs whose point lies in the triangle's plane (``D`` set to 0).

    Returns
    -------
    S, D : ndarray, shape (p,)

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples.helmholtz_bem import triangle_potentials
    >>> T = np.array([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]])
    >>> S, D = triangle_potentials([[0.0, 0.0, 1e6]], T)  # far away: area / distance
    >>> bool(abs(S[0] * 1e6 - 0.5) < 1e-6), bool(abs(D[0] * 1e12 - 0.5) < 1e-5)
    (True, True)
    """
    x = check_array(points, "points", ndim=2, dtype_kind="f")
    T = check_array(triangles, "triangles", ndim=3, dtype_kind="f")
    if x.shape[1] != 3 or T.shape[1:] != (3, 3) or len(T) != len(x):
        raise ValueError(
            f"points, triangles: expected shapes (p, 3) and (p, 3, 3), got {x.shape} and {T.shape}"
        )
    normal = np.cross(T[:, 1] - T[:, 0], T[:, 2] - T[:, 0])
    normal /= np.linalg.norm(normal, axis=1, keepdims=True)
    w0 = np.einsum("ij,ij->i", x - T[:, 0], normal)  # signed height of x
    S = np.zeros(len(x))
    beta = np.zeros(len(x))
    for e in range(3):
        a, b = T[:, e], T[:, (e + 1) % 3]
        length = np.linalg.norm(b - a, axis=1)
        t = (b - a) / length[:, None]
        m = np.cross(t, normal)  # outward in-plane edge normal
        t0 = np.einsum("ij,ij->i", a - x, m)  # > 0: projection of x inside the edge
        lm = np.einsum("ij,ij->i", a - x, t)
        lp = lm + length
        R0sq = t0**2 + w0**2
        Rm = np.linalg.norm(a - x, axis=1)
        Rp = np.linalg.norm(b - x, axis=1)
        # R + l, computed without cancellation when l < 0 ((R + l)(R - l) = R0^2)
        with np.errstate(divide="ignore", invalid="ignore"):
            fp = np.where(lp >= 0, Rp + lp, R0sq / (Rp - lp))
            fm = np.where(lm >= 0, Rm + lm, R0sq / (Rm - lm))
            log = np.where(np.abs(t0) > 1e-14 * length, t0 * np.log(fp / fm), 0.0)
        S += log
        aw = np.abs(w0)
        beta += np.arctan2(t0 * lp, R0sq + aw * Rp) - np.arctan2(t0 * lm, R0sq + aw * Rm)
    S -= np.abs(w0) * beta
    A, B, C = T[:, 0] - x, T[:, 1] - x, T[:, 2] - x
    nA, nB, nC = (np.linalg.norm(v, axis=1) for v in (A, B, C))
    triple = np.einsum("ij,ij->i", A, np.cross(B, C))
    den = (
        nA * nB * nC
        + np.einsum("ij,ij->i", A, B) * nC
        + np.einsum("ij,ij->i", A, C) * nB
        + np.einsum("ij,ij->i", B, C) * nA
    )
    D = -2.0 * np.arctan2(triple, den)
    if coplanar is not None:
        D = np.where(np.asarray(coplanar, dtype=bool), 0.0, D)
    return S, D


def _check_k(k: Any) -> float:
    """A wavenumber: a positive finite number, or an array holding one."""
    value = np.asarray(k)
    if value.dtype.kind not in "iuf" or value.size != 1:
        raise ValueError(f"k: expected one positive real wavenumber, got {k!r}")
    value = float(value.reshape(()))
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"k: expected a positive finite wavenumber, got {value!r}")
    return value


def _check_points(points: Any, name: str) -> np.ndarray:
    pts = check_array(points, name, ndim=(1, 2), dtype_kind="f")
    pts = pts[None, :] if pts.ndim == 1 else pts
    if pts.shape[1] != 3:
        raise ValueError(f"{name}: expected rows of 3 coordinates, got shape {pts.shape}")
    return pts


class SphereScattering:
    r"""Boundary element model of plane-wave scattering by the sound-soft unit sphere.

    ``assemble(k)`` and ``rhs(k)`` give the collocation system
    :math:`A(k)\varphi = f(k)` (dense, complex) of the chosen formulation;
    ``entries(k, rows, cols)`` gives single entries of :math:`A(k)` with the same
    quadrature at the cost of a few kernel evaluations each, the callback
    :class:`rom.eim.MatrixEIM` needs. See the module docstring for the formulations and
    the quadrature.

    Parameters
    ----------
    refinement : int
        Icosphere refinement (``20 * 4**refinement`` panels; 2 gives 320, 3 gives 1280).
    formulation : {"combined", "single-layer"}
        Brakhage-Werner combined potential (resonance free) or single layer.
    coupling : float
        :math:`\eta = \text{coupling} \cdot k` in the combined potential (> 0).
    direction : array (3,)
        Direction of the incident plane wave (normalised here).
    near_factor : float
        Panels whose centroid is closer than ``near_factor`` times their diameter to a
        collocation point get the singular/near-singular treatment.
    near_levels : int
        Refinement levels of the remainder rule on near panels (``7 * 4**near_levels``
        points).

    Attributes
    ----------
    vertices, triangles : ndarray
        The mesh (:func:`icosphere`).
    centroids, normals, areas, diameters : ndarray
        Per panel: collocation points, outward unit normals, areas, longest edges.
    size : int
        Number of unknowns (panels).
    near_pairs : ndarray of int, shape (p, 2)
        (row, col) pairs computed with the near-field quadrature, sorted.

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples.helmholtz_bem import SphereScattering, mie_far_field
    >>> bem = SphereScattering(refinement=2)
    >>> phi = bem.solve(2.0)
    >>> d = np.array([[0.0, 0.0, 1.0], [0.0, 0.0, -1.0]])
    >>> err = np.abs(bem.far_field(phi, 2.0, d) - mie_far_field(2.0, d))
    >>> bool(err.max() < 0.03 * np.abs(mie_far_field(2.0, d)).max())
    True
    """

    def __init__(
        self,
        refinement: int = 2,
        formulation: str = "combined",
        coupling: float = 1.0,
        direction: Any = (0.0, 0.0, 1.0),
        near_factor: float = 1.5,
        near_levels: int = 2,
    ) -> None:
        self.refinement = refinement
        self.formulation = check_choice(formulation, "formulation", ("combined", "single-layer"))
        if not np.isfinite(coupling) or coupling <= 0:
            raise ValueError(f"coupling: expected a positive number, got {coupling!r}")
        self.coupling = float(coupling)
        d = check_array(direction, "direction", shape=(3,), dtype_kind="f")
        if np.linalg.norm(d) == 0:
            raise ValueError("direction: expected a non-zero vector")
        self.direction = d / np.linalg.norm(d)
        if not np.isfinite(near_factor) or near_factor < 0:
            raise ValueError(f"near_factor: expected a non-negative number, got {near_factor!r}")
        self.near_factor = float(near_factor)
        if isinstance(near_levels, bool) or not isinstance(near_levels, int) or near_levels < 0:
            raise ValueError(f"near_levels: expected a non-negative integer, got {near_levels!r}")
        self.near_levels = near_levels
        self.vertices, self.triangles = icosphere(refinement)
        P = self.vertices[self.triangles]  # (n, 3, 3)
        self._panels = P
        cross = np.cross(P[:, 1] - P[:, 0], P[:, 2] - P[:, 0])
        twice = np.linalg.norm(cross, axis=1)
        self.areas = twice / 2
        self.normals = cross / twice[:, None]
        self.centroids = P.mean(axis=1)
        self.diameters = np.max(
            np.linalg.norm(P - np.roll(P, 1, axis=1), axis=2), axis=1
        )  # longest edge
        self.size = len(self.triangles)
        # far rule: quadrature points (n, 7, 3) and weights (n, 7)
        self._qp = np.einsum("qa,nai->nqi", _BARY7, P)
        self._qw = self.areas[:, None] * _W7[None, :]
        self._all_pairs = None  # (rows, cols) of every entry, built by assemble
        self._plan = None  # the last entries() request, classified
        self._setup_near()

    # ------------------------------------------------------------- geometry
    def _setup_near(self) -> None:
        from scipy.spatial import cKDTree

        c = self.centroids
        tree = cKDTree(c)
        radius = self.near_factor * self.diameters.max()
        pairs = tree.query_pairs(radius, output_type="ndarray")
        pairs = np.concatenate([pairs, pairs[:, ::-1], np.repeat(np.arange(self.size), 2)
                                .reshape(-1, 2)])  # fmt: skip
        i, j = pairs[:, 0], pairs[:, 1]
        keep = (i == j) | (
            np.linalg.norm(c[i] - c[j], axis=1) < self.near_factor * self.diameters[j]
        )
        pairs = pairs[keep]
        key = pairs[:, 0] * self.size + pairs[:, 1]
        order = np.argsort(key)
        self.near_pairs = pairs[order]
        self._near_keys = key[order]
        i, j = self.near_pairs.T
        x = c[i]
        S0, D0 = triangle_potentials(x, self._panels[j], coplanar=i == j)
        self._near_static = (S0 / _FOUR_PI, D0 / _FOUR_PI)
        bary, w = _refined_rule(self.near_levels)
        y = np.einsum("qa,pai->pqi", bary, self._panels[j])  # (p, q, 3)
        diff = x[:, None, :] - y
        r = np.linalg.norm(diff, axis=2)
        weights = self.areas[j][:, None] * w[None, :]
        # a rule point may be the collocation point itself (r = 0): there the remainder
        # of the single layer takes its limit ik/(4 pi), that of the double layer 0
        zero = r == 0
        inv_r = np.where(zero, 0.0, 1.0 / np.where(zero, 1.0, r))
        self._near_r = r
        self._near_inv_r_w = inv_r * weights
        self._near_w_zero = np.where(zero, weights, 0.0).sum(axis=1)
        cos = np.einsum("pqi,pi->pq", diff, self.normals[j])
        cos[i == j] = 0.0  # in the panel's plane: exactly zero
        self._near_cos_w = cos * inv_r**3 * weights

    # --------------------------------------------------------------- kernels
    def _eta(self, k: float) -> float:
        return self.coupling * k

    def _combine(self, S: np.ndarray, D: np.ndarray, k: float) -> np.ndarray:
        if self.formulation == "single-layer":
            return S
        return D - 1j * self._eta(k) * S

    def _far_layers(self, k: float, x: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, ...]:
        """Single and double layer integrals of panels ``j`` at points ``x``, 7-point rule."""
        diff = x[:, None, :] - self._qp[j]  # (p, 7, 3)
        r = np.sqrt(np.einsum("pqi,pqi->pq", diff, diff))
        w = self._qw[j]
        g = np.exp(1j * k * r) / (_FOUR_PI * r)
        S = np.einsum("pq,pq->p", g, w)
        if self.formulation == "single-layer":
            return S, None
        cos = np.einsum("pqi,pi->pq", diff, self.normals[j])
        D = np.einsum("pq,pq->p", g * (1.0 - 1j * k * r) * cos / r**2, w)
        return S, D

    def _mode(self) -> int:
        return 1 if self.formulation == "single-layer" else 0

    def _near_values(self, k: float, p: np.ndarray) -> np.ndarray:
        """Matrix entries (identity part excluded) of the near pairs ``p``."""
        out = np.empty(len(p), dtype=complex)
        _threaded(
            _kernels()["near_pairs"],
            (
                k,
                self._eta(k),
                np.ascontiguousarray(p, dtype=np.int64),
                self._near_r,
                self._near_inv_r_w,
                self._near_cos_w,
                self._near_w_zero,
                self._near_static[0],
                self._near_static[1],
                self._mode(),
            ),
            (2,),
            out,
        )
        return out

    def _identity_part(self) -> float:
        return 0.0 if self.formulation == "single-layer" else 0.5

    # ------------------------------------------------------------ public API
    def assemble(self, k: Any) -> np.ndarray:
        """The dense collocation matrix :math:`A(k)`, shape (n, n), complex.

        Parameters
        ----------
        k : float or array holding one float
            Wavenumber (> 0); the sphere has radius 1, so this is also :math:`ka`.

        Examples
        --------
        >>> from fem_examples.helmholtz_bem import SphereScattering
        >>> SphereScattering(refinement=1).assemble(1.0).shape
        (80, 80)
        """
        k = _check_k(k)
        n = self.size
        A = np.empty((n, n), dtype=complex)
        if self._all_pairs is None:
            idx = np.arange(n)
            self._all_pairs = (np.repeat(idx, n), np.tile(idx, n))
        _threaded(
            _kernels()["far_pairs"],
            (k, self._eta(k), self.centroids, *self._all_pairs, self._qp, self._qw, self.normals,
             self._mode()),
            (3, 4),
            A.reshape(-1),
        )  # fmt: skip
        i, j = self.near_pairs.T
        A[i, j] = self._near_values(k, np.arange(len(i)))
        A[np.arange(n), np.arange(n)] += self._identity_part()
        return A

    def entries(self, k: Any, rows: Any, cols: Any) -> np.ndarray:
        """Entries ``A(k)[rows, cols]`` without assembling, with :meth:`assemble`'s quadrature.

        Parameters
        ----------
        k : float or array holding one float
        rows, cols : int arrays of one shape

        Returns
        -------
        ndarray, complex, of the shape of ``rows``

        Examples
        --------
        >>> import numpy as np
        >>> from fem_examples.helmholtz_bem import SphereScattering
        >>> bem = SphereScattering(refinement=1)
        >>> rows, cols = np.array([0, 3, 7]), np.array([0, 50, 7])
        >>> bool(np.allclose(bem.entries(1.5, rows, cols), bem.assemble(1.5)[rows, cols]))
        True
        """
        k = _check_k(k)
        rows = np.asarray(rows)
        cols = np.asarray(cols)
        plan = self._entry_plan(rows, cols)
        far_rows, far_cols, far, near_pos, near, diag = plan
        out = np.empty(rows.size, dtype=complex)
        if far_rows.size:
            values = np.empty(far_rows.size, dtype=complex)
            _kernels()["far_pairs"](
                k,
                self._eta(k),
                self.centroids,
                far_rows,
                far_cols,
                self._qp,
                self._qw,
                self.normals,
                self._mode(),
                values,
            )
            out[far] = values
        if near_pos.size:
            out[near] = self._near_values(k, near_pos)
        out[diag] += self._identity_part()
        return out.reshape(rows.shape)

    def _entry_plan(self, rows: np.ndarray, cols: np.ndarray) -> tuple:
        """Which requested entries are near pairs, and where (kept for repeated calls)."""
        if rows.shape != cols.shape:
            raise ValueError(f"rows, cols: expected one shape, got {rows.shape} and {cols.shape}")
        if rows.size and (
            rows.dtype.kind not in "iu"
            or cols.dtype.kind not in "iu"
            or min(rows.min(), cols.min()) < 0
            or max(rows.max(), cols.max()) >= self.size
        ):
            raise ValueError(f"rows, cols: expected integer indices in [0, {self.size})")
        i, j = rows.ravel().astype(np.int64), cols.ravel().astype(np.int64)
        key = (i.tobytes(), j.tobytes())
        if self._plan is not None and self._plan[0] == key:
            return self._plan[1]
        code = i * self.size + j
        pos = np.minimum(np.searchsorted(self._near_keys, code), len(self._near_keys) - 1)
        near = self._near_keys[pos] == code
        far = ~near
        plan = (i[far], j[far], far, pos[near], near, i == j)
        self._plan = (key, plan)
        return plan

    def rhs(self, k: Any) -> np.ndarray:
        """Right-hand side :math:`f_i = -u^{inc}(x_i) = -e^{ik x_i \\cdot d}` at the centroids.

        Examples
        --------
        >>> from fem_examples.helmholtz_bem import SphereScattering
        >>> SphereScattering(refinement=0).rhs(1.0).shape
        (20,)
        """
        k = _check_k(k)
        return -np.exp(1j * k * (self.centroids @ self.direction))

    def rhs_entries(self, k: Any, rows: Any) -> np.ndarray:
        """Entries ``rhs(k)[rows]`` (the :class:`rom.eim.VectorEIM` callback).

        Examples
        --------
        >>> import numpy as np
        >>> from fem_examples.helmholtz_bem import SphereScattering
        >>> bem = SphereScattering(refinement=0)
        >>> bool(np.allclose(bem.rhs_entries(1.0, [2, 5]), bem.rhs(1.0)[[2, 5]]))
        True
        """
        k = _check_k(k)
        rows = np.asarray(rows)
        if rows.size and (
            rows.dtype.kind not in "iu" or rows.min() < 0 or rows.max() >= self.size
        ):
            raise ValueError(f"rows: expected integer indices in [0, {self.size})")
        return -np.exp(1j * k * (self.centroids[rows] @ self.direction))

    def solve(self, k: Any) -> np.ndarray:
        """The density :math:`\\varphi` at wavenumber ``k`` (dense LU).

        Examples
        --------
        >>> from fem_examples.helmholtz_bem import SphereScattering
        >>> SphereScattering(refinement=1).solve(1.0).shape
        (80,)
        """
        import scipy.linalg

        return scipy.linalg.solve(self.assemble(k), self.rhs(k))

    def _check_density(self, density: Any) -> np.ndarray:
        phi = np.asarray(density)
        if phi.dtype.kind not in "iufc":
            raise TypeError(f"density: expected numbers, got dtype {phi.dtype}")
        if phi.shape[:1] != (self.size,) or phi.ndim > 2:
            raise ValueError(
                f"density: expected shape ({self.size},) or ({self.size}, m), got {phi.shape}"
            )
        if not np.isfinite(phi).all():
            raise ValueError("density: contains NaN or inf")
        return phi

    def far_field(self, density: Any, k: Any, directions: Any) -> np.ndarray:
        r"""Far-field pattern :math:`u^\infty(\hat x)`, with
        :math:`u^s(r\hat x) = e^{ikr} u^\infty(\hat x)/r + O(r^{-2})`.

        :math:`u^\infty(\hat x) = \frac{1}{4\pi}\int_\Gamma (-ik\,\hat x\cdot n_y - i\eta)
        e^{-ik\hat x\cdot y}\varphi(y)\,dy` (without the ``-ik`` term for the single
        layer), by the 7-point rule.

        Parameters
        ----------
        density : array (n,) or (n, m)
        k : float
        directions : array (p, 3) or (3,)
            Observation directions (normalised here).

        Returns
        -------
        ndarray (p,) or (p, m)

        Examples
        --------
        >>> import numpy as np
        >>> from fem_examples.helmholtz_bem import SphereScattering
        >>> bem = SphereScattering(refinement=1)
        >>> bem.far_field(bem.solve(1.0), 1.0, np.eye(3)).shape
        (3,)
        """
        phi = self._check_density(density)
        k = _check_k(k)
        dirs = _check_points(directions, "directions")
        norm = np.linalg.norm(dirs, axis=1, keepdims=True)
        if np.any(norm == 0):
            raise ValueError("directions: expected non-zero vectors")
        dirs = dirs / norm
        phase = np.exp(-1j * k * np.einsum("pi,nqi->pnq", dirs, self._qp))  # (p, n, 7)
        if self.formulation == "single-layer":
            factor = np.ones((len(dirs), self.size))
        else:
            factor = -1j * k * (dirs @ self.normals.T) - 1j * self._eta(k)
        M = factor * np.einsum("pnq,nq->pn", phase, self._qw) / _FOUR_PI
        return M @ phi

    def scattered_field(self, density: Any, k: Any, points: Any) -> np.ndarray:
        """The scattered field :math:`u^s(x)` at points off the surface.

        The potentials are integrated with the near-field treatment (closed-form static
        parts, refined rule for the remainders) on panels closer than ``near_factor``
        diameters, the 7-point rule elsewhere.

        Parameters
        ----------
        density : array (n,) or (n, m)
        k : float
        points : array (p, 3) or (3,)

        Returns
        -------
        ndarray (p,) or (p, m)

        Examples
        --------
        >>> import numpy as np
        >>> from fem_examples.helmholtz_bem import SphereScattering
        >>> bem = SphereScattering(refinement=1)
        >>> bem.scattered_field(bem.solve(1.0), 1.0, [[0.0, 0.0, 2.0]]).shape
        (1,)
        """
        phi = self._check_density(density)
        k = _check_k(k)
        x = _check_points(points, "points")
        p, n = len(x), self.size
        i = np.repeat(np.arange(p), n)
        j = np.tile(np.arange(n), p)
        S, D = self._far_layers(k, x[i], j)
        M = self._combine(S, D, k).reshape(p, n)
        dist = np.linalg.norm(x[:, None, :] - self.centroids[None, :, :], axis=2)
        pi, pj = np.nonzero(dist < self.near_factor * self.diameters[None, :])
        if pi.size:
            S0, D0 = triangle_potentials(x[pi], self._panels[pj])
            bary, w = _refined_rule(self.near_levels)
            y = np.einsum("qa,pai->pqi", bary, self._panels[pj])
            diff = x[pi][:, None, :] - y
            r = np.linalg.norm(diff, axis=2)
            ww = self.areas[pj][:, None] * w[None, :]
            Sn = (S0 + np.einsum("pq,pq->p", np.expm1(1j * k * r) / r, ww)) / _FOUR_PI
            Dn = None
            if self.formulation != "single-layer":
                cos = np.einsum("pqi,pi->pq", diff, self.normals[pj])
                rem = (np.exp(1j * k * r) * (1 - 1j * k * r) - 1) * cos / r**3
                Dn = (D0 + np.einsum("pq,pq->p", rem, ww)) / _FOUR_PI
            M[pi, pj] = self._combine(Sn, Dn, k)
        return M @ phi

    def incident_field(self, k: Any, points: Any) -> np.ndarray:
        """The incident plane wave :math:`e^{ik x\\cdot d}` at ``points`` (p, 3).

        Examples
        --------
        >>> from fem_examples.helmholtz_bem import SphereScattering
        >>> complex(SphereScattering(refinement=0).incident_field(1.0, [0.0, 0.0, 0.0])[0])
        (1+0j)
        """
        k = _check_k(k)
        x = _check_points(points, "points")
        return np.exp(1j * k * (x @ self.direction))


# ---------------------------------------------------------------- Mie series
def _mie_terms(k: float, boundary: str, radius: float) -> tuple[np.ndarray, np.ndarray]:
    """Orders ``n`` and ratios ``j_n(ka)/h_n(ka)`` (soft) or of derivatives (hard)."""
    ka = k * radius
    N = int(ka + 4.0 * ka ** (1 / 3) + 20)
    n = np.arange(N + 1)
    j = scipy.special.spherical_jn(n, ka, derivative=boundary == "hard")
    y = scipy.special.spherical_yn(n, ka, derivative=boundary == "hard")
    return n, j / (j + 1j * y)


def _check_mie(k: Any, boundary: str, radius: float, direction: Any) -> tuple:
    k = _check_k(k)
    boundary = check_choice(boundary, "boundary", ("soft", "hard"))
    if not np.isfinite(radius) or radius <= 0:
        raise ValueError(f"radius: expected a positive number, got {radius!r}")
    d = check_array(direction, "direction", shape=(3,), dtype_kind="f")
    if np.linalg.norm(d) == 0:
        raise ValueError("direction: expected a non-zero vector")
    return k, boundary, float(radius), d / np.linalg.norm(d)


def mie_scattered_field(
    k: Any,
    points: Any,
    boundary: str = "soft",
    radius: float = 1.0,
    direction: Any = (0.0, 0.0, 1.0),
) -> np.ndarray:
    r"""Exact scattered field of a plane wave by a sphere (the Mie series).

    .. math::

       u^s(x) = -\sum_{n \ge 0} i^n (2n+1)\, c_n\, h_n(k|x|)\, P_n(\cos\theta),
       \qquad c_n = \frac{j_n(ka)}{h_n(ka)} \text{ (soft)},\quad
       \frac{j_n'(ka)}{h_n'(ka)} \text{ (hard)},

    with :math:`h_n = j_n + i y_n` and :math:`\theta` the angle between ``x`` and the
    incident direction, summed to ``ka + 4 (ka)^{1/3} + 20`` terms.

    Parameters
    ----------
    k : float
    points : array (p, 3) or (3,)
        Points outside the sphere (``|x| >= radius``).
    boundary : {"soft", "hard"}
    radius : float
    direction : array (3,)

    Returns
    -------
    ndarray (p,), complex

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples.helmholtz_bem import mie_scattered_field
    >>> x = np.array([[0.0, 0.6, 0.8]])  # on the sphere: u^s = -u^inc
    >>> bool(np.isclose(mie_scattered_field(2.0, x)[0], -np.exp(1.6j)))
    True
    """
    k, boundary, radius, d = _check_mie(k, boundary, radius, direction)
    x = _check_points(points, "points")
    r = np.linalg.norm(x, axis=1)
    if np.any(r < radius * (1 - 1e-12)):
        raise ValueError("points: expected points outside the sphere (|x| >= radius)")
    cos = np.clip(x @ d / r, -1.0, 1.0)
    n, c = _mie_terms(k, boundary, radius)
    h = scipy.special.spherical_jn(n[:, None], k * r) + 1j * scipy.special.spherical_yn(
        n[:, None], k * r
    )
    P = scipy.special.eval_legendre(n[:, None], cos[None, :])
    coef = -(1j**n) * (2 * n + 1) * c
    return np.einsum("n,np,np->p", coef, h, P)


def mie_far_field(
    k: Any,
    directions: Any,
    boundary: str = "soft",
    radius: float = 1.0,
    direction: Any = (0.0, 0.0, 1.0),
) -> np.ndarray:
    r"""Exact far-field pattern of the sphere,
    :math:`u^\infty(\hat x) = \frac{i}{k}\sum_n (2n+1)\, c_n\, P_n(\cos\theta)`.

    Convention: :math:`u^s(r\hat x) = e^{ikr} u^\infty(\hat x)/r + O(r^{-2})`, as in
    :meth:`SphereScattering.far_field`; ``c_n`` as in :func:`mie_scattered_field`.

    Examples
    --------
    >>> import numpy as np
    >>> from fem_examples.helmholtz_bem import mie_far_field, mie_scattered_field
    >>> r = 1e5
    >>> u = mie_scattered_field(1.0, [[r, 0.0, 0.0]])[0] * r * np.exp(-1j * r)
    >>> bool(abs(u - mie_far_field(1.0, [[1.0, 0.0, 0.0]])[0]) < 1e-4)
    True
    """
    k, boundary, radius, d = _check_mie(k, boundary, radius, direction)
    dirs = _check_points(directions, "directions")
    norm = np.linalg.norm(dirs, axis=1)
    if np.any(norm == 0):
        raise ValueError("directions: expected non-zero vectors")
    cos = np.clip(dirs @ d / norm, -1.0, 1.0)
    n, c = _mie_terms(k, boundary, radius)
    P = scipy.special.eval_legendre(n[:, None], cos[None, :])
    return (1j / k) * np.einsum("n,np->p", (2 * n + 1) * c, P)
