r"""Nonintrusive approximation of :math:`A(\mu)^{-1}` by combinations of a few inverses."""

from __future__ import annotations

from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any

import numpy as np

from rom.linalg import Factorization, factorize
from rom.matfun._greedy import (
    _assemble_square,
    _Operator,
    _ParameterInterpolant,
    _resolve_operator,
)
from rom.matfun._interpolation import _chebyshev_features, _solve_triangular, _training_estimates
from rom.matfun._interpolation import _weights as _feature_weights
from rom.parallel import map_parameters
from rom.validation import check_array, check_positive_int

__all__ = ["InverseApproximation"]


def _inverse_task(task: tuple) -> tuple[Factorization | None, np.ndarray, int, np.dtype]:
    """Factorise ``A(mu)`` and solve the probes (top level: executors pickle it).

    Returns the factorisation only when ``keep`` (it cannot travel between processes).
    """
    assemble, mu, n, probes, keep = task
    A = _assemble_square(assemble, mu, n)
    lu = factorize(A, name=f"A(mu={mu})")
    return (lu if keep else None), lu.solve(probes), A.shape[0], lu.dtype


class InverseApproximation(_ParameterInterpolant):
    r"""Nonintrusive approximation :math:`A(\mu)^{-1} \approx \sum_m \lambda_m(\mu) A(\mu_m)^{-1}`.

    The same interpolation in the parameter as :class:`~rom.matfun.LogDet` (the
    partial sums of the Neumann series of :math:`A(\mu)^{-1}` are polynomials in
    the coefficients of an affine :math:`A(\mu)`; see the theory page
    ``docs/theory/logdet.rst``) gives coefficients :math:`\lambda(\mu)` (cost
    :math:`O(M^2)`, independent of ``n``) that combine the inverses at ``M``
    selected parameters. Only the factorisations (:class:`rom.linalg.Factorization`)
    at the selected parameters are kept; one application costs ``M`` triangular
    solve pairs.

    Parameters
    ----------
    operator : AffineOperator, LinearModel or callable
        Square :math:`A(\mu)`, as in :class:`~rom.matfun.LogDet`.
    tol : float, optional
        The error is measured with ``n_probes`` random sign vectors ``Z``: the
        greedy stops after the first degree whose estimate (the Frobenius norms of
        the contributions of the last two degrees to :math:`\tilde A(\mu)^{-1}Z`, see
        :meth:`apply`) is at most ``tol`` times :math:`\|\tilde A(\mu)^{-1}Z\|_F` at
        every training parameter (a randomised relative Frobenius-norm error, its
        maximum over the training set); between 0 and 1. With ``relative=False``
        the estimate itself is compared with ``tol``. None: no tolerance.
    relative : bool
        Whether ``tol`` is relative (the default) or absolute.
    max_terms : int, optional
        Largest number of factorisations kept.
    max_degree : int, optional
        Largest total degree of the features; reaching it stops the greedy with
        ``stop_reason_ == "max_terms"``.
    variables : {"auto", "linear", "log"}
        As in :class:`~rom.matfun.LogDet`.
    n_probes : int
        Number of random probe vectors of the error measure.
    random_state : int, optional
        Seed of the probe vectors (None for fresh entropy).

    Attributes
    ----------
    parameters_ : ndarray, shape (M, n_params)
        The selected parameters.
    n_terms_, degree_ : int
        The number of selected parameters and the largest degree of the features.
    factorizations_ : list of rom.linalg.Factorization
        Factorisations of :math:`A(\mu_m)` (recomputed from the operator at the first
        use after loading, or after a fit with an executor whose results cross
        processes).
    levels_, errors_, stop_reason_, variables_, parameter_space_ :
        As in :class:`~rom.matfun.LogDet` (``errors_`` are the probed errors, in the
        measure of ``tol``).
    size_ : int
        Size ``n`` of the matrices.

    Notes
    -----
    Saving (:func:`rom.save`) stores the selected parameters and the interpolation,
    not the factorisations: the file names the operator, which :func:`rom.load`
    takes back (``rom.load(path, operator=model)``) to factorise
    :math:`A(\mu_m)` again at the first :meth:`apply`. :meth:`coefficients` works
    without it (``operator=None``).

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> from rom.affine import AffineOperator, LinearCoefficients
    >>> from rom.matfun import InverseApproximation
    >>> n = 60
    >>> K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)], [-1, 0, 1])
    >>> A = AffineOperator([K, scipy.sparse.eye(n)], LinearCoefficients.identity(2))
    >>> train = np.column_stack([np.ones(1000), np.linspace(0.1, 1.0, 1000)])
    >>> inv = InverseApproximation(A, tol=1e-8).fit(train)
    >>> b = np.ones(n)
    >>> x = inv.apply([1.0, 0.55], b)
    >>> exact = scipy.sparse.linalg.spsolve(A.assemble([1.0, 0.55]).tocsc(), b)
    >>> bool(np.linalg.norm(x - exact) < 1e-6 * np.linalg.norm(exact))
    True
    """

    def __init__(
        self,
        operator: Any,
        *,
        tol: float | None = 1e-3,
        relative: bool = True,
        max_terms: int | None = 40,
        max_degree: int | None = None,
        variables: str = "auto",
        n_probes: int = 4,
        random_state: int | None = 0,
    ) -> None:
        self.operator = operator
        self.tol = tol
        self.relative = relative
        self.max_terms = max_terms
        self.max_degree = max_degree
        self.variables = variables
        self.n_probes = n_probes
        self.random_state = random_state

    def fit(
        self,
        training_set: Any,
        *,
        executor: Executor | None = None,
        progress: bool | None = None,
    ) -> InverseApproximation:
        """Select parameters and factorise :math:`A(\\mu_m)` there.

        Parameters
        ----------
        training_set : (N, n_params) array
            Candidate parameters (rows; ``N`` values of one parameter are ``(N, 1)``).
        executor : concurrent.futures.Executor, optional
            Assembles and factorises the matrices of each degree's new parameters in
            parallel; serially when None. A factorisation cannot travel between
            processes: with an executor other than a thread pool the workers return
            the probe solutions only, and the factorisations are made again here at
            the first :meth:`apply`.
        progress : bool, optional
            Show a progress bar of the terms (by default on a terminal only).

        Returns
        -------
        InverseApproximation
            ``self``.
        """
        check_positive_int(self.n_probes, "n_probes", allow_none=False)
        self._greedy(training_set, executor, progress)
        return self

    # ------------------------------------------------------------ hooks of the greedy
    def _start(self, op: _Operator) -> None:
        self._assemble = op.assemble
        self._factorizations: list[Factorization | None] = []
        self._probes = None
        self._images: list[np.ndarray] = []
        self._log_scales: list[float] = []
        self._dtypes: list[np.dtype] = []
        self.size_ = None

    def _extend(self, mus: np.ndarray, log_s: np.ndarray, executor: Executor | None) -> None:
        if self._probes is None:  # the first matrix gives the size
            self.size_ = _assemble_square(self._assemble, mus[0], None).shape[0]
            rng = np.random.default_rng(self.random_state)
            self._probes = rng.choice([-1.0, 1.0], size=(self.size_, self.n_probes))
        keep = executor is None or isinstance(executor, ThreadPoolExecutor)
        tasks = [(self._assemble, mu, self.size_, self._probes, keep) for mu in mus]
        for ls, (lu, image, _, dtype) in zip(
            log_s, map_parameters(_inverse_task, tasks, executor), strict=True
        ):
            self._factorizations.append(lu)
            self._log_scales.append(ls)
            self._dtypes.append(dtype)
            # A(theta) = s A(theta / s): interpolate the inverse of A(theta / s)
            self._images.append(np.exp(ls) * image.reshape(-1))

    def _reduced(self) -> np.ndarray:
        return np.array(self._images)

    def _training_error(self, Q: np.ndarray, z: np.ndarray, relative: bool) -> float:
        estimates = _training_estimates(Q, z, self.levels_)
        if not relative:
            return float(np.max(estimates))
        gram = z @ z.conj().T
        size = np.sqrt(np.maximum(np.sum((Q @ gram) * Q.conj(), axis=1).real, 0.0))
        return float(np.max(estimates / np.maximum(size, np.finfo(float).tiny)))

    def _finish(self) -> None:
        self.log_scales_ = np.array(self._log_scales, dtype=float)
        self.dtype_ = np.result_type(*self._dtypes)
        if any(lu is None for lu in self._factorizations):
            del self._factorizations  # made again at the first use
        del self._images, self._probes, self._log_scales, self._dtypes, self._assemble

    # ------------------------------------------------------------------ online
    @property
    def factorizations_(self) -> list[Factorization]:
        """Factorisations of :math:`A(\\mu_m)` at the selected parameters."""
        self._check_fitted()
        if getattr(self, "_factorizations", None) is None:
            self._factorizations = self._factorize()
        return self._factorizations

    def _factorize(self) -> list[Factorization]:
        if self.operator is None:
            raise TypeError(
                "operator: this InverseApproximation has no operator (it was loaded with "
                "operator=None): load it with rom.load(path, operator=...) to apply it"
            )
        assemble = _resolve_operator(self.operator).assemble
        return [
            factorize(_assemble_square(assemble, mu, self.size_), name=f"A(mu={mu})")
            for mu in self.parameters_
        ]

    def _level_weights(self, mu: Any) -> list[np.ndarray]:
        """``lambda(mu)`` at every degree (zero-padded to ``M``), the highest last."""
        mus = self._check_mu(mu)
        L, U = self.interpolation_lu_
        x, log_s = self.variables_.transform(mus)
        y = _feature_weights(U, _chebyshev_features(x, self.indices_))[:, 0]
        ratio = np.exp(self.log_scales_ - log_s[0])  # s_m / s(mu)
        out = []
        for top in self.levels_[-3:]:
            lam = np.zeros_like(y)
            lam[:top] = _solve_triangular(
                L[:top, :top], y[:top], trans="T", lower=True, unit_diagonal=True
            )
            out.append(lam * ratio)
        return out

    def coefficients(self, mu: Any) -> np.ndarray:
        r"""The coefficients :math:`\lambda(\mu)` of
        :math:`A(\mu)^{-1} \approx \sum_m \lambda_m(\mu) A(\mu_m)^{-1}`: shape (M,).

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.matfun import InverseApproximation
        >>> f = lambda mu: np.diag([1.0 + mu[0], 2.0])
        >>> inv = InverseApproximation(f, tol=1e-12).fit(np.linspace(0.0, 1.0, 200)[:, None])
        >>> lam = inv.coefficients([inv.parameters_[1, 0]])
        >>> bool(np.allclose(lam, np.eye(inv.n_terms_)[1]))
        True
        """
        return self._level_weights(mu)[-1]

    def apply(self, mu: Any, b: Any, return_estimate: bool = False) -> Any:
        r"""Approximate :math:`A(\mu)^{-1} b` for one (n,) or several (n, k) right-hand sides.

        :meth:`solve` is the same method.

        Parameters
        ----------
        mu : (n_params,) array
            One parameter set.
        b : (n,) or (n, k) array
        return_estimate : bool
            Also return the error estimate :math:`\|x_D - x_{D-1}\| + \|x_{D-1} -
            x_{D-2}\|` (Euclidean, per column), with :math:`x_d` the approximation of
            degree ``d``: it exceeds the error of the returned value when the
            convergence in the degree is geometric (``inf`` with a single degree).
            An estimate, not a bound: the exact residual :math:`b - A(\mu)x` is the
            check, one affine product away (with a lower bound :math:`\alpha(\mu)`
            of the smallest eigenvalue, :math:`\|x - A^{-1}b\|_2 \le
            \|b - A(\mu)x\|_2/\alpha(\mu)` is rigorous).

        Returns
        -------
        x : ndarray, like ``b``
        estimate : float or ndarray of shape (k,)
            Only with ``return_estimate``.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.matfun import InverseApproximation
        >>> f = lambda mu: np.diag([1.0 + mu[0], 2.0])
        >>> inv = InverseApproximation(f, tol=1e-10).fit(np.linspace(0.0, 1.0, 200)[:, None])
        >>> bool(np.allclose(inv.apply([0.5], np.array([1.5, 2.0])), [1.0, 1.0]))
        True
        """
        weights = self._level_weights(mu)
        b = check_array(b, "b", ndim=(1, 2))
        if b.shape[0] != self.size_:
            raise ValueError(f"b: expected {self.size_} rows, got shape {b.shape}")
        combined = np.zeros((len(weights), *b.shape), dtype=np.result_type(self.dtype_, b))
        for m, lu in enumerate(self.factorizations_):
            xm = lu.solve(b)
            for level, lam in enumerate(weights):
                combined[level] += lam[m] * xm
        x = combined[-1]
        if not return_estimate:
            return x

        def norm(v):
            return float(np.linalg.norm(v)) if b.ndim == 1 else np.linalg.norm(v, axis=0)

        if len(weights) < 2:
            inf = np.inf
            return x, (inf if b.ndim == 1 else np.full(b.shape[1], inf))
        estimate = norm(combined[-1] - combined[-2])
        if len(weights) == 3:
            estimate = estimate + norm(combined[-2] - combined[-3])
        return x, estimate

    solve = apply

    def as_linear_operator(self, mu: Any) -> Any:
        r"""The approximate inverse at ``mu`` as a :class:`scipy.sparse.linalg.LinearOperator`.

        Use it as the preconditioner ``M`` of :func:`scipy.sparse.linalg.gmres` or
        :func:`~scipy.sparse.linalg.cg` for :math:`A(\mu)` (it is symmetric when the
        :math:`A(\mu_m)` are; for CG it must also be positive definite, which holds
        when the approximation is accurate: the eigenvalues of
        :math:`\tilde A^{-1}A` are then close to one).

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.

        Examples
        --------
        >>> import numpy as np, scipy.sparse, scipy.sparse.linalg
        >>> from rom.affine import AffineOperator, LinearCoefficients
        >>> from rom.matfun import InverseApproximation
        >>> n = 80
        >>> K = scipy.sparse.diags([-np.ones(n - 1), 2 * np.ones(n), -np.ones(n - 1)],
        ...                        [-1, 0, 1])
        >>> A = AffineOperator([K, scipy.sparse.eye(n)], LinearCoefficients.identity(2))
        >>> train = np.column_stack([np.ones(500), np.linspace(0.01, 1.0, 500)])
        >>> inv = InverseApproximation(A, tol=1e-2).fit(train)
        >>> M = inv.as_linear_operator([1.0, 0.3])
        >>> x, info = scipy.sparse.linalg.cg(A.assemble([1.0, 0.3]), np.ones(n), M=M)
        >>> info
        0
        """
        from scipy.sparse.linalg import LinearOperator

        lam = self._level_weights(mu)[-1]
        factorizations = self.factorizations_

        def matvec(v):
            v = np.asarray(v)
            out = None
            for m, lu in enumerate(factorizations):
                term = lam[m] * lu.solve(v)
                out = term if out is None else out + term
            return out

        n = self.size_
        return LinearOperator((n, n), matvec=matvec, matmat=matvec, dtype=self.dtype_)
