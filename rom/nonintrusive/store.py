"""A persistent, resumable snapshot store: one atomically written file per snapshot."""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rom.io.persist import atomic_write, read_arrays, write_arrays
from rom.parameters import ParameterSpace
from rom.validation import check_parameter, is_sparse

__all__ = ["SnapshotStore", "StoreChunk"]

#: version 2: snapshot files written by rom.io.write_arrays (sparse fields allowed)
FORMAT = 2
#: snapshot files: 3 checksums the key, the parameter values and the fields; 2 the fields
SNAPSHOT_VERSION = 3
_SNAPSHOT = "romba-snapshot"
#: the names of snapshot and failure files (a key: 24 hex digits); never a temporary
_SNAPSHOT_NAME = re.compile(r"[0-9a-f]{24}\.npz")
_FAILURE_NAME = re.compile(r"[0-9a-f]{24}\.json")
#: the temporaries of rom.io.atomic_write: ``.<stem>.<16 hex digits>.tmp<suffix>``
_TEMPORARY_NAME = re.compile(r"\..*\.[0-9a-f]{16}\.tmp(\.[A-Za-z0-9]+)?")


def _checksum(fields: Mapping[str, Any], key: str | None = None, mu: Any = None) -> str:
    """SHA-256 of the key, the parameter values and the fields' values.

    Sparse fields count by their CSR parts and shape. Without ``key`` and ``mu``:
    the fields only (snapshot files of version 2).
    """
    h = hashlib.sha256()
    if key is not None:
        h.update(f"key:{key};mu:".encode())
        h.update(np.ascontiguousarray(mu, dtype=np.float64).tobytes())
    for name in sorted(fields):
        h.update(name.encode())
        value = fields[name]
        if is_sparse(value):
            csr = value.tocsr()
            parts = (csr.data, csr.indices.astype(np.int64), csr.indptr.astype(np.int64))
            for part in (*parts, np.asarray(csr.shape, dtype=np.int64)):
                h.update(np.ascontiguousarray(part).tobytes())
        else:
            h.update(np.ascontiguousarray(value).tobytes())
    return h.hexdigest()


def _field_value(name: str, value: Any) -> Any:
    """A field as stored: a numeric array, or a CSR matrix with sorted indices."""
    if is_sparse(value):
        value = value.tocsr()
        if not value.has_sorted_indices:  # one layout, one checksum (the caller's kept)
            value = value.sorted_indices()
        dtype = value.dtype
    else:
        value = np.asarray(value)
        dtype = value.dtype
    if dtype.kind not in "biufc":
        raise TypeError(f"fields[{name!r}]: expected a numeric array, got dtype {dtype}")
    if 0 in value.shape:
        raise ValueError(f"fields[{name!r}]: expected a non-empty array, got an empty one")
    data = value.data if is_sparse(value) else value
    if not np.isfinite(data).all():
        raise ValueError(f"fields[{name!r}]: expected finite values, got NaN or inf")
    return value


def _list(directory: Path, pattern: re.Pattern) -> list[Path]:
    """The files of ``directory`` whose whole name matches ``pattern``, sorted."""
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return []
    return [directory / n for n in sorted(names) if pattern.fullmatch(n)]


class SnapshotStore:
    """Snapshots of one parameter space and one set of fields, kept on disk.

    ``path/store.json`` holds the specification (parameter space, field names);
    every snapshot is ``path/snapshots/<key>.npz``, written by
    :func:`rom.io.write_arrays`: its fields (dense arrays or scipy sparse matrices),
    its parameter values, a SHA-256 checksum and the solver's metadata. Files are
    written atomically (temporary file, then rename): a crash never leaves half a
    snapshot, and several processes can write at once (different parameters write
    different files; the same parameter written twice is replaced atomically).
    Failed runs are recorded in ``path/failures/<key>.json``. Opening an existing
    store with another parameter space or other fields is an error, and so is opening
    a directory that holds snapshots but lost its ``store.json``.

    After a ``kill -9`` (of a campaign or of any of its workers) the store holds
    whole snapshots only: temporaries are never listed, and those older than
    :attr:`STALE_SECONDS` are removed when the store is opened. Every snapshot's
    checksum covers its key, its parameter values and its fields; a file whose
    parameters do not hash to its name (edited, or copied over another key) is
    corrupt: :meth:`has` is false, :meth:`get` raises ``ValueError``, :meth:`verify`
    names it, :meth:`snapshots` skips it and a campaign recomputes it. :meth:`put`
    stores finite, non-empty numeric arrays (never an object array, so never a
    pickle) of the shapes of the store's first snapshot.

    Parameters
    ----------
    path : path
        The store's directory (created if needed).
    parameter_space : rom.ParameterSpace
    fields : sequence of str
        Names of the stored fields.

    Examples
    --------
    >>> import numpy as np, tempfile
    >>> from rom import ParameterSpace
    >>> from rom.nonintrusive import SnapshotStore
    >>> store = SnapshotStore(tempfile.mkdtemp(), ParameterSpace({"k": (1, 2)}), ["u"])
    >>> store.put([1.5], {"u": np.ones(3)})
    >>> store.has([1.5]), len(store)
    (True, 1)
    """

    #: temporaries of atomic writes older than this (seconds) are left by dead
    #: writers and removed on opening (younger ones may belong to a running writer)
    STALE_SECONDS = 600.0

    def __init__(
        self,
        path: str | os.PathLike,
        parameter_space: ParameterSpace,
        fields: Sequence[str],
    ) -> None:
        if not isinstance(parameter_space, ParameterSpace):
            raise TypeError(
                "parameter_space: expected a rom.ParameterSpace, got "
                f"{type(parameter_space).__name__}"
            )
        if isinstance(fields, str) or not fields or not all(isinstance(f, str) for f in fields):
            raise TypeError("fields: expected a non-empty list of field names")
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"path: expected a directory path, got {type(path).__name__}")
        self.path = Path(path)
        self.parameter_space = parameter_space
        self.fields = list(fields)
        spec = {
            "format": FORMAT,
            "parameter_space": parameter_space.to_dict(),
            "fields": self.fields,
        }
        (self.path / "snapshots").mkdir(parents=True, exist_ok=True)
        (self.path / "failures").mkdir(exist_ok=True)
        self._shapes: dict[str, tuple] | None = None  # of the first snapshot, once read
        self._remove_stale_temporaries()
        spec_path = self.path / "store.json"
        if not spec_path.exists() and self._files():
            raise ValueError(
                f"path: {str(self.path)!r} holds snapshots but no store.json (its "
                "specification: parameter space and fields); restore it, or use a new "
                "directory"
            )
        if spec_path.exists():
            try:
                existing = json.loads(spec_path.read_text())
            except json.JSONDecodeError as err:
                raise ValueError(f"path: {str(spec_path)!r} is corrupt") from err
            if not isinstance(existing, dict) or existing.get("format") != FORMAT:
                raise ValueError(
                    f"path: {str(spec_path)!r} is not a snapshot store of format {FORMAT}; "
                    "use a new directory"
                )
            if (
                existing.get("parameter_space") != spec["parameter_space"]
                or existing.get("fields") != self.fields
            ):
                raise ValueError(
                    f"path: the store {str(self.path)!r} holds snapshots of another parameter "
                    f"space or other fields ({existing.get('parameter_space')}, "
                    f"{existing.get('fields')}); use a new directory"
                )
        else:
            with atomic_write(spec_path) as tmp:
                tmp.write_text(json.dumps(spec, indent=1))

    @classmethod
    def open(cls, path: str | os.PathLike) -> SnapshotStore:
        """The existing store at ``path``, with the parameter space and fields of its
        ``store.json``.

        Parameters
        ----------
        path : str or os.PathLike
            The directory of the store.

        Returns
        -------
        SnapshotStore

        Raises
        ------
        ValueError
            ``path`` holds no readable ``store.json``.
        """
        if not isinstance(path, str | os.PathLike):
            raise TypeError(f"path: expected a directory path, got {type(path).__name__}")
        spec_path = Path(path) / "store.json"
        try:
            spec = json.loads(spec_path.read_text())
            space = ParameterSpace.from_dict(spec["parameter_space"])
            fields = spec["fields"]
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ValueError(
                f"path: {str(path)!r} is not a snapshot store (no readable store.json: {err})"
            ) from err
        return cls(path, space, fields)

    def _remove_stale_temporaries(self) -> None:
        """Remove what writers killed between writing and renaming left behind."""
        limit = time.time() - self.STALE_SECONDS
        for directory in (self.path, self.path / "snapshots", self.path / "failures"):
            for tmp in _list(directory, _TEMPORARY_NAME):
                try:
                    if tmp.is_file() and tmp.stat().st_mtime < limit:
                        tmp.unlink()
                except OSError:  # removed by another process meanwhile
                    pass

    def _files(self) -> list[Path]:
        """The snapshot files (by name: temporaries never match)."""
        return _list(self.path / "snapshots", _SNAPSHOT_NAME)

    # ------------------------------------------------------------------ keys
    def _row(self, mu: Any) -> np.ndarray:
        row = check_parameter(mu, "mu", parameter_space=self.parameter_space)
        return np.ascontiguousarray(row, dtype=np.float64)

    def key(self, mu: Any) -> str:
        """The file key of one parameter set (a hash of its float64 values).

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        """
        return hashlib.sha256(self._row(mu).tobytes()).hexdigest()[:24]

    def _file(self, mu: Any) -> Path:
        return self.path / "snapshots" / f"{self.key(mu)}.npz"

    def __len__(self) -> int:
        return len(self._files())

    # --------------------------------------------------------------- writing
    def put(self, mu: Any, fields: Mapping[str, Any], metadata: Mapping | None = None) -> None:
        """Store the fields of one parameter set (atomically).

        Parameters
        ----------
        mu : array of shape (n_params,) or mapping of name to value
        fields : mapping of str to array or scipy sparse matrix
            Every field of the store (others are ignored).
        metadata : mapping, optional
            Kept with the snapshot (JSON; other values as their ``str``).
        """
        if not isinstance(fields, Mapping):
            raise TypeError(f"fields: expected a mapping of names to arrays, got {fields!r}")
        missing = [f for f in self.fields if f not in fields]
        if missing:
            raise ValueError(f"fields: missing {missing} (the store keeps {self.fields})")
        values = {name: _field_value(name, fields[name]) for name in self.fields}
        row = self._row(mu)
        self._check_shapes(values)
        key = self.key(row)
        header = {
            "format": _SNAPSHOT,
            "format_version": SNAPSHOT_VERSION,
            "key": key,
            "mu": dict(zip(self.parameter_space.names, map(float, row), strict=True)),
            "checksum": _checksum(values, key, row),
            "metadata": json.loads(json.dumps(dict(metadata or {}), default=str)),
            "time": time.time(),
        }
        arrays: dict[str, Any] = {f"field:{k}": v for k, v in values.items()}
        arrays["mu"] = row
        write_arrays(self._file(row), arrays, header)
        if self._shapes is None:
            self._shapes = {k: tuple(v.shape) for k, v in values.items()}
        failure = self.path / "failures" / f"{self.key(row)}.json"
        failure.unlink(missing_ok=True)

    def _check_shapes(self, values: Mapping[str, Any]) -> None:
        """Every field of the shape it has in the store's first (valid) snapshot."""
        if self._shapes is None:
            for path in self._files():
                try:
                    _, fields, _ = self._load(path)
                except Exception:
                    continue
                self._shapes = {k: tuple(v.shape) for k, v in fields.items()}
                break
            else:
                return  # the first snapshot: its shapes are kept once it is written
        for name, value in values.items():
            expected = self._shapes[name]
            if tuple(value.shape) != expected:
                raise ValueError(
                    f"fields[{name!r}]: expected {int(np.prod(expected))} values of shape "
                    f"{expected} (as the store's snapshots), got {int(np.prod(value.shape))} "
                    f"values of shape {tuple(value.shape)}"
                )

    def record_failure(self, mu: Any, message: str) -> None:
        """Record a failed run (kept until a later run of the same parameter succeeds).

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        message : str
            What went wrong.
        """
        row = self._row(mu)
        data = {
            "mu": dict(zip(self.parameter_space.names, map(float, row), strict=True)),
            "error": str(message),
        }
        with atomic_write(self.path / "failures" / f"{self.key(row)}.json") as tmp:
            tmp.write_text(json.dumps(data, indent=1))

    def put_mesh(self, mesh: Any) -> None:
        """Keep the mesh of the fields, once (``path/mesh.vtu``; later calls do nothing).

        Parameters
        ----------
        mesh : meshio.Mesh
            The mesh of the fields.
        """
        target = self.path / "mesh.vtu"
        if target.exists():
            return
        import meshio

        if not isinstance(mesh, meshio.Mesh):
            raise TypeError(f"mesh: expected a meshio.Mesh, got {type(mesh).__name__}")
        with atomic_write(target) as tmp:
            meshio.Mesh(mesh.points, mesh.cells).write(tmp)

    def mesh(self) -> Any:
        """The stored mesh (a ``meshio.Mesh``), or None."""
        target = self.path / "mesh.vtu"
        if not target.exists():
            return None
        import meshio

        return meshio.read(target)

    # --------------------------------------------------------------- reading
    def _load(self, path: Path) -> tuple[np.ndarray, dict[str, Any], dict]:
        header, arrays = read_arrays(path)
        version = header.get("format_version")
        if header.get("format") != _SNAPSHOT or version not in (2, SNAPSHOT_VERSION):
            raise ValueError(f"{str(path)!r} is not a snapshot of format {SNAPSHOT_VERSION}")
        fields = {k: arrays[f"field:{k}"] for k in self.fields}
        mu = np.asarray(arrays["mu"], dtype=float)
        if mu.shape != (self.parameter_space.dim,):
            raise ValueError(f"mu: expected {self.parameter_space.dim} values, got {mu.shape}")
        named = dict(zip(self.parameter_space.names, map(float, mu), strict=True))
        if header.get("mu") != named:
            raise ValueError(f"mu: the header says {header.get('mu')}, the array {named}")
        key = self.key(mu)  # also: inside the store's parameter space
        if key != path.stem:
            raise ValueError(
                f"key: the file holds the snapshot of {named} (key {key}), not of its "
                f"name's key {path.stem}"
            )
        if version == 2:
            expected = _checksum(fields)
        else:
            if header.get("key") != key:
                raise ValueError(f"key: the header says {header.get('key')!r}, expected {key}")
            expected = _checksum(fields, key, mu)
        if expected != header.get("checksum"):
            raise ValueError("checksum mismatch")
        return mu, fields, header

    def has(self, mu: Any) -> bool:
        """Whether a valid (readable, checksum-verified) snapshot of ``mu`` is stored.

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        """
        path = self._file(mu)
        if not path.is_file():
            return False
        try:
            self._load(path)
        except Exception:
            return False
        return True

    def get(self, mu: Any) -> dict[str, Any]:
        """The stored fields of ``mu`` (KeyError when absent, ValueError when corrupt).

        Parameters
        ----------
        mu : array_like, shape (n_params,)
            The parameter set.
        """
        path = self._file(mu)
        if not path.is_file():
            raise KeyError(
                f"mu: no snapshot of {self.parameter_space.to_dicts(self._row(mu))[0]} "
                "in the store"
            )
        try:
            return self._load(path)[1]
        except Exception as err:
            raise ValueError(f"the snapshot file {str(path)!r} is corrupt ({err})") from err

    def failures(self) -> list[dict]:
        """The recorded failures: ``{"mu": {...}, "error": "..."}``."""
        records = []
        for path in _list(self.path / "failures", _FAILURE_NAME):
            try:
                records.append(json.loads(path.read_text()))
            except (OSError, ValueError):  # removed meanwhile, or not JSON
                continue
        return records

    def snapshots(self, field: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All valid snapshots of ``field``: (S of shape (n, k), parameter rows (k, n_params)).

        Corrupt files are skipped (and reported by :meth:`verify`).

        Parameters
        ----------
        field : str, optional
            The field (default: the first of ``fields``).
        """
        field = field or self.fields[0]
        if field not in self.fields:
            raise ValueError(f"field: expected one of {self.fields}, got {field!r}")
        columns, mus = [], []
        for path in self._files():
            try:
                mu, fields, _ = self._load(path)
            except Exception:
                continue
            if is_sparse(fields[field]):
                raise ValueError(f"field: {field!r} holds sparse matrices, not snapshot columns")
            columns.append(fields[field])
            mus.append(mu)
        if not columns:
            return np.zeros((0, 0)), np.zeros((0, self.parameter_space.dim))
        return np.stack(columns, axis=1), np.stack(mus)

    def _field_name(self, field: str | None) -> str:
        field = field or self.fields[0]
        if field not in self.fields:
            raise ValueError(f"field: expected one of {self.fields}, got {field!r}")
        return field

    def chunk_readers(self, size: int, field: str | None = None) -> list[StoreChunk]:
        """Picklable readers of the store's snapshots, ``size`` columns each.

        The snapshot files are listed once, in the order of :meth:`snapshots`, and
        split into consecutive groups; each reader (a :class:`StoreChunk`) reads its
        group when called, where it runs (a worker sharing the store's file system).

        Parameters
        ----------
        size : int
            Snapshots per reader (the last one may have fewer).
        field : str, optional
            The field (default: the first).
        """
        from rom.validation import check_positive_int

        size = check_positive_int(size, "size", allow_none=False)
        field = self._field_name(field)
        names = [p.name for p in self._files()]
        return [
            StoreChunk(self, field, tuple(names[k : k + size])) for k in range(0, len(names), size)
        ]

    def chunks(self, size: int, field: str | None = None, parameters: bool = False) -> Any:
        """Lazy iterator over the snapshots in blocks of ``size`` columns.

        Only one block is in memory at a time (never the whole store). Corrupt files
        are skipped, as by :meth:`snapshots`, so a block may hold fewer columns.

        Parameters
        ----------
        size : int
        field : str, optional
        parameters : bool
            Yield ``(S, mus)`` (parameter rows of the block's columns) instead of ``S``.

        Yields
        ------
        S : array, shape (n, <= size)

        Examples
        --------
        >>> import numpy as np, tempfile
        >>> from rom import ParameterSpace
        >>> from rom.nonintrusive import SnapshotStore
        >>> store = SnapshotStore(tempfile.mkdtemp(), ParameterSpace({"k": (1, 2)}), ["u"])
        >>> for k in (1.0, 1.25, 1.5):
        ...     store.put([k], {"u": np.full(4, k)})
        >>> [S.shape for S in store.chunks(2)]
        [(4, 2), (4, 1)]
        """
        for reader in self.chunk_readers(size, field):
            S, mus = reader.read()
            if S.shape[1]:
                yield (S, mus) if parameters else S

    def n_rows(self, field: str | None = None) -> int:
        """Values per snapshot of ``field`` (from the first readable snapshot; 0 if none).

        Parameters
        ----------
        field : str, optional
            One of the store's fields (None: the first).

        Returns
        -------
        int
        """
        field = self._field_name(field)
        for path in self._files():
            try:
                _, fields, _ = self._load(path)
            except Exception:
                continue
            return int(np.prod(fields[field].shape))
        return 0

    def verify(self) -> list[str]:
        """Names of the snapshot files that cannot be read or fail their checksum."""
        bad = []
        for path in self._files():
            try:
                self._load(path)
            except Exception:
                bad.append(path.name)
        return bad


class StoreChunk:
    """A picklable reader of some snapshots of a store (see :meth:`SnapshotStore.chunk_readers`).

    Calling it returns the snapshot columns ``S`` (n, k); :meth:`read` returns ``(S,
    mus)`` with their parameter rows. Corrupt files are skipped. It holds the store (its
    path, parameter space and fields) and the file names only, so sending it to a
    worker costs a few hundred bytes.

    Parameters
    ----------
    store : SnapshotStore
        The store the files belong to.
    field : str
        The field to read.
    names : tuple of str
        The snapshot file names of this chunk, in the order of their columns.
    """

    def __init__(self, store: SnapshotStore, field: str, names: tuple[str, ...]) -> None:
        self.store, self.field, self.names = store, field, tuple(names)

    def __len__(self) -> int:
        return len(self.names)

    def __repr__(self) -> str:
        return f"StoreChunk({str(self.store.path)!r}, {self.field!r}, {len(self.names)} files)"

    def read(self) -> tuple[np.ndarray, np.ndarray]:
        """The snapshots of this chunk as columns and their parameters as rows."""
        store = self.store
        S, mus = None, np.zeros((len(self.names), store.parameter_space.dim))
        count = 0
        for name in self.names:
            try:
                mu, fields, _ = store._load(store.path / "snapshots" / name)
            except Exception:
                continue
            value = fields[self.field]
            if is_sparse(value):
                raise ValueError(
                    f"field: {self.field!r} holds sparse matrices, not snapshot columns"
                )
            if S is None:  # filled column by column: the block is never held twice
                S = np.empty((value.size, len(self.names)), dtype=value.dtype)
            S[:, count] = np.ravel(value)
            mus[count] = mu
            count += 1
        if S is None:
            return np.zeros((store.n_rows(self.field), 0)), mus[:0]
        return (S if count == S.shape[1] else S[:, :count].copy()), mus[:count]

    def __call__(self) -> np.ndarray:
        return self.read()[0]
