"""Proper orthogonal decomposition with singular values accurate to round-off."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.backend import array_namespace, blas_threads, resolve_backend
from rom.linalg._truncation import svd as _svd
from rom.linalg._truncation import truncation_rank as _truncation_rank
from rom.linalg.inner import (
    apply_inner,
    block_inner,
    column_norms,
    column_squared_norms,
    orthonormalize,
    residual_squared_norm,
)
from rom.validation import (
    check_array,
    check_choice,
    check_fitted,
    check_inner,
    check_positive_int,
    check_tolerance,
)

__all__ = ["POD"]

logger = logging.getLogger("rom.linalg.pod")

METHODS = ("auto", "svd", "snapshots", "randomized")

#: target accuracy of the singular values returned by "auto" and "randomized",
#: relative to the largest one (absolute error <= ACCURACY * sigma_1)
ACCURACY = 1e-13


class POD(Estimator):
    r"""Proper orthogonal decomposition of a snapshot matrix (snapshots are columns).

    Computes the leading left singular vectors of ``S`` in the inner product
    ``inner`` (``M``): the basis ``U`` is ``M``-orthonormal, ``U^H M U = I``, and the
    singular values are those of ``M^{1/2} S``.

    Truncation (the smallest ``r`` that satisfies every criterion given):

    - ``rank``: at most ``rank`` modes;
    - ``tol``: the smallest ``r`` with
      :math:`\sqrt{\sum_{i>r}\sigma_i^2 / \sum_i\sigma_i^2} \le \mathrm{tol}`, i.e. the
      relative projection error of the whole snapshot set in the Frobenius norm
      (in ``M``) is at most ``tol``; with ``relative=False``, the smallest ``r`` with
      :math:`\sqrt{\sum_{i>r}\sigma_i^2} \le \mathrm{tol}`, the absolute error. The tail
      sum is accumulated from the small terms (and from the directly computed residual
      for the iterative methods), never as a difference of two large numbers;
    - ``rtol``: keep only the modes with :math:`\sigma_i > \mathrm{rtol}\,\sigma_1`.

    With none of the three, every numerically nonzero mode is kept.

    Methods:

    - ``"svd"``: thin SVD (LAPACK ``gesdd``, ``gesvd`` if it fails); with ``M``, first
      an ``M``-orthonormal QR ``S = Q R`` then the SVD of ``R``. Accurate to round-off:
      :math:`|\hat\sigma_i - \sigma_i| \lesssim \epsilon\,\sigma_1`. A tall ``S``
      (at least four times as many rows as columns, Euclidean) is reduced by the R
      factor of its Householder QR; only the kept modes are then formed, as
      :math:`S V_r \Sigma_r^{-1}` re-orthonormalised (projection exact to
      :math:`O(\epsilon\sigma_1)`, as with the full SVD).
    - ``"snapshots"``: the method of snapshots, eigendecomposition of the Gram matrix
      :math:`S^H M S`. Fast when there are few snapshots, but it squares the singular
      values: they carry an absolute error of about
      :math:`\epsilon\,\sigma_1^2/\sigma_i`, so nothing below about
      :math:`\sqrt{\epsilon}\,\sigma_1 \approx 10^{-8}\sigma_1` is resolved: modes with
      :math:`\sigma_i \le \sqrt{m\epsilon}\,\sigma_1` (``m`` snapshots; the round-off of
      the Gram matrix) are dropped, and a mode at :math:`10^{-4}\sigma_1` is already only
      good to about :math:`10^{-12}\sigma_1`. Use it only where that cannot matter. The basis
      is re-orthonormalised.
    - ``"randomized"``: randomised range finder and subspace (power) iteration,
      re-orthonormalised at every step, with a certificate. With ``Q`` the final
      orthonormal basis, :math:`B = Q^H M S = U_B \hat\Sigma V_B^H` and the directly
      computed residual :math:`E = S - QB`, every returned singular value satisfies
      :math:`0 \le \sigma_i - \hat\sigma_i \le \|E\|` (Weyl), and
      :math:`|\sigma - \hat\sigma_i| \le \|E\|\,\|E v_i\|_M / \hat\sigma_i` for a
      singular value :math:`\sigma` of ``S`` (the residual of the Ritz pair); the
      smaller bound is reported in ``singular_value_error_``. Iterations go on until
      it is below ``1e-13 * sigma_1`` for every kept mode, or ``max_iter`` steps (then
      a warning). When the rank is not given, the subspace doubles until the
      truncation (``tol`` or ``rtol``) falls inside it.
    - ``"auto"``: ``"svd"`` for small matrices, when no truncation is asked for, or
      when the modes asked for are a sizeable part of all of them (it also switches
      to ``"svd"`` when the adaptive subspace grows past a third of the snapshots);
      otherwise the certified iteration of ``"randomized"``, replaced by ``"svd"``
      when it has not certified its values in ``max_iter`` steps. It never returns
      singular values less accurate than about ``1e-12 * sigma_1``.

    Parameters
    ----------
    rank : int, optional
        Maximum number of modes.
    tol : float, optional
        Relative Frobenius projection error of the snapshots (see above).
    rtol : float, optional
        Relative singular value cut-off (see above).
    inner : None or (n, n) Hermitian positive definite matrix, dense or sparse
        Inner product (for example a finite element mass matrix).
    relative : bool
        Whether ``tol`` is relative to the norm of the snapshots (the default) or
        absolute.
    method : {"auto", "svd", "snapshots", "randomized"}
    oversampling : int, optional
        Extra vectors of the iterative methods; default ``max(10, rank // 2)``.
    max_iter : int
        Maximum number of subspace iterations of the iterative methods.
    random_state : int, optional
        Seed of the random start vectors.
    backend : {"auto", "numpy", "numba", "cupy"}
        ``"auto"`` follows the input (cupy arrays stay on the GPU); ``"cupy"`` moves a
        numpy input to the GPU. POD is BLAS-bound, so ``"numba"`` means ``"numpy"``.

    Attributes
    ----------
    basis_ : array, shape (n, r)
        ``M``-orthonormal POD modes.
    singular_values_ : array, shape (r,)
        Singular values of the kept modes, decreasing.
    energy_ : array, shape (r,)
        Cumulative captured energy :math:`\sum_{j\le i}\sigma_j^2 / \|S\|_{M,F}^2`.
    singular_value_error_ : array, shape (r,)
        Bound on the absolute error of each singular value (round-off estimate for
        ``"svd"`` and ``"snapshots"``, the certificate for the iterative methods).
    total_energy_ : float
        :math:`\|S\|_{M,F}^2`, computed directly (``inf`` where it exceeds the
        largest float, for snapshots beyond about 1e154: the other attributes are
        computed on the snapshots scaled by a power of two, and stay finite).
    method_ : str
        The method that ran ("svd", "snapshots" or "randomized").
    n_iter_ : int
        Subspace iterations done (0 for the direct methods).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.linalg import POD
    >>> x = np.linspace(0, 1, 200)[:, None]
    >>> mu = np.linspace(1, 2, 30)[None, :]
    >>> pod = POD(tol=1e-6).fit(np.exp(-mu * x))
    >>> pod.basis_.shape[1] < 10
    True
    >>> bool(pod.projection_error(np.exp(-1.5 * x)).max() < 1e-5)
    True
    """

    def __init__(
        self,
        rank: int | None = None,
        tol: float | None = None,
        rtol: float | None = None,
        inner: Any = None,
        relative: bool = True,
        method: str = "auto",
        oversampling: int | None = None,
        max_iter: int = 8,
        random_state: int | None = None,
        backend: str = "auto",
    ) -> None:
        self.rank = rank
        self.tol = tol
        self.rtol = rtol
        self.inner = inner
        self.relative = relative
        self.method = method
        self.oversampling = oversampling
        self.max_iter = max_iter
        self.random_state = random_state
        self.backend = backend

    # ------------------------------------------------------------------ fit
    def fit(self, S: Any) -> POD:
        """Compute the POD of the snapshot matrix ``S`` of shape (n_dofs, n_snapshots).

        ``S`` may also be a :class:`rom.nonintrusive.SnapshotStore` (read whole; for a
        store larger than memory use :class:`rom.linalg.IncrementalPOD`) or a dask
        array (row blocks, reduced by ``dask.array.linalg.tsqr``, Euclidean only).

        Parameters
        ----------
        S : array, shape (n_dofs, n_snapshots)
            Snapshots (columns).

        Returns
        -------
        self
        """
        if callable(getattr(S, "chunk_readers", None)):  # a SnapshotStore, read whole
            return self.fit(S.snapshots()[0])
        if hasattr(S, "__dask_graph__"):
            from rom.linalg._tsqr import fit_tsqr

            return fit_tsqr(self, S)
        rank = check_positive_int(self.rank, "rank")
        relative = bool(self.relative)
        tol = check_tolerance(self.tol, "tol", upper=1.0 if relative else None)
        rtol = check_tolerance(self.rtol, "rtol", upper=1.0)
        method = check_choice(self.method, "method", METHODS)
        oversampling = check_positive_int(self.oversampling, "oversampling", minimum=0)
        max_iter = check_positive_int(self.max_iter, "max_iter", allow_none=False)
        backend = resolve_backend(self.backend, S if hasattr(S, "shape") else None)
        S = check_array(S, "S", ndim=2)
        M = self.inner
        if backend == "cupy":
            import cupy
            import cupyx.scipy.sparse

            S = cupy.asarray(S)
            if M is not None and not hasattr(M, "device"):
                M = (
                    cupyx.scipy.sparse.csr_matrix(M.tocsr())
                    if hasattr(M, "tocsr")
                    else cupy.asarray(M)
                )
        n, m = S.shape
        M = check_inner(M, n)
        xp = array_namespace(S)
        # scale-invariance: data whose squares overflow or underflow are divided by a
        # power of two near their largest entry (exact; results scaled back below)
        scale = _scale(S, xp)
        if scale != 1.0:
            S = S / scale
            if tol is not None and not relative:
                tol = tol / scale
        method = self._choose(method, n, m, rank, tol, rtol)
        self.method_ = method
        self.n_iter_ = 0
        coefficients = None
        tail = None
        if method == "svd" and _tall(S, M, xp):
            # the energy ||S||_F^2 comes from the R factor there: one pass fewer
            U, s, err, coefficients, total = _pod_tall(S, rank, tol, rtol, relative)
        else:
            total = float(xp.sum(column_squared_norms(S, M)))
            if total == 0.0:
                raise ValueError("S: every snapshot is zero; there is nothing to compress")
            if method == "svd":
                U, s, err = _pod_svd(S, M, xp)
            elif method == "snapshots":
                U, s, err = _pod_snapshots(S, M, xp, rank, tol, rtol, total)
            else:
                try:
                    U, s, err, tail, self.n_iter_ = _pod_iterative(
                        S,
                        M,
                        xp,
                        rank=rank,
                        tol=tol,
                        rtol=rtol,
                        total=total,
                        oversampling=oversampling,
                        max_iter=max_iter,
                        seed=self.random_state,
                        k_max=min(n, m) // 3 if method == "auto" else min(n, m),
                        relative=relative,
                    )
                    self.method_ = "randomized"
                except _TooLarge:  # the modes asked for are many: a full SVD is cheaper
                    method = self.method_ = "svd"
                    if _tall(S, M, xp):
                        U, s, err, coefficients, total = _pod_tall(S, rank, tol, rtol, relative)
                    else:
                        U, s, err = _pod_svd(S, M, xp)
                    tail = None
        r = _truncation_rank(s, err, rank, tol, rtol, total, tail, method, relative)
        if rank is not None and r < rank and tol is None and rtol is None:
            warnings.warn(
                f"POD: only {r} numerically nonzero modes exist, fewer than rank={rank}",
                RuntimeWarning,
                stacklevel=2,
            )
        self.basis_ = U[:, :r]
        self._coefficients = None if coefficients is None else coefficients[:r] * scale
        self.energy_ = xp.cumsum(s[:r] ** 2) / total  # in the scaled units: no overflow
        self.singular_values_ = s[:r] * scale
        self.singular_value_error_ = err[:r] * scale
        self.total_energy_ = total * scale * scale if scale != 1.0 else total
        if not bool(xp.isfinite(self.singular_values_).all()):
            raise ValueError(
                f"S: its singular values exceed the largest float (largest entry about "
                f"{scale:.3g}); divide the snapshots by a constant first"
            )
        self.inner_ = M
        logger.info("POD (%s): %d modes of %d snapshots", self.method_, r, m)
        return self

    def fit_transform(self, S: Any) -> Any:
        r"""Fit on ``S`` and return its reduced coordinates ``U^H M S``, shape (r, n_s).

        The same as ``fit(S).transform(S)``; where the SVD route already has them
        (:math:`\Sigma_r V_r^H`), no further pass over ``S`` is made.

        Parameters
        ----------
        S : array, shape (n_dofs, n_snapshots)
            Snapshots (columns).
        """
        self.fit(S)
        C, self._coefficients = self._coefficients, None
        return self.transform(S) if C is None else C

    def _choose(self, method, n, m, rank, tol, rtol) -> str:
        if method != "auto":
            return method
        small = min(n, m)
        if small <= 200 or (rank is None and tol is None and rtol is None):
            return "svd"
        if rank is not None:
            k = rank + (self.oversampling if self.oversampling is not None else max(10, rank // 2))
            if 3 * k >= small:
                return "svd"
        return "auto"

    # ------------------------------------------------------------ persistence
    def _restore(self) -> None:
        """After :func:`rom.load`: check the fitted arrays (a file is untrusted input).

        ``basis_`` 2-D and finite; the singular values, their errors and ``energy_``
        one per mode, finite, the singular values non-negative and non-increasing and
        ``energy_`` their normalised cumulative squares; ``inner_`` square of the
        basis' size.
        """
        self._coefficients = None
        if not self._is_fitted():
            return
        from rom.backend import to_numpy

        U = check_array(self.basis_, "basis_", ndim=2, allow_empty=True)
        n, r = U.shape
        shape = (r,)
        s = to_numpy(
            check_array(
                self.singular_values_,
                "singular_values_",
                shape=shape,
                dtype_kind="f",
                allow_empty=True,
            )
        )
        if np.any(s < 0) or np.any(np.diff(s) > 0):
            raise ValueError("singular_values_: expected non-negative, non-increasing values")
        err = check_array(
            self.singular_value_error_,
            "singular_value_error_",
            shape=shape,
            dtype_kind="f",
            allow_empty=True,
        )
        if bool(np.any(to_numpy(err) < 0)):
            raise ValueError("singular_value_error_: expected non-negative values")
        total = self.total_energy_
        if not isinstance(total, float | int) or np.isnan(total) or total <= 0:
            raise ValueError(f"total_energy_: expected a positive number, got {total!r}")
        energy = to_numpy(
            check_array(self.energy_, "energy_", shape=shape, dtype_kind="f", allow_empty=True)
        )
        full_precision = np.finfo(float).tiny * 2.0**53 < total < np.inf
        if full_precision and r and s[0] > 0:  # scaled by s[0]: no overflow
            expected = np.cumsum((s / s[0]) ** 2) / (total / s[0] / s[0])
        else:  # snapshots beyond about 1e154 or below 1e-154: energy_ is computed scaled
            expected = energy
        if (
            np.any(np.diff(energy) < 0)
            or np.any(energy < 0)
            or np.any(energy > 1 + 1e-8)
            or not np.allclose(energy, expected, rtol=1e-8, atol=0)
        ):
            raise ValueError(
                "energy_: expected the cumulative squared singular values over total_energy_"
            )
        self.inner_ = check_inner(self.inner_, n, "inner_")

    # ------------------------------------------------------------ transforms
    @property
    def rank_(self) -> int:
        """Number of kept modes."""
        check_fitted(self, "basis_")
        return int(self.basis_.shape[1])

    def _check_columns(self, S: Any, name: str) -> tuple[Any, bool]:
        check_fitted(self, "basis_")
        n = self.basis_.shape[0]
        S = check_array(S, name, ndim=(1, 2))
        if S.shape[0] != n:
            raise ValueError(
                f"{name}: expected {n} rows (the number of dofs of the basis), got {S.shape[0]}"
            )
        xp = array_namespace(self.basis_)
        if array_namespace(S) is not xp:
            S = xp.asarray(S)
        return S, S.ndim == 1

    def transform(self, S: Any) -> Any:
        """Reduced coordinates ``U^H M S``: shape (r, n_s), or (r,) for one snapshot.

        Parameters
        ----------
        S : array, shape (n_dofs, n_s) or (n_dofs,)
            Snapshots (columns).
        """
        S, _ = self._check_columns(S, "S")
        return block_inner(self.basis_, S, self.inner_)

    def inverse_transform(self, C: Any) -> Any:
        """Reconstruct ``U C`` from reduced coordinates ``C`` of shape (r, k) or (r,).

        Parameters
        ----------
        C : array, shape (r, k) or (r,)
            Reduced coordinates.
        """
        check_fitted(self, "basis_")
        C = check_array(C, "C", ndim=(1, 2))
        if C.shape[0] != self.rank_:
            raise ValueError(f"C: expected {self.rank_} rows (one per mode), got {C.shape[0]}")
        xp = array_namespace(self.basis_)
        return self.basis_ @ xp.asarray(C)

    def projection_error(self, S: Any, relative: bool = True) -> Any:
        """Error of the orthogonal projection of each column of ``S`` onto the basis.

        Returns ``||s - U U^H M s||_M`` for every column ``s`` (divided by ``||s||_M``
        when ``relative``; a zero column has error 0). The difference is formed
        explicitly, so errors far below ``sqrt(eps)`` are resolved.

        Parameters
        ----------
        S : array, shape (n_dofs, k) or (n_dofs,)
            Snapshots (columns).
        relative : bool
            Whether each error is divided by the norm of its snapshot.

        Returns
        -------
        array, shape (n_s,), or a float for a 1-D ``S``
        """
        if not isinstance(relative, bool | np.bool_):
            raise TypeError(f"relative: expected True or False, got {relative!r}")
        S, one = self._check_columns(S, "S")
        S2 = S[:, None] if one else S
        R = S2 - self.basis_ @ block_inner(self.basis_, S2, self.inner_)
        err = column_norms(R, self.inner_)
        if relative:
            xp = array_namespace(S2)
            ref = column_norms(S2, self.inner_)
            err = xp.where(ref > 0, err / xp.where(ref > 0, ref, 1), 0.0)
        return float(err[0]) if one else err


def _scale(S, xp) -> float:
    """1.0, or a power of two near ``max |S|`` when the squares of the entries of ``S``
    would overflow or underflow (beyond about 1e100 or below 1e-100).

    Dividing by a power of two is exact, so the POD of the scaled matrix is the POD
    of ``S`` scaled; in the ordinary range nothing changes (not one bit).
    """
    if S.size == 0:
        return 1.0
    # the largest entry (within sqrt(2) for complex data) without a temporary of S's size
    parts = (S.real, S.imag) if S.dtype.kind == "c" else (S,)
    largest = max(max(abs(float(p.max())), abs(float(p.min()))) for p in parts)
    if largest == 0.0 or 1e-100 <= largest <= 1e100:
        return 1.0
    return float(np.ldexp(1.0, int(np.frexp(largest)[1])))


# ---------------------------------------------------------------------------
# direct methods
def _pod_svd(S, M, xp):
    eps = float(np.finfo(S.dtype).eps)
    if M is not None:
        # Q spans range(S): n x min(n, m), M-orthonormal (wide S gives a basis of R^n)
        Q = orthonormalize(S, M)
        R = block_inner(Q, S, M)
        Ur, s, _ = _svd(R, xp)
        U = Q @ Ur
    else:
        U, s, _ = _svd(S, xp)
    err = xp.full(s.shape, eps * float(s[0]) * max(S.shape) ** 0.5)
    return U, s, err


def _tall(S, M, xp) -> bool:
    """Whether the SVD route goes through the R factor (Euclidean, numpy, n >= 4m)."""
    n, m = S.shape
    return M is None and xp is np and m > 0 and n >= 4 * m


def _pod_tall(S, rank, tol, rtol, relative=True):
    r"""POD of a tall matrix from the R factor of its QR decomposition.

    Householder QR (LAPACK ``geqrt`` on row blocks, one per core, then on their
    stacked R factors: :func:`rom.linalg._tallqr.r_factor`) then the SVD of the small
    ``R = U_R \Sigma V^H``: the singular values are those of ``S`` to round-off
    (:math:`|\hat\sigma_i - \sigma_i| \lesssim \epsilon \sigma_1`, as for the SVD of
    ``S`` itself). The ``r`` kept modes are then ``S V_r \Sigma_r^{-1}``, one product
    with ``n r`` outputs instead of forming all ``m`` columns of ``Q U_R``, and are
    re-orthonormalised (Cholesky QR, a second pass only where the first Gram matrix is
    further than 1e-4 from the identity). Each carries an error of about
    :math:`\epsilon\sigma_1/\sigma_i`, so the projection :math:`UU^H S` is exact to
    :math:`O(\epsilon\sigma_1)`, the accuracy of the SVD route.
    """
    # one BLAS thread throughout: the row blocks run on threads of their own, and a
    # second BLAS thread woken in between would spin on a core they need
    with blas_threads(1):
        return _pod_tall_rows(S, rank, tol, rtol, relative)


def _pod_tall_rows(S, rank, tol, rtol, relative=True):
    from rom.backend import row_blocks
    from rom.linalg._tallqr import r_factor

    n = S.shape[0]
    eps = float(np.finfo(S.dtype).eps)
    blocks = row_blocks(*S.shape)
    R = r_factor(S)
    total = float(np.sum(np.abs(R) ** 2))  # ||S||_F^2, Q being orthonormal
    if total == 0.0:
        raise ValueError("S: every snapshot is zero; there is nothing to compress")
    _, s, Vh = np.linalg.svd(R, full_matrices=False)
    err = np.full(s.shape, eps * float(s[0]) * n**0.5)
    r = _truncation_rank(s, err, rank, tol, rtol, total, None, "svd", relative)
    if r == 0:
        empty = np.zeros((0, S.shape[1]), S.dtype)
        return np.zeros((n, 0), dtype=S.dtype), s, err, empty, total
    # coordinates of the snapshots: U^H S = Sigma V^H, corrected like U below
    C = s[:r, None] * Vh[:r]
    return _kept_modes(S, Vh[:r], s[:r], C, s, err, total, blocks)


def _kept_modes(S, Vh, sr, C, s, err, total, blocks):
    """``S V_r Sigma_r^{-1}`` re-orthonormalised (see :func:`_pod_tall`); the products
    by row ``blocks``, on threads."""
    from rom.backend import map_rows

    r = len(sr)
    W = Vh.conj().T / sr
    U = np.empty((S.shape[0], r), dtype=np.result_type(S.dtype, W.dtype))
    map_rows(lambda b: np.matmul(S[b], W, out=U[b]), blocks)
    for _ in range(2):  # Cholesky QR: orthonormal to round-off, column order kept
        G = sum(map_rows(lambda b, U=U: U[b].conj().T @ U[b], blocks))
        try:
            L = np.linalg.cholesky(G)
        except np.linalg.LinAlgError:  # not expected (U is nearly orthonormal); be safe
            Q, R = np.linalg.qr(U)
            U = Q * np.sign(np.real(np.diag(R)))
            return U, s, err, None, total
        # L is close to the identity: its inverse is as accurate as a triangular
        # solve, and U L^{-H} is then one product
        Linv = np.linalg.inv(L)
        M, V = Linv.conj().T, np.empty_like(U)
        map_rows(lambda b, U=U, M=M, V=V: np.matmul(U[b], M, out=V[b]), blocks)
        U = V
        C = Linv @ C
        # one pass leaves an error of about eps * cond(U)^2: a second is needed only
        # when U was far from orthonormal
        if np.abs(G - np.eye(r)).max() < 1e-4:
            break
    return U, s, err, C, total


def _eigh_descending(G, xp, k=None):
    """Largest ``k`` (all when None) eigenpairs of a Hermitian matrix, decreasing."""
    m = G.shape[0]
    if xp is np and k is not None and k < m:
        import scipy.linalg

        w, V = scipy.linalg.eigh(G, subset_by_index=[m - k, m - 1], driver="evr")
    else:
        w, V = xp.linalg.eigh(G)
    return w[::-1], V[:, ::-1]


def _pod_snapshots(S, M, xp, rank, tol, rtol, total):
    m = S.shape[1]
    eps = float(np.finfo(S.dtype).eps)
    G = block_inner(S, S, M)
    G = (G + G.conj().T) / 2
    k = rank if (rank is not None and tol is None and rtol is None) else None
    lam, V = _eigh_descending(G, xp, k)
    floor = m * eps * float(lam[0])
    keep = int(xp.sum(lam > floor))
    lam, V = lam[:keep], V[:, :keep]
    s = xp.sqrt(lam)
    U = orthonormalize((S @ V) / s, M)
    # re-orthonormalisation may flip signs; fix them to agree with S V
    signs = xp.sign(xp.real(xp.sum(U.conj() * apply_inner(M, S @ V), axis=0)))
    U = U * xp.where(signs == 0, 1, signs)
    err = eps * float(lam[0]) * m / s
    return U, s, err


# ---------------------------------------------------------------------------
# certified subspace iteration
class _TooLarge(Exception):
    """The "auto" iteration gives up: a full SVD is cheaper, or certain."""


def _pod_iterative(
    S, M, xp, *, rank, tol, rtol, total, oversampling, max_iter, seed, k_max, relative=True
):
    """Randomised subspace iteration with a per-mode certificate.

    With ``Q`` orthonormal (in ``M``), ``B = Q^H M S = U_B s V_B^H`` and the directly
    computed residual ``E = S - Q B``: Weyl's theorem gives
    ``0 <= sigma_i - s_i <= ||E||_2``, and the Ritz pair ``(v_i, s_i^2)`` of
    ``S^H M S`` has residual ``E^H M E v_i``, so an eigenvalue lies within
    ``||E|| ||E v_i||_M`` of ``s_i^2``: ``|sigma - s_i| <= ||E|| ||E v_i||_M / s_i``.
    ``E v_i = S v_i - s_i Q u_i`` reuses ``S V_B``, the next iteration's product.
    """
    n, m = S.shape
    eps = float(np.finfo(S.dtype).eps)
    rng = np.random.default_rng(seed)
    if rank is not None:
        p = oversampling if oversampling is not None else max(10, rank // 2)
        k = min(n, m, rank + p)
    else:
        p = oversampling if oversampling is not None else 10
        k = min(n, m, 64 + p)
    Y = S @ xp.asarray(rng.standard_normal((m, k)))
    if rank is None:  # small oversampling of a guessed size: one power step first
        Z, _ = xp.linalg.qr(block_inner(S, orthonormalize(Y, M), M))
        Y = S @ Z
    bound = np.inf
    for it in range(1, max_iter + 1):
        Q = orthonormalize(Y, M)
        B = block_inner(Q, S, M)
        Ub, s, Vh = _svd(B, xp)
        sigma1 = float(s[0])
        rho = residual_squared_norm(S, Q, B, M) ** 0.5
        V = Vh.conj().T
        Y = S @ V
        ev = column_norms(Y - Q @ (Ub * s), M)
        floor = eps * sigma1 * max(n, m) ** 0.5
        s_safe = xp.where(s > 0, s, 1)
        err = xp.minimum(rho, rho * ev / s_safe) + floor
        tail = rho**2 + xp.concatenate([xp.cumsum((s**2)[::-1])[::-1][1:], xp.zeros(1)])
        r = _truncation_rank(s, err, rank, tol, rtol, total, tail, "iterative", relative)
        bound = float(err[:r].max()) if r else 0.0
        # the cut must fall inside the subspace, with room to spare, unless rank decides it
        short = rank is None and k < min(n, m) and r > k - max(1, p // 2)
        logger.debug("POD iteration %d: k=%d r=%d rho=%.2e bound=%.2e", it, k, r, rho, bound)
        if not short and bound <= ACCURACY * sigma1 + floor:
            return Q @ Ub, s, err, tail, it
        if short:
            extra = min(min(n, m) - k, k)
            if k + extra > k_max:
                raise _TooLarge
            Y = xp.concatenate([Y, S @ xp.asarray(rng.standard_normal((m, extra)))], axis=1)
            k += extra
    if k_max < min(n, m):  # "auto": never return uncertified values, take the full SVD
        logger.info("POD: not certified after %d iterations, switching to the SVD", max_iter)
        raise _TooLarge
    warnings.warn(
        f"POD: the subspace iteration did not certify the singular values to "
        f"{ACCURACY:.0e} * sigma_1 in max_iter={max_iter} iterations (bound "
        f"{bound / sigma1:.2e} * sigma_1); see singular_value_error_ or use method='svd'",
        RuntimeWarning,
        stacklevel=3,
    )
    return Q @ Ub, s, err, tail, max_iter
