"""Adapters that turn an external code into ``solver(mu) -> {field name: array}``."""

from __future__ import annotations

import math
import numbers
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["CallableSolver", "CommandSolver", "SolverError"]


class SolverError(RuntimeError):
    """A run of the external code failed (the message carries the reason and stderr)."""


def _as_fields(value: Any, default: str) -> dict[str, np.ndarray]:
    if isinstance(value, Mapping):
        items = value.items()
    else:
        items = [(default, value)]
    fields = {}
    for name, array in items:
        arr = np.asarray(array)
        if arr.dtype.kind not in "biufc":
            raise SolverError(f"field {name!r}: expected numbers, got dtype {arr.dtype}")
        arr = arr.reshape(-1).astype(np.result_type(arr.dtype, np.float64))
        if arr.size == 0:
            raise SolverError(f"field {name!r}: expected values, got an empty array")
        if not np.isfinite(arr).all():
            raise SolverError(f"field {name!r}: contains NaN or inf")
        fields[str(name)] = arr
    return fields


def _kill_group(proc: subprocess.Popen) -> None:
    """Kill ``proc`` and every process of its process group (its own session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    except AttributeError:  # no process groups (Windows)
        proc.kill()


def _run(args: list[str], workdir: str, timeout: float | None) -> subprocess.CompletedProcess:
    """Run ``args`` in its own session; on timeout (or any interruption) kill it whole."""
    posix = os.name == "posix"
    try:
        proc = subprocess.Popen(
            args,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=posix,
        )
    except OSError as err:
        raise SolverError(f"could not start {args[0]!r}: {err}") from err
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as err:
        _kill_group(proc)
        proc.communicate()
        raise SolverError(f"timed out after {timeout} s: {args}") from err
    except BaseException:  # KeyboardInterrupt, SystemExit: leave nothing running
        _kill_group(proc)
        proc.wait()
        raise
    return subprocess.CompletedProcess(args, proc.returncode, stdout, stderr)


class CallableSolver:
    """A Python function ``fn(mu) -> array or {name: array}`` as a solver.

    ``mu`` is passed as a dict ``{parameter name: value}``. Arrays are flattened.

    Parameters
    ----------
    fn : callable
        ``fn(mu)`` with ``mu`` a dict ``{name: value}``; returns an array or a dict of
        arrays by field name.
    field : str
        The field name of a returned array.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.nonintrusive import CallableSolver
    >>> solver = CallableSolver(lambda mu: np.full(3, mu["k"]), field="u")
    >>> solver({"k": 2.0})["u"]
    array([2., 2., 2.])
    """

    def __init__(self, fn: Callable[[dict], Any], field: str = "u") -> None:
        if not callable(fn):
            raise TypeError(f"fn: expected a callable mu -> array, got {type(fn).__name__}")
        self.fn = fn
        self.field = field
        self.metadata = {"solver": "callable", "function": getattr(fn, "__qualname__", repr(fn))}

    def __call__(self, mu: Mapping[str, float]) -> dict[str, np.ndarray]:
        try:
            value = self.fn(dict(mu))
        except SolverError:
            raise
        except Exception as err:
            raise SolverError(f"{type(err).__name__}: {err}") from err
        return _as_fields(value, self.field)


class CommandSolver:
    """An external program run once per parameter, in a fresh working directory.

    Parameters
    ----------
    command : sequence of str
        The argument list; ``{name}`` placeholders are replaced by parameter values
        (``repr`` of the float) and ``{workdir}`` by the run's directory. The list is
        executed directly, never through a shell: a value is one argument, whatever
        characters it holds.
    outputs : mapping of field name to file name
        Files the program writes in its working directory.
    reader : callable, optional
        ``reader(path, field) -> array``; by default :func:`rom.io.read_vector` for
        ``.npy``, ``.npz``, ``.mtx`` and FreeFEM text, and :func:`rom.io.read_fields`
        for mesh formats.
    templates : sequence of paths
        Files copied into every working directory (e.g. the ``.edp`` script).
    timeout : float or None
        Seconds before a run is killed, with every process it started (the command
        runs in its own process group, killed whole); :attr:`DEFAULT_TIMEOUT` (one
        day) by default, ``None`` for no limit.
    retries : int
        Extra attempts after a failure.
    keep_workdir : bool
        Keep the working directories (for debugging).

    Examples
    --------
    >>> import sys
    >>> from rom.nonintrusive import CommandSolver
    >>> code = "import sys, numpy; numpy.save('u.npy', [float(sys.argv[1])] * 2)"
    >>> solver = CommandSolver([sys.executable, "-c", code, "{k}"], outputs={"u": "u.npy"})
    >>> solver({"k": 1.5})["u"]
    array([1.5, 1.5])
    """

    MESH_SUFFIXES = (".vtu", ".vtk", ".xdmf", ".msh", ".mesh", ".med", ".xml")
    #: seconds a run may take unless ``timeout`` says otherwise (a hung run ends)
    DEFAULT_TIMEOUT = 86400.0

    def __init__(
        self,
        command: Sequence[str],
        outputs: Mapping[str, str],
        reader: Callable[[Path, str], Any] | None = None,
        templates: Sequence[str | os.PathLike] = (),
        timeout: float | None = DEFAULT_TIMEOUT,
        retries: int = 0,
        keep_workdir: bool = False,
    ) -> None:
        if isinstance(command, str) or not isinstance(command, Sequence) or not command:
            raise TypeError("command: expected a non-empty list of arguments (no shell string)")
        if not all(isinstance(a, str) for a in command):
            raise TypeError("command: every argument must be a string")
        if not isinstance(outputs, Mapping) or not outputs:
            raise TypeError("outputs: expected a mapping of field names to file names")
        for t in templates:
            if not Path(t).is_file():
                raise FileNotFoundError(f"templates: no such file {str(t)!r}")
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, numbers.Real):
                raise TypeError(f"timeout: expected a number of seconds or None, got {timeout!r}")
            if not (0 < timeout and math.isfinite(timeout)):
                raise ValueError(
                    f"timeout: expected a positive finite number of seconds (None for no "
                    f"limit), got {timeout!r}"
                )
            timeout = float(timeout)
        if int(retries) != retries or retries < 0:
            raise ValueError(f"retries: expected a non-negative integer, got {retries!r}")
        self.command = list(command)
        self.outputs = dict(outputs)
        self.reader = reader
        self.templates = [Path(t) for t in templates]
        self.timeout = timeout
        self.retries = int(retries)
        self.keep_workdir = keep_workdir
        self.metadata = {"solver": "command", "command": self.command}
        self.mesh_ = None  # the mesh of the last mesh-format output read

    def check(self, names: Sequence[str]) -> None:
        """Check the command against the parameter ``names`` before any run.

        Every ``{placeholder}`` must be a parameter name or ``workdir``, and the program
        must exist: on the ``PATH`` for a bare name, as an executable file for an
        absolute path, among the templates for a relative one (runs start in a fresh
        working directory holding the templates).

        Parameters
        ----------
        names : sequence of str
            The parameter names of the sets the command will run with.

        Raises
        ------
        ValueError
            The first problem found, naming the argument and what was expected.

        Examples
        --------
        >>> import sys
        >>> from rom.nonintrusive import CommandSolver
        >>> solver = CommandSolver([sys.executable, "-c", "pass", "{kk2}"], outputs={"u": "u.npy"})
        >>> try:
        ...     solver.check(["k1", "k2"])
        ... except ValueError as err:
        ...     print(str(err).split(";")[0])
        command: placeholder {kk2} in argument 3 is not a parameter name
        """
        import string

        names = [str(n) for n in names]
        allowed = {*names, "workdir"}
        for k, arg in enumerate(self.command):
            try:
                fields = [f for _, f, _, _ in string.Formatter().parse(arg) if f is not None]
            except ValueError as err:
                raise ValueError(f"command: argument {k} ({arg!r}) is malformed: {err}") from err
            for f in fields:
                if f.split(".")[0].split("[")[0] not in allowed:
                    raise ValueError(
                        f"command: placeholder {{{f}}} in argument {k} is not a parameter "
                        f"name; expected one of {names} or {{workdir}}"
                    )
            try:
                arg.format(**{n: "0.5" for n in allowed})
            except (KeyError, IndexError, ValueError, AttributeError) as err:
                raise ValueError(
                    f"command: argument {k} ({arg!r}) cannot take a parameter value: {err}"
                ) from err
        program = self.command[0]
        if "{" in program:
            return
        path = Path(program)
        if path.is_absolute():
            if not (path.is_file() and os.access(path, os.X_OK)):
                raise ValueError(f"command: the program {program!r} is not an executable file")
        elif "/" in program or os.sep in program:
            if path.name not in {t.name for t in self.templates}:
                raise ValueError(
                    f"command: the program {program!r} is relative to the run's fresh working "
                    "directory, which holds only the templates: list it in templates, or give "
                    "its absolute path"
                )
        elif shutil.which(program) is None:
            raise ValueError(f"command: the program {program!r} is not found on the PATH")

    def arguments(self, mu: Mapping[str, float], workdir: str) -> list[str]:
        """The argument list for ``mu`` (placeholders filled, one value per argument).

        Parameters
        ----------
        mu : mapping of str to float
            The parameter set by name.
        workdir : str
            The run's working directory (the ``{workdir}`` placeholder).
        """
        values = {name: repr(float(value)) for name, value in mu.items()}
        values["workdir"] = workdir
        try:
            return [arg.format(**values) for arg in self.command]
        except (KeyError, IndexError, ValueError) as err:
            raise ValueError(f"command: placeholder {err} is not a parameter name") from err

    def _read(self, path: Path, field: str) -> Any:
        if self.reader is not None:
            return self.reader(path, field)
        from rom.io import read_fields, read_vector

        if path.suffix.lower() in self.MESH_SUFFIXES:
            values, self.mesh_ = read_fields([path], field)
            return values[:, 0]
        return read_vector(path)

    def _run_once(
        self, mu: Mapping[str, float], read: Callable[[Path, str], Any]
    ) -> dict[str, Any]:
        workdir = tempfile.mkdtemp(prefix="rom-run-")
        try:
            for t in self.templates:
                shutil.copy(t, workdir)
            args = self.arguments(mu, workdir)
            proc = _run(args, workdir, self.timeout)
            if proc.returncode != 0:
                raise SolverError(
                    f"exit status {proc.returncode}; stderr tail: {proc.stderr[-2000:]!r}"
                )
            outputs = {}
            for name, filename in self.outputs.items():
                path = Path(workdir) / filename
                if not path.is_file():
                    tail = proc.stderr[-2000:]
                    raise SolverError(f"output {filename!r} not written; stderr tail: {tail!r}")
                try:
                    outputs[name] = read(path, name)
                except Exception as err:
                    raise SolverError(f"output {filename!r} is unreadable: {err}") from err
            return outputs
        finally:
            if not self.keep_workdir:
                shutil.rmtree(workdir, ignore_errors=True)

    def run(
        self, mu: Mapping[str, float], read: Callable[[Path, str], Any] | None = None
    ) -> dict[str, Any]:
        """Run the program once for ``mu`` and read its outputs as they are.

        Unlike calling the solver, nothing is flattened or converted: with
        ``read=rom.io.read_matrix`` the outputs come back as sparse matrices (this is
        what :class:`rom.nonintrusive.MatrixSolver` uses).

        Parameters
        ----------
        mu : mapping of parameter name to value
        read : callable, optional
            ``read(path, field) -> object``; the solver's reader by default.

        Returns
        -------
        dict
            ``{field name: what read returned}``.

        Raises
        ------
        SolverError
            When every attempt failed (the last reason is given).

        Examples
        --------
        >>> import sys
        >>> from rom.io import read_matrix
        >>> from rom.nonintrusive import CommandSolver
        >>> code = "import scipy.io, scipy.sparse; scipy.io.mmwrite('A.mtx', scipy.sparse.eye(2))"
        >>> solver = CommandSolver([sys.executable, "-c", code], outputs={"A": "A.mtx"})
        >>> solver.run({}, read=lambda path, name: read_matrix(path))["A"].toarray()
        array([[1., 0.],
               [0., 1.]])
        """
        if not isinstance(mu, Mapping):
            raise TypeError(f"mu: expected a mapping of parameter names to values, got {mu!r}")
        if read is not None and not callable(read):
            raise TypeError("read: expected a callable read(path, field) or None")
        read = self._read if read is None else read
        error: SolverError | None = None
        for _ in range(self.retries + 1):
            try:
                return self._run_once(mu, read)
            except SolverError as err:
                error = err
        raise error  # type: ignore[misc]

    def __call__(self, mu: Mapping[str, float]) -> dict[str, np.ndarray]:
        return _as_fields(self.run(mu), "u")
