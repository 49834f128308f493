import numpy as np
import pytest
import scipy.linalg
import scipy.sparse

from rom.local import (
    dissimilarity,
    euclidean_dissimilarity,
    grassmann_dissimilarity,
    principal_angles,
    sine_dissimilarity,
)
from rom.local.dissimilarity import _explicit_norms


def _relative_projection_error(u, v, M):
    """||u - P_v u||_M / ||u||_M, with P_v the M-orthogonal projector on span(v)."""
    Mu, Mv = M @ u, M @ v
    r = u - v * (np.vdot(v, Mu) / np.vdot(v, Mv))
    return np.sqrt(np.real(np.vdot(r, M @ r)) / np.real(np.vdot(u, Mu)))


@pytest.mark.parametrize("kind", ["euclidean", "dense", "sparse"])
def test_sine_is_the_relative_projection_error_on_the_other_snapshot(rng, kind):
    n = 40
    S = rng.standard_normal((n, 7))
    S[:, 3] = S[:, 2] + 1e-4 * rng.standard_normal(n)  # refined pair
    if kind == "euclidean":
        M = None
        Mdense = np.eye(n)
    else:
        A = rng.standard_normal((n, n))
        Mdense = A @ A.T + n * np.eye(n)
        M = scipy.sparse.csr_matrix(Mdense) if kind == "sparse" else Mdense
    D = sine_dissimilarity(S, inner=M)
    for i in range(7):
        for j in range(7):
            expected = _relative_projection_error(S[:, i], S[:, j], Mdense)
            assert D[i, j] == pytest.approx(expected, rel=1e-10, abs=1e-15)
    assert np.array_equal(D, D.T)
    assert np.all(np.diag(D) == 0)


def test_sine_is_scale_invariant_real_and_complex(rng):
    S = rng.standard_normal((30, 6)) + 1j * rng.standard_normal((30, 6))
    scale = rng.standard_normal(6) * np.exp(1j * rng.uniform(0, 2 * np.pi, 6)) * 1e3
    assert np.allclose(
        sine_dissimilarity(S * scale), sine_dissimilarity(S), rtol=1e-12, atol=1e-15
    )
    R = rng.standard_normal((30, 6))
    signs = np.array([1.0, -2.0, 1e-6, -1e8, 3.0, 0.5])
    assert np.allclose(
        sine_dissimilarity(R * signs), sine_dissimilarity(R), rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize("sparse_inner", [False, True])
def test_sine_of_nearly_parallel_snapshots_keeps_its_digits(sparse_inner):
    """s2 = s1 + t w with w exactly orthogonal to s1: sin = t ||w|| / ||s2|| exactly."""
    n = 1000
    t = 2.0**-30  # ~9.3e-10; 1 +- t is exact in floating point
    s1 = np.ones(n)
    w = np.tile([1.0, -1.0], n // 2)
    S = np.column_stack([s1, s1 + t * w])
    exact = t / np.sqrt(1 + t**2)
    M = scipy.sparse.identity(n, format="csr") if sparse_inner else None
    D = sine_dissimilarity(S, inner=M)
    assert D[0, 1] == pytest.approx(exact, rel=1e-6)
    # the Gram formula alone has lost it: 1 - cos^2 is pure round-off at this angle
    U = S / np.linalg.norm(S, axis=0)
    c = min(abs(U[:, 0] @ U[:, 1]), 1.0)
    naive = np.sqrt(max(1 - c * c, 0.0))
    assert abs(naive - exact) > 1e-2 * exact
    # Grassmann angle from the same accurate sine
    assert grassmann_dissimilarity(S, inner=M)[0, 1] == pytest.approx(np.arctan(t), rel=1e-6)


def test_numba_and_numpy_pair_kernels_agree(rng):
    U = rng.standard_normal((300, 20))
    rows = rng.integers(0, 20, 50)
    cols = rng.integers(0, 20, 50)
    signs = rng.choice([-1.0, 1.0], 50)
    scale = rng.uniform(0.5, 2.0, 50)
    fast = _explicit_norms(U, U, rows, cols, signs, scale, None, same=True)
    eye = scipy.sparse.identity(300, format="csr")
    slow = _explicit_norms(U, U, rows, cols, signs, scale, eye)
    direct = np.linalg.norm(scale * U[:, cols] - signs * U[:, rows], axis=0)
    assert np.allclose(fast, direct, rtol=1e-13)
    assert np.allclose(slow, direct, rtol=1e-13)


def test_cross_dissimilarity_matches_the_square_one(rng):
    S = rng.standard_normal((25, 8))
    D = sine_dissimilarity(S)
    assert np.allclose(sine_dissimilarity(S, S[:, [1, 5]]), D[:, [1, 5]], atol=1e-15)
    assert np.allclose(sine_dissimilarity(S, S[:, 4]), D[:, [4]], atol=1e-15)
    E = euclidean_dissimilarity(S, S[:, :3])
    assert np.allclose(E, np.linalg.norm(S[:, :, None] - S[:, None, :3], axis=0), rtol=1e-12)


def test_euclidean_distances_of_nearly_equal_snapshots_are_exact(rng):
    s = rng.standard_normal(500) * 1e3
    w = np.zeros(500)
    w[7] = 2.0**-20
    S = np.column_stack([s, s + w, -s])
    D = euclidean_dissimilarity(S)
    assert D[0, 1] == 2.0**-20  # from the explicit difference, exactly
    assert D[0, 2] == pytest.approx(2 * np.linalg.norm(s), rel=1e-14)


def test_grassmann_principal_angles_match_scipy(rng):
    A = rng.standard_normal((50, 3))
    B = A @ rng.standard_normal((3, 4)) + 1e-7 * rng.standard_normal((50, 4))
    B[:, 3] = rng.standard_normal(50)
    mine = principal_angles(A, B)
    ref = np.sort(scipy.linalg.subspace_angles(A, B))
    assert np.allclose(mine, ref, rtol=1e-8, atol=1e-14)
    assert mine.max() < 1e-5  # the three directions of A lie almost in span(B)
    # in an inner product: the angles of M^{1/2} A and M^{1/2} B
    d = rng.uniform(0.5, 2.0, 50)
    with_m = principal_angles(A, B, inner=scipy.sparse.diags(d))
    ref = np.sort(scipy.linalg.subspace_angles(np.sqrt(d)[:, None] * A, np.sqrt(d)[:, None] * B))
    assert np.allclose(with_m, ref, rtol=1e-7, atol=1e-14)


def test_grassmann_dissimilarity_is_the_angle(rng):
    S = rng.standard_normal((10, 5))
    U = S / np.linalg.norm(S, axis=0)
    ref = np.arccos(np.clip(np.abs(U.T @ U), 0, 1))
    assert np.allclose(dissimilarity(S, metric="grassmann"), ref, atol=1e-7)


def test_zero_snapshot_and_bad_input_are_refused(rng):
    S = rng.standard_normal((10, 4))
    S[:, 2] = 0.0
    with pytest.raises(ValueError, match="S: snapshots \\[2\\] are zero"):
        sine_dissimilarity(S)
    assert euclidean_dissimilarity(S)[2, 2] == 0.0  # zero snapshots are fine there
    with pytest.raises(ValueError, match="Y: expected 10 rows"):
        sine_dissimilarity(rng.standard_normal((10, 3)), rng.standard_normal((9, 2)))
    with pytest.raises(ValueError, match="metric"):
        dissimilarity(S, metric="cosine")
    with pytest.raises(ValueError, match="S: contains NaN"):
        sine_dissimilarity(np.full((3, 3), np.nan))
    with pytest.raises(ValueError, match="refine"):
        sine_dissimilarity(rng.standard_normal((4, 3)), refine=2.0)


def test_sine_and_angle_are_scale_invariant():
    """Issue 18, item 10: sine_dissimilarity(S * 1e200) was NaN."""
    from rom.local import grassmann_dissimilarity, sine_dissimilarity

    x = np.linspace(0, 1, 60)[:, None]
    S = np.exp(-np.linspace(1, 2, 8)[None, :] * x)
    ref = sine_dissimilarity(S)
    for factor in (1e200, 1e-200):
        D = sine_dissimilarity(S * factor)
        assert np.all(np.isfinite(D))
        assert np.allclose(D, ref, rtol=1e-12, atol=1e-15)
    # columns of wildly different sizes: each is scaled on its own
    mixed = S * np.array([1e200, 1.0, 1e-200, 1.0, 1e150, 1e-150, 1.0, 1e300])
    assert np.allclose(sine_dissimilarity(mixed), ref, rtol=1e-12, atol=1e-15)
    assert np.allclose(
        grassmann_dissimilarity(S * 1e200), grassmann_dissimilarity(S), rtol=1e-12, atol=1e-15
    )
