"""The distributed HAPOD: a tree of local PODs whose leaves run where the data is.

The tree, its nodes and the executors behind :func:`rom.linalg.distributed_pod`
(defined in :mod:`rom.linalg.hapod`); see :doc:`/theory/hapod`.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from rom.linalg._hapod_local import (
    as_float_block,
    gram,
    keep,
    local_pod,
    materialize,
    nonfinite_message,
    raw_energy,
)
from rom.parallel import as_executor
from rom.validation import check_array

__all__ = ["DistributedPODError", "run_tree"]

logger = logging.getLogger("rom.linalg.hapod")


@dataclass
class _Node:
    """The result of a subtree: its modes ``U F`` (``F`` None: ``U``), values, dropped
    energy, snapshot energy (the product ``U F`` is formed only at the root)."""

    U: np.ndarray
    s: np.ndarray
    discarded: float
    energy: float
    count: int
    moved: int = 0  # bytes of modes sent into the subtree's merge nodes
    F: np.ndarray | None = None

    def modes(self) -> np.ndarray:
        """The M-orthonormal modes, formed."""
        return materialize(self.U, self.F)

    def nbytes(self) -> int:
        return self.U.nbytes + self.s.nbytes + (0 if self.F is None else self.F.nbytes)


def _leaf(chunk: Any, index: int, share: float, tol, relative, omega, rank, M) -> _Node:
    """A leaf's local POD (where the chunk is read): budget omega^2 tau^2 of its share."""
    S = chunk() if callable(chunk) else chunk
    name = f"chunks[{index}]"
    S = as_float_block(check_array(S, name, ndim=2, finite=False))
    if M is not None and S.shape[0] != M.shape[0]:
        raise ValueError(
            f"{name}: expected {M.shape[0]} rows (the size of inner), got {S.shape[0]}"
        )
    blocks = [(S, None, None)]
    G = gram(blocks, M)  # its diagonal: the energy, and the check for NaN and inf
    energy = raw_energy(blocks, G)
    if not np.isfinite(energy):
        raise ValueError(nonfinite_message(name, S))
    if M is not None and np.any(np.real(np.diagonal(G)) < 0):
        raise ValueError("inner: the matrix is not positive definite (negative squared norm)")
    scale = energy if relative else share
    budget = 0.0 if tol is None else omega * omega * tol * tol * scale
    W, F, s, d = local_pod(blocks, G, M, budget, rank)
    return _Node(W, s, d, energy, S.shape[1], F=F)


def _merge(children: list[_Node], level: int, share: float, settings: tuple) -> _Node:
    r"""An inner node: the POD of the children's scaled modes (the largest one kept).

    Its budget, :math:`(1-\omega^2)\,\mathrm{tol}^2 E_\alpha / L` (or the share of the
    chunks for an absolute ``tol``), is computed here, where the children are.
    """
    tol, relative, omega, rank, M, depth = settings
    rows = sorted({c.U.shape[0] for c in children})
    if len(rows) > 1:
        raise ValueError(f"chunks: expected the same number of rows in every chunk, got {rows}")
    energy = sum(c.energy for c in children)
    scale = energy if relative else share
    budget = 0.0 if tol is None else (1 - omega * omega) * tol * tol * scale / depth
    children = sorted(children, key=lambda c: -c.s.size)
    blocks = [(c.U, c.s, c.F) for c in children if c.s.size]
    F = None
    if not blocks:
        W, s, d = children[0].U, children[0].s, 0.0
    elif len(blocks) == 1:
        base = children[0]
        r = keep(base.s, budget, rank)
        W, s, d = base.U, base.s[:r], float(np.sum(base.s[r:] ** 2))
        F = base.F[:, :r] if base.F is not None else None
        W = W if F is not None else W[:, :r]
    else:  # the children's modes are M-orthonormal: only their cross products are formed
        W, F, s, d = local_pod(blocks, gram(blocks, M), M, budget, rank)
    return _Node(
        W,
        s,
        d + sum(c.discarded for c in children),
        energy,
        sum(c.count for c in children),
        sum(c.moved + c.nbytes() for c in children),
        F=F,
    )


class DistributedPODError(RuntimeError):
    """Some subtrees of :func:`~rom.linalg.distributed_pod` failed (a worker died, a chunk failed).

    Parameters
    ----------
    message : str
        The error message.
    lost : list of int
        The chunks whose subtrees did not finish.
    state : dict
        The finished subtrees.
    errors : dict
        The exception of each failed node, keyed by ``(level, index)``.

    Attributes
    ----------
    lost : list of int
        The chunks whose subtrees did not finish.
    state : dict
        The finished subtrees; pass it back as ``distributed_pod(..., resume=state)``
        with the same chunks and settings to compute only what is missing.
    errors : dict
        The exception of each failed node, keyed by ``(level, index)``.
    """

    def __init__(self, message: str, lost: list[int], state: dict, errors: dict) -> None:
        super().__init__(message)
        self.lost, self.state, self.errors = lost, state, errors


def run_tree(
    chunks: list,
    executor: Any,
    arity: int,
    settings: tuple,
    resume: dict | None,
) -> _Node:
    """Run the tree over ``chunks`` (see :func:`rom.linalg.distributed_pod`).

    ``settings`` is ``(tol, relative, omega, rank, M)``, checked by the caller.
    Returns the root node; raises :class:`DistributedPODError` where subtrees failed.
    """
    tol, relative, omega, rank, M = settings
    runner = _Runner(executor)
    K = len(chunks)
    levels = [K]  # nodes per level
    while levels[-1] > 1:
        levels.append(-(-levels[-1] // arity))
    depth = max(len(levels) - 1, 1)
    settings = (tol, relative, omega, rank, M, depth)
    done: dict[tuple[int, int], Any] = dict(resume or {})
    errors: dict[tuple[int, int], BaseException] = {}
    running: dict[Any, tuple[int, int]] = {}

    def leaves_under(level, index):
        width = arity**level
        return range(index * width, min((index + 1) * width, K))

    def start(level, index):
        if (level, index) in done:
            return
        if level == 0:
            args = (chunks[index], index, 1.0 / K, tol, relative, omega, rank, M)
            running[runner.submit(_leaf, *args)] = (0, index)
            return
        children = [done[(level - 1, c)] for c in _children(level, index, arity, levels)]
        share = len(leaves_under(level, index)) / K
        running[runner.submit(_merge, children, level, share, settings)] = (level, index)

    def ready(level, index):
        return level > 0 and all(
            (level - 1, c) in done for c in _children(level, index, arity, levels)
        )

    def drain():
        while running:
            for handle in runner.wait_first(list(running)):
                level, index = running.pop(handle)
                error = runner.error(handle)
                if error is not None:
                    errors[(level, index)] = error
                    logger.warning("HAPOD node %s failed: %r", (level, index), error)
                    continue
                done[(level, index)] = handle if runner.remote else handle.result()
                parent = index // arity
                if level + 1 < len(levels) and ready(level + 1, parent):
                    start(level + 1, parent)

    for level in range(1, len(levels)):  # nodes finished in an earlier run
        for j in range(levels[level]):
            if ready(level, j):
                start(level, j)
    for i in range(K):
        start(0, i)
        if runner.serial:  # depth first: a merge as soon as its children are done
            drain()
    drain()
    root = (len(levels) - 1, 0)
    for err in errors.values():  # a bad chunk is the caller's error, not a fault
        if isinstance(err, ValueError | TypeError):
            raise err
    if root not in done:
        lost = sorted(
            {i for (lv, j) in errors for i in leaves_under(lv, j)}
            | {i for i in range(K) if not _covered(i, done, arity, len(levels))}
        )
        first = next(iter(errors.values()), None)
        state = {k: runner.value(v) for k, v in done.items()}
        raise DistributedPODError(
            f"distributed_pod: chunks {lost} were lost ({first!r}); the finished subtrees "
            "are kept: call again with resume=err.state",
            lost,
            state,
            errors,
        ) from first
    return runner.value(done[root])


class _Runner:
    """Submits nodes here, to a ``concurrent.futures`` executor, or to a dask client.

    With a dask client the results stay on the workers as dask futures, passed as
    such to the merge nodes: modes travel from worker to worker (or not at all when
    both nodes run on the same one); only the root's come back.
    """

    def __init__(self, executor: Any) -> None:
        self.client = None
        if callable(getattr(executor, "get_executor", None)) and callable(
            getattr(executor, "gather", None)
        ):
            self.client = executor
        self.executor = None if self.client else as_executor(executor)
        self.remote = self.client is not None
        self.serial = self.client is None and self.executor is None

    def submit(self, fn, *args):
        if self.client is not None:
            return self.client.submit(fn, *args, pure=False)
        if self.executor is not None:
            try:
                return self.executor.submit(fn, *args)
            except Exception as err:  # a broken pool refuses work: recorded as a failure
                future = cf.Future()
                future.set_exception(err)
                return future
        future = cf.Future()
        try:
            future.set_result(fn(*args))
        except Exception as err:  # recorded like a remote failure
            future.set_exception(err)
        return future

    def wait_first(self, handles):
        if self.client is not None:
            from distributed import wait

            return wait(handles, return_when="FIRST_COMPLETED").done
        return cf.wait(handles, return_when=cf.FIRST_COMPLETED).done

    def error(self, handle) -> BaseException | None:
        if self.client is not None and handle.status == "finished":
            return None
        try:
            return handle.exception()
        except BaseException as err:  # cancelled
            return err

    def value(self, handle):
        return handle.result() if hasattr(handle, "result") else handle


def _children(level: int, index: int, arity: int, levels: list[int]) -> range:
    return range(index * arity, min((index + 1) * arity, levels[level - 1]))


def _covered(i: int, done: dict, arity: int, depth: int) -> bool:
    """Whether chunk ``i`` is inside a finished subtree."""
    return any((lv, i // arity**lv) in done for lv in range(depth))
