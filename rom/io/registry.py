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
    "LinearCoefficients": "rom.affine:LinearCoefficients",
    "ConstantCoefficients": "rom.affine:ConstantCoefficients",
    # empirical interpolation
    "EIM": "rom.eim.eim:EIM",
    # reduced basis
    "ReducedModel": "rom.rb.reduced_model:ReducedModel",
    "MinTheta": "rom.rb.coercivity:MinTheta",
    # matrix functions
    "LogDet": "rom.rb.matrix_functions:LogDet",
    "InverseApproximation": "rom.rb.matrix_functions:InverseApproximation",
    # Lagrangian bases
    "LagrangianPOD": "rom.lagrangian.pod:LagrangianPOD",
    "LagrangianROM": "rom.lagrangian.model:LagrangianROM",
    # fast multipole
    "EIFMM": "rom.fmm.eifmm:EIFMM",
    # local bases
    "LocalPOD": "rom.local.local_pod:LocalPOD",
    # closures
    "LearnedClosure": "rom.closures.closure:LearnedClosure",
    "QuadraticRidge": "rom.closures.ridge:QuadraticRidge",
    # nonintrusive
    "Surrogate": "rom.nonintrusive.surrogate:Surrogate",
    "RBFRegressor": "rom.nonintrusive.surrogate:RBFRegressor",
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
