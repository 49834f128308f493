"""The distributed HAPOD: a tree of local PODs whose leaves run where the data is.

See :func:`distributed_pod` and :doc:`/theory/hapod`.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from rom.linalg.hapod import IncrementalPOD, _is_store, _keep, _update
from rom.linalg.inner import column_squared_norms
from rom.parallel import as_executor
from rom.validation import check_array, check_inner, check_positive_int

__all__ = ["DistributedPODError", "distributed_pod"]

logger = logging.getLogger("rom.linalg.hapod")


@dataclass
class _Node:
    """The result of a subtree: its modes, values, dropped energy, snapshot energy."""

    U: np.ndarray
    s: np.ndarray
    discarded: float
    energy: float
    count: int
    moved: int = 0  # bytes of modes sent into the subtree's merge nodes


def _leaf(chunk: Any, index: int, share: float, tol, relative, omega, rank, M) -> _Node:
    """A leaf's local POD (where the chunk is read): budget omega^2 tau^2 of its share."""
    S = chunk() if callable(chunk) else chunk
    S = check_array(S, f"chunks[{index}]", ndim=2)
    if M is not None and S.shape[0] != M.shape[0]:
        raise ValueError(
            f"chunks[{index}]: expected {M.shape[0]} rows (the size of inner), got {S.shape[0]}"
        )
    energy = float(np.sum(column_squared_norms(S, M)))
    scale = energy if relative else share
    budget = 0.0 if tol is None else omega * omega * tol * tol * scale
    U, s, d = _update(None, None, S, M, budget, rank)
    return _Node(U, s, d, energy, S.shape[1])


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
    children = sorted(children, key=lambda c: -c.U.shape[1])
    base = children[0]
    rest = [c.U * c.s for c in children[1:]]
    Y = np.concatenate(rest, axis=1) if rest else base.U[:, :0]
    if base.U.shape[1] == 0:
        U, s, d = _update(None, None, Y, M, budget, rank) if Y.shape[1] else (base.U, base.s, 0)
    elif Y.shape[1] == 0:
        r = _keep(base.s, budget, rank)
        U, s, d = base.U[:, :r], base.s[:r], float(np.sum(base.s[r:] ** 2))
    else:
        U, s, d = _update(base.U, base.s, Y, M, budget, rank)
    return _Node(
        U,
        s,
        d + sum(c.discarded for c in children),
        energy,
        sum(c.count for c in children),
        sum(c.moved + c.U.nbytes + c.s.nbytes for c in children),
    )


class DistributedPODError(RuntimeError):
    """Some subtrees of :func:`distributed_pod` failed (a worker died, a chunk failed).

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


def distributed_pod(
    chunks: Any,
    tol: float | None = None,
    executor: Any = None,
    arity: int = 2,
    inner: Any = None,
    omega: float = 0.9,
    relative: bool = True,
    rank: int | None = None,
    resume: dict | None = None,
) -> IncrementalPOD:
    r"""POD of column blocks computed along a tree of local PODs (distributed HAPOD).

    Leaf ``i`` computes the POD of ``chunks[i]`` where it runs (a chunk is an array,
    or a picklable callable returning one, such as a reader of
    :meth:`rom.nonintrusive.SnapshotStore.chunk_readers`: the worker reads its own
    block); groups of ``arity`` nodes are merged by the POD of their modes times their
    singular values, level by level, up to the root. Only modes and singular values
    travel. Local tolerances (squared budgets of dropped energy), with :math:`L` the
    number of merge levels, :math:`E_\alpha` the energy of the snapshots under node
    :math:`\alpha` and :math:`\tau^2 = \mathrm{tol}^2 E` (``relative``; with
    ``relative=False``, :math:`\mathrm{tol}^2` and :math:`E_\alpha / E` replaced by the
    fraction of the chunks under :math:`\alpha`):

    - leaf: :math:`\omega^2 \mathrm{tol}^2 E_\alpha` (it needs only its own data);
    - merge node at any level: :math:`(1 - \omega^2)\,\mathrm{tol}^2 E_\alpha / L`;
    - root: then truncated within all that is left, :math:`\tau^2 - D`.

    The dropped energies add up to at most :math:`\tau^2` (the leaves' shares sum to
    :math:`\omega^2\tau^2`, each level's to at most :math:`(1-\omega^2)\tau^2/L`),
    and their sum ``D`` bounds the squared Frobenius projection error of all
    snapshots (:doc:`/theory/hapod`): ``error_bound_ = sqrt(D) <= tol`` by
    construction, as for :class:`IncrementalPOD`.

    Faults: a node that fails (a worker killed, ``BrokenProcessPool``, a chunk that
    cannot be read) does not lose the others: every subtree that finished is kept, and
    :class:`DistributedPODError` names the chunks lost and carries ``state``; call
    again with ``resume=err.state`` (and a working executor) to compute only the
    missing subtrees. A dask cluster also retries tasks of a dead worker by itself
    (``distributed.scheduler.allowed-failures``); a broken process pool does not.

    Parameters
    ----------
    chunks : sequence of arrays (n, m_i) or of callables returning them
    tol : float, optional
    executor : None, Executor or dask Client
        See :func:`rom.parallel.as_executor` (None: here, one node after the other).
    arity : int
        Children per merge node (at least 2).
    inner : None or (n, n) Hermitian positive definite matrix
        As :class:`IncrementalPOD`.
    omega : float in (0, 1)
        As :class:`IncrementalPOD`.
    relative : bool
        As :class:`IncrementalPOD`.
    rank : int, optional
        As :class:`IncrementalPOD`.
    resume : dict, optional
        The ``state`` of a :class:`DistributedPODError`.

    Returns
    -------
    IncrementalPOD
        Fitted (further blocks can be added with ``partial_fit``).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.linalg import distributed_pod
    >>> x = np.linspace(0, 1, 300)[:, None]
    >>> S = np.exp(-np.linspace(1, 5, 64)[None, :] * x)
    >>> pod = distributed_pod([S[:, k : k + 16] for k in range(0, 64, 16)], tol=1e-6)
    >>> bool(np.linalg.norm(S - pod.basis_ @ pod.transform(S)) <= pod.error_bound_)
    True
    """
    pod = IncrementalPOD(tol=tol, rank=rank, inner=inner, omega=omega, relative=relative)
    tol, rank, omega, relative = pod._settings()
    arity = check_positive_int(arity, "arity", allow_none=False, minimum=2)
    if _is_store(chunks):
        chunks = chunks.chunk_readers(pod._chunk_columns(chunks))
    if isinstance(chunks, str | bytes) or not hasattr(chunks, "__len__"):
        raise TypeError(
            f"chunks: expected a sequence of arrays or of callables, got {type(chunks).__name__}"
        )
    chunks = list(chunks)
    if not chunks:
        raise ValueError("chunks: expected at least one chunk, got none")
    if resume is not None and not isinstance(resume, dict):
        raise TypeError(f"resume: expected the state of a DistributedPODError, got {resume!r}")
    M = None if inner is None else check_inner(inner, getattr(inner, "shape", (0,))[0])
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

    for i in range(K):
        start(0, i)
    for level in range(1, len(levels)):  # nodes finished in an earlier run
        for j in range(levels[level]):
            if ready(level, j):
                start(level, j)
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
    node = runner.value(done[root])
    pod._set_state(node.U, node.s, node.discarded, node.energy, node.count, M)
    pod._bytes_moved = node.moved + (node.U.nbytes + node.s.nbytes if executor else 0)
    return pod


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
