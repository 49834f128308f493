"""The levels of an EIFMM and the leaf size chosen by the cost model ("auto")."""

import numpy as np
import pytest

import rom
from rom.fmm import EIFMM, direct_sum, kernels
from rom.fmm._levels import auto_leaf_size, m2l_pairs
from rom.fmm.eifmm import COMPRESS_MIN
from rom.fmm.tree import build_tree, interaction_lists
from rom.io.persist import read_arrays, write_arrays
from tests.fmm.conftest import distribution, relative_error


@pytest.mark.parametrize("dim, depth", [(2, 4), (3, 3)])
def test_the_model_counts_the_pairs_of_a_full_uniform_tree(dim, depth):
    """One point at the centre of every box of a full tree: the M2L pairs of each
    level and the near-field pairs of the leaves are those of the lists."""
    n = 2**depth
    g = (np.arange(n) + 0.5) / n
    y = np.stack(np.meshgrid(*[g] * dim, indexing="ij"), axis=-1).reshape(-1, dim)
    tree = build_tree(y, None, 1, 16)
    assert tree.depth == depth
    lists = interaction_lists(tree)
    lev = tree.level[lists["m2l"][:, 0]]
    for level in range(2, depth + 1):
        assert np.count_nonzero(lev == level) == m2l_pairs(level, dim)
    assert lists["p2p"].shape[0] == (3 * n - 2) ** dim


def _choice(tol, n=20000, dim=3):
    K = kernels.laplace(dim)
    y = distribution("cube", n, dim)
    return auto_leaf_size(EIFMM(K), K, y, y, tol, 16, COMPRESS_MIN)


def test_the_auto_leaf_grows_as_the_tolerance_tightens():
    leaves, ranks = [], []
    for tol in (1e-3, 1e-6):
        leaf, record = _choice(tol)
        leaves.append(leaf)
        ranks.append(record["ranks"][2])
    # the ranks that the pilot finds grow, and the leaves with them (a shallower tree)
    assert ranks[0] < ranks[1]
    assert leaves[0] < leaves[1]


def test_auto_meets_the_tolerance_and_builds_the_chosen_depth(rng):
    K = kernels.laplace()
    n = 20000
    y = distribution("cube", n, 3)
    q = rng.standard_normal(n)
    idx = rng.choice(n, 300, replace=False)
    ref = direct_sum(K, y[idx].copy(), y, q) - K.value_at_zero * q[idx]
    for tol in (1e-3, 1e-6):
        fmm = EIFMM(K, tol=tol, leaf_size="auto").fit(y)
        leaf, record = _choice(tol)
        assert fmm.leaf_size_ == leaf
        assert fmm.tree_.depth == record["depth"]  # uniform points: the modelled depth
        assert max(fmm.ranks_.values()) > 0  # the far field is used
        assert relative_error(fmm.evaluate(q)[idx], ref) <= tol


@pytest.mark.parametrize("name, dist, tol", [("log", "sphere", 1e-9), ("gaussian", "blobs", 1e-6)])
def test_auto_meets_the_tolerance_on_uneven_points_in_2d(name, dist, tol, rng):
    """Points on a circle and in blobs: the tree adapts to the chosen leaf size."""
    K = {"log": kernels.log(), "gaussian": kernels.gaussian(0.2, dim=2)}[name]
    n = 20000
    y = distribution(dist, n, 2)
    Q = rng.standard_normal((n, 2))
    idx = rng.choice(n, 300, replace=False)
    ref = direct_sum(K, y[idx].copy(), y, Q) - K.value_at_zero * Q[idx]
    fmm = EIFMM(K, tol=tol, leaf_size="auto").fit(y)
    assert max(fmm.ranks_.values()) > 0 and fmm.tree_.depth >= 3
    phi = fmm.evaluate(Q)
    for c in range(2):
        assert relative_error(phi[idx, c], ref[:, c]) <= 2 * tol


def test_auto_sums_small_problems_directly(rng):
    """For 1000 points in 3-D no depth beats the direct sum, even with the rank floor:
    no pilot training, every pair direct."""
    K = kernels.laplace()
    y, q = distribution("cube", 1000, 3), rng.standard_normal(1000)
    fmm = EIFMM(K, tol=1e-6, leaf_size="auto").fit(y)
    assert fmm.leaf_size_ == 1000 and fmm.tree_.depth == 0 and fmm.error_estimate_ == 0
    ref = direct_sum(K, y, y, q) - K.value_at_zero * q
    assert relative_error(fmm.evaluate(q), ref) <= 1e-13


def test_a_fixed_leaf_size_is_recorded():
    fmm = EIFMM(kernels.log(), tol=1e-3, leaf_size=25).fit(distribution("cube", 800, 2))
    tree = fmm.tree_
    count = tree.src_end - tree.src_start
    assert fmm.leaf_size_ == 25
    assert count[tree.leaf].max() <= 25 and count[~tree.leaf].min() > 25


@pytest.mark.parametrize("value, error", [("big", ValueError), (2.5, TypeError), (0, ValueError)])
def test_a_bad_leaf_size_is_refused(value, error):
    with pytest.raises(error, match="leaf_size"):
        EIFMM(kernels.laplace(), leaf_size=value).fit(distribution("cube", 100, 3))


def test_the_auto_leaf_size_is_saved_and_checked_on_load(tmp_path, rng):
    y, q = distribution("cube", 6000, 2), rng.standard_normal(6000)
    fmm = EIFMM(kernels.log(), tol=1e-6, leaf_size="auto").fit(y)
    assert 1 < fmm.leaf_size_ < 6000 and fmm.tree_.depth >= 2
    path = tmp_path / "fmm.npz"
    fmm.save(path)
    loaded = rom.load(path)
    assert loaded.leaf_size == "auto" and loaded.leaf_size_ == fmm.leaf_size_
    assert np.array_equal(loaded.evaluate(q), fmm.evaluate(q))
    header, arrays = read_arrays(path)
    for bad, match in (
        (fmm.leaf_size_ * 8, "the tree was not built with leaves of"),
        (0, "expected a positive integer"),
        ("64", "expected a positive integer"),
    ):
        header["settings"]["eifmm"]["leaf_size_"] = bad
        write_arrays(tmp_path / "bad.npz", arrays, header)
        with pytest.raises(ValueError, match=f"leaf_size_: {match}"):
            rom.load(tmp_path / "bad.npz")
    # a fixed leaf size must be the fitted one
    fixed = EIFMM(kernels.log(), tol=1e-3, leaf_size=40).fit(y[:2000])
    fixed.save(path)
    header, arrays = read_arrays(path)
    header["settings"]["eifmm"]["leaf_size_"] = 41
    write_arrays(tmp_path / "bad.npz", arrays, header)
    with pytest.raises(ValueError, match="leaf_size_: 41 differs from the parameter"):
        rom.load(tmp_path / "bad.npz")
