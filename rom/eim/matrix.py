"""Nonintrusive EIM of assembled matrices and vectors: ``A(mu) ~ sum_m beta_m(mu) A(mu_m)``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from rom._checks import (
    check_array,
    check_fitted,
    check_positive_int,
    check_tolerance,
    is_sparse,
)
from rom.eim._greedy import unit_lower_solve
from rom.eim.eim import EIM

__all__ = ["MatrixEIM", "VectorEIM"]

logger = logging.getLogger("rom.eim")


class MatrixEIM:
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
    and a diagonal scaling, never a solve with the raw (ill-conditioned) ``F``.

    Parameters
    ----------
    tol, max_terms :
        As in :class:`rom.eim.EIM` (sup norm over the candidate entries; ``tol``
        relative to the largest candidate value).
    n_candidates : int
        Size of the candidate set.
    random_state : int, optional

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

    _vector = False

    def __init__(
        self,
        tol: float | None = None,
        max_terms: int | None = None,
        n_candidates: int = 4000,
        random_state: int | None = 0,
    ) -> None:
        self.tol = tol
        self.max_terms = max_terms
        self.n_candidates = n_candidates
        self.random_state = random_state

    # ------------------------------------------------------------ validation
    def _check_value(self, A: Any, mu: Any, reference: Any = None) -> Any:
        expected = 1 if self._vector else 2
        if is_sparse(A):
            if self._vector:
                raise TypeError("assemble: expected a vector (1-D array), got a sparse matrix")
            A = A.tocsr()
            data = A.data
        else:
            A = np.asarray(A)
            data = A
        if A.ndim != expected:
            what = "a 1-D vector" if self._vector else "a 2-D matrix"
            raise ValueError(f"assemble: expected {what}, got shape {A.shape} at mu={mu!r}")
        if data.dtype.kind not in "biufc":
            raise TypeError(f"assemble: expected numeric values, got dtype {data.dtype}")
        if data.size and not np.isfinite(data).all():
            raise ValueError(f"assemble: the value at mu={mu!r} contains NaN or inf")
        if reference is not None:
            if A.shape != reference.shape:
                raise ValueError(
                    f"assemble: the shape changed from {reference.shape} to {A.shape} at mu={mu!r}"
                )
            if is_sparse(reference) != is_sparse(A):
                raise ValueError(f"assemble: dense/sparse storage changed at mu={mu!r}")
            if is_sparse(A) and (
                A.nnz != reference.nnz
                or not np.array_equal(A.indptr, reference.indptr)
                or not np.array_equal(A.indices, reference.indices)
            ):
                raise ValueError(f"assemble: the sparsity pattern changed at mu={mu!r}")
        return A

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
        if self._vector:
            return np.asarray(A)[rows]
        if is_sparse(A):
            return np.asarray(A[rows, cols]).ravel()
        return np.asarray(A)[rows, cols]

    def _entries_at(self, mu: Any, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        if self.entries_function_ is not None:
            values = np.asarray(
                self.entries_function_(mu, rows)
                if self._vector
                else self.entries_function_(mu, rows, cols)
            )
            if values.shape != rows.shape:
                raise ValueError(
                    f"entries: expected {rows.size} values for the requested entries, got shape "
                    f"{values.shape}"
                )
            if not np.isfinite(values).all():
                raise ValueError(f"entries: values at mu={mu!r} contain NaN or inf")
            return values
        A = self._check_value(self.assemble_function_(mu), mu, self._reference)
        return self._values(A, rows, cols)

    # ------------------------------------------------------------------- fit
    def fit(
        self,
        assemble: Callable[[Any], Any],
        training_set: Any,
        entries: Callable[..., Any] | None = None,
    ) -> MatrixEIM:
        """Run the greedy over ``training_set`` (rows of parameters).

        Parameters
        ----------
        assemble : callable
            ``assemble(mu)`` returns the full matrix (dense or sparse; the shape and
            the sparsity pattern must not depend on ``mu``).
        training_set : array (n_train, n_params)
        entries : callable, optional
            ``entries(mu, rows, cols)`` returns ``A(mu)[rows, cols]`` without assembling
            (for vectors: ``entries(mu, rows)``). Checked against ``assemble`` at two
            training parameters.
        """
        if not callable(assemble):
            raise TypeError("assemble: expected a callable mu -> matrix")
        if entries is not None and not callable(entries):
            raise TypeError("entries: expected a callable or None")
        tol = check_tolerance(self.tol, "tol")
        max_terms = check_positive_int(self.max_terms, "max_terms")
        n_cand = check_positive_int(self.n_candidates, "n_candidates", allow_none=False)
        mus = check_array(training_set, "training_set", ndim=(1, 2), dtype_kind="f")
        mus = mus[:, None] if mus.ndim == 1 else mus
        rng = np.random.default_rng(self.random_state)
        self.assemble_function_ = assemble
        self.entries_function_ = None
        A0 = self._check_value(assemble(mus[0]), mus[0])
        self._reference = A0
        cand = self._candidates(A0, n_cand, rng)
        rows, cols = cand[:, 0], cand[:, 1]
        columns = [self._values(A0, rows, cols)]
        if entries is not None:
            for k in sorted({0, len(mus) - 1}):
                direct = self._values(
                    A0 if k == 0 else self._check_value(assemble(mus[k]), mus[k], A0), rows, cols
                )
                got = np.asarray(
                    entries(mus[k], rows) if self._vector else entries(mus[k], rows, cols)
                )
                scale = max(float(np.abs(direct).max()), 1e-300)
                if got.shape != direct.shape or np.abs(got - direct).max() > 1e-10 * scale:
                    raise ValueError(
                        f"entries: disagrees with assemble at mu={mus[k]!r} (checked on the "
                        "candidate entries)"
                    )
            self.entries_function_ = entries
        for mu in mus[1:]:
            columns.append(self._entries_at(mu, rows, cols))
        S = np.stack(columns, axis=1)
        self.eim_ = EIM(tol=tol, max_terms=max_terms, n_error_points=0).fit(S)
        e = self.eim_
        self.params_ = e.params_
        self.parameters_ = mus[e.params_]
        self.entries_ = cand[e.points_]
        self.candidates_ = cand
        self.errors_ = e.errors_
        self.matrices_ = [
            A0 if j == 0 else self._check_value(assemble(mus[j]), mus[j], A0) for j in e.params_
        ]
        self._L = e.param_basis_[e.params_]
        logger.info("MatrixEIM: %d terms, candidate error %.3e", len(e.params_), e.errors_[-1])
        return self

    @property
    def n_terms_(self) -> int:
        check_fitted(self, "eim_")
        return len(self.params_)

    def coefficients(self, mu: Any) -> np.ndarray:
        r""":math:`\beta(\mu)` from the ``M`` selected entries of :math:`A(\mu)`."""
        check_fitted(self, "eim_")
        rows, cols = self.entries_[:, 0], self.entries_[:, 1]
        v = self._entries_at(mu, rows, cols)
        b = unit_lower_solve(self.eim_.interpolation_matrix_, v, np)
        return unit_lower_solve(self._L, b / self.eim_.pivots_, np, transpose=True)

    def to_affine(self):
        """The approximation as a :class:`rom.rb.AffineOperator` (an ``AffineVector`` for
        :class:`VectorEIM`) with coefficients :meth:`coefficients`."""
        check_fitted(self, "eim_")
        from rom.rb.affine import AffineOperator, AffineVector

        if self._vector:
            return AffineVector([np.asarray(v) for v in self.matrices_], self.coefficients)
        return AffineOperator(self.matrices_, self.coefficients)

    def approximate(self, mu: Any) -> Any:
        """The approximation of ``A(mu)``."""
        beta = self.coefficients(mu)
        return sum(b * A for b, A in zip(beta, self.matrices_, strict=True))


class VectorEIM(MatrixEIM):
    """:class:`MatrixEIM` for parametrised vectors (right-hand sides, outputs).

    ``assemble(mu)`` returns a 1-D array and ``entries(mu, rows)`` its values at
    ``rows``; every entry is a candidate up to ``n_candidates``; ``entries_[:, 0]``
    are the selected rows. :meth:`to_affine` gives a :class:`rom.rb.AffineVector`.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.eim import VectorEIM
    >>> x = np.linspace(0, 1, 50)
    >>> veim = VectorEIM(tol=1e-10).fit(lambda mu: np.exp(-mu[0] * x), np.linspace(1, 2, 30))
    >>> bool(np.abs(veim.approximate([1.5]) - np.exp(-1.5 * x)).max() < 1e-9)
    True
    """

    _vector = True
