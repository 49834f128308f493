"""Parameter-separable (affine) operators and vectors: ``sum_q theta_q(mu) A_q``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rom.validation import check_array, is_sparse

__all__ = ["AffineOperator", "AffineVector", "ConstantCoefficients", "LinearCoefficients"]


class _Affine:
    """Shared parts: the coefficient function and its validation."""

    terms: list
    #: An estimate of the difference between the exact operator (vector) and this
    #: separated one, itself affine (set by :meth:`rom.eim.MatrixEIM.to_affine`), or None
    #: when this one is exact. :class:`rom.rb.ReducedBasis` adds its reduced dual norm
    #: to the error indicator.
    eim_error: Any = None

    def __init__(self, coefficients: Callable[[Any], Any], n_terms: int, name: str) -> None:
        if not callable(coefficients):
            raise TypeError(f"coefficients: expected a callable mu -> ({n_terms},) array")
        self.coefficients = coefficients
        self._name = name

    @property
    def n_terms(self) -> int:
        return len(self.terms)

    def theta(self, mu: Any) -> np.ndarray:
        """The coefficients ``theta(mu)``, validated: shape (Q,), finite.

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        """
        if isinstance(mu, str | bytes):
            raise TypeError(f"mu: expected a parameter set (numbers), got {mu!r}")
        values = self.coefficients(mu)
        try:
            theta = np.asarray(values)
        except ValueError as err:  # a ragged list
            raise TypeError(f"coefficients: expected {self.n_terms} numbers ({err})") from err
        if theta.ndim == 0:
            theta = theta.reshape(1)
        if theta.dtype.kind not in "biufc":
            raise TypeError(f"coefficients: expected numbers, got dtype {theta.dtype}")
        if theta.shape != (self.n_terms,):
            raise ValueError(
                f"coefficients: expected {self.n_terms} values for the {self.n_terms} terms "
                f"of this {self._name}, got shape {theta.shape}"
            )
        if not np.isfinite(theta).all():
            raise ValueError(f"coefficients: theta({mu!r}) contains NaN or inf")
        return theta

    def theta_many(self, mus: Any) -> np.ndarray:
        """Coefficients for each row of ``mus``: shape (n_mu, Q).

        Vectorised when the coefficient function has a ``many(mus)`` method (as
        :class:`LinearCoefficients` does), one call per row otherwise.

        Parameters
        ----------
        mus : array_like, shape (n_mu, n_params)
            Parameter sets (rows).
        """
        mus = np.atleast_2d(check_array(mus, "mus", ndim=(0, 1, 2), dtype_kind="f"))
        many = getattr(self.coefficients, "many", None)
        if many is not None:
            theta = np.asarray(many(mus))
            if theta.shape != (len(mus), self.n_terms) or not np.isfinite(theta).all():
                raise ValueError(
                    f"coefficients: many() must return finite values of shape "
                    f"({len(mus)}, {self.n_terms}), got {theta.shape}"
                )
            return theta
        return np.stack([self.theta(mu) for mu in mus])


class AffineOperator(_Affine):
    r"""An operator :math:`A(\mu) = \sum_q \theta_q(\mu) A_q`.

    Parameters
    ----------
    matrices : sequence of (n, m) matrices
        Dense arrays or scipy sparse matrices, real or complex, all of one shape.
    coefficients : callable
        ``coefficients(mu)`` returns the ``Q`` values :math:`\theta_q(\mu)`.

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> from rom.affine import AffineOperator
    >>> A = AffineOperator([scipy.sparse.eye(3), np.ones((3, 3))], lambda mu: [1.0, mu[0]])
    >>> A.assemble([2.0]).toarray()[0]
    array([3., 2., 2.])
    """

    def __init__(self, matrices: Sequence[Any], coefficients: Callable[[Any], Any]) -> None:
        if isinstance(matrices, np.ndarray) and matrices.ndim == 2:
            matrices = [matrices]
        if len(matrices) == 0:
            raise ValueError("matrices: expected at least one matrix")
        terms = []
        for q, A in enumerate(matrices):
            if is_sparse(A):
                A = A.tocsr()
                if A.data.size and not np.isfinite(A.data).all():
                    raise ValueError(f"matrices[{q}]: contains NaN or inf")
                if A.dtype.kind not in "fc":
                    A = A.astype(np.float64)
            else:
                A = check_array(A, f"matrices[{q}]", ndim=2)
            if terms and A.shape != terms[0].shape:
                raise ValueError(
                    f"matrices[{q}]: expected shape {terms[0].shape} (that of matrices[0]), "
                    f"got {A.shape}"
                )
            terms.append(A)
        self.terms = terms
        super().__init__(coefficients, len(terms), "operator")

    @property
    def shape(self) -> tuple[int, int]:
        return self.terms[0].shape

    @property
    def dtype(self) -> np.dtype:
        return np.result_type(*[A.dtype for A in self.terms])

    @property
    def sparse(self) -> bool:
        return any(is_sparse(A) for A in self.terms)

    def assemble(self, mu: Any) -> Any:
        """The matrix :math:`A(\\mu)` (sparse if any term is sparse).

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        """
        theta = self.theta(mu)
        if self.sparse:
            import scipy.sparse

            out = None
            for t, A in zip(theta, self.terms, strict=True):
                term = scipy.sparse.csr_matrix(A) * t
                out = term if out is None else out + term
            return out.tocsr()
        return sum(t * A for t, A in zip(theta, self.terms, strict=True))

    def apply(self, mu: Any, V: Any) -> np.ndarray:
        """:math:`A(\\mu) V` without assembling ``A(mu)``: ``V`` of shape (m,) or (m, k).

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        V : array, shape (m,) or (m, k)
            The vector, or the columns, to multiply.
        """
        if not is_sparse(V):
            V = check_array(V, "V", ndim=(1, 2), finite=False)
        if V.shape[0] != self.shape[1]:
            raise ValueError(
                f"V: expected {self.shape[1]} rows (the operator is {self.shape[0]} x "
                f"{self.shape[1]}), got shape {tuple(V.shape)}"
            )
        theta = self.theta(mu)
        return sum(t * (A @ V) for t, A in zip(theta, self.terms, strict=True))

    def project(self, V: Any, W: Any = None) -> AffineOperator:
        """Galerkin (``W = V``) or Petrov-Galerkin projection ``W^H A_q V``: small, dense.

        Parameters
        ----------
        V : array, shape (m, r)
            The trial basis.
        W : array, shape (n, r'), optional
            The test basis (default ``V``: Galerkin projection).
        """
        V = check_array(V, "V", ndim=2)
        W = V if W is None else check_array(W, "W", ndim=2)
        if V.shape[0] != self.shape[1] or W.shape[0] != self.shape[0]:
            raise ValueError(
                f"V, W: expected {self.shape[1]} and {self.shape[0]} rows, got {V.shape[0]} "
                f"and {W.shape[0]}"
            )
        return AffineOperator([W.conj().T @ (A @ V) for A in self.terms], self.coefficients)


class AffineVector(_Affine):
    r"""A vector :math:`f(\mu) = \sum_q \theta_q(\mu) f_q`.

    Parameters
    ----------
    vectors : sequence of (n,) arrays, or an (n,) array for a parameter-independent one
    coefficients : callable, optional
        ``coefficients(mu)`` returns the ``Q`` values; constant 1 when omitted with one
        vector.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.affine import AffineVector
    >>> f = AffineVector([np.ones(2), np.arange(2.0)], lambda mu: [1.0, mu[0]])
    >>> f.assemble([3.0])
    array([1., 4.])
    """

    def __init__(self, vectors: Any, coefficients: Callable[[Any], Any] | None = None) -> None:
        if isinstance(vectors, np.ndarray) and vectors.ndim == 1:
            vectors = [vectors]
        if len(vectors) == 0:
            raise ValueError("vectors: expected at least one vector")
        terms = []
        for q, f in enumerate(vectors):
            f = check_array(f, f"vectors[{q}]", ndim=1)
            if terms and f.shape != terms[0].shape:
                raise ValueError(
                    f"vectors[{q}]: expected shape {terms[0].shape} like vectors[0], got {f.shape}"
                )
            terms.append(f)
        if coefficients is None:
            if len(terms) != 1:
                raise ValueError("coefficients: needed when there are several vectors")
            coefficients = ConstantCoefficients([1.0])
        self.terms = terms
        super().__init__(coefficients, len(terms), "vector")

    @property
    def size(self) -> int:
        return self.terms[0].shape[0]

    @property
    def dtype(self) -> np.dtype:
        return np.result_type(*[f.dtype for f in self.terms])

    def matrix(self) -> np.ndarray:
        """The terms as columns, shape (n, Q)."""
        return np.stack(self.terms, axis=1)

    def assemble(self, mu: Any) -> np.ndarray:
        """The vector :math:`f(\\mu)`.

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        """
        return self.matrix() @ self.theta(mu)

    def project(self, W: Any) -> AffineVector:
        """``W^H f_q`` for every term.

        Parameters
        ----------
        W : array, shape (n, r)
            The test basis.
        """
        W = check_array(W, "W", ndim=2)
        if W.shape[0] != self.size:
            raise ValueError(f"W: expected {self.size} rows, got {W.shape[0]}")
        return AffineVector(list((W.conj().T @ self.matrix()).T), self.coefficients)


class ConstantCoefficients:
    """Parameter-independent coefficients (the default of a one-term :class:`AffineVector`).

    Parameters
    ----------
    values : array_like, shape (Q,)
        The coefficients, the same for every parameter set.
    """

    def __init__(self, values: Any) -> None:
        self.values = check_array(values, "values", ndim=1)

    def __call__(self, mu: Any) -> np.ndarray:
        return self.values.copy()

    def many(self, mus: Any) -> np.ndarray:
        return np.tile(self.values, (len(np.atleast_2d(mus)), 1))

    def __repr__(self) -> str:
        return f"ConstantCoefficients(values={self.values.tolist()!r})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and np.array_equal(self.values, other.values)

    __hash__ = None  # mutable arrays: equal by value, not hashable

    def _to_arrays(self) -> tuple[dict, dict]:
        """Saved as its array (see :mod:`rom.io.persist`)."""
        return {}, {"values": self.values}

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> ConstantCoefficients:
        return cls(arrays["values"])  # the constructor validates what the file holds


class LinearCoefficients:
    """Coefficients ``theta(mu) = matrix @ mu + offset``: vectorised and saveable.

    The common case of parameters entering linearly (``theta(mu) = mu`` for the thermal
    block: ``LinearCoefficients.identity(dim)``). Reduced models whose coefficients are
    of this kind can be saved and loaded without any code.

    Parameters
    ----------
    matrix : array_like, shape (Q, n_params)
        The linear part.
    offset : array_like, shape (Q,), optional
        The constant part (default zero).

    Examples
    --------
    >>> from rom.affine import LinearCoefficients
    >>> theta = LinearCoefficients([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]], offset=[1.0, 0.0, 0.0])
    >>> theta([3.0, 4.0])
    array([1., 3., 8.])
    """

    def __init__(self, matrix: Any, offset: Any = None) -> None:
        self.matrix = check_array(matrix, "matrix", ndim=2, dtype_kind="f")
        q = self.matrix.shape[0]
        self.offset = np.zeros(q) if offset is None else check_array(offset, "offset", shape=(q,))

    @classmethod
    def identity(cls, dim: int) -> LinearCoefficients:
        """``theta(mu) = mu``.

        Parameters
        ----------
        dim : int
            Number of parameters (and of coefficients).
        """
        return cls(np.eye(dim))

    def __call__(self, mu: Any) -> np.ndarray:
        mu = check_array(mu, "mu", ndim=(0, 1, 2), dtype_kind="f").reshape(-1)
        if mu.shape != (self.matrix.shape[1],):
            raise ValueError(f"mu: expected {self.matrix.shape[1]} values, got shape {mu.shape}")
        return self.matrix @ mu + self.offset

    def many(self, mus: Any) -> np.ndarray:
        """Coefficients of every row of ``mus``: shape (k, Q).

        Parameters
        ----------
        mus : array_like, shape (k, n_params)
            Parameter sets (rows).
        """
        mus = check_array(mus, "mus", ndim=2, dtype_kind="f")
        if mus.shape[1] != self.matrix.shape[1]:
            raise ValueError(
                f"mus: expected rows of {self.matrix.shape[1]} values, got shape {mus.shape}"
            )
        return mus @ self.matrix.T + self.offset

    def __repr__(self) -> str:
        return (
            f"LinearCoefficients(matrix=<array {self.matrix.shape}>, "
            f"offset={self.offset.tolist()!r})"
        )

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and np.array_equal(self.matrix, other.matrix)
            and np.array_equal(self.offset, other.offset)
        )

    __hash__ = None  # mutable arrays: equal by value, not hashable

    def _to_arrays(self) -> tuple[dict, dict]:
        """Saved as its two arrays (see :mod:`rom.io.persist`)."""
        return {}, {"matrix": self.matrix, "offset": self.offset}

    @classmethod
    def _from_arrays(cls, settings: dict, arrays: dict) -> LinearCoefficients:
        return cls(arrays["matrix"], arrays["offset"])  # the constructor validates them
