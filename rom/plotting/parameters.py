"""The error at each point of a parameter sample: a scatter plot, or pairs of parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.plotting._common import real_vector

__all__ = ["plot_parameter_errors"]


def _names_and_log(n: int, names: Any, parameter_space: Any) -> tuple[list[str], set[str]]:
    if parameter_space is not None:
        if not hasattr(parameter_space, "names") or not hasattr(parameter_space, "log"):
            raise TypeError(
                "parameter_space: expected a rom.ParameterSpace, got "
                f"{type(parameter_space).__name__}"
            )
        if len(parameter_space.names) != n:
            raise ValueError(
                f"parameter_space: it has {len(parameter_space.names)} parameters, the "
                f"parameters have {n} columns"
            )
        space_names = list(parameter_space.names)
        log = set(parameter_space.log)
    else:
        space_names, log = [f"mu_{i}" for i in range(n)], set()
    if names is None:
        return space_names, log
    names = [str(s) for s in names]
    if len(names) != n:
        raise ValueError(f"names: expected {n} names (one per parameter), got {len(names)}")
    return names, {names[i] for i, s in enumerate(space_names) if s in log}


def plot_parameter_errors(
    parameters: Any,
    errors: Any,
    ax: Any = None,
    *,
    names: Any = None,
    parameter_space: Any = None,
    cmap: str = "viridis",
    log_errors: bool = True,
    title: str | None = None,
):
    """Where in the parameter space the model is accurate: the error at each sample point.

    One parameter: the error against the parameter. Two: a scatter of the sample,
    coloured by the error. More: the same scatter for every pair of parameters, in
    the lower triangle of a grid.

    Parameters
    ----------
    parameters : array (k, n_params)
        The parameter sets (rows).
    errors : array (k,)
        The error at each (non-negative).
    ax : matplotlib.axes.Axes or array of them, optional
        Where to draw: one axes for one or two parameters, a ``(p - 1, p - 1)`` array
        of axes for ``p > 2`` (only the lower triangle is drawn in); a new figure by
        default.
    names : sequence of str, optional
        Axis labels (the names of ``parameter_space`` by default).
    parameter_space : ParameterSpace, optional
        Gives the names and which axes are on a log scale.
    cmap : str
        Colour map.
    log_errors : bool
        Whether the colours (or the y axis, for one parameter) are on a log scale;
        zero errors are then drawn at the smallest positive one.
    title : str, optional
        Title of the axes (of the figure, for pairs).

    Returns
    -------
    matplotlib artist or ndarray of axes
        The ``PathCollection`` of the scatter (two parameters), the ``Line2D`` (one),
        or the ``(p - 1, p - 1)`` array of axes (more; unused ones are hidden).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from rom.plotting import plot_parameter_errors
    >>> mus = np.array([[0.1, 1.0], [0.5, 2.0], [0.9, 3.0]])
    >>> points = plot_parameter_errors(mus, [1e-3, 1e-5, 1e-4])
    >>> points.get_offsets().tolist(), points.get_array().tolist()
    ([[0.1, 1.0], [0.5, 2.0], [0.9, 3.0]], [0.001, 1e-05, 0.0001])
    """
    from matplotlib.colors import LogNorm, Normalize

    from rom.plotting._common import new_axes

    mus = (
        np.asarray(parameters, dtype=float)
        if not isinstance(parameters, np.ndarray)
        else parameters
    )
    if mus.ndim == 1:
        mus = mus[:, None]
    if mus.ndim != 2 or mus.shape[0] == 0 or mus.shape[1] == 0:
        raise ValueError(f"parameters: expected a 2-D array (k, n_params), got shape {mus.shape}")
    mus = mus.astype(float)
    if not np.all(np.isfinite(mus)):
        raise ValueError("parameters: values must be finite")
    e = real_vector(errors, "errors")
    if len(e) != mus.shape[0]:
        raise ValueError(
            f"errors: expected {mus.shape[0]} errors (one per parameter row), got {len(e)}"
        )
    if np.any(e < 0):
        raise ValueError("errors: expected non-negative errors")
    n = mus.shape[1]
    labels, log = _names_and_log(n, names, parameter_space)
    if log_errors:
        positive = e[e > 0]
        floor = positive.min() if positive.size else 1.0
        e = np.maximum(e, floor)
        norm = LogNorm(e.min(), max(e.max(), e.min() * (1 + 1e-12)))
    else:
        norm = Normalize(e.min(), e.max())
    if n == 1:
        ax = new_axes(ax)
        order = np.argsort(mus[:, 0], kind="stable")
        (artist,) = ax.plot(mus[order, 0], e[order], "o-", ms=3)
        ax.set_xlabel(labels[0])
        ax.set_ylabel("error")
        if log_errors:
            ax.set_yscale("log")
        if labels[0] in log:
            ax.set_xscale("log")
        if title is not None:
            ax.set_title(title)
        return artist
    if n == 2:
        ax = new_axes(ax)
        artist = _scatter(ax, mus[:, 0], mus[:, 1], e, cmap, norm, labels[:2], log)
        ax.figure.colorbar(artist, ax=ax, label="error")
        if title is not None:
            ax.set_title(title)
        return artist
    if ax is None:
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(
            n - 1, n - 1, figsize=(2.6 * (n - 1), 2.4 * (n - 1)), squeeze=False
        )
    else:
        axes = np.asarray(ax, dtype=object)
        if axes.shape != (n - 1, n - 1):
            raise ValueError(
                f"ax: {n} parameters need a ({n - 1}, {n - 1}) array of axes, got shape "
                f"{axes.shape}"
            )
        fig = axes[0, 0].figure
    artist = None
    for i in range(1, n):
        for j in range(n - 1):
            panel = axes[i - 1, j]
            if j >= i:
                panel.set_visible(False)
                continue
            artist = _scatter(
                panel, mus[:, j], mus[:, i], e, cmap, norm, [labels[j], labels[i]], log
            )
    fig.colorbar(artist, ax=list(axes.ravel()), label="error")
    if title is not None:
        fig.suptitle(title)
    return axes


def _scatter(ax, x, y, e, cmap, norm, labels, log):
    artist = ax.scatter(x, y, c=e, cmap=cmap, norm=norm, s=18, edgecolors="none")
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    if labels[0] in log:
        ax.set_xscale("log")
    if labels[1] in log:
        ax.set_yscale("log")
    return artist
