"""The classes a romba file may name: a stable alias for each, and where it lives.

A model file names its class by alias, never by module path, so that a class can move
between modules without breaking the files already written: move the class, change
its line here. Loading instantiates only the classes of this table (imported from
romba's own modules by the path written here, never by a path read from a file).
``tests/test_contract.py`` checks that every saveable romba class has exactly one
alias and that each alias points at its class.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["CLASSES", "alias_of", "class_of"]

#: alias -> "module:qualname"
CLASSES: dict[str, str] = {
    # foundation
    "ParameterSpace": "rom.parameters:ParameterSpace",
    "POD": "rom.linalg.pod:POD",
    "IncrementalPOD": "rom.linalg.hapod:IncrementalPOD",
    "LinearCoefficients": "rom.affine:LinearCoefficients",
    "ConstantCoefficients": "rom.affine:ConstantCoefficients",
    # empirical interpolation
    "EIM": "rom.eim.eim:EIM",
    "RectangularEIM": "rom.eim.rectangular:RectangularEIM",
    "DEIM": "rom.eim.deim:DEIM",
    "QDEIM": "rom.eim.deim:QDEIM",
    "GEIM": "rom.eim.geim:GEIM",
    "MatrixEIM": "rom.eim.matrix:MatrixEIM",
    "VectorEIM": "rom.eim.matrix:VectorEIM",
    # reduced basis
    "ReducedBasis": "rom.rb.reduced_basis:ReducedBasis",
    "ReducedModel": "rom.rb.reduced_model:ReducedModel",
    "GreedyResult": "rom.rb.greedy:GreedyResult",
    "MinTheta": "rom.rb.coercivity:MinTheta",
    "SCM": "rom.rb.coercivity:SCM",
    "InfSupEstimate": "rom.rb.stability:InfSupEstimate",
    # matrix functions
    "LogDet": "rom.matfun.logdet:LogDet",
    "InverseApproximation": "rom.matfun.inverse:InverseApproximation",
    "InterpolationVariables": "rom.matfun._interpolation:InterpolationVariables",
    # nonlinear Galerkin models
    "GalerkinROM": "rom.galerkin.rom:GalerkinROM",
    "LocalGalerkinROM": "rom.local.galerkin:LocalGalerkinROM",
    # Lagrangian bases
    "LagrangianPOD": "rom.lagrangian.pod:LagrangianPOD",
    "LagrangianROM": "rom.lagrangian.model:LagrangianROM",
    "EulerianGalerkin": "rom.lagrangian.eulerian:EulerianGalerkin",
    # fast multipole
    "EIFMM": "rom.fmm.eifmm:EIFMM",
    # local bases
    "LocalPOD": "rom.local.local_pod:LocalPOD",
    "KMedoids": "rom.local.kmedoids:KMedoids",
    "EfficiencyCriterion": "rom.local.criterion:EfficiencyCriterion",
    # closures
    "LearnedClosure": "rom.closures.closure:LearnedClosure",
    "QuadraticRidge": "rom.closures.ridge:QuadraticRidge",
    "ArrayRegressor": "rom.closures.adapters:ArrayRegressor",
    "ArrayClassifier": "rom.closures.adapters:ArrayClassifier",
    "TorchRegressor": "rom.closures.neural:TorchRegressor",
    # quadratic manifolds and operator inference
    "QuadraticManifold": "rom.manifold.quadratic:QuadraticManifold",
    "OperatorInference": "rom.manifold.opinf:OperatorInference",
    "ParametricOperatorInference": "rom.manifold.opinf:ParametricOperatorInference",
    "ManifoldROM": "rom.manifold.rom:ManifoldROM",
    # learned manifolds
    "Autoencoder": "rom.manifold.autoencoder:Autoencoder",
    "DenseAutoencoder": "rom.manifold.torch:DenseAutoencoder",
    "SparseAutoencoder": "rom.manifold.torch:SparseAutoencoder",
    "PODAutoencoder": "rom.manifold.torch:PODAutoencoder",
    # nonintrusive
    "Surrogate": "rom.nonintrusive.surrogate:Surrogate",
    "RBFRegressor": "rom.nonintrusive.rbf:RBFRegressor",
}

_BY_PATH = {path: alias for alias, path in CLASSES.items()}


def alias_of(cls: type) -> str | None:
    """The alias of ``cls``, or None when romba files cannot hold it."""
    return _BY_PATH.get(f"{cls.__module__}:{cls.__qualname__}")


def class_of(alias: Any) -> type:
    """The class registered under ``alias`` (ValueError for anything else)."""
    if not isinstance(alias, str) or alias not in CLASSES:
        raise ValueError(f"unknown class alias {alias!r}")
    module_name, _, qualname = CLASSES[alias].partition(":")
    cls: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        cls = getattr(cls, part)
    return cls
