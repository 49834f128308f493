"""Lower bounds of the coercivity constant: min-theta and the successive constraint method."""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.affine import AffineOperator, LinearCoefficients
from rom.parallel import as_executor, map_blocks
from rom.rb.greedy import weak_greedy
from rom.validation import (
    check_inner,
    check_parameter,
    check_parameters,
    check_positive_int,
    check_tolerance,
)

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
        if w.size == 0:  # LAPACK's subset driver can miss a highly multiple eigenvalue
            w, V = scipy.linalg.eigh(_dense(A), _dense(X))
            w, V = w[k : k + 1], V[:, k : k + 1]
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

    Parameters
    ----------
    A : array or sparse matrix, shape (n, n)
        The operator.
    inner : array or sparse matrix, shape (n, n)
        The inner product.
    """
    As = (A + A.conj().T) / 2
    return _extreme_eigenpair(As, _identity_if_none(inner, A.shape[0]))[0]


class MinTheta(Estimator):
    r"""The min-theta bound :math:`\alpha(\mu) \ge \alpha(\bar\mu) \min_q
    \theta_q(\mu)/\theta_q(\bar\mu)`.

    Valid (and the error bounds built on it certified) when every :math:`A_q` is
    Hermitian positive semi-definite and every :math:`\theta_q(\mu) > 0` (the
    derivation is on the theory page, :doc:`/theory/reduced_basis`).

    A formula, not a fitted model: there is nothing to fit, it is ready when built
    (its arguments are checked on first use). It saves with :func:`rom.save` (the
    coefficients as data when they are :class:`rom.affine.LinearCoefficients`, as a
    named part otherwise).

    Parameters
    ----------
    coefficients : callable
        The operator's :math:`\theta(\mu)` (an :class:`AffineOperator`'s ``coefficients``).
    mu_ref : array
        Reference parameter :math:`\bar\mu`.
    alpha_ref : float
        The coercivity constant at :math:`\bar\mu` (e.g. from
        :func:`coercivity_constant`), or a lower bound of it.

    Examples
    --------
    >>> from rom.affine import LinearCoefficients
    >>> from rom.rb import MinTheta
    >>> bound = MinTheta(LinearCoefficients.identity(2), [1.0, 1.0], 1.0)
    >>> bound([0.5, 2.0])
    0.5
    """

    def __init__(self, coefficients: Callable, mu_ref: Any, alpha_ref: float) -> None:
        self.coefficients = coefficients
        self.mu_ref = mu_ref
        self.alpha_ref = alpha_ref

    def _is_fitted(self) -> bool:
        return True  # nothing to learn

    def _restore(self) -> None:
        """A loaded bound is checked at once: its reference is finite and positive."""
        self.__dict__.pop("_theta_ref", None)
        self.theta_ref  # noqa: B018 (computed for its checks)

    def set_params(self, **params: Any) -> MinTheta:
        """Set constructor parameters (``theta_ref`` is computed again)."""
        self.__dict__.pop("_theta_ref", None)
        return super().set_params(**params)

    @property
    def theta_ref(self) -> np.ndarray:
        """The coefficients at ``mu_ref`` (checked: all positive; computed once)."""
        cached = self.__dict__.get("_theta_ref")
        key = (id(self.coefficients), id(self.mu_ref), self.alpha_ref)
        if cached is not None and cached[0] == key:
            return cached[1]
        if not callable(self.coefficients):
            raise TypeError("coefficients: expected the operator's coefficient function")
        alpha = self.alpha_ref
        if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real):
            raise TypeError(f"alpha_ref: expected a positive number, got {alpha!r}")
        if not (np.isfinite(alpha) and alpha > 0):
            raise ValueError(f"alpha_ref: expected a positive number, got {alpha!r}")
        mu_ref = check_parameter(self.mu_ref, "mu_ref")
        theta = np.atleast_1d(np.asarray(self.coefficients(mu_ref), dtype=float))
        if theta.ndim != 1 or not np.isfinite(theta).all() or np.any(theta <= 0):
            raise ValueError("mu_ref: min-theta needs theta_q(mu_ref) > 0 for every q")
        self._theta_ref = (key, theta)
        return theta

    def __call__(self, mu: Any) -> float:
        """The lower bound at one parameter set."""
        theta = np.atleast_1d(np.asarray(self.coefficients(check_parameter(mu)), dtype=float))
        if np.any(theta <= 0):
            raise ValueError(f"mu: min-theta needs theta_q(mu) > 0, got {theta} at mu={mu!r}")
        return float(self.alpha_ref) * float(np.min(theta / self.theta_ref))

    def many(self, mus: Any) -> np.ndarray:
        """The lower bounds at rows of parameters, shape (k,).

        Parameters
        ----------
        mus : array_like, shape (k, n_params)
            Parameter sets (rows).
        """
        mus = check_parameters(mus)
        many = getattr(self.coefficients, "many", None)
        theta = many(mus) if many is not None else np.stack([self.coefficients(m) for m in mus])
        return self.from_theta(np.asarray(theta, dtype=float))

    def from_theta(self, theta: np.ndarray) -> np.ndarray:
        """The bound from already computed coefficients, rows of shape (k, Q).

        Parameters
        ----------
        theta : array, shape (k, Q)
            Coefficients (rows).
        """
        if np.any(theta <= 0):
            raise ValueError("mus: min-theta needs theta_q(mu) > 0 for every parameter")
        return float(self.alpha_ref) * np.min(theta / self.theta_ref, axis=1)

    def uses(self, coefficients: Any) -> bool:
        """Whether this bound is over ``coefficients`` (the same function, or equal values).

        Parameters
        ----------
        coefficients : callable
            A coefficient function.
        """
        return self.coefficients is coefficients or (
            isinstance(coefficients, LinearCoefficients) and self.coefficients == coefficients
        )


class SCM(Estimator):
    r"""Successive constraint method (Huynh, Rozza, Sen, Patera 2007).

    For :math:`A(\mu) = \sum_q \theta_q(\mu) A_q` with real :math:`\theta_q` and
    Hermitian :math:`A_q` (the Hermitian part is taken), the lower bound of the
    coercivity constant is a small linear program over the box of the eigenvalue
    ranges of each :math:`A_q`, constrained at the ``n_neighbors`` selected parameters
    nearest to :math:`\mu`; the upper bound is the minimum over the eigenvectors of the
    selected parameters (see :doc:`/theory/reduced_basis`). :meth:`fit` selects the
    parameters by :func:`weak_greedy`.

    The lower bound is rigorous (hence the error bounds certified) as far as the
    eigenvalues are computed accurately.

    Parameters
    ----------
    operator : AffineOperator
    inner : None or (n, n) Hermitian positive definite matrix
        The inner product of the coercivity constant (the Euclidean one when None).
    tol : float
        The greedy stops when the relative gap ``1 - alpha_LB(mu) / alpha_UB(mu)``
        between the lower and upper bounds is at most ``tol`` at every training
        parameter. The gap is relative by construction: there is no ``relative``
        switch.
    n_neighbors : int
        Number of nearest selected parameters used as constraints.
    max_terms : int
        The largest number of selected parameters (eigenproblems).

    Attributes
    ----------
    box_ : ndarray, shape (Q, 2)
        The eigenvalue range of each Hermitian term.
    selected_ : ndarray, shape (N, n_params)
        The ``N = n_terms_`` selected parameter sets.
    alphas_ : ndarray, shape (N,)
        The coercivity constants at the selected parameters.
    ys_ : ndarray, shape (N, Q)
        The Rayleigh quotients of each term at the selected eigenvectors.
    n_terms_ : int
    stop_reason_ : {"tol", "max_terms", "exhausted", "degenerate"}
    greedy_result_ : GreedyResult

    Examples
    --------
    >>> import numpy as np
    >>> from rom.affine import AffineOperator, LinearCoefficients
    >>> from rom.rb import SCM
    >>> op = AffineOperator([np.diag([1.0, 2.0]), np.diag([2.0, 1.0])],
    ...                     LinearCoefficients.identity(2))
    >>> a, b = np.meshgrid(np.linspace(0.5, 1, 4), np.linspace(0.5, 1, 4))
    >>> scm = SCM(op, tol=0.01).fit(np.stack([a.ravel(), b.ravel()], axis=1), progress=False)
    >>> scm.n_terms_, scm.stop_reason_
    (2, 'tol')
    >>> round(scm([0.7, 0.9]), 12), round(scm.upper([0.7, 0.9]), 12)  # exact: 2.3
    (2.3, 2.3)
    """

    _fitted_marker = "greedy_result_"

    def __init__(
        self,
        operator: AffineOperator,
        inner: Any = None,
        tol: float = 0.5,
        n_neighbors: int = 10,
        max_terms: int = 50,
    ) -> None:
        self.operator = operator
        self.inner = inner
        self.tol = tol
        self.n_neighbors = n_neighbors
        self.max_terms = max_terms

    def fit(self, training_set: Any, *, progress: bool | None = None, executor: Any = None) -> SCM:
        """Select parameters until the relative gap is below ``tol`` on ``training_set``.

        Parameters
        ----------
        training_set : array (n_train, n_params)
            Parameter sets, one per row.
        progress : bool, optional
            A tqdm bar (default: when stderr is a terminal).
        executor : concurrent.futures.Executor or dask Client, optional
            Computes the bounds over blocks of the training set in parallel (the
            operator's coefficient function must then be picklable for a process
            pool); see :mod:`rom.parallel`.

        Returns
        -------
        self
        """
        if not isinstance(self.operator, AffineOperator):
            raise TypeError(
                f"operator: expected an AffineOperator, got {type(self.operator).__name__}"
            )
        tol = check_tolerance(self.tol, "tol", allow_none=False)
        check_positive_int(self.n_neighbors, "n_neighbors", allow_none=False)
        max_terms = check_positive_int(self.max_terms, "max_terms", minimum=0)
        executor = as_executor(executor)
        check_inner(self.inner, self.operator.shape[0])
        mus = check_parameters(training_set, "training_set")
        for name in list(vars(self)):
            if name.endswith("_") and not name.startswith("_"):
                delattr(self, name)
        self._restore()
        self.box_ = np.array(
            [
                (_extreme_eigenpair(A, self._X)[0], _extreme_eigenpair(A, self._X, True)[0])
                for A in self._terms
            ],
            dtype=float,
        )
        self.selected_ = np.zeros((0, mus.shape[1]))
        self.alphas_ = np.zeros(0)
        self.ys_ = np.zeros((0, len(self._terms)))

        class _Surrogate:
            @staticmethod
            def evaluate(rows):
                return map_blocks(self._bounds().gaps, rows, executor)

            extend = self._extend_at

        result = weak_greedy(
            _Surrogate(),
            mus,
            tol=tol,
            max_terms=max_terms,
            relative=False,
            progress=progress,
        )
        self.greedy_result_ = result
        self.n_terms_ = len(self.alphas_)
        self.stop_reason_ = result.stop_reason
        return self

    def _restore(self) -> None:
        if not isinstance(self.operator, AffineOperator):
            raise TypeError(
                f"operator: expected an AffineOperator, got {type(self.operator).__name__}"
            )
        self._terms = [(A + A.conj().T) / 2 for A in self.operator.terms]
        self._X = _identity_if_none(self.inner, self.operator.shape[0])
        if "box_" in vars(self):
            self._check_state()

    def _check_state(self) -> None:
        """The fitted arrays are consistent (they may come from a file)."""
        Q = len(self.operator.terms)
        k = len(self.alphas_)
        box, sel, alphas, ys = self.box_, self.selected_, self.alphas_, self.ys_
        if (
            np.shape(box) != (Q, 2)
            or np.ndim(sel) != 2
            or np.shape(alphas) != (k,)
            or np.shape(ys) != (k, Q)
            or len(sel) != k
            or not all(np.isfinite(np.asarray(x, dtype=float)).all() for x in (box, sel, ys))
        ):
            raise ValueError("SCM: inconsistent fitted arrays")

    def _extend_at(self, mu: Any) -> None:
        A = self.operator.assemble(mu)
        alpha, v = _extreme_eigenpair((A + A.conj().T) / 2, self._X)
        xnorm = np.real(np.vdot(v, self._X @ v))
        y = np.array([np.real(np.vdot(v, Aq @ v)) / xnorm for Aq in self._terms])
        self.selected_ = np.vstack([self.selected_, mu])
        self.alphas_ = np.append(self.alphas_, alpha)
        self.ys_ = np.vstack([self.ys_, y])

    def _bounds(self) -> _SCMBounds:
        return _SCMBounds(
            self.operator, self.box_, self.selected_, self.alphas_, self.ys_, self.n_neighbors
        )

    def _point(self, mu: Any) -> np.ndarray:
        self._check_fitted()
        return check_parameter(mu, n_params=self.selected_.shape[1])

    def upper(self, mu: Any) -> float:
        """Upper bound of the coercivity constant at one parameter set ``mu``.

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        """
        return self._bounds().upper(self._point(mu))

    def __call__(self, mu: Any) -> float:
        """Lower bound of the coercivity constant at ``mu`` (a linear program)."""
        return self._bounds().lower(self._point(mu))

    def many(self, mus: Any) -> np.ndarray:
        """Lower bounds at rows of parameters, shape (k,).

        Parameters
        ----------
        mus : array_like, shape (k, n_params)
            Parameter sets (rows).
        """
        self._check_fitted()
        mus = check_parameters(mus, n_params=self.selected_.shape[1])
        bounds = self._bounds()
        return np.array([bounds.lower(mu) for mu in mus])


class _SCMBounds:
    """The SCM's bounds from its state (picklable, for an executor's workers)."""

    def __init__(self, operator, box, selected, alphas, ys, n_neighbors) -> None:
        self.operator = operator
        self.box = box
        self.selected = selected
        self.alphas = alphas
        self.ys = ys
        self.n_neighbors = int(n_neighbors)

    def _theta(self, mu: np.ndarray) -> np.ndarray:
        return np.real(self.operator.theta(mu))

    def upper(self, mu: np.ndarray) -> float:
        if len(self.alphas) == 0:
            return np.inf
        return float(np.min(self.ys @ self._theta(mu)))

    def lower(self, mu: np.ndarray) -> float:
        from scipy.optimize import linprog

        theta = self._theta(mu)
        A_ub = b_ub = None
        if len(self.alphas):
            dist = np.linalg.norm(self.selected - mu[None, :], axis=1)
            near = np.argsort(dist)[: self.n_neighbors]
            A_ub = -np.stack([self._theta(m) for m in self.selected[near]])
            b_ub = -self.alphas[near]
        res = linprog(
            theta, A_ub=A_ub, b_ub=b_ub, bounds=list(map(tuple, self.box)), method="highs"
        )
        if res.status != 0:
            raise RuntimeError(f"SCM: the linear program failed ({res.message})")
        return float(res.fun)

    def gaps(self, mus: np.ndarray) -> np.ndarray:
        """The relative gaps ``1 - LB/UB`` (1 where there is no upper bound yet)."""
        gaps = []
        for mu in mus:
            ub, lb = self.upper(mu), self.lower(mu)
            gaps.append(1.0 if not np.isfinite(ub) else max(0.0, (ub - lb) / abs(ub)))
        return np.asarray(gaps)
