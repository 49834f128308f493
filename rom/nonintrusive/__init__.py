"""Nonintrusive coupling to external codes: solver adapters, snapshot store, campaigns."""

from rom.nonintrusive.generate import GenerationResult, generate_snapshots
from rom.nonintrusive.solvers import CallableSolver, CommandSolver, SolverError
from rom.nonintrusive.store import SnapshotStore

__all__ = [
    "CallableSolver",
    "CommandSolver",
    "GenerationResult",
    "SnapshotStore",
    "SolverError",
    "generate_snapshots",
]
