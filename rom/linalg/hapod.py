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
from rom.backend import blas_threads
from rom.linalg.inner import block_inner, column_squared_norms, orthonormalize
from rom.linalg.pod import POD, _pod_svd, _svd, _truncation_rank
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


def _is_store(x: Any) -> bool:
    """A :class:`rom.nonintrusive.SnapshotStore` (duck-typed: linalg sits below it)."""
    return callable(getattr(x, "chunk_readers", None)) and callable(getattr(x, "chunks", None))


# ---------------------------------------------------------------------------
# the local step: a POD of [U diag(s), Y] given the M-orthonormal U
def _update(U, s, Y, M, budget: float, rank: int | None):
    """:func:`_update_block` on one BLAS thread for small blocks (the fastest there)."""
    small = Y.shape[0] * (Y.shape[1] + (0 if U is None else U.shape[1])) <= 2**21
    with blas_threads(1 if small else None):
        return _update_block(U, s, Y, M, budget, rank)


def _update_block(U, s, Y, M, budget: float, rank: int | None):
    """POD of the columns ``[U diag(s), Y]`` truncated within ``budget``.

    ``U`` (or None) is M-orthonormal. The new columns are split into their part in
    span(U), ``C = U^H M Y``, and the rest ``R`` (two Gram-Schmidt passes); an
    orthonormal basis ``Q`` of the range of ``R`` (:func:`_range_basis`) gives the
    small matrix ``K = [U, Q]^H M [U s, Y]``, whose SVD gives the POD to round-off.
    Returns ``(U', s', discarded)``: ``discarded`` is the energy the step loses, the
    squares of the dropped singular values plus the energy of ``R`` outside span(Q)
    (directions below round-off), at most ``budget`` unless ``rank`` forces more.
    """
    n, b = Y.shape
    k = 0 if U is None else U.shape[1]
    if k + b > n:  # wide: a dense POD of the (small) input
        X = Y if U is None else np.concatenate([U * s, Y], axis=1)
        W, sw, _ = _pod_svd(X, M, np)
        r = _keep(sw, budget, rank)
        return W[:, :r], sw[:r], float(np.sum(sw[r:] ** 2))
    if U is None:
        U, s = Y[:, :0], np.zeros(0)
    fast = _update_gram(U, s, Y, M, budget, rank)
    if fast is not None:
        return fast
    C = block_inner(U, Y, M)
    R = Y - U @ C
    C2 = block_inner(U, R, M)
    R -= U @ C2
    C += C2
    Q = _range_basis(R, U, M)
    B = block_inner(Q, R, M)
    lost = float(np.sum(column_squared_norms(R, M))) - float(np.sum(np.abs(B) ** 2))
    del R
    top = np.concatenate([np.diag(s).astype(C.dtype), C], axis=1)
    bottom = np.concatenate([np.zeros((Q.shape[1], k), C.dtype), B], axis=1)
    Ub, sw = _small_svd(np.concatenate([top, bottom]))
    r = _keep(sw, budget, rank)
    W = U @ Ub[:k, :r]  # only the kept modes are formed
    W += Q @ Ub[k:, :r]
    discarded = float(np.sum(sw[r:] ** 2)) + max(lost, 0.0)
    return W, sw[:r], discarded


def _update_gram(U, s, Y, M, budget: float, rank: int | None):
    """The update by the Gram matrix of ``X = [U diag(s), Y]``, certified directly.

    Used only where the tolerance is far above the Gram matrix' round-off: the
    budget at least ``1e4 (k + b) eps ||X||_F^2``. The eigenvectors of
    ``X^H M X`` give candidate modes ``W = X V_r Sigma_r^{-1}`` (one pass over ``Y``),
    made orthonormal by a Cholesky step; then the Rayleigh-Ritz step: the SVD of the
    small ``K = W^H M X = L^{-1} Lambda_r^{-1/2} V_r^H G`` (from the Gram matrix ``G``,
    with ``L`` the Cholesky factor of ``W^H M W``, computed from ``W`` itself) gives
    modes and singular values of the projection of ``X`` on span(W), and the energy
    outside it, ``||X||_F^2 - ||K||_F^2``, is what the step drops (its round-off is
    below 1e-4 of the budget). Two passes over the block instead of a dozen: the cost
    of the method of snapshots, with the HAPOD bound intact.
    Returns None where it does not apply.
    """
    k, b = U.shape[1], Y.shape[1]
    MY = Y if M is None else M @ Y
    C = U.conj().T @ MY
    Gyy = Y.conj().T @ MY
    total = float(np.sum(s**2)) + float(np.real(np.trace(Gyy)))
    eps = np.finfo(float).eps
    if total <= 0 or budget < 1e4 * (k + b) * eps * total:
        return None
    sC = s[:, None] * C
    G = np.block([[np.diag(s**2).astype(C.dtype), sC], [sC.conj().T, Gyy]])
    lam, V = np.linalg.eigh((G + G.conj().T) / 2)
    lam, V = lam[::-1], V[:, ::-1]
    r = _keep(np.sqrt(np.clip(lam, 0.0, None)), budget, rank)
    if r == 0 or lam[r - 1] <= 1e-12 * lam[0]:
        return None
    scale = 1.0 / np.sqrt(lam[:r])
    W = U @ (s[:, None] * V[:k, :r] * scale) if k else None
    W = Y @ (V[k:, :r] * scale) if W is None else W + Y @ (V[k:, :r] * scale)
    Gw = block_inner(W, W, M)
    try:
        L = np.linalg.cholesky((Gw + Gw.conj().T) / 2)
    except np.linalg.LinAlgError:
        return None
    Linv = np.linalg.inv(L)
    # K = W^H M X from the Gram matrix (no pass over Y): W = X V_r Lambda_r^{-1/2} L^{-H}
    K = Linv @ ((V[:, :r] * scale).conj().T @ G)
    Uk, sk = _small_svd(K)
    dropped = total - float(np.sum(sk**2))
    return W @ (Linv.conj().T @ Uk), sk, max(dropped, 0.0)


def _range_basis(R, U, M, passes: int = 3):
    """An M-orthonormal basis of the range of ``R``, orthogonal to ``U``.

    From the eigenvectors of the small Gram matrix ``R^H M R``, re-orthogonalised
    against ``U`` and made orthonormal by two Cholesky QR steps: products with the tall
    block only, all BLAS 3 (a Householder QR of a tall block is many times slower).
    Each pass takes the directions within five orders of magnitude of the largest
    singular value of what is left of ``R``; up to ``passes`` passes; what remains
    then (below about 1e-15 of ``R``) is counted by the caller as lost energy.
    """
    eps = np.finfo(float).eps
    basis = U
    found = []
    total = float(np.sum(column_squared_norms(R, M)))
    for _ in range(passes):
        G = block_inner(R, R, M)
        lam, V = np.linalg.eigh((G + G.conj().T) / 2)
        lam, V = lam[::-1], V[:, ::-1]
        top = max(float(lam[0]), 0.0) if lam.size else 0.0
        # sigma > 1e-5 sigma_top: the eigenvectors are then accurate to about 1e-6 and
        # one Cholesky step makes them orthonormal; the smaller ones in the next pass
        keep = lam > top * 1e-10
        if top <= eps * eps * total or not np.any(keep):
            break
        Q = R @ (V[:, keep] / np.sqrt(lam[keep]))
        try:
            for _ in range(2):  # Cholesky QR twice: orthonormal to round-off
                Q -= basis @ block_inner(basis, Q, M)
                G = block_inner(Q, Q, M)
                L = np.linalg.cholesky((G + G.conj().T) / 2)
                Q = Q @ np.linalg.inv(L).conj().T
        except np.linalg.LinAlgError:
            Q = orthonormalize(Q, M)
            Q -= basis @ block_inner(basis, Q, M)
            Q = orthonormalize(Q, M)
        found.append(Q)
        basis = np.concatenate([basis, Q], axis=1)
        if np.all(keep):
            break
        R = R - Q @ block_inner(Q, R, M)
    return np.concatenate(found, axis=1) if found else R[:, :0]


def _small_svd(A):
    """Left singular vectors and values of a small matrix (numpy's LAPACK, whose BLAS
    threads :func:`rom.backend.blas_threads` caps; scipy's drivers if it fails)."""
    try:
        U, s, _ = np.linalg.svd(A, full_matrices=False)
    except np.linalg.LinAlgError:
        U, s, _ = _svd(A, np)
    return U, s


def _keep(s, budget: float, rank: int | None) -> int:
    """Modes of a POD (values ``s``) to keep so that at most ``budget`` is dropped."""
    return _truncation_rank(s, None, rank, budget**0.5, None, 1.0, None, "svd", relative=False)


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
        tol, rank, omega, relative = self._settings()
        S = check_array(S, "S", ndim=2)
        S = np.ascontiguousarray(S)  # a column slice of a larger array: one copy, then BLAS
        fresh = "_U" not in vars(self)
        n = S.shape[0] if fresh else self._U.shape[0]
        if S.shape[0] != n:
            raise ValueError(
                f"S: expected {n} rows (the number of dofs of the snapshots seen so far), "
                f"got {S.shape[0]}"
            )
        M = check_inner(self.inner, n) if fresh else self.inner_
        energy = float(np.sum(column_squared_norms(S, M)))
        E = energy + (0.0 if fresh else self.total_energy_)
        if E == 0.0:
            raise ValueError("S: every snapshot is zero; there is nothing to compress")
        D = 0.0 if fresh else self._discarded
        budget = max(omega * omega * self._budget(tol, relative, E) - D, 0.0)
        U, s = (None, None) if fresh or self._U.shape[1] == 0 else (self._U, self._s)
        U, s, d = _update(U, s, S, M, budget, rank)
        self._set_state(U, s, D + d, E, (0 if fresh else self.n_samples_seen_) + S.shape[1], M)
        return self

    def _set_state(self, U, s, discarded, energy, count, M) -> None:
        """Keep the working modes; expose them truncated within the budget left."""
        tol, rank, _, relative = self._settings()
        self._U, self._s, self._discarded = U, s, float(discarded)
        self.inner_ = M
        self.total_energy_ = float(energy)
        self.n_samples_seen_ = int(count)
        left = max(self._budget(tol, relative, energy) - self._discarded, 0.0)
        r = _keep(s, left, rank)
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
        for name in ("_U", "_s", "_discarded", *self._fitted_names()):
            vars(self).pop(name, None)
        if _is_store(S):
            chunks: Iterable = S.chunks(self._chunk_columns(S))
        elif hasattr(S, "shape"):
            S = check_array(S, "S", ndim=2)
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
                self.partial_fit(chunk)
                del chunk  # before the next block is read: one block in memory at a time
                bar.update(1)
        if "_U" not in vars(self):
            raise ValueError("S: expected at least one block of snapshots, got none")
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
        self._U, self._s = self.basis_, np.asarray(self.singular_values_)
        self._discarded = float(bound) ** 2


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


# ---------------------------------------------------------------------------
# POD.fit of a store or of a dask array
def fit_out_of_core(pod: POD, S: Any) -> POD:
    """``POD.fit`` of a SnapshotStore (read whole) or of a dask array (TSQR).

    A dask array ``A`` (rows in blocks) is reduced by ``dask.array.linalg.tsqr``,
    ``A = Q R``; the SVD of the small ``R = U_R \\Sigma V^H`` gives the singular
    values to round-off and the modes ``Q U_R`` (only the kept ones are formed).
    """
    if _is_store(S):
        return pod.fit(S.snapshots()[0])
    import dask.array as da

    from rom.validation import check_choice

    if pod.inner is not None:
        raise ValueError("inner: a dask array is reduced in the Euclidean inner product only")
    if S.ndim != 2:
        raise ValueError(f"S: expected a 2-D array, got shape {tuple(S.shape)}")
    check_choice(pod.method, "method", ("auto", "svd"))
    relative = bool(pod.relative)
    rank = check_positive_int(pod.rank, "rank")
    tol = check_tolerance(pod.tol, "tol", upper=1.0 if relative else None)
    rtol = check_tolerance(pod.rtol, "rtol", upper=1.0)
    A = S.rechunk({1: -1})
    Q, R = da.linalg.tsqr(A)
    R = R.compute()
    if not np.isfinite(R).all():
        raise ValueError("S: contains NaN or inf")
    total = float(np.sum(np.abs(R) ** 2))
    if total == 0.0:
        raise ValueError("S: every snapshot is zero; there is nothing to compress")
    Ur, s, _ = _svd(R, np)
    eps = float(np.finfo(R.dtype).eps)
    err = np.full(s.shape, eps * float(s[0]) * S.shape[0] ** 0.5)
    r = _truncation_rank(s, err, rank, tol, rtol, total, None, "svd", relative)
    pod.basis_ = (Q @ da.from_array(Ur[:, :r])).compute()
    pod.singular_values_ = s[:r]
    pod.singular_value_error_ = err[:r]
    pod.energy_ = np.cumsum(s[:r] ** 2) / total
    pod.total_energy_ = total
    pod.method_ = "tsqr"
    pod.n_iter_ = 0
    pod.inner_ = None
    pod._coefficients = None
    return pod


# the distributed HAPOD lives beside this module (it builds on IncrementalPOD)
from rom.linalg.hapod_tree import DistributedPODError, distributed_pod  # noqa: E402
