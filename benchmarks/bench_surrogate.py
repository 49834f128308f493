"""Nonintrusive surrogates: romba's POD + RBF Surrogate against EZyRB, and the store's cost.

(a) The same snapshots, the same reduction and the same regression in both libraries:
    a POD truncated to ``RANK`` modes and thin-plate-spline RBF interpolation of the
    POD coordinates (both through scipy's ``RBFInterpolator``), the parameters scaled
    to the unit square for both. ``rom.nonintrusive.Surrogate`` against EZyRB's
    ``ReducedOrderModel(Database, POD("svd", rank), RBF())``. The field is
    ``u(x, y; mu) = exp(-mu1 r^2) cos(mu2 x) + 0.1 mu1 x y`` with ``r`` the distance to
    (0.5, 0.5), on a 200 x 200 grid (40 000 values), ``mu1`` in [1, 10], ``mu2`` in
    [1, 4]; 64 training parameters (Latin hypercube) and 200 test parameters.
    Measured: fit time, predict time per query (one query at a time, and 200 at once),
    relative Frobenius error on the test set.
(b) The snapshot store: ``SnapshotStore.put`` of a 100 000-value float64 field
    (800 kB, the size of a 2-D finite element field) writes a compressed-free
    ``.npz`` with a SHA-256 checksum, atomically (temporary file, fsync, rename);
    compared with a bare ``np.save`` of the same array, and with ``has`` (read back
    and checksum verified, what a resumed campaign does per parameter).

Times are best-of-N after a warm-up; ratios are measured in this one run on this
machine and printed, never asserted in tests. EZyRB imports torch: its import time
is reported, not counted.

Run ``python benchmarks/bench_surrogate.py`` (about a minute on two cores, most of it
importing EZyRB), or ``--quick`` for a smaller field without EZyRB.
"""

from __future__ import annotations

import importlib.metadata
import tempfile
import time
from pathlib import Path

import numpy as np
from _common import benchmark_parser, best_time, best_times, machine_header

from rom import POD, ParameterSpace
from rom.nonintrusive import RBFRegressor, SnapshotStore, Surrogate

RANK = 20
STORE_TARGET_MS = 50.0
SPACE = ParameterSpace({"mu1": (1.0, 10.0), "mu2": (1.0, 4.0)})


def _check(ok: bool, what: str, value: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'}: {what} ({value})")


def fields(mus: np.ndarray, n: int) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)
    X, Y = (a.ravel()[:, None] for a in np.meshgrid(t, t, indexing="ij"))
    r2 = (X - 0.5) ** 2 + (Y - 0.5) ** 2
    mu1, mu2 = mus[:, 0][None, :], mus[:, 1][None, :]
    return np.exp(-mu1 * r2) * np.cos(mu2 * X) + 0.1 * mu1 * X * Y


def _ezyrb():
    try:
        start = time.perf_counter()
        from ezyrb import POD as EzPOD
        from ezyrb import RBF, Database, ReducedOrderModel

        seconds = time.perf_counter() - start
    except ImportError:
        return None
    return importlib.metadata.version("ezyrb"), seconds, EzPOD, RBF, Database, ReducedOrderModel


def surrogates(n_grid: int, n_train: int, n_test: int, repeat: int, quick: bool) -> None:
    train = SPACE.sample(n_train, "lhs", random_state=0)
    test = SPACE.sample(n_test, "random", random_state=1)
    S, T = fields(train, n_grid), fields(test, n_grid)
    print(
        f"\n(a) surrogates: {S.shape[0]} values x {n_train} training snapshots, "
        f"{n_test} test parameters, POD rank {RANK}, thin-plate-spline RBF"
    )

    def fit_romba():
        model = Surrogate(
            reduction=POD(rank=RANK),
            regressor=RBFRegressor("thin_plate_spline"),
            parameter_space=SPACE,
        )
        return model.fit(train, S)

    contenders = {"romba": fit_romba}
    ez = None if quick else _ezyrb()
    if ez is not None:
        version, seconds, EzPOD, RBF, Database, ReducedOrderModel = ez
        print(f"EZyRB {version} (import {seconds:.1f} s, torch included, not counted)")
        unit_train = SPACE.to_unit(train)

        def fit_ezyrb():
            database = Database(unit_train, S.T)  # EZyRB: snapshots are rows
            return ReducedOrderModel(database, EzPOD("svd", rank=RANK), RBF()).fit()

        contenders["EZyRB"] = fit_ezyrb
    elif not quick:
        print("EZyRB is not installed (pip install ezyrb): romba alone")
    fits = best_times(contenders, repeat=repeat)
    models = {name: result for name, (_, result) in fits.items()}
    predictors = {"romba": lambda X: models["romba"].predict(X)}
    if "EZyRB" in models:
        predictors["EZyRB"] = lambda X: models["EZyRB"].predict(SPACE.to_unit(X)).T
    one = test[:50]
    single = best_times(
        {name: (lambda p=p: [p(mu[None, :]) for mu in one]) for name, p in predictors.items()},
        repeat=repeat,
    )
    batch = best_times({name: (lambda p=p: p(test)) for name, p in predictors.items()}, repeat)
    errors = {}
    header = ("fit (ms)", "1 query (us)", "batch/query (us)", "rel. error")
    print(f"{'':8s} {header[0]:>10s} {header[1]:>13s} {header[2]:>17s} {header[3]:>11s}")
    for name in predictors:
        predicted = batch[name][1]
        errors[name] = np.linalg.norm(predicted - T) / np.linalg.norm(T)
        print(
            f"{name:8s} {fits[name][0] * 1e3:10.1f} {single[name][0] / len(one) * 1e6:13.1f} "
            f"{batch[name][0] / n_test * 1e6:17.1f} {errors[name]:11.3e}"
        )
    if "EZyRB" in models:
        fit_ratio = fits["EZyRB"][0] / fits["romba"][0]
        one_ratio = single["EZyRB"][0] / single["romba"][0]
        batch_ratio = batch["EZyRB"][0] / batch["romba"][0]
        print(
            f"ratios EZyRB / romba: fit {fit_ratio:.2f}, one query {one_ratio:.2f}, "
            f"batch {batch_ratio:.2f}, error {errors['EZyRB'] / errors['romba']:.3f}"
        )
        same = np.linalg.norm(batch["romba"][1] - batch["EZyRB"][1]) / np.linalg.norm(T)
        print(f"difference between the two predictions: {same:.2e} (relative)")
        _check(same < 1e-10, "same method, same predictions as EZyRB", f"{same:.1e}")
        _check(
            errors["romba"] <= 1.01 * errors["EZyRB"],
            "romba's error at most EZyRB's (same POD rank, same RBF)",
            f"{errors['romba']:.3e} vs {errors['EZyRB']:.3e}",
        )
        # the target: at least EZyRB's accuracy and at least 2x faster
        _check(one_ratio >= 2.0, "one query at least 2x faster than EZyRB", f"x{one_ratio:.2f}")
        _check(
            batch_ratio >= 2.0, "200 queries at least 2x faster than EZyRB", f"x{batch_ratio:.2f}"
        )
        _check(fit_ratio >= 2.0, "fit at least 2x faster than EZyRB", f"x{fit_ratio:.2f}")
    else:
        print(f"romba's relative test error: {errors['romba']:.3e}")


def store_overhead(n_values: int, n_snapshots: int, repeat: int) -> None:
    print(
        f"\n(b) store: {n_snapshots} snapshots of {n_values} float64 values "
        f"({n_values * 8 / 1e6:.1f} MB each)"
    )
    rng = np.random.default_rng(0)
    field = rng.standard_normal(n_values)
    mus = SPACE.sample(n_snapshots, "random", random_state=3)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)

        def bare():
            for k in range(n_snapshots):
                np.save(root / f"bare_{k}.npy", field)

        counter = iter(range(10**9))

        def put():
            store = SnapshotStore(root / f"store_{next(counter)}", SPACE, ["u"])
            for mu in mus:
                store.put(mu, {"u": field})
            return store

        times = best_times({"np.save": bare, "SnapshotStore.put": put}, repeat=repeat)
        store = times["SnapshotStore.put"][1]
        t_has, _ = best_time(lambda: [store.has(mu) for mu in mus], repeat=repeat)
    per_bare = times["np.save"][0] / n_snapshots * 1e3
    per_put = times["SnapshotStore.put"][0] / n_snapshots * 1e3
    per_has = t_has / n_snapshots * 1e3
    print(f"np.save (bare)         {per_bare:8.2f} ms per snapshot")
    print(f"SnapshotStore.put      {per_put:8.2f} ms per snapshot (checksum, atomic, fsync)")
    print(f"SnapshotStore.has      {per_has:8.2f} ms per snapshot (read back, checksum)")
    print(f"ratio put / np.save: {per_put / per_bare:.2f}, overhead {per_put - per_bare:.2f} ms")
    _check(
        per_put < STORE_TARGET_MS,
        f"store write + checksum below {STORE_TARGET_MS:.0f} ms per snapshot",
        f"{per_put:.2f} ms",
    )


def main() -> None:
    parser = benchmark_parser(
        __doc__, "a 100 x 100 field, no EZyRB, smaller store test", "timed repetitions"
    )
    args = parser.parse_args()
    versions = {}
    try:
        versions["ezyrb"] = importlib.metadata.version("ezyrb")
    except importlib.metadata.PackageNotFoundError:
        pass
    print(machine_header(versions))
    if args.quick:
        surrogates(100, 64, 50, repeat=args.repeat, quick=True)
        store_overhead(100_000, 10, repeat=args.repeat)
    else:
        surrogates(200, 64, 200, repeat=args.repeat, quick=False)
        store_overhead(100_000, 20, repeat=args.repeat)


if __name__ == "__main__":
    main()
