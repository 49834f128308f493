r"""Exact log-determinants by a direct factorisation (the values :class:`~rom.matfun.LogDet`
interpolates)."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.validation import check_array, is_sparse

__all__ = ["exact_logdet"]

_SYMMETRY_RTOL = 1e-10  # |A - A^H| above this (relative to |A|) is not Hermitian


def _permutation_sign(perm: np.ndarray) -> int:
    """Sign of a permutation given as an index array (cycle decomposition)."""
    perm = np.asarray(perm)
    seen = np.zeros(perm.size, dtype=bool)
    sign = 1
    for start in range(perm.size):
        if seen[start]:
            continue
        length = 0
        j = start
        while not seen[j]:
            seen[j] = True
            j = perm[j]
            length += 1
        if length % 2 == 0:
            sign = -sign
    return sign


def _check_hermitian(A: Any, name: str) -> None:
    if is_sparse(A):
        diff = abs(A - A.conj().T)
        size = abs(A).max() if A.nnz else 0.0
        gap = diff.max() if diff.nnz else 0.0
    else:
        size = np.abs(A).max()
        gap = np.abs(A - A.conj().T).max()
    if gap > _SYMMETRY_RTOL * size:
        raise ValueError(
            f"{name}: expected a symmetric (Hermitian) positive definite matrix, got one "
            f"with |A - A^H| up to {gap:.3g} (|A| up to {size:.3g}); use spd=False for "
            "general matrices"
        )


def exact_logdet(A: Any, spd: bool = True, return_sign: bool = False, name: str = "A") -> Any:
    r"""The log-determinant of a square matrix by a direct factorisation.

    Symmetric (Hermitian) positive definite matrices (``spd=True``): a Cholesky
    factorisation (dense), or SuperLU with a symmetric fill-reducing ordering and
    diagonal pivots only (sparse), where by Sylvester's law of inertia every pivot is
    positive exactly when the matrix is positive definite; then
    :math:`\log\det A = \sum_i \log u_{ii}`. General matrices (``spd=False``): LU with
    partial pivoting and :math:`\log|\det A| = \sum_i \log|u_{ii}|`, the sign from the
    pivots and the permutations.

    Parameters
    ----------
    A : (n, n) dense array or scipy sparse matrix
    spd : bool
        Require (and check) a Hermitian positive definite matrix.
    return_sign : bool
        Return ``(sign, logabsdet)`` as :func:`numpy.linalg.slogdet` does.
    name : str
        Name used in error messages.

    Returns
    -------
    float, or (sign, float)
        ``log det A`` (``spd=True``), ``log |det A|`` otherwise; the sign is a complex
        number of modulus one for complex matrices.

    Raises
    ------
    ValueError
        ``A`` is not square, not finite, or (``spd=True``) not Hermitian positive
        definite.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.matfun import exact_logdet
    >>> A = np.array([[2.0, 1.0], [1.0, 2.0]])
    >>> bool(abs(exact_logdet(A) - np.log(3.0)) < 1e-14)
    True
    """
    if not hasattr(A, "shape") or len(A.shape) != 2 or A.shape[0] != A.shape[1]:
        raise ValueError(
            f"{name}: expected a square matrix, got shape {getattr(A, 'shape', None)}"
        )
    if is_sparse(A):
        from scipy.sparse.linalg import splu

        A = A.tocsc()
        if A.data.size and not np.isfinite(A.data).all():
            raise ValueError(f"{name}: contains NaN or inf")
        if spd:
            _check_hermitian(A, name)
            try:
                lu = splu(
                    A,
                    permc_spec="MMD_AT_PLUS_A",
                    diag_pivot_thresh=0.0,
                    options={"SymmetricMode": True},
                )
            except RuntimeError as err:  # exactly singular
                raise ValueError(f"{name}: the matrix is not positive definite ({err})") from err
            diag = lu.U.diagonal()
            if not np.array_equal(lu.perm_r, lu.perm_c) or np.any(diag.real <= 0):
                raise ValueError(
                    f"{name}: expected a symmetric (Hermitian) positive definite matrix, got "
                    "a matrix with a non-positive pivot (not positive definite)"
                )
            value = float(np.sum(np.log(diag.real)))
            return (1.0, value) if return_sign else value
        try:
            lu = splu(A, permc_spec="MMD_AT_PLUS_A")
        except RuntimeError:
            return (0.0, -np.inf) if return_sign else -np.inf
        diag = lu.U.diagonal()
        value = float(np.sum(np.log(np.abs(diag))))
        sign = _permutation_sign(lu.perm_r) * _permutation_sign(lu.perm_c)
        phase = np.prod(diag / np.abs(diag)) * sign
        if not np.iscomplexobj(diag):
            phase = float(np.sign(phase.real))
        return (phase, value) if return_sign else value
    A = check_array(A, name, ndim=2)
    if spd:
        _check_hermitian(A, name)
        try:
            from scipy.linalg import cholesky

            C = cholesky(A, lower=True, check_finite=False)
        except np.linalg.LinAlgError as err:
            raise ValueError(
                f"{name}: expected a symmetric (Hermitian) positive definite matrix, got a "
                "matrix that is not positive definite (Cholesky failed)"
            ) from err
        value = float(2.0 * np.sum(np.log(np.diag(C).real)))
        return (1.0, value) if return_sign else value
    sign, value = np.linalg.slogdet(A)
    return (sign, float(value)) if return_sign else float(value)
