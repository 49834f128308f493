"""Wavenumber sweep of boundary element scattering: full dense solves against the
nonintrusive reduced model.

The model is :class:`fem_examples.helmholtz_bem.SphereScattering` (sound-soft unit
sphere, Brakhage-Werner combined potential, piecewise-constant collocation) on an
icosphere with 1280 panels, for 1000 wavenumbers ``k`` evenly spaced in [1, 4].

Full model, per wavenumber: assemble the dense complex matrix ``A(k)`` and the
right-hand side, LU-factorise and solve (``scipy.linalg.lu_factor`` / ``lu_solve``).
Both the LU-and-solve time alone (assembly excluded) and the time with assembly are
reported; LU-and-solve is timed with the default BLAS threads and with one thread,
and the faster is the baseline (on a loaded two-core machine threaded LAPACK can be
many times slower than one thread). The reduced model, offline and online, runs
with one BLAS thread. Doing this for all 1000 wavenumbers takes tens of minutes on a laptop, so
the full model is timed on ``--full`` of them (evenly spread through the sweep) and
the per-wavenumber mean is multiplied by 1000; the reduced model is run on all 1000.

Reduced model (romba): offline, ``MatrixEIM`` and ``VectorEIM`` over 61 training
wavenumbers (with the ``entries`` callback), an ``InfSupEstimate`` on 5 samples and a
minimum-residual ``ReducedBasis`` weak greedy on 200 wavenumbers (tolerance 1e-9);
offline times are reported separately. Online, per wavenumber: the EIM coefficients
from the ``M`` selected entries of ``A(k)`` (a few kernel evaluations each) and the
selected entries of ``f(k)``, then the small least-squares solve; optionally the
density ``V a`` (1280 values).

Targets: online speed-up at least 100x over LU-and-solve alone, with the reduced
densities within 1e-6 (relative, L2 on the surface) of the full boundary element
solutions at every fully solved wavenumber.

Run ``python benchmarks/bench_bem_sweep.py`` (a few minutes on two cores), or
``--quick`` for 320 panels, 100 wavenumbers and 10 full solves.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numba
import numpy as np
import scipy.linalg
import scipy.sparse
from _common import benchmark_parser, best_time, machine_header
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # fem_examples

from fem_examples.helmholtz_bem import SphereScattering, mie_far_field
from rom.eim import MatrixEIM, VectorEIM
from rom.rb import InfSupEstimate, LinearModel, ReducedBasis

K_MIN, K_MAX = 1.0, 4.0
TARGET_SPEEDUP = 100.0
TARGET_ERROR = 1e-6


def _check(ok: bool, what: str, value: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'}: {what} ({value})")


def _timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def main(argv: list[str] | None = None) -> None:
    parser = benchmark_parser(
        __doc__,
        "320 panels, 100 wavenumbers, 10 full solves (smoke test)",
        "timed runs of the reduced sweep (best of)",
    )
    parser.add_argument(
        "--full", type=int, default=None, help="wavenumbers solved with the full model"
    )
    args = parser.parse_args(argv)
    refinement, n_k, n_full = (2, 100, 10) if args.quick else (3, 1000, 40)
    n_full = n_full if args.full is None else max(2, args.full)
    print(
        "# BEM wavenumber sweep (benchmarks/bench_bem_sweep.py"
        + (" --quick)" if args.quick else ")")
    )
    print(machine_header({"numba": numba.__version__}))

    bem = SphereScattering(refinement=refinement)
    ks = np.linspace(K_MIN, K_MAX, n_k)
    full_idx = np.unique(np.linspace(0, n_k - 1, n_full).round().astype(int))
    print(
        f"model: sound-soft unit sphere, combined potential, {bem.size} panels "
        f"(icosphere refinement {refinement}), {len(bem.near_pairs)} near-field pairs; "
        f"{n_k} wavenumbers k in [{K_MIN}, {K_MAX}], full solves at {len(full_idx)} of them"
    )
    print(f"panels per wavelength at k = {K_MAX}: {2 * np.pi / K_MAX / bem.diameters.mean():.1f}")
    bem.assemble(K_MIN)  # compile (or load) the numba kernels outside the timings
    bem.entries(K_MIN, np.array([0]), np.array([1]))
    print()

    # ------------------------------------------------------------ full model
    print("## full model: assemble + LU + solve per wavenumber")
    t_asm, t_lu, t_lu1, full = [], [], [], []
    for k in ks[full_idx]:
        ta, (A, f) = _timed(lambda k=k: (bem.assemble(k), bem.rhs(k)))
        tl, phi = _timed(lambda A=A, f=f: scipy.linalg.lu_solve(scipy.linalg.lu_factor(A), f))
        with threadpool_limits(1):
            tl1, _ = _timed(lambda A=A, f=f: scipy.linalg.lu_solve(scipy.linalg.lu_factor(A), f))
        t_asm.append(ta)
        t_lu.append(tl)
        t_lu1.append(tl1)
        full.append(phi)
    full = np.stack(full, axis=1)
    t_asm, t_lu_n, t_lu1 = float(np.mean(t_asm)), float(np.mean(t_lu)), float(np.mean(t_lu1))
    t_lu = min(t_lu_n, t_lu1)
    print(f"assembly (A and f)        {t_asm * 1e3:9.2f} ms per k (mean of {len(full_idx)})")
    print(f"LU + solve, default BLAS threads {t_lu_n * 1e3:9.2f} ms per k")
    print(f"LU + solve, one BLAS thread      {t_lu1 * 1e3:9.2f} ms per k")
    print(f"LU + solve (the faster)   {t_lu * 1e3:9.2f} ms per k")
    print(f"assembly + LU + solve     {(t_asm + t_lu) * 1e3:9.2f} ms per k")
    print(
        f"-> {n_k} wavenumbers: {n_k * t_lu:.1f} s (LU + solve), {n_k * (t_asm + t_lu):.1f} s "
        "(with assembly), extrapolated from the mean"
    )
    dirs = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.0, 0.0, -1.0]])
    mie_err = max(
        np.abs(bem.far_field(full[:, j], k, dirs) - mie_far_field(k, dirs)).max()
        / np.abs(mie_far_field(k, dirs)).max()
        for j, k in zip([0, len(full_idx) - 1], ks[full_idx[[0, -1]]], strict=True)
    )
    print(f"full BEM vs Mie series, far field at k = {K_MIN} and {K_MAX}: {mie_err:.2e} relative")
    print()

    # -------------------------------------------------------------- offline
    print("## reduced model, offline (one BLAS thread)")
    limit = threadpool_limits(1)
    train = np.linspace(K_MIN, K_MAX, 61)[:, None]
    t_meim, meim = _timed(
        lambda: MatrixEIM(tol=1e-11).fit(bem.assemble, train, entries=bem.entries)
    )
    t_veim, veim = _timed(
        lambda: VectorEIM(tol=1e-12).fit(bem.rhs, train, entries=bem.rhs_entries)
    )
    inner = scipy.sparse.diags(bem.areas)
    model = LinearModel(meim.to_affine(), veim.to_affine(), inner=inner)
    t_stab, stability = _timed(
        lambda: InfSupEstimate(model.operator.assemble, inner).fit(
            np.linspace(K_MIN, K_MAX, 5)[:, None]
        )
    )
    rb = ReducedBasis(model, stability, projection="minres", tol=1e-9)
    t_rb, _ = _timed(lambda: rb.fit(np.linspace(K_MIN, K_MAX, 200)[:, None]))
    reduced = rb.reduced_model_
    offline = t_meim + t_veim + t_stab + t_rb
    print(
        f"MatrixEIM(tol=1e-11), 61 training k: {meim.n_terms_} terms, {t_meim:.2f} s "
        f"(candidate error {meim.errors_[-1] / meim.errors_[0]:.1e} relative)"
    )
    print(f"VectorEIM(tol=1e-12): {veim.n_terms_} terms, {t_veim:.2f} s")
    print(f"InfSupEstimate, 5 training k: {t_stab:.2f} s")
    print(
        f"ReducedBasis(projection='minres', tol=1e-9).fit, 200 training k: N = {rb.n_terms_}, "
        f"{t_rb:.2f} s ({rb.stop_reason_})"
    )
    print(
        f"offline total {offline:.1f} s = {offline / (t_asm + t_lu):.0f} full solves with assembly"
    )
    print()

    # --------------------------------------------------------------- online
    print(f"## reduced model, online: all {n_k} wavenumbers (one BLAS thread)")
    mus = ks[:, None]
    t_red, _ = best_time(lambda: reduced.solve(mus), repeat=args.repeat)
    t_rec, U = best_time(lambda: reduced.reconstruct(reduced.solve(mus)), repeat=args.repeat)
    per_red, per_rec = t_red / n_k, t_rec / n_k
    print(
        f"coefficients (EIM entries + least squares)   {per_red * 1e6:9.1f} us per k, "
        f"{t_red:.3f} s for {n_k} (best of {args.repeat})"
    )
    print(f"... and the density V a ({bem.size} values)      {per_rec * 1e6:9.1f} us per k")
    X = np.sqrt(bem.areas)[:, None]
    err = np.linalg.norm(X * (U[:, full_idx] - full), axis=0) / np.linalg.norm(X * full, axis=0)
    _, indicator = reduced.solve_and_estimate(mus)
    print(
        f"relative L2 error vs full BEM at the {len(full_idx)} solved k: max {err.max():.2e}, "
        f"median {np.median(err):.2e}"
    )
    print(f"error indicator over all {n_k} k: max {indicator.max():.2e} (absolute, L2)")
    limit.unregister()
    print()
    s_lu = t_lu / per_rec
    s_all = (t_asm + t_lu) / per_rec
    print(f"speed-up, online reduced (with density) vs LU + solve:             {s_lu:8.1f}x")
    print(f"speed-up, online reduced (with density) vs assembly + LU + solve:  {s_all:8.1f}x")
    breakeven = offline / max(t_asm + t_lu - per_rec, 1e-12)
    print(f"offline cost pays off after {breakeven:.0f} wavenumbers (against assembly + LU)")
    if args.quick:
        print("--quick: 320 panels; the targets are for the full run (1280 panels)")
    _check(
        s_lu >= TARGET_SPEEDUP,
        f"online speed-up at least {TARGET_SPEEDUP:g}x over LU + solve",
        f"{s_lu:.1f}x",
    )
    _check(
        err.max() <= TARGET_ERROR,
        f"reduced densities within {TARGET_ERROR:g} of the full BEM",
        f"max {err.max():.2e}",
    )


if __name__ == "__main__":
    main()
    print(f"load average at the end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
