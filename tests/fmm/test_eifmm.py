import numba
import numpy as np
import pytest

from rom import NotFittedError
from rom.fmm import EIFMM, direct_sum, kernels
from tests.fmm.conftest import distribution, relative_error

N = 1500  # the 3-D size of the accuracy sweep: same points, same cached operators


def test_adaptive_tree_uses_every_interaction_type():
    y = distribution("blobs", N, 2)
    fmm = EIFMM(kernels.log(), tol=1e-6, leaf_size=30).fit(y)
    assert all(len(fmm.lists_[k]) for k in ("p2p", "m2l", "m2p", "p2l"))
    assert fmm.tree_.depth >= 5


def test_several_charge_vectors_reuse_of_the_fit_and_backends(rng):
    y = distribution("cube", N, 3)
    K = kernels.laplace()
    fmm = EIFMM(K, tol=1e-6, leaf_size=30).fit(y)
    # the estimate (the largest off-grid level error, times sqrt(levels)) is an upper
    # estimate, pessimistic for 1/r: about 2.7e-6 here for errors near 3e-7
    assert fmm.error_estimate_ <= 3e-6
    Q = rng.standard_normal((N, 3))
    block = fmm.evaluate(Q)
    assert block.shape == (N, 3)
    for c in range(3):
        assert np.allclose(block[:, c], fmm.evaluate(Q[:, c]), rtol=1e-12, atol=1e-12)
    ref = direct_sum(K, None, y, Q)
    assert relative_error(block, ref) <= min(2e-6, fmm.error_estimate_)
    # complex charges with a real kernel: real and imaginary parts separately
    z = fmm.evaluate(Q[:, 0] + 1j * Q[:, 1])
    assert np.allclose(z, block[:, 0] + 1j * block[:, 1])
    assert set(fmm.timings_) >= {"tree", "operators", "p2m", "m2l", "l2p", "p2p"}
    # the backend is a choice of loops, not of results
    other = EIFMM(K, tol=1e-6, leaf_size=30, backend="numba").fit(y)
    assert np.array_equal(other.evaluate(Q), block)


def test_compressed_m2l_matches_the_uncompressed_sums(rng, monkeypatch):
    from rom.fmm import eifmm

    cases = [
        (kernels.laplace(), 3, 1e-3),
        (kernels.log(), 2, 1e-6),
        (kernels.helmholtz(2.0), 3, 1e-6),  # complex symmetric: C_o = U^H A_o conj(U)
    ]
    for K, dim, tol in cases:
        y = distribution("cube", N, dim)
        Q = np.c_[rng.random(N), rng.standard_normal(N)]  # one sign, then both signs
        Q = Q.astype(K.dtype)
        monkeypatch.setattr(eifmm, "COMPRESS_MIN", np.inf)
        plain = EIFMM(K, tol=tol, leaf_size=30).fit(y)
        assert plain.m2l_ranks_ == plain.ranks_
        monkeypatch.setattr(eifmm, "COMPRESS_MIN", 0.0)
        fmm = EIFMM(K, tol=tol, leaf_size=30).fit(y)
        assert all(fmm.m2l_ranks_[lev] < fmm.ranks_[lev] for lev in fmm.m2l_ranks_)
        ref = direct_sum(K, None, y, Q)
        a, b = plain.evaluate(Q), fmm.evaluate(Q)
        for c in range(2):
            assert relative_error(b[:, c], ref[:, c]) <= 2 * tol
            assert relative_error(b[:, c], a[:, c]) <= tol


def test_complex_m2l_compression_keeps_rows_and_columns(rng):
    # a complex symmetric family (A_{-o} = A_o^T, as for exp(ikr)/r) of rank 6 in
    # dimension 20: the common basis reproduces every matrix and its transpose
    from rom.fmm.eifmm import _compress_m2l

    B = rng.standard_normal((20, 6)) + 1j * rng.standard_normal((20, 6))
    A = np.stack([B @ np.diag(rng.standard_normal(6) + 1j) @ B.T for _ in range(40)])
    A += 1e-9 * (rng.standard_normal(A.shape) + 1j * rng.standard_normal(A.shape))
    U = _compress_m2l(A, 1e-6)
    assert U is not None and U.shape == (20, 6)
    assert np.allclose(U.conj().T @ U, np.eye(6), atol=1e-12)
    C = U.conj().T @ A @ U.conj()
    scale = np.abs(A).max()
    assert np.abs(U @ C @ U.T - A).max() <= 1e-7 * scale
    assert np.abs(U @ C.transpose(0, 2, 1) @ U.T - A.transpose(0, 2, 1)).max() <= 1e-7 * scale


def test_separate_targets(rng):
    y = distribution("blobs", N, 2)
    x = rng.random((700, 2))
    K = kernels.matern(2.5, 0.3, dim=2)
    fmm = EIFMM(K, tol=1e-3, leaf_size=30).fit(y, x)
    q = rng.random(N)
    assert relative_error(fmm.evaluate(q), direct_sum(K, x, y, q)) <= 2e-3


@pytest.mark.slow
def test_user_kernel(rng):
    # user kernels compile their own loops (seconds): one test, an anisotropic
    # displacement kernel, against the kernel written out in numpy
    y = distribution("cube", 1000, 2)
    q = rng.random(1000)
    g = numba.njit(lambda a, b: np.exp(-(a * a) / 0.5 - b * b / 0.2))
    K = kernels.displacement(g, dim=2)
    fmm = EIFMM(K, tol=1e-6, leaf_size=30).fit(y)
    idx = rng.choice(1000, 200, replace=False)
    D = y[idx, None, :] - y[None, :, :]
    ref = np.exp(-(D[..., 0] ** 2) / 0.5 - D[..., 1] ** 2 / 0.2) @ q - q[idx]  # no self term
    assert relative_error(fmm.evaluate(q)[idx], ref) <= 2e-6
    assert np.allclose(direct_sum(K, None, y, q)[idx], ref, rtol=1e-12)


def test_all_points_in_one_leaf_is_exact(rng):
    y = rng.random((50, 3))
    q = rng.random(50)
    fmm = EIFMM(kernels.laplace(), leaf_size=64).fit(y)
    assert fmm.tree_.depth == 0 and fmm.error_estimate_ == 0 and fmm.ranks_ == {}
    assert np.allclose(fmm.evaluate(q), direct_sum(kernels.laplace(), None, y, q), rtol=1e-13)


def test_chebyshev_baseline_needs_more_points_than_eim():
    y = distribution("cube", N, 3)
    q = np.random.default_rng(1).random(N)
    K = kernels.laplace()
    ref = direct_sum(K, None, y, q)
    ranks = {}
    for method in ("eim", "chebyshev"):
        fmm = EIFMM(K, tol=1e-3, leaf_size=30, interpolation=method).fit(y)
        assert relative_error(fmm.evaluate(q), ref) <= 2e-3
        ranks[method] = fmm.ranks_
    assert ranks["eim"].keys() == ranks["chebyshev"].keys()
    for lev in ranks["eim"]:
        assert ranks["eim"][lev] < ranks["chebyshev"][lev]


@pytest.mark.parametrize(
    "kwargs, call, err, match",
    [
        ({"tol": 0.0}, lambda f, y: f.fit(y), ValueError, "tol: expected a number in"),
        ({"tol": 1.5}, lambda f, y: f.fit(y), ValueError, "tol:"),
        ({"tol": "a"}, lambda f, y: f.fit(y), TypeError, "tol:"),
        ({"leaf_size": 0}, lambda f, y: f.fit(y), ValueError, "leaf_size:"),
        ({"interpolation": "svd"}, lambda f, y: f.fit(y), ValueError, "interpolation:"),
        ({}, lambda f, y: f.fit(np.full((10, 3), np.inf)), ValueError, "sources: contains"),
        ({}, lambda f, y: f.fit(y[:, :1]), ValueError, "sources:"),
        ({}, lambda f, y: f.fit(y, y[:, :2]), ValueError, "targets:"),
        ({}, lambda f, y: f.fit(np.ones((10, 3))), ValueError, "sources: all points"),
        ({}, lambda f, y: f.fit(np.vstack([y, y[:3]])), ValueError, "coincident"),
        ({}, lambda f, y: f.fit(y).evaluate(np.ones(7)), ValueError, "charges:"),
        ({}, lambda f, y: f.fit(y).evaluate(np.full(100, np.nan)), ValueError, "charges:"),
        ({}, lambda f, y: f.evaluate(np.ones(100)), NotFittedError, "not fitted"),
    ],
)
def test_bad_input(kwargs, call, err, match):
    y = np.random.default_rng(0).random((100, 3))
    with pytest.raises(err, match=match):
        call(EIFMM(kernels.laplace(), **{"leaf_size": 10, **kwargs}), y)


def test_bad_kernel():
    y = np.random.default_rng(0).random((100, 2))
    with pytest.raises(ValueError, match="kernel: a 3-D kernel"):
        EIFMM(kernels.laplace()).fit(y)
    with pytest.raises(TypeError, match="kernel:"):
        EIFMM(lambda r: r).fit(y)
    odd = numba.njit(lambda a, b: a + 0.0 * b)
    with pytest.raises(ValueError, match="even"):
        EIFMM(kernels.displacement(odd, dim=2)).fit(y)


@pytest.mark.parametrize(
    "make", [lambda: kernels.gaussian(0.2, dim=2), lambda: kernels.log(dim=2)]
)
def test_interpolation_error_between_the_training_shells(make):
    # a kernel without a maximum principle (the Gaussian) can peak between the
    # shells of the training far field: the error anywhere in the far field must
    # stay at the level the greedy reports
    K = make()
    rng = np.random.default_rng(7)
    fmm = EIFMM(K, tol=1e-8, leaf_size=64).fit(rng.uniform(0.0, 1.0, (5000, 2)))
    assert fmm.ops_
    for lev, op in fmm.ops_.items():
        h = op.h
        Y = rng.uniform(-h / 2, h / 2, (200, 2))
        X = rng.uniform(-3.5 * h, 3.5 * h, (3000, 2))
        X = X[np.abs(X).max(axis=1) >= 1.5 * h]
        exact = K.matrix(Y, X)
        error = np.abs(exact - op.q_matrix(Y) @ K.matrix(op.Y, X)).max() / np.abs(exact).max()
        assert error <= 3 * max(fmm.level_errors_[lev], 1e-8), (lev, error)  # estimate holds
        assert error <= 10 * 1e-8, (lev, error)  # and the training saw the worst targets


@pytest.mark.parametrize("name", ["laplace", "gaussian"])
def test_clustered_sources_and_separate_targets(name, rng):
    # sources in tight blobs, targets spread out (and in other blobs): the source tree
    # goes deeper than any far interaction, and the multipoles of the far boxes must
    # still be gathered from the deepest leaves (and the locals spread down to them)
    K = {"laplace": kernels.laplace(), "gaussian": kernels.gaussian(0.3)}[name]
    y = distribution("blobs", 1200, 3)
    q = rng.standard_normal(1200)
    for x in (distribution("cube", 300, 3), distribution("blobs", 300, 3, seed=3)):
        fmm = EIFMM(K, tol=1e-6, leaf_size=25).fit(y, x)
        assert relative_error(fmm.evaluate(q), direct_sum(K, x, y, q)) <= 2e-6
        fmm = EIFMM(K, tol=1e-6, leaf_size=25).fit(x, y)  # and the other way round
        assert relative_error(fmm.evaluate(q[:300]), direct_sum(K, y, x, q[:300])) <= 2e-6


def test_m2l_matrices_of_opposite_offsets_are_stored_once(monkeypatch):
    """A_{-o} = A_o^T for an even kernel: one stored matrix serves both offsets, and
    every offset's matrix is the kernel between the interpolation points."""
    from rom.fmm import eifmm

    monkeypatch.setattr(eifmm, "COMPRESS_MIN", np.inf)  # the plain matrices
    K = kernels.gaussian(0.3)
    fmm = EIFMM(K, tol=1e-6, leaf_size=30).fit(distribution("cube", 6000, 3))
    tree = fmm.tree_
    for lev, (U, src, tgt, seg, store, trans, A, scale) in fmm._m2l.items():
        assert U is None and scale == 1.0
        assert A.shape[0] == np.unique(store).size < 0.6 * store.size
        Y = fmm.ops_[lev].Y
        base = tree.level_start[lev]
        for o in range(store.size):
            p = seg[o, 0] if seg[o, 0] < seg[o, -1] else seg[o, -1] - 1
            off = tree.center[base + tgt[p]] - tree.center[base + src[p]]
            Ao = A[store[o]].T if trans[o] else A[store[o]]
            assert np.allclose(Ao, K.matrix(Y + off, Y), rtol=1e-13, atol=1e-15)


def test_m2l_pairs_are_sorted_by_slot_then_target(rng):
    from rom.fmm._numba import sort_pairs

    tgt, slot = rng.integers(0, 50, 5000), rng.integers(0, 37, 5000)
    src = np.arange(5000)
    t, s, o = sort_pairs(tgt, src, slot, 50, 37)
    order = np.lexsort((tgt, slot))  # stable: by slot, then target, then position
    assert np.array_equal(t, tgt[order]) and np.array_equal(o, slot[order])
    assert np.array_equal(s, src[order])


@pytest.mark.parametrize("dist, dim", [("blobs", 3), ("cube", 2)])
def test_mutual_near_field_matches_the_one_way_sums(dist, dim, rng):
    """Targets = sources: each near-field kernel value serves both points of its pair;
    the result is the one-way grouped sum's, for one and for several charge vectors."""
    y = distribution(dist, N, dim)
    for K in (kernels.laplace(dim), kernels.multiquadric(0.1, dim)):
        fmm = EIFMM(K, tol=1e-6, leaf_size=30).fit(y)
        assert fmm._plans["p2p_mutual"] is not None
        Q = rng.standard_normal((N, 3))
        mutual = [fmm.evaluate(Q[:, 0]), fmm.evaluate(Q)]
        fmm._plans["p2p_mutual"] = None
        one_way = [fmm.evaluate(Q[:, 0]), fmm.evaluate(Q)]
        for a, b in zip(mutual, one_way, strict=True):
            assert relative_error(a, b) <= 1e-13
    separate = EIFMM(kernels.laplace(dim), leaf_size=30).fit(y, rng.random((50, dim)))
    assert separate._plans["p2p_mutual"] is None


@pytest.mark.parametrize("shift", [1e6, 1e12])
def test_a_cloud_far_from_the_origin_keeps_the_tolerance(shift):
    """The kernel depends on differences: a shifted cloud is as accurate as at the origin.

    Regression: points shifted by 1e12 gave a relative error of 5e-4 at tol 1e-6
    (the tree and the interpolation worked on the raw coordinates).
    """
    rng = np.random.default_rng(0)
    y = rng.random((3000, 3)) + shift
    q = rng.standard_normal(3000)
    K = kernels.laplace()
    idx = rng.choice(3000, 200, replace=False)
    exact = direct_sum(K, y[idx].copy(), y, q) - K.value_at_zero * q[idx]
    phi = EIFMM(K, tol=1e-6, leaf_size=64).fit(y).evaluate(q)[idx]
    assert np.linalg.norm(phi - exact) / np.linalg.norm(exact) <= 2e-6


def test_points_spread_beyond_the_squared_range_are_refused():
    y = np.random.default_rng(0).random((50, 3)) * 1e300
    with pytest.raises(ValueError, match=r"sources: the points spread over .* beyond 1e150"):
        EIFMM(kernels.laplace(), tol=1e-6).fit(y)
