"""Matplotlib figures used by the notebooks, the docs and the command line.

matplotlib is imported when a function is called, never at ``import rom``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["plot_convergence", "plot_singular_values"]


def _axes(ax: Any):
    if ax is not None:
        return ax.figure, ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(6, 4))


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
    relative_to : float, optional
        Divide both curves by this value (e.g. the largest solution norm).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from rom.plotting import plot_convergence
    >>> fig = plot_convergence([1.0, 1e-2, 1e-5], [0.5, 3e-3, 1e-6])
    """
    fig, ax = _axes(ax)
    scale = 1.0 if relative_to is None else float(relative_to)
    est = np.asarray(estimated, dtype=float) / scale
    ax.semilogy(np.arange(len(est)), est, "o-", ms=3, label="max error bound")
    if true is not None:
        tr = np.asarray(true, dtype=float) / scale
        ax.semilogy(np.arange(len(tr)), tr, "s--", ms=3, label="max true error")
    ax.set_xlabel("basis size N")
    ax.set_ylabel("relative error" if relative_to is not None else "error")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    return fig


def plot_singular_values(singular_values: Any, ax: Any = None, label: str | None = None):
    """Normalised singular value decay ``sigma_i / sigma_1``, log scale."""
    fig, ax = _axes(ax)
    s = np.asarray(singular_values, dtype=float)
    ax.semilogy(np.arange(1, len(s) + 1), s / s[0], ".-", label=label)
    ax.set_xlabel("index i")
    ax.set_ylabel(r"$\sigma_i / \sigma_1$")
    ax.grid(True, which="both", alpha=0.3)
    if label:
        ax.legend()
    return fig
