"""The empirical interpolation fast multipole method (EIFMM)."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.backend import blas_threads, is_cupy_array, resolve_backend, to_numpy
from rom.fmm import _m2l
from rom.fmm._devices import CPUDevice, cupy_device
from rom.fmm._levels import FLOOR, SAFETY, auto_leaf_size, build_operators  # noqa: F401
from rom.fmm._m2l import COMPRESS_MIN, SVD_TOL  # noqa: F401
from rom.fmm._m2l import compress as _compress_m2l  # noqa: F401
from rom.fmm.direct import check_charges, check_points, mutual_plan
from rom.fmm.kernels import _pad3, as_kernel
from rom.fmm.tree import build_tree, interaction_lists
from rom.validation import check_choice, check_positive_int

__all__ = ["EIFMM"]

logger = logging.getLogger("rom.fmm")


def _centred(
    sources: np.ndarray, targets: np.ndarray, same: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Sources and targets relative to the centre of their common bounding box.

    Refuses clouds whose extent would overflow the squared distances (above 1e150).
    """
    lo = sources.min(axis=0) if same else np.minimum(sources.min(axis=0), targets.min(axis=0))
    hi = sources.max(axis=0) if same else np.maximum(sources.max(axis=0), targets.max(axis=0))
    centre = lo / 2 + hi / 2  # halves first: no overflow
    extent = float(np.max(hi / 2 - lo / 2))
    if not extent <= 1e150:
        name = "sources" if same else "sources, targets"
        raise ValueError(
            f"{name}: the points spread over {2 * extent:.3g}, beyond 1e150: their squared "
            "distances overflow in double precision (rescale the coordinates and the kernel)"
        )
    shifted = sources - centre
    return shifted, (shifted if same else targets - centre)


def _csr(groups: np.ndarray, items: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.argsort(groups, kind="stable")
    ptr = np.zeros(n_groups + 1, np.int64)
    np.add.at(ptr, groups + 1, 1)
    return np.cumsum(ptr), items[order].astype(np.int64)


def _check_tol(tol: Any) -> float:
    if isinstance(tol, bool) or not isinstance(tol, int | float | np.floating):
        raise TypeError(f"tol: expected a real number in (0, 1), got {tol!r}")
    tol = float(tol)
    if not np.isfinite(tol) or not 0 < tol < 1:
        raise ValueError(f"tol: expected a number in (0, 1), got {tol}")
    return tol


class EIFMM(Estimator):
    r"""Fast kernel sums ``phi(x_i) = sum_j K(x_i - y_j) q_j`` by empirical interpolation.

    The far field of a box is compressed by the empirical interpolation of
    ``y -> K(x - y)`` over the box and its far field (Casenave 2014): interpolation
    points ``y_m`` in a reference box and Lagrange functions ``q_m`` that are
    combinations of kernel values. Both sides use the same interpolation (the kernel is
    even), which gives the black-box FMM structure of Fong & Darve (2009) with EIM points
    in place of tensor Chebyshev points: P2M, M2M, M2L (SVD-compressed, one dense
    product per box offset), L2L, L2P, with M2P and P2L between boxes of different
    sizes in an adaptive Morton-ordered tree. :meth:`fit` builds the tree, the
    interaction lists and the operators (as scikit-learn's ``NearestNeighbors.fit``
    builds its tree); :meth:`evaluate` only sums, and can be called again with new
    charges. The method and its error criterion are derived on the theory page
    (``docs/theory/fmm.rst``).

    Parameters
    ----------
    kernel : Kernel or numba-jitted f(r)
        An even, translation-invariant kernel (:mod:`rom.fmm.kernels`). A built-in
        kernel is saved by name; a user kernel (compiled Python code) is a named part
        of a saved file, given back as ``rom.load(path, kernel=...)``.
    tol : float in (0, 1)
        Target relative error of the potentials, ``||phi - phi_exact||_2 /
        ||phi_exact||_2`` over the targets (for charges whose potentials do not cancel:
        what the levels control is the far-field error relative to ``sum_j |q_j K|``).
        There is no ``relative=False``: the operators are built before any charges are
        known, so the error can only be set relative to the kernel's size. What the code
        does: with ``L`` the number of tree levels that may carry far-field operators
        (``len(ranks_)``, at least 1), every level gets the one-sided tolerance
        ``level_tol_ = tol / (SAFETY * sqrt(L))`` (``SAFETY = 1``; the levels' errors
        add up as independent terms). The rank of a level is the smallest whose
        one-sided interpolation error, the largest over the level's training set (the
        box and its far field), is at most ``level_tol_ * ref``, where ``ref`` is the
        largest ``|K|`` over that training set, raised to ``FLOOR * K_ref``
        (``FLOOR = 1e-3``, ``K_ref`` the largest ``|K|`` at the distances of the tree,
        from a quarter of the smallest box side to the root diagonal) on the coarse
        levels down to the first level with a far field, so that a fast-decaying
        kernel gets no far field where it is negligible. ``level_errors_`` and
        ``error_estimate_`` report what was reached.
    leaf_size : int or "auto", default "auto"
        Largest number of points (of sources, and of targets) in a leaf box, hence
        the depth of the tree. "auto": chosen by a cost model from ``tol``, the
        dimension ``d`` and the number of points ``n``. A pilot training of the far
        field of a level-2 box (the one a homogeneous kernel's fit reuses) gives the
        rank ``r(D)`` that the level tolerance ``tol / sqrt(D - 1)`` of each depth
        ``D`` needs; for ``n`` uniform points in a tree of depth ``D`` (``s = n /
        2^(dD)`` points per leaf) the model counts the near field, ``(3 2^D -
        2)^d s^2`` kernel evaluations (halved when the targets are the sources), at
        ``KERNEL_COST = 75`` multiply-adds each, against the M2L products, ``r^2``
        multiply-adds per M2L pair of every level (``(r/2)^2`` where the fit
        compresses them, plus the compression's QR), the M2L matrices, P2M and L2P
        (``2 n r`` kernel evaluations), M2M and L2L and the levels' trainings, and
        takes the cheapest depth: ``leaf_size_ = ceil(sqrt(2^d) n / 2^(dD))``, or
        ``n`` (every pair direct) when no depth beats the direct sum. The best leaf
        grows with the rank, hence as ``tol`` tightens: for the Laplace kernel on
        ``10^5`` points in the cube it gives depth 4 (leaf size 70) at ``tol
        = 1e-3`` and ``1e-4`` and depth 3 (leaf size 553) from ``1e-5`` on; a few
        thousand points in 3-D are summed directly. The model and its calibration
        are on the theory page (``docs/theory/fmm.rst``). An integer fixes the
        depth (64 is a good value at tolerances near ``1e-4``).
    backend : {"auto", "numba", "cupy"}
        "numba": the loops run on the CPU. "cupy" (what "auto" gives for cupy
        sources): :meth:`fit` still runs on the CPU (tree, training, operators); the
        first evaluation copies its arrays to the GPU, and every evaluation runs there
        (CUDA kernels for the grouped sums, cuBLAS for the dense products, the same
        triangular solves), taking and returning cupy arrays. Built-in kernels and
        ``interpolation="eim"`` only.
    interpolation : {"eim", "chebyshev"}
        "eim": empirical interpolation points; "chebyshev": tensor Chebyshev points
        (the black-box FMM), order chosen per level by the same error criterion.
    max_depth : int
        Deepest tree level (boxes at this level are leaves whatever their size).
    max_order : int
        Largest Chebyshev order tried per dimension.

    Attributes
    ----------
    kernel_ : Kernel
        The kernel as the loops use it (``kernel`` itself, or a bare ``f(r)`` wrapped).
    tree_ : rom.fmm.tree.Tree
    lists_ : dict
        Interaction pairs ``(target box, source box)``: "p2p", "m2l", "m2p", "p2l".
    ranks_ : dict[int, int]
        Number of interpolation points per tree level (levels that may have a far
        field; 0 where it is negligible).
    m2l_ranks_ : dict[int, int]
        Size ``k`` of the compressed M2L per level with M2L pairs: the M2L matrices
        of a level are ``U C_o U^T`` with ``C_o`` of size ``k x k`` (Fong & Darve's
        SVD compression; ``k = r`` where a level is not compressed).
    leaf_size_ : int
        The leaf size the tree was built with (``leaf_size``, or the choice of
        "auto").
    level_tol_ : float
        The one-sided relative tolerance of every level, ``tol / (SAFETY sqrt(L))``.
    level_errors_ : dict[int, float]
        Relative one-sided interpolation error per level (the larger of the training
        and an off-grid validation error, over the level's ``ref``).
    error_estimate_ : float
        Estimated relative error of the far-field sums: the largest
        ``level_errors_`` times ``sqrt(L)``; 0 when every interaction is direct.
    fit_timings_ : dict[str, float]
        Seconds per phase of :meth:`fit` ("leaf_size": the choice of "auto", "tree",
        "lists", "operators", "precompute").
    timings_ : dict[str, float]
        ``fit_timings_`` and the seconds per phase of the last :meth:`evaluate`
        ("p2m", "m2m", "p2l", "m2l", "l2l", "l2p", "m2p", "p2p").

    Examples
    --------
    >>> import numpy as np
    >>> from rom.fmm import EIFMM, direct_sum, kernels
    >>> rng = np.random.default_rng(0)
    >>> y, q = rng.random((3000, 3)), rng.standard_normal(3000)
    >>> fmm = EIFMM(kernels.laplace(), tol=1e-6, leaf_size=40).fit(y)
    >>> phi = fmm.evaluate(q)
    >>> ref = direct_sum(kernels.laplace(), None, y, q)
    >>> bool(np.linalg.norm(phi - ref) <= 2e-6 * np.linalg.norm(ref))
    True

    With ``leaf_size="auto"`` the cost model chooses; for 3000 points in 3-D at
    ``tol=1e-6`` no tree beats the direct sum:

    >>> EIFMM(kernels.laplace(), tol=1e-6, leaf_size="auto").fit(y).leaf_size_
    3000

    A fitted EIFMM saves and loads without any training (:func:`rom.save`):

    >>> import os, tempfile
    >>> import rom
    >>> path = os.path.join(tempfile.mkdtemp(), "fmm.npz")
    >>> fmm.save(path)
    >>> bool(np.array_equal(rom.load(path).evaluate(q), phi))
    True
    """

    _fitted_marker = "ops_"

    def __init__(
        self,
        kernel: Any,
        tol: float = 1e-6,
        leaf_size: int | str = "auto",
        backend: str = "auto",
        interpolation: str = "eim",
        max_depth: int = 16,
        max_order: int = 14,
    ) -> None:
        self.kernel = kernel
        self.tol = tol
        self.leaf_size = leaf_size
        self.backend = backend
        self.interpolation = interpolation
        self.max_depth = max_depth
        self.max_order = max_order

    # ------------------------------------------------------------------ fit
    def fit(self, sources: Any, targets: Any = None, *, progress: bool | None = None) -> EIFMM:
        """Build the tree, the interaction lists and the far-field operators.

        Parameters
        ----------
        sources : array of shape (n, d), d in {2, 3}
        targets : array of shape (m, d) or None
            None (or ``sources`` itself): potentials at the sources, without
            self-interaction.
        progress : bool or None
            A bar over the tree levels whose far-field operators are trained (the
            part that can take minutes at tight tolerances); None shows it on a
            terminal.

        Returns
        -------
        self
        """
        tol = _check_tol(self.tol)
        if isinstance(self.leaf_size, str):
            leaf_size = check_choice(self.leaf_size, "leaf_size", ("auto",))
        else:
            leaf_size = check_positive_int(self.leaf_size, "leaf_size", allow_none=False)
        max_depth = check_positive_int(self.max_depth, "max_depth", allow_none=False)
        check_positive_int(self.max_order, "max_order", allow_none=False, minimum=2)
        check_choice(self.interpolation, "interpolation", ("eim", "chebyshev"))
        check_choice(self.backend, "backend", ("auto", "numba", "cupy"))
        same = targets is None or targets is sources
        backend = resolve_backend(self.backend, sources, None if same else targets)
        if backend == "cupy":
            if self.interpolation != "eim":
                raise ValueError("interpolation: the cupy backend runs 'eim' only")
            sources = to_numpy(sources)  # the fit runs on the CPU
            targets = None if same else to_numpy(targets)
        sources = check_points(sources, "sources")
        dim = sources.shape[1]
        K = as_kernel(self.kernel, dim)
        if not K.radial and K.key[0] != "user":
            raise ValueError("kernel: expected an even kernel")
        T = sources if same else check_points(targets, "targets", dim)
        # the kernel depends on differences only: the points are taken relative to the
        # centre of their box, exactly (Sterbenz) for a box far from the origin, so
        # that a far-away cloud keeps the accuracy of one at the origin
        sources, T = _centred(sources, T, same)
        if np.ptp(sources, axis=0).max() == 0 and sources.shape[0] > 1:
            raise ValueError("sources: all points coincide; there is no far field to compress")
        if K.singular:
            u = np.unique(sources, axis=0)
            if u.shape[0] < sources.shape[0]:
                raise ValueError(
                    f"sources: {sources.shape[0] - u.shape[0]} coincident points; the kernel "
                    f"{K.name} is singular at r = 0 (merge them and add their charges)"
                )
        if backend == "cupy" and K.kid < 0:
            raise ValueError(
                "kernel: the cupy backend runs the built-in kernels only; use "
                "backend='numba' for a user kernel"
            )
        for name in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, name)  # a failed refit leaves no stale half
        self.kernel_, self.dim_, self.same_ = K, dim, same
        self.backend_ = backend
        self._device = None
        self.n_sources_, self.n_targets_ = sources.shape[0], T.shape[0]
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        self._leaf_choice: dict = {}
        if leaf_size == "auto":
            leaf_size, self._leaf_choice = auto_leaf_size(
                self, K, sources, T, tol, max_depth, COMPRESS_MIN
            )
        self.leaf_size_ = int(leaf_size)
        timings["leaf_size"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        tree = build_tree(sources, None if same else T, leaf_size, max_depth)
        self.tree_ = tree
        self._Ys = _pad3(sources[tree.src_order])
        self._Xt = self._Ys if same else _pad3(T[tree.tgt_order])
        timings["tree"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        self.lists_ = interaction_lists(tree)
        timings["lists"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        with blas_threads(1):
            build_operators(self, tol, progress)
            timings["operators"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            self._precompute()
        timings["precompute"] = time.perf_counter() - t0
        self.fit_timings_ = timings
        self.timings_ = dict(timings)
        logger.info(
            "EIFMM fit: %d boxes, depth %d, ranks %s, estimate %.2e",
            tree.n_boxes,
            tree.depth,
            self.ranks_,
            self.error_estimate_,
        )
        return self

    # ------------------------------------------------------------- precompute
    def _precompute(self) -> None:
        tree, L, K = self.tree_, self.lists_, self.kernel_
        nb = tree.n_boxes
        ops = self.ops_
        rank_of_level = np.zeros(tree.depth + 2, np.int64)
        for lev, op in ops.items():
            rank_of_level[lev] = op.rank
        # drop far pairs on levels with a negligible far field (rank 0)
        for name, col in (("m2l", 1), ("m2p", 1), ("p2l", 0)):
            P = L[name]
            if P.size:
                keep = rank_of_level[tree.level[P[:, col]]] > 0
                L[name] = P[keep]
        r_box = rank_of_level[tree.level]
        eq_start = np.concatenate([[0], np.cumsum(r_box)]).astype(np.int64)
        self._eq_start = eq_start
        neq = int(eq_start[-1])
        Yeq = np.zeros((neq, 3))
        Xv = np.zeros((neq, 3)) if self.interpolation == "eim" else None
        for lev, op in ops.items():
            a, b = tree.level_start[lev], tree.level_start[lev + 1]
            c = _pad3(tree.center[a:b])
            rows = slice(eq_start[a], eq_start[b])
            Yeq[rows] = (c[:, None, :] + op.Y3[None]).reshape(-1, 3)
            if Xv is not None:
                Xv[rows] = (c[:, None, :] + op.X3[None]).reshape(-1, 3)
        self._Yeq, self._Xv = Yeq, Xv
        src_ok = tree.src_end > tree.src_start
        tgt_ok = tree.tgt_end > tree.tgt_start
        leaves = np.flatnonzero(tree.leaf)
        # P2M: leaves on far levels with sources
        self._p2m = leaves[(r_box[leaves] > 0) & src_ok[leaves]]
        self._l2p = leaves[(r_box[leaves] > 0) & tgt_ok[leaves]]
        # M2M / L2L matrices per (child level, octant)
        self._m2m: dict[int, list] = {}
        for lev in ops:
            if lev + 1 not in ops:
                continue
            a, b = tree.level_start[lev + 1], tree.level_start[lev + 2]
            child = np.arange(a, b)
            par = tree.parent[child]
            slot = np.argmax(tree.children[par] == child[:, None], axis=1)
            octs = np.unique(slot)
            deltas = []
            for o in octs:
                first = child[slot == o][0]
                deltas.append(tree.center[first] - tree.center[tree.parent[first]])
            rc = ops[lev + 1].rank
            # Lagrange functions of the parent at the children's points, all octants at once
            Z = (np.asarray(deltas)[:, None, :] + ops[lev + 1].Y[None]).reshape(-1, self.dim_)
            Qz = ops[lev].q_matrix(Z)
            mats = []
            for i, o in enumerate(octs):
                sel = child[slot == o]
                Tm = np.ascontiguousarray(Qz[i * rc : (i + 1) * rc])  # (r_c, r_p)
                mats.append((sel - a, tree.parent[sel] - tree.level_start[lev], Tm))
            self._m2m[lev + 1] = mats
        self._m2l, self.m2l_ranks_ = _m2l.m2l_tables(
            tree, L["m2l"], ops, K, self.dim_, self.level_tol_, COMPRESS_MIN
        )
        # CSR lists
        lp = L["p2p"]
        self._p2p = _csr(lp[:, 0], lp[:, 1], nb)
        lm = L["m2p"]
        self._m2p = _csr(lm[:, 0], lm[:, 1], nb)
        ll = L["p2l"]
        self._p2lcsr = _csr(ll[:, 0], ll[:, 1], nb)
        self._plans = self._make_plans()

    def _make_plans(self) -> dict:
        """The arguments of every grouped kernel sum of an evaluation (all but the
        charges and the output): targets, target groups, their source-group lists,
        sources, source groups, whether to skip ``i == j``. None where empty."""
        tree, es = self.tree_, self._eq_start
        ss, se, ts, te = tree.src_start, tree.src_end, tree.tgt_start, tree.tgt_end

        def own(b):  # each group is its own (only) source group
            return np.arange(b.size + 1, dtype=np.int64), b

        def listed(csr):  # the groups with a non-empty list, and their lists
            ptr, lst = csr
            tb = np.flatnonzero(np.diff(ptr))
            return tb, np.concatenate([[0], ptr[tb + 1]]).astype(np.int64), lst

        def plan(tpts, tstart, tend, ptr, lst, spts, sstart, send, exclude):
            if len(tstart) == 0:
                return None
            ints = (tstart, tend, ptr, lst)
            tstart, tend, ptr, lst = (np.ascontiguousarray(a, dtype=np.int64) for a in ints)
            sstart = np.ascontiguousarray(sstart, dtype=np.int64)
            send = np.ascontiguousarray(send, dtype=np.int64)
            return (tpts, tstart, tend, ptr, lst, spts, sstart, send, bool(exclude))

        plans: dict = {"p2m": None, "l2p": None}
        if self.interpolation == "eim":
            b = self._p2m
            plans["p2m"] = plan(self._Xv, es[b], es[b + 1], *own(b), self._Ys, ss, se, False)
            b = self._l2p
            plans["l2p"] = plan(self._Xt, ts[b], te[b], *own(b), self._Xv, es[:-1], es[1:], False)
        tb, ptr, lst = listed(self._p2lcsr)
        plans["p2l"] = plan(self._Yeq, es[tb], es[tb + 1], ptr, lst, self._Ys, ss, se, False)
        tb, ptr, lst = listed(self._m2p)
        plans["m2p"] = plan(self._Xt, ts[tb], te[tb], ptr, lst, self._Yeq, es[:-1], es[1:], False)
        tb, ptr, lst = listed(self._p2p)
        plans["p2p"] = plan(self._Xt, ts[tb], te[tb], ptr, lst, self._Ys, ss, se, self.same_)
        plans["p2p_mutual"] = self._mutual_plan()
        plans["src_order"] = tree.src_order
        plans["tgt_order"] = tree.tgt_order
        return plans

    # ------------------------------------------------------------ persistence
    # the tree, the interpolation operators and the evaluation's arrays are not
    # public attributes of the generic encoding: rom.fmm._persist stores them (and
    # the parameters through the generic encoding, so that a user kernel is a part)
    def _to_arrays(self) -> tuple[dict, dict]:
        from rom.fmm import _persist

        self._check_fitted()
        return _persist.to_arrays(self)

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> EIFMM:
        from rom.fmm import _persist

        return _persist.from_arrays(cls, settings, arrays)

    def _mutual_plan(self) -> tuple | None:
        """The near field with each kernel value used for both points of a pair, when
        targets are the sources (a real built-in kernel: the CPU loop exists for
        those): each unordered pair of leaves once, split between the threads by
        numbers of interactions. None otherwise."""
        K, tree = self.kernel_, self.tree_
        P = self.lists_["p2p"]
        if not self.same_ or K.kid < 0 or K.is_complex or P.size == 0:
            return None
        a, b = P[:, 0], P[:, 1]
        nb = np.int64(tree.n_boxes)
        # the lists of points that are their own targets are symmetric; if not, the
        # one-way sums are kept
        forward, backward = np.sort(a * nb + b), np.sort(b * nb + a)
        if not np.array_equal(forward, backward):
            return None
        keep = a <= b
        return mutual_plan(self._Ys, tree.src_start, tree.src_end, a[keep], b[keep])

    # --------------------------------------------------------------- evaluate
    def evaluate(self, charges: Any) -> Any:
        """Potentials at the targets for the charges of the sources.

        Parameters
        ----------
        charges : array of shape (n,) or (n, k)
            In the order of the sources given to :meth:`fit`; several columns are
            summed at once. With the cupy backend, a cupy (or NumPy) array.

        Returns
        -------
        array of shape (m,) or (m, k)
            Potentials at the targets (the sources when ``targets`` was None): a NumPy
            array, or a cupy array with the cupy backend.
        """
        self._check_fitted()
        if self.backend_ == "cupy":
            import cupy

            charges = cupy.asarray(charges)
        elif is_cupy_array(charges):
            raise ValueError(
                "charges: a cupy array, but this EIFMM was fitted for the CPU "
                "(use backend='cupy' or cupy sources)"
            )
        Q, one = check_charges(charges, self.n_sources_)
        if self._device is None:
            self._device = (cupy_device if self.backend_ == "cupy" else CPUDevice)(self)
        return self._evaluate_on(self._device, Q, one)

    def _evaluate_on(self, dev: Any, Q: Any, one: bool) -> Any:
        xp = dev.xp
        if not self.kernel_.is_complex and Q.dtype.kind == "c":
            k = Q.shape[1]
            out = self._evaluate(dev, xp.concatenate([Q.real, Q.imag], axis=1))
            out = out[:, :k] + 1j * out[:, k:]
        else:
            out = self._evaluate(dev, Q)
        return out[:, 0].copy() if one else out

    def _evaluate(self, dev: Any, Q: Any) -> Any:
        # many small dense products: one BLAS thread each (numba loops use the cores)
        try:
            with blas_threads(1):
                out = self._evaluate_sorted(dev, Q)
        except ValueError as err:  # SciPy's finiteness checks inside the expansions
            if "infs or NaNs" not in str(err):
                raise
            out = None
        if out is None or not bool(dev.xp.all(dev.xp.isfinite(out))):  # charges are finite
            raise ValueError(
                "charges: finite charges gave non-finite potentials: the charges overflow, "
                "or the fitted expansions are corrupt (a model file edited after saving?)"
            )
        return out

    def _evaluate_sorted(self, dev: Any, Q: Any) -> Any:
        """The evaluation, written once for every device (see :mod:`rom.fmm._devices`)."""
        xp, tree, K = dev.xp, self.tree_, self.kernel_
        dtype = np.result_type(K.dtype, Q.dtype, np.float64)
        Qs = xp.ascontiguousarray(Q[dev.plan("src_order")].T, dtype=dtype)
        k = Qs.shape[0]
        out = xp.zeros((k, self.n_targets_), dtype=dtype)
        es = self._eq_start
        neq = int(es[-1])
        timings = self.timings_
        M = xp.zeros((k, neq), dtype=dtype)
        Lc = xp.zeros((k, neq), dtype=dtype)
        clock = _Clock(dev, timings)

        def level_view(A, lev):
            a, b = tree.level_start[lev], tree.level_start[lev + 1]
            return A[:, es[a] : es[b]].reshape(k, b - a, self.ops_[lev].rank)

        def each_level(A, fn, B):
            """``B_l = fn(lev, A_l)`` per level, on the (boxes x rank) rows."""
            for lev, op in self.ops_.items():
                Al = level_view(A, lev)
                nbl = Al.shape[1]
                if nbl:
                    res = fn(lev, Al.reshape(k * nbl, op.rank))
                    level_view(B, lev)[...] = res.reshape(k, nbl, op.rank)

        # P2M: kernel sums at the training targets, then the Lagrange operators
        plan = dev.plan("p2m")
        if plan is not None:
            W = xp.zeros((k, neq), dtype=dtype)
            dev.grouped(plan, Qs, W)
            each_level(W, dev.to_multipoles, M)
        elif self.interpolation == "chebyshev":
            self._chebyshev(Qs, M, "p2m")
        clock("p2m")
        for lev in sorted(self._m2m, reverse=True):  # M2M
            Mc, Mp = level_view(M, lev), level_view(M, lev - 1)
            for ci, pi, Tm in dev.m2m(lev):
                Mp[:, pi, :] += Mc[:, ci, :] @ Tm
        clock("m2m")
        plan = dev.plan("p2l")
        if plan is not None:
            dev.grouped(plan, Qs, Lc)
        clock("p2l")
        # M2L and L2L, level by level downwards
        for lev in sorted(self.ops_):
            if lev in self._m2m:
                Lp, Lch = level_view(Lc, lev - 1), level_view(Lc, lev)
                for ci, pi, Tm in dev.m2m(lev):
                    Lch[:, ci, :] += Lp[:, pi, :] @ Tm.T
            clock("l2l")
            if lev in self._m2l:
                Ml, Ll = level_view(M, lev), level_view(Lc, lev)
                U = dev.m2l_basis(lev)
                if U is not None:  # compressed multipoles and locals, one GEMM each
                    nbl, r = Ml.shape[1], Ml.shape[2]
                    Mw = (Ml.reshape(k * nbl, r) @ U).reshape(k, nbl, -1)
                    Lw = xp.zeros_like(Mw)
                else:
                    Mw, Lw = Ml, Ll
                dev.m2l(lev, Mw, Lw)
                if U is not None:
                    Ll += (Lw.reshape(k * nbl, -1) @ U.T).reshape(k, nbl, r)
            clock("m2l")
        # L2P
        plan = dev.plan("l2p")
        if plan is not None:
            V = xp.zeros((k, neq), dtype=dtype)
            each_level(Lc, dev.to_potentials, V)
            dev.grouped(plan, V, out)
        elif self.interpolation == "chebyshev":
            self._chebyshev(Lc, out, "l2p")
        clock("l2p")
        plan = dev.plan("m2p")
        if plan is not None:
            dev.grouped(plan, M, out)
        clock("m2p")
        dev.near(Qs, out)
        clock("p2p")
        res = xp.empty((self.n_targets_, k), dtype=dtype)
        res[dev.plan("tgt_order")] = out.T
        return res

    def _chebyshev(self, In: np.ndarray, Out: np.ndarray, which: str) -> None:
        """Tensor Chebyshev P2M (charges to multipoles) or L2P (locals to potentials)."""
        from rom.fmm import _numba

        tree, es = self.tree_, self._eq_start
        if which == "p2m":
            fn, pts, b = _numba.chebyshev_p2m, self._Ys, self._p2m
            start, end = tree.src_start, tree.src_end
        else:
            fn, pts, b = _numba.chebyshev_l2p, self._Xt, self._l2p
            start, end = tree.tgt_start, tree.tgt_end
        for lev, op in self.ops_.items():
            bl = b[tree.level[b] == lev]
            if bl.size:
                center = np.ascontiguousarray(tree.center[bl])
                fn(
                    op.nodes,
                    self.dim_,
                    pts,
                    start[bl],
                    end[bl],
                    center,
                    tree.side[bl] / 2,
                    es[bl],
                    In,
                    Out,
                )


class _Clock:
    """Seconds per evaluation phase (the device synchronised at each reading)."""

    def __init__(self, dev: Any, timings: dict) -> None:
        self.dev, self.timings = dev, timings
        for name in ("p2m", "m2m", "p2l", "m2l", "l2l", "l2p", "m2p", "p2p"):
            timings[name] = 0.0
        self.t = time.perf_counter()

    def __call__(self, name: str) -> None:
        self.dev.sync()
        now = time.perf_counter()
        self.timings[name] += now - self.t
        self.t = now
