"""Mesh fields through meshio: snapshot matrices in, ParaView-ready files out."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["check_mesh_format", "read_fields", "write_fields", "write_series"]


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


class _staged_files:
    """A hidden temporary directory beside ``path`` whose files replace their namesakes.

    Writers that produce several files (XDMF writes ``name.xdmf`` and ``name.h5``,
    which it names inside the ``.xdmf``) write them under their final names in the
    temporary directory; on success every file moves into place, ``main`` last, so a
    reader that opens ``main`` finds its companions whole. On failure nothing is moved
    and the directory is removed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def __enter__(self) -> Path:
        directory = self.path.parent
        if not directory.is_dir():
            raise FileNotFoundError(f"path: directory {str(directory)!r} does not exist")
        self.tmp = directory / f".{self.path.name}.{secrets.token_hex(8)}.tmp"
        self.tmp.mkdir()
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                produced = sorted(p.name for p in self.tmp.iterdir() if p.is_file())
                produced.sort(key=lambda name: name == self.path.name)  # the main file last
                for name in produced:
                    with open(self.tmp / name, "rb+") as fh:
                        os.fsync(fh.fileno())
                    os.replace(self.tmp / name, self.path.parent / name)
        finally:
            shutil.rmtree(self.tmp, ignore_errors=True)


def check_mesh_format(path: str | os.PathLike) -> None:
    """Raise ``ValueError`` unless meshio has a format for the suffix of ``path``.

    A check before the work whose result goes there; the writer may still refuse a
    mesh its format cannot hold (see :func:`write_fields`).

    Examples
    --------
    >>> from rom.io.fields import check_mesh_format
    >>> check_mesh_format("modes.vtu")
    >>> check_mesh_format("modes.csv")
    Traceback (most recent call last):
    ...
    ValueError: path: meshio writes no format for the suffix '.csv' of 'modes.csv'; ...
    """
    _check_format(_meshio(), Path(path))


def _check_format(meshio: Any, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix not in meshio.extension_to_filetypes:
        known = sorted(meshio.extension_to_filetypes)
        raise ValueError(
            f"path: meshio writes no format for the suffix {suffix or '(none)'!r} of "
            f"{str(path)!r}; use one of {known} (.vtu for ParaView)"
        )


def _write_mesh(meshio: Any, mesh: Any, path: Path) -> None:
    """``mesh.write(path)``, with meshio's many kinds of failure as one clear error."""
    try:
        mesh.write(path)
    except ImportError as err:  # a format that needs an optional package (h5py, netCDF4)
        raise ImportError(
            f"path: writing {path.name!r} needs the package {err.name or ''!r}, which is not "
            f"installed ({err}); install it, or write .vtu"
        ) from err
    except Exception as err:  # ReadError, WriteError, IndexError, ...: the format refuses
        raise ValueError(
            f"path: meshio could not write this mesh as {path.suffix!r} "
            f"({type(err).__name__}: {err}); .vtu takes any mesh"
        ) from err
    except SystemExit as err:  # some meshio versions exit on an unknown format
        raise ValueError(f"path: meshio has no writer for {str(path)!r}") from err


def _point_data(meshio: Any, mesh: Any, fields: Mapping[str, Any], name: str) -> dict:
    if not isinstance(fields, Mapping) or not fields:
        raise TypeError(f"{name}: expected a non-empty mapping of names to arrays")
    n = len(mesh.points)
    point_data = {}
    for key, value in fields.items():
        if not isinstance(key, str):
            raise TypeError(f"{name}: names must be strings, got {key!r}")
        arr = np.asarray(value)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{name}[{key!r}]: expected a real numeric array, got {arr.dtype}")
        if arr.ndim == 0 or arr.shape[0] != n:
            if arr.ndim == 1 and n > 0 and arr.size % n == 0:
                arr = arr.reshape(n, -1)
            else:
                raise ValueError(
                    f"{name}[{key!r}]: expected {n} rows (one per mesh point), got shape "
                    f"{arr.shape}"
                )
        point_data[key] = arr
    return point_data


def write_fields(path: str | os.PathLike, mesh: Any, fields: Mapping[str, Any]) -> None:
    """Write point fields on ``mesh`` to ``path`` (format from the suffix), atomically.

    Every file the format produces is written whole before it appears: XDMF's heavy
    data file ``name.h5`` (named inside ``name.xdmf``) lands beside it under its final
    name, the ``.xdmf`` last.

    Parameters
    ----------
    path : path
        Destination, e.g. ``"modes.vtu"`` for ParaView; any suffix meshio writes.
    mesh : meshio.Mesh
        Mesh whose points and cells are written.
    fields : mapping of str to array
        Arrays of shape ``(n_points,)`` or ``(n_points, c)``, or flattened vector
        fields of ``n_points * c`` values (reshaped point-major, the layout of
        :func:`read_fields`).

    Raises
    ------
    ValueError
        A suffix meshio has no writer for, or a mesh the format cannot hold.
    ImportError
        A format whose writer needs a package that is not installed (h5py for XDMF).

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
    point_data = _point_data(meshio, mesh, fields, "fields")
    path = Path(path)
    _check_format(meshio, path)
    out = meshio.Mesh(mesh.points, mesh.cells, point_data=point_data)
    with _staged_files(path) as tmp:
        _write_mesh(meshio, out, tmp / path.name)


def write_series(
    path: str | os.PathLike,
    mesh: Any,
    fields: Sequence[Mapping[str, Any]],
    times: Sequence[float] | None = None,
) -> list[Path]:
    """Write a ParaView collection: ``path`` (``.pvd``) and one ``.vtu`` per entry.

    The ``.vtu`` files are named ``<stem>_000.vtu``, ``<stem>_001.vtu``, ... beside
    ``path``; the ``.pvd`` lists them with their times (ParaView plays them as a time
    series). Everything is written in a temporary directory first and moved into
    place, the ``.pvd`` last.

    Parameters
    ----------
    path : path
        The collection file; its suffix must be ``.pvd``.
    mesh : meshio.Mesh
    fields : sequence of mappings of str to array
        The point fields of each step (see :func:`write_fields`).
    times : sequence of float, optional
        The time value of each step; ``0, 1, 2, ...`` by default.

    Returns
    -------
    list of Path
        The ``.vtu`` files, in order.

    Examples
    --------
    >>> import numpy as np, meshio, tempfile, os
    >>> from rom.io.fields import write_series
    >>> mesh = meshio.Mesh(np.eye(3)[:, :2], [("triangle", [[0, 1, 2]])])
    >>> path = os.path.join(tempfile.mkdtemp(), "series.pvd")
    >>> files = write_series(path, mesh, [{"u": np.zeros(3)}, {"u": np.ones(3)}])
    >>> [f.name for f in files], meshio.read(files[1]).point_data["u"].tolist()
    (['series_000.vtu', 'series_001.vtu'], [1.0, 1.0, 1.0])
    """
    from xml.sax.saxutils import quoteattr

    meshio = _meshio()
    if not isinstance(mesh, meshio.Mesh):
        raise TypeError(f"mesh: expected a meshio.Mesh, got {type(mesh).__name__}")
    path = Path(path)
    if path.suffix.lower() != ".pvd":
        raise ValueError(f"path: a collection is written as .pvd, got {str(path)!r}")
    if isinstance(fields, Mapping) or not isinstance(fields, Sequence) or not fields:
        raise TypeError("fields: expected a non-empty sequence of mappings (one per step)")
    steps = [_point_data(meshio, mesh, f, f"fields[{k}]") for k, f in enumerate(fields)]
    if times is None:
        times = list(range(len(steps)))
    times = [float(t) for t in times]
    if len(times) != len(steps):
        raise ValueError(f"times: expected {len(steps)} values, one per step, got {len(times)}")
    width = max(3, len(str(len(steps) - 1)))
    names = [f"{path.stem}_{k:0{width}d}.vtu" for k in range(len(steps))]
    with _staged_files(path) as tmp:
        for name, point_data in zip(names, steps, strict=True):
            out = meshio.Mesh(mesh.points, mesh.cells, point_data=point_data)
            _write_mesh(meshio, out, tmp / name)
        rows = "".join(
            f'    <DataSet timestep="{t!r}" group="" part="0" file={quoteattr(name)}/>\n'
            for t, name in zip(times, names, strict=True)
        )
        (tmp / path.name).write_text(
            '<?xml version="1.0"?>\n'
            '<VTKFile type="Collection" version="0.1" byte_order="LittleEndian">\n'
            f"  <Collection>\n{rows}  </Collection>\n</VTKFile>\n"
        )
    return [path.parent / name for name in names]
