"""Log-determinants of a parametrised sparse SPD matrix: romba's LogDet against the
exact sparse factorisation and stochastic Lanczos quadrature (SLQ).

The matrix is the thermal block stiffness matrix ``A(mu) = sum_b mu_b A_b`` (2 x 2
blocks, P1 elements on a 100 x 100 grid, 9801 unknowns; ``mu`` in ``[1, 10]^4``, so
that ``log det A(mu)`` stays far from zero and relative errors are meaningful).

- exact: ``scipy.sparse.linalg.splu`` of ``A(mu)`` (minimum degree on ``A^T + A``),
  ``log det = sum log |u_ii|``; includes the assembly of ``A(mu)`` from its terms.
- romba: ``rom.rb.matrix_functions.LogDet`` fitted offline on a Sobol' training set
  (plus the corners of the box), then evaluated online, one parameter at a time and
  for all test parameters at once. The offline cost (exact log-determinants at the
  selected parameters) is reported with the number of evaluations that pays it back.
- SLQ (Ubaru, Chen, Saad 2017): Rademacher probes, ``steps`` Lanczos steps per probe
  (all probes as one block of vectors, no reorthogonalisation), Gauss quadrature of
  ``log`` on each tridiagonal matrix; includes the assembly of ``A(mu)``.

Timings are best-of-N per evaluation measured in this run; the ratios are printed,
never asserted. Targets: (1) one online evaluation at least 100x faster than one exact
sparse factorisation; (2) a relative accuracy better than SLQ's at equal or lower
cost per evaluation.

Run ``python benchmarks/bench_logdet.py`` (a few minutes on two cores), or
``--quick`` for a 40 x 40 grid and a looser tolerance.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.linalg
import scipy.sparse.linalg
from _common import benchmark_parser, best_time, machine_header

from fem_examples import thermal_block
from rom.rb.matrix_functions import LogDet

TARGET_SPEEDUP = 100.0


def exact_splu_logdet(A) -> float:
    """``sum log |u_ii|`` of a sparse LU (the determinant of an SPD matrix is positive)."""
    lu = scipy.sparse.linalg.splu(A.tocsc(), permc_spec="MMD_AT_PLUS_A")
    return float(np.sum(np.log(np.abs(lu.U.diagonal()))))


def slq_logdet(A, n_probes: int, steps: int, rng: np.random.Generator) -> float:
    """Stochastic Lanczos quadrature estimate of ``log det A`` (A symmetric positive definite).

    ``tr log A ~ (n / p) sum_l e_1^T log(T_l) e_1`` with ``T_l`` the Lanczos
    tridiagonal matrix of the normalised Rademacher probe ``l``.
    """
    n = A.shape[0]
    V = rng.choice([-1.0, 1.0], size=(n, n_probes)) / np.sqrt(n)
    alphas = np.zeros((steps, n_probes))
    betas = np.zeros((steps - 1, n_probes))
    V_prev = np.zeros_like(V)
    beta = np.zeros(n_probes)
    for j in range(steps):
        W = A @ V
        alpha = np.einsum("ij,ij->j", V, W)
        W -= alpha * V + beta * V_prev
        alphas[j] = alpha
        if j == steps - 1:
            break
        beta = np.linalg.norm(W, axis=0)
        betas[j] = beta
        V_prev, V = V, W / beta
    total = 0.0
    for k in range(n_probes):
        theta, S = scipy.linalg.eigh_tridiagonal(alphas[:, k], betas[:, k])
        total += np.sum(S[0] ** 2 * np.log(np.maximum(theta, np.finfo(float).tiny)))
    return n * total / n_probes


def _check(ok: bool, what: str, value: str) -> None:
    print(f"{'PASS' if ok else 'FAIL'}: {what} ({value})")


def main() -> None:
    parser = benchmark_parser(
        __doc__,
        quick_help="40 x 40 grid, tol 1e-4, fewer test parameters",
        repeat_help="timing repetitions (best of)",
    )
    args = parser.parse_args()
    resolution, tol, n_train, n_test, n_timed = (
        (40, 1e-4, 2048, 30, 5) if args.quick else (100, 1e-6, 4096, 100, 10)
    )
    slq_settings = [(10, 20), (30, 30), (100, 40), (30, 100)]
    print(machine_header())
    print()
    model, space = thermal_block.build((2, 2), resolution=resolution, low=1.0, high=10.0)
    operator = model.operator
    print(
        f"problem: thermal block 2 x 2, {resolution} x {resolution} grid, n = {model.size}, "
        f"nnz(A) = {operator.assemble(np.ones(4)).nnz}, mu in [1, 10]^4"
    )

    # ---------------------------------------------------------------- offline
    train = np.vstack(
        [space.sample(2, method="grid"), space.sample(n_train, method="sobol", seed=0)]
    )
    start = time.perf_counter()
    logdet = LogDet(tol=tol).fit(model, train)
    offline = time.perf_counter() - start
    print(
        f"offline: LogDet(tol={tol:g}) on {len(train)} training parameters: "
        f"{logdet.n_terms_} terms (degree {logdet.degree_}, stop: {logdet.stop_reason_}), "
        f"{offline:.1f} s"
    )

    # ----------------------------------------------------------- references
    test = space.sample(n_test, seed=1)
    exact = np.array([exact_splu_logdet(operator.assemble(mu)) for mu in test])
    print(
        f"test: {n_test} random parameters, log det A from {exact.min():.1f} to {exact.max():.1f}"
    )
    t_exact = min(
        best_time(lambda mu=mu: exact_splu_logdet(operator.assemble(mu)), repeat=args.repeat)[0]
        for mu in test[:n_timed]
    )

    # ---------------------------------------------------------------- online
    t_single = min(
        best_time(lambda mu=mu: logdet(mu), repeat=args.repeat)[0] for mu in test[:n_timed]
    )
    t_block, (values, estimates) = best_time(
        lambda: logdet.evaluate(test, return_estimate=True), repeat=args.repeat
    )
    t_block /= n_test
    rel = np.abs(values - exact) / np.abs(exact)
    covered = np.mean(np.abs(values - exact) <= estimates)

    # ------------------------------------------------------------------- SLQ
    rows = []
    for n_probes, steps in slq_settings:
        rng = np.random.default_rng(7)
        sub = test[:n_timed]
        start = time.perf_counter()
        estimates_slq = [slq_logdet(operator.assemble(mu), n_probes, steps, rng) for mu in sub]
        t_slq = (time.perf_counter() - start) / len(sub)
        rel_slq = np.abs(np.array(estimates_slq) - exact[:n_timed]) / np.abs(exact[:n_timed])
        rows.append((f"SLQ {n_probes} probes x {steps} steps", t_slq, rel_slq))

    print()
    print(f"{'method':<32}{'time / evaluation':>20}{'median rel. err':>18}{'max rel. err':>15}")
    print(f"{'exact sparse LU (splu)':<32}{t_exact * 1e3:>17.2f} ms{0.0:>18.1e}{0.0:>15.1e}")
    print(
        f"{'LogDet, one parameter':<32}{t_single * 1e6:>17.1f} us"
        f"{np.median(rel):>18.1e}{rel.max():>15.1e}"
    )
    print(
        f"{'LogDet, all test parameters':<32}{t_block * 1e6:>17.1f} us"
        f"{np.median(rel):>18.1e}{rel.max():>15.1e}"
    )
    for name, t_slq, rel_slq in rows:
        print(
            f"{name:<32}{t_slq * 1e3:>17.2f} ms{np.median(rel_slq):>18.1e}{rel_slq.max():>15.1e}"
        )
    print()
    print(f"error estimate >= error at {100 * covered:.0f}% of the test parameters")
    speedup = t_exact / t_single
    print(f"ratio exact / LogDet (one parameter): {speedup:.0f}x")
    print(f"ratio exact / LogDet (all at once):   {t_exact / t_block:.0f}x")
    for name, t_slq, rel_slq in rows:
        print(
            f"ratio {name} / LogDet (one parameter): time {t_slq / t_single:.0f}x, "
            f"median error {np.median(rel_slq) / max(np.median(rel), 1e-300):.1e}x"
        )
    breakeven = offline / max(t_exact - t_single, 1e-300)
    print(f"offline cost paid back after {breakeven:.0f} evaluations")
    print()
    _check(
        speedup >= TARGET_SPEEDUP,
        f"online evaluation at least {TARGET_SPEEDUP:.0f}x faster than the exact sparse LU",
        f"{speedup:.0f}x",
    )
    cheapest = min(rows, key=lambda row: row[1])
    best_slq = min(np.median(row[2]) for row in rows)
    _check(
        rel.max() < best_slq and t_single <= cheapest[1],
        "LogDet more accurate than SLQ at equal or lower cost",
        f"LogDet max rel. error {rel.max():.1e} in {t_single * 1e6:.0f} us; best SLQ median "
        f"{best_slq:.1e}, cheapest SLQ {cheapest[1] * 1e3:.1f} ms",
    )


if __name__ == "__main__":
    main()
