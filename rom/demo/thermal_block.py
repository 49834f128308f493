"""The thermal-block demonstration behind ``rom demo thermal-block``."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

__all__ = ["thermal_block_demo"]

#: a true error counts as resolved above this multiple of the full solution's own bound
RESOLVED = 10.0


def _training_set(space: Any, n: int) -> np.ndarray:
    per_dim = round(n ** (1.0 / space.dim))
    if per_dim**space.dim == n:
        return space.sample(per_dim, method="grid")
    return space.sample(n, "lhs", 0)  # seed 0 (positional: the sampler's seed)


def thermal_block_demo(
    blocks: tuple[int, int] = (2, 2),
    resolution: int = 100,
    train: int = 256,
    tol: float = 1e-10,
    n_test: int = 100,
    estimator: str = "accurate",
    figure: str | None = "thermal_block_greedy.png",
    progress: bool | None = None,
    random_state: int = 1,
) -> dict:
    """Build the thermal block, run the certified greedy, validate, report.

    ``random_state`` seeds the random test parameters. Returns a dict with the
    table's numbers (and writes ``figure`` when given).
    """
    from fem_examples import thermal_block  # the demo's full-order model, loaded lazily
    from rom.linalg import factorize
    from rom.linalg.inner import column_norms
    from rom.rb import ReducedBasis

    t0 = time.perf_counter()
    model, space = thermal_block.build(blocks, resolution)
    t_build = time.perf_counter() - t0
    mus = _training_set(space, train)
    t0 = time.perf_counter()
    rb = ReducedBasis(
        model,
        thermal_block.coercivity_bound(blocks),
        estimator=estimator,
        tol=tol,
        relative=True,
    ).fit(mus, progress=progress)
    t_offline = time.perf_counter() - t0
    reduced = rb.reduced_model_
    test = space.sample(n_test, "random", random_state)

    t0 = time.perf_counter()
    U = model.solve_many(test)
    t_full = (time.perf_counter() - t0) / n_test
    norms = column_norms(U, model.inner)
    reduced.solve_and_estimate(test[0])  # compile the online kernel
    t0 = time.perf_counter()
    for mu in test:
        reduced.solve_and_estimate(mu)
    t_online = (time.perf_counter() - t0) / n_test
    a, bounds = reduced.solve_and_estimate(test)
    errors = column_norms(U - reduced.reconstruct(a), model.inner)
    # the computed full solutions are exact only up to their own residual: an error is
    # resolved when it is well above that (||f - A u_h||_{X'} / alpha, about 1e-13 here)
    coercivity = thermal_block.coercivity_bound(blocks)
    X = factorize(model.inner)
    truth = np.empty(n_test)
    for k, mu in enumerate(test):
        r = model.rhs.assemble(mu) - model.operator.apply(mu, U[:, k])
        truth[k] = np.sqrt(max(float(r @ X.solve(r)), 0.0)) / coercivity(mu)
    resolved = errors > RESOLVED * truth
    effectivity = bounds[resolved] / errors[resolved] if resolved.any() else np.array([np.nan])

    # true errors against the basis size, for the convergence figure
    true_by_size = []
    for N in range(rb.size + 1):
        red_n = rb.reduced_model(N)
        e = column_norms(U - red_n.reconstruct(red_n.solve(test)) if N else U, model.inner)
        true_by_size.append(float(np.max(e / norms)))
    report = {
        "dofs": model.size,
        "basis_size": rb.size,
        "stop_reason": rb.stop_reason_,
        "build_time": t_build,
        "offline_time": t_offline,
        "full_time": t_full,
        "online_time": t_online,
        "speedup": t_full / t_online,
        "max_relative_error": float(np.max(errors / norms)),
        "max_relative_bound": float(np.max(bounds / norms)),
        "effectivity_min": float(np.min(effectivity)),
        "effectivity_max": float(np.max(effectivity)),
        "effectivity_count": int(resolved.sum()),
        "truth_bound_max": float(np.max(truth / norms)),
        "greedy_errors": rb.greedy_result_.errors,
        "true_errors": np.asarray(true_by_size),
    }
    if figure:
        import matplotlib

        matplotlib.use("Agg")
        from rom.plotting import plot_convergence

        fig = plot_convergence(
            rb.greedy_result_.errors / rb.greedy_result_.errors[0],
            report["true_errors"],
            title=f"thermal block {blocks[0]}x{blocks[1]}, {model.size} dofs",
        )
        fig.axes[0].set_ylabel("relative error")
        fig.axes[0].lines[0].set_label("max bound / first max bound (training set)")
        fig.axes[0].lines[1].set_label("max true relative error (test set)")
        fig.axes[0].legend()
        fig.savefig(figure, dpi=120, bbox_inches="tight")
        report["figure"] = figure
    return report
