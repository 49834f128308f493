"""Kernel sums of one million points: the EIFMM against fmm3dpy and the direct sum.

(a) Laplace ``1/r``, ``N`` points uniform in the unit cube, potentials at the points
    (no self-interaction), tol 1e-6: ``rom.fmm.EIFMM`` (fit + evaluate, and evaluate
    alone for new charges on a fitted object) against fmm3dpy's
    ``lfmm3d(eps=1e-6, sources=..., charges=..., pg=1)``. fmm3dpy's potential is
    ``sum_j q_j / (4 pi r_ij)``: it is multiplied by ``4 pi`` before it is compared
    (checked on a small case against ``rom.fmm.direct_sum`` at the start of the run).
    Targets: fit + evaluate no slower than fmm3dpy; evaluate alone at most 0.3x
    fmm3dpy's time.
(b) Gaussian, Matern 3/2 and multiquadric kernels, same points, tol 1e-6: the EIFMM
    against the numba ``direct_sum``. The direct sum is timed on 1000 random targets
    (its result is also the reference of the errors) and its time at all ``N``
    targets extrapolated as ``t(1000) * N / 1000``. Target: the EIFMM's fit +
    evaluate at least ``20 * N / 1e5`` times faster than the direct sum (20x at 1e5,
    200x at 1e6: the EIFMM is linear in ``N``, the direct sum quadratic).
(c) Interpolation points per tree level, empirical interpolation (EIM) against tensor
    Chebyshev points (the black-box FMM) at the same tolerance, with the measured
    errors of both, on ``min(N, 20000)`` points (Chebyshev needs up to 1000 points
    per box in 3-D): the table shows how many points each needs for equal accuracy.
(d) With ``--backend cupy`` on a GPU: ``N = 1e6`` (the largest size), the EIFMM's
    evaluate against the cupy direct sum (target: evaluate at most 50 ms); SKIP
    without cupy or a GPU, or where the EIFMM has no GPU evaluation.
(e) Helmholtz ``exp(ikr)/r``, k = 2, the smallest size only, tol 1e-6: the EIFMM (a
    complex kernel: complex interpolation and compressed complex M2L) against
    fmm3dpy's ``hfmm3d(eps=1e-6, zk=2, ...)`` (also times ``4 pi``). Measured, no
    speed target; the error is checked against 2 tol.

Every error is the relative l2 error over 1000 random targets against the exact
direct sum. Each fit of the EIFMM starts from an empty store of far-field trainings
(``rom.fmm.clear_cache()``, so that the fit time includes the empirical
interpolation); numba compilation is done once, on small problems, before any
timing. Contenders of a part are timed in turns, best of ``--repeat`` (the machine is
shared: the load average is printed at the start and at the end).

Run ``python benchmarks/bench_fmm.py`` (N = 1e5 and 1e6; more than an hour on two
busy cores), ``--sizes 100000`` for one size (about 15 minutes), or ``--quick``
(N = 20000, one repeat; a few minutes) for a smoke run whose speed-ups are too small to
mean much. ``--leaf-size`` overrides the EIFMM's leaf size (an integer or ``auto``);
with ``--sweep``, several (``--leaf-size auto 64``) run in turn against the same peer
runs, with the ratio of the two at matched achieved error.
"""

from __future__ import annotations

import time

import numba
import numpy as np
from _common import benchmark_parser, best_times, load_average, machine_header

from rom.fmm import EIFMM, clear_cache, direct_sum, kernels

TOL = 1e-6
N_CHECK = 1000  # random targets for the errors and the direct-sum timing
GPU_TARGET_S = 0.05
WAVENUMBER = 2.0  # Helmholtz, part (e): a low frequency, a few wavelengths over the cube
N_TABLE = 20_000  # points of the EIM / Chebyshev table (Chebyshev needs 1000 points per box)


def _check(ok: bool, what: str, value: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'}: {what} ({value})")


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


def _points(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random((n, 3))
    q = rng.standard_normal(n)
    q2 = rng.standard_normal(n)
    idx = np.sort(rng.choice(n, min(n, N_CHECK), replace=False))
    return y, q, q2, idx


def _reference(K, y: np.ndarray, q: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Exact potentials at the points ``y[idx]``, their own charge left out (numba for
    NumPy arrays, the CUDA sum for cupy ones)."""
    return direct_sum(K, y[idx], y, q) - K.value_at_zero * q[idx]


def _leaf_size(text: str) -> int | str:
    """``--leaf-size``: a positive integer or "auto"."""
    return text if text == "auto" else int(text)


def _fresh(K, leaf_size: int | str | None, interpolation: str = "eim") -> EIFMM:
    options = {} if leaf_size is None else {"leaf_size": leaf_size}
    return EIFMM(K, tol=TOL, interpolation=interpolation, **options)


def _fit_evaluate(K, y, q, leaf_size):
    def run():
        clear_cache()  # time the far-field training too
        return _fresh(K, leaf_size).fit(y).evaluate(q)

    return run


def _import_fmm3d():
    try:
        import fmm3dpy
    except ImportError:
        return None
    return fmm3dpy


def _fmm3d_normalisation(fmm3dpy) -> float:
    """fmm3dpy's Laplace potential over ``sum q / r`` on a small case (1 / (4 pi))."""
    rng = np.random.default_rng(5)
    y, q = rng.random((300, 3)), rng.standard_normal(300)
    out = fmm3dpy.lfmm3d(eps=1e-12, sources=np.ascontiguousarray(y.T), charges=q, pg=1)
    ref = direct_sum(kernels.laplace(), None, y, q)
    return float(np.dot(out.pot, ref) / np.dot(ref, ref))


def _warm_up(Ks: dict, fmm3dpy) -> None:
    """Compile every numba loop (and load fmm3dpy) on small problems."""
    y, q, _, idx = _points(3000, seed=9)
    for K in Ks.values():
        for method in ("eim", "chebyshev"):
            EIFMM(K, tol=1e-3, leaf_size=40, interpolation=method).fit(y).evaluate(q)
        _reference(K, y, q, idx)
    if fmm3dpy is not None:
        fmm3dpy.lfmm3d(eps=TOL, sources=np.ascontiguousarray(y.T), charges=q, pg=1)
    clear_cache()


def _against_fmm3d(K, title: str, fmm3d, n: int, repeat: int, leaf_size, scale: float):
    """EIFMM fit + evaluate and evaluate alone against one fmm3dpy call ``fmm3d(src,
    q)`` (its potential, times ``1 / scale``). Returns the two ratios and the error."""
    y, q, q2, idx = _points(n)
    print(f"\n{title}, N = {n}, uniform in the unit cube, tol {TOL:g}")
    fmm = _fresh(K, leaf_size).fit(y)
    contenders = {
        "EIFMM fit + evaluate": _fit_evaluate(K, y, q, leaf_size),
        "EIFMM evaluate (new charges)": lambda: fmm.evaluate(q2),
    }
    if fmm3d is not None:
        src = np.ascontiguousarray(y.T)
        contenders["fmm3dpy"] = lambda: fmm3d(src, q)
    res = best_times(contenders, repeat=repeat, warmup=0)
    ref = _reference(K, y, q, idx)
    ref2 = _reference(K, y, q2, idx)
    t_all, phi = res["EIFMM fit + evaluate"]
    t_eval, phi2 = res["EIFMM evaluate (new charges)"]
    print(f"  EIFMM: levels {fmm.tree_.depth}, points per level {fmm.ranks_}")
    print(f"  EIFMM compressed M2L sizes per level {fmm.m2l_ranks_}")
    phases = {k: round(v, 2) for k, v in fmm.timings_.items()}
    print(f"  EIFMM phases of the last fit and evaluate (s): {phases}")
    err_all, err_eval = _rel(phi[idx], ref), _rel(phi2[idx], ref2)
    print(
        f"  {'EIFMM fit + evaluate':30s} {t_all:9.3f} s   error {err_all:.2e} "
        f"(estimate {fmm.error_estimate_:.2e})"
    )
    print(f"  {'EIFMM evaluate (new charges)':30s} {t_eval:9.3f} s   error {err_eval:.2e}")
    if fmm3d is None:
        print("SKIP: fmm3dpy not installed (pip install fmm3dpy)")
        return None
    t_f, pot = res["fmm3dpy"]
    err_f = _rel(pot[idx] / scale, ref)
    print(f"  {'fmm3dpy (x 4 pi)':30s} {t_f:9.3f} s   error {err_f:.2e}")
    r_all, r_eval = t_all / t_f, t_eval / t_f
    print(f"  ratios: fit + evaluate / fmm3dpy = {r_all:.2f}, evaluate / fmm3dpy = {r_eval:.2f}")
    return r_all, r_eval, err_all


def laplace_part(n: int, repeat: int, leaf_size: int | str | None, fmm3dpy, scale: float) -> None:
    call = None
    if fmm3dpy is not None:

        def call(src, q):
            return fmm3dpy.lfmm3d(eps=TOL, sources=src, charges=q, pg=1).pot

    out = _against_fmm3d(
        kernels.laplace(), "(a) Laplace 1/r against lfmm3d", call, n, repeat, leaf_size, scale
    )
    if out is None:
        return
    r_all, r_eval, err_all = out
    _check(
        r_all <= 1.0,
        f"Laplace N={n}: EIFMM fit + evaluate no slower than fmm3dpy",
        f"{r_all:.2f}x its time",
    )
    _check(
        r_eval <= 0.3,
        f"Laplace N={n}: EIFMM evaluate at most 0.3x fmm3dpy's time",
        f"{r_eval:.2f}x",
    )
    _check(err_all <= 2 * TOL, f"Laplace N={n}: EIFMM error at most 2 tol", f"{err_all:.1e}")


def helmholtz_part(
    n: int, repeat: int, leaf_size: int | str | None, fmm3dpy, scale: float
) -> None:
    """(e) the complex kernel exp(ikr)/r against hfmm3d: measured, no target."""
    call = None
    if fmm3dpy is not None:

        def call(src, q):
            charges = q.astype(np.complex128)
            return fmm3dpy.hfmm3d(eps=TOL, zk=WAVENUMBER, sources=src, charges=charges, pg=1).pot

    K = kernels.helmholtz(WAVENUMBER)
    title = f"(e) Helmholtz exp(ikr)/r, k = {WAVENUMBER:g}, against hfmm3d"
    out = _against_fmm3d(K, title, call, n, repeat, leaf_size, scale)
    if out is not None:
        _check(out[2] <= 2 * TOL, f"Helmholtz N={n}: EIFMM error at most 2 tol", f"{out[2]:.1e}")


def kernel_part(name: str, K, n: int, repeat: int, leaf_size: int | str | None) -> None:
    y, q, q2, idx = _points(n)
    print(f"\n(b) {K.name}, N = {n}, uniform in the unit cube, tol {TOL:g}")
    fmm = _fresh(K, leaf_size).fit(y)
    contenders = {
        "EIFMM fit + evaluate": _fit_evaluate(K, y, q, leaf_size),
        "EIFMM evaluate (new charges)": lambda: fmm.evaluate(q2),
        f"direct_sum, {idx.size} targets": lambda: _reference(K, y, q, idx),
    }
    res = best_times(contenders, repeat=repeat, warmup=0)
    t_all, phi = res["EIFMM fit + evaluate"]
    t_eval, phi2 = res["EIFMM evaluate (new charges)"]
    t_d, ref = res[f"direct_sum, {idx.size} targets"]
    ref2 = _reference(K, y, q2, idx)
    t_direct = t_d * n / idx.size
    err_all, err_eval = _rel(phi[idx], ref), _rel(phi2[idx], ref2)
    print(f"  EIFMM: levels {fmm.tree_.depth}, points per level {fmm.ranks_}")
    print(
        f"  {'EIFMM fit + evaluate':30s} {t_all:9.3f} s   error {err_all:.2e} "
        f"(estimate {fmm.error_estimate_:.2e})"
    )
    print(f"  {'EIFMM evaluate (new charges)':30s} {t_eval:9.3f} s   error {err_eval:.2e}")
    print(
        f"  {'direct_sum (numba)':30s} {t_direct:9.3f} s   extrapolated: {t_d:.3f} s for "
        f"{idx.size} targets x {n} / {idx.size}"
    )
    target = 20.0 * n / 1e5
    s_all, s_eval = t_direct / t_all, t_direct / t_eval
    print(f"  speed-up over the direct sum: fit + evaluate {s_all:.1f}x, evaluate {s_eval:.1f}x")
    what = f"{name} N={n}: EIFMM"
    _check(
        s_all >= target,
        f"{what} fit + evaluate >= {target:g}x faster than direct",
        f"{s_all:.1f}x",
    )
    _check(
        s_eval >= target, f"{what} evaluate >= {target:g}x faster than direct", f"{s_eval:.1f}x"
    )
    _check(err_all <= 2 * TOL, f"{name} N={n}: EIFMM error at most 2 tol", f"{err_all:.1e}")


def ranks_table(Ks: dict, n: int, leaf_size: int | str | None) -> None:
    print(f"\n(c) points per tree level, EIM against Chebyshev, tol {TOL:g}, N = {n}")
    y, q, _, idx = _points(n)
    print(
        f"  {'kernel':28s} {'method':10s} {'points per level':34s} {'error':>9s} "
        f"{'estimate':>9s} {'fit s':>8s} {'eval s':>7s}"
    )
    for K in Ks.values():
        ref = _reference(K, y, q, idx)
        ranks = {}
        for method in ("eim", "chebyshev"):
            clear_cache()
            t0 = time.perf_counter()
            fmm = _fresh(K, leaf_size, method).fit(y)
            t1 = time.perf_counter()
            phi = fmm.evaluate(q)
            t2 = time.perf_counter()
            ranks[method] = fmm.ranks_
            levels = ", ".join(f"{lev}: {r}" for lev, r in fmm.ranks_.items())
            print(
                f"  {K.name:28s} {method:10s} {levels:34s} {_rel(phi[idx], ref):9.2e} "
                f"{fmm.error_estimate_:9.2e} {t1 - t0:8.2f} {t2 - t1:7.2f}"
            )
        cheb = ranks["chebyshev"]
        ratio = [cheb[lev] / r for lev, r in ranks["eim"].items() if r and cheb.get(lev)]
        if ratio:
            print(f"  {'':28s} Chebyshev / EIM points: {min(ratio):.2f} to {max(ratio):.2f}")


def gpu_part(n: int) -> None:
    print(f"\n(d) GPU: Laplace, N = {n}, tol {TOL:g}")
    try:
        import cupy

        cupy.cuda.runtime.getDeviceCount()
        name = cupy.cuda.runtime.getDeviceProperties(0)["name"].decode()
    except Exception as err:  # any failure means no usable GPU
        print(f"SKIP: GPU part (cupy with a GPU is needed: {type(err).__name__}: {err})")
        return
    print(f"  device: {name}, cupy {cupy.__version__}")
    K = kernels.laplace()
    y, q, q2, idx = _points(n)
    yd, qd, q2d = cupy.asarray(y), cupy.asarray(q), cupy.asarray(q2)

    def synced(f):
        def run():
            out = f()
            cupy.cuda.Device().synchronize()
            return out

        return run

    try:
        fmm = EIFMM(K, tol=TOL, backend="cupy").fit(yd)
    except (ValueError, TypeError) as err:
        fmm = None
        print(f"SKIP: EIFMM evaluate on the GPU ({err})")
    contenders = {"cupy direct_sum (all targets)": synced(lambda: direct_sum(K, None, yd, qd))}
    if fmm is not None:
        contenders = {"EIFMM evaluate (cupy)": synced(lambda: fmm.evaluate(q2d)), **contenders}
    res = best_times(contenders, repeat=3, warmup=1)
    t_d, out = res["cupy direct_sum (all targets)"]
    print(f"  {'cupy direct_sum (all targets)':30s} {t_d:9.4f} s")
    if fmm is None:
        return
    t_e, phi = res["EIFMM evaluate (cupy)"]
    err = _rel(cupy.asnumpy(phi)[idx], cupy.asnumpy(_reference(K, yd, q2d, cupy.asarray(idx))))
    print(
        f"  {'EIFMM evaluate (cupy)':30s} {t_e:9.4f} s   error {err:.2e}   "
        f"speed-up {t_d / t_e:.1f}x"
    )
    _check(
        t_e <= GPU_TARGET_S,
        f"GPU N={n}: EIFMM evaluate at most {GPU_TARGET_S * 1e3:g} ms",
        f"{t_e * 1e3:.1f} ms",
    )
    del out


# --------------------------------------------------------------- (f) the sweep
SWEEP_TOLS = (1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10)

_FMM2D_CHILD = """
import json, sys, time, resource
import numpy as np, fmm2dpy
folder = sys.argv[1]
y = np.load(folder + "/sources.npy"); q = np.load(folder + "/charges.npy")
tols = json.loads(sys.argv[2]); repeat = int(sys.argv[3])
routine, zk = getattr(fmm2dpy, sys.argv[4]), float(sys.argv[5])
extra = {}
if sys.argv[4] == "hfmm2d":  # complex charges and the wave number
    q, extra = q.astype(np.complex128), {"zk": zk}
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
routine(eps=1e-3, sources=y, charges=q, pg=1, **extra)  # load the library
times = []
for i, eps in enumerate(tols):
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        out = routine(eps=eps, sources=y, charges=q, pg=1, **extra)
        best = min(best, time.perf_counter() - t)
    times.append(best)
    np.save(folder + "/pot%d.npy" % i, out.pot)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"times": times, "peak_mb": (peak - base) / 1024}))
"""


def _front(t, e) -> tuple[np.ndarray, np.ndarray]:
    """The Pareto front of (error, time) runs, as log error and log time sorted by
    error: a run is kept when it is faster than every run of smaller error (the
    tolerance one would pick for that accuracy)."""
    order = np.argsort(np.asarray(e))
    keep, best = [], np.inf
    for i in order:
        if t[i] < best:
            keep.append(i)
            best = t[i]
    keep = np.array(keep)
    return np.log(np.asarray(e)[keep]), np.log(np.asarray(t)[keep])


def _matched(t_a, e_a, t_b, e_b, points: int = 5) -> list[tuple[float, float]]:
    """``t_a / t_b`` at equal achieved errors: each curve's Pareto front, log time
    interpolated linearly in log error, on the common error range."""
    la, ta = _front(np.asarray(t_a), e_a)
    lb, tb = _front(np.asarray(t_b), e_b)
    lo, hi = max(la.min(), lb.min()), min(la.max(), lb.max())
    if not lo < hi:
        return []
    return [
        (float(np.exp(x)), float(np.exp(np.interp(x, la, ta) - np.interp(x, lb, tb))))
        for x in np.linspace(lo, hi, points)
    ]


def _peak_rss(setup: str, code: str) -> float:
    """Peak resident memory (MB) that ``code`` adds, in a fresh Python process, above
    the memory after ``setup`` (Linux: the high-water mark is reset between the two
    by writing 5 to /proc/self/clear_refs; NaN where that is not possible)."""
    import subprocess
    import sys

    script = (
        "import sys\nsys.path.insert(0, {!r})\n"
        "from bench_fmm import _points, EIFMM, kernels\n"
        "import numpy as np\n".format(__file__.rsplit("/", 1)[0])
        + setup
        + "\ndef kb(key):\n"
        "    for line in open('/proc/self/status'):\n"
        "        if line.startswith(key):\n"
        "            return int(line.split()[1])\n"
        "open('/proc/self/clear_refs', 'w').write('5')\n"
        "base = kb('VmRSS:')\n" + code + "\nprint((kb('VmHWM:') - base) / 1024)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    try:
        return float(out.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return float("nan")


def _plot(case: str, curves: dict, folder: str) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    import os

    os.makedirs(folder, exist_ok=True)
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for label, (err, t, style) in curves.items():
        ax.loglog(err, t, style, label=label)
    ax.set_xlabel("achieved relative l2 error (1000 targets)")
    ax.set_ylabel("time (s)")
    ax.set_title(case)
    ax.invert_xaxis()
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    path = os.path.join(folder, "fmm_sweep_" + case.split(",")[0].replace(" ", "_") + ".png")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _print_matched(name: str, pairs: list[tuple[float, float]]) -> None:
    if not pairs:
        print(f"  {name}: the error ranges do not overlap")
        return
    body = ", ".join(f"{e:.0e}: {r:.2f}" for e, r in pairs)
    print(f"  {name} at matched achieved error (error: ratio) {body}")


def sweep_case(
    case: str,
    K,
    peer,
    n: int,
    tols,
    repeat: int,
    folder: str,
    scale=1.0,
    peer_name="fmm3dpy",
    leaf_sizes=(None,),
):
    """Time against achieved error for both codes over ``tols``; ``peer(eps, y, q)``
    returns the peer's potentials (or None without a peer) times ``scale``. With
    several ``leaf_sizes`` (None: the EIFMM's default), the EIFMM runs with each in
    turn at every tolerance, against the same peer runs; one table and one set of
    ratios per leaf size."""
    y, q, q2, idx = _points(n)
    ref, ref2 = _reference(K, y, q, idx), _reference(K, y, q2, idx)
    rows: dict = {leaf: [] for leaf in leaf_sizes}
    lines: dict = {leaf: [] for leaf in leaf_sizes}
    near = {}
    print(f"\n(f) {case}, N = {n}: tol/eps swept over {list(tols)}")
    for tol in tols:
        t_peer, err_peer = np.nan, np.nan
        if peer is not None:
            t_peer, pot = best_times({"p": lambda tol=tol: peer(tol, y, q)}, repeat, 0)["p"]
            err_peer = _rel(pot[idx] * scale, ref)
        for leaf in leaf_sizes:
            clear_cache()
            options = {} if leaf is None else {"leaf_size": leaf}
            start = time.perf_counter()
            fmm = EIFMM(K, tol=tol, **options).fit(y)
            phi = fmm.evaluate(q)
            t_all = time.perf_counter() - start
            t_eval, phi2 = best_times({"e": lambda fmm=fmm: fmm.evaluate(q2)}, repeat, 0)["e"]
            err, err2 = _rel(phi[idx], ref), _rel(phi2[idx], ref2)
            row = (tol, t_all, t_eval, max(err, 1e-16), max(err2, 1e-16), t_peer, err_peer)
            rows[leaf].append(row)
            if tol == 1e-6:
                near[leaf] = _p2p_rate(fmm)
            lines[leaf].append(
                f"  {tol:7.0e} {t_all:13.3f} s {t_eval:6.3f} s {err:9.2e} "
                f"{fmm.error_estimate_:9.2e} {fmm.leaf_size_:5d} {fmm.tree_.depth:5d} "
                f"{t_peer:6.3f} s {err_peer:10.2e}"
            )
            print(f"  [leaf_size={fmm.leaf_size}]" + lines[leaf][-1], flush=True)
    out = {}
    for leaf in leaf_sizes:
        label = "" if len(leaf_sizes) == 1 else f" leaf_size={leaf if leaf else 'default'}"
        out[leaf] = _sweep_summary(
            f"{case} N={n}{label}",
            np.array(rows[leaf]),
            lines[leaf],
            near.get(leaf),
            folder,
            peer is not None,
            peer_name,
        )
    if len(leaf_sizes) == 2:
        a, b = (out[leaf] for leaf in leaf_sizes)
        names = [str(leaf if leaf else "default") for leaf in leaf_sizes]
        print(f"\n  {case}: leaf_size={names[0]} against leaf_size={names[1]}")
        _print_matched("EIFMM fit + evaluate", _matched(a[:, 1], a[:, 3], b[:, 1], b[:, 3]))
        _print_matched("EIFMM evaluate", _matched(a[:, 2], a[:, 4], b[:, 2], b[:, 4]))
    return out if len(leaf_sizes) > 1 else out[leaf_sizes[0]]


def _sweep_summary(case, r, lines, near, folder, has_peer, peer_name):
    """The table of one leaf size, its matched ratios and its figure."""
    print(f"\n  {case}:")
    print(
        f"  {'tol':>7} {'EIFMM fit+eval':>15} {'eval':>8} {'error':>9} {'estimate':>9} "
        f"{'leaf':>5} {'depth':>5} {'peer':>8} {'peer error':>10}"
    )
    print("\n".join(lines))
    if near is not None:
        print(near)
    over = r[:, 3] / r[:, 0]
    print(
        f"  EIFMM achieved error / tol: min {over.min():.2g}, max {over.max():.2g} (<= 1: tol met)"
    )
    curves = {
        "EIFMM fit + evaluate": (r[:, 3], r[:, 1], "o-"),
        "EIFMM evaluate (new charges)": (r[:, 4], r[:, 2], "s--"),
    }
    if has_peer:
        curves[peer_name] = (r[:, 6], r[:, 5], "^-")
        fit_eval = _matched(r[:, 1], r[:, 3], r[:, 5], r[:, 6])
        _print_matched(f"EIFMM fit + evaluate / {peer_name}", fit_eval)
        _print_matched(
            f"EIFMM evaluate / {peer_name}", _matched(r[:, 2], r[:, 4], r[:, 5], r[:, 6])
        )
    path = _plot(case, curves, folder)
    if path:
        print(f"  figure: {path}")
    return r


def _p2p_rate(fmm) -> str:
    """The near field's throughput in the last evaluation: target-source interactions
    and kernel evaluations (a real kernel on its own points evaluates each unordered
    pair once, for both points) per second, on all threads."""
    tree, P = fmm.tree_, fmm.lists_["p2p"]
    nt = (tree.tgt_end - tree.tgt_start)[P[:, 0]]
    ns = (tree.src_end - tree.src_start)[P[:, 1]]
    pairs = float(np.sum(nt * ns.astype(np.float64)))
    mutual = fmm._plans.get("p2p_mutual") is not None
    evals = pairs / 2 if mutual else pairs
    t = fmm.timings_["p2p"]
    return (
        f"  near field (P2P) at tol 1e-6: {pairs:.3g} interactions in {t:.3f} s -> "
        f"{pairs / t:.3g} interactions/s, {evals / t:.3g} kernel evaluations/s "
        f"({'mutual: one evaluation per pair of points' if mutual else 'one-way'}) on "
        f"{numba.get_num_threads()} threads"
    )


def _fmm2d_venv() -> str | None:
    """The Python of the separate venv with fmm2dpy (its wheel needs numpy < 2)."""
    import os

    python = os.path.expanduser("~/.cache/romba/fmm2d-venv/bin/python")
    return python if os.path.exists(python) else None


def _fmm2d_runner(repeat: int, routine: str = "rfmm2d", zk: float = 0.0):
    """``peer(eps, y, q)`` running fmm2dpy's ``routine`` (rfmm2d, or hfmm2d with wave
    number ``zk``) in the venv (one process per call would time the start-up: the
    tolerances run in one child, cached by eps)."""
    import json
    import subprocess
    import tempfile

    python = _fmm2d_venv()
    if python is None:
        return None
    cache: dict = {}

    def peer(eps, y, q):
        key = (y.shape, float(y[0, 0]))
        if key not in cache:
            folder = tempfile.mkdtemp(prefix="fmm2d-")
            np.save(folder + "/sources.npy", np.ascontiguousarray(y.T))
            np.save(folder + "/charges.npy", q)
            tols = json.dumps(list(SWEEP_TOLS))
            out = subprocess.run(
                [python, "-c", _FMM2D_CHILD, folder, tols, str(repeat), routine, repr(float(zk))],
                capture_output=True,
                text=True,
                check=True,
            )
            info = json.loads(out.stdout.strip().splitlines()[-1])
            pots = [np.load(f"{folder}/pot{i}.npy") for i in range(len(SWEEP_TOLS))]
            cache[key] = (info, pots)
            print(f"  fmm2dpy (venv, numpy<2): peak memory {info['peak_mb']:.0f} MB")
        info, pots = cache[key]
        i = SWEEP_TOLS.index(eps)
        time.sleep(0)  # the child timed the call itself: the time is injected below
        peer.last_time = info["times"][i]
        return pots[i]

    return peer


def sweep(sizes, repeat: int, folder: str, kinds, leaf_sizes=(None,)) -> None:
    """(f): time against achieved error, EIFMM against fmm3dpy (3-D) and fmm2dpy (2-D)."""
    fmm3dpy = _import_fmm3d()
    scale = 4 * np.pi  # fmm3dpy's potentials include 1 / (4 pi)
    for n in sizes:
        if "laplace" in kinds:
            peer = None
            if fmm3dpy is not None:

                def peer(eps, y, q):
                    src = np.ascontiguousarray(y.T)
                    return fmm3dpy.lfmm3d(eps=eps, sources=src, charges=q, pg=1).pot

            sweep_case(
                "Laplace 3-D",
                kernels.laplace(),
                peer,
                n,
                SWEEP_TOLS,
                repeat,
                folder,
                scale,
                leaf_sizes=leaf_sizes,
            )
        for k in (2.0, 20.0):
            if f"helmholtz{k:g}" not in kinds:
                continue
            peer = None
            if fmm3dpy is not None:

                def peer(eps, y, q, k=k):
                    src = np.ascontiguousarray(y.T)
                    c = q.astype(np.complex128)
                    return fmm3dpy.hfmm3d(eps=eps, zk=k, sources=src, charges=c, pg=1).pot

            case = f"Helmholtz 3-D k={k:g}"
            sweep_case(
                case,
                kernels.helmholtz(k),
                peer,
                n,
                SWEEP_TOLS,
                repeat,
                folder,
                scale,
                leaf_sizes=leaf_sizes,
            )
        for case in CASES_2D:
            if case in kinds:
                sweep_2d(n, repeat, folder, case)
    n = max(sizes)
    print(f"\npeak memory at N = {n} (fresh processes, tol 1e-6, MB above the loaded data):")
    setup = f"y, q, _, _ = _points({n})\nimport fmm3dpy\n"
    eifmm = _peak_rss(setup, "EIFMM(kernels.laplace(), tol=1e-6).fit(y).evaluate(q)")
    print(f"  EIFMM Laplace fit + evaluate: {eifmm:.0f} MB")
    if fmm3dpy is not None:
        peer = _peak_rss(
            setup, "fmm3dpy.lfmm3d(eps=1e-6, sources=np.ascontiguousarray(y.T), charges=q, pg=1)"
        )
        print(f"  fmm3dpy lfmm3d: {peer:.0f} MB")


# the 2-D cases against fmm2dpy: title, kernel, routine, wave number, and the factor
# that takes fmm2dpy's potentials to the kernel's (rfmm2d sums q log r, as log(2)
# does; hfmm2d sums q (i/4) H0^(1)(k r), helmholtz(k, dim=2) is H0^(1)(k r))
CASES_2D = {
    "laplace2d": ("Laplace 2-D, log r", lambda: kernels.log(2), "rfmm2d", 0.0, 1.0),
    "helmholtz2d2": (
        "Helmholtz 2-D k=2, H0(kr)",
        lambda: kernels.helmholtz(2.0, dim=2),
        "hfmm2d",
        2.0,
        -4j,
    ),
    "helmholtz2d20": (
        "Helmholtz 2-D k=20, H0(kr)",
        lambda: kernels.helmholtz(20.0, dim=2),
        "hfmm2d",
        20.0,
        -4j,
    ),
}


def sweep_2d(n: int, repeat: int, folder: str, case: str = "laplace2d") -> None:
    """A 2-D case of :data:`CASES_2D` against its fmm2dpy routine, run in the separate
    venv; its times are measured inside the child process."""
    title, make_kernel, routine, zk, scale = CASES_2D[case]
    runner = _fmm2d_runner(repeat, routine, zk)
    if runner is None:
        print(
            f"\n(f) {title}: SKIP, no fmm2dpy venv (python -m venv "
            '~/.cache/romba/fmm2d-venv && ~/.cache/romba/fmm2d-venv/bin/pip install "numpy<2" '
            "fmm2dpy)"
        )
        return
    K = make_kernel()
    rng = np.random.default_rng(0)
    y, q = rng.random((n, 2)), rng.standard_normal(n)
    q2 = rng.standard_normal(n)
    idx = np.sort(rng.choice(n, min(n, N_CHECK), replace=False))
    ref = direct_sum(K, y[idx], y, q) - K.value_at_zero * q[idx]
    ref2 = direct_sum(K, y[idx], y, q2) - K.value_at_zero * q2[idx]
    print(f"\n(f) {title}, N = {n}, uniform in the unit square, against {routine}")
    rows = []
    for tol in SWEEP_TOLS:
        clear_cache()
        start = time.perf_counter()
        fmm = EIFMM(K, tol=tol).fit(y)
        phi = fmm.evaluate(q)
        t_all = time.perf_counter() - start
        t_eval, phi2 = best_times({"e": lambda fmm=fmm: fmm.evaluate(q2)}, repeat, 0)["e"]
        pot = runner(tol, y, q) * scale
        err_p = _rel(pot[idx], ref)
        err, err2 = _rel(phi[idx], ref), _rel(phi2[idx], ref2)
        rows.append((tol, t_all, t_eval, err, err2, runner.last_time, err_p))
        print(
            f"  {tol:7.0e} EIFMM {t_all:7.3f} s eval {t_eval:6.3f} s error {err:8.2e}   "
            f"fmm2dpy {runner.last_time:6.3f} s error {err_p:8.2e}"
        )
    r = np.array(rows)
    _print_matched("EIFMM fit + evaluate / fmm2dpy", _matched(r[:, 1], r[:, 3], r[:, 5], r[:, 6]))
    _print_matched("EIFMM evaluate / fmm2dpy", _matched(r[:, 2], r[:, 4], r[:, 5], r[:, 6]))
    curves = {
        "EIFMM fit + evaluate": (r[:, 3], r[:, 1], "o-"),
        "EIFMM evaluate (new charges)": (r[:, 4], r[:, 2], "s--"),
        f"fmm2dpy {routine}": (r[:, 6], r[:, 5], "^-"),
    }
    path = _plot(f"{title.split(',')[0]} N={n}", curves, folder)
    if path:
        print(f"  figure: {path}")


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(
        __doc__,
        quick_help="N = 20000 only, one repeat (a smoke run)",
        repeat_help="timed calls per contender, best kept (default 3)",
    )
    parser.add_argument(
        "--backend",
        choices=("numba", "cupy"),
        default="numba",
        help="cupy: also time the GPU part (d)",
    )
    parser.add_argument(
        "--gpu-only",
        action="store_true",
        help="with --backend cupy: only the GPU part (d), at the largest size",
    )
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        default=None,
        help="numbers of points (default 100000 1000000)",
    )
    parser.add_argument(
        "--leaf-size",
        type=_leaf_size,
        nargs="+",
        default=None,
        help="EIFMM leaf size: an integer or auto (default: the EIFMM's own); with --sweep, "
        "several (e.g. auto 64) run in turn against the same peer runs",
    )
    parser.add_argument(
        "--sweep",
        nargs="*",
        default=None,
        metavar="CASE",
        help="only part (f), time against achieved error over tol 1e-3..1e-10, for the "
        "cases given (laplace helmholtz2 helmholtz20 laplace2d helmholtz2d2 helmholtz2d20; "
        "none: all) at --sizes "
        "(default 100000; --quick 20000)",
    )
    parser.add_argument("--figures", default="docs/figures", help="folder of the sweep's figures")
    args = parser.parse_args(argv)
    if args.sweep is not None:
        versions = {"numba": numba.__version__}
        print(machine_header(versions))
        kinds = args.sweep or ["laplace", "helmholtz2", "helmholtz20", *CASES_2D]
        sizes = args.sizes or ([20_000] if args.quick else [100_000])
        t0 = time.perf_counter()
        _warm_up({"laplace": kernels.laplace(), "h": kernels.helmholtz(2.0)}, None)
        EIFMM(kernels.log(2), tol=1e-3).fit(np.random.default_rng(0).random((3000, 2)))
        print(f"warm-up (numba compilation or cache load): {time.perf_counter() - t0:.1f} s")
        print(
            f"errors: relative l2 over {N_CHECK} random targets against the exact direct sum; "
            f"EIFMM fit + evaluate timed once (far-field store cleared), evaluate and the "
            f"peers best of {max(1, args.repeat)}"
        )
        sweep(sizes, max(1, args.repeat), args.figures, kinds, args.leaf_size or (None,))
        print(f"\n{load_average()} at the end")
        return
    if args.leaf_size is not None and len(args.leaf_size) > 1:
        parser.error("several --leaf-size values need --sweep")
    args.leaf_size = args.leaf_size[0] if args.leaf_size else None
    sizes = args.sizes or ([20_000] if args.quick else [100_000, 1_000_000])
    repeat = 1 if args.quick else args.repeat
    if args.gpu_only:
        if args.backend != "cupy":
            parser.error("--gpu-only needs --backend cupy")
        print(machine_header({"numba": numba.__version__}))
        gpu_part(max(sizes))
        print(f"\n{load_average()} at the end")
        return
    fmm3dpy = _import_fmm3d()
    versions = {"numba": numba.__version__}
    if fmm3dpy is not None:
        from importlib.metadata import version

        versions["fmm3dpy"] = version("fmm3dpy")
    print(machine_header(versions))
    print(
        f"sizes {sizes}, best of {repeat} (contenders timed in turns), tol {TOL:g}, "
        f"errors on {N_CHECK} random targets against the exact direct sum"
    )
    Ks = {
        "laplace": kernels.laplace(),
        "gaussian": kernels.gaussian(0.2),
        "matern32": kernels.matern(1.5, 0.3),
        "multiquadric": kernels.multiquadric(0.1),
    }
    t0 = time.perf_counter()
    _warm_up(Ks, fmm3dpy)
    print(f"warm-up (numba compilation or cache load): {time.perf_counter() - t0:.1f} s")
    scale = 1.0
    if fmm3dpy is not None:
        scale = _fmm3d_normalisation(fmm3dpy)
        print(
            f"fmm3dpy lfmm3d potential / sum_j q_j / r_ij = {scale:.10f} "
            f"(1 / (4 pi) = {1 / (4 * np.pi):.10f}): fmm3dpy includes 1 / (4 pi)"
        )
    for n in sizes:
        laplace_part(n, repeat, args.leaf_size, fmm3dpy, scale)
        for name in ("gaussian", "matern32", "multiquadric"):
            kernel_part(name, Ks[name], n, repeat, args.leaf_size)
    helmholtz_part(min(sizes), repeat, args.leaf_size, fmm3dpy, scale)
    ranks_table(Ks, min(min(sizes), N_TABLE), args.leaf_size)
    if args.backend == "cupy":
        gpu_part(max(sizes))
    else:
        print("\n(d) GPU part: SKIP (run with --backend cupy on a machine with a GPU)")
    print(f"\n{load_average()} at the end")


if __name__ == "__main__":
    main()
