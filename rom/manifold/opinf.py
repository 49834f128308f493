r"""Operator inference: reduced operators learned from trajectories by least squares.

A model :math:`\dot z = c + A z + H h(z) + B u(t)` (any subset of the four terms) is
fitted to reduced states and their time derivatives (see the theory page *Learned and
nonlinear reductions*); :class:`ParametricOperatorInference` interpolates the
operators of several parameter values.
"""

from __future__ import annotations

import logging
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from rom._base import Estimator
from rom.backend import blas_threads
from rom.galerkin.integrate import IntegrationError, integrate, integrate_quadratic
from rom.galerkin.quadratic import quadratic_system
from rom.manifold._monomials import expand_quadratic, n_quadratic, quadratic_monomials
from rom.validation import check_array, check_choice, check_parameters, check_tolerance

__all__ = ["OperatorInference", "ParametricOperatorInference", "time_derivatives"]

logger = logging.getLogger("rom.manifold.opinf")

#: the regularisations tried by "auto", relative to the largest singular value of the
#: data matrix (0 is tried too)
GRID = np.logspace(-10.0, 0.0, 21)

#: a validation trajectory whose norm grows past this multiple of the reference's
#: largest norm counts as unstable
GROWTH = 10.0


def time_derivatives(states: Any, times: Any, order: int = 4) -> np.ndarray:
    r"""Time derivatives of a trajectory (states as columns) by finite differences.

    - ``order=2``: second-order differences on any increasing ``times``: central in
      the interior, one-sided three-point formulas at the ends
      (:func:`numpy.gradient` with ``edge_order=2``).
    - ``order=4``: fourth-order differences on uniform ``times`` (at least 5):
      :math:`(z_{i-2} - 8 z_{i-1} + 8 z_{i+1} - z_{i+2}) / (12 \Delta t)` in the
      interior, one-sided five-point formulas at the two first and two last times.

    One trajectory per call: differences across the junction of concatenated
    trajectories are meaningless.

    Parameters
    ----------
    states : array, shape (r, k)
    times : array, shape (k,)
    order : {2, 4}

    Returns
    -------
    array, shape (r, k)

    Examples
    --------
    >>> import numpy as np
    >>> from rom.manifold import time_derivatives
    >>> t = np.linspace(0.0, 1.0, 21)
    >>> dz = time_derivatives(np.sin(t)[None], t)
    >>> bool(np.abs(dz[0] - np.cos(t)).max() < 1e-5)
    True
    """
    Z = check_array(states, "states", ndim=2)
    t = check_array(times, "times", shape=(Z.shape[1],), dtype_kind="f")
    if order not in (2, 4) or isinstance(order, bool):
        raise ValueError(f"order: expected 2 or 4, got {order!r}")
    dt = np.diff(t)
    if np.any(dt <= 0):
        raise ValueError("times: expected strictly increasing values")
    if order == 2:
        if t.size < 3:
            raise ValueError(f"times: expected at least 3 times for order 2, got {t.size}")
        return np.gradient(Z, t, axis=1, edge_order=2)
    if t.size < 5:
        raise ValueError(f"times: expected at least 5 times for order 4, got {t.size}")
    h = dt.mean()
    if np.abs(dt - h).max() > 1e-8 * h:
        raise ValueError("times: order 4 expects uniform time steps (use order=2)")
    D = np.empty_like(Z)
    D[:, 2:-2] = (Z[:, :-4] - 8 * Z[:, 1:-3] + 8 * Z[:, 3:-1] - Z[:, 4:]) / (12 * h)
    first = np.array([[-25, 48, -36, 16, -3], [-3, -10, 18, -6, 1]]) / (12 * h)
    D[:, :2] = Z[:, :5] @ first.T
    D[:, -2:] = -(Z[:, -5:][:, ::-1] @ first.T)[:, ::-1]
    return D


def _check_operators(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not value
        or set(value) - set("cAHB")
        or len(set(value)) != len(value)
    ):
        raise ValueError(
            "operators: expected a non-empty string of distinct letters from 'cAHB', "
            f"got {value!r}"
        )
    return "".join(x for x in "cAHB" if x in value)


def _check_regularization(value: Any, allow_auto: bool = True) -> Any:
    if value is None:
        return 0.0
    if isinstance(value, str):
        if allow_auto:
            return check_choice(value, "regularization", ("auto",))
        raise ValueError(f"regularization: expected None or a number >= 0, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"regularization: expected None, 'auto' or a number >= 0, got {value!r}")
    return check_tolerance(value, "regularization", allow_none=False)


class OperatorInference(Estimator):
    r"""Learn :math:`\dot z = c + A z + H h(z) + B u(t)` from states and derivatives.

    ``h(z)`` holds the ``r (r + 1) / 2`` distinct products :math:`z_i z_j`
    (:func:`rom.manifold.quadratic_monomials`). With the data matrix
    :math:`D = [\mathbf 1,\ Z^T,\ h(Z)^T,\ U^T]` (``k`` rows, the columns of the
    operators asked for) and :math:`O = [c, A, H, B]`, the operators solve

    .. math::

       \min_O \|D O^T - \dot Z^T\|_F^2 + \lambda^2 \|O\|_F^2,

    through one SVD :math:`D = P \Sigma Q^T`:
    :math:`O^T = Q\,\mathrm{diag}(\sigma_i / (\sigma_i^2 + \lambda^2))\,P^T \dot Z^T`, so
    every further :math:`\lambda` costs two small products (the same convention as the
    ``opinf`` package's ``L2Solver``). Without regularisation, singular values below
    :math:`\epsilon \max(k, d)\,\sigma_1` are dropped (minimum-norm solution).

    ``regularization="auto"`` needs ``validation`` trajectories: for each
    :math:`\lambda \in \{0\} \cup \sigma_1 \cdot 10^{[-10, 0]}` (21 log-spaced values) the
    model is integrated from their initial states and the one with the smallest
    relative state error :math:`\|Z_{model} - Z_{ref}\|_F / \|Z_{ref}\|_F` is kept;
    models whose integration fails or whose norm exceeds ten times the reference's
    largest norm are unstable and never chosen.

    Real and complex coordinates (the least squares and the integration are then
    complex; the compiled quadratic integrator runs for real models without inputs).

    Parameters
    ----------
    operators : str
        The terms, letters of ``"cAHB"``: constant, linear, quadratic, input.
    regularization : None, float or "auto"
        :math:`\lambda` (None: 0), or chosen on validation trajectories.

    Attributes
    ----------
    c_ : array, shape (r,), or None
    A_ : array, shape (r, r), or None
    H_ : array, shape (r, r (r + 1) / 2), or None
    B_ : array, shape (r, m), or None
    operators_ : str
        The terms fitted, in the order ``c, A, H, B``.
    regularization_ : float
        :math:`\lambda` used.
    validation_error_ : float or None
        The relative state error of the chosen model on the validation trajectories.

    Examples
    --------
    >>> import numpy as np
    >>> from rom.manifold import OperatorInference
    >>> A = np.array([[-1.0, 2.0], [-2.0, -1.0]])
    >>> t = np.linspace(0.0, 2.0, 201)
    >>> Z = np.stack([np.exp(-t) * np.cos(2 * t), -np.exp(-t) * np.sin(2 * t)])
    >>> model = OperatorInference(operators="A").fit(Z, A @ Z)
    >>> bool(np.allclose(model.A_, A))
    True
    >>> bool(np.abs(model.predict(Z[:, 0], t) - Z).max() < 1e-6)
    True
    """

    _fitted_marker = "operators_"

    def __init__(self, operators: str = "cAH", regularization: Any = None) -> None:
        self.operators = operators
        self.regularization = regularization

    # ------------------------------------------------------------------ fit
    def fit(
        self,
        states: Any,
        derivatives: Any,
        inputs: Any = None,
        validation: Any = None,
    ) -> OperatorInference:
        """Fit the operators to states and derivatives (r, k), inputs (m, k).

        Parameters
        ----------
        states, derivatives : array, shape (r, k)
            Reduced states and their time derivatives (several trajectories may be
            concatenated: each column is one sample).
        inputs : array, shape (m, k) or (k,), optional
            The inputs at the same samples (needed for ``"B"``).
        validation : tuple or list of tuples, optional
            ``(z0, times, reference_states[, inputs])``: trajectories on which
            ``regularization="auto"`` chooses (``reference_states`` (r, n_t) at
            ``times``, ``inputs`` as in :meth:`predict`).

        Returns
        -------
        self
        """
        ops = _check_operators(self.operators)
        reg = _check_regularization(self.regularization)
        Z = check_array(states, "states", ndim=2)
        r, k = Z.shape
        dZ = check_array(derivatives, "derivatives", shape=(r, k))
        U = None
        if inputs is not None:
            U = check_array(inputs, "inputs", ndim=(1, 2))
            U = U[None] if U.ndim == 1 else U
            if U.shape[1] != k:
                raise ValueError(f"inputs: expected {k} columns (one per state), got {U.shape[1]}")
        if ("B" in ops) != (U is not None):
            raise ValueError(
                "inputs: expected inputs exactly when operators has 'B' "
                f"(operators={self.operators!r}, inputs {'given' if U is not None else 'None'})"
            )
        if reg == "auto" and validation is None:
            raise ValueError("validation: regularization='auto' needs validation trajectories")
        blocks = {"c": np.ones((1, k)), "A": Z, "H": quadratic_monomials(Z), "B": U}
        D = np.concatenate([blocks[x] for x in ops], axis=0).T
        if D.shape[0] < D.shape[1] and reg == 0.0:
            logger.warning(
                "OperatorInference: %d samples for %d unknowns per row; the minimum-norm "
                "solution is returned (give more samples or a regularization)",
                k,
                D.shape[1],
            )
        with blas_threads(1):  # a small dense problem: one thread is faster
            P, sigma, Qh = np.linalg.svd(D, full_matrices=False)
        keep = sigma > np.finfo(float).eps * max(D.shape) * sigma[0]
        P, sigma, Qh = P[:, keep], sigma[keep], Qh[keep]
        PtdZ = P.conj().T @ dZ.T
        self.operators_ = ops
        self._sizes = (r, 0 if U is None else U.shape[0])
        self.validation_error_ = None
        if reg == "auto":
            cases = _check_validation(validation, r, "B" in ops)
            best = None
            for lam in [0.0, *(GRID * sigma[0])]:
                self._set(Qh, sigma, PtdZ, lam)
                err = self._validation_error(cases)
                logger.debug("OperatorInference: lambda=%.3g error=%.3g", lam, err)
                if np.isfinite(err) and (best is None or err < best[0]):
                    best = (err, lam)
            if best is None:
                raise ValueError(
                    "validation: no regularization of the grid gives a stable model on "
                    "the validation trajectories"
                )
            self.validation_error_, reg = float(best[0]), best[1]
        self._set(Qh, sigma, PtdZ, float(reg))
        self.regularization_ = float(reg)
        return self

    def _set(self, Qh, sigma, PtdZ, lam: float) -> None:
        g = sigma / (sigma**2 + lam**2)
        O = (Qh.conj().T @ (g[:, None] * PtdZ)).T  # (r, d)
        r, m = self._sizes
        widths = {"c": 1, "A": r, "H": n_quadratic(r), "B": m}
        start = 0
        for name in "cAHB":
            if name in self.operators_:
                block = O[:, start : start + widths[name]]
                start += widths[name]
                setattr(self, f"{name}_", block[:, 0].copy() if name == "c" else block.copy())
            else:
                setattr(self, f"{name}_", None)

    def _validation_error(self, cases) -> float:
        num = den = 0.0
        for z0, times, ref, inputs in cases:
            try:
                Z = self.predict(z0, times, inputs)
            except (IntegrationError, FloatingPointError, ValueError):
                return np.inf
            if not np.isfinite(Z).all():
                return np.inf
            if np.abs(Z).max() > GROWTH * np.abs(ref).max():
                return np.inf
            num += float(np.sum(np.abs(Z - ref) ** 2))
            den += float(np.sum(np.abs(ref) ** 2))
        return np.sqrt(num / den) if den > 0 else np.sqrt(num)

    # ------------------------------------------------------------------ use
    @property
    def rank_(self) -> int:
        """The number ``r`` of reduced coordinates."""
        self._check_fitted()
        for x in (self.A_, self.H_, self.B_):
            if x is not None:
                return x.shape[0]
        return self.c_.size

    def _coefficients(self, dtype) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r = self.rank_
        c = np.zeros(r, dtype) if self.c_ is None else self.c_.astype(dtype)
        A = np.zeros((r, r), dtype) if self.A_ is None else self.A_.astype(dtype)
        if self.H_ is None:
            W = np.zeros((r * r, r), dtype)
        else:
            W = expand_quadratic(self.H_).astype(dtype).reshape(r * r, r)
        return np.ascontiguousarray(c), np.ascontiguousarray(A), np.ascontiguousarray(W)

    def rhs(self, z: Any, inputs: Any = None) -> np.ndarray:
        """The right-hand side :math:`c + A z + H h(z) + B u` at states (r,) or (r, k).

        Parameters
        ----------
        z : array, shape (r,) or (r, k), real or complex
            One reduced state, or states as columns.
        inputs : array, shape (m,) or (m, k), optional
            The inputs ``u`` at those states (one column per state). Required when
            the model has ``"B"``, ignored otherwise.

        Returns
        -------
        array, shape (r,) or (r, k)
            The time derivatives :math:`\\dot z` given by the model, the shape of
            ``z``.
        """
        self._check_fitted()
        Z = check_array(z, "z", ndim=(1, 2))
        r = self.rank_
        if Z.shape[0] != r:
            raise ValueError(f"z: expected {r} rows (one per coordinate), got {Z.shape[0]}")
        out = np.zeros(
            Z.shape, np.result_type(Z, *(x for x in (self.c_, self.A_) if x is not None))
        )
        if self.c_ is not None:
            out = out + (self.c_ if Z.ndim == 1 else self.c_[:, None])
        if self.A_ is not None:
            out = out + self.A_ @ Z
        if self.H_ is not None:
            out = out + self.H_ @ quadratic_monomials(Z)
        if self.B_ is not None:
            if inputs is None:
                raise ValueError("inputs: expected the inputs (the model has 'B')")
            u = check_array(inputs, "inputs", ndim=(1, 2))
            out = out + self.B_ @ u
        return out

    def predict(
        self,
        z0: Any,
        times: Any,
        inputs: Any = None,
        rtol: float = 1e-8,
        atol: float = 1e-10,
    ) -> np.ndarray:
        """Integrate the learned model from ``z0`` (r,); the states at ``times``, (r, n_t).

        The integrator is :func:`rom.galerkin.integrate`'s implicit Rosenbrock method
        (ROS34PW2, adaptive, L-stable), compiled for real models without inputs; the
        step is controlled by ``rtol`` and ``atol`` on the 2-norm of ``z``.

        Parameters
        ----------
        z0 : array, shape (r,), real or complex
            The initial reduced state, at ``times[0]``.
        times : array of float, shape (n_t,)
            Strictly increasing output times; ``times[0]`` is the initial time.
        inputs : callable or array, optional
            Required exactly when the model has ``"B"``: a callable ``u(t) -> (m,)``,
            or an array (m, n_t) (or (n_t,) for one input) of values at ``times``,
            interpolated by a cubic spline.
        rtol : float, default 1e-8
            Relative tolerance of the local error.
        atol : float, default 1e-10
            Absolute tolerance of the local error.

        Returns
        -------
        array, shape (r, n_t)
            The states at ``times`` (column 0 is ``z0``); complex when ``z0`` or an
            operator is.

        Raises
        ------
        rom.galerkin.IntegrationError
            The integration failed (a blow-up, a non-finite right-hand side).
        """
        self._check_fitted()
        r = self.rank_
        z0 = check_array(z0, "z0", shape=(r,))
        t = check_array(times, "times", ndim=1, dtype_kind="f")
        if t.size > 1 and np.any(np.diff(t) <= 0):
            raise ValueError("times: expected strictly increasing values")
        rtol = check_tolerance(rtol, "rtol", allow_none=False)
        atol = check_tolerance(atol, "atol", allow_none=False)
        complex_ = np.iscomplexobj(z0) or any(
            np.iscomplexobj(x) for x in (self.c_, self.A_, self.H_, self.B_) if x is not None
        )
        coefficients = self._coefficients(complex if complex_ else float)
        y0 = z0.astype(complex if complex_ else float)
        if self.B_ is None:
            if inputs is not None:
                raise ValueError("inputs: the model has no input operator 'B'")
            rhs, _ = quadratic_system(coefficients)
            return integrate_quadratic(coefficients, rhs, y0, t, rtol, atol)
        u = _input_function(inputs, t, self.B_.shape[1])
        B = self.B_

        def extra(time, _a):
            return B @ u(time)

        rhs, jac = quadratic_system(coefficients, extra)
        return integrate(rhs, y0, t, jacobian=jac, rtol=rtol, atol=atol, error_norm="global")

    # ------------------------------------------------------------------ persistence
    def _restore(self) -> None:
        """After :func:`rom.load`: check the operators (a file is untrusted input)."""
        if not self._is_fitted():
            return
        ops = _check_operators(self.operators_)
        present = [x for x in "cAHB" if getattr(self, f"{x}_") is not None]
        if "".join(present) != ops:
            raise ValueError(f"operators_: {ops!r} does not match the stored operators {present}")
        sizes = [getattr(self, f"{x}_").shape[0] for x in present]
        r = sizes[0]
        if len(set(sizes)) != 1:
            raise ValueError("c_, A_, H_, B_: expected the same number of rows")
        shapes = {"c": (r,), "A": (r, r), "H": (r, n_quadratic(r)), "B": (r, None)}
        for x in present:
            check_array(getattr(self, f"{x}_"), f"{x}_", shape=shapes[x])
        check_tolerance(self.regularization_, "regularization_", allow_none=False)
        if self.validation_error_ is not None:
            check_tolerance(self.validation_error_, "validation_error_", allow_none=False)
        self._sizes = (r, 0 if self.B_ is None else self.B_.shape[1])


def _input_function(inputs: Any, t: np.ndarray, m: int) -> Callable[[float], np.ndarray]:
    if inputs is None:
        raise ValueError("inputs: expected a callable u(t) or an array of values at times")
    if callable(inputs):
        u0 = np.atleast_1d(np.asarray(inputs(float(t[0]))))
        if u0.shape != (m,):
            raise ValueError(f"inputs: expected u(t) of shape ({m},), got {u0.shape}")
        return lambda time: np.atleast_1d(np.asarray(inputs(time)))
    values = check_array(inputs, "inputs", ndim=(1, 2))
    values = values[None] if values.ndim == 1 else values
    if values.shape != (m, t.size):
        raise ValueError(
            f"inputs: expected shape ({m}, {t.size}) (values at times), got {values.shape}"
        )
    if t.size < 2:
        return lambda time: values[:, 0]
    import scipy.interpolate

    spline = scipy.interpolate.CubicSpline(t, values, axis=1)
    return lambda time: spline(time)


def _check_validation(validation: Any, r: int, has_inputs: bool) -> list[tuple]:
    items = [validation] if isinstance(validation, tuple) else validation
    if not isinstance(items, list) or not items:
        raise TypeError(
            "validation: expected a tuple (z0, times, reference_states[, inputs]) "
            "or a list of them"
        )
    cases = []
    for item in items:
        if not isinstance(item, tuple) or len(item) not in (3, 4):
            raise TypeError("validation: expected tuples (z0, times, reference_states[, inputs])")
        z0 = check_array(item[0], "validation z0", shape=(r,))
        t = check_array(item[1], "validation times", ndim=1, dtype_kind="f")
        ref = check_array(item[2], "validation reference_states", shape=(r, t.size))
        u = item[3] if len(item) == 4 else None
        if has_inputs and u is None:
            raise ValueError("validation: expected inputs in each tuple (the model has 'B')")
        cases.append((z0, t, ref, u))
    return cases


class ParametricOperatorInference(Estimator):
    r"""Operator inference at several parameter values, operators interpolated between them.

    One :class:`OperatorInference` (the same ``operators`` and ``regularization``, a
    number or None) is fitted per parameter value :math:`\mu_p`; the operators at a
    new :math:`\mu` are interpolated entry by entry with a thin-plate-spline radial
    basis function interpolant plus a linear polynomial in :math:`\mu`
    (:class:`scipy.interpolate.RBFInterpolator`, ``degree=1``). It passes through
    the fitted operators and reproduces operators affine in :math:`\mu` exactly; it
    needs at least ``d + 1`` parameter values for ``d`` parameters.

    Parameters
    ----------
    operators : str
        As :class:`OperatorInference`.
    regularization : None or float

    Attributes
    ----------
    parameters_ : array, shape (n_mu, d)
    c_, A_, H_, B_ : arrays stacked over the parameter values, or None
        ``(n_mu, r)``, ``(n_mu, r, r)``, ``(n_mu, r, r (r + 1) / 2)``, ``(n_mu, r, m)``.
    operators_ : str
    regularization_ : float

    Examples
    --------
    >>> import numpy as np
    >>> from rom.manifold import ParametricOperatorInference
    >>> t = np.linspace(0.0, 1.0, 101)
    >>> mus = np.array([[1.0], [2.0], [3.0]])
    >>> Zs = [np.exp(-mu[0] * t)[None] for mu in mus]
    >>> model = ParametricOperatorInference("A").fit(mus, Zs, [-m[0] * Z for m, Z in zip(mus, Zs)])
    >>> round(float(model.model([2.5]).A_[0, 0]), 8)
    -2.5
    """

    _fitted_marker = "operators_"

    def __init__(self, operators: str = "cAH", regularization: Any = None) -> None:
        self.operators = operators
        self.regularization = regularization

    def fit(
        self, parameters: Any, states: Any, derivatives: Any, inputs: Any = None
    ) -> ParametricOperatorInference:
        """Fit one model per parameter value.

        Parameters
        ----------
        parameters : array, shape (n_mu, d)
            Parameter sets as rows.
        states, derivatives : list of n_mu arrays, shape (r, k_p)
        inputs : list of n_mu arrays (m, k_p), optional

        Returns
        -------
        self
        """
        ops = _check_operators(self.operators)
        reg = _check_regularization(self.regularization, allow_auto=False)
        mus = check_parameters(parameters, "parameters")
        n_mu, d = mus.shape
        if n_mu < d + 1:
            raise ValueError(f"parameters: expected at least {d + 1} parameter sets, got {n_mu}")
        for name, value in (("states", states), ("derivatives", derivatives), ("inputs", inputs)):
            if value is None and name == "inputs":
                continue
            if not isinstance(value, list | tuple) or len(value) != n_mu:
                raise TypeError(
                    f"{name}: expected a list of {n_mu} arrays (one per parameter set)"
                )
        fits = [
            OperatorInference(ops, reg).fit(
                states[p], derivatives[p], None if inputs is None else inputs[p]
            )
            for p in range(n_mu)
        ]
        r = fits[0].rank_
        if any(f.rank_ != r for f in fits):
            raise ValueError("states: expected the same number of rows for every parameter set")
        for x in "cAHB":
            value = None if x not in ops else np.stack([getattr(f, f"{x}_") for f in fits])
            setattr(self, f"{x}_", value)
        self.parameters_ = mus
        self.operators_ = ops
        self.regularization_ = float(reg)
        return self

    def model(self, mu: Any) -> OperatorInference:
        """The :class:`OperatorInference` model with the operators interpolated at ``mu``.

        Parameters
        ----------
        mu : float or array, shape (d,) or (1, d)
            One parameter set (a number for one parameter), ``d`` the number of
            parameters of :meth:`fit`.

        Returns
        -------
        OperatorInference
            A fitted model whose ``c_``, ``A_``, ``H_``, ``B_`` are the interpolated
            operators (``validation_error_`` None).
        """
        import scipy.interpolate

        self._check_fitted()
        mus = self.parameters_
        mu = check_parameters(mu, "mu", n_params=mus.shape[1])
        if mu.shape[0] != 1:
            raise ValueError(f"mu: expected one parameter set, got {mu.shape[0]}")
        out = OperatorInference(self.operators_, self.regularization_)
        out.operators_ = self.operators_
        out.regularization_ = self.regularization_
        out.validation_error_ = None
        for x in "cAHB":
            stack = getattr(self, f"{x}_")
            if stack is None:
                setattr(out, f"{x}_", None)
                continue
            values = stack.reshape(len(mus), -1)
            parts = [values.real] + ([values.imag] if np.iscomplexobj(values) else [])
            interp = [
                scipy.interpolate.RBFInterpolator(mus, v, kernel="thin_plate_spline", degree=1)(
                    mu
                )[0]
                for v in parts
            ]
            value = interp[0] + 1j * interp[1] if len(interp) == 2 else interp[0]
            setattr(out, f"{x}_", value.reshape(stack.shape[1:]))
        out._restore()
        return out

    def predict(
        self,
        mu: Any,
        z0: Any,
        times: Any,
        inputs: Any = None,
        rtol: float = 1e-8,
        atol: float = 1e-10,
    ) -> np.ndarray:
        """Integrate the interpolated model at ``mu`` (see :meth:`OperatorInference.predict`).

        Parameters
        ----------
        mu : float or array, shape (d,) or (1, d)
            One parameter set (see :meth:`model`).
        z0 : array, shape (r,), real or complex
            The initial reduced state, at ``times[0]``.
        times : array of float, shape (n_t,)
            Strictly increasing output times; ``times[0]`` is the initial time.
        inputs : callable or array, optional
            Required exactly when the model has ``"B"``: a callable ``u(t) -> (m,)``,
            or an array (m, n_t) (or (n_t,) for one input) of values at ``times``.
        rtol : float, default 1e-8
            Relative tolerance of the local error.
        atol : float, default 1e-10
            Absolute tolerance of the local error.

        Returns
        -------
        array, shape (r, n_t)
            The states at ``times`` (column 0 is ``z0``).
        """
        return self.model(mu).predict(z0, times, inputs, rtol=rtol, atol=atol)

    def _restore(self) -> None:
        """After :func:`rom.load`: check the stacked operators."""
        if not self._is_fitted():
            return
        mus = check_array(self.parameters_, "parameters_", ndim=2, dtype_kind="f")
        ops = _check_operators(self.operators_)
        n_mu = mus.shape[0]
        present = [x for x in "cAHB" if getattr(self, f"{x}_") is not None]
        if "".join(present) != ops:
            raise ValueError(f"operators_: {ops!r} does not match the stored operators {present}")
        r = getattr(self, f"{present[0]}_").shape[1]
        shapes = {
            "c": (n_mu, r),
            "A": (n_mu, r, r),
            "H": (n_mu, r, n_quadratic(r)),
            "B": (n_mu, r, None),
        }
        for x in present:
            check_array(getattr(self, f"{x}_"), f"{x}_", shape=shapes[x])
        check_tolerance(self.regularization_, "regularization_", allow_none=False)
