"""Nonintrusive coupling to external codes: solver adapters, snapshot store, campaigns."""

from rom.linalg.petsc import PETScSolver, petsc_factory
from rom.nonintrusive.generate import GenerationResult, as_executor, generate_snapshots
from rom.nonintrusive.matrices import MatrixAssembler, MatrixSolver, read_array
from rom.nonintrusive.solvers import CallableSolver, CommandSolver, SolverError
from rom.nonintrusive.store import SnapshotStore
from rom.nonintrusive.surrogate import RBFRegressor, Surrogate

__all__ = [
    "CallableSolver",
    "CommandSolver",
    "GenerationResult",
    "MatrixAssembler",
    "MatrixSolver",
    "PETScSolver",
    "RBFRegressor",
    "SnapshotStore",
    "SolverError",
    "Surrogate",
    "as_executor",
    "generate_snapshots",
    "petsc_factory",
    "read_array",
]
