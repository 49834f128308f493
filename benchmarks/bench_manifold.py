"""Quadratic manifolds against POD, and operator inference against the opinf package.

Part 1, projection error against the latent dimension r = 1..30, on two families of
snapshots with slowly decaying singular values:

- a travelling pulse: ``fem_examples.lagrangian_1d.gaussian_pulse`` (width 0.02,
  speed 1, t in [0, 0.6]) on ``n`` points of the periodic unit interval;
- viscous Burgers: the exact Cole-Hopf solution ``fem_examples.burgers_1d.cole_hopf``
  (a front from 1 to 0, viscosity 1e-3, t in [0.05, 1]) on ``n`` points of
  [-0.5, 1.5].

``n = 10000`` and 400 snapshots (2000 and 160 with ``--quick``), the even ones for
training and the odd ones (the times in between) held out. Contenders: POD of
the centred snapshots (plus the mean, the same reference as the manifolds),
``QuadraticManifold`` with the first r singular vectors, and with the greedy choice.
The error is the relative Frobenius error of the encode-decode,
:math:`\\|S - g(e(S))\\|_F / \\|S\\|_F`, of the training and of the held-out snapshots
(once ``r (r + 1) / 2`` exceeds the training snapshots, the training error says
little: the quadratic term can interpolate them). Target: greedy QM at r = 5 at most a tenth of
POD's error at r = 5. When ``rom.manifold.torch`` and torch are installed, its
``PODAutoencoder`` is trained at r = 2 and 5 (150 epochs, one thread) through its
public API (``--no-autoencoders`` skips it; add other networks in
``autoencoder_errors``).

Part 2, operator inference on the POD coordinates (r = 8) of the Burgers
trajectory, derivatives by fourth-order differences: ``rom.manifold.OperatorInference``
against ``opinf.models.ContinuousModel`` with the same operators (c, A, H) and the
same Tikhonov regulariser (romba's ``"auto"`` choice on the training trajectory).
Reported: the relative state error of both predictions against the projected
trajectory (target: within 10 % of each other) and the fit-time ratio (target:
romba at least 2x faster), best-of-N timings taken in turns in this one run.

Run ``python benchmarks/bench_manifold.py`` or ``--quick``.
"""

from __future__ import annotations

import time

import numpy as np
from _common import benchmark_parser, best_times, load_average, machine_header

from fem_examples.burgers_1d import cole_hopf
from fem_examples.lagrangian_1d import gaussian_pulse
from rom.backend import blas_threads
from rom.linalg import POD
from rom.manifold import OperatorInference, QuadraticManifold, time_derivatives

RANKS = (1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25, 30)
TARGET_RATIO = 10.0
TARGET_STATE = 0.10
TARGET_SPEEDUP = 2.0


def _check(ok: bool, what: str, value: str) -> None:
    print(f"{'MET' if ok else 'NOT MET'}: {what} ({value})")


def pulse_snapshots(n: int, k: int) -> np.ndarray:
    y = np.linspace(0.0, 1.0, n, endpoint=False)
    times = np.linspace(0.0, 0.6, k)
    return np.column_stack([gaussian_pulse(y, t, center=0.2, width=0.02) for t in times])


def burgers_snapshots(n: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(-0.5, 1.5, n)
    times = np.linspace(0.05, 1.0, k)
    return np.column_stack([cole_hopf(x, t, 1e-3) for t in times]), times


def relative(S: np.ndarray, R: np.ndarray) -> float:
    return float(np.linalg.norm(S - R) / np.linalg.norm(S))


def pod_errors(S: np.ndarray, T: np.ndarray, ranks) -> dict[int, tuple[float, float]]:
    mean = S.mean(axis=1, keepdims=True)
    pod = POD(rank=max(ranks), method="svd").fit(S - mean)
    U = pod.basis_
    out = {}
    for r in ranks:
        V = U[:, :r]
        out[r] = tuple(relative(X, mean + V @ (V.T @ (X - mean))) for X in (S, T))
    return out


def qm_errors(S, T, ranks, greedy: bool) -> tuple[dict[int, tuple[float, float]], float]:
    out, seconds = {}, 0.0
    for r in ranks:
        start = time.perf_counter()
        qm = QuadraticManifold(rank=r, greedy=greedy).fit(S)
        seconds += time.perf_counter() - start
        out[r] = tuple(relative(X, qm.inverse_transform(qm.transform(X))) for X in (S, T))
    return out, seconds


def autoencoder_errors(S, T, ranks) -> dict[str, dict[int, tuple[float, float]]]:
    """The autoencoders of rom.manifold.torch, if present (the hook for learned bases)."""
    try:
        import torch

        from rom.manifold import torch as learned
    except ImportError:
        print("autoencoders: rom.manifold.torch or torch not available, skipped")
        return {}
    out: dict[str, dict[int, tuple[float, float]]] = {}
    torch.set_num_threads(1)  # small networks on a shared machine: threads only contend
    makers = {
        "PODAutoencoder": lambda r: learned.PODAutoencoder(
            r, pod_tol=1e-4, hidden=(32, 16), epochs=150, random_state=0
        ),
    }
    for name, make in makers.items():
        out[name] = {}
        for r in ranks:
            start = time.perf_counter()
            ae = make(r).fit(S, progress=False)
            out[name][r] = tuple(
                relative(X, ae.inverse_transform(ae.transform(X))) for X in (S, T)
            )
            print(f"  {name} r={r}: trained in {time.perf_counter() - start:.1f} s")
    return out


def projection_table(name: str, S: np.ndarray, with_autoencoders: bool) -> None:
    train, test = S[:, ::2], S[:, 1::2]
    print(
        f"\n## {name}: {S.shape[0]} dofs, {train.shape[1]} training snapshots, "
        f"{test.shape[1]} held out (the times in between); errors train / held out"
    )
    ranks = [r for r in RANKS if r < train.shape[1] - 1]
    pod = pod_errors(train, test, ranks)
    first, t_first = qm_errors(train, test, ranks, greedy=False)
    greedy, t_greedy = qm_errors(train, test, ranks, greedy=True)
    extra = (
        autoencoder_errors(train, test, [r for r in (2, 5) if r in ranks])
        if with_autoencoders
        else {}
    )
    names = ["POD", "QM first-r", "QM greedy", *extra]
    print(f"{'r':>3} " + " ".join(f"{k:>21}" for k in names))
    for r in ranks:
        cells = [pod[r], first[r], greedy[r], *(extra[k].get(r) for k in extra)]
        print(
            f"{r:3d} "
            + " ".join(f"{c[0]:10.3e} {c[1]:10.3e}" if c else f"{'':>21}" for c in cells)
        )
    print(f"fit time over all r: QM first-r {t_first:.1f} s, QM greedy {t_greedy:.1f} s")
    for i, what in enumerate(("training", "held-out")):
        ratio = pod[5][i] / greedy[5][i]
        _check(
            ratio >= TARGET_RATIO,
            f"{name}: greedy QM {what} error at r=5 <= POD's / {TARGET_RATIO:g}",
            f"POD {pod[5][i]:.3e}, greedy QM {greedy[5][i]:.3e}, ratio {ratio:.1f}",
        )


def opinf_comparison(S: np.ndarray, times: np.ndarray, repeat: int) -> None:
    import opinf

    r = 8
    print(f"\n## operator inference: Burgers, POD coordinates r={r}, {times.size} times")
    mean = S.mean(axis=1, keepdims=True)
    pod = POD(rank=r, method="svd").fit(S - mean)
    Z = pod.transform(S - mean)
    dZ = time_derivatives(Z, times, order=4)
    auto = OperatorInference("cAH", regularization="auto").fit(
        Z, dZ, validation=(Z[:, 0], times, Z)
    )
    lam = auto.regularization_
    print(f"regulariser (romba's 'auto' on the training trajectory): {lam:.3e}")

    def fit_romba():
        return OperatorInference("cAH", regularization=lam).fit(Z, dZ)

    def fit_opinf():
        ops = [
            opinf.operators.ConstantOperator(),
            opinf.operators.LinearOperator(),
            opinf.operators.QuadraticOperator(),
        ]
        solver = opinf.lstsq.L2Solver(lam) if lam > 0 else None
        return opinf.models.ContinuousModel(ops, solver=solver).fit(Z, dZ)

    timed = best_times({"romba": fit_romba, "opinf": fit_opinf}, repeat=repeat)
    # romba fits on one BLAS thread; opinf on the default ones. On a loaded machine the
    # threads contend, so the same comparison with both on one thread:
    with blas_threads(1):
        single = best_times({"romba": fit_romba, "opinf": fit_opinf}, repeat=repeat)
    ours, peer = timed["romba"][1], timed["opinf"][1]
    diff = max(
        np.abs(ours.A_ - peer.operators[1].entries).max(),
        np.abs(ours.H_ - peer.operators[2].entries).max(),
    )
    print(f"largest difference of the operators: {diff:.2e}")
    start = time.perf_counter()
    Z_ours = ours.predict(Z[:, 0], times)
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    Z_peer = peer.predict(Z[:, 0], times, method="BDF", rtol=1e-8, atol=1e-10)
    t_peer = time.perf_counter() - start
    e_ours, e_peer = relative(Z, Z_ours), relative(Z, Z_peer)
    print(
        f"state error vs projected trajectory: romba {e_ours:.3e}, opinf {e_peer:.3e}; "
        f"reconstructed state error romba {relative(S, mean + pod.basis_ @ Z_ours):.3e}"
    )
    print(
        f"fit time: romba {timed['romba'][0] * 1e3:.2f} ms, "
        f"opinf {timed['opinf'][0] * 1e3:.2f} ms; "
        f"predict time (one run): romba {t_ours * 1e3:.1f} ms (ROS34PW2), "
        f"opinf {t_peer * 1e3:.1f} ms (solve_ivp BDF)"
    )
    _check(
        abs(e_ours - e_peer) <= TARGET_STATE * e_peer,
        "state errors within 10 %",
        f"{e_ours:.3e} vs {e_peer:.3e}",
    )
    speedup = timed["opinf"][0] / timed["romba"][0]
    _check(
        speedup >= TARGET_SPEEDUP,
        "romba fit >= 2x faster than opinf (opinf on the default BLAS threads)",
        f"{speedup:.2f}x",
    )
    print(
        f"both on one BLAS thread: romba {single['romba'][0] * 1e3:.2f} ms, "
        f"opinf {single['opinf'][0] * 1e3:.2f} ms"
    )
    speedup = single["opinf"][0] / single["romba"][0]
    _check(
        speedup >= TARGET_SPEEDUP,
        "romba fit >= 2x faster than opinf (both on one BLAS thread)",
        f"{speedup:.2f}x",
    )


def main() -> None:
    parser = benchmark_parser(
        __doc__, "2000 dofs and 160 snapshots instead of 10000 and 400", "timed repetitions"
    )
    parser.add_argument(
        "--no-autoencoders", action="store_true", help="skip the torch autoencoders"
    )
    parser.add_argument(
        "--opinf-only", action="store_true", help="only the operator inference comparison"
    )
    args = parser.parse_args()
    n, k = (2000, 160) if args.quick else (10000, 400)
    import opinf

    print(machine_header({"opinf": opinf.__version__}))
    start = time.perf_counter()
    pulse = None if args.opinf_only else pulse_snapshots(n, k)
    burgers, times = burgers_snapshots(n, k)
    print(f"snapshots built in {time.perf_counter() - start:.1f} s")
    if not args.opinf_only:
        projection_table("travelling pulse", pulse, not args.no_autoencoders)
        projection_table("viscous Burgers (Cole-Hopf)", burgers, not args.no_autoencoders)
    opinf_comparison(burgers, times, args.repeat if not args.quick else 3)
    print(f"\n{load_average()} at the end")


if __name__ == "__main__":
    main()
