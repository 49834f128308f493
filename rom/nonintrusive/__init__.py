"""Nonintrusive coupling to external codes: solver adapters, snapshot store, campaigns."""

from rom.nonintrusive.generate import GenerationResult, generate_snapshots
from rom.nonintrusive.solvers import CallableSolver, CommandSolver, SolverError
from rom.nonintrusive.store import SnapshotStore
from rom.nonintrusive.surrogate import RBFRegressor, Surrogate

__all__ = [
    "CallableSolver",
    "CommandSolver",
    "GenerationResult",
    "RBFRegressor",
    "SnapshotStore",
    "SolverError",
    "Surrogate",
    "generate_snapshots",
]
