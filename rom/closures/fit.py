r"""Learning the closure term of a Galerkin reduced model from full-order trajectories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np
import scipy.linalg

from rom.closures.adapters import as_regressor
from rom.closures.closure import LearnedClosure, _parameter_vector, check_features
from rom.closures.ridge import QuadraticRidge
from rom.validation import check_array, check_choice, check_fitted

__all__ = ["DERIVATIVES", "Trajectory", "closure_training_data", "fit_closure"]

DERIVATIVES = ("rhs", "differences")


class Trajectory(NamedTuple):
    """A full-order trajectory: states (n, n_t) as columns at ``times`` (n_t,), parameter ``mu``.

    Any 3-tuple ``(states, times, mu)`` is accepted in its place.

    Parameters
    ----------
    states : array, shape (n, n_t)
        The states (columns).
    times : array, shape (n_t,)
        Their times.
    mu : array_like or float
        The parameter set of the trajectory.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.closures import Trajectory
    >>> Trajectory(np.zeros((5, 3)), np.array([0.0, 0.1, 0.2]), 0.01).states.shape
    (5, 3)
    """

    states: Any
    times: Any
    mu: Any


def _trajectory(item: Any, i: int, n: int, features: tuple[str, ...], derivative: str):
    name = f"trajectories[{i}]"
    try:
        states, times, mu = item
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"{name}: expected a Trajectory or a tuple (states, times, mu), "
            f"got {type(item).__name__}"
        ) from err
    states = check_array(states, f"{name}.states", ndim=2, dtype_kind="f")
    if states.shape[0] != n:
        raise ValueError(
            f"{name}.states: expected {n} rows (one per unknown of the basis) and one column "
            f"per time, got shape {states.shape}"
        )
    times = check_array(times, f"{name}.times", ndim=1, dtype_kind="f")
    if times.shape[0] != states.shape[1]:
        raise ValueError(
            f"{name}.times: expected {states.shape[1]} times (one per column of states), "
            f"got {times.shape[0]}"
        )
    if np.any(np.diff(times) <= 0):
        raise ValueError(f"{name}.times: expected strictly increasing times")
    if derivative == "differences" and times.size < 3:
        raise ValueError(
            f"{name}: derivative='differences' needs at least 3 times, got {times.size}"
        )
    params = _parameter_vector(mu, f"{name}.mu") if "mu" in features else None
    return states, times, mu, params


def closure_training_data(
    rom: Any,
    trajectories: Sequence[Any],
    *,
    features: Sequence[str] = ("a", "mu"),
    derivative: str = "rhs",
) -> tuple[np.ndarray, np.ndarray]:
    r"""The inputs and targets of the closure term along full-order trajectories.

    For each snapshot :math:`u_k = u(t_k; \mu)` the projected state is
    :math:`a_k = M_r^{-1}\Phi^T M (u_k - \bar u)` (:meth:`GalerkinROM.project`) and the
    target is the defect of the reduced dynamics along the projected trajectory,

    .. math::

       c_k = \frac{d}{dt}\big(M_r^{-1}\Phi^T M u\big)(t_k) - F(a_k, \mu, t_k),

    where :math:`F` is the reduced right-hand side of ``rom`` *without* its closure
    (with its hyper-reduction, if any). The time derivative of the projected state
    is, with ``derivative="rhs"``, exactly :math:`M_r^{-1}\Phi^T f(u_k, \mu, t_k)`
    (the projected full right-hand side, from ``rom``'s model); with
    ``derivative="differences"``, the second-order finite differences of the
    projected trajectory :math:`a(t_k)` on its (possibly non-uniform) time grid
    (:func:`numpy.gradient`), for states from a code whose right-hand side is not
    at hand.

    Parameters
    ----------
    rom : GalerkinROM
        A fitted reduced model.
    trajectories : sequence of Trajectory or (states, times, mu)
        Full-order states (n, n_t), their times (n_t,), and their parameter.
    features : sequence of {"a", "mu", "t"}
        The inputs: reduced coordinates, parameter entries, time.
    derivative : {"rhs", "differences"}

    Returns
    -------
    X : ndarray (n_samples, n_features)
        Rows :math:`[a_k, \mu, t_k]` restricted to ``features``.
    Y : ndarray (n_samples, r)
        Rows :math:`c_k`.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.galerkin import FullOrderModel, GalerkinROM
    >>> from rom.closures import closure_training_data
    >>> model = FullOrderModel(lambda u, mu, t: -mu * np.arange(1.0, 4.0)[:, None] * u
    ...                        if u.ndim == 2 else -mu * np.arange(1.0, 4.0) * u)
    >>> rom = GalerkinROM(np.eye(3)[:, :2], model).fit()
    >>> states = np.ones((3, 2))
    >>> X, Y = closure_training_data(rom, [(states, [0.0, 1.0], 2.0)])
    >>> X.shape, float(np.abs(Y).max())  # the dynamics of the kept coordinates are exact
    ((2, 3), 0.0)
    """
    check_fitted(rom, "basis_")
    features = check_features(features)
    derivative = check_choice(derivative, "derivative", DERIVATIVES)
    if (
        isinstance(trajectories, tuple)
        and len(trajectories) == 3
        and isinstance(trajectories[0], np.ndarray)
        and trajectories[0].ndim == 2
    ):
        raise TypeError(
            "trajectories: expected a sequence of trajectories (states, times, mu); "
            "for one trajectory pass [(states, times, mu)]"
        )
    try:
        items = list(trajectories)
    except TypeError as err:
        raise TypeError(
            f"trajectories: expected a sequence of (states, times, mu), got "
            f"{type(trajectories).__name__}"
        ) from err
    if not items:
        raise ValueError("trajectories: expected at least one trajectory")
    basis = np.asarray(rom.basis_)
    n = basis.shape[0]
    bare = rom.with_closure(None) if getattr(rom, "closure_", None) is not None else rom
    chol = scipy.linalg.cho_factor(rom.reduced_mass_)
    model = rom.model_
    X_blocks, Y_blocks = [], []
    n_params = None
    for i, item in enumerate(items):
        states, times, mu, params = _trajectory(item, i, n, features, derivative)
        if params is not None:
            if n_params is None:
                n_params = params.size
            elif params.size != n_params:
                raise ValueError(
                    f"trajectories[{i}].mu: expected {n_params} entries (as the first "
                    f"trajectory), got {params.size}"
                )
        A = rom.project(states)  # (r, n_t)
        if derivative == "rhs":
            F_full = np.column_stack(
                [np.asarray(model.rhs(states[:, k], mu, float(t))) for k, t in enumerate(times)]
            )
            if F_full.shape != states.shape or not np.isfinite(F_full).all():
                raise ValueError(
                    f"model.rhs: expected finite values of shape ({n},) at the states of "
                    f"trajectories[{i}]"
                )
            dA = scipy.linalg.cho_solve(chol, basis.T @ F_full)
        else:
            dA = np.gradient(A, times, axis=1, edge_order=2)
        F = np.column_stack([bare.rhs(A[:, k], mu, float(t)) for k, t in enumerate(times)])
        blocks = []
        if "a" in features:
            blocks.append(A.T)
        if "mu" in features:
            blocks.append(np.broadcast_to(params, (times.size, params.size)))
        if "t" in features:
            blocks.append(times[:, None])
        X_blocks.append(np.hstack(blocks))
        Y_blocks.append((dA - F).T)
    return np.vstack(X_blocks), np.vstack(Y_blocks)


def fit_closure(
    rom: Any,
    trajectories: Sequence[Any],
    regressor: Any = None,
    *,
    features: Sequence[str] = ("a", "mu"),
    derivative: str = "rhs",
) -> LearnedClosure:
    r"""Learn the closure term of ``rom`` from full-order trajectories.

    The regressor is fitted on the data of :func:`closure_training_data`: inputs
    :math:`[a, \mu, t]` (restricted to ``features``), targets the defect
    :math:`\frac{d}{dt}(M_r^{-1}\Phi^T M u) - F(a)` of the truncated reduced dynamics
    along the projected trajectories. The result makes
    :math:`\dot a = F(a, \mu, t) + c(a, \mu, t)` reproduce the projected full
    dynamics on the training data, as far as the regressor can.

    Parameters
    ----------
    rom : GalerkinROM
        A fitted reduced model (its own closure, if any, is ignored: the closure is
        learned on top of the bare reduced dynamics).
    trajectories : sequence of Trajectory or (states, times, mu)
        Full-order states (n, n_t) at times (n_t,) for a parameter ``mu``.
    regressor : object, optional
        Anything :func:`as_regressor` accepts (fitted in place); default
        :class:`QuadraticRidge` ``()``.
    features : sequence of {"a", "mu", "t"}
        The inputs of the closure.
    derivative : {"rhs", "differences"}
        How :math:`\frac{d}{dt}` of the projected state is obtained (see
        :func:`closure_training_data`).

    Returns
    -------
    LearnedClosure
        Use ``rom.with_closure(closure)``. ``training_residual_`` is the relative
        misfit of the regression on the training targets.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.integrate import solve_ivp
    >>> class Heat:  # du/dt = mu u_xx - u^3 on (0, 1), u = 0 at both ends
    ...     L = (np.eye(40, k=1) + np.eye(40, k=-1) - 2 * np.eye(40)) * 41**2
    ...     def rhs(self, u, mu, t):
    ...         return mu * (self.L @ u) - u**3
    >>> fom, x = Heat(), np.linspace(0, 1, 42)[1:-1]
    >>> u0, times = np.sin(np.pi * x) + 0.5 * np.sin(3 * np.pi * x), np.linspace(0, 0.2, 21)
    >>> def solve(mu):
    ...     f = lambda t, u: fom.rhs(u, mu, t)
    ...     return solve_ivp(f, (0, 0.2), u0, t_eval=times, method="BDF", rtol=1e-10).y
    >>> from rom.galerkin import GalerkinROM
    >>> from rom.closures import fit_closure
    >>> data = [(solve(nu), times, nu) for nu in (0.05, 0.1)]
    >>> rom = GalerkinROM(None, fom, rank=3).fit(np.hstack([s for s, _, _ in data]))
    >>> closure = fit_closure(rom, data)
    >>> closed = rom.with_closure(closure)
    >>> closed.solve(u0, times, 0.07).shape
    (3, 21)
    """
    check_fitted(rom, "basis_")
    features = check_features(features)
    regressor = QuadraticRidge() if regressor is None else regressor
    as_regressor(regressor)  # a TypeError naming the regressor before any work
    X, Y = closure_training_data(rom, trajectories, features=features, derivative=derivative)
    return LearnedClosure(regressor, rom.rank_, features).fit(X, Y)
