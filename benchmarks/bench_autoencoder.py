"""Autoencoders against POD and EZyRB: projection error against the latent dimension.

Problems (snapshots are columns; errors on held-out snapshots between the training
ones, relative Frobenius norm ``||S - g(h(S))||_F / ||S||_F``):

- a travelling Gaussian pulse, ``exp(-((x - c)/0.05)^2)`` on ``n`` points of
  ``[0, 1]``, centres ``c`` in ``[0.15, 0.85]`` (100 training, 40 test snapshots);
- viscous Burgers, the exact Cole-Hopf solution (``fem_examples.burgers_1d.cole_hopf``,
  viscosity 2e-3, a front moving at speed 1/2) on ``n`` points of ``[-0.5, 1.5]``,
  times in ``[0.05, 2]`` (100 training, 40 test snapshots).

``n`` is 1000 (300 with ``--quick``, 300 epochs): smaller than the 1e4 of the Galerkin benchmarks
so that the 4 x 4 trainings and the peer's fit in a few tens of minutes on two shared
cores (the dense first layer makes a training step grow with ``n``; PODAutoencoder's
does not).

Contenders at latent dimension ``r``: POD with ``r`` modes; ``DenseAutoencoder``
(hidden layers 64, 32) and ``PODAutoencoder`` (40 POD modes, hidden 64, 32) of
``rom.manifold.torch``. Target: the autoencoder at ``r`` reaches the error for which
POD needs at least ``4 r`` modes.

Peer: EZyRB 1.3 (``AE``, ``PODAE``) with the same layers, activation (ELU), learning
rate and float32, trained full batch as EZyRB does, stopped when its training loss
reaches the loss romba reached (converted to its units: EZyRB trains on the raw data)
or after a budget of epochs (then its epochs are marked ``*``: it did not reach
romba's loss, and its time is a lower bound of its time to that accuracy). romba trains
full batch too, with a plateau schedule of the learning rate and early stopping on
held-out snapshots. Reported: the test errors and the training times to that
accuracy; for romba both the whole fit and the time to its best epoch (the fit goes
on ``patience`` epochs past it to detect the end; the targets use the whole fit).
Target: romba at least as accurate and at least 2x faster. Both train on
one thread (``torch.set_num_threads(1)``): tiny networks run fastest that way and the
machine is shared.

Run ``python benchmarks/bench_autoencoder.py`` or ``--quick``.
"""

from __future__ import annotations

import contextlib
import io
import time

import numpy as np
from _common import benchmark_parser, load_average, machine_header

from fem_examples.burgers_1d import cole_hopf
from rom.linalg import POD

TARGET_MODE_RATIO = 4.0
TARGET_SPEEDUP = 2.0
HIDDEN = (64, 32)
POD_MODES = 40
TRAIN = {
    "epochs": 3000,
    "batch_size": 128,  # the whole training set: one step per epoch, as EZyRB
    "learning_rate": 1e-2,
    "patience": 200,
    "validation_fraction": 0.1,
    "device": "cpu",
    "random_state": 0,
}


def _check(ok: bool, what: str, value: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'}: {what} ({value})")


def pulse(n: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(0.0, 1.0, n)[:, None]
    c = np.linspace(0.15, 0.85, 100)
    test = np.random.default_rng(1).uniform(0.16, 0.84, 40)
    return np.exp(-(((x - c) / 0.05) ** 2)), np.exp(-(((x - np.sort(test)) / 0.05) ** 2))


def burgers(n: int) -> tuple[np.ndarray, np.ndarray]:
    x = np.linspace(-0.5, 1.5, n)
    times = np.linspace(0.05, 2.0, 100)
    test = np.sort(np.random.default_rng(2).uniform(0.06, 1.99, 40))

    def snapshots(ts):
        return np.column_stack([cole_hopf(x, float(t), 2e-3) for t in ts])

    return snapshots(times), snapshots(test)


def error(reduction, S: np.ndarray) -> float:
    R = S - reduction.inverse_transform(reduction.transform(S))
    return float(np.linalg.norm(R) / np.linalg.norm(S))


def pod_errors(S: np.ndarray, test: np.ndarray, most: int) -> np.ndarray:
    """Test error of POD with m = 1..most modes (index m - 1)."""
    U = POD().fit(S).basis_[:, :most]  # every numerically nonzero mode, at most `most`
    C = U.T @ test
    out = []
    for m in range(1, U.shape[1] + 1):
        out.append(np.linalg.norm(test - U[:, :m] @ C[:m]) / np.linalg.norm(test))
    return np.array(out)


def pod_modes_for(errors: np.ndarray, target: float) -> str:
    hit = np.nonzero(errors <= target)[0]
    return str(hit[0] + 1) if hit.size else f">{len(errors)}"


def fit_timed(est, S):
    start = time.perf_counter()
    est.fit(S, progress=False)
    return est, time.perf_counter() - start


def sweep(name: str, S, test, ranks) -> dict[int, tuple]:
    from rom.manifold.torch import DenseAutoencoder, PODAutoencoder

    most = min(S.shape[1], 100)
    errs = pod_errors(S, test, most)
    print(f"\n{name}: {S.shape[0]} dofs, {S.shape[1]} training / {test.shape[1]} test snapshots")
    print(
        f"{'r':>3} {'POD(r)':>9} {'Dense':>9} {'POD eq.':>8} {'time':>7}"
        f" {'PODAE':>9} {'POD eq.':>8} {'time':>7}"
    )
    results = {}
    for r in ranks:
        dense, t_dense = fit_timed(DenseAutoencoder(r, hidden=HIDDEN, **TRAIN), S)
        podae, t_podae = fit_timed(
            PODAutoencoder(r, pod_rank=POD_MODES, pod_tol=None, hidden=HIDDEN, **TRAIN), S
        )
        e_dense, e_podae = error(dense, test), error(podae, test)
        m_dense, m_podae = pod_modes_for(errs, e_dense), pod_modes_for(errs, e_podae)
        print(
            f"{r:>3} {errs[r - 1]:9.2e} {e_dense:9.2e} {m_dense:>8} {t_dense:6.1f}s"
            f" {e_podae:9.2e} {m_podae:>8} {t_podae:6.1f}s"
        )
        results[r] = (dense, t_dense, e_dense, m_dense, podae, t_podae, e_podae, m_podae)
    for r, res in results.items():
        for label, m in (("DenseAutoencoder", res[3]), ("PODAutoencoder", res[7])):
            modes = int(m.lstrip(">")) + (1 if m.startswith(">") else 0)
            _check(
                modes >= TARGET_MODE_RATIO * r,
                f"{name}: {label} at r={r} matches POD with >= {TARGET_MODE_RATIO:g}r modes",
                f"POD needs {m}",
            )
    return results


def ezyrb_fit(S, r, romba_train_error, pod_first: bool, max_epochs: int):
    """EZyRB's AE (or PODAE), stopped at romba's training loss; (reduction, seconds)."""
    import torch
    from ezyrb import AE, PODAE
    from ezyrb import POD as EzPOD

    torch.manual_seed(0)
    # EZyRB's loss is the mean squared error of the raw data (or of the POD
    # coefficients: then romba's error, POD truncation included, is charged to the
    # coefficients alone, a target looser than romba's)
    size = POD_MODES * S.shape[1] if pod_first else S.size
    target = float(romba_train_error**2 * np.linalg.norm(S) ** 2 / size)
    ae = AE(
        [*HIDDEN, r],
        [r, *HIDDEN[::-1]],
        torch.nn.ELU(),
        torch.nn.ELU(),
        [max_epochs, target],
        lr=TRAIN["learning_rate"],
        frequency_print=10**9,
    )
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        if pod_first:
            red = PODAE(EzPOD("svd", rank=POD_MODES), ae)
            red.fit(S)
        else:
            red = ae
            red.fit(S)
    seconds = time.perf_counter() - start
    reached = bool(ae.loss_trend) and ae.loss_trend[-1] < target
    return red, seconds, len(ae.loss_trend), reached


class _EzWrap:
    def __init__(self, red):
        self.red = red

    def transform(self, S):
        return self.red.transform(S)

    def inverse_transform(self, Z):
        return self.red.inverse_transform(Z)


def versus_ezyrb(name: str, S, test, r: int, res: tuple, max_epochs: int) -> None:
    dense, t_dense, e_dense, _, podae, t_podae, e_podae, _ = res
    print(
        f"\n{name}, r = {r}: romba against EZyRB (stopped at romba's training loss, "
        f"at most {max_epochs} epochs)"
    )
    print(
        f"{'':>18} {'romba err':>10} {'time':>7} {'to best':>7} {'EZyRB err':>10} "
        f"{'time':>7} {'epochs':>7} {'speed-up':>8} {'to best':>7}"
    )
    for label, ours, t_ours, e_ours, pod_first in (
        ("AE / Dense", dense, t_dense, e_dense, False),
        ("PODAE / PODAuto", podae, t_podae, e_podae, True),
    ):
        train_err = error(ours, S)
        # romba's fit includes `patience` epochs past its best one (to detect the end)
        to_best = t_ours * (ours.best_epoch_ + 1) / ours.n_epochs_
        red, t_ez, epochs, reached = ezyrb_fit(S, r, train_err, pod_first, max_epochs)
        e_ez = error(_EzWrap(red), test)
        print(
            f"{label:>18} {e_ours:10.2e} {t_ours:6.1f}s {to_best:6.1f}s {e_ez:10.2e} "
            f"{t_ez:6.1f}s {epochs:>7}{'' if reached else '*'} {t_ez / t_ours:7.1f}x "
            f"{t_ez / to_best:6.1f}x"
        )
        _check(
            e_ours <= e_ez,
            f"{name} {label}: romba at least as accurate",
            f"{e_ours:.2e} vs {e_ez:.2e}",
        )
        _check(
            t_ez / t_ours >= TARGET_SPEEDUP,
            f"{name} {label}: romba >= {TARGET_SPEEDUP:g}x faster to its accuracy",
            f"{t_ez / t_ours:.1f}x",
        )


def main() -> None:
    parser = benchmark_parser(
        __doc__, "300 dofs, ranks 1, 2, 300 epochs", "unused (one training each)"
    )
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    n = 300 if args.quick else 1000
    ranks = (1, 2) if args.quick else (1, 2, 4, 8)
    max_epochs = 900 if args.quick else 9000
    if args.quick:
        TRAIN.update(epochs=300, patience=40)
    print(machine_header({"torch": torch.__version__}))
    print(load_average())
    for name, (S, test) in (("travelling pulse", pulse(n)), ("Burgers", burgers(n))):
        res = sweep(name, S, test, ranks)
        versus_ezyrb(name, S, test, 2, res[2], max_epochs)
    print(load_average())


if __name__ == "__main__":
    main()
