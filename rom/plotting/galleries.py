"""Galleries: a grid of fields (snapshots, modes, errors), optionally on one colour scale."""

from __future__ import annotations

from typing import Any

import numpy as np

from rom.plotting._common import real_matrix
from rom.plotting.fields import as_mesh, plot_field

__all__ = ["plot_errors", "plot_gallery", "plot_modes", "plot_snapshots"]


def _grid(ax: Any, k: int, ncols: int | None, projection: str | None) -> list:
    if ncols is not None and (isinstance(ncols, bool) or not isinstance(ncols, int) or ncols < 1):
        raise ValueError(f"ncols: expected a positive integer, got {ncols!r}")
    if ax is not None:
        axes = list(np.ravel(np.asarray(ax, dtype=object)))
        if len(axes) < k:
            raise ValueError(f"ax: {k} fields need {k} axes, got {len(axes)}")
        return axes[:k]
    import matplotlib.pyplot as plt

    ncols = min(k, 4) if ncols is None else min(ncols, k)
    nrows = -(-k // ncols)
    fig = plt.figure(figsize=(3.2 * ncols, 2.8 * nrows))
    return [fig.add_subplot(nrows, ncols, i + 1, projection=projection) for i in range(k)]


def plot_gallery(
    mesh: Any,
    fields: Any,
    ax: Any = None,
    *,
    titles: Any = None,
    ncols: int | None = None,
    shared_scale: bool = True,
    cmap: str = "viridis",
    colorbar: bool = True,
):
    """A grid of fields on one mesh, one panel per column of ``fields``.

    Parameters
    ----------
    mesh : meshio.Mesh, scikit-fem mesh, (points, cells) or points
        The mesh of every field (see :mod:`rom.plotting.fields`).
    fields : array (n_points, k) or (n_cells, k)
        The fields as columns (snapshots are columns).
    ax : sequence of matplotlib.axes.Axes, optional
        At least ``k`` axes to draw in; a new figure by default.
    titles : sequence of str, optional
        One title per field.
    ncols : int, optional
        Panels per row of a new figure (at most 4 by default).
    shared_scale : bool
        Whether all panels share one colour scale (the range of all fields), so that
        colours compare across panels.
    cmap : str
        Colour map.
    colorbar : bool
        Whether each panel has a colour bar.

    Returns
    -------
    list of matplotlib artists
        One per field, as :func:`plot_field` returns them (``artist.axes`` is the panel).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from rom.plotting import plot_gallery
    >>> x = np.linspace(0.0, 1.0, 20)
    >>> artists = plot_gallery(x, np.column_stack([x, x**2, x**3]), titles=["1", "2", "3"])
    >>> len(artists), artists[2].axes.get_title()
    (3, '3')
    """
    m = as_mesh(mesh)
    F = real_matrix(fields, "fields")
    k = F.shape[1]
    if k == 0:
        raise ValueError("fields: expected at least one column")
    if titles is not None:
        titles = [str(t) for t in titles]
        if len(titles) != k:
            raise ValueError(f"titles: expected {k} titles (one per field), got {len(titles)}")
    axes = _grid(ax, k, ncols, "3d" if m.kind == "surface" else None)
    vmin, vmax = (float(F.min()), float(F.max())) if shared_scale else (None, None)
    artists = []
    for j in range(k):
        artists.append(
            plot_field(
                m,
                F[:, j],
                axes[j],
                cmap=cmap,
                vmin=vmin,
                vmax=vmax,
                colorbar=colorbar,
                title=None if titles is None else titles[j],
            )
        )
    return artists


def plot_snapshots(mesh: Any, snapshots: Any, ax: Any = None, **kwargs: Any):
    """A gallery of snapshots (columns), on one colour scale by default.

    Parameters
    ----------
    mesh : meshio.Mesh, scikit-fem mesh, (points, cells) or points
        The mesh.
    snapshots : array (n, k)
        The snapshots as columns.
    ax : sequence of matplotlib.axes.Axes, optional
        At least ``k`` axes; a new figure by default.
    **kwargs
        Passed to :func:`plot_gallery` (``titles`` defaults to "snapshot j").

    Returns
    -------
    list of matplotlib artists
        One per snapshot.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from rom.plotting import plot_snapshots
    >>> x = np.linspace(0.0, 1.0, 20)
    >>> [a.axes.get_title() for a in plot_snapshots(x, np.column_stack([x, 2 * x]))]
    ['snapshot 0', 'snapshot 1']
    """
    k = real_matrix(snapshots, "snapshots").shape[1]
    kwargs.setdefault("titles", [f"snapshot {j}" for j in range(k)])
    return plot_gallery(mesh, snapshots, ax, **kwargs)


def plot_modes(mesh: Any, basis: Any, ax: Any = None, **kwargs: Any):
    """A gallery of basis vectors (columns), each on its own colour scale by default.

    Parameters
    ----------
    mesh : meshio.Mesh, scikit-fem mesh, (points, cells) or points
        The mesh.
    basis : array (n, r)
        The modes as columns (``POD.basis_``).
    ax : sequence of matplotlib.axes.Axes, optional
        At least ``r`` axes; a new figure by default.
    **kwargs
        Passed to :func:`plot_gallery` (``titles`` defaults to "mode i", starting at
        1, and ``shared_scale`` to False).

    Returns
    -------
    list of matplotlib artists
        One per mode.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from rom.plotting import plot_modes
    >>> x = np.linspace(0.0, 1.0, 20)
    >>> [a.axes.get_title() for a in plot_modes(x, np.column_stack([x, x**2]))]
    ['mode 1', 'mode 2']
    """
    r = real_matrix(basis, "basis").shape[1]
    kwargs.setdefault("titles", [f"mode {i + 1}" for i in range(r)])
    kwargs.setdefault("shared_scale", False)
    return plot_gallery(mesh, basis, ax, **kwargs)


def plot_errors(mesh: Any, reference: Any, approximation: Any, ax: Any = None, **kwargs: Any):
    """A gallery of pointwise errors ``|reference - approximation|``, on one colour scale.

    Parameters
    ----------
    mesh : meshio.Mesh, scikit-fem mesh, (points, cells) or points
        The mesh.
    reference : array (n, k)
        The reference fields as columns (the full-order solutions).
    approximation : array (n, k)
        The approximations, same shape.
    ax : sequence of matplotlib.axes.Axes, optional
        At least ``k`` axes; a new figure by default.
    **kwargs
        Passed to :func:`plot_gallery` (``titles`` defaults to "error j" with the
        relative error of the field, ``cmap`` to "magma").

    Returns
    -------
    list of matplotlib artists
        One per field; their data are the absolute errors.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from rom.plotting import plot_errors
    >>> x = np.linspace(0.0, 1.0, 5)
    >>> (artist,) = plot_errors(x, x, x + 0.5 * x**2)
    >>> artist.get_ydata().tolist()
    [0.0, 0.03125, 0.125, 0.28125, 0.5]
    """
    R = real_matrix(reference, "reference")
    A = real_matrix(approximation, "approximation")
    if A.shape != R.shape:
        raise ValueError(
            f"approximation: expected the shape of reference {R.shape}, got {A.shape}"
        )
    E = np.abs(R - A)
    norms = np.linalg.norm(R, axis=0)
    rel = np.linalg.norm(R - A, axis=0) / np.where(norms > 0, norms, 1.0)
    kwargs.setdefault("titles", [f"error {j} (rel. {r:.1e})" for j, r in enumerate(rel)])
    kwargs.setdefault("cmap", "magma")
    return plot_gallery(mesh, E, ax, **kwargs)
