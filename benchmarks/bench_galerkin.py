"""Hyper-reduced POD-Galerkin model of the viscous Burgers equation against the full model.

Full model: ``fem_examples.burgers_1d.Burgers1D``, central finite differences on a
uniform grid of ``n`` unknowns on (0, 2), Dirichlet states 1 and 0, the smooth
front of width 0.05 at x = 0.5 as initial condition, integrated to t = 1 (the
front steepens and travels to x ~ 1). The parameter is the viscosity.

Offline: full solutions at ``TRAIN`` viscosities (41 output times each), POD of
the states (rank ``r``), DEIM of the convective term (``m`` points; the diffusion
is linear and is projected exactly). The smallest candidate ``(r, m)`` whose error
is below the target is kept.

Online, at a viscosity outside the training set, timed best-of-N:

- the full model with the same adaptive ROS34PW2 Rosenbrock integrator and the sparse
  Jacobian (SuperLU), and with ``scipy.integrate.solve_ivp`` BDF and the sparse
  Jacobian (LU reused across steps); the faster of the two is the baseline;
- the hyper-reduced model (ROS34PW2 with the reduced Jacobian ``K + E J[P, S] Phi_S``)
  on its compiled online path: the central flux makes the reduced right-hand side a
  quadratic polynomial ``c + B a + W(a, a)`` of the coordinates, identified from
  ``(r + 1)(r + 2)/2`` rows evaluations and verified at the start of every solve
  (that cost is in the timing), then integrated in one numba-compiled call (two
  small products per stage with NumPy alone);
- the same reduced model on its reference path ("ROM rows": ``rhs_entries`` and
  ``jacobian_entries`` at every stage), to show what the compiled path saves.

The error is ``||U_rom - U_ref||_F / ||U_ref||_F`` over all output times, with
``U_ref`` the full model solved at tight tolerance. The target: the hyper-reduced
model at about 1e-3 relative error at least 50 times faster online than the full
model. Ratios are measured in this one run on this machine, printed, never asserted.

The online cost of the reduced model does not depend on ``n`` and the full model's
grows linearly, so the ratio grows with ``n``: it is reported for ``n = 10000`` and
``n = 20000`` (``--n`` chooses others).

Run ``python benchmarks/bench_galerkin.py`` (a few minutes on two cores) or
``python benchmarks/bench_galerkin.py --quick`` (n = 2000, no speed-up check).
"""

from __future__ import annotations

import copy
import sys
import time
from pathlib import Path

import numpy as np
from _common import benchmark_parser, best_times, machine_header

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fem_examples.burgers_1d import Burgers1D
from rom.galerkin import GalerkinROM, integrate
from rom.linalg import POD

TRAIN = (0.006, 0.008, 0.011, 0.015, 0.02)
TEST = 0.0095
TARGET_ERROR = 1e-3
TARGET_SPEEDUP = 50.0
CANDIDATES = ((12, 24), (16, 32), (20, 40), (24, 48), (28, 56), (32, 64))
# tolerances of the local error: the full model well below the target error (its
# solution is the truth), the reduced model near it (the reduction error dominates)
TOL_FULL = dict(rtol=1e-4, atol=1e-7)
TOL_ROM = dict(rtol=1e-3, atol=1e-6)


def _check(ok: bool, what: str, value: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'}: {what} ({value})")


def _relative_error(A: np.ndarray, B: np.ndarray) -> float:
    return float(np.linalg.norm(A - B) / np.linalg.norm(B))


def run(n: int, repeat: int, quick: bool) -> float:
    """Build and time everything on a grid of ``n`` unknowns; return the speed-up."""
    fom = Burgers1D(n, domain=(0.0, 2.0), scheme="central")
    u0 = fom.initial_condition(center=0.5, width=0.05)
    times = np.linspace(0.0, 1.0, 41)
    online_times = times[::4]  # 11 output times

    start = time.perf_counter()
    train = [fom.solve(u0, times, nu, rtol=1e-7, atol=1e-10) for nu in TRAIN]
    offline_full = time.perf_counter() - start
    reference = fom.solve(u0, online_times, TEST, rtol=1e-10, atol=1e-12)
    S = np.hstack(train)
    print(
        f"\nfull model: Burgers1D n = {n}, central flux, h = {fom.h:.3g}, t in [0, 1]; "
        f"training viscosities {TRAIN} ({times.size} times each), test {TEST} "
        f"({online_times.size} output times)"
    )
    # the POD of the states and of the convective term, once; each candidate truncates
    start = time.perf_counter()
    pod = POD(rank=CANDIDATES[-1][0]).fit(S)
    L, b = fom.linear_operators[0], fom.linear_offsets[0]
    G = np.hstack(
        [fom.rhs(T, nu) - nu * (L @ T + b[:, None]) for T, nu in zip(train, TRAIN, strict=True)]
    )
    pod_g = POD(rank=CANDIDATES[-1][1]).fit(G)
    G_modes = pod_g.basis_ * pod_g.singular_values_  # the same POD modes as G, smaller
    offline_pod = time.perf_counter() - start
    print(
        f"offline: {len(TRAIN)} full solves {offline_full:.2f} s, "
        f"POD of states and nonlinear term {offline_pod:.2f} s"
    )
    print(f"{'r':>4} {'m':>4} {'s':>4} {'rel. error':>11} {'POD proj.':>10} {'fit (s)':>8}")
    for r, m in CANDIDATES:
        start = time.perf_counter()
        rom = GalerkinROM(pod.basis_[:, :r], fom, "deim", deim_rank=m)
        rom.fit(nonlinear_snapshots=G_modes)
        fit_time = time.perf_counter() - start
        A = rom.solve(u0, online_times, TEST, autonomous=True, **TOL_ROM)
        err = _relative_error(rom.reconstruct(A), reference)
        proj = _relative_error(rom.reconstruct(rom.project(reference)), reference)
        print(f"{r:4d} {m:4d} {rom.stencil_.size:4d} {err:11.3e} {proj:10.3e} {fit_time:8.2f}")
        if err <= TARGET_ERROR:
            break
    r, m = rom.rank_, rom.n_points_

    # the same reduced model on its reference path: the rows of f at every stage
    rows = copy.copy(rom)
    rows._fast_online = False
    stats_full: dict = {}
    stats_rom: dict = {}
    timings = best_times(
        {
            "full ROS34PW2": lambda: integrate(
                lambda t, u: fom.rhs(u, TEST),
                u0,
                online_times,
                jacobian=lambda t, u: fom.jacobian(u, TEST),
                autonomous=True,
                stats=stats_full,
                **TOL_FULL,
            ),
            "full BDF": lambda: fom.solve(u0, online_times, TEST, "BDF", **TOL_FULL),
            "ROM DEIM": lambda: rom.solve(
                u0, online_times, TEST, autonomous=True, stats=stats_rom, **TOL_ROM
            ),
            "ROM rows": lambda: rows.solve(u0, online_times, TEST, autonomous=True, **TOL_ROM),
        },
        repeat=repeat,
    )
    t_ros, U_ros = timings["full ROS34PW2"]
    t_bdf, U_bdf = timings["full BDF"]
    t_rom, A = timings["ROM DEIM"]
    t_rows, A_rows = timings["ROM rows"]
    err_ros = _relative_error(U_ros, reference)
    err_bdf = _relative_error(U_bdf, reference)
    err_rom = _relative_error(rom.reconstruct(A), reference)
    print(
        f"ROM: r = {r}, DEIM m = {m}, stencil s = {rom.stencil_.size} rows of the basis used "
        f"online (of n = {n})"
    )
    print(f"{'solver':<12} {'time (s)':>10} {'steps':>6} {'rel. error':>11}")
    print(f"{'full ROS34PW2':<12} {t_ros:10.4f} {stats_full['steps']:6d} {err_ros:11.3e}")
    print(f"{'full BDF':<12} {t_bdf:10.4f} {'':>6} {err_bdf:11.3e}")
    print(f"{'ROM DEIM':<12} {t_rom:10.4f} {stats_rom['steps']:6d} {err_rom:11.3e}")
    err_rows = _relative_error(rom.reconstruct(A_rows), reference)
    print(f"{'ROM rows':<12} {t_rows:10.4f} {'':>6} {err_rows:11.3e}")
    gap = _relative_error(A, A_rows)
    print(
        f"compiled online path (quadratic F(a) = c + B a + W(a, a), identified and verified): "
        f"{t_rows / t_rom:.1f}x faster than the rows of f at every stage, same trajectory "
        f"to {gap:.1e}"
    )
    ratio = min(t_ros, t_bdf) / t_rom
    print(
        f"speed-up online (n = {n}): {t_ros / t_rom:.1f}x against full ROS34PW2, "
        f"{t_bdf / t_rom:.1f}x against full BDF"
    )
    _check(
        err_rom <= 1.5 * TARGET_ERROR, f"n = {n}: ROM relative error about 1e-3", f"{err_rom:.2e}"
    )
    if quick:
        print(f"(quick run: speed-up {ratio:.1f}x against the faster full solver, not checked)")
    else:
        _check(
            ratio >= TARGET_SPEEDUP,
            f"n = {n}: ROM at least {TARGET_SPEEDUP:.0f}x faster online than the faster "
            "full solver",
            f"{ratio:.1f}x",
        )
    return ratio


def main() -> None:
    parser = benchmark_parser(
        __doc__,
        "small grid (n = 2000), a smoke run",
        "timed repetitions (best of N)",
    )
    parser.add_argument(
        "--n",
        type=int,
        nargs="+",
        default=[10000, 20000],
        help="grid sizes of the full model",
    )
    args = parser.parse_args()
    print(machine_header())
    for n in [2000] if args.quick else args.n:
        run(n, args.repeat, args.quick)


if __name__ == "__main__":
    main()
