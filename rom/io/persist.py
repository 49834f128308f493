"""Saving and loading romba objects: ``.npz`` arrays plus a JSON header, never pickle.

This is romba's one reader and writer of model files. A file holds:

- the arrays, each under its own name (scipy sparse matrices as their CSR parts);
- a JSON header: the format and its version, the romba version, the stable *alias*
  of the saved class (``"POD"``, ``"ReducedModel"``: see :mod:`rom.io.registry`,
  never a module path, so files survive moving a class), its settings, and the
  *parts*: values that cannot be stored without code (user callables, full-order
  models, foreign regressors), named so that :func:`load` takes them back by name.

A saveable class implements ``_to_arrays() -> (settings, arrays)`` and the class
method ``_from_arrays(settings, arrays)``; :class:`rom._base.Estimator` derives both
from the constructor's parameters and the fitted attributes through
:func:`encode_state` / :func:`decode_state`. Loading instantiates only the classes of
the registry and never unpickles, imports code named by the file or writes a path.

Underneath, :func:`write_arrays` / :func:`read_arrays` are the one writer and reader
of "named arrays + JSON header" files: :func:`save` and :func:`load` use them, and so
do files that are not estimators (the snapshots of a snapshot store).
"""

from __future__ import annotations

import contextvars
import json
import numbers
import os
import secrets
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from rom._version import __version__

__all__ = [
    "FORMAT_VERSION",
    "atomic_write",
    "check_sparse",
    "decode_state",
    "encode_state",
    "load",
    "read_arrays",
    "read_header",
    "save",
    "write_arrays",
]

#: version 2: class aliases, generic parameter and fitted state, named parts
FORMAT_VERSION = 2
_HEADER = "__romba_header__"
_SPARSE_PARTS = ("data", "indices", "indptr")


class atomic_write:
    """Context manager giving a temporary path that replaces ``path`` on success.

    The temporary file sits in the destination directory (so the final rename is
    atomic on POSIX and Windows), keeps the destination's suffix (so writers that
    look at the extension pick the right format), gets the permissions of any newly
    created file (the umask applies), and is removed if anything fails, the final
    rename included: a reader never sees a half-written file.

    Parameters
    ----------
    path : str or path-like
        The file to write.

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


# ---------------------------------------------------------------------------
# parts: the values a file names instead of storing
class _Parts:
    """The parts met while saving one file: name -> (object, description)."""

    def __init__(self) -> None:
        self.by_id: dict[int, str] = {}
        self.described: dict[str, str] = {}

    def name_for(self, value: Any, leaf: str, path: str, owner: str) -> str:
        if id(value) in self.by_id:  # the same object met twice is one part
            return self.by_id[id(value)]
        name = leaf
        if name in self.described or not name.isidentifier():
            name = "_".join(p for p in path.replace(".", "_").split("_") if p) or "part"
            base, k = name, 2
            while name in self.described:
                name, k = f"{base}{k}", k + 1
        self.by_id[id(value)] = name
        kind = "a callable" if callable(value) else f"a {type(value).__name__}"
        self.described[name] = f"{owner}.{leaf}: {kind}"
        return name


_SAVING: contextvars.ContextVar[_Parts | None] = contextvars.ContextVar(
    "romba_saving", default=None
)
_LOADING: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "romba_loading", default=None
)


def _is_sparse(value: Any) -> bool:
    return hasattr(value, "tocsr") and hasattr(value, "nnz")


class _Encoder:
    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.arrays: dict[str, Any] = {}
        self.stored: dict[int, str] = {}  # id -> path: an array met twice is stored once
        parts = _SAVING.get()
        self.parts = parts if parts is not None else _Parts()

    def value(self, value: Any, path: str, leaf: str) -> Any:
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, np.generic) and value.ndim == 0 and value.dtype.kind in "biufc":
            value = value.item()
        if isinstance(value, numbers.Integral | numbers.Real) and not isinstance(value, bool):
            return int(value) if isinstance(value, numbers.Integral) else float(value)
        if isinstance(value, complex):
            return {"$complex": [value.real, value.imag]}
        if isinstance(value, np.dtype) or (
            isinstance(value, type) and issubclass(value, np.generic)
        ):
            return {"$dtype": np.dtype(value).str}
        if (isinstance(value, np.ndarray) and value.dtype.kind in "biufcUS") or (
            _is_sparse(value) and not type(value).__module__.startswith("cupy")
        ):
            if id(value) not in self.stored:
                self.stored[id(value)] = path
                self.arrays[path] = value
            return {"$array": self.stored[id(value)]}
        if type(value).__module__.startswith("cupy") and hasattr(value, "get"):
            from rom.backend import to_numpy

            return self.value(to_numpy(value), path, leaf)
        if isinstance(value, list | tuple):
            items = [self.value(v, f"{path}.{i}", leaf) for i, v in enumerate(value)]
            return {"$tuple" if isinstance(value, tuple) else "$list": items}
        if isinstance(value, dict) and all(isinstance(k, str) for k in value):
            return {"$dict": {k: self.value(v, f"{path}.{k}", k) for k, v in value.items()}}
        from rom.io.registry import alias_of

        alias = alias_of(type(value))
        if alias is not None and hasattr(value, "_to_arrays"):
            if callable(getattr(value, "_is_fitted", None)) and not value._is_fitted():
                # an estimator given as a parameter (say a POD to fit): its parameters
                settings, arrays = encode_state(value, value.get_params(deep=False), {})
            else:
                settings, arrays = value._to_arrays()
            self.arrays.update({f"{path}.{k}": v for k, v in arrays.items()})
            return {"$object": alias, "settings": settings, "prefix": path}
        return {"$part": self.parts.name_for(value, leaf, path, self.owner)}


def encode_state(obj: Any, params: dict, fitted: dict) -> tuple[dict, dict]:
    """``(settings, arrays)`` of an estimator: its parameters and fitted attributes.

    Numbers, strings, lists, tuples and dicts go to the JSON settings, arrays (dense,
    scipy sparse, cupy moved to the host) to the archive, romba objects are nested
    with their own state, and anything else (a callable, a foreign regressor, a
    full-order model) becomes a named *part* that :func:`load` asks back for.
    """
    encoder = _Encoder(type(obj).__name__)
    settings = {
        "params": {k: encoder.value(v, k, k) for k, v in params.items()},
        "fitted": {k: encoder.value(v, k, k) for k, v in fitted.items()},
    }
    return settings, encoder.arrays


class _Decoder:
    def __init__(self, arrays: dict) -> None:
        self.arrays = arrays
        self.parts = _LOADING.get() or {}

    def value(self, d: Any) -> Any:
        if d is None or isinstance(d, bool | int | float | str):
            return d
        if not isinstance(d, dict) or len(d) == 0:
            raise ValueError(f"unexpected entry {d!r} in the settings")
        tag = next(iter(d))
        body = d[tag]
        if tag == "$array":
            if body not in self.arrays:
                raise ValueError(f"lacks the array {body!r}")
            return self.arrays[body]
        if tag in ("$list", "$tuple"):
            items = [self.value(v) for v in _check_list(body)]
            return items if tag == "$list" else tuple(items)
        if tag == "$dict":
            if not isinstance(body, dict):
                raise ValueError("a $dict entry is not a mapping")
            return {str(k): self.value(v) for k, v in body.items()}
        if tag == "$complex":
            re, im = _check_list(body)
            return complex(float(re), float(im))
        if tag == "$dtype":
            return np.dtype(str(body))
        if tag == "$part":
            if body not in self.parts:
                raise ValueError(f"the part {body!r} was not given")
            return self.parts[body]
        if tag == "$object":
            from rom.io.registry import class_of

            prefix = f"{d.get('prefix')}."
            sub = {k[len(prefix) :]: v for k, v in self.arrays.items() if k.startswith(prefix)}
            return class_of(body)._from_arrays(d.get("settings", {}), sub)
        raise ValueError(f"unknown entry {tag!r} in the settings")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_list(body: Any) -> list:
    if not isinstance(body, list):
        raise ValueError(f"expected a list in the settings, got {type(body).__name__}")
    return body


def decode_state(cls: type, settings: dict, arrays: dict) -> tuple[dict, dict]:
    """The parameters and fitted attributes saved by :func:`encode_state`.

    Parameters that the class does not take, and fitted names that are not public
    attributes ending with ``_``, are refused: a file cannot set anything else.
    """
    if (
        not isinstance(settings, dict)
        or not isinstance(settings.get("params"), dict)
        or not isinstance(settings.get("fitted"), dict)
    ):
        raise ValueError(
            f"{cls.__name__}: expected settings mapping 'params' and 'fitted' to mappings, got "
            f"{_short(settings)}"
        )
    decoder = _Decoder(arrays)
    params = {k: decoder.value(v) for k, v in settings["params"].items()}
    fitted = {k: decoder.value(v) for k, v in settings["fitted"].items()}
    allowed = set(cls._param_names())
    unknown = [k for k in params if k not in allowed]
    bad = [k for k in fitted if not (k.endswith("_") and k.isidentifier() and k[0] != "_")]
    if unknown or bad:
        raise ValueError(f"{cls.__name__}: unexpected saved entries {unknown + bad}")
    return params, fitted


# ---------------------------------------------------------------------------
# the file
def save(obj: Any, path: str | os.PathLike) -> None:
    """Save a fitted romba object to ``path`` as ``.npz`` arrays plus a JSON header.

    The file is written atomically. It can be read back with :func:`load` and is
    also a plain ``.npz`` readable by ``numpy.load(path, allow_pickle=False)``.
    Values that cannot be stored without code (user callables, full-order models,
    foreign regressors) are named in the header; give them back to :func:`load` by
    those names (:func:`read_header` lists them under ``"parts"``).

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
    from rom.io.registry import alias_of

    alias = alias_of(type(obj))
    if alias is None or not hasattr(obj, "_to_arrays"):
        raise TypeError(f"obj: {type(obj).__name__} objects cannot be saved by romba")
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path: expected a file path, got {type(path).__name__}")
    parts = _Parts()
    token = _SAVING.set(parts)
    try:
        settings, arrays = obj._to_arrays()
    finally:
        _SAVING.reset(token)
    header = {
        "format": "romba",
        "format_version": FORMAT_VERSION,
        "romba_version": __version__,
        "class": alias,
        "settings": settings,
        "parts": parts.described,
    }
    for name, value in arrays.items():
        if value is not None and not _is_sparse(value) and np.asarray(value).dtype.hasobject:
            raise TypeError(f"obj: attribute {name!r} is not a numeric array")
    try:
        json.dumps(settings, allow_nan=True)
    except TypeError as err:
        raise TypeError(
            f"obj: settings of {type(obj).__name__} are not JSON-serialisable ({err})"
        ) from err
    write_arrays(path, arrays, header)


def write_arrays(path: str | os.PathLike, arrays: dict[str, Any], header: dict) -> None:
    """Write named arrays and a JSON header to one ``.npz`` file, atomically, without pickle.

    The one writer of romba's files (:func:`save` writes models through it, the
    :class:`~rom.nonintrusive.SnapshotStore` its snapshots). Dense arrays are stored
    as they are, scipy sparse matrices as their CSR parts (``name.data``,
    ``name.indices``, ``name.indptr``, the shape in the header under ``"sparse"``),
    None as a name in the header's ``"none"`` list; :func:`read_arrays` gives them
    back. The file is a plain ``.npz`` that ``numpy.load(path, allow_pickle=False)``
    reads, written through :class:`atomic_write`: a reader never sees half a file.

    Parameters
    ----------
    path : str or path-like
    arrays : dict of str to array, sparse matrix or None
        Numeric (or string) arrays; object arrays are refused.
    header : dict
        JSON-serialisable; the keys ``"none"`` and ``"sparse"`` are set here.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from rom.io import read_arrays, write_arrays
    >>> path = os.path.join(tempfile.mkdtemp(), "a.npz")
    >>> write_arrays(path, {"u": np.arange(3.0)}, {"note": "three values"})
    >>> header, arrays = read_arrays(path)
    >>> header["note"], arrays["u"]
    ('three values', array([0., 1., 2.]))
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path: expected a file path, got {type(path).__name__}")
    if not isinstance(header, dict):
        raise TypeError(f"header: expected a dict, got {type(header).__name__}")
    header = {**header, "none": [], "sparse": {}}
    payload: dict[str, np.ndarray] = {}
    for name, value in arrays.items():
        if not isinstance(name, str) or not name or name == _HEADER:
            raise ValueError(f"arrays: invalid array name {name!r}")
        if value is None:
            header["none"].append(name)
        elif _is_sparse(value):
            import scipy.sparse

            csr = scipy.sparse.csr_array(value)
            header["sparse"][name] = list(csr.shape)
            for part in _SPARSE_PARTS:
                payload[f"{name}.{part}"] = getattr(csr, part)
        else:
            arr = np.asarray(value)
            if arr.dtype.hasobject:
                raise TypeError(f"arrays[{name!r}]: expected a numeric array, got {arr.dtype}")
            payload[name] = arr
    try:
        text = json.dumps(header, allow_nan=True)
    except TypeError as err:
        raise TypeError(f"header: not JSON-serialisable ({err})") from err
    payload[_HEADER] = np.array(text)
    with atomic_write(path) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **payload)


def read_arrays(path: str | os.PathLike) -> tuple[dict, dict[str, Any]]:
    """The JSON header and the arrays of a file written by :func:`write_arrays`.

    Arrays are read with ``allow_pickle=False``; sparse matrices come back as
    ``scipy.sparse.csr_matrix``. The header is only parsed: what it means is the
    caller's to check.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    header : dict
    arrays : dict of str to array, sparse matrix or None

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        The file is truncated, corrupt, not an ``.npz`` archive, or has no header or
        a corrupt one (the message names ``path``).

    Examples
    --------
    >>> import numpy as np, tempfile, os, scipy.sparse
    >>> from rom.io import read_arrays, write_arrays
    >>> path = os.path.join(tempfile.mkdtemp(), "a.npz")
    >>> write_arrays(path, {"A": scipy.sparse.eye(2, format="csr"), "b": None}, {})
    >>> _, arrays = read_arrays(path)
    >>> arrays["A"].toarray(), arrays["b"]
    (array([[1., 0.],
           [0., 1.]]), None)
    """
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
                raw = {name: data[name] for name in data.files}
    except ValueError as err:
        if str(err).startswith("path:"):
            raise
        raise ValueError(f"path: {str(path)!r} is not a readable romba file ({err})") from err
    except (OSError, zipfile.BadZipFile, EOFError, KeyError) as err:
        raise ValueError(
            f"path: {str(path)!r} is corrupt or not a romba file ({err.__class__.__name__}: {err})"
        ) from err
    try:
        header = json.loads(str(raw.pop(_HEADER)))
    except json.JSONDecodeError as err:
        raise ValueError(f"path: {str(path)!r} has a corrupt header") from err
    if not isinstance(header, dict):
        raise ValueError(f"path: {str(path)!r} has a corrupt header (not a mapping)")
    none, sparse = header.get("none", []), header.get("sparse", {})
    if not isinstance(none, list) or not isinstance(sparse, dict):
        raise ValueError(f"path: {str(path)!r} has a corrupt header (none, sparse)")
    arrays: dict[str, Any] = {str(name): None for name in none}
    for name, shape in sparse.items():
        try:
            csr = [raw.pop(f"{name}.{part}") for part in _SPARSE_PARTS]
            arrays[name] = _csr_from_parts(*csr, shape)
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ValueError(
                f"path: {str(path)!r} has a corrupt sparse matrix {name!r} ({err})"
            ) from err
    arrays.update(raw)
    return header, arrays


def _csr_from_parts(data: Any, indices: Any, indptr: Any, shape: Any) -> Any:
    """A CSR matrix from its stored parts, every part checked before scipy reads them."""
    import scipy.sparse

    if (
        not isinstance(shape, list | tuple)
        or len(shape) != 2
        or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 0 for s in shape)
    ):
        raise ValueError(f"shape {shape!r} is not two sizes")
    if data.ndim != 1 or data.dtype.kind not in "biufc":
        raise ValueError(f"data: expected a 1-D numeric array, got {data.dtype} {data.shape}")
    for part, arr in (("indices", indices), ("indptr", indptr)):
        if arr.ndim != 1 or arr.dtype.kind not in "iu":
            raise ValueError(f"{part}: expected a 1-D integer array, got {arr.dtype} {arr.shape}")
    if indptr.size != shape[0] + 1 or indices.size != data.size:
        raise ValueError(
            f"indptr: expected {shape[0] + 1} entries and indices as many as data "
            f"({data.size}), got {indptr.size} and {indices.size}"
        )
    if indptr.size and indptr[-1] != indices.size:
        raise ValueError(f"indptr: expected to end at nnz = {indices.size}, got {indptr[-1]}")
    return check_sparse(scipy.sparse.csr_matrix((data, indices, indptr), shape=tuple(shape)))


def check_sparse(A: Any) -> Any:
    """``A`` after scipy's full format check: index arrays integer and in range, pointers
    starting at 0, non-decreasing and ending at ``nnz``, values numeric.

    Every sparse matrix read from a file goes through it before any compiled kernel
    (a product, a conversion) reads its index arrays: a corrupt file gives a
    ``ValueError``, never an out-of-bounds read. COO and DIA matrices are checked by
    their constructors; other formats are refused.

    Examples
    --------
    >>> import numpy as np, scipy.sparse
    >>> from rom.io.persist import check_sparse
    >>> bad = scipy.sparse.csr_matrix(
    ...     (np.ones(2), np.array([0, 7]), np.array([0, 1, 2])), shape=(2, 2))
    >>> check_sparse(bad)
    Traceback (most recent call last):
    ...
    ValueError: indices must be < 2
    """
    fmt = getattr(A, "format", None)
    if A.dtype.kind not in "biufc":
        raise ValueError(f"expected a numeric sparse matrix, got dtype {A.dtype}")
    if fmt in ("csr", "csc", "bsr"):
        for part in ("indices", "indptr"):
            if getattr(A, part).dtype.kind not in "iu":
                raise ValueError(f"{part}: expected integers, got {getattr(A, part).dtype}")
        if A.indptr.size and A.indptr[-1] != A.indices.size:  # scipy would drop the rest
            raise ValueError(f"indptr: expected to end at {A.indices.size}, got {A.indptr[-1]}")
        A.check_format(full_check=True)
    elif fmt not in ("coo", "dia"):
        raise ValueError(f"unsupported sparse format {fmt!r}")
    return A


def read_header(path: str | os.PathLike) -> dict:
    """The JSON header of a romba file: class alias, versions, settings, parts.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`rom.save`.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> import rom
    >>> path = os.path.join(tempfile.mkdtemp(), "pod.npz")
    >>> rom.save(rom.POD(rank=1).fit(np.eye(4)[:, :2]), path)
    >>> rom.io.read_header(path)["class"]
    'POD'
    """
    return _read(path)[0]


def _read(path: str | os.PathLike) -> tuple[dict, dict[str, Any]]:
    header, arrays = read_arrays(path)
    if header.get("format") != "romba":
        raise ValueError(f"path: {str(path)!r} is not a romba file")
    version = header.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version > FORMAT_VERSION:
        raise ValueError(
            f"path: {str(path)!r} was written in file format {version!r} by romba "
            f"{header.get('romba_version')}; this romba ({__version__}) reads format "
            f"{FORMAT_VERSION}: upgrade romba"
        )
    if version < FORMAT_VERSION:
        raise ValueError(
            f"path: {str(path)!r} was written in file format {version} by romba "
            f"{header.get('romba_version')}, before class aliases; this romba reads format "
            f"{FORMAT_VERSION}: save the model again"
        )
    return header, arrays


def load(path: str | os.PathLike, **parts: Any) -> Any:
    """Load an object written by :func:`save`.

    Only the classes of :mod:`rom.io.registry` can be instantiated, and arrays are
    read with ``allow_pickle=False``: loading a file never runs code from it, never
    imports a module it names and never writes a path.

    Parameters
    ----------
    path : str or path-like
    **parts
        The values the file names instead of storing (``read_header(path)["parts"]``
        lists them): user callables, full-order models, foreign regressors, given by
        name, for example ``rom.load("rm.npz", operator_coefficients=theta)``.

    Raises
    ------
    FileNotFoundError
        No such file.
    ValueError
        The file is corrupt, is not a romba file, comes from another format, or needs
        parts that were not given (all of them are named), or a part was given that
        the file does not name.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> import rom
    >>> path = os.path.join(tempfile.mkdtemp(), "pod.npz")
    >>> rom.save(rom.POD(rank=1).fit(np.eye(4)[:, :2]), path)
    >>> rom.load(path).rank_
    1
    """
    header, arrays = _read(path)
    if "class" not in header:
        raise ValueError(f"path: {str(path)!r} is corrupt: its header names no class")
    try:
        cls = _registered(header.get("class"))
    except (ImportError, AttributeError, ValueError) as err:
        raise ValueError(
            f"path: {str(path)!r} names an unknown class {header.get('class')!r}"
        ) from err
    needed = header.get("parts", {})
    if not isinstance(needed, dict) or not all(isinstance(v, str) for v in needed.values()):
        raise ValueError(f"path: {str(path)!r} has a corrupt list of parts")
    missing = [name for name in needed if name not in parts]
    if missing:
        described = "; ".join(f"{name} ({needed[name]})" for name in missing)
        example = ", ".join(f"{name}=..." for name in missing)
        raise ValueError(
            f"path: {str(path)!r} names values that a romba file cannot store; give them "
            f"to rom.load by name ({example}): {described}"
        )
    unknown = [name for name in parts if name not in needed]
    if unknown:
        raise ValueError(
            f"{unknown[0]}: not a part of {str(path)!r} (its parts: {list(needed) or 'none'})"
        )
    token = _LOADING.set(parts)
    try:
        return cls._from_arrays(header.get("settings", {}), arrays)
    except (KeyError, IndexError, TypeError, AttributeError) as err:
        raise ValueError(
            f"path: {str(path)!r} is corrupt: {type(err).__name__} {err} in {header['class']}"
        ) from err
    except ValueError as err:
        if str(err).startswith(("path:", "load:")):
            raise
        raise ValueError(f"path: {str(path)!r}: {err}") from err
    finally:
        _LOADING.reset(token)


def _registered(alias: Any) -> type:
    from rom.io.registry import class_of

    cls = class_of(alias)
    if not isinstance(cls, type) or not hasattr(cls, "_from_arrays"):
        raise ValueError(f"class {alias!r} cannot be loaded")
    return cls
