"""Stability (inf-sup) constants of non-coercive problems: exact values and an estimate."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.parallel import map_parameters
from rom.validation import check_parameter, check_parameters, check_positive_int

__all__ = ["InfSupEstimate", "inf_sup_constant"]


def _dense(M: Any) -> np.ndarray:
    return M.toarray() if hasattr(M, "toarray") else np.asarray(M)


def inf_sup_constant(A: Any, inner: Any = None) -> float:
    r"""The inf-sup constant :math:`\beta = \min_v \sup_w |w^H A v| / (\|v\|_X \|w\|_X)`.

    With :math:`X = L L^H`, it is the smallest singular value of :math:`L^{-1} A L^{-H}`
    (dense computation: meant for up to a few thousand unknowns).

    Parameters
    ----------
    A : array or sparse matrix, shape (n, n)
        The operator.
    inner : array or sparse matrix, shape (n, n), optional
        The inner product (default: the identity).

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


class InfSupEstimate(Estimator):
    r"""An *estimate*, not a certificate, of the inf-sup constant :math:`\beta(\mu)`.

    :meth:`fit` computes :math:`\beta` exactly (:func:`inf_sup_constant`) at the
    parameters of the training set; at any other :math:`\mu` the estimate is
    ``safety`` times the smallest value at the ``n_neighbors`` nearest training
    parameters (distances measured in the unit box of the training set's range).
    Error indicators :math:`\|r\|_{X'}/\hat\beta(\mu)` built on it are estimates:
    they are rigorous bounds only where :math:`\hat\beta(\mu) \le \beta(\mu)`, which
    nothing here guarantees between training parameters (near a resonance
    :math:`\beta` can dip below every sampled value). For coercive problems use
    :class:`rom.rb.MinTheta` or :class:`rom.rb.SCM`, which are certified.

    Parameters
    ----------
    assemble : callable
        ``assemble(mu)`` returns :math:`A(\mu)` (e.g. ``AffineOperator.assemble``).
    inner : None or (n, n) Hermitian positive definite matrix
    safety : float in (0, 1]
    n_neighbors : int

    Attributes
    ----------
    training_set_ : ndarray (n_train, n_params)
    values_ : ndarray (n_train,)
        The exact constants at the training parameters.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.rb import InfSupEstimate
    >>> est = InfSupEstimate(lambda mu: np.diag([1.0, mu[0] - 2.0])).fit(
    ...     np.array([[0.0], [1.0], [3.0]]))
    >>> est.values_
    array([1., 1., 1.])
    >>> est([4.0])
    0.5
    """

    certified = False
    _fitted_marker = "values_"

    def __init__(
        self,
        assemble: Callable[[Any], Any],
        inner: Any = None,
        safety: float = 0.5,
        n_neighbors: int = 2,
    ) -> None:
        self.assemble = assemble
        self.inner = inner
        self.safety = safety
        self.n_neighbors = n_neighbors

    def fit(
        self, training_set: Any, *, progress: bool | None = None, executor: Any = None
    ) -> InfSupEstimate:
        """Compute the exact inf-sup constants at the rows of ``training_set``.

        Parameters
        ----------
        training_set : array (n_train, n_params)
            Parameter sets, one per row.
        progress : bool, optional
            A tqdm bar over the training set (default: when stderr is a terminal).
        executor : concurrent.futures.Executor or dask Client, optional
            Computes the constants in parallel (``assemble`` must then be picklable
            for a process pool); see :mod:`rom.parallel`.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            The operator is singular at a training parameter.
        """
        if not callable(self.assemble):
            raise TypeError("assemble: expected a callable mu -> matrix")
        safety = self.safety
        if (
            isinstance(safety, bool)
            or not isinstance(safety, numbers.Real)
            or not (0 < safety <= 1)
        ):
            raise ValueError(f"safety: expected a number in (0, 1], got {safety!r}")
        check_positive_int(self.n_neighbors, "n_neighbors", allow_none=False)
        mus = check_parameters(training_set, "training_set")
        work = _Exact(self.assemble, self.inner)
        values = map_parameters(work, mus, executor, progress=progress, desc="inf-sup")
        values = np.asarray(values, dtype=float)
        if np.any(values <= 0):
            raise ValueError(
                "training_set: the operator is singular at a training parameter "
                "(inf-sup constant 0)"
            )
        self.training_set_ = mus
        self.values_ = values
        return self

    def _restore(self) -> None:
        mus, values = np.asarray(self.training_set_), np.asarray(self.values_)
        if (
            mus.ndim != 2
            or values.shape != (len(mus),)
            or len(mus) == 0
            or not (np.isfinite(mus).all() and np.isfinite(values).all())
        ):
            raise ValueError("InfSupEstimate: inconsistent fitted arrays")

    def many(self, mus: Any) -> np.ndarray:
        """Estimates for rows of parameters, shape (k,).

        Parameters
        ----------
        mus : array_like, shape (k, n_params)
            Parameter sets (rows).
        """
        self._check_fitted()
        samples = self.training_set_
        mus = check_parameters(mus, n_params=samples.shape[1])
        low = samples.min(axis=0)
        width = samples.max(axis=0) - low
        width = np.where(width > 0, width, 1.0)
        u = (mus - low) / width
        s = (samples - low) / width
        dist = np.linalg.norm(u[:, None, :] - s[None, :, :], axis=2)
        k = min(int(self.n_neighbors), len(s))
        near = np.argpartition(dist, k - 1, axis=1)[:, :k]
        return float(self.safety) * self.values_[near].min(axis=1)

    def __call__(self, mu: Any) -> float:
        """The estimate at one parameter set."""
        self._check_fitted()
        return float(self.many(check_parameter(mu, n_params=self.training_set_.shape[1]))[0])


class _Exact:
    """``mu -> inf_sup_constant(assemble(mu), inner)`` (picklable for an executor)."""

    def __init__(self, assemble: Callable, inner: Any) -> None:
        self.assemble = assemble
        self.inner = inner

    def __call__(self, mu: np.ndarray) -> float:
        return inf_sup_constant(self.assemble(mu), self.inner)
