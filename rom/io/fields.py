"""Mesh fields through meshio: snapshot matrices in, ParaView-ready files out."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rom.io.persist import atomic_write

__all__ = ["read_fields", "write_fields"]


def _meshio():
    import meshio  # imported on use: it is slow to import

    return meshio


def _field(mesh: Any, name: str, path: Path) -> np.ndarray:
    if name in mesh.point_data:
        values = np.asarray(mesh.point_data[name])
    elif name in mesh.cell_data:
        values = np.concatenate([np.asarray(block) for block in mesh.cell_data[name]])
    else:
        available = sorted(set(mesh.point_data) | set(mesh.cell_data))
        raise ValueError(f"name: no field {name!r} in {str(path)!r}; available: {available}")
    return values.reshape(values.shape[0], -1)


def read_fields(paths: str | os.PathLike | Sequence[str | os.PathLike], name: str):
    """Read field ``name`` from mesh files into a snapshot matrix (snapshots are columns).

    Any format meshio reads works (VTU, XDMF, Gmsh, medit, ...). Point data is looked
    up first, then cell data. A vector field with ``c`` components at ``p`` points
    becomes a column of ``p * c`` entries (point-major: ``x0, y0, z0, x1, ...``).
    Every file must carry the field on the same number of points or cells.

    Parameters
    ----------
    paths : path or sequence of paths
        One file per snapshot.
    name : str
        Field name.

    Returns
    -------
    S : numpy.ndarray, shape (n_values, n_files)
    mesh : meshio.Mesh
        The first file's mesh (its points and cells, to write results back).

    Examples
    --------
    >>> import numpy as np, meshio, tempfile, os
    >>> from rom.io import read_fields
    >>> pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    >>> d = tempfile.mkdtemp()
    >>> for k in range(2):
    ...     meshio.Mesh(pts, [("triangle", [[0, 1, 2]])], point_data={"u": pts[:, 0] + k}
    ...                 ).write(os.path.join(d, f"s{k}.vtu"))
    >>> S, mesh = read_fields([os.path.join(d, f"s{k}.vtu") for k in range(2)], "u")
    >>> S.shape
    (3, 2)
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    if not isinstance(paths, Sequence) or isinstance(paths, str):
        raise TypeError(
            f"paths: expected a path or a sequence of paths, got {type(paths).__name__}"
        )
    if len(paths) == 0:
        raise ValueError("paths: expected at least one file")
    if not isinstance(name, str) or not name:
        raise TypeError(f"name: expected a field name (non-empty str), got {name!r}")
    meshio = _meshio()
    columns, first = [], None
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise FileNotFoundError(f"paths: no such file {str(path)!r}")
        try:
            mesh = meshio.read(path)
        except Exception as err:  # meshio raises many kinds of errors on bad files
            raise ValueError(
                f"paths: {str(path)!r} could not be read as a mesh ({err.__class__.__name__}: "
                f"{err})"
            ) from err
        except SystemExit as err:  # meshio exits when none of its readers accepts the file
            raise ValueError(
                f"paths: {str(path)!r} could not be read as a mesh (no meshio reader accepts it)"
            ) from err
        values = _field(mesh, name, path)
        if first is None:
            first, shape = mesh, values.shape
        elif values.shape != shape:
            raise ValueError(
                f"paths: field {name!r} in {str(path)!r} has shape {values.shape}, but "
                f"{shape} in the first file: the snapshots must share one mesh"
            )
        columns.append(values.ravel())
    S = np.stack(columns, axis=1)
    if not np.isfinite(S).all():
        bad = [str(p) for p, c in zip(paths, columns, strict=True) if not np.isfinite(c).all()]
        raise ValueError(f"paths: field {name!r} has NaN or inf values in {bad[:5]}")
    return S, first


def write_fields(path: str | os.PathLike, mesh: Any, fields: Mapping[str, Any]) -> None:
    """Write point fields on ``mesh`` to ``path`` (format from the suffix), atomically.

    Parameters
    ----------
    path : path
        Destination, e.g. ``"modes.vtu"`` for ParaView.
    mesh : meshio.Mesh
        Mesh whose points and cells are written.
    fields : mapping of str to array
        Arrays of shape ``(n_points,)`` or ``(n_points, c)``, or flattened vector
        fields of ``n_points * c`` values (reshaped point-major, the layout of
        :func:`read_fields`).

    Examples
    --------
    >>> import numpy as np, meshio, tempfile, os
    >>> from rom.io import write_fields
    >>> mesh = meshio.Mesh(np.eye(3)[:, :2], [("triangle", [[0, 1, 2]])])
    >>> path = os.path.join(tempfile.mkdtemp(), "out.vtu")
    >>> write_fields(path, mesh, {"mode0": np.arange(3.0)})
    >>> sorted(meshio.read(path).point_data)
    ['mode0']
    """
    meshio = _meshio()
    if not isinstance(mesh, meshio.Mesh):
        raise TypeError(f"mesh: expected a meshio.Mesh, got {type(mesh).__name__}")
    if not isinstance(fields, Mapping) or not fields:
        raise TypeError("fields: expected a non-empty mapping of names to arrays")
    n = len(mesh.points)
    point_data = {}
    for key, value in fields.items():
        if not isinstance(key, str):
            raise TypeError(f"fields: names must be strings, got {key!r}")
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"fields[{key!r}]: expected a real numeric array, got {arr.dtype}")
        if arr.ndim == 0 or arr.shape[0] != n:
            if arr.ndim == 1 and n > 0 and arr.size % n == 0:
                arr = arr.reshape(n, -1)
            else:
                raise ValueError(
                    f"fields[{key!r}]: expected {n} rows (one per mesh point), got shape "
                    f"{arr.shape}"
                )
        point_data[key] = arr
    out = meshio.Mesh(mesh.points, mesh.cells, point_data=point_data)
    path = Path(path)
    with atomic_write(path) as tmp:  # the temporary name keeps the suffix: same format
        out.write(tmp)
