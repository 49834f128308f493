"""Lower bounds of the coercivity constant: min-theta and the successive constraint method."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rom.affine import AffineOperator
from rom.rb.greedy import weak_greedy

__all__ = ["SCM", "MinTheta", "coercivity_constant"]


def _dense(M: Any) -> np.ndarray:
    return M.toarray() if hasattr(M, "toarray") else np.asarray(M)


def _extreme_eigenpair(A: Any, X: Any, largest: bool = False):
    """Smallest (or largest) eigenpair of the Hermitian pencil ``(A, X)``.

    Dense LAPACK for n <= 400; otherwise Lanczos, with shift-invert below the whole
    spectrum for the smallest one (``A - sigma X`` is then positive definite).
    """
    import scipy.linalg
    import scipy.sparse.linalg

    n = A.shape[0]
    if n <= 400:
        k = n - 1 if largest else 0
        w, V = scipy.linalg.eigh(_dense(A), _dense(X), subset_by_index=[k, k])
        return float(w[0]), V[:, 0]
    if largest:
        w, V = scipy.sparse.linalg.eigsh(A, k=1, M=X, which="LA")
        return float(w[0]), V[:, 0]
    top = scipy.sparse.linalg.eigsh(A, k=1, M=X, which="LM", return_eigenvectors=False)[0]
    w, V = scipy.sparse.linalg.eigsh(A, k=1, M=X, sigma=-1.01 * abs(top), which="LM")
    return float(w[0]), V[:, 0]


def _identity_if_none(inner: Any, n: int) -> Any:
    if inner is not None:
        return inner
    import scipy.sparse

    return scipy.sparse.identity(n, format="csr")


def coercivity_constant(A: Any, inner: Any) -> float:
    r"""The exact coercivity constant :math:`\min_v \mathrm{Re}(v^H A v) / v^H X v`.

    The smallest generalised eigenvalue of the Hermitian part of ``A`` (dense for
    n <= 400, shift-invert Lanczos otherwise).
    """
    As = (A + A.conj().T) / 2
    return _extreme_eigenpair(As, _identity_if_none(inner, A.shape[0]))[0]


class MinTheta:
    r"""The min-theta bound :math:`\alpha(\mu) \ge \alpha(\bar\mu) \min_q
    \theta_q(\mu)/\theta_q(\bar\mu)`.

    Valid (and the error bounds built on it certified) when every :math:`A_q` is
    Hermitian positive semi-definite and every :math:`\theta_q(\mu) > 0`: then
    :math:`v^H A(\mu) v = \sum_q \frac{\theta_q(\mu)}{\theta_q(\bar\mu)}
    \theta_q(\bar\mu) v^H A_q v \ge \min_q \frac{\theta_q(\mu)}{\theta_q(\bar\mu)} v^H
    A(\bar\mu) v`.

    Parameters
    ----------
    coefficients : callable
        The operator's :math:`\theta(\mu)` (an :class:`AffineOperator`'s ``coefficients``).
    mu_ref : array
        Reference parameter :math:`\bar\mu`.
    alpha_ref : float
        The coercivity constant at :math:`\bar\mu` (e.g. from
        :func:`coercivity_constant`), or a lower bound of it.
    """

    def __init__(self, coefficients: Callable, mu_ref: Any, alpha_ref: float) -> None:
        if not callable(coefficients):
            raise TypeError("coefficients: expected the operator's coefficient function")
        self.coefficients = coefficients
        self.mu_ref = np.atleast_1d(np.asarray(mu_ref, dtype=float))
        self.theta_ref = np.atleast_1d(np.asarray(coefficients(self.mu_ref), dtype=float))
        if not (np.isfinite(alpha_ref) and alpha_ref > 0):
            raise ValueError(f"alpha_ref: expected a positive number, got {alpha_ref!r}")
        if np.any(self.theta_ref <= 0):
            raise ValueError("mu_ref: min-theta needs theta_q(mu_ref) > 0 for every q")
        self.alpha_ref = float(alpha_ref)

    def __call__(self, mu: Any) -> float:
        theta = np.atleast_1d(np.asarray(self.coefficients(mu), dtype=float))
        if np.any(theta <= 0):
            raise ValueError(f"mu: min-theta needs theta_q(mu) > 0, got {theta} at mu={mu!r}")
        return self.alpha_ref * float(np.min(theta / self.theta_ref))

    def many(self, mus: Any) -> np.ndarray:
        mus = np.atleast_2d(mus)
        many = getattr(self.coefficients, "many", None)
        theta = many(mus) if many is not None else np.stack([self.coefficients(m) for m in mus])
        return self.from_theta(theta)

    def from_theta(self, theta: np.ndarray) -> np.ndarray:
        """The bound from already computed coefficients, rows of shape (k, Q)."""
        if np.any(theta <= 0):
            raise ValueError("mus: min-theta needs theta_q(mu) > 0 for every parameter")
        return self.alpha_ref * np.min(theta / self.theta_ref, axis=1)

    def to_dict(self) -> dict | None:
        to_dict = getattr(self.coefficients, "to_dict", None)
        if to_dict is None:
            return None
        return {
            "kind": "min_theta",
            "coefficients": to_dict(),
            "mu_ref": self.mu_ref.tolist(),
            "alpha_ref": self.alpha_ref,
        }


class SCM:
    r"""Successive constraint method (Huynh, Rozza, Sen, Patera 2007).

    For :math:`A(\mu) = \sum_q \theta_q(\mu) A_q` with real :math:`\theta_q` and
    Hermitian :math:`A_q` (the Hermitian part is taken), :math:`\alpha(\mu) =
    \min_{y \in \mathcal{Y}} \theta(\mu)^T y` with :math:`\mathcal{Y} = \{(v^H A_q v /
    v^H X v)_q\}`. The lower bound is the linear program over the box of the
    generalised eigenvalue ranges of each :math:`A_q`, with the constraints
    :math:`\theta(\mu')^T y \ge \alpha(\mu')` at the ``n_neighbors`` selected
    parameters nearest to :math:`\mu`; the upper bound is the minimum of
    :math:`\theta(\mu)^T y^*(\mu')` over the eigenvectors of the selected parameters.
    Parameters are added by :func:`weak_greedy` until the relative gap
    ``1 - LB/UB`` is below ``tol`` on the training set.

    The lower bound is rigorous (hence the error bounds certified) as far as the
    eigenvalues are computed accurately.

    Parameters
    ----------
    operator : AffineOperator
    inner : (n, n) Hermitian positive definite matrix
    training_set : array (n_train, n_params)
    tol : float
        Target relative gap between the upper and lower bounds.
    n_neighbors : int
        Number of nearest selected parameters used as constraints.
    max_extensions : int
    """

    def __init__(
        self,
        operator: AffineOperator,
        inner: Any,
        training_set: Any,
        tol: float = 0.5,
        n_neighbors: int = 10,
        max_extensions: int = 50,
        progress: bool | None = None,
    ) -> None:

        if not isinstance(operator, AffineOperator):
            raise TypeError("operator: expected an AffineOperator")
        self.operator = operator
        self.inner = inner
        self.n_neighbors = int(n_neighbors)
        self.terms = [(A + A.conj().T) / 2 for A in operator.terms]
        self._X = _identity_if_none(inner, operator.shape[0])
        box = [
            (_extreme_eigenpair(A, self._X)[0], _extreme_eigenpair(A, self._X, largest=True)[0])
            for A in self.terms
        ]
        self.box_ = np.array(box, dtype=float)
        self.selected_ = np.zeros((0, np.atleast_2d(training_set).shape[1]))
        self.alphas_ = np.zeros(0)
        self.ys_ = np.zeros((0, len(self.terms)))
        self.greedy_result_ = weak_greedy(
            self, training_set, tol=tol, max_extensions=max_extensions, progress=progress
        )

    def _theta(self, mu):
        return np.real(self.operator.theta(mu))

    def extend(self, mu: Any) -> None:
        A = self.operator.assemble(mu)
        alpha, v = _extreme_eigenpair((A + A.conj().T) / 2, self._X)
        xnorm = np.real(np.vdot(v, self._X @ v))
        y = np.array([np.real(np.vdot(v, Aq @ v)) / xnorm for Aq in self.terms])
        self.selected_ = np.vstack([self.selected_, mu])
        self.alphas_ = np.append(self.alphas_, alpha)
        self.ys_ = np.vstack([self.ys_, y])

    def upper(self, mu: Any) -> float:
        """Upper bound of the coercivity constant at ``mu``."""
        if len(self.alphas_) == 0:
            return np.inf
        return float(np.min(self.ys_ @ self._theta(mu)))

    def __call__(self, mu: Any) -> float:
        """Lower bound of the coercivity constant at ``mu`` (a linear program)."""
        from scipy.optimize import linprog

        theta = self._theta(mu)
        A_ub = b_ub = None
        if len(self.alphas_):
            dist = np.linalg.norm(self.selected_ - np.asarray(mu, dtype=float)[None, :], axis=1)
            near = np.argsort(dist)[: self.n_neighbors]
            A_ub = -np.stack([self._theta(m) for m in self.selected_[near]])
            b_ub = -self.alphas_[near]
        res = linprog(
            theta, A_ub=A_ub, b_ub=b_ub, bounds=list(map(tuple, self.box_)), method="highs"
        )
        if res.status != 0:
            raise RuntimeError(f"SCM: the linear program failed ({res.message})")
        return float(res.fun)

    def evaluate(self, mus: np.ndarray) -> np.ndarray:
        gaps = []
        for mu in mus:
            ub, lb = self.upper(mu), self(mu)
            gaps.append(1.0 if not np.isfinite(ub) else max(0.0, (ub - lb) / abs(ub)))
        return np.asarray(gaps)

    def many(self, mus: Any) -> np.ndarray:
        return np.array([self(mu) for mu in np.atleast_2d(mus)])
