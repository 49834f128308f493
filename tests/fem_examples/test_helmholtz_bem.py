"""Boundary elements for scattering by the unit sphere, checked against the Mie series."""

import contextlib

import numpy as np
import pytest
import scipy.linalg

try:  # a scikit-learn dependency
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover

    def threadpool_limits(limits):
        return contextlib.nullcontext()


from fem_examples.helmholtz_bem import (
    SphereScattering,
    icosphere,
    mie_far_field,
    mie_scattered_field,
    triangle_potentials,
)

THETA = np.linspace(0.0, np.pi, 13)
DIRECTIONS = np.stack([np.sin(THETA), np.zeros_like(THETA), np.cos(THETA)], axis=1)
POINTS = np.array([[0.0, 0.0, 1.5], [0.0, 1.6, 0.3], [1.2, -1.1, -0.7], [0.0, 0.0, -2.5]])


@pytest.fixture(scope="module")
def meshes():
    return {r: SphereScattering(refinement=r) for r in (1, 2)}


def _gauss_duffy(x, T, order=200):
    """Reference integrals of 1/r and (x - y).n/r^3 over T for x in T's plane.

    T is split into three triangles with apex x; on each, the Duffy map ``y = x +
    u (a + v (b - a))`` (Jacobian ``u |(a) x (b - a)|``) cancels the singularity and a
    tensor Gauss-Legendre rule integrates the smooth remainder.
    """
    g, w = np.polynomial.legendre.leggauss(order)
    g, w = (g + 1) / 2, w / 2
    _, V = np.meshgrid(g, g, indexing="ij")
    W = np.outer(w, w)
    total = 0.0
    for e in range(3):
        a, b = T[e] - x, T[(e + 1) % 3] - x
        jac = np.linalg.norm(np.cross(a, b - a))
        d = a[None, None, :] + V[..., None] * (b - a)[None, None, :]
        total += np.sum(W * jac / np.linalg.norm(d, axis=2))  # u / r = 1 / |d|
    return total


def test_icosphere_is_a_closed_outward_mesh():
    v, t = icosphere(2)
    assert t.shape == (320, 3) and v.shape == (162, 3)  # Euler: V - E + F = 2
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0)
    p = v[t]
    normal = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    assert np.all(np.einsum("ij,ij->i", normal, p.mean(axis=1)) > 0)
    # closed surface: the area vectors sum to zero; area approaches 4 pi from below
    assert np.abs(normal.sum(axis=0)).max() < 1e-12
    areas = [np.linalg.norm(np.cross(*np.swapaxes(q[:, 1:] - q[:, :1], 0, 1)), axis=1).sum() / 2
             for q in (icosphere(r)[0][icosphere(r)[1]] for r in (1, 2, 3))]  # fmt: skip
    gaps = 4 * np.pi - np.array(areas)
    assert np.all(gaps > 0) and gaps[1] / gaps[2] > 3.5  # O(h^2)


def test_static_potentials_match_independent_quadrature(rng):
    T = np.array([[0.1, -0.2, 0.3], [1.2, 0.1, 0.2], [0.3, 0.9, 0.5]])
    n = np.cross(T[1] - T[0], T[2] - T[0])
    n /= np.linalg.norm(n)
    # points off the plane, near and far: compare with a 7 x 4^6-point rule
    from fem_examples.helmholtz_bem import _refined_rule

    bary, w = _refined_rule(6)
    y = bary @ T
    area = 0.5 * np.linalg.norm(np.cross(T[1] - T[0], T[2] - T[0]))
    for height in (0.3, -0.5, 2.0):
        x = T.mean(axis=0) + rng.uniform(-0.3, 0.3, 3) + height * n
        d = x - y
        r = np.linalg.norm(d, axis=1)
        S, D = triangle_potentials(x[None], T[None])
        assert S[0] == pytest.approx(area * np.sum(w / r), rel=1e-9)
        assert D[0] == pytest.approx(area * np.sum(w * (d @ n) / r**3), rel=1e-8)
    # points in the plane (inside and outside the triangle): Duffy-Gauss reference
    for bary_x in ([0.2, 0.5, 0.3], [1 / 3, 1 / 3, 1 / 3], [0.05, 0.05, 0.9]):
        x = np.asarray(bary_x) @ T
        S, D = triangle_potentials(x[None], T[None], coplanar=[True])
        assert S[0] == pytest.approx(_gauss_duffy(x, T), rel=1e-12)
        assert D[0] == 0.0
    x = T[0] + 0.4 * (T[0] - T[1])  # in the plane, outside: smooth integrand
    assert triangle_potentials(x[None], T[None])[0][0] == pytest.approx(
        area * np.sum(w / np.linalg.norm(x - y, axis=1)), rel=1e-10
    )


def test_mie_series_satisfies_the_boundary_conditions(rng):
    x = rng.standard_normal((20, 3))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    for k in (0.5, 3.0, 7.0):
        uinc = np.exp(1j * k * x[:, 2])
        assert np.abs(mie_scattered_field(k, x) + uinc).max() < 1e-10
        # sound hard: the radial derivative of the total field vanishes
        h = 1e-5
        total = [
            mie_scattered_field(k, (1 + s) * x, boundary="hard")
            + np.exp(1j * k * (1 + s) * x[:, 2])
            for s in (h, 2 * h)
        ]
        total.insert(0, mie_scattered_field(k, x, boundary="hard") + uinc)
        dr = (-3 * total[0] + 4 * total[1] - total[2]) / (2 * h)
        assert np.abs(dr).max() < 1e-6 * k


@pytest.mark.parametrize("boundary", ["soft", "hard"])
def test_mie_far_field_is_the_limit_of_the_scattered_field(boundary):
    k, r = 2.5, 1e6
    u = mie_scattered_field(k, r * DIRECTIONS, boundary=boundary) * r * np.exp(-1j * k * r)
    assert np.abs(u - mie_far_field(k, DIRECTIONS, boundary=boundary)).max() < 1e-5


def test_entries_equal_assembled_entries(rng):
    for formulation in ("combined", "single-layer"):
        bem = SphereScattering(refinement=1, formulation=formulation)
        A = bem.assemble(2.3)
        rows = np.concatenate([rng.integers(0, bem.size, 300), bem.near_pairs[:, 0]])
        cols = np.concatenate([rng.integers(0, bem.size, 300), bem.near_pairs[:, 1]])
        assert np.array_equal(bem.entries(2.3, rows, cols), A[rows, cols])
        block = bem.entries(np.array([2.3]), rows[:12].reshape(3, 4), cols[:12].reshape(3, 4))
        assert np.array_equal(block, A[rows[:12], cols[:12]].reshape(3, 4))
    assert np.array_equal(bem.rhs_entries(2.3, [4, 1]), bem.rhs(2.3)[[4, 1]])


def test_bem_converges_to_mie(meshes):
    for k in (1.0, 3.0):
        far_ref = mie_far_field(k, DIRECTIONS)
        near_ref = mie_scattered_field(k, POINTS)
        far, near = [], []
        for bem in meshes.values():
            phi = bem.solve(k)
            far.append(np.abs(bem.far_field(phi, k, DIRECTIONS) - far_ref).max())
            near.append(np.abs(bem.scattered_field(phi, k, POINTS) - near_ref).max())
        far = np.array(far) / np.abs(far_ref).max()
        near = np.array(near) / np.abs(near_ref).max()
        assert far[-1] < 0.03 and near[-1] < 0.04  # 320 panels: a few percent
        assert far[0] / far[1] > 3 and near[0] / near[1] > 3  # O(h^2): 4 per refinement


@pytest.mark.slow
def test_bem_converges_to_mie_on_finer_mesh(meshes):
    fine = SphereScattering(refinement=3)
    k = 2.0
    ref = mie_far_field(k, DIRECTIONS)
    errors = [
        np.abs(b.far_field(b.solve(k), k, DIRECTIONS) - ref).max() / np.abs(ref).max()
        for b in (meshes[2], fine)
    ]
    assert errors[1] < 0.008 and 3.5 < errors[0] / errors[1] < 4.5


def test_combined_formulation_has_no_spurious_resonance():
    ks = np.linspace(2.9, 3.6, 29)  # the single layer fails near k = pi (j_0(k) = 0)
    smallest = {}
    for formulation in ("combined", "single-layer"):
        bem = SphereScattering(refinement=1, formulation=formulation)
        with threadpool_limits(1):  # small dense SVDs: one BLAS thread is fastest
            values = [scipy.linalg.svdvals(bem.assemble(k))[-1] for k in ks]
        smallest[formulation] = np.array(values)
    single, combined = smallest["single-layer"], smallest["combined"]
    assert single.min() < 0.25 * np.median(single)
    assert 3.0 < ks[np.argmin(single)] < 3.5
    assert combined.min() > 0.9 * combined.max()


def test_single_layer_matches_mie_away_from_resonances():
    bem = SphereScattering(refinement=2, formulation="single-layer")
    phi = bem.solve(2.0)
    ref = mie_far_field(2.0, DIRECTIONS)
    assert np.abs(bem.far_field(phi, 2.0, DIRECTIONS) - ref).max() < 0.03 * np.abs(ref).max()


def test_bad_input(meshes):
    bem = meshes[1]
    with pytest.raises(ValueError, match="k: expected"):
        bem.assemble(-1.0)
    with pytest.raises(ValueError, match="k: expected"):
        bem.rhs([1.0, 2.0])
    with pytest.raises(ValueError, match="formulation"):
        SphereScattering(refinement=1, formulation="double")
    with pytest.raises(ValueError, match="refinement"):
        SphereScattering(refinement=-1)
    with pytest.raises(TypeError, match="refinement"):
        icosphere(1.5)
    with pytest.raises(ValueError, match="rows, cols"):
        bem.entries(1.0, [0, bem.size], [0, 1])
    with pytest.raises(ValueError, match="rows, cols"):
        bem.entries(1.0, [0, 1], [0])
    with pytest.raises(ValueError, match="density"):
        bem.far_field(np.ones(3), 1.0, DIRECTIONS)
    with pytest.raises(ValueError, match="directions"):
        bem.far_field(np.ones(bem.size), 1.0, np.ones((2, 2)))
    with pytest.raises(ValueError, match="points"):
        mie_scattered_field(1.0, [[0.1, 0.0, 0.0]])
    with pytest.raises(ValueError, match="boundary"):
        mie_far_field(1.0, DIRECTIONS, boundary="soft-ish")
    with pytest.raises(ValueError, match="coupling"):
        SphereScattering(refinement=0, coupling=0.0)
