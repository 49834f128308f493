"""Campaign specifications (TOML) behind ``rom build``, ``rom predict`` and ``rom validate``.

A specification names the parameter space, the sampling, the solver (a Python entry
point or a command line), the snapshot store, the reduction, the regressor, the
executor and the output model; paths are relative to the specification file::

    [parameters]
    k = [0.1, 1.0]                      # bounds
    c = { bounds = [1.0, 100.0], log = true }

    [sampling]
    method = "lhs"                      # random | lhs | sobol: n points in all
    n = 32
    random_state = 0
    # or: method = "grid", per_axis = 4  (a tensor grid: 4 ** n_parameters points)

    [solver]
    python = "model:solve"              # module:function, the module next to the spec
    # or: command = ["FreeFem++", "-nw", "-v", "0", "model.edp", "{k}", "{c}"]
    #     outputs = { u = "u.txt" }, templates = ["model.edp"], timeout = 600
    field = "u"

    [store]
    path = "snapshots"

    [reduction]
    tol = 1e-6
    memory = "4GB"                      # above it, the POD streams (default: half the RAM)

    [regressor]
    kernel = "thin_plate_spline"

    [executor]
    kind = "processes:4"                # serial | threads:N | processes:N | dask:N
                                        # | dask:tcp://host:8786 | mpi

    [output]
    model = "surrogate.npz"

    [adaptive]                          # optional: an adaptive campaign instead of [sampling]
    target = 0.01                       # relative validation error to reach
    max_runs = 200                      # training runs at most
    batch = 8                           # runs added per round
    # initial = 16, validation = 20, candidates = 2048

Every value is checked for its type when the specification is read, before any run:
a string where a list, a number or a boolean is expected is an error (``log =
"false"`` is not a boolean; ``command = "echo {k}"`` is refused, never split: write one
list element per argument), a float where an integer is expected too (``n = 2.7``),
and the ``[reduction]`` and ``[regressor]`` values are checked like the constructor
arguments of :class:`rom.POD` and :class:`rom.nonintrusive.RBFRegressor`. A
``command`` is checked when its solver is made (:meth:`Spec.solver`), still before any
run: the templates exist, every ``{placeholder}`` is a parameter name or ``{workdir}``,
and the program is on the ``PATH`` (or an executable file).
"""

from __future__ import annotations

import importlib
import numbers
import shlex
import sys
from concurrent.futures import Executor, ThreadPoolExecutor
from pathlib import Path
from typing import Any, NamedTuple

from rom.nonintrusive.memory import format_bytes, parse_memory, physical_memory
from rom.parameters import SAMPLERS, ParameterSpace
from rom.validation import check_choice, check_positive_int, check_tolerance

__all__ = ["Spec", "read_spec"]


class Key(NamedTuple):
    """One key of a specification section: its TOML type, default and meaning."""

    type: str
    default: str
    description: str


#: Every section and key a specification may hold (the reference table of the user
#: guide is rendered from it); ``Spec`` refuses any other section or key.
SCHEMA: dict[str, tuple[str, dict[str, Key]]] = {
    "parameters": (
        "The parameter space: one key per parameter, in order.",
        {
            "<name>": Key(
                "[low, high] or {bounds = [low, high], log = bool}",
                "(required)",
                "Bounds of the parameter; ``log = true`` samples it uniformly in log scale "
                "(positive bounds).",
            ),
        },
    ),
    "sampling": (
        "The training parameter sets.",
        {
            "method": Key('"random" | "lhs" | "sobol" | "grid"', '"lhs"', "The sampler."),
            "n": Key("int", "16", "Number of parameter sets in all (not with ``grid``)."),
            "per_axis": Key(
                "int", "(required for grid)", "Points along each parameter of a ``grid``."
            ),
            "random_state": Key("int", "0", "Seed of the random samplers."),
        },
    ),
    "solver": (
        "The full-order code: exactly one of ``python`` or ``command``.",
        {
            "python": Key(
                "str",
                "",
                '``"module:function"``, the module next to the specification; the function '
                "takes a dict of parameter values and returns an array or a dict of arrays.",
            ),
            "command": Key(
                "list of str",
                "",
                "A command line, one element per argument, run without a shell; "
                "``{name}`` placeholders take the parameter values, ``{workdir}`` the run "
                "directory.",
            ),
            "outputs": Key(
                "table of str", "(required with command)", "Field name = file the command writes."
            ),
            "templates": Key(
                "list of str", "[]", "Files copied into each run directory, placeholders filled."
            ),
            "timeout": Key("float", "86400", "Seconds before a run of the command is stopped."),
            "retries": Key("int", "0", "How many times a failed run is tried again."),
            "field": Key("str", 'the first output, or "u"', "The field the surrogate learns."),
        },
    ),
    "store": (
        "The snapshot store (runs already in it are not run again).",
        {"path": Key("str", '"snapshots"', "Its directory.")},
    ),
    "reduction": (
        "The POD of the snapshots (:class:`rom.POD`); ``tol = 1e-6`` without this section "
        "(or with ``memory`` only).",
        {
            "tol": Key("float", "", "Relative projection error of the snapshot set."),
            "rank": Key("int", "", "Number of modes."),
            "rtol": Key(
                "float", "", "Keep the modes with singular value above ``rtol`` times the first."
            ),
            "memory": Key(
                'str or int ("4GB", "1.5GiB", bytes)',
                "half of the physical memory",
                "Memory the POD of ``rom build`` may use: when three times the snapshot "
                "matrix exceeds it, the snapshots stream from the store through an "
                ":class:`rom.linalg.IncrementalPOD` (``tol`` and ``rank``, not ``rtol``) in "
                "blocks of a quarter of it (see :func:`rom.nonintrusive.memory.parse_memory`).",
            ),
        },
    ),
    "regressor": (
        "The map from parameters to POD coordinates (:class:`rom.nonintrusive.RBFRegressor`).",
        {
            "kernel": Key("str", '"thin_plate_spline"', "The radial basis function."),
            "smoothing": Key("float", "0.0", "Non-negative; 0 interpolates the snapshots."),
            "degree": Key("int", "1", "Degree of the added polynomial (-1 for none)."),
        },
    ),
    "executor": (
        "Where the runs go.",
        {
            "kind": Key(
                "str",
                '"serial"',
                "``serial``, ``threads:N``, ``processes:N``, ``dask``, ``dask:N``, "
                "``dask:<scheduler address>`` or ``mpi``.",
            ),
        },
    ),
    "output": (
        "The saved model.",
        {"model": Key("str", '"surrogate.npz"', "Its file.")},
    ),
    "adaptive": (
        "An adaptive campaign (:func:`rom.nonintrusive.adaptive_campaign`) instead of the "
        "``[sampling]`` set: runs added where the surrogate's estimated error is largest; "
        "``[sampling] random_state`` seeds it.",
        {
            "target": Key("float", "0.01", "Relative validation error to reach, in (0, 1]."),
            "max_runs": Key("int", "200", "Training runs at most (held-out runs apart)."),
            "batch": Key("int", "8", "Runs added per round."),
            "initial": Key(
                "int", "max(batch, 2 (n_params + 1))", "Runs of the initial Sobol' design."
            ),
            "validation": Key("int", "20", "Held-out runs the error is measured on."),
            "candidates": Key("int", "2048", "Sobol' points new runs are chosen from."),
        },
    ),
}

_SECTIONS = {
    section: None if section == "parameters" else set(keys)
    for section, (_, keys) in SCHEMA.items()
}


#: the share of the physical memory that ``rom build`` uses without ``memory``
DEFAULT_MEMORY_SHARE = 0.5


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
    from rom.nonintrusive.rbf import KERNELS

    reduction = data.get("reduction", {})
    regressor = data.get("regressor", {})
    checks = [
        ("reduction", "rank", lambda v: check_positive_int(v, "rank")),
        ("reduction", "tol", lambda v: check_tolerance(v, "tol", upper=1.0)),
        ("reduction", "rtol", lambda v: check_tolerance(v, "rtol", upper=1.0)),
        ("reduction", "memory", parse_memory),
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


def _adaptive(table: dict) -> dict:
    """The ``[adaptive]`` values, checked: the keyword arguments of ``adaptive_campaign``."""
    out = dict(table)
    target = out.get("target", 0.01)
    if not _is_number(target) or not 0 < target <= 1:
        raise ValueError(
            f"spec: [adaptive] target must be a relative error in (0, 1], got {target!r}"
        )
    out["target"] = float(target)
    for key, default in (("max_runs", 200), ("batch", 8)):
        value = out.get(key, default)
        if not _is_int(value) or value < 1:
            raise ValueError(f"spec: [adaptive] {key} must be a positive integer, got {value!r}")
        out[key] = value
    for key in ("initial", "validation", "candidates"):
        value = out.get(key)
        if value is not None and (not _is_int(value) or value < 1):
            raise ValueError(f"spec: [adaptive] {key} must be a positive integer, got {value!r}")
    if out.get("initial", 0) > out["max_runs"]:
        raise ValueError(
            f"spec: [adaptive] initial ({out['initial']}) must be at most max_runs "
            f"({out['max_runs']})"
        )
    return out


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # the dependency for Python 3.10

    return tomli


class Spec:
    """A validated campaign specification (see the module docstring).

    Parameters
    ----------
    data : dict
        The parsed TOML document, one table per section.
    root : pathlib.Path
        The directory that the relative paths of the specification start from.
    """

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
        self.method = sampling.get("method", "lhs")
        methods = (*SAMPLERS, "grid")
        if not isinstance(self.method, str) or self.method not in methods:
            raise ValueError(
                f"spec: [sampling] method must be one of {methods}, got {self.method!r}"
            )
        if self.method == "grid":
            if "n" in sampling or "per_axis" not in sampling:
                raise ValueError(
                    "spec: [sampling] a grid is sized per axis: write per_axis = K (K points "
                    f"along each parameter, K ** {self.parameter_space.dim} in all), not n"
                )
            self.n = sampling["per_axis"]
            if not _is_int(self.n) or self.n < 1:
                raise ValueError(
                    f"spec: [sampling] per_axis must be a positive integer, got {self.n!r}"
                )
        else:
            if "per_axis" in sampling:
                raise ValueError(
                    'spec: [sampling] per_axis is for method = "grid"; '
                    f"{self.method!r} takes n (points in all)"
                )
            self.n = sampling.get("n", 16)
            if not _is_int(self.n) or self.n < 1:
                raise ValueError(f"spec: [sampling] n must be a positive integer, got {self.n!r}")
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
        self.adaptive = _adaptive(data["adaptive"]) if "adaptive" in data else None
        memory = data.get("reduction", {}).get("memory")
        if memory is not None and self.adaptive is not None:
            raise ValueError(
                "spec: [reduction] memory applies to a sampled campaign; an [adaptive] one "
                "refits its surrogate in memory every round (remove memory or [adaptive])"
            )
        #: the ``[reduction] memory`` as written (None: not given) and in bytes
        self.memory_text = memory
        self.memory = None if memory is None else parse_memory(memory)
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
        if self.method == "grid":
            return self.parameter_space.grid(self.n)
        return self.parameter_space.sample(self.n, self.method, self.random_state)

    def solver(self) -> Any:
        """The solver of ``[solver]`` (imports the ``python`` module: a trusted spec only).

        A ``command`` is checked before it is returned: its templates exist, its
        ``{placeholders}`` are parameter names (or ``{workdir}``), its program is found.
        """
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
        # checked here, before any run: templates, placeholders, the program
        try:
            solver = CommandSolver(
                list(table["command"]),
                outputs=table["outputs"],
                templates=[self.root / t for t in table.get("templates", [])],
                timeout=table.get("timeout", CommandSolver.DEFAULT_TIMEOUT),
                retries=table.get("retries", 0),
            )
            solver.check(self.parameter_space.names)
        except (ValueError, TypeError, FileNotFoundError) as err:
            raise ValueError(f"spec: [solver] {err}") from err
        return solver

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

    def memory_budget(self) -> tuple[int | None, str]:
        """The memory the reduction may use, in bytes, and where that figure comes from.

        ``[reduction] memory`` when given; else :data:`DEFAULT_MEMORY_SHARE` (half) of
        the machine's physical memory (:func:`physical_memory`); None where neither is
        known.

        Returns
        -------
        budget : int or None
        origin : str
            ``'memory = "4GB"'``, ``"half of this machine's 16.0 GB"`` or why there is
            no budget.
        """
        if self.memory is not None:
            text = self.memory_text
            return self.memory, f"memory = {text!r}".replace("'", '"')
        total = physical_memory()
        if total is None:
            return None, "this machine's memory is unknown: set [reduction] memory"
        share = "half" if DEFAULT_MEMORY_SHARE == 0.5 else f"{DEFAULT_MEMORY_SHARE:.0%}"
        return int(
            total * DEFAULT_MEMORY_SHARE
        ), f"{share} of this machine's {format_bytes(total)}"

    def surrogate(self, chunk_size: int | None = None) -> Any:
        """The (unfitted) surrogate of ``[reduction]`` and ``[regressor]``.

        Parameters
        ----------
        chunk_size : int, optional
            Stream the snapshots: the reduction is then an
            :class:`rom.linalg.IncrementalPOD` of the same ``tol`` and ``rank`` reading
            ``chunk_size`` columns at a time (fit it with ``fit(store, field)``); a
            ``[reduction] rtol`` cannot be streamed and is refused.

        Returns
        -------
        rom.nonintrusive.Surrogate
        """
        from rom.linalg import POD, IncrementalPOD
        from rom.nonintrusive.surrogate import RBFRegressor, Surrogate

        reduction = dict(self.data.get("reduction", {}))
        reduction.pop("memory", None)
        reduction = reduction or {"tol": 1e-6}
        if chunk_size is None:
            pod = POD(**reduction)
        elif "rtol" in reduction:
            raise ValueError(
                "spec: [reduction] rtol: the snapshots exceed the memory budget and stream "
                "through an IncrementalPOD, which takes tol and rank only; use tol, or a "
                "larger [reduction] memory"
            )
        else:
            pod = IncrementalPOD(**reduction, chunk_size=chunk_size)
        return Surrogate(
            reduction=pod,
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
    """Read and validate a TOML specification (errors name the section and the key).

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML file; its relative paths start from its directory.

    Returns
    -------
    Spec
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"spec: no such file {str(path)!r}")
    try:
        data = _toml().loads(path.read_text())
    except Exception as err:
        raise ValueError(f"spec: {str(path)!r} is not valid TOML ({err})") from err
    return Spec(data, path.parent.resolve())
