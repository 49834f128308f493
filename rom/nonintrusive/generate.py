"""Running a solver over many parameters, in parallel, resumably."""

from __future__ import annotations

import logging
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rom._progress import progress_bar
from rom.nonintrusive.solvers import SolverError
from rom.nonintrusive.store import SnapshotStore
from rom.parallel import as_executor
from rom.validation import check_parameters

__all__ = ["GenerationResult", "generate_snapshots", "summarize_failures"]

logger = logging.getLogger("rom.nonintrusive")


@dataclass
class GenerationResult:
    """What a snapshot campaign did: parameters computed, skipped and failed.

    Parameters
    ----------
    computed : list
        The parameter rows computed by this run.
    skipped : list
        The parameter rows already in the store.
    failed : list of (row, message)
        The parameter rows whose run failed, with the error message.
    seconds_per_run : float
        Mean wall-clock time of one computed run.
    """

    computed: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (parameter row, message)
    seconds_per_run: float = 0.0


def _where(names: Any, mu: Any) -> str:
    """``k1=1.67, k2=1.71``: a parameter set as a reader wants it."""
    return ", ".join(f"{n}={float(v):.6g}" for n, v in zip(names, mu, strict=True))


def summarize_failures(failed: list, names: Any, examples: int = 3) -> list[str]:
    """One line per distinct failure message, with its count and where it happened.

    Parameters
    ----------
    failed : list of (parameter row, message)
        :attr:`GenerationResult.failed`.
    names : sequence of str
        The parameter names (the columns of the rows).
    examples : int
        How many parameter sets each line names.

    Returns
    -------
    list of str
        Most frequent first.

    Examples
    --------
    >>> from rom.nonintrusive.generate import summarize_failures
    >>> failed = [([1.0, 2.0], "exit status 1"), ([3.0, 4.0], "exit status 1")]
    >>> summarize_failures(failed, ["a", "b"])
    ['2 runs failed: exit status 1 (at a=1, b=2; a=3, b=4)']
    """
    groups: dict[str, list] = {}
    for mu, message in failed:
        groups.setdefault(message, []).append(mu)
    lines = []
    for message, mus in sorted(groups.items(), key=lambda item: -len(item[1])):
        where = "; ".join(_where(names, mu) for mu in mus[:examples])
        more = f"; and {len(mus) - examples} more" if len(mus) > examples else ""
        runs = "1 run" if len(mus) == 1 else f"{len(mus)} runs"
        lines.append(f"{runs} failed: {message} (at {where}{more})")
    return lines


def _solve_and_store(solver: Any, store: SnapshotStore, mu: np.ndarray) -> tuple[bool, str, float]:
    """Run one parameter and store it; runs in a worker (process, thread or dask)."""
    start = time.perf_counter()
    names = store.parameter_space.names
    try:
        fields = solver(dict(zip(names, map(float, mu), strict=True)))
        store.put(mu, fields, metadata=getattr(solver, "metadata", {}))
        if getattr(solver, "mesh_", None) is not None:
            store.put_mesh(solver.mesh_)  # kept once, from the first run that has one
        return True, "", time.perf_counter() - start
    except (SolverError, ValueError, TypeError) as err:
        store.record_failure(mu, str(err))
        return False, str(err), time.perf_counter() - start


def generate_snapshots(
    solver: Any,
    parameters: Any,
    store: SnapshotStore,
    executor: Executor | Any | None = None,
    progress: bool | None = None,
) -> GenerationResult:
    """Compute the snapshots of ``parameters`` (rows) that ``store`` does not hold yet.

    Each worker runs the solver and writes its snapshot to the store itself, so a
    crash of this process loses nothing finished; running again skips what is stored
    and valid, and recomputes what is missing, failed or corrupt. A failed run is
    recorded and does not stop the others; the same failure repeated is logged once
    (:func:`summarize_failures` reports them all). A solver with a ``check(names)``
    method (:meth:`CommandSolver.check`: placeholders and program) is checked
    against the parameter names before the first run.

    Parameters
    ----------
    solver : callable
        ``solver(mu: dict) -> {field: array}``: :class:`CallableSolver`,
        :class:`CommandSolver`, :class:`MatrixSolver`.
    parameters : array (k, n_params)
        Parameter sets (rows), inside the store's parameter space.
    store : SnapshotStore
    executor : optional
        Where the runs go (see :func:`rom.parallel.as_executor`): None (here, one after the other),
        a ``concurrent.futures`` process or thread pool (:func:`rom.parallel.process_pool`
        makes one whose workers exit when this process dies),
        ``mpi4py.futures.MPIPoolExecutor()``, a ``dask.distributed.Client`` or its
        ``get_executor()``. With processes, dask or MPI the solver and the store are
        pickled (both are, for module-level functions and :class:`CommandSolver`),
        and every worker needs to see the store's directory (a shared file system
        across machines). Several workers, and several campaigns, may write to one
        store at once: every snapshot file is written atomically.
    progress : bool, optional
        A progress bar (tqdm); by default when standard error is a terminal.

    Returns
    -------
    GenerationResult

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from rom import ParameterSpace
    >>> from rom.nonintrusive import CallableSolver, SnapshotStore, generate_snapshots
    >>> space = ParameterSpace({"k": (1.0, 2.0)})
    >>> store = SnapshotStore(tempfile.mkdtemp(), space, ["u"])
    >>> solver = CallableSolver(lambda mu: np.full(3, mu["k"]))
    >>> result = generate_snapshots(solver, space.grid(4), store, progress=False)
    >>> len(result.computed), len(store)
    (4, 4)
    """
    if not callable(solver):
        raise TypeError("solver: expected a callable mu -> fields (CallableSolver, CommandSolver)")
    if not isinstance(store, SnapshotStore):
        raise TypeError(f"store: expected a SnapshotStore, got {type(store).__name__}")
    executor = as_executor(executor)
    mus = check_parameters(parameters, "parameters", parameter_space=store.parameter_space)
    if callable(getattr(solver, "check", None)):  # e.g. placeholders and program, before any run
        solver.check(store.parameter_space.names)
    result = GenerationResult()
    todo = []
    for mu in mus:
        (result.skipped if store.has(mu) else todo).append(mu)
    bar = progress_bar(progress, len(todo), "snapshots", unit="run")
    times = []
    names = store.parameter_space.names
    seen: set[str] = set()

    def record(mu, outcome):
        ok, message, seconds = outcome
        times.append(seconds)
        if ok:
            result.computed.append(mu)
        else:
            result.failed.append((mu, message))
            # a message said once: the same failure at every parameter is one problem
            log = logger.debug if message in seen else logger.warning
            seen.add(message)
            log("run failed at %s: %s", _where(names, mu), message)
        bar.update(1)
        bar.set_postfix(failed=len(result.failed), s_per_run=f"{np.mean(times):.2f}")

    try:
        if executor is None:
            for mu in todo:
                record(mu, _solve_and_store(solver, store, mu))
        else:
            futures = [(mu, executor.submit(_solve_and_store, solver, store, mu)) for mu in todo]
            for mu, future in futures:
                record(mu, future.result())
    finally:
        bar.close()
    result.seconds_per_run = float(np.mean(times)) if times else 0.0
    return result
