"""Clustering 2000 snapshots of 10^4 dofs: sine dissimilarity + k-medoids, against k-means.

The snapshots are travelling fronts ``a * tanh((x - c) / w)`` on 10^4 points of
``[0, 1]``, with ``c``, ``w`` and ``a`` drawn uniformly in ``[0.1, 0.9]``,
``[0.005, 0.05]`` and ``[0.2, 2]`` (2000 columns, 160 MB).

romba: ``rom.local.sine_dissimilarity(S)`` (one Gram matrix product, then the
accurate recomputation of the nearly parallel pairs; the bare product ``S.T @ S`` is
timed as the floor it cannot beat) followed by
``rom.local.KMedoids(10, n_init=4).fit(D**2)`` (k-medoids++ seeding, alternating
steps, eager PAM swaps; numba). Baseline: scikit-learn's ``KMeans(10, n_init=4)``
on the same snapshots (rows of ``S.T``), i.e. Euclidean k-means with the same number
of seeded runs; and, when installed, scikit-learn-extra's ``KMedoids(10,
metric="precomputed", method="pam", init="k-medoids++")`` on the same dissimilarity
matrix. Each contender is timed best-of-N after one warm-up call (which also loads or
compiles the numba kernels); the ratios are measured in this one run and printed,
never asserted. The target is the romba clustering in under 2 s on two cores.

Run ``python benchmarks/bench_local.py`` or ``--quick`` (500 x 2500) for a smoke run.
"""

from __future__ import annotations

import numba
import numpy as np
import sklearn
from _common import benchmark_parser, best_times, machine_header
from threadpoolctl import threadpool_limits

from rom.linalg import POD
from rom.local import KMedoids, LocalPOD, sine_dissimilarity, total_cost

TARGET_SECONDS = 2.0
CLUSTERS = 10


def fronts(n: int, m: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = np.linspace(0.0, 1.0, n)[:, None]
    c = rng.uniform(0.1, 0.9, m)[None, :]
    w = rng.uniform(0.005, 0.05, m)[None, :]
    a = rng.uniform(0.2, 2.0, m)[None, :]
    return a * np.tanh((x - c) / w)


def _check(ok: bool, what: str, value: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'}: {what} ({value})")


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(
        __doc__, "2500 dofs x 500 snapshots (smoke test)", "timed calls per contender"
    )
    parser.add_argument(
        "--no-galerkin",
        action="store_true",
        help="skip the hyper-reduced Burgers ROM (benchmarks/bench_galerkin.py, n = 10000)",
    )
    args = parser.parse_args(argv)
    n, m = (2500, 500) if args.quick else (10_000, 2000)
    try:
        import sklearn_extra
        from sklearn_extra.cluster import KMedoids as ExtraKMedoids

        extra_version = sklearn_extra.__version__
    except (ImportError, ValueError) as err:  # 0.3.0 wheels fail to load with numpy 2
        ExtraKMedoids = None
        extra_version = "not installed" if isinstance(err, ImportError) else "unusable"
    from sklearn.cluster import KMeans

    print(
        "# local bases benchmark (benchmarks/bench_local.py" + (" --quick)" if args.quick else ")")
    )
    print(
        machine_header(
            {
                "numba": numba.__version__,
                "scikit-learn": sklearn.__version__,
                "scikit-learn-extra": extra_version,
            }
        )
    )
    print(f"numba threads: {numba.get_num_threads()}")
    S = fronts(n, m)
    print(
        f"snapshots: fronts a*tanh((x - c)/w), {n} dofs x {m} snapshots, {S.nbytes / 1e6:.0f} MB"
    )
    print(f"timing: best of {args.repeat} after 1 warm-up call, contenders in turns")
    print()

    def romba():
        D = sine_dissimilarity(S)
        return D, KMedoids(CLUSTERS, n_init=4, random_state=0).fit(D**2)

    contenders = {
        "romba sine_dissimilarity + KMedoids": romba,
        "sklearn KMeans(n_init=4) on S.T": lambda: KMeans(CLUSTERS, n_init=4, random_state=0).fit(
            S.T
        ),
    }
    times = best_times(contenders, repeat=args.repeat)
    t_rom, (D, km) = times["romba sine_dissimilarity + KMedoids"]
    t_km, kmeans = times["sklearn KMeans(n_init=4) on S.T"]
    parts = best_times(
        {
            "gram": lambda: S.T @ S,
            "dissimilarity": lambda: sine_dissimilarity(S),
            "kmedoids": lambda: KMedoids(CLUSTERS, n_init=4, random_state=0).fit(D**2),
        },
        repeat=args.repeat,
    )
    print("## clustering time")
    print(
        f"romba  sine_dissimilarity(S) + KMedoids({CLUSTERS}, n_init=4).fit(D**2)  {t_rom:.3f} s"
    )
    print(
        f"         of which sine_dissimilarity {parts['dissimilarity'][0]:.3f} s, "
        f"KMedoids {parts['kmedoids'][0]:.3f} s ({km.n_swaps_} swaps in the kept run)"
    )
    print(
        f"reference: the bare Gram product S.T @ S (numpy, BLAS syrk)  {parts['gram'][0]:.3f} s"
        f" -> sine_dissimilarity / Gram = {parts['dissimilarity'][0] / parts['gram'][0]:.2f}"
    )
    print(f"sklearn KMeans({CLUSTERS}, n_init=4) on S.T (Euclidean)       {t_km:.3f} s")
    t_extra = None
    if ExtraKMedoids is not None:
        D2 = D**2
        t_extra, extra = best_times(
            {
                "extra": lambda: ExtraKMedoids(
                    CLUSTERS,
                    metric="precomputed",
                    method="pam",
                    init="k-medoids++",
                    random_state=0,
                ).fit(D2)
            },
            repeat=1,
        )["extra"]
        print(
            f"sklearn-extra KMedoids(pam, precomputed D**2)            {t_extra:.3f} s "
            f"(cost {total_cost(D2, extra.medoid_indices_):.6g} vs romba {km.inertia_:.6g})"
        )
    else:
        print("sklearn-extra KMedoids: not installed (optional peer)")
    print()
    print(f"sklearn_kmeans_time / romba_time = {t_km / t_rom:.2f}")
    if t_extra is not None:
        print(f"sklearn_extra_time / romba_kmedoids_time = {t_extra / parts['kmedoids'][0]:.2f}")
    print()
    fasterpam_part(D**2, args.repeat)
    print()

    # what the clusters are worth: projection errors of held-out fronts, rank 8 (not
    # timed; one BLAS thread, the dense kernels are small ones, one per cluster)
    T = fronts(n, 200, seed=1)
    rank = 8
    with threadpool_limits(1, user_api="blas"):
        glob = POD(rank=rank).fit(S).projection_error(T)
        sine = LocalPOD(CLUSTERS, rank=rank, random_state=0).fit(S)
        err_sine = sine.projection_error(T)
        eucl = LocalPOD(CLUSTERS, "euclidean", "kmeans", rank=rank, random_state=0).fit(S)
        err_eucl = eucl.projection_error(T)
    print(f"## held-out projection error, rank {rank}, 200 new fronts (max / rms)")
    for name, e in (
        ("global POD", glob),
        ("k-means (Euclidean) local POD", err_eucl),
        ("k-medoids (sine) local POD", err_sine),
    ):
        print(f"{name:32s} {e.max():.3e} / {np.sqrt(np.mean(e**2)):.3e}")
    print(
        f"criterion (predicted gain at rank {rank}): {sine.criterion_.gain_at(rank):.2f}, "
        f"measured gain {glob.max() / err_sine.max():.2f}"
    )
    print(f"k-means inertia (sklearn) {kmeans.inertia_:.6g}")
    print()
    if args.quick:
        print(f"SKIP: clustering under {TARGET_SECONDS:g} s (the target is for the full run)")
    else:
        _check(
            t_rom < TARGET_SECONDS,
            f"clustering 2000 x 10^4 in under {TARGET_SECONDS:g} s",
            f"{t_rom:.3f} s",
        )
    _check(
        err_sine.max() < glob.max(),
        "local POD (sine) beats global POD of the same rank",
        f"{err_sine.max():.2e} < {glob.max():.2e}",
    )
    if not args.no_galerkin:
        # the second target of the local-bases issue: the DEIM-hyper-reduced Burgers
        # ROM at 1e-3 against the full model, measured by bench_galerkin.run
        from bench_galerkin import run as galerkin_run

        print()
        print("## hyper-reduced Burgers ROM against the full model (bench_galerkin.run)")
        galerkin_run(2000 if args.quick else 10_000, max(1, args.repeat), args.quick)


def fasterpam_part(D2: np.ndarray, repeat: int, seeds: int = 5) -> None:
    """romba's KMedoids against FasterPAM of the ``kmedoids`` package on the same matrix.

    Times (random state 0, best of ``repeat``, in turns) and costs over ``seeds``
    random states: romba ``KMedoids(10, n_init=4)``, one FasterPAM run (the
    package's default: one random start) and the best of four FasterPAM starts (as
    many as romba's runs); then romba's medoids handed to FasterPAM, which reports
    whether any single swap still improves them. Both find local optima for single
    swaps; which one depends on the start, so costs are compared over the seeds.
    """
    try:
        import kmedoids
    except ImportError:
        print("kmedoids (FasterPAM): not installed (optional peer)")
        return
    from importlib.metadata import version

    D2 = np.ascontiguousarray(D2)
    n_init = 4

    def romba(seed=0):
        return KMedoids(CLUSTERS, n_init=n_init, random_state=seed).fit(D2)

    def fasterpam(seed=0):
        return kmedoids.fasterpam(D2, CLUSTERS, random_state=seed)

    def fasterpam_best(seed=0):
        runs = [fasterpam(n_init * seed + s) for s in range(n_init)]
        return min(runs, key=lambda r: r.loss)

    times = best_times(
        {"romba": romba, "fasterpam": fasterpam, "fasterpam_best": fasterpam_best},
        repeat=repeat,
    )
    t_rom, t_fp, t_fp4 = (times[k][0] for k in ("romba", "fasterpam", "fasterpam_best"))
    costs = np.array(
        [[romba(s).inertia_, fasterpam(s).loss, fasterpam_best(s).loss] for s in range(seeds)]
    )
    print(f"## k-medoids against FasterPAM (kmedoids {version('kmedoids')}) on the same D**2")
    print(f"costs over random states 0..{seeds - 1} (time: random state 0)")
    labels = (
        f"romba KMedoids({CLUSTERS}, n_init={n_init})",
        f"kmedoids.fasterpam(D**2, {CLUSTERS}), one start",
        f"kmedoids.fasterpam, best of {n_init} starts",
    )
    for label, t, col in zip(labels, (t_rom, t_fp, t_fp4), costs.T, strict=True):
        print(
            f"{label:44s} {t:7.3f} s  cost min {col.min():.6f} median "
            f"{np.median(col):.6f} max {col.max():.6f}"
        )
    check = kmedoids.fasterpam(D2, romba(0).medoid_indices_.copy())
    print(
        f"FasterPAM started from romba's medoids (random state 0): {check.n_swap} improving "
        f"swaps (cost {check.loss:.6f})"
    )
    print(
        f"fasterpam_time / romba_time = {t_fp / t_rom:.2f} (one start), "
        f"{t_fp4 / t_rom:.2f} (best of {n_init})"
    )
    same_or_lower = np.median(costs[:, 0]) <= np.median(costs[:, 1]) * (1 + 1e-12)
    _check(
        same_or_lower and t_rom <= t_fp,
        "romba's KMedoids at the same or lower median cost than FasterPAM and at least as fast",
        f"median cost {np.median(costs[:, 0]):.6f} vs {np.median(costs[:, 1]):.6f}, "
        f"time ratio {t_fp / t_rom:.2f}",
    )


if __name__ == "__main__":
    main()
