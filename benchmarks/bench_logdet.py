"""Log-determinants of parametrised SPD matrices: romba's LogDet against the exact
sparse factorisation, plain interpolation of mu -> log det, and stochastic Lanczos
quadrature (SLQ).

Two problems:

1. the thermal block stiffness matrix ``A(mu) = sum_b mu_b A_b`` (2 x 2 blocks, P1
   elements on a 100 x 100 grid, 9801 unknowns; ``mu`` in ``[1, 10]^4``, so that
   ``log det A(mu)`` stays far from zero and relative errors are meaningful);
2. a Gaussian-process covariance ``K(l, s) = k_l(|x_i - x_j|) + s^2 I`` (Matern 3/2,
   1000 random points of the unit square, length scale ``l`` and nugget ``s`` in
   ``[0.05, 0.5]``): not affine in ``l``, fitted through the callable path.

Methods:

- exact: ``scipy.sparse.linalg.splu`` (minimum degree on ``A^T + A``) or a dense
  Cholesky, ``log det = sum log |u_ii|``; includes the assembly of ``A(mu)``.
- romba: ``rom.matfun.LogDet(operator).fit(training_set)`` on a Sobol' training set (plus
  the corners of the box), then evaluated online, one parameter at a time and for all
  test parameters at once. The offline cost is reported with the number of
  evaluations that pays it back.
- plain interpolation with the same number ``M`` of exact evaluations as LogDet,
  at ``M`` Sobol' points of the box (plus the corners), in the logarithms of the
  parameters mapped to ``[-1, 1]``: ``scipy.interpolate.RBFInterpolator``
  (thin-plate spline with a linear tail), and a least-squares fit of tensor Chebyshev
  polynomials of the largest total degree with at most ``M / 2`` coefficients (QR).
- SLQ (Ubaru, Chen, Saad 2017): Rademacher probes, ``steps`` Lanczos steps per probe
  (all probes as one block of vectors, no reorthogonalisation), Gauss quadrature of
  ``log`` on each tridiagonal matrix; includes the assembly of ``A(mu)``.

The rigorous error bound (``error_bound``) needs exact traces at the selected
parameters (``n`` solves each), so it is measured on a 30 x 30 thermal block: the
share of test parameters where bound and estimate cover the error, and how much
larger than the error they are.

Timings are best-of-N per evaluation measured in this run; the ratios are printed,
never asserted. Targets: (1) one online evaluation at least 100x faster than one exact
sparse factorisation; (2) a relative accuracy better than SLQ's at equal or lower
cost per evaluation; (3) more accurate than plain interpolation with the same number
of exact evaluations; (4) the bound covers the error at every test parameter.

Run ``python benchmarks/bench_logdet.py`` (several minutes on two cores), or
``--quick`` for a 40 x 40 grid, 300 points and looser tolerances.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.linalg
import scipy.sparse.linalg
from _common import benchmark_parser, best_time, machine_header
from scipy.interpolate import RBFInterpolator
from scipy.spatial.distance import cdist
from scipy.stats import qmc

from fem_examples import thermal_block
from rom.matfun import LogDet

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


def _box_points(low: np.ndarray, high: np.ndarray, count: int, seed: int) -> np.ndarray:
    """The corners of the box plus Sobol' points, uniform in the logarithms."""
    d = low.size
    corners = np.array(np.meshgrid(*[[0.0, 1.0]] * d, indexing="ij")).reshape(d, -1).T
    with warnings.catch_warnings():  # Sobol' balance needs powers of two; not needed here
        warnings.simplefilter("ignore", UserWarning)
        sobol = qmc.Sobol(d, seed=seed).random(max(count - len(corners), 1))
    unit = np.vstack([corners, sobol])
    return low * (high / low) ** unit[:count]


def _chebyshev_design(x: np.ndarray, degree: int) -> np.ndarray:
    """Tensor Chebyshev polynomials of total degree <= degree at x in [-1, 1]^d."""
    d = x.shape[1]
    T = np.cos(np.arange(degree + 1)[None, None, :] * np.arccos(np.clip(x, -1, 1))[..., None])
    columns = []
    for index in np.ndindex(*[degree + 1] * d):
        if sum(index) <= degree:
            column = np.ones(x.shape[0])
            for q, k in enumerate(index):
                column = column * T[:, q, k]
            columns.append(column)
    return np.column_stack(columns)


def plain_fits(low, high, exact_fn, M: int, test: np.ndarray) -> dict:
    """Interpolate / regress mu -> log det from M exact values (log coordinates)."""

    def scaled(mus):
        return 2.0 * np.log(mus / low) / np.log(high / low) - 1.0

    points = _box_points(low, high, M, seed=5)
    values = np.array([exact_fn(mu) for mu in points])
    out = {}
    rbf = RBFInterpolator(scaled(points), values, kernel="thin_plate_spline")
    out[f"RBF interpolation, {M} values"] = rbf(scaled(test))
    d = low.size
    degree = 0
    while _chebyshev_design(np.zeros((1, d)), degree + 1).shape[1] <= M // 2:
        degree += 1
    V = _chebyshev_design(scaled(points), degree)
    Qf, R = np.linalg.qr(V)
    coef = scipy.linalg.solve_triangular(R, Qf.T @ values)
    out[f"poly LSQ deg {degree}, {M} values"] = _chebyshev_design(scaled(test), degree) @ coef
    return out


def slq_rows(assemble, test, exact, settings) -> list:
    rows = []
    for n_probes, steps in settings:
        rng = np.random.default_rng(7)
        start = time.perf_counter()
        estimates = [slq_logdet(assemble(mu), n_probes, steps, rng) for mu in test]
        t_slq = (time.perf_counter() - start) / len(test)
        rel = np.abs(np.array(estimates) - exact) / np.abs(exact)
        rows.append((f"SLQ {n_probes} probes x {steps} steps", t_slq, rel))
    return rows


def run_case(name, logdet, train, test, exact_fn, low, high, slq_settings, args) -> dict:
    """Fit, time and compare; print one table; return what the targets need."""
    start = time.perf_counter()
    logdet.fit(train)
    offline = time.perf_counter() - start
    M = logdet.n_terms_
    print(
        f"offline: LogDet(tol={logdet.tol:g}) on {len(train)} training parameters: {M} terms "
        f"(degree {logdet.degree_}, stop: {logdet.stop_reason_}), {offline:.1f} s"
    )
    exact = np.array([exact_fn(mu) for mu in test])
    n_timed = min(len(test), 10)
    print(
        f"test: {len(test)} random parameters, log det from {exact.min():.1f} to {exact.max():.1f}"
    )
    t_exact = min(
        best_time(lambda mu=mu: exact_fn(mu), repeat=args.repeat)[0] for mu in test[:n_timed]
    )
    t_single = min(
        best_time(lambda mu=mu: logdet(mu), repeat=args.repeat)[0] for mu in test[:n_timed]
    )
    t_block, (values, estimates) = best_time(
        lambda: logdet.evaluate(test, return_estimate=True), repeat=args.repeat
    )
    t_block /= len(test)
    rel = np.abs(values - exact) / np.abs(exact)
    covered = np.mean(np.abs(values - exact) <= estimates)
    plain = plain_fits(low, high, exact_fn, M, test)
    slq = slq_rows(logdet_assemble[name], test[:n_timed], exact[:n_timed], slq_settings)

    print()
    print(f"{name}")
    print(f"{'method':<34}{'time / evaluation':>20}{'median rel. err':>18}{'max rel. err':>15}")
    print(f"{'exact factorisation':<34}{t_exact * 1e3:>17.2f} ms{0.0:>18.1e}{0.0:>15.1e}")
    print(
        f"{'LogDet, one parameter':<34}{t_single * 1e6:>17.1f} us"
        f"{np.median(rel):>18.1e}{rel.max():>15.1e}"
    )
    print(
        f"{'LogDet, all test parameters':<34}{t_block * 1e6:>17.1f} us"
        f"{np.median(rel):>18.1e}{rel.max():>15.1e}"
    )
    plain_rel = {}
    for label, predicted in plain.items():
        err = np.abs(predicted - exact) / np.abs(exact)
        plain_rel[label] = err
        print(f"{label:<34}{'(M exact values)':>20}{np.median(err):>18.1e}{err.max():>15.1e}")
    for label, t_slq, rel_slq in slq:
        print(
            f"{label:<34}{t_slq * 1e3:>17.2f} ms{np.median(rel_slq):>18.1e}{rel_slq.max():>15.1e}"
        )
    print()
    print(f"error estimate >= error at {100 * covered:.0f}% of the test parameters")
    speedup = t_exact / t_single
    print(f"ratio exact / LogDet (one parameter): {speedup:.0f}x")
    print(f"ratio exact / LogDet (all at once):   {t_exact / t_block:.0f}x")
    for label, err in plain_rel.items():
        print(f"ratio max error {label} / LogDet: {err.max() / max(rel.max(), 1e-300):.1e}x")
    for label, t_slq, rel_slq in slq:
        print(
            f"ratio {label} / LogDet (one parameter): time {t_slq / t_single:.0f}x, "
            f"median error {np.median(rel_slq) / max(np.median(rel), 1e-300):.1e}x"
        )
    print(
        f"offline cost paid back after {offline / max(t_exact - t_single, 1e-300):.0f} evaluations"
    )
    print()
    return {
        "speedup": speedup,
        "rel": rel,
        "t_single": t_single,
        "slq": slq,
        "plain": plain_rel,
    }


logdet_assemble: dict = {}


def gp_covariance(n: int, seed: int = 0):
    x = np.random.default_rng(seed).uniform(size=(n, 2))
    distances = cdist(x, x)

    def covariance(mu):
        length, nugget = mu
        r = np.sqrt(3.0) * distances / length
        return (1.0 + r) * np.exp(-r) + nugget**2 * np.eye(n)

    return covariance


def cholesky_logdet(K) -> float:
    return float(2.0 * np.sum(np.log(np.diag(scipy.linalg.cholesky(K, check_finite=False)))))


def bound_case(resolution: int, n_test: int) -> tuple[float, float, str]:
    """Coverage and sharpness of error_bound and error_estimate on a smaller block."""
    model, space = thermal_block.build((2, 2), resolution=resolution, low=1.0, high=10.0)
    train = np.vstack([space.grid(2), space.sample(4096, "sobol", random_state=0)])
    start = time.perf_counter()
    plain = LogDet(model, tol=1e-5, bound=False).fit(train)
    t_plain = time.perf_counter() - start
    start = time.perf_counter()
    ld = LogDet(model, tol=1e-5, bound=True).fit(train)
    t_bound = time.perf_counter() - start
    test = space.sample(n_test, random_state=3)
    exact = np.array([exact_splu_logdet(model.operator.assemble(mu)) for mu in test])
    values, estimates = ld.evaluate(test, return_estimate=True)
    lower, upper = ld.bounds(test)
    bound = np.maximum(upper - values, values - lower)
    err = np.abs(values - exact)
    inside = np.mean((lower <= exact) & (exact <= upper))
    print(
        f"error bound: thermal block {resolution} x {resolution} grid, n = {model.size}, "
        f"{ld.n_terms_} terms ({plain.n_terms_} without traces); fit {t_plain:.1f} s without, "
        f"{t_bound:.1f} s with the exact traces ({ld.bound_note_} enclosure)"
    )
    print(
        f"  bound >= error at {100 * np.mean(err <= bound):.0f}% of {n_test} test parameters, "
        f"exact value inside the bracket at {100 * inside:.0f}%; median bound / error "
        f"{np.median(bound / err):.1e}, median bound / |log det| "
        f"{np.median(bound / np.abs(exact)):.1e}"
    )
    print(
        f"  estimate >= error at {100 * np.mean(err <= estimates):.0f}%; median estimate / "
        f"error {np.median(estimates / err):.1e}; max error / |log det| "
        f"{np.max(err / np.abs(exact)):.1e}"
    )
    print()
    return float(np.mean(err <= bound)), float(inside), ld.bound_note_


def main() -> None:
    parser = benchmark_parser(
        __doc__,
        quick_help="40 x 40 grid, 300 GP points, looser tolerances, fewer test parameters",
        repeat_help="timing repetitions (best of)",
    )
    args = parser.parse_args()
    resolution, tol, n_train, n_test, n_gp, gp_tol, bound_res = (
        (40, 1e-4, 2048, 30, 300, 1e-4, 12)
        if args.quick
        else (100, 1e-6, 4096, 100, 1000, 1e-6, 30)
    )
    print(machine_header())
    print()

    # ------------------------------------------------------- thermal block
    model, space = thermal_block.build((2, 2), resolution=resolution, low=1.0, high=10.0)
    operator = model.operator
    print(
        f"problem 1: thermal block 2 x 2, {resolution} x {resolution} grid, n = {model.size}, "
        f"nnz(A) = {operator.assemble(np.ones(4)).nnz}, mu in [1, 10]^4"
    )
    logdet_assemble["thermal block"] = operator.assemble
    train = np.vstack([space.grid(2), space.sample(n_train, method="sobol", random_state=0)])
    block = run_case(
        "thermal block",
        LogDet(model, tol=tol),
        train,
        space.sample(n_test, random_state=1),
        lambda mu: exact_splu_logdet(operator.assemble(mu)),
        np.full(4, 1.0),
        np.full(4, 10.0),
        [(10, 20), (30, 30), (100, 40), (30, 100)],
        args,
    )

    # ------------------------------------------------- Gaussian process
    covariance = gp_covariance(n_gp)
    low, high = np.array([0.05, 0.05]), np.array([0.5, 0.5])
    print(
        f"problem 2: Matern-3/2 covariance + nugget, {n_gp} random points in [0, 1]^2, "
        "length scale and nugget in [0.05, 0.5] (callable, not affine)"
    )
    logdet_assemble["Gaussian process"] = covariance
    rng = np.random.default_rng(2)
    gp = run_case(
        "Gaussian process",
        LogDet(covariance, tol=gp_tol),
        _box_points(low, high, 4096, seed=0),
        low * (high / low) ** rng.uniform(size=(n_test // 2, 2)),
        lambda mu: cholesky_logdet(covariance(mu)),
        low,
        high,
        [(10, 20), (30, 30), (30, 60)],
        args,
    )

    # ------------------------------------------------------ error bound
    bound_cover, inside, note = bound_case(bound_res, 40 if args.quick else 100)

    for name, case in (("thermal block", block), ("Gaussian process", gp)):
        _check(
            case["speedup"] >= TARGET_SPEEDUP,
            f"{name}: online evaluation at least {TARGET_SPEEDUP:.0f}x faster than exact",
            f"{case['speedup']:.0f}x",
        )
        cheapest = min(case["slq"], key=lambda row: row[1])
        best_slq = min(np.median(row[2]) for row in case["slq"])
        _check(
            case["rel"].max() < best_slq and case["t_single"] <= cheapest[1],
            f"{name}: LogDet more accurate than SLQ at equal or lower cost",
            f"LogDet max rel. error {case['rel'].max():.1e} in {case['t_single'] * 1e6:.0f} us; "
            f"best SLQ median {best_slq:.1e}, cheapest SLQ {cheapest[1] * 1e3:.1f} ms",
        )
        best_plain = min(err.max() for err in case["plain"].values())
        _check(
            case["rel"].max() < best_plain,
            f"{name}: LogDet more accurate than plain interpolation with as many exact values",
            f"max rel. error {case['rel'].max():.1e} against {best_plain:.1e}",
        )
    _check(
        bound_cover == 1.0 and inside == 1.0,
        "error_bound covers the error at every test parameter",
        f"{100 * bound_cover:.0f}% covered, {note} enclosure",
    )


if __name__ == "__main__":
    main()
