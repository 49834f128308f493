"""Lagrangian against Eulerian POD-Galerkin on convection and Burgers (``rom demo lagrangian``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CASES", "INTRO", "LEGEND", "format_table", "lagrangian_demo", "modes_for", "run_case"]

#: what the demonstration does, printed before it runs
INTRO = """\
Lagrangian against Eulerian reduced bases. A Gaussian pulse is convected once around a
periodic domain (Peclet numbers infinity, 1e4, 1e3) and a viscous Burgers front moves
to the right. An Eulerian POD basis sees a moving shape as many different fields and
needs many modes; a Lagrangian basis reduces the state and the moving grid separately
(r_w + r_x modes, DEIM for the nonlinear terms) and follows the motion with a few.
For each problem: the modes each reduced model needs for relative errors 1e-2 and
1e-3 (space-time, against its own full model), and the run times."""

#: the columns of :func:`format_table`
LEGEND = """\
columns: n = grid points of the full models; L / E 1e-2, 1e-3 = modes the Lagrangian
(r_w + r_x) / Eulerian reduced model needs for that relative error (None: not reached);
(r_w,r_x) = the Lagrangian split used at 1e-3; DEIM = interpolation points; L / E ROM s
= run time of each reduced model at 1e-3; L FOM s = run time of the Lagrangian full
model (kernels compiled beforehand: the time excludes compilation)."""

#: the problems: name -> (flux speed c, burgers coefficient k, viscosity, end time)
CASES = {
    "convection, Pe = inf": dict(velocity=1.0, burgers=0.0, viscosity=0.0),
    "convection, Pe = 1e4": dict(velocity=1.0, burgers=0.0, viscosity=1e-4),
    "convection, Pe = 1e3": dict(velocity=1.0, burgers=0.0, viscosity=1e-3),
    "Burgers, nu = 1e-2": dict(velocity=0.0, burgers=1.0, viscosity=1e-2),
}

#: the pulse and the front
PULSE = dict(center=0.3, width=0.02)
FRONT = dict(u_left=1.0, u_right=0.0, center=0.25, width=0.05)
BURGERS_END = 0.3


def _relative(A: np.ndarray, B: np.ndarray) -> float:
    return float(np.linalg.norm(A - B) / np.linalg.norm(B))


def modes_for(errors: dict[int, float], tol: float) -> int | None:
    """Smallest number of modes whose error is at most ``tol`` (None if none is).

    Examples
    --------
    >>> from rom.demo.lagrangian import modes_for
    >>> modes_for({2: 0.1, 3: 5e-4, 4: 1e-5}, 1e-3)
    3
    """
    ok = [k for k, e in sorted(errors.items()) if e <= tol]
    return ok[0] if ok else None


def run_case(name: str, n: int, n_times: int, max_eulerian: int = 80) -> dict[str, Any]:
    """Full models, both ROMs and their errors for one problem of :data:`CASES`.

    Errors are relative space-time Frobenius errors of each ROM against its own
    full-order model on the fixed grid (the Lagrangian fields interpolated there).

    Examples
    --------
    >>> from rom.demo.lagrangian import run_case
    >>> r = run_case("convection, Pe = inf", 200, 41, max_eulerian=20)  # doctest: +SKIP
    >>> r["lagrangian_modes_1e-03"]  # doctest: +SKIP
    2
    """
    from fem_examples import lagrangian_1d as lag
    from rom.lagrangian import EulerianGalerkin, GridCrossingError, LagrangianROM

    p = CASES[name]
    burgers = p["burgers"] != 0
    if burgers:
        from fem_examples.burgers_1d import Burgers1D, cole_hopf

        eul = Burgers1D(n, domain=(0.0, 1.0), boundary_values=(1.0, 0.0))
        fom = lag.LagrangianModel1D(n + 2, periodic=False, width=5)
        times = np.linspace(0.0, BURGERS_END, n_times)
        w0 = cole_hopf(fom.x0, 0.0, p["viscosity"], **FRONT)
        y = eul.x
        u0 = eul.initial_condition(**{k: FRONT[k] for k in ("center", "width")})
        eul.solve(u0, times[:2], p["viscosity"])  # warm-up: compile before timing
        t0 = time.perf_counter()
        U = eul.solve(u0, times, p["viscosity"])
        t_eul_fom = time.perf_counter() - t0

        def rhs(V):
            return eul.rhs(V, p["viscosity"])

        method = "bdf"
        period = None
    else:
        eul = lag.EulerianConvection1D(n)
        fom = lag.LagrangianModel1D(n)
        times = np.linspace(0.0, 1.0, n_times)
        y = eul.x
        w0 = lag.gaussian_pulse(fom.x0, 0.0, **PULSE)
        A = eul.operator(p["velocity"], p["viscosity"])
        u0 = lag.gaussian_pulse(y, 0.0, **PULSE)
        eul.solve(u0, times[:2], p["velocity"], p["viscosity"])  # warm-up: compile first
        t0 = time.perf_counter()
        U = eul.solve(u0, times, p["velocity"], p["viscosity"])
        t_eul_fom = time.perf_counter() - t0

        def rhs(V):
            return A @ V

        method = "rk4"
        period = fom.period
    fom.solve(w0, times[:2], method=method, **p)  # warm-up: the time excludes compilation
    t0 = time.perf_counter()
    X, W = fom.solve(w0, times, method=method, **p)
    t_lag_fom = time.perf_counter() - t0
    F = fom.to_fixed_grid(X, W, y)

    rom = LagrangianROM(rank_state=12, rank_grid=12, width=fom.width, period=period).fit(W, X)
    rw_max, rx_max = rom.ranks_
    lag_errors: dict[int, float] = {}
    lag_split: dict[int, tuple[int, int]] = {}
    for total in range(2, rw_max + rx_max + 1):
        for rw in range(1, total):
            rx = total - rw
            if rw > rw_max or rx > rx_max:
                continue
            try:
                a, b = rom.solve(w0, times, ranks=(rw, rx), **p)
                e = _relative(rom.to_fixed_grid(a, b, y), F)
            except (GridCrossingError, FloatingPointError):
                continue
            if e < lag_errors.get(total, np.inf):
                lag_errors[total], lag_split[total] = e, (rw, rx)
    eg = EulerianGalerkin(rank=max_eulerian).fit(U, rhs)
    eul_errors: dict[int, float] = {}
    for r in range(1, eg.basis_.shape[1] + 1):
        try:
            eul_errors[r] = _relative(eg.reconstruct(eg.solve(U[:, 0], times, rank=r)), U)
        except FloatingPointError:
            continue
    result: dict[str, Any] = {
        "name": name,
        "n": n,
        "times": times,
        "y": y,
        "fom_fixed": F,
        "eulerian_fom": U,
        "lagrangian_fom_seconds": t_lag_fom,
        "eulerian_fom_seconds": t_eul_fom,
        "lagrangian_errors": lag_errors,
        "lagrangian_split": lag_split,
        "eulerian_errors": eul_errors,
        "state_singular_values": rom.pod_.state_pod_.singular_values_,
        "grid_singular_values": rom.pod_.grid_pod_.singular_values_,
        "eulerian_singular_values": eg.singular_values_,
        "deim_points": int(rom.points_.size),
    }
    for tol in (1e-2, 1e-3):
        result[f"lagrangian_modes_{tol:.0e}"] = modes_for(lag_errors, tol)
        result[f"eulerian_modes_{tol:.0e}"] = modes_for(eul_errors, tol)
    # the ROMs at 1e-3 (or their best), timed and followed over time
    k_lag = result["lagrangian_modes_1e-03"] or min(lag_errors, key=lag_errors.get)
    k_eul = result["eulerian_modes_1e-03"] or min(eul_errors, key=eul_errors.get)
    split = lag_split[k_lag]
    start = time.perf_counter()
    a, b = rom.solve(w0, times, ranks=split, **p)
    result["lagrangian_rom_seconds"] = time.perf_counter() - start
    start = time.perf_counter()
    ae = eg.solve(U[:, 0], times, rank=k_eul)
    result["eulerian_rom_seconds"] = time.perf_counter() - start
    Fl = rom.to_fixed_grid(a, b, y)
    Fe = eg.reconstruct(ae)
    result["lagrangian_rom_fixed"], result["eulerian_rom_fixed"] = Fl, Fe
    result["lagrangian_error_over_time"] = np.linalg.norm(Fl - F, axis=0) / np.linalg.norm(
        F, axis=0
    )
    result["eulerian_error_over_time"] = np.linalg.norm(Fe - U, axis=0) / np.linalg.norm(U, axis=0)
    result["lagrangian_modes_used"], result["eulerian_modes_used"] = split, k_eul
    return result


def _pyplot() -> Any:
    """``matplotlib.pyplot`` on the file-only Agg backend (imported on use)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, output: Path) -> None:
    """Lay out ``fig``, write it to ``output`` atomically and close it."""
    import matplotlib.pyplot as plt

    from rom.io.persist import atomic_write

    fig.tight_layout()
    with atomic_write(output) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)


def _plot_final_fields(ax: Any, r: dict[str, Any], suffix: str = "") -> None:
    """The full model's and both ROMs' fields of result ``r`` at its final time."""
    rw, rx = r["lagrangian_modes_used"]
    ax.plot(r["y"], r["fom_fixed"][:, -1], "k", lw=2, label="full model")
    lagrangian = f"Lagrangian{suffix} ({rw}+{rx})"
    ax.plot(r["y"], r["lagrangian_rom_fixed"][:, -1], "C0--", label=lagrangian)
    ax.plot(
        r["y"],
        r["eulerian_rom_fixed"][:, -1],
        "C3:",
        label=f"Eulerian{suffix} ({r['eulerian_modes_used']})",
    )


def _figure(results: list[dict[str, Any]], output: Path) -> None:
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    r = results[1] if len(results) > 1 else results[0]
    ax = axes[0, 0]
    _plot_final_fields(ax, r, " ROM")
    ax.set(title=f"{r['name']}: fields at t = {r['times'][-1]:g}", xlabel="y")
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    for key, style, label in (
        ("eulerian_singular_values", "C3-", "Eulerian state"),
        ("state_singular_values", "C0-", "Lagrangian state"),
        ("grid_singular_values", "C2-", "Lagrangian grid"),
    ):
        s = r[key]
        ax.semilogy(np.arange(1, s.size + 1), s / s[0], style, marker=".", label=label)
    ax.set(title=f"{r['name']}: singular values", xlabel="index", ylabel="sigma_i / sigma_1")
    ax.legend(fontsize=8)
    ax = axes[1, 0]
    for i, res in enumerate(results):
        le, ee = res["lagrangian_errors"], res["eulerian_errors"]
        ax.semilogy(list(le), list(le.values()), f"C{i}-o", ms=3, label=f"Lag. {res['name']}")
        ax.semilogy(list(ee), list(ee.values()), f"C{i}:", label=f"Eul. {res['name']}")
    ax.axhline(1e-3, color="gray", lw=0.5)
    ax.set(
        title="ROM error against modes",
        xlabel="modes (Lagrangian: r_w + r_x)",
        ylabel="relative error",
        xscale="log",
    )
    ax.legend(fontsize=6)
    ax = axes[1, 1]
    for i, res in enumerate(results):
        ax.semilogy(
            res["times"],
            np.maximum(res["lagrangian_error_over_time"], 1e-16),
            f"C{i}-",
            label=f"Lag. {res['name']}",
        )
        ax.semilogy(
            res["times"],
            np.maximum(res["eulerian_error_over_time"], 1e-16),
            f"C{i}:",
            label=f"Eul. {res['name']}",
        )
    ax.set(title="error over time (ROMs at 1e-3)", xlabel="t", ylabel="relative error")
    ax.legend(fontsize=6)
    _save(fig, output)


def _plot_solutions(results: list[dict[str, Any]], output: Path) -> None:
    """The fields at the final time: full model and both ROMs, one panel per problem."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, len(results), figsize=(4 * len(results), 3.5), squeeze=False)
    for ax, r in zip(axes[0], results, strict=True):
        _plot_final_fields(ax, r)
        ax.set(title=f"{r['name']}, t = {r['times'][-1]:g}", xlabel="y")
        ax.title.set_fontsize(9)
        ax.legend(fontsize=7)
    _save(fig, output)


def _plot_errors(results: list[dict[str, Any]], output: Path) -> None:
    """ROM errors against the number of modes, every problem, both bases."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, res in enumerate(results):
        le, ee = res["lagrangian_errors"], res["eulerian_errors"]
        ax.semilogy(
            list(le), list(le.values()), f"C{i}-o", ms=3, label=f"Lagrangian, {res['name']}"
        )
        ax.semilogy(list(ee), list(ee.values()), f"C{i}:", label=f"Eulerian, {res['name']}")
    for tol in (1e-2, 1e-3):
        ax.axhline(tol, color="gray", lw=0.5)
    ax.set(
        xlabel="modes (Lagrangian: r_w + r_x)",
        ylabel="relative space-time error",
        xscale="log",
        title="reduced models against their full models",
    )
    ax.legend(fontsize=6)
    _save(fig, output)


def lagrangian_demo(
    output: str | Path,
    quick: bool = False,
    plot_solutions: str | Path | None = None,
    plot_errors: str | Path | None = None,
) -> dict:
    """Run the Lagrangian/Eulerian comparison and write its figure to ``output``.

    Four problems (:data:`CASES`): a Gaussian pulse convected once around a periodic
    domain at Peclet numbers infinity, 1e4 and 1e3, and a viscous Burgers front
    (``fem_examples.burgers_1d``). For each: the Lagrangian and Eulerian full models,
    the Lagrangian ROM (DEIM-hyper-reduced) and the Eulerian POD-Galerkin ROM on the
    same snapshot times, the modes each needs for relative errors 1e-2 and 1e-3, the
    online times and the errors over time.

    Parameters
    ----------
    output : str or Path
        The figure file (PNG), written atomically.
    quick : bool
        A small grid (400 nodes, 101 snapshots) instead of 2000 nodes and 201.
    plot_solutions, plot_errors : str or Path, optional
        Also write the final fields of every problem, and the errors against the
        number of modes, to these PNG files.

    Returns
    -------
    dict
        ``"table"``: one row per problem (the mode counts and timings), ``"cases"``:
        the full results.

    Examples
    --------
    >>> import tempfile, os
    >>> from rom.demo.lagrangian import lagrangian_demo
    >>> path = os.path.join(tempfile.mkdtemp(), "lagrangian.png")
    >>> out = lagrangian_demo(path, quick=True)  # doctest: +SKIP
    >>> sorted(out)  # doctest: +SKIP
    ['cases', 'figure', 'table']
    """
    output = Path(output)
    n, n_times = (400, 101) if quick else (2000, 201)
    results = []
    for name in CASES:
        burgers = CASES[name]["burgers"] != 0
        results.append(
            run_case(name, 250 if (burgers and quick) else (500 if burgers else n), n_times)
        )
    table = [
        {
            "problem": r["name"],
            "n": r["n"],
            "lagrangian_1e-2": r["lagrangian_modes_1e-02"],
            "eulerian_1e-2": r["eulerian_modes_1e-02"],
            "lagrangian_1e-3": r["lagrangian_modes_1e-03"],
            "eulerian_1e-3": r["eulerian_modes_1e-03"],
            "lagrangian_split_1e-3": r["lagrangian_modes_used"],
            "deim_points": r["deim_points"],
            "lagrangian_rom_seconds": r["lagrangian_rom_seconds"],
            "eulerian_rom_seconds": r["eulerian_rom_seconds"],
            "lagrangian_fom_seconds": r["lagrangian_fom_seconds"],
            "eulerian_fom_seconds": r["eulerian_fom_seconds"],
        }
        for r in results
    ]
    _figure(results, output)
    out = {"table": table, "cases": results, "figure": str(output)}
    if plot_solutions:
        _plot_solutions(results, Path(plot_solutions))
        out["solutions_figure"] = str(plot_solutions)
    if plot_errors:
        _plot_errors(results, Path(plot_errors))
        out["errors_figure"] = str(plot_errors)
    return out


def format_table(table: list[dict]) -> str:
    """The demo's table (``lagrangian_demo(...)["table"]``) as fixed-width text.

    Examples
    --------
    >>> from rom.demo.lagrangian import format_table
    >>> row = {"problem": "p", "n": 10, "deim_points": 1, "lagrangian_split_1e-3": (1, 1)}
    >>> row.update({"lagrangian_1e-2": 2, "eulerian_1e-2": 9, "lagrangian_1e-3": 2,
    ...             "eulerian_1e-3": None, "lagrangian_rom_seconds": 1e-3,
    ...             "eulerian_rom_seconds": 1e-2, "lagrangian_fom_seconds": 1.0})
    >>> format_table([row]).splitlines()[1].split()[:6]
    ['p', '10', '2', '9', '2', 'None']
    """
    lines = [
        f"{'problem':24s} {'n':>5s} {'L 1e-2':>7s} {'E 1e-2':>7s} {'L 1e-3':>7s} "
        f"{'E 1e-3':>7s} {'(r_w,r_x)':>9s} {'DEIM':>5s} {'L ROM s':>9s} {'E ROM s':>9s} "
        f"{'L FOM s':>8s}"
    ]
    for row in table:
        lines.append(
            f"{row['problem']:24s} {row['n']:5d} {row['lagrangian_1e-2']!s:>7s} "
            f"{row['eulerian_1e-2']!s:>7s} {row['lagrangian_1e-3']!s:>7s} "
            f"{row['eulerian_1e-3']!s:>7s} {row['lagrangian_split_1e-3']!s:>9s} "
            f"{row['deim_points']:5d} {row['lagrangian_rom_seconds']:9.2e} "
            f"{row['eulerian_rom_seconds']:9.2e} {row['lagrangian_fom_seconds']:8.2f}"
        )
    return "\n".join(lines)
