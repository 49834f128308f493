import numba
import numpy as np
import pytest

from rom.fmm import EIFMM, direct_sum, kernels
from tests.fmm.conftest import distribution, relative_error
from tests.fmm.test_accuracy import N, check_accuracy


@pytest.mark.parametrize("dist, tol", [("cube", 1e-6), ("sphere", 1e-3), ("blobs", 1e-6)])
def test_laplace_3d_meets_the_tolerance(dist, tol):
    fmm, _ = check_accuracy(kernels.laplace(), dist, 3, tol)
    assert fmm.error_estimate_ <= 2 * tol


def test_helmholtz_low_frequency():
    fmm, _ = check_accuracy(kernels.helmholtz(2.0), "sphere", 3, 1e-3, n=1000, leaf_size=20)
    assert np.iscomplexobj(fmm.evaluate(np.ones(1000)))


def test_adaptive_tree_uses_every_interaction_type():
    y = distribution("blobs", N, 2)
    fmm = EIFMM(kernels.log(), tol=1e-6, leaf_size=30).setup(y)
    assert all(len(fmm.lists_[k]) for k in ("p2p", "m2l", "m2p", "p2l"))
    assert fmm.tree_.depth >= 5


def test_several_charge_vectors_and_reuse_of_the_setup(rng):
    y = distribution("cube", N, 3)
    K = kernels.laplace()
    fmm = EIFMM(K, tol=1e-6, leaf_size=30).setup(y)
    Q = rng.standard_normal((N, 3))
    block = fmm.evaluate(Q)
    assert block.shape == (N, 3)
    for c in range(3):
        assert np.allclose(block[:, c], fmm.evaluate(Q[:, c]), rtol=1e-12, atol=1e-12)
    ref = direct_sum(K, None, y, Q)
    assert relative_error(block, ref) <= 2e-6
    # complex charges with a real kernel: real and imaginary parts separately
    z = fmm.evaluate(Q[:, 0] + 1j * Q[:, 1])
    assert np.allclose(z, block[:, 0] + 1j * block[:, 1])
    assert set(fmm.timings_) >= {"tree", "operators", "p2m", "m2l", "l2p", "p2p"}


def test_separate_targets(rng):
    y = distribution("blobs", N, 2)
    x = rng.random((700, 2))
    K = kernels.matern(2.5, 0.3, dim=2)
    fmm = EIFMM(K, tol=1e-3, leaf_size=30).setup(y, x)
    q = rng.random(N)
    assert relative_error(fmm.evaluate(q), direct_sum(K, x, y, q)) <= 2e-3


@pytest.mark.slow
def test_bare_jitted_radial_kernel(rng):
    y = distribution("cube", 1500, 2)
    q = rng.random(1500)
    f = numba.njit(lambda r: 1.0 / (1.0 + r * r))
    fmm = EIFMM(f, tol=1e-6, leaf_size=30).setup(y)
    assert fmm.kernel_.dim == 2
    assert relative_error(fmm.evaluate(q), direct_sum(f, None, y, q)) <= 2e-6


@pytest.mark.slow
def test_displacement_kernel(rng):
    y = distribution("cube", 1500, 2)
    q = rng.random(1500)
    g = numba.njit(lambda a, b: np.exp(-(a * a) / 0.5 - b * b / 0.2))
    K = kernels.displacement(g, dim=2)
    fmm = EIFMM(K, tol=1e-6, leaf_size=30).setup(y)
    assert relative_error(fmm.evaluate(q), direct_sum(K, None, y, q)) <= 2e-6


def test_all_points_in_one_leaf_is_exact(rng):
    y = rng.random((50, 3))
    q = rng.random(50)
    fmm = EIFMM(kernels.laplace(), leaf_size=64).setup(y)
    assert fmm.tree_.depth == 0 and fmm.error_estimate_ == 0 and fmm.ranks_ == {}
    assert np.allclose(fmm.evaluate(q), direct_sum(kernels.laplace(), None, y, q), rtol=1e-13)


def test_chebyshev_baseline_needs_more_points_than_eim():
    y = distribution("cube", N, 3)
    q = np.random.default_rng(1).random(N)
    K = kernels.laplace()
    ref = direct_sum(K, None, y, q)
    ranks = {}
    for method in ("eim", "chebyshev"):
        fmm = EIFMM(K, tol=1e-3, leaf_size=30, interpolation=method).setup(y)
        assert relative_error(fmm.evaluate(q), ref) <= 2e-3
        ranks[method] = fmm.ranks_
    assert ranks["eim"].keys() == ranks["chebyshev"].keys()
    for lev in ranks["eim"]:
        assert ranks["eim"][lev] < ranks["chebyshev"][lev]


@pytest.mark.parametrize(
    "kwargs, call, err, match",
    [
        ({"tol": 0.0}, lambda f, y: f.setup(y), ValueError, "tol: expected a number in"),
        ({"tol": 1.5}, lambda f, y: f.setup(y), ValueError, "tol:"),
        ({"tol": "a"}, lambda f, y: f.setup(y), TypeError, "tol:"),
        ({"leaf_size": 0}, lambda f, y: f.setup(y), ValueError, "leaf_size:"),
        ({"interpolation": "svd"}, lambda f, y: f.setup(y), ValueError, "interpolation:"),
        ({}, lambda f, y: f.setup(np.full((10, 3), np.inf)), ValueError, "sources: contains"),
        ({}, lambda f, y: f.setup(y[:, :1]), ValueError, "sources:"),
        ({}, lambda f, y: f.setup(y, y[:, :2]), ValueError, "targets:"),
        ({}, lambda f, y: f.setup(np.ones((10, 3))), ValueError, "sources: all points"),
        ({}, lambda f, y: f.setup(np.vstack([y, y[:3]])), ValueError, "coincident"),
        ({}, lambda f, y: f.setup(y).evaluate(np.ones(7)), ValueError, "charges:"),
        ({}, lambda f, y: f.setup(y).evaluate(np.full(100, np.nan)), ValueError, "charges:"),
        ({}, lambda f, y: f.evaluate(np.ones(100)), RuntimeError, "not fitted"),
    ],
)
def test_bad_input(kwargs, call, err, match):
    y = np.random.default_rng(0).random((100, 3))
    with pytest.raises(err, match=match):
        call(EIFMM(kernels.laplace(), **{"leaf_size": 10, **kwargs}), y)


def test_bad_kernel():
    y = np.random.default_rng(0).random((100, 2))
    with pytest.raises(ValueError, match="kernel: a 3-D kernel"):
        EIFMM(kernels.laplace()).setup(y)
    with pytest.raises(TypeError, match="kernel:"):
        EIFMM(lambda r: r).setup(y)
    odd = numba.njit(lambda a, b: a + 0.0 * b)
    with pytest.raises(ValueError, match="even"):
        EIFMM(kernels.displacement(odd, dim=2)).setup(y)
