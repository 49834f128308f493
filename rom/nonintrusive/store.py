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

from rom.io.persist import atomic_write
from rom.parameters import ParameterSpace

__all__ = ["SnapshotStore"]

FORMAT = 1
_META = "__meta__"


def _checksum(fields: Mapping[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in sorted(fields):
        h.update(name.encode())
        h.update(np.ascontiguousarray(fields[name]).tobytes())
    return h.hexdigest()


class SnapshotStore:
    """Snapshots of one parameter space and one set of fields, kept on disk.

    ``path/store.json`` holds the specification (parameter space, field names);
    every snapshot is ``path/snapshots/<key>.npz`` with its parameter values, its
    fields, a SHA-256 checksum and the solver's metadata, written atomically
    (temporary file, then rename): a crash never leaves half a snapshot, and several
    processes can write at once (different parameters write different files; the
    same parameter written twice is replaced atomically). Failed runs are recorded in
    ``path/failures/<key>.json``. Opening an existing store with another parameter
    space or other fields is an error.

    Parameters
    ----------
    path : path
        The store's directory (created if needed).
    space : rom.ParameterSpace
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
        self, path: str | os.PathLike, space: ParameterSpace, fields: Sequence[str]
    ) -> None:
        if not isinstance(space, ParameterSpace):
            raise TypeError(f"space: expected a rom.ParameterSpace, got {type(space).__name__}")
        if isinstance(fields, str) or not fields or not all(isinstance(f, str) for f in fields):
            raise TypeError("fields: expected a non-empty list of field names")
        self.path = Path(path)
        self.space = space
        self.fields = list(fields)
        spec = {"format": FORMAT, "space": space.to_dict(), "fields": self.fields}
        (self.path / "snapshots").mkdir(parents=True, exist_ok=True)
        (self.path / "failures").mkdir(exist_ok=True)
        spec_path = self.path / "store.json"
        if spec_path.exists():
            try:
                existing = json.loads(spec_path.read_text())
            except json.JSONDecodeError as err:
                raise ValueError(f"path: {str(spec_path)!r} is corrupt") from err
            if existing.get("space") != spec["space"] or existing.get("fields") != self.fields:
                raise ValueError(
                    f"path: the store {str(self.path)!r} holds snapshots of another parameter "
                    f"space or other fields ({existing.get('space')}, {existing.get('fields')}); "
                    "use a new directory"
                )
        else:
            with atomic_write(spec_path) as tmp:
                tmp.write_text(json.dumps(spec, indent=1))

    # ------------------------------------------------------------------ keys
    def key(self, mu: Any) -> str:
        """The file key of a parameter (a hash of its float64 values)."""
        arr = np.ascontiguousarray(self.space.check(mu), dtype=np.float64)
        if arr.ndim != 1:
            raise ValueError(f"mu: expected one parameter set, got shape {arr.shape}")
        return hashlib.sha256(arr.tobytes()).hexdigest()[:24]

    def _file(self, mu: Any) -> Path:
        return self.path / "snapshots" / f"{self.key(mu)}.npz"

    def __len__(self) -> int:
        return len(list((self.path / "snapshots").glob("*.npz")))

    # --------------------------------------------------------------- writing
    def put(self, mu: Any, fields: Mapping[str, Any], metadata: Mapping | None = None) -> None:
        """Store the fields of one parameter (atomically)."""
        missing = [f for f in self.fields if f not in fields]
        if missing:
            raise ValueError(f"fields: missing {missing} (the store keeps {self.fields})")
        arrays = {name: np.asarray(fields[name]) for name in self.fields}
        mu_arr = np.asarray(self.space.check(mu), dtype=float)
        meta = {
            "mu": dict(zip(self.space.names, map(float, mu_arr), strict=True)),
            "checksum": _checksum(arrays),
            "metadata": dict(metadata or {}),
            "time": time.time(),
        }
        payload = {f"field:{k}": v for k, v in arrays.items()}
        payload["mu"] = mu_arr
        payload[_META] = np.array(json.dumps(meta, default=str))
        with atomic_write(self._file(mu)) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **payload)
        failure = self.path / "failures" / f"{self.key(mu)}.json"
        failure.unlink(missing_ok=True)

    def record_failure(self, mu: Any, message: str) -> None:
        """Record a failed run (kept until a later run of the same parameter succeeds)."""
        mu_arr = np.asarray(self.space.check(mu), dtype=float)
        data = {
            "mu": dict(zip(self.space.names, map(float, mu_arr), strict=True)),
            "error": message,
        }
        with atomic_write(self.path / "failures" / f"{self.key(mu)}.json") as tmp:
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
    def _load(self, path: Path) -> tuple[np.ndarray, dict[str, np.ndarray], dict]:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data[_META]))
            fields = {k: data[f"field:{k}"] for k in self.fields}
            mu = data["mu"]
        if _checksum(fields) != meta["checksum"]:
            raise ValueError("checksum mismatch")
        return mu, fields, meta

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

    def get(self, mu: Any) -> dict[str, np.ndarray]:
        """The stored fields of ``mu`` (KeyError when absent, ValueError when corrupt)."""
        path = self._file(mu)
        if not path.is_file():
            raise KeyError(f"mu: no snapshot of {self.space.to_dicts(mu)[0]} in the store")
        try:
            return self._load(path)[1]
        except Exception as err:
            raise ValueError(f"the snapshot file {str(path)!r} is corrupt ({err})") from err

    def failures(self) -> list[dict]:
        """The recorded failures: ``{"mu": {...}, "error": "..."}``."""
        return [json.loads(p.read_text()) for p in sorted((self.path / "failures").glob("*.json"))]

    def snapshots(self, field: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """All valid snapshots of ``field``: (S of shape (n, k), parameters (k, dim)).

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
            columns.append(fields[field])
            mus.append(mu)
        if not columns:
            return np.zeros((0, 0)), np.zeros((0, self.space.dim))
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
