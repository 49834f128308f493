import numpy as np
import pytest

from rom.fmm.tree import build_tree, interaction_lists
from tests.fmm.conftest import distribution


def coverage(tree, lists, nt, ns):
    C = np.zeros((nt, ns), dtype=np.int64)
    for P in lists.values():
        for T, S in P:
            C[tree.tgt_start[T] : tree.tgt_end[T], tree.src_start[S] : tree.src_end[S]] += 1
    return C


@pytest.mark.parametrize("dim", [2, 3])
@pytest.mark.parametrize("dist", ["cube", "sphere", "blobs"])
def test_every_pair_is_counted_exactly_once(dim, dist):
    y = distribution(dist, 1200, dim)
    tree = build_tree(y, None, 16, 20)
    lists = interaction_lists(tree)
    assert np.array_equal(coverage(tree, lists, 1200, 1200), np.ones((1200, 1200), np.int64))
    if dist == "blobs":  # adaptivity: pairs of different levels
        assert len(lists["m2p"]) and len(lists["p2l"])


def test_separate_targets_and_far_pairs_are_well_separated():
    y = distribution("blobs", 800, 3, seed=1)
    x = distribution("cube", 500, 3, seed=2)
    tree = build_tree(y, x, 20, 20)
    lists = interaction_lists(tree)
    assert np.array_equal(coverage(tree, lists, 500, 800), np.ones((500, 800), np.int64))
    # every target of an M2P pair is outside the 1.5 h cube around the source box
    for T, S in lists["m2p"]:
        xt = x[tree.tgt_order[tree.tgt_start[T] : tree.tgt_end[T]]]
        assert np.all(np.abs(xt - tree.center[S]).max(axis=1) >= 1.5 * tree.side[S] - 1e-12)
    for T, S in lists["m2l"]:
        assert tree.level[T] == tree.level[S]
        assert np.abs(tree.coords[T] - tree.coords[S]).max() in (2, 3)


def test_morton_order_gives_contiguous_leaves():
    y = distribution("cube", 2000, 2)
    tree = build_tree(y, None, 25, 20)
    leaves = np.flatnonzero(tree.leaf)
    counts = tree.src_end[leaves] - tree.src_start[leaves]
    assert counts.sum() == 2000 and counts.max() <= 25
    ys = y[tree.src_order]
    for b in leaves:
        pts = ys[tree.src_start[b] : tree.src_end[b]]
        assert np.all(np.abs(pts - tree.center[b]) <= tree.side[b] / 2 + 1e-12)
