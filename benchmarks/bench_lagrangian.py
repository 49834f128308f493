"""Online time of the Lagrangian ROM against the full Lagrangian model and the Eulerian ROM.

Problem: a Gaussian pulse (width 0.02) convected once around the periodic unit
interval at speed 1 with viscosity 1e-4 (Peclet number 1e4), 201 snapshots on
``t in [0, 1]``, ``n`` grid nodes (4000; 2000 with ``--quick``).

Contenders, all compiled (numba) classical RK4 loops, each at its own stability
limit:

- the full Lagrangian model ``fem_examples.lagrangian_1d.LagrangianModel1D``
  (Fornberg weights recomputed for every node at every stage);
- the Lagrangian ROM ``rom.lagrangian.LagrangianROM`` with the fewest modes that
  reach a relative space-time error of 1e-3 against the full model (DEIM rows only);
- the Eulerian POD-Galerkin ROM ``rom.lagrangian.EulerianGalerkin`` of the fixed-grid
  model on the same snapshot times, with the fewest modes that reach the Lagrangian
  ROM's error (or its best error when none does, with the count reported).

Errors are measured on the fixed grid (the Lagrangian fields interpolated by cubic
splines). Timings are best-of-N, taken in turns (``best_times``); the ratios are
measured in this one run.

Run ``python benchmarks/bench_lagrangian.py`` or ``--quick``.
"""

from __future__ import annotations

import numpy as np
from _common import benchmark_parser, best_time, best_times, machine_header

from fem_examples.lagrangian_1d import EulerianConvection1D, LagrangianModel1D, gaussian_pulse
from rom.lagrangian import EulerianGalerkin, LagrangianROM

TARGET_SPEEDUP = 50.0
TARGET_MODES = 5
TARGET_MODE_RATIO = 10.0
TOL = 1e-3
VISCOSITY = 1e-4


def _check(ok: bool, what: str, value: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'}: {what} ({value})")


def _relative(A, B) -> float:
    return float(np.linalg.norm(A - B) / np.linalg.norm(B))


def main() -> None:
    parser = benchmark_parser(
        __doc__, "2000 nodes instead of 4000, fewer repeats", "timed repetitions (default 3)"
    )
    args = parser.parse_args()
    n = 2000 if args.quick else 4000
    repeat = 1 if args.quick else args.repeat
    print(machine_header())
    times = np.linspace(0.0, 1.0, 201)
    fom = LagrangianModel1D(n)
    eul = EulerianConvection1D(n)
    w0 = gaussian_pulse(fom.x0, 0.0, width=0.02)
    print(
        f"problem: Gaussian pulse, c = 1, nu = {VISCOSITY:g} (Pe = {1 / VISCOSITY:g}), "
        f"n = {n}, {times.size} snapshots on [0, 1]"
    )

    t_fom, (X, W) = best_time(lambda: fom.solve(w0, times, 1.0, 0.0, VISCOSITY), repeat=repeat)
    F = fom.to_fixed_grid(X, W)
    U = eul.solve(w0, times, 1.0, VISCOSITY)
    A = eul.operator(1.0, VISCOSITY)

    rom = LagrangianROM(rank_state=8, rank_grid=2, period=1.0).fit(W, X)
    errors = {}
    for rw in range(1, rom.ranks_[0] + 1):
        a, b = rom.solve(w0, times, 1.0, 0.0, VISCOSITY, ranks=(rw, 1))
        errors[rw] = _relative(rom.to_fixed_grid(a, b, fom.x0), F)
    rw = min((r for r, e in errors.items() if e <= TOL), default=max(errors))
    lag_modes, lag_error = rw + 1, errors[rw]
    print(
        f"Lagrangian ROM: {rw} state + 1 grid modes, {rom.points_.size} DEIM rows, "
        f"error {lag_error:.2e}"
    )

    eg = EulerianGalerkin(rank=150).fit(U, lambda V: A @ V)
    e_eul = {}
    for r in range(2, eg.basis_.shape[1] + 1, 2):
        e_eul[r] = _relative(eg.reconstruct(eg.solve(U[:, 0], times, rank=r)), U)
    reached = [r for r, e in e_eul.items() if e <= lag_error]
    r_eul = min(reached) if reached else min(e_eul, key=e_eul.get)
    first_tol = min((r for r, e in e_eul.items() if e <= TOL), default=None)
    print(
        f"Eulerian ROM: {r_eul} modes, error {e_eul[r_eul]:.2e} "
        f"({'reaches' if reached else 'best; does not reach'} the Lagrangian ROM's error); "
        f"modes for {TOL:g}: {first_tol if first_tol else f'> {max(e_eul)}'}"
    )

    timings = best_times(
        {
            "lagrangian ROM": lambda: rom.solve(w0, times, 1.0, 0.0, VISCOSITY, ranks=(rw, 1)),
            "eulerian ROM": lambda: eg.solve(U[:, 0], times, rank=r_eul),
        },
        repeat=max(repeat, 3),
    )
    t_lag = timings["lagrangian ROM"][0]
    t_eg = timings["eulerian ROM"][0]
    t_eul_fom, _ = best_time(lambda: eul.solve(w0, times, 1.0, VISCOSITY), repeat=1)
    print()
    print(f"{'model':34s} {'online s':>10s} {'vs Lagrangian ROM':>18s}")
    for name, t in (
        ("full Lagrangian model (RK4)", t_fom),
        ("full Eulerian model (RK4, sparse)", t_eul_fom),
        (f"Eulerian POD-Galerkin ROM ({r_eul})", t_eg),
        (f"Lagrangian ROM ({rw}+1, DEIM)", t_lag),
    ):
        print(f"{name:34s} {t:10.3e} {t / t_lag:17.1f}x")
    print()
    _check(
        t_fom / t_lag >= TARGET_SPEEDUP,
        f"Lagrangian ROM online speed-up over the full Lagrangian model >= {TARGET_SPEEDUP:g}x",
        f"{t_fom / t_lag:.0f}x, n = {n}",
    )
    _check(
        lag_error <= TOL and lag_modes <= TARGET_MODES,
        f"Lagrangian ROM reaches {TOL:g} with <= {TARGET_MODES} modes",
        f"{lag_modes} modes, error {lag_error:.2e}",
    )
    eul_count = first_tol if first_tol else max(e_eul) + 1
    _check(
        eul_count >= TARGET_MODE_RATIO * lag_modes,
        f"Eulerian POD-Galerkin needs >= {TARGET_MODE_RATIO:g}x the modes for {TOL:g}",
        f"{'' if first_tol else '> '}{eul_count if first_tol else max(e_eul)} against {lag_modes}",
    )
    _check(
        t_eg >= t_lag,
        "Lagrangian ROM faster online than the Eulerian ROM at equal accuracy",
        f"{t_eg / t_lag:.1f}x",
    )


if __name__ == "__main__":
    main()
