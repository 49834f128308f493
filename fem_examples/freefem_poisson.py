"""A FreeFEM heat-conduction model as an external solver: campaign, surrogate, check.

``freefem/poisson.edp`` solves ``-div(k grad u) = 1`` in the unit square with
``u = 0`` on the boundary, ``k = k1`` in a centred disk of radius 0.25 and ``k2``
elsewhere (P1 elements, 625 nodes), for the conductivities given on its command line,
and writes the nodal values (FreeFEM text) and a VTK file of the field. Here FreeFEM
runs once per parameter through :class:`rom.nonintrusive.CommandSolver`; the
snapshots go to a resumable store, a POD + RBF :class:`rom.nonintrusive.Surrogate` is
fitted, and its prediction is compared with a fresh FreeFEM run at new parameters.

Run it as a script (``python fem_examples/freefem_poisson.py --store snaps``); with
``--processes N`` the runs go to a process pool.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np

from rom import ParameterSpace
from rom.nonintrusive import (
    CommandSolver,
    RBFRegressor,
    SnapshotStore,
    Surrogate,
    generate_snapshots,
)

SCRIPT = Path(__file__).resolve().parent / "freefem" / "poisson.edp"
SPACE = ParameterSpace({"k1": (0.2, 5.0), "k2": (0.5, 2.0)}, log=["k1", "k2"])


def executable() -> str | None:
    """The FreeFEM command on PATH (``FreeFem++``, or the no-graphics ``FreeFem++-nw``)."""
    for name in ("FreeFem++", "FreeFem++-nw"):
        found = shutil.which(name)
        if found:
            return found
    return None


def command(freefem: str | None = None) -> list[str]:
    """The argument list of one run (``-nw``: no graphics, ``-v 0``: quiet)."""
    freefem = freefem or executable() or "FreeFem++"
    return [freefem, "-nw", "-v", "0", SCRIPT.name, "-k1", "{k1}", "-k2", "{k2}"]


def solver(field_file: str = "u.txt", timeout: float = 120.0) -> CommandSolver:
    """FreeFEM as a solver: ``solver({"k1": ..., "k2": ...})["u"]`` are the nodal values.

    ``field_file="u.vtk"`` reads the VTK output instead, and keeps the mesh (so that
    predictions can be written back as mesh files).
    """
    return CommandSolver(command(), {"u": field_file}, templates=[SCRIPT], timeout=timeout)


def build(
    store_path: str | Path,
    n: int = 4,
    method: str = "grid",
    executor: Any = None,
    field_file: str = "u.txt",
) -> tuple[Surrogate, SnapshotStore]:
    """Run the campaign (resumable) and fit the surrogate on what the store holds.

    ``SPACE.grid(n)`` gives the parameters for ``method="grid"`` (``n`` per axis),
    ``SPACE.sample(n, method)`` for the other methods (``n`` in all);
    the surrogate is a POD (``tol=1e-6``) with cubic RBF interpolation of its
    coordinates in the log-scaled parameters.
    """
    store = SnapshotStore(store_path, SPACE, ["u"])
    result = generate_snapshots(
        solver(field_file),
        SPACE.grid(n) if method == "grid" else SPACE.sample(n, method, random_state=0),
        store,
        executor,
        progress=False,
    )
    if result.failed:
        raise RuntimeError(f"{len(result.failed)} FreeFEM runs failed: {result.failed[0][1]}")
    S, mus = store.snapshots("u")
    return surrogate().fit(mus, S), store


def surrogate() -> Surrogate:
    """The surrogate used here: POD, then cubic RBF interpolation (log-scaled inputs)."""
    return Surrogate(regressor=RBFRegressor(kernel="cubic"), parameter_space=SPACE)


def check(model: Surrogate, mus: Any) -> np.ndarray:
    """Relative l2 errors of the surrogate against fresh FreeFEM runs at ``mus``."""
    run = solver()
    errors = []
    for mu in np.atleast_2d(mus):
        truth = run(dict(zip(SPACE.names, map(float, mu), strict=True)))["u"]
        predicted = model.predict(mu[None, :])[:, 0]
        errors.append(np.linalg.norm(predicted - truth) / np.linalg.norm(truth))
    return np.asarray(errors)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="FreeFEM campaign and surrogate")
    parser.add_argument("--store", default="freefem_snapshots")
    parser.add_argument("-n", type=int, default=5, help="grid points per parameter")
    parser.add_argument("--processes", type=int, default=0)
    args = parser.parse_args(argv)
    if executable() is None:
        print("FreeFem++ is not on PATH (Debian/Ubuntu: apt-get install freefem++)")
        return 1
    executor = None
    if args.processes:
        from concurrent.futures import ProcessPoolExecutor

        executor = ProcessPoolExecutor(args.processes)
    model, store = build(args.store, n=args.n, executor=executor)
    if executor is not None:
        executor.shutdown()
    errors = check(model, SPACE.sample(5, "random", random_state=123))
    print(f"{len(store)} snapshots, {model.reduction_.rank_} POD modes")
    print(f"relative error at 5 new parameters: max {errors.max():.2e}, mean {errors.mean():.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
