r"""Quadratic manifolds: :math:`u \approx u_{ref} + V z + W h(z)` (see the theory page
*Learned and nonlinear reductions*)."""

from __future__ import annotations

import logging
import numbers
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.backend import blas_threads
from rom.linalg import POD, block_inner, column_norms
from rom.manifold._monomials import n_quadratic, quadratic_monomials
from rom.validation import (
    check_array,
    check_choice,
    check_inner,
    check_positive_int,
    check_tolerance,
)

__all__ = ["QuadraticManifold"]

logger = logging.getLogger("rom.manifold.quadratic")

#: regularisation grid of the "auto" rule, relative to the largest singular value of
#: the quadratic data matrix (0 is tried too)
GRID = np.logspace(-8.0, 1.0, 28)

STOP_REASONS = ("tol", "max_terms", "exhausted")


class QuadraticManifold(Estimator):
    r"""A quadratic manifold :math:`u \approx u_{ref} + V z + W h(z)` fitted to snapshots.

    ``h(z)`` holds the ``r (r + 1) / 2`` distinct products :math:`z_i z_j`
    (:func:`rom.manifold.quadratic_monomials`). With the SVD of the centred snapshots
    :math:`X = S - u_{ref} = U \Sigma Y^H` (``U`` orthonormal in ``inner``, ``M``) and
    their coordinates :math:`C = U^H M X`:

    - ``V`` is ``r`` columns of ``U``, the set :math:`J` (``selected_``): the first
      ``r`` (Geelen, Wright and Willcox 2023) or, with ``greedy``, chosen one at a
      time among the first ``max_candidates`` (Schwerdtner and Peherstorfer 2024): at
      each step the candidate whose addition gives the smallest closure residual
      below. The greedy set is compared with the first ``r`` at the end and the one
      with the smaller residual is kept, so the greedy never does worse on the data.
    - ``W = U_{rest} \hat W``, :math:`\hat W` the Tikhonov-regularised least-squares
      fit of the other coordinates :math:`C_{rest}` by :math:`h(C_J)`:

      .. math::

         \min_{\hat W} \|C_{rest} - \hat W h(C_J)\|_F^2 + \lambda^2 \|\hat W\|_F^2,

      solved by one SVD of :math:`h(C_J)^T` (``k x r(r+1)/2``), all in SVD
      coordinates; the closure residual (the data misfit, the squared training
      error of the encode-decode with the linear encoder) is the first term.
      ``regularization="auto"`` chooses :math:`\lambda` by generalized
      cross-validation, minimising
      :math:`k\,\mathrm{misfit}(\lambda) / (k - \mathrm{tr}\,A(\lambda))^2` over
      :math:`\lambda \in \{0\} \cup d_1 \cdot 10^{[-8, 1]}` (28 log-spaced values,
      :math:`d_1` the largest singular value of :math:`h(C_J)`, :math:`A` the hat
      matrix); a number is used as :math:`\lambda` itself. In the greedy, every
      candidate is scored with its own choice.

    Truncation: ``rank`` is the size ``r``; with ``tol``, the smallest ``r`` (at most
    ``rank``) whose relative training error
    :math:`\|X - V C_J - W h(C_J)\|_{M,F} / \|X\|_{M,F}` is at most ``tol`` (never
    more than POD needs for the same ``tol``: the closure only lowers the error).

    Complex data: :math:`h(z)` is formed from ``z`` itself (no conjugate) and the
    least squares are solved in complex arithmetic; the decoder is then holomorphic.

    Parameters
    ----------
    rank : int, optional
        Dimension ``r`` of the manifold (the maximum, with ``tol``).
    tol : float, optional
        Relative Frobenius training error (see above).
    regularization : "auto" or float
        :math:`\lambda` (see above).
    greedy : bool
        Greedy selection of the columns of ``V`` (else the leading ``r``).
    inner : None or (n, n) Hermitian positive definite matrix
        Inner product of the states (a mass matrix): ``V`` is ``M``-orthonormal and
        every norm is the ``M``-norm.
    reference : "mean", "zero" or array of shape (n,)
        :math:`u_{ref}`: the mean snapshot, zero, or a given state.
    encoder : "linear" or "nonlinear"
        ``transform``: :math:`z = V^H M (u - u_{ref})`, or Gauss-Newton on
        :math:`\|u - u_{ref} - Vz - Wh(z)\|_M` started from it (at most ``max_iter``
        steps, each halved until the residual does not grow).
    max_candidates : int, optional
        Number ``q`` of leading singular vectors the greedy chooses from; default
        ``max(2 r, r + 10)`` (bounded by the rank of the data).
    max_iter : int
        Gauss-Newton steps of the nonlinear encoder.

    Attributes
    ----------
    reference_ : array, shape (n,)
    basis_ : array, shape (n, r)
        ``V``, ``M``-orthonormal.
    quadratic_ : array, shape (n, r (r + 1) / 2)
        ``W``, ``M``-orthogonal to ``V``.
    rank_ : int
    singular_values_ : array
        Every numerically nonzero singular value of the centred snapshots.
    selected_ : array of int, shape (r,)
        The indices of the columns of ``U`` in ``V``, in order.
    regularization_ : float
        :math:`\lambda` used for ``W``.
    training_error_ : float
        Relative training error (as for ``tol``).
    stop_reason_ : str
        ``"tol"`` (``tol`` met), ``"max_terms"`` (``rank`` reached) or ``"exhausted"``
        (no candidate left).

    Notes
    -----
    Cost, with ``k`` snapshots, ``p <= k`` singular vectors, ``q`` candidates and
    ``s = r (r + 1) / 2``: one SVD of the snapshots, then for each of the ``r`` greedy
    steps and ``q`` candidates an SVD of a ``k x s`` matrix and two ``p x k x
    min(k, s)`` products, :math:`O(r q k\,\min(k, s)\,(s + p))`; the ``n``-sized
    work is the SVD and the one product :math:`U_{rest} \hat W` at the end.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.manifold import QuadraticManifold
    >>> x = np.linspace(0, 1, 400)[:, None]
    >>> S = np.exp(-((x - np.linspace(0.2, 0.8, 60)) / 0.1) ** 2)
    >>> qm = QuadraticManifold(rank=4).fit(S)
    >>> qm.basis_.shape, qm.quadratic_.shape
    ((400, 4), (400, 10))
    >>> from rom.linalg import POD
    >>> pod = POD(rank=4).fit(S - S.mean(axis=1, keepdims=True))
    >>> bool(qm.training_error_ < 0.8 * np.sqrt(1 - pod.energy_[-1]))
    True
    """

    _fitted_marker = "basis_"

    def __init__(
        self,
        rank: int | None = None,
        tol: float | None = None,
        regularization: str | float = "auto",
        greedy: bool = True,
        inner: Any = None,
        reference: Any = "mean",
        encoder: str = "linear",
        max_candidates: int | None = None,
        max_iter: int = 20,
    ) -> None:
        self.rank = rank
        self.tol = tol
        self.regularization = regularization
        self.greedy = greedy
        self.inner = inner
        self.reference = reference
        self.encoder = encoder
        self.max_candidates = max_candidates
        self.max_iter = max_iter

    # ------------------------------------------------------------------ fit
    def fit(self, S: Any) -> QuadraticManifold:
        """Fit to the snapshot matrix ``S`` of shape (n_dofs, n_snapshots).

        Parameters
        ----------
        S : array, shape (n, k), real or complex
            Snapshots as columns (``n`` degrees of freedom, ``k`` snapshots). At
            least ``rank`` (with ``tol``: enough) linearly independent columns once
            the reference is subtracted; not all equal to the reference.

        Returns
        -------
        self : QuadraticManifold
            The fitted manifold.
        """
        rank = check_positive_int(self.rank, "rank")
        tol = check_tolerance(self.tol, "tol", upper=1.0)
        if rank is None and tol is None:
            raise ValueError("rank, tol: expected at least one of them, got neither")
        reg = _check_regularization(self.regularization)
        if not isinstance(self.greedy, bool | np.bool_):
            raise TypeError(f"greedy: expected True or False, got {self.greedy!r}")
        check_choice(self.encoder, "encoder", ("linear", "nonlinear"))
        q_max = check_positive_int(self.max_candidates, "max_candidates")
        check_positive_int(self.max_iter, "max_iter", allow_none=False)
        S = check_array(S, "S", ndim=2)
        n, k = S.shape
        M = check_inner(self.inner, n)
        reference = self._reference(S)
        X = S - reference[:, None]
        if not np.any(X):
            raise ValueError("S: the snapshots minus the reference are all zero")
        pod = POD(inner=M, method="svd").fit(X)
        U, sigma = pod.basis_, pod.singular_values_
        C = block_inner(U, X, M)  # coordinates, accurate for the smallest modes too
        p = U.shape[1]
        total = float(np.sum(column_norms(X, M) ** 2))
        if rank is not None and rank > p:
            raise ValueError(
                f"rank: expected at most {p} (the rank of the {k} centred snapshots), got {rank}"
            )
        r_max = rank if rank is not None else p
        if tol is not None:  # POD's rank for tol bounds the manifold's
            tails = np.concatenate([np.cumsum((sigma**2)[::-1])[::-1][1:], [0.0]])
            r_max = min(r_max, int(np.nonzero(tails <= tol**2 * total)[0][0]) + 1)
        if q_max is not None and q_max < r_max:
            raise ValueError(f"max_candidates: expected at least the rank {r_max}, got {q_max}")
        q = min(p, q_max if q_max is not None else max(2 * r_max, r_max + 10))
        # small dense problems: one BLAS thread is faster and predictable
        with blas_threads(1):
            selected, misfit, lam, stop = _select(C, r_max, q, reg, tol, total, self.greedy)
            _, lam, W_hat = _closure(C, selected, reg, solve=True)
        r = len(selected)
        rest = np.setdiff1d(np.arange(p), selected)
        self.reference_ = reference
        self.basis_ = U[:, selected]
        self.quadratic_ = U[:, rest] @ W_hat
        self.rank_ = r
        self.singular_values_ = sigma
        self.selected_ = np.asarray(selected, dtype=np.int64)
        self.regularization_ = float(lam)
        self.training_error_ = float(np.sqrt(max(misfit, 0.0) / total))
        self.stop_reason_ = stop
        self._inner = M
        logger.info(
            "QuadraticManifold: r=%d (%s), modes %s, lambda=%.3g, training error %.3g",
            r,
            stop,
            selected,
            lam,
            self.training_error_,
        )
        return self

    def _reference(self, S: np.ndarray) -> np.ndarray:
        ref = self.reference
        if isinstance(ref, str):
            check_choice(ref, "reference", ("mean", "zero"))
            return S.mean(axis=1) if ref == "mean" else np.zeros(S.shape[0], S.dtype)
        return check_array(ref, "reference", shape=(S.shape[0],))

    # ------------------------------------------------------------------ use
    def _columns(self, S: Any, name: str) -> tuple[np.ndarray, bool]:
        self._check_fitted()
        S = check_array(S, name, ndim=(1, 2))
        n = self.basis_.shape[0]
        if S.shape[0] != n:
            raise ValueError(
                f"{name}: expected {n} rows (one per degree of freedom), got {S.shape[0]}"
            )
        return (S[:, None], True) if S.ndim == 1 else (S, False)

    def _coordinates(self, Z: Any, name: str) -> tuple[np.ndarray, bool]:
        self._check_fitted()
        Z = check_array(Z, name, ndim=(1, 2))
        if Z.shape[0] != self.rank_:
            raise ValueError(
                f"{name}: expected {self.rank_} rows (one per coordinate), got {Z.shape[0]}"
            )
        return (Z[:, None], True) if Z.ndim == 1 else (Z, False)

    def _rows(self, rows: Any) -> Any:
        if rows is None:
            return slice(None)
        n = self.basis_.shape[0]
        idx = np.asarray(rows)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise TypeError(f"rows: expected a 1-D array of integer indices, got {rows!r:.80}")
        if idx.size and (idx.min() < 0 or idx.max() >= n):
            raise ValueError(f"rows: expected indices in [0, {n}), got {idx.min()}..{idx.max()}")
        return idx.astype(np.intp)

    def transform(self, S: Any) -> np.ndarray:
        """Encode the columns of ``S`` (n,) or (n, k): coordinates (r,) or (r, k).

        ``encoder="linear"``: :math:`z = V^H M (u - u_{ref})`; ``"nonlinear"``: then
        Gauss-Newton on :math:`\\|u - u_{ref} - Vz - Wh(z)\\|_M`.

        Parameters
        ----------
        S : array, shape (n,) or (n, k), real or complex
            One state, or states as columns, with the ``n`` rows of the fitted
            snapshots.

        Returns
        -------
        array, shape (r,) or (r, k)
            The coordinates ``z`` of each column (1-D for a 1-D ``S``).
        """
        S, one = self._columns(S, "S")
        X = S - self.reference_[:, None]
        Z = block_inner(self.basis_, X, self._inner)
        if self.encoder == "nonlinear":
            Z = self._gauss_newton(X, Z)
        return Z[:, 0] if one else Z

    def _gauss_newton(self, X: np.ndarray, Z: np.ndarray) -> np.ndarray:
        V, W, M = self.basis_, self.quadratic_, self._inner
        VMW = block_inner(V, W, M)
        WMW = block_inner(W, W, M)
        r, k = Z.shape
        s = n_quadratic(r)
        j_big, i_small = np.tril_indices(r)
        cols = np.arange(k)

        def residual(Z):
            R = X - V @ Z - W @ quadratic_monomials(Z)
            return R, column_norms(R, M)

        R, norm = residual(Z)
        for _ in range(int(self.max_iter)):
            D = np.zeros((k, s, r), dtype=np.result_type(Z, W))
            for p in range(s):
                D[cols, p, i_small[p]] += Z[j_big[p]]
                D[cols, p, j_big[p]] += Z[i_small[p]]
            g = block_inner(V, R, M).T + np.einsum("kps,pk->ks", D.conj(), block_inner(W, R, M))
            cross = np.einsum("rp,kps->krs", VMW, D)
            N = (
                np.eye(r)[None]
                + cross
                + cross.conj().transpose(0, 2, 1)
                + np.einsum("kpr,pq,kqs->krs", D.conj(), WMW, D)
            )
            step = np.linalg.solve(N, g[..., None])[..., 0].T
            for _ in range(30):  # halve the steps that increase the residual
                trial = Z + step
                R_new, new = residual(trial)
                worse = new > norm
                if not worse.any():
                    break
                step = np.where(worse, step / 2, step)
            else:  # no decrease along the step for these columns: keep them
                step = np.where(worse, 0.0, step)
                trial = Z + step
                R_new, new = residual(trial)
            small = np.abs(trial - Z).max() <= 1e-13 * (1.0 + np.abs(trial).max())
            Z, R, norm = trial, R_new, np.minimum(new, norm)
            if small:
                break
        return Z

    def inverse_transform(self, Z: Any, rows: Any = None) -> np.ndarray:
        """Decode coordinates (r,) or (r, k): :math:`u_{ref} + V z + W h(z)`.

        Parameters
        ----------
        Z : array, shape (r,) or (r, k), real or complex
            One coordinate vector, or coordinate vectors as columns.
        rows : 1-D array of int, optional
            Indices in ``[0, n)`` of the state entries to compute (a hyper-reduced
            model's sample points), in this order: the same as slicing the full
            decode, at a cost proportional to ``len(rows)``. None (default): all
            ``n`` entries.

        Returns
        -------
        array, shape (n,) or (n, k)
            The decoded states (``len(rows)`` rows with ``rows``; 1-D for a 1-D
            ``Z``).
        """
        Z, one = self._coordinates(Z, "Z")
        idx = self._rows(rows)
        U = (
            self.reference_[idx, None]
            + self.basis_[idx] @ Z
            + self.quadratic_[idx] @ quadratic_monomials(Z)
        )
        return U[:, 0] if one else U

    def jacobian(self, z: Any, rows: Any = None) -> np.ndarray:
        """The decoder's tangent :math:`V + W\\,\\partial h/\\partial z` at ``z`` (r,).

        Parameters
        ----------
        z : array, shape (r,), real or complex
            One coordinate vector.
        rows : 1-D array of int, optional
            Indices in ``[0, n)`` of the state entries (rows of the tangent) to
            compute, in this order. None (default): all ``n``.

        Returns
        -------
        array, shape (n, r)
            The tangent (``(len(rows), r)`` with ``rows``); holomorphic for complex
            ``z`` (see :func:`rom.manifold.quadratic_monomials_jacobian`).
        """
        from rom.manifold._monomials import quadratic_monomials_jacobian

        self._check_fitted()
        z = check_array(z, "z", ndim=1)
        if z.size != self.rank_:
            raise ValueError(f"z: expected {self.rank_} coordinates, got {z.size}")
        idx = self._rows(rows)
        return self.basis_[idx] + self.quadratic_[idx] @ quadratic_monomials_jacobian(z)

    def projection_error(self, S: Any, relative: bool = True) -> Any:
        """Error of the encode-decode of each column of ``S``, in the ``M``-norm.

        ``||s - g(e(s))||_M`` (divided by ``||s||_M`` when ``relative``; a zero column
        has error 0), ``e`` the encoder and ``g`` the decoder.

        Parameters
        ----------
        S : array, shape (n,) or (n, k), real or complex
            One state, or states as columns.
        relative : bool, default True
            Divide each error by the ``M``-norm of its column (else the absolute
            error).

        Returns
        -------
        array, shape (k,), or float
            The error of each column (a float for a 1-D ``S``).
        """
        if not isinstance(relative, bool | np.bool_):
            raise TypeError(f"relative: expected True or False, got {relative!r}")
        S, one = self._columns(S, "S")
        err = column_norms(S - self.inverse_transform(self.transform(S)), self._inner)
        if relative:
            ref = column_norms(S, self._inner)
            err = np.where(ref > 0, err / np.where(ref > 0, ref, 1), 0.0)
        return float(err[0]) if one else err

    # ------------------------------------------------------------------ persistence
    def _restore(self) -> None:
        """After :func:`rom.load`: check the fitted arrays (a file is untrusted input)."""
        if not self._is_fitted():
            return
        V = check_array(self.basis_, "basis_", ndim=2)
        n, r = V.shape
        if not isinstance(self.rank_, int) or self.rank_ != r:
            raise ValueError(f"rank_: expected {r} (the columns of basis_), got {self.rank_!r}")
        check_array(self.quadratic_, "quadratic_", shape=(n, n_quadratic(r)))
        check_array(self.reference_, "reference_", shape=(n,))
        s = check_array(self.singular_values_, "singular_values_", ndim=1, dtype_kind="f")
        if np.any(s < 0) or np.any(np.diff(s) > 0):
            raise ValueError("singular_values_: expected non-negative, non-increasing values")
        sel = np.asarray(self.selected_)
        if (
            sel.shape != (r,)
            or sel.dtype.kind not in "iu"
            or np.unique(sel).size != r
            or (r and (sel.min() < 0 or sel.max() >= s.size))
        ):
            raise ValueError(f"selected_: expected {r} distinct indices in [0, {s.size})")
        check_tolerance(self.regularization_, "regularization_", allow_none=False)
        check_tolerance(self.training_error_, "training_error_", allow_none=False)
        check_choice(self.stop_reason_, "stop_reason_", STOP_REASONS)
        self._inner = check_inner(self.inner, n)


def _check_regularization(value: Any) -> str | float:
    if isinstance(value, str):
        return check_choice(value, "regularization", ("auto",))
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"regularization: expected 'auto' or a number >= 0, got {value!r}")
    return check_tolerance(value, "regularization", allow_none=False)


def _select(C, r_max, q, reg, tol, total, greedy):
    """The columns of ``V`` (see :class:`QuadraticManifold`): ``(J, misfit, lambda, stop)``."""
    selected: list[int] = []
    misfit, lam, stop = total, 0.0, "max_terms"
    for _ in range(r_max):
        choices = [j for j in range(q) if j not in selected] if greedy else [len(selected)]
        if not choices:
            stop = "exhausted"
            break
        if not greedy and tol is None and len(selected) < r_max - 1:
            selected.append(choices[0])  # nothing to score before the last column
            continue
        scored = [(_closure(C, [*selected, j], reg)[:2], j) for j in choices]
        (misfit, lam), best = min(scored, key=lambda item: item[0][0])
        selected.append(best)
        if tol is not None and misfit <= tol**2 * total:
            stop = "tol"
            break
    r = len(selected)
    if greedy and selected != list(range(r)):
        first = _closure(C, list(range(r)), reg)
        if first[0] < misfit:
            selected, (misfit, lam) = list(range(r)), first[:2]
    return selected, misfit, lam, stop


def _closure(C: np.ndarray, J: list[int], reg: Any, solve: bool = False):
    r"""Misfit, :math:`\lambda` (and with ``solve`` the coefficients :math:`\hat W`) of
    the regularised fit of the rows of ``C`` outside ``J`` by :math:`h(C_J)`.

    With :math:`h(C_J)^T = P D Q^H` and :math:`B = C_{rest} \bar P`, the misfit at
    :math:`\lambda` is :math:`\|C_{rest} - B P^T\|_F^2 + \sum_i (1 - f_i)^2 \|b_i\|^2`,
    :math:`f_i = d_i^2 / (d_i^2 + \lambda^2)` (two orthogonal parts: no cancellation).
    """
    k = C.shape[1]
    H = quadratic_monomials(C[J])
    rest = np.ones(C.shape[0], bool)
    rest[J] = False
    Cr = C[rest]
    P, d, Qh = np.linalg.svd(H.T, full_matrices=False)
    keep = d > np.finfo(float).eps * max(H.shape) * (d[0] if d.size else 0.0)
    P, d, Qh = P[:, keep], d[keep], Qh[keep]
    B = Cr @ P.conj()
    base = float(np.sum(np.abs(Cr - B @ P.T) ** 2))
    b = np.sum(np.abs(B) ** 2, axis=0)

    def misfits(lams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(invalid="ignore", divide="ignore"):
            f = np.where(lams[:, None] > 0, d**2 / (d**2 + lams[:, None] ** 2), 1.0)
        return base + ((1.0 - f) ** 2) @ b, f.sum(axis=1)

    if reg == "auto":
        lams = np.concatenate([[0.0], GRID * (d[0] if d.size else 1.0)])
        values, traces = misfits(lams)
        dof = k - traces
        with np.errstate(invalid="ignore", divide="ignore"):
            scores = np.where(dof > 1e-8 * k, k * values / dof**2, np.inf)
        lam = float(lams[int(np.argmin(scores))])
    else:
        lam = float(reg)
    value = float(misfits(np.array([lam]))[0][0])
    if not solve:
        return value, lam, None
    g = d / (d**2 + lam**2)
    return value, lam, (B * g) @ Qh.conj()
