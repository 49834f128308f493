"""Streaming and distributed POD with a certified error (HAPOD).

The hierarchical approximate POD of Himpe, Leibner and Rave (SIAM J. Sci. Comput.
40(5), 2018): local PODs of column blocks, then PODs of their modes scaled by their
singular values, along a tree. :class:`IncrementalPOD` follows a chain (one block at a
time, as it streams past); :func:`distributed_pod` a tree of arity ``arity`` whose
leaves run where the data is. Both certify the projection error of every snapshot seen
by the sum of the energies discarded at the tree's nodes (see :doc:`/theory/hapod`).
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from rom._progress import progress_bar
from rom.linalg._hapod_local import (
    as_float_block,
    gram,
    keep,
    local_pod,
    materialize,
    nonfinite_message,
    raw_energy,
)
from rom.linalg._hapod_local import is_store as _is_store
from rom.linalg.hapod_tree import DistributedPODError, run_tree
from rom.linalg.pod import POD
from rom.parallel import as_executor
from rom.validation import (
    check_array,
    check_inner,
    check_positive_int,
    check_tolerance,
)

__all__ = ["DistributedPODError", "IncrementalPOD", "distributed_pod", "project_store"]

logger = logging.getLogger("rom.linalg.hapod")

#: columns of a chunk when an array or a store is split by ``fit`` (about 64 MB)
_CHUNK_BYTES = 2**26


def _check_omega(omega: Any) -> float:
    if isinstance(omega, bool) or not isinstance(omega, numbers.Real):
        raise TypeError(f"omega: expected a number in (0, 1), got {omega!r}")
    if not 0.0 < float(omega) < 1.0:
        raise ValueError(f"omega: expected a number in (0, 1), got {omega}")
    return float(omega)


def _check_relative(relative: Any) -> bool:
    if not isinstance(relative, bool | np.bool_):
        raise TypeError(f"relative: expected True or False, got {relative!r}")
    return bool(relative)


class IncrementalPOD(POD):
    r"""POD of snapshots streamed in column blocks, with a certified error (HAPOD).

    Each call of :meth:`partial_fit` replaces the working modes ``U`` (singular values
    ``s``) by the POD of ``[U diag(s), S_k]``, dropping its smallest modes within a
    budget; the snapshots are then forgotten. The sum ``D`` of the energies (squared
    singular values) dropped so far bounds the error of *every* snapshot seen:

    .. math:: \sum_j \|s_j - U U^H M s_j\|_M^2 \le D

    (the HAPOD bound, :doc:`/theory/hapod`), so ``error_bound_ = sqrt(D)`` is a
    certificate of the Frobenius (sum of squares, not mean) projection error of all
    ``n_samples_seen_`` snapshots in the inner product ``inner``, computed from
    singular values only. The requested ``tol`` is met by construction: with
    ``E = total_energy_`` (the squared norms of all snapshots, summed exactly as they
    arrive) and :math:`\tau^2 = \mathrm{tol}^2 E` (``relative=True``) or
    :math:`\mathrm{tol}^2` (absolute),

    - a step may drop modes while the running sum stays within :math:`\omega^2\tau^2`
      (the local tolerance of the chain's nodes); as ``E`` only grows, no total number
      of snapshots is needed in advance (the adaptive variant: each block's share of
      the budget is proportional to its energy);
    - the fitted basis ``basis_`` is the working basis truncated further within what is
      left, :math:`\tau^2 - D` (the root of the tree), so after every block
      ``error_bound_ <= tol`` (relative to :math:`\sqrt E`) holds.

    ``omega`` balances speed against the number of modes: near 1 the working basis is
    small (fast updates) but the budget is spent early and the final basis can keep a
    few more modes than the POD of all snapshots at the same ``tol``; near 0 the
    working basis keeps nearly everything. The singular values are certified too:
    :math:`0 \le \sigma_i - \hat\sigma_i \le \min(\delta, \delta^2 / (2\hat\sigma_i))`
    with :math:`\delta^2` the energy dropped before the final truncation, reported
    in ``singular_value_error_`` (plus round-off).

    It is a :class:`POD` (same ``transform``, ``inverse_transform``,
    ``projection_error``, attributes), usable wherever one is accepted.

    Parameters
    ----------
    tol : float, optional
        Bound on the Frobenius projection error of all snapshots, relative to their
        Frobenius norm (``relative=True``) or absolute. None: only numerically zero
        modes are dropped.
    rank : int, optional
        Maximum number of modes, of the working basis too (the energy that this forces
        out counts in ``error_bound_``, which may then exceed ``tol``).
    inner : None or (n, n) Hermitian positive definite matrix
    omega : float in (0, 1)
        Share (squared) of the budget spent while streaming; default 0.9, which in
        our tests keeps the working basis within a few modes of the final one.
    relative : bool
    chunk_size : int, optional
        Columns per block when :meth:`fit` splits an array or a store (default: about
        64 MB per block).

    Attributes
    ----------
    basis_, singular_values_, energy_, singular_value_error_, total_energy_ : as POD
    error_bound_ : float
        Certified bound on :math:`\sqrt{\sum_j \|s_j - U U^H M s_j\|_M^2}` over all
        snapshots seen (absolute; divide by ``sqrt(total_energy_)`` for the relative
        one).
    n_samples_seen_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from rom.linalg import IncrementalPOD
    >>> x = np.linspace(0, 1, 300)[:, None]
    >>> S = np.exp(-np.linspace(1, 5, 60)[None, :] * x)
    >>> pod = IncrementalPOD(tol=1e-6)
    >>> for k in range(0, 60, 20):
    ...     _ = pod.partial_fit(S[:, k : k + 20])
    >>> pod.n_samples_seen_, pod.rank_ < 10
    (60, True)
    >>> err = np.linalg.norm(S - pod.basis_ @ pod.transform(S))
    >>> bool(err <= pod.error_bound_ <= 1e-6 * np.linalg.norm(S))
    True
    """

    def __init__(
        self,
        tol: float | None = None,
        rank: int | None = None,
        inner: Any = None,
        omega: float = 0.9,
        relative: bool = True,
        chunk_size: int | None = None,
    ) -> None:
        self.tol = tol
        self.rank = rank
        self.inner = inner
        self.omega = omega
        self.relative = relative
        self.chunk_size = chunk_size

    # ------------------------------------------------------------ checks
    def _settings(self) -> tuple[float | None, int | None, float, bool]:
        relative = _check_relative(self.relative)
        tol = check_tolerance(self.tol, "tol", upper=1.0 if relative else None)
        rank = check_positive_int(self.rank, "rank")
        omega = _check_omega(self.omega)
        check_positive_int(self.chunk_size, "chunk_size")
        return tol, rank, omega, relative

    def _budget(self, tol, relative, energy: float) -> float:
        if tol is None:
            return 0.0
        return tol * tol * (energy if relative else 1.0)

    # ------------------------------------------------------------ fitting
    def partial_fit(self, S: Any) -> IncrementalPOD:
        """Add the snapshots ``S`` (columns, shape (n, m)) to the POD.

        Parameters
        ----------
        S : array_like of shape (n, m)
            A block of snapshots, one per column, with as many rows as those seen so
            far.

        Returns
        -------
        self
        """
        self._absorb(S)
        self._publish()
        return self

    def _absorb(self, S: Any) -> None:
        """One step of the chain; the modes stay unformed (``_U _F``) until published."""
        tol, rank, omega, relative = self._settings()
        # no pass over the data here: NaN, inf and the energy come from the Gram diagonal
        S = as_float_block(check_array(S, "S", ndim=2, finite=False))
        fresh = "_U" not in vars(self)
        n = S.shape[0] if fresh else self._U.shape[0]
        if S.shape[0] != n:
            raise ValueError(
                f"S: expected {n} rows (the number of dofs of the snapshots seen so far), "
                f"got {S.shape[0]}"
            )
        M = check_inner(self.inner, n) if fresh else self.inner_
        working = not fresh and self._s.size > 0
        blocks = [(self._U, self._s, self._F), (S, None, None)] if working else [(S, None, None)]
        G = gram(blocks, M)
        energy = raw_energy(blocks, G)
        if not np.isfinite(energy):
            raise ValueError(nonfinite_message("S", S))
        if M is not None and np.any(np.real(np.diagonal(G)[-S.shape[1] :]) < 0):
            raise ValueError("inner: the matrix is not positive definite (negative squared norm)")
        E = energy + (0.0 if fresh else self._energy)
        if E == 0.0:
            raise ValueError("S: every snapshot is zero; there is nothing to compress")
        D = 0.0 if fresh else self._discarded
        budget = max(omega * omega * self._budget(tol, relative, E) - D, 0.0)
        W, F, s, d = local_pod(blocks, G, M, budget, rank)
        self._U, self._F, self._s, self._discarded = W, F, s, D + d
        self._energy, self._count = E, (0 if fresh else self._count) + S.shape[1]
        self.inner_ = M

    def _publish(self) -> None:
        """Form the working modes and expose the fitted attributes."""
        U = materialize(self._U, self._F)
        self._set_state(U, self._s, self._discarded, self._energy, self._count, self.inner_)

    def _set_state(self, U, s, discarded, energy, count, M) -> None:
        """Keep the working modes; expose them truncated within the budget left."""
        tol, rank, _, relative = self._settings()
        self._U, self._F, self._s, self._discarded = U, None, s, float(discarded)
        self._energy, self._count = float(energy), int(count)
        self.inner_ = M
        self.total_energy_ = float(energy)
        self.n_samples_seen_ = int(count)
        left = max(self._budget(tol, relative, energy) - self._discarded, 0.0)
        r = keep(s, left, rank)
        dropped = float(np.sum(s[r:] ** 2))
        self.basis_ = U[:, :r]
        self.singular_values_ = s[:r]
        self.energy_ = np.cumsum(s[:r] ** 2) / energy
        delta2 = self._discarded
        s_safe = np.where(s[:r] > 0, s[:r], 1.0)
        eps = np.finfo(float).eps
        roundoff = eps * (float(s[0]) if s.size else 0.0) * max(U.shape) ** 0.5
        self.singular_value_error_ = np.minimum(delta2**0.5, delta2 / (2 * s_safe)) + roundoff
        self.error_bound_ = (self._discarded + dropped) ** 0.5
        self.method_ = "hapod"
        self.n_iter_ = 0
        self._coefficients = None

    def fit(self, S: Any, progress: bool | None = False) -> IncrementalPOD:
        """Fit on snapshots given at once or in blocks, forgetting earlier ones.

        Parameters
        ----------
        S : array (n, m), iterable of arrays (n, m_k), or SnapshotStore
            An array or a store is read in blocks of ``chunk_size`` columns (a store
            one block at a time, never whole); an iterable (a generator) gives its
            blocks.
        progress : bool or None
            A progress bar over the blocks (None: on a terminal).

        Returns
        -------
        self
        """
        self._settings()
        for name in ("_U", "_F", "_s", "_discarded", "_energy", "_count", *self._fitted_names()):
            vars(self).pop(name, None)
        if _is_store(S):
            chunks: Iterable = S.chunks(self._chunk_columns(S))
        elif hasattr(S, "shape"):
            S = check_array(S, "S", ndim=2, finite=False)  # each block is checked
            size = self._chunk_columns(S)
            chunks = (S[:, k : k + size] for k in range(0, S.shape[1], size))
        elif isinstance(S, Iterable) and not isinstance(S, str | bytes):
            chunks = S
        else:
            raise TypeError(
                f"S: expected an array, an iterable of arrays or a SnapshotStore, got "
                f"{type(S).__name__}"
            )
        blocks = iter(chunks)
        with progress_bar(progress, None, "blocks") as bar:
            while (chunk := next(blocks, None)) is not None:
                self._absorb(chunk)  # the modes are formed once, at the end
                del chunk  # before the next block is read: one block in memory at a time
                bar.update(1)
        if "_U" not in vars(self):
            raise ValueError("S: expected at least one block of snapshots, got none")
        self._publish()
        return self

    def _chunk_columns(self, S: Any) -> int:
        if self.chunk_size is not None:
            return int(self.chunk_size)
        rows = S.shape[0] if hasattr(S, "shape") else S.n_rows()
        return max(1, _CHUNK_BYTES // (16 * max(int(rows), 1)))

    def fit_transform(self, S: Any) -> Any:
        """``fit(S).transform(S)`` (for an array; a second pass over ``S``).

        Parameters
        ----------
        S : array_like of shape (n, m)
            The snapshots, one per column.

        Returns
        -------
        array of shape (rank_, m)
            The reduced coordinates of the snapshots.
        """
        return self.fit(S).transform(S)

    def _restore(self) -> None:
        """After :func:`rom.load`: check as POD, then resume from the saved basis.

        The saved basis is the working one for further :meth:`partial_fit` calls, with
        ``error_bound_**2`` as the energy already dropped (the bound stays certified).
        """
        super()._restore()
        if not self._is_fitted():
            return
        bound = self.error_bound_
        if not isinstance(bound, float | int) or not 0 <= bound < np.inf:
            raise ValueError(f"error_bound_: expected a non-negative number, got {bound!r}")
        count = self.n_samples_seen_
        if isinstance(count, bool) or not isinstance(count, numbers.Integral) or count < 1:
            raise ValueError(f"n_samples_seen_: expected a positive integer, got {count!r}")
        self._U, self._F, self._s = self.basis_, None, np.asarray(self.singular_values_)
        self._discarded = float(bound) ** 2
        self._energy, self._count = float(self.total_energy_), int(count)


# ---------------------------------------------------------------------------
# the distributed HAPOD (the tree itself: rom.linalg.hapod_tree)
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
    node = run_tree(chunks, executor, arity, (tol, relative, omega, rank, M), resume)
    U = node.modes()
    pod._set_state(U, node.s, node.discarded, node.energy, node.count, M)
    pod._bytes_moved = node.moved + (U.nbytes + node.s.nbytes if executor else 0)
    return pod


# ---------------------------------------------------------------------------
# reduced coordinates of a store, block by block
def _project(reduction: Any, reader: Any) -> tuple[np.ndarray, np.ndarray]:
    S, mus = reader.read()
    if S.shape[1] == 0:
        return np.zeros((0, 0)), mus
    return np.asarray(reduction.transform(S)), mus


def project_store(
    reduction: Any,
    store: Any,
    executor: Any = None,
    chunk_size: int | None = None,
    field: str | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Reduced coordinates of every snapshot of a store, read block by block.

    Each block is read and transformed where it runs (on ``executor``): only the
    reduced coordinates travel, so the store may be larger than memory.

    Parameters
    ----------
    reduction : fitted object with ``transform`` (a POD); picklable for an executor
    store : rom.nonintrusive.SnapshotStore
    executor : None, Executor or dask Client
    chunk_size : int, optional
        Columns per block (default: about 64 MB).
    field : str, optional
        The store's field (default: the first).

    Returns
    -------
    coords : array, shape (r, k)
        ``reduction.transform`` of the snapshots, in the store's order.
    parameters : array, shape (k, n_params)
        Their parameter sets (rows).

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from rom import ParameterSpace
    >>> from rom.linalg import IncrementalPOD, project_store
    >>> from rom.nonintrusive import SnapshotStore
    >>> store = SnapshotStore(tempfile.mkdtemp(), ParameterSpace({"k": (1, 2)}), ["u"])
    >>> for k in (1.0, 1.5, 2.0):
    ...     store.put([k], {"u": np.exp(-k * np.linspace(0, 1, 50))})
    >>> pod = IncrementalPOD(tol=1e-8).fit(store)
    >>> coords, mus = project_store(pod, store)
    >>> coords.shape[1], mus.shape
    (3, (3, 1))
    """
    if not _is_store(store):
        raise TypeError(f"store: expected a SnapshotStore, got {type(store).__name__}")
    if not callable(getattr(reduction, "transform", None)):
        raise TypeError(f"reduction: expected a fitted object with transform, got {reduction!r}")
    check_positive_int(chunk_size, "chunk_size")
    size = chunk_size or max(1, _CHUNK_BYTES // (16 * max(store.n_rows(field), 1)))
    readers = store.chunk_readers(size, field)
    executor = as_executor(executor)
    if executor is None:
        parts = [_project(reduction, r) for r in readers]
    else:
        futures = [executor.submit(_project, reduction, r) for r in readers]
        parts = [f.result() for f in futures]
    parts = [p for p in parts if p[0].ndim == 2 and p[0].shape[1]]
    if not parts:
        raise ValueError("store: holds no valid snapshot")
    return np.concatenate([p[0] for p in parts], axis=1), np.concatenate([p[1] for p in parts])
