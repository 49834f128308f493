"""Campaign specifications (TOML) behind ``rom build``, ``rom predict`` and ``rom validate``.

A specification names the parameter space, the sampling, the solver (a Python entry
point or a command line), the snapshot store, the reduction, the regressor, the
executor and the output model; paths are relative to the specification file::

    [parameters]
    k = [0.1, 1.0]                      # bounds
    c = { bounds = [1.0, 100.0], log = true }

    [sampling]
    method = "lhs"                      # random | lhs | sobol | grid
    n = 32
    random_state = 0

    [solver]
    python = "model:solve"              # module:function, the module next to the spec
    # or: command = ["FreeFem++", "-nw", "-v", "0", "model.edp", "{k}", "{c}"]
    #     outputs = { u = "u.txt" }, templates = ["model.edp"], timeout = 600
    field = "u"

    [store]
    path = "snapshots"

    [reduction]
    tol = 1e-6

    [regressor]
    kernel = "thin_plate_spline"

    [executor]
    kind = "processes:4"                # serial | threads:N | processes:N | dask:N
                                        # | dask:tcp://host:8786 | mpi

    [output]
    model = "surrogate.npz"

Every value is checked for its type when the specification is read, before any run:
a string where a list, a number or a boolean is expected is an error (``log =
"false"`` is not a boolean; ``command = "echo {k}"`` is refused, never split: write one
list element per argument), a float where an integer is expected too (``n = 2.7``),
and the ``[reduction]`` and ``[regressor]`` values are checked like the constructor
arguments of :class:`rom.POD` and :class:`rom.nonintrusive.RBFRegressor`.
"""

from __future__ import annotations

import importlib
import numbers
import shlex
import sys
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from rom.parameters import SAMPLERS, ParameterSpace
from rom.validation import check_choice, check_positive_int, check_tolerance

__all__ = ["Spec", "read_spec"]

_SECTIONS = {
    "parameters": None,
    "sampling": {"method", "n", "random_state"},
    "solver": {"python", "command", "outputs", "templates", "timeout", "retries", "field"},
    "store": {"path"},
    "reduction": {"tol", "rank", "rtol"},
    "regressor": {"kernel", "smoothing", "degree"},
    "executor": {"kind"},
    "output": {"model"},
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _string(table: dict, section: str, key: str, default: str) -> str:
    value = table.get(key, default)
    if not isinstance(value, str) or not value:
        raise ValueError(f"spec: [{section}] {key} must be a non-empty string, got {value!r}")
    return value


def _check_solver(solver: dict) -> None:
    """Types of the ``[solver]`` values (their meaning is checked by the solver)."""
    if "python" in solver:
        _string(solver, "solver", "python", "")
    if "command" in solver:
        command = solver["command"]
        if isinstance(command, str):
            raise ValueError(
                "spec: [solver] command must be a list of strings, one per argument (it "
                f"runs without a shell), got the string {command!r}; write command = "
                f"{shlex.split(command)!r}"
            )
        if not isinstance(command, list) or not command:
            raise ValueError(
                f"spec: [solver] command must be a non-empty list of strings, got {command!r}"
            )
        if not all(isinstance(a, str) for a in command):
            raise ValueError(f"spec: [solver] command must hold strings only, got {command!r}")
    outputs = solver.get("outputs", {})
    if not isinstance(outputs, dict) or not all(
        isinstance(v, str) and v for v in outputs.values()
    ):
        raise ValueError(
            f"spec: [solver] outputs must be a table of field name = file name, got {outputs!r}"
        )
    templates = solver.get("templates", [])
    if not isinstance(templates, list) or not all(isinstance(t, str) for t in templates):
        raise ValueError(
            f"spec: [solver] templates must be a list of file names, got {templates!r}"
        )
    timeout = solver.get("timeout")
    if timeout is not None and (not _is_number(timeout) or not 0 < timeout < float("inf")):
        raise ValueError(
            f"spec: [solver] timeout must be a positive number of seconds, got {timeout!r}"
        )
    retries = solver.get("retries", 0)
    if not _is_int(retries) or retries < 0:
        raise ValueError(f"spec: [solver] retries must be a non-negative integer, got {retries!r}")
    if "field" in solver:
        _string(solver, "solver", "field", "")


def _check_estimator_values(data: dict) -> None:
    """The ``[reduction]`` and ``[regressor]`` values, checked as their classes check them."""
    from rom.nonintrusive.surrogate import KERNELS

    reduction = data.get("reduction", {})
    regressor = data.get("regressor", {})
    checks = [
        ("reduction", "rank", lambda v: check_positive_int(v, "rank")),
        ("reduction", "tol", lambda v: check_tolerance(v, "tol", upper=1.0)),
        ("reduction", "rtol", lambda v: check_tolerance(v, "rtol", upper=1.0)),
        ("regressor", "kernel", lambda v: check_choice(v, "kernel", KERNELS)),
        ("regressor", "smoothing", lambda v: check_tolerance(v, "smoothing", allow_none=False)),
        (
            "regressor",
            "degree",
            lambda v: check_positive_int(v, "degree", allow_none=False, minimum=-1),
        ),
    ]
    for section, key, check in checks:
        table = reduction if section == "reduction" else regressor
        if key in table:
            try:
                check(table[key])
            except (TypeError, ValueError) as err:
                raise ValueError(f"spec: [{section}] {err}") from err


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # the dependency for Python 3.10

    return tomli


class Spec:
    """A validated campaign specification (see the module docstring)."""

    def __init__(self, data: dict, root: Path) -> None:
        unknown = sorted(set(data) - set(_SECTIONS))
        if unknown:
            raise ValueError(f"spec: unknown sections {unknown}; expected {sorted(_SECTIONS)}")
        for section, keys in _SECTIONS.items():
            if keys is None or section not in data:
                continue
            if not isinstance(data[section], dict):
                raise ValueError(f"spec: [{section}] must be a table")
            bad = sorted(set(data[section]) - keys)
            if bad:
                raise ValueError(
                    f"spec: unknown keys {bad} in [{section}]; expected {sorted(keys)}"
                )
        self.root = root
        self.data = data
        self.parameter_space = self._parameter_space(data.get("parameters"))
        solver = data.get("solver")
        if not solver or ("python" in solver) == ("command" in solver):
            raise ValueError("spec: [solver] needs exactly one of 'python' or 'command'")
        if "command" in solver and not solver.get("outputs"):
            raise ValueError("spec: a [solver] command needs 'outputs' (field name = file name)")
        _check_solver(solver)
        self.field = solver.get("field") or (
            next(iter(solver["outputs"])) if "outputs" in solver else "u"
        )
        sampling = data.get("sampling", {})
        self.n = sampling.get("n", 16)
        if not _is_int(self.n) or self.n < 1:
            raise ValueError(f"spec: [sampling] n must be a positive integer, got {self.n!r}")
        self.method = sampling.get("method", "lhs")
        if not isinstance(self.method, str) or self.method not in SAMPLERS:
            raise ValueError(
                f"spec: [sampling] method must be one of {SAMPLERS}, got {self.method!r}"
            )
        self.random_state = sampling.get("random_state", 0)
        if isinstance(self.random_state, bool) or not isinstance(self.random_state, int):
            raise ValueError(
                f"spec: [sampling] random_state must be an integer, got {self.random_state!r}"
            )
        self.store_path = root / _string(data.get("store", {}), "store", "path", "snapshots")
        self.model_path = root / _string(
            data.get("output", {}), "output", "model", "surrogate.npz"
        )
        _check_estimator_values(data)
        kind = data.get("executor", {}).get("kind", "serial")
        if not isinstance(kind, str):
            raise ValueError(f"spec: [executor] kind must be a string, got {kind!r}")
        head, _, count = kind.partition(":")
        valid = kind in ("serial", "mpi", "dask") or (
            head in ("threads", "processes", "dask") and count.isdigit() and int(count) > 0
        )
        if head == "dask" and count.startswith(("tcp://", "tls://", "inproc://", "ucx://")):
            valid = True
        if not valid:
            raise ValueError(
                "spec: [executor] kind must be serial, threads:N, processes:N, dask, dask:N, "
                f"dask:<scheduler address> or mpi, got {kind!r}"
            )
        self.executor_kind = kind

    @staticmethod
    def _parameter_space(table: Any) -> ParameterSpace:
        if not isinstance(table, dict) or not table:
            raise ValueError("spec: [parameters] must name at least one parameter")
        bounds, log = {}, []
        for name, value in table.items():
            if isinstance(value, dict):
                extra = sorted(set(value) - {"bounds", "log"})
                if extra:
                    raise ValueError(f"spec: unknown keys {extra} for parameter {name!r}")
                value, is_log = value.get("bounds"), value.get("log", False)
                if not isinstance(is_log, bool):
                    raise ValueError(
                        f"spec: parameter {name!r}: log must be true or false, got {is_log!r}"
                    )
            else:
                is_log = False
            if not isinstance(value, list) or len(value) != 2:
                raise ValueError(f"spec: parameter {name!r} needs bounds [low, high]")
            if not all(_is_number(v) for v in value):
                raise ValueError(
                    f"spec: parameter {name!r} needs numbers as bounds [low, high], got {value!r}"
                )
            bounds[name] = tuple(value)
            if is_log:
                log.append(name)
        return ParameterSpace(bounds, log=log)

    def training_set(self) -> Any:
        """The parameter sets of ``[sampling]`` (rows)."""
        return self.parameter_space.sample(self.n, self.method, self.random_state)

    def solver(self) -> Any:
        """The solver of ``[solver]`` (imports the ``python`` module: a trusted spec only)."""
        from rom.nonintrusive.solvers import CallableSolver, CommandSolver

        table = self.data["solver"]
        if "python" in table:
            module_name, _, function = str(table["python"]).partition(":")
            if not function:
                raise ValueError("spec: [solver] python must be 'module:function'")
            if str(self.root) not in sys.path:
                sys.path.insert(0, str(self.root))
            try:
                fn = getattr(importlib.import_module(module_name), function)
            except (ImportError, AttributeError) as err:
                raise ValueError(
                    f"spec: cannot load the solver {table['python']!r} ({err})"
                ) from err
            return CallableSolver(fn, field=self.field)
        return CommandSolver(
            list(table["command"]),
            outputs=table["outputs"],
            templates=[self.root / t for t in table.get("templates", [])],
            timeout=table.get("timeout", CommandSolver.DEFAULT_TIMEOUT),
            retries=table.get("retries", 0),
        )

    def executor(self) -> Executor | None:
        """The executor of ``[executor] kind`` (call its ``shutdown()`` when done)."""
        if self.executor_kind == "serial":
            return None
        kind, _, count = self.executor_kind.partition(":")
        if kind == "mpi":
            from rom.backend import import_optional

            import_optional("mpi4py", "mpi")
            from mpi4py.futures import MPIPoolExecutor

            return MPIPoolExecutor()
        if kind == "dask":
            return DaskExecutor(count or None)
        workers = int(count) if count else None
        if kind == "threads":
            return ThreadPoolExecutor(workers)
        from rom.parallel import process_pool  # workers exit when this process dies

        return process_pool(workers)

    def surrogate(self) -> Any:
        """The (unfitted) surrogate of ``[reduction]`` and ``[regressor]``."""
        from rom.linalg import POD
        from rom.nonintrusive.surrogate import RBFRegressor, Surrogate

        reduction = self.data.get("reduction", {"tol": 1e-6})
        return Surrogate(
            reduction=POD(**reduction),
            regressor=RBFRegressor(**self.data.get("regressor", {})),
            parameter_space=self.parameter_space,
        )


class DaskExecutor(Executor):
    """A ``dask.distributed`` client as a ``concurrent.futures`` executor that owns it.

    ``DaskExecutor(None)`` starts a ``LocalCluster`` with dask's default number of
    worker processes, ``DaskExecutor("4")`` one with 4, ``DaskExecutor("tcp://host:8786")``
    connects to a running scheduler. ``shutdown()`` closes the client (and the local
    cluster it started).

    Examples
    --------
    >>> from rom.nonintrusive.spec import DaskExecutor
    >>> with DaskExecutor("1") as executor:  # doctest: +SKIP
    ...     executor.submit(sum, [1, 2]).result()
    3
    """

    def __init__(self, target: str | None = None) -> None:
        from rom.backend import import_optional

        distributed = import_optional("distributed", "dask")
        self.cluster = None
        if target is None or str(target).isdigit():
            workers = None if target is None else int(target)
            self.cluster = distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, dashboard_address=":0"
            )
            self.client = distributed.Client(self.cluster)
        else:
            self.client = distributed.Client(target)
        self._executor = self.client.get_executor()

    def submit(self, fn, /, *args, **kwargs):
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def read_spec(path: str | Path) -> Spec:
    """Read and validate a TOML specification (errors name the section and the key)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"spec: no such file {str(path)!r}")
    try:
        data = _toml().loads(path.read_text())
    except Exception as err:
        raise ValueError(f"spec: {str(path)!r} is not valid TOML ({err})") from err
    return Spec(data, path.parent.resolve())
