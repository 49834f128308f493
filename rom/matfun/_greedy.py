"""The degree-by-degree greedy shared by :class:`~rom.matfun.LogDet` and
:class:`~rom.matfun.InverseApproximation`: operator, settings, parameter rows, stopping."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from rom._base import Estimator
from rom._progress import progress_bar
from rom.affine import AffineOperator
from rom.matfun._interpolation import (
    InterpolationVariables,
    _GradedInterpolation,
    _solve_triangular,
)
from rom.validation import (
    check_choice,
    check_parameter,
    check_parameters,
    check_positive_int,
    check_tolerance,
)

logger = logging.getLogger("rom.matfun")

#: the stopping reasons of the greedy (the vocabulary of every greedy of romba)
STOP_REASONS = ("tol", "max_terms", "exhausted", "degenerate")


@dataclass
class _Operator:
    """What the greedy needs of the ``operator`` argument."""

    assemble: Callable[[Any], Any]
    coefficients: Any  # theta(mu), or None on the callable path
    parameter_space: Any  # the parameter space of a LinearModel, or None
    source: str  # "theta" (affine) or "mu" (callable)
    affine: AffineOperator | None


def _resolve_operator(operator: Any) -> _Operator:
    """The assembly, coefficients and parameter space of the accepted operators.

    An :class:`~rom.affine.AffineOperator`; a model holding one as ``operator`` with
    a ``parameter_space`` (a :class:`rom.rb.LinearModel`); or a callable
    ``mu -> A(mu)``.
    """
    space = None
    inner = getattr(operator, "operator", None)
    if isinstance(inner, AffineOperator) and hasattr(operator, "parameter_space"):
        space = operator.parameter_space
        operator = inner
    if isinstance(operator, AffineOperator):
        if operator.shape[0] != operator.shape[1]:
            raise ValueError(f"operator: expected a square operator, got shape {operator.shape}")
        return _Operator(operator.assemble, operator.coefficients, space, "theta", operator)
    if callable(operator):
        return _Operator(operator, None, None, "mu", None)
    if operator is None:
        raise TypeError(
            "operator: this object has no operator (it was loaded with operator=None); pass "
            "an AffineOperator, a LinearModel or a callable mu -> A(mu) to refit"
        )
    raise TypeError(
        "operator: expected an AffineOperator, a LinearModel or a callable mu -> A(mu), got "
        f"{type(operator).__name__}"
    )


def _assemble_square(assemble: Callable, mu: np.ndarray, n: int | None) -> Any:
    A = assemble(mu)
    shape = getattr(A, "shape", None)
    if shape is None or len(shape) != 2 or shape[0] != shape[1]:
        raise ValueError(f"operator: expected a square matrix A(mu), got shape {shape}")
    if n is not None and shape[0] != n:
        raise ValueError(f"operator: A(mu) changed size from {n} to {shape[0]}")
    return A


class _ParameterInterpolant(Estimator):
    """Settings, parameter rows and the degree-by-degree greedy of both estimators.

    Subclasses implement the hooks ``_start(op)``, ``_extend(mus, log_s, executor)``
    (the exact values at new parameters), ``_reduced()`` (the data interpolated so
    far, one row per term), ``_training_error(Q, z, relative)`` and ``_finish()``.
    """

    _fitted_marker: ClassVar[str | None] = "parameters_"

    # the settings every subclass takes (its __init__ stores them)
    operator: Any
    tol: float | None
    relative: bool
    max_terms: int | None
    max_degree: int | None
    variables: str

    def _validate_settings(self) -> tuple[float, int, int]:
        if not isinstance(self.relative, bool | np.bool_):
            raise TypeError(f"relative: expected True or False, got {self.relative!r}")
        tol = check_tolerance(self.tol, "tol", upper=1.0 if self.relative else None)
        max_terms = check_positive_int(self.max_terms, "max_terms")
        max_degree = check_positive_int(self.max_degree, "max_degree", minimum=0)
        check_choice(self.variables, "variables", ("auto", "linear", "log"))
        return (
            0.0 if tol is None else tol,
            10**6 if max_terms is None else max_terms,
            10**3 if max_degree is None else max_degree,
        )

    # ------------------------------------------------------------ parameter rows
    def _check_mus(self, mus: Any, name: str = "mus") -> np.ndarray:
        """Parameter rows ``(k, n_params)``, by :func:`rom.validation.check_parameters`."""
        self._check_fitted()
        return check_parameters(
            mus, name, n_params=self.parameters_.shape[1], parameter_space=self.parameter_space_
        )

    def _check_mu(self, mu: Any, name: str = "mu") -> np.ndarray:
        """One parameter set as a ``(1, n_params)`` row."""
        self._check_fitted()
        row = check_parameter(
            mu, name, n_params=self.parameters_.shape[1], parameter_space=self.parameter_space_
        )
        return row.reshape(1, -1)

    # ------------------------------------------------------------------ greedy
    def _greedy(self, training_set: Any, executor: Executor | None, progress: bool | None) -> None:
        tol, max_terms, max_degree = self._validate_settings()
        op = _resolve_operator(self.operator)
        mus = check_parameters(training_set, "training_set", parameter_space=op.parameter_space)
        self.parameter_space_ = op.parameter_space
        self.variables_ = InterpolationVariables(op.source, op.coefficients, self.variables).fit(
            mus
        )
        x, log_s = self.variables_.transform(mus)
        engine = _GradedInterpolation(x)
        levels: list[int] = []
        errors: list[float] = []
        self.levels_ = levels  # the hooks read the levels so far
        self._start(op)
        stop = "max_terms"  # the loop ends at max_degree: a cap of the user's
        name = type(self).__name__
        bar = progress_bar(progress, min(max_terms, len(mus)), name, unit="term")
        try:
            for degree in range(max_degree + 1):
                new_rows = engine.add_degree(degree, max_terms - engine.size)
                if not new_rows:
                    stop = "max_terms" if engine.size >= max_terms else "exhausted"
                    if engine.size < max_terms and self.variables_.dim > 0:
                        warnings.warn(
                            f"{name}: the training set ({len(mus)} parameters) cannot resolve "
                            f"degree {degree}; stopping with {engine.size} terms (give a "
                            "larger training set to reach the tolerance)",
                            RuntimeWarning,
                            stacklevel=3,
                        )
                    break
                self._extend(mus[new_rows], log_s[new_rows], executor)
                levels.append(engine.size)
                error = 1.0
                if len(levels) > 1:
                    rows = engine.Q[engine.rows]
                    z = _solve_triangular(
                        rows, self._reduced(), lower=True, unit_diagonal=True, check_finite=False
                    )
                    error = self._training_error(
                        engine.Q, z.reshape(engine.size, -1), bool(self.relative)
                    )
                errors.append(error)
                bar.update(len(new_rows))
                bar.set_postfix(degree=degree, error=f"{error:.2e}")
                logger.info(
                    "%s: degree %d, %d terms, estimated error %.3g over the training set",
                    name,
                    degree,
                    engine.size,
                    error,
                )
                if degree > 0 and error <= tol:
                    stop = "tol"
                    break
                if engine.size >= max_terms:
                    stop = "max_terms"
                    break
                if self.variables_.dim == 0:  # nothing varies: one term is exact
                    stop = "exhausted"
                    break
        finally:
            bar.close()
        if len(mus) < 10 * engine.size and self.variables_.dim > 0:
            warnings.warn(
                f"{name}: {engine.size} terms from only {len(mus)} training "
                "parameters; the error is estimated on the training set only and the "
                "interpolant may oscillate between its points: give at least ten times "
                "more training parameters than terms (only the coefficients theta(mu) are "
                "evaluated on them)",
                RuntimeWarning,
                stacklevel=3,
            )
        self.stop_reason_ = stop
        self.parameters_ = mus[engine.rows]
        self.rows_ = np.array(engine.rows, dtype=np.int64)
        self.indices_ = engine.indices
        self.interpolation_lu_ = engine.factors()
        self.levels_ = np.array(levels, dtype=np.int64)
        self.errors_ = np.array(errors, dtype=float)
        self._finish()

    # ------------------------------------------------------------ fitted sizes
    @property
    def n_terms_(self) -> int:
        """Number of selected parameters (terms of the separated approximation)."""
        self._check_fitted()
        return int(self.parameters_.shape[0])

    @property
    def degree_(self) -> int:
        """Largest total degree of the interpolation features."""
        self._check_fitted()
        return int(self.indices_.sum(axis=1).max()) if self.indices_.size else 0
