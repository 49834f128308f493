"""Saving and loading romba objects: ``.npz`` arrays plus a JSON header, never pickle.

A saveable class implements ``_to_arrays() -> (settings, arrays)``, where
``settings`` is JSON-serialisable and ``arrays`` maps names to numpy arrays, scipy
sparse matrices or None, and the class method ``_from_arrays(settings, arrays)``.
Loading only ever instantiates classes of the ``rom`` package and never unpickles.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from rom._version import __version__

__all__ = ["FORMAT_VERSION", "atomic_write", "load", "nest", "save", "unnest"]

FORMAT_VERSION = 1
_HEADER = "__romba_header__"
_SPARSE_PARTS = ("data", "indices", "indptr")


class atomic_write:
    """Context manager giving a temporary path that replaces ``path`` on success.

    The temporary file sits in the destination directory (so the final rename is
    atomic on POSIX and Windows), keeps the destination's suffix (so writers that
    look at the extension pick the right format), gets the permissions of any newly
    created file (the umask applies), and is removed if anything fails, the final
    rename included: a reader never sees a half-written file.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from rom.io import atomic_write
    >>> target = os.path.join(tempfile.mkdtemp(), "a.npy")
    >>> with atomic_write(target) as tmp:
    ...     np.save(tmp, np.zeros(3))
    >>> np.load(target).shape
    (3,)
    """

    def __init__(self, path: str | os.PathLike) -> None:
        self.path = Path(path)

    def __enter__(self) -> Path:
        directory = self.path.parent
        if not directory.is_dir():
            raise FileNotFoundError(f"path: directory {str(directory)!r} does not exist")
        # not tempfile.mkstemp: its files are private (0o600) whatever the umask
        tmp = directory / f".{self.path.stem}.{secrets.token_hex(8)}.tmp{self.path.suffix}"
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        self.tmp = tmp
        return self.tmp

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None:
                with open(self.tmp, "rb+") as fh:
                    os.fsync(fh.fileno())
                os.replace(self.tmp, self.path)
        finally:  # a no-op after a successful rename
            self.tmp.unlink(missing_ok=True)


def nest(prefix: str, obj: Any) -> tuple[dict, dict]:
    """``obj._to_arrays()`` with every array name prefixed by ``prefix.``.

    For objects that save a part of themselves (a POD inside a surrogate): the part's
    settings go under one key of the owner's settings, its arrays beside the owner's.

    Examples
    --------
    >>> import numpy as np
    >>> from rom import POD
    >>> from rom.io.persist import nest, unnest
    >>> pod = POD(rank=1).fit(np.eye(3)[:, :2])
    >>> settings, arrays = nest("pod", pod)
    >>> sorted(arrays)[:2]
    ['pod.basis_', 'pod.energy_']
    >>> POD._from_arrays(settings, unnest("pod", arrays)).rank_
    1
    """
    settings, arrays = obj._to_arrays()
    return settings, {f"{prefix}.{name}": value for name, value in arrays.items()}


def unnest(prefix: str, arrays: dict) -> dict:
    """The arrays saved by :func:`nest` under ``prefix``, with their own names back."""
    start = f"{prefix}."
    return {k[len(start) :]: v for k, v in arrays.items() if k.startswith(start)}


def _class_path(obj: Any) -> str:
    cls = type(obj)
    return f"{cls.__module__}:{cls.__qualname__}"


def save(obj: Any, path: str | os.PathLike) -> None:
    """Save a fitted romba object to ``path`` as ``.npz`` arrays plus a JSON header.

    The file is written atomically. It can be read back with :func:`load` and is
    also a plain ``.npz`` readable by ``numpy.load(path, allow_pickle=False)``.

    Parameters
    ----------
    obj : object
        A fitted romba estimator (for example :class:`rom.linalg.POD`).
    path : str or path-like
        Destination file (conventionally ending in ``.npz``).

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> import rom
    >>> pod = rom.POD(rank=2).fit(np.random.default_rng(0).standard_normal((20, 5)))
    >>> path = os.path.join(tempfile.mkdtemp(), "pod.npz")
    >>> rom.save(pod, path)
    >>> np.allclose(rom.load(path).basis_, pod.basis_)
    True
    """
    if not hasattr(obj, "_to_arrays"):
        raise TypeError(f"obj: {type(obj).__name__} objects cannot be saved by romba")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path: expected a file path, got {type(path).__name__}")
    settings, arrays = obj._to_arrays()
    header = {
        "format": "romba",
        "format_version": FORMAT_VERSION,
        "romba_version": __version__,
        "class": _class_path(obj),
        "settings": settings,
        "none": [],
        "sparse": {},
    }
    payload: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if value is None:
            header["none"].append(name)
        elif hasattr(value, "tocsr") and hasattr(value, "nnz"):
            import scipy.sparse

            csr = scipy.sparse.csr_array(value)
            header["sparse"][name] = list(csr.shape)
            for part in _SPARSE_PARTS:
                payload[f"{name}.{part}"] = getattr(csr, part)
        else:
            arr = np.asarray(value)
            if arr.dtype.kind == "O":
                raise TypeError(f"obj: attribute {name!r} is not a numeric array")
            payload[name] = arr
    try:
        text = json.dumps(header, allow_nan=True)
    except TypeError as err:
        raise TypeError(
            f"obj: settings of {type(obj).__name__} are not JSON-serialisable"
        ) from err
    payload[_HEADER] = np.array(text)
    with atomic_write(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **payload)


def read_header(path: str | os.PathLike) -> dict:
    """Return the JSON header of a romba file (see :func:`load` for the errors)."""
    return _read(path)[0]


def _read(path: str | os.PathLike) -> tuple[dict, dict[str, np.ndarray]]:
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path: expected a file path, got {type(path).__name__}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"path: no such file {str(path)!r}")
    try:
        # the file is opened here so that it is closed even when numpy fails to parse it
        with open(path, "rb") as fh:
            data = np.load(fh, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):  # an .npy file
                raise ValueError("not an .npz archive")
            with data:
                if _HEADER not in data.files:
                    raise ValueError(f"path: {str(path)!r} is an .npz file but not a romba file")
                arrays = {name: data[name] for name in data.files}
    except ValueError as err:
        if str(err).startswith("path:"):
            raise
        raise ValueError(f"path: {str(path)!r} is not a readable romba file ({err})") from err
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as err:
        raise ValueError(
            f"path: {str(path)!r} is corrupt or not a romba file ({err.__class__.__name__}: {err})"
        ) from err
    try:
        header = json.loads(str(arrays.pop(_HEADER)))
    except json.JSONDecodeError as err:
        raise ValueError(f"path: {str(path)!r} has a corrupt header") from err
    if not isinstance(header, dict) or header.get("format") != "romba":
        raise ValueError(f"path: {str(path)!r} is not a romba file")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"path: {str(path)!r} was written in file format {version!r} by romba "
            f"{header.get('romba_version')}; this romba ({__version__}) reads format "
            f"{FORMAT_VERSION} and older: upgrade romba"
        )
    return header, arrays


def load(path: str | os.PathLike) -> Any:
    """Load an object written by :func:`save`.

    Only classes of the ``rom`` package can be instantiated, and arrays are read with
    ``allow_pickle=False``: loading a file never runs code from it.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        The file is corrupt, is not a romba file, or comes from a newer format.

    Examples
    --------
    See :func:`save`.
    """
    header, raw = _read(path)
    module_name, _, qualname = str(header.get("class", "")).partition(":")
    if not (module_name == "rom" or module_name.startswith("rom.")) or not qualname:
        raise ValueError(f"path: {str(path)!r} names a class outside romba: {header['class']!r}")
    try:
        cls: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            cls = getattr(cls, part)
    except (ImportError, AttributeError) as err:
        raise ValueError(
            f"path: {str(path)!r} names an unknown class {header['class']!r}"
        ) from err
    if (
        not isinstance(cls, type)
        or not str(getattr(cls, "__module__", "")).startswith("rom.")
        or not hasattr(cls, "_from_arrays")
    ):
        raise ValueError(f"path: class {header['class']!r} cannot be loaded")
    arrays: dict[str, Any] = {name: None for name in header.get("none", [])}
    if header.get("sparse"):
        import scipy.sparse
    try:
        for name, shape in header.get("sparse", {}).items():
            parts = [raw.pop(f"{name}.{part}") for part in _SPARSE_PARTS]
            arrays[name] = scipy.sparse.csr_matrix(tuple(parts), shape=tuple(shape))
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise ValueError(f"path: {str(path)!r} has a corrupt sparse matrix ({err})") from err
    arrays.update(raw)
    try:
        return cls._from_arrays(header.get("settings", {}), arrays)
    except KeyError as err:
        raise ValueError(f"path: {str(path)!r} lacks the entry {err} of {qualname}") from err
