"""Assembled matrices of an external code as functions of the parameters, cached on disk.

The matrix-level nonintrusive path: an external code writes ``A(mu)`` (and right-hand
sides) for each parameter; :class:`MatrixSolver` reads them, keeps them in a
:class:`~rom.nonintrusive.SnapshotStore` so that no parameter is run twice, and hands
``assemble(mu) -> matrix`` callables to :class:`rom.eim.MatrixEIM` and
:class:`rom.eim.VectorEIM`, whose ``to_affine()`` gives the affine operators of a
:class:`rom.rb.LinearModel`.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from rom.io import read_array
from rom.nonintrusive.solvers import CommandSolver, SolverError
from rom.nonintrusive.store import SnapshotStore
from rom.parameters import ParameterSpace
from rom.validation import check_parameter, is_sparse

__all__ = ["MatrixAssembler", "MatrixSolver"]


def _read_output(path: Path, field: str) -> Any:
    """A :class:`CommandSolver` reader: every output file through :func:`rom.io.read_array`."""
    return read_array(path)


def _check_value(name: str, value: Any) -> Any:
    if is_sparse(value):
        value = value.tocsr()
        data = value.data
    else:
        value = np.asarray(value)
        data = value
        if value.ndim not in (1, 2):
            raise SolverError(f"output {name!r}: expected a vector or a matrix, got {value.shape}")
    if data.dtype.kind not in "biufc":
        raise SolverError(f"output {name!r}: expected numbers, got dtype {data.dtype}")
    if data.size and not np.isfinite(data).all():
        raise SolverError(f"output {name!r}: contains NaN or inf")
    return value


class MatrixSolver:
    """The matrices and vectors an external code assembles, per parameter, cached.

    One run of the code gives every output (say the operator ``A`` and the right-hand
    side ``f``) at one parameter; they are kept in ``store`` (a
    :class:`SnapshotStore` whose fields are the outputs, sparse matrices as they are),
    so that a matrix already computed, in this process or an earlier one, is read
    back instead of recomputed. The last parameters' outputs are also kept in memory,
    up to ``memory`` megabytes.

    Parameters
    ----------
    solver : CommandSolver or callable
        A :class:`CommandSolver` whose outputs are matrix or vector files (Matrix
        Market, ``.npz``/``.npy``, FreeFEM text; see :func:`rom.io.read_array`), or a
        Python function ``fn(mu: dict) -> matrix`` or ``-> {name: matrix}``.
    parameter_space : rom.ParameterSpace
    outputs : sequence of str, optional
        Names of the outputs; by default those of the :class:`CommandSolver`. Needed
        for a Python function.
    store : SnapshotStore, path or None
        Where computed outputs are kept. A path opens (or creates) a store whose
        fields are the outputs; None keeps nothing on disk.
    memory : float
        Megabytes of outputs also kept in memory (the most recently used first), so
        that the repeated evaluations of an EIM greedy or a reduced basis greedy over a
        training set read nothing from disk; 0 keeps only the last parameter's.

    Attributes
    ----------
    n_runs_ : int
        Runs of the external code made by this object (cache hits not counted).

    Examples
    --------
    >>> import numpy as np, scipy.sparse, tempfile
    >>> from rom import ParameterSpace
    >>> from rom.nonintrusive import MatrixSolver
    >>> space = ParameterSpace({"k": (1.0, 2.0)})
    >>> fn = lambda mu: {"A": mu["k"] * scipy.sparse.eye(3, format="csr"), "f": np.ones(3)}
    >>> matrices = MatrixSolver(fn, space, outputs=["A", "f"], store=tempfile.mkdtemp())
    >>> assemble = matrices.assembler("A")
    >>> float(assemble([1.5])[0, 0]), float(assemble([1.5])[1, 1]), matrices.n_runs_
    (1.5, 1.5, 1)
    """

    def __init__(
        self,
        solver: Any,
        parameter_space: ParameterSpace,
        outputs: Sequence[str] | None = None,
        store: SnapshotStore | str | os.PathLike | None = None,
        memory: float = 256.0,
    ) -> None:
        if not callable(solver):
            raise TypeError(
                f"solver: expected a CommandSolver or a callable mu -> matrix, got "
                f"{type(solver).__name__}"
            )
        if not isinstance(parameter_space, ParameterSpace):
            raise TypeError(
                "parameter_space: expected a rom.ParameterSpace, got "
                f"{type(parameter_space).__name__}"
            )
        if outputs is None:
            if not isinstance(solver, CommandSolver):
                raise TypeError("outputs: expected the output names (needed for a Python solver)")
            outputs = list(solver.outputs)
        if isinstance(outputs, str) or not outputs or not all(isinstance(o, str) for o in outputs):
            raise TypeError(f"outputs: expected a non-empty list of names, got {outputs!r}")
        if isinstance(solver, CommandSolver):
            unknown = sorted(set(outputs) - set(solver.outputs))
            if unknown:
                raise ValueError(
                    f"outputs: {unknown} are not outputs of the command (it writes "
                    f"{sorted(solver.outputs)})"
                )
        self.solver = solver
        self.parameter_space = parameter_space
        self.outputs = list(outputs)
        if store is None or isinstance(store, SnapshotStore):
            if store is not None and sorted(store.fields) != sorted(self.outputs):
                raise ValueError(
                    f"store: holds the fields {store.fields}, expected the outputs {self.outputs}"
                )
            if store is not None and store.parameter_space != parameter_space:
                raise ValueError("store: holds snapshots of another parameter space")
            self.store = store
        elif isinstance(store, str | os.PathLike):
            self.store = SnapshotStore(store, parameter_space, self.outputs)
        else:
            raise TypeError(f"store: expected a SnapshotStore, a path or None, got {store!r}")
        if not (
            isinstance(memory, int | float)
            and not isinstance(memory, bool)
            and np.isfinite(memory)
            and memory >= 0
        ):
            raise ValueError(
                f"memory: expected a non-negative number of megabytes, got {memory!r}"
            )
        self.memory = float(memory)
        self.metadata = {"solver": "matrix", **dict(getattr(solver, "metadata", {}))}
        self.n_runs_ = 0
        self._cache: OrderedDict[bytes, tuple[int, dict[str, Any]]] = OrderedDict()

    # ----------------------------------------------------------------- runs
    def _mu(self, mu: Any) -> tuple[np.ndarray, dict[str, float]]:
        row = check_parameter(mu, "mu", parameter_space=self.parameter_space)
        return row, dict(zip(self.parameter_space.names, map(float, row), strict=True))

    def _run(self, values: dict[str, float]) -> dict[str, Any]:
        if isinstance(self.solver, CommandSolver):
            raw = self.solver.run(values, read=_read_output)
        else:
            try:
                raw = self.solver(dict(values))
            except SolverError:
                raise
            except Exception as err:
                raise SolverError(f"{type(err).__name__}: {err}") from err
            if not isinstance(raw, Mapping):
                if len(self.outputs) != 1:
                    raise SolverError(
                        f"the solver returned one value, expected the outputs {self.outputs}"
                    )
                raw = {self.outputs[0]: raw}
        missing = [name for name in self.outputs if name not in raw]
        if missing:
            raise SolverError(f"the solver did not give the outputs {missing}")
        self.n_runs_ += 1
        return {name: _check_value(name, raw[name]) for name in self.outputs}

    def __call__(self, mu: Mapping[str, float]) -> dict[str, Any]:
        """Run the code at ``mu`` and return its outputs (the fields of the store).

        This makes a :class:`MatrixSolver` a solver for
        :func:`~rom.nonintrusive.generate_snapshots` (see :meth:`precompute`).
        """
        _, values = self._mu(mu)
        return self._run(values)

    def matrices(self, mu: Any) -> dict[str, Any]:
        """Every output at ``mu``: from memory, from the store, or from a new run.

        Parameters
        ----------
        mu : array of shape (n_params,) or mapping of name to value

        Returns
        -------
        dict
            ``{output name: scipy.sparse.csr_matrix or ndarray}``.
        """
        row, values = self._mu(mu)
        key = row.tobytes()
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key][1]
        result = None
        if self.store is not None and self.store.has(row):
            try:
                stored = self.store.get(row)
                result = {name: stored[name] for name in self.outputs}
            except (KeyError, ValueError):
                result = None  # removed or corrupted since: compute again
        if result is None:
            result = self._run(values)
            if self.store is not None:
                self.store.put(row, result, metadata=self.metadata)
        self._remember(key, result)
        return result

    def _remember(self, key: bytes, result: dict[str, Any]) -> None:
        size = sum(
            v.data.nbytes + v.indices.nbytes + v.indptr.nbytes if is_sparse(v) else v.nbytes
            for v in result.values()
        )
        self._cache[key] = (size, result)
        budget = self.memory * 2**20
        while len(self._cache) > 1 and sum(s for s, _ in self._cache.values()) > budget:
            self._cache.popitem(last=False)

    def assembler(self, output: str) -> MatrixAssembler:
        """``assemble(mu) -> output at mu``, for :meth:`rom.eim.MatrixEIM.fit`.

        Parameters
        ----------
        output : str
            One of the solver's outputs.
        """
        if output not in self.outputs:
            raise ValueError(f"output: expected one of {self.outputs}, got {output!r}")
        return MatrixAssembler(self, output)

    def precompute(
        self, parameters: Any, executor: Executor | None = None, progress: bool | None = None
    ) -> Any:
        """Run the code at every row of ``parameters`` not yet in the store, in parallel.

        A thin call of :func:`~rom.nonintrusive.generate_snapshots` (same ``executor``
        choices); the offline stage of :class:`rom.eim.MatrixEIM` then reads every
        training matrix from the store.

        Parameters
        ----------
        parameters : array_like, shape (k, n_params)
            Parameter sets (rows).
        executor : concurrent.futures.Executor or dask client, optional
            Where the runs go (default: serial).
        progress : bool, optional
            Whether to show a progress bar (default: on a terminal).

        Returns
        -------
        GenerationResult
        """
        if self.store is None:
            raise ValueError("precompute: this MatrixSolver has no store to fill")
        from rom.nonintrusive.generate import generate_snapshots

        return generate_snapshots(self, parameters, self.store, executor, progress)

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_cache"] = OrderedDict()  # no matrices travel to the workers
        return state


class MatrixAssembler:
    """``assemble(mu)`` for one output of a :class:`MatrixSolver` (see its ``assembler``).

    Parameters
    ----------
    source : MatrixSolver
        The solver whose output is assembled.
    output : str
        One of its outputs.

    Examples
    --------
    >>> import scipy.sparse
    >>> from rom import ParameterSpace
    >>> from rom.nonintrusive import MatrixSolver
    >>> space = ParameterSpace({"k": (1.0, 2.0)})
    >>> assemble = MatrixSolver(lambda mu: mu["k"] * scipy.sparse.eye(2), space,
    ...                         outputs=["A"]).assembler("A")
    >>> assemble([2.0]).toarray()
    array([[2., 0.],
           [0., 2.]])
    """

    def __init__(self, source: MatrixSolver, output: str) -> None:
        if not isinstance(source, MatrixSolver):
            raise TypeError(f"source: expected a MatrixSolver, got {type(source).__name__}")
        self.source = source
        self.output = output

    def __call__(self, mu: Any) -> Any:
        return self.source.matrices(mu)[self.output]
