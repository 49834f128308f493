"""Saving and loading a fitted :class:`rom.fmm.EIFMM` (see :mod:`rom.io.persist`).

The parameters go through the generic encoding of :mod:`rom.io.persist`, except a
built-in kernel, which is stored by name and parameters; a user kernel (compiled
Python code) becomes the named part ``kernel``, given back as
``rom.load(path, kernel=...)`` and checked against kernel values stored in the file.
The rest is not made of public attributes that the generic encoding holds (a tree,
the interpolation operators, the evaluation's index arrays), so it is stored here:
the tree, the interaction lists, the interpolation operators of each level (points
and the greedy's triangular factors), the M2M and M2L matrices and the sorted points;
the grouped-sum plans are rebuilt from them. A loaded object evaluates exactly as the
saved one did, without the far-field training or any other part of the fit.

A model file is untrusted input: every array that a compiled loop indexes with is
checked (dtype, shape, range) before the object is returned.
"""

from __future__ import annotations

import dataclasses
import numbers
from typing import Any

import numpy as np

from rom.fmm import _farfield
from rom.fmm.kernels import Kernel, _builtin, _pad3, as_kernel
from rom.fmm.tree import Tree
from rom.io.persist import decode_state, encode_state

_TREE_ARRAYS = tuple(
    f.name for f in dataclasses.fields(Tree) if f.name not in ("dim", "root_side", "extra")
)
_OPERATOR = {
    "eim": ("Y", "X", "Lf", "Bf", "piv"),
    "chebyshev": ("Y", "nodes"),
}
_M2L = ("U", "src", "tgt", "seg", "store", "trans", "A")
_CSR = ("_p2p", "_m2p", "_p2lcsr")
_POINTS = ("_eq_start", "_Yeq", "_Xv", "_Ys", "_p2m", "_l2p")
# displacements at which the kernel of a file is compared with the one given back
_CHECK_R = np.array([0.0, 1e-3, 0.05, 0.3, 1.0, 2.5, 10.0])
_CHECK_RTOL = 1e-12


def kernel_spec(K: Kernel) -> dict:
    """The arguments that rebuild a built-in kernel."""
    _, complex_, kid, params, dim = K.key
    return {
        "name": K.name,
        "dim": int(dim),
        "kid": int(kid),
        "params": [float(p) for p in params],
        "singular": K.singular,
        "homogeneity": K.homogeneity,
        "complex": bool(complex_),
    }


def kernel_from_spec(spec: Any) -> Kernel:
    """The built-in kernel of :func:`kernel_spec` (ValueError for a corrupt one)."""
    try:
        name, dim, kid = spec["name"], spec["dim"], spec["kid"]
        params, homogeneity = spec["params"], spec["homogeneity"]
        flags = (spec["singular"], spec["complex"])
    except (KeyError, TypeError) as err:
        raise ValueError(f"kernel: corrupt built-in kernel entry {spec!r}") from err
    ok = (
        isinstance(name, str)
        and dim in (2, 3)
        and isinstance(kid, int)
        and 0 <= kid <= 9
        and isinstance(params, list)
        and all(isinstance(p, numbers.Real) for p in params)
        and (homogeneity is None or isinstance(homogeneity, numbers.Real))
        and all(isinstance(f, bool) for f in flags)
    )
    if not ok:
        raise ValueError(f"kernel: corrupt built-in kernel entry {spec!r}")
    return _builtin(
        name, dim, kid, params, singular=flags[0], homogeneity=homogeneity, complex_=flags[1]
    )


def _kernel_values(K: Kernel) -> np.ndarray:
    D = np.zeros((_CHECK_R.size, K.dim))
    D[:, 0] = _CHECK_R
    D[:, -1] = 0.5 * _CHECK_R  # off the axes
    return K(D)


def to_arrays(fmm: Any) -> tuple[dict, dict]:
    params = fmm.get_params(deep=False)
    if isinstance(fmm.kernel, Kernel) and fmm.kernel.key[0] == "builtin":
        params["kernel"] = {"builtin": kernel_spec(fmm.kernel)}
    # a user kernel stays as it is: the generic encoding names it as a part
    settings, arrays = encode_state(fmm, params, {})
    tree = fmm.tree_
    ops = {
        str(lev): {
            "method": op.method,
            "h": op.h,
            "rank": op.rank,
            "ratio": op.ratio,
            "scale": getattr(op, "scale", 1.0),
            "order": getattr(op, "order", 0),
        }
        for lev, op in fmm.ops_.items()
    }
    settings["eifmm"] = {
        "dim_": fmm.dim_,
        "same_": fmm.same_,
        "backend_": fmm.backend_,
        "n_sources_": fmm.n_sources_,
        "n_targets_": fmm.n_targets_,
        "leaf_size_": fmm.leaf_size_,
        "root_side": float(tree.root_side),
        "ranks_": {str(k): v for k, v in fmm.ranks_.items()},
        "m2l_ranks_": {str(k): v for k, v in fmm.m2l_ranks_.items()},
        "level_errors_": {str(k): v for k, v in fmm.level_errors_.items()},
        "level_tol_": fmm.level_tol_,
        "error_estimate_": fmm.error_estimate_,
        "fit_timings_": fmm.fit_timings_,
        "ops": ops,
        "m2m": {str(lev): len(mats) for lev, mats in fmm._m2m.items()},
        "m2l": {str(lev): float(t[7]) for lev, t in fmm._m2l.items()},
    }
    arrays["kernel_values"] = _kernel_values(fmm.kernel_)
    arrays.update({f"tree.{name}": getattr(tree, name) for name in _TREE_ARRAYS})
    arrays.update({f"lists.{name}": pairs for name, pairs in fmm.lists_.items()})
    for lev, op in fmm.ops_.items():
        for name in _OPERATOR[op.method]:
            arrays[f"ops.{lev}.{name}"] = getattr(op, name)
    for lev, mats in fmm._m2m.items():
        for i, (ci, pi, T) in enumerate(mats):
            arrays.update(
                {f"m2m.{lev}.{i}.ci": ci, f"m2m.{lev}.{i}.pi": pi, f"m2m.{lev}.{i}.T": T}
            )
    for lev, parts in fmm._m2l.items():
        arrays.update({f"m2l.{lev}.{name}": a for name, a in zip(_M2L, parts[:7], strict=True)})
    for name in _CSR:
        ptr, lst = getattr(fmm, name)
        arrays[f"{name}.ptr"], arrays[f"{name}.lst"] = ptr, lst
    for name in _POINTS:
        arrays[name] = getattr(fmm, name)
    arrays["_Xt"] = None if fmm.same_ else fmm._Xt
    return settings, arrays


def _operator(K: Kernel, meta: dict, arrays: dict, prefix: str, dim: int) -> Any:
    op = object.__new__(_farfield.LevelOperator)
    op.K, op.h, op.dim, op.method = K, float(meta["h"]), dim, meta["method"]
    op.ratio, op.rank = float(meta["ratio"]), int(meta["rank"])
    if op.method not in _OPERATOR:
        raise ValueError(f"unknown interpolation {op.method!r}")
    for name in _OPERATOR[op.method]:
        setattr(op, name, arrays[f"{prefix}.{name}"])
    r = op.rank
    _array(op.Y, f"{prefix}.Y", (r, dim), np.float64)
    if op.method == "eim":
        _array(op.X, f"{prefix}.X", (r, dim), np.float64)
        for name in ("Lf", "Bf"):
            _array(getattr(op, name), f"{prefix}.{name}", (r, r), np.float64, K.dtype)
        _array(op.piv, f"{prefix}.piv", (r,), np.float64, K.dtype)
        op.scale = float(meta["scale"])
        op.X3 = _pad3(op.X)
    else:
        op.order = int(meta["order"])
        _array(op.nodes, f"{prefix}.nodes", (op.order,), np.float64)
        if op.order**dim != r:
            raise ValueError(f"{prefix}: order {op.order} does not give rank {r}")
    op.Y3 = _pad3(op.Y)
    return op


def from_arrays(cls: type, settings: dict, arrays: dict) -> Any:
    params, _ = decode_state(cls, {"params": settings["params"], "fitted": {}}, arrays)
    if isinstance(params.get("kernel"), dict):
        params["kernel"] = kernel_from_spec(params["kernel"].get("builtin"))
    meta = settings["eifmm"]
    fmm = cls(**params)
    dim = meta["dim_"]
    if dim not in (2, 3):
        raise ValueError(f"dim_: expected 2 or 3, got {dim!r}")
    K = as_kernel(fmm.kernel, dim)
    saved = arrays["kernel_values"]
    given = _kernel_values(K)
    if saved.shape != given.shape or not np.allclose(
        given, saved, rtol=_CHECK_RTOL, atol=0, equal_nan=True
    ):
        raise ValueError(
            f"kernel: {K.name} is not the kernel this EIFMM was fitted with (its values "
            "differ from those stored in the file)"
        )
    fmm.kernel_ = K
    for name in ("dim_", "same_", "backend_", "n_sources_", "n_targets_"):
        setattr(fmm, name, meta[name])
    fmm.leaf_size_ = _leaf_size(meta.get("leaf_size_"), fmm.leaf_size)
    fmm.error_estimate_ = float(meta["error_estimate_"])
    fmm.level_tol_ = float(meta["level_tol_"])
    for name in ("ranks_", "m2l_ranks_", "level_errors_"):
        setattr(fmm, name, {int(k): v for k, v in meta[name].items()})
    fmm.fit_timings_ = {str(k): float(v) for k, v in meta["fit_timings_"].items()}
    fmm.timings_ = dict(fmm.fit_timings_)
    fmm.tree_ = Tree(
        dim=dim,
        root_side=float(meta["root_side"]),
        **{name: arrays[f"tree.{name}"] for name in _TREE_ARRAYS},
    )
    fmm.lists_ = {name: arrays[f"lists.{name}"] for name in ("p2p", "m2l", "m2p", "p2l")}
    fmm.ops_ = {
        int(lev): _operator(K, op, arrays, f"ops.{lev}", dim) for lev, op in meta["ops"].items()
    }
    fmm._m2m = {
        int(lev): [
            (arrays[f"m2m.{lev}.{i}.ci"], arrays[f"m2m.{lev}.{i}.pi"], arrays[f"m2m.{lev}.{i}.T"])
            for i in range(int(n))
        ]
        for lev, n in meta["m2m"].items()
    }
    fmm._m2l = {
        int(lev): (*(arrays[f"m2l.{lev}.{name}"] for name in _M2L), float(scale))
        for lev, scale in meta["m2l"].items()
    }
    for name in _CSR:
        setattr(fmm, name, (arrays[f"{name}.ptr"], arrays[f"{name}.lst"]))
    for name in _POINTS:
        setattr(fmm, name, arrays[name])
    fmm._Xt = fmm._Ys if fmm.same_ else arrays["_Xt"]
    check(fmm)
    fmm._device = None
    fmm._plans = fmm._make_plans()
    return fmm


def _leaf_size(saved: Any, param: Any) -> int:
    """The fitted leaf size of a file: a positive integer, the parameter itself unless
    the parameter is "auto" (files written before ``leaf_size_`` existed: the
    parameter)."""
    if saved is None and isinstance(param, numbers.Integral) and not isinstance(param, bool):
        saved = param
    if isinstance(saved, bool) or not isinstance(saved, numbers.Integral) or saved < 1:
        raise ValueError(f"leaf_size_: expected a positive integer, got {saved!r}")
    if param != "auto" and saved != param:
        raise ValueError(f"leaf_size_: {saved} differs from the parameter leaf_size={param!r}")
    return int(saved)


# ---------------------------------------------------------------------------
# checks of a loaded object: what the compiled loops index with
def _array(a: Any, name: str, shape: tuple, *dtypes: Any) -> np.ndarray:
    """``a`` as an array of one of ``dtypes`` and ``shape`` (None: any length)."""
    if not isinstance(a, np.ndarray) or a.dtype not in [np.dtype(d) for d in dtypes]:
        raise ValueError(f"{name}: expected a {np.dtype(dtypes[0])} array")
    if a.ndim != len(shape) or any(
        s is not None and s != n for s, n in zip(shape, a.shape, strict=True)
    ):
        raise ValueError(f"{name}: expected shape {shape}, got {a.shape}")
    if a.dtype.kind in "fc" and not np.all(np.isfinite(a)):
        raise ValueError(f"{name}: contains NaN or infinity")
    return a


def _index(a: Any, name: str, high: int, shape: tuple = (None,)) -> np.ndarray:
    """An int64 array of ``shape`` with values in ``[0, high)``."""
    _array(a, name, shape, np.int64)
    if a.size and (a.min() < 0 or a.max() >= high):
        raise ValueError(f"{name}: indices out of range [0, {high})")
    return a


def _in_root_box(fmm: Any, tree: Any, dim: int) -> None:
    """The sorted sources and targets lie in the root box the tree was built on."""
    center = _array(tree.root_center, "tree.root_center", (dim,), np.float64)
    side = float(tree.root_side)
    if not np.isfinite(side) or side <= 0:
        raise ValueError(f"tree.root_side: expected a positive number, got {side}")
    lo, hi = center - (0.5 + 1e-9) * side, center + (0.5 + 1e-9) * side
    for name in ("_Ys", "_Xt"):
        pts = np.asarray(getattr(fmm, name))[:, :dim]
        if np.any(pts < lo) or np.any(pts > hi):
            raise ValueError(f"{name}: points outside the root box of the tree")


def _ranges(start: Any, end: Any, name: str, n_boxes: int, n: int) -> None:
    _index(start, f"{name}_start", n + 1, (n_boxes,))
    _index(end, f"{name}_end", n + 1, (n_boxes,))
    if np.any(start > end):
        raise ValueError(f"{name}_start: a box starts after its end")


def _csr(ptr: Any, lst: Any, name: str, n_boxes: int) -> None:
    _index(lst, f"{name}.lst", n_boxes)
    _index(ptr, f"{name}.ptr", lst.size + 1, (n_boxes + 1,))
    if ptr[0] != 0 or ptr[-1] != lst.size or np.any(np.diff(ptr) < 0):
        raise ValueError(f"{name}.ptr: not the pointers of a compressed list")


def _leaves_hold(fmm: Any, tree: Any, dim: int) -> None:
    """The tree is the one ``leaf_size_`` builds: boxes with more points are split
    (unless at the deepest level the Morton keys allow), leaves hold at most as many."""
    from rom.fmm.tree import _BITS

    depth = fmm.max_depth
    if isinstance(depth, bool) or not isinstance(depth, numbers.Integral) or depth < 1:
        raise ValueError(f"max_depth: expected a positive integer, got {depth!r}")
    count = tree.src_end - tree.src_start
    if not fmm.same_:
        count = np.maximum(count, tree.tgt_end - tree.tgt_start)
    splittable = tree.level < min(_BITS[dim], int(depth))
    leaf = tree.leaf.astype(bool)
    if np.any(leaf & splittable & (count > fmm.leaf_size_)) or np.any(
        ~leaf & (count <= fmm.leaf_size_)
    ):
        raise ValueError(f"leaf_size_: the tree was not built with leaves of {fmm.leaf_size_}")


def _permutation(order: Any, name: str, n: int) -> None:
    _index(order, name, n, (n,))
    if not np.array_equal(np.sort(order), np.arange(n)):
        raise ValueError(f"{name}: not a permutation")


def check(fmm: Any) -> None:
    """ValueError unless the loaded arrays are consistent: every index that a
    compiled loop (or an in-place update) uses lies within its array."""
    tree, dim = fmm.tree_, fmm.dim_
    ns, nt = int(fmm.n_sources_), int(fmm.n_targets_)
    if ns < 1 or nt < 1 or not isinstance(fmm.same_, bool) or (fmm.same_ and ns != nt):
        raise ValueError("n_sources_: inconsistent numbers of points")
    if fmm.backend_ not in ("numba", "cupy"):
        raise ValueError(f"backend_: expected 'numba' or 'cupy', got {fmm.backend_!r}")
    if fmm.interpolation not in _OPERATOR:
        raise ValueError(
            f"interpolation: expected 'eim' or 'chebyshev', got {fmm.interpolation!r}"
        )
    nb = int(np.asarray(tree.level).size)
    _index(tree.level, "tree.level", nb, (nb,))
    ls = tree.level_start
    _index(ls, "tree.level_start", nb + 1)
    if ls.size < 2 or ls[0] != 0 or ls[-1] != nb or np.any(np.diff(ls) < 0):
        raise ValueError("tree.level_start: not the starts of the levels")
    depth = ls.size - 2
    if not np.array_equal(tree.level, np.repeat(np.arange(depth + 1), np.diff(ls))):
        raise ValueError("tree.level: boxes are not stored level by level")
    _array(tree.coords, "tree.coords", (nb, dim), np.int64)
    _array(tree.center, "tree.center", (nb, dim), np.float64)
    _array(tree.side, "tree.side", (nb,), np.float64)
    _index(tree.parent + 1, "tree.parent", nb + 1, (nb,))
    _index(tree.children + 1, "tree.children", nb + 1, (nb, 2**dim))
    _array(tree.leaf, "tree.leaf", (nb,), np.bool_)
    _ranges(tree.src_start, tree.src_end, "tree.src", nb, ns)
    _ranges(tree.tgt_start, tree.tgt_end, "tree.tgt", nb, nt)
    _leaves_hold(fmm, tree, dim)
    _permutation(tree.src_order, "tree.src_order", ns)
    _permutation(tree.tgt_order, "tree.tgt_order", nt)
    for name, pairs in fmm.lists_.items():
        _index(pairs, f"lists.{name}", nb, (None, 2))
    # interpolation points: a rank per level, the boxes' rows of the point arrays
    rank = np.zeros(depth + 1, np.int64)
    for lev, op in fmm.ops_.items():
        if not 0 <= lev <= depth or op.method != fmm.interpolation:
            raise ValueError(f"ops.{lev}: not a level of the tree")
        rank[lev] = op.rank
    es = _index(fmm._eq_start, "_eq_start", np.iinfo(np.int64).max, (nb + 1,))
    if es[0] != 0 or not np.array_equal(np.diff(es), rank[tree.level]):
        raise ValueError("_eq_start: inconsistent with the ranks of the levels")
    neq = int(es[-1])
    _array(fmm._Ys, "_Ys", (ns, 3), np.float64)
    _array(fmm._Xt, "_Xt", (nt, 3), np.float64)
    _in_root_box(fmm, tree, dim)
    _array(fmm._Yeq, "_Yeq", (neq, 3), np.float64)
    if fmm.interpolation == "eim":
        _array(fmm._Xv, "_Xv", (neq, 3), np.float64)
    elif fmm._Xv is not None:
        raise ValueError("_Xv: unexpected for Chebyshev interpolation")
    for name in ("_p2m", "_l2p"):
        boxes = _index(getattr(fmm, name), name, nb)
        if np.any(rank[tree.level[boxes]] == 0):
            raise ValueError(f"{name}: a box without interpolation points")
    for name in _CSR:
        _csr(*getattr(fmm, name), name, nb)
    # M2M: children and parents numbered within their levels
    for lev, mats in fmm._m2m.items():
        if not 1 <= lev <= depth or rank[lev] == 0 or rank[lev - 1] == 0:
            raise ValueError(f"m2m.{lev}: not a level with interpolation points")
        for i, (ci, pi, T) in enumerate(mats):
            _index(ci, f"m2m.{lev}.{i}.ci", int(ls[lev + 1] - ls[lev]))
            _index(pi, f"m2m.{lev}.{i}.pi", int(ls[lev] - ls[lev - 1]), ci.shape)
            shape = (rank[lev], rank[lev - 1])
            _array(T, f"m2m.{lev}.{i}.T", shape, np.float64, fmm.kernel_.dtype)
    # M2L: pairs of boxes within the level, offsets' slots and stored matrices
    for lev, (U, src, tgt, seg, store, trans, A, _) in fmm._m2l.items():
        if not 0 <= lev <= depth or rank[lev] == 0:
            raise ValueError(f"m2l.{lev}: not a level with interpolation points")
        name, nbl, r = f"m2l.{lev}", int(ls[lev + 1] - ls[lev]), int(rank[lev])
        kc = r
        if U is not None:
            kc = _array(U, f"{name}.U", (r, None), np.float64, fmm.kernel_.dtype).shape[1]
        _array(A, f"{name}.A", (None, kc, kc), np.float64, fmm.kernel_.dtype)
        _index(src, f"{name}.src", nbl)
        _index(tgt, f"{name}.tgt", nbl, src.shape)
        _index(seg, f"{name}.seg", src.size + 1, (None, None))
        if seg.shape[1] < 2 or np.any(np.diff(seg, axis=1) < 0):
            raise ValueError(f"{name}.seg: not the bounds of the pairs")
        _index(store, f"{name}.store", A.shape[0], (seg.shape[0],))
        _array(trans, f"{name}.trans", (seg.shape[0],), np.bool_)
