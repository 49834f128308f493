"""The closure hook: a correction ``closure(a, mu, t) -> (r,)`` of the reduced right-hand side."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["check_closure", "closure_name", "evaluate_closure"]


def closure_name(closure: Any) -> str:
    """A readable name for error messages: the function's or the class's name."""
    return getattr(closure, "__name__", None) or type(closure).__name__


def check_closure(closure: Any) -> Callable[..., Any] | None:
    """Validate a closure at the boundary: None or a callable ``(a, mu, t) -> (r,)``.

    Parameters
    ----------
    closure : object
        The closure to check.

    Examples
    --------
    >>> from rom.galerkin.closure import check_closure
    >>> check_closure(None) is None
    True
    """
    if closure is None:
        return None
    if not callable(closure):
        raise TypeError(
            f"closure: expected a callable closure(a, mu, t) -> (r,) array or None, "
            f"got {type(closure).__name__}"
        )
    return closure


def evaluate_closure(closure: Callable[..., Any], a: np.ndarray, mu: Any, t: float) -> np.ndarray:
    """``closure(a, mu, t)`` checked: a finite array of the shape of ``a`` (real for real ``a``).

    Parameters
    ----------
    closure : callable
        ``closure(a, mu, t)``.
    a : array
        Reduced coordinates.
    mu : array_like or float
        The parameter set.
    t : float
        The time.

    Raises
    ------
    ValueError
        If the result has the wrong shape or contains NaN or inf; the message names
        the closure, the shape and the time.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.galerkin.closure import evaluate_closure
    >>> evaluate_closure(lambda a, mu, t: -mu * a, np.ones(2), 0.5, 0.0).tolist()
    [-0.5, -0.5]
    """
    return check_closure_value(closure(a, mu, t), a, closure_name(closure), t)


def check_closure_value(value: Any, a: np.ndarray, name: str, t: Any) -> np.ndarray:
    """Check one value returned by the closure called ``name``: a finite array of the
    shape of the coordinates ``a``, real when ``a`` is real (complex coordinates take
    real or complex values); the error names the closure and the time."""
    kind = "complex" if np.iscomplexobj(a) else "real"
    if kind == "real" and np.iscomplexobj(value):
        raise TypeError(
            f"closure {name!r}: expected a real array of shape {a.shape} (the coordinates "
            "are real), got a complex one"
        )
    try:
        value = np.asarray(value, dtype=complex if kind == "complex" else float)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"closure {name!r}: expected a {kind} array of shape {a.shape}, "
            f"got {type(value).__name__}"
        ) from err
    if value.shape != a.shape:
        raise ValueError(
            f"closure {name!r}: expected an array of shape {a.shape} (one entry per reduced "
            f"coordinate), got shape {value.shape}"
        )
    if not np.isfinite(value).all():
        raise ValueError(f"closure {name!r}: returned NaN or inf at t = {t!r}")
    return value
