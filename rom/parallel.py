"""Executors: the one way romba spreads evaluations over parameters (or chunks).

Every loop over parameters that can take minutes takes ``executor=`` (an argument
of ``fit`` or of the function that runs the loop, never a setting saved with a
model): ``None`` runs it here, one evaluation after the other; otherwise any
``concurrent.futures.Executor`` (a process or thread pool, ``MPIPoolExecutor``) or a
``dask.distributed.Client``. The functions sent to a process pool, MPI or dask must
be picklable (module-level functions, or objects of module-level classes).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from rom._progress import progress_bar

__all__ = ["as_executor", "exit_with_parent", "map_blocks", "map_parameters", "process_pool"]

#: seconds between a pool worker's checks that its parent is alive
_PARENT_POLL = 0.2


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_PARENT_POLL)
    os._exit(1)  # the parent died: nothing will collect this worker's results


def exit_with_parent() -> None:
    """Make this process exit as soon as its parent process is gone.

    The initializer of romba's process pools: after ``kill -9`` of a campaign its
    workers do not stay behind. A daemon thread polls ``os.getppid()`` (a process
    whose parent died is given another one); where that is unavailable nothing is
    done.
    """
    if not hasattr(os, "getppid") or os.name != "posix":
        return
    threading.Thread(
        target=_watch_parent, args=(os.getppid(),), name="rom-parent-watch", daemon=True
    ).start()


def process_pool(max_workers: int | None = None) -> ProcessPoolExecutor:
    """A ``ProcessPoolExecutor`` whose workers exit when the process that made it dies.

    Parameters
    ----------
    max_workers : int, optional
        The number of worker processes (by default one per CPU).

    Examples
    --------
    >>> from rom.parallel import process_pool
    >>> with process_pool(1) as pool:
    ...     pool.submit(abs, -2).result()
    2
    """
    return ProcessPoolExecutor(max_workers, initializer=exit_with_parent)


def as_executor(executor: Any, name: str = "executor") -> Any:
    """The ``concurrent.futures``-style executor behind ``executor``.

    ``None`` stays ``None`` (serial); a ``dask.distributed.Client`` becomes its
    ``get_executor()`` (whose submissions are never merged by dask's task hashing);
    anything else with a ``submit(fn, *args)`` method returning futures is used as it
    is (``ProcessPoolExecutor``, ``ThreadPoolExecutor``, ``MPIPoolExecutor``, a dask
    ``ClientExecutor``).

    Parameters
    ----------
    executor : None, Executor or dask Client
    name : str
        The argument's name in the error message.

    Raises
    ------
    TypeError
        Anything that cannot submit work.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from rom.parallel import as_executor
    >>> with ThreadPoolExecutor(1) as pool:
    ...     as_executor(pool) is pool
    True
    """
    if executor is None:
        return None
    if callable(getattr(executor, "get_executor", None)) and callable(
        getattr(executor, "gather", None)
    ):  # a dask.distributed Client
        return executor.get_executor()
    if not callable(getattr(executor, "submit", None)):
        raise TypeError(
            f"{name}: expected None, a concurrent.futures.Executor (process or thread pool, "
            "MPIPoolExecutor) or a dask.distributed Client, got "
            f"{type(executor).__name__}"
        )
    return executor


def map_parameters(
    function: Callable[[Any], Any],
    items: Iterable[Any],
    executor: Any = None,
    *,
    progress: bool | None = False,
    desc: str = "evaluations",
) -> list:
    """``[function(item) for item in items]``, here or on ``executor``, in order.

    Parameters
    ----------
    function : callable
        Picklable when ``executor`` runs in other processes.
    items : iterable
        For example the rows of a parameter array.
    executor : None, Executor or dask Client
        See :func:`as_executor`.
    progress : bool or None
        A progress bar over the items (None: on a terminal).
    desc : str
        The bar's label.

    Examples
    --------
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from rom.parallel import map_parameters
    >>> with ThreadPoolExecutor(2) as pool:
    ...     map_parameters(abs, [-1, 2, -3], pool)
    [1, 2, 3]
    """
    executor = as_executor(executor)
    items = list(items)
    out = []
    with progress_bar(progress, len(items), desc) as bar:
        if executor is None:
            for item in items:
                out.append(function(item))
                bar.update(1)
            return out
        futures = [executor.submit(function, item) for item in items]
        for future in futures:
            out.append(future.result())
            bar.update(1)
    return out


def map_blocks(
    function: Callable[[np.ndarray], Any], rows: np.ndarray, executor: Any = None, blocks: int = 16
) -> np.ndarray:
    """A vectorised ``function`` of row blocks of ``rows``, the results concatenated.

    Serial (one call on all rows) without an executor; otherwise ``rows`` is split
    into at most ``blocks`` blocks of consecutive rows, one task each.

    Parameters
    ----------
    function : callable
        ``function(block)`` for a block of rows; returns an array whose rows match.
    rows : array, shape (k, ...)
        The rows.
    executor : concurrent.futures.Executor or dask client, optional
        Where the blocks run (default: one serial call).
    blocks : int
        Largest number of blocks.

    Examples
    --------
    >>> import numpy as np
    >>> from concurrent.futures import ThreadPoolExecutor
    >>> from rom.parallel import map_blocks
    >>> with ThreadPoolExecutor(2) as pool:
    ...     map_blocks(lambda m: m.sum(axis=1), np.arange(6.0).reshape(3, 2), pool)
    array([1., 5., 9.])
    """
    executor = as_executor(executor)
    if executor is None or len(rows) < 2:
        return np.asarray(function(rows))
    parts = [p for p in np.array_split(rows, min(blocks, len(rows))) if len(p)]
    results = [executor.submit(function, p) for p in parts]
    return np.concatenate([np.asarray(r.result()) for r in results])
