"""A persistent, resumable snapshot store: one atomically written file per snapshot."""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rom.io.persist import atomic_write, read_arrays, write_arrays
from rom.parameters import ParameterSpace
from rom.validation import check_parameter, is_sparse

__all__ = ["SnapshotStore"]

#: version 2: snapshot files written by rom.io.write_arrays (sparse fields allowed)
FORMAT = 2
_SNAPSHOT = "romba-snapshot"


def _checksum(fields: Mapping[str, Any]) -> str:
    """SHA-256 of the fields' values (sparse ones by their CSR parts and shape)."""
    h = hashlib.sha256()
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
    return value


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
    store with another parameter space or other fields is an error.

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
        spec_path = self.path / "store.json"
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

    # ------------------------------------------------------------------ keys
    def _row(self, mu: Any) -> np.ndarray:
        row = check_parameter(mu, "mu", parameter_space=self.parameter_space)
        return np.ascontiguousarray(row, dtype=np.float64)

    def key(self, mu: Any) -> str:
        """The file key of one parameter set (a hash of its float64 values)."""
        return hashlib.sha256(self._row(mu).tobytes()).hexdigest()[:24]

    def _file(self, mu: Any) -> Path:
        return self.path / "snapshots" / f"{self.key(mu)}.npz"

    def __len__(self) -> int:
        return len(list((self.path / "snapshots").glob("*.npz")))

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
        header = {
            "format": _SNAPSHOT,
            "format_version": FORMAT,
            "mu": dict(zip(self.parameter_space.names, map(float, row), strict=True)),
            "checksum": _checksum(values),
            "metadata": json.loads(json.dumps(dict(metadata or {}), default=str)),
            "time": time.time(),
        }
        arrays: dict[str, Any] = {f"field:{k}": v for k, v in values.items()}
        arrays["mu"] = row
        write_arrays(self._file(row), arrays, header)
        failure = self.path / "failures" / f"{self.key(row)}.json"
        failure.unlink(missing_ok=True)

    def record_failure(self, mu: Any, message: str) -> None:
        """Record a failed run (kept until a later run of the same parameter succeeds)."""
        row = self._row(mu)
        data = {
            "mu": dict(zip(self.parameter_space.names, map(float, row), strict=True)),
            "error": str(message),
        }
        with atomic_write(self.path / "failures" / f"{self.key(row)}.json") as tmp:
            tmp.write_text(json.dumps(data, indent=1))

    def put_mesh(self, mesh: Any) -> None:
        """Keep the mesh of the fields, once (``path/mesh.vtu``; later calls do nothing)."""
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
        if header.get("format") != _SNAPSHOT or header.get("format_version") != FORMAT:
            raise ValueError(f"{str(path)!r} is not a snapshot of format {FORMAT}")
        fields = {k: arrays[f"field:{k}"] for k in self.fields}
        if _checksum(fields) != header.get("checksum"):
            raise ValueError("checksum mismatch")
        mu = np.asarray(arrays["mu"], dtype=float)
        if mu.shape != (self.parameter_space.dim,):
            raise ValueError(f"mu: expected {self.parameter_space.dim} values, got {mu.shape}")
        return mu, fields, header

    def has(self, mu: Any) -> bool:
        """Whether a valid (readable, checksum-verified) snapshot of ``mu`` is stored."""
        path = self._file(mu)
        if not path.is_file():
            return False
        try:
            self._load(path)
        except Exception:
            return False
        return True

    def get(self, mu: Any) -> dict[str, Any]:
        """The stored fields of ``mu`` (KeyError when absent, ValueError when corrupt)."""
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
        return [json.loads(p.read_text()) for p in sorted((self.path / "failures").glob("*.json"))]

    def snapshots(self, field: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All valid snapshots of ``field``: (S of shape (n, k), parameter rows (k, n_params)).

        Corrupt files are skipped (and reported by :meth:`verify`).
        """
        field = field or self.fields[0]
        if field not in self.fields:
            raise ValueError(f"field: expected one of {self.fields}, got {field!r}")
        columns, mus = [], []
        for path in sorted((self.path / "snapshots").glob("*.npz")):
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

    def verify(self) -> list[str]:
        """Names of the snapshot files that cannot be read or fail their checksum."""
        bad = []
        for path in sorted((self.path / "snapshots").glob("*.npz")):
            try:
                self._load(path)
            except Exception:
                bad.append(path.name)
        return bad
