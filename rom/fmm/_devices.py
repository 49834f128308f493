"""Where an EIFMM evaluation runs: the CPU (numba loops) or arrays of any module (cupy).

:meth:`rom.fmm.EIFMM.evaluate` is written once, against the small interface below;
a *device* supplies the array module, the grouped kernel sums of the near field and
of the interpolation, the interpolation operators of each level and the M2L pass:

- :class:`CPUDevice`: numba grouped sums, triangular solves with the EIM factors and
  the compiled M2L pass (:func:`rom.fmm._numba.m2l_apply`), on NumPy arrays;
- :class:`ArrayDevice`: every step in array operations of one module ``xp`` (cupy on
  the GPU): the same triangular solves (``cupyx.scipy.linalg`` on the GPU), the M2L
  pairs of a level grouped by offset into chunks of offsets with about as many pairs,
  each padded to its widest, one batched product and one scatter-add per chunk.
  With ``xp = numpy`` and the numba grouped sums it runs on the CPU, which is how the
  tests check the logic of the GPU path on machines without a GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

# the batched M2L product is split so that its gathered multipoles stay below this
M2L_CHUNK_BYTES = 2**28


class CPUDevice:
    """NumPy arrays, numba loops and compiled M2L: the reference."""

    xp = np

    def __init__(self, fmm: Any) -> None:
        from rom.fmm._numba import m2l_apply

        self.fmm = fmm
        self._grouped = fmm.kernel_.loops()[0]
        self._m2l_apply = m2l_apply

    def plan(self, name: str) -> Any:
        """The arguments of a grouped sum (or an index array) named by the fit."""
        return self.fmm._plans[name]

    def m2m(self, lev: int) -> list:
        return self.fmm._m2m[lev]

    def grouped(self, plan: tuple, Q: Any, out: Any) -> None:
        K = self.fmm.kernel_
        self._grouped(K.kid, K.params, *plan, Q, out)

    def near(self, Q: Any, out: Any) -> None:
        """The near field (P2P): each kernel value used for both points of a pair when
        the targets are the sources, else the one-way grouped sum."""
        mutual = self.fmm._plans.get("p2p_mutual")
        if mutual is not None:
            from rom.fmm._numba import mutual_sum_real

            K = self.fmm.kernel_
            mutual_sum_real(K.kid, K.params, *mutual, Q, out)
        elif self.plan("p2p") is not None:
            self.grouped(self.plan("p2p"), Q, out)

    def to_multipoles(self, lev: int, W: Any) -> Any:
        """``W C`` for kernel sums ``W`` (rows) at the level's training targets."""
        return self.fmm.ops_[lev].apply_CT(W.T).T

    def to_potentials(self, lev: int, L: Any) -> Any:
        """``L C^T``: local coefficients to the weights of the level's kernel sums."""
        return self.fmm.ops_[lev].apply_C(L.T).T

    def sync(self) -> None:
        """Wait for the queued work (nothing is queued on the CPU)."""

    def m2l_basis(self, lev: int) -> Any:
        """The common basis ``U`` of the level's compressed M2L matrices, or None."""
        return self.fmm._m2l[lev][0]

    def m2l(self, lev: int, Mw: Any, Lw: Any) -> None:
        _, src, tgt, seg, store, trans, A, scale = self.fmm._m2l[lev]
        self._m2l_apply(Mw, Lw, src, tgt, seg, A, store, trans, scale)


class ArrayDevice:
    """Every step in array operations of ``xp``; ``grouped`` runs the kernel sums.

    ``grouped(kid, params, *plan, Q, out)`` has the signature of the numba grouped
    sums, on arrays of ``xp``. The fitted arrays are copied to ``xp`` once, on first
    use, and kept.
    """

    def __init__(self, fmm: Any, xp: Any, grouped: Any, scatter_add: Any) -> None:
        self.fmm, self.xp = fmm, xp
        self._grouped = grouped
        self._scatter_add = scatter_add
        self._cache: dict = {}
        self._params = xp.asarray(fmm.kernel_.params)

    def _cached(self, key: Any, make: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def plan(self, name: str) -> Any:
        host = self.fmm._plans[name]
        if host is None:
            return None
        xp = self.xp
        if isinstance(host, np.ndarray):
            return self._cached(("plan", name), lambda: xp.asarray(host))
        return self._cached(
            ("plan", name),
            lambda: tuple(a if isinstance(a, bool) else xp.asarray(a) for a in host),
        )

    def m2m(self, lev: int) -> list:
        xp = self.xp
        return self._cached(
            ("m2m", lev),
            lambda: [
                (xp.asarray(ci), xp.asarray(pi), xp.asarray(T)) for ci, pi, T in self.fmm._m2m[lev]
            ],
        )

    def grouped(self, plan: tuple, Q: Any, out: Any) -> None:
        self._grouped(self.fmm.kernel_.kid, self._params, *plan, Q, out)

    def near(self, Q: Any, out: Any) -> None:
        """The near field (P2P), one way: the grouped sum over the P2P lists."""
        plan = self.plan("p2p")
        if plan is not None:
            self.grouped(plan, Q, out)

    def sync(self) -> None:
        if self.xp is not np:
            self.xp.cuda.Device().synchronize()

    def m2l_basis(self, lev: int) -> Any:
        U = self.fmm._m2l[lev][0]
        return None if U is None else self._cached(("U", lev), lambda: self.xp.asarray(U))

    def _factors(self, lev: int) -> tuple:
        return self._cached(("factors", lev), lambda: self.fmm.ops_[lev].factors(self.xp))

    def to_multipoles(self, lev: int, W: Any) -> Any:
        return self.fmm.ops_[lev].apply_CT(W.T, self._factors(lev)).T

    def to_potentials(self, lev: int, L: Any) -> Any:
        return self.fmm.ops_[lev].apply_C(L.T, self._factors(lev)).T

    def _padded(self, lev: int) -> tuple:
        """The level's M2L pairs in chunks of offsets, each padded to its own widest
        offset: ``([(mats, src, tgt), ...], nbl)``, ``mats`` the chunk's matrices
        (offsets, kc, kc) and ``src``, ``tgt`` its pairs (offsets, width); padding
        points at an extra zero box. Offsets are taken by decreasing numbers of pairs,
        so that each chunk's offsets have about as many pairs (one width for the whole
        level padded the Laplace kernel's finest level of N = 1e6 points 1.8 times),
        and a chunk's gathered multipoles of one charge vector stay below
        ``M2L_CHUNK_BYTES``."""

        def make():
            _, src, tgt, seg, store, trans, A, _ = self.fmm._m2l[lev]
            nbl = int(self.fmm.tree_.level_start[lev + 1] - self.fmm.tree_.level_start[lev])
            counts = seg[:, -1] - seg[:, 0]
            order = np.argsort(-counts, kind="stable")
            order = order[counts[order] > 0]
            row_bytes = A.shape[1] * np.dtype(A.dtype).itemsize
            xp = self.xp
            chunks = []
            a = 0
            while a < order.size:
                width = int(counts[order[a]])
                sel = order[a : a + max(1, M2L_CHUNK_BYTES // (width * row_bytes))]
                col = np.arange(width)
                valid = col[None, :] < counts[sel, None]
                take = np.where(valid, seg[sel, :1] + col[None, :], 0)
                # A_o^T per offset (A[store] itself where the offset uses it transposed)
                mats = A[store[sel]]
                mats = np.where(trans[sel, None, None], mats, mats.transpose(0, 2, 1))
                chunks.append(
                    (
                        xp.asarray(np.ascontiguousarray(mats)),
                        xp.asarray(np.where(valid, src[take], nbl)),
                        xp.asarray(np.where(valid, tgt[take], nbl)),
                    )
                )
                a += sel.size
            return chunks, nbl

        return self._cached(("m2l", lev), make)

    def m2l(self, lev: int, Mw: Any, Lw: Any) -> None:
        xp = self.xp
        scale = self.fmm._m2l[lev][7]
        chunks, nbl = self._padded(lev)
        k, kc = Mw.shape[0], Mw.shape[2]
        Mx = xp.zeros((k, nbl + 1, kc), dtype=Mw.dtype)
        Mx[:, :nbl] = Mw
        Lx = xp.zeros_like(Mx)
        for mats, src_pad, tgt_pad in chunks:
            # a chunk was sized for one charge vector: k of them take k slices
            step = -(-src_pad.shape[0] // k)
            for a in range(0, src_pad.shape[0], step):
                X = Mx[:, src_pad[a : a + step]]  # (k, offsets, width, kc)
                Y = xp.matmul(X, mats[None, a : a + step])
                self._scatter_add(Lx, (slice(None), tgt_pad[a : a + step]), Y)
        Lw += Lx[:, :nbl] if scale == 1.0 else scale * Lx[:, :nbl]


def real_scatter_add(scatter_add: Any) -> Any:
    """``scatter_add`` for real and complex arrays from one that takes real ones only
    (cupy's: its atomic adds have no complex type). A complex array is added as its
    real view, (re, im) pairs along the last axis, which the M2L's index leaves alone.
    """

    def add(a: Any, index: Any, values: Any) -> None:
        if a.dtype.kind == "c":
            if not a.flags.c_contiguous:
                raise ValueError("a: expected a C-contiguous array")
            if values.dtype != a.dtype or not values.flags.c_contiguous:
                values = values.astype(a.dtype, order="C")
            real = np.finfo(a.dtype).dtype  # float64 for complex128
            a, values = a.view(real), values.view(real)
        scatter_add(a, index, values)

    return add


def numpy_device(fmm: Any) -> ArrayDevice:
    """The array path on NumPy with the numba grouped sums (the GPU path's logic, on
    the CPU)."""
    return ArrayDevice(fmm, np, fmm.kernel_.loops()[0], np.add.at)


def cupy_device(fmm: Any) -> ArrayDevice:
    """The array path on cupy with the CUDA grouped sums of :mod:`rom.fmm._cupy`."""
    from rom.backend import import_optional
    from rom.fmm import _cupy

    cupy = import_optional("cupy", "gpu")
    import cupyx

    if fmm.kernel_.kid < 0:
        raise ValueError(
            "kernel: the cupy backend runs the built-in kernels only; use backend='numba' "
            "for a user kernel"
        )
    return ArrayDevice(fmm, cupy, _cupy.grouped_sum, real_scatter_add(cupyx.scatter_add))
