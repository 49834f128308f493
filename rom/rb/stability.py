"""Stability (inf-sup) constants of non-coercive problems: exact values and an estimate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["InfSupEstimate", "inf_sup_constant"]


def _dense(M: Any) -> np.ndarray:
    return M.toarray() if hasattr(M, "toarray") else np.asarray(M)


def inf_sup_constant(A: Any, inner: Any = None) -> float:
    r"""The inf-sup constant :math:`\beta = \min_v \sup_w |w^H A v| / (\|v\|_X \|w\|_X)`.

    With :math:`X = L L^H`, it is the smallest singular value of :math:`L^{-1} A L^{-H}`
    (dense computation: meant for up to a few thousand unknowns).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.rb import inf_sup_constant
    >>> round(inf_sup_constant(np.diag([3.0, -0.5, 2.0])), 12)
    0.5
    """
    import scipy.linalg

    A = _dense(A)
    if A.ndim != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(f"A: expected a square matrix, got shape {A.shape}")
    if inner is None:
        return float(scipy.linalg.svdvals(A)[-1])
    L = np.linalg.cholesky(_dense(inner))
    B = scipy.linalg.solve_triangular(L, A, lower=True)
    B = scipy.linalg.solve_triangular(L, B.conj().T, lower=True).conj().T
    return float(scipy.linalg.svdvals(B)[-1])


class InfSupEstimate:
    r"""An *estimate*, not a certificate, of the inf-sup constant :math:`\beta(\mu)`.

    :math:`\beta` is computed exactly (:func:`inf_sup_constant`) at the ``samples``;
    at any other :math:`\mu` the estimate is ``safety`` times the smallest value at
    the ``n_neighbors`` nearest samples (distances measured in the unit box of the
    samples' range). Error indicators :math:`\|r\|_{X'}/\hat\beta(\mu)` built on it are
    estimates: they are rigorous bounds only where :math:`\hat\beta(\mu) \le
    \beta(\mu)`, which nothing here guarantees between samples (near a resonance
    :math:`\beta` can dip below every sampled value). For coercive problems use
    :class:`rom.rb.MinTheta` or :class:`rom.rb.SCM`, which are certified.

    Parameters
    ----------
    assemble : callable
        ``assemble(mu)`` returns :math:`A(\mu)` (e.g. ``AffineOperator.assemble``).
    inner : None or (n, n) Hermitian positive definite matrix
    samples : array (n_samples, n_params)
    safety : float in (0, 1]
    n_neighbors : int

    Attributes
    ----------
    samples_ : ndarray (n_samples, n_params)
    values_ : ndarray (n_samples,)
        The exact constants at the samples.
    """

    certified = False

    def __init__(
        self,
        assemble: Callable[[Any], Any],
        inner: Any,
        samples: Any,
        safety: float = 0.5,
        n_neighbors: int = 2,
    ) -> None:
        if not callable(assemble):
            raise TypeError("assemble: expected a callable mu -> matrix")
        if not 0 < safety <= 1:
            raise ValueError(f"safety: expected a number in (0, 1], got {safety!r}")
        samples = np.asarray(samples, dtype=float)
        samples = samples[:, None] if samples.ndim == 1 else samples
        if samples.ndim != 2 or len(samples) == 0 or not np.isfinite(samples).all():
            raise ValueError(f"samples: expected finite parameter rows, got shape {samples.shape}")
        self.safety = float(safety)
        self.n_neighbors = max(1, int(n_neighbors))
        self.samples_ = samples
        self.values_ = np.array([inf_sup_constant(assemble(mu), inner) for mu in samples])
        if np.any(self.values_ <= 0):
            raise ValueError("samples: the operator is singular at a sample (inf-sup constant 0)")
        self._low = samples.min(axis=0)
        width = samples.max(axis=0) - self._low
        self._width = np.where(width > 0, width, 1.0)

    def many(self, mus: Any) -> np.ndarray:
        """Estimates for rows of parameters."""
        mus = np.atleast_2d(np.asarray(mus, dtype=float))
        u = (mus - self._low) / self._width
        s = (self.samples_ - self._low) / self._width
        dist = np.linalg.norm(u[:, None, :] - s[None, :, :], axis=2)
        k = min(self.n_neighbors, len(s))
        near = np.argpartition(dist, k - 1, axis=1)[:, :k]
        return self.safety * self.values_[near].min(axis=1)

    def __call__(self, mu: Any) -> float:
        return float(self.many(mu)[0])
