"""Input validation for code built on romba: errors that name the argument.

romba validates every argument at the boundary with these rules (see
:doc:`/conventions`, "Errors"): a :class:`TypeError` for the wrong kind of object, a
:class:`ValueError` for a wrong value, and a message that starts with the name of
the argument. Full-order models and other code that romba calls (for example the
models of ``fem_examples``) use the same functions, so that their errors read the
same.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from rom.backend import array_namespace, is_cupy_array

__all__ = [
    "NotFittedError",
    "check_array",
    "check_choice",
    "check_fitted",
    "check_indices",
    "check_inner",
    "check_parameter",
    "check_parameters",
    "check_positive_int",
    "check_real",
    "check_tolerance",
    "is_sparse",
]


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before it was fitted.

    It subclasses :class:`ValueError` and :class:`AttributeError`, as scikit-learn's
    ``NotFittedError`` does, so ``except ValueError`` and ``hasattr`` both work.

    Examples
    --------
    >>> import rom
    >>> try:
    ...     rom.POD(rank=2).transform([[1.0], [2.0]])
    ... except rom.NotFittedError as err:
    ...     print(err)
    this POD is not fitted yet: call fit(...) before using it
    """


def is_sparse(x: Any) -> bool:
    """Whether ``x`` is a scipy or cupyx sparse matrix (without importing either).

    Parameters
    ----------
    x : object
        Any object.
    """
    return hasattr(x, "tocsr") and hasattr(x, "nnz")


def check_array(
    x: Any,
    name: str,
    *,
    ndim: int | tuple[int, ...] | None = None,
    shape: tuple[int | None, ...] | None = None,
    dtype_kind: str = "fc",
    allow_empty: bool = False,
    finite: bool = True,
    copy: bool = False,
) -> Any:
    """``x`` as a float64 / complex128 array of the expected shape, or an error naming ``name``.

    Integers and booleans are promoted to float64; float32 and complex64 stay as
    they are; cupy arrays stay on the GPU.

    Parameters
    ----------
    x : array-like
    name : str
        The argument's name, which starts every error message.
    ndim : int or tuple of int, optional
        The accepted numbers of dimensions.
    shape : tuple of (int or None), optional
        The expected shape (None: any size along that axis).
    dtype_kind : {"fc", "f", "c"}
        Real or complex (default), real only, complex only.
    allow_empty : bool
        Whether an array without entries is accepted.
    finite : bool
        Whether NaN and inf are refused (the default).
    copy : bool
        Return a copy.

    Returns
    -------
    array

    Raises
    ------
    TypeError
        A sparse matrix, an object or string array, a complex array where a real one
        is expected.
    ValueError
        A wrong number of dimensions or shape, an empty array, NaN or inf.

    Examples
    --------
    >>> from rom.validation import check_array
    >>> check_array([1, 2, 3], "u", ndim=1).dtype
    dtype('float64')
    >>> check_array([[1.0, 2.0]], "u", ndim=1)
    Traceback (most recent call last):
    ...
    ValueError: u: expected a 1-D array, got shape (1, 2)
    """
    xp = array_namespace(x) if is_cupy_array(x) else np
    if is_sparse(x):
        raise TypeError(
            f"{name}: expected a dense array, got a sparse matrix ({type(x).__name__})"
        )
    try:
        arr = xp.asarray(x)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{name}: expected a numeric array, got {type(x).__name__}") from err
    kind = arr.dtype.kind
    if kind in "biu" and "f" in dtype_kind:
        arr = arr.astype(xp.float64)
    elif kind not in dtype_kind:
        expected = {"f": "real", "c": "complex", "fc": "real or complex"}.get(
            dtype_kind, dtype_kind
        )
        raise TypeError(f"{name}: expected a {expected} numeric array, got dtype {arr.dtype}")
    if ndim is not None:
        ndims = (ndim,) if isinstance(ndim, int) else ndim
        if arr.ndim not in ndims:
            want = " or ".join(f"{d}-D" for d in ndims)
            raise ValueError(f"{name}: expected a {want} array, got shape {tuple(arr.shape)}")
    if shape is not None:
        if len(shape) != arr.ndim or any(
            s is not None and s != a for s, a in zip(shape, arr.shape, strict=False)
        ):
            want = "(" + ", ".join("?" if s is None else str(s) for s in shape) + ")"
            raise ValueError(f"{name}: expected shape {want}, got {tuple(arr.shape)}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty array, got shape {tuple(arr.shape)}")
    if finite and arr.size and not _all_finite(arr, xp):
        raise ValueError(f"{name}: contains NaN or inf")
    if copy:
        arr = arr.copy()
    return arr


def _all_finite(arr: Any, xp: Any) -> bool:
    """Whether every entry is finite.

    A finite sum proves it (NaN and inf propagate through a sum, and inf - inf is
    NaN) in one pass without a temporary boolean array; only a non-finite sum, which
    an overflow of huge finite values can also give, needs the entrywise test.
    """
    if arr.size <= 4096:  # small: the direct test is cheaper than the error-state switch
        return bool(xp.isfinite(arr).all())
    if arr.dtype.kind in "fc":
        with np.errstate(over="ignore", invalid="ignore"):
            total = xp.sum(arr)
        if bool(xp.isfinite(total)):
            return True
    return bool(xp.isfinite(arr).all())


def check_inner(inner: Any, n: int, name: str = "inner") -> Any:
    r"""Validate an inner-product matrix: None, or a square (n, n) dense or sparse matrix,
    Hermitian and positive on a random probe.

    Sparse matrices come back in CSR format; dense ones through :func:`check_array`.
    The probe (two products with fixed random vectors ``x``, ``y``, cheap) refuses a
    matrix with :math:`|y^H M x - \overline{x^H M y}| > 10^{-10}(\|Mx\|\|y\| +
    \|My\|\|x\|)` (not Hermitian, beyond round-off) or with :math:`x^H M x \le 0`
    (not positive definite). It cannot prove positivity: an indefinite matrix may pass
    it and is refused where a factorisation or a norm finds it.

    Parameters
    ----------
    inner : None, array or sparse matrix
        The inner product matrix.
    n : int
        Its expected size.
    name : str
        The argument name used in error messages.
    """
    if inner is None:
        return None
    if is_sparse(inner):
        if inner.shape != (n, n):
            raise ValueError(f"{name}: expected a ({n}, {n}) matrix, got shape {inner.shape}")
        data = inner.data
        xp = array_namespace(data)
        if data.dtype.kind not in "fcbiu":
            raise TypeError(f"{name}: expected a numeric matrix, got dtype {data.dtype}")
        if data.size and not bool(xp.isfinite(data).all()):
            raise ValueError(f"{name}: contains NaN or inf")
        inner = inner.tocsr()
    elif callable(inner) and not hasattr(inner, "shape"):
        raise TypeError(f"{name}: expected a matrix (dense or sparse) or None, got a callable")
    else:
        inner = check_array(inner, name, shape=(n, n))
    _probe_inner(inner, n, name)
    return inner


def _probe_inner(M: Any, n: int, name: str) -> None:
    """The symmetry and positivity probe of :func:`check_inner`."""
    if n == 0:
        return
    xp = array_namespace(M.data if is_sparse(M) else M)
    probe = np.random.default_rng(20240518).standard_normal((n, 2))
    X = xp.asarray(probe)
    MX = M @ X
    x, y, Mx, My = X[:, 0], X[:, 1], MX[:, 0], MX[:, 1]
    yMx, xMy = complex(xp.vdot(y, Mx)), complex(xp.vdot(x, My))
    norm = float(xp.linalg.norm(x))  # x and y have about the same norm
    scale = norm * (float(xp.linalg.norm(Mx)) + float(xp.linalg.norm(My)))
    if not np.isfinite(scale):
        return  # the products overflow: nothing can be probed (the norms will tell)
    if abs(yMx - xMy.conjugate()) > 1e-10 * scale:
        raise ValueError(
            f"{name}: expected a Hermitian (symmetric) positive definite matrix; "
            f"y^H M x = {yMx:.6g} but conj(x^H M y) = {xMy.conjugate():.6g} for a random probe"
        )
    xMx, yMy = complex(xp.vdot(x, Mx)).real, complex(xp.vdot(y, My)).real
    if min(xMx, yMy) <= 0:
        raise ValueError(
            f"{name}: the matrix is not positive definite (x^H M x = {min(xMx, yMy):.6g} "
            "<= 0 for a random probe); expected a Hermitian positive definite matrix"
        )


def check_positive_int(
    value: Any, name: str, *, allow_none: bool = True, minimum: int = 1
) -> int | None:
    """``value`` as an ``int`` of at least ``minimum`` (None passes when ``allow_none``).

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The argument name used in error messages.
    allow_none : bool
        Whether None is accepted (and returned).
    minimum : int
        The smallest accepted value.

    Raises
    ------
    TypeError
        Not an integer (booleans are refused).
    ValueError
        Below ``minimum``.

    Examples
    --------
    >>> from rom.validation import check_positive_int
    >>> check_positive_int(5, "n", minimum=3)
    5
    >>> check_positive_int(2, "n", minimum=3)
    Traceback (most recent call last):
    ...
    ValueError: n: expected an integer >= 3, got 2
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name}: expected an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    return int(value)


def check_real(value: Any, name: str, *, positive: bool = False) -> float:
    """``value`` as a finite ``float``, positive when ``positive``.

    Parameters
    ----------
    value : object
        The value to check (a Python or NumPy integer or float; booleans are refused).
    name : str
        The argument name used in error messages.
    positive : bool
        Whether only values > 0 are accepted.

    Examples
    --------
    >>> from rom.validation import check_real
    >>> check_real(2, "speed", positive=True)
    2.0
    >>> check_real(0.0, "speed", positive=True)
    Traceback (most recent call last):
    ...
    ValueError: speed: expected a positive number, got 0.0
    """
    if type(value) is float and -np.inf < value < np.inf and (value > 0 or not positive):
        return value  # the common case, first: full-order models call this on every step
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value}")
    if positive and value <= 0:
        raise ValueError(f"{name}: expected a positive number, got {value}")
    return value


def check_tolerance(
    value: Any, name: str, *, allow_none: bool = True, upper: float | None = None
) -> float | None:
    """``value`` as a finite non-negative float, at most ``upper`` (None passes when
    ``allow_none``).

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The argument name used in error messages.
    allow_none : bool
        Whether None is accepted (and returned).
    upper : float, optional
        The largest accepted value.

    Examples
    --------
    >>> from rom.validation import check_tolerance
    >>> check_tolerance(1e-6, "tol")
    1e-06
    """
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name}: expected a non-negative real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}: expected a finite non-negative number, got {value}")
    if upper is not None and value > upper:
        raise ValueError(f"{name}: expected a number <= {upper}, got {value}")
    return value


def check_choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of the strings ``choices``, else a :class:`ValueError`.

    Parameters
    ----------
    value : object
        The value to check.
    name : str
        The argument name used in error messages.
    choices : tuple of str
        The accepted values.

    Examples
    --------
    >>> from rom.validation import check_choice
    >>> check_choice("rk4", "method", ("rk4", "bdf"))
    'rk4'
    >>> check_choice("euler", "method", ("rk4", "bdf"))
    Traceback (most recent call last):
    ...
    ValueError: method: expected one of ('rk4', 'bdf'), got 'euler'
    """
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}: expected one of {choices}, got {value!r}")
    return value


def check_indices(value: Any, name: str, n: int) -> np.ndarray:
    """``value`` as a non-empty 1-D int64 array of indices in ``[0, n)``.

    Parameters
    ----------
    value : array_like of int
        The indices to check.
    name : str
        The argument name used in error messages.
    n : int
        The length of the indexed axis.

    Examples
    --------
    >>> from rom.validation import check_indices
    >>> check_indices([0, 4], "rows", 5).tolist()
    [0, 4]
    >>> check_indices([5], "rows", 5)
    Traceback (most recent call last):
    ...
    ValueError: rows: expected indices in [0, 5), got array([5])
    """
    arr = np.asarray(value)
    if arr.ndim != 1 or arr.dtype.kind not in "iu" or arr.size == 0:
        raise ValueError(f"{name}: expected a non-empty 1-D integer array, got {arr!r}")
    if arr.min() < 0 or arr.max() >= n:
        raise ValueError(f"{name}: expected indices in [0, {n}), got {arr!r}")
    return arr.astype(np.int64)


def check_fitted(obj: Any, attribute: str, method: str = "fit") -> None:
    """Raise :class:`rom.NotFittedError` unless ``obj`` has the fitted ``attribute``.

    Parameters
    ----------
    obj : object
        The estimator.
    attribute : str
        A fitted attribute.
    method : str
        The method to name in the error message.
    """
    if attribute not in vars(obj):
        raise NotFittedError(
            f"this {type(obj).__name__} is not fitted yet: call {method}(...) before using it"
        )


def check_parameters(
    mus: Any,
    name: str = "mus",
    *,
    n_params: int | None = None,
    parameter_space: Any = None,
) -> np.ndarray:
    """Parameter sets as rows, shape ``(k, n_params)``: romba's one rule.

    - a 2-D array is ``k`` parameter sets, one per row;
    - a 1-D array is **one** parameter set (its entries are the parameters), whether
      or not a parameter space is known; ``k`` values of a single parameter are a
      ``(k, 1)`` array;
    - a number is one set of one parameter; a dict (with ``parameter_space``) is one
      set by name.

    With ``parameter_space`` the values are also checked against its bounds (see
    :meth:`rom.parameters.ParameterSpace.check`); with ``n_params`` the number of
    columns is checked. Errors name ``name``.

    Parameters
    ----------
    mus : array_like
        Parameter sets: rows, one row, a number, or a dict by name (with a space).
    name : str
        The argument name used in error messages.
    n_params : int, optional
        The expected number of parameters.
    parameter_space : ParameterSpace, optional
        Gives the number, the names and the bounds of the parameters.

    Examples
    --------
    >>> from rom.validation import check_parameters
    >>> check_parameters([0.5, 2.0]).shape
    (1, 2)
    >>> check_parameters([[0.5], [2.0]], n_params=1).shape
    (2, 1)
    """
    if parameter_space is not None:
        return np.atleast_2d(parameter_space.check(mus, name))
    rows = check_array(mus, name, ndim=(0, 1, 2), dtype_kind="f")
    if rows.ndim < 2:
        rows = rows.reshape(1, -1)
    if n_params is not None and rows.shape[1] != n_params:
        hint = (
            " (a 1-D array is one parameter set: give k values of one parameter as shape (k, 1))"
            if np.ndim(mus) == 1
            else ""
        )
        raise ValueError(
            f"{name}: expected parameter sets of {n_params} values, one per row, "
            f"got shape {tuple(np.shape(mus))}{hint}"
        )
    return rows


def check_parameter(
    mu: Any,
    name: str = "mu",
    *,
    n_params: int | None = None,
    parameter_space: Any = None,
) -> np.ndarray:
    """One parameter set, shape ``(n_params,)`` (the rule of :func:`check_parameters`).

    Parameters
    ----------
    mu : array_like
        One parameter set (a 1-D array, a number, or a dict by name with a space).
    name : str
        The argument name used in error messages.
    n_params : int, optional
        The expected number of parameters.
    parameter_space : ParameterSpace, optional
        Gives the number, the names and the bounds of the parameters.
    """
    rows = check_parameters(mu, name, n_params=n_params, parameter_space=parameter_space)
    if rows.shape[0] != 1:
        raise ValueError(f"{name}: expected one parameter set, got {rows.shape[0]} rows")
    return rows[0]
