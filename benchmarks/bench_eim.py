"""Empirical interpolation of a 10000 x 1600 snapshot matrix: romba against pyMOR.

The snapshots are ``g(x; mu) = 1 / ||x - mu||`` with ``x`` on a 100 x 100 grid of
``[0, 1]^2`` (rows) and ``mu`` on a 40 x 40 grid of ``[-1, -0.01]^2`` (columns).

(a) sup-norm EIM with 60 terms: ``rom.eim.EIM(max_terms=60, n_error_points=0)``
    (backend "auto", the fused numba kernel) against pyMOR's
    ``ei_greedy(V, error_norm="sup", max_interpolation_dofs=60)``, and against romba's
    own ``backend="numpy"`` (array expressions, the reference implementation). Each
    EIM step reads and writes the residual once, so the achieved memory bandwidth is
    ``60 * 2 * S.nbytes / time``; it is compared with three single-pass references
    measured in the same run.
(c) complex snapshots ``exp(i k r) / r`` (k = 20, the same grids), sup-norm EIM with
    60 terms: one step of the numba greedy (the largest squared modulus, one pass)
    against the generic fused pass (``abs`` of each complex entry) and the bare
    complex update pass, and the whole EIM against romba's numpy backend.
(b) DEIM with 60 POD modes: ``rom.eim.DEIM(max_terms=60)`` against pyMOR's ``deim``. The
    DEIM points depend on the basis, so the point sets are compared on a common basis
    (each library's point selection run on the other's POD modes).

romba is timed best-of-N after one warm-up call that also compiles (or loads from
the on-disk cache) the numba kernel; pyMOR's ``ei_greedy`` and ``deim`` and romba's
numpy backend are slow and timed once. The ratios are measured in this one run on
this machine; they are printed, never asserted.

Run ``python benchmarks/bench_eim.py`` (about two minutes on two cores), or
``python benchmarks/bench_eim.py --quick`` for a 2500 x 400 smoke run without pyMOR.
"""

from __future__ import annotations

import os
import time

import numba
import numpy as np
from _common import benchmark_parser, best_time, machine_header, timed_snapshots

from rom.eim import DEIM, EIM

TERMS = 60
TARGET_SPEEDUP = 8.0
WAVENUMBER = 20.0


def _import_pymor():
    try:
        import pymor
        from pymor.algorithms.ei import deim, ei_greedy
        from pymor.core.logger import set_log_levels
        from pymor.vectorarrays.numpy import NumpyVectorSpace
    except ImportError:
        return None
    set_log_levels({"pymor": "ERROR"})
    return pymor.__version__, ei_greedy, deim, NumpyVectorSpace


def _check(ok: bool, what: str, value: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'}: {what} ({value})")


def _once(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


@numba.njit(parallel=True, cache=False)
def _update_only(R, q, w):  # pragma: no cover - compiled
    """``R[:, j] -= q * w[j]`` without any measurement: the bare memory pass."""
    n, p = R.shape
    for j in numba.prange(p):
        a = w[j]
        for i in range(n):
            R[i, j] -= q[i] * a


def _memory_references(S: np.ndarray, repeat: int) -> dict[str, float]:
    """Single-pass timings that say what one pass over memory costs on this machine."""
    gb = 1e9
    size = S.size  # same number of doubles as the snapshot matrix
    A = np.full(size, 1.0)
    B = np.full(size, 1e-300)  # adding a tiny number leaves A unchanged, no overflow
    t_add, _ = best_time(lambda: np.add(A, B, out=A), repeat=repeat)
    R = np.array(S, order="F")
    q = np.ascontiguousarray(S[:, 0]) * 1e-300
    w = np.ascontiguousarray(S[0, :])
    t_outer, _ = best_time(lambda: np.subtract(R, np.outer(q, w), out=R), repeat=repeat)
    t_numba, _ = best_time(lambda: _update_only(R, q, w), repeat=repeat)
    print(
        f"numpy  np.add(A, B, out=A), {A.nbytes / 1e6:.0f} MB arrays, 1 thread   "
        f"{t_add * 1e3:7.1f} ms  -> {3 * A.nbytes / t_add / gb:5.1f} GB/s (3 x nbytes / t)"
    )
    print(
        f"numpy  R -= np.outer(q, w) over S, 1 thread          "
        f"{t_outer * 1e3:7.1f} ms  -> {2 * S.nbytes / t_outer / gb:5.1f} GB/s "
        "(counting 2 x nbytes; it also writes and reads a temporary)"
    )
    print(
        f"numba  R[:, j] -= q * w[j] over S, {numba.get_num_threads()} threads         "
        f"{t_numba * 1e3:7.1f} ms  -> {2 * S.nbytes / t_numba / gb:5.1f} GB/s (2 x nbytes / t; "
        f"threading layer {numba.threading_layer()})"
    )
    return {"add": 3 * A.nbytes / t_add / gb, "numba": 2 * S.nbytes / t_numba / gb}


def complex_part(S: np.ndarray, terms: int, repeat: int) -> None:
    """(c): the complex max-norm step and EIM on Helmholtz-like snapshots."""
    from rom.eim import _numba as eim_numba

    print(f"## (c) complex snapshots exp(i k r) / r, k = {WAVENUMBER:g}, sup-norm EIM")
    Sc = S * np.exp(1j * WAVENUMBER / S)  # S = 1 / r
    R = np.array(Sc, order="F")
    q = np.ascontiguousarray(Sc[:, 0]) * 1e-300
    w = np.ascontiguousarray(Sc[0, :])
    norms = np.empty(R.shape[1])
    t_step, _ = best_time(lambda: eim_numba.step(R, q, w, eim_numba.LINF), repeat=repeat)
    t_generic, _ = best_time(
        lambda: eim_numba.update_and_measure(R, q, w, eim_numba.LINF, norms), repeat=repeat
    )
    t_bare, _ = best_time(lambda: _update_only(R, q, w), repeat=repeat)
    mb = 2 * Sc.nbytes / 1e6
    print(
        f"one step over {Sc.shape[0]} x {Sc.shape[1]} complex ({mb:.0f} MB moved): "
        f"romba {t_step * 1e3:.1f} ms, generic fused pass {t_generic * 1e3:.1f} ms, "
        f"bare update {t_bare * 1e3:.1f} ms"
    )
    print(
        f"  step / bare update = {t_step / t_bare:.2f}, "
        f"generic pass / romba step = {t_generic / t_step:.2f}"
    )
    make = lambda backend: EIM(max_terms=terms, n_error_points=0, backend=backend)  # noqa: E731
    t_rom, eim = best_time(lambda: make("auto").fit(Sc), repeat=repeat)
    t_np, eim_np = _once(lambda: make("numpy").fit(Sc))
    print(f"romba  EIM(max_terms={terms}) on the complex snapshots, numba  {t_rom:.3f} s")
    print(f"romba  same, backend='numpy'  {t_np:.3f} s  (timed once)")
    print(f"numpy_backend_time / romba_time = {t_np / t_rom:.2f}")
    same = np.array_equal(eim.points_, eim_np.points_)
    dev = np.max(np.abs(eim.errors_ - eim_np.errors_) / eim_np.errors_)
    print(
        f"same points as the numpy backend: {same}; largest relative difference of the "
        f"greedy errors {dev:.1e}"
    )
    print()


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(
        __doc__,
        "2500 x 400 matrix, 30 terms, no pyMOR (smoke test)",
        "timed calls per romba contender",
    )
    args = parser.parse_args(argv)
    n_x, n_mu, terms = (50, 20, 30) if args.quick else (100, 40, TERMS)
    repeat = args.repeat

    pymor = None if args.quick else _import_pymor()
    if args.quick:
        version = "skipped (--quick)"
    else:
        version = pymor[0] if pymor else "not installed"
    print("# EIM benchmark (benchmarks/bench_eim.py" + (" --quick)" if args.quick else ")"))
    print(machine_header({"numba": numba.__version__, "pymor": version}))
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        print(f"{name}: {os.environ.get(name, 'not set')}")
    S = timed_snapshots(n_x, n_mu)
    print(f"timing: romba best of {repeat} after 1 warm-up call, time.perf_counter")
    if args.quick:
        print(
            f"--quick: smaller problem, {terms} terms, no pyMOR; the targets are for the full run"
        )
    print()

    # ------------------------------------------------------------ memory
    print("## what one pass over memory costs here")
    refs = _memory_references(S, repeat)
    print()

    # ---------------------------------------------------------------- (a)
    print(f"## (a) sup-norm EIM, {terms} terms")
    make = lambda backend: EIM(max_terms=terms, n_error_points=0, backend=backend)  # noqa: E731
    t_first, _ = _once(lambda: make("auto").fit(S))
    t_rom, eim = best_time(lambda: make("auto").fit(S), repeat=repeat, warmup=0)
    t_np, eim_np = _once(lambda: make("numpy").fit(S))
    print(
        f"romba  EIM(max_terms={terms}, n_error_points=0), backend 'auto' (numba)  {t_rom:.3f} s"
    )
    print(f"       first call (numba compile or cache load + run): {t_first:.3f} s")
    print(f"romba  same, backend='numpy'  {t_np:.3f} s  (timed once)")
    t_py = dofs = None
    if pymor is None:
        print("pyMOR  ei_greedy skipped" + (" (--quick)" if args.quick else " (not installed)"))
    else:
        _, ei_greedy, _, space = pymor
        V = space.from_numpy(S)  # pyMOR 2026: vectors are columns
        t_py, (dofs, _, data) = _once(
            lambda: ei_greedy(V, error_norm="sup", max_interpolation_dofs=terms)
        )
        print(
            f"pyMOR  ei_greedy(V, error_norm='sup', max_interpolation_dofs={terms})  "
            f"{t_py:.3f} s  (timed once, no warm-up: slow)"
        )
    print()
    step = t_rom / terms
    bandwidth = terms * 2 * S.nbytes / t_rom / 1e9
    print(f"numpy_backend_time / romba_time = {t_np / t_rom:.2f}")
    if t_py is not None:
        print(f"pymor_time / romba_time         = {t_py / t_rom:.2f}")
    print(
        f"per step: {step * 1e3:.1f} ms for {2 * S.nbytes / 1e6:.0f} MB moved (one read and one "
        f"write of the residual) -> {bandwidth:.1f} GB/s"
    )
    print(
        f"         = {bandwidth / refs['numba']:.2f} x the bare numba update pass, "
        f"{bandwidth / refs['add']:.2f} x numpy's 1-thread np.add"
    )
    print(
        "         (the time also covers the Fortran-ordered copy of S and the initial "
        f"measuring pass: {terms} + 2 passes for {terms} counted)"
    )
    same_np = np.array_equal(eim.points_, eim_np.points_) and np.array_equal(
        eim.params_, eim_np.params_
    )
    print(f"romba numba and numpy backends select the same points and parameters: {same_np}")
    print(
        f"errors_: first {eim.errors_[0]:.6g} (1/sqrt(2*0.01**2) = {1 / np.sqrt(2e-4):.6g}), "
        f"after {terms} terms {eim.errors_[-1]:.3e}"
    )
    if t_py is not None:
        same = bool(np.array_equal(dofs, eim.points_))
        errs = np.asarray(data["errors"])
        dev = np.max(np.abs(errs - eim.errors_[: len(errs)]) / eim.errors_[: len(errs)])
        print(f"points identical to pyMOR's interpolation_dofs: {same}")
        if not same:
            k = int(np.argmax(np.asarray(dofs) != eim.points_[: len(dofs)]))
            print(f"  first difference at step {k}: pyMOR {dofs[k]}, romba {eim.points_[k]}")
        print(f"max relative difference of the greedy errors (pyMOR vs romba): {dev:.1e}")
        _check(
            t_py / t_rom >= TARGET_SPEEDUP,
            f"romba at least {TARGET_SPEEDUP:g}x faster than pyMOR ei_greedy",
            f"{t_py / t_rom:.2f}x",
        )
        _check(same, "interpolation points identical to pyMOR's", f"{terms} points")
    else:
        print(f"SKIP: romba at least {TARGET_SPEEDUP:g}x faster than pyMOR ei_greedy (not run)")
        print("SKIP: interpolation points identical to pyMOR's (not run)")
    print()

    complex_part(S, terms, repeat)

    # ---------------------------------------------------------------- (b)
    print(f"## (b) DEIM, {terms} POD modes")
    fits = []  # every call's points: the POD inside DEIM.fit is randomised
    t_deim, deim_rom = best_time(
        lambda: fits.append(DEIM(max_terms=terms).fit(S)) or fits[-1], repeat=repeat
    )
    n_sets = len({tuple(d.points_) for d in fits})
    U = deim_rom.basis_
    print(
        f"romba  DEIM(max_terms={terms}).fit(S) "
        f"(POD method_={deim_rom.pod_.method_!r}, then points)  "
        f"{t_deim:.3f} s, {U.shape[1]} modes"
    )
    print(
        f"       {len(fits)} calls of DEIM(max_terms={terms}).fit(S) "
        f"gave {n_sets} distinct point sets"
    )
    t_sel, _ = best_time(lambda: DEIM.from_basis(U, max_terms=terms), repeat=repeat)
    print(f"romba  DEIM.from_basis(U, max_terms={terms}) (points only)  {t_sel * 1e3:.1f} ms")
    if pymor is None:
        print("pyMOR  deim skipped" + (" (--quick)" if args.quick else " (not installed)"))
        print("SKIP: DEIM points identical on a common basis (pyMOR not run)")
        return
    _, _, deim_py, space = pymor
    V = space.from_numpy(S)
    t_dpy, (dofs_py, basis_py, _) = _once(lambda: deim_py(V, modes=terms))
    U_py = basis_py.to_numpy()
    print(
        f"pyMOR  deim(V, modes={terms}) (default POD, then points)  {t_dpy:.3f} s  (timed once), "
        f"{U_py.shape[1]} modes returned"
    )
    t_dsel, (dofs_on_rom, _, _) = _once(lambda: deim_py(space.from_numpy(U), pod=False))
    print(f"pyMOR  deim(U, pod=False) on romba's {U.shape[1]} modes (points only)  {t_dsel:.3f} s")
    rom_on_py = DEIM.from_basis(U_py).points_
    print()
    print(f"pymor_deim_time / romba_DEIM_fit_time = {t_dpy / t_deim:.2f}  (different mode counts)")
    print(f"pymor_points_only / romba_points_only = {t_dsel / t_sel:.2f}  (same basis)")
    same_rom_basis = bool(np.array_equal(dofs_on_rom, deim_rom.points_))
    same_py_basis = bool(np.array_equal(dofs_py, rom_on_py))
    print(f"on romba's {U.shape[1]} modes:  pyMOR and romba points identical: {same_rom_basis}")
    print(f"on pyMOR's {U_py.shape[1]} modes:  pyMOR and romba points identical: {same_py_basis}")
    k = min(U.shape[1], U_py.shape[1])
    common = len(np.intersect1d(deim_rom.points_[:k], dofs_py[:k]))
    print(
        f"romba's POD basis vs pyMOR's (different algorithms), first {k} DEIM points: "
        f"{common} of {k} in common"
    )
    print(
        f"romba error_constant_ ||(P^T U)^-1||_2 on its {U.shape[1]} modes: "
        f"{deim_rom.error_constant_:.1f}"
    )
    _check(
        same_rom_basis and same_py_basis,
        "DEIM points identical to pyMOR's on a common basis",
        "both bases",
    )


if __name__ == "__main__":
    main()
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
