"""The M2L operators of an EIFMM: per level and box offset, the matrices of the
kernel between the interpolation points of two boxes, shared between levels for a
homogeneous kernel and compressed by a common SVD basis (Fong & Darve) where that
pays, and the M2L pairs in the layout of the compiled loops."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

# M2L compression: singular values of the stacked M2L matrices below SVD_TOL * tol
# times the largest one are dropped
SVD_TOL = 0.2
# ... when a level has at least COMPRESS_MIN * (number of offsets) * rank M2L pairs:
# the QR of the stacked matrices costs about 2 p r^3 flops (p offsets), one M2L pass
# 2 n_pairs r^2 of which compression saves about half, so it pays back within one
# evaluation from n_pairs ~ 2 p r; measured on two cores (N = 1e5, tol 1e-6), 4 p r
# gives the fastest fit + evaluate for the multiquadric (1.37 s against 2.19 s at
# 1 p r) and the Gaussian (2.36 s against 2.68 s) and leaves the evaluation as fast
COMPRESS_MIN = 4.0


def compress(A: np.ndarray, tol: float) -> np.ndarray | None:
    """A common basis ``U`` of the M2L matrices ``A[s]`` of one level, or None.

    ``U`` spans the dominant left singular vectors of ``[A_1 ... A_p  A_1^T ... A_p^T]``
    (the stored matrices serve the opposite offsets too: for an even kernel
    ``A_{-o} = A_o^T``), computed stably from the triangular factor of the stacked
    transposes, never from a Gram matrix. Singular values below ``SVD_TOL * tol``
    times the largest one are dropped: ``||A_o - U U^H A_o conj(U) U^T||_2 <=
    2 sigma_{k+1}`` (``U`` real for real matrices; for the complex symmetric Helmholtz
    kernel the columns and the rows of every ``A_o`` lie in the span of ``U``, the
    rows as they are, not conjugated). None when compression saves less than a
    quarter of the work.
    """
    import scipy.linalg

    from rom.linalg import r_factor

    r = A.shape[1]
    amax = float(np.abs(A).max()) if A.size else 0.0
    if amax == 0.0:
        return None
    # R of the tall stack [A_1^T; ...; A_1; ...]: its rows span the column space of
    # [A_1 ... A_p A_1^T ... A_p^T]; U from the SVD of R (the rows of V^H, orthonormal,
    # span the rows of R: U = (V^H)^T, not conjugated). The tall QR runs by row
    # blocks on every core (LAPACK geqrt on one BLAS thread each), one stack at a time
    p = A.shape[0]
    stacks = (np.ascontiguousarray(A.transpose(0, 2, 1)).reshape(p * r, r), A.reshape(p * r, r))
    R = r_factor(np.concatenate([r_factor(S) for S in stacks]))
    _, sv, Vt = scipy.linalg.svd(R, full_matrices=False, check_finite=False)
    rank = max(int(np.count_nonzero(sv > SVD_TOL * tol * sv[0])), 1)
    if rank * rank > 0.75 * r * r:
        return None
    return np.ascontiguousarray(Vt[:rank].T)


def threads() -> int:
    import numba

    return int(numba.get_num_threads())


def sorted_pairs(
    tgt: np.ndarray, src: np.ndarray, slot: np.ndarray, nbl: int, parts: int
) -> tuple:
    """The M2L pairs of one level in the layout of :func:`rom.fmm._numba.m2l_apply`.

    ``tgt, src``: target and source boxes (numbered within the level) of each pair,
    ``slot`` the matrix of its offset. Returns ``src, tgt`` sorted by slot then target,
    ``seg`` (slots x parts + 1) splitting each slot's pairs between ``parts`` ranges of
    target boxes that carry about equal numbers of pairs, and the slots present.
    """
    from rom.fmm._numba import sort_pairs

    n_slots = int(slot.max()) + 1
    tgt, src, slot = sort_pairs(tgt, src, slot, nbl, n_slots)
    key = slot * (nbl + 1) + tgt
    uslot = np.flatnonzero(np.bincount(slot, minlength=n_slots))
    load = np.cumsum(np.bincount(tgt, minlength=nbl))
    bounds = np.searchsorted(load, load[-1] * np.arange(1, parts) / parts, side="right")
    bounds = np.concatenate([[0], bounds, [nbl]])
    seg = np.searchsorted(key, uslot[:, None] * (nbl + 1) + bounds[None, :])
    return (
        np.ascontiguousarray(src, dtype=np.int64),
        np.ascontiguousarray(tgt, dtype=np.int64),
        seg.astype(np.int64),
        uslot.astype(np.int64),
    )


def m2l_tables(
    tree: Any, P: np.ndarray, ops: dict, K: Any, dim: int, level_tol: float, compress_min: float
) -> tuple[dict, dict]:
    """The M2L data of every level with M2L pairs ``P`` (target box, source box):
    ``{level: (U, src, tgt, seg, store, trans, A, scale)}`` and the compressed size
    of each level (``m2l_ranks_``). A level's table is compressed when it has at
    least ``compress_min`` times (number of offsets) times (rank) pairs."""
    # M2L: per level, per offset; a homogeneous kernel shares the matrices of the
    # first level between levels (K(a d) = a^p K(d)), scaled in evaluate. A table
    # holds the matrices A_o of its offsets in one array, offset o at its slot
    m2l: dict[int, tuple] = {}
    tables: dict[Any, dict] = {}
    level_pairs: list[tuple] = []
    weights = 7 ** np.arange(dim)
    ncodes = 7**dim
    lev_of = tree.level[P[:, 0]] if P.size else np.zeros(0, np.int64)
    if np.any(np.diff(lev_of) < 0):  # the traversal lists them level by level
        order = np.argsort(lev_of, kind="stable")
        P, lev_of = P[order], lev_of[order]
    cut = np.concatenate([[0], np.flatnonzero(np.diff(lev_of)) + 1, [lev_of.size]])
    # offsets in box sides, coded in base 7 (each coordinate in -3..3):
    # code(t - s) = w.c_t - w.c_s + 3 sum(w)
    box_code = tree.coords @ weights
    shared_level = None
    for a, b in itertools.pairwise(cut):
        if a == b:
            continue
        lev = int(lev_of[a])
        Pl = P[a:b]
        code = box_code[Pl[:, 0]] - box_code[Pl[:, 1]] + 3 * int(weights.sum())
        ucode = np.flatnonzero(np.bincount(code, minlength=ncodes))
        op = ops[lev]
        h = float(tree.side[Pl[0, 0]])
        r = op.rank
        share = K.homogeneity is not None and (shared_level is None or ops[shared_level].rank == r)
        if share and shared_level is not None:
            scale = (h / float(tree.root_side / 2.0**shared_level)) ** K.homogeneity
        else:
            scale = 1.0
        if share and shared_level is None:
            shared_level = lev
        tid = "shared" if share else lev
        tab = tables.setdefault(
            tid,
            {
                "blocks": [],
                "slot": {},
                "store": [],
                "trans": [],
                "stored": 0,
                "rank": r,
                "pairs": 0,
            },
        )
        todo = [int(c) for c in ucode if int(c) not in tab["slot"]]
        # the kernel is even: A_{-o} = A_o^T, so an offset whose opposite is (or
        # will be) stored is served by that matrix, transposed (codes: -o = 7^d - 1 - o)
        pending = set(todo)
        new = [
            c
            for c in todo
            if ncodes - 1 - c not in tab["slot"]
            and not (ncodes - 1 - c in pending and ncodes - 1 - c < c)
        ]
        if new:
            uoff = (np.asarray(new)[:, None] // weights) % 7 - 3
            shifts = np.zeros((len(new), 3))
            h0 = h / scale ** (1.0 / K.homogeneity) if scale != 1.0 else h
            shifts[:, :dim] = uoff * h0
            Y0 = op.Y3 if h0 == h else op.Y3 * (h0 / h)
            # A[l, m] = K(y_l + o h - y_m), every new offset in one call
            A = K.matrix((shifts[:, None, :] + Y0[None]).reshape(-1, 3), Y0)
            tab["blocks"].append(A.reshape(len(new), r, r))
            for c in new:
                tab["slot"][c] = len(tab["store"])
                tab["store"].append(tab["stored"])
                tab["trans"].append(False)
                tab["stored"] += 1
        for c in todo:
            if c not in tab["slot"]:  # the opposite's matrix, transposed
                o = tab["slot"][ncodes - 1 - c]
                tab["slot"][c] = len(tab["store"])
                tab["store"].append(tab["store"][o])
                tab["trans"].append(not tab["trans"][o])
        tab["pairs"] += Pl.shape[0]
        base = tree.level_start[lev]
        level_pairs.append((lev, Pl[:, 0] - base, Pl[:, 1] - base, code, scale, tid))
    # SVD compression (Fong & Darve): one basis U per table of M2L matrices,
    # A_o ~ U C_o U^T with C_o = U^H A_o conj(U) (k x k; U^T A_o U for real U);
    # the pairs then work on compressed multipoles M U and compressed locals
    dtype = np.result_type(K.dtype, np.float64)
    for tab in tables.values():
        blocks = tab.pop("blocks")
        A = blocks[0] if len(blocks) == 1 else np.concatenate(blocks)
        lut = np.full(ncodes, -1, np.int64)
        lut[list(tab["slot"])] = list(tab["slot"].values())
        # the QR costs about 2 p r^3, one M2L pass 2 n_pairs r^2: compress when the
        # saving of one evaluation pays for it (see COMPRESS_MIN)
        U = None
        if tab["pairs"] >= compress_min * len(tab["store"]) * tab["rank"]:
            U = compress(A, level_tol)
            if U is not None:  # C_o = U^H A_o conj(U) (and C_{-o} = C_o^T)
                A = np.matmul(U.conj().T, np.matmul(A, U.conj()))
        tab["A"], tab["U"], tab["lut"] = A.astype(dtype, copy=False), U, lut
        tab["store"] = np.asarray(tab["store"], dtype=np.int64)
        tab["trans"] = np.asarray(tab["trans"], dtype=np.bool_)
    parts = threads()
    m2l_ranks: dict[int, int] = {}
    for lev, tgt, src, code, scale, tid in level_pairs:
        tab = tables[tid]
        U, A = tab["U"], tab["A"]
        m2l_ranks[lev] = A.shape[1]
        nbl = int(tree.level_start[lev + 1] - tree.level_start[lev])
        src, tgt, seg, uslot = sorted_pairs(tgt, src, tab["lut"][code], nbl, parts)
        # per slot present: the stored matrix and whether it is used transposed
        store, trans = tab["store"][uslot], tab["trans"][uslot]
        m2l[lev] = (U, src, tgt, seg, store, trans, A, scale)
    return m2l, m2l_ranks
