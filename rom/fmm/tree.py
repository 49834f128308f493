"""Adaptive 2^d-trees on Morton-ordered points and their interaction lists."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Tree", "build_tree", "interaction_lists"]

_BITS = {2: 31, 3: 21}


@dataclass
class Tree:
    """A 2^d-tree of boxes, stored level by level (boxes of a level are contiguous).

    Sources and targets are sorted once by their Morton key; every box owns the
    contiguous ranges ``src_start[b]:src_end[b]`` and ``tgt_start[b]:tgt_end[b]`` of
    the sorted arrays.
    """

    dim: int
    root_center: np.ndarray
    root_side: float
    level: np.ndarray
    coords: np.ndarray  # integer box coordinates at the box's level
    center: np.ndarray
    side: np.ndarray
    parent: np.ndarray
    children: np.ndarray  # (n_boxes, 2^d), -1 where absent
    leaf: np.ndarray
    src_start: np.ndarray
    src_end: np.ndarray
    tgt_start: np.ndarray
    tgt_end: np.ndarray
    level_start: np.ndarray  # boxes of level l: level_start[l]:level_start[l + 1]
    src_order: np.ndarray
    tgt_order: np.ndarray
    extra: dict = field(default_factory=dict)

    @property
    def n_boxes(self) -> int:
        return int(self.level.size)

    @property
    def depth(self) -> int:
        return int(self.level_start.size - 2)


def build_tree(
    sources: np.ndarray, targets: np.ndarray | None, leaf_size: int, max_depth: int
) -> Tree:
    """Morton-sort the points and split every box with more than ``leaf_size`` points.

    ``targets=None`` means targets are the sources. The root is the bounding cube with
    its side rounded up to a power of two (so that box sizes repeat between point
    sets and cached far-field operators can be reused). Empty boxes are not created.
    """
    from rom.fmm import _numba

    dim = sources.shape[1]
    allpts = sources if targets is None else np.concatenate([sources, targets])
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    extent = float((hi - lo).max())
    center = 0.5 * (lo + hi)
    if extent == 0.0:
        extent = 1.0
    side = 2.0 ** np.ceil(np.log2(extent * (1 + 1e-9)))
    corner = center - side / 2
    nbits = min(_BITS[dim], max_depth)
    skeys = _numba.morton_keys(np.ascontiguousarray(sources), corner, side, dim, nbits)
    sorder = np.argsort(skeys, kind="stable")
    skeys = skeys[sorder]
    if targets is None:
        torder, tkeys = sorder, skeys
    else:
        tk = _numba.morton_keys(np.ascontiguousarray(targets), corner, side, dim, nbits)
        torder = np.argsort(tk, kind="stable")
        tkeys = tk[torder]
    nchild = 2**dim
    # per level: key ranges [kstart, kstart + span)
    levels = [
        dict(
            kstart=np.zeros(1, np.int64),
            coords=np.zeros((1, dim), np.int64),
            parent=np.full(1, -1, np.int64),
            slot=np.zeros(1, np.int64),
        )
    ]
    for lev in levels:
        lev["ss"] = np.searchsorted(skeys, lev["kstart"], side="left")
    out_levels = []
    lvl = 0
    while True:
        cur = levels[lvl]
        span = np.int64(1) << np.int64(dim * (nbits - lvl))
        ks = cur["kstart"]
        s0 = np.searchsorted(skeys, ks, "left")
        s1 = np.searchsorted(skeys, ks + span, "left")
        t0 = np.searchsorted(tkeys, ks, "left")
        t1 = np.searchsorted(tkeys, ks + span, "left")
        count = np.maximum(s1 - s0, t1 - t0) if targets is not None else s1 - s0
        split = (count > leaf_size) & (lvl < nbits)
        cur.update(s0=s0, s1=s1, t0=t0, t1=t1, split=split)
        out_levels.append(cur)
        if not split.any():
            break
        par = np.flatnonzero(split)
        cspan = span >> np.int64(dim)
        o = np.arange(nchild, dtype=np.int64)
        ck = (ks[par][:, None] + o[None, :] * cspan).ravel()
        bits = ((o[:, None] >> np.arange(dim - 1, -1, -1)[None, :]) & 1).astype(np.int64)
        cc = (2 * cur["coords"][par][:, None, :] + bits[None, :, :]).reshape(-1, dim)
        cpar = np.repeat(par, nchild)
        cslot = np.tile(o, par.size)
        a0 = np.searchsorted(skeys, ck, "left")
        a1 = np.searchsorted(skeys, ck + cspan, "left")
        b0 = np.searchsorted(tkeys, ck, "left")
        b1 = np.searchsorted(tkeys, ck + cspan, "left")
        keep = (a1 > a0) | (b1 > b0)
        levels.append(dict(kstart=ck[keep], coords=cc[keep], parent=cpar[keep], slot=cslot[keep]))
        lvl += 1
    # assemble, converting per-level parent indices to global ones
    sizes = np.array([lv["kstart"].size for lv in out_levels])
    level_start = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    nb = int(level_start[-1])
    children = np.full((nb, nchild), -1, np.int64)
    parent = np.full(nb, -1, np.int64)
    for lv_i, lv in enumerate(out_levels):
        if lv_i == 0:
            continue
        gid = level_start[lv_i] + np.arange(lv["kstart"].size)
        gpar = level_start[lv_i - 1] + lv["parent"]
        parent[gid] = gpar
        children[gpar, lv["slot"]] = gid
    level = np.repeat(np.arange(len(out_levels)), sizes)
    coords = np.concatenate([lv["coords"] for lv in out_levels])
    bside = side / 2.0**level
    centers = corner[None, :] + (coords + 0.5) * bside[:, None]
    cat = lambda k: np.concatenate([lv[k] for lv in out_levels]).astype(np.int64)  # noqa: E731
    leaf = ~np.concatenate([lv["split"] for lv in out_levels])
    return Tree(
        dim=dim,
        root_center=center,
        root_side=float(side),
        level=level.astype(np.int64),
        coords=coords,
        center=centers,
        side=bside,
        parent=parent,
        children=children,
        leaf=leaf,
        src_start=cat("s0"),
        src_end=cat("s1"),
        tgt_start=cat("t0"),
        tgt_end=cat("t1"),
        level_start=level_start,
        src_order=sorder,
        tgt_order=torder,
    )


def _pairs_children(tree: Tree, T: np.ndarray, S: np.ndarray, expand_t: bool, expand_s: bool):
    """Child pairs of (T, S): children of T and/or of S, absent children dropped."""
    nc = tree.children.shape[1]
    if expand_t:
        T2 = tree.children[T]  # (n, nc)
    else:
        T2 = T[:, None]
    if expand_s:
        S2 = tree.children[S]
    else:
        S2 = S[:, None]
    A = np.repeat(T2, S2.shape[1], axis=1).ravel() if expand_t or expand_s else T2.ravel()
    B = np.tile(S2, (1, T2.shape[1])).ravel()
    del nc
    ok = (A >= 0) & (B >= 0)
    A, B = A[ok], B[ok]
    has = (tree.tgt_end[A] > tree.tgt_start[A]) & (tree.src_end[B] > tree.src_start[B])
    return A[has], B[has]


def interaction_lists(tree: Tree, margin: float = 1.5) -> dict[str, np.ndarray]:
    """Dual-tree traversal: P2P, M2L, M2P and P2L pairs ``(target box, source box)``.

    Two boxes of one level interact through their far fields when they are not
    adjacent (the training geometry of the far-field operators: the target lies
    outside the ``margin * side`` cube around the source box). Across levels, a leaf
    target box takes a smaller source box's multipole directly (M2P) when every
    target is outside that margin around the source box, and a smaller target box
    takes a leaf source box's charges into its local expansion (P2L) when every source
    is outside the margin around the target box; otherwise the larger box is a leaf
    and the pair goes down the other box, down to leaf pairs (P2P).
    """
    from rom.fmm._numba import split_child_pairs

    c, h, leaf = tree.center, tree.side, tree.leaf
    tol = 1e-9 * tree.root_side
    split_args = (
        np.ascontiguousarray(tree.children, dtype=np.int64),
        np.ascontiguousarray(tree.coords, dtype=np.int64),
        tree.tgt_end > tree.tgt_start,
        tree.src_end > tree.src_start,
    )
    lists = {k: [] for k in ("p2p", "m2l", "m2p", "p2l")}

    def add(name, A, B):
        if A.size:
            lists[name].append(np.stack([A, B], axis=1))

    near = (np.zeros(1, np.int64), np.zeros(1, np.int64))
    tl = (np.zeros(0, np.int64), np.zeros(0, np.int64))  # T leaf (coarser), S at this level
    sl = (np.zeros(0, np.int64), np.zeros(0, np.int64))  # S leaf (coarser), T at this level
    while near[0].size or tl[0].size or sl[0].size:
        nn_t, nn_s = [], []
        ntl_t, ntl_s, nsl_t, nsl_s = [], [], [], []
        # same-level near pairs
        T, S = near
        lt, ls = leaf[T], leaf[S]
        both = lt & ls
        add("p2p", T[both], S[both])
        m = lt & ~ls
        A, B = _pairs_children(tree, T[m], S[m], False, True)
        ntl_t.append(A)
        ntl_s.append(B)
        m = ~lt & ls
        A, B = _pairs_children(tree, T[m], S[m], True, False)
        nsl_t.append(A)
        nsl_s.append(B)
        m = ~lt & ~ls
        near, far = split_child_pairs(
            np.ascontiguousarray(T[m]), np.ascontiguousarray(S[m]), *split_args
        )
        nn_t.append(near[0])
        nn_s.append(near[1])
        add("m2l", far[0], far[1])
        # T leaf, S finer
        T, S = tl
        if T.size:
            sep = np.abs(c[T] - c[S]).max(axis=1) - h[T] / 2 >= margin * h[S] - tol
            add("m2p", T[sep], S[sep])
            rest = ~sep
            fin = rest & leaf[S]
            add("p2p", T[fin], S[fin])
            go = rest & ~leaf[S]
            A, B = _pairs_children(tree, T[go], S[go], False, True)
            ntl_t.append(A)
            ntl_s.append(B)
        # S leaf, T finer
        T, S = sl
        if T.size:
            sep = np.abs(c[T] - c[S]).max(axis=1) - h[S] / 2 >= margin * h[T] - tol
            add("p2l", T[sep], S[sep])
            rest = ~sep
            fin = rest & leaf[T]
            add("p2p", T[fin], S[fin])
            go = rest & ~leaf[T]
            A, B = _pairs_children(tree, T[go], S[go], True, False)
            nsl_t.append(A)
            nsl_s.append(B)
        near = (np.concatenate(nn_t), np.concatenate(nn_s))
        tl = (np.concatenate(ntl_t), np.concatenate(ntl_s))
        sl = (np.concatenate(nsl_t), np.concatenate(nsl_s))
    return {
        k: (np.concatenate(v) if v else np.zeros((0, 2), np.int64)).astype(np.int64)
        for k, v in lists.items()
    }
