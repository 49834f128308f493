"""Nonintrusive coupling to external codes: solver adapters, snapshot store, campaigns."""

from rom.linalg.petsc import PETScSolver, petsc_factory
from rom.nonintrusive.adaptive import AdaptiveResult, adaptive_campaign
from rom.nonintrusive.generate import GenerationResult, generate_snapshots
from rom.nonintrusive.matrices import MatrixAssembler, MatrixSolver
from rom.nonintrusive.solvers import CallableSolver, CommandSolver, SolverError
from rom.nonintrusive.store import SnapshotStore
from rom.nonintrusive.surrogate import RBFRegressor, Surrogate

__all__ = [
    "AdaptiveResult",
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
    "adaptive_campaign",
    "generate_snapshots",
    "petsc_factory",
]
