"""A snapshot campaign spread over MPI processes with ``mpi4py.futures``.

Run it with a master and workers started by the MPI launcher::

    mpiexec -n 4 python -m mpi4py.futures fem_examples/mpi_snapshots.py --store snaps

Rank 0 runs this script; the other ranks wait for work. Each run solves a small
1-D heat problem, ``-u'' + k u = sin(pi x)`` on (0, 1) with ``u(0) = u(1) = 0``, by
finite differences, and writes its snapshot to the store itself: the store's
directory must be visible to every rank (one machine, or a shared file system).
Stopping the job and starting it again only computes what is missing.

The exact solution of the continuous problem is ``sin(pi x) / (pi^2 + k)``; the
finite-difference one is ``sin(pi x) / (lambda_1 + k)`` with
``lambda_1 = 4 sin(pi h / 2)^2 / h^2``, which is what :func:`exact` returns.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

N_INTERIOR = 199


def grid(n: int = N_INTERIOR) -> np.ndarray:
    """The interior grid points."""
    return np.linspace(0.0, 1.0, n + 2)[1:-1]


def exact(k: float, n: int = N_INTERIOR) -> np.ndarray:
    """The discrete solution in closed form (sin(pi x) is an eigenvector of -D2)."""
    h = 1.0 / (n + 1)
    lam = 4.0 * np.sin(np.pi * h / 2.0) ** 2 / h**2
    return np.sin(np.pi * grid(n)) / (lam + k)


def solve(mu: dict) -> dict:
    """One run: a tridiagonal solve, and the MPI rank that did it."""
    import scipy.linalg

    n = N_INTERIOR
    h = 1.0 / (n + 1)
    bands = np.zeros((3, n))
    bands[0, 1:] = -1.0 / h**2
    bands[1, :] = 2.0 / h**2 + mu["k"]
    bands[2, :-1] = -1.0 / h**2
    u = scipy.linalg.solve_banded((1, 1), bands, np.sin(np.pi * grid(n)))
    try:
        from mpi4py import MPI

        rank = MPI.COMM_WORLD.Get_rank()
    except ImportError:
        rank = -1
    return {"u": u, "rank": np.array([float(rank)])}


def main(argv: list[str] | None = None) -> int:
    from mpi4py.futures import MPIPoolExecutor

    from rom import ParameterSpace
    from rom.nonintrusive import CallableSolver, SnapshotStore, generate_snapshots

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", required=True, help="the snapshot store's directory")
    parser.add_argument("-n", type=int, default=16, help="number of parameters (a grid)")
    args = parser.parse_args(argv)
    space = ParameterSpace({"k": (0.1, 100.0)}, log=["k"])
    store = SnapshotStore(args.store, space, ["u", "rank"])
    with MPIPoolExecutor() as executor:
        result = generate_snapshots(
            CallableSolver(solve), space.grid(args.n), store, executor, progress=False
        )
    print(
        f"{len(result.computed)} computed, {len(result.skipped)} already stored, "
        f"{len(result.failed)} failed"
    )
    return 1 if result.failed else 0


if __name__ == "__main__":
    sys.exit(main())
