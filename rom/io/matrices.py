"""Reading matrices and vectors written by external codes.

Formats: Matrix Market (``.mtx``, ``.mm``), scipy sparse / numpy ``.npz`` and ``.npy``,
and FreeFEM's text output (``ofstream f("A.txt"); f << A;`` for matrices, the same
for arrays). :func:`read_array` tells them apart by suffix and content.
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from rom.validation import is_sparse

__all__ = [
    "read_array",
    "read_freefem_matrix",
    "read_freefem_vector",
    "read_matrix",
    "read_vector",
]

_COMPLEX = re.compile(r"\(\s*([^,()\s]+)\s*,\s*([^,()\s]+)\s*\)")

#: The largest number of rows or columns of a FreeFEM matrix (FreeFEM's indices are C
#: ``int``): a header announcing more is refused before anything is allocated.
MAX_FREEFEM_SIZE = 2**31 - 1


def _check_path(path: Any) -> Path:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path: expected a file path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no such file {str(path)!r}")
    return path


def _read_text(path: Path) -> str:
    try:
        return path.read_text()
    except UnicodeDecodeError as err:
        raise ValueError(f"path: {str(path)!r} is not a text file ({err})") from err


def _numbers(tokens: list[str], path: Path) -> np.ndarray:
    """Parse real numbers or FreeFEM complex pairs ``(re,im)``."""
    text = " ".join(tokens)
    if "(" in text:
        pairs = _COMPLEX.findall(text)
        if len(pairs) != len(tokens):
            raise ValueError(f"path: {str(path)!r} has malformed complex entries")
        return np.array([complex(float(a), float(b)) for a, b in pairs])
    try:
        return np.array([float(t) for t in tokens])
    except ValueError as err:
        raise ValueError(f"path: {str(path)!r} has a non-numeric entry ({err})") from err


def read_freefem_matrix(path: str | os.PathLike) -> Any:
    """Read a sparse matrix written by FreeFEM (``f << A``).

    FreeFEM writes one of two text formats, both read here:

    - FreeFEM 4 (``# HashMatrix Matrix (COO)``): two ``#`` lines, then
      ``n m nnz half fortran state type_state``, then one line ``i j a_ij`` per
      stored coefficient, with 0-based indices (1-based when ``fortran`` is 1);
    - the "Morse" format (FreeFEM 3, and FreeFEM 4 for matrices held in CSR):
      ``#`` lines, then ``n m symmetric nnz``, then ``i j a_ij`` with 1-based indices.

    When the symmetric (``half``) flag is 1, only one triangle is stored and the
    other is filled in. Complex coefficients are written ``(re,im)``.

    A header announcing more than ``MAX_FREEFEM_SIZE`` (2**31 - 1) rows or columns is
    refused before anything is allocated.

    Parameters
    ----------
    path : str or path-like
        The file.

    Examples
    --------
    >>> import tempfile, os
    >>> from rom.io import read_freefem_matrix
    >>> path = os.path.join(tempfile.mkdtemp(), "A.txt")
    >>> text = "# Sparse Matrix (Morse)\\n2 2 0 3\\n1 1 2.0\\n1 2 -1\\n2 2 4\\n"
    >>> _ = open(path, "w").write(text)
    >>> read_freefem_matrix(path).toarray()
    array([[ 2., -1.],
           [ 0.,  4.]])
    """
    import scipy.sparse

    path = _check_path(path)
    lines = [ln.strip() for ln in _read_text(path).splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("#")]
    if not lines:
        raise ValueError(f"path: {str(path)!r} is empty; expected a FreeFEM matrix")
    head = lines[0].split()
    try:
        if len(head) >= 5:  # FreeFEM 4 HashMatrix: n m nnz half fortran [state type_state]
            n, m, nnz, half, base = (int(v) for v in head[:5])
        else:  # Morse: n m symmetric nnz, 1-based
            n, m, half, nnz = (int(v) for v in head[:4])
            base = 1
    except ValueError as err:
        raise ValueError(
            f"path: {str(path)!r} does not start with 'n m symmetric nnz' (Morse) or "
            "'n m nnz half fortran state' (FreeFEM 4): not a FreeFEM matrix"
        ) from err
    if not (0 <= n <= MAX_FREEFEM_SIZE and 0 <= m <= MAX_FREEFEM_SIZE and nnz >= 0):
        raise ValueError(
            f"path: {str(path)!r} announces a {n} x {m} matrix with {nnz} coefficients: "
            f"sizes must be non-negative and at most {MAX_FREEFEM_SIZE} (2**31 - 1, FreeFEM's "
            "int indices)"
        )
    body = [ln.split() for ln in lines[1:]]
    if len(body) != nnz or any(len(row) != 3 for row in body):
        raise ValueError(
            f"path: {str(path)!r} announces {nnz} coefficients but holds {len(body)} "
            "well-formed 'i j a_ij' lines (truncated file?)"
        )
    try:
        rows = np.array([int(r[0]) for r in body], dtype=np.int64) - base
        cols = np.array([int(r[1]) for r in body], dtype=np.int64) - base
    except ValueError as err:
        raise ValueError(f"path: {str(path)!r} has a non-integer row or column index") from err
    vals = _numbers([r[2] for r in body], path)
    if nnz and (rows.min() < 0 or cols.min() < 0 or rows.max() >= n or cols.max() >= m):
        raise ValueError(f"path: {str(path)!r} has indices outside the {n} x {m} matrix")
    A = scipy.sparse.coo_matrix((vals, (rows, cols)), shape=(n, m)).tocsr()
    if half:
        off = scipy.sparse.coo_matrix(
            (vals[rows != cols], (cols[rows != cols], rows[rows != cols])), shape=(n, m)
        )
        A = (A + off).tocsr()
    return A


def read_freefem_vector(path: str | os.PathLike) -> np.ndarray:
    """Read an array written by FreeFEM (``f << u[]``): its size, then the values.

    Parameters
    ----------
    path : str or path-like
        The file.

    Examples
    --------
    >>> import tempfile, os
    >>> from rom.io import read_freefem_vector
    >>> path = os.path.join(tempfile.mkdtemp(), "u.txt")
    >>> _ = open(path, "w").write("3\\t\\n\\t1\\t2.5\\t-3\\n")
    >>> read_freefem_vector(path)
    array([ 1. ,  2.5, -3. ])
    """
    path = _check_path(path)
    tokens = _read_text(path).split()
    if not tokens:
        raise ValueError(f"path: {str(path)!r} is empty; expected a FreeFEM array")
    try:
        n = int(tokens[0])
    except ValueError as err:
        raise ValueError(f"path: {str(path)!r} does not start with the array size") from err
    values = _numbers(tokens[1:], path)
    if values.size != n:
        raise ValueError(
            f"path: {str(path)!r} announces {n} values but holds {values.size} (truncated file?)"
        )
    return values


def _checked_npz(path: Path) -> Any:
    """A ``scipy.sparse.save_npz`` file as CSR, its index arrays checked before any use."""
    import scipy.sparse

    from rom.io.persist import check_sparse

    try:
        A = check_sparse(scipy.sparse.load_npz(path))
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as err:
        raise ValueError(
            f"path: {str(path)!r} holds a corrupt sparse matrix ({err.__class__.__name__}: {err})"
        ) from err
    return check_sparse(scipy.sparse.csr_matrix(A))


def read_matrix(path: str | os.PathLike) -> Any:
    """Read a matrix: Matrix Market, ``.npz`` (scipy sparse or one dense array), ``.npy``,
    or FreeFEM text (any other suffix, recognised by its content).

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    scipy.sparse.csr_matrix or numpy.ndarray
        Sparse formats come back as CSR, dense ones as arrays.

    Examples
    --------
    >>> import tempfile, os, scipy.io, scipy.sparse
    >>> from rom.io import read_matrix
    >>> path = os.path.join(tempfile.mkdtemp(), "A.mtx")
    >>> scipy.io.mmwrite(path, scipy.sparse.eye(3, format="csr"))
    >>> read_matrix(path).nnz
    3
    """
    import scipy.io
    import scipy.sparse

    path = _check_path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".mtx", ".mm"):
            A = scipy.io.mmread(path)
            return A.tocsr() if scipy.sparse.issparse(A) else np.asarray(A)
        # files are opened here so that they are closed even when numpy fails to parse them
        if suffix == ".npy":
            with open(path, "rb") as fh:
                data = np.load(fh, allow_pickle=False)
                if not isinstance(data, np.ndarray):  # an .npz archive
                    data.close()
                    raise ValueError("not an .npy array")
                return data
        if suffix == ".npz":
            with open(path, "rb") as fh:
                data = np.load(fh, allow_pickle=False)
                if not isinstance(data, np.lib.npyio.NpzFile):  # an .npy file
                    raise ValueError("not an .npz archive")
                with data:
                    files = sorted(data.files)
                    if {"data", "format", "shape"} <= set(files):
                        return _checked_npz(path)
                    if len(files) == 1:
                        return data[files[0]]
            raise ValueError(
                f"path: {str(path)!r} is an .npz file with several arrays and no sparse "
                "matrix; expected scipy.sparse.save_npz output or a single array"
            )
    except ValueError as err:
        if str(err).startswith("path:"):
            raise
        raise ValueError(f"path: {str(path)!r} could not be read as a matrix ({err})") from err
    except (OSError, zipfile.BadZipFile, EOFError) as err:
        raise ValueError(f"path: {str(path)!r} is corrupt or unreadable ({err})") from err
    return read_freefem_matrix(path)


def read_vector(path: str | os.PathLike) -> np.ndarray:
    """Read a vector: ``.npy``, a one-array ``.npz``, Matrix Market, or FreeFEM text.

    Parameters
    ----------
    path : str or path-like
        The file.
    """
    path = _check_path(path)
    if path.suffix.lower() in (".npy", ".npz", ".mtx", ".mm"):
        A = read_matrix(path)
        A = A.toarray() if hasattr(A, "toarray") else np.asarray(A)
        if A.ndim == 2 and 1 in A.shape:
            A = A.ravel()
        if A.ndim != 1:
            raise ValueError(
                f"path: {str(path)!r} holds a matrix of shape {A.shape}, not a vector"
            )
        return A
    return read_freefem_vector(path)


def read_array(path: str | os.PathLike) -> Any:
    """Read a matrix or a vector written by an external code, whatever its format.

    Matrix Market, ``.npz`` and ``.npy`` go through :func:`read_matrix`; any other
    suffix is FreeFEM text, a vector (``f << b``: the size, then the values) or a sparse
    matrix (``f << A``), told apart by its first line that is not a ``#`` comment.
    Dense ``(n, 1)`` results (Matrix Market ``array`` vectors) come back as 1-D vectors.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    scipy.sparse.csr_matrix or numpy.ndarray

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        The file cannot be read in the format its suffix or content announces.

    Examples
    --------
    >>> import os, tempfile
    >>> from rom.io import read_array
    >>> path = os.path.join(tempfile.mkdtemp(), "b.txt")
    >>> _ = open(path, "w").write("3\\t\\n\\t1\\t2\\t3\\n")
    >>> read_array(path)
    array([1., 2., 3.])
    >>> _ = open(path, "w").write("# Sparse Matrix (Morse)\\n2 2 0 1\\n1 1 5.0\\n")
    >>> read_array(path).toarray()
    array([[5., 0.],
           [0., 0.]])
    """
    path = _check_path(path)
    if path.suffix.lower() in (".mtx", ".mm", ".npz", ".npy"):
        A = read_matrix(path)
    else:
        with open(path, errors="replace") as fh:
            first = next((ln for ln in fh if ln.strip() and not ln.lstrip().startswith("#")), "")
        A = read_freefem_vector(path) if len(first.split()) == 1 else read_freefem_matrix(path)
    if not is_sparse(A):
        A = np.asarray(A)
        if A.ndim == 2 and A.shape[1] == 1:
            A = A[:, 0]
    return A
