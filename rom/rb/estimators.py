r"""Dual norms of affine residuals, offline/online, classical and accurate.

The residual of a reduced solution is :math:`r(\mu) = \sum_k c_k(\mu) g_k` with the
components :math:`g_k` (the right-hand side terms :math:`f_q`, then
:math:`A_q v_n` for every basis vector) and coefficients :math:`c_k(\mu)`
(:math:`\theta^f_q(\mu)`, then :math:`-\theta^A_q(\mu) a_n(\mu)`). Its dual norm is the
X-norm of its Riesz representative :math:`\rho = \sum_k c_k \rho_k`,
:math:`X \rho_k = g_k`.

- ``"classical"``: :math:`\|r\|^2 = c^H G c` with the Gram matrix
  :math:`G_{kl} = \rho_k^H X \rho_l`. The sum cancels terms of size
  :math:`\|f\|^2` to produce :math:`\|r\|^2`: its round-off,
  :math:`\epsilon \|f\|^2`, caps the relative accuracy of :math:`\|r\|` at
  :math:`\sqrt{\epsilon} \approx 10^{-8}`.
- ``"accurate"``: an X-orthonormal basis :math:`\Phi` of the span of the
  :math:`\rho_k` (re-orthogonalised Gram-Schmidt, built incrementally) and the
  coefficients :math:`\rho_k = \Phi C_{:,k}`; then :math:`\|r\| = \|C c\|_2`, the norm
  of a vector whose entries carry an absolute error :math:`\epsilon \|f\|`: the
  relative accuracy of :math:`\|r\|` is :math:`\epsilon \|f\| / \|r\|`, down to
  round-off (Buhr, Engwer, Ohlberger, Rave 2014; Casenave, Ern, Lelievre 2014).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.linalg.gram_schmidt import project_out
from rom.linalg.inner import apply_inner, column_norms
from rom.linalg.solvers import factorize

__all__ = ["ESTIMATORS", "ResidualNorm", "residual_dual_norms"]

ESTIMATORS = ("accurate", "classical")


class ResidualNorm:
    """Offline accumulation of the Riesz representatives of residual components.

    The accurate variant keeps its orthonormal basis in a buffer that grows
    geometrically, so adding a component costs the projections, not a copy of the
    basis.
    """

    def __init__(
        self, inner: Any, kind: str, n: int, dtype: Any, inner_solver: Any = None
    ) -> None:
        self.kind = kind
        self.inner = inner
        if inner is not None and inner_solver is None:
            inner_solver = factorize(inner, name="inner")
        self._solver = inner_solver  # shared with the model's solver when it has one
        self.n = n
        self.dtype = dtype
        self.rho = np.zeros((n, 0), dtype=dtype)  # classical: all representatives
        self.gram = np.zeros((0, 0), dtype=dtype)
        self._phi = np.zeros((n, 16), dtype=dtype)  # accurate: orthonormal basis (buffer)
        self._rank = 0
        self.coef = np.zeros((0, 0), dtype=dtype)

    @property
    def phi(self) -> np.ndarray:
        """The X-orthonormal basis of the representatives (accurate variant)."""
        return self._phi[:, : self._rank]

    def riesz(self, G: np.ndarray) -> np.ndarray:
        """Riesz representatives ``X^{-1} G`` (the factorisation of ``X`` is reused)."""
        return G.copy() if self._solver is None else self._solver.solve(G)

    def dual_gram(self, G: np.ndarray) -> np.ndarray:
        """Gram matrix ``G^H X^{-1} G`` of the dual norms of the columns of ``G``."""
        return G.conj().T @ self.riesz(G)

    def add(self, G: np.ndarray) -> None:
        """Append components (columns of ``G``)."""
        G = np.asarray(G)
        G = G[:, None] if G.ndim == 1 else G
        dtype = np.result_type(self.dtype, G.dtype)
        R = self.riesz(G).astype(dtype, copy=False)
        if self.kind == "classical":
            cross = self.rho.conj().T @ G  # rho_k^H X rho_new = rho_k^H g_new
            corner = R.conj().T @ G
            corner = (corner + corner.conj().T) / 2
            top = np.concatenate([self.gram, cross], axis=1)
            bottom = np.concatenate([cross.conj().T, corner], axis=1)
            self.gram = np.concatenate([top, bottom], axis=0)
            self.rho = np.concatenate([self.rho, R], axis=1)
            return
        if self._phi.dtype != dtype:
            self._phi = self._phi.astype(dtype)
        k0 = self.coef.shape[1]
        rows = self._rank + R.shape[1]
        coef = np.zeros((rows, k0 + R.shape[1]), dtype=dtype)
        coef[: self.coef.shape[0], :k0] = self.coef
        # block passes against the basis so far (one read of it per pass for the whole
        # block): twice for every column, up to twice more for the columns whose norm
        # the last pass still halved (nearly dependent); then each column against the
        # vectors of this block, with a full pass where that step cancels too
        old = self._rank
        k = R.shape[1]
        norm0 = column_norms(R, self.inner)
        W = R.copy()
        before = norm0.copy()
        suspicious = norm0 > 0
        for _ in range(4 if old else 0):
            cols = np.flatnonzero(suspicious)
            if cols.size == 0:
                break
            Wc = W if cols.size == k else W[:, cols]
            D = self.phi.conj().T @ apply_inner(self.inner, Wc)
            Wc -= self.phi @ D
            if cols.size < k:
                W[:, cols] = Wc
            coef[:old, k0 + cols] += D
            after = column_norms(Wc, self.inner)
            # twice is enough: a second pass for everyone, more only where the pass
            # still removed half of what was left (not for what is already round-off)
            alive = after > 1e-14 * norm0[cols]
            suspicious[cols] = alive & ((after <= 0.5 * before[cols]) | (_ == 0))
            before[cols] = after
        for j in range(k):
            v, c, norm, size = project_out(W[:, j], self._phi[:, old : self._rank], self.inner)
            coef[old : self._rank, k0 + j] += c
            if old and norm < 0.5 * size:  # shrank: round-off along the old basis too
                v, c, norm, _ = project_out(v, self.phi, self.inner)
                coef[: len(c), k0 + j] += c
            if norm > 1e-14 * norm0[j] and norm > 0:
                if self._rank == self._phi.shape[1]:
                    grown = np.zeros((self.n, 2 * self._rank), dtype=dtype)
                    grown[:, : self._rank] = self.phi
                    self._phi = grown
                self._phi[:, self._rank] = v / norm
                coef[self._rank, k0 + j] = norm
                self._rank += 1
        self.coef = coef[: self._rank]

    def online_matrix(self) -> np.ndarray:
        """``gram`` (classical) or ``coef`` (accurate)."""
        return self.gram if self.kind == "classical" else self.coef


def residual_dual_norms(kind: str, matrix: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Dual norms for coefficient rows ``c`` (k, K): ``sqrt(c^H G c)`` or ``||C c||``."""
    if kind == "classical":
        sq = np.real(np.einsum("ik,kl,il->i", c.conj(), matrix, c))
        return np.sqrt(np.maximum(sq, 0.0))
    return np.linalg.norm(c @ matrix.T, axis=1)
