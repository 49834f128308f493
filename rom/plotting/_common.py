"""Helpers shared by the plotting modules: axes, value checks, colour scales."""

from __future__ import annotations

from typing import Any

import numpy as np


def new_axes(ax: Any, projection: str | None = None, figsize: tuple = (6, 4)) -> Any:
    """``ax`` if given (checked to be a matplotlib Axes), else the axes of a new figure."""
    if ax is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=figsize)
        return fig.add_subplot(projection=projection)
    from matplotlib.axes import Axes

    if not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes, got {type(ax).__name__}")
    if projection == "3d" and getattr(ax, "name", None) != "3d":
        raise ValueError("ax: a surface in 3-D needs axes made with projection='3d'")
    return ax


def real_vector(values: Any, name: str, finite: bool = True) -> np.ndarray:
    """A real 1-D float array, finite unless ``finite=False`` (an ``(n, 1)`` column too)."""
    try:
        v = np.asarray(values)
    except Exception as err:  # ragged lists and the like
        raise TypeError(f"{name}: expected an array of numbers ({err})") from err
    if v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of values, got shape {v.shape}")
    if np.iscomplexobj(v):
        raise ValueError(f"{name}: complex values cannot be drawn; pass .real, .imag or abs()")
    if not (np.issubdtype(v.dtype, np.number) or v.dtype == bool):
        raise TypeError(f"{name}: expected numbers, got dtype {v.dtype}")
    v = v.astype(float)
    if finite and not np.all(np.isfinite(v)):
        raise ValueError(f"{name}: values must be finite (no NaN or inf)")
    return v


def real_matrix(values: Any, name: str) -> np.ndarray:
    """A finite real 2-D float array (columns are fields)."""
    v = np.asarray(values)
    if v.ndim == 1:
        v = v[:, None]
    if v.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D array (fields as columns), got shape {v.shape}")
    if np.iscomplexobj(v):
        raise ValueError(f"{name}: complex values cannot be drawn; pass .real, .imag or abs()")
    if not np.issubdtype(v.dtype, np.number):
        raise TypeError(f"{name}: expected numbers, got dtype {v.dtype}")
    v = v.astype(float)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name}: values must be finite (no NaN or inf)")
    return v
