"""The NumPy-array protocol for learned parts: regressors, classifiers and closure terms.

Learned parts speak 2-D float arrays (samples are rows). :func:`as_regressor` and
:func:`as_classifier` check them at the boundary (:mod:`rom.closures.adapters` is the
one such module of romba: :mod:`rom.local` and :mod:`rom.nonintrusive` use it too;
complex data are split into real and imaginary parts); :func:`as_closure` turns a
callable or a fitted regressor into a checked closure ``(a, mu, t) -> (r,)`` for
:meth:`rom.galerkin.GalerkinROM.with_closure`; :func:`fit_closure` learns the
closure term of a Galerkin reduced model from full-order trajectories.
"""

from rom.closures.adapters import ArrayClassifier, ArrayRegressor, as_classifier, as_regressor
from rom.closures.closure import (
    FEATURES,
    CheckedClosure,
    LearnedClosure,
    as_closure,
    check_features,
)
from rom.closures.fit import DERIVATIVES, Trajectory, closure_training_data, fit_closure
from rom.closures.neural import TorchRegressor
from rom.closures.ridge import QuadraticRidge

__all__ = [
    "DERIVATIVES",
    "FEATURES",
    "ArrayClassifier",
    "ArrayRegressor",
    "CheckedClosure",
    "LearnedClosure",
    "QuadraticRidge",
    "TorchRegressor",
    "Trajectory",
    "as_classifier",
    "as_closure",
    "as_regressor",
    "check_features",
    "closure_training_data",
    "fit_closure",
]
