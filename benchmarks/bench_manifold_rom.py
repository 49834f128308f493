"""Manifold Galerkin and LSPG reduced models of the viscous Burgers equation against the
full model and against hyper-reduced POD-Galerkin.

Full model: ``fem_examples.burgers_1d.Burgers1D``, the Engquist-Osher (upwind) flux on
a uniform grid of ``n`` unknowns on (0, 1), Dirichlet states 1 and 0, the front of
width 0.05 at x = 0.2 as initial condition, integrated to t = 0.5 by BDF2 with the
step ``DT`` (Newton, sparse Jacobian, SuperLU). The parameter is the viscosity.

Offline: full solutions at the ``TRAIN`` viscosities (51 output times each, SciPy's
BDF at tight tolerances), the
reductions fitted to all of them, ``f`` at the snapshots for the hyper-reduction.
Online, at the viscosity ``TEST`` (outside the training set), timed best-of-N:

- the full model, BDF2 with the step ``DT`` (its solution is the reference);
- POD-Galerkin with DEIM (:class:`rom.galerkin.GalerkinROM`, adaptive ROS34PW2);
- quadratic-manifold Galerkin, gappy hyper-reduction (:class:`rom.manifold.ManifoldROM`,
  BDF2 with the step ``DT``, Newton);
- quadratic-manifold LSPG, gappy hyper-reduction (BDF2, Gauss-Newton);
- with ``--autoencoder``, autoencoder LSPG with gappy hyper-reduction: a
  :class:`rom.manifold.torch.PODAutoencoder` (``AE_SETTINGS``: a network on 40 POD
  coefficients, full-batch Adam, about a minute of training on one core; off by
  default for that reason) at the sample sizes ``AE_SAMPLES``, and the same model on
  every row (its error only: what the manifold allows without hyper-reduction). For
  it and for the quadratic LSPG, the time of one Gauss-Newton iteration is split into
  decoding, the decoder's tangent, the residual (``f`` and its tangent on the sample
  rows) and the least squares.

For each, the smallest candidate size whose error is below ``TARGET_ERROR`` is kept
(or the most accurate one). The error is ``||U_rom - U_ref||_F / ||U_ref||_F`` over the
output times. The target: the manifold ROMs at about 1e-3 relative error at least
20 times faster online than the full model. Ratios are measured in this one run,
printed, never asserted. A figure (error against online time per time step) is
written to ``manifold_rom.png`` in the working directory (``--figure`` changes it).

Run ``python benchmarks/bench_manifold_rom.py`` (n = 10000, a few minutes on two
cores) or ``--quick`` (n = 2000, no speed-up check).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse
import scipy.sparse.linalg
from _common import benchmark_parser, best_times, load_average, machine_header

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fem_examples.burgers_1d import Burgers1D
from rom.galerkin import GalerkinROM
from rom.linalg import POD
from rom.manifold import ManifoldROM, QuadraticManifold

TRAIN = (0.007, 0.009, 0.011, 0.014)
TEST = 0.01
T_END = 0.5
DT = 0.002
OUTPUT_EVERY = 5  # steps between output times
TARGET_ERROR = 1e-3
TARGET_SPEEDUP = 20.0
POD_CANDIDATES = ((8, 16), (12, 24), (16, 32), (20, 40), (24, 48))
QM_CANDIDATES = ((5, 20, 40), (6, 24, 48), (8, 32, 64), (8, 48, 96))
#: the autoencoder of ``--autoencoder``: a network on POD coefficients, trained on the CPU
AE_SETTINGS = {
    "rank": 6,
    "pod_rank": 40,
    "pod_tol": None,
    "hidden": (128, 64),
    "epochs": 16000,
    "batch_size": 256,  # more than the 204 snapshots: full-batch Adam
    "learning_rate": 3e-3,
    "validation_fraction": 0.0,
    "patience": 2000,
    "device": "cpu",
    "random_state": 0,
}
AE_SAMPLES = ((24, 48), (32, 64))  # (modes of f, gappy sample rows)


def _check(ok: bool, what: str, value: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'}: {what} ({value})")


def _relative_error(A: np.ndarray, B: np.ndarray) -> float:
    return float(np.linalg.norm(A - B) / np.linalg.norm(B))


def full_bdf2(fom, u0, nu, steps, every, tol=1e-8, stats=None):
    """The full model by BDF2 (first step backward Euler), Newton with SuperLU."""
    identity = scipy.sparse.identity(fom.n, format="csc")
    out, previous, u = [u0], None, u0.copy()
    iterations = 0
    for k in range(1, steps + 1):
        if previous is None:
            known, beta = u, DT
        else:
            known, beta = 4.0 / 3.0 * u - previous / 3.0, 2.0 / 3.0 * DT
        v = u.copy()
        for _ in range(20):
            iterations += 1
            residual = v - known - beta * fom.rhs(v, nu)
            matrix = (identity - beta * fom.jacobian(v, nu)).tocsc()
            dv = scipy.sparse.linalg.splu(matrix).solve(-residual)
            v += dv
            if np.linalg.norm(dv) <= tol * np.linalg.norm(v):
                break
        previous, u = u, v
        if k % every == 0:
            out.append(u)
    if stats is not None:
        stats["iterations"] = iterations
    return np.column_stack(out)


def run(n: int, repeat: int, quick: bool, autoencoder: bool, figure: str | None) -> None:
    fom = Burgers1D(n, domain=(0.0, 1.0), scheme="upwind")
    u0 = fom.initial_condition(center=0.2, width=0.05)
    steps = round(T_END / DT)
    times = DT * np.arange(0, steps + 1, OUTPUT_EVERY)

    start = time.perf_counter()
    train = [fom.solve(u0, times, nu, rtol=1e-7, atol=1e-10) for nu in TRAIN]
    offline_full = time.perf_counter() - start
    S = np.hstack(train)
    mus = [nu for nu in TRAIN for _ in times]
    print(
        f"\nfull model: Burgers1D n = {n}, upwind flux, h = {fom.h:.3g}, t in [0, {T_END}], "
        f"BDF2 dt = {DT} ({steps} steps); training viscosities {TRAIN} ({times.size} times "
        f"each), test {TEST}; offline full solves {offline_full:.1f} s"
    )
    timings_full = best_times(
        {"full": lambda: full_bdf2(fom, u0, TEST, steps, OUTPUT_EVERY)}, repeat=repeat
    )
    t_full, reference = timings_full["full"]
    exact_in_time = fom.solve(u0, times, TEST, rtol=1e-9, atol=1e-11)
    print(
        f"full BDF2: {t_full:.3f} s, {1e3 * t_full / steps:.3f} ms per step; its time "
        f"discretisation error {_relative_error(reference, exact_in_time):.2e}"
    )
    rows = [("full model BDF2", n, t_full, steps, 0.0)]

    # --- POD-Galerkin + DEIM (rom.galerkin): adaptive in time, against the time-exact
    # solution and the BDF2 one
    print(f"\n{'model':<24} {'sizes':>14} {'rel. error':>11} {'time (s)':>9} {'ms/step':>8}")
    pod = POD(rank=POD_CANDIDATES[-1][0]).fit(S)
    for r, m in POD_CANDIDATES:
        est = GalerkinROM(pod.basis_[:, :r], fom, "deim", deim_rank=m).fit(S, mus=mus)
        stats: dict = {}
        best = best_times(
            {
                "rom": lambda est=est, stats=stats: est.solve(
                    u0, times, TEST, autonomous=True, rtol=1e-4, atol=1e-7, stats=stats
                )
            },
            repeat=repeat,
        )
        t, A = best["rom"]
        err = _relative_error(est.reconstruct(A), reference)
        label = f"r={r} m={m}"
        print(
            f"{'POD-Galerkin DEIM':<24} {label:>14} {err:11.3e} {t:9.4f} "
            f"{1e3 * t / stats['steps']:8.3f}"
        )
        rows.append(("POD-Galerkin DEIM", label, t, stats["steps"], err))
        if err <= TARGET_ERROR:
            break

    # --- quadratic manifolds, Galerkin and LSPG, gappy hyper-reduction, BDF2 at DT
    kept = {}
    for r, k, m in QM_CANDIDATES:
        start = time.perf_counter()
        qm = QuadraticManifold(rank=r).fit(S)
        fit_qm = time.perf_counter() - start
        for method in ("galerkin", "lspg"):
            name = f"quadratic {method}"
            if name in kept:
                continue
            est = ManifoldROM(qm, fom, method, "gappy", deim_rank=k, n_samples=m, time_step=DT)
            est.fit(S, mus=mus)
            stats = {}
            try:
                best = best_times(
                    {"rom": lambda est=est, stats=stats: est.solve(u0, times, TEST, stats=stats)},
                    repeat=repeat,
                )
            except Exception as err:  # a candidate that fails to converge is reported
                print(f"{name:<24} {f'r={r} k={k} m={m}':>14} failed: {err}")
                continue
            t, Z = best["rom"]
            err = _relative_error(est.reconstruct(Z), reference)
            label = f"r={r} m={m}"
            print(
                f"{name:<24} {label:>14} {err:11.3e} {t:9.4f} {1e3 * t / steps:8.3f}"
                f"   ({est.sample_rows_.size} rows decoded, fit QM {fit_qm:.1f} s, "
                f"{stats['iterations'] / steps:.1f} iterations/step)"
            )
            rows.append((name, label, t, steps, err))
            if err <= TARGET_ERROR:
                kept[name] = (t, err)
                if method == "lspg" and autoencoder:  # to compare with the autoencoder's
                    _print_split(est, Z, t, stats["iterations"])
        if len(kept) == 2:
            break

    if autoencoder:
        rows += _autoencoders(fom, S, mus, u0, times, steps, reference, repeat, kept)

    print()
    for name in ("quadratic galerkin", "quadratic lspg", "autoencoder lspg"):
        if name not in kept:
            if name != "autoencoder lspg" or autoencoder:
                _check(False, f"{name}: a candidate at 1e-3", "none reached it")
            tried = [row for row in rows if row[0] == "autoencoder LSPG"]
            if name == "autoencoder lspg" and tried:  # the most accurate one
                _, label, t, _, err = min(tried, key=lambda row: row[4])
                print(
                    f"{name} ({label}, the most accurate): {t_full / t:.1f}x faster online than "
                    f"the full model at error {err:.2e}"
                )
            continue
        t, err = kept[name]
        ratio = t_full / t
        print(f"{name}: {ratio:.1f}x faster online than the full model at error {err:.2e}")
        if not quick:
            _check(
                ratio >= TARGET_SPEEDUP,
                f"n = {n}: {name} at 1e-3 at least {TARGET_SPEEDUP:.0f}x faster online",
                f"{ratio:.1f}x",
            )
    if figure:
        _figure(rows, figure, n)


def _autoencoders(fom, S, mus, u0, times, steps, reference, repeat, kept):
    """Autoencoder LSPG, gappy hyper-reduction: train, fit, time, and split an iteration."""
    import torch

    from rom.manifold.torch import PODAutoencoder

    out = []
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a network of this size trains fastest on one thread
    try:
        start = time.perf_counter()
        ae = PODAutoencoder(**AE_SETTINGS).fit(S, progress=False)
        fit_ae = time.perf_counter() - start
    finally:
        torch.set_num_threads(threads)
    settings = ", ".join(f"{k}={v}" for k, v in AE_SETTINGS.items())
    errors = [_relative_error(ae.inverse_transform(ae.transform(A)), A) for A in (S, reference)]
    print(
        f"\nPODAutoencoder({settings}): trained in {fit_ae:.1f} s on one thread, "
        f"{ae.n_epochs_} epochs ({ae.stop_reason_}), {ae.basis_.shape[1]} POD modes; "
        f"projection error {errors[0]:.2e} (training states), {errors[1]:.2e} (the test "
        "trajectory)"
    )
    print(f"{'model':<24} {'sizes':>14} {'rel. error':>11} {'time (s)':>9} {'ms/step':>8}")
    for k, m in AE_SAMPLES:
        est = ManifoldROM(ae, fom, "lspg", "gappy", deim_rank=k, n_samples=m, time_step=DT)
        est.fit(S, mus=mus)
        stats: dict = {}
        try:
            best = best_times(
                {"rom": lambda est=est, stats=stats: est.solve(u0, times, TEST, stats=stats)},
                repeat=repeat,
            )
        except Exception as err:
            print(f"{'autoencoder LSPG':<24} {f'r={ae.rank_} m={m}':>14} failed: {err}")
            continue
        t, Z = best["rom"]
        err = _relative_error(est.reconstruct(Z), reference)
        label = f"r={ae.rank_} m={m}"
        iterations = stats["iterations"]
        print(
            f"{'autoencoder LSPG':<24} {label:>14} {err:11.3e} {t:9.4f} {1e3 * t / steps:8.3f}"
            f"   ({est.sample_rows_.size} rows decoded, {iterations / steps:.1f} iterations/step)"
        )
        _print_split(est, Z, t, iterations)
        out.append(("autoencoder LSPG", label, t, steps, err))
        if err <= TARGET_ERROR and "autoencoder lspg" not in kept:
            kept["autoencoder lspg"] = (t, err)
    # the same model on every row: what the manifold itself allows (one untimed solve)
    est = ManifoldROM(ae, fom, "lspg", None, time_step=DT).fit()
    label = f"r={ae.rank_} all rows"
    try:
        full = _relative_error(est.reconstruct(est.solve(u0, times, TEST)), reference)
    except Exception as err:
        print(f"{'autoencoder LSPG':<24} {label:>14} failed: {err}")
    else:
        print(f"{'autoencoder LSPG':<24} {label:>14} {full:11.3e}   (no hyper-reduction)")
    return out


def _print_split(est, Z, t, iterations):
    split = gauss_newton_split(est, Z[:, Z.shape[1] // 2], TEST, T_END / 2)
    print(
        "    one Gauss-Newton iteration, per call (ms): "
        + ", ".join(f"{name} {1e3 * v:.3f}" for name, v in split.items())
        + f"; sum {1e3 * sum(split.values()):.3f}; the solve {1e3 * t / iterations:.3f} "
        "per iteration (with the step's other work: step halving, history, Python)"
    )


def gauss_newton_split(est, z, mu, t, calls=300):
    """Best per-call times (s) of the phases of one Gauss-Newton iteration at ``z``.

    ``decode``: the decoder on the sample rows and their stencil; ``tangent``: its
    tangent there, at the point just decoded (as in a step, where the decoder may
    reuse its forward pass); ``residual``: ``f`` and ``(df/du) J`` on the
    sample rows and the gappy weighting (the time-discrete residual and its Jacobian
    given the decoded state and tangent); ``least squares``: the normal equations of
    the step.
    """
    from rom.backend import blas_threads
    from rom.manifold._stepping import Online

    online = Online(est._decoder, est._model, mu, est._hyper)
    bdt = 2.0 / 3.0 * DT
    u, J = online.state(z), online.tangent(z)

    def residual():
        res = online.weigh(online.at_points(u) - bdt * online.rhs(u, t))
        jac = online.weigh(online.at_points(J) - bdt * online.rhs_tangent(u, J, t))
        return res, jac

    res, jac = residual()
    points = [z, z * (1.0 + 1e-9)]  # alternate: a decoder may keep its last point
    turn = [0]

    def fresh():
        turn[0] ^= 1
        return points[turn[0]]

    def tangent_after_decode():  # only the tangent is timed
        total = 0.0
        for _ in range(calls):
            w = fresh()
            online.state(w)
            start = time.perf_counter()
            online.tangent(w)
            total += time.perf_counter() - start
        return total / calls

    phases = {
        "decode": lambda: online.state(fresh()),
        "residual": residual,
        "least squares": lambda: np.linalg.solve(jac.T @ jac, jac.T @ res),
    }
    out = {}
    with blas_threads(1):  # as in ManifoldROM.solve
        for name, func in phases.items():
            func()
            best = np.inf
            for _ in range(3):
                start = time.perf_counter()
                for _ in range(calls):
                    func()
                best = min(best, (time.perf_counter() - start) / calls)
            out[name] = best
        out["tangent"] = min(tangent_after_decode() for _ in range(3))
    out = {name: out[name] for name in ("decode", "tangent", "residual", "least squares")}
    return out


def _figure(rows, path, n):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    markers = {
        "POD-Galerkin DEIM": "o",
        "quadratic galerkin": "s",
        "quadratic lspg": "^",
        "autoencoder LSPG": "D",
    }
    full = next(r for r in rows if r[0] == "full model BDF2")
    ax.axvline(1e3 * full[2] / full[3], color="k", ls="--", label="full model BDF2")
    for name, marker in markers.items():
        pts = [(1e3 * t / s, e) for (nm, _, t, s, e) in rows if nm == name]
        if pts:
            x, y = zip(*pts, strict=True)
            ax.loglog(x, y, marker=marker, ls="-", label=name)
    ax.axhline(TARGET_ERROR, color="grey", lw=0.8)
    ax.set_xlabel("online time per time step (ms)")
    ax.set_ylabel("relative error")
    ax.set_title(f"Burgers, n = {n}, test viscosity {TEST}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    print(f"figure: {path}")


def main() -> None:
    parser = benchmark_parser(
        __doc__, "small grid (n = 2000), a smoke run", "timed repetitions (best of N)"
    )
    parser.add_argument("--n", type=int, default=10000, help="grid size of the full model")
    parser.add_argument("--autoencoder", action="store_true", help="add the autoencoder LSPG")
    parser.add_argument("--figure", default="manifold_rom.png", help="figure path ('' for none)")
    args = parser.parse_args()
    print(machine_header())
    print(f"{load_average()} at start")
    run(
        2000 if args.quick else args.n,
        args.repeat,
        args.quick,
        args.autoencoder,
        args.figure or None,
    )
    print(f"\n{load_average()} at the end")


if __name__ == "__main__":
    main()
