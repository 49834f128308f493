"""The levels of an EIFMM: which carry far-field operators, their ranks, and the leaf
size that a cost model chooses from the tolerance (``leaf_size="auto"``).

:func:`build_operators` trains the empirical interpolation of every level that needs
one; :func:`auto_leaf_size` estimates the rank a tolerance needs from one pilot
training and picks the tree depth that minimises the modelled work of a fit and one
evaluation (derivation and calibration in ``docs/theory/fmm.rst``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from rom._progress import progress_bar
from rom.fmm import _farfield

# the far field is interpolated on both sides: the error of a far interaction is about
# twice the one-sided interpolation error; ranks are chosen for a one-sided error of
# tol / (SAFETY sqrt(L)) with L the number of levels with far-field operators: every
# level adds the errors of its own interpolants to the potentials (as independent
# terms, hence the square root). With tol / SAFETY alone, the potentials of 20000
# points on a circle (a tree 9 levels deep) came out 9 times less accurate than asked
# for a Gaussian at tol 1e-9 (1.5 tol with tol / sqrt(8), 8 levels).
SAFETY = 1.0
# far-field operators of a level are accurate relative to max(|K| on that level's far
# field, FLOOR * |K| at the finest near-field distances): fast-decaying kernels get no
# far field where it is negligible.
FLOOR = 1e-3
# cost model of leaf_size="auto", in multiply-adds of the M2L products: one kernel
# evaluation of the near field (a loop with a square root and a division) costs
# KERNEL_COST of them, one multiply-add of the compression's QR (LAPACK on one BLAS
# thread in the fit) QR_COST. Measured on two quiet cores (Laplace, uniform cube, tol
# 1e-6): 2.4 ns per near-field evaluation, 0.033 ns per M2L multiply-add (n = 2e4 and
# 1e5), 0.24 ns per multiply-add of the compression (1.4 s for 316 offsets of rank 266)
KERNEL_COST = 75.0
QR_COST = 7.0
# a floor under the ranks a tolerance needs, RANK_FLOOR * digits^(d - 1) with digits =
# -log10(tol), below the EIM ranks of the Laplace kernels (3-D: 86, 256, 521 at tol
# 1e-3, 1e-6, 1e-10 against a floor of 36, 144, 400; 2-D log r: 16, 30, 48 against 12,
# 24, 40): where even this rank gives no depth cheaper than the direct sum, the pilot
# training is skipped
RANK_FLOOR = 4.0
# compressed M2L (Fong & Darve): the measured compressed size is about half the rank
COMPRESSED = 0.5


def far_levels(tree: Any, lists: dict) -> list[int]:
    """Levels that need far-field operators: from 2 down to the deepest box under a
    box with far interactions (its multipole is gathered from the leaves below it
    by M2M, its local expansion spread to them by L2L), which with separate
    targets can lie below the deepest far interaction."""
    boxes = [lists["m2l"].ravel(), lists["m2p"][:, 1], lists["p2l"][:, 0]]
    b = np.concatenate(boxes)
    if b.size == 0:
        return []
    below = np.zeros(tree.n_boxes, dtype=bool)
    below[b] = True
    for lev in range(1, tree.depth + 1):
        a, e = tree.level_start[lev], tree.level_start[lev + 1]
        below[a:e] |= below[tree.parent[a:e]]
    return list(range(2, int(tree.level[below].max()) + 1))


def kernel_reference(K: Any, tree: Any, dim: int) -> float:
    """Largest |K| over distances from a quarter of the finest box to the root diagonal."""
    hmin = float(tree.side.min())
    r = np.geomspace(hmin / 4, tree.root_side * np.sqrt(dim), 200)
    if not K.singular:
        r = np.concatenate([[0.0], r])
    rng = np.random.default_rng(0)
    u = rng.standard_normal((8, dim))
    u /= np.linalg.norm(u, axis=1)[:, None]
    D = (r[:, None, None] * u[None]).reshape(-1, dim)
    return float(np.abs(K(D)).max())


def build_operators(fmm: Any, tol: float, progress: bool | None = None) -> None:
    """Train the far-field operators of every level of a fitted tree; sets ``ops_``,
    ``ranks_``, ``level_errors_``, ``level_tol_`` and ``error_estimate_``."""
    K, tree = fmm.kernel_, fmm.tree_
    method = fmm.interpolation
    levels = far_levels(tree, fmm.lists_)
    kref = kernel_reference(K, tree, fmm.dim_) if levels else 0.0
    # the one-sided tolerance of each level (see SAFETY)
    fmm.level_tol_ = tol / (SAFETY * np.sqrt(max(len(levels), 1)))
    level_tier = _farfield.tier(fmm.level_tol_)
    ops: dict[int, _farfield.LevelOperator] = {}
    ranks: dict[int, int] = {}
    errors: dict[int, float] = {}
    seen_far = False
    bar = progress_bar(progress, len(levels), "EIFMM far-field operators", "level")
    with bar:
        for lev in levels:  # coarse to fine
            h = tree.root_side / 2.0**lev
            reach = tree.root_side / h
            own = _farfield.own_max(K, h, level_tier, reach)
            # a level below one with a far field feeds it through M2M: it keeps a far
            # field of its own (no floor), so that no multipole is lost on the way up
            ref = own if seen_far else max(own, FLOOR * kref)
            target = fmm.level_tol_ * ref
            tr = _farfield.train(K, method, h, level_tier, fmm.max_order, reach, target)
            ratio = h / tr.h
            scale = 1.0 if K.homogeneity is None else ratio**K.homogeneity
            errs = tr.errors * scale
            ok = np.flatnonzero(errs <= target)
            if ok.size:
                idx = int(ok[0])
            else:
                idx = errs.size - 1
                warnings.warn(
                    f"EIFMM: level {lev} reaches a relative interpolation error of "
                    f"{errs[-1] / ref:.1e} only (tol={tol:g}): the training set is "
                    "exhausted; the result will be less accurate than asked",
                    RuntimeWarning,
                    stacklevel=3,
                )
            rank = idx if method == "eim" else int(tr.cheb_orders[idx])
            seen_far = seen_far or rank > 0
            if rank == 0:
                ranks[lev] = 0
                errors[lev] = float(own / ref) if ref else 0.0
            else:
                op = _farfield.LevelOperator(K, tr, rank, h, fmm.dim_)
                err = max(float(errs[idx]), _farfield.validate(K, op, reach))
                ops[lev] = op
                ranks[lev] = op.rank
                errors[lev] = err / ref
            bar.update(1)
    fmm.ops_, fmm.ranks_, fmm.level_errors_ = ops, ranks, errors
    # the levels' errors add up as independent terms (see SAFETY)
    n_levels = max(len(errors), 1)
    worst = max(errors.values(), default=0.0)
    fmm.error_estimate_ = float(np.sqrt(n_levels) * worst)


# ---------------------------------------------------------------------------
# leaf_size="auto"
def m2l_pairs(level: int, dim: int) -> int:
    """M2L pairs of a full uniform tree at ``level``: ordered pairs of boxes whose
    parents are neighbours (or the same box) and which are not neighbours themselves;
    both conditions hold coordinate by coordinate, so the counts are powers."""
    n = 2**level
    m = n // 2
    parents = 4 * (3 * m - 2) if m else 0
    return parents**dim - (3 * n - 2) ** dim


def model_cost(
    n: int,
    dim: int,
    depth: int,
    rank: int,
    same: bool,
    homogeneous: bool,
    train_size: int,
    compress_min: float,
) -> float:
    """Modelled work of a fit and one evaluation, in M2L multiply-adds, for ``n``
    points spread uniformly over a tree ``depth`` levels deep with ``rank``
    interpolation points per box (see the theory page): the near field, the M2L
    products (compressed where the fit would compress them) and their setup, P2M and
    L2P, M2M and L2L, and the trainings of the levels."""
    half = 0.5 if same else 1.0  # points that are their own targets: mutual pairs
    if depth < 2:  # no far field: every pair is direct
        return half * n * n * KERNEL_COST
    s = n / 2.0 ** (dim * depth)
    near = half * (3 * 2**depth - 2) ** dim * s * s * KERNEL_COST
    offsets = 7**dim - 3**dim
    levels = range(2, depth + 1)
    tables = [list(levels)] if homogeneous else [[lev] for lev in levels]
    far = 0.0
    for tab in tables:
        pairs = sum(m2l_pairs(lev, dim) for lev in tab)
        far += offsets / 2 * rank * rank * KERNEL_COST  # the M2L matrices (A_-o = A_o^T)
        if pairs >= compress_min * offsets * rank:  # compressed: QR, SVD, then k x k
            far += QR_COST * offsets * rank**3 + pairs * (COMPRESSED * rank) ** 2
        else:
            far += pairs * rank * rank
    boxes = sum(2 ** (dim * lev) for lev in levels)
    expansions = 2 * n * rank * KERNEL_COST + 2 * boxes * rank * rank  # P2M, L2P; M2M, L2L
    trainings = len(tables) * train_size * (KERNEL_COST + 2 * rank)
    return near + far + expansions + trainings


def auto_leaf_size(
    fmm: Any,
    K: Any,
    sources: np.ndarray,
    targets: np.ndarray,
    tol: float,
    max_depth: int,
    compress_min: float,
) -> tuple[int, dict]:
    """The leaf size of ``leaf_size="auto"`` and the record of the choice.

    The rank that ``tol`` needs is read from a pilot training (the one the fit of a
    homogeneous kernel uses anyway: the far-field store keeps it) of a level-2 box of
    the root box; for every depth the modelled cost of :func:`model_cost` is computed
    with the rank of that depth's level tolerance ``tol / (SAFETY sqrt(depth - 1))``,
    and the cheapest depth ``D`` gives a leaf size of ``sqrt(2^d) n / 2^(d D)`` (the
    geometric middle between the ``n / 2^(d D)`` points of a box at depth ``D`` and
    the ``2^d`` times more of its parent), or ``n`` (one box, every pair direct) for
    ``D < 2``. The pilot is skipped (every pair direct) when no depth beats the direct
    sum even with the rank floor ``RANK_FLOOR * (-log10 tol)^(d - 1)``.
    """
    same = targets is sources
    dim, n = sources.shape[1], max(sources.shape[0], targets.shape[0])
    method = fmm.interpolation
    homogeneous = K.homogeneity is not None
    pts = sources if same else np.concatenate([sources, targets])
    extent = float(np.ptp(pts, axis=0).max()) or 1.0
    side = 2.0 ** np.ceil(np.log2(extent * (1 + 1e-9)))  # the root box of build_tree
    h = side / 4
    deepest = max(0, min(max_depth, math.ceil(math.log(max(n, 1), 2**dim))))
    depths = list(range(0, deepest + 1))
    # the finest tier any candidate depth asks for: its training serves the others
    level_tier = _farfield.tier(tol / (SAFETY * math.sqrt(max(deepest - 1, 1))))
    Y, X = _farfield.training_set(dim, level_tier, 4.0, _farfield.dense_shells(K))
    train_size = Y.shape[0] * X.shape[0]
    record: dict = {"depth": 0, "ranks": {}, "costs": {}}
    direct = model_cost(n, dim, 0, 0, same, homogeneous, 0, compress_min)
    # before the pilot: can any depth beat the direct sum with the rank floor?
    digits = -math.log10(tol)
    floor = max(1, int(RANK_FLOOR * digits ** (dim - 1)))
    cheapest = min(
        (
            model_cost(n, dim, depth, floor, same, homogeneous, train_size, compress_min)
            for depth in depths[2:]
        ),
        default=math.inf,
    )
    if cheapest >= direct:
        return max(n, 1), record
    own = _farfield.own_max(K, h, level_tier, 4.0)
    finest = tol / (SAFETY * math.sqrt(deepest - 1)) * own
    tr = _farfield.train(K, method, h, level_tier, fmm.max_order, 4.0, finest)
    scale = 1.0 if not homogeneous else (h / tr.h) ** K.homogeneity
    errs = tr.errors * scale
    best, best_cost = 0, direct
    record["costs"][0] = direct
    for depth in depths[2:]:
        target = tol / (SAFETY * math.sqrt(depth - 1)) * own
        ok = np.flatnonzero(errs <= target)
        idx = int(ok[0]) if ok.size else errs.size - 1
        rank = idx if method == "eim" else int(tr.cheb_orders[idx]) ** dim
        cost = model_cost(n, dim, depth, rank, same, homogeneous, train_size, compress_min)
        record["ranks"][depth], record["costs"][depth] = rank, cost
        if cost < best_cost:
            best, best_cost = depth, cost
    record["depth"] = best
    if best < 2:
        return max(n, 1), record
    return max(1, math.ceil(math.sqrt(2**dim) * n / 2 ** (dim * best))), record
