"""Nonintrusive EIM of assembled matrices and vectors: ``A(mu) ~ sum_m beta_m(mu) A(mu_m)``."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from functools import partial
from typing import Any, ClassVar

import numpy as np

from rom._base import Estimator
from rom.eim._base import check_bool
from rom.eim._greedy import unit_lower_solve
from rom.eim.eim import EIM
from rom.parallel import map_parameters
from rom.validation import (
    check_parameter,
    check_parameters,
    check_positive_int,
    check_tolerance,
    is_sparse,
)

__all__ = ["MatrixEIM", "VectorEIM"]

logger = logging.getLogger("rom.eim")

_MAX_SATURATION = 0.9  # caps the factor 1 / (1 - theta) of the error estimate at 10


# ---------------------------------------------------------------- the assembly workers
# Module-level functions (not methods), so that a process pool pickles only the user's
# callables, the candidate entries and a short signature of the reference storage.
def _signature(A: Any) -> tuple:
    """Shape, storage and (for sparse matrices) a digest of the sparsity pattern."""
    if not is_sparse(A):
        return (tuple(A.shape), False, None)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(np.ascontiguousarray(A.indptr, dtype=np.int64).tobytes())
    digest.update(np.ascontiguousarray(A.indices, dtype=np.int64).tobytes())
    return (tuple(A.shape), True, (int(A.nnz), digest.hexdigest()))


def _check_value(A: Any, mu: Any, vector: bool, reference: tuple | None = None) -> Any:
    """``assemble(mu)`` validated: dimensions, finite values, the reference's storage."""
    expected = 1 if vector else 2
    if is_sparse(A):
        if vector:
            raise TypeError("assemble: expected a vector (1-D array), got a sparse matrix")
        A = A.tocsr()
        data = A.data
    else:
        A = np.asarray(A)
        data = A
    if A.ndim != expected:
        what = "a 1-D vector" if vector else "a 2-D matrix"
        raise ValueError(f"assemble: expected {what}, got shape {A.shape} at mu={mu!r}")
    if data.dtype.kind not in "biufc":
        raise TypeError(f"assemble: expected numeric values, got dtype {data.dtype}")
    if data.size and not np.isfinite(data).all():
        raise ValueError(f"assemble: the value at mu={mu!r} contains NaN or inf")
    if reference is not None:
        shape, sparse, pattern = _signature(A)
        if shape != reference[0]:
            raise ValueError(
                f"assemble: the shape changed from {reference[0]} to {shape} at mu={mu!r}"
            )
        if sparse != reference[1]:
            raise ValueError(f"assemble: dense/sparse storage changed at mu={mu!r}")
        if pattern != reference[2]:
            raise ValueError(f"assemble: the sparsity pattern changed at mu={mu!r}")
    return A


def _values(A: Any, rows: np.ndarray, cols: np.ndarray, vector: bool) -> np.ndarray:
    if vector:
        return np.asarray(A)[rows]
    if is_sparse(A):
        return np.asarray(A[rows, cols]).ravel()
    return np.asarray(A)[rows, cols]


def _assembled(assemble: Callable, vector: bool, reference: tuple, mu: np.ndarray) -> Any:
    """``assemble(mu)``, checked against the reference storage."""
    return _check_value(assemble(mu), mu, vector, reference)


def _entries_at(
    assemble: Callable,
    entries: Callable | None,
    vector: bool,
    reference: tuple,
    rows: np.ndarray,
    cols: np.ndarray,
    mu: np.ndarray,
) -> np.ndarray:
    """``A(mu)[rows, cols]``: from ``entries`` when given, else from the assembled matrix."""
    # own copies: arrays unpickled in a worker sit on read-only bytes, which scipy's
    # fancy indexing refuses (it sets the writeable flag of its broadcast views)
    rows, cols = np.array(rows), np.array(cols)
    if entries is not None:
        values = np.asarray(entries(mu, rows) if vector else entries(mu, rows, cols))
        if values.shape != rows.shape:
            raise ValueError(
                f"entries: expected {rows.size} values for the requested entries, got shape "
                f"{values.shape}"
            )
        if not np.isfinite(values).all():
            raise ValueError(f"entries: values at mu={mu!r} contain NaN or inf")
        return values
    return _values(_assembled(assemble, vector, reference, mu), rows, cols, vector)


class MatrixEIM(Estimator):
    r"""Separated approximation of a parametrised matrix from its assembled values only.

    :math:`A(\mu) \approx \sum_{m=1}^M \beta_m(\mu) A(\mu_m)`: the matrices at ``M``
    selected parameters, combined with coefficients computed from ``M`` selected
    entries of :math:`A(\mu)` (Casenave, Ern, Lelievre 2014). Offline, the EIM greedy
    runs on the values of a *candidate set of entries* over the training set, so no
    more than one full matrix is held at a time:

    - sparse matrices: every stored entry of the pattern when there are at most
      ``n_candidates`` of them, otherwise the diagonal plus a uniform random sample of
      the pattern (seeded by ``random_state``);
    - dense matrices: the diagonal plus uniformly drawn entries, ``n_candidates`` in all.

    Full matrices are assembled again only at the selected parameters. With
    :math:`F = A(\mu_{sel})[\text{entries}] = B D L^T` (the EIM's triangular factors),
    :math:`\beta(\mu) = L^{-T} D^{-1} B^{-1} A(\mu)[\text{entries}]`: two triangular solves
    and a diagonal scaling, never a solve with the raw (ill-conditioned) ``F``. Real and
    complex matrices.

    The greedy continues ``n_error_terms`` steps past its stop; the tail of the
    (M+p)-term approximation estimates the error :math:`A(\mu) - A_M(\mu)` online
    (:meth:`error_approximation`, :meth:`estimate_error`, :meth:`error_operator`),
    under a saturation assumption measured on the training set (:attr:`saturation_`).
    It is an estimate, not a bound; the derivation is on the theory page
    "Nonintrusive reduction".

    Saving keeps everything but the callables: ``rom.load(path,
    assemble_function_=assemble)`` (and ``entries_function_=entries`` when ``fit`` had
    ``entries``) gives them back.

    Parameters
    ----------
    tol : float, optional
        Stop when the largest error over the candidate entries and the training set
        (maximum norm) is at most ``tol`` (times the largest candidate value, when
        ``relative``).
    max_terms : int, optional
        Maximum number of terms ``M``.
    relative : bool
        Whether ``tol`` is relative to the largest candidate value.
    n_candidates : int
        Size of the candidate set.
    random_state : int, optional
        Seed of the candidate sample (None: fresh entropy).
    n_error_terms : int
        ``p``: how many greedy steps to take beyond the ``M`` selected terms, for the
        online error estimate (0: none). Costs ``p`` more assemblies offline and ``p``
        more entries of :math:`A(\mu)` per estimate online. See :meth:`error_operator`.

    Attributes
    ----------
    params_ : ndarray of int
        Selected rows of the training set.
    parameters_ : ndarray, shape (M, n_params)
        The selected parameters.
    entries_ : ndarray of int, shape (M, 2)
        Selected (row, col) pairs.
    matrices_ : list
        ``A(mu_m)`` at the selected parameters.
    candidates_ : ndarray of int, shape (n_cand, 2)
    eim_ : rom.eim.EIM
        The greedy on the candidate values.
    errors_ : ndarray
        The greedy's largest candidate error with 0, 1, ..., M terms.
    n_terms_ : int
        ``M``.
    stop_reason_ : str
        The greedy's: "tol", "max_terms", "exhausted" or "degenerate".
    assemble_function_, entries_function_ : callable
        ``assemble`` and ``entries`` (or None) given to :meth:`fit`.
    error_parameters_ : ndarray, shape (p, n_params)
        The parameters of the ``p`` greedy steps beyond the selected ones.
    error_entries_ : ndarray of int, shape (p, 2)
        Their entries (for :class:`VectorEIM`, ``error_entries_[:, 0]`` are rows).
    error_terms_ : list
        The matrices :math:`Q_{M+1}, \dots, Q_{M+p}` of the (M+p)-term approximation:
        :math:`A_{M+p}(\mu) - A_M(\mu) = \sum_{k>M} c_k(\mu) Q_k`. May hold fewer than
        ``n_error_terms`` matrices when the greedy ran out of training data.
    saturation_ : float
        :math:`\theta`, the assumed ratio :math:`\|A - A_{M+p}\| / \|A - A_M\|`,
        extrapolated geometrically from the greedy's errors at steps ``M+1 .. M+p``
        (capped at 0.9).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.eim import MatrixEIM
    >>> K = np.diag([2.0] * 5) - np.diag([1.0] * 4, 1) - np.diag([1.0] * 4, -1)
    >>> assemble = lambda mu: K + np.exp(mu[0]) * np.eye(5) + np.sin(mu[0]) * np.ones((5, 5))
    >>> meim = MatrixEIM(tol=1e-12).fit(assemble, np.linspace(0, 1, 20)[:, None])
    >>> meim.n_terms_
    3
    >>> bool(np.allclose(meim.to_affine().assemble([0.37]), assemble([0.37])))
    True
    """

    _vector: ClassVar[bool] = False
    _fitted_marker: ClassVar[str | None] = "eim_"

    def __init__(
        self,
        tol: float | None = None,
        max_terms: int | None = None,
        relative: bool = True,
        n_candidates: int = 4000,
        random_state: int | None = 0,
        n_error_terms: int = 4,
    ) -> None:
        self.tol = tol
        self.max_terms = max_terms
        self.relative = relative
        self.n_candidates = n_candidates
        self.random_state = random_state
        self.n_error_terms = n_error_terms

    # ------------------------------------------------------------ candidates
    def _candidates(self, A0: Any, n_cand: int, rng: np.random.Generator) -> np.ndarray:
        if self._vector:
            n = A0.shape[0]
            if n <= n_cand:
                return np.stack([np.arange(n), np.zeros(n, dtype=int)], axis=1)
            idx = np.union1d(rng.choice(n, n_cand, replace=False), [])
            return np.stack([idx.astype(int), np.zeros(idx.size, dtype=int)], axis=1)
        n, m = A0.shape
        diag = np.arange(min(n, m))
        if is_sparse(A0):
            coo = A0.tocoo()
            pattern = np.stack([coo.row, coo.col], axis=1).astype(np.int64)
            if len(pattern) <= n_cand:
                return pattern
            pick = pattern[rng.choice(len(pattern), max(n_cand - diag.size, 1), replace=False)]
            # keep only diagonal entries that are in the pattern
            on_diag = pattern[pattern[:, 0] == pattern[:, 1]]
            return np.unique(np.concatenate([on_diag, pick]), axis=0)
        k = max(n_cand - diag.size, 0)
        flat = rng.choice(n * m, min(k, n * m), replace=False)
        pick = np.stack([flat // m, flat % m], axis=1)
        both = np.concatenate([np.stack([diag, diag], axis=1), pick]).astype(np.int64)
        return np.unique(both, axis=0)

    def _values(self, A: Any, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return _values(A, rows, cols, self._vector)

    def _entries_at(self, mu: Any, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return _entries_at(
            self.assemble_function_,
            self.entries_function_,
            self._vector,
            self._reference,
            rows,
            cols,
            mu,
        )

    def _restore(self) -> None:
        e = self.eim_
        self._L = e.param_basis_[e.params_]
        self._reference = _signature(self.matrices_[0]) if self.matrices_ else None

    # ------------------------------------------------------------------- fit
    def fit(
        self,
        assemble: Callable[[Any], Any],
        training_set: Any,
        entries: Callable[..., Any] | None = None,
        *,
        executor: Executor | None = None,
        progress: bool | None = None,
    ) -> MatrixEIM:
        """Run the greedy over ``training_set`` (rows of parameters).

        Parameters
        ----------
        assemble : callable
            ``assemble(mu)`` returns the full matrix (dense or sparse; the shape and
            the sparsity pattern must not depend on ``mu``); ``mu`` is one row of
            ``training_set``, a 1-D array.
        training_set : array, shape (n_train, n_params)
            Parameter sets are rows (a 1-D array is one parameter set: give ``k``
            values of one parameter as shape ``(k, 1)``).
        entries : callable, optional
            ``entries(mu, rows, cols)`` returns ``A(mu)[rows, cols]`` without assembling
            (for vectors: ``entries(mu, rows)``). Checked against ``assemble`` at two
            training parameters.
        executor : concurrent.futures.Executor, optional
            Evaluates the training parameters (the candidate entries, then the
            matrices at the selected parameters) in parallel; ``assemble`` and
            ``entries`` must then be picklable for a process pool. None: serially.
        progress : bool, optional
            Show a progress bar over the training parameters (by default on a
            terminal only).

        Returns
        -------
        self
        """
        vector = self._vector
        if not callable(assemble):
            raise TypeError("assemble: expected a callable mu -> matrix")
        if entries is not None and not callable(entries):
            raise TypeError("entries: expected a callable or None")
        if executor is not None and not callable(getattr(executor, "submit", None)):
            raise TypeError(
                "executor: expected None or a concurrent.futures.Executor, got "
                f"{type(executor).__name__}"
            )
        tol = check_tolerance(self.tol, "tol")
        max_terms = check_positive_int(self.max_terms, "max_terms")
        relative = check_bool(self.relative, "relative")
        n_cand = check_positive_int(self.n_candidates, "n_candidates", allow_none=False)
        n_err = check_positive_int(
            self.n_error_terms, "n_error_terms", allow_none=False, minimum=0
        )
        mus = check_parameters(training_set, "training_set")
        rng = np.random.default_rng(self.random_state)
        A0 = _check_value(assemble(mus[0]), mus[0], vector)
        reference = _signature(A0)
        cand = self._candidates(A0, n_cand, rng)
        rows, cols = cand[:, 0], cand[:, 1]
        if entries is not None:
            for k in sorted({0, len(mus) - 1}):
                A = A0 if k == 0 else _assembled(assemble, vector, reference, mus[k])
                direct = _values(A, rows, cols, vector)
                got = np.asarray(entries(mus[k], rows) if vector else entries(mus[k], rows, cols))
                scale = max(float(np.abs(direct).max()), 1e-300)
                if got.shape != direct.shape or np.abs(got - direct).max() > 1e-10 * scale:
                    raise ValueError(
                        f"entries: disagrees with assemble at mu={mus[k]!r} (checked on the "
                        "candidate entries)"
                    )
        values = partial(_entries_at, assemble, entries, vector, reference, rows, cols)
        rest = map_parameters(values, mus[1:], executor, progress=progress, desc="entries")
        columns = [_values(A0, rows, cols, vector), *rest]
        S = np.stack(columns, axis=1)
        self.eim_ = EIM(tol=tol, max_terms=max_terms, relative=relative, n_error_points=n_err)
        self.eim_.fit(S)
        e = self.eim_
        self.assemble_function_ = assemble
        self.entries_function_ = entries
        self.params_ = e.params_
        self.parameters_ = mus[e.params_]
        self.entries_ = cand[e.points_]
        self.candidates_ = cand
        self.errors_ = e.errors_
        self.stop_reason_ = e.stop_reason_
        self.error_parameters_ = mus[e.error_params_]
        self.error_entries_ = cand[e.error_points_]
        # the full matrices, at the selected parameters and at the error parameters
        todo = [j for j in (*e.params_, *e.error_params_) if j != 0]
        full = map_parameters(
            partial(_assembled, assemble, vector, reference),
            mus[todo],
            executor,
            progress=progress,
            desc="matrices",
        )
        at = dict(zip(todo, full, strict=True))
        at[0] = A0
        self.matrices_ = [at[j] for j in e.params_]
        self._restore()
        self.error_terms_ = self._tail_terms([at[j] for j in e.error_params_])
        logger.info(
            "%s: %d terms, candidate error %.3e", type(self).__name__, e.n_terms_, e.errors_[-1]
        )
        return self

    def _tail_terms(self, assembled: list) -> list:
        """``Q_k = R_k / R_k[i_k, j_k]``, ``R_k = A(mu_k) - A_{k-1}(mu_k)``, k = M+1..M+p."""
        terms: list = []
        pivots: list = []
        for A, (i, j) in zip(assembled, self.error_entries_, strict=True):
            R = A - self._combine(self._beta(self._values(A, *self.entries_.T)))
            for Q, (i2, j2) in zip(terms, self.error_entries_, strict=False):
                R = R - self._values(R, np.array([i2]), np.array([j2]))[0] * Q
            pivot = self._values(R, np.array([i]), np.array([j]))[0]
            scale = max(float(abs(A).max()), 1e-300)
            if not abs(pivot) > 1e-14 * scale:  # the greedy's pivot was at round-off
                break
            terms.append(R / pivot)
            pivots.append(abs(pivot))
        # saturation: ||A - A_{M+p}|| <= theta ||A - A_M||, theta extrapolated from the
        # greedy's errors (|pivot_k| is its largest candidate error after k - 1 steps)
        rate = 0.0
        if len(pivots) >= 2 and pivots[0] > 0:
            rate = float(pivots[-1] / pivots[0]) ** (1.0 / (len(pivots) - 1))
        elif len(pivots) == 1 and len(self.errors_) >= 2 and self.errors_[-2] > 0:
            rate = float(self.errors_[-1] / self.errors_[-2])
        theta = rate ** len(pivots) if pivots else 0.0
        self.saturation_ = min(theta, _MAX_SATURATION)
        return terms

    def _beta(self, v: np.ndarray) -> np.ndarray:
        b = unit_lower_solve(self.eim_.interpolation_matrix_, v, np)
        return unit_lower_solve(self._L, b / self.eim_.pivots_, np, transpose=True)

    def _combine(self, beta: np.ndarray) -> Any:
        out = sum(b * A for b, A in zip(beta, self.matrices_, strict=True))
        if is_sparse(out):
            return out.tocsr()
        return out

    @property
    def n_terms_(self) -> int:
        """``M``, the number of selected parameters (and entries)."""
        self._check_fitted()
        return len(self.params_)

    def _mu(self, mu: Any) -> np.ndarray:
        """One parameter set, checked (the rule of :func:`rom.validation.check_parameter`)."""
        return check_parameter(mu, "mu", n_params=self.parameters_.shape[1])

    def coefficients(self, mu: Any) -> np.ndarray:
        r""":math:`\beta(\mu)` from the ``M`` selected entries of :math:`A(\mu)`.

        ``mu`` is one parameter set (a 1-D array, a number for one parameter).

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        """
        self._check_fitted()
        mu = self._mu(mu)
        rows, cols = self.entries_[:, 0], self.entries_[:, 1]
        return self._beta(self._entries_at(mu, rows, cols))

    @property
    def n_error_terms_(self) -> int:
        """``p``: the number of tail terms of the error estimate (0: no estimate)."""
        self._check_fitted()
        return len(self.error_terms_)

    def _tail_basis(self) -> tuple[np.ndarray, np.ndarray]:
        """Entries (M + p, 2) and the unit lower triangular EIM basis at them."""
        e = self.eim_
        p = self.n_error_terms_
        points = np.concatenate([e.points_, e.error_points_[:p]])
        B = np.concatenate([e.basis_, e.error_basis_[:, :p]], axis=1)[points]
        return self.candidates_[points], B

    def error_coefficients(self, mu: Any) -> np.ndarray:
        r"""Tail coefficients :math:`c_{M+1}(\mu), \dots, c_{M+p}(\mu)`, shape (p,).

        From the ``M + p`` entries of :math:`A(\mu)` at ``entries_`` and
        ``error_entries_``: one unit lower triangular solve, whose last ``p`` unknowns
        are the coefficients of :attr:`error_terms_` in :math:`A_{M+p} - A_M`.

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.eim import MatrixEIM
        >>> f = lambda mu: np.diag(1.0 / (1.0 + mu[0] * np.arange(1.0, 31.0)))
        >>> meim = MatrixEIM(max_terms=3).fit(f, np.linspace(0, 1, 30)[:, None])
        >>> meim.error_coefficients([0.5]).shape  # n_error_terms=4 by default
        (4,)
        """
        self._check_fitted()
        mu = self._mu(mu)
        p = self.n_error_terms_
        if p == 0:
            return np.zeros(0)
        entries, B = self._tail_basis()
        v = self._entries_at(mu, entries[:, 0], entries[:, 1])
        return unit_lower_solve(B, v, np)[self.n_terms_ :]

    def error_approximation(self, mu: Any) -> Any:
        r"""The estimate :math:`E(\mu) = A_{M+p}(\mu) - A_M(\mu)` of the EIM error
        :math:`A(\mu) - A_M(\mu)`, as a matrix (a vector for :class:`VectorEIM`).

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.eim import MatrixEIM
        >>> f = lambda mu: np.diag(1.0 / (1.0 + mu[0] * np.arange(1.0, 31.0)))
        >>> meim = MatrixEIM(max_terms=3).fit(f, np.linspace(0, 1, 30)[:, None])
        >>> true = np.abs(f([0.5]) - meim.approximate([0.5])).max()
        >>> est = np.abs(meim.error_approximation([0.5])).max()
        >>> bool(0.5 < est / true < 2)
        True
        """
        self._check_fitted()
        if self.n_error_terms_ == 0:
            raise RuntimeError(
                "error_approximation: no error terms (fit with n_error_terms >= 1; the greedy "
                "may also have run out of training data before taking any)"
            )
        c = self.error_coefficients(mu)
        out = sum(ck * Q for ck, Q in zip(c, self.error_terms_, strict=True))
        return out.tocsr() if is_sparse(out) else out

    def estimate_error(self, mu: Any) -> float:
        r"""Estimate of the largest entry error :math:`\max_k |A(\mu)_k - A_M(\mu)_k|`
        over the candidate entries: :math:`\max_k |E(\mu)_k| / (1 - \theta)` (see
        :meth:`error_approximation` and :attr:`saturation_`), from ``M + p`` entries.
        An estimate, not a bound.

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.

        Examples
        --------
        >>> import numpy as np
        >>> from rom.eim import MatrixEIM
        >>> f = lambda mu: np.diag(1.0 / (1.0 + mu[0] * np.arange(1.0, 31.0)))
        >>> meim = MatrixEIM(max_terms=3).fit(f, np.linspace(0, 1, 30)[:, None])
        >>> meim.estimate_error([0.5]) > 0
        True
        """
        self._check_fitted()
        p = self.n_error_terms_
        if p == 0:
            raise RuntimeError(
                "estimate_error: no error terms (fit with n_error_terms >= 1; the greedy may "
                "also have run out of training data before taking any)"
            )
        c = self.error_coefficients(mu)
        return float(np.abs(self.eim_.error_basis_[:, :p] @ c).max()) / (1 - self.saturation_)

    def error_operator(self):
        r"""The error estimate as an affine operator (vector for :class:`VectorEIM`):
        :math:`\sum_{k>M} c_k(\mu) Q_k / (1 - \theta) \approx A(\mu) - A_M(\mu)`, or
        None when there are no error terms.

        Its terms are :attr:`error_terms_` times :math:`1/(1 - \theta)` (``theta`` =
        :attr:`saturation_`), its coefficients :meth:`error_coefficients`.
        Reduced with a basis ``V``, :math:`\|E(\mu) V a\|_{X'}` costs a number of
        operations independent of the size of ``A`` (see :class:`rom.rb.ReducedBasis`).
        """
        self._check_fitted()
        if self.n_error_terms_ == 0:
            return None
        from rom.affine import AffineOperator, AffineVector

        factor = 1.0 / (1.0 - self.saturation_)
        if self._vector:
            return AffineVector(
                [factor * np.asarray(v) for v in self.error_terms_], self.error_coefficients
            )
        return AffineOperator([factor * Q for Q in self.error_terms_], self.error_coefficients)

    def to_affine(self):
        """The approximation as a :class:`rom.affine.AffineOperator` (an ``AffineVector`` for
        :class:`VectorEIM`) with coefficients :meth:`coefficients`.

        Its ``eim_error`` attribute is :meth:`error_operator` (None without error terms):
        :class:`rom.rb.ReducedBasis` uses it to add the estimated EIM contribution to
        its error indicator.
        """
        self._check_fitted()
        from rom.affine import AffineOperator, AffineVector

        if self._vector:
            out = AffineVector([np.asarray(v) for v in self.matrices_], self.coefficients)
        else:
            out = AffineOperator(self.matrices_, self.coefficients)
        out.eim_error = self.error_operator()
        return out

    def approximate(self, mu: Any) -> Any:
        """The approximation of ``A(mu)``.

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        """
        return self._combine(self.coefficients(mu))


class VectorEIM(MatrixEIM):
    """:class:`MatrixEIM` for parametrised vectors (right-hand sides, outputs).

    ``assemble(mu)`` returns a 1-D array and ``entries(mu, rows)`` its values at
    ``rows``; every entry is a candidate up to ``n_candidates``; ``entries_[:, 0]``
    are the selected rows. :meth:`to_affine` gives a :class:`rom.affine.AffineVector`.
    Same parameters and attributes as :class:`MatrixEIM`; real and complex vectors.

    Parameters
    ----------
    tol, max_terms, relative, n_candidates, random_state, n_error_terms : see MatrixEIM
        As for :class:`MatrixEIM`.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.eim import VectorEIM
    >>> x = np.linspace(0, 1, 50)
    >>> training_set = np.linspace(1, 2, 30)[:, None]  # 30 values of one parameter
    >>> veim = VectorEIM(tol=1e-10).fit(lambda mu: np.exp(-mu[0] * x), training_set)
    >>> bool(np.abs(veim.approximate([1.5]) - np.exp(-1.5 * x)).max() < 1e-9)
    True
    """

    _vector = True
