"""Fields on meshes: 1-D lines, 2-D triangulations (quads split), surfaces in 3-D.

A *mesh* is any of

- a :class:`meshio.Mesh` (what :func:`rom.io.read_fields` returns): its triangles,
  quads (and the corner nodes of their higher-order forms) or, for a 1-D mesh, lines;
- a scikit-fem mesh (anything with point coordinates ``p`` of shape ``(dim, n)`` and
  cells ``t`` of shape ``(nodes_per_cell, m)``);
- a pair ``(points, cells)``: points ``(n, d)`` and an integer array of cells
  ``(m, 2)`` (lines), ``(m, 3)`` (triangles) or ``(m, 4)`` (quads), or ``None``;
- an array of points alone: ``(n,)`` or ``(n, 1)`` is a 1-D mesh, ``(n, 2)`` is
  triangulated (Delaunay).

A field has one value per point, or one per cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from rom.plotting._common import new_axes, real_vector

__all__ = ["PlotMesh", "as_mesh", "plot_field", "update_field"]

_FACE_NODES = {"triangle": 3, "triangle6": 3, "triangle7": 3, "quad": 4, "quad8": 4, "quad9": 4}
_LINE_NODES = {"line": 2, "line3": 2}


@dataclass(frozen=True)
class PlotMesh:
    """A mesh ready to draw.

    Parameters
    ----------
    points : ndarray, shape (n, d)
        Coordinates, ``d`` in 1, 2 or 3.
    triangles : ndarray of int, shape (m, 3), optional
        Triangles (quads already split in two).
    cell_of_triangle : ndarray of int, shape (m,), optional
        The input cell that each triangle comes from (cell data is drawn through it).
    n_cells : int
        Number of cells of the input mesh (0 where it had none).
    lines : ndarray of int, shape (m, 2), optional
        The segments of a 1-D mesh.
    """

    points: np.ndarray
    triangles: np.ndarray | None = None
    cell_of_triangle: np.ndarray | None = None
    n_cells: int = 0
    lines: np.ndarray | None = None

    @property
    def n_points(self) -> int:
        """Number of points."""
        return self.points.shape[0]

    @property
    def kind(self) -> str:
        """``"line"`` (1-D), ``"plane"`` (2-D) or ``"surface"`` (3-D)."""
        d = self.points.shape[1]
        if d == 1:
            return "line"
        if d == 2 or np.ptp(self.points[:, 2]) == 0:
            return "plane"
        return "surface"


def _faces(blocks: list[tuple[str, np.ndarray]]) -> tuple[np.ndarray, np.ndarray, int]:
    """Triangles and their source cells from ``(type, cells)`` blocks (quads split)."""
    triangles, sources, offset, n_cells = [], [], 0, 0
    for kind, cells in blocks:
        cells = np.asarray(cells)
        n_cells += len(cells)
        if kind in _FACE_NODES:
            ids = offset + np.arange(len(cells))
            corners = cells[:, : _FACE_NODES[kind]]
            if corners.shape[1] == 3:
                triangles.append(corners)
                sources.append(ids)
            else:
                triangles += [corners[:, [0, 1, 2]], corners[:, [0, 2, 3]]]
                sources += [ids, ids]
        offset += len(cells)
    if not triangles:
        return np.zeros((0, 3), int), np.zeros(0, int), n_cells
    return np.concatenate(triangles), np.concatenate(sources), n_cells


def _check_cells(cells: np.ndarray, n_points: int) -> np.ndarray:
    if not np.issubdtype(cells.dtype, np.integer):
        raise TypeError(f"mesh: cells must be integers, got dtype {cells.dtype}")
    if cells.size and (cells.min() < 0 or cells.max() >= n_points):
        raise ValueError(
            f"mesh: cell indices must lie in [0, {n_points}), got {cells.min()}..{cells.max()}"
        )
    return cells


def as_mesh(mesh: Any) -> PlotMesh:
    """Read any of the accepted mesh forms (see the module docstring) into a PlotMesh.

    Parameters
    ----------
    mesh : meshio.Mesh, scikit-fem mesh, (points, cells) or points
        The mesh.

    Returns
    -------
    PlotMesh
        Points ``(n, d)`` and triangles (2-D and surfaces) or lines (1-D).

    Examples
    --------
    >>> import numpy as np
    >>> from rom.plotting import as_mesh
    >>> square = as_mesh((np.array([[0, 0], [1, 0], [1, 1], [0, 1]]), np.array([[0, 1, 2, 3]])))
    >>> square.triangles.tolist(), square.kind
    ([[0, 1, 2], [0, 2, 3]], 'plane')
    """
    if isinstance(mesh, PlotMesh):
        return mesh
    blocks: list[tuple[str, np.ndarray]] = []
    if hasattr(mesh, "points") and hasattr(mesh, "cells"):  # meshio
        points = np.asarray(mesh.points, dtype=float)
        blocks = [(b.type, np.asarray(b.data)) for b in mesh.cells]
    elif hasattr(mesh, "p") and hasattr(mesh, "t"):  # scikit-fem
        points = np.asarray(mesh.p, dtype=float).T
        t = np.asarray(mesh.t).T
        blocks = [({2: "line", 3: "triangle", 4: "quad"}.get(t.shape[1], "other"), t)]
    elif isinstance(mesh, tuple) and len(mesh) == 2:
        points = np.asarray(mesh[0], dtype=float)
        if mesh[1] is not None:
            cells = np.asarray(mesh[1])
            if cells.ndim != 2 or cells.shape[1] not in (2, 3, 4):
                raise ValueError(
                    f"mesh: cells must have shape (m, 2), (m, 3) or (m, 4), got {cells.shape}"
                )
            blocks = [({2: "line", 3: "triangle", 4: "quad"}[cells.shape[1]], cells)]
    elif isinstance(mesh, (np.ndarray, list)):
        points = np.asarray(mesh, dtype=float)
    else:
        raise TypeError(
            "mesh: expected a meshio.Mesh, a scikit-fem mesh, (points, cells) or an array "
            f"of points, got {type(mesh).__name__}"
        )
    if points.ndim == 1:
        points = points[:, None]
    if points.ndim != 2 or points.shape[1] not in (1, 2, 3) or len(points) == 0:
        raise ValueError(
            f"mesh: points must have shape (n, 1), (n, 2) or (n, 3), got {points.shape}"
        )
    if not np.all(np.isfinite(points)):
        raise ValueError("mesh: point coordinates must be finite")
    for _, cells in blocks:
        _check_cells(cells, len(points))
    if points.shape[1] == 1:
        lines = [c[:, :2] for k, c in blocks if k in _LINE_NODES]
        n_cells = sum(len(c) for _, c in blocks)
        return PlotMesh(points, lines=np.concatenate(lines) if lines else None, n_cells=n_cells)
    triangles, sources, n_cells = _faces(blocks)
    if len(triangles) == 0:
        if points.shape[1] == 3 and np.ptp(points[:, 2]) != 0:
            raise ValueError("mesh: a surface in 3-D needs triangles or quads")
        from matplotlib.tri import Triangulation

        triangles = Triangulation(points[:, 0], points[:, 1]).triangles
        sources = None
    return PlotMesh(points, triangles, sources, n_cells)


def _values_at(mesh: PlotMesh, values: Any, name: str = "values") -> tuple[np.ndarray, str]:
    """The values and where they live: ``"point"`` or ``"cell"``."""
    v = real_vector(values, name)
    if len(v) == mesh.n_points:
        return v, "point"
    if mesh.n_cells and len(v) == mesh.n_cells:
        if mesh.cell_of_triangle is None and mesh.kind != "line":
            raise ValueError(f"{name}: cell values need a mesh with cells")
        return v, "cell"
    cells = f" or {mesh.n_cells} (one per cell)" if mesh.n_cells else ""
    raise ValueError(
        f"{name}: expected {mesh.n_points} values (one per point){cells}, got {len(v)}"
    )


def _line_xy(mesh: PlotMesh, v: np.ndarray, where: str) -> tuple[np.ndarray, np.ndarray]:
    x = mesh.points[:, 0]
    if where == "cell":
        if mesh.lines is None or len(mesh.lines) != len(v):
            raise ValueError("values: cell values of a 1-D mesh need its line cells")
        x = x[mesh.lines].mean(axis=1)
    order = np.argsort(x, kind="stable")
    return x[order], v[order]


def _surface_colors(mesh: PlotMesh, v: np.ndarray, where: str) -> np.ndarray:
    if where == "cell":
        return v[mesh.cell_of_triangle]
    return v[mesh.triangles].mean(axis=1)


def plot_field(
    mesh: Any,
    values: Any,
    ax: Any = None,
    *,
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    colorbar: bool = True,
    edges: bool = False,
    title: str | None = None,
):
    """Draw one field on a mesh.

    Point values of a 2-D mesh are interpolated linearly on its triangles (quads are
    split in two); cell values colour the cells. A 1-D mesh gives a curve (cell values
    at the cell midpoints); a surface in 3-D gives its triangles coloured by the cell
    value or the mean of their point values.

    Parameters
    ----------
    mesh : meshio.Mesh, scikit-fem mesh, (points, cells) or points
        The mesh (see :mod:`rom.plotting.fields` for the accepted forms).
    values : array (n_points,) or (n_cells,)
        The field: one real value per point, or one per cell.
    ax : matplotlib.axes.Axes, optional
        Where to draw (axes with ``projection="3d"`` for a surface); a new figure by
        default.
    cmap : str
        Colour map.
    vmin, vmax : float, optional
        Colour scale (the range of the values by default).
    colorbar : bool
        Whether to add a colour bar (2-D and surfaces).
    edges : bool
        Whether to draw the triangle edges (2-D).
    title : str, optional
        The title of the axes.

    Returns
    -------
    matplotlib artist
        A ``Line2D`` (1-D), a ``TriMesh`` (2-D point values), a ``PolyCollection``
        (2-D cell values) or a ``Poly3DCollection`` (surface). Its data is the field:
        ``get_ydata()`` of a curve, ``get_array()`` otherwise.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from rom.plotting import plot_field
    >>> points = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    >>> artist = plot_field((points, np.array([[0, 1, 2, 3]])), points[:, 0] + points[:, 1])
    >>> artist.get_array().tolist()
    [0.0, 1.0, 2.0, 1.0]
    """
    m = as_mesh(mesh)
    v, where = _values_at(m, values)
    for name, bound in (("vmin", vmin), ("vmax", vmax)):
        if bound is not None and not np.isfinite(bound):
            raise ValueError(f"{name}: expected a finite number, got {bound!r}")
    kind = m.kind
    ax = new_axes(ax, projection="3d" if kind == "surface" else None)
    if kind == "line":
        x, y = _line_xy(m, v, where)
        (artist,) = ax.plot(x, y, "-" if where == "point" else ".-")
        ax.set_xlabel("x")
        if vmin is not None or vmax is not None:
            ax.set_ylim(vmin, vmax)
    elif kind == "plane":
        from matplotlib.tri import Triangulation

        tri = Triangulation(m.points[:, 0], m.points[:, 1], m.triangles)
        if where == "point":
            artist = ax.tripcolor(tri, v, shading="gouraud", cmap=cmap, vmin=vmin, vmax=vmax)
        else:
            artist = ax.tripcolor(
                tri, facecolors=v[m.cell_of_triangle], cmap=cmap, vmin=vmin, vmax=vmax
            )
        if edges:
            ax.triplot(tri, color="k", lw=0.3, alpha=0.5)
        ax.set_aspect("equal")
    else:
        from mpl_toolkits.mplot3d.art3d import Poly3DCollection

        artist = Poly3DCollection(m.points[m.triangles], cmap=cmap)
        artist.set_array(_surface_colors(m, v, where))
        artist.set_clim(vmin, vmax)
        ax.add_collection3d(artist)
        lo, hi = m.points.min(axis=0), m.points.max(axis=0)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        ax.set_zlim(lo[2], hi[2])
    if colorbar and kind != "line":
        ax.figure.colorbar(artist, ax=ax)
    if title is not None:
        ax.set_title(title)
    artist.rom_mesh = m  # what update_field needs to redraw
    artist.rom_where = where
    return artist


def update_field(artist: Any, values: Any, rescale: bool = True) -> Any:
    """Give an artist drawn by :func:`plot_field` new values on the same mesh.

    Parameters
    ----------
    artist : matplotlib artist
        What :func:`plot_field` returned.
    values : array (n_points,) or (n_cells,)
        The new field, on the same points (or cells) as the first.
    rescale : bool
        Whether the colour scale (or the y axis of a curve) follows the new values.

    Returns
    -------
    matplotlib artist
        The same artist.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from rom.plotting import plot_field, update_field
    >>> x = np.linspace(0.0, 1.0, 5)
    >>> line = update_field(plot_field(x, x), x**2)
    >>> line.get_ydata().tolist()
    [0.0, 0.0625, 0.25, 0.5625, 1.0]
    """
    m = getattr(artist, "rom_mesh", None)
    if m is None:
        raise TypeError("artist: expected an artist returned by plot_field")
    v, where = _values_at(m, values)
    if where != artist.rom_where:
        raise ValueError(
            f"values: the field was drawn with {artist.rom_where} values, got {where} values"
        )
    if m.kind == "line":
        artist.set_ydata(_line_xy(m, v, where)[1])
        if rescale:
            artist.axes.relim()
            artist.axes.autoscale_view()
        return artist
    if m.kind == "plane":
        artist.set_array(v if where == "point" else v[m.cell_of_triangle])
    else:
        artist.set_array(_surface_colors(m, v, where))
    if rescale:
        artist.autoscale()
    return artist
