"""The thermal-block demonstration behind ``rom demo thermal-block``."""

from __future__ import annotations

import re
import time
import warnings
from typing import Any

import numpy as np

__all__ = ["INTRO", "default_training_size", "report_rows", "thermal_block_demo"]

#: a true error counts as resolved above this multiple of the full solution's own bound
RESOLVED = 10.0

#: what the demonstration does, printed before it runs (``{b1}``, ``{b2}``, ``{dim}``)
INTRO = """\
The thermal block: heat conduction -div(mu grad u) = 1 on the unit square, u = 0 on
its boundary, the square cut into {b1} x {b2} blocks whose conductivities mu_1 ... mu_{dim}
in [0.1, 1] are the {dim} parameters. The full model is a P1 finite-element system.
A weak greedy picks training parameters whose full solutions span the reduced basis,
each time the one with the largest error bound, until the bound meets the tolerance.
The reduced model then solves and bounds its own error (in the energy norm) for new
parameters; the table compares it with full solutions at random test parameters."""

#: what each stop reason of the greedy means, for the report
STOP_REASONS = {
    "tol": "the largest relative error bound on the training set met --tol {tol:g}",
    "max_terms": "the basis reached its maximum size",
    "exhausted": "no training parameter had a positive error bound left",
    "degenerate": "the next snapshot was numerically inside the basis already",
}


def default_training_size(dim: int) -> int:
    """Training parameters used when none are given: 64 per parameter, at least 256.

    A greedy basis of size ``N`` picks ``N`` distinct training parameters, and needs
    many more than ``N`` to be representative; the basis grows with the number of
    parameters, so the training set does too.

    Examples
    --------
    >>> from rom.demo.thermal_block import default_training_size
    >>> default_training_size(4), default_training_size(9)
    (256, 576)
    """
    return max(256, 64 * int(dim))


def _training_set(space: Any, n: int) -> np.ndarray:
    per_dim = round(n ** (1.0 / space.dim))
    if per_dim**space.dim == n:
        return space.grid(per_dim)
    return space.sample(n, "lhs", 0)  # seed 0 (positional: the sampler's seed)


def _warn_once_each(caught: list) -> None:
    """Re-issue caught warnings once per kind, with how often each came."""
    groups: dict[tuple, list] = {}
    for w in caught:
        key = (w.category, re.sub(r"[0-9.e+-]+", "#", str(w.message)))
        groups.setdefault(key, []).append(w)
    for (category, _), ws in groups.items():
        times = "" if len(ws) == 1 else f" (issued {len(ws)} times during the run; shown once)"
        warnings.warn(f"{ws[-1].message}{times}", category, stacklevel=3)


def thermal_block_demo(
    blocks: tuple[int, int] = (2, 2),
    resolution: int = 100,
    train: int | None = None,
    tol: float = 1e-10,
    n_test: int = 100,
    estimator: str = "accurate",
    figure: str | None = "thermal_block_greedy.png",
    progress: bool | None = None,
    random_state: int = 1,
    plot_solutions: str | None = None,
    plot_errors: str | None = None,
) -> dict:
    """Build the thermal block, run the certified greedy, validate, report.

    ``train`` is the number of training parameters (:func:`default_training_size`
    when None; a tensor grid when it is a perfect power of the dimension, Latin
    hypercube otherwise); ``random_state`` seeds the random test parameters. Writes
    ``figure`` (the greedy's convergence), ``plot_solutions`` (full and reduced solution
    and their difference at the worst test parameter) and ``plot_errors`` (true
    errors and bounds at every test parameter) when given. Warnings raised at every
    greedy step are issued once each, with their count.

    Returns a dict with the table's numbers and ``"notes"``: what a reader of the
    table should know (a basis close to the training-set size, bounds that failed to
    certify).

    Examples
    --------
    >>> from rom.demo import thermal_block_demo
    >>> r = thermal_block_demo(resolution=8, train=16, tol=1e-4, n_test=4, figure=None)
    >>> r["max_relative_error"] <= r["max_relative_bound"], r["train"]
    (True, 16)
    """
    from fem_examples import thermal_block  # the demo's full-order model, loaded lazily
    from rom.rb import ReducedBasis

    t0 = time.perf_counter()
    model, space = thermal_block.build(blocks, resolution)
    t_build = time.perf_counter() - t0
    train = default_training_size(space.dim) if train is None else int(train)
    mus = _training_set(space, train)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        t0 = time.perf_counter()
        rb = ReducedBasis(
            model,
            thermal_block.coercivity_bound(blocks),
            estimator=estimator,
            tol=tol,
            relative=True,
            saturation=1.0,  # lazy greedy; the stopping test still checks every parameter
        ).fit(mus, progress=progress)
        t_offline = time.perf_counter() - t0
        report = _validate(model, space, rb, blocks, n_test, random_state)
    _warn_once_each(caught)
    report.update(
        {
            "build_time": t_build,
            "offline_time": t_offline,
            "train": len(mus),
            "n_test": n_test,
            "tol": tol,
            "notes": _notes(report, len(mus), rb.stop_reason_),
        }
    )
    if figure:
        _plot_greedy(figure, rb, report, blocks, model.size)
        report["figure"] = figure
    if plot_solutions:
        _plot_solutions(plot_solutions, model, report)
        report["solutions_figure"] = plot_solutions
    if plot_errors:
        _plot_errors(plot_errors, report)
        report["errors_figure"] = plot_errors
    for key in ("_U", "_reduced_U", "_test", "_errors", "_bounds", "_norms"):
        report.pop(key)
    return report


def _validate(model: Any, space: Any, rb: Any, blocks: Any, n_test: int, seed: int) -> dict:
    """Full against reduced solutions (and bounds) at ``n_test`` random parameters."""
    from fem_examples import thermal_block
    from rom.linalg import factorize
    from rom.linalg.inner import column_norms

    reduced = rb.reduced_model_
    test = space.sample(n_test, "random", seed)

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
    return {
        "dofs": model.size,
        "basis_size": rb.size,
        "stop_reason": rb.stop_reason_,
        "full_time": t_full,
        "online_time": t_online,
        "speedup": t_full / t_online,
        "max_relative_error": float(np.max(errors / norms)),
        "max_relative_bound": float(np.max(bounds / norms)),
        "effectivity_min": float(np.min(effectivity)),
        "effectivity_max": float(np.max(effectivity)),
        "effectivity_count": int(resolved.sum()),
        "uncertified_count": int(np.sum(effectivity < 1.0)),
        "truth_bound_max": float(np.max(truth / norms)),
        "greedy_errors": rb.greedy_result_.errors,
        "true_errors": np.asarray(true_by_size),
        "_U": U,
        "_reduced_U": reduced.reconstruct(a),
        "_test": test,
        "_errors": errors,
        "_bounds": bounds,
        "_norms": norms,
    }


def _notes(report: dict, n_train: int, stop_reason: str) -> list[str]:
    notes = []
    size = report["basis_size"]
    if size >= n_train // 2 or stop_reason == "exhausted":
        notes.append(
            f"the basis ({size} functions) approaches the training-set size ({n_train}): "
            "the greedy may be running out of training parameters rather than meeting its "
            "tolerance, and its bound on the training set says little about new parameters; "
            "pass a larger --train"
        )
    if report["uncertified_count"]:
        notes.append(
            f"at {report['uncertified_count']} of the {report['effectivity_count']} resolved "
            "tests the effectivity is below 1: the error bound is smaller than the true error "
            "there, so it failed to certify it"
            + (
                " (the classical estimator loses accuracy below about 1e-8; try --estimator "
                "accurate)"
                if report["max_relative_bound"] < 1e-6
                else ""
            )
        )
    return notes


def report_rows(r: dict) -> list[tuple[str, str]]:
    """The table of ``rom demo thermal-block`` as (label, value) rows.

    Examples
    --------
    >>> from rom.demo.thermal_block import report_rows
    >>> r = dict(dofs=81, train=16, basis_size=3, stop_reason="tol", tol=1e-4,
    ...          offline_time=0.1, build_time=0.01, full_time=1e-3, online_time=1e-5,
    ...          speedup=100.0, n_test=4, max_relative_error=1e-5, max_relative_bound=2e-5,
    ...          effectivity_count=4, effectivity_min=1.2, effectivity_max=3.0,
    ...          truth_bound_max=1e-14)
    >>> dict(report_rows(r))["basis size"]
    '3 (stopped: the largest relative error bound on the training set met --tol 0.0001)'
    """
    why = STOP_REASONS.get(r["stop_reason"], r["stop_reason"]).format(tol=r["tol"])
    n = r.get("n_test", None)
    rows = [
        ("full-order dofs", f"{r['dofs']}"),
        ("training parameters", f"{r['train']}"),
        ("basis size", f"{r['basis_size']} (stopped: {why})"),
        ("offline time", f"{r['offline_time']:.2f} s (model assembly {r['build_time']:.2f} s)"),
        ("full solve", f"{r['full_time'] * 1e3:.2f} ms per parameter"),
        ("online solve + bound", f"{r['online_time'] * 1e6:.1f} us per parameter"),
        ("speed-up", f"{r['speedup']:.0f}x (full solve / online solve + bound)"),
        (
            f"max true error ({n} tests)" if n else "max true error",
            f"{r['max_relative_error']:.3e} (relative, H1_0)",
        ),
        ("max error bound", f"{r['max_relative_bound']:.3e} (relative, H1_0)"),
    ]
    resolved = f"10 x above the full solution's own bound, at most {r['truth_bound_max']:.1e}"
    if r["effectivity_count"]:
        rows.append(
            (
                "effectivity range",
                f"[{r['effectivity_min']:.2f}, {r['effectivity_max']:.2f}] (bound / true "
                f"error) over the {r['effectivity_count']} tests whose error is resolved "
                f"({resolved}); below 1: not certified",
            )
        )
    else:
        rows.append(("effectivity range", f"- (no test error is resolved, i.e. {resolved})"))
    for key, label in (
        ("figure", "convergence figure"),
        ("solutions_figure", "solutions figure"),
        ("errors_figure", "errors figure"),
    ):
        if key in r:
            rows.append((label, r[key]))
    return rows


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str) -> None:
    from rom.io.persist import atomic_write

    with atomic_write(path) as tmp:
        fig.savefig(tmp, dpi=120, bbox_inches="tight")
    _pyplot().close(fig)


def _plot_greedy(path: str, rb: Any, report: dict, blocks: Any, size: int) -> None:
    from rom.plotting import plot_convergence

    _pyplot()
    fig = plot_convergence(
        rb.greedy_result_.errors / rb.greedy_result_.errors[0],
        report["true_errors"],
        title=f"thermal block {blocks[0]}x{blocks[1]}, {size} dofs",
    )
    fig.axes[0].set_ylabel("relative error")
    fig.axes[0].lines[0].set_label("max bound / first max bound (training set)")
    fig.axes[0].lines[1].set_label("max true relative error (test set)")
    fig.axes[0].legend()
    _save(fig, path)


def _plot_solutions(path: str, model: Any, report: dict) -> None:
    """Full, reduced and their difference at the test parameter of largest error."""
    plt = _pyplot()
    k = int(np.argmax(report["_errors"] / report["_norms"]))
    mesh = model.mesh
    fig, axes = plt.subplots(1, 3, figsize=(13, 4))
    full = report["_U"][:, k]
    reduced = report["_reduced_U"][:, k]
    mu = ", ".join(f"{v:.2f}" for v in report["_test"][k])
    for ax, values, title in (
        (axes[0], full, f"full solution, mu = ({mu})"),
        (axes[1], reduced, f"reduced solution ({report['basis_size']} basis functions)"),
        (axes[2], full - reduced, "full - reduced"),
    ):
        u = np.zeros(mesh.p.shape[1])
        u[model.interior_dofs] = values
        image = ax.tripcolor(mesh.p[0], mesh.p[1], mesh.t.T, u, shading="gouraud")
        fig.colorbar(image, ax=ax)
        ax.set(title=title, aspect="equal", xlabel="x", ylabel="y")
        ax.title.set_fontsize(9)
    _save(fig, path)


def _plot_errors(path: str, report: dict) -> None:
    """True errors and bounds at every test parameter, sorted by error."""
    plt = _pyplot()
    errors = report["_errors"] / report["_norms"]
    bounds = report["_bounds"] / report["_norms"]
    order = np.argsort(errors)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.semilogy(errors[order], "o", ms=3, label="true relative error")
    ax.semilogy(bounds[order], "x", ms=4, label="error bound")
    ax.axhline(report["truth_bound_max"] * RESOLVED, color="gray", lw=0.5, ls=":")
    ax.set(
        xlabel="test parameter (sorted by true error)",
        ylabel="relative error (H1_0)",
        title="reduced model against the full model",
    )
    ax.legend()
    _save(fig, path)
