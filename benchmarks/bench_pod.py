"""POD of a 10000 x 1600 snapshot matrix: romba against numpy's SVD and pyMOR.

The snapshots are ``g(x; mu) = 1 / ||x - mu||`` with ``x`` on a 100 x 100 grid of
``[0, 1]^2`` (rows) and ``mu`` on a 40 x 40 grid of ``[-1, -0.01]^2`` (columns).

(a) 100 modes, accurate to round-off: ``rom.POD(rank=100)`` (method "auto") against
    ``numpy.linalg.svd(S, full_matrices=False)`` and pyMOR's
    ``pod(V, modes=100, method="qr_svd", rtol=0, atol=0, l2_err=0)``.
(b) the modes above ``1e-7 * sigma_1``: ``rom.POD(rtol=1e-7)`` against pyMOR's
    default method of snapshots ``pod(V, rtol=1e-7)``.

Every contender is timed best-of-N after one warm-up call (``time.perf_counter``),
the contenders of each part taking turns, except pyMOR's qr_svd, which is slow
and timed once. The ratios are measured in this one run on this machine; they are
printed, never asserted.

Run ``python benchmarks/bench_pod.py`` (about two minutes on two cores), or
``python benchmarks/bench_pod.py --quick`` for a 2500 x 400 smoke run that skips
pyMOR's qr_svd.
"""

from __future__ import annotations

import time

import numpy as np
from _common import benchmark_parser, best_times, load_average, machine_header, timed_snapshots

import rom

RANK = 100
RTOL = 1e-7
TARGET_VS_NUMPY = 3.0
TARGET_VS_QR_SVD = 10.0
TARGET_VS_SNAPSHOTS = 1.0
TARGET_ACCURACY = 1e-12


def _import_pymor():
    try:
        import pymor
        from pymor.algorithms.pod import pod
        from pymor.core.logger import set_log_levels
        from pymor.vectorarrays.numpy import NumpyVectorSpace
    except ImportError:
        return None
    set_log_levels({"pymor": "ERROR"})
    return pymor.__version__, pod, NumpyVectorSpace


def _deviation(s: np.ndarray, reference: np.ndarray) -> float:
    """max_i |s_i - reference_i| / reference_1 over the values of ``s``."""
    k = min(len(s), len(reference))
    return float(np.max(np.abs(s[:k] - reference[:k])) / reference[0])


def _check(ok: bool, what: str, value: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'}: {what} ({value})")


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(
        __doc__,
        "2500 x 400 matrix, 25 modes, no pyMOR qr_svd (smoke test)",
        "timed calls per contender",
    )
    args = parser.parse_args(argv)
    n_x, n_mu, rank = (50, 20, 25) if args.quick else (100, 40, RANK)
    repeat = args.repeat

    pymor = _import_pymor()
    versions = {"pymor": pymor[0] if pymor else "not installed"}
    print("# POD benchmark (benchmarks/bench_pod.py" + (" --quick)" if args.quick else ")"))
    print(machine_header(versions))
    S = timed_snapshots(n_x, n_mu)
    print(
        f"timing: best of {repeat} after 1 warm-up call each, time.perf_counter, "
        "contenders timed in turns"
    )
    if args.quick:
        print("--quick: smaller problem, 25 modes; the targets are meant for the full run")
    print()

    # ---------------------------------------------------------------- (a)
    print(f"## (a) {rank} modes, accurate to round-off")
    timed = best_times(
        {
            "numpy": lambda: np.linalg.svd(S, full_matrices=False),
            "romba": lambda: rom.POD(rank=rank).fit(S),
        },
        repeat=repeat,
    )
    t_np, (_, s_np, _) = timed["numpy"]
    t_rom, pod_rom = timed["romba"]
    s_rom = pod_rom.singular_values_
    print(f"romba  POD(rank={rank})  {t_rom:.3f} s")
    print(f"       method_={pod_rom.method_!r}, n_iter_={pod_rom.n_iter_}, {pod_rom.rank_} modes")
    print(f"numpy  linalg.svd(S, full_matrices=False)  {t_np:.3f} s")
    t_qr = s_qr = None
    if pymor is None:
        print("pyMOR  not installed: qr_svd skipped")
    elif args.quick:
        print("pyMOR  pod(method='qr_svd') skipped (--quick)")
    else:
        _, pod_pymor, space = pymor
        V = space.from_numpy(S)
        start = time.perf_counter()
        _, s_qr = pod_pymor(V, modes=rank, method="qr_svd", rtol=0, atol=0, l2_err=0)
        t_qr = time.perf_counter() - start
        print(
            f"pyMOR  pod(V, modes={rank}, method='qr_svd', rtol=0, atol=0, l2_err=0)  "
            f"{t_qr:.3f} s  (timed once, no warm-up: slow)"
        )
    print()
    ratio_np = t_np / t_rom
    err_rom = _deviation(s_rom, s_np[:rank])
    print(f"numpy_time / romba_time         = {ratio_np:.2f}")
    if t_qr is not None:
        ratio_qr = t_qr / t_rom
        err_qr = _deviation(s_qr, s_np[:rank])
        print(f"pymor_qr_svd_time / romba_time  = {ratio_qr:.2f}")
    print(f"max|s_romba - s_numpy| / s_numpy[0] = {err_rom:.1e}  (first {len(s_rom)} values)")
    if t_qr is not None:
        print(f"max|s_pymor - s_numpy| / s_numpy[0] = {err_qr:.1e}  (first {len(s_qr)} values)")
    print(
        f"(sigma_{rank} / sigma_1 = {s_np[rank - 1] / s_np[0]:.1e}, "
        f"sigma_{rank + 1} / sigma_1 = {s_np[rank] / s_np[0]:.1e})"
    )
    _check(
        ratio_np >= TARGET_VS_NUMPY,
        f"romba at least {TARGET_VS_NUMPY:g}x faster than numpy's full SVD",
        f"{ratio_np:.2f}x",
    )
    if t_qr is None:
        print(f"SKIP: romba at least {TARGET_VS_QR_SVD:g}x faster than pyMOR qr_svd (not run)")
    else:
        _check(
            ratio_qr >= TARGET_VS_QR_SVD,
            f"romba at least {TARGET_VS_QR_SVD:g}x faster than pyMOR qr_svd",
            f"{ratio_qr:.2f}x",
        )
    _check(
        err_rom <= TARGET_ACCURACY,
        f"romba singular values within {TARGET_ACCURACY:.0e} * sigma_1 of numpy's",
        f"{err_rom:.1e}",
    )
    print()

    # ---------------------------------------------------------------- (b)
    print(f"## (b) only the modes above {RTOL:g} * sigma_1")
    contenders = {"romba": lambda: rom.POD(rtol=RTOL).fit(S)}
    if pymor is not None:
        _, pod_pymor, space = pymor
        V = space.from_numpy(S)
        contenders["pymor"] = lambda: pod_pymor(V, rtol=RTOL)
    timed = best_times(contenders, repeat=repeat)
    t_rom_b, pod_b = timed["romba"]
    s_rom_b = pod_b.singular_values_
    n_np = int(np.sum(s_np > RTOL * s_np[0]))
    print(f"romba  POD(rtol={RTOL:g})  {t_rom_b:.3f} s")
    print(f"       method_={pod_b.method_!r}, n_iter_={pod_b.n_iter_}, {pod_b.rank_} modes")
    if pymor is None:
        print("pyMOR  not installed: method of snapshots skipped")
    else:
        t_mos, (_, s_mos) = timed["pymor"]
        print(f"pyMOR  pod(V, rtol={RTOL:g}) (method of snapshots)  {t_mos:.3f} s")
        print(f"       {len(s_mos)} modes")
    print(f"numpy  {n_np} singular values above {RTOL:g} * sigma_1")
    print()
    err_rom_b = _deviation(s_rom_b, s_np)
    if pymor is not None:
        ratio_mos = t_mos / t_rom_b
        err_mos = _deviation(s_mos, s_np)
        print(f"pymor_snapshots_time / romba_time = {ratio_mos:.2f}")
    print(
        f"modes: romba {pod_b.rank_}, "
        + (f"pyMOR {len(s_mos)}, " if pymor is not None else "")
        + f"numpy {n_np}"
    )
    print(f"max|s_romba - s_numpy| / s_numpy[0] = {err_rom_b:.1e}  (first {len(s_rom_b)} values)")
    if pymor is not None:
        print(f"max|s_pymor - s_numpy| / s_numpy[0] = {err_mos:.1e}  (first {len(s_mos)} values)")
        _check(
            ratio_mos >= TARGET_VS_SNAPSHOTS,
            "romba no slower than pyMOR's method of snapshots",
            f"{ratio_mos:.2f}x",
        )
    else:
        print("SKIP: romba no slower than pyMOR's method of snapshots (pyMOR not installed)")
    _check(
        err_rom_b <= TARGET_ACCURACY,
        f"romba singular values within {TARGET_ACCURACY:.0e} * sigma_1 of numpy's",
        f"{err_rom_b:.1e}",
    )
    _check(
        pod_b.rank_ == n_np,
        f"romba keeps exactly numpy's modes above {RTOL:g} * sigma_1",
        f"{pod_b.rank_} vs {n_np}",
    )
    print()
    print(f"{load_average()} at the end of the run")


if __name__ == "__main__":
    main()
