"""Saving and loading a set-up :class:`rom.fmm.EIFMM` (see :mod:`rom.io.persist`).

Everything ``evaluate`` uses is stored: the tree, the interaction lists, the
interpolation operators of each level (points and the greedy's triangular factors),
the M2M and M2L matrices and the sorted points; the grouped-sum plans are rebuilt
from them. A loaded object evaluates exactly as the saved one did, without the
far-field training or any other part of the setup. Built-in kernels only: a user
kernel is compiled Python code, which a romba file never holds.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from rom.fmm import _farfield
from rom.fmm.kernels import Kernel, _builtin, _pad3
from rom.fmm.tree import Tree

_PARAMS = ("tol", "leaf_size", "backend", "interpolation", "max_depth", "max_order")
_TREE_ARRAYS = tuple(
    f.name for f in dataclasses.fields(Tree) if f.name not in ("dim", "root_side", "extra")
)
_OPERATOR = {
    "eim": ("Y", "X", "Lf", "Bf", "piv"),
    "chebyshev": ("Y", "nodes"),
}
_M2L = ("U", "src", "tgt", "seg", "store", "trans", "A")


def kernel_spec(K: Kernel) -> dict:
    """The arguments that rebuild a built-in kernel (TypeError for a user kernel)."""
    if K.key[0] != "builtin":
        raise TypeError(
            f"kernel: {K.name} is a user kernel (compiled Python code), which romba files "
            "do not hold; only EIFMMs of built-in kernels can be saved"
        )
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


def kernel_from_spec(spec: dict) -> Kernel:
    return _builtin(
        spec["name"],
        spec["dim"],
        spec["kid"],
        spec["params"],
        singular=spec["singular"],
        homogeneity=spec["homogeneity"],
        complex_=spec["complex"],
    )


def to_arrays(fmm: Any) -> tuple[dict, dict]:
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
    settings = {
        **{name: getattr(fmm, name) for name in _PARAMS},
        "kernel": kernel_spec(fmm.kernel_),
        "dim_": fmm.dim_,
        "same_": fmm.same_,
        "backend_": fmm.backend_,
        "n_sources_": fmm.n_sources_,
        "n_targets_": fmm.n_targets_,
        "root_side": float(tree.root_side),
        "ranks_": {str(k): v for k, v in fmm.ranks_.items()},
        "m2l_ranks_": {str(k): v for k, v in fmm.m2l_ranks_.items()},
        "level_errors_": {str(k): v for k, v in fmm.level_errors_.items()},
        "error_estimate_": fmm.error_estimate_,
        "setup_timings_": fmm.setup_timings_,
        "ops": ops,
        "m2m": {str(lev): len(mats) for lev, mats in fmm._m2m.items()},
        "m2l": {str(lev): float(t[7]) for lev, t in fmm._m2l.items()},
    }
    arrays: dict[str, Any] = {f"tree.{name}": getattr(tree, name) for name in _TREE_ARRAYS}
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
    for name in ("_p2p", "_m2p", "_p2lcsr"):
        ptr, lst = getattr(fmm, name)
        arrays[f"{name}.ptr"], arrays[f"{name}.lst"] = ptr, lst
    for name in ("_eq_start", "_Yeq", "_Xv", "_Ys", "_p2m", "_l2p"):
        arrays[name] = getattr(fmm, name)
    arrays["_Xt"] = None if fmm.same_ else fmm._Xt
    return settings, arrays


def _operator(K: Kernel, meta: dict, arrays: dict, prefix: str, dim: int) -> Any:
    op = object.__new__(_farfield.LevelOperator)
    op.K, op.h, op.dim, op.method = K, meta["h"], dim, meta["method"]
    op.ratio, op.rank = meta["ratio"], meta["rank"]
    for name in _OPERATOR[op.method]:
        setattr(op, name, arrays[f"{prefix}.{name}"])
    if op.method == "eim":
        op.scale = meta["scale"]
        op.X3 = _pad3(op.X)
    else:
        op.order = meta["order"]
    op.Y3 = _pad3(op.Y)
    return op


def from_arrays(cls: type, settings: dict, arrays: dict) -> Any:
    K = kernel_from_spec(settings["kernel"])
    fmm = cls(K, **{name: settings[name] for name in _PARAMS})
    fmm.kernel_ = K
    for name in ("dim_", "same_", "backend_", "n_sources_", "n_targets_"):
        setattr(fmm, name, settings[name])
    fmm.error_estimate_ = settings["error_estimate_"]
    for name in ("ranks_", "m2l_ranks_", "level_errors_"):
        setattr(fmm, name, {int(k): v for k, v in settings[name].items()})
    fmm.setup_timings_ = dict(settings["setup_timings_"])
    fmm.timings_ = dict(fmm.setup_timings_)
    fmm.tree_ = Tree(
        dim=fmm.dim_,
        root_side=settings["root_side"],
        **{name: arrays[f"tree.{name}"] for name in _TREE_ARRAYS},
    )
    fmm.lists_ = {name: arrays[f"lists.{name}"] for name in ("p2p", "m2l", "m2p", "p2l")}
    fmm.ops_ = {
        int(lev): _operator(K, meta, arrays, f"ops.{lev}", fmm.dim_)
        for lev, meta in settings["ops"].items()
    }
    fmm._m2m = {
        int(lev): [
            (arrays[f"m2m.{lev}.{i}.ci"], arrays[f"m2m.{lev}.{i}.pi"], arrays[f"m2m.{lev}.{i}.T"])
            for i in range(n)
        ]
        for lev, n in settings["m2m"].items()
    }
    fmm._m2l = {
        int(lev): (*(arrays[f"m2l.{lev}.{name}"] for name in _M2L), scale)
        for lev, scale in settings["m2l"].items()
    }
    for name in ("_p2p", "_m2p", "_p2lcsr"):
        setattr(fmm, name, (arrays[f"{name}.ptr"], arrays[f"{name}.lst"]))
    for name in ("_eq_start", "_Yeq", "_Xv", "_Ys", "_p2m", "_l2p"):
        setattr(fmm, name, arrays[name])
    fmm._Xt = fmm._Ys if fmm.same_ else arrays["_Xt"]
    fmm._device = None
    fmm._plans = fmm._make_plans()
    return fmm
