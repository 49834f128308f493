"""The local step of the HAPOD: the POD of ``[U_1 diag(s_1), ..., Y]``, truncated.

Shared by :class:`rom.linalg.IncrementalPOD` (a chain) and
:func:`rom.linalg.distributed_pod` (a tree); see :doc:`/theory/hapod`.

The input of a node is a list of *blocks* ``(A, s, F)``: ``A`` an ``(n, c)`` array,
``F`` None or a small ``(c, r)`` matrix, ``s`` either the values of the M-orthonormal
modes ``A F`` (the block stands for ``A F diag(s)``, the modes of a child, kept as
``A F`` without forming the product: only the root forms it) or None (``A`` is raw
data, a chunk of snapshots, possibly a strided view of a larger array: it is never
copied; ``F`` is then None).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.backend import blas_threads
from rom.linalg._truncation import svd as _svd
from rom.linalg._truncation import truncation_rank as _truncation_rank
from rom.linalg.inner import block_inner, column_squared_norms, orthonormalize
from rom.linalg.pod import _pod_svd

#: bytes of the row slabs of the blocks processed at once (they stay in cache)
_SLAB_BYTES = 2**21


def is_store(x: Any) -> bool:
    """A :class:`rom.nonintrusive.SnapshotStore` (duck-typed: linalg sits below it)."""
    return callable(getattr(x, "chunk_readers", None)) and callable(getattr(x, "chunks", None))


def keep(s, budget: float, rank: int | None) -> int:
    """Modes of a POD (values ``s``) to keep so that at most ``budget`` is dropped."""
    return _truncation_rank(s, None, rank, budget**0.5, None, 1.0, None, "svd", relative=False)


def as_float_block(S: Any) -> np.ndarray:
    """``S`` in float64 or complex128 (float32 would square its round-off in a Gram)."""
    if S.dtype in (np.float64, np.complex128):
        return S
    return S.astype(np.complex128 if np.iscomplexobj(S) else np.float64)


def nonfinite_message(name: str, S: np.ndarray) -> str:
    """The error for a block whose Gram diagonal is not finite."""
    if not np.isfinite(S).all():
        return f"{name}: contains NaN or inf"
    return f"{name}: values too large (their squares overflow float64)"


def _slabs(n: int, width: int) -> list[slice]:
    rows = max(1024, _SLAB_BYTES // (16 * max(width, 1)))
    return [slice(i, min(i + rows, n)) for i in range(0, n, rows)]


def _width(blocks) -> int:
    return sum(A.shape[1] for A, _, _ in blocks)


def _cols(block) -> int:
    """Columns that a block stands for."""
    A, _, F = block
    return A.shape[1] if F is None else F.shape[1]


def materialize(W, F, r: int | None = None):
    """The modes ``W F`` (their first ``r``), formed (one product with the tall ``W``)."""
    if F is None:
        return W if r is None else W[:, :r]
    return W @ (F if r is None else F[:, :r])


def gram(blocks, M) -> np.ndarray:
    """The Gram matrix ``X^H M X`` of the columns ``X`` that ``blocks`` stand for.

    The diagonal block of a block of modes is ``diag(s^2)`` (not computed); the
    others are computed in one sweep over row slabs (Euclidean: each slab of a raw
    block is read from memory once and reused from cache by all its products).
    """
    sizes = [A.shape[1] for A, _, _ in blocks]
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
    dtype = np.result_type(*[A.dtype for A, _, _ in blocks], np.float64)
    P = np.zeros((offsets[-1], offsets[-1]), dtype)  # products of the stored arrays
    pairs = [
        (p, q) for q in range(len(blocks)) for p in range(q + 1) if p < q or blocks[q][1] is None
    ]
    n = blocks[0][0].shape[0]
    # NaN, inf: found on the diagonal; one BLAS thread (see local_pod)
    with np.errstate(over="ignore", invalid="ignore"), blas_threads(1):
        if M is None:
            for rows in _slabs(n, _width(blocks)):
                for p, q in pairs:
                    Ap, Aq = blocks[p][0][rows], blocks[q][0][rows]
                    Ppq = Ap.conj().T @ Aq
                    P[offsets[p] : offsets[p + 1], offsets[q] : offsets[q + 1]] += Ppq
        else:
            for q in range(len(blocks)):
                MA = M @ blocks[q][0]
                for p in range(q + 1):
                    if p < q or blocks[q][1] is None:
                        Gpq = blocks[p][0].conj().T @ MA
                        P[offsets[p] : offsets[p + 1], offsets[q] : offsets[q + 1]] = Gpq
    cols = [_cols(b) for b in blocks]
    starts = np.concatenate([[0], np.cumsum(cols)]).astype(int)
    G = np.zeros((starts[-1], starts[-1]), dtype)
    for q, (_, sq, Fq) in enumerate(blocks):  # the columns stood for: A F diag(s)
        gq = slice(starts[q], starts[q + 1])
        if sq is not None:
            G[gq, gq] = np.diag(np.asarray(sq, float) ** 2)
        else:
            Pqq = P[offsets[q] : offsets[q + 1], offsets[q] : offsets[q + 1]]
            G[gq, gq] = (Pqq + Pqq.conj().T) / 2
        for p in range(q):
            _, sp, Fp = blocks[p]
            block = P[offsets[p] : offsets[p + 1], offsets[q] : offsets[q + 1]]
            if Fp is not None:
                block = Fp.conj().T @ block
            if Fq is not None:
                block = block @ Fq
            if sp is not None:
                block = np.asarray(sp, float)[:, None] * block
            if sq is not None:
                block = block * np.asarray(sq, float)[None, :]
            G[starts[p] : starts[p + 1], gq] = block
            G[gq, starts[p] : starts[p + 1]] = block.conj().T
    return G


def raw_energy(blocks, G) -> float:
    """The energy of the raw blocks (the new snapshots), from the Gram diagonal."""
    d = np.real(np.diagonal(G))
    total, start = 0.0, 0
    for block in blocks:
        if block[1] is None:
            total += float(np.sum(d[start : start + _cols(block)]))
        start += _cols(block)
    return total


def local_pod(blocks, G, M, budget: float, rank: int | None):
    """POD of the columns ``blocks`` stand for, truncated within ``budget``.

    ``G`` is :func:`gram` of the blocks. Returns ``(W, F, s, discarded)``: the
    M-orthonormal modes ``W F`` (``F`` None: ``W`` itself; see :func:`materialize`),
    their values and the energy dropped (at most ``budget`` unless ``rank`` forces
    more). By the Gram matrix where the budget is far above its round-off
    (:func:`_from_gram`), otherwise without squaring (:func:`update_block`).
    """
    n = blocks[0][0].shape[0]
    width = G.shape[0]
    # one BLAS thread: the sweeps are many small products over row slabs, which
    # threaded BLAS slows down by orders of magnitude on a loaded machine (measured)
    with blas_threads(1):
        if width <= n:
            fast = _from_gram(blocks, G, M, budget, rank)
            if fast is not None:
                return fast
        data = [materialize(A, F) if s is None else materialize(A, F) * s for A, s, F in blocks]
        if blocks[0][1] is not None:
            U, s = materialize(blocks[0][0], blocks[0][2]), blocks[0][1]
            data = data[1:]
        else:
            U, s = None, None
        Y = np.concatenate(data, axis=1) if len(data) > 1 else data[0]
        U, s, discarded = update_block(U, s, Y, M, budget, rank)
        return U, None, s, discarded


def _from_gram(blocks, G, M, budget: float, rank: int | None):
    """The local POD from the Gram matrix ``G = X^H M X``, certified directly.

    Used only where the budget is at least ``1e4 w eps ||X||_F^2`` (``w`` columns).
    With ``V_r`` the leading eigenvectors of ``G`` (any orthonormal ``V_r`` would do
    for the bound, the eigenvectors make it optimal), the node keeps
    ``T = X V_r``: then ``X X^H - T T^H = X (I - V_r V_r^H) X^H`` is positive
    semidefinite with trace ``||X||_F^2 - ||T||_F^2``, the energy dropped. ``T`` is
    formed as ``W = X V_r Lambda_r^{-1/2}`` (one sweep over the blocks, which also
    accumulates ``W^H M W``); its Cholesky factor ``L`` gives the M-orthonormal
    ``Q = W L^{-H}``, ``T = Q L^H Lambda_r^{1/2}``, and the SVD of that small factor
    the modes ``Q U_K = W F`` (``F = L^{-H} U_K``, returned unformed) and singular
    values ``Sigma_K``. The kept energy ``||Sigma_K||^2`` is that of the computed
    ``W`` (measured, not read off the eigenvalues), so the step's round-off stays
    below 1e-4 of its budget. Returns ``(W, F, Sigma_K, dropped)``, or None where it
    does not apply.
    """
    width = G.shape[0]
    total = float(np.real(np.trace(G)))
    eps = np.finfo(float).eps
    if total <= 0 or budget < 1e4 * width * eps * total:
        return None
    lam, V = np.linalg.eigh(G)
    lam, V = lam[::-1], V[:, ::-1]
    r = keep(np.sqrt(np.clip(lam, 0.0, None)), budget, rank)
    if r == 0 or lam[r - 1] <= 1e-12 * lam[0]:
        return None
    coef = V[:, :r] / np.sqrt(lam[:r])
    start = 0
    coefs = []  # W = X coef = sum_p A_p coefs_p
    for block in blocks:
        _, s, F = block
        c = coef[start : start + _cols(block)]
        c = c if s is None else np.asarray(s, float)[:, None] * c
        coefs.append(c if F is None else F @ c)
        start += _cols(block)
    W, Gw = _combine(blocks, coefs, M)
    try:
        L = np.linalg.cholesky((Gw + Gw.conj().T) / 2)
    except np.linalg.LinAlgError:
        return None
    K = L.conj().T * np.sqrt(lam[:r])  # T = Q K with Q = W L^{-H}
    Uk, sk = small_svd(K)
    import scipy.linalg

    F = scipy.linalg.solve_triangular(L.conj().T, Uk, lower=False)  # L^{-H} U_K
    dropped = total - float(np.sum(sk**2))
    return W, F, sk, max(dropped, 0.0)


def _combine(blocks, coefs, M):
    """``W = sum_p A_p coefs_p`` and ``W^H M W``, in one sweep over row slabs."""
    n = blocks[0][0].shape[0]
    r = coefs[0].shape[1]
    dtype = np.result_type(*[A.dtype for A, _, _ in blocks], *coefs)
    W = np.empty((n, r), dtype)
    if M is not None:
        W[:] = blocks[0][0] @ coefs[0]
        for (A, _, _), c in zip(blocks[1:], coefs[1:], strict=True):
            W += A @ c
        return W, block_inner(W, W, M)
    Gw = np.zeros((r, r), dtype)
    for rows in _slabs(n, _width(blocks) + r):
        Wb = W[rows]
        np.matmul(blocks[0][0][rows], coefs[0], out=Wb)
        for (A, _, _), c in zip(blocks[1:], coefs[1:], strict=True):
            Wb += A[rows] @ c
        Gw += Wb.conj().T @ Wb
    return W, Gw


def update_block(U, s, Y, M, budget: float, rank: int | None):
    """POD of the columns ``[U diag(s), Y]`` truncated within ``budget``, no squaring.

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
        r = keep(sw, budget, rank)
        return W[:, :r], sw[:r], float(np.sum(sw[r:] ** 2))
    if U is None:
        U, s = Y[:, :0], np.zeros(0)
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
    Ub, sw = small_svd(np.concatenate([top, bottom]))
    r = keep(sw, budget, rank)
    W = U @ Ub[:k, :r]  # only the kept modes are formed
    W += Q @ Ub[k:, :r]
    discarded = float(np.sum(sw[r:] ** 2)) + max(lost, 0.0)
    return W, sw[:r], discarded


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
        keep_ = lam > top * 1e-10
        if top <= eps * eps * total or not np.any(keep_):
            break
        Q = R @ (V[:, keep_] / np.sqrt(lam[keep_]))
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
        if np.all(keep_):
            break
        R = R - Q @ block_inner(Q, R, M)
    return np.concatenate(found, axis=1) if found else R[:, :0]


def small_svd(A):
    """Left singular vectors and values of a small matrix (numpy's LAPACK, whose BLAS
    threads :func:`rom.backend.blas_threads` caps; scipy's drivers if it fails)."""
    try:
        U, s, _ = np.linalg.svd(A, full_matrices=False)
    except np.linalg.LinAlgError:
        U, s, _ = _svd(A, np)
    return U, s
