"""Curves: greedy convergence and singular value decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.plotting._common import new_axes, real_vector

__all__ = ["plot_convergence", "plot_singular_values"]


def plot_convergence(
    estimated: Any,
    true: Any = None,
    ax: Any = None,
    relative_to: float | None = None,
    title: str = "greedy convergence",
):
    """Largest estimated (and true) error against the basis size, log scale.

    Parameters
    ----------
    estimated : array (N_max + 1,)
        Largest error bound with 0, 1, ... basis vectors (``GreedyResult.errors``).
    true : array, optional
        Largest true error for the same sizes.
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    relative_to : float, optional
        Divide both curves by this value (e.g. the largest solution norm).
    title : str
        The title of the axes.

    Returns
    -------
    matplotlib.figure.Figure
        The figure that holds the axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from rom.plotting import plot_convergence
    >>> fig = plot_convergence([1.0, 1e-2, 1e-5], [0.5, 3e-3, 1e-6])
    >>> fig.axes[0].lines[0].get_ydata().tolist()
    [1.0, 0.01, 1e-05]
    """
    ax = new_axes(ax)
    scale = 1.0 if relative_to is None else float(relative_to)
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"relative_to: expected a positive number, got {relative_to!r}")
    est = real_vector(estimated, "estimated", finite=False) / scale  # NaN, inf: gaps
    ax.semilogy(np.arange(len(est)), est, "o-", ms=3, label="max error bound")
    if true is not None:
        tr = real_vector(true, "true", finite=False) / scale
        ax.semilogy(np.arange(len(tr)), tr, "s--", ms=3, label="max true error")
    ax.set_xlabel("basis size N")
    ax.set_ylabel("relative error" if relative_to is not None else "error")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return ax.figure


def plot_singular_values(singular_values: Any, ax: Any = None, label: str | None = None):
    """Normalised singular value decay ``sigma_i / sigma_1``, log scale.

    Parameters
    ----------
    singular_values : array (r,)
        Singular values in decreasing order (``POD.singular_values_``).
    ax : matplotlib.axes.Axes, optional
        Where to draw; a new figure by default.
    label : str, optional
        Legend entry of the curve.

    Returns
    -------
    matplotlib.figure.Figure
        The figure that holds the axes.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from rom.plotting import plot_singular_values
    >>> fig = plot_singular_values([4.0, 2.0, 1.0])
    >>> fig.axes[0].lines[0].get_ydata().tolist()
    [1.0, 0.5, 0.25]
    """
    ax = new_axes(ax)
    s = real_vector(singular_values, "singular_values")
    if s.size == 0 or s[0] <= 0:
        raise ValueError("singular_values: expected a non-empty array with a positive first value")
    ax.semilogy(np.arange(1, len(s) + 1), s / s[0], ".-", label=label)
    ax.set_xlabel("index i")
    ax.set_ylabel(r"$\sigma_i / \sigma_1$")
    ax.grid(True, which="both", alpha=0.3)
    if label:
        ax.legend()
    return ax.figure
